//! Bearer tokens: who is calling, and with which roles.
//!
//! Verification uses `jsonwebtoken` (signature, algorithm, `iss`, `aud`); `exp` and `nbf`
//! are checked here against the clock the host passes in, because `jsonwebtoken` reads the
//! system time, which panics on wasm32. The configured key decides the one algorithm a
//! token may use, so `alg: none` and algorithm confusion (an HS256 token "signed" with an
//! RSA public key as its secret) are refused before any signature check.

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

use crate::config::{JwtConfig, JwtKey};

/// The longest token verified: far above any real one (a few hundred bytes to a few KiB
/// with many roles), far below what would make verification a cost an attacker picks.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: i64 = 30;

/// What a token lets its bearer do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A shopper: their own cart, offers and points.
    Customer,
    /// Store and back-office staff: catalog, stock, offers.
    Staff,
    /// Another system (order system, POS integration).
    Service,
}

impl Role {
    /// The role's name in tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Staff => "staff",
            Self::Service => "service",
        }
    }

    /// The role with this name, if any.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "customer" => Some(Self::Customer),
            "staff" => Some(Self::Staff),
            "service" => Some(Self::Service),
            _ => None,
        }
    }
}

/// The verified caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The token's subject: a customer id for customers, a caller id otherwise.
    pub sub: String,
    /// Roles the token grants (unknown role names are ignored).
    pub roles: Vec<Role>,
}

impl Caller {
    /// Whether the caller has at least one of `roles`.
    pub fn has_any(&self, roles: &[Role]) -> bool {
        self.roles.iter().any(|role| roles.contains(role))
    }

    /// Whether the caller has `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Why a request is not authenticated. Every variant answers `401`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No token where one is needed.
    #[error("this needs a bearer token")]
    Missing,
    /// The `Authorization` header is not `Bearer <token>`.
    #[error("the Authorization header must be `Bearer <token>`")]
    Malformed,
    /// The token is not a well-formed JWT with the claims we need. The reason is ours, never
    /// the JWT library's words (they would tell a prober how it parses).
    #[error("the token is not a valid JWT: {0}")]
    Invalid(&'static str),
    /// The token is longer than [`MAX_TOKEN_BYTES`]: refused before any parsing.
    #[error("the token is longer than {MAX_TOKEN_BYTES} bytes")]
    TooLarge,
    /// The signature does not verify, or the algorithm or key id is not the configured one.
    #[error("the token's signature does not verify")]
    BadSignature,
    /// `exp` is in the past.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iss` is not the configured issuer.
    #[error("the token's issuer is not accepted")]
    WrongIssuer,
    /// `aud` does not include the configured audience.
    #[error("the token's audience is not accepted")]
    WrongAudience,
    /// This host has no verification key, so no token can be accepted.
    #[error("token verification is not configured on this host")]
    NotConfigured,
}

impl AuthError {
    /// The stable problem `code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "unauthenticated",
            Self::Expired => "token_expired",
            Self::NotYetValid => "token_not_yet_valid",
            Self::WrongIssuer | Self::WrongAudience => "token_not_accepted",
            Self::Malformed | Self::Invalid(_) | Self::TooLarge | Self::BadSignature | Self::NotConfigured => {
                "invalid_token"
            }
        }
    }

    /// The RFC 6750 `error` value for `WWW-Authenticate`.
    pub fn www_authenticate_error(&self) -> &'static str {
        match self {
            Self::Missing | Self::Malformed => "invalid_request",
            _ => "invalid_token",
        }
    }
}

/// Why a verification key could not be loaded (a configuration mistake).
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The PEM holds neither an RSA nor a P-256 EC public key.
    #[error("OMNICANAL_JWT_PUBLIC_KEY must be an RSA or EC P-256 public key in PEM form")]
    Pem,
    /// The JWKS document does not parse or holds an unusable key.
    #[error("OMNICANAL_JWT_JWKS: {0}")]
    Jwks(String),
}

