//! A checkout, as a plan: price the cart from the product records, hold its stock at one
//! location (the stock domain's [`Reserve`]), redeem at most one offer (the offers domain's
//! [`Redeem`]), spend points (the loyalty domain's [`spend`]), close the cart and write the
//! order, all in one transaction; each part's write carries its own domain's conditions, so
//! the table, not this read, decides every race. [`Checkout::assess`] is the same decision
//! without the writes: the quote.
//!
//! The plan is built from what a first read found (the cart, the shopper, the locations),
//! and reads the rest in one batch: the products and their levels at every candidate
//! location, the offer with its counters and this order's redemption, the account and the
//! order's markers. The cart write is conditioned on the version that first read saw, so a
//! line written meanwhile makes the transaction fail and the checkout start again with it.

use std::collections::{BTreeMap, BTreeSet};

use omnicanal_platform::clock::rfc3339;
use omnicanal_store::{Key, StoreError, WriteOp};
use serde::Serialize;

use crate::cart::model::{Cart, Status};
use crate::cart::record::put_if_version;
use crate::catalog::Product;
use crate::customer::loyalty_account_key;
use crate::ids::{CartId, ExternalId, Quantity, ReservationId};
use crate::loyalty::account::LoyaltyError;
use crate::loyalty::operations::spend;
use crate::loyalty::records::{account_from, redeem_key};
use crate::loyalty::rules::LoyaltyRules;
use crate::offers::definition::Offer;
use crate::offers::records::{count, customer_count_key, offer_key, redemption_key, total_key};
use crate::offers::redemption::{Redeem, RedeemError};
use crate::offers::rules::{PricedLine, Ranked, Shopper, evaluate, rank};
use crate::offers::shopper::priced;
use crate::orders::record::{Discount, Fulfilment, FulfilmentType, Order, OrderLine, OrderStatus, order_key};
use crate::orders::refusal::{OrderError, Problem};
use crate::plan::{Plan, Reads, Step};
use crate::stock::refusal::StockError;
use crate::stock::reserve::{HoldRequest, Reserve, WantedLine};
use crate::values::{Currency, Money, Sku};

/// The most actions one transaction takes (DynamoDB's limit): a checkout that needs more is
/// `order_too_large`.
pub const MAX_ACTIONS: usize = 100;

/// Where the order is to be handed over, as asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wanted {
    /// Shipped from whichever location can serve every line.
    Ship,
    /// Picked up at this store.
    Pickup(String),
}

/// The total a caller expects to pay: its minor units, and its currency when named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpectedTotal {
    /// Minor units.
    pub amount: i64,
    /// The currency, when the caller named one.
    pub currency: Option<Currency>,
}

/// A checkout as asked, checked: the command a handler builds from its request.
#[derive(Clone, Debug)]
pub struct CheckoutRequest {
    /// The caller's id for the order (a quote has none yet: a placeholder).
    pub order_id: ExternalId,
    /// The cart.
    pub cart_id: CartId,
    /// Ship or pickup.
    pub fulfilment: Wanted,
    /// The offer to apply.
    pub offer_id: Option<String>,
    /// Points to spend (0: none).
    pub points: i64,
    /// The total the caller expects.
    pub expected_total: Option<ExpectedTotal>,
    /// The cart version the caller priced.
    pub cart_version: Option<u64>,
    /// How long the stock is held (seconds).
    pub ttl_seconds: i64,
    /// The customer checking out (`None`: a guest).
    pub customer_id: Option<String>,
    /// The channel of the checkout.
    pub channel: String,
    /// A hash of the request: the same one again is a repeat, another one a reuse.
    pub fingerprint: String,
}

/// A checkout of `cart`, decided on what the plan reads.
#[derive(Clone, Debug)]
pub struct Checkout<'r> {
    /// The request.
    pub request: CheckoutRequest,
    /// The cart as first read.
    pub cart: Cart,
    /// The locations that may serve it (selling to the channel; the pickup store only).
    pub candidates: Vec<String>,
    /// The customer as offers judge them (`None`: a guest).
    pub shopper: Option<Shopper>,
    /// The active offers a quote ranks (a checkout needs none).
    pub offers: Vec<Offer>,
    /// The loyalty rules (point value, earning).
    pub rules: &'r LoyaltyRules,
    /// Now.
    pub now: time::OffsetDateTime,
}

