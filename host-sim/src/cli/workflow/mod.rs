//! The binding-table workflow across separate `host-sim` runs, the way an operator works the
//! guide's table: `accounts import` / `accounts list` load and show the platform's accounts,
//! `sync` reads WeCom and proposes the table, `bind` / `unbind` / `skip` / `confirm-removal` record
//! the operator's decisions, and `commit` applies them.
//!
//! # State
//!
//! Everything lives in the SQLite store named by `--db` (default `host-sim.db` in the current
//! directory): the accounts, bindings and mirrored departments, and one *pending sync* (the scope,
//! the snapshot, the proposal and the edits so far; see [`crate::store::PendingSync`]). A new `sync`
//! replaces the pending sync and drops its edits, because they were decided on another table.
//!
//! # Who checks what
//!
//! The plugin decides; host-sim only stores. The edit commands and `commit` rebuild the
//! [`interface::ProposalInput`] from the stored snapshot and the store's *current* accounts,
//! bindings and departments, and run the plugin's pure `commit` hook on it with the stored proposal
//! and edits. An edit is recorded only when that dry commit accepts it, so a rejected edit (unknown
//! account, account taken, ...) is reported with the plugin's code, row and message and never
//! stored. A store changed since `sync` makes the plugin answer `binding.stale`; the operator runs
//! `sync` again. Only `sync` talks to WeCom; the other commands load the plugin and create an
//! instance without configuring it (its binding hooks need no connection). They still accept the
//! WeCom options so every command takes the same flags; a `--corp-id` that differs from the corp
//! the pending sync was read from is refused, so one store is not committed against another corp.
//!
//! # Applying
//!
//! `commit` applies the change set and clears the pending sync in one `BEGIN IMMEDIATE`
//! transaction ([`crate::store::Store::apply_pending`]), after checking inside it that nobody wrote
//! the store since the change set was computed. A process killed mid-commit leaves the store as
//! before (pending sync intact, `commit` can be retried) or as after (nothing pending), never in
//! between; `host-sim/tests/crash.rs` proves it with the test hook
//! [`crate::store::TEST_PAUSE_ENV`].
//!
//! # Seeding
//!
//! With the built-in fake WeCom (no `--wecom-base-url`) and an empty store, `sync` first imports
//! the sample organisation's platform accounts and bindings (not committed: the table shows what a
//! first sync would do). Against a real WeCom the store is never seeded; use `accounts import`.

pub mod accounts;
pub mod audit;
pub mod bulk;
pub mod commit;
pub mod departments;
pub mod edit;
pub mod export;
pub mod sync;

/// The synced scope as `--scope-*` options (shared by `sync` and `reconcile`).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ScopeArgs {
    /// Departments (with their sub-departments), comma-separated ids.
    #[arg(long, value_delimiter = ',')]
    pub scope_departments: Vec<u32>,
    /// Members, comma-separated userids.
    #[arg(long, value_delimiter = ',')]
    pub scope_members: Vec<String>,
    /// Tags, comma-separated ids. Without any --scope-*, the app's visible range.
    #[arg(long, value_delimiter = ',')]
    pub scope_tags: Vec<u32>,
}

impl ScopeArgs {
    /// The options as a selection, when any is given.
    pub fn given(&self) -> Option<interface::ScopeSelection> {
        let given = interface::ScopeSelection {
            department_ids: self.scope_departments.clone().into(),
            user_ids: self.scope_members.iter().map(|m| m.trim()).filter(|m| !m.is_empty()).map(Into::into).collect(),
            tag_ids: self.scope_tags.clone().into(),
        };
        (given != interface::ScopeSelection::default()).then_some(given)
    }

    /// The options as a selection, or the app's whole visible range when none is given.
    pub fn chosen(&self, session: &crate::host::session::Session) -> interface::ScopeSelection {
        let given = interface::ScopeSelection {
            department_ids: self.scope_departments.clone().into(),
            user_ids: self.scope_members.iter().map(|m| m.trim()).filter(|m| !m.is_empty()).map(Into::into).collect(),
            tag_ids: self.scope_tags.clone().into(),
        };
        if given == interface::ScopeSelection::default() {
            crate::host::session::visible_scope(session)
        } else {
            given
        }
    }
}

pub use accounts::{run_accounts, run_accounts_import, run_accounts_list};
pub use commit::run_commit;
pub use edit::{run_bind, run_confirm_removal, run_confirm_rename, run_skip, run_unbind};
pub use sync::run_sync;

