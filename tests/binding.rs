//! The binding table and commit through the loaded library, applied to host-sim's store.

use crate::util::{self, err, ok};
use host_sim::store::Store;
use interface::{CommitInput, Edit, EditKind, ProposalInput, RowFilter, RowKind, RowQuery, ScopeSelection};

fn sample_store() -> Store {
    let mut store = Store::in_memory().expect("store");
    store.import_accounts(&host_sim::host::sample::accounts()).expect("accounts");
    store.import_bindings(&host_sim::host::sample::bindings()).expect("bindings");
    store
}

fn input(store: &Store, snapshot: interface::DirectorySnapshot) -> ProposalInput {
    ProposalInput {
        snapshot,
        accounts: store.accounts().expect("a").into(),
        bindings: store.bindings().expect("b").into(),
        departments: store.departments().expect("d").into(),
        ..Default::default()
    }
}

fn kind_of(proposal: &interface::Proposal, userid: &str) -> RowKind {
    proposal
        .rows
        .iter()
        .find(|r| r.userid.as_str() == userid)
        .map(|r| r.kind)
        .unwrap_or_else(|| panic!("no row for {userid}"))
}

#[test]
fn the_sample_shows_every_kind_of_row_and_commits() {
    let fake = util::fake();
    let (plugin, _) = util::configured(&fake);
    let snapshot = ok(plugin.fetch_scope(&ScopeSelection { department_ids: vec![1].into(), ..Default::default() }));
    let mut store = sample_store();
    let input = input(&store, snapshot);
    let proposal = ok(plugin.propose_bindings(&input));

    assert_eq!(kind_of(&proposal, "baikaishui"), RowKind::AlreadyBound);
    assert_eq!(kind_of(&proposal, "wangxiaokai"), RowKind::NameMatch);
    assert_eq!(
        kind_of(&proposal, "clear"),
        RowKind::NameMatch,
        "Clear ↔ clear: Latin letters compare case-insensitively"
    );
    assert_eq!(kind_of(&proposal, "zhangxu"), RowKind::Ambiguous, "two platform accounts named 张旭");
    assert_eq!(kind_of(&proposal, "renshengruxi"), RowKind::NoMatch);
    assert_eq!(kind_of(&proposal, "zhoumin"), RowKind::LeftWecom, "bound member who left");
    let name_match = proposal.rows.iter().find(|r| r.userid.as_str() == "wangxiaokai").expect("row");
    assert_eq!(name_match.label.zh.as_str(), "姓名匹配");

    let unbound = ok(plugin.query_rows(&proposal, &RowQuery { search: "".into(), filter: RowFilter::Unbound }));
    assert!(unbound.iter().all(|&i| matches!(proposal.rows[i as usize].kind, RowKind::Ambiguous | RowKind::NoMatch)));
    let found = ok(plugin.query_rows(&proposal, &RowQuery { search: "CLEAR".into(), filter: RowFilter::All }));
    assert_eq!(found.len(), 1);

    let changes = ok(plugin.commit(&CommitInput {
        input: input.clone(),
        proposal: proposal.clone(),
        edits: Default::default(),
        ..Default::default()
    }));
    assert!(changes
        .create_bindings
        .iter()
        .any(|b| b.userid.as_str() == "wangxiaokai" && b.account_id.as_str() == "u-1004"));
    assert!(
        changes.create_accounts.iter().all(|a| a.userid.as_str() != "zhangxu"),
        "an ambiguous row gets no account without a decision"
    );
    assert_eq!(changes.summary.wecom_users_synced, input.snapshot.members.len() as u64);
    assert!(changes.remove_bindings.is_empty(), "a removal needs the operator's yes");

    store
        .apply(&changes, &host_sim::store::Audit::new(host_sim::store::Actor::Operator, interface::Text::default()))
        .expect("apply");
    assert_eq!(store.account_for_userid("wangxiaokai").expect("q").map(|a| a.id.to_string()), Some("u-1004".into()));
    assert!(store.account_for_userid("renshengruxi").expect("q").is_some(), "no-match member got a new account");
}

#[test]
fn operator_edits_resolve_and_are_validated() {
    let fake = util::fake();
    let (plugin, _) = util::configured(&fake);
    let snapshot = ok(plugin.fetch_scope(&ScopeSelection { department_ids: vec![1].into(), ..Default::default() }));
    let store = sample_store();
    let input = input(&store, snapshot);
    let proposal = ok(plugin.propose_bindings(&input));

    let bind = |userid: &str, account: &str| Edit {
        kind: EditKind::Bind,
        userid: userid.into(),
        account_id: Some(account.into()).into(),
        evidence: interface::Evidence::Operator,
    };
    let good = ok(plugin.commit(&CommitInput {
        input: input.clone(),
        proposal: proposal.clone(),
        edits: vec![bind("zhangxu", "u-1006")].into(),
        ..Default::default()
    }));
    assert!(good.create_bindings.iter().any(|b| b.userid.as_str() == "zhangxu" && b.account_id.as_str() == "u-1006"));

    let taken = err(plugin.commit(&CommitInput {
        input: input.clone(),
        proposal: proposal.clone(),
        edits: vec![bind("zhangxu", "u-1004")].into(),
        ..Default::default()
    }));
    assert_eq!(taken.code.as_str(), "binding.account_taken");

    let unknown = err(plugin.commit(&CommitInput {
        input: input.clone(),
        proposal: proposal.clone(),
        edits: vec![bind("zhangxu", "u-9999")].into(),
        ..Default::default()
    }));
    assert_eq!(unknown.code.as_str(), "binding.unknown_account");
    assert_eq!(unknown.field.as_ref().map(|f| f.as_str()), Some("zhangxu").into(), "names the row");

    let mut stale = proposal.clone();
    stale.snapshot_id = "0000000000000000".into();
    assert_eq!(
        err(plugin.commit(&CommitInput { input, proposal: stale, edits: Default::default(), ..Default::default() }))
            .code
            .as_str(),
        "binding.stale"
    );
}
