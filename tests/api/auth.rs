//! Tokens: missing, malformed, badly signed, expired, not yet valid, wrong issuer or
//! audience are 401 with `WWW-Authenticate: Bearer`; a valid token without the role is 403.

use omnicanal_pipeline::auth::Role;
use serde_json::json;

use crate::helpers::{AUDIENCE, ISSUER, SECRET, TestServer, problem, token_with};

fn product() -> serde_json::Value {
    json!({"name": "Mug", "category": "kitchen", "price": {"amount": 1299, "currency": "EUR"}})
}

async fn put_with(server: &TestServer, authorization: Option<String>) -> reqwest::Response {
    let mut request = server.client.put(server.url("/stock/items/MUG-1")).json(&product());
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.send().await.expect("request")
}

async fn assert_401(server: &TestServer, authorization: Option<String>, code: &str) {
    let response = put_with(server, authorization).await;
    let challenge =
        response.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(challenge.starts_with("Bearer"), "WWW-Authenticate for {code}: {challenge}");
    problem(response, 401, code).await;
}

#[tokio::test]
async fn bad_tokens_are_401() {
    let server = TestServer::start();
    let staff = [Role::Staff];
    let bearer = |token: String| Some(format!("Bearer {token}"));

    let missing = put_with(&server, None).await;
    assert_eq!(missing.status(), 401);
    assert!(missing.headers().contains_key("www-authenticate"));

    let expired = token_with(SECRET, "s", &staff, Some(ISSUER), Some(AUDIENCE), -7200, 3600);
    let not_yet = token_with(SECRET, "s", &staff, Some(ISSUER), Some(AUDIENCE), 3600, 3600);
    let wrong_audience = token_with(SECRET, "s", &staff, Some(ISSUER), Some("someone-else"), 0, 3600);
    let wrong_issuer = token_with(SECRET, "s", &staff, Some("https://evil.test"), Some(AUDIENCE), 0, 3600);
    let wrong_key =
        token_with("another-secret-0123456789abcdef01234", "s", &staff, Some(ISSUER), Some(AUDIENCE), 0, 3600);

    for (label, header) in [
        ("expired", bearer(expired)),
        ("not yet valid", bearer(not_yet)),
        ("wrong audience", bearer(wrong_audience)),
        ("wrong issuer", bearer(wrong_issuer)),
        ("wrong key", bearer(wrong_key)),
        ("garbage", bearer("not.a.jwt".into())),
        ("wrong scheme", Some("Basic dXNlcjpwYXNz".into())),
    ] {
        let response = put_with(&server, header).await;
        assert_eq!(response.status(), 401, "{label}");
        assert!(response.headers().contains_key("www-authenticate"), "{label}");
        let body: serde_json::Value = response.json().await.expect("problem");
        assert_eq!(body["status"], 401, "{label}");
    }
    assert_401(&server, None, "unauthenticated").await;
}

#[tokio::test]
async fn alg_none_is_refused() {
    use base64::Engine as _;
    let b64 = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let server = TestServer::start();
    let claims = json!({"sub": "s", "roles": ["staff"], "iss": ISSUER, "aud": AUDIENCE,
                        "exp": crate::helpers::now() + 3600});
    let token = format!("{}.{}.", b64(json!({"alg": "none", "typ": "JWT"})), b64(claims));
    let response = put_with(&server, Some(format!("Bearer {token}"))).await;
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn wrong_roles_are_403_and_right_roles_pass() {
    let server = TestServer::start();
    let customer = server.token("cust-1", &[Role::Customer]);
    let response = put_with(&server, Some(format!("Bearer {customer}"))).await;
    problem(response, 403, "forbidden").await;

    let staff = server.token("staff-1", &[Role::Staff]);
    let response = put_with(&server, Some(format!("Bearer {staff}"))).await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn an_invalid_token_does_not_break_public_routes() {
    let server = TestServer::start();
    let response =
        server.client.get(server.url("/loyalty/health")).bearer_auth("garbage").send().await.expect("request");
    assert_eq!(response.status(), 200);
}
