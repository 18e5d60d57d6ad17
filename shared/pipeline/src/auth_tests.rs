use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::*;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const NOW: i64 = 1_800_000_000;
const RSA_PRIVATE: &str = include_str!("../tests/fixtures/rsa-private.pem");
const RSA_PUBLIC: &str = include_str!("../tests/fixtures/rsa-public.pem");
const EC_PRIVATE: &str = include_str!("../tests/fixtures/ec-private.pem");
const EC_PUBLIC: &str = include_str!("../tests/fixtures/ec-public.pem");
const JWKS: &str = include_str!("../tests/fixtures/jwks.json");

fn config(key: JwtKey) -> JwtConfig {
    JwtConfig { key: Some(key), issuer: Some("https://issuer.test".into()), audience: Some("omnicanal".into()) }
}

fn claims() -> Value {
    json!({"sub": "cust-1", "roles": ["customer", "wizard"], "iss": "https://issuer.test",
           "aud": "omnicanal", "exp": NOW + 600, "nbf": NOW - 10})
}

fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).expect("sign")
}

fn hs(claims: &Value) -> String {
    sign(Algorithm::HS256, None, claims, &EncodingKey::from_secret(SECRET))
}

fn secret_auth() -> Authenticator {
    Authenticator::new(&config(JwtKey::Secret(SECRET.to_vec()))).expect("key")
}

#[test]
fn a_valid_hs256_token_gives_the_caller_and_known_roles() {
    let caller = secret_auth().verify(&hs(&claims()), NOW).expect("valid");
    assert_eq!(caller.sub, "cust-1");
    assert_eq!(caller.roles, vec![Role::Customer]);
    assert!(caller.has_any(&[Role::Staff, Role::Customer]));
    assert!(!caller.has(Role::Staff));
}

#[test]
fn time_claims_use_the_given_clock_with_leeway() {
    let auth = secret_auth();
    let token = hs(&claims());
    assert_eq!(auth.verify(&token, NOW + 600 + LEEWAY_SECS), Err(AuthError::Expired));
    assert!(auth.verify(&token, NOW + 600 + LEEWAY_SECS - 1).is_ok());
    assert_eq!(auth.verify(&token, NOW - 10 - LEEWAY_SECS - 1), Err(AuthError::NotYetValid));
    let mut no_exp = claims();
    no_exp.as_object_mut().map(|c| c.remove("exp"));
    assert!(matches!(auth.verify(&hs(&no_exp), NOW), Err(AuthError::Invalid(_))));
}

#[test]
fn issuer_and_audience_must_match_and_be_present() {
    let auth = secret_auth();
    for (field, value, expected) in [
        ("iss", json!("https://evil.test"), AuthError::WrongIssuer),
        ("aud", json!("other"), AuthError::WrongAudience),
        ("aud", json!(["other", "omnicanal"]), AuthError::WrongAudience),
    ] {
        let mut c = claims();
        c[field] = value.clone();
        let outcome = auth.verify(&hs(&c), NOW);
        if value.is_array() {
            assert!(outcome.is_ok(), "an audience list including ours is accepted");
        } else {
            assert_eq!(outcome, Err(expected));
        }
    }
    for (field, expected) in [("iss", AuthError::WrongIssuer), ("aud", AuthError::WrongAudience)] {
        let mut c = claims();
        c.as_object_mut().map(|m| m.remove(field));
        assert_eq!(auth.verify(&hs(&c), NOW), Err(expected), "missing {field}");
    }
}

#[test]
fn a_wrong_secret_or_a_tampered_payload_fails_the_signature() {
    let auth = secret_auth();
    let other = sign(Algorithm::HS256, None, &claims(), &EncodingKey::from_secret(b"another-secret-another-secret-xx"));
    assert_eq!(auth.verify(&other, NOW), Err(AuthError::BadSignature));

    let token = hs(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    let mut forged = claims();
    forged["roles"] = json!(["staff"]);
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged.to_string());
    let tampered = format!("{}.{}.{}", parts[0], payload, parts[2]);
    assert_eq!(auth.verify(&tampered, NOW), Err(AuthError::BadSignature));
}

#[test]
fn alg_none_is_refused() {
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let token = format!("{}.{}.", b64(json!({"alg": "none", "typ": "JWT"})), b64(claims()));
    assert!(secret_auth().verify(&token, NOW).is_err());
    let rsa = Authenticator::new(&config(JwtKey::PublicKeyPem(RSA_PUBLIC.into()))).expect("key");
    assert!(rsa.verify(&token, NOW).is_err());
}

#[test]
fn an_hs256_token_keyed_with_the_public_key_is_refused() {
    // The classic confusion attack: sign HS256 with the RSA public key's bytes as secret.
    let auth = Authenticator::new(&config(JwtKey::PublicKeyPem(RSA_PUBLIC.into()))).expect("key");
    let forged = sign(Algorithm::HS256, None, &claims(), &EncodingKey::from_secret(RSA_PUBLIC.as_bytes()));
    assert_eq!(auth.verify(&forged, NOW), Err(AuthError::BadSignature));
}

