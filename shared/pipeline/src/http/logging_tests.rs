//! What the pipeline logs for a failed request, at the level operators run in production.

use std::io::Write;
use std::sync::{Arc, Mutex};

use omnicanal_platform::clock::ManualClock;
use omnicanal_store::memory::MemoryStore;

use super::*;
use crate::auth::Authenticator;
use crate::config::{Config, JwtConfig};

/// A log sink the test reads back.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn at_warn_a_500_is_logged_once_with_its_request_id_and_cause() {
    let sink = Lines::default();
    let writer = sink.clone();
    let subscriber =
        tracing_subscriber::fmt().json().with_env_filter("warn").with_writer(move || writer.clone()).finish();
    let _logging = tracing::subscriber::set_default(subscriber);

    let clock: omnicanal_platform::clock::SharedClock = Arc::new(ManualClock::from_epoch_millis(1_800_000_000_000));
    let env = Env {
        store: MemoryStore::new(clock.clone()),
        clock,
        config: Config::default(),
        auth: Authenticator::new(&JwtConfig::default()).expect("no key is a valid configuration"),
    };
    let routes = Routes::new("/t", &[("/t/boom", &[(Method::GET, ())])]).expect("routes");
    let request =
        Request::builder().uri("/t/boom").header("x-request-id", "req-42").body(Bytes::new()).expect("request");
    let response = serve(request, &env, &routes, |_, ()| async {
        Err(ApiError::internal_because("the answer", std::io::Error::other("disk on fire")))
    })
    .await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);

    let text = String::from_utf8(sink.0.lock().expect("lines").clone()).expect("utf-8");
    let errors: Vec<&str> = text.lines().filter(|line| line.contains("\"ERROR\"")).collect();
    assert_eq!(errors.len(), 1, "one line per 500: {text}");
    assert!(errors[0].contains("req-42"), "the request id on the error line: {}", errors[0]);
    assert!(errors[0].contains("disk on fire"), "its cause: {}", errors[0]);
}
