//! One plugin instance: one Wanxiang organisation connected to one WeCom corp. It owns its tokio
//! runtime (hooks are blocking calls from any host thread) and the active configuration with its
//! client and token cache. It keeps nothing the host stores: who may log in is decided from what
//! the host passes (`decide_login`), never from a cache of an earlier read.

use crate::callback::{self, CallbackConfig, ReplayGuard};
use crate::configure::{self, Checked};
use crate::host_log::Host;
use crate::settings::Accepted;
use crate::{binding, directory, login, plan};
use interface::{
    Activation, AuthorizeRequest, AuthorizeUrl, CallbackReply, CallbackRequest, ChangeSet, CommitInput, ConfigReport,
    ConnectionSettings, DirectoryChange, DirectorySnapshot, LoginDecision, LoginFacts, LoginOutcome, LoginRequest,
    Plan, PlanInput, PluginError, Proposal, ProposalInput, RowQuery, ScopeSelection, Text,
};
use std::sync::RwLock;
use tokio::runtime::Runtime;

/// State of one instance.
pub struct Instance {
    host: Host,
    runtime: OwnRuntime,
    accepted: RwLock<Option<Accepted>>,
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

    /// The active configuration, for a hook that calls WeCom: refused with `config.missing`
    /// when it was activated for the callback receiver alone (no Secret).
    fn online(&self) -> Result<Accepted, PluginError> {
        let accepted = self.accepted()?;
        if !accepted.settings.can_call_wecom() {
            return Err(PluginError::new(
                interface::codes::CONFIG_MISSING,
                Text::new(
                    "当前配置没有 AgentID 和 Secret，只能接收回调，不能调用企业微信。",
                    "The active configuration has no AgentID and Secret: it receives callbacks but cannot call WeCom.",
                ),
                Text::new(
                    "用完整的对接信息调用 configure 或 activate。",
                    "Call configure or activate with the full connection settings.",
                ),
            )
            .with_field("secret"));
        }
        Ok(accepted)
    }

    fn adopt(&self, hook: &str, checked: Checked) -> Result<ConfigReport, PluginError> {
        if let Some(accepted) = checked.accepted {
            let mut slot = self.accepted.write().map_err(|_| poisoned())?;
            self.host.failpoints().hit_at(hook, "locked");
            *slot = Some(accepted);
        }
        Ok(checked.report)
    }

    /// `configure` hook.
    pub fn configure(&self, settings: &ConnectionSettings) -> Result<ConfigReport, PluginError> {
        let checked = self.block_on("configure", configure::check(settings, &self.host))?;
        self.adopt("configure", checked)
    }

    /// `activate` hook: no network call, no runtime.
    pub fn activate(&self, activation: &Activation) -> Result<ConfigReport, PluginError> {
        self.adopt("activate", configure::activate(activation, &self.host))
    }

    /// `fetch_scope` hook.
    pub fn fetch_scope(&self, scope: &ScopeSelection) -> Result<DirectorySnapshot, PluginError> {
        let accepted = self.with_known_range(self.online()?)?;
        self.block_on("fetch_scope", directory::fetch(&accepted, scope, &self.host))?
    }

    /// The configuration with the app's visible range known. A configuration activated without
    /// the app's description (the host stored none) learns it once with `agent/get`, the first
    /// time a read needs it, and keeps it: the read plans its calls by the range.
    fn with_known_range(&self, mut accepted: Accepted) -> Result<Accepted, PluginError> {
        let range = &accepted.app.visible;
        if !(range.department_ids.is_empty() && range.user_ids.is_empty() && range.tag_ids.is_empty()) {
            return Ok(accepted);
        }
        let agent_id = accepted.settings.agent_id;
        let agent = self
            .block_on("fetch_scope", accepted.client.get_agent(agent_id))?
            .map_err(|e| crate::wecom_text::to_plugin_error(&e))?;
        accepted.app = configure::app_info(&agent);
        let mut slot = self.accepted.write().map_err(|_| poisoned())?;
        let corp_id = accepted.settings.corp_id.clone();
        if let Some(active) = slot.as_mut().filter(|a| a.settings.agent_id == agent_id && a.settings.corp_id == corp_id)
        {
            active.app = accepted.app.clone();
        }
        Ok(accepted)
    }

    /// `plan_change` hook.
    pub fn plan_change(&self, input: &PlanInput) -> Result<Plan, PluginError> {
        plan::plan(input)
    }

    /// `decide_login` hook.
    pub fn decide_login(&self, facts: &LoginFacts) -> Result<LoginDecision, PluginError> {
        Ok(login::decide_login(facts))
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
        let accepted = self.online()?;
        self.block_on("oauth_login", login::exchange(&accepted, request, &self.host))?
    }

    /// `handle_callback` hook: no WeCom call and no runtime, so it answers within WeCom's
    /// deadlines.
    pub fn handle_callback(&self, request: &CallbackRequest) -> Result<CallbackReply, PluginError> {
        let config = CallbackConfig::from_settings(&self.accepted()?.settings)?;
        callback::handle(&config, request, request.now_unix, &self.replay)
    }

    /// `complete_change` hook.
    pub fn complete_change(&self, change: &DirectoryChange) -> Result<DirectoryChange, PluginError> {
        let accepted = self.online()?;
        self.block_on("complete_change", callback::complete::complete(&accepted.client, change))?
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