/// A line of a quote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuoteLine {
    /// SKU.
    pub sku: String,
    /// The product's name (`null` without a product record).
    pub name: Option<String>,
    /// Units in the cart.
    pub qty: i64,
    /// The product's price (`null` without a product record).
    pub unit_price: Option<Money>,
    /// `qty × unit_price`.
    pub line_total: Option<Money>,
    /// Units available at the location (or the best candidate when none serves every line).
    pub available: i64,
    /// Whether this line can be had as asked.
    pub ok: bool,
}

/// What a checkout of the cart would be now: the contract's quote.
#[derive(Clone, Debug, Serialize)]
pub struct Quote {
    /// No problem found.
    pub ok: bool,
    /// Every problem, first by precedence.
    pub problems: Vec<Problem>,
    /// The cart.
    pub cart_id: String,
    /// Its version.
    pub cart_version: u64,
    /// The currency of every amount.
    pub currency: Currency,
    /// The location that would hold the stock (`null` when none can).
    pub location_id: Option<String>,
    /// The lines.
    pub lines: Vec<QuoteLine>,
    /// `Σ line_total`.
    pub subtotal: Money,
    /// The offer asked for, when it applies.
    pub discount: Option<Discount>,
    /// The offers this customer could use, best first (as `/offers/me` ranks them).
    pub offers: Vec<Ranked>,
    /// Points asked to spend.
    pub points_redeemed: i64,
    /// What they pay.
    pub points_value: Money,
    /// `subtotal − saving − points_value`.
    pub total: Money,
    /// What confirming would earn today.
    pub points_to_earn: i64,
    /// The customer's balance (`null` for a guest).
    pub points_balance: Option<i64>,
}

/// A quote and, when nothing stands in the way, the parts' decisions the checkout writes.
pub struct Assessed {
    /// The quote.
    pub quote: Quote,
    /// The stock hold's decision, when a location serves every line.
    hold: Option<Step<crate::stock::reserve::Held>>,
    /// The redemption's decision, when the offer applies.
    redemption: Option<Step<crate::offers::redemption::Redeemed>>,
    /// The spend's decision, when the points can be spent.
    spending: Option<Step<crate::loyalty::operations::Changed>>,
    /// The products, by SKU.
    products: BTreeMap<String, Product>,
}

