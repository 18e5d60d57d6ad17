use crate::values::Currency;

use super::*;
use crate::offers::definition::{Discount, Scope};

const NOW: i64 = 1_795_341_600; // 2026-11-22T10:00:00Z

fn eur(amount: i64) -> Money {
    Money { amount, currency: Currency::parse("EUR").expect("EUR") }
}

/// A 10 % offer for everyone in November and December 2026, without limits (the other
/// offers tests start from it too).
pub(crate) fn offer(id: &str) -> Offer {
    Offer {
        offer_id: id.into(),
        title: format!("Offer {id}"),
        discount: Discount { percent: Some(10), amount: None },
        applies_to: Scope::default(),
        min_subtotal: None,
        channels: vec![],
        tiers: vec![],
        affinity_categories: vec![],
        starts_at: "2026-11-01T00:00:00Z".into(),
        ends_at: "2026-12-31T00:00:00Z".into(),
        per_customer_limit: None,
        total_limit: None,
        priority: 0,
        updated_at: String::new(),
    }
}

fn cart() -> Vec<PricedLine> {
    vec![
        PricedLine { sku: "SHOE-1".into(), category: "shoes".into(), qty: 1, unit: eur(8000) },
        PricedLine { sku: "SOCK-1".into(), category: "socks".into(), qty: 2, unit: eur(500) },
    ]
}

fn shopper() -> Shopper {
    Shopper { tier: Tier::Silver, channel: "web".into(), affinity: [("shoes".to_owned(), 4.0)].into() }
}

#[test]
fn eligibility_checks_window_channel_tier_affinity_subtotal_and_limits() {
    let lines = cart();
    let who = shopper();
    assert!(evaluate(&offer("a"), &lines, &who, NOW, false).is_some());
    assert!(evaluate(&offer("a"), &lines, &who, NOW, true).is_none(), "limits used up");
    let mut late = offer("b");
    late.starts_at = "2026-12-01T00:00:00Z".into();
    assert!(evaluate(&late, &lines, &who, NOW, false).is_none(), "not started");
    let mut app = offer("c");
    app.channels = vec!["app".into()];
    assert!(evaluate(&app, &lines, &who, NOW, false).is_none());
    let mut gold = offer("d");
    gold.tiers = vec![Tier::Gold];
    assert!(evaluate(&gold, &lines, &who, NOW, false).is_none());
    let mut hats = offer("e");
    hats.affinity_categories = vec!["hats".into()];
    assert!(evaluate(&hats, &lines, &who, NOW, false).is_none(), "no affinity for hats");
    let mut big = offer("f");
    big.min_subtotal = Some(eur(9001));
    assert!(evaluate(&big, &lines, &who, NOW, false).is_none(), "subtotal is 90.00");
    big.min_subtotal = Some(eur(9000));
    assert!(evaluate(&big, &lines, &who, NOW, false).is_some(), "at the minimum");
}

#[test]
fn saving_comes_from_the_lines_it_applies_to_and_never_exceeds_them() {
    let lines = cart();
    let who = shopper();
    let mut socks = offer("socks");
    socks.applies_to = Scope { skus: vec![], categories: vec!["socks".into()] };
    socks.discount = Discount { percent: Some(50), amount: None };
    assert_eq!(evaluate(&socks, &lines, &who, NOW, false).expect("eligible").saving, eur(500));
    socks.discount = Discount { percent: None, amount: Some(eur(5000)) };
    assert_eq!(evaluate(&socks, &lines, &who, NOW, false).expect("eligible").saving, eur(1000), "capped at the socks");
    let whole = evaluate(&offer("whole"), &lines, &who, NOW, false).expect("eligible");
    assert_eq!(whole.saving, eur(900));
    assert_eq!(whole.reasons[0], "10% off your whole cart");
    assert!(whole.reasons.contains(&"saves 9.00 EUR on this cart".to_owned()));
}

#[test]
fn ranking_is_total_and_explained() {
    let lines = cart();
    let who = shopper();
    let mut shoes = offer("shoes");
    shoes.applies_to = Scope { skus: vec![], categories: vec!["shoes".into()] };
    shoes.affinity_categories = vec!["shoes".into()];
    let plain = offer("plain");
    let mut twin = offer("aaa-twin");
    twin.title = "same as plain".into();
    let ranked = rank([plain, shoes, twin].iter().filter_map(|o| evaluate(o, &lines, &who, NOW, false)).collect());
    let order: Vec<&str> = ranked.iter().map(|r| r.offer_id.as_str()).collect();
    // shoes: 800 + 500×4 = 2800; plain and twin: 900 + 500×4 (shoes are in the cart) = 2900.
    assert_eq!(order, vec!["aaa-twin", "plain", "shoes"], "equal scores fall back to the id");
    assert!(ranked[2].reasons.contains(&"you often look at shoes".to_owned()));
    let again = rank(ranked.clone());
    assert_eq!(again, ranked, "same inputs, same order");
}

#[test]
fn money_formats_with_two_decimals() {
    assert_eq!(format_money(eur(5)), "0.05 EUR");
    assert_eq!(format_money(eur(123456)), "1234.56 EUR");
}

#[test]
fn money_shows_its_currencys_own_decimals() {
    let money = |amount, code| Money { amount, currency: Currency::parse(code).expect("ISO 4217") };
    assert_eq!(format_money(money(1250, "EUR")), "12.50 EUR");
    assert_eq!(format_money(money(1250, "JPY")), "1250 JPY");
    assert_eq!(format_money(money(-1250, "KWD")), "-1.250 KWD");
}

#[test]
fn an_offer_in_another_currency_than_the_cart_is_not_eligible() {
    let usd = Currency::parse("USD").expect("USD");
    let mut in_dollars = offer("usd");
    in_dollars.min_subtotal = Some(Money { amount: 100, currency: usd });
    assert!(evaluate(&in_dollars, &cart(), &shopper(), NOW, false).is_none(), "a EUR cart");
    let dollar_cart: Vec<PricedLine> =
        cart().into_iter().map(|l| PricedLine { unit: Money { amount: l.unit.amount, currency: usd }, ..l }).collect();
    assert!(evaluate(&in_dollars, &dollar_cart, &shopper(), NOW, false).is_some(), "a USD cart");
}
