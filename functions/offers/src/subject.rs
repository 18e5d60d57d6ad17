//! Whose behaviour or redemption a request is about: a customer acts for themself; a service
//! (POS, order system) names the customer in the body.

use omnicanal_domain::ids::CustomerId;
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::Call;

/// The customer id the request is for.
pub(crate) fn customer<S>(call: &Call<'_, S>, named: Option<&str>) -> Result<String, ApiError> {
    let caller = call.require(&[Role::Customer, Role::Service])?;
    if caller.has(Role::Service) {
        let id = named.map(CustomerId::parse).and_then(Result::ok);
        return id
            .map(CustomerId::into_string)
            .ok_or_else(|| ApiError::invalid("customer_id", "a service names the customer (1-255 characters)"));
    }
    match named {
        Some(id) if id != caller.sub => Err(ApiError::forbidden("a customer acts only for themself")),
        _ => Ok(caller.sub.clone()),
    }
}
