//! The boundary: the root module the host loads and the hook object it calls. Thin on purpose:
//! each hook converts types and runs its body under the panic guard.

use crate::guard::guard;
use crate::host_log::Host;
use crate::instance::Instance;
use abi_stable::{
    export_root_module,
    prefix_type::PrefixTypeTrait,
    sabi_extern_fn,
    sabi_trait::TD_Opaque,
    std_types::{RResult, RVec},
};
use interface::{
    Activation, AuthorizeRequest, AuthorizeUrl, CallbackReply, CallbackRequest, ChangeSet, CommitInput, ConfigReport,
    ConnectionSettings, DirectoryChange, DirectorySnapshot, HostServicesBox, IntegrationPlugin, IntegrationPlugin_TO,
    LoginDecision, LoginFacts, LoginOutcome, LoginRequest, Plan, PlanInput, PluginBox, PluginError, PluginInfo,
    PluginModule, PluginModuleRef, Proposal, ProposalInput, RowQuery, ScopeSelection,
};

/// The library's root module.
#[export_root_module]
pub fn get_library() -> PluginModuleRef {
    PluginModule { info, new_instance }.leak_into_prefix()
}

#[sabi_extern_fn]
fn info() -> PluginInfo {
    PluginInfo {
        name: "wecom".into(),
        display_name: "企业微信 / WeCom".into(),
        // A build with deliberate panics says so, to whoever loads it.
        version: if cfg!(feature = "failpoints") {
            concat!(env!("CARGO_PKG_VERSION"), "+failpoints").into()
        } else {
            env!("CARGO_PKG_VERSION").into()
        },
    }
}

#[sabi_extern_fn]
fn new_instance(host: HostServicesBox) -> RResult<PluginBox, PluginError> {
    guard("new_instance", || {
        let instance = Instance::new(Host::new(host))?;
        Ok(IntegrationPlugin_TO::from_value(WecomPlugin(instance), TD_Opaque))
    })
}

/// The hook object handed to the host.
pub struct WecomPlugin(Instance);

impl WecomPlugin {
    /// Runs one hook body under the panic guard (failpoint `hook` fires inside it, in test builds).
    fn run<T>(&self, hook: &str, body: impl FnOnce() -> Result<T, PluginError>) -> RResult<T, PluginError> {
        guard(hook, || {
            self.0.failpoints().hit(hook);
            body()
        })
    }
}

impl IntegrationPlugin for WecomPlugin {
    fn configure(&self, settings: &ConnectionSettings) -> RResult<ConfigReport, PluginError> {
        self.run("configure", || self.0.configure(settings))
    }

    fn activate(&self, activation: &Activation) -> RResult<ConfigReport, PluginError> {
        self.run("activate", || self.0.activate(activation))
    }

    fn plan_change(&self, input: &PlanInput) -> RResult<Plan, PluginError> {
        self.run("plan_change", || self.0.plan_change(input))
    }

    fn decide_login(&self, facts: &LoginFacts) -> RResult<LoginDecision, PluginError> {
        self.run("decide_login", || self.0.decide_login(facts))
    }

    fn fetch_scope(&self, scope: &ScopeSelection) -> RResult<DirectorySnapshot, PluginError> {
        self.run("fetch_scope", || self.0.fetch_scope(scope))
    }

    fn propose_bindings(&self, input: &ProposalInput) -> RResult<Proposal, PluginError> {
        self.run("propose_bindings", || self.0.propose_bindings(input))
    }

    fn query_rows(&self, proposal: &Proposal, query: &RowQuery) -> RResult<RVec<u32>, PluginError> {
        self.run("query_rows", || self.0.query_rows(proposal, query).map(RVec::from))
    }

    fn commit(&self, input: &CommitInput) -> RResult<ChangeSet, PluginError> {
        self.run("commit", || self.0.commit(input))
    }

    fn oauth_authorize_url(&self, request: &AuthorizeRequest) -> RResult<AuthorizeUrl, PluginError> {
        self.run("oauth_authorize_url", || self.0.oauth_authorize_url(request))
    }

    fn oauth_login(&self, request: &LoginRequest) -> RResult<LoginOutcome, PluginError> {
        self.run("oauth_login", || self.0.oauth_login(request))
    }

    fn handle_callback(&self, request: &CallbackRequest) -> RResult<CallbackReply, PluginError> {
        self.run("handle_callback", || self.0.handle_callback(request))
    }

    fn complete_change(&self, change: &DirectoryChange) -> RResult<DirectoryChange, PluginError> {
        self.run("complete_change", || self.0.complete_change(change))
    }
}