use crate::cli::session::WecomArgs;
use crate::host::plugin_host::{default_plugin_path, LoadedPlugin, SimHost};
use crate::render::table::Lang;
use crate::store::{PendingSync, Store};
use anyhow::Context;
use interface::{PluginBox, PluginError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The mass-removal safeguard's options (`commit`, `reconcile`, `serve`): a change that would
/// unbind or disable more than 10 % of the bindings (and at least 20), or more than
/// `--max-removals`, is refused by the plugin unless `--confirm-removals` names its exact count.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct RemovalArgs {
    /// Refuse a change that removes more than N bindings (instead of the 10 % rule).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub max_removals: u64,
    /// Let through a change that removes exactly N bindings although the safeguard refused it.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub confirm_removals: u64,
}

impl From<RemovalArgs> for interface::RemovalGuard {
    fn from(a: RemovalArgs) -> Self {
        interface::RemovalGuard { max_removals: a.max_removals, confirmed_removals: a.confirm_removals }
    }
}

/// The guard for previews of an edit: the safeguard is applied by `commit`, so an operator can
/// record the confirmations that make up a large removal.
pub fn preview_guard() -> interface::RemovalGuard {
    interface::RemovalGuard { max_removals: u64::MAX, confirmed_removals: 0 }
}

/// How many recorded rows the text output lists (the rest are counted).
pub const LISTED: usize = 20;

pub use crate::defaults::DEFAULT_DB;

/// Options every workflow command that uses the plugin takes.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct WorkflowArgs {
    /// Connection options (default: the built-in fake WeCom). Only `sync` connects.
    #[command(flatten)]
    pub wecom: WecomArgs,
    /// SQLite store with the accounts, bindings and the pending sync.
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// Output language.
    #[arg(long, value_enum, default_value_t = Lang::Zh)]
    pub lang: Lang,
    /// Print machine-readable JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Opens a store that must exist already (commands that only read or edit what is there): a
/// mistyped `--db` is an error, not a new empty store.
pub fn open_existing_store(path: &Path) -> anyhow::Result<Store> {
    require_store(path)?;
    open_store(path)
}

/// Opens an existing store for reading only: no schema change, so a read-only file still serves.
pub fn open_existing_store_read_only(path: &Path) -> anyhow::Result<Store> {
    require_store(path)?;
    Store::open_read_only(path).with_context(|| format!("打开数据库失败 / could not open the store {}", path.display()))
}

fn require_store(path: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        path.is_file(),
        "数据库文件不存在：{0}（请检查 --db，或先运行 host-sim sync / accounts import 创建）/ \
         no store at {0} (check --db, or create it first with host-sim sync or accounts import)",
        path.display()
    );
    Ok(())
}

/// Opens the store, saying which file failed.
pub fn open_store(path: &Path) -> anyhow::Result<Store> {
    Store::open(path).with_context(|| format!("打开数据库失败 / could not open the store {}", path.display()))
}

/// The plugin loaded with an unconfigured instance: enough for its pure binding hooks.
pub struct PureInstance {
    /// Kept so the library stays referenced as long as the instance.
    pub plugin: LoadedPlugin,
    /// The instance.
    pub instance: PluginBox,
}

/// Loads the plugin (`--plugin` or the default location) and creates an instance without configure.
pub fn pure_instance(wecom: &WecomArgs) -> anyhow::Result<PureInstance> {
    let path = wecom.plugin.clone().unwrap_or_else(default_plugin_path);
    let plugin = LoadedPlugin::load(&path).with_context(|| {
        format!("加载插件失败 / could not load the plugin (build it first: cargo build -p plugin): {}", path.display())
    })?;
    let instance = plugin.instance(SimHost::default())?;
    Ok(PureInstance { plugin, instance })
}

/// Refuses a `--corp-id` other than the corp the pending sync was read from.
pub fn check_corp(wecom: &WecomArgs, pending: &PendingSync) -> anyhow::Result<()> {
    if let Some(corp) = wecom.corp_id.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        let synced = pending.snapshot.corp_id.as_str();
        anyhow::ensure!(
            corp == synced,
            "待提交的同步来自企业 {synced}，而不是 --corp-id {corp}；请先运行 host-sim sync / \
             the pending sync was read from corp {synced}, not --corp-id {corp}; run host-sim sync first"
        );
    }
    Ok(())
}

/// Writes a refusal from the plugin: code, row, message and fix, and for `binding.stale` what to do.
pub fn write_refusal(out: &mut dyn Write, error: &PluginError, lang: Lang) -> std::io::Result<()> {
    writeln!(out, "{}{error}", lang.pick("已拒绝：", "Refused: "))?;
    if is_stale(error) {
        writeln!(
            out,
            "{}",
            lang.pick(
                "同步之后数据已变化：请重新运行 host-sim sync，再重新编辑。",
                "The store or directory changed since the sync: run host-sim sync again, then redo the edits."
            )
        )?;
    }
    Ok(())
}

