//! The request pipeline every function runs, whatever the host.
//!
//! A host builds one [`Env`] per cold start and calls a function's
//! `handle(http::Request<Bytes>, &Env<S>) -> http::Response<Bytes>`; the function calls
//! [`serve`] with its [`Routes`] and a dispatch function. `serve` does everything that is the
//! same for every route: request id, CORS, body limit and media type, channel, token
//! verification, routing (404/405), `Idempotency-Key` on `POST`, problem JSON for every error,
//! and one log line per request.

pub mod cors;
pub mod json;
pub mod router;

use std::future::Future;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use tracing::Instrument as _;

pub use router::{Params, Routes, Target};

use crate::auth::{self, AuthError, Authenticator, Caller, Role};
use crate::config::Config;
use crate::context::{self, Channel};
use crate::error::{ApiError, FieldError};
use crate::idempotency;
use crate::problem::problem_response;
use omnicanal_platform::clock::SharedClock;
use omnicanal_store::Store;

/// The largest request body accepted, in bytes (64 KiB).
pub const BODY_LIMIT: usize = 64 * 1024;

/// What a host builds once per cold start and lends to every request.
pub struct Env<S> {
    /// The table.
    pub store: S,
    /// The clock.
    pub clock: SharedClock,
    /// The configuration.
    pub config: Config,
    /// Token verification.
    pub auth: Authenticator,
}

/// One request as a handler sees it, after the pipeline's checks.
pub struct Call<'e, S> {
    /// The host's environment.
    pub env: &'e Env<S>,
    /// Method.
    pub method: Method,
    /// Path, without the query.
    pub path: String,
    /// Headers.
    pub headers: HeaderMap,
    /// Body (at most [`BODY_LIMIT`] bytes).
    pub body: Bytes,
    /// Path parameters.
    pub params: Params,
    /// Query parameters, in order.
    pub query: Vec<(String, String)>,
    /// The request id.
    pub request_id: String,
    /// The channel (`X-Channel`).
    pub channel: Channel,
    /// The client's address, when the host knows it ([`context::ClientAddress`]).
    pub client: Option<String>,
    caller: Result<Option<Caller>, AuthError>,
}

impl<S> Call<'_, S> {
    /// Path parameter `name` (routes guarantee it is present).
    pub fn param(&self, name: &str) -> Result<&str, ApiError> {
        self.params.get(name).ok_or_else(|| ApiError::internal(format!("route has no parameter {name}")))
    }

    /// Every value of query parameter `name`.
    pub fn query_values(&self, name: &str) -> Vec<&str> {
        self.query.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    /// The single value of query parameter `name`, if given; `400` if given twice.
    pub fn query_value(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.query_values(name).as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            _ => Err(ApiError::BadRequest {
                code: "invalid_query",
                detail: format!("query parameter `{name}` may appear once"),
                errors: vec![FieldError::new(name, "given more than once")],
            }),
        }
    }

    /// The `limit` (1 to `max`, `default` when absent) and `cursor` of a paged listing.
    pub fn paging(&self, default: u32, max: u32) -> Result<(u32, Option<omnicanal_store::Cursor>), ApiError> {
        let limit = match self.query_value("limit")? {
            None => default,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| ApiError::invalid("limit", format!("must be 1-{max}")))?,
        };
        Ok((limit, self.query_value("cursor")?.map(omnicanal_store::Cursor::from_client)))
    }

    /// The body parsed as `T` (see [`json::parse`]).
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        json::parse(&self.body)
    }

    /// The caller, if a valid token was sent; `401` if a token was sent but is invalid.
    pub fn caller(&self) -> Result<Option<&Caller>, ApiError> {
        match &self.caller {
            Ok(caller) => Ok(caller.as_ref()),
            Err(err) => Err(ApiError::Unauthenticated(err.clone())),
        }
    }

    /// The caller, who must have one of `roles`: `401` without a valid token, `403` without
    /// the role.
    pub fn require(&self, roles: &[Role]) -> Result<&Caller, ApiError> {
        let caller = self.caller()?.ok_or(ApiError::Unauthenticated(AuthError::Missing))?;
        if caller.has_any(roles) {
            Ok(caller)
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::forbidden(format!("this needs one of the roles: {}", names.join(", "))))
        }
    }

    /// The current time.
    pub fn now(&self) -> time::OffsetDateTime {
        self.env.clock.now()
    }
}

/// `GET <prefix>/health`: `200 {"status":"ok"}`, no auth.
fn health() -> Result<Response<Bytes>, ApiError> {
    json::response(StatusCode::OK, &serde_json::json!({"status": "ok"}))
}

/// Answers a request no function owns (an unknown prefix on a host that serves several
/// functions): `404 route_not_found` as problem JSON, with the usual request id and CORS.
pub async fn unrouted<S: Store>(request: Request<Bytes>, env: &Env<S>) -> Response<Bytes> {
    #[derive(Clone, Copy)]
    enum Never {}
    async fn none<S>(_call: Call<'_, S>, route: Never) -> Result<Response<Bytes>, ApiError> {
        match route {}
    }
    serve(request, env, &Routes::<Never>::empty(), none).await
}

