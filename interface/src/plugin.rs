use crate::{
    AuthorizeRequest, AuthorizeUrl, ChangeSet, CommitInput, ConfigReport, ConnectionSettings, DirectorySnapshot,
    LoginOutcome, LoginRequest, PluginError, Proposal, ProposalInput, RowQuery, ScopeSelection,
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
}

/// A plugin instance as returned across the boundary.
pub type PluginBox = IntegrationPlugin_TO<'static, RBox<()>>;
