//! Reads under faults injected in the fake WeCom: each either completes or fails cleanly with an
//! incomplete snapshot naming what failed, and an incomplete snapshot never removes a binding.

use crate::util::{self, err, ok};
use host_sim::fake_wecom::{FaultKind, FaultRule};
use host_sim::host::plugin_host::SimHost;
use interface::{CommitInput, Edit, EditKind, ProblemKind, ProposalInput, RowKind, ScopeSelection};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn whole() -> ScopeSelection {
    ScopeSelection { department_ids: vec![1].into(), ..Default::default() }
}

fn read_with(rule: FaultRule) -> (interface::DirectorySnapshot, std::collections::BTreeMap<String, u64>) {
    let fake = util::fake();
    let (plugin, _) = util::configured(&fake);
    fake.set_faults(rule.into());
    let snapshot = ok(plugin.fetch_scope(&whole()));
    (snapshot, fake.request_counts())
}

#[test]
fn a_token_invalidated_mid_read_is_refreshed_once_and_the_read_completes() {
    let (snap, counts) = read_with(FaultRule::new(FaultKind::InvalidateTokensAfter { calls: 2 }));
    assert!(snap.complete, "{:?}", snap.problems);
    assert_eq!(snap.members.len(), 9);
    assert_eq!(counts.get("gettoken").copied(), Some(2), "one refresh for all waiting calls: {counts:?}");
}

#[test]
fn system_busy_and_concurrency_limits_are_retried() {
    for errcode in [-1, 45033] {
        let (snap, _) =
            read_with(FaultRule::new(FaultKind::Errcode { errcode, errmsg: String::new() }).on("user/list").times(1));
        assert!(snap.complete, "errcode {errcode}: {:?}", snap.problems);
        assert_eq!(snap.members.len(), 9);
    }
}

#[test]
fn a_frequency_limit_is_waited_out_and_the_read_completes() {
    let (snap, counts) = read_with(
        FaultRule::new(FaultKind::Errcode { errcode: 45009, errmsg: String::new() }).on("user/list").times(1),
    );
    assert!(snap.complete, "{:?}", snap.problems);
    assert_eq!(snap.members.len(), 9);
    assert_eq!(counts.get("user/list").copied(), Some(6), "5 departments + 1 retry: {counts:?}");
}

#[test]
fn broken_answers_give_an_incomplete_snapshot_naming_the_part() {
    // `{}` is JSON without the member list: reported unread, never read as an empty department.
    let kinds = [
        FaultKind::Http500,
        FaultKind::CloseConnection,
        FaultKind::TruncatedBody,
        FaultKind::Garbage,
        FaultKind::EmptyObject,
    ];
    for kind in kinds {
        let (snap, _) = read_with(FaultRule::new(kind.clone()).on("user/list").times(1));
        assert!(!snap.complete, "{kind:?} must make the snapshot incomplete");
        let failed: Vec<_> = snap.problems.iter().filter(|p| p.kind == ProblemKind::ReadFailed).collect();
        assert_eq!(failed.len(), 1, "{kind:?}: {:?}", snap.problems);
        assert!(failed[0].subject.starts_with("department:"), "{:?}", failed[0]);
        assert!(!failed[0].message.en.is_empty());
    }
}

#[test]
fn a_slow_body_is_still_read() {
    let (snap, _) = read_with(FaultRule::new(FaultKind::SlowBody { ms: 300 }).on("user/list").times(2));
    assert!(snap.complete, "{:?}", snap.problems);
}

#[test]
fn a_call_that_never_answers_times_out_and_is_reported() {
    let (snap, _) = read_with(FaultRule::new(FaultKind::Stall { ms: 15_000 }).on("user/list").times(1));
    assert!(!snap.complete);
    assert!(
        snap.problems.iter().any(|p| p.kind == ProblemKind::ReadFailed && p.message.en.contains("timed out")),
        "{:?}",
        snap.problems
    );
}

#[test]
fn the_host_can_cancel_a_read_even_while_calls_hang() {
    let fake = util::fake();
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let host = SimHost {
        cancel: cancel.clone(),
        on_progress: Some(Arc::new(move |stage: &str, _, _| {
            if stage == "members" {
                flag.store(true, Ordering::SeqCst);
            }
        })),
    };
    let plugin = util::plugin().instance(host).expect("instance");
    assert!(ok(plugin.configure(&util::settings(&fake))).accepted);
    fake.set_faults(FaultRule::new(FaultKind::Stall { ms: 8_000 }).on("user/list").into());
    let started = Instant::now();
    let e = err(plugin.fetch_scope(&whole()));
    assert_eq!(e.code.as_str(), "plugin.cancelled");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "cancelled before the stalled calls ended: {:?}",
        started.elapsed()
    );
}

#[test]
fn an_incomplete_read_never_removes_a_binding() {
    let fake = util::fake();
    let (plugin, _) = util::configured(&fake);
    // 市场部门 fails to read; zhoumin (left WeCom, bound) is read on her own.
    fake.set_faults(FaultRule::new(FaultKind::Http500).on("user/list").into());
    let scope = ScopeSelection {
        department_ids: vec![3].into(),
        user_ids: vec!["zhoumin".into(), "baikaishui".into()].into(),
        ..Default::default()
    };
    let snapshot = ok(plugin.fetch_scope(&scope));
    assert!(!snapshot.complete);

    let mut store = host_sim::store::Store::in_memory().expect("store");
    store.import_accounts(&host_sim::host::sample::accounts()).expect("accounts");
    store.import_bindings(&host_sim::host::sample::bindings()).expect("bindings");
    let input = ProposalInput {
        snapshot,
        accounts: store.accounts().expect("a").into(),
        bindings: store.bindings().expect("b").into(),
        departments: Default::default(),
        ..Default::default()
    };
    let proposal = ok(plugin.propose_bindings(&input));
    let zhoumin = proposal.rows.iter().find(|r| r.userid.as_str() == "zhoumin").expect("row");
    assert_eq!(zhoumin.kind, RowKind::LeftWecom);

    let plain = ok(plugin.commit(&CommitInput {
        input: input.clone(),
        proposal: proposal.clone(),
        edits: Default::default(),
        ..Default::default()
    }));
    assert!(plain.remove_bindings.is_empty());
    let confirm = Edit {
        kind: EditKind::ConfirmRemoval,
        userid: "zhoumin".into(),
        account_id: None.into(),
        evidence: interface::Evidence::Operator,
    };
    let refused =
        err(plugin.commit(&CommitInput { input, proposal, edits: vec![confirm].into(), ..Default::default() }));
    assert_eq!(refused.code.as_str(), "binding.incomplete_snapshot");

    let before = store.bindings().expect("b");
    store
        .apply(&plain, &host_sim::store::Audit::new(host_sim::store::Actor::Operator, interface::Text::default()))
        .expect("apply");
    let after = store.bindings().expect("b");
    assert!(before.iter().all(|b| after.contains(b)), "no binding lost: {before:?} → {after:?}");
}
