//! The operator's sync on the host side: what the plugin's `propose_bindings` and `commit` are
//! given from the store ([`StoreState`], [`commit_input`]), the first sync of the sample
//! organisation ([`seed_and_sync`]) and the login roster a sync leaves ([`roster`]). The commands
//! that print it are [`crate::cli::workflow`].

use crate::host::session::Session;
use crate::store::{PendingSync, Store};
use interface::{
    ChangeSet, CommitInput, DirectorySnapshot, PlatformAccount, PlatformDepartment, PluginBox, PluginError,
    ProposalInput, ScopeSelection,
};

/// The store state a proposal or a commit is computed from, kept to check it is unchanged when
/// applying.
#[derive(Clone)]
pub struct StoreState {
    /// Accounts.
    pub accounts: Vec<PlatformAccount>,
    /// Bindings.
    pub bindings: Vec<interface::Binding>,
    /// Mirrored departments.
    pub departments: Vec<PlatformDepartment>,
    /// The `(userid, account_id)` pairs members declined at login: never proposed.
    pub declined: Vec<(String, String)>,
}

impl StoreState {
    /// Reads the store.
    pub fn read(store: &Store) -> anyhow::Result<Self> {
        Ok(StoreState {
            accounts: store.accounts()?,
            bindings: store.bindings()?,
            departments: store.departments()?,
            declined: store.declined_pairs()?,
        })
    }

    /// The plugin's `propose_bindings` input: `snapshot` against this state. Every proposal input
    /// made from the store is made here ([`proposal_input`], [`commit_input`]).
    pub fn into_proposal_input(self, snapshot: DirectorySnapshot) -> ProposalInput {
        let mut input = ProposalInput {
            snapshot,
            accounts: self.accounts.into(),
            bindings: self.bindings.into(),
            departments: self.departments.into(),
            ..Default::default()
        };
        input.set_declined_pairs(&self.declined);
        input
    }
}

/// The plugin's `propose_bindings` input: `snapshot` against the store as it is now.
pub fn proposal_input(store: &Store, snapshot: DirectorySnapshot) -> anyhow::Result<ProposalInput> {
    Ok(StoreState::read(store)?.into_proposal_input(snapshot))
}

/// The plugin's `commit` input: the stored snapshot and proposal, the store as it is now, `edits`.
pub fn commit_input(
    pending: &PendingSync,
    state: &StoreState,
    edits: &[interface::Edit],
    removal_guard: interface::RemovalGuard,
) -> CommitInput {
    CommitInput {
        input: state.clone().into_proposal_input(pending.snapshot.clone()),
        proposal: pending.proposal.clone(),
        edits: edits.to_vec().into(),
        removal_guard,
        ..Default::default()
    }
}

/// Runs the plugin's `commit` without applying anything.
pub fn dry_commit(instance: &PluginBox, input: &CommitInput) -> Result<ChangeSet, PluginError> {
    instance.commit(input).into_result()
}

/// Seeds an empty store with the sample accounts and runs one sync with no edits, so members have accounts.
pub fn seed_and_sync(session: &Session, store: &mut Store, scope: &ScopeSelection) -> anyhow::Result<()> {
    if !store.accounts()?.is_empty() {
        return Ok(());
    }
    crate::host::sample::seed(store)?;
    let snapshot = session.instance.fetch_scope(scope).into_result()?;
    let input = proposal_input(store, snapshot)?;
    let proposal = session.instance.propose_bindings(&input).into_result()?;
    let changes = session
        .instance
        .commit(&CommitInput { input, proposal: proposal.clone(), ..Default::default() })
        .into_result()?;
    store.apply(
        &changes,
        &crate::store::Audit::new(
            crate::store::Actor::Operator,
            interface::Text::new("首次同步（示例组织）", "first sync (sample organisation)"),
        ),
    )?;
    store.set_synced_scope(scope)?;
    store.set_roster(&crate::store::roster_of(&proposal))?;
    Ok(())
}

/// The plugin's `commit` input made of the pending sync and the store state themselves (what
/// [`commit_input`] makes of copies), and the pending sync's revision: at 100,000 members
/// a copy of the snapshot and the proposal is about 250 MB. The caller reads the state back from
/// the input to check it is unchanged when applying.
pub fn owned_commit_input(
    pending: PendingSync,
    state: StoreState,
    removal_guard: interface::RemovalGuard,
) -> (i64, CommitInput) {
    let PendingSync { revision, snapshot, proposal, edits, .. } = pending;
    let mut proposal_input = ProposalInput {
        snapshot,
        accounts: state.accounts.into(),
        bindings: state.bindings.into(),
        departments: state.departments.into(),
        ..Default::default()
    };
    proposal_input.set_declined_pairs(&state.declined);
    let input =
        CommitInput { input: proposal_input, proposal, edits: edits.into(), removal_guard, ..Default::default() };
    (revision, input)
}
