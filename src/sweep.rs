//! `omnicanal sweep`: releases expired stock holds once, on the configured store. Hosts
//! schedule the same function (`omnicanal_stock::sweep`).

use std::sync::Arc;

use omnicanal_shared::clock::{Clock as _, SystemClock};
use omnicanal_shared::config::Config;

use crate::any_store;

/// The most reservations one run releases.
const LIMIT: usize = 10_000;

/// Runs one sweep and prints what it did as JSON.
pub fn run() -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?;
    runtime.block_on(async {
        let clock = Arc::new(SystemClock);
        let store = any_store::open(&config, clock.clone()).await?;
        let report = omnicanal_stock::sweep(&store, clock.epoch_secs(), LIMIT).await.map_err(|e| e.to_string())?;
        println!("{}", serde_json::json!({"expired": report.expired, "skipped": report.skipped}));
        Ok(())
    })
}
