//! One plugin instance: one Wanxiang organisation connected to one WeCom corp. It owns its tokio
//! runtime (hooks are blocking calls from any host thread), the accepted configuration with its
//! client and token cache, and the members of the last complete read (for the login scope check).

use crate::callback::{self, CallbackConfig, ReplayGuard};
use crate::configure::{self, Accepted};
use crate::host_log::Host;
use crate::{binding, directory, login};
use interface::{
    AuthorizeRequest, AuthorizeUrl, CallbackReply, CallbackRequest, ChangeSet, CommitInput, ConfigReport,
    ConnectionSettings, DirectoryChange, DirectorySnapshot, LoginOutcome, LoginRequest, PluginError, Proposal,
    ProposalInput, RowQuery, ScopeSelection, Text,
};
use std::collections::HashSet;
use std::sync::{Mutex, RwLock};
use tokio::runtime::Runtime;

/// The members of the last complete read, by scope.
struct ScopeMembers {
    scope: ScopeSelection,
    userids: HashSet<String>,
}

/// State of one instance.
pub struct Instance {
    host: Host,
    runtime: OwnRuntime,
    accepted: RwLock<Option<Accepted>>,
    last_scope: Mutex<Option<ScopeMembers>>,
    /// Callback deliveries already accepted, so that WeCom's retries are not applied twice.
    replay: ReplayGuard,
}

impl Instance {
    /// A new, unconfigured instance.
    pub fn new(host: Host) -> Result<Self, PluginError> {
        host.failpoints().hit("new_instance");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("wecom-plugin")
            .enable_all()
            .build()
            .map_err(|e| {
                PluginError::new(
                    "plugin.runtime",
                    Text::new(format!("无法启动插件运行时：{e}"), format!("could not start the plugin runtime: {e}")),
                    Text::new("检查主机进程的线程限制。", "Check the host process's thread limits."),
                )
            })?;
        Ok(Instance {
            host,
            runtime: OwnRuntime(Some(runtime)),
            accepted: RwLock::new(None),
            last_scope: Mutex::new(None),
            replay: ReplayGuard::new(),
        })
    }

    /// The failpoints armed for this instance.
    pub fn failpoints(&self) -> &crate::failpoints::Failpoints {
        self.host.failpoints()
    }