/// One key that verifies tokens, with the only algorithm it accepts.
#[derive(Clone)]
struct VerifyingKey {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

/// Verifies bearer tokens against the configured key, issuer and audience.
#[derive(Clone)]
pub struct Authenticator {
    keys: Vec<VerifyingKey>,
    issuer: Option<String>,
    audience: Option<String>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("keys", &self.keys.len())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

/// The claims we read; `exp` is required, the rest checked when configured.
#[derive(Deserialize)]
struct Claims {
    sub: String,
    exp: i64,
    nbf: Option<i64>,
    #[serde(default)]
    roles: Vec<String>,
}

impl Authenticator {
    /// Loads the configured key. Without a key every token is refused.
    pub fn new(config: &JwtConfig) -> Result<Self, KeyError> {
        let keys = match &config.key {
            None => Vec::new(),
            Some(JwtKey::Secret(secret)) => {
                vec![VerifyingKey { kid: None, algorithm: Algorithm::HS256, key: DecodingKey::from_secret(secret) }]
            }
            Some(JwtKey::PublicKeyPem(pem)) => vec![pem_key(pem)?],
            Some(JwtKey::Jwks(document)) => jwks_keys(document)?,
        };
        Ok(Self { keys, issuer: config.issuer.clone(), audience: config.audience.clone() })
    }

    /// Verifies `token` at `now_epoch_secs`.
    pub fn verify(&self, token: &str, now_epoch_secs: i64) -> Result<Caller, AuthError> {
        if self.keys.is_empty() {
            return Err(AuthError::NotConfigured);
        }
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::TooLarge);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|e| {
            tracing::debug!(error = %e, "token header refused");
            AuthError::Invalid("its header is not a JOSE header")
        })?;
        // RFC 7515 §4.1.11: a recipient that does not understand every extension listed in
        // `crit` must reject the token. We understand none.
        if header.crit.is_some() {
            return Err(AuthError::Invalid("it names critical header extensions this service does not support"));
        }
        let key = self.key_for(header.kid.as_deref())?;
        if header.alg != key.algorithm {
            return Err(AuthError::BadSignature);
        }
        let mut validation = Validation::new(key.algorithm);
        // Time claims are checked below with the host's clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.required_spec_claims.clear();
        validation.required_spec_claims.insert("sub".to_owned());
        match &self.issuer {
            Some(issuer) => {
                validation.set_issuer(&[issuer]);
                validation.required_spec_claims.insert("iss".to_owned());
            }
            None => validation.iss = None,
        }
        match &self.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                validation.required_spec_claims.insert("aud".to_owned());
            }
            None => validation.validate_aud = false,
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &key.key, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm => AuthError::BadSignature,
                ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
                ErrorKind::InvalidAudience => AuthError::WrongAudience,
                ErrorKind::MissingRequiredClaim(claim) if claim == "iss" => AuthError::WrongIssuer,
                ErrorKind::MissingRequiredClaim(claim) if claim == "aud" => AuthError::WrongAudience,
                _ => {
                    tracing::debug!(error = %e, "token refused");
                    AuthError::Invalid("its claims are missing, malformed or of the wrong type")
                }
            })?
            .claims;
        if claims.exp + LEEWAY_SECS <= now_epoch_secs {
            return Err(AuthError::Expired);
        }
        if claims.nbf.is_some_and(|nbf| nbf - LEEWAY_SECS > now_epoch_secs) {
            return Err(AuthError::NotYetValid);
        }
        if claims.sub.is_empty() || claims.sub.len() > 255 {
            return Err(AuthError::Invalid("`sub` must be 1 to 255 characters"));
        }
        let mut roles: Vec<Role> = claims.roles.iter().filter_map(|r| Role::parse(r)).collect();
        roles.dedup();
        Ok(Caller { sub: claims.sub, roles })
    }

    fn key_for(&self, kid: Option<&str>) -> Result<&VerifyingKey, AuthError> {
        if let [only] = self.keys.as_slice() {
            // One key: a token without a kid, or a key without one, needs no matching.
            return match (kid, only.kid.as_deref()) {
                (Some(wanted), Some(have)) if wanted != have => Err(AuthError::BadSignature),
                _ => Ok(only),
            };
        }
        let kid = kid.ok_or(AuthError::Invalid("the token needs a `kid` header"))?;
        self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)).ok_or(AuthError::BadSignature)
    }
}

