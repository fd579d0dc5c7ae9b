//! Panics inside the loaded library come back as `plugin.panic` errors; the host (this test
//! process) keeps running, and the instance, or else a new one, keeps working.
//!
//! The panics are real: the plugin is built for the tests with its `failpoints` feature, and each
//! test arms points for its own instance only, through that instance's host services (see
//! plugin/src/failpoints.rs), so tests running in parallel are not disturbed. Each armed point
//! fires once. Without the guard, abi_stable would turn any of these panics into an exit of the
//! whole process, and no test below could report anything.

use crate::util::{self, err, ok};
use abi_stable::{
    sabi_trait::TD_Opaque,
    std_types::{ROption, RStr},
};
use host_sim::fake_wecom::FakeWecom;
use host_sim::host::plugin_host::SimHost;
use interface::{
    load_plugin, Activation, AuthorizeRequest, CallbackRequest, ChangeKind, CommitInput, DirectoryChange, HostServices,
    HostServices_TO, LogLevel, LoginFacts, LoginRequest, PlanInput, PluginBox, PluginError, PluginModuleRef, Proposal,
    ProposalInput, RowQuery, ScopeSelection, SecretString, StoredToken,
};
use wanxiang_wecom::failpoints::HOST_KEY;

/// host-sim's host, plus an answer to the failpoint key naming the points to arm.
struct ArmingHost {
    inner: SimHost,
    points: String,
}

impl HostServices for ArmingHost {
    fn log(&self, level: LogLevel, message: RStr<'_>) {
        self.inner.log(level, message)
    }
    fn progress(&self, stage: RStr<'_>, done: u64, total: u64) -> bool {
        self.inner.progress(stage, done, total)
    }
    fn load_token(&self, key: RStr<'_>) -> ROption<StoredToken> {
        if key.as_str() == HOST_KEY {
            return ROption::RSome(StoredToken { token: SecretString::new(self.points.as_str()), expires_at_unix: 0 });
        }
        ROption::RNone
    }
}

