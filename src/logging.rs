//! JSON logs on stdout, one object per line, with the request id of the request they belong
//! to (the pipeline opens a `request` span carrying it). `RUST_LOG` filters (default `info`).

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber for the process.
pub(crate) fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .init();
}
