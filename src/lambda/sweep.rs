//! The scheduled sweep on AWS Lambda (an EventBridge schedule in `template.yaml`): releases
//! expired stock holds, writes off lapsed loyalty points and expires placed orders past their
//! time, with the same functions `omnicanal sweep` and the Workers' cron triggers run.
// The handler future nests the pipeline, the route and the read-decide-write loop of
// omnicanal_domain::plan; computing its layout takes more than the default 128 levels of
// the compiler's query depth.
#![recursion_limit = "256"]

use omnicanal_hosts::lambda::lambda_runtime::{self, LambdaEvent, service_fn};
use omnicanal_hosts::lambda::{Error, env_from_process};

/// The most holds, accounts or orders one run handles; the next run continues.
const LIMIT: usize = 5_000;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let env = env_from_process().await.map_err(Error::from)?;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| {
        let env = env.clone();
        async move {
            let stock =
                omnicanal_stock::sweep(&env.store, env.clock.epoch_secs(), LIMIT).await.map_err(|e| e.to_string())?;
            let accounts =
                omnicanal_loyalty::sweep(&env.store, env.clock.now(), LIMIT).await.map_err(|e| e.to_string())?;
            let orders = omnicanal_orders::sweep(&env.store, &env.config.loyalty, env.clock.now(), LIMIT)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, Error>(serde_json::json!({
                "reservations_expired": stock.expired,
                "reservations_skipped": stock.skipped,
                "loyalty_accounts_expired": accounts,
                "orders_expired": orders.expired,
                "orders_skipped": orders.skipped,
            }))
        }
    }))
    .await
}
