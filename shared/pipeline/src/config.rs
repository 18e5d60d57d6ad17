//! Typed configuration, parsed once per cold start from environment variables (Lambda, the
//! local server) or Worker vars and secrets.
//!
//! The names are the same on every host. Parsing takes a lookup function rather than reading
//! `std::env` so that a Worker can pass its bindings and tests can pass a map. Every problem
//! is reported at once, each naming its variable.

use std::fmt;
use std::path::PathBuf;

/// Where the local server binds.
pub const ADDR: &str = "OMNICANAL_ADDR";
/// Which Store adapter the local server uses: `embedded`, `memory` or `dynamodb`.
pub const STORE: &str = "OMNICANAL_STORE";
/// The embedded store's folder (and the local server's generated secret).
pub const DATA_DIR: &str = "OMNICANAL_DATA_DIR";
/// The DynamoDB table name.
pub const TABLE: &str = "OMNICANAL_TABLE";
/// An endpoint override for DynamoDB-compatible servers.
pub const DYNAMODB_ENDPOINT: &str = "OMNICANAL_DYNAMODB_ENDPOINT";
/// HS256 shared secret.
pub const JWT_SECRET: &str = "OMNICANAL_JWT_SECRET";
/// RS256 or ES256 public key, PEM.
pub const JWT_PUBLIC_KEY: &str = "OMNICANAL_JWT_PUBLIC_KEY";
/// A JWKS document (JSON) with RS256/ES256 public keys.
pub const JWT_JWKS: &str = "OMNICANAL_JWT_JWKS";
/// Required `iss` of tokens, when set.
pub const JWT_ISSUER: &str = "OMNICANAL_JWT_ISSUER";
/// Required `aud` of tokens, when set.
pub const JWT_AUDIENCE: &str = "OMNICANAL_JWT_AUDIENCE";
/// Allowed CORS origins: comma-separated origins, or `*`.
pub const CORS_ORIGINS: &str = "OMNICANAL_CORS_ORIGINS";
/// Lifetime of anonymous carts, in seconds.
pub const CART_TTL_SECONDS: &str = "OMNICANAL_CART_TTL_SECONDS";
/// How long the local server waits for a request's headers, in seconds.
pub const HEADER_READ_TIMEOUT_SECONDS: &str = "OMNICANAL_HEADER_READ_TIMEOUT_SECONDS";
/// The longest hold an anonymous cart's holder may ask for, in seconds.
pub const CART_HOLD_SECONDS: &str = "OMNICANAL_CART_HOLD_SECONDS";
/// The loyalty rules, a JSON document (see `loyalty_rules::LoyaltyRules`).
pub const LOYALTY_RULES: &str = "OMNICANAL_LOYALTY_RULES";
/// Half-life of a customer's category affinity, in days (offers).
pub const AFFINITY_HALF_LIFE_DAYS: &str = "OMNICANAL_AFFINITY_HALF_LIFE_DAYS";

/// The shortest HS256 secret accepted: 256 bits, as RFC 7518 §3.2 requires.
pub const MIN_SECRET_BYTES: usize = 32;

/// Which Store adapter a host uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// The durable file-backed store (local server default).
    Embedded,
    /// In memory, gone at exit.
    Memory,
    /// A DynamoDB table (AWS or a compatible server).
    DynamoDb,
}

/// The key that verifies tokens; exactly one source may be configured.
#[derive(Clone, PartialEq, Eq)]
pub enum JwtKey {
    /// HS256 with this shared secret.
    Secret(Vec<u8>),
    /// RS256 or ES256 with this PEM public key (the key type decides the algorithm).
    PublicKeyPem(String),
    /// RS256/ES256 keys from this JWKS document, chosen by `kid`.
    Jwks(String),
}

impl fmt::Debug for JwtKey {
    // Never print a secret, even in a debug log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Secret(_) => f.write_str("Secret(<redacted>)"),
            Self::PublicKeyPem(_) => f.write_str("PublicKeyPem(..)"),
            Self::Jwks(_) => f.write_str("Jwks(..)"),
        }
    }
}

