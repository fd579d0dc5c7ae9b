//! Why a commit was refused. Every refusal names the row (WeCom userid) and, where one is
//! involved, the platform account, so the operator can find the line in the table and fix it.
//! A refused commit changes nothing: the change set is all or nothing.

use interface::{PluginError, Text};
use std::fmt;

/// Which part of the proposal no longer matches the current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StalePart {
    /// The directory was read again since the proposal was made.
    Snapshot,
    /// Accounts, bindings or mirrored departments changed on the platform.
    HostState,
    /// The rows sent back are not the rows this state yields (a proposal from another plugin
    /// version, or rows altered on the way).
    Rows,
}

impl fmt::Display for StalePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StalePart::Snapshot => "directory snapshot",
            StalePart::HostState => "platform accounts/bindings/departments",
            StalePart::Rows => "proposal rows",
        })
    }
}

/// A rejected proposal or edit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindingError {
    /// The proposal was made from an older directory read or platform state.
    #[error("binding.stale: the proposal was made from an older {part}; propose again")]
    Stale {
        /// What changed.
        part: StalePart,
    },
    /// An edit names a userid that is not a row of the proposal.
    #[error("binding.unknown_row: no row for userid {userid}")]
    UnknownRow {
        /// The userid the edit named.
        userid: String,
    },
    /// Two edits for one row.
    #[error("binding.duplicate_edit: more than one edit for {userid}")]
    DuplicateEdit {
        /// The row.
        userid: String,
    },
    /// A bind edit without an account.
    #[error("binding.missing_account: the bind edit for {userid} names no account")]
    MissingAccount {
        /// The row.
        userid: String,
    },
    /// A bind edit to an account id the platform does not have.
    #[error("binding.unknown_account: account {account_id} (for {userid}) does not exist")]
    UnknownAccount {
        /// The row.
        userid: String,
        /// The account named.
        account_id: String,
    },
    /// A bind edit to a disabled account.
    #[error("binding.account_disabled: account {account_id} (for {userid}) is disabled")]
    AccountDisabled {
        /// The row.
        userid: String,
        /// The disabled account.
        account_id: String,
    },
    /// A bind edit to an account this same commit disables (a confirmed removal of another row).
    #[error("binding.account_being_disabled: account {account_id} (for {userid}) is disabled by the removal of {removed_from}")]
    AccountBeingDisabled {
        /// The row binding it.
        userid: String,
        /// The account.
        account_id: String,
        /// The row whose confirmed removal disables it.
        removed_from: String,
    },
    /// The final pairing would bind one account to two members.
    #[error("binding.account_taken: account {account_id} would be bound to both {userid} and {other_userid}")]
    AccountTaken {
        /// The row whose binding was refused.
        userid: String,
        /// The account.
        account_id: String,
        /// The member that holds or gets it otherwise.
        other_userid: String,
    },
    /// A removal was confirmed although the snapshot is incomplete.
    #[error("binding.incomplete_snapshot: the removal for {userid} cannot be confirmed from an incomplete snapshot")]
    IncompleteSnapshot {
        /// The row.
        userid: String,
    },
    /// A removal was confirmed on a row that proposes none.
    #[error("binding.not_removable: row {userid} proposes no removal")]
    NotRemovable {
        /// The row.
        userid: String,
    },
    /// Bind or unbind on a member that is disabled, has left, or is gone from the scope.
    #[error("binding.member_inactive: {userid} is disabled, has left or is out of scope")]
    MemberInactive {
        /// The row.
        userid: String,
    },
    /// An edit of a kind this plugin does not know (from a newer host).
    #[error("binding.edit_unknown: the edit for {userid} is of an unknown kind")]
    EditUnknown {
        /// The row.
        userid: String,
    },
    /// A rename was confirmed on a row that proposes none.
    #[error("binding.not_a_rename: row {userid} proposes no rename")]
    NotARename {
        /// The row.
        userid: String,
    },
    /// A bind edit claiming evidence an operator edit cannot give (only operator or imported).
    #[error("binding.evidence_refused: the bind edit for {userid} claims evidence an edit cannot give")]
    EvidenceRefused {
        /// The row.
        userid: String,
    },
    /// The change would remove more bindings than the safeguard allows.
    #[error("binding.mass_removal: {count} removals exceed the safeguard's limit of {limit}")]
    MassRemoval {
        /// Removals (unbound or disabled) in the change.
        count: u64,
        /// The most allowed without confirmation.
        limit: u64,
        /// Current bindings.
        bindings: u64,
    },
}

