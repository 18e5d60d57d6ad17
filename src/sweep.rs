//! `omnicanal sweep`: releases expired stock holds, writes off lapsed loyalty points and
//! expires placed orders past their time once, on the configured store. Hosts schedule the
//! same functions (`omnicanal_stock::sweep`, `omnicanal_loyalty::sweep`,
//! `omnicanal_orders::sweep`).

use std::sync::Arc;

use omnicanal_pipeline::config::Config;
use omnicanal_platform::clock::{Clock as _, SystemClock};

use crate::any_store;

/// The most reservations, accounts or orders one run handles.
const LIMIT: usize = 10_000;

/// Runs one sweep and prints what it did as JSON.
pub(crate) fn run() -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?;
    runtime.block_on(async {
        let clock = Arc::new(SystemClock);
        let store = any_store::open(&config, clock.clone()).await?;
        let report = omnicanal_stock::sweep(&store, clock.epoch_secs(), LIMIT).await.map_err(|e| e.to_string())?;
        let accounts = omnicanal_loyalty::sweep(&store, clock.now(), LIMIT).await.map_err(|e| e.to_string())?;
        let orders =
            omnicanal_orders::sweep(&store, &config.loyalty, clock.now(), LIMIT).await.map_err(|e| e.to_string())?;
        let summary = serde_json::json!({
            "reservations_expired": report.expired,
            "reservations_skipped": report.skipped,
            "loyalty_accounts_expired": accounts,
            "orders_expired": orders.expired,
            "orders_skipped": orders.skipped,
        });
        println!("{summary}");
        Ok(())
    })
}