/// Token verification settings.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct JwtConfig {
    /// The verification key; `None` only where a host supplies its own default (the local
    /// server creates a secret in its data dir; no other host has a default).
    pub key: Option<JwtKey>,
    /// Required issuer.
    pub issuer: Option<String>,
    /// Required audience.
    pub audience: Option<String>,
}

/// Which browser origins may call the API.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum CorsOrigins {
    /// No cross-origin access (the default).
    #[default]
    None,
    /// Any origin (`*`).
    Any,
    /// Exactly these origins (`scheme://host[:port]`).
    List(Vec<String>),
}

impl CorsOrigins {
    /// Whether a request from `origin` may read the answer.
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            Self::None => false,
            Self::Any => true,
            Self::List(list) => list.iter().any(|allowed| allowed == origin),
        }
    }
}

/// The whole configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Local server bind address (`127.0.0.1:8080`).
    pub addr: String,
    /// Store adapter.
    pub store: StoreKind,
    /// Embedded store folder (`.omnicanal`).
    pub data_dir: PathBuf,
    /// Table name (`omnicanal`).
    pub table: String,
    /// Endpoint override for DynamoDB.
    pub dynamodb_endpoint: Option<String>,
    /// Token verification.
    pub jwt: JwtConfig,
    /// CORS.
    pub cors_origins: CorsOrigins,
    /// Anonymous cart lifetime in seconds (30 days).
    pub cart_ttl_seconds: u64,
    /// How long the local server waits for a request's headers before it closes the
    /// connection, in seconds (10).
    pub header_read_timeout_secs: u64,
    /// The longest hold an anonymous cart's holder may place, in seconds (15 minutes): a
    /// cart id proves no more than a shopper about to pay.
    pub cart_hold_seconds: i64,
    /// Half-life of category affinity, in days (default 14).
    pub affinity_half_life_days: u32,
    /// The loyalty programme's rules.
    pub loyalty: omnicanal_domain::loyalty::rules::LoyaltyRules,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:8080".to_owned(),
            store: StoreKind::Embedded,
            data_dir: PathBuf::from(".omnicanal"),
            table: "omnicanal".to_owned(),
            dynamodb_endpoint: None,
            jwt: JwtConfig::default(),
            cors_origins: CorsOrigins::None,
            cart_ttl_seconds: 30 * 24 * 3600,
            cart_hold_seconds: 15 * 60,
            header_read_timeout_secs: 10,
            affinity_half_life_days: 14,
            loyalty: omnicanal_domain::loyalty::rules::LoyaltyRules::default(),
        }
    }
}

/// One configuration problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The variable at fault.
    pub var: &'static str,
    /// What is wrong with it.
    pub message: String,
}

/// Every problem found while parsing the configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {}", .problems.iter().map(|p| format!("{}: {}", p.var, p.message)).collect::<Vec<_>>().join("; "))]
pub struct ConfigError {
    /// The problems, in variable order.
    pub problems: Vec<ConfigProblem>,
}

impl Config {
    /// Reads the process environment (native hosts).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Parses the configuration from a lookup of variable names; empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut problems = Vec::new();
        let mut config = Self::default();

