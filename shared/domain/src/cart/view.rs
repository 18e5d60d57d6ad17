//! The cart as the API shows it: live lines only (tombstones are internal), and its `ETag`.

use serde::Serialize;

use crate::cart::model::{Cart, Status};

/// One line as clients see it.
#[derive(Serialize)]
pub struct LineView<'a> {
    sku: &'a str,
    qty: u32,
    updated_at: &'a str,
    channel: &'a str,
}

/// The contract's cart shape.
#[derive(Serialize)]
pub struct CartView<'a> {
    cart_id: &'a str,
    customer_id: Option<&'a str>,
    version: u64,
    status: Status,
    lines: Vec<LineView<'a>>,
    updated_at: &'a str,
    expires_at: Option<String>,
}

impl<'a> CartView<'a> {
    /// The view of `cart`.
    pub fn of(cart: &'a Cart) -> Self {
        Self {
            cart_id: &cart.cart_id,
            customer_id: cart.customer_id.as_deref(),
            version: cart.version,
            status: cart.status,
            lines: cart
                .live_lines()
                .map(|(sku, line)| LineView {
                    sku,
                    qty: line.qty,
                    updated_at: &line.updated_at,
                    channel: &line.channel,
                })
                .collect(),
            updated_at: &cart.updated_at,
            expires_at: cart
                .expires_at
                .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok())
                .map(omnicanal_platform::clock::rfc3339),
        }
    }
}

/// The `ETag` of a cart version: a strong tag of the version number.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}
