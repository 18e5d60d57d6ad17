//! The offers function on Cloudflare Workers: the fetch event handed to [`crate::handle`] over
//! the SigV4 HTTP DynamoDB adapter (see `omnicanal_hosts::worker`).

use bytes::Bytes;
use http_body_util::Full;
use worker::{Context, Env, HttpRequest, event};

/// Every request of this Worker.
#[event(fetch)]
async fn fetch(request: HttpRequest, env: Env, _ctx: Context) -> worker::Result<http::Response<Full<Bytes>>> {
    omnicanal_hosts::worker::serve(request, &env, |request, env| async move { crate::handle(request, &env).await })
        .await
}
