//! The platform's own web server, as the Wanxiang host would run it: the homepage, the trusted
//! domain's `WW_verify_*.txt` file, and the one-click login round trip (start → WeCom → callback).
//! Hooks are blocking calls, so every hook runs on `spawn_blocking`, never on a runtime worker.
//! It also serves WeCom's contact-change callbacks at [`CALLBACK_PATH`].

mod callback;
mod login;
mod pages;
mod state;

pub use callback::CALLBACK_PATH;
pub use state::{random_token, LoginSessions, Platform, SessionLimits, SessionsFull, VerifyFile};

use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

/// The platform's routes.
pub fn router(platform: Arc<Platform>) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/me", get(pages::me))
        .route("/{file}", get(pages::verify_file))
        .route("/oauth/wecom/start", get(login::start))
        .route("/oauth/wecom/callback", get(login::callback))
        .route("/logout", post(login::logout))
        .route(CALLBACK_PATH, get(callback::verify).post(callback::event))
        .with_state(platform)
}

/// A platform server running on 127.0.0.1 in its own thread; dropped, it stops.
pub struct RunningPlatform {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningPlatform {
    /// Binds `127.0.0.1:port` (0 = any) and serves the platform until dropped.
    pub fn start(port: u16, make: impl FnOnce(&str) -> anyhow::Result<Arc<Platform>>) -> anyhow::Result<Self> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let platform = make(&base_url)?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let thread = std::thread::Builder::new().name("platform-http".into()).spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
                let app = router(platform);
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
        })?;
        Ok(RunningPlatform { base_url, shutdown: Some(tx), thread: Some(thread) })
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