impl BindingError {
    /// Stable machine code (`binding.*`).
    pub fn code(&self) -> &'static str {
        match self {
            BindingError::Stale { .. } => "binding.stale",
            BindingError::UnknownRow { .. } => "binding.unknown_row",
            BindingError::DuplicateEdit { .. } => "binding.duplicate_edit",
            BindingError::MissingAccount { .. } => "binding.missing_account",
            BindingError::UnknownAccount { .. } => "binding.unknown_account",
            BindingError::AccountDisabled { .. } => "binding.account_disabled",
            BindingError::AccountBeingDisabled { .. } => "binding.account_being_disabled",
            BindingError::AccountTaken { .. } => "binding.account_taken",
            BindingError::IncompleteSnapshot { .. } => "binding.incomplete_snapshot",
            BindingError::NotRemovable { .. } => "binding.not_removable",
            BindingError::MemberInactive { .. } => "binding.member_inactive",
            BindingError::EditUnknown { .. } => "binding.edit_unknown",
            BindingError::NotARename { .. } => "binding.not_a_rename",
            BindingError::EvidenceRefused { .. } => "binding.evidence_refused",
            BindingError::MassRemoval { .. } => "binding.mass_removal",
        }
    }

    /// The row concerned (WeCom userid as the edit or row spelled it); none for a stale proposal.
    pub fn row(&self) -> Option<&str> {
        match self {
            BindingError::Stale { .. } | BindingError::MassRemoval { .. } => None,
            BindingError::EditUnknown { userid }
            | BindingError::NotARename { userid }
            | BindingError::EvidenceRefused { userid } => Some(userid),
            BindingError::UnknownRow { userid }
            | BindingError::DuplicateEdit { userid }
            | BindingError::MissingAccount { userid }
            | BindingError::UnknownAccount { userid, .. }
            | BindingError::AccountDisabled { userid, .. }
            | BindingError::AccountBeingDisabled { userid, .. }
            | BindingError::AccountTaken { userid, .. }
            | BindingError::IncompleteSnapshot { userid }
            | BindingError::NotRemovable { userid }
            | BindingError::MemberInactive { userid } => Some(userid),
        }
    }

    /// The platform account concerned, if any.
    pub fn account(&self) -> Option<&str> {
        match self {
            BindingError::UnknownAccount { account_id, .. }
            | BindingError::AccountDisabled { account_id, .. }
            | BindingError::AccountBeingDisabled { account_id, .. }
            | BindingError::AccountTaken { account_id, .. } => Some(account_id),
            _ => None,
        }
    }

    /// What went wrong, in Simplified Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            BindingError::Stale { part } => match part {
                StalePart::Snapshot => "绑定建议已过期：生成之后企业微信通讯录已重新读取".into(),
                StalePart::HostState => "绑定建议已过期：生成之后平台账号、绑定或部门有变化".into(),
                StalePart::Rows => "绑定建议与当前数据得出的绑定表不一致".into(),
            },
            BindingError::UnknownRow { userid } => format!("修改指向的成员 {userid} 不在绑定表中"),
            BindingError::DuplicateEdit { userid } => format!("成员 {userid} 有多条修改"),
            BindingError::MissingAccount { userid } => format!("成员 {userid} 的绑定修改没有指定平台账号"),
            BindingError::UnknownAccount { userid, account_id } => {
                format!("平台账号 {account_id} 不存在，不能绑定给成员 {userid}")
            }
            BindingError::AccountDisabled { userid, account_id } => {
                format!("平台账号 {account_id} 已停用，不能绑定给成员 {userid}")
            }
            BindingError::AccountBeingDisabled { userid, account_id, removed_from } => {
                format!("平台账号 {account_id} 会随成员 {removed_from} 的解绑一起停用，不能绑定给成员 {userid}")
            }
            BindingError::AccountTaken { userid, account_id, other_userid } => {
                format!("平台账号 {account_id} 会同时绑定给成员 {userid} 和 {other_userid}")
            }
            BindingError::IncompleteSnapshot { userid } => {
                format!("本次通讯录读取不完整，不能确认成员 {userid} 的解绑")
            }
            BindingError::NotRemovable { userid } => format!("成员 {userid} 没有待解绑的绑定"),
            BindingError::EditUnknown { userid } => format!("成员 {userid} 的修改类型未知"),
            BindingError::NotARename { userid } => format!("成员 {userid} 的行没有待确认的账号改名"),
            BindingError::EvidenceRefused { userid } => format!("成员 {userid} 的绑定修改声明了人工修改无法提供的依据"),
            BindingError::MassRemoval { count, limit, bindings } => {
                format!("本次将解除或停用 {count} 个绑定（现有 {bindings} 个），超过安全上限 {limit} 个，未做任何更改")
            }
            BindingError::MemberInactive { userid } => {
                format!("成员 {userid} 已停用、已离职或不在同步范围内，不能绑定账号或新建账号")
            }
        }
    }

    /// What went wrong, in English.
    pub fn message_en(&self) -> String {
        match self {
            BindingError::Stale { part } => match part {
                StalePart::Snapshot => {
                    "The binding proposal is out of date: the directory was read again since.".into()
                }
                StalePart::HostState => {
                    "The binding proposal is out of date: platform accounts, bindings or departments changed since."
                        .into()
                }
                StalePart::Rows => "The binding proposal does not match the table the current data yields.".into(),
            },
            BindingError::UnknownRow { userid } => format!("The edit names member {userid}, who is not in the table."),
            BindingError::DuplicateEdit { userid } => format!("Member {userid} has more than one edit."),
            BindingError::MissingAccount { userid } => {
                format!("The bind edit for member {userid} names no platform account.")
            }
            BindingError::UnknownAccount { userid, account_id } => {
                format!("Platform account {account_id} does not exist; it cannot be bound to member {userid}.")
            }
            BindingError::AccountDisabled { userid, account_id } => {
                format!("Platform account {account_id} is disabled; it cannot be bound to member {userid}.")
            }
            BindingError::AccountBeingDisabled { userid, account_id, removed_from } => format!(
                "Platform account {account_id} is disabled by the confirmed removal of {removed_from}; \
                 it cannot be bound to member {userid}."
            ),
            BindingError::AccountTaken { userid, account_id, other_userid } => {
                format!("Platform account {account_id} would be bound to both {userid} and {other_userid}.")
            }
            BindingError::IncompleteSnapshot { userid } => {
                format!("The directory read was incomplete, so the removal for member {userid} cannot be confirmed.")
            }
            BindingError::NotRemovable { userid } => format!("Member {userid} has no binding proposed for removal."),
            BindingError::EditUnknown { userid } => format!("The edit for member {userid} is of an unknown kind."),
            BindingError::NotARename { userid } => format!("Member {userid}'s row proposes no userid rename."),
            BindingError::EvidenceRefused { userid } => {
                format!("The bind edit for member {userid} claims evidence an operator edit cannot give.")
            }
            BindingError::MassRemoval { count, limit, bindings } => format!(
                "This change would unbind or disable {count} of {bindings} bindings, more than the safeguard's \
                 limit of {limit}; nothing was changed."
            ),
            BindingError::MemberInactive { userid } => format!(
                "Member {userid} is disabled, has left or is out of scope: it cannot be bound or given a new account."
            ),
        }
    }

    /// What to do about it, in Simplified Chinese.
    pub fn fix_zh(&self) -> String {
        match self {
            BindingError::Stale { .. } => "请重新读取通讯录并重新生成绑定建议，确认后再提交。".into(),
            BindingError::UnknownRow { .. } => "刷新绑定表后重新编辑该行。".into(),
            BindingError::DuplicateEdit { .. } => "每行只保留一条修改。".into(),
            BindingError::MissingAccount { .. } => "为该行选择要绑定的平台账号。".into(),
            BindingError::UnknownAccount { .. } => "刷新账号列表，选择一个现有账号。".into(),
            BindingError::AccountDisabled { .. } => "先在平台上启用该账号，或选择其他账号。".into(),
            BindingError::AccountBeingDisabled { removed_from, userid, .. } => {
                format!("不要确认 {removed_from} 的解绑，或为 {userid} 选择其他账号。")
            }
            BindingError::AccountTaken { userid, other_userid, .. } => {
                format!("为 {userid} 或 {other_userid} 选择其他账号，或先解除另一方的绑定。")
            }
            BindingError::IncompleteSnapshot { .. } => "先解决读取问题并重新读取通讯录，读取完整后再确认解绑。".into(),
            BindingError::NotRemovable { .. } => "只在“待解绑”的行上确认解绑。".into(),
            BindingError::MemberInactive { .. } => "对该行确认解绑或跳过；成员恢复后再绑定。".into(),
            BindingError::EditUnknown { .. } => {
                "升级插件，或只使用 bind、unbind、skip、confirm_removal、confirm_rename。".into()
            }
            BindingError::NotARename { .. } => "只在“账号改名”的行上确认改名。".into(),
            BindingError::EvidenceRefused { .. } => "人工绑定使用 operator（或映射文件使用 imported）作为依据。".into(),
            BindingError::MassRemoval { count, .. } => {
                format!("先检查同步范围与读取是否完整；确认无误后用 --confirm-removals {count} 确认这一确切数量。")
            }
        }
    }

    /// What to do about it, in English.
    pub fn fix_en(&self) -> String {
        match self {
            BindingError::Stale { .. } => "Read the directory and propose again, review the table, then commit.".into(),
            BindingError::UnknownRow { .. } => "Reload the binding table and edit the row again.".into(),
            BindingError::DuplicateEdit { .. } => "Keep one edit per row.".into(),
            BindingError::MissingAccount { .. } => "Choose the platform account to bind for this row.".into(),
            BindingError::UnknownAccount { .. } => "Reload the account list and choose an existing account.".into(),
            BindingError::AccountDisabled { .. } => {
                "Enable the account on the platform first, or choose another account.".into()
            }
            BindingError::AccountBeingDisabled { removed_from, userid, .. } => {
                format!("Do not confirm the removal of {removed_from}, or choose another account for {userid}.")
            }
            BindingError::AccountTaken { userid, other_userid, .. } => {
                format!("Choose another account for {userid} or {other_userid}, or unbind the other one first.")
            }
            BindingError::IncompleteSnapshot { .. } => {
                "Fix the read problems and read the directory again; confirm removals once the read is complete.".into()
            }
            BindingError::NotRemovable { .. } => "Confirm removals only on rows proposed for unbinding.".into(),
            BindingError::MemberInactive { .. } => {
                "Confirm the removal or skip the row; bind the member once they are active again.".into()
            }
            BindingError::EditUnknown { .. } => {
                "Upgrade the plugin, or use only bind, unbind, skip, confirm_removal and confirm_rename.".into()
            }
            BindingError::NotARename { .. } => "Confirm renames only on rows proposed as a rename.".into(),
            BindingError::EvidenceRefused { .. } => {
                "Operator binds carry the evidence operator (or imported, for a mapping file).".into()
            }
            BindingError::MassRemoval { count, .. } => format!(
                "Check the sync scope and that the read was complete; if the removals are right, confirm this exact \
                 count with --confirm-removals {count}."
            ),
        }
    }

    /// The error as the boundary reports it, the row in `field`.
    pub fn to_plugin_error(&self) -> PluginError {
        let error = PluginError::new(
            self.code(),
            Text::new(self.message_zh(), self.message_en()),
            Text::new(self.fix_zh(), self.fix_en()),
        );
        match self.row() {
            Some(row) => error.with_field(row),
            None => error,
        }
    }
}

impl From<BindingError> for PluginError {
    fn from(e: BindingError) -> Self {
        e.to_plugin_error()
    }
}