impl Checkout<'_> {
    /// The cart's live lines (SKU, units), by SKU.
    fn lines(&self) -> Vec<(String, u32)> {
        self.cart.live_lines().map(|(sku, line)| (sku.clone(), line.qty)).collect()
    }

    fn order_id(&self) -> &str {
        self.request.order_id.as_str()
    }

    fn customer(&self) -> Option<&str> {
        self.request.customer_id.as_deref()
    }

    /// The stock part: a reservation of every line, as `POST /stock/reservations` holds.
    fn reserve(&self) -> Reserve {
        let lines = self
            .cart
            .live_lines()
            .enumerate()
            .filter_map(|(i, (sku, line))| {
                Some(WantedLine {
                    field: format!("lines[{i}]"),
                    sku: Sku::parse(sku).ok()?,
                    qty: Quantity::parse(i64::from(line.qty)).ok()?,
                })
            })
            .collect();
        let request = HoldRequest {
            reservation_id: ReservationId::of_order(&self.request.order_id),
            lines,
            ttl_seconds: self.request.ttl_seconds,
            cart_id: Some(self.request.cart_id.as_str().to_owned()),
            customer_id: self.request.customer_id.clone(),
            channel: self.request.channel.clone(),
            fingerprint: self.request.fingerprint.clone(),
            created_at: rfc3339(self.now),
            cart_hold: false,
        };
        Reserve { request, candidates: self.candidates.clone(), now: self.now.unix_timestamp() }
    }

    /// The offers part, for a customer who named an offer.
    fn redeem(&self, lines: &[PricedLine]) -> Option<Redeem> {
        let (offer_id, customer, shopper) = (self.request.offer_id.as_ref()?, self.customer()?, self.shopper.as_ref()?);
        Some(Redeem {
            offer_id: offer_id.clone(),
            customer_id: customer.to_owned(),
            order_id: self.order_id().to_owned(),
            now: self.now.unix_timestamp(),
            redeemed_at: rfc3339(self.now),
            shopper: shopper.clone(),
            lines: lines.to_vec(),
        })
    }

    /// The keys the decision reads (see the module docs), in one batch.
    pub fn keys(&self) -> Vec<Key> {
        let mut keys = self.reserve().reads();
        keys.push(order_key(self.order_id()));
        if let Some(customer) = self.customer() {
            keys.push(loyalty_account_key(customer));
            keys.push(redeem_key(customer, self.order_id()));
            if let Some(offer_id) = &self.request.offer_id {
                keys.extend([
                    offer_key(offer_id),
                    redemption_key(offer_id, customer, self.order_id()),
                    customer_count_key(offer_id, customer),
                    total_key(offer_id),
                ]);
            }
            for offer in &self.offers {
                keys.push(customer_count_key(&offer.offer_id, customer));
                keys.push(total_key(&offer.offer_id));
            }
        }
        let mut seen = BTreeSet::new();
        keys.retain(|key| seen.insert(key.clone()));
        keys
    }

    /// The quote, and the parts' decisions when nothing stands in the way.
    pub fn assess(&self, read: &Reads) -> Result<Assessed, OrderError> {
        let now = self.now.unix_timestamp();
        let lines = self.lines();
        let reserve = self.reserve();
        let view = reserve.view(read)?;
        let products = view.products.clone();
        let mut problems = Vec::new();
        if lines.is_empty() {
            problems.push(Problem::new("empty_cart", "the cart has no lines"));
        }
        for (sku, _) in &lines {
            if !products.contains_key(sku) {
                problems.push(Problem::of_line("unknown_sku", sku, format!("no product with SKU {sku}")));
            }
        }
        let currencies: BTreeSet<Currency> = products.values().map(|p| p.price.currency).collect();
        if currencies.len() > 1 {
            let listed: Vec<&str> = currencies.iter().map(Currency::as_str).collect();
            problems.push(Problem::new("mixed_currencies", format!("the cart's prices are in {}", listed.join(", "))));
        }
        let currency = currencies.first().copied().unwrap_or(self.rules.currency);
        let money = |amount: i64| Money { amount, currency };
        let priced_lines = priced(&lines, &products);
        let subtotal = priced_lines.iter().try_fold(0_i64, |sum, l| {
            l.unit.amount.checked_mul(i64::from(l.qty)).and_then(|total| sum.checked_add(total))
        });
        let Some(subtotal) = subtotal else {
            return Err(StoreError::Invalid("a cart's subtotal is beyond what money can count".into()).into());
        };

        // Stock: the reservation's own decision, on the same read.
        let (hold, location_id) = match reserve.decide(read) {
            Ok(step) => {
                let location = match &step {
                    Step::Write { then, .. } | Step::Done(then) => Some(then.reservation.location_id.clone()),
                    Step::Clear(_) => reserve.closest_location(&view),
                };
                (Some(step), location)
            }
            Err(StockError::Insufficient { short }) => {
                for line in &short {
                    let detail = format!("{} of {} wanted, {} available", line.sku, line.qty, line.available);
                    problems.push(Problem::of_line("insufficient_stock", &line.sku, detail));
                }
                (None, None)
            }
            // Lines without a product are already a problem; a hold cannot be judged then.
            Err(StockError::UnknownProducts(_)) => (None, None),
            Err(other) => return Err(other.into()),
        };
        let shown_at = location_id.clone().or_else(|| reserve.closest_location(&view));
        let quote_lines: Vec<QuoteLine> = lines
            .iter()
            .map(|(sku, qty)| {
                let product = products.get(sku);
                let qty = i64::from(*qty);
                let available = shown_at.as_deref().map_or(0, |loc| view.available(sku, loc, now));
                QuoteLine {
                    sku: sku.clone(),
                    name: product.map(|p| p.name.clone()),
                    qty,
                    unit_price: product.map(|p| p.price),
                    line_total: product.map(|p| money(p.price.amount.saturating_mul(qty))),
                    available,
                    ok: product.is_some() && available >= qty,
                }
            })
            .collect();

        // The offer: the redemption's own decision, and its saving as `/offers/me` counts it.
        let mut saving = 0;
        let mut discount = None;
        let redemption = match self.redeem(&priced_lines) {
            None => None,
            Some(redeem) => match redeem.decide(read) {
                Ok(step) => {
                    let offer = crate::offers::records::from_item(
                        read.get(&offer_key(&redeem.offer_id)).cloned().ok_or(RedeemError::NoSuchOffer)?,
                    )?;
                    match evaluate(&offer, &priced_lines, &redeem.shopper, now, false) {
                        Some(ranked) if ranked.saving.currency == currency => {
                            saving = ranked.saving.amount;
                            discount =
                                Some(Discount { offer_id: offer.offer_id, title: offer.title, saving: ranked.saving });
                            Some(step)
                        }
                        _ => {
                            problems.push(Problem::new("offer_not_eligible", "the offer does not apply to this cart"));
                            None
                        }
                    }
                }
                Err(RedeemError::LimitReached { which }) => {
                    problems.push(Problem::new("offer_limit_reached", format!("the offer's {which} limit is reached")));
                    None
                }
                Err(RedeemError::NoSuchOffer | RedeemError::NotActive | RedeemError::NotEligible) => {
                    problems.push(Problem::new(
                        "offer_not_eligible",
                        "the offer is not for this customer, channel or cart now",
                    ));
                    None
                }
                Err(RedeemError::Record(err)) => return Err(err.into()),
            },
        };

        // Points: the spend's own decision, worth no more than what is left to pay.
        let points = self.request.points;
        let points_value = points.checked_mul(self.rules.point_value);
        let left = subtotal - saving;
        let account = match self.customer() {
            Some(customer) => read.get(&loyalty_account_key(customer)).cloned().map(account_from).transpose()?,
            None => None,
        };
        // What the customer could spend now: lots past their time no longer count.
        let balance = self.customer().map(|_| {
            account.as_ref().map_or(0, |a| {
                let mut now_standing = a.clone();
                now_standing.expire(now);
                now_standing.balance
            })
        });
        let mut spending = None;
        if points > 0 {
            match points_value {
                Some(value) if value <= left => {}
                _ => problems.push(Problem::new(
                    "points_exceed_total",
                    format!("{points} points are worth more than the {left} minor units left to pay"),
                )),
            }
            if let Some(customer) = self.customer() {
                match spend(customer, points, self.order_id(), self.now).decide(read) {
                    Ok(step) => spending = Some(step),
                    Err(LoyaltyError::InsufficientPoints { balance }) => problems.push(Problem::new(
                        "insufficient_points",
                        format!("{points} points asked, the balance is {balance}"),
                    )),
                    Err(other) => return Err(other.into()),
                }
            }
        }
        let points_value = points_value.unwrap_or(0).min(left.max(0));
        let total = left - points_value;
        if self.request.cart_version.is_some_and(|v| v != self.cart.version) {
            problems.push(Problem::new("cart_changed", format!("the cart is at version {}", self.cart.version)));
        }
        if self.request.expected_total.is_some_and(|t| t.amount != total || t.currency.is_some_and(|c| c != currency)) {
            problems.push(Problem::new("total_changed", format!("the total is now {total}")));
        }
        let points_to_earn = match &account {
            Some(account) if currency == self.rules.currency => {
                let mut preview = account.clone();
                preview.earn(self.rules, self.order_id(), total, &self.request.channel, now).0.points
            }
            None if self.customer().is_some() && currency == self.rules.currency => {
                crate::loyalty::account::Account::default()
                    .earn(self.rules, self.order_id(), total, &self.request.channel, now)
                    .0
                    .points
            }
            _ => 0,
        };
        let offers = match (self.customer(), &self.shopper) {
            (Some(customer), Some(shopper)) => rank(
                self.offers
                    .iter()
                    .filter_map(|offer| {
                        let used =
                            |key: Key, limit: Option<u32>| limit.is_some_and(|l| count(read.get(&key)) >= i64::from(l));
                        let used_up = used(customer_count_key(&offer.offer_id, customer), offer.per_customer_limit)
                            || used(total_key(&offer.offer_id), offer.total_limit);
                        evaluate(offer, &priced_lines, shopper, now, used_up)
                    })
                    .collect(),
            ),
            _ => Vec::new(),
        };
        problems.sort_by_key(Problem::rank);
        let quote = Quote {
            ok: problems.is_empty(),
            problems,
            cart_id: self.cart.cart_id.clone(),
            cart_version: self.cart.version,
            currency,
            location_id,
            lines: quote_lines,
            subtotal: money(subtotal),
            discount,
            offers,
            points_redeemed: points,
            points_value: money(points_value),
            total: money(total),
            points_to_earn,
            points_balance: balance,
        };
        Ok(Assessed { quote, hold, redemption, spending, products })
    }

    /// The order the checkout writes, from its quote, held at `location_id` until `until`.
    fn order(
        &self,
        quote: &Quote,
        products: &BTreeMap<String, Product>,
        offer: Option<&Offer>,
        location_id: &str,
        until: i64,
    ) -> Order {
        let currency = quote.currency;
        let lines = self
            .lines()
            .into_iter()
            .filter_map(|(sku, qty)| {
                let product = products.get(&sku)?;
                let qty = i64::from(qty);
                Some(OrderLine {
                    sku,
                    name: product.name.clone(),
                    qty,
                    unit_price: product.price,
                    line_total: Money { amount: product.price.amount.saturating_mul(qty), currency },
                    returned_qty: 0,
                    discounted: quote.discount.is_some()
                        && offer.is_some_and(|o| o.applies_to.covers(product.sku.as_str(), &product.category)),
                    returned: Default::default(),
                })
            })
            .collect();
        let kind = match self.request.fulfilment {
            Wanted::Ship => FulfilmentType::Ship,
            Wanted::Pickup(_) => FulfilmentType::Pickup,
        };
        Order {
            order_id: self.order_id().to_owned(),
            status: OrderStatus::Placed,
            customer_id: self.request.customer_id.clone(),
            cart_id: self.cart.cart_id.clone(),
            channel: self.request.channel.clone(),
            fulfilment: Fulfilment { kind, location_id: location_id.to_owned() },
            currency,
            lines,
            subtotal: quote.subtotal,
            discount: quote.discount.clone(),
            points_redeemed: quote.points_redeemed,
            points_value: quote.points_value,
            total: quote.total,
            points_to_earn: quote.points_to_earn,
            points_earned: None,
            returns: Vec::new(),
            created_at: rfc3339(self.now),
            confirmed_at: None,
            fulfilled_at: None,
            cancelled_at: None,
            payment_reference: None,
            until,
            fingerprint: self.request.fingerprint.clone(),
            version: 1,
        }
    }

    /// The cart, closed as `ordered`, put only if nobody changed it since it was read.
    fn close_cart(&self) -> Result<WriteOp, StoreError> {
        let mut ordered = self.cart.clone();
        ordered.status = Status::Ordered;
        ordered.version = self.cart.version + 1;
        ordered.updated_at = rfc3339(self.now);
        put_if_version(&ordered, Some(self.cart.version))
    }
}