/// The key of a PEM public key: RSA → RS256, EC P-256 → ES256.
fn pem_key(pem: &str) -> Result<VerifyingKey, KeyError> {
    let (algorithm, key) = if pem.contains("BEGIN RSA PUBLIC KEY") {
        (Algorithm::RS256, DecodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| KeyError::Pem)?)
    } else if let Ok(key) = DecodingKey::from_ec_pem(pem.as_bytes()) {
        (Algorithm::ES256, key)
    } else {
        (Algorithm::RS256, DecodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| KeyError::Pem)?)
    };
    Ok(VerifyingKey { kid: None, algorithm, key })
}

/// The keys of a JWKS document; symmetric (`oct`) keys are refused, since a public
/// document must never hold a secret.
fn jwks_keys(document: &str) -> Result<Vec<VerifyingKey>, KeyError> {
    let set: JwkSet = serde_json::from_str(document).map_err(|e| KeyError::Jwks(e.to_string()))?;
    if set.keys.is_empty() {
        return Err(KeyError::Jwks("the document has no keys".to_owned()));
    }
    let many = set.keys.len() > 1;
    set.keys
        .iter()
        .map(|jwk| {
            let kid = jwk.common.key_id.clone();
            if many && kid.is_none() {
                return Err(KeyError::Jwks("with several keys, each needs a `kid`".to_owned()));
            }
            let algorithm = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => Algorithm::ES256,
                _ => return Err(KeyError::Jwks("only RSA and EC P-256 keys are accepted".to_owned())),
            };
            let declared = match jwk.common.key_algorithm {
                None => None,
                Some(KeyAlgorithm::RS256) => Some(Algorithm::RS256),
                Some(KeyAlgorithm::ES256) => Some(Algorithm::ES256),
                Some(other) => return Err(KeyError::Jwks(format!("algorithm {other:?} is not accepted"))),
            };
            if declared.is_some_and(|d| d != algorithm) {
                return Err(KeyError::Jwks("a key's `alg` does not match its type".to_owned()));
            }
            let key = DecodingKey::from_jwk(jwk).map_err(|e| KeyError::Jwks(e.to_string()))?;
            Ok(VerifyingKey { kid, algorithm, key })
        })
        .collect()
}

/// The token in an `Authorization` header value: `Bearer <token>` (scheme case-insensitive).
pub fn bearer_token(header_value: &str) -> Result<&str, AuthError> {
    let (scheme, token) = header_value.trim().split_once(' ').ok_or(AuthError::Malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(AuthError::Malformed);
    }
    Ok(token)
}

#[derive(Serialize)]
struct MintedClaims<'a> {
    sub: &'a str,
    roles: Vec<&'static str>,
    iat: i64,
    nbf: i64,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a str>,
}

/// Mints an HS256 token (for the local server's `token` command and for tests).
pub fn mint_hs256(
    secret: &[u8],
    sub: &str,
    roles: &[Role],
    issuer: Option<&str>,
    audience: Option<&str>,
    issued_at: i64,
    ttl_secs: i64,
) -> Result<String, jsonwebtoken::errors::Error> {
    let claims = MintedClaims {
        sub,
        roles: roles.iter().map(|r| r.as_str()).collect(),
        iat: issued_at,
        nbf: issued_at,
        exp: issued_at + ttl_secs,
        iss: issuer,
        aud: audience,
    };
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret))
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
