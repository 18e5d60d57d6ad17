//! `omnicanal serve`: all five functions on one port, over the store `OMNICANAL_STORE` names.
//!
//! The server only converts requests and answers and routes by prefix; everything else (auth,
//! limits, problem JSON, idempotency) is the functions' shared pipeline, as on Lambda and
//! Workers. It stops gracefully on SIGTERM and Ctrl-C: in-flight requests finish first.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt as _;
use omnicanal_pipeline::auth::Authenticator;
use omnicanal_pipeline::config::Config;
use omnicanal_pipeline::http::{BODY_LIMIT, Env};
use omnicanal_platform::clock::{SharedClock, SystemClock};

use crate::any_store::AnyStore;
use crate::dev_secret::{self, KeySource};
use crate::malformed_http::ProblemOnMalformed;

type App = Arc<Env<AnyStore>>;

/// Parses the configuration, builds the environment once and serves until a signal.
pub(crate) fn run() -> Result<(), String> {
    crate::logging::init();
    let mut config = Config::from_env().map_err(|e| e.to_string())?;
    match dev_secret::ensure(&mut config)? {
        KeySource::Configured => {}
        KeySource::DevFile(path) => tracing::info!(path = %path.display(), "using the development JWT secret"),
        KeySource::CreatedDevFile(path) => tracing::warn!(
            path = %path.display(),
            "no OMNICANAL_JWT_SECRET configured: created a development secret; mint tokens with `omnicanal token`"
        ),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?;
    runtime.block_on(serve(config))
}

async fn serve(config: Config) -> Result<(), String> {
    let clock: SharedClock = Arc::new(SystemClock);
    let store = crate::any_store::open(&config, clock.clone()).await?;
    let auth = Authenticator::new(&config.jwt).map_err(|e| e.to_string())?;
    let listener =
        tokio::net::TcpListener::bind(&config.addr).await.map_err(|e| format!("binding {}: {e}", config.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(
        addr = %addr,
        store = ?config.store,
        data_dir = %config.data_dir.display(),
        "listening"
    );
    let app: App = Arc::new(Env { store, clock, config, auth });
    // A client holding half-open connections must not keep them (and their sockets) for
    // ever: its headers have `OMNICANAL_HEADER_READ_TIMEOUT_SECONDS` to arrive.
    let header_timeout = Duration::from_secs(app.config.header_read_timeout_secs);
    let router = axum::Router::new().fallback(route).with_state(app);
    accept(listener, router, header_timeout).await;
    tracing::info!("stopped");
    Ok(())
}

/// Serves HTTP/1.1 connections until a shutdown signal, then lets the open ones finish.
/// Hand-written around hyper rather than `axum::serve` because that sets no timer, and
/// without one hyper cannot time out a client that never finishes its headers.
async fn accept(listener: tokio::net::TcpListener, router: axum::Router, header_timeout: Duration) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown_signal());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // A refused accept (out of file descriptors, a reset): the next one may work.
                Err(err) => {
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // The peer's address scopes an anonymous caller's idempotency keys.
        let client = omnicanal_pipeline::context::ClientAddress(peer.ip().to_string());
        let service = hyper_util::service::TowerToHyperService::new(router.clone().layer(axum::Extension(client)));
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(hyper_util::rt::TokioIo::new(ProblemOnMalformed::new(stream)), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that went away or sent garbage ends its own connection only.
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "connection ended");
            }
        });
    }
    graceful.shutdown().await;
}

/// Hands the request to the function owning its prefix.
async fn route(
    axum::extract::State(app): axum::extract::State<App>,
    request: http::Request<Body>,
) -> http::Response<Body> {
    let (parts, body) = request.into_parts();
    let body = read_capped(body, BODY_LIMIT + 1).await;
    let request = http::Request::from_parts(parts, body);
    let env = app.as_ref();
    let response = match first_segment(request.uri().path()) {
        "cart" => omnicanal_cart::handle(request, env).await,
        "stock" => omnicanal_stock::handle(request, env).await,
        "offers" => omnicanal_offers::handle(request, env).await,
        "loyalty" => omnicanal_loyalty::handle(request, env).await,
        "orders" => omnicanal_orders::handle(request, env).await,
        _ => omnicanal_pipeline::http::unrouted(request, env).await,
    };
    response.map(Body::from)
}

fn first_segment(path: &str) -> &str {
    path.trim_start_matches('/').split('/').next().unwrap_or("")
}

/// Reads at most `cap` bytes of the body: enough for the pipeline to see that an oversized
/// body is over the limit (and answer 413) without buffering all of it.
async fn read_capped(mut body: Body, cap: usize) -> Bytes {
    let mut buf = BytesMut::new();
    while buf.len() < cap {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    let room = cap - buf.len();
                    buf.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            // A broken upload is answered like an empty one; the client is gone anyway.
            Some(Err(_)) | None => break,
        }
    }
    buf.freeze()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
