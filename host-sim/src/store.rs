//! The host's store: platform accounts, bindings and mirrored departments in SQLite. A change set
//! is applied in one transaction (all or nothing); unique constraints keep bindings one to one.
//! Applying the same change set twice changes nothing the second time.
//!
//! It also keeps the binding-table workflow's pending state (one `sync` between `host-sim sync`
//! and `host-sim commit`): the snapshot, the proposal and the operator's edits, in `pending_sync`,
//! with the snapshot's members and the proposal's rows one per table row (`pending_members`,
//! `pending_rows`), written and read one at a time: at 100,000 members the proposal is about
//! 100 MB of JSON, which is never held as one string.
//! [`Store::apply_pending`] applies a change set and clears that state in the same transaction, so
//! a crash leaves either the old store with its pending sync (commit can be retried) or the new
//! store with nothing pending.

use interface::{
    AppInfo, Binding, ChangeSet, ConnectionSettings, DirectoryChange, DirectorySnapshot, Edit, Evidence, PersonalData,
    PlatformAccount, PlatformDepartment, Proposal, ScopeSelection, Text,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::Path;

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (including a broken unique constraint, which rolls the transaction back).
    #[error("数据库错误 / database error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A stored JSON column did not parse.
    #[error("数据损坏 / corrupt stored value: {0}")]
    Json(#[from] serde_json::Error),
    /// A binding names an account that does not exist.
    #[error("账号不存在 / no such account: {0}")]
    UnknownAccount(String),
    /// The pending sync was written by a host-sim of another interface version (its proposal
    /// no longer parses): it cannot be committed; `sync` replaces it.
    #[error(
        "待提交的同步由旧版本生成，无法继续：请重新运行 host-sim sync / the pending sync was made by an older version: run host-sim sync again ({0})"
    )]
    PendingOutdated(String),
    /// The pending sync's stored parts do not fit together (a row missing, out of order or
    /// unreadable): it cannot be committed; `sync` replaces it.
    #[error(
        "待提交的同步数据已损坏，无法继续：请重新运行 host-sim sync / the pending sync is damaged: run host-sim sync again ({0})"
    )]
    PendingCorrupt(String),
}

impl StoreError {
    /// True when another connection holds the lock (SQLITE_BUSY / SQLITE_LOCKED): worth waiting
    /// for, never a reason to drop a change.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            StoreError::Sql(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}

/// What applying a change set did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    /// Accounts inserted.
    pub accounts_created: u64,
    /// Bindings inserted (including those of new accounts).
    pub bindings_created: u64,
    /// Bindings deleted.
    pub bindings_removed: u64,
    /// Accounts disabled.
    pub accounts_disabled: u64,
    /// Department rows inserted or updated.
    pub departments_written: u64,
    /// Department rows deleted (gone from WeCom).
    pub departments_removed: u64,
    /// Existing bindings whose evidence changed, or that moved to another account.
    pub bindings_updated: u64,
}

/// How long a statement waits for another connection's lock by default (SQLite's
/// `busy_timeout`).
pub const DEFAULT_BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The SQLite store.
pub struct Store {
    db: Connection,
}

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA foreign_keys = ON;
CREATE TABLE IF NOT EXISTS accounts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    departments TEXT NOT NULL DEFAULT '[]',
    enabled     INTEGER NOT NULL DEFAULT 1,
    mobile      TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS bindings (
    userid_key  TEXT PRIMARY KEY,          -- lower-cased: WeCom userids are case-insensitive
    userid      TEXT NOT NULL,
    account_id  TEXT NOT NULL UNIQUE REFERENCES accounts(id),
    evidence    TEXT NOT NULL DEFAULT 'name'
);
CREATE TABLE IF NOT EXISTS departments (
    wecom_id        INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    parent_wecom_id INTEGER NOT NULL,
    sort_order      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- At most one row. Every write inserts a new row and deletes the old one, and AUTOINCREMENT never
-- reuses an id, so a revision read earlier tells whether anyone wrote since.
-- `layout` 1 (stores of older host-sims): `snapshot` and `proposal` are whole JSON documents.
-- `layout` 2: they are the documents without `members` and `rows`, which are in pending_members
-- and pending_rows, one JSON value per row in order (`seq` from 0), with their counts in the heads.
CREATE TABLE IF NOT EXISTS pending_sync (
    revision INTEGER PRIMARY KEY AUTOINCREMENT,
    scope    TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    proposal TEXT NOT NULL,
    edits    TEXT NOT NULL,
    layout   INTEGER NOT NULL DEFAULT 1
);
-- The members and rows of the pending sync (layout 2), replaced and cleared with it.
CREATE TABLE IF NOT EXISTS pending_members (
    seq    INTEGER PRIMARY KEY,
    member TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pending_rows (
    seq INTEGER PRIMARY KEY,
    row TEXT NOT NULL
);
-- The members of the last committed sync (userid_key), with the accounts its row offered them
-- (JSON array of account ids; empty for a row without candidates): whom a login may recognise.
CREATE TABLE IF NOT EXISTS sync_roster (
    userid_key TEXT PRIMARY KEY,
    candidates TEXT NOT NULL DEFAULT '[]'
);
-- The same for the pending sync (written with it, moved to sync_roster by its commit), so a
-- login looks one member up instead of parsing the whole pending proposal.
CREATE TABLE IF NOT EXISTS pending_roster (
    userid_key TEXT PRIMARY KEY,
    candidates TEXT NOT NULL DEFAULT '[]'
);
-- Contact-change callbacks, written before WeCom is answered and applied from here: `applied`
-- is 0 until the change is followed (or given up on). The unique `dedup_key` is the replay
-- guard that survives restarts; applied rows are kept a while for it, then pruned.
CREATE TABLE IF NOT EXISTS callback_journal (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key   TEXT NOT NULL UNIQUE,
    change      TEXT NOT NULL,
    received    INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    applied     INTEGER NOT NULL DEFAULT 0
);
-- The audit trail: one row per binding change, written in the transaction that makes the change.
-- Append-only: the triggers refuse every UPDATE and DELETE, so no code path can rewrite history.
CREATE TABLE IF NOT EXISTS audit (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    userid      TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    evidence    TEXT NOT NULL,
    snapshot_id TEXT NOT NULL,
    reason_zh   TEXT NOT NULL,
    reason_en   TEXT NOT NULL
);
-- Callback changes the mass-removal safeguard held back, in arrival order, until a run with the
-- exact count confirmed applies them (they are planned again, with later changes, as one batch).
CREATE TABLE IF NOT EXISTS held_changes (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    change TEXT NOT NULL
);
-- Accounts a member said are not theirs at login (none of these is mine, decided by the
-- plugin's decide_login): passed back to it at later logins so they are never offered again.
CREATE TABLE IF NOT EXISTS declined_candidates (
    userid_key TEXT NOT NULL,
    account_id TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (userid_key, account_id)
);
CREATE INDEX IF NOT EXISTS audit_userid ON audit (userid COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS audit_account ON audit (account_id);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
";

/// Who made a change, for the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// An operator (`commit` of the binding table, a seed or import).
    Operator,
    /// The member at login (`decide_login`).
    Member,
    /// A WeCom contact-change callback (`plan_change`).
    Callback,
    /// The reconcile (a full read, `plan_change`).
    Reconcile,
}

impl Actor {
    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Actor::Operator => "operator",
            Actor::Member => "member",
            Actor::Callback => "callback",
            Actor::Reconcile => "reconcile",
        }
    }
}

/// Who applies a change set and why: recorded with every binding change it makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    /// Who.
    pub actor: Actor,
    /// Why (the plan's event reasons, the login decision's reason, the commit); an unbinding's
    /// own reason wins for its row.
    pub reason: Text,
    /// A removal is a suspension (the binding goes back to the operator after a contradicting
    /// login), recorded as `suspended` instead of `removed`.
    pub suspends: bool,
}

impl Audit {
    /// An audit context with this actor and reason.
    pub fn new(actor: Actor, reason: Text) -> Audit {
        Audit { actor, reason, suspends: false }
    }
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// Order of writing (never reused).
    pub seq: i64,
    /// When, UTC (`2026-12-02T18:00:00Z`).
    pub at: String,
    /// `operator`, `member`, `callback`, `reconcile`.
    pub actor: String,
    /// `made`, `confirmed`, `renamed`, `removed`, `suspended`, `account_created`, `account_disabled`.
    pub action: String,
    /// WeCom userid.
    pub userid: String,
    /// Platform account id.
    pub account_id: String,
    /// The binding's evidence after the change (for a removal: the evidence it had).
    pub evidence: String,
    /// The snapshot the change set derives from (`ChangeSet.snapshot_id`).
    pub snapshot_id: String,
    /// Why.
    pub reason: Text,
}

/// Which entries [`Store::audit`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this member (case-insensitive).
    pub userid: Option<String>,
    /// Only this account.
    pub account_id: Option<String>,
}

/// Columns added after the first release, with the definition `ALTER TABLE` adds them by: a store
/// written by an older host-sim is migrated when opened (existing bindings get evidence `name`).
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("accounts", "mobile", "TEXT NOT NULL DEFAULT ''"),
    ("accounts", "email", "TEXT NOT NULL DEFAULT ''"),
    ("accounts", "password_hash", "TEXT NOT NULL DEFAULT ''"),
    ("bindings", "evidence", "TEXT NOT NULL DEFAULT 'name'"),
    // A pending sync written before the layout existed is whole documents (layout 1).
    ("pending_sync", "layout", "INTEGER NOT NULL DEFAULT 1"),
];

/// `pending_sync.layout`: whole JSON documents (written by older host-sims; still read).
const PENDING_WHOLE: i64 = 1;
/// `pending_sync.layout`: heads in `pending_sync`, members and rows one per table row.
const PENDING_ROWS: i64 = 2;

/// Settings keys: the accepted connection settings, the app as WeCom described it, where they
/// came from, and the synced scope.
const KEY_CONNECTION: &str = "connection";
const KEY_APP: &str = "connection_app";
const KEY_ORIGIN: &str = "connection_origin";
const KEY_SYNCED_SCOPE: &str = "synced_scope";

/// The configuration a `configure` accepted, as stored to activate it at the next start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConnection {
    /// The settings as accepted (the Secret and callback key included: the host keeps them).
    pub settings: ConnectionSettings,
    /// The app as WeCom described it then.
    pub app: Option<AppInfo>,
    /// `builtin_fake` when it was accepted by host-sim's built-in fake (whose address changes at
    /// every start), `external` otherwise.
    pub origin: String,
}

/// How long an applied callback stays in the journal as the replay guard (WeCom's deliveries
/// are accepted for 5 minutes; a day covers clock skew and WeCom's retries many times over).
pub const JOURNAL_KEEP_SECS: i64 = 24 * 3600;

/// A journaled callback not applied yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    /// Arrival order.
    pub seq: i64,
    /// The change as the plugin decoded it.
    pub change: DirectoryChange,
    /// Attempts made so far.
    pub attempts: i64,
}

