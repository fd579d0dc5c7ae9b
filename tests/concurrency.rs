//! Hooks called from many host threads at once, and from inside the host's own tokio runtime.
//!
//! One instance serves a whole organisation, so a sync and the members' logins hit it together.
//! The fake answers every call after a small delay, so that the calls really overlap.

use crate::util::{self, ok};
use abi_stable::{sabi_trait::TD_Opaque, std_types::RStr};
use host_sim::fake_wecom::{FakeConfig, FakeWecom, Org};
use interface::{
    load_plugin, HostServices, HostServices_TO, LogLevel, LoginRequest, PluginBox, PluginError, ScopeSelection,
    SecretString,
};
use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Concurrent logins in each burst (the figure issue 8 asks for).
const LOGINS: usize = 32;

/// Who logs in on thread `i`, and the answer that thread must get: every sample member, so the
/// disabled and the departed member are refused in the middle of the successful logins.
fn member(i: usize) -> (&'static str, Result<&'static str, &'static str>) {
    const MEMBERS: [(&str, Result<&str, &str>); 9] = [
        ("baikaishui", Ok("白开水")),
        ("renshengruxi", Ok("人生如戏")),
        ("cuncaoxin", Ok("寸草心")),
        ("wangxiaokai", Ok("王晓楷")),
        ("clear", Ok("Clear")),
        ("zhangxu", Ok("张旭")),
        ("xiaoyueyue", Ok("小岳岳")),
        ("liqiang", Err("login.member_disabled")),
        ("zhoumin", Err("login.member_left")),
    ];
    MEMBERS[i % MEMBERS.len()]
}

fn whole() -> ScopeSelection {
    ScopeSelection { department_ids: vec![1].into(), ..Default::default() }
}

fn slow_fake() -> FakeWecom {
    util::fake_with(Org::sample(), FakeConfig { latency_ms: 15, ..FakeConfig::default() })
}

fn login(plugin: &PluginBox, code: String) -> Result<String, PluginError> {
    let request = LoginRequest { code: SecretString::new(code), ..Default::default() };
    // oauth_login says who it is; decide_login (pure) refuses the disabled and the departed.
    let member = plugin.oauth_login(&request).into_result()?;
    let who = format!("{}/{}", member.userid, member.name);
    match util::login_refusal(plugin, member) {
        Some(refusal) => Err(refusal),
        None => Ok(who),
    }
}

fn check(i: usize, answer: &Result<String, PluginError>) {
    let (userid, expected) = member(i);
    match (expected, answer) {
        (Ok(name), Ok(got)) => assert_eq!(got, &format!("{userid}/{name}"), "thread {i}"),
        (Err(code), Err(e)) => assert_eq!(e.code.as_str(), code, "thread {i} ({userid}): {e}"),
        (expected, got) => panic!("thread {i} ({userid}): expected {expected:?}, got {got:?}"),
    }
}

/// When a call started and ended.
type Span = (Instant, Instant);
/// One login's answer and its span.
type Answer = (Result<String, PluginError>, Span);

/// 32 logins and one `fetch_scope` on the same instance, all released at once from their own
/// threads. Returns each login's answer and time span, and the fetch's span.
fn burst(fake: &FakeWecom, plugin: &PluginBox) -> (Vec<Answer>, Span) {
    let codes: Vec<String> = (0..LOGINS).map(|i| fake.mint_code(1000002, member(i).0)).collect();
    let barrier = Arc::new(Barrier::new(LOGINS + 1));
    std::thread::scope(|s| {
        let fetch = s.spawn(|| {
            barrier.wait();
            let start = Instant::now();
            let snapshot = ok(plugin.fetch_scope(&whole()));
            assert!(snapshot.complete, "{:?}", snapshot.problems);
            assert_eq!(snapshot.members.len(), 9);
            (start, Instant::now())
        });
        let logins: Vec<_> = codes
            .into_iter()
            .map(|code| {
                let barrier = barrier.clone();
                s.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    let answer = login(plugin, code);
                    (answer, (start, Instant::now()))
                })
            })
            .collect();
        let logins = logins.into_iter().map(|h| h.join().expect("login thread")).collect();
        (logins, fetch.join().expect("fetch thread"))
    })
}

