//! `Idempotency-Key` on mutating `POST`s, as the contract says: the first answer is stored
//! with a fingerprint of the request; a repeat with the same key and the same request gets
//! that answer again, byte for byte, with `Idempotent-Replayed: true`; the same key with
//! another request is `422 idempotency_key_reused`. Keys live 24 hours.
//!
//! Protocol (table item `IDEM#<hash of scope and key>` / `IDEM`, TTL `expires_at`):
//! 1. **begin**: one conditional update making a `pending` record with a random lock id; it
//!    holds when no live record exists or a pending one was abandoned (its `pending_until`
//!    passed). If it fails, the record it ran into comes back with the refusal and tells
//!    replay (`done`, same fingerprint), reuse (another fingerprint: 422) or a request still
//!    running (409 `idempotency_in_progress`, `Retry-After: 1`). A refusal by our own claim
//!    (applied, its answer lost, the update retried) is ours: proceed.
//! 2. **finish**: one write conditioned on our lock id: the answer is stored when the handler
//!    ran to a result worth repeating (2xx, 3xx, and the domain's 409/412); otherwise (auth,
//!    validation, 5xx) the record is marked `released` so that a corrected retry with the
//!    same key runs. Not deleted: a copy of the claim delayed in the network (its attempt
//!    timed out and was retried) could otherwise apply after the release and hold the key
//!    for nobody until `pending_until`; the claim's condition refuses its own released lock.
//!
//! Cost: two writes on a first request (plus the handler's own), one refused write on a
//! replay. Keys are scoped by caller (`sub`, or anonymous), method and path, as Stripe
//! scopes them by account, so one customer's key never replays another's answer.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, ETAG, HeaderMap, HeaderValue, LOCATION};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, FieldError};
use omnicanal_platform::clock::Clock;
use omnicanal_store::{AttributeValue, CompareOp, Condition, Item, Key, Store, Update, Updated, WriteOp, num, s};

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The header marking a replayed answer.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// How long a key is remembered.
pub const KEY_TTL_SECS: i64 = 24 * 3600;
/// How long a running request holds its key before another may take it over.
pub const PENDING_SECS: i64 = 60;
/// Answers larger than this are not stored (the item must stay under 400 KB).
const MAX_STORED_BODY: usize = 300 * 1024;
/// Response headers that are part of the stored answer.
const KEPT_HEADERS: [http::header::HeaderName; 3] = [CONTENT_TYPE, ETAG, LOCATION];

/// A validated `Idempotency-Key` (1–255 printable ASCII characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

/// Who and what a key is scoped to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// The caller's `sub`, `None` for anonymous callers.
    pub caller: Option<String>,
    /// For an anonymous caller, their network address when the host knows it.
    pub client: Option<String>,
    /// The method.
    pub method: String,
    /// The path.
    pub path: String,
}

/// The outcome of [`begin`].
#[derive(Debug)]
pub enum Begin {
    /// The key was used before for this request: send this answer again.
    Replay(http::Response<Bytes>),
    /// First use: run the handler, then [`Lock::finish`].
    Proceed(Lock),
}

/// The claim on a key while its request runs.
#[derive(Debug)]
pub struct Lock {
    key: Key,
    lock_id: String,
}

/// The key from the headers: `None` when absent, `400 invalid_idempotency_key` when malformed.
pub fn key_from_headers(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(None);
    };
    let bytes = value.as_bytes();
    // Printable ASCII: space to tilde.
    if (1..=255).contains(&bytes.len()) && bytes.iter().all(|b| (0x20..=0x7e).contains(b)) {
        Ok(Some(IdempotencyKey(String::from_utf8_lossy(bytes).into_owned())))
    } else {
        Err(ApiError::BadRequest {
            code: "invalid_idempotency_key",
            detail: "Idempotency-Key must be 1-255 printable ASCII characters".to_owned(),
            errors: vec![FieldError::new("Idempotency-Key", "must be 1-255 printable ASCII characters")],
        })
    }
}

