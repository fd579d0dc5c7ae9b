//! Killing `host-sim commit` in the middle of its transaction leaves the store as it was before
//! (with the pending sync still there, so commit can be retried), never half applied.
//!
//! Runs the real binary. The test hook `HOST_SIM_TEST_PAUSE_IN_COMMIT_MS` makes the store pause
//! inside the open transaction after writing part of the change set (removals and new accounts
//! written, bindings to existing accounts not yet) and announce it on stderr; the test then kills
//! the process with SIGKILL (`Child::kill`).

mod common;

use common::{plugin_path, TempDir, EXE};

use host_sim::store::{Store, TEST_PAUSE_ENV};
use interface::{Binding, ChangeSet, PlatformAccount, PlatformDepartment};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn host_sim(db: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(EXE);
    cmd.args(args).arg("--db").arg(db).arg("--plugin").arg(plugin_path()).env_remove(TEST_PAUSE_ENV);
    cmd
}

fn run_ok(db: &Path, args: &[&str]) -> Output {
    let out = host_sim(db, args).output().expect("host-sim runs");
    assert!(
        out.status.success(),
        "host-sim {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[derive(Debug, PartialEq)]
struct State {
    accounts: Vec<PlatformAccount>,
    bindings: Vec<Binding>,
    departments: Vec<PlatformDepartment>,
}

fn state_of(store: &Store) -> State {
    State {
        accounts: store.accounts().expect("accounts"),
        bindings: store.bindings().expect("bindings"),
        departments: store.departments().expect("departments"),
    }
}

#[test]
fn killing_commit_mid_transaction_leaves_the_store_before_or_after() {
    let dir = TempDir::new("host-sim-crash", "crash");
    let db = dir.0.join("store.db");
    run_ok(&db, &["sync"]);
    run_ok(&db, &["bind", "zhangxu", "u-1006"]);
    run_ok(&db, &["confirm-removal", "zhoumin"]);

    let dry = run_ok(&db, &["commit", "--dry-run", "--json"]);
    let dry: serde_json::Value = serde_json::from_slice(&dry.stdout).expect("dry-run JSON");
    let changes: ChangeSet = serde_json::from_value(dry["change_set"].clone()).expect("change set");
    assert!(
        !changes.remove_bindings.is_empty()
            && !changes.create_accounts.is_empty()
            && !changes.create_bindings.is_empty(),
        "the change set writes rows on both sides of the pause: {changes:?}"
    );

    let (before, pending_before) = {
        let store = Store::open(&db).expect("open");
        (state_of(&store), store.pending().expect("pending").expect("a pending sync"))
    };
    let expected_after = {
        let mut copy = Store::in_memory().expect("memory store");
        copy.import_accounts(&before.accounts).expect("accounts");
        copy.import_bindings(&before.bindings).expect("bindings");
        let audit = host_sim::store::Audit::new(host_sim::store::Actor::Operator, interface::Text::default());
        copy.apply(&changes, &audit).expect("apply to the copy");
        state_of(&copy)
    };
    assert_ne!(before, expected_after);

    let mut child = host_sim(&db, &["commit"])
        .env(TEST_PAUSE_ENV, "60000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("commit starts");
    let stderr = child.stderr.take().expect("stderr piped");
    let mut paused = false;
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("stderr line");
        if line.starts_with("HOST_SIM_TEST_PAUSED") {
            paused = true;
            break;
        }
    }
    assert!(paused, "commit never reached the pause inside its transaction");
    child.kill().expect("kill -9");
    let status = child.wait().expect("reaped");
    assert!(!status.success(), "killed, not finished");

    {
        let store = Store::open(&db).expect("open after the crash");
        assert_eq!(state_of(&store), before, "a killed commit leaves the store exactly as before");
        let pending = store.pending().expect("pending").expect("the pending sync survives the crash");
        assert_eq!(pending, pending_before, "with its edits, so commit can be retried");
    }

    run_ok(&db, &["commit"]);
    let store = Store::open(&db).expect("open after the retry");
    assert_eq!(state_of(&store), expected_after, "the retried commit applies the whole change set");
    assert!(store.pending().expect("pending").is_none(), "and clears the pending sync in the same transaction");
    drop(store);

    let again = run_ok(&db, &["commit", "--json"]);
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).expect("JSON");
    assert_eq!(again["pending"], serde_json::json!(false), "a second commit has nothing to do");
    assert_eq!(state_of(&Store::open(&db).expect("open")), expected_after);
}
