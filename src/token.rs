//! `omnicanal token --sub ID --roles customer[,staff,service]`: a development token.

use clap::Args;
use omnicanal_pipeline::auth::{self, Role};
use omnicanal_pipeline::config::{Config, JwtKey};

use crate::dev_secret;

/// Arguments of `omnicanal token`.
#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    /// The subject: a customer id, or a staff or service caller id.
    #[arg(long)]
    sub: String,
    /// Comma-separated roles: customer, staff, service.
    #[arg(long, value_delimiter = ',', default_value = "customer")]
    roles: Vec<String>,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    ttl: i64,
}

/// Prints the token on stdout.
pub(crate) fn run(args: &TokenArgs) -> Result<(), String> {
    let mut config = Config::from_env().map_err(|e| e.to_string())?;
    dev_secret::ensure(&mut config)?;
    let Some(JwtKey::Secret(secret)) = &config.jwt.key else {
        return Err("minting needs an HS256 secret (OMNICANAL_JWT_SECRET); a public key can only verify".to_owned());
    };
    let roles = args
        .roles
        .iter()
        .map(|name| {
            Role::parse(name.trim()).ok_or_else(|| format!("unknown role `{name}`: use customer, staff, service"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !(1..=30 * 24 * 3600).contains(&args.ttl) {
        return Err("--ttl must be between 1 second and 30 days".to_owned());
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let token = auth::mint_hs256(
        secret,
        &args.sub,
        &roles,
        config.jwt.issuer.as_deref(),
        config.jwt.audience.as_deref(),
        now,
        args.ttl,
    )
    .map_err(|e| e.to_string())?;
    println!("{token}");
    Ok(())
}
