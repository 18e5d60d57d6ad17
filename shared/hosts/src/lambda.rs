//! The AWS Lambda host: one binary per function, behind an API Gateway HTTP API.
//!
//! At cold start it parses the configuration from the environment, builds the SDK client
//! (region and credentials from the standard chain) and the token verifier, once, outside
//! the handler; then each invocation is converted to `http::Request<Bytes>`, handled by the
//! function's platform-neutral entry, and converted back. Errors are answers (problem JSON),
//! never invocation failures.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use lambda_http::{Body, Request, service_fn};

use omnicanal_dynamodb::sdk::SdkStore;
use omnicanal_pipeline::auth::Authenticator;
use omnicanal_pipeline::config::Config;
use omnicanal_pipeline::http::Env;
use omnicanal_platform::clock::{SharedClock, SystemClock};

/// The environment every invocation of this process shares.
pub type LambdaEnv = Arc<Env<SdkStore>>;

/// Builds the environment from the process environment: a verification key is required
/// (Lambda has no default).
pub async fn env_from_process() -> Result<LambdaEnv, String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    if config.jwt.key.is_none() {
        return Err("set one of OMNICANAL_JWT_SECRET, OMNICANAL_JWT_PUBLIC_KEY, OMNICANAL_JWT_JWKS".to_owned());
    }
    let clock: SharedClock = Arc::new(SystemClock);
    let store = SdkStore::connect(&config.table, config.dynamodb_endpoint.as_deref(), clock.clone()).await;
    let auth = Authenticator::new(&config.jwt).map_err(|e| e.to_string())?;
    Ok(Arc::new(Env { store, clock, config, auth }))
}

/// Runs `handler` (a function's entry) as this process's Lambda handler.
pub async fn run<H, Fut>(handler: H) -> Result<(), lambda_http::Error>
where
    H: Fn(http::Request<Bytes>, LambdaEnv) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = http::Response<Bytes>> + Send,
{
    lambda_http::tracing::init_default_subscriber();
    let env = env_from_process().await.map_err(|e| -> lambda_http::Error { e.into() })?;
    let handler = Arc::new(handler);
    lambda_http::run(service_fn(move |request: Request| {
        let (env, handler) = (env.clone(), handler.clone());
        async move {
            let client = client_address(&request);
            let (mut parts, body) = request.into_parts();
            if let Some(client) = client {
                parts.extensions.insert(client);
            }
            let request = http::Request::from_parts(parts, Bytes::copy_from_slice(body.as_ref()));
            Ok::<_, Infallible>(to_lambda(handler(request, env).await))
        }
    }))
    .await
}

/// The caller's address as API Gateway saw it (`sourceIp`).
fn client_address(request: &Request) -> Option<omnicanal_pipeline::context::ClientAddress> {
    use lambda_http::RequestExt as _;
    use lambda_http::request::RequestContext;
    let RequestContext::ApiGatewayV2(context) = request.request_context_ref()? else { return None };
    context.http.source_ip.clone().map(omnicanal_pipeline::context::ClientAddress)
}

/// Text bodies stay text (JSON is); anything else goes base64-encoded.
fn to_lambda(response: http::Response<Bytes>) -> http::Response<Body> {
    let (parts, bytes) = response.into_parts();
    let body = match String::from_utf8(bytes.to_vec()) {
        Ok(text) if text.is_empty() => Body::Empty,
        Ok(text) => Body::Text(text),
        Err(binary) => Body::Binary(binary.into_bytes()),
    };
    http::Response::from_parts(parts, body)
}

/// The error a Lambda main returns.
pub use lambda_http::Error;

/// The runtime itself, for non-HTTP handlers (the scheduled sweep).
pub use lambda_http::lambda_runtime;