/// What a checkout answers: the order, and whether this call placed it.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    /// The order.
    pub order: Order,
    /// `false`: a repeat, answered from the order.
    pub first: bool,
}

/// The order stored under the checkout's id, answered as a repeat when it is this same
/// checkout, refused otherwise.
pub fn replay(existing: &omnicanal_store::Item, fingerprint: &str) -> Result<Placed, OrderError> {
    let order = Order::from_item(existing.clone())?;
    if order.fingerprint != fingerprint {
        return Err(OrderError::OrderIdReused);
    }
    Ok(Placed { order, first: false })
}

impl Plan for Checkout<'_> {
    type Answer = Placed;
    type Refusal = OrderError;

    fn reads(&self) -> Vec<Key> {
        self.keys()
    }

    fn decide(&self, read: &Reads) -> Result<Step<Placed>, OrderError> {
        if let Some(existing) = read.get(&order_key(self.order_id())) {
            return replay(existing, &self.request.fingerprint).map(Step::Done);
        }
        let Assessed { quote, hold, redemption, spending, products } = self.assess(read)?;
        if !quote.ok {
            let problems = quote.problems.clone();
            let quote = Box::new(serde_json::to_value(&quote).unwrap_or_default());
            return Err(OrderError::Refused { problems, quote });
        }
        let Some(hold) = hold else {
            return Err(StoreError::Invalid("a checkout without problems has a hold".into()).into());
        };
        let (mut ops, held) = match hold {
            Step::Clear(ops) => return Ok(Step::Clear(ops)),
            Step::Write { ops, then } => (ops, then),
            // The hold's id is the order's: held without the order is a checkout half-written,
            // which one transaction rules out.
            Step::Done(_) => return Err(StoreError::Invalid("the order's hold exists without the order".into()).into()),
        };
        for part in [redemption.map(|s| s.map(|_| ())), spending.map(|s| s.map(|_| ()))].into_iter().flatten() {
            match part {
                Step::Write { ops: more, .. } | Step::Clear(more) => ops.extend(more),
                // Counted already for this order id (a redemption or spend made through its own
                // route with the same id): it is this order's, once.
                Step::Done(()) => {}
            }
        }
        let offer = match &self.request.offer_id {
            Some(id) => read.get(&offer_key(id)).cloned().map(crate::offers::records::from_item).transpose()?,
            None => None,
        };
        let order =
            self.order(&quote, &products, offer.as_ref(), &held.reservation.location_id, held.reservation.until);
        ops.extend(order.create()?);
        ops.push(self.close_cart()?);
        if ops.len() > MAX_ACTIONS {
            let detail =
                format!("the checkout needs {} writes, more than the {MAX_ACTIONS} one transaction takes", ops.len());
            let mut quote = quote;
            quote.ok = false;
            quote.problems = vec![Problem::new("order_too_large", detail)];
            let problems = quote.problems.clone();
            return Err(OrderError::Refused {
                problems,
                quote: Box::new(serde_json::to_value(&quote).unwrap_or_default()),
            });
        }
        Ok(Step::Write { ops, then: Placed { order, first: true } })
    }
}
