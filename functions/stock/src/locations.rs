//! `PUT /stock/locations/{location_id}` (staff): a warehouse or store, and the channels that
//! sell from it. Cost: 1 put answering the record it replaced, which tells `201` from `200`.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::context::{Channel, is_location_id};
use omnicanal_pipeline::error::{ApiError, FieldError};
use omnicanal_pipeline::http::{Call, json};
use omnicanal_platform::clock::rfc3339;
use omnicanal_store::{Store, put_create_or_replace};
use serde::Deserialize;

use omnicanal_domain::stock::records::{Location, LocationKind};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationBody {
    kind: LocationKind,
    name: String,
    channels: Vec<String>,
}

/// A location id from the path, or `400`.
pub(crate) fn path_location<S>(call: &Call<'_, S>) -> Result<String, ApiError> {
    let id = call.param("location_id")?;
    if is_location_id(id) {
        Ok(id.to_owned())
    } else {
        Err(ApiError::BadRequest {
            code: "invalid_path",
            detail: "a location id is 1-64 of A-Z a-z 0-9 _ -".into(),
            errors: vec![FieldError::new("location_id", "must be 1-64 of A-Z a-z 0-9 _ -")],
        })
    }
}

/// Creates (`201`) or replaces (`200`) a location, answering with it.
pub(crate) async fn put<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    call.require(&[Role::Staff])?;
    let location_id = path_location(call)?;
    let body: LocationBody = call.json()?;
    let mut errors = Vec::new();
    if !(1..=200).contains(&body.name.chars().count()) {
        errors.push(FieldError::new("name", "must be 1-200 characters"));
    }
    let mut channels = Vec::new();
    for (i, channel) in body.channels.iter().enumerate() {
        match Channel::parse(channel) {
            Ok(parsed) => channels.push(parsed.to_string()),
            Err(message) => errors.push(FieldError::new(format!("channels[{i}]"), message)),
        }
    }
    if body.channels.len() > 20 {
        errors.push(FieldError::new("channels", "at most 20 channels"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    channels.sort();
    channels.dedup();
    let location =
        Location { location_id, kind: body.kind, name: body.name, channels, updated_at: rfc3339(call.now()) };
    let created = put_create_or_replace(&call.env.store, location.to_item()?).await?;
    json::response(if created { StatusCode::CREATED } else { StatusCode::OK }, &location)
}