    /// Runs a hook's async part on the instance's own runtime (failpoint `<hook>@runtime` fires
    /// inside the future, in test builds).
    ///
    /// A hook called while this thread already drives a plugin runtime (a host callback such as
    /// `progress` calling back into a hook) is refused with `plugin.reentrant_call`: tokio would
    /// panic there. The host's own tokio runtime is never seen here (the library has its own copy
    /// of tokio), so hooks called on a host runtime thread run normally.
    fn block_on<F: std::future::Future>(&self, hook: &str, future: F) -> Result<F::Output, PluginError> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(reentrant(hook));
        }
        // `None` only while the instance is being dropped, when no hook can run.
        let runtime = self.runtime.0.as_ref().ok_or_else(|| {
            PluginError::new(
                "plugin.runtime",
                Text::new("插件运行时已关闭。", "The plugin runtime has shut down."),
                Text::new("重新创建插件实例。", "Create the plugin instance again."),
            )
        })?;
        Ok(runtime.block_on(async {
            self.host.failpoints().hit_at(hook, "runtime");
            future.await
        }))
    }

    fn accepted(&self) -> Result<Accepted, PluginError> {
        let guard = self.accepted.read().map_err(|_| poisoned())?;
        guard.clone().ok_or_else(|| {
            PluginError::new(
                "plugin.not_configured",
                Text::new("尚未保存有效的企业微信对接信息。", "No valid WeCom connection has been saved yet."),
                Text::new("先调用 configure 并修正其中的错误。", "Call configure first and fix the errors it reports."),
            )
        })
    }

    /// `configure` hook.
    pub fn configure(&self, settings: &ConnectionSettings) -> Result<ConfigReport, PluginError> {
        let checked = self.block_on("configure", configure::check(settings, &self.host))?;
        if let Some(accepted) = checked.accepted {
            let mut slot = self.accepted.write().map_err(|_| poisoned())?;
            self.host.failpoints().hit_at("configure", "locked");
            *slot = Some(accepted);
            drop(slot);
            *self.last_scope.lock().map_err(|_| poisoned())? = None;
        }
        Ok(checked.report)
    }

    /// `fetch_scope` hook.
    pub fn fetch_scope(&self, scope: &ScopeSelection) -> Result<DirectorySnapshot, PluginError> {
        let accepted = self.accepted()?;
        let snapshot = self.block_on("fetch_scope", directory::fetch(&accepted, scope, &self.host))??;
        if snapshot.complete {
            let userids = snapshot.members.iter().map(|m| m.userid.as_str().to_lowercase()).collect();
            *self.last_scope.lock().map_err(|_| poisoned())? = Some(ScopeMembers { scope: scope.clone(), userids });
        }
        Ok(snapshot)
    }

    /// `propose_bindings` hook.
    pub fn propose_bindings(&self, input: &ProposalInput) -> Result<Proposal, PluginError> {
        Ok(binding::propose(input))
    }

    /// `query_rows` hook.
    pub fn query_rows(&self, proposal: &Proposal, query: &RowQuery) -> Result<Vec<u32>, PluginError> {
        Ok(binding::query_rows(proposal, query))
    }

    /// `commit` hook.
    pub fn commit(&self, input: &CommitInput) -> Result<ChangeSet, PluginError> {
        binding::build_change_set(input).map_err(|e| {
            let mut error = PluginError::new(
                e.code(),
                Text::new(e.message_zh(), e.message_en()),
                Text::new(e.fix_zh(), e.fix_en()),
            );
            if let Some(row) = e.row() {
                error = error.with_field(row);
            }
            error
        })
    }

    /// `oauth_authorize_url` hook.
    pub fn oauth_authorize_url(&self, request: &AuthorizeRequest) -> Result<AuthorizeUrl, PluginError> {
        let accepted = self.accepted()?;
        login::authorize_url(&accepted.settings, accepted.app.redirect_domain.as_str(), request)
    }

    /// `oauth_login` hook.
    pub fn oauth_login(&self, request: &LoginRequest) -> Result<LoginOutcome, PluginError> {
        let accepted = self.accepted()?;
        let outcome = self.block_on("oauth_login", login::exchange(&accepted, request))??;
        self.check_scope(&request.scope, outcome.userid.as_str())?;
        Ok(outcome)
    }

    /// `handle_callback` hook: no WeCom call and no runtime, so it answers within WeCom's
    /// deadlines.
    pub fn handle_callback(&self, request: &CallbackRequest) -> Result<CallbackReply, PluginError> {
        let config = CallbackConfig::from_settings(&self.accepted()?.settings)?;
        callback::handle(&config, request, request.now_unix, &self.replay)
    }

    /// `complete_change` hook.
    pub fn complete_change(&self, change: &DirectoryChange) -> Result<DirectoryChange, PluginError> {
        let accepted = self.accepted()?;
        self.block_on("complete_change", callback::complete::complete(&accepted.client, change))?
    }

    /// A member outside the synced scope is refused. The check uses the last complete read of
    /// that scope; without one, only members named in the scope can be checked exactly.
    fn check_scope(&self, scope: &ScopeSelection, userid: &str) -> Result<(), PluginError> {
        if scope.department_ids.is_empty() && scope.user_ids.is_empty() && scope.tag_ids.is_empty() {
            return Ok(());
        }
        let key = userid.to_lowercase();
        let last = self.last_scope.lock().map_err(|_| poisoned())?;
        let inside = match last.as_ref().filter(|m| &m.scope == scope) {
            Some(members) => members.userids.contains(&key),
            None if scope.department_ids.is_empty() && scope.tag_ids.is_empty() => {
                scope.user_ids.iter().any(|u| u.as_str().eq_ignore_ascii_case(userid))
            }
            None => {
                self.host.debug("login scope check skipped: no complete read of this scope in this process");
                true
            }
        };
        if inside {
            Ok(())
        } else {
            Err(PluginError::new(
                "login.out_of_scope",
                Text::new(
                    format!("成员 {userid} 不在同步范围内，不能登录。"),
                    format!("Member {userid} is outside the synced scope and cannot log in."),
                ),
                Text::new(
                    "请管理员把该成员加入同步范围后重新同步。",
                    "Ask the admin to add the member to the sync scope and sync again.",
                ),
            )
            .with_field("userid"))
        }
    }
}

/// The instance's tokio runtime. Always `Some` until dropped.
struct OwnRuntime(Option<Runtime>);

impl Drop for OwnRuntime {
    /// A runtime dropped on a thread that drives a plugin runtime (a host callback of another
    /// instance dropping this one, or this instance's own worker) would panic on tokio's blocking
    /// shutdown, inside a drop called across the ABI, which aborts the host. There it is shut down
    /// in the background instead; everywhere else it waits for its threads as usual.
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                runtime.shutdown_background();
            }
        }
    }
}

fn reentrant(hook: &str) -> PluginError {
    PluginError::new(
        "plugin.reentrant_call",
        Text::new(
            format!("不能在插件回调（如 progress、log）中调用 {hook}。"),
            format!("{hook} was called from inside a plugin callback (such as progress or log)."),
        ),
        Text::new(
            "在回调中只记录所需信息并立即返回；在回调之外（例如另一个线程）再调用插件。",
            "Return from the callback promptly and call the plugin outside it (e.g. from another thread).",
        ),
    )
}

fn poisoned() -> PluginError {
    PluginError::new(
        "plugin.state_poisoned",
        Text::new("插件状态因先前的内部错误不可用。", "The plugin state is unusable after an earlier internal fault."),
        Text::new("重新创建插件实例。", "Create the plugin instance again."),
    )
}
