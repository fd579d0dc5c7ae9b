//! Running the fake: on a caller's runtime ([`serve`]) or on its own thread ([`FakeWecom`]).

use super::callback_push::{CallbackPusher, Delivery};
use super::contact_events;
use super::credentials::CodeSubject;
use super::faults::Faults;
use super::org::Org;
use super::state::Shared;
use super::wire::{Peer, Wired};
use super::{api, callback_controls, login_pages, sim_controls, FakeConfig};
use anyhow::Context;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::oneshot;

fn app(shared: Arc<Shared>) -> axum::Router {
    api::router(Arc::clone(&shared))
        .merge(login_pages::router(Arc::clone(&shared)))
        .merge(callback_controls::router(Arc::clone(&shared)))
        .merge(sim_controls::router(shared))
}

async fn run(shared: Arc<Shared>, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    // Connect info gives the peer address that 60020 checks and every errmsg reports, and the
    // connection that injected faults break or stall.
    axum::serve(Wired(listener), app(shared).into_make_service_with_connect_info::<Peer>())
        .await
        .context("模拟企业微信已停止 / fake WeCom server stopped")
}

/// Serves the fake on `listener` until the future is dropped or the listener fails.
/// The organisation is used as given (files from `Org::from_json_file` are already checked).
pub async fn serve(org: Org, config: FakeConfig, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    run(Arc::new(Shared::new(org, config)), listener).await
}