#[test]
fn thirty_two_concurrent_logins_during_a_sync_each_get_their_own_member_and_no_new_token() {
    let fake = slow_fake();
    let (plugin, _) = util::configured(&fake);
    fake.reset_counts();
    let (logins, (fetch_start, fetch_end)) = burst(&fake, &plugin);
    for (i, (answer, _)) in logins.iter().enumerate() {
        check(i, answer);
    }
    let during = logins.iter().filter(|(_, (start, end))| *start < fetch_end && *end > fetch_start).count();
    assert!(during > 0, "the logins ran during the fetch");
    let counts = fake.request_counts();
    assert_eq!(counts.get("gettoken"), None, "the token of configure is reused by all: {counts:?}");
    assert_eq!(counts.get("auth/getuserinfo").copied(), Some(LOGINS as u64), "one exchange per code: {counts:?}");
}

#[test]
fn a_token_expiring_under_thirty_two_concurrent_logins_and_a_sync_is_refreshed_once() {
    let fake = slow_fake();
    let (plugin, _) = util::configured(&fake);
    fake.expire_all_tokens();
    fake.reset_counts();
    let (logins, _) = burst(&fake, &plugin);
    for (i, (answer, _)) in logins.iter().enumerate() {
        check(i, answer);
    }
    let counts = fake.request_counts();
    assert_eq!(counts.get("gettoken").copied(), Some(1), "one refresh for all waiting calls: {counts:?}");
}

#[test]
fn hooks_called_through_spawn_blocking_leave_the_host_runtime_free() {
    // The documented pattern for an async host. A current-thread runtime makes the point sharply:
    // it has one thread, so if a hook blocked it, no other task of the host could run meanwhile.
    let fake = slow_fake();
    let (plugin, _) = util::configured(&fake);
    let plugin = Arc::new(plugin);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("host runtime");
    rt.block_on(async {
        let p = plugin.clone();
        let fetch = tokio::task::spawn_blocking(move || p.fetch_scope(&whole()).into_result());
        let mut logins = tokio::task::JoinSet::new();
        for i in 0..LOGINS {
            let (p, code) = (plugin.clone(), fake.mint_code(1000002, member(i).0));
            logins.spawn_blocking(move || (i, login(&p, code)));
        }
        // Meanwhile the host's own task keeps being scheduled on the runtime's single thread.
        let mut host_turns = 0u64;
        while !fetch.is_finished() {
            host_turns += 1;
            tokio::task::yield_now().await;
        }
        let snapshot = fetch.await.expect("fetch task").expect("fetch");
        assert!(snapshot.complete && snapshot.members.len() == 9, "{:?}", snapshot.problems);
        assert!(host_turns > 1, "the host's task ran while the hook blocked another thread: {host_turns}");
        let mut answered = 0;
        while let Some(joined) = logins.join_next().await {
            let (i, answer) = joined.expect("login task");
            check(i, &answer);
            answered += 1;
        }
        assert_eq!(answered, LOGINS);
    });
}

#[test]
fn a_hook_called_directly_on_a_runtime_thread_does_not_panic() {
    // Not the recommended pattern (it blocks that runtime thread for the whole call), but it must
    // not fail: the plugin has its own tokio inside the library, so there is no "runtime within a
    // runtime" panic, on either kind of host runtime.
    let fake = slow_fake();
    let multi = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
    let current = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    for (kind, rt) in [("multi-thread", &multi), ("current-thread", &current)] {
        // Directly inside `block_on`, and inside a task spawned on a worker thread.
        let direct = rt.block_on(async {
            let (plugin, report) = util::configured(&fake);
            assert!(report.accepted);
            let snapshot = ok(plugin.fetch_scope(&whole()));
            (snapshot.members.len(), login(&plugin, fake.mint_code(1000002, "clear")))
        });
        assert_eq!(direct.0, 9, "{kind}");
        check(4, &direct.1);
        let code = fake.mint_code(1000002, "wangxiaokai");
        let settings = util::settings(&fake);
        let in_task = rt.block_on(async move {
            tokio::spawn(async move {
                let plugin = util::instance();
                let accepted = ok(plugin.configure(&settings)).accepted;
                (accepted, login(&plugin, code))
            })
            .await
        });
        let (accepted, answer) = in_task.unwrap_or_else(|e| panic!("{kind}: the task panicked: {e}"));
        assert!(accepted, "{kind}");
        check(3, &answer);
    }
}