/// What [`Store::journal_callback`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Journaled {
    /// Written, with its sequence number: to be applied.
    New(i64),
    /// The same event (same dedup key) was journaled before: nothing to do.
    Duplicate,
}

/// Test hook (crash-safety test only): when this variable holds a number of milliseconds,
/// [`Store::apply`] and [`Store::apply_pending`] announce `HOST_SIM_TEST_PAUSED` on stderr and sleep
/// that long inside the open transaction, after part of the rows are written, so a test can kill
/// the process there. Unset in normal use; it changes nothing else.
pub const TEST_PAUSE_ENV: &str = "HOST_SIM_TEST_PAUSE_IN_COMMIT_MS";

/// The workflow state between `sync` and `commit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSync {
    /// Changes on every write; compare it to detect a concurrent writer.
    pub revision: i64,
    /// The scope that was read.
    pub scope: ScopeSelection,
    /// The directory as read.
    pub snapshot: DirectorySnapshot,
    /// The proposal the operator works on.
    pub proposal: Proposal,
    /// The operator's edits so far, one per row.
    pub edits: Vec<Edit>,
}

/// What [`Store::apply_decided`] hands its decision: the store as read inside the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    /// Accounts, by id.
    pub accounts: Vec<PlatformAccount>,
    /// Bindings.
    pub bindings: Vec<Binding>,
    /// Mirrored departments.
    pub departments: Vec<PlatformDepartment>,
    /// Every `(userid, account_id)` a member declined at login (`declined_candidates`).
    pub declined: Vec<(String, String)>,
}

/// The store state a change set was computed from; [`Store::apply_pending`] checks it is unchanged.
#[derive(Debug, Clone, Copy)]
pub struct Basis<'a> {
    /// Revision of the pending sync the change set comes from.
    pub revision: i64,
    /// Accounts as read.
    pub accounts: &'a [PlatformAccount],
    /// Bindings as read.
    pub bindings: &'a [Binding],
    /// Departments as read.
    pub departments: &'a [PlatformDepartment],
}

/// What [`Store::apply_pending`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingApplied {
    /// Applied, and the pending sync cleared.
    Applied(Applied),
    /// Someone changed the store or the pending sync after the change set was computed: nothing written.
    Changed,
}

