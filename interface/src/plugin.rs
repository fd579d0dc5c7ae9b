use crate::{
    AuthorizeRequest, AuthorizeUrl, CallbackReply, CallbackRequest, ChangeSet, CommitInput, ConfigReport,
    ConnectionSettings, DirectoryChange, DirectorySnapshot, LoginOutcome, LoginRequest, PluginError, Proposal,
    ProposalInput, RowQuery, ScopeSelection, Text,
};
use abi_stable::{
    sabi_trait,
    std_types::{RBox, RResult, RVec},
};

/// The hooks of an integration plugin instance (one per Wanxiang organisation and corp).
///
/// Every hook is a blocking call, safe from several host threads at once, and never panics into the
/// host. The flow: `configure` → `fetch_scope` → `propose_bindings` (+ `query_rows` for the table's
/// search and filter) → operator edits → `commit` → host applies the change set; then, per login,
/// `oauth_authorize_url` → WeCom → `oauth_login`.
#[sabi_trait]
pub trait IntegrationPlugin: Send + Sync {
    /// Checks the connection settings against WeCom for real and, when accepted, makes this
    /// instance use them. Configuration problems are findings in the report, not errors; an
    /// error means the check itself could not run (e.g. a plugin fault).
    fn configure(&self, settings: &ConnectionSettings) -> RResult<ConfigReport, PluginError>;

    /// Reads the WeCom directory inside `scope`. Parts that could not be read are listed in the
    /// snapshot, which is then marked incomplete.
    fn fetch_scope(&self, scope: &ScopeSelection) -> RResult<DirectorySnapshot, PluginError>;

    /// Proposes one binding-table row per WeCom member. Pure: no WeCom call.
    fn propose_bindings(&self, input: &ProposalInput) -> RResult<Proposal, PluginError>;

    /// The table's search and filter: indexes of the matching rows, in table order. Pure.
    fn query_rows(&self, proposal: &Proposal, query: &RowQuery) -> RResult<RVec<u32>, PluginError>;

    /// Validates the operator's edits against the proposal and builds the change set. Pure.
    fn commit(&self, input: &CommitInput) -> RResult<ChangeSet, PluginError>;

    /// Builds the WeCom login URL for the member's browser.
    fn oauth_authorize_url(&self, request: &AuthorizeRequest) -> RResult<AuthorizeUrl, PluginError>;

    /// Exchanges the code WeCom returned for the member (`auth/getuserinfo`), re-checking the
    /// member's status.
    #[sabi(last_prefix_field)]
    fn oauth_login(&self, request: &LoginRequest) -> RResult<LoginOutcome, PluginError>;

    // Added after the first prefix (interface 0.1): defaulted, so an older plugin still loads.

    /// Handles one request to the platform's WeCom callback URL: verifies the signature and the
    /// timestamp, decrypts, and parses. No WeCom call, so the host can answer within WeCom's
    /// deadlines (1 s for verification, 5 s for events) and apply the change afterwards.
    /// Needs `callback_token` and `callback_aes_key` in the accepted configuration.
    fn handle_callback(&self, request: &CallbackRequest) -> RResult<CallbackReply, PluginError> {
        let _ = request;
        RResult::RErr(unsupported("handle_callback"))
    }

    /// Fills in what an id-only event left out (`user/get`, `department/get`). Call it after
    /// answering WeCom. A deleted member or department is returned as it is.
    fn complete_change(&self, change: &DirectoryChange) -> RResult<DirectoryChange, PluginError> {
        let _ = change;
        RResult::RErr(unsupported("complete_change"))
    }
}

fn unsupported(hook: &str) -> PluginError {
    PluginError::new(
        "plugin.unsupported",
        Text::new(format!("该插件版本不支持 {hook}。"), format!("This plugin version does not support {hook}.")),
        Text::new(
            "升级插件到与主机接口相同或更新的版本。",
            "Upgrade the plugin to the host's interface version or newer.",
        ),
    )
}

/// A plugin instance as returned across the boundary.
pub type PluginBox = IntegrationPlugin_TO<'static, RBox<()>>;
