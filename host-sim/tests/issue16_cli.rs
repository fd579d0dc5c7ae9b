//! Issue 16 through the real `host-sim` binary: bulk decisions (`decide --accept`, `decide
//! --create-new`, `bind --file`), the mass-removal safeguard flags of `commit` and `reconcile`
//! (and the held callback batch), the audit trail (`host-sim audit`) and the `login --code`
//! contract, each on its own store file.

mod common;

use common::{plugin_path, TempDir, EXE};

use host_sim::fake_wecom::{FakeConfig, FakeWecom, Org, User};
use std::path::Path;
use std::process::{Command, Output};

impl TempDir {
    fn db(&self) -> String {
        self.0.join("store.db").to_str().expect("utf-8").to_string()
    }

    fn file(&self, name: &str, content: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, content).expect("write");
        path.to_str().expect("utf-8").to_string()
    }
}

/// Runs `host-sim ARGS --plugin …` (with `extra` connection flags after the args).
fn run(args: &[&str], extra: &[String]) -> Output {
    let mut command = Command::new(EXE);
    command.args(args).args(extra).env_remove("WECOM_SECRET");
    // `accounts` and `audit` only read the store and load no plugin.
    if !matches!(args.first(), Some(&"accounts" | &"audit")) {
        command.arg("--plugin").arg(plugin_path());
    }
    command.output().expect("host-sim runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn ok(args: &[&str], extra: &[String]) -> Output {
    let output = run(args, extra);
    assert_eq!(output.status.code(), Some(0), "host-sim {args:?}: {}", text(&output));
    output
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("JSON ({e}): {}", text(output)))
}

fn pending_edits(db: &str) -> Vec<interface::Edit> {
    host_sim::store::Store::open(Path::new(db)).expect("store").pending().expect("read").expect("pending").edits
}

fn binding_evidence(db: &str, userid: &str) -> Option<(String, String)> {
    let store = host_sim::store::Store::open(Path::new(db)).expect("store");
    store
        .binding_for_userid(userid)
        .expect("read")
        .map(|b| (b.account_id.to_string(), b.evidence.name().unwrap_or("?").to_string()))
}

const SAMPLE_ACCOUNTS_WANG_ELSEWHERE: &str = r#"[
  {"id": "u-1001", "name": "李四", "departments": ["测试部门"]},
  {"id": "u-1004", "name": "王晓楷", "departments": ["销售部"]},
  {"id": "u-1005", "name": "clear", "departments": ["市场部门"]},
  {"id": "u-1006", "name": "张旭", "departments": ["销售部"]},
  {"id": "u-1007", "name": "张旭", "departments": ["行政部"]}
]"#;