impl Store {
    /// Opens (and creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::init(Connection::open(path)?)
    }

    /// Opens an existing store for reading only: nothing is created or migrated, so a file the
    /// process may not write (or one on a read-only disk) still serves reads. Writes fail.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let db = Connection::open_with_flags(path, flags)?;
        // A WAL store whose folder cannot be written has no -shm to share: read it as immutable.
        if db.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)).is_err() {
            let uri = url::Url::from_file_path(
                std::path::absolute(path).map_err(|_| rusqlite::Error::InvalidPath(path.into()))?,
            )
            .map_err(|_| rusqlite::Error::InvalidPath(path.into()))?;
            let db = Connection::open_with_flags(format!("{uri}?immutable=1"), flags)?;
            return Ok(Store { db });
        }
        Ok(Store { db })
    }

    /// A store in memory (demo, tests).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(db: Connection) -> Result<Self, StoreError> {
        db.execute_batch(SCHEMA)?;
        for (table, column, definition) in ADDED_COLUMNS {
            let has: bool = db.query_row(
                &format!("SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = ?1"),
                [column],
                |r| r.get::<_, i64>(0).map(|n| n > 0),
            )?;
            if !has {
                db.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {definition}"))?;
            }
        }
        Ok(Store { db })
    }

    /// Adds or replaces accounts (a replaced account keeps its password).
    pub fn import_accounts(&mut self, accounts: &[PlatformAccount]) -> Result<usize, StoreError> {
        self.import_accounts_with_passwords(accounts, &[])
    }

    /// Adds or replaces accounts and sets the password hashes given as `(account id, hash)` (an
    /// account not listed keeps its password), in one transaction.
    pub fn import_accounts_with_passwords(
        &mut self,
        accounts: &[PlatformAccount],
        password_hashes: &[(String, String)],
    ) -> Result<usize, StoreError> {
        let tx = self.db.transaction()?;
        {
            let mut put = tx.prepare("INSERT INTO accounts (id, name, departments, enabled, mobile, email) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, departments = excluded.departments, enabled = excluded.enabled,
                 mobile = excluded.mobile, email = excluded.email")?;
            for a in accounts {
                let departments: Vec<&str> = a.departments.iter().map(|d| d.as_str()).collect();
                put.execute(params![
                    a.id.as_str(),
                    a.name.as_str(),
                    serde_json::to_string(&departments)?,
                    a.enabled,
                    a.mobile.expose(),
                    a.email.expose()
                ])?;
            }
            let mut hash = tx.prepare("UPDATE accounts SET password_hash = ?2 WHERE id = ?1")?;
            for (id, h) in password_hashes {
                hash.execute(params![id, h])?;
            }
        }
        tx.commit()?;
        Ok(accounts.len())
    }

    /// The stored password hash of an account (`None`: no such account, or no password).
    pub fn password_hash(&self, account_id: &str) -> Result<Option<String>, StoreError> {
        let hash: Option<String> = self
            .db
            .query_row("SELECT password_hash FROM accounts WHERE id = ?1", [account_id], |r| r.get(0))
            .optional()?;
        Ok(hash.filter(|h| !h.is_empty()))
    }

    /// Adds bindings (used to seed the sample organisation).
    pub fn import_bindings(&mut self, bindings: &[Binding]) -> Result<(), StoreError> {
        let tx = self.db.transaction()?;
        for b in bindings {
            insert_binding(&tx, b.userid.as_str(), b.account_id.as_str(), b.evidence)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every account, by id.
    pub fn accounts(&self) -> Result<Vec<PlatformAccount>, StoreError> {
        read_accounts(&self.db)
    }

    /// Every binding.
    pub fn bindings(&self) -> Result<Vec<Binding>, StoreError> {
        read_bindings(&self.db)
    }

    /// Mirrored departments.
    pub fn departments(&self) -> Result<Vec<PlatformDepartment>, StoreError> {
        read_departments(&self.db)
    }

    /// The binding of a WeCom userid (case-insensitive), if any.
    pub fn binding_for_userid(&self, userid: &str) -> Result<Option<Binding>, StoreError> {
        Ok(self
            .db
            .query_row(
                "SELECT userid, account_id, evidence FROM bindings WHERE userid_key = ?1",
                [userid.to_lowercase()],
                binding_row,
            )
            .optional()?)
    }

    /// Whether any binding holds this account.
    pub fn account_is_bound(&self, account_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .db
            .query_row("SELECT 1 FROM bindings WHERE account_id = ?1 LIMIT 1", [account_id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// The account with this id, if any.
    pub fn account(&self, id: &str) -> Result<Option<PlatformAccount>, StoreError> {
        Ok(read_accounts_where(&self.db, "WHERE id = ?1", [id])?.pop())
    }

    /// The account bound to a WeCom userid (case-insensitive), if any.
    pub fn account_for_userid(&self, userid: &str) -> Result<Option<PlatformAccount>, StoreError> {
        let id: Option<String> = self
            .db
            .query_row("SELECT account_id FROM bindings WHERE userid_key = ?1", [userid.to_lowercase()], |r| r.get(0))
            .optional()?;
        let Some(id) = id else { return Ok(None) };
        self.account(&id)
    }

    /// Whether the account exists, is enabled and is bound to a member (a signed-in session
    /// stays valid only while this holds).
    pub fn account_enabled_and_bound(&self, account_id: &str) -> Result<bool, StoreError> {
        let found: Option<bool> = self
            .db
            .query_row(
                "SELECT a.enabled FROM accounts a JOIN bindings b ON b.account_id = a.id WHERE a.id = ?1",
                [account_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(found == Some(true))
    }

    /// Applies a change set in one transaction, with its audit entries.
    pub fn apply(&mut self, changes: &ChangeSet, audit: &Audit) -> Result<Applied, StoreError> {
        let tx = self.db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let applied = apply_changes(&tx, changes, audit)?;
        tx.commit()?;
        Ok(applied)
    }

    /// The callback changes the mass-removal safeguard held back, in arrival order.
    pub fn held_changes(&self) -> Result<Vec<interface::DirectoryChange>, StoreError> {
        let mut stmt = self.db.prepare("SELECT change FROM held_changes ORDER BY seq")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(serde_json::from_str(&row?)?);
        }
        Ok(out)
    }

    /// Replaces the held callback changes (empty: none held), in one transaction.
    pub fn hold_changes(&mut self, changes: &[interface::DirectoryChange]) -> Result<(), StoreError> {
        let tx = self.db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM held_changes", [])?;
        for c in changes {
            tx.execute("INSERT INTO held_changes (change) VALUES (?1)", [serde_json::to_string(c)?])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The audit trail, oldest first, optionally for one member or one account.
    pub fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let mut sql = String::from(
            "SELECT seq, at, actor, action, userid, account_id, evidence, snapshot_id, reason_zh, reason_en FROM audit",
        );
        let mut args: Vec<String> = Vec::new();
        if let Some(userid) = &filter.userid {
            args.push(userid.clone());
            sql.push_str(" WHERE userid = ?1 COLLATE NOCASE");
        }
        if let Some(account) = &filter.account_id {
            args.push(account.clone());
            sql.push_str(if args.len() == 1 { " WHERE account_id = ?1" } else { " AND account_id = ?2" });
        }
        sql.push_str(" ORDER BY seq");
        let mut stmt = self.db.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
            Ok(AuditEntry {
                seq: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                userid: r.get(4)?,
                account_id: r.get(5)?,
                evidence: r.get(6)?,
                snapshot_id: r.get(7)?,
                reason: Text::new(r.get::<_, String>(8)?, r.get::<_, String>(9)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Reads the accounts, bindings and departments and applies the change set `decide` makes of
    /// them (if any), in one `BEGIN IMMEDIATE` transaction: the decision is applied to exactly the
    /// state it was made from, even with another process writing the same file. For changes made
    /// without an operator (callbacks, the reconcile).
    /// The decision names who made it and why ([`Audit`]), recorded with each binding change.
    pub fn apply_decided<T>(
        &mut self,
        decide: impl FnOnce(Contents) -> (T, Option<(ChangeSet, Audit)>),
    ) -> Result<(T, Option<Applied>), StoreError> {
        let tx = self.db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let contents = read_contents(&tx)?;
        let (decided, changes) = decide(contents);
        let Some((changes, audit)) = changes else { return Ok((decided, None)) };
        let applied = apply_changes(&tx, &changes, &audit)?;
        tx.commit()?;
        Ok((decided, Some(applied)))
    }

    /// How long a statement waits for another connection's lock before failing busy (SQLite's
    /// `busy_timeout`; 5 s when opened).
    pub fn set_busy_timeout(&self, wait: std::time::Duration) -> Result<(), StoreError> {
        self.db.busy_timeout(wait)?;
        Ok(())
    }

    /// Writes a callback's change to the journal (before WeCom is answered), unless an event
    /// with the same dedup key was journaled before. Prunes applied entries older than
    /// [`JOURNAL_KEEP_SECS`].
    pub fn journal_callback(&mut self, change: &DirectoryChange, now_unix: i64) -> Result<Journaled, StoreError> {
        let tx = self.db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "DELETE FROM callback_journal WHERE applied = 1 AND received < ?1",
            [now_unix.saturating_sub(JOURNAL_KEEP_SECS)],
        )?;
        let key = if change.dedup_key.is_empty() {
            // No key from the plugin: never deduplicated, so never lost either.
            format!("no-key|{now_unix}|{}", fastrand::u64(..))
        } else {
            change.dedup_key.to_string()
        };
        let written = tx.execute(
            "INSERT INTO callback_journal (dedup_key, change, received) VALUES (?1, ?2, ?3)
             ON CONFLICT(dedup_key) DO NOTHING",
            params![key, serde_json::to_string(change)?, now_unix],
        )?;
        let seq = tx.last_insert_rowid();
        tx.commit()?;
        Ok(if written == 1 { Journaled::New(seq) } else { Journaled::Duplicate })
    }

    /// Journaled changes not applied yet, in arrival order.
    pub fn journal_pending(&self) -> Result<Vec<JournalEntry>, StoreError> {
        let mut stmt =
            self.db.prepare("SELECT seq, change, attempts FROM callback_journal WHERE applied = 0 ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, change, attempts) = row?;
            out.push(JournalEntry { seq, change: serde_json::from_str(&change)?, attempts });
        }
        Ok(out)
    }

    /// Records a failed attempt on a journaled change (it stays pending).
    pub fn journal_failed(&mut self, seq: i64, reason: &str) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE callback_journal SET attempts = attempts + 1, last_error = ?2 WHERE seq = ?1",
            params![seq, reason],
        )?;
        Ok(())
    }

    /// As [`Store::apply_decided`], for a batch of journaled changes planned together: every
    /// `seq` is marked applied in the one transaction that applies their change set, whether the
    /// decision changed anything or not (then none is applied twice), or none is when the decision
    /// did not take them (they stay pending unless [`Store::hold_journaled_batch`] takes them over).
    pub fn apply_journaled_batch(
        &mut self,
        seqs: &[i64],
        decide: impl FnOnce(Contents) -> (bool, Option<(ChangeSet, Audit)>),
    ) -> Result<(bool, Option<Applied>), StoreError> {
        let tx = self.db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let contents = read_contents(&tx)?;
        let (decided, changes) = decide(contents);
        let applied = match changes {
            Some((changes, audit)) => Some(apply_changes(&tx, &changes, &audit)?),
            None => None,
        };
        if decided {
            mark_journaled(&tx, seqs)?;
        }
        tx.commit()?;
        Ok((decided, applied))
    }

    /// Marks journaled changes done without applying anything (a later change made them moot:
    /// a member's `delete_user` after a change WeCom never completed), with the reason.
    pub fn journal_superseded(&mut self, seqs: &[i64], reason: &str) -> Result<(), StoreError> {
        let tx = self.db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare(
                "UPDATE callback_journal SET applied = 1, attempts = attempts + 1, last_error = ?2 WHERE seq = ?1",
            )?;
            for seq in seqs {
                stmt.execute(params![seq, reason])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Holds `changes` (the safeguard refused them) and marks every journaled `seq` as taken over,
    /// in one transaction: the held changes replace any held before, and a change lives on in
    /// `held_changes`, never twice.
    pub fn hold_journaled_batch(&mut self, seqs: &[i64], changes: &[DirectoryChange]) -> Result<(), StoreError> {
        let tx = self.db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM held_changes", [])?;
        for c in changes {
            tx.execute("INSERT INTO held_changes (change) VALUES (?1)", [serde_json::to_string(c)?])?;
        }
        mark_journaled(&tx, seqs)?;
        tx.commit()?;
        Ok(())
    }

    /// The pending sync, if any.
    pub fn pending(&self) -> Result<Option<PendingSync>, StoreError> {
        read_pending(&self.db)
    }

    /// How many edits the pending sync has, if there is one, without reading its table.
    pub fn pending_edit_count(&self) -> Result<Option<usize>, StoreError> {
        let edits: Option<String> = self
            .db
            .query_row("SELECT edits FROM pending_sync ORDER BY revision DESC LIMIT 1", [], |r| r.get(0))
            .optional()?;
        let Some(edits) = edits else { return Ok(None) };
        let edits: Vec<Edit> = serde_json::from_str(&edits).map_err(|e| StoreError::PendingOutdated(e.to_string()))?;
        Ok(Some(edits.len()))
    }

    /// Replaces the pending sync with a new one without edits; returns its revision.
    pub fn set_pending(
        &mut self,
        scope: &ScopeSelection,
        snapshot: &DirectorySnapshot,
        proposal: &Proposal,
    ) -> Result<i64, StoreError> {
        let tx = self.db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "DELETE FROM pending_sync; DELETE FROM pending_members; DELETE FROM pending_rows; DELETE FROM pending_roster;",
        )?;
        tx.execute(
            "INSERT INTO pending_sync (scope, snapshot, proposal, edits, layout) VALUES (?1, ?2, ?3, '[]', ?4)",
            params![serde_json::to_string(scope)?, snapshot_head(snapshot)?, proposal_head(proposal)?, PENDING_ROWS],
        )?;
        let revision = tx.last_insert_rowid();
        // One value at a time through one buffer: nothing the size of the whole table is built.
        let mut buffer = Vec::new();
        write_part(&tx, "INSERT INTO pending_members (seq, member) VALUES (?1, ?2)", &snapshot.members, &mut buffer)?;
        write_part(&tx, "INSERT INTO pending_rows (seq, row) VALUES (?1, ?2)", &proposal.rows, &mut buffer)?;
        {
            let mut put = tx.prepare(
                "INSERT INTO pending_roster (userid_key, candidates) VALUES (?1, ?2)
                 ON CONFLICT(userid_key) DO UPDATE SET candidates = excluded.candidates",
            )?;
            for row in proposal.rows.iter() {
                put.execute(params![row.userid.to_lowercase(), serde_json::to_string(&offered(row))?])?;
            }
        }
        tx.commit()?;
        Ok(revision)
    }

    /// Replaces the edits of the pending sync at `revision`; the new revision, or `None` when the
    /// pending sync is gone or was rewritten meanwhile (nothing written then).
    pub fn set_pending_edits(&mut self, revision: i64, edits: &[Edit]) -> Result<Option<i64>, StoreError> {
        let tx = self.db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let copied = tx.execute(
            "INSERT INTO pending_sync (scope, snapshot, proposal, edits, layout)
             SELECT scope, snapshot, proposal, ?1, layout FROM pending_sync WHERE revision = ?2",
            params![serde_json::to_string(edits)?, revision],
        )?;
        if copied == 0 {
            return Ok(None);
        }
        let new_revision = tx.last_insert_rowid();
        tx.execute("DELETE FROM pending_sync WHERE revision != ?1", [new_revision])?;
        tx.commit()?;
        Ok(Some(new_revision))
    }

    /// Drops the pending sync.
    pub fn clear_pending(&mut self) -> Result<(), StoreError> {
        self.db.execute_batch(
            "DELETE FROM pending_sync; DELETE FROM pending_members; DELETE FROM pending_rows; DELETE FROM pending_roster;",
        )?;
        Ok(())
    }

    /// Applies a change set computed from `basis` and clears the pending sync, in one transaction.
    /// When the store or the pending sync no longer match `basis` (another process wrote
    /// meanwhile), writes nothing and says so.
    pub fn apply_pending(
        &mut self,
        changes: &ChangeSet,
        basis: Basis<'_>,
        audit: &Audit,
    ) -> Result<PendingApplied, StoreError> {
        let tx = self.db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Compared row by row as read: no second copy of the pending sync or of the accounts.
        let unchanged = pending_revision(&tx)? == Some(basis.revision)
            && same_rows(&tx, &accounts_sql(""), basis.accounts, account_row)?
            && same_rows(&tx, BINDINGS_SQL, basis.bindings, |r| Ok(binding_row(r)?))?
            && same_rows(&tx, DEPARTMENTS_SQL, basis.departments, |r| Ok(department_row(r)?))?;
        if !unchanged {
            return Ok(PendingApplied::Changed);
        }
        let applied = apply_changes(&tx, changes, audit)?;
        // What a login later asks of the store, in the same transaction: the synced scope, and
        // whom this sync listed with the accounts it offered them.
        tx.execute(
            "INSERT INTO settings (key, value) SELECT ?1, scope FROM pending_sync WHERE revision = ?2
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![KEY_SYNCED_SCOPE, basis.revision],
        )?;
        tx.execute_batch(
            "DELETE FROM sync_roster;
             INSERT INTO sync_roster (userid_key, candidates) SELECT userid_key, candidates FROM pending_roster;
             DELETE FROM pending_roster;
             DELETE FROM pending_members;
             DELETE FROM pending_rows;
             DELETE FROM pending_sync;",
        )?;
        tx.commit()?;
        Ok(PendingApplied::Applied(applied))
    }

    /// A stored setting.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.db.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    /// Stores a setting.
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.db.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Stores the configuration a `configure` accepted (settings, the app, where it came from).
    pub fn save_connection(
        &mut self,
        settings: &ConnectionSettings,
        app: Option<&AppInfo>,
        origin: &str,
    ) -> Result<(), StoreError> {
        let tx = self.db.transaction()?;
        for (key, value) in [
            (KEY_CONNECTION, serde_json::to_string(settings)?),
            (KEY_APP, serde_json::to_string(&app)?),
            (KEY_ORIGIN, origin.to_string()),
        ] {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The stored configuration, if a `configure` was ever accepted with this store.
    pub fn connection(&self) -> Result<Option<StoredConnection>, StoreError> {
        let Some(settings) = self.setting(KEY_CONNECTION)? else { return Ok(None) };
        let app: Option<AppInfo> = match self.setting(KEY_APP)? {
            Some(app) => serde_json::from_str(&app)?,
            None => None,
        };
        Ok(Some(StoredConnection {
            settings: serde_json::from_str(&settings)?,
            app,
            origin: self.setting(KEY_ORIGIN)?.unwrap_or_else(|| "external".into()),
        }))
    }

    /// Stores the synced scope (at commit).
    pub fn set_synced_scope(&mut self, scope: &ScopeSelection) -> Result<(), StoreError> {
        let value = serde_json::to_string(scope)?;
        self.set_setting(KEY_SYNCED_SCOPE, &value)
    }

    /// The synced scope, once a sync was committed.
    pub fn synced_scope(&self) -> Result<Option<ScopeSelection>, StoreError> {
        Ok(match self.setting(KEY_SYNCED_SCOPE)? {
            Some(v) => Some(serde_json::from_str(&v)?),
            None => None,
        })
    }

    /// Replaces the roster of the last committed sync: `(userid, candidate account ids)` per row.
    pub fn set_roster(&mut self, rows: &[(String, Vec<String>)]) -> Result<(), StoreError> {
        let tx = self.db.transaction()?;
        tx.execute("DELETE FROM sync_roster", [])?;
        {
            let mut put = tx.prepare(
                "INSERT INTO sync_roster (userid_key, candidates) VALUES (?1, ?2)
                 ON CONFLICT(userid_key) DO UPDATE SET candidates = excluded.candidates",
            )?;
            for (userid, candidates) in rows {
                put.execute(params![userid.to_lowercase(), serde_json::to_string(candidates)?])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The accounts this member declined at login, oldest first.
    pub fn declined_accounts(&self, userid: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .db
            .prepare("SELECT account_id FROM declined_candidates WHERE userid_key = ?1 ORDER BY at, account_id")?;
        let rows = stmt.query_map([userid.to_lowercase()], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every `(userid, account_id)` pair a member declined at login, by userid then time.
    pub fn declined_pairs(&self) -> Result<Vec<(String, String)>, StoreError> {
        read_declined(&self.db)
    }

    /// Applies a login decision's change set and records the accounts the member declined in it
    /// (`LoginDecision::declined_account_ids`), each with an audit entry `declined` (the audit's
    /// actor, normally `member`; an account already recorded for the member is neither recorded
    /// nor audited again), all in one transaction, but only if the bindings it was
    /// decided on are still there, checked in its `BEGIN IMMEDIATE` transaction (the facts are
    /// read before it, and `bind` or `commit` in another process may write in between):
    /// the member's binding is still `member_binding` (account and evidence), each binding the
    /// decision removes still exists, and each account it binds is unbound, or bound by a binding
    /// this decision removes or already to the member as decided. `Ok(None)` when not: nothing
    /// is written, and the member signs in again.
    pub fn apply_login_if_unchanged(
        &mut self,
        changes: &ChangeSet,
        audit: &Audit,
        userid: &str,
        member_binding: Option<&Binding>,
        declined: &[String],
    ) -> Result<Option<Applied>, StoreError> {
        let tx = self.db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let owner = |account_id: &str| -> Result<Option<String>, StoreError> {
            Ok(tx
                .query_row("SELECT userid_key FROM bindings WHERE account_id = ?1", [account_id], |r| r.get(0))
                .optional()?)
        };
        let now: Option<(String, String)> = tx
            .query_row(
                "SELECT account_id, evidence FROM bindings WHERE userid_key = ?1",
                [userid.to_lowercase()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let then = member_binding.map(|b| (b.account_id.to_string(), evidence_column(b.evidence)));
        let mut unchanged = now == then;
        for u in changes.remove_bindings.iter() {
            unchanged &= owner(u.account_id.as_str())?.as_deref() == Some(u.userid.to_lowercase().as_str());
        }
        for b in changes.create_bindings.iter() {
            let removed_here = |key: &str| {
                changes.remove_bindings.iter().any(|u| u.account_id == b.account_id && u.userid.to_lowercase() == key)
            };
            unchanged &= match owner(b.account_id.as_str())? {
                None => true,
                Some(key) => removed_here(&key) || key == b.userid.to_lowercase(),
            };
        }
        if !unchanged {
            return Ok(None);
        }
        let applied = apply_changes(&tx, changes, audit)?;
        record_declined(&tx, changes, audit, userid, declined)?;
        tx.commit()?;
        Ok(Some(applied))
    }

    /// The pending sync's roster entry of a member: `Some(the accounts its row offers)` when the
    /// pending sync has a row for them.
    pub fn pending_roster_entry(&self, userid: &str) -> Result<Option<Vec<String>>, StoreError> {
        self.roster_lookup("pending_roster", userid)
    }

    /// The roster entry of a member: `Some(candidate account ids)` when the last committed sync had
    /// a row for them.
    pub fn roster_entry(&self, userid: &str) -> Result<Option<Vec<String>>, StoreError> {
        self.roster_lookup("sync_roster", userid)
    }

    /// One member's entry of a roster table (`pending_roster` or `sync_roster`).
    fn roster_lookup(&self, table: &'static str, userid: &str) -> Result<Option<Vec<String>>, StoreError> {
        let sql = format!("SELECT candidates FROM {table} WHERE userid_key = ?1");
        let value: Option<String> = self.db.query_row(&sql, [userid.to_lowercase()], |r| r.get(0)).optional()?;
        Ok(match value {
            Some(v) => Some(serde_json::from_str(&v)?),
            None => None,
        })
    }
}

/// Writes a change set inside an open transaction: departments (in the order given: a removal
/// lists children first), then removals, so two members can swap accounts, then new accounts and
/// bindings. A binding for a userid that is already bound replaces it (same account: the evidence).
/// Every binding change that is actually written gets its audit entry in the same transaction, so
/// applying the same change set again writes neither changes nor entries.
/// Marks journaled changes applied (or taken over by `held_changes`).
/// Records the accounts `userid` declined, each audited once as `declined`.
fn record_declined(
    tx: &rusqlite::Transaction<'_>,
    changes: &ChangeSet,
    audit: &Audit,
    userid: &str,
    declined: &[String],
) -> Result<(), StoreError> {
    let mut trail = Trail::new(tx, changes.snapshot_id.as_str(), audit)?;
    for id in declined {
        let added = tx.execute(
            "INSERT INTO declined_candidates (userid_key, account_id, at) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
            params![userid.to_lowercase(), id, utc_now()],
        )?;
        if added > 0 {
            trail.write("declined", userid, id, "", None)?;
        }
    }
    Ok(())
}

fn mark_journaled(tx: &rusqlite::Transaction<'_>, seqs: &[i64]) -> Result<(), StoreError> {
    let mut stmt = tx.prepare("UPDATE callback_journal SET applied = 1, attempts = attempts + 1 WHERE seq = ?1")?;
    for seq in seqs {
        stmt.execute([seq])?;
    }
    Ok(())
}

fn apply_changes(tx: &rusqlite::Transaction<'_>, changes: &ChangeSet, audit: &Audit) -> Result<Applied, StoreError> {
    let mut applied = Applied::default();
    let mut trail = Trail::new(tx, changes.snapshot_id.as_str(), audit)?;
    for d in changes.departments.iter() {
        if d.removed {
            applied.departments_removed += remove_department(tx, d.wecom_id)?;
            continue;
        }
        applied.departments_written += tx.execute(
            "INSERT INTO departments (wecom_id, name, parent_wecom_id, sort_order) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(wecom_id) DO UPDATE SET name = excluded.name, parent_wecom_id = excluded.parent_wecom_id, sort_order = excluded.sort_order
             WHERE name != excluded.name OR parent_wecom_id != excluded.parent_wecom_id OR sort_order != excluded.sort_order",
            params![d.wecom_id, d.name.as_str(), d.parent_wecom_id, d.order as i64],
        )? as u64;
    }
    for u in changes.remove_bindings.iter() {
        let key = u.userid.as_str().to_lowercase();
        let had: Option<String> = tx
            .query_row(
                "SELECT evidence FROM bindings WHERE userid_key = ?1 AND account_id = ?2",
                params![key, u.account_id.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        let removed = tx.execute(
            "DELETE FROM bindings WHERE userid_key = ?1 AND account_id = ?2",
            params![key, u.account_id.as_str()],
        )? as u64;
        applied.bindings_removed += removed;
        let action = if audit.suspends { "suspended" } else { "removed" };
        if removed > 0 {
            let evidence = had.unwrap_or_default();
            trail.write(action, u.userid.as_str(), u.account_id.as_str(), &evidence, Some(&u.reason))?;
        }
        if u.disable_account {
            let disabled = tx
                .execute("UPDATE accounts SET enabled = 0 WHERE id = ?1 AND enabled = 1", [u.account_id.as_str()])?
                as u64;
            applied.accounts_disabled += disabled;
            if disabled > 0 {
                trail.write("account_disabled", u.userid.as_str(), u.account_id.as_str(), "", Some(&u.reason))?;
            }
        }
    }
    for a in changes.create_accounts.iter() {
        let evidence = created_evidence();
        // Applying the same change set again: the member already holds the account made for them
        // (a `created` binding), so nothing is created or bound twice.
        let held: Option<String> = tx
            .query_row("SELECT evidence FROM bindings WHERE userid_key = ?1", [a.userid.as_str().to_lowercase()], |r| {
                r.get(0)
            })
            .optional()?;
        if held.as_deref() == Some(evidence_column(evidence).as_str()) {
            continue;
        }
        // A new account never reuses an existing one: `wecom-<userid>` may already name a
        // leaver's account whose userid WeCom gave to a new hire. The id is chosen free inside
        // this transaction, and the insert must create a row.
        let id = free_account_id(tx, a.userid.as_str())?;
        let departments: Vec<&str> = a.departments.iter().map(|d| d.as_str()).collect();
        tx.execute(
            "INSERT INTO accounts (id, name, departments, enabled) VALUES (?1, ?2, ?3, 1)",
            params![id, a.name.as_str(), serde_json::to_string(&departments)?],
        )?;
        applied.accounts_created += 1;
        trail.write("account_created", a.userid.as_str(), &id, &evidence_column(evidence), None)?;
        let written = insert_binding(tx, a.userid.as_str(), &id, evidence)?;
        written.count(&mut applied);
        trail.binding(written, a.userid.as_str(), &id, evidence)?;
    }
    test_pause_in_commit();
    for b in changes.create_bindings.iter() {
        let written = insert_binding(tx, b.userid.as_str(), b.account_id.as_str(), b.evidence)?;
        written.count(&mut applied);
        trail.binding(written, b.userid.as_str(), b.account_id.as_str(), b.evidence)?;
    }
    Ok(applied)
}

/// Writes audit entries inside the transaction of the change set they belong to.
struct Trail<'a> {
    insert: rusqlite::Statement<'a>,
    at: String,
    snapshot_id: &'a str,
    audit: &'a Audit,
}

impl<'a> Trail<'a> {
    fn new(tx: &'a rusqlite::Transaction<'_>, snapshot_id: &'a str, audit: &'a Audit) -> Result<Self, StoreError> {
        let insert = tx.prepare(
            "INSERT INTO audit (at, actor, action, userid, account_id, evidence, snapshot_id, reason_zh, reason_en)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        Ok(Trail { insert, at: utc_now(), snapshot_id, audit })
    }

    fn write(
        &mut self,
        action: &str,
        userid: &str,
        account_id: &str,
        evidence: &str,
        reason: Option<&Text>,
    ) -> Result<(), StoreError> {
        let reason = reason.filter(|r| !(r.zh.is_empty() && r.en.is_empty())).unwrap_or(&self.audit.reason);
        self.insert.execute(params![
            self.at,
            self.audit.actor.name(),
            action,
            userid,
            account_id,
            evidence,
            self.snapshot_id,
            reason.zh.as_str(),
            reason.en.as_str()
        ])?;
        Ok(())
    }

    /// The entry for a written binding: `made` (new, or moved to another account), `confirmed`
    /// (same account, new evidence), `renamed` (evidence `rename`); nothing when unchanged.
    fn binding(
        &mut self,
        written: Written,
        userid: &str,
        account_id: &str,
        evidence: Evidence,
    ) -> Result<(), StoreError> {
        let action = match written {
            Written::Unchanged => return Ok(()),
            _ if evidence == Evidence::Rename => "renamed",
            Written::Created | Written::Rebound => "made",
            Written::Evidence => "confirmed",
        };
        self.write(action, userid, account_id, &evidence_column(evidence), None)
    }
}

/// Now, UTC, as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    utc_text(secs)
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, days-from-civil inverse).
pub fn utc_text(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The evidence of the binding of an account created for its member.
pub fn created_evidence() -> Evidence {
    // `created` is newer than the first 0.2 draft; `operator` stands in where it is unknown.
    Evidence::from_name("created").unwrap_or(Evidence::Operator)
}

/// Deletes a mirrored department and drops its name from the accounts that carry it (the
/// accounts themselves stay). 1 when it was there.
fn remove_department(tx: &rusqlite::Transaction<'_>, wecom_id: u32) -> Result<u64, StoreError> {
    let name: Option<String> =
        tx.query_row("SELECT name FROM departments WHERE wecom_id = ?1", [wecom_id], |r| r.get(0)).optional()?;
    let Some(name) = name else { return Ok(0) };
    tx.execute("DELETE FROM departments WHERE wecom_id = ?1", [wecom_id])?;
    // Another mirrored department of the same name still stands for it on the accounts.
    let namesake: Option<i64> =
        tx.query_row("SELECT 1 FROM departments WHERE name = ?1 LIMIT 1", [&name], |r| r.get(0)).optional()?;
    if namesake.is_none() {
        let carrying: Vec<(String, String)> = {
            let mut stmt = tx.prepare("SELECT id, departments FROM accounts WHERE instr(departments, ?1) > 0")?;
            let quoted = serde_json::to_string(&name)?;
            let rows = stmt.query_map([quoted], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        for (id, departments) in carrying {
            let mut list: Vec<String> = serde_json::from_str(&departments)?;
            let before = list.len();
            list.retain(|d| *d != name);
            if list.len() != before {
                tx.execute(
                    "UPDATE accounts SET departments = ?2 WHERE id = ?1",
                    params![id, serde_json::to_string(&list)?],
                )?;
            }
        }
    }
    Ok(1)
}

/// See [`TEST_PAUSE_ENV`].
fn test_pause_in_commit() {
    let Some(ms) = std::env::var(TEST_PAUSE_ENV).ok().and_then(|v| v.trim().parse::<u64>().ok()) else { return };
    eprintln!("HOST_SIM_TEST_PAUSED {ms} ms");
    std::thread::sleep(std::time::Duration::from_millis(ms));
}

/// Everything a decision inside [`Store::apply_decided`] or a journaled batch reads.
fn read_contents(db: &Connection) -> Result<Contents, StoreError> {
    Ok(Contents {
        accounts: read_accounts(db)?,
        bindings: read_bindings(db)?,
        departments: read_departments(db)?,
        declined: read_declined(db)?,
    })
}

fn read_declined(db: &Connection) -> Result<Vec<(String, String)>, StoreError> {
    let mut stmt =
        db.prepare("SELECT userid_key, account_id FROM declined_candidates ORDER BY userid_key, at, account_id")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn read_accounts(db: &Connection) -> Result<Vec<PlatformAccount>, StoreError> {
    read_accounts_where(db, "", [])
}

fn read_accounts_where<P: rusqlite::Params>(
    db: &Connection,
    filter: &str,
    params: P,
) -> Result<Vec<PlatformAccount>, StoreError> {
    let mut stmt = db.prepare(&accounts_sql(filter))?;
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(account_row(r)?);
    }
    // Grown by doubling: up to a third of it empty (6 MB at 100,000 accounts), kept for the
    // whole commit otherwise.
    out.shrink_to_fit();
    Ok(out)
}

/// The accounts (those `filter` keeps), in the order every reader compares them in.
fn accounts_sql(filter: &str) -> String {
    format!("SELECT id, name, departments, enabled, mobile, email FROM accounts {filter} ORDER BY id")
}

/// An account as [`accounts_sql`] selects it.
fn account_row(r: &rusqlite::Row<'_>) -> Result<PlatformAccount, StoreError> {
    let departments: Vec<String> = serde_json::from_str(r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?)?;
    Ok(PlatformAccount {
        id: r.get::<_, String>(0)?.into(),
        name: r.get::<_, String>(1)?.into(),
        departments: departments.into_iter().map(Into::into).collect(),
        enabled: r.get(3)?,
        mobile: PersonalData::new(r.get::<_, String>(4)?),
        email: PersonalData::new(r.get::<_, String>(5)?),
        ext: Default::default(),
    })
}

/// True when `sql` selects exactly `expected`, in order; reads one row at a time and stops at
/// the first difference.
fn same_rows<T: PartialEq>(
    db: &Connection,
    sql: &str,
    expected: &[T],
    mut row: impl FnMut(&rusqlite::Row<'_>) -> Result<T, StoreError>,
) -> Result<bool, StoreError> {
    let mut stmt = db.prepare(sql)?;
    let mut rows = stmt.query([])?;
    let mut seen = 0;
    while let Some(r) = rows.next()? {
        if expected.get(seen) != Some(&row(r)?) {
            return Ok(false);
        }
        seen += 1;
    }
    Ok(seen == expected.len())
}

fn binding_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Binding> {
    let evidence: String = r.get(2)?;
    Ok(Binding {
        userid: r.get::<_, String>(0)?.into(),
        account_id: r.get::<_, String>(1)?.into(),
        evidence: evidence_from_column(&evidence),
    })
}

/// A stored evidence: its name, or the number of a value this build does not know.
fn evidence_from_column(text: &str) -> Evidence {
    Evidence::from_name(text).or_else(|| text.parse::<u8>().ok().map(Evidence::from_raw)).unwrap_or_default()
}

/// How an evidence is stored: its name, or its number when this build does not know it.
pub fn evidence_column(evidence: Evidence) -> String {
    evidence.name().map(str::to_string).unwrap_or_else(|| evidence.raw().to_string())
}

const BINDINGS_SQL: &str = "SELECT userid, account_id, evidence FROM bindings ORDER BY userid_key";
const DEPARTMENTS_SQL: &str = "SELECT wecom_id, name, parent_wecom_id, sort_order FROM departments ORDER BY wecom_id";

fn read_bindings(db: &Connection) -> Result<Vec<Binding>, StoreError> {
    let mut stmt = db.prepare(BINDINGS_SQL)?;
    let rows = stmt.query_map([], binding_row)?;
    let mut bindings: Vec<Binding> = rows.collect::<Result<_, _>>()?;
    bindings.shrink_to_fit();
    Ok(bindings)
}

fn read_departments(db: &Connection) -> Result<Vec<PlatformDepartment>, StoreError> {
    let mut stmt = db.prepare(DEPARTMENTS_SQL)?;
    let rows = stmt.query_map([], department_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn department_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PlatformDepartment> {
    Ok(PlatformDepartment {
        wecom_id: r.get(0)?,
        name: r.get::<_, String>(1)?.into(),
        parent_wecom_id: r.get(2)?,
        order: r.get::<_, i64>(3)? as u64,
    })
}

/// The revision of the pending sync, if there is one.
fn pending_revision(db: &Connection) -> Result<Option<i64>, StoreError> {
    Ok(db.query_row("SELECT MAX(revision) FROM pending_sync", [], |r| r.get(0))?)
}

fn read_pending(db: &Connection) -> Result<Option<PendingSync>, StoreError> {
    let row: Option<(i64, String, String, String, String, i64)> = db
        .query_row(
            "SELECT revision, scope, snapshot, proposal, edits, layout FROM pending_sync ORDER BY revision DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .optional()?;
    let Some((revision, scope, snapshot, proposal, edits, layout)) = row else { return Ok(None) };
    let outdated = |e: serde_json::Error| StoreError::PendingOutdated(e.to_string());
    let (snapshot, proposal) = match layout {
        PENDING_WHOLE => {
            (serde_json::from_str(&snapshot).map_err(outdated)?, serde_json::from_str(&proposal).map_err(outdated)?)
        }
        PENDING_ROWS => {
            let (mut snapshot, members) = read_head::<DirectorySnapshot>(&snapshot, "members")?;
            let (mut proposal, rows) = read_head::<Proposal>(&proposal, "rows")?;
            snapshot.members = read_part(db, "pending_members", "member", members, compact_member)?.into();
            proposal.rows = read_part(db, "pending_rows", "row", rows, compact_row)?.into();
            (snapshot, proposal)
        }
        other => return Err(StoreError::PendingOutdated(format!("layout {other}"))),
    };
    Ok(Some(PendingSync {
        revision,
        scope: serde_json::from_str(&scope).map_err(outdated)?,
        snapshot,
        proposal,
        edits: serde_json::from_str(&edits).map_err(outdated)?,
    }))
}

/// A head of layout 2: the document without its `part` field, which says how many values the
/// part's table holds instead (`members_stored`, `rows_stored`). Without the field, an older
/// host-sim reading the head reports the pending sync as outdated rather than seeing it empty.
fn head_of<T: serde::Serialize>(document: &T, part: &str, stored: usize) -> Result<String, StoreError> {
    let mut head = serde_json::to_value(document)?;
    if let Some(fields) = head.as_object_mut() {
        fields.remove(part);
        fields.insert(format!("{part}_stored"), stored.into());
    }
    Ok(head.to_string())
}

/// The snapshot's head: every field but the members (a small document: departments, tags, problems).
fn snapshot_head(s: &DirectorySnapshot) -> Result<String, StoreError> {
    let head = DirectorySnapshot {
        snapshot_id: s.snapshot_id.clone(),
        corp_id: s.corp_id.clone(),
        taken_at_unix: s.taken_at_unix,
        scope: s.scope.clone(),
        syncs_departments: s.syncs_departments,
        departments: s.departments.clone(),
        members: Default::default(),
        tags: s.tags.clone(),
        complete: s.complete,
        problems: s.problems.clone(),
        api_calls: s.api_calls,
        ext: s.ext.clone(),
    };
    head_of(&head, "members", s.members.len())
}

/// The proposal's head: every field but the rows.
fn proposal_head(p: &Proposal) -> Result<String, StoreError> {
    let head = Proposal {
        snapshot_id: p.snapshot_id.clone(),
        host_state_id: p.host_state_id.clone(),
        rows: Default::default(),
        counts: p.counts,
        ext: p.ext.clone(),
    };
    head_of(&head, "rows", p.rows.len())
}

/// Reads a head written by [`head_of`]: the document with an empty `part`, and the part's count.
fn read_head<T: serde::de::DeserializeOwned>(text: &str, part: &str) -> Result<(T, usize), StoreError> {
    let outdated = |e: serde_json::Error| StoreError::PendingOutdated(e.to_string());
    let mut head: serde_json::Value = serde_json::from_str(text).map_err(outdated)?;
    let fields = head.as_object_mut().ok_or_else(|| StoreError::PendingCorrupt(format!("{part}: no head")))?;
    let stored = fields
        .remove(&format!("{part}_stored"))
        .and_then(|n| n.as_u64())
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| StoreError::PendingCorrupt(format!("{part}: no count in the head")))?;
    fields.insert(part.to_string(), serde_json::Value::Array(Vec::new()));
    Ok((serde_json::from_value(head).map_err(outdated)?, stored))
}

/// Writes `values` into a part table, one JSON value per row with `seq` from 0.
fn write_part<T: serde::Serialize>(
    tx: &rusqlite::Transaction<'_>,
    sql: &str,
    values: &[T],
    buffer: &mut Vec<u8>,
) -> Result<(), StoreError> {
    let mut put = tx.prepare(sql)?;
    for (seq, value) in values.iter().enumerate() {
        buffer.clear();
        serde_json::to_writer(&mut *buffer, value)?;
        let text = std::str::from_utf8(buffer).map_err(|e| StoreError::PendingCorrupt(e.to_string()))?;
        put.execute(params![seq as i64, text])?;
    }
    Ok(())
}

/// Reads a part table written by [`write_part`]: exactly `stored` values, `seq` 0, 1, 2, …,
/// each parsed from the row as read (no copy of the whole table's text) and then `compact`ed.
fn read_part<T: serde::de::DeserializeOwned>(
    db: &Connection,
    table: &'static str,
    column: &'static str,
    stored: usize,
    compact: fn(&mut T),
) -> Result<Vec<T>, StoreError> {
    let count: i64 = db.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
    if usize::try_from(count).ok() != Some(stored) {
        return Err(StoreError::PendingCorrupt(format!("{table}: {count} rows stored, the head says {stored}")));
    }
    let mut values = Vec::with_capacity(stored);
    let mut stmt = db.prepare(&format!("SELECT seq, {column} FROM {table} ORDER BY seq"))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let at = values.len();
        if usize::try_from(seq).ok() != Some(at) {
            return Err(StoreError::PendingCorrupt(format!("{table}: row {seq} where {at} was expected")));
        }
        let text = r.get_ref(1)?.as_str().map_err(|e| StoreError::PendingCorrupt(format!("{table} {seq}: {e}")))?;
        let mut value =
            serde_json::from_str(text).map_err(|e| StoreError::PendingCorrupt(format!("{table} {seq}: {e}")))?;
        compact(&mut value);
        values.push(value);
    }
    Ok(values)
}

/// serde fills a list by pushing, so a one-element list keeps room for four: at 100,000 rows
/// with 420,000 offered accounts that slack is about 60 MB. Shrinking gives it back at once
/// (in place: the allocator splits the block).
fn compact_member(member: &mut interface::Member) {
    member.department_ids.shrink_to_fit();
    member.department_names.shrink_to_fit();
}

fn compact_row(row: &mut interface::ProposalRow) {
    row.member_departments.shrink_to_fit();
    row.candidates.shrink_to_fit();
    for candidate in row.candidates.iter_mut().chain(row.account.as_mut().into_option()) {
        candidate.departments.shrink_to_fit();
    }
}

/// Every member of a proposal, with the accounts their row offered (proposed and candidates):
/// whom a later login may recognise, and which accounts the member may prove.
pub fn roster_of(proposal: &Proposal) -> Vec<(String, Vec<String>)> {
    proposal.rows.iter().map(|row| (row.userid.to_string(), offered(row))).collect()
}

/// The accounts a row offers its member (proposed first, then the candidates), each once.
fn offered(row: &interface::ProposalRow) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let proposed = row.account.as_ref().into_option().into_iter().map(|a| &a.account_id);
    for id in proposed.chain(row.candidates.iter().map(|c| &c.account_id)) {
        if !ids.iter().any(|i| i == id.as_str()) {
            ids.push(id.to_string());
        }
    }
    ids
}

/// The id host-sim gives the account it creates for a WeCom member when no account has it yet
/// (otherwise [`free_account_id`] adds a suffix).
pub fn new_account_id(userid: &str) -> String {
    format!("wecom-{}", userid.to_lowercase())
}

/// The id of a new account for `userid` that no account has: [`new_account_id`] when free,
/// otherwise the first free `wecom-<userid>-2`, `-3`, …. Read inside the transaction that inserts
/// it, so no other writer takes it in between.
fn free_account_id(tx: &rusqlite::Transaction<'_>, userid: &str) -> Result<String, StoreError> {
    let base = new_account_id(userid);
    let mut stmt = tx.prepare("SELECT 1 FROM accounts WHERE id = ?1")?;
    let mut id = base.clone();
    let mut n: u64 = 1;
    while stmt.exists([id.as_str()])? {
        n += 1;
        id = format!("{base}-{n}");
    }
    Ok(id)
}

/// What writing one binding did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    Unchanged,
    Created,
    /// The member's binding got new evidence (same account).
    Evidence,
    /// The member's binding moved to another account.
    Rebound,
}

impl Written {
    fn count(self, applied: &mut Applied) {
        match self {
            Written::Unchanged => {}
            Written::Created => applied.bindings_created += 1,
            Written::Evidence | Written::Rebound => applied.bindings_updated += 1,
        }
    }
}

/// Writes a binding: an identical one already there changes nothing (idempotence); one for the
/// same member replaces theirs (same account: new evidence); an account bound to another member
/// is an error (the unique constraint rejects it and the transaction rolls back).
fn insert_binding(
    tx: &rusqlite::Transaction<'_>,
    userid: &str,
    account_id: &str,
    evidence: Evidence,
) -> Result<Written, StoreError> {
    let key = userid.to_lowercase();
    let evidence_text = evidence_column(evidence);
    let exists: Option<(String, String)> = tx
        .query_row("SELECT account_id, evidence FROM bindings WHERE userid_key = ?1", [&key], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    if let Some((bound, stored_evidence)) = &exists {
        if bound == account_id {
            if *stored_evidence == evidence_text {
                return Ok(Written::Unchanged);
            }
            tx.execute("UPDATE bindings SET evidence = ?2 WHERE userid_key = ?1", params![key, evidence_text])?;
            return Ok(Written::Evidence);
        }
    }
    let known: Option<i64> =
        tx.query_row("SELECT 1 FROM accounts WHERE id = ?1", [account_id], |r| r.get(0)).optional()?;
    if known.is_none() {
        return Err(StoreError::UnknownAccount(account_id.to_string()));
    }
    if exists.is_some() {
        tx.execute("DELETE FROM bindings WHERE userid_key = ?1", [&key])?;
    }
    tx.execute(
        "INSERT INTO bindings (userid_key, userid, account_id, evidence) VALUES (?1, ?2, ?3, ?4)",
        params![key, userid, account_id, evidence_text],
    )?;
    Ok(if exists.is_some() { Written::Rebound } else { Written::Created })
}

#[cfg(test)]
mod tests {
    use super::*;
    use interface::{NewAccount, Unbinding};

    fn op() -> Audit {
        Audit::new(Actor::Operator, Text::new("测试", "test"))
    }

    fn store() -> Store {
        let mut s = Store::in_memory().expect("store");
        s.import_accounts(&crate::host::sample::accounts()).expect("accounts");
        s
    }

    fn change_set() -> ChangeSet {
        ChangeSet {
            create_accounts: vec![NewAccount {
                userid: "XiaoYueYue".into(),
                name: "小岳岳".into(),
                departments: Default::default(),
                department_wecom_ids: Default::default(),
            }]
            .into(),
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
    fn applying_twice_changes_nothing_the_second_time() {
        let mut s = store();
        let first = s.apply(&change_set(), &op()).expect("first");
        assert_eq!((first.accounts_created, first.bindings_created), (1, 2));
        let second = s.apply(&change_set(), &op()).expect("second");
        assert_eq!(second, Applied::default());
        assert_eq!(
            s.account_for_userid("xiaoyueyue").expect("q").map(|a| a.id.to_string()),
            Some("wecom-xiaoyueyue".into())
        );
    }

    #[test]
    fn a_new_account_never_reuses_an_existing_id_and_applying_twice_stays_idempotent() {
        let mut s = store();
        let leaver = PlatformAccount { id: "wecom-xiaoyueyue".into(), name: "前员工".into(), ..Default::default() };
        s.import_accounts(&[leaver]).expect("leaver");
        let first = s.apply(&change_set(), &op()).expect("first");
        assert_eq!((first.accounts_created, first.bindings_created), (1, 2));
        let account = s.account_for_userid("xiaoyueyue").expect("q").expect("bound");
        assert_eq!((account.id.as_str(), account.name.as_str()), ("wecom-xiaoyueyue-2", "小岳岳"));
        assert!(!s.account_is_bound("wecom-xiaoyueyue").expect("q"));
        assert_eq!(s.apply(&change_set(), &op()).expect("second"), Applied::default());
        let created = s.audit(&AuditFilter::default()).expect("audit");
        let created: Vec<&str> =
            created.iter().filter(|e| e.action == "account_created").map(|e| e.account_id.as_str()).collect();
        assert_eq!(created, ["wecom-xiaoyueyue-2"]);
    }

    #[test]
    fn a_conflicting_binding_rolls_back_everything() {
        let mut s = store();
        let mut bad = change_set();
        bad.create_bindings.push(Binding {
            userid: "someoneelse".into(),
            account_id: "u-1004".into(),
            evidence: Default::default(),
        });
        assert!(s.apply(&bad, &op()).is_err());
        assert!(s.bindings().expect("b").is_empty(), "nothing applied");
        assert_eq!(s.accounts().expect("a").len(), 8, "no account created");
    }

    #[test]
    fn a_decision_is_applied_to_the_state_it_was_made_from_or_not_at_all() {
        let mut s = store();
        s.import_bindings(&[Binding {
            userid: "zhoumin".into(),
            account_id: "u-1008".into(),
            evidence: Default::default(),
        }])
        .expect("seed");
        let leave = ChangeSet {
            remove_bindings: vec![Unbinding {
                userid: "zhoumin".into(),
                account_id: "u-1008".into(),
                disable_account: true,
                reason: Default::default(),
            }]
            .into(),
            ..Default::default()
        };
        let (seen, applied) = s.apply_decided(|c| (c.bindings.len(), Some((leave.clone(), op())))).expect("apply");
        assert_eq!((seen, applied.map(|a| a.accounts_disabled)), (1, Some(1)));
        let ((), applied) = s.apply_decided(|_| ((), None)).expect("nothing to apply");
        assert!(applied.is_none());
        let mut bad = change_set();
        bad.create_bindings.push(Binding {
            userid: "someoneelse".into(),
            account_id: "u-1004".into(),
            evidence: Default::default(),
        });
        assert!(s.apply_decided(|_| ((), Some((bad, op())))).is_err());
        assert!(s.bindings().expect("b").is_empty(), "rolled back");
    }

    #[test]
    fn removal_unbinds_and_disables() {
        let mut s = store();
        s.import_bindings(&[Binding {
            userid: "zhoumin".into(),
            account_id: "u-1008".into(),
            evidence: Default::default(),
        }])
        .expect("seed");
        let changes = ChangeSet {
            remove_bindings: vec![Unbinding {
                userid: "ZhouMin".into(),
                account_id: "u-1008".into(),
                disable_account: true,
                reason: Default::default(),
            }]
            .into(),
            ..Default::default()
        };
        let applied = s.apply(&changes, &op()).expect("apply");
        assert_eq!((applied.bindings_removed, applied.accounts_disabled), (1, 1));
        assert!(s.account_for_userid("zhoumin").expect("q").is_none());
    }

    #[test]
    fn a_store_of_an_older_host_sim_is_migrated_and_its_bindings_count_as_name_matches() {
        let path = std::env::temp_dir().join(format!("wx-store-migrate-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        {
            let old = Connection::open(&path).expect("open");
            old.execute_batch(
                "CREATE TABLE accounts (id TEXT PRIMARY KEY, name TEXT NOT NULL, departments TEXT NOT NULL DEFAULT '[]', enabled INTEGER NOT NULL DEFAULT 1);
                 CREATE TABLE bindings (userid_key TEXT PRIMARY KEY, userid TEXT NOT NULL, account_id TEXT NOT NULL UNIQUE REFERENCES accounts(id));
                 INSERT INTO accounts (id, name) VALUES ('u-1', '王晓楷');
                 INSERT INTO bindings VALUES ('wangxiaokai', 'wangxiaokai', 'u-1');",
            )
            .expect("old schema");
        }
        let store = Store::open(&path).expect("migrated");
        let bindings = store.bindings().expect("bindings");
        assert_eq!(bindings.len(), 1);
        assert_eq!(bindings[0].evidence, Evidence::Name, "provisional, as the interface says");
        let account = store.account("u-1").expect("read").expect("kept");
        assert!(account.mobile.is_empty() && account.email.is_empty());
        assert_eq!(store.password_hash("u-1").expect("read"), None);
        drop(store);
        Store::open(&path).expect("opening again changes nothing");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_binding_for_a_bound_member_replaces_it_and_new_evidence_updates_it() {
        let mut s = store();
        s.import_bindings(&[Binding {
            userid: "wangxiaokai".into(),
            account_id: "u-1004".into(),
            evidence: Evidence::Name,
        }])
        .expect("seed");
        let confirm = ChangeSet {
            create_bindings: vec![Binding {
                userid: "WangXiaoKai".into(),
                account_id: "u-1004".into(),
                evidence: Evidence::Password,
            }]
            .into(),
            ..Default::default()
        };
        let applied = s.apply(&confirm, &op()).expect("apply");
        assert_eq!((applied.bindings_created, applied.bindings_updated), (0, 1));
        assert_eq!(s.binding_for_userid("wangxiaokai").expect("q").map(|b| b.evidence), Some(Evidence::Password));
        assert_eq!(s.apply(&confirm, &op()).expect("again"), Applied::default(), "idempotent");
        let moved = ChangeSet {
            create_bindings: vec![Binding {
                userid: "wangxiaokai".into(),
                account_id: "u-1001".into(),
                evidence: Evidence::Operator,
            }]
            .into(),
            ..Default::default()
        };
        assert_eq!(s.apply(&moved, &op()).expect("move").bindings_updated, 1);
        assert_eq!(s.bindings().expect("b").len(), 1, "one binding per member");
        assert_eq!(s.account_for_userid("wangxiaokai").expect("q").map(|a| a.id.to_string()), Some("u-1001".into()));
    }

    #[test]
    fn a_removed_department_leaves_the_tree_and_its_accounts() {
        use interface::DepartmentChange;
        let mut s = store();
        let department = |id: u32, name: &str, removed: bool| DepartmentChange {
            wecom_id: id,
            name: name.into(),
            parent_wecom_id: 1,
            order: 0,
            created: !removed,
            renamed: false,
            moved: false,
            removed,
        };
        s.apply(&ChangeSet { departments: vec![department(4, "测试部门", false)].into(), ..Default::default() }, &op())
            .expect("create");
        let removal = ChangeSet { departments: vec![department(4, "测试部门", true)].into(), ..Default::default() };
        let applied = s.apply(&removal, &op()).expect("remove");
        assert_eq!(applied.departments_removed, 1);
        assert!(s.departments().expect("d").is_empty());
        let li = s.account("u-1001").expect("read").expect("kept");
        assert!(li.departments.is_empty(), "李四 keeps the account, without 测试部门: {:?}", li.departments);
        assert_eq!(s.apply(&removal, &op()).expect("again"), Applied::default(), "idempotent");
    }

    #[test]
    fn every_binding_change_is_audited_once_in_its_transaction_and_the_trail_cannot_be_rewritten() {
        let mut s = store();
        let mut changes = change_set();
        changes.snapshot_id = "snap-1".into();
        s.apply(&changes, &op()).expect("first");
        let trail = s.audit(&AuditFilter::default()).expect("audit");
        let actions: Vec<(&str, &str, &str)> =
            trail.iter().map(|e| (e.action.as_str(), e.userid.as_str(), e.evidence.as_str())).collect();
        assert_eq!(
            actions,
            vec![
                ("account_created", "XiaoYueYue", "created"),
                ("made", "XiaoYueYue", "created"),
                ("made", "wangxiaokai", "name"),
            ]
        );
        assert!(trail.iter().all(|e| e.actor == "operator" && e.snapshot_id == "snap-1" && e.reason.en == "test"));
        assert!(trail[0].at.ends_with('Z') && trail[0].at.len() == 20, "{}", trail[0].at);

        s.apply(&changes, &op()).expect("again");
        assert_eq!(s.audit(&AuditFilter::default()).expect("audit").len(), 3, "nothing changed, nothing appended");

        // Confirmed at login, then suspended with the decision's own reason.
        let member = |reason: &str| Audit::new(Actor::Member, Text::new(reason, reason));
        let confirm = ChangeSet {
            create_bindings: vec![Binding {
                userid: "wangxiaokai".into(),
                account_id: "u-1004".into(),
                evidence: Evidence::Contact,
            }]
            .into(),
            ..Default::default()
        };
        s.apply(&confirm, &member("contact")).expect("confirm");
        let suspend = ChangeSet {
            remove_bindings: vec![Unbinding {
                userid: "wangxiaokai".into(),
                account_id: "u-1004".into(),
                disable_account: false,
                reason: Text::new("不一致", "mismatch"),
            }]
            .into(),
            ..Default::default()
        };
        s.apply(&suspend, &Audit { suspends: true, ..member("login") }).expect("suspend");
        let mine = s.audit(&AuditFilter { userid: Some("WANGXIAOKAI".into()), account_id: None }).expect("audit");
        let got: Vec<(&str, &str, &str, &str)> = mine
            .iter()
            .map(|e| (e.actor.as_str(), e.action.as_str(), e.evidence.as_str(), e.reason.en.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("operator", "made", "name", "test"),
                ("member", "confirmed", "contact", "contact"),
                ("member", "suspended", "contact", "mismatch"),
            ]
        );
        let by_account = s.audit(&AuditFilter { userid: None, account_id: Some("u-1004".into()) }).expect("audit");
        assert_eq!(by_account.len(), 3);

        // A failed change set leaves no entry behind.
        // (other → u-1004 is written first, then someoneelse → an account XiaoYueYue holds fails.)
        let bad = ChangeSet {
            create_bindings: vec![
                Binding { userid: "other".into(), account_id: "u-1004".into(), evidence: Evidence::Operator },
                Binding {
                    userid: "someoneelse".into(),
                    account_id: "wecom-xiaoyueyue".into(),
                    evidence: Evidence::Operator,
                },
            ]
            .into(),
            ..Default::default()
        };
        assert!(s.apply(&bad, &op()).is_err());
        assert_eq!(s.audit(&AuditFilter::default()).expect("audit").len(), 5, "rolled back with its change set");

        // Append-only: the store refuses to rewrite or delete entries.
        assert!(s.db.execute("UPDATE audit SET actor = 'x'", []).is_err());
        assert!(s.db.execute("DELETE FROM audit", []).is_err());
        assert_eq!(s.audit(&AuditFilter::default()).expect("audit").len(), 5);
    }

    #[test]
    fn utc_text_reads_as_a_calendar() {
        assert_eq!(utc_text(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_text(1_796_169_600), "2026-12-02T00:00:00Z");
        assert_eq!(utc_text(951_782_400 + 3_723), "2000-02-29T01:02:03Z");
    }

    #[test]
    fn a_pending_sync_that_no_longer_parses_is_reported_as_outdated_and_a_new_sync_replaces_it() {
        let mut s = store();
        s.db.execute(
            "INSERT INTO pending_sync (scope, snapshot, proposal, edits) VALUES ('{}', '{}', '{\"rows\": [{\"userid\": \"x\"}]}', '[]')",
            [],
        )
        .expect("an old pending sync");
        assert!(matches!(s.pending(), Err(StoreError::PendingOutdated(_))));
        s.set_pending(&ScopeSelection::default(), &DirectorySnapshot::default(), &Proposal::default())
            .expect("replaced");
        assert!(s.pending().expect("reads").is_some());
    }

    #[test]
    fn the_commit_of_a_pending_sync_keeps_its_scope_and_roster_for_later_logins() {
        use interface::{Candidate, MemberStatus, ProposalRow, RowKind, Text};
        let candidate = |id: &str| Candidate {
            account_id: id.into(),
            account_name: "张旭".into(),
            departments: Default::default(),
            department_agrees: false,
            has_contact: false,
        };
        let row = ProposalRow {
            userid: "ZhangXu".into(),
            member_name: "张旭".into(),
            member_departments: Default::default(),
            member_status: MemberStatus::Active,
            kind: RowKind::Ambiguous,
            account: None.into(),
            candidates: vec![candidate("u-1006"), candidate("u-1007")].into(),
            label: Text::default(),
            reason: Text::default(),
            evidence: Evidence::Name,
            previous_userid: "".into(),
            ext: Default::default(),
        };
        let proposal = Proposal { rows: vec![row].into(), ..Default::default() };
        let scope = ScopeSelection { department_ids: vec![4].into(), ..Default::default() };
        let mut s = store();
        let revision = s.set_pending(&scope, &DirectorySnapshot::default(), &proposal).expect("pending");
        let offered = Some(vec!["u-1006".to_string(), "u-1007".to_string()]);
        assert_eq!(s.pending_roster_entry("zhangxu").expect("read"), offered);
        assert_eq!(s.roster_entry("zhangxu").expect("read"), None, "nothing committed yet");
        let (accounts, bindings, departments) =
            (s.accounts().expect("a"), s.bindings().expect("b"), s.departments().expect("d"));
        let basis = Basis { revision, accounts: &accounts, bindings: &bindings, departments: &departments };
        assert!(matches!(
            s.apply_pending(&ChangeSet::default(), basis, &op()).expect("apply"),
            PendingApplied::Applied(_)
        ));
        assert_eq!(s.roster_entry("ZHANGXU").expect("read"), offered, "moved with the commit");
        assert_eq!(s.pending_roster_entry("zhangxu").expect("read"), None);
        assert_eq!(s.synced_scope().expect("read"), Some(scope));
    }

    /// A pending sync with every part filled: members, departments, tags, a problem, rows with
    /// and without candidates, counts and ids.
    fn full_pending() -> (ScopeSelection, DirectorySnapshot, Proposal) {
        use interface::{
            Candidate, Department, Member, MemberStatus, ProblemKind, ProposalRow, RowKind, ScopeProblem, Tag,
        };
        let member = |userid: &str, name: &str| Member {
            userid: userid.into(),
            name: name.into(),
            department_ids: vec![2, 3].into(),
            department_names: vec!["研发".into(), "测试".into()].into(),
            position: "工程师".into(),
            status: MemberStatus::Active,
        };
        let candidate = |id: &str| Candidate {
            account_id: id.into(),
            account_name: "张旭".into(),
            departments: vec!["研发".into()].into(),
            department_agrees: true,
            has_contact: id.ends_with('6'),
        };
        let row = |userid: &str, kind: RowKind, account: Option<Candidate>, candidates: Vec<Candidate>| ProposalRow {
            userid: userid.into(),
            member_name: "张旭".into(),
            member_departments: vec!["研发".into()].into(),
            member_status: MemberStatus::Active,
            kind,
            account: account.into(),
            candidates: candidates.into(),
            label: Text::new("待确认", "to decide"),
            reason: Text::new("两个同名账号", "two accounts have this name"),
            evidence: Evidence::Name,
            previous_userid: "".into(),
            ext: Default::default(),
        };
        let scope = ScopeSelection { department_ids: vec![1].into(), tag_ids: vec![7].into(), ..Default::default() };
        let snapshot = DirectorySnapshot {
            snapshot_id: "snap-1".into(),
            corp_id: "ww-corp".into(),
            taken_at_unix: 1_796_169_600,
            scope: scope.clone(),
            syncs_departments: true,
            departments: vec![Department { id: 1, name: "公司".into(), parent_id: 0, order: 9 }].into(),
            members: vec![member("ZhangXu", "张旭"), member("zhangxu2", "张旭"), member("lisi", "李四")].into(),
            tags: vec![Tag { id: 7, name: "全员".into() }].into(),
            complete: false,
            problems: vec![ScopeProblem {
                kind: ProblemKind::ReadFailed,
                subject: "department:9".into(),
                subject_name: "销售".into(),
                wecom_errcode: Some(-1).into(),
                message: Text::new("读取失败", "read failed"),
            }]
            .into(),
            api_calls: 42,
            ext: Default::default(),
        };
        let proposal = Proposal {
            snapshot_id: "snap-1".into(),
            host_state_id: "state-1".into(),
            rows: vec![
                row("ZhangXu", RowKind::Ambiguous, None, vec![candidate("u-1006"), candidate("u-1007")]),
                row("zhangxu2", RowKind::NameMatch, Some(candidate("u-1006")), Vec::new()),
                row("lisi", RowKind::NoMatch, None, Vec::new()),
            ]
            .into(),
            counts: interface::ProposalCounts {
                wecom_users: 3,
                name_matches: 1,
                ambiguous: 1,
                no_match: 1,
                ..Default::default()
            },
            ext: Default::default(),
        };
        (scope, snapshot, proposal)
    }

    #[test]
    fn the_pending_sync_is_stored_row_by_row_and_read_back_whole() {
        let (scope, snapshot, proposal) = full_pending();
        let mut s = store();
        let revision = s.set_pending(&scope, &snapshot, &proposal).expect("stored");
        let count = |s: &Store, table: &str| -> i64 {
            s.db.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0)).expect("count")
        };
        assert_eq!(
            (count(&s, "pending_members"), count(&s, "pending_rows")),
            (3, 3),
            "one table row per member and row"
        );
        let heads: (String, String) =
            s.db.query_row("SELECT snapshot, proposal FROM pending_sync", [], |r| Ok((r.get(0)?, r.get(1)?)))
                .expect("heads");
        assert!(!heads.0.contains("ZhangXu") && !heads.1.contains("u-1007"), "the heads hold neither members nor rows");
        assert!(
            serde_json::from_str::<Proposal>(&heads.1).is_err()
                && serde_json::from_str::<DirectorySnapshot>(&heads.0).is_err(),
            "an older host-sim, which reads the heads as whole documents, finds them outdated instead of empty"
        );
        let pending = s.pending().expect("reads").expect("pending");
        assert_eq!(
            (pending.revision, &pending.scope, &pending.snapshot, &pending.proposal),
            (revision, &scope, &snapshot, &proposal)
        );
        assert!(pending.edits.is_empty());
        assert_eq!(s.pending_edit_count().expect("count"), Some(0));

        // An edit writes a new revision of the head; the members and rows stay as they are.
        let skip = Edit {
            kind: interface::EditKind::Skip,
            userid: "lisi".into(),
            account_id: None.into(),
            evidence: Evidence::Operator,
        };
        let second = s.set_pending_edits(revision, std::slice::from_ref(&skip)).expect("edit").expect("current");
        let pending = s.pending().expect("reads").expect("pending");
        assert_eq!((pending.revision, pending.edits, &pending.proposal), (second, vec![skip], &proposal));
        assert_eq!(s.pending_edit_count().expect("count"), Some(1));

        // Commit clears every part with the head, in its transaction.
        let (accounts, bindings, departments) =
            (s.accounts().expect("a"), s.bindings().expect("b"), s.departments().expect("d"));
        let basis = Basis { revision: second, accounts: &accounts, bindings: &bindings, departments: &departments };
        assert!(matches!(
            s.apply_pending(&ChangeSet::default(), basis, &op()).expect("apply"),
            PendingApplied::Applied(_)
        ));
        assert!(s.pending().expect("reads").is_none());
        assert_eq!((count(&s, "pending_members"), count(&s, "pending_rows")), (0, 0));
        assert_eq!(s.pending_edit_count().expect("count"), None);

        // An empty table round-trips too.
        s.set_pending(&ScopeSelection::default(), &DirectorySnapshot::default(), &Proposal::default()).expect("stored");
        let pending = s.pending().expect("reads").expect("pending");
        assert_eq!((pending.snapshot, pending.proposal), (DirectorySnapshot::default(), Proposal::default()));
    }

    #[test]
    fn applying_compares_the_store_row_by_row_and_sees_any_change() {
        let (scope, snapshot, proposal) = full_pending();
        let mut s = store();
        let revision = s.set_pending(&scope, &snapshot, &proposal).expect("stored");
        let (accounts, bindings, departments) =
            (s.accounts().expect("a"), s.bindings().expect("b"), s.departments().expect("d"));
        let one_less = &accounts[..accounts.len() - 1];
        let mut renamed = accounts.clone();
        renamed[0].name = "别人".into();
        for changed in [one_less, &renamed[..]] {
            let basis = Basis { revision, accounts: changed, bindings: &bindings, departments: &departments };
            assert_eq!(s.apply_pending(&ChangeSet::default(), basis, &op()).expect("apply"), PendingApplied::Changed);
        }
        let stale =
            Basis { revision: revision - 1, accounts: &accounts, bindings: &bindings, departments: &departments };
        assert_eq!(s.apply_pending(&ChangeSet::default(), stale, &op()).expect("apply"), PendingApplied::Changed);
        assert!(s.pending().expect("reads").is_some(), "nothing written");
    }

    #[test]
    fn a_pending_sync_of_an_older_host_sim_is_migrated_on_open_and_stays_readable_until_replaced() {
        let path = std::env::temp_dir().join(format!("wx-store-pending-layout-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let (scope, snapshot, proposal) = full_pending();
        let skip = Edit {
            kind: interface::EditKind::Skip,
            userid: "lisi".into(),
            account_id: None.into(),
            evidence: Evidence::Operator,
        };
        {
            // The table as host-sims before the layout made it, with one whole-document pending sync.
            let db = Connection::open(&path).expect("db");
            db.execute_batch(
                "CREATE TABLE pending_sync (revision INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT NOT NULL,
                 snapshot TEXT NOT NULL, proposal TEXT NOT NULL, edits TEXT NOT NULL);",
            )
            .expect("old schema");
            db.execute(
                "INSERT INTO pending_sync (revision, scope, snapshot, proposal, edits) VALUES (7, ?1, ?2, ?3, ?4)",
                params![
                    serde_json::to_string(&scope).expect("j"),
                    serde_json::to_string(&snapshot).expect("j"),
                    serde_json::to_string(&proposal).expect("j"),
                    serde_json::to_string(std::slice::from_ref(&skip)).expect("j")
                ],
            )
            .expect("old pending sync");
        }
        let mut s = Store::open(&path).expect("migrated");
        let pending = s.pending().expect("reads").expect("pending");
        assert_eq!((pending.revision, &pending.snapshot, &pending.proposal), (7, &snapshot, &proposal));
        assert_eq!(pending.edits, vec![skip.clone()], "the operator's edits survive the migration");
        let next = s.set_pending_edits(7, &[]).expect("edit").expect("current");
        assert_eq!(
            s.pending().expect("reads").expect("pending").proposal,
            proposal,
            "an edit keeps the old layout readable"
        );
        let replaced = s.set_pending(&scope, &snapshot, &proposal).expect("a new sync");
        assert!(replaced > next, "revisions still never come back");
        let layout: i64 = s.db.query_row("SELECT layout FROM pending_sync", [], |r| r.get(0)).expect("layout");
        assert_eq!(layout, PENDING_ROWS);
        assert_eq!(s.pending().expect("reads").expect("pending").proposal, proposal);
        drop(s);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn damaged_pending_data_is_a_clear_bilingual_error_and_a_new_sync_replaces_it() {
        let (scope, snapshot, proposal) = full_pending();
        // (damage, true when it reads as damaged rather than outdated)
        let damage: &[(&str, bool)] = &[
            ("DELETE FROM pending_rows WHERE seq = 1", true),
            ("UPDATE pending_rows SET seq = 5 WHERE seq = 2", true),
            ("INSERT INTO pending_members (seq, member) VALUES (3, '{}')", true),
            ("UPDATE pending_rows SET row = '{\"userid\": ' WHERE seq = 0", true),
            ("UPDATE pending_members SET member = x'ff00' WHERE seq = 0", true),
            ("UPDATE pending_sync SET proposal = '{\"snapshot_id\": \"s\"}'", true),
            ("UPDATE pending_sync SET snapshot = '[1, 2]'", true),
            ("UPDATE pending_sync SET snapshot = 'not json'", false),
            ("UPDATE pending_sync SET layout = 3", false),
        ];
        for (sql, corrupt) in damage {
            let mut s = store();
            s.set_pending(&scope, &snapshot, &proposal).expect("stored");
            s.db.execute_batch(sql).expect("damage");
            let error = s.pending().expect_err(sql);
            let as_expected = match error {
                StoreError::PendingCorrupt(_) => *corrupt,
                StoreError::PendingOutdated(_) => !*corrupt,
                _ => false,
            };
            assert!(as_expected, "{sql}: {error:?}");
            let text = error.to_string();
            assert!(
                text.contains("host-sim sync") && text.contains("请重新运行"),
                "{sql}: says what to do in both languages: {text}"
            );
            assert_eq!(s.pending_edit_count().expect("the edits are apart"), Some(0));
            s.set_pending(&scope, &snapshot, &proposal).expect("replaced");
            assert_eq!(s.pending().expect("reads").expect("pending").proposal, proposal, "{sql}");
        }
    }
}
