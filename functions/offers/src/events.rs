//! `POST /offers/events` (customer, service): behaviour from any channel feeds the
//! customer's category affinity. One read and one conditional write per batch.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::catalog::{self, Product};
use omnicanal_domain::plan;
use omnicanal_domain::values::Sku;
use omnicanal_pipeline::error::{ApiError, FieldError};
use omnicanal_pipeline::http::{Call, json};
use omnicanal_platform::clock::parse_rfc3339;
use omnicanal_store::Store;
use serde::Deserialize;
use serde_json::json;

use crate::subject;
use omnicanal_domain::offers::profile::{Event, EventType, Profile, RecordEvents};

/// At most this many events per call.
pub(crate) const MAX_EVENTS: usize = 100;
/// Rounds of read–decide–write before answering busy (other events of the same customer).
const MAX_ATTEMPTS: u32 = 16;
/// Client times further ahead than this are clamped to server time.
const MAX_AHEAD_SECS: i64 = 300;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsBody {
    #[serde(default)]
    customer_id: Option<String>,
    events: Vec<EventBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventBody {
    #[serde(rename = "type")]
    kind: EventType,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    category: Option<String>,
    at: String,
}

/// The half-life of affinity, in seconds.
pub(crate) fn half_life<S>(call: &Call<'_, S>) -> f64 {
    f64::from(call.env.config.affinity_half_life_days) * 86_400.0
}

/// Records the events; answers the customer's affinity now.
pub(crate) async fn record<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let body: EventsBody = call.json()?;
    let customer = subject::customer(call, body.customer_id.as_deref())?;
    let now = call.now().unix_timestamp();
    let mut errors = Vec::new();
    if body.events.is_empty() || body.events.len() > MAX_EVENTS {
        errors.push(FieldError::new("events", format!("send 1 to {MAX_EVENTS} events")));
    }
    let mut parsed = Vec::with_capacity(body.events.len());
    for (i, event) in body.events.iter().enumerate() {
        let at = parse_rfc3339(&event.at)
            .map(|t| t.unix_timestamp())
            .map(|t| if t > now + MAX_AHEAD_SECS { now } else { t });
        if at.is_none() {
            errors.push(FieldError::new(format!("events[{i}].at"), "must be an RFC 3339 time"));
        }
        if let Some(sku) = &event.sku
            && Sku::parse(sku).is_err()
        {
            errors.push(FieldError::new(format!("events[{i}].sku"), "is not a SKU"));
        }
        let category_ok = event.category.as_deref().is_none_or(|c| {
            (1..=64).contains(&c.len())
                && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        });
        if !category_ok {
            errors.push(FieldError::new(format!("events[{i}].category"), "must be 1-64 of a-z 0-9 - _"));
        }
        if event.sku.is_none() && event.category.is_none() {
            errors.push(FieldError::new(format!("events[{i}]"), "name a sku or a category"));
        }
        parsed.push((event, at.unwrap_or(now)));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let categories = categories_of(call, &body.events).await?;
    let half = half_life(call);
    let events = parsed
        .iter()
        .zip(categories)
        .map(|((event, at), category)| Event { category, kind: event.kind, at: *at })
        .collect();
    let record = RecordEvents { customer_id: customer.clone(), events, now, half_life_secs: half };
    let profile: Profile = plan::execute::<_, _, ApiError>(&call.env.store, MAX_ATTEMPTS, &record).await?;
    let affinity = profile.decayed(now, half);
    json::response(StatusCode::OK, &json!({"customer_id": customer, "affinity": affinity}))
}

/// Each event's category: its own, or its product's (one batch read for those).
async fn categories_of<S: Store>(call: &Call<'_, S>, events: &[EventBody]) -> Result<Vec<String>, ApiError> {
    let mut wanted: Vec<String> =
        events.iter().filter(|e| e.category.is_none()).filter_map(|e| e.sku.clone()).collect();
    wanted.sort();
    wanted.dedup();
    let mut known = BTreeMap::new();
    if !wanted.is_empty() {
        let keys: Vec<_> = wanted.iter().filter_map(|s| Sku::parse(s).ok()).map(|s| catalog::product_key(&s)).collect();
        for item in call.env.store.batch_get(&keys).await?.into_iter().flatten() {
            let product = Product::from_item(item)?;
            known.insert(product.sku.as_str().to_owned(), product.category);
        }
    }
    let mut errors = Vec::new();
    let categories = events
        .iter()
        .enumerate()
        .map(|(i, e)| match (&e.category, &e.sku) {
            (Some(c), _) => c.clone(),
            (None, Some(sku)) => known.get(sku).cloned().unwrap_or_else(|| {
                errors.push(FieldError::new(format!("events[{i}].sku"), format!("no product with SKU {sku}")));
                String::new()
            }),
            (None, None) => String::new(),
        })
        .collect();
    if errors.is_empty() { Ok(categories) } else { Err(ApiError::Validation(errors)) }
}