/// The fingerprint of a request: what must be equal for a repeat to be "the same request".
pub fn fingerprint(method: &http::Method, path: &str, query: &[(String, String)], body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_str());
    hash.update([0]);
    hash.update(path);
    for (name, value) in query {
        hash.update([0]);
        hash.update(name);
        hash.update([b'=']);
        hash.update(value);
    }
    hash.update([0]);
    hash.update(body);
    hex::encode(hash.finalize())
}

fn record_key(scope: &Scope, key: &IdempotencyKey) -> Key {
    let mut hash = Sha256::new();
    match (&scope.caller, &scope.client) {
        (Some(sub), _) => hash.update(sub),
        (None, client) => {
            hash.update(b"\x00anonymous");
            hash.update(client.as_deref().unwrap_or_default());
        }
    }
    for part in [&scope.method, &scope.path, &key.0] {
        hash.update([0]);
        hash.update(part);
    }
    Key::new(format!("IDEM#{}", hex::encode(hash.finalize())), "IDEM")
}

/// The claim of a key by `lock_id`. An update, not a put, so that a refusal answers the
/// record it ran into: a replay costs this one call. It clears what an expired record may
/// still hold.
fn claim(fingerprint: &str, lock_id: &str, now: i64) -> Vec<Update> {
    vec![
        Update::set("state", s("pending")),
        Update::set("fingerprint", s(fingerprint)),
        Update::set("lock_id", s(lock_id)),
        Update::set("pending_until", num(now + PENDING_SECS)),
        Update::set(omnicanal_store::EXPIRES_AT, num(now + KEY_TTL_SECS)),
        Update::remove("status"),
        Update::remove("headers"),
        Update::remove("body"),
    ]
}

/// When `lock_id` may claim the key: nobody has it, its holder abandoned it, or another
/// request released it. Not when this very claim released it: a copy of the claim delayed
/// in the network past its own release must not apply then and hold the key for nobody.
fn free(lock_id: &str, now: i64) -> Condition {
    let abandoned = Condition::And(vec![
        Condition::eq("state", s("pending")),
        Condition::compare("pending_until", CompareOp::Lt, num(now)),
    ]);
    let released = Condition::And(vec![
        Condition::eq("state", s("released")),
        Condition::compare("lock_id", CompareOp::Ne, s(lock_id)),
    ]);
    Condition::Or(vec![Condition::NotExists, abandoned, released])
}

/// Claims the key, or tells why not.
pub async fn begin<S: Store>(
    store: &S,
    clock: &dyn Clock,
    scope: &Scope,
    key: &IdempotencyKey,
    fingerprint: &str,
) -> Result<Begin, ApiError> {
    let now = clock.epoch_secs();
    let record = record_key(scope, key);
    let lock_id = omnicanal_platform::random::token().map_err(|e| ApiError::internal_because("no random source", e))?;
    let claimed = store.update_returning(&record, claim(fingerprint, &lock_id, now), free(&lock_id, now)).await;
    let existing = match claimed {
        Ok(Updated::Applied(_)) => return Ok(Begin::Proceed(Lock { key: record, lock_id })),
        Ok(Updated::Refused(Some(existing))) => existing,
        // It expired between the condition and the answer: the client's retry will claim it.
        Ok(Updated::Refused(None)) => return Err(ApiError::IdempotencyInProgress),
        Err(err) => {
            // The claim's outcome is unknown: it may have applied, and nobody would run it.
            // Release it if so, or the client's retry hears "in progress" until it lapses;
            // a refusal (it never applied) is the expected answer here.
            let release = Lock { key: record, lock_id }.released();
            if let Err(again) = store.transact(vec![release]).await
                && !matches!(again, omnicanal_store::StoreError::ConditionFailed { .. })
            {
                tracing::warn!(error = %again, "could not release an idempotency claim of unknown outcome");
            }
            return Err(err.into());
        }
    };
    // Our own claim: the update applied, its answer was lost, and the adapter's retry of the
    // same update ran into it. The lock id is ours alone, so the key is ours to run.
    if text(&existing, "lock_id") == Some(lock_id.as_str()) && text(&existing, "state") == Some("pending") {
        return Ok(Begin::Proceed(Lock { key: record, lock_id }));
    }
    if text(&existing, "fingerprint") != Some(fingerprint) {
        return Err(ApiError::IdempotencyKeyReused);
    }
    if text(&existing, "state") != Some("done") {
        return Err(ApiError::IdempotencyInProgress);
    }
    replay(&existing).map(Begin::Replay)
}

