//! Product records: `PUT /stock/items/{sku}` (staff) and `GET /stock/items/{sku}` (anyone).
//! The mapping and keys are in `omnicanal_domain::catalog`, shared with offers and loyalty.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::catalog::{self, Product};
use omnicanal_domain::values::{Money, Sku};
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::error::{ApiError, FieldError};
use omnicanal_pipeline::http::{Call, json};
use omnicanal_platform::clock::rfc3339;
use omnicanal_store::{Store, put_create_or_replace};
use serde::Deserialize;

/// The largest stock count or threshold accepted.
const MAX_COUNT: u32 = 1_000_000_000;
/// The largest price accepted, in minor units (10 billion units of currency).
const MAX_PRICE: i64 = 1_000_000_000_000;

/// The body of `PUT /stock/items/{sku}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductBody {
    name: String,
    category: String,
    price: Money,
    #[serde(default)]
    safety_stock: u32,
    #[serde(default)]
    reorder_point: u32,
}

pub(crate) fn path_sku<S>(call: &Call<'_, S>) -> Result<Sku, ApiError> {
    Sku::parse(call.param("sku")?).map_err(|message| ApiError::BadRequest {
        code: "invalid_sku",
        detail: format!("the SKU in the path {message}"),
        errors: vec![FieldError::new("sku", message)],
    })
}

fn validate(body: &ProductBody) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let name_len = body.name.chars().count();
    if !(1..=200).contains(&name_len) || body.name.trim().is_empty() {
        errors.push(FieldError::new("name", "must be 1-200 characters"));
    }
    let category_ok = (1..=64).contains(&body.category.len())
        && body.category.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !category_ok {
        errors.push(FieldError::new("category", "must be 1-64 of a-z 0-9 - _"));
    }
    if !(0..=MAX_PRICE).contains(&body.price.amount) {
        errors.push(FieldError::new("price.amount", format!("must be between 0 and {MAX_PRICE} minor units")));
    }
    if body.safety_stock > MAX_COUNT {
        errors.push(FieldError::new("safety_stock", format!("must be at most {MAX_COUNT}")));
    }
    if body.reorder_point > MAX_COUNT {
        errors.push(FieldError::new("reorder_point", format!("must be at most {MAX_COUNT}")));
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
}

/// Creates (`201`) or replaces (`200`) a product record.
///
/// Cost: one put answering the record it replaced, which tells `201` from `200`.
pub(crate) async fn put<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    call.require(&[Role::Staff])?;
    let sku = path_sku(call)?;
    let body: ProductBody = call.json()?;
    validate(&body)?;
    let product = Product {
        sku,
        name: body.name,
        category: body.category,
        price: body.price,
        safety_stock: body.safety_stock,
        reorder_point: body.reorder_point,
        updated_at: rfc3339(call.now()),
    };
    let item = product.to_item()?;
    let status = if put_create_or_replace(&call.env.store, item).await? { StatusCode::CREATED } else { StatusCode::OK };
    json::response(status, &product)
}

/// Reads a product record. Cost: one read.
pub(crate) async fn get<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let sku = path_sku(call)?;
    let item = call
        .env
        .store
        .get(&catalog::product_key(&sku))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no product with SKU {sku}")))?;
    json::response(StatusCode::OK, &Product::from_item(item)?)
}
