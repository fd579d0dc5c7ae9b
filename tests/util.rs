//! Shared setup: the built plugin library, a fake WeCom, a configured instance.

use abi_stable::std_types::RResult;
use host_sim::fake_wecom::{FakeConfig, FakeWecom, Org};
use host_sim::host::plugin_host::{default_plugin_path, LoadedPlugin, SimHost};
use interface::{ConfigReport, ConnectionSettings, PluginBox, PluginError, SecretString};
use std::path::PathBuf;
use std::sync::OnceLock;

/// The platform URL tests configure (the fake's app is set up to match it).
pub const PLATFORM: &str = "http://127.0.0.1:18080";

/// Path of the cdylib cargo built for this test run (`target/<profile>/deps/`, beside this binary).
pub fn plugin_path() -> PathBuf {
    default_plugin_path()
}

/// The plugin, loaded once per test process (a library is never unloaded anyway).
pub fn plugin() -> &'static LoadedPlugin {
    static PLUGIN: OnceLock<LoadedPlugin> = OnceLock::new();
    PLUGIN.get_or_init(|| {
        let path = plugin_path();
        LoadedPlugin::load(&path).unwrap_or_else(|e| panic!("plugin library at {}: {e}", path.display()))
    })
}

/// A fake WeCom with the sample organisation, its app set up as the platform needs.
pub fn fake() -> FakeWecom {
    fake_with(Org::sample(), FakeConfig::default())
}

/// A fake WeCom with this organisation and configuration, app 1000002 set up for the platform.
pub fn fake_with(org: Org, config: FakeConfig) -> FakeWecom {
    let fake = FakeWecom::start(org, config, 0).expect("fake WeCom starts");
    fake.with_org(|org| {
        if let Some(app) = org.apps.iter_mut().find(|a| a.agent_id == 1000002) {
            app.home_url = format!("{PLATFORM}/");
            app.redirect_domain = "127.0.0.1:18080".into();
        }
    });
    fake
}

/// Settings for the sample app 1000002 on this fake.
pub fn settings(fake: &FakeWecom) -> ConnectionSettings {
    let org = Org::sample();
    let app = org.apps.iter().find(|a| a.agent_id == 1000002).expect("sample app");
    ConnectionSettings {
        corp_id: org.corp_id.clone().into(),
        agent_id: "1000002".into(),
        secret: SecretString::new(app.secret.clone()),
        api_base_url: fake.base_url().into(),
        // The fake serves the login pages at their real paths under its own address.
        authorize_base_url: fake.base_url().into(),
        web_login_base_url: fake.base_url().into(),
        homepage_url: format!("{PLATFORM}/").into(),
        redirect_url: format!("{PLATFORM}/oauth/wecom/callback").into(),
        ..Default::default()
    }
}

/// A new instance of the loaded plugin.
pub fn instance() -> PluginBox {
    plugin().instance(SimHost::default()).expect("instance")
}

/// A new instance configured against `fake`, with its report.
pub fn configured(fake: &FakeWecom) -> (PluginBox, ConfigReport) {
    let plugin = instance();
    let report = ok(plugin.configure(&settings(fake)));
    assert!(report.accepted, "sample configuration accepted: {:#?}", report.findings);
    (plugin, report)
}

/// Unwraps a hook result with a readable failure.
pub fn ok<T>(result: RResult<T, PluginError>) -> T {
    match result.into_result() {
        Ok(value) => value,
        Err(error) => panic!("hook failed: {error}"),
    }
}

/// Unwraps a hook error.
pub fn err<T: std::fmt::Debug>(result: RResult<T, PluginError>) -> PluginError {
    match result.into_result() {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(error) => error,
    }
}

/// What `decide_login` answers for `member` with the whole sample organisation synced (scope:
/// department 1 and its tree) and no binding: its refusal, if it refuses. Since interface 0.2
/// `oauth_login` only says who came back; a disabled or departed member is refused here.
pub fn login_refusal(plugin: &PluginBox, member: interface::LoginOutcome) -> Option<PluginError> {
    let facts = interface::LoginFacts {
        member,
        scope: interface::ScopeSelection { department_ids: vec![1].into(), ..Default::default() },
        scope_department_ids: vec![1, 2, 3, 4, 5].into(),
        member_synced: true,
        ..Default::default()
    };
    let decision = ok(plugin.decide_login(&facts));
    assert!(!(decision.signed_in && decision.refusal.is_some()), "{decision:?}");
    decision.refusal.into_option()
}