        if let Some(addr) = get(ADDR) {
            if addr.parse::<std::net::SocketAddr>().is_ok() {
                config.addr = addr;
            } else {
                problems.push(problem(ADDR, format!("`{addr}` is not host:port (e.g. 127.0.0.1:8080)")));
            }
        }
        if let Some(store) = get(STORE) {
            match store.trim() {
                "embedded" => config.store = StoreKind::Embedded,
                "memory" => config.store = StoreKind::Memory,
                "dynamodb" => config.store = StoreKind::DynamoDb,
                other => problems.push(problem(STORE, format!("`{other}` is not one of embedded, memory, dynamodb"))),
            }
        }
        if let Some(dir) = get(DATA_DIR) {
            config.data_dir = PathBuf::from(dir);
        }
        if let Some(table) = get(TABLE) {
            if valid_table_name(&table) {
                config.table = table;
            } else {
                problems.push(problem(TABLE, "must be 3-255 of A-Z a-z 0-9 _ - .".to_owned()));
            }
        }
        if let Some(endpoint) = get(DYNAMODB_ENDPOINT) {
            if endpoint.starts_with("http://") || endpoint.starts_with("https://") {
                config.dynamodb_endpoint = Some(endpoint.trim_end_matches('/').to_owned());
            } else {
                problems.push(problem(DYNAMODB_ENDPOINT, "must start with http:// or https://".to_owned()));
            }
        }
        config.jwt = parse_jwt(&get, &mut problems);
        if let Some(origins) = get(CORS_ORIGINS) {
            config.cors_origins = parse_cors(&origins, &mut problems);
        }
        if let Some(rules) = get(LOYALTY_RULES) {
            match omnicanal_domain::loyalty::rules::LoyaltyRules::parse(&rules) {
                Ok(rules) => config.loyalty = rules,
                Err(message) => problems.push(problem(LOYALTY_RULES, message)),
            }
        }
        if let Some(days) = get(AFFINITY_HALF_LIFE_DAYS) {
            match days.trim().parse::<u32>() {
                Ok(days) if (1..=365).contains(&days) => config.affinity_half_life_days = days,
                _ => problems
                    .push(problem(AFFINITY_HALF_LIFE_DAYS, "must be a whole number of days, 1 to 365".to_owned())),
            }
        }
        if let Some(secs) = seconds(get(CART_TTL_SECONDS), CART_TTL_SECONDS, 60..=365 * 24 * 3600, &mut problems) {
            config.cart_ttl_seconds = secs;
        }
        let header_timeout = get(HEADER_READ_TIMEOUT_SECONDS);
        if let Some(secs) = seconds(header_timeout, HEADER_READ_TIMEOUT_SECONDS, 1..=300, &mut problems) {
            config.header_read_timeout_secs = secs;
        }
        if let Some(secs) = seconds(get(CART_HOLD_SECONDS), CART_HOLD_SECONDS, 60..=86_400, &mut problems) {
            config.cart_hold_seconds = secs;
        }

        if problems.is_empty() { Ok(config) } else { Err(ConfigError { problems }) }
    }
}

/// The whole number of seconds `value` names, if it is set and within `range`; a problem
/// naming `var` otherwise.
fn seconds<T>(
    value: Option<String>,
    var: &'static str,
    range: std::ops::RangeInclusive<T>,
    problems: &mut Vec<ConfigProblem>,
) -> Option<T>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    let value = value?;
    match value.trim().parse::<T>() {
        Ok(secs) if range.contains(&secs) => Some(secs),
        _ => {
            let message = format!("must be a whole number of seconds between {} and {}", range.start(), range.end());
            problems.push(problem(var, message));
            None
        }
    }
}

fn problem(var: &'static str, message: String) -> ConfigProblem {
    ConfigProblem { var, message }
}

fn valid_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn parse_jwt(get: &impl Fn(&str) -> Option<String>, problems: &mut Vec<ConfigProblem>) -> JwtConfig {
    let secret = get(JWT_SECRET);
    let pem = get(JWT_PUBLIC_KEY);
    let jwks = get(JWT_JWKS);
    let sources = [secret.is_some(), pem.is_some(), jwks.is_some()];
    let key = if sources.iter().filter(|set| **set).count() > 1 {
        // Two key sources would let a token pick the weaker one: refuse the ambiguity.
        problems.push(problem(JWT_SECRET, format!("set only one of {JWT_SECRET}, {JWT_PUBLIC_KEY}, {JWT_JWKS}")));
        None
    } else if let Some(secret) = secret {
        if secret.len() < MIN_SECRET_BYTES {
            problems.push(problem(JWT_SECRET, format!("must be at least {MIN_SECRET_BYTES} bytes for HS256")));
            None
        } else {
            Some(JwtKey::Secret(secret.into_bytes()))
        }
    } else if let Some(pem) = pem {
        if pem.contains("-----BEGIN") {
            Some(JwtKey::PublicKeyPem(pem))
        } else {
            problems.push(problem(JWT_PUBLIC_KEY, "must be a PEM public key".to_owned()));
            None
        }
    } else {
        jwks.map(JwtKey::Jwks)
    };
    JwtConfig { key, issuer: get(JWT_ISSUER), audience: get(JWT_AUDIENCE) }
}