impl Lock {
    /// Stores `response` for replays, or releases the key when the answer should not be
    /// repeated. Failures are logged, not raised: the client still gets its answer, and an
    /// unreleased key frees itself after [`PENDING_SECS`].
    pub async fn finish<S: Store>(self, store: &S, clock: &dyn Clock, response: &http::Response<Bytes>) {
        let status = response.status().as_u16();
        let worth_repeating = status < 400 || status == 409 || status == 412;
        let op = if worth_repeating && response.body().len() <= MAX_STORED_BODY {
            let mut headers = std::collections::HashMap::new();
            for name in KEPT_HEADERS {
                if let Some(value) = response.headers().get(&name).and_then(|v| v.to_str().ok()) {
                    headers.insert(name.as_str().to_owned(), s(value));
                }
            }
            let condition = Some(self.held());
            WriteOp::Update {
                key: self.key,
                updates: vec![
                    Update::set("state", s("done")),
                    Update::set("status", num(status)),
                    Update::set("headers", AttributeValue::M(headers)),
                    Update::set("body", AttributeValue::B(response.body().to_vec())),
                    Update::set(omnicanal_store::EXPIRES_AT, num(clock.epoch_secs() + KEY_TTL_SECS)),
                ],
                condition,
            }
        } else {
            self.released()
        };
        if let Err(err) = store.transact(vec![op]).await {
            tracing::warn!(error = %err, "could not finish idempotency record");
        }
    }

    /// The condition of every write of a finishing request: this lock still holds the key.
    fn held(&self) -> Condition {
        Condition::eq("lock_id", s(self.lock_id.clone()))
    }

    /// The release of the key, if this lock still holds it. Released, not deleted: the
    /// claim's condition then refuses a late copy of this claim.
    fn released(self) -> WriteOp {
        let condition = Some(self.held());
        WriteOp::Update { key: self.key, updates: vec![Update::set("state", s("released"))], condition }
    }
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Some(value),
        _ => None,
    }
}

