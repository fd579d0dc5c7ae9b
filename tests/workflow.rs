//! The binding-table workflow commands (`accounts`, `sync`, `bind`, `unbind`, `commit`) through
//! their library functions, each on its own SQLite file, against the built plugin and the fake.
//! The crash-safety test runs the binary and lives in `host-sim/tests/crash.rs`.

use crate::util;
use host_sim::cli::session::WecomArgs;
use host_sim::cli::workflow::accounts::{AccountsImportArgs, AccountsListArgs};
use host_sim::cli::workflow::commit::{commit, CommitArgs, CommitOutcome};
use host_sim::cli::workflow::edit::{BindArgs, RowArgs};
use host_sim::cli::workflow::sync::{sync, FilterArg, SyncArgs, SyncOutcome};
use host_sim::cli::workflow::{self, WorkflowArgs};
use host_sim::render::table::Lang;
use host_sim::store::Store;
use interface::{Binding, PlatformAccount, RowKind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("wx-workflow-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    fn db(&self) -> PathBuf {
        self.0.join("host-sim.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn common(db: &Path) -> WorkflowArgs {
    WorkflowArgs {
        wecom: WecomArgs { plugin: Some(util::plugin_path()), ..Default::default() },
        db: db.to_path_buf(),
        lang: Lang::Zh,
        json: false,
    }
}

fn sync_args(db: &Path) -> SyncArgs {
    SyncArgs { common: common(db), platform_url: util::PLATFORM.into(), ..Default::default() }
}

fn run_sync(args: &SyncArgs) -> (SyncOutcome, String) {
    let mut out = Vec::new();
    let outcome = sync(args, &mut out).unwrap_or_else(|e| panic!("sync failed: {e:#}")).expect("connection accepted");
    (outcome, String::from_utf8(out).expect("utf-8"))
}

fn bind(db: &Path, userid: &str, account: &str) -> (bool, String) {
    let args = BindArgs { common: common(db), userid: userid.into(), account_id: account.into(), file: None };
    let mut out = Vec::new();
    let ok = workflow::run_bind(&args, &mut out).unwrap_or_else(|e| panic!("bind failed: {e:#}"));
    (ok, String::from_utf8(out).expect("utf-8"))
}

fn run_commit(db: &Path, dry_run: bool) -> (CommitOutcome, String) {
    let args = CommitArgs { common: common(db), dry_run, ..Default::default() };
    let mut out = Vec::new();
    let outcome = commit(&args, &mut out).unwrap_or_else(|e| panic!("commit failed: {e:#}"));
    (outcome, String::from_utf8(out).expect("utf-8"))
}

fn open(db: &Path) -> Store {
    Store::open(db).expect("store")
}

fn bound_to(db: &Path, userid: &str) -> Option<String> {
    open(db).account_for_userid(userid).expect("query").map(|a| a.id.to_string())
}

fn state(db: &Path) -> (Vec<PlatformAccount>, Vec<Binding>) {
    let store = open(db);
    (store.accounts().expect("accounts"), store.bindings().expect("bindings"))
}

fn pending_edits(db: &Path) -> usize {
    open(db).pending().expect("pending").map(|p| p.edits.len()).expect("a pending sync")
}

#[test]
fn accounts_import_loads_a_good_file_and_refuses_a_malformed_one_whole() {
    let dir = TempDir::new("import");
    let db = dir.db();
    let good = dir.0.join("accounts.json");
    std::fs::write(
        &good,
        r#"[{"id":"p-1","name":"张旭","departments":["测试部门"],"enabled":true},
            {"id":"p-2","name":"赵六","departments":[],"enabled":false}]"#,
    )
    .expect("write");
    let import = |file: &Path| {
        let args = AccountsImportArgs { file: file.to_path_buf(), db: db.clone(), json: false };
        workflow::run_accounts_import(&args, &mut Vec::new())
    };
    assert!(import(&good).expect("imports"));
    let mut listed = Vec::new();
    workflow::run_accounts_list(&AccountsListArgs { db: db.clone(), lang: Lang::Zh, json: true }, &mut listed)
        .expect("list");
    let listed: Vec<PlatformAccount> = serde_json::from_slice(&listed).expect("list --json is the import format");
    assert_eq!(listed.len(), 2);
    assert!(!listed[1].enabled);

    let before = state(&db);
    let bad = dir.0.join("bad.json");
    // The first entry is fine, the second misspells a field: nothing at all is imported.
    std::fs::write(&bad, r#"[{"id":"p-3","name":"钱七"},{"id":"p-4","name":"孙八","enable":true}]"#).expect("write");
    let error = format!("{:#}", import(&bad).expect_err("a misspelt field is refused"));
    assert!(error.contains("bad.json") && error.contains("nothing imported"), "{error}");
    assert!(error.contains("enable"), "names the culprit: {error}");
    std::fs::write(&bad, "[{\"id\":\"p-3\",").expect("write");
    assert!(import(&bad).is_err(), "truncated JSON is refused");
    assert_eq!(state(&db), before, "nothing imported");

    let mut text = Vec::new();
    workflow::run_accounts_list(&AccountsListArgs { db: db.clone(), lang: Lang::Zh, json: false }, &mut text)
        .expect("list");
    let text = String::from_utf8(text).expect("utf-8");
    assert!(text.contains("张旭") && text.contains("停用"), "{text}");
}

#[test]
fn an_imported_organisation_is_used_instead_of_the_sample() {
    let dir = TempDir::new("own-org");
    let db = dir.db();
    let file = dir.0.join("accounts.json");
    std::fs::write(&file, r#"[{"id":"own-1","name":"张旭","departments":["测试部门"],"enabled":true}]"#)
        .expect("write");
    workflow::run_accounts_import(&AccountsImportArgs { file, db: db.clone(), json: false }, &mut Vec::new())
        .expect("import");
    let (outcome, _) = run_sync(&sync_args(&db));
    let zhangxu = outcome.proposal.rows.iter().find(|r| r.userid.as_str() == "zhangxu").expect("row");
    assert_eq!(zhangxu.kind, RowKind::NameMatch, "one account of that name in this organisation");
    assert_eq!(open(&db).accounts().expect("accounts").len(), 1, "a non-empty store is not seeded");
}

#[test]
fn sync_bind_commit_resolves_the_ambiguous_row_and_the_store_reflects_it() {
    let dir = TempDir::new("happy");
    let db = dir.db();
    let (outcome, text) = run_sync(&sync_args(&db));
    for heading in ["平台用户", "企业微信用户", "姓名匹配", "同名待确认"] {
        assert!(text.contains(heading), "{heading} missing:\n{text}");
    }
    let zhangxu = outcome.proposal.rows.iter().find(|r| r.userid.as_str() == "zhangxu").expect("row");
    assert_eq!(zhangxu.kind, RowKind::Ambiguous, "two accounts named 张旭");
    assert_eq!(bound_to(&db, "wangxiaokai"), None, "sync commits nothing");

    let (ok, text) = bind(&db, "ZhangXu", "u-1007");
    assert!(ok, "{text}");
    assert!(text.contains("绑定用户"), "previews the summary:\n{text}");
    let (ok, text) = bind(&db, "zhangxu", "u-1006");
    assert!(ok, "{text}");
    assert_eq!(pending_edits(&db), 1, "the second edit of the row replaces the first");

    let (outcome, text) = run_commit(&db, false);
    let CommitOutcome::Applied(changes, applied) = outcome else { panic!("not applied: {outcome:?}\n{text}") };
    assert!(text.contains("同步企业微信用户") && text.contains("新建组织用户"), "{text}");
    assert_eq!(changes.summary.bindings_made, 3, "clear, wangxiaokai, zhangxu");
    assert_eq!(applied.accounts_created, changes.summary.accounts_created);
    assert_eq!(bound_to(&db, "zhangxu").as_deref(), Some("u-1006"));
    assert_eq!(bound_to(&db, "wangxiaokai").as_deref(), Some("u-1004"));
    assert_eq!(bound_to(&db, "renshengruxi").as_deref(), Some("wecom-renshengruxi"));
    assert_eq!(bound_to(&db, "zhoumin").as_deref(), Some("u-1008"), "no removal without confirmation");
    assert!(open(&db).pending().expect("pending").is_none());
}

#[test]
fn a_bind_to_an_unknown_account_is_refused_with_the_row_and_not_recorded() {
    let dir = TempDir::new("unknown");
    let db = dir.db();
    run_sync(&sync_args(&db));
    let (ok, text) = bind(&db, "zhangxu", "u-9999");
    assert!(!ok, "exit non-zero");
    assert!(text.contains("binding.unknown_account") && text.contains("(zhangxu)"), "{text}");
    assert_eq!(pending_edits(&db), 0, "not recorded");

    let mut json = common(&db);
    json.json = true;
    let mut out = Vec::new();
    let args = BindArgs { common: json, userid: "zhangxu".into(), account_id: "u-9999".into(), file: None };
    assert!(!workflow::run_bind(&args, &mut out).expect("runs"));
    let value: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
    assert_eq!(value["error"]["code"], "binding.unknown_account");
    assert_eq!(value["error"]["field"], "zhangxu");
}

#[test]
fn two_members_cannot_take_one_account() {
    let dir = TempDir::new("taken");
    let db = dir.db();
    run_sync(&sync_args(&db));
    assert!(bind(&db, "zhangxu", "u-1007").0);
    let (ok, text) = bind(&db, "renshengruxi", "u-1007");
    assert!(!ok);
    assert!(text.contains("binding.account_taken"), "{text}");
    let (ok, text) = bind(&db, "zhangxu", "u-1004");
    assert!(!ok, "王晓楷's name match holds u-1004");
    assert!(text.contains("binding.account_taken"), "{text}");
    assert_eq!(pending_edits(&db), 1, "only the accepted edit is kept");
}

#[test]
fn unbind_gives_the_member_a_new_account() {
    let dir = TempDir::new("unbind");
    let db = dir.db();
    run_sync(&sync_args(&db));
    let args = RowArgs { common: common(&db), userid: "wangxiaokai".into() };
    assert!(workflow::run_unbind(&args, &mut Vec::new()).expect("unbind"));
    assert!(matches!(run_commit(&db, false).0, CommitOutcome::Applied(..)));
    assert_eq!(bound_to(&db, "wangxiaokai").as_deref(), Some("wecom-wangxiaokai"));
}

#[test]
fn a_store_changed_after_sync_makes_commit_refuse_as_stale() {
    let dir = TempDir::new("stale");
    let db = dir.db();
    run_sync(&sync_args(&db));
    assert!(bind(&db, "zhangxu", "u-1006").0);
    let extra = PlatformAccount {
        id: "u-2001".into(),
        name: "新人".into(),
        departments: Default::default(),
        enabled: true,
        mobile: Default::default(),
        email: Default::default(),
        ext: Default::default(),
    };
    open(&db).import_accounts(&[extra]).expect("change the store");
    let before = state(&db);

    let (outcome, text) = run_commit(&db, false);
    assert_eq!(outcome, CommitOutcome::Refused("binding.stale".into()), "{text}");
    assert!(text.contains("host-sim sync"), "tells the operator what to do:\n{text}");
    assert_eq!(state(&db), before, "nothing written");
    assert_eq!(pending_edits(&db), 1, "the pending sync is kept");
    let mut out = Vec::new();
    assert!(!workflow::run_commit(&CommitArgs { common: common(&db), dry_run: false, ..Default::default() }, &mut out)
        .expect("runs"));

    let (ok, text) = bind(&db, "zhangxu", "u-1007");
    assert!(!ok && text.contains("binding.stale"), "edits are refused too:\n{text}");

    let (outcome, _) = run_sync(&sync_args(&db));
    assert_eq!(outcome.dropped_edits, 1);
    assert!(matches!(run_commit(&db, false).0, CommitOutcome::Applied(..)), "a fresh sync commits");
}

#[test]
fn commit_twice_the_second_is_a_no_op() {
    let dir = TempDir::new("twice");
    let db = dir.db();
    run_sync(&sync_args(&db));
    assert!(matches!(run_commit(&db, false).0, CommitOutcome::Applied(..)));
    let after = state(&db);
    let (outcome, text) = run_commit(&db, false);
    assert_eq!(outcome, CommitOutcome::NothingPending);
    assert!(text.contains("host-sim sync"), "{text}");
    assert!(workflow::run_commit(
        &CommitArgs { common: common(&db), dry_run: false, ..Default::default() },
        &mut Vec::new()
    )
    .expect("ok"));
    assert_eq!(state(&db), after);
}

#[test]
fn filter_unbound_and_search_select_the_right_rows() {
    let dir = TempDir::new("filter");
    let db = dir.db();
    let mut args = sync_args(&db);
    args.filter = FilterArg::Unbound;
    let (outcome, text) = run_sync(&args);
    let kinds: Vec<RowKind> = outcome.shown.iter().map(|&i| outcome.proposal.rows[i as usize].kind).collect();
    assert!(!kinds.is_empty());
    assert!(kinds.iter().all(|k| matches!(*k, RowKind::Ambiguous | RowKind::NoMatch)), "{kinds:?}");
    let expected =
        outcome.proposal.rows.iter().filter(|r| matches!(r.kind, RowKind::Ambiguous | RowKind::NoMatch)).count();
    assert_eq!(kinds.len(), expected);
    assert!(!text.contains("<wangxiaokai>"), "a name-matched row is not unbound:\n{text}");
    assert_eq!(outcome.proposal.rows.len(), 9, "the stored proposal keeps every row");

    let mut args = sync_args(&db);
    args.search = "CLEAR".into();
    args.common.json = true;
    let mut out = Vec::new();
    sync(&args, &mut out).expect("sync").expect("accepted");
    let value: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
    let rows = value["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["userid"], "clear");
    assert_eq!(value["counts"]["wecom_users"], 9);
    assert!(value["problems"].is_array());
}

#[test]
fn dry_run_changes_nothing() {
    let dir = TempDir::new("dry");
    let db = dir.db();
    run_sync(&sync_args(&db));
    assert!(bind(&db, "zhangxu", "u-1006").0);
    let before = state(&db);
    let (outcome, text) = run_commit(&db, true);
    let CommitOutcome::DryRun(changes) = outcome else { panic!("not a dry run: {outcome:?}") };
    assert_eq!(changes.summary.bindings_made, 3);
    assert!(text.contains("同步企业微信用户") && text.contains("试运行"), "{text}");
    assert_eq!(state(&db), before, "nothing written");
    assert_eq!(pending_edits(&db), 1, "still pending");

    let mut json = common(&db);
    json.json = true;
    let mut out = Vec::new();
    assert!(workflow::run_commit(&CommitArgs { common: json, dry_run: true, ..Default::default() }, &mut out)
        .expect("runs"));
    let value: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
    assert_eq!(value["dry_run"], true);
    assert!(value["applied"].is_null());
    assert_eq!(value["summary"]["bindings_made"], 3);
    assert_eq!(state(&db), before);
}