fn parse_cors(text: &str, problems: &mut Vec<ConfigProblem>) -> CorsOrigins {
    if text.trim() == "*" {
        return CorsOrigins::Any;
    }
    let mut list = Vec::new();
    for origin in text.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let scheme_ok = origin.starts_with("http://") || origin.starts_with("https://");
        if scheme_ok && !origin.ends_with('/') && !origin.contains(char::is_whitespace) {
            list.push(origin.to_owned());
        } else {
            problems.push(problem(CORS_ORIGINS, format!("`{origin}` is not an origin like https://shop.example.com")));
        }
    }
    CorsOrigins::List(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let config = parse(&[]).expect("defaults parse");
        assert_eq!(config, Config::default());
        assert_eq!(config.addr, "127.0.0.1:8080");
        assert_eq!(config.jwt.key, None);
    }

    #[test]
    fn reads_every_variable() {
        let config = parse(&[
            (ADDR, "0.0.0.0:9000"),
            (STORE, "memory"),
            (DATA_DIR, "/tmp/x"),
            (TABLE, "shop-prod"),
            (DYNAMODB_ENDPOINT, "http://127.0.0.1:8000/"),
            (JWT_SECRET, "0123456789abcdef0123456789abcdef"),
            (JWT_ISSUER, "https://id.example.com"),
            (JWT_AUDIENCE, "omnicanal"),
            (CORS_ORIGINS, "https://shop.example.com, http://localhost:3000"),
            (CART_TTL_SECONDS, "3600"),
        ])
        .expect("valid");
        assert_eq!(config.addr, "0.0.0.0:9000");
        assert_eq!(config.store, StoreKind::Memory);
        assert_eq!(config.table, "shop-prod");
        assert_eq!(config.dynamodb_endpoint.as_deref(), Some("http://127.0.0.1:8000"));
        assert!(matches!(config.jwt.key, Some(JwtKey::Secret(_))));
        assert_eq!(config.jwt.audience.as_deref(), Some("omnicanal"));
        assert!(config.cors_origins.allows("http://localhost:3000"));
        assert!(!config.cors_origins.allows("https://evil.example.com"));
        assert_eq!(config.cart_ttl_seconds, 3600);
    }

    #[test]
    fn reports_every_problem_with_its_variable() {
        let err =
            parse(&[(ADDR, "nowhere"), (STORE, "postgres"), (JWT_SECRET, "short"), (CORS_ORIGINS, "shop.example.com")])
                .expect_err("invalid");
        let vars: Vec<&str> = err.problems.iter().map(|p| p.var).collect();
        assert_eq!(vars, vec![ADDR, STORE, JWT_SECRET, CORS_ORIGINS]);
        assert!(err.to_string().contains("OMNICANAL_STORE: `postgres`"));
    }

    #[test]
    fn refuses_two_key_sources() {
        let err = parse(&[(JWT_SECRET, "0123456789abcdef0123456789abcdef"), (JWT_JWKS, "{\"keys\":[]}")])
            .expect_err("ambiguous");
        assert!(err.to_string().contains("set only one"));
    }

    #[test]
    fn secret_is_redacted_in_debug() {
        let key = JwtKey::Secret(b"0123456789abcdef0123456789abcdef".to_vec());
        assert_eq!(format!("{key:?}"), "Secret(<redacted>)");
    }
}