#[test]
fn decide_accepts_name_matches_in_bulk_and_they_stay_provisional() {
    let dir = TempDir::new("host-sim-bulk", "accept");
    let db = dir.db();
    let accounts = dir.file("accounts.json", SAMPLE_ACCOUNTS_WANG_ELSEWHERE);
    ok(&["accounts", "import", &accounts, "--db", &db], &[]);
    ok(&["sync", "--db", &db], &[]);

    // Departments agree only for clear; 王晓楷's account is in another department.
    let agreed = json(&ok(&["decide", "--accept", "name-department", "--db", &db, "--json"], &[]));
    let recorded: Vec<(&str, &str)> = agreed["recorded"]
        .as_array()
        .expect("recorded")
        .iter()
        .map(|e| (e["userid"].as_str().unwrap_or(""), e["evidence"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(recorded, vec![("clear", "name_department")]);

    let all = ok(&["decide", "--accept", "name", "--db", &db], &[]);
    let all_text = text(&all);
    assert!(all_text.contains("已记录") && all_text.contains("王晓楷"), "{all_text}");
    let edits = pending_edits(&db);
    assert_eq!(edits.len(), 2, "the second accept replaced clear's edit instead of adding one: {edits:?}");
    assert!(edits.iter().any(|e| e.userid.as_str() == "wangxiaokai" && e.evidence == interface::Evidence::Name));
    // Idempotent: the same decision again records nothing new.
    let again = json(&ok(&["decide", "--accept", "name", "--db", &db, "--json"], &[]));
    assert_eq!(again["already_recorded"], 2, "{again}");
    assert_eq!(pending_edits(&db).len(), 2);

    ok(&["commit", "--db", &db], &[]);
    // Accepted in bulk, still confirmed at first login: the evidence is the name, never operator.
    assert_eq!(binding_evidence(&db, "wangxiaokai"), Some(("u-1004".into(), "name".into())));
    assert_eq!(binding_evidence(&db, "clear"), Some(("u-1005".into(), "name_department".into())));
    let listed = json(&ok(&["accounts", "list", "--db", &db, "--json"], &[]));
    let wang = listed.as_array().expect("accounts").iter().find(|a| a["id"] == "u-1004").expect("u-1004");
    assert_eq!((wang["bound_userid"].as_str(), wang["evidence"].as_str()), (Some("wangxiaokai"), Some("name")));

    // The audit trail has the commit's changes, by the operator, with the snapshot id.
    let audit = json(&ok(&["audit", "--userid", "WangXiaoKai", "--db", &db, "--json"], &[]));
    let entries = audit.as_array().expect("entries");
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!((entries[0]["action"].as_str(), entries[0]["actor"].as_str()), (Some("made"), Some("operator")));
    assert_eq!(entries[0]["evidence"], "name");
    assert!(!entries[0]["snapshot_id"].as_str().unwrap_or("").is_empty(), "{audit}");
    let by_account = json(&ok(&["audit", "--account", "u-1005", "--db", &db, "--json"], &[]));
    assert_eq!(by_account.as_array().map(Vec::len), Some(1), "{by_account}");
    let audit_text = text(&ok(&["audit", "--db", &db], &[]));
    assert!(
        audit_text.contains("新建账号(account_created)") && audit_text.contains("wangxiaokai → u-1004"),
        "{audit_text}"
    );
}

#[test]
fn decide_create_new_drops_earlier_edits_of_no_match_rows_and_is_idempotent() {
    let dir = TempDir::new("host-sim-bulk", "create-new");
    let db = dir.db();
    ok(&["sync", "--db", &db], &[]);
    ok(&["skip", "renshengruxi", "--db", &db], &[]);
    ok(&["bind", "cuncaoxin", "u-1001", "--db", &db], &[]);
    ok(&["skip", "zhangxu", "--db", &db], &[]);
    let first = json(&ok(&["decide", "--create-new", "--db", &db, "--json"], &[]));
    assert_eq!((first["cleared_rows"].as_u64(), first["dropped_edits"].as_u64()), (Some(3), Some(2)), "{first}");
    assert_eq!(first["preview"]["accounts_created"], 3, "{first}");
    let kept: Vec<String> = pending_edits(&db).iter().map(|e| e.userid.to_string()).collect();
    assert_eq!(kept, vec!["zhangxu".to_string()], "only the other rows' edits stay");
    let second = json(&ok(&["decide", "--create-new", "--db", &db, "--json"], &[]));
    assert_eq!(second["dropped_edits"], 0, "{second}");
    // Without any flag there is nothing to decide.
    let none = run(&["decide", "--db", &db], &[]);
    assert_eq!(none.status.code(), Some(2), "{}", text(&none));
}

#[test]
fn bind_file_records_every_pair_or_none_and_names_each_refused_line() {
    let dir = TempDir::new("host-sim-bulk", "bind-file");
    let db = dir.db();
    ok(&["sync", "--db", &db], &[]);
    ok(&["skip", "clear", "--db", &db], &[]);
    let before = pending_edits(&db);

    let bad = dir.file(
        "bad.csv",
        "\u{feff}userid,account_id\nzhangxu,u-1006\nclear,u-9999\nnot a pair\nnobody,u-1001\nZhangXu,u-1007\n",
    );
    let refused = run(&["bind", "--file", &bad, "--db", &db], &[]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let out = text(&refused);
    for expected in [
        "第 3 行：已拒绝：[binding.unknown_account]",
        "第 4 行：已拒绝：[mapping.malformed_line]",
        "第 5 行：已拒绝：[binding.unknown_row]",
        "第 6 行：已拒绝：[mapping.duplicate_userid]",
        "均未记录",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert!(!out.contains("第 2 行："), "line 2 is fine: {out}");
    assert_eq!(pending_edits(&db), before, "nothing recorded");
    let refused_json = json(&run(&["bind", "--file", &bad, "--db", &db, "--json"], &[]));
    let lines: Vec<u64> =
        refused_json["refusals"].as_array().expect("refusals").iter().filter_map(|r| r["line"].as_u64()).collect();
    assert_eq!(lines, vec![3, 4, 5, 6]);

    let good = dir.file("good.csv", "\u{feff}userid,account_id\r\nzhangxu,u-1006\r\nclear,u-1005\r\n");
    let recorded = ok(&["bind", "--file", &good, "--db", &db], &[]);
    assert!(text(&recorded).contains("2 个绑定"), "{}", text(&recorded));
    let edits = pending_edits(&db);
    assert_eq!(edits.len(), 2, "clear's skip was replaced: {edits:?}");
    assert!(edits.iter().all(|e| e.evidence == interface::Evidence::Imported), "{edits:?}");
    // A single bind carries the operator's evidence.
    ok(&["bind", "zhangxu", "u-1007", "--db", &db], &[]);
    let single = pending_edits(&db).into_iter().find(|e| e.userid.as_str() == "zhangxu").expect("edit");
    assert_eq!(
        (single.account_id.into_option().map(|a| a.to_string()), single.evidence),
        (Some("u-1007".into()), interface::Evidence::Operator)
    );

    ok(&["bind", "--file", &good, "--db", &db], &[]);
    ok(&["commit", "--db", &db], &[]);
    assert_eq!(binding_evidence(&db, "zhangxu"), Some(("u-1006".into(), "imported".into())));
    let audit = json(&ok(&["audit", "--userid", "zhangxu", "--db", &db, "--json"], &[]));
    assert_eq!(audit[0]["evidence"], "imported", "{audit}");
}

/// The sample organisation with 30 more members in 市场部门 (3) and 30 in 测试部门 (4).
fn big_org() -> FakeWecom {
    let mut org = Org::sample();
    for n in 0..30 {
        for (dept, prefix, name) in [(3u32, "mkt", "市场"), (4, "qa", "测试")] {
            org.users.push(User {
                userid: format!("{prefix}{n:02}"),
                name: format!("{name}{n:02}号"),
                departments: vec![dept],
                ..Default::default()
            });
        }
    }
    let fake = FakeWecom::start(org, FakeConfig::default(), 0).expect("fake WeCom starts");
    fake.with_org(|org| {
        if let Some(app) = org.apps.iter_mut().find(|a| a.agent_id == 1000002) {
            app.home_url = "http://127.0.0.1:18080/".into();
            app.redirect_domain = "127.0.0.1:18080".into();
        }
    });
    fake
}

fn external(fake: &FakeWecom) -> Vec<String> {
    let org = Org::sample();
    let app = org.apps.iter().find(|a| a.agent_id == 1000002).expect("sample app");
    let base = fake.base_url();
    [
        "--wecom-base-url",
        &base,
        "--authorize-base-url",
        &base,
        "--web-login-base-url",
        &base,
        "--corp-id",
        &org.corp_id,
        "--agent-id",
        "1000002",
        "--secret",
        &app.secret,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn confirm_count(out: &str) -> u64 {
    let at = out.find("--confirm-removals ").unwrap_or_else(|| panic!("no --confirm-removals in: {out}"));
    out[at + "--confirm-removals ".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .expect("count")
}

#[test]
fn a_reconcile_that_lost_a_department_is_refused_until_its_exact_count_is_confirmed() {
    let fake = big_org();
    let wecom = external(&fake);
    let dir = TempDir::new("host-sim-bulk", "mass-reconcile");
    let db = dir.db();
    ok(&["sync", "--db", &db, "--scope-departments", "1"], &wecom);
    ok(&["commit", "--db", &db], &wecom);
    let bound = host_sim::store::Store::open(Path::new(&db)).expect("store").bindings().expect("b").len();
    assert!(bound >= 60, "{bound} bindings");

    // The scope shrank to 市场部门: every bound member elsewhere vanishes from a complete read.
    let refused = run(&["reconcile", "--db", &db, "--scope-departments", "3"], &wecom);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let out = text(&refused);
    assert!(
        out.contains("binding.mass_removal") && out.contains("未做任何更改") && out.contains("nothing was changed"),
        "{out}"
    );
    let count = confirm_count(&out);
    assert!(count >= 30 && (count as usize) < bound, "{count} of {bound}");
    let after = host_sim::store::Store::open(Path::new(&db)).expect("store").bindings().expect("b").len();
    assert_eq!(after, bound, "nothing applied");

    // Another count is not a confirmation.
    let wrong = (count - 1).to_string();
    let still = run(&["reconcile", "--db", &db, "--scope-departments", "3", "--confirm-removals", &wrong], &wecom);
    assert_eq!(still.status.code(), Some(1), "{}", text(&still));

    let exact = count.to_string();
    ok(&["reconcile", "--db", &db, "--scope-departments", "3", "--confirm-removals", &exact], &wecom);
    let after = host_sim::store::Store::open(Path::new(&db)).expect("store").bindings().expect("b").len();
    assert_eq!(after, bound - count as usize, "the confirmed removals applied");
    let audit = json(&ok(&["audit", "--userid", "qa00", "--db", &db, "--json"], &[]));
    let actions: Vec<(&str, &str)> = audit
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| (e["actor"].as_str().unwrap_or(""), e["action"].as_str().unwrap_or("")))
        .collect();
    assert!(actions.contains(&("reconcile", "removed")), "{audit}");
}

#[test]
fn a_commit_over_the_removal_limit_applies_nothing_until_confirmed() {
    let fake = big_org();
    let wecom = external(&fake);
    let dir = TempDir::new("host-sim-bulk", "mass-commit");
    let db = dir.db();
    ok(&["sync", "--db", &db, "--scope-departments", "1"], &wecom);
    ok(&["commit", "--db", &db], &wecom);
    let bound = host_sim::store::Store::open(Path::new(&db)).expect("store").bindings().expect("b").len();
    // The operator read a narrower scope by mistake and confirmed the proposed removals.
    ok(&["sync", "--db", &db, "--scope-departments", "3"], &wecom);
    for n in 0..4 {
        ok(&["confirm-removal", &format!("qa{n:02}"), "--db", &db], &wecom);
    }
    let refused = run(&["commit", "--db", &db, "--max-removals", "3"], &wecom);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let out = text(&refused);
    assert!(out.contains("binding.mass_removal") && out.contains("--confirm-removals 4"), "{out}");
    let store = host_sim::store::Store::open(Path::new(&db)).expect("store");
    assert_eq!(store.bindings().expect("b").len(), bound, "nothing applied");
    assert!(store.pending().expect("read").is_some(), "still pending");
    drop(store);
    // Within the limit it goes through without confirmation; here the exact count confirms it.
    ok(&["commit", "--db", &db, "--max-removals", "3", "--confirm-removals", "4"], &wecom);
    let store = host_sim::store::Store::open(Path::new(&db)).expect("store");
    assert_eq!(store.bindings().expect("b").len(), bound - 4);
}

fn leaves(userid: &str) -> interface::DirectoryChange {
    use abi_stable::std_types::ROption;
    interface::DirectoryChange {
        kind: interface::ChangeKind::MemberDeleted,
        change_type: "delete_user".into(),
        event_time_unix: 0,
        dedup_key: format!("delete:{userid}").as_str().into(),
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

#[test]
fn a_callback_batch_refused_by_the_safeguard_is_held_not_dropped_and_applies_once_confirmed() {
    use host_sim::host::callbacks::Follower;
    use host_sim::store::{Actor, Audit, Store};
    use std::sync::{Arc, Mutex};
    let plugin = host_sim::host::plugin_host::LoadedPlugin::load(&plugin_path()).expect("plugin");
    let instance = Arc::new(plugin.instance(host_sim::host::plugin_host::SimHost::default()).expect("instance"));
    let mut store = Store::in_memory().expect("store");
    let accounts: Vec<interface::PlatformAccount> = (0..4)
        .map(|n| interface::PlatformAccount {
            id: format!("a{n}").as_str().into(),
            name: format!("成员{n}").as_str().into(),
            departments: Default::default(),
            enabled: true,
            mobile: Default::default(),
            email: Default::default(),
            ext: Default::default(),
        })
        .collect();
    store.import_accounts(&accounts).expect("accounts");
    let bind = interface::ChangeSet {
        create_bindings: (0..4)
            .map(|n| interface::Binding {
                userid: format!("m{n}").as_str().into(),
                account_id: format!("a{n}").as_str().into(),
                evidence: interface::Evidence::Operator,
            })
            .collect(),
        ..Default::default()
    };
    store.apply(&bind, &Audit::new(Actor::Operator, interface::Text::default())).expect("bind");
    // Two leavers were held back earlier; a third arrives while at most one removal is allowed.
    store.hold_changes(&[leaves("m0"), leaves("m1")]).expect("hold");
    let store = Arc::new(Mutex::new(store));
    let scope = interface::ScopeSelection { department_ids: vec![1].into(), ..Default::default() };
    let mut follower = Follower::new(instance.clone(), store.clone(), scope.clone(), Default::default());
    follower.removal_guard = interface::RemovalGuard { max_removals: 1, confirmed_removals: 0 };
    let outcomes = follower.follow(&leaves("m2"));
    let error = outcomes[0].error.clone().unwrap_or_default();
    assert!(error.contains("binding.mass_removal") && error.contains("--confirm-removals 3"), "{outcomes:?}");
    {
        let store = store.lock().expect("store");
        assert_eq!(store.bindings().expect("b").len(), 4, "nothing applied");
        let held: Vec<String> = store.held_changes().expect("held").iter().map(|c| c.userid.to_string()).collect();
        assert_eq!(held, vec!["m0", "m1", "m2"], "kept pending in arrival order");
    }
    // The next run, with the exact count confirmed, applies the held batch and clears it.
    let mut confirmed = Follower::new(instance, store.clone(), scope, Default::default());
    confirmed.removal_guard = interface::RemovalGuard { max_removals: 1, confirmed_removals: 3 };
    let outcome = confirmed.retry_held().expect("a held batch");
    assert!(outcome.error.is_none(), "{outcome:?}");
    let store = store.lock().expect("store");
    let left: Vec<String> = store.bindings().expect("b").iter().map(|b| b.userid.to_string()).collect();
    assert_eq!(left, vec!["m3"]);
    assert!(store.held_changes().expect("held").is_empty());
    let trail = store.audit(&Default::default()).expect("audit");
    let removed: Vec<(&str, &str)> =
        trail.iter().filter(|e| e.action == "removed").map(|e| (e.userid.as_str(), e.actor.as_str())).collect();
    assert_eq!(removed, vec![("m0", "callback"), ("m1", "callback"), ("m2", "callback")]);
    drop(store);
    assert!(confirmed.retry_held().is_none(), "nothing held any more");
}

/// Runs `host-sim ARGS` in `dir` (so `--db` defaults to `dir/host-sim.db`).
fn run_in(dir: &TempDir, args: &[&str], extra: &[String]) -> Output {
    let mut command = Command::new(EXE);
    command.current_dir(&dir.0).args(args).args(extra).env_remove("WECOM_SECRET");
    if !matches!(args.first(), Some(&"accounts" | &"audit")) {
        command.arg("--plugin").arg(plugin_path());
    }
    command.output().expect("host-sim runs")
}

fn login_json(dir: &TempDir, code: &str, more: &[&str], wecom: &[String]) -> (Option<i32>, serde_json::Value, String) {
    // `--code=…`: a code may begin with '-'.
    let code = format!("--code={code}");
    let output = run_in(dir, &[&["login", code.as_str(), "--json"], more].concat(), wecom);
    let all = text(&output);
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert_eq!(stdout.trim().lines().count(), 1, "one JSON object on one line: {all}");
    let value: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("JSON ({e}): {all}"));
    assert_eq!(
        value["signed_in"].as_bool(),
        Some(output.status.code() == Some(0)),
        "exit code follows signed_in: {all}"
    );
    (output.status.code(), value, all)
}

#[test]
fn login_code_through_the_binary_signs_in_only_on_evidence_and_never_a_member_without_an_account() {
    let fake = FakeWecom::start(Org::sample(), FakeConfig::default(), 0).expect("fake WeCom starts");
    fake.with_org(|org| {
        if let Some(app) = org.apps.iter_mut().find(|a| a.agent_id == 1000002) {
            app.home_url = "http://127.0.0.1:18080/".into();
            app.redirect_domain = "127.0.0.1:18080".into();
        }
    });
    let wecom = external(&fake);
    let dir = TempDir::new("host-sim-bulk", "login");
    let db = dir.0.join("host-sim.db");
    // The sample platform (demo password), 王晓楷's account with his mobile, and an account for 寸草心.
    host_sim::host::sample::seed(&mut host_sim::store::Store::open(&db).expect("store")).expect("seed");
    let accounts = dir.file(
        "more.json",
        r#"[{"id": "u-1004", "name": "王晓楷", "departments": ["研发部"], "mobile": "13800000000"},
            {"id": "u-1009", "name": "寸草心", "departments": ["测试部门"]}]"#,
    );
    assert_eq!(run_in(&dir, &["accounts", "import", &accounts], &[]).status.code(), Some(0));
    let listed = text(&run_in(&dir, &["accounts", "list"], &[]));
    assert!(listed.contains("138****0000") && !listed.contains("13800000000"), "masked in text: {listed}");
    let exported = text(&run_in(&dir, &["accounts", "list", "--json"], &[]));
    assert!(exported.contains("13800000000"), "clear in the export the operator asks for: {exported}");
    for step in [&["sync", "--scope-departments", "1"][..], &["commit"][..]] {
        let output = run_in(&dir, step, &wecom);
        assert_eq!(output.status.code(), Some(0), "{step:?}: {}", text(&output));
    }

    // 王晓楷 (name and department only, the account has a mobile): consent first, then contact.
    let (code, asked, all) = login_json(&dir, &fake.mint_code(1000002, "wangxiaokai"), &[], &wecom);
    assert_eq!(code, Some(1), "{all}");
    assert!(asked["account"].is_null() && asked["needs"].is_string(), "{asked:#}");
    assert_ne!(asked["needs"], "none", "{asked:#}");
    let (code, confirmed, all) = login_json(&dir, &fake.mint_code_with_consent(1000002, "wangxiaokai"), &[], &wecom);
    assert_eq!(code, Some(0), "{all}");
    assert_eq!(
        (confirmed["account"]["id"].as_str(), confirmed["evidence"].as_str()),
        (Some("u-1004"), Some("contact")),
        "{confirmed:#}"
    );
    assert!(confirmed.get("needs").is_none() && confirmed.get("error").is_none(), "{confirmed:#}");
    assert!(!all.contains("13800000000") && !all.contains("wanxiang.example"), "no personal data: {all}");

    // clear (no contact known): the platform password; a wrong one is refused with its error.
    let (_, asked, _) = login_json(&dir, &fake.mint_code(1000002, "clear"), &[], &wecom);
    assert_eq!((asked["needs"].as_str(), asked["account"].is_null()), (Some("password"), true), "{asked:#}");
    let (code, wrong, all) = login_json(&dir, &fake.mint_code(1000002, "clear"), &["--password", "nope"], &wecom);
    assert_eq!((code, wrong["error"]["code"].as_str()), (Some(1), Some("login.password_invalid")), "{all}");
    assert!(wrong["error"]["message"]["zh"].as_str().is_some_and(|m| !m.is_empty()), "{wrong:#}");
    assert!(!all.contains("nope"), "the password is not echoed: {all}");
    let (code, proved, all) = login_json(
        &dir,
        &fake.mint_code(1000002, "clear"),
        &["--password", host_sim::host::sample::DEMO_PASSWORD],
        &wecom,
    );
    assert_eq!(code, Some(0), "{all}");
    assert_eq!((proved["account"]["id"].as_str(), proved["evidence"].as_str()), (Some("u-1005"), Some("password")));
    // Confirmed once: one click afterwards.
    let (code, again, _) = login_json(&dir, &fake.mint_code(1000002, "clear"), &[], &wecom);
    assert_eq!((code, again["evidence"].as_str()), (Some(0), Some("password")), "{again:#}");

    // 寸草心 says the proposed account is not theirs: it is never signed into.
    let (_, asked, _) = login_json(&dir, &fake.mint_code(1000002, "cuncaoxin"), &[], &wecom);
    assert_eq!(asked["needs"], "password", "{asked:#}");
    let (_, declined, all) = login_json(&dir, &fake.mint_code(1000002, "cuncaoxin"), &["--not-mine"], &wecom);
    assert_ne!(declined["account"]["id"].as_str(), Some("u-1009"), "{all}");
    let store = host_sim::store::Store::open(&db).expect("store");
    assert_ne!(
        store.binding_for_userid("cuncaoxin").expect("q").map(|b| b.account_id.to_string()),
        Some("u-1009".into())
    );

    // 张旭 waits for the operator (two namesake accounts) and has no binding: never signed in.
    let (code, waiting, all) = login_json(&dir, &fake.mint_code(1000002, "zhangxu"), &[], &wecom);
    assert_eq!(
        (code, waiting["signed_in"].as_bool(), waiting["account"].is_null()),
        (Some(1), Some(false), true),
        "{all}"
    );
    assert!(store.binding_for_userid("zhangxu").expect("q").is_none());
    // A departed member: refused with the plugin's error.
    let (_, left, _) = login_json(&dir, &fake.mint_code(1000002, "zhoumin"), &[], &wecom);
    assert_eq!(left["error"]["code"], "login.member_left", "{left:#}");

    // Each confirmation and removal is in the audit trail, by the member.
    let trail = store.audit(&Default::default()).expect("audit");
    let member: Vec<(&str, &str, &str)> = trail
        .iter()
        .filter(|e| e.actor == "member")
        .map(|e| (e.userid.as_str(), e.action.as_str(), e.evidence.as_str()))
        .collect();
    assert!(member.contains(&("wangxiaokai", "confirmed", "contact")), "{member:?}");
    assert!(member.contains(&("clear", "confirmed", "password")), "{member:?}");
    assert!(member.iter().any(|(u, a, _)| *u == "cuncaoxin" && *a == "removed"), "{member:?}");

    // 张旭 answers "none of these is mine" (`--not-mine` without a binding): by the default policy
    // a new account of his own; both namesake accounts recorded as declined, by the member.
    let (_, declined, all) = login_json(&dir, &fake.mint_code(1000002, "zhangxu"), &["--not-mine"], &wecom);
    assert_eq!(
        (declined["signed_in"].as_bool(), declined["evidence"].as_str()),
        (Some(false), Some("created")),
        "{all}"
    );
    let (code, again, all) = login_json(&dir, &fake.mint_code(1000002, "zhangxu"), &[], &wecom);
    assert_eq!(
        (code, again["account"]["id"].as_str(), again["evidence"].as_str()),
        (Some(0), Some("wecom-zhangxu"), Some("created")),
        "{all}"
    );
    let audited: serde_json::Value =
        serde_json::from_slice(&run_in(&dir, &["audit", "--userid", "zhangxu", "--json"], &[]).stdout).expect("JSON");
    let declines: Vec<(&str, &str)> = audited
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "declined")
        .filter_map(|e| Some((e["actor"].as_str()?, e["account_id"].as_str()?)))
        .collect();
    assert_eq!(declines, [("member", "u-1006"), ("member", "u-1007")], "{audited:#}");
}