#[test]
fn rs256_and_es256_public_keys_verify_their_own_tokens_only() {
    let rsa_key = EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).expect("rsa private");
    let ec_key = EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).expect("ec private");
    let rs = sign(Algorithm::RS256, None, &claims(), &rsa_key);
    let es = sign(Algorithm::ES256, None, &claims(), &ec_key);

    let rsa = Authenticator::new(&config(JwtKey::PublicKeyPem(RSA_PUBLIC.into()))).expect("rsa");
    let ec = Authenticator::new(&config(JwtKey::PublicKeyPem(EC_PUBLIC.into()))).expect("ec");
    assert_eq!(rsa.verify(&rs, NOW).expect("rs256").sub, "cust-1");
    assert_eq!(ec.verify(&es, NOW).expect("es256").sub, "cust-1");
    assert_eq!(rsa.verify(&es, NOW), Err(AuthError::BadSignature));
    assert_eq!(ec.verify(&rs, NOW), Err(AuthError::BadSignature));
    assert_eq!(rsa.verify(&hs(&claims()), NOW), Err(AuthError::BadSignature));
}

#[test]
fn jwks_picks_the_key_by_kid() {
    let auth = Authenticator::new(&config(JwtKey::Jwks(JWKS.into()))).expect("jwks");
    let rsa_key = EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).expect("rsa private");
    let ec_key = EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).expect("ec private");
    assert!(auth.verify(&sign(Algorithm::RS256, Some("rsa-1"), &claims(), &rsa_key), NOW).is_ok());
    assert!(auth.verify(&sign(Algorithm::ES256, Some("ec-1"), &claims(), &ec_key), NOW).is_ok());
    // The right key under the wrong kid, an unknown kid, or no kid at all: refused.
    let wrong = sign(Algorithm::RS256, Some("ec-1"), &claims(), &rsa_key);
    assert_eq!(auth.verify(&wrong, NOW), Err(AuthError::BadSignature));
    let unknown = sign(Algorithm::RS256, Some("rsa-9"), &claims(), &rsa_key);
    assert_eq!(auth.verify(&unknown, NOW), Err(AuthError::BadSignature));
    let none = sign(Algorithm::RS256, None, &claims(), &rsa_key);
    assert!(matches!(auth.verify(&none, NOW), Err(AuthError::Invalid(_))));
}

#[test]
fn unusable_keys_are_configuration_errors() {
    let oct = r#"{"keys":[{"kty":"oct","kid":"s","k":"c2VjcmV0"}]}"#;
    assert!(matches!(Authenticator::new(&config(JwtKey::Jwks(oct.into()))), Err(KeyError::Jwks(_))));
    assert!(matches!(Authenticator::new(&config(JwtKey::Jwks("{}".into()))), Err(KeyError::Jwks(_))));
    assert!(matches!(Authenticator::new(&config(JwtKey::PublicKeyPem("nope".into()))), Err(KeyError::Pem)));
}

#[test]
fn without_a_key_every_token_is_refused() {
    let auth = Authenticator::new(&JwtConfig::default()).expect("no key");
    assert_eq!(auth.verify(&hs(&claims()), NOW), Err(AuthError::NotConfigured));
}

#[test]
fn bearer_header_parsing() {
    assert_eq!(bearer_token("Bearer abc"), Ok("abc"));
    assert_eq!(bearer_token("bearer  abc "), Ok("abc"));
    assert_eq!(bearer_token("Basic abc"), Err(AuthError::Malformed));
    assert_eq!(bearer_token("Bearer"), Err(AuthError::Malformed));
    assert_eq!(bearer_token("Bearer "), Err(AuthError::Malformed));
}

#[test]
fn minted_tokens_verify() {
    let token = mint_hs256(SECRET, "staff-1", &[Role::Staff], Some("https://issuer.test"), Some("omnicanal"), NOW, 60)
        .expect("mint");
    let caller = secret_auth().verify(&token, NOW).expect("valid");
    assert_eq!(caller.roles, vec![Role::Staff]);
}

#[test]
fn a_token_with_critical_extensions_is_refused() {
    let mut header = Header::new(Algorithm::HS256);
    header.crit = Some(vec!["exp-v2".into()]);
    let token = jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(SECRET)).expect("sign");
    assert!(matches!(secret_auth().verify(&token, NOW), Err(AuthError::Invalid(_))));
}

#[test]
fn an_oversized_token_is_refused_before_it_is_parsed() {
    let mut big = claims();
    big["pad"] = json!("x".repeat(MAX_TOKEN_BYTES));
    assert_eq!(secret_auth().verify(&hs(&big), NOW), Err(AuthError::TooLarge));
    // Near the limit, a real token still verifies.
    let mut fits = claims();
    fits["pad"] = json!("x".repeat(MAX_TOKEN_BYTES / 2));
    assert!(secret_auth().verify(&hs(&fits), NOW).is_ok());
}

#[test]
fn refusals_never_repeat_the_jwt_librarys_words() {
    let mut wrong_type = claims();
    wrong_type["exp"] = json!("tomorrow");
    for token in [hs(&wrong_type), "not.a.jwt".to_owned(), "e30.e30.sig".to_owned()] {
        let err = secret_auth().verify(&token, NOW).expect_err("refused");
        let text = err.to_string();
        for library_word in ["invalid type", "Base64", "JSON error", "expected", "line "] {
            assert!(!text.contains(library_word), "{text}");
        }
    }
}
