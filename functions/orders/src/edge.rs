//! The orders function on Cloudflare Workers: the fetch event handed to [`crate::handle`] over
//! the SigV4 HTTP DynamoDB adapter (see `omnicanal_hosts::worker`).

use bytes::Bytes;
use http_body_util::Full;
use worker::{Context, Env, HttpRequest, ScheduleContext, ScheduledEvent, event};

/// Every request of this Worker.
#[event(fetch)]
async fn fetch(request: HttpRequest, env: Env, _ctx: Context) -> worker::Result<http::Response<Full<Bytes>>> {
    omnicanal_hosts::worker::serve(request, &env, |request, env| async move { crate::handle(request, &env).await })
        .await
}

/// The cron trigger (`wrangler.toml`): expires placed orders past their time.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    match omnicanal_hosts::worker::env(&env) {
        Ok(env) => match crate::sweep(&env.store, &env.config.loyalty, env.clock.now(), 5_000).await {
            Ok(report) => worker::console_log!("sweep: {} orders expired, {} skipped", report.expired, report.skipped),
            Err(err) => worker::console_error!("sweep failed: {err}"),
        },
        Err(problem) => worker::console_error!("omnicanal configuration: {problem}"),
    }
}