#[test]
fn a_hook_called_on_the_only_runtime_thread_stalls_the_host_for_the_whole_call() {
    // Why the README says spawn_blocking: called on a runtime thread, a hook holds that thread for
    // all its WeCom calls, and the host's other tasks on it wait (here: a ticker).
    let fake = slow_fake();
    let (plugin, _) = util::configured(&fake);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let stalled = rt.block_on(async {
        let ticker = tokio::spawn(async {
            let mut last = Instant::now();
            let mut longest = Duration::ZERO;
            for _ in 0..100 {
                tokio::task::yield_now().await;
                longest = longest.max(last.elapsed());
                last = Instant::now();
            }
            longest
        });
        tokio::task::yield_now().await;
        ok(plugin.fetch_scope(&whole()));
        ticker.await.expect("ticker")
    });
    // Each fake call takes 15 ms and the fetch makes several in a row on the blocked thread.
    assert!(stalled >= Duration::from_millis(15), "the host's ticker was stalled for {stalled:?}");
}

/// A host whose progress callback calls back into the plugin, as a careless host might.
struct ReentrantHost {
    plugin: Arc<OnceLock<Arc<PluginBox>>>,
    code: String,
    answers: Arc<Mutex<Vec<Result<String, PluginError>>>>,
}

impl HostServices for ReentrantHost {
    fn log(&self, _: LogLevel, _: RStr<'_>) {}
    fn progress(&self, _: RStr<'_>, _: u64, _: u64) -> bool {
        if let Some(plugin) = self.plugin.get() {
            let answer = login(plugin, self.code.clone());
            self.answers.lock().expect("answers").push(answer);
        }
        true
    }
}

#[test]
fn a_hook_called_from_inside_a_plugin_callback_is_refused_cleanly() {
    let fake = slow_fake();
    let cell = Arc::new(OnceLock::new());
    let answers = Arc::new(Mutex::new(Vec::new()));
    let host = ReentrantHost { plugin: cell.clone(), code: fake.mint_code(1000002, "clear"), answers: answers.clone() };
    let module = load_plugin(&util::plugin_path()).expect("library");
    let plugin = Arc::new(
        (module.new_instance())(HostServices_TO::from_value(host, TD_Opaque)).into_result().expect("instance"),
    );
    assert!(ok(plugin.configure(&util::settings(&fake))).accepted);
    let _ = cell.set(plugin.clone());
    // On a thread of its own with a deadline: a re-entrant call must neither panic nor hang.
    let (tx, rx) = std::sync::mpsc::channel();
    let p = plugin.clone();
    std::thread::spawn(move || {
        let _ = tx.send(p.fetch_scope(&whole()).into_result());
    });
    let snapshot = rx.recv_timeout(Duration::from_secs(30)).expect("fetch_scope answered").expect("fetch");
    assert!(snapshot.complete, "the outer hook is unaffected: {:?}", snapshot.problems);
    let answers = answers.lock().expect("answers");
    assert!(!answers.is_empty(), "progress was reported");
    for answer in answers.iter() {
        let e = answer.as_ref().expect_err("a re-entrant hook is refused");
        assert_eq!(e.code.as_str(), "plugin.reentrant_call", "{e}");
    }
    // Outside the callback the same instance serves the login normally.
    check(4, &login(&plugin, fake.mint_code(1000002, "clear")));
}

/// A host whose progress callback drops another instance, e.g. replacing it after a new
/// configuration was saved, while this instance's read is running.
struct DroppingHost {
    victim: Arc<Mutex<Option<PluginBox>>>,
}

impl HostServices for DroppingHost {
    fn log(&self, _: LogLevel, _: RStr<'_>) {}
    fn progress(&self, _: RStr<'_>, _: u64, _: u64) -> bool {
        drop(self.victim.lock().expect("victim").take());
        true
    }
}

#[test]
fn an_instance_dropped_from_inside_a_plugin_callback_shuts_down_without_taking_the_host_down() {
    // The dropped instance's runtime is shut down on a thread that is driving the other
    // instance's runtime; a blocking shutdown there would panic inside a drop called across the
    // ABI, which aborts the host process (and this test binary with it).
    let fake = slow_fake();
    let (victim, _) = util::configured(&fake);
    ok(victim.fetch_scope(&whole()));
    let slot = Arc::new(Mutex::new(Some(victim)));
    let module = load_plugin(&util::plugin_path()).expect("library");
    let host = DroppingHost { victim: slot.clone() };
    let plugin = (module.new_instance())(HostServices_TO::from_value(host, TD_Opaque)).into_result().expect("instance");
    assert!(ok(plugin.configure(&util::settings(&fake))).accepted);
    let snapshot = ok(plugin.fetch_scope(&whole()));
    assert!(snapshot.complete, "{:?}", snapshot.problems);
    assert!(slot.lock().expect("slot").is_none(), "the other instance was dropped during the read");
    // And the host can still create and use instances.
    let (again, _) = util::configured(&fake);
    assert!(ok(again.fetch_scope(&whole())).complete);
}
