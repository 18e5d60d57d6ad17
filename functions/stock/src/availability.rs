//! `GET /stock/availability` and `POST /stock/check`: what the caller's channel can sell,
//! per location and in total. Cost: 1 query (locations) + ⌈k·(1+n)/100⌉ batch reads for k
//! SKUs at n locations.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::ids::Quantity;
use omnicanal_domain::stock::reserve::WantedLine;
use omnicanal_domain::values::Sku;
use omnicanal_pipeline::error::{ApiError, FieldError};
use omnicanal_pipeline::http::{Call, json};
use omnicanal_store::Store;
use serde::{Deserialize, Serialize};

use crate::reads::{require_products, selling_locations, stock};
use omnicanal_domain::stock::records::Location;
use omnicanal_domain::stock::rules::sum_lines;
use omnicanal_domain::stock::view::StockView;

/// At most this many SKUs per availability call or check.
pub(crate) const MAX_SKUS: usize = 50;

#[derive(Serialize)]
struct LocationAvailability {
    location_id: String,
    available: i64,
}

#[derive(Serialize)]
struct ItemAvailability {
    sku: String,
    available: i64,
    in_stock: bool,
    low_stock: bool,
    locations: Vec<LocationAvailability>,
}

/// The availability of one SKU over `locations`. `low_stock`: in stock, but no more than the
/// product's reorder point available.
fn item(stock: &StockView, sku: &str, locations: &[Location], now: i64) -> ItemAvailability {
    let per_location: Vec<LocationAvailability> = locations
        .iter()
        .map(|l| LocationAvailability {
            location_id: l.location_id.clone(),
            available: stock.available(sku, &l.location_id, now),
        })
        .collect();
    let available: i64 = per_location.iter().map(|l| l.available).sum();
    let reorder_point = stock.reorder_point(sku);
    ItemAvailability {
        sku: sku.to_owned(),
        available,
        in_stock: available > 0,
        low_stock: available > 0 && available <= reorder_point,
        locations: per_location,
    }
}

fn location_param<S>(call: &Call<'_, S>) -> Result<Option<String>, ApiError> {
    let only = call.query_value("location_id")?;
    if let Some(id) = only
        && !omnicanal_pipeline::context::is_location_id(id)
    {
        return Err(ApiError::invalid("location_id", "must be 1-64 of A-Z a-z 0-9 _ -"));
    }
    Ok(only.map(str::to_owned))
}

/// Reads products and levels for `skus`, refusing unknown SKUs (`422`, field `field[i]`).
async fn read<S: Store>(
    call: &Call<'_, S>,
    skus: &[String],
    field: &str,
    only: Option<&str>,
) -> Result<(StockView, Vec<Location>), ApiError> {
    let locations = selling_locations(&call.env.store, &call.channel.to_string(), only).await?;
    let ids: Vec<String> = locations.iter().map(|l| l.location_id.clone()).collect();
    let mut unique: Vec<Sku> = skus.iter().filter_map(|s| Sku::parse(s).ok()).collect();
    unique.sort();
    unique.dedup();
    let stock = stock(&call.env.store, &unique, &ids).await?;
    // Query SKUs are `sku[i]`; body lines are `lines[i].sku`.
    let suffix = if field == "lines" { ".sku" } else { "" };
    let named: Vec<(String, String)> =
        skus.iter().enumerate().map(|(i, s)| (format!("{field}[{i}]{suffix}"), s.clone())).collect();
    require_products(&stock, &named)?;
    Ok((stock, locations))
}

/// `GET /stock/availability?sku=A&sku=B[&location_id=L]` (anyone).
pub(crate) async fn get<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let skus: Vec<String> = call.query_values("sku").into_iter().map(str::to_owned).collect();
    let mut errors = Vec::new();
    if skus.is_empty() || skus.len() > MAX_SKUS {
        errors.push(FieldError::new("sku", format!("give 1 to {MAX_SKUS} `sku` parameters")));
    }
    for (i, sku) in skus.iter().enumerate() {
        if let Err(message) = Sku::parse(sku) {
            errors.push(FieldError::new(format!("sku[{i}]"), message));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let only = location_param(call)?;
    let (stock, locations) = read(call, &skus, "sku", only.as_deref()).await?;
    let now = call.now().unix_timestamp();
    let mut seen = std::collections::BTreeSet::new();
    let items: Vec<ItemAvailability> =
        skus.iter().filter(|s| seen.insert((*s).clone())).map(|sku| item(&stock, sku, &locations, now)).collect();
    json::response(StatusCode::OK, &serde_json::json!({"items": items}))
}

/// A line of a check or a reservation.
#[derive(Deserialize, Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct LineBody {
    /// SKU.
    pub sku: String,
    /// Units, 1 to 1,000,000.
    pub qty: i64,
}

/// Parses lines into the command's lines: SKUs well-formed, quantities 1..=1e6,
/// 1..=[`MAX_SKUS`] lines; every problem at once.
pub(crate) fn parse_lines(lines: &[LineBody]) -> Result<Vec<WantedLine>, ApiError> {
    let mut errors = Vec::new();
    if lines.is_empty() || lines.len() > MAX_SKUS {
        errors.push(FieldError::new("lines", format!("give 1 to {MAX_SKUS} lines")));
    }
    let mut parsed = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let field = format!("lines[{i}].sku");
        let sku = Sku::parse(&line.sku).map_err(|m| errors.push(FieldError::new(field.clone(), m))).ok();
        let qty =
            Quantity::parse(line.qty).map_err(|m| errors.push(FieldError::new(format!("lines[{i}].qty"), m))).ok();
        if let (Some(sku), Some(qty)) = (sku, qty) {
            parsed.push(WantedLine { field, sku, qty });
        }
    }
    if errors.is_empty() { Ok(parsed) } else { Err(ApiError::Validation(errors)) }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    lines: Vec<LineBody>,
    location_id: Option<String>,
}

#[derive(Serialize)]
struct CheckedLine {
    sku: String,
    qty: i64,
    available: i64,
    ok: bool,
}

/// `POST /stock/check` (anyone): whether each line (quantities summed per SKU) can be
/// served for the caller's channel. Reads only; reserves nothing.
pub(crate) async fn check<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let body: CheckBody = call.json()?;
    parse_lines(&body.lines)?;
    if let Some(id) = &body.location_id
        && !omnicanal_pipeline::context::is_location_id(id)
    {
        return Err(ApiError::invalid("location_id", "must be 1-64 of A-Z a-z 0-9 _ -"));
    }
    let skus: Vec<String> = body.lines.iter().map(|l| l.sku.clone()).collect();
    let (stock, locations) = read(call, &skus, "lines", body.location_id.as_deref()).await?;
    let now = call.now().unix_timestamp();
    let wanted = sum_lines(body.lines.iter().map(|l| (l.sku.as_str(), l.qty)));
    let lines: Vec<CheckedLine> = wanted
        .iter()
        .map(|(sku, qty)| {
            let available = item(&stock, sku, &locations, now).available;
            CheckedLine { sku: sku.clone(), qty: *qty, available, ok: available >= *qty }
        })
        .collect();
    let ok = lines.iter().all(|l| l.ok);
    json::response(StatusCode::OK, &serde_json::json!({"ok": ok, "lines": lines}))
}
