//! A client that retries as the contract tells it: the same request (same `Idempotency-Key`,
//! same `order_id`, `reservation_id`, `event_id`, `return_id`) after a `503` or a `409
//! idempotency_in_progress` (both say `Retry-After`) or a request that got no answer, until
//! a definite answer or a bound. Every answer is checked on the way: never a `500`, a `503`
//! only as problem JSON with `Retry-After`, never a hang past the client's timeout.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

/// How long a client waits for one answer: the host's worst case under faults (six store
/// attempts of at most 2 s each, per store call) with room to spare; past it, a hang.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
/// Tries of one request before its outcome is left unknown.
const TRIES: u32 = 30;

/// What the workload saw.
#[derive(Default, Debug)]
pub(crate) struct Seen {
    /// Answers by status.
    pub statuses: BTreeMap<u16, u64>,
    /// Answers the contract forbids, and hangs.
    pub violations: Vec<String>,
    /// Requests that never got a definite answer.
    pub unknown: u64,
    /// Each refusal (`4xx`): method, path, status and problem code.
    pub refusals: Vec<String>,
}

/// One shopper's, store's or order system's client.
pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
    pub seen: Mutex<Seen>,
}

impl Client {
    pub(crate) fn new(base: &str) -> Self {
        let http = reqwest::Client::builder().timeout(ANSWER_TIMEOUT).build().expect("a client");
        Self { http, base: base.to_owned(), seen: Mutex::default() }
    }

    fn note(&self, f: impl FnOnce(&mut Seen)) {
        f(&mut self.seen.lock().expect("seen"));
    }

    /// Sends until a definite answer: `(status, body)`, or `(503, …)` / `(0, Null)` when every
    /// try failed (the outcome is unknown).
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> (u16, Value) {
        let mut last = (0, Value::Null);
        for attempt in 1..=TRIES {
            let mut request = self.http.request(method.clone(), format!("{}{path}", self.base));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(key) = idempotency_key {
                request = request.header("idempotency-key", key);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(err) => {
                    let what = if err.is_timeout() { "no answer within the client's timeout" } else { "no answer" };
                    self.note(|s| s.violations.push(format!("{method} {path}: {what} ({err})")));
                    continue;
                }
            };
            let status = response.status().as_u16();
            let retry_after = response.headers().get("retry-after").is_some();
            let problem_json = response
                .headers()
                .get("content-type")
                .is_some_and(|v| v.to_str().unwrap_or_default().starts_with("application/problem+json"));
            let body: Value = response.json().await.unwrap_or(Value::Null);
            self.note(|s| *s.statuses.entry(status).or_default() += 1);
            if status >= 500 && status != 503 {
                self.note(|s| s.violations.push(format!("{method} {path}: {status} {body}")));
            }
            if status == 503 && !(retry_after && problem_json) {
                self.note(|s| s.violations.push(format!("{method} {path}: 503 without Retry-After or problem JSON")));
            }
            if (400..500).contains(&status) {
                let code = body["code"].as_str().unwrap_or_default().to_owned();
                self.note(|s| s.refusals.push(format!("{method} {path}: {status} {code}")));
            }
            // Still running under the same key (it says `Retry-After`): not yet an answer.
            let in_progress = status == 409 && body["code"] == "idempotency_in_progress";
            if status != 503 && !in_progress {
                return (status, body);
            }
            pause(attempt).await;
            last = (status, body);
        }
        self.note(|s| s.unknown += 1);
        last
    }
}

/// The pause before trying again: short, as `Retry-After: 1` on a test clock would slow the
/// run to a crawl without proving more.
async fn pause(attempt: u32) {
    tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt.min(10)))).await;
}