/// A fake WeCom on 127.0.0.1, served from its own thread and runtime so that synchronous code
/// (blocking plugin hooks) can use it. Dropping it stops the server and aborts open requests.
pub struct FakeWecom {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeWecom {
    /// Starts serving `org` on 127.0.0.1:`port` (0 = any free port). Returns once the port is
    /// bound, so the fake accepts connections as soon as this returns.
    pub fn start(org: Org, config: FakeConfig, port: u16) -> anyhow::Result<FakeWecom> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).with_context(|| {
            format!("模拟企业微信无法监听 127.0.0.1:{port} / cannot listen on 127.0.0.1:{port} for the fake WeCom")
        })?;
        listener
            .set_nonblocking(true)
            .context("模拟企业微信启动失败 / cannot make the fake WeCom listener non-blocking")?;
        let addr = listener.local_addr().context("模拟企业微信启动失败 / fake WeCom listener has no local address")?;
        // Two workers: the machines this runs on are small, and handlers never block for long.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("fake-wecom-worker")
            .enable_all()
            .build()
            .context("模拟企业微信启动失败 / cannot build the fake WeCom runtime")?;
        let shared = Arc::new(Shared::new(org, config));
        let (shutdown, stop) = oneshot::channel::<()>();
        let served = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("fake-wecom".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::error!("fake WeCom cannot use its listener: {e}");
                            return;
                        }
                    };
                    tokio::select! {
                        result = run(served, listener) => {
                            if let Err(e) = result {
                                tracing::error!("{e:#}");
                            }
                        }
                        _ = stop => {}
                    }
                });
                // Open connections (keep-alive, slow simulated calls) are aborted, not awaited.
                runtime.shutdown_timeout(Duration::from_millis(200));
            })
            .context("模拟企业微信启动失败 / cannot start the fake WeCom thread")?;
        Ok(FakeWecom { shared, addr, shutdown: Some(shutdown), thread: Some(thread) })
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash; the API is at `{base}/cgi-bin/...`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// WeCom calls per path without `/cgi-bin/` (`gettoken`, `user/list`, …), refused ones included.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.shared.stats.counts()
    }

    /// All WeCom calls since the start or the last reset (`/_sim/` controls not included).
    pub fn total_requests(&self) -> u64 {
        self.shared.stats.total()
    }

    /// Zeroes the counters; the in-flight peak restarts from the current level.
    pub fn reset_counts(&self) {
        self.shared.stats.reset();
    }

    /// The code WeCom hands the app's redirect after a member taps; single use, expires after
    /// `code_ttl_secs`, and only the app `agent_id`'s token can exchange it.
    pub fn mint_code(&self, agent_id: i64, userid: &str) -> String {
        self.shared.mint_code(agent_id, CodeSubject::Member(userid.to_owned()))
    }

    /// As [`FakeWecom::mint_code`] for a member who consented to share mobile and email
    /// (`snsapi_privateinfo`): the exchange also gives a `user_ticket` for `auth/getuserdetail`.
    pub fn mint_code_with_consent(&self, agent_id: i64, userid: &str) -> String {
        self.shared.mint_code_with_consent(agent_id, CodeSubject::Member(userid.to_owned()), true)
    }

    /// As [`FakeWecom::mint_code`] for someone outside the corp: the exchange yields `openid`.
    pub fn mint_code_for_non_member(&self, agent_id: i64, openid: &str) -> String {
        self.shared.mint_code(agent_id, CodeSubject::NonMember(openid.to_owned()))
    }

    /// Every access token and OAuth code this fake has issued (bounded: the most recent 10 000
    /// of each), for tests that prove the values leak nowhere.
    pub fn issued_credentials(&self) -> super::IssuedCredentials {
        self.shared.issued()
    }

    /// Every token issued so far answers 42001 from now on; `gettoken` issues fresh ones.
    pub fn expire_all_tokens(&self) {
        self.shared.expire_all_tokens();
    }

    /// Every token issued so far answers 40014 (revoked early) from now on.
    pub fn invalidate_all_tokens(&self) {
        self.shared.invalidate_all_tokens();
    }

    /// Edits the organisation live, as an admin would in the console; the next call sees it.
    /// Not re-entrant: do not call other `FakeWecom` methods that read the org from inside `f`.
    pub fn with_org<R>(&self, f: impl FnOnce(&mut Org) -> R) -> R {
        self.shared.with_org(f)
    }

    /// Injects faults into the WeCom API calls (`/cgi-bin/…`) from now on, replacing any in
    /// force; every rule's counting starts afresh.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.set_faults(faults);
    }

    /// Switches the behaviours whose real-WeCom answer is uncertain (see [`super::Behaviour`]),
    /// replacing the ones in force; the next call sees them.
    pub fn set_behaviour(&self, behaviour: super::Behaviour) {
        self.shared.set_behaviour(behaviour);
    }

    /// The directory lags behind its events for `userid` (see [`super::DirectoryLag`]):
    /// `user/get` answers 60111 and the member lists leave the member out until the lag is over.
    /// Usually called right after adding the member and before pushing its `create_user`.
    pub fn lag_member(&self, userid: &str, lag: super::DirectoryLag) {
        self.shared.lag.hide(userid, lag);
    }

    /// Every member lagging is shown at once.
    pub fn clear_lag(&self) {
        self.shared.lag.clear();
    }

    /// Removes every injected fault: calls are answered normally again.
    pub fn clear_faults(&self) {
        self.shared.set_faults(Faults::default());
    }

    /// The most WeCom calls in progress at once since the start or the last reset.
    pub fn peak_in_flight(&self) -> u64 {
        self.shared.stats.peak()
    }

    /// Seconds of WeCom calls in flight, summed over the finished calls since the start (never
    /// reset): its growth over a stretch of wall time, divided by the stretch, is the
    /// time-weighted average number of calls in flight.
    pub fn in_flight_secs(&self) -> f64 {
        self.shared.stats.in_flight_secs()
    }
}

impl Drop for FakeWecom {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for FakeWecom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeWecom").field("base_url", &self.base_url()).finish_non_exhaustive()
    }
}

impl CallbackPusher {
    /// "Member left": the admin deletes `userid` in the fake, and WeCom pushes `delete_user`.
    pub fn member_leaves(&self, fake: &FakeWecom, userid: &str) -> anyhow::Result<Delivery> {
        let event = fake
            .with_org(|org| contact_events::delete_member(org, userid))
            .with_context(|| format!("模拟企业微信中没有成员 {userid} / no member {userid} in the fake WeCom"))?;
        self.push(&event)
    }
}
