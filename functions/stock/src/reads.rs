//! The reads every stock decision starts from: locations, product records and levels,
//! fetched in as few round trips as the table allows.

use omnicanal_domain::plan;
use omnicanal_domain::stock::records::Location;
use omnicanal_domain::stock::rules;
use omnicanal_domain::stock::view::StockView;
use omnicanal_domain::values::Sku;
use omnicanal_pipeline::error::ApiError;
use omnicanal_store::{Store, StoreError};

/// Every location (1 query per 1000).
pub(crate) use omnicanal_domain::stock::records::all_locations as locations;

/// Products and their levels at some locations: ⌈k·(1+n)/100⌉ batch reads for k SKUs at n
/// locations.
pub(crate) async fn stock<S: Store>(store: &S, skus: &[Sku], location_ids: &[String]) -> Result<StockView, StoreError> {
    StockView::from_reads(&plan::read(store, &StockView::keys(skus, location_ids)).await?, skus, location_ids)
}

/// `422` naming the SKUs (at their field) that have no product record.
pub(crate) fn require_products(view: &StockView, named: &[(String, String)]) -> Result<(), ApiError> {
    let errors = view.unknown_products(named);
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
}

/// The locations that sell to `channel`, narrowed to `only` when given (`422` if `only` is
/// not a known location).
pub(crate) async fn selling_locations<S: Store>(
    store: &S,
    channel: &str,
    only: Option<&str>,
) -> Result<Vec<Location>, ApiError> {
    let all = locations(store).await?;
    if let Some(only) = only
        && !all.iter().any(|l| l.location_id == only)
    {
        return Err(ApiError::invalid("location_id", format!("no location {only}")));
    }
    Ok(all.into_iter().filter(|l| rules::sells_to(l, channel) && only.is_none_or(|o| o == l.location_id)).collect())
}
