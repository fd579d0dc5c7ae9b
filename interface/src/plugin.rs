use crate::{
    Activation, AuthorizeRequest, AuthorizeUrl, CallbackReply, CallbackRequest, ChangeSet, CommitInput, ConfigReport,
    ConnectionSettings, DirectoryChange, DirectorySnapshot, LoginDecision, LoginFacts, LoginOutcome, LoginRequest,
    Plan, PlanInput, PluginError, Proposal, ProposalInput, RowQuery, ScopeSelection,
};
use abi_stable::{
    sabi_trait,
    std_types::{RBox, RResult, RVec},
};

/// The hooks of an integration plugin instance (one per Wanxiang organisation and corp).
///
/// Every hook is a blocking call, safe from several host threads at once, and never panics into
/// the host. The flow:
/// - setup: `configure` (checks for real, then activates); at every later start `activate`
///   (the stored configuration, no network call);
/// - sync: `fetch_scope` → `propose_bindings` (+ `query_rows`) → operator edits → `commit` →
///   the host applies the change set;
/// - changes: `handle_callback` → answer WeCom → `complete_change` → `plan_change` (a batch, or a
///   full read for the reconcile) → the host applies the change set;
/// - login: `oauth_authorize_url` → WeCom → `oauth_login` (who is it) → `decide_login` (may they
///   sign in, to which account, on what evidence) → the host applies and signs in.
///
/// The plugin decides; the host stores, transports and presents. Pure hooks make no WeCom call.
#[sabi_trait]
pub trait IntegrationPlugin: Send + Sync {
    /// Checks the connection settings against WeCom for real and, when accepted, activates them
    /// in this instance. Configuration problems are findings in the report, not errors; an
    /// error means the check itself could not run (e.g. a plugin fault).
    fn configure(&self, settings: &ConnectionSettings) -> RResult<ConfigReport, PluginError>;

    /// Activates a configuration the host stored after an earlier accepted `configure`, without
    /// any network call: login URLs and callbacks work at once; hooks that need WeCom fail with
    /// a `network.*` error while it is unreachable and recover by themselves. Settings that are
    /// malformed offline (a bad EncodingAESKey, ...) are error findings and nothing is activated.
    /// Settings without a Secret activate the callback receiver only.
    fn activate(&self, activation: &Activation) -> RResult<ConfigReport, PluginError>;

    /// Reads the WeCom directory inside `scope`. Parts that could not be read are listed in the
    /// snapshot, which is then marked incomplete.
    fn fetch_scope(&self, scope: &ScopeSelection) -> RResult<DirectorySnapshot, PluginError>;

    /// Proposes one binding-table row per WeCom member. Pure.
    fn propose_bindings(&self, input: &ProposalInput) -> RResult<Proposal, PluginError>;

    /// The table's search and filter: indexes of the matching rows, in table order. Pure.
    fn query_rows(&self, proposal: &Proposal, query: &RowQuery) -> RResult<RVec<u32>, PluginError>;

    /// Validates the operator's edits against the proposal and builds the change set, under the
    /// mass-removal safeguard. Pure.
    fn commit(&self, input: &CommitInput) -> RResult<ChangeSet, PluginError>;

    /// Decides what a batch of contact changes, or a full read (the reconcile), does to the
    /// platform, under the host's policy and the mass-removal safeguard. Pure.
    fn plan_change(&self, input: &PlanInput) -> RResult<Plan, PluginError>;

    /// Builds the WeCom login URL for the member's browser. No network call.
    fn oauth_authorize_url(&self, request: &AuthorizeRequest) -> RResult<AuthorizeUrl, PluginError>;

    /// Exchanges the code WeCom returned for the member (`auth/getuserinfo`, `user/get` for the
    /// status, `auth/getuserdetail` when the member consented). Says who it is, not whether they
    /// may sign in: that is `decide_login`.
    fn oauth_login(&self, request: &LoginRequest) -> RResult<LoginOutcome, PluginError>;

    /// Decides one login from the member and what the host stores about them: sign in, refuse,
    /// or ask for consent, a password proof, or the operator. No one is signed in to an account on
    /// a name alone. Pure.
    fn decide_login(&self, facts: &LoginFacts) -> RResult<LoginDecision, PluginError>;

    /// Handles one request to the platform's WeCom callback URL: verifies the signature and the
    /// timestamp, decrypts, and parses. No WeCom call, so the host can answer within WeCom's
    /// deadlines (1 s for verification, 5 s for events) and apply the change afterwards.
    fn handle_callback(&self, request: &CallbackRequest) -> RResult<CallbackReply, PluginError>;

    /// Fills in what an id-only event left out (`user/get`, `department/get`). Call it after
    /// answering WeCom. A deleted member or department is returned as it is.
    #[sabi(last_prefix_field)]
    fn complete_change(&self, change: &DirectoryChange) -> RResult<DirectoryChange, PluginError>;
    // Hooks added in later 0.2.x releases go here, each with a default body that answers
    // `plugin.unsupported` (see the crate doc), so an older host still loads a newer plugin.
}

/// The error a defaulted hook of a later release answers when the plugin predates it.
pub fn unsupported(hook: &str) -> PluginError {
    PluginError::new(
        crate::codes::PLUGIN_UNSUPPORTED,
        crate::Text::new(format!("该插件版本不支持 {hook}。"), format!("This plugin version does not support {hook}.")),
        crate::Text::new(
            "升级插件到与主机接口相同或更新的版本。",
            "Upgrade the plugin to the host's interface version or newer.",
        ),
    )
}

/// A plugin instance as returned across the boundary.
pub type PluginBox = IntegrationPlugin_TO<'static, RBox<()>>;