/// Runs one request through the pipeline and `dispatch`. Never fails: every error becomes
/// problem JSON.
pub async fn serve<'e, S, R, F, Fut>(
    request: Request<Bytes>,
    env: &'e Env<S>,
    routes: &Routes<R>,
    dispatch: F,
) -> Response<Bytes>
where
    S: Store,
    R: Copy,
    F: FnOnce(Call<'e, S>, R) -> Fut,
    Fut: Future<Output = Result<Response<Bytes>, ApiError>>,
{
    let started = env.clock.now();
    let (parts, body) = request.into_parts();
    let request_id = context::request_id(parts.headers.get(context::REQUEST_ID_HEADER));
    let origin = parts.headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    // An error-level span: it is enabled whenever error lines are (at `RUST_LOG=warn` too),
    // so every line of the request carries its id.
    let span = tracing::error_span!("request", request_id = %request_id, method = %method, path = %path);

    let mut response = async {
        if cors::is_preflight(&parts.method, &parts.headers) {
            return cors::preflight(&env.config.cors_origins, origin.as_deref());
        }
        let outcome = match prepare(parts, body, env, routes, &request_id) {
            Ok((_, Target::Health)) => health(),
            Ok((call, Target::Route(route))) => run(call, route, dispatch).await,
            Err(err) => Err(err),
        };
        outcome.unwrap_or_else(|err| {
            // Logged once, here, with its sources. A store outage was logged with its cause
            // where it became `Unavailable` (which keeps no source).
            if err.status().is_server_error() && !matches!(err, ApiError::Unavailable { .. }) {
                tracing::error!(code = err.code(), error = %crate::error::chain(&err), "request failed");
            }
            problem_response(&err, &request_id)
        })
    }
    .instrument(span.clone())
    .await;

    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(context::REQUEST_ID_HEADER, value);
    }
    cors::decorate(headers, &env.config.cors_origins, origin.as_deref());
    let elapsed_ms = (env.clock.now() - started).whole_microseconds() as f64 / 1000.0;
    // The span carries the request id for every line; the summary line also has it at the
    // top level, where log queries look first.
    span.in_scope(
        || tracing::info!(request_id = %request_id, status = response.status().as_u16(), elapsed_ms, "handled"),
    );
    response
}

/// The checks before routing: body size and type, channel, route, token.
fn prepare<'e, S, R: Copy>(
    parts: http::request::Parts,
    body: Bytes,
    env: &'e Env<S>,
    routes: &Routes<R>,
    request_id: &str,
) -> Result<(Call<'e, S>, Target<R>), ApiError> {
    if body.len() > BODY_LIMIT {
        return Err(ApiError::PayloadTooLarge { limit: BODY_LIMIT });
    }
    // A body must say it is JSON in UTF-8: a body without `Content-Type` is refused too, so a
    // form post or a mislabelled upload never reaches a parser that would guess.
    let labelled_json =
        parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(json::is_json_content_type);
    if !body.is_empty() && !labelled_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let (route, params) = routes.find(&parts.method, parts.uri.path())?;
    let channel = context::channel(parts.headers.get(context::CHANNEL_HEADER))?;
    let query =
        parts.uri.query().map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let caller = verify_caller(&parts.headers, &env.auth, env.clock.epoch_secs());
    Ok((
        Call {
            env,
            method: parts.method,
            path: parts.uri.path().to_owned(),
            headers: parts.headers,
            body,
            params,
            query,
            request_id: request_id.to_owned(),
            channel,
            client: parts.extensions.get::<context::ClientAddress>().map(|address| address.0.clone()),
            caller,
        },
        route,
    ))
}

/// Verifies the bearer token, if any. The outcome is kept and only surfaces when a handler
/// asks for the caller, so public routes work whatever the header holds.
fn verify_caller(headers: &HeaderMap, auth: &Authenticator, now: i64) -> Result<Option<Caller>, AuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| AuthError::Malformed)?;
    let token = auth::bearer_token(text)?;
    auth.verify(token, now).map(Some)
}

/// Runs the handler, under the `Idempotency-Key` protocol for `POST`s that carry one.
async fn run<'e, S, R, F, Fut>(call: Call<'e, S>, route: R, dispatch: F) -> Result<Response<Bytes>, ApiError>
where
    S: Store,
    F: FnOnce(Call<'e, S>, R) -> Fut,
    Fut: Future<Output = Result<Response<Bytes>, ApiError>>,
{
    if call.method != Method::POST {
        // Only POSTs create; every other method is idempotent by itself.
        return dispatch(call, route).await;
    }
    let key = idempotency::key_from_headers(&call.headers)?;
    let (Some(key), Ok(caller)) = (key, &call.caller) else {
        // An invalid token skips the protocol: the handler will answer 401 or not need it.
        return dispatch(call, route).await;
    };
    let env = call.env;
    let scope = idempotency::Scope {
        caller: caller.as_ref().map(|c| c.sub.clone()),
        // Strangers share no identity: an anonymous key is theirs per client address, so no
        // one replays the cart (and its capability) someone else created under that key.
        client: if caller.is_none() { call.client.clone() } else { None },
        method: call.method.to_string(),
        path: call.path.clone(),
    };
    let fingerprint = idempotency::fingerprint(&call.method, &call.path, &call.query, &call.body);
    let request_id = call.request_id.clone();
    match idempotency::begin(&env.store, env.clock.as_ref(), &scope, &key, &fingerprint).await? {
        idempotency::Begin::Replay(response) => Ok(response),
        idempotency::Begin::Proceed(lock) => {
            let response = dispatch(call, route).await.unwrap_or_else(|err| problem_response(&err, &request_id));
            lock.finish(&env.store, env.clock.as_ref(), &response).await;
            Ok(response)
        }
    }
}

#[cfg(test)]
#[path = "logging_tests.rs"]
mod logging_tests;