/// The real library, checked to be the test build with failpoints (another build of the plugin
/// in the same target folder would replace it with one that has none).
fn module() -> PluginModuleRef {
    let path = util::plugin_path();
    let module = load_plugin(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let version = module.info()().version;
    assert!(
        version.ends_with("+failpoints"),
        "{} is version {version}, built without the `failpoints` feature; rebuild with `cargo test -p tests`",
        path.display()
    );
    module
}

fn new_instance(points: &str) -> Result<PluginBox, PluginError> {
    let host = ArmingHost { inner: SimHost::default(), points: points.to_string() };
    (module().new_instance())(HostServices_TO::from_value(host, TD_Opaque)).into_result()
}

fn armed(points: &str) -> PluginBox {
    new_instance(points).unwrap_or_else(|e| panic!("instance armed with {points}: {e}"))
}

fn assert_panic_error<T: std::fmt::Debug>(hook: &str, result: abi_stable::std_types::RResult<T, PluginError>) {
    let e = err(result);
    assert_eq!(e.code.as_str(), "plugin.panic", "{hook}: {e}");
    assert!(e.message.en.contains(hook) && e.message.en.contains("failpoint"), "names the hook and the fault: {e}");
    assert!(!e.fix.en.is_empty() && !e.message.zh.is_empty(), "explained in both languages: {e}");
}

type HookCall = fn(&PluginBox, &FakeWecom) -> Result<String, PluginError>;

/// Every hook of the interface, called with inputs that are valid once the instance is configured.
/// The answer is reduced to a short description; only whether it is a panic matters here.
fn hooks() -> Vec<(&'static str, HookCall)> {
    fn describe<T>(result: abi_stable::std_types::RResult<T, PluginError>) -> Result<String, PluginError> {
        result.into_result().map(|_| "ok".to_string())
    }
    vec![
        ("configure", |p, fake| describe(p.configure(&util::settings(fake)))),
        ("activate", |p, fake| {
            describe(p.activate(&Activation { settings: util::settings(fake), ..Default::default() }))
        }),
        ("fetch_scope", |p, _| {
            describe(p.fetch_scope(&ScopeSelection { department_ids: vec![1].into(), ..Default::default() }))
        }),
        ("propose_bindings", |p, _| describe(p.propose_bindings(&ProposalInput::default()))),
        ("query_rows", |p, _| describe(p.query_rows(&Proposal::default(), &RowQuery::default()))),
        ("commit", |p, _| describe(p.commit(&CommitInput::default()))),
        ("plan_change", |p, _| describe(p.plan_change(&PlanInput::default()))),
        ("oauth_authorize_url", |p, _| {
            describe(p.oauth_authorize_url(&AuthorizeRequest {
                redirect_url: format!("{}/oauth/wecom/callback", util::PLATFORM).into(),
                state: "s1".into(),
                ..Default::default()
            }))
        }),
        ("oauth_login", |p, fake| {
            let code = SecretString::new(fake.mint_code(1000002, "clear"));
            describe(p.oauth_login(&LoginRequest { code, ..Default::default() }))
        }),
        ("decide_login", |p, _| describe(p.decide_login(&LoginFacts::default()))),
        ("handle_callback", |p, _| describe(p.handle_callback(&CallbackRequest::default()))),
        ("complete_change", |p, _| describe(p.complete_change(&member_change("clear")))),
    ]
}

fn member_change(userid: &str) -> DirectoryChange {
    DirectoryChange {
        kind: ChangeKind::MemberUpdated,
        change_type: "update_user".into(),
        event_time_unix: 0,
        dedup_key: "k".into(),
        userid: userid.into(),
        new_userid: "".into(),
        name: ROption::RNone,
        department_ids: ROption::RNone,
        status: ROption::RNone,
        department_id: 0,
        department_name: ROption::RNone,
        parent_id: ROption::RNone,
        order: ROption::RNone,
        tag_id: 0,
        added_userids: Default::default(),
        removed_userids: Default::default(),
        added_department_ids: Default::default(),
        removed_department_ids: Default::default(),
        ext: Default::default(),
    }
}

/// A call that must not be a panic: the hook's real answer, whatever it is.
fn assert_not_panic(hook: &str, outcome: Result<String, PluginError>) {
    if let Err(e) = &outcome {
        assert_ne!(e.code.as_str(), "plugin.panic", "{hook} after its panic: {e}");
    }
}

#[test]
fn every_hook_turns_a_panic_into_an_error_and_the_same_instance_keeps_working() {
    let fake = util::fake();
    let table = hooks();
    let all: Vec<&str> = table.iter().map(|(name, _)| *name).collect();
    // One instance with every hook armed: twelve panics through the library, then the same hooks
    // again on the same instance, which must answer normally.
    let plugin = armed(&all.join(","));
    for (hook, call) in &table {
        match call(&plugin, &fake) {
            Err(e) => assert_panic_error(hook, abi_stable::std_types::RResult::<(), _>::RErr(e)),
            Ok(v) => panic!("{hook} was armed but answered {v}"),
        }
    }
    for (hook, call) in &table {
        assert_not_panic(hook, call(&plugin, &fake));
    }
    // The answers that need WeCom are real ones after the panics.
    let snapshot = ok(plugin.fetch_scope(&ScopeSelection { department_ids: vec![1].into(), ..Default::default() }));
    assert!(snapshot.complete && snapshot.members.len() == 9, "{:?}", snapshot.problems);
    let login = ok(plugin.oauth_login(&LoginRequest {
        code: SecretString::new(fake.mint_code(1000002, "wangxiaokai")),
        ..Default::default()
    }));
    assert_eq!(login.userid.as_str(), "wangxiaokai");
    assert_eq!(all, interface_hooks(), "every hook of the interface is in the table, in order");
}

/// The hooks the interface declares, read from its source, so that a hook added later without a
/// row in the table above fails the test instead of going unchecked.
fn interface_hooks() -> Vec<&'static str> {
    let source = include_str!("../interface/src/plugin.rs");
    let body = source.split("pub trait IntegrationPlugin").nth(1).and_then(|s| s.split("\n}\n").next()).expect("trait");
    body.lines()
        .filter_map(|l| l.trim_start().strip_prefix("fn ")?.split('(').next())
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn a_panic_in_one_of_thirty_two_concurrent_logins_fails_that_login_only() {
    let fake = util::fake();
    for point in ["oauth_login", "oauth_login@runtime"] {
        let plugin = armed(point);
        assert!(ok(plugin.configure(&util::settings(&fake))).accepted);
        let codes: Vec<String> = (0..32).map(|_| fake.mint_code(1000002, "wangxiaokai")).collect();
        let answers: Vec<Result<String, PluginError>> = std::thread::scope(|s| {
            let plugin = &plugin;
            let threads: Vec<_> = codes
                .into_iter()
                .map(|code| {
                    s.spawn(move || {
                        let request = LoginRequest { code: SecretString::new(code), ..Default::default() };
                        plugin.oauth_login(&request).into_result().map(|o| o.userid.to_string())
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().expect("login thread")).collect()
        });
        let panics = answers.iter().filter(|a| matches!(a, Err(e) if e.code.as_str() == "plugin.panic")).count();
        let signed_in = answers.iter().filter(|a| matches!(a, Ok(u) if u == "wangxiaokai")).count();
        assert_eq!((panics, signed_in), (1, 31), "{point}: {answers:?}");
    }
}

#[test]
fn a_panic_while_creating_an_instance_is_an_error_and_the_next_instance_works() {
    let e = new_instance("new_instance").err().expect("armed new_instance must fail");
    assert_eq!(e.code.as_str(), "plugin.panic", "{e}");
    assert!(e.message.en.contains("new_instance"), "{e}");
    let fake = util::fake();
    let plugin = new_instance("").expect("a new instance after the failed one");
    assert!(ok(plugin.configure(&util::settings(&fake))).accepted);
}

#[test]
fn a_panic_inside_the_plugin_runtime_is_caught_and_the_runtime_keeps_serving() {
    let fake = util::fake();
    let points = ["configure", "fetch_scope", "oauth_login", "complete_change"].map(|h| format!("{h}@runtime"));
    let plugin = armed(&points.join(","));
    let table = hooks();
    for hook in ["configure", "fetch_scope", "oauth_login", "complete_change"] {
        let call = table.iter().find(|(name, _)| *name == hook).map(|(_, call)| call).expect("in table");
        // The first call panics inside `block_on` on the plugin's runtime, the second runs on it.
        match call(&plugin, &fake) {
            Err(e) => assert_panic_error(hook, abi_stable::std_types::RResult::<(), _>::RErr(e)),
            Ok(v) => panic!("{hook}@runtime was armed but {hook} answered {v}"),
        }
        assert_not_panic(hook, call(&plugin, &fake));
    }
    let snapshot = ok(plugin.fetch_scope(&ScopeSelection { department_ids: vec![1].into(), ..Default::default() }));
    assert!(snapshot.complete, "{:?}", snapshot.problems);
}

#[test]
fn a_panic_holding_the_state_lock_leaves_a_clearly_unusable_instance_and_a_new_one_works() {
    let fake = util::fake();
    let plugin = armed("configure@locked");
    assert_panic_error("configure", plugin.configure(&util::settings(&fake)));
    // The state lock is poisoned: every hook that reads the state says so, none panics.
    let e = err(plugin.configure(&util::settings(&fake)));
    assert_eq!(e.code.as_str(), "plugin.state_poisoned", "{e}");
    let e = err(plugin.fetch_scope(&ScopeSelection { department_ids: vec![1].into(), ..Default::default() }));
    assert_eq!(e.code.as_str(), "plugin.state_poisoned", "{e}");
    assert!(e.fix.en.contains("instance again"), "says what to do: {e}");
    // Pure hooks do not need the state and still answer.
    ok(plugin.propose_bindings(&ProposalInput::default()));
    // A new instance of the same library works.
    let (fresh, _) = util::configured(&fake);
    assert!(ok(fresh.fetch_scope(&ScopeSelection { department_ids: vec![1].into(), ..Default::default() })).complete);
}

#[test]
fn unarmed_instances_of_the_test_build_never_hit_a_failpoint() {
    // The points belong to the instance whose host armed them: one armed next door changes nothing.
    let fake = util::fake();
    let _armed_neighbour = armed("configure,fetch_scope,oauth_login");
    let plugin = new_instance("").expect("instance");
    for (hook, call) in &hooks() {
        assert_not_panic(hook, call(&plugin, &fake));
    }
}

#[test]
fn a_panic_in_a_read_task_on_a_plugin_worker_thread_gives_an_incomplete_snapshot_then_a_complete_one() {
    // The panic happens on one of the plugin runtime's own threads, in one of the concurrent
    // department reads: the read reports that part as failed instead of losing the thread or the
    // whole call, and the next read is complete.
    let fake = util::fake();
    let plugin = armed("fetch_scope@task");
    assert!(ok(plugin.configure(&util::settings(&fake))).accepted);
    let whole = ScopeSelection { department_ids: vec![1].into(), ..Default::default() };
    let partial = ok(plugin.fetch_scope(&whole));
    assert!(!partial.complete, "a failed part makes the snapshot incomplete");
    let problem =
        partial.problems.iter().find(|p| p.subject.as_str() == "internal").expect("the task's failure is listed");
    assert!(problem.message.en.contains("ended abnormally") && problem.message.en.contains("panic"), "{problem:?}");
    let full = ok(plugin.fetch_scope(&whole));
    assert!(full.complete && full.members.len() == 9, "{:?}", full.problems);
}
