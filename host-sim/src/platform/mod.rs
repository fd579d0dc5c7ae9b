//! The platform's own web server, as the Wanxiang host would run it: the homepage, the trusted
//! domain's `WW_verify_*.txt` file, and the one-click login round trip (start → WeCom → callback).
//! Hooks are blocking calls, so every hook runs on `spawn_blocking`, never on a runtime worker.
//! It also serves WeCom's contact-change callbacks at [`CALLBACK_PATH`].

mod callback;
mod home;
mod login;
mod pages;
mod rejection;
mod state;

pub use callback::CALLBACK_PATH;
pub use state::{
    random_token, LoginSessions, Platform, ProofFailure, ProofProblem, ProofTicket, SessionLimits, SessionsFull,
    VerifyFile,
};

use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use std::time::Duration;

/// The platform's routes.
pub fn router(platform: Arc<Platform>) -> Router {
    Router::new()
        .route("/", get(home::home))
        .route("/me", get(home::me))
        .route("/{file}", get(home::verify_file))
        .route("/oauth/wecom/start", get(login::start))
        .route("/oauth/wecom/callback", get(login::callback))
        .route("/oauth/wecom/password", axum::routing::post(login::password))
        .route("/logout", post(login::logout))
        .route(CALLBACK_PATH, get(callback::verify).post(callback::event))
        .fallback(rejection::not_found)
        .method_not_allowed_fallback(rejection::method_not_allowed)
        .with_state(platform)
}

/// What the server allows its clients: a client that dawdles or piles up connections is cut off
/// rather than holding the server's memory and sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// The whole request head (request line and headers) must arrive within this; also the
    /// longest a kept-alive connection may sit idle before its next request.
    pub header_timeout: Duration,
    /// A request body must arrive within this (the callback URL's POST).
    pub body_timeout: Duration,
    /// Connections open at once; a connection past it is closed at once.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 512,
        }
    }
}

/// A platform server running on 127.0.0.1 in its own thread; dropped, it stops.
pub struct RunningPlatform {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningPlatform {
    /// Binds `127.0.0.1:port` (0 = any) and serves the platform until dropped, with the
    /// default [`ServerLimits`].
    pub fn start(port: u16, make: impl FnOnce(&str) -> anyhow::Result<Arc<Platform>>) -> anyhow::Result<Self> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let platform = make(&base_url)?;
        let limits = platform.limits;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let thread = std::thread::Builder::new().name("platform-http".into()).spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
                serve(listener, router(platform), limits, rx).await;
            });
        })?;
        Ok(RunningPlatform { base_url, shutdown: Some(tx), thread: Some(thread) })
    }
}

/// Accepts connections until `shutdown`: each on HTTP/1.1 with the head timeout, at most
/// `limits.max_connections` at once (past it, a new connection is closed unanswered).
async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: ServerLimits,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let open = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of file descriptors and the like: pause instead of spinning.
                tracing::warn!(target: "platform", "accept failed: {error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            tracing::warn!(target: "platform", "{} connections open; one more refused", limits.max_connections);
            drop(stream);
            continue;
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let _ = connection.await;
            drop(permit);
        });
    }
}

impl Drop for RunningPlatform {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