fn replay(item: &Item) -> Result<http::Response<Bytes>, ApiError> {
    let corrupt = || ApiError::internal("idempotency record is incomplete");
    let status = match item.get("status") {
        Some(AttributeValue::N(n)) => n.parse::<u16>().ok().and_then(|n| http::StatusCode::from_u16(n).ok()),
        _ => None,
    }
    .ok_or_else(corrupt)?;
    let body = match item.get("body") {
        Some(AttributeValue::B(bytes)) => Bytes::from(bytes.clone()),
        _ => return Err(corrupt()),
    };
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    if let Some(AttributeValue::M(headers)) = item.get("headers") {
        for (name, value) in headers {
            if let (Ok(name), AttributeValue::S(value)) = (http::header::HeaderName::try_from(name.as_str()), value)
                && let Ok(value) = HeaderValue::from_str(value)
            {
                response.headers_mut().insert(name, value);
            }
        }
    }
    response.headers_mut().insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use omnicanal_platform::clock::ManualClock;
    use omnicanal_store::memory::MemoryStore;
    use std::sync::Arc;

    fn scope(caller: Option<&str>) -> Scope {
        Scope {
            caller: caller.map(str::to_owned),
            client: None,
            method: "POST".into(),
            path: "/stock/reservations".into(),
        }
    }

    fn answer(status: u16, body: &'static str) -> http::Response<Bytes> {
        let mut response = http::Response::new(Bytes::from_static(body.as_bytes()));
        *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }

    fn setup() -> (MemoryStore, ManualClock) {
        let clock = ManualClock::new(time::macros::datetime!(2026-11-22 10:00 UTC));
        (MemoryStore::new(Arc::new(clock.clone())), clock)
    }

    fn key(text: &str) -> IdempotencyKey {
        IdempotencyKey(text.to_owned())
    }

    #[tokio::test]
    async fn first_answer_is_replayed_byte_for_byte() {
        let (store, clock) = setup();
        let Ok(Begin::Proceed(lock)) = begin(&store, &clock, &scope(Some("c1")), &key("k1"), "fp").await else {
            panic!("first use proceeds");
        };
        lock.finish(&store, &clock, &answer(201, "{\"id\":1}")).await;
        let Ok(Begin::Replay(again)) = begin(&store, &clock, &scope(Some("c1")), &key("k1"), "fp").await else {
            panic!("repeat replays");
        };
        assert_eq!(again.status(), 201);
        assert_eq!(again.body().as_ref(), b"{\"id\":1}");
        assert_eq!(again.headers()[REPLAYED_HEADER], "true");
        assert_eq!(again.headers()[CONTENT_TYPE], "application/json");
    }

    #[tokio::test]
    async fn another_body_is_422_and_a_running_request_409() {
        let (store, clock) = setup();
        let Ok(Begin::Proceed(lock)) = begin(&store, &clock, &scope(None), &key("k"), "fp1").await else {
            panic!("first use proceeds");
        };
        let running = begin(&store, &clock, &scope(None), &key("k"), "fp1").await;
        assert!(matches!(running, Err(ApiError::IdempotencyInProgress)));
        lock.finish(&store, &clock, &answer(200, "{}")).await;
        let reused = begin(&store, &clock, &scope(None), &key("k"), "fp2").await;
        assert!(matches!(reused, Err(ApiError::IdempotencyKeyReused)));
    }

    #[tokio::test]
    async fn keys_are_scoped_by_caller_and_expire_after_a_day() {
        let (store, clock) = setup();
        let Ok(Begin::Proceed(lock)) = begin(&store, &clock, &scope(Some("a")), &key("k"), "fp").await else {
            panic!("first use proceeds");
        };
        lock.finish(&store, &clock, &answer(200, "{}")).await;
        assert!(matches!(begin(&store, &clock, &scope(Some("b")), &key("k"), "fp").await, Ok(Begin::Proceed(_))));
        clock.advance(time::Duration::seconds(KEY_TTL_SECS + 1));
        assert!(matches!(begin(&store, &clock, &scope(Some("a")), &key("k"), "fp").await, Ok(Begin::Proceed(_))));
        // The expired answer is not carried into the new claim.
        let record = store.get(&record_key(&scope(Some("a")), &key("k"))).await.expect("read").expect("claimed");
        assert_eq!(text(&record, "state"), Some("pending"));
        assert!(!record.contains_key("body") && !record.contains_key("status"), "old answer cleared: {record:?}");
    }

    #[tokio::test]
    async fn failures_release_the_key_and_abandoned_locks_are_taken_over() {
        let (store, clock) = setup();
        let Ok(Begin::Proceed(lock)) = begin(&store, &clock, &scope(None), &key("k"), "fp").await else {
            panic!("first use proceeds");
        };
        lock.finish(&store, &clock, &answer(401, "{}")).await;
        let Ok(Begin::Proceed(_abandoned)) = begin(&store, &clock, &scope(None), &key("k"), "fp").await else {
            panic!("released key proceeds");
        };
        clock.advance(time::Duration::seconds(PENDING_SECS + 1));
        assert!(matches!(begin(&store, &clock, &scope(None), &key("k"), "fp").await, Ok(Begin::Proceed(_))));
    }

    #[test]
    fn keys_must_be_printable_ascii() {
        let mut headers = HeaderMap::new();
        assert_eq!(key_from_headers(&headers).ok(), Some(None));
        headers.insert(HEADER, HeaderValue::from_static("order-123 retry"));
        assert_eq!(key_from_headers(&headers).ok().flatten(), Some(key("order-123 retry")));
        headers.insert(HEADER, HeaderValue::from_bytes(&[0xC3, 0xA9]).unwrap_or(HeaderValue::from_static("x")));
        assert!(key_from_headers(&headers).is_err());
        headers.insert(HEADER, HeaderValue::from_str(&"k".repeat(256)).unwrap_or(HeaderValue::from_static("x")));
        assert!(key_from_headers(&headers).is_err());
    }

    #[tokio::test]
    async fn a_late_copy_of_a_released_claim_does_not_take_the_key_back() {
        let (store, clock) = setup();
        let Ok(Begin::Proceed(lock)) = begin(&store, &clock, &scope(Some("c1")), &key("k"), "fp").await else {
            panic!("first use proceeds");
        };
        let (record, lock_id) = (lock.key.clone(), lock.lock_id.clone());
        lock.finish(&store, &clock, &answer(503, "{}")).await;
        // The claim's first attempt, timed out and retried, reaches the table only now.
        let now = clock.epoch_secs();
        let late = store.update_returning(&record, claim("fp", &lock_id, now), free(&lock_id, now)).await;
        assert!(matches!(late, Ok(Updated::Refused(Some(_)))), "the late copy is refused: {late:?}");
        let retry = begin(&store, &clock, &scope(Some("c1")), &key("k"), "fp").await;
        assert!(matches!(retry, Ok(Begin::Proceed(_))), "the client's retry runs: {retry:?}");
    }

    #[tokio::test]
    async fn a_claim_of_unknown_outcome_is_released() {
        let (store, clock) = setup();
        let failing = AnswersLost(store, true);
        let failed = begin(&failing, &clock, &scope(Some("c1")), &key("k"), "fp").await;
        assert!(matches!(failed, Err(ApiError::Unavailable { .. })), "the failure is answered: {failed:?}");
        let retry = begin(&failing.0, &clock, &scope(Some("c1")), &key("k"), "fp").await;
        assert!(matches!(retry, Ok(Begin::Proceed(_))), "the retry is not told it is in progress: {retry:?}");
    }

    /// A table that loses the answer of every conditional update: the adapter then sends the
    /// same update again and answers the second outcome (`false`), or its retries run out
    /// and it fails (`true`).
    struct AnswersLost(MemoryStore, bool);

    impl Store for AnswersLost {
        async fn get(&self, key: &Key) -> Result<Option<Item>, omnicanal_store::StoreError> {
            self.0.get(key).await
        }
        async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, omnicanal_store::StoreError> {
            self.0.batch_get(keys).await
        }
        async fn query(
            &self,
            query: &omnicanal_store::Query,
        ) -> Result<omnicanal_store::Page, omnicanal_store::StoreError> {
            self.0.query(query).await
        }
        async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), omnicanal_store::StoreError> {
            self.0.transact(ops).await
        }
        async fn update_returning(
            &self,
            key: &Key,
            updates: Vec<Update>,
            condition: Condition,
        ) -> Result<Updated, omnicanal_store::StoreError> {
            let _lost = self.0.update_returning(key, updates.clone(), condition.clone()).await?;
            if self.1 {
                return Err(omnicanal_store::StoreError::unavailable("no answer"));
            }
            self.0.update_returning(key, updates, condition).await
        }
        async fn replace(&self, item: Item) -> Result<Option<Item>, omnicanal_store::StoreError> {
            self.0.replace(item).await
        }
        async fn pause(&self, duration: std::time::Duration) {
            self.0.pause(duration).await;
        }
    }

    #[tokio::test]
    async fn a_claim_whose_answer_was_lost_is_still_ours() {
        let (store, clock) = setup();
        let store = AnswersLost(store, false);
        let Ok(Begin::Proceed(lock)) = begin(&store, &clock, &scope(Some("c1")), &key("k"), "fp").await else {
            panic!("the retried claim ran into our own lock: it is ours, not a request in progress");
        };
        lock.finish(&store, &clock, &answer(201, "{}")).await;
        let Ok(Begin::Replay(again)) = begin(&store, &clock, &scope(Some("c1")), &key("k"), "fp").await else {
            panic!("a repeat replays");
        };
        assert_eq!(again.status(), 201);
        let running = begin(&store, &clock, &scope(Some("c2")), &key("k"), "fp").await;
        let Ok(Begin::Proceed(other)) = running else { panic!("another caller's key is its own") };
        let theirs = begin(&store.0, &clock, &scope(Some("c2")), &key("k"), "fp").await;
        assert!(matches!(theirs, Err(ApiError::IdempotencyInProgress)), "another claim is still in progress");
        drop(other);
    }
}
