//! `omnicanal table create`: creates the single table (keys, GSI, TTL) on a DynamoDB endpoint
//! from the one definition in `omnicanal_dynamodb::table`, the one
//! `template.yaml` declares. Idempotent: an existing table is left alone.

use std::sync::Arc;

use aws_credential_types::provider::ProvideCredentials as _;
use clap::{Args, Subcommand};
use omnicanal_dynamodb::http::{HttpConfig, HttpStore};
use omnicanal_dynamodb::native_transport::ReqwestTransport;
use omnicanal_dynamodb::table::ensure_table;
use omnicanal_pipeline::config::{DYNAMODB_ENDPOINT, TABLE};
use omnicanal_platform::clock::SystemClock;

/// Table administration.
#[derive(Debug, Subcommand)]
pub(crate) enum TableCommand {
    /// Create the table (keys, GSI `gsi1`, TTL on `expires_at`) if it does not exist.
    Create(TableArgs),
}

/// Where the table is.
#[derive(Debug, Args)]
pub(crate) struct TableArgs {
    /// DynamoDB endpoint, e.g. http://127.0.0.1:8000 for a local server; AWS's regional
    /// endpoint when absent.
    #[arg(long, env = DYNAMODB_ENDPOINT)]
    endpoint: Option<String>,
    /// Table name.
    #[arg(long, env = TABLE, default_value = "omnicanal")]
    table: String,
}

/// Runs a table command.
pub(crate) fn run(command: &TableCommand) -> Result<(), String> {
    let TableCommand::Create(args) = command;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?;
    runtime.block_on(create(args))
}

async fn create(args: &TableArgs) -> Result<(), String> {
    // Region and credentials from the standard AWS chain; a local endpoint accepts any.
    let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let region = shared.region().map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
    let local = args.endpoint.as_deref().is_some_and(|e| e.starts_with("http://"));
    let credentials = match shared.credentials_provider() {
        Some(provider) => match provider.provide_credentials().await {
            Ok(found) => Some(found),
            Err(_) if local => None,
            Err(err) => return Err(format!("no AWS credentials: {err}")),
        },
        None => None,
    };
    let (access_key_id, secret_access_key, session_token) = match &credentials {
        Some(c) => {
            (c.access_key_id().to_owned(), c.secret_access_key().to_owned(), c.session_token().map(str::to_owned))
        }
        None if local => ("local".to_owned(), "local".to_owned(), None),
        None => return Err("no AWS credentials found".to_owned()),
    };
    let config = HttpConfig {
        endpoint: args.endpoint.clone().unwrap_or_else(|| HttpConfig::aws_endpoint(&region)),
        region,
        table: args.table.clone(),
        access_key_id,
        secret_access_key,
        session_token,
    };
    let endpoint = config.endpoint.clone();
    let store = HttpStore::new(ReqwestTransport::new()?, config, Arc::new(SystemClock));
    ensure_table(&store).await.map_err(|e| format!("creating table {} on {endpoint}: {e}", args.table))?;
    println!("table {} is ready on {endpoint}", args.table);
    Ok(())
}