/// Writes a refused edit (text or `--json`, with the edits kept).
pub fn write_rejected(
    common: &WorkflowArgs,
    out: &mut dyn Write,
    error: &PluginError,
    kept: &[interface::Edit],
) -> anyhow::Result<()> {
    if common.json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "ok": false,
                "error": error,
                "stale": is_stale(error),
                "edits": kept,
            }))?
        )?;
    } else {
        write_refusal(out, error, common.lang)?;
        writeln!(out, "{}", common.lang.pick("编辑未记录。", "The edit was not recorded."))?;
    }
    Ok(())
}

/// True for the plugin's "the proposal no longer matches the state" refusal.
pub fn is_stale(error: &PluginError) -> bool {
    error.code.as_str() == "binding.stale"
}

/// The text for "no pending sync".
/// The pending sync, or `None` after telling the operator (text or `--json`) there is none.
pub fn pending_or_say_none(
    store: &Store,
    common: &WorkflowArgs,
    out: &mut dyn Write,
) -> anyhow::Result<Option<crate::store::PendingSync>> {
    let pending = store.pending()?;
    if pending.is_none() {
        if common.json {
            writeln!(out, "{}", serde_json::json!({ "ok": false, "pending": false }))?;
        } else {
            writeln!(out, "{}", crate::render::summary::nothing_pending(common.lang))?;
        }
    }
    Ok(pending)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::sync::StoreState;
    use crate::render::summary::summary_line;
    use crate::store::{Basis, PendingApplied};
    use interface::{Binding, DirectorySnapshot, Edit, EditKind, Evidence, Proposal, ScopeSelection};
    use interface::{ChangeSet, CommitSummary};

    fn store_with_pending() -> (Store, i64) {
        let mut store = Store::in_memory().expect("store");
        store.import_accounts(&crate::host::sample::accounts()).expect("accounts");
        let revision = store
            .set_pending(&ScopeSelection::default(), &DirectorySnapshot::default(), &Proposal::default())
            .expect("set");
        (store, revision)
    }

    fn change_set() -> ChangeSet {
        ChangeSet {
            create_bindings: vec![Binding {
                userid: "wangxiaokai".into(),
                account_id: "u-1004".into(),
                evidence: Default::default(),
            }]
            .into(),
            ..Default::default()
        }
    }

    #[test]
    fn an_edit_on_a_rewritten_pending_sync_is_not_stored() {
        let (mut store, first) = store_with_pending();
        let skip = Edit {
            kind: EditKind::Skip,
            userid: "zhangxu".into(),
            account_id: None.into(),
            evidence: Evidence::Operator,
        };
        let second = store.set_pending_edits(first, std::slice::from_ref(&skip)).expect("edit").expect("current");
        assert_ne!(first, second);
        assert_eq!(store.set_pending_edits(first, &[]).expect("edit"), None, "an old revision is refused");
        assert_eq!(store.pending().expect("read").map(|p| p.edits), Some(vec![skip]));
        store.clear_pending().expect("clear");
        let third = store
            .set_pending(&ScopeSelection::default(), &DirectorySnapshot::default(), &Proposal::default())
            .expect("set");
        assert!(third > second, "revisions are never reused, even after the pending sync is cleared");
    }

    #[test]
    fn apply_pending_writes_nothing_when_the_store_moved_on() {
        let op = crate::store::Audit::new(crate::store::Actor::Operator, interface::Text::default());
        let (mut store, revision) = store_with_pending();
        let state = StoreState::read(&store).expect("read");
        store
            .import_bindings(&[Binding {
                userid: "zhangxu".into(),
                account_id: "u-1006".into(),
                evidence: Default::default(),
            }])
            .expect("meanwhile");
        let basis =
            Basis { revision, accounts: &state.accounts, bindings: &state.bindings, departments: &state.departments };
        assert_eq!(store.apply_pending(&change_set(), basis, &op).expect("apply"), PendingApplied::Changed);
        assert!(store.account_for_userid("wangxiaokai").expect("q").is_none(), "nothing written");
        assert!(store.pending().expect("read").is_some(), "the pending sync is kept");

        let state = StoreState::read(&store).expect("read");
        let basis = Basis { accounts: &state.accounts, bindings: &state.bindings, ..basis };
        assert!(matches!(store.apply_pending(&change_set(), basis, &op).expect("apply"), PendingApplied::Applied(_)));
        assert!(store.account_for_userid("wangxiaokai").expect("q").is_some());
        assert!(store.pending().expect("read").is_none(), "cleared in the same transaction");
    }

    #[test]
    fn the_summary_reads_as_the_guide_says() {
        let s = CommitSummary { wecom_users_synced: 9, bindings_made: 3, accounts_created: 3, ..Default::default() };
        assert_eq!(
            summary_line(&s, Lang::Zh),
            "同步企业微信用户 9 个，绑定用户 3 个，新建组织用户 3 个（跳过 0 个，解除绑定 0 个）"
        );
    }
}
