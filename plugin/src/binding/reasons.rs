//! The labels and reasons shown in the binding table, zh-CN with English beside. Each reason says
//! why the row is what it is and what commit will do with it, so the operator can check a pair
//! without knowing the rules.

use interface::{MemberStatus, Text};

pub(crate) fn label_bound() -> Text {
    Text::new("已绑定", "bound")
}

pub(crate) fn label_name_match() -> Text {
    Text::new("姓名匹配", "name match")
}

pub(crate) fn label_departments_differ() -> Text {
    Text::new("姓名匹配·部门不一致", "name match, departments differ")
}

pub(crate) fn label_name_spacing_differs() -> Text {
    Text::new("姓名仅空格不同", "names differ only by spacing")
}

/// No account has the member's name, but some differ from it only by spaces between Chinese
/// characters: offered, never bound by itself.
pub(crate) fn name_spacing_differs(accounts: usize) -> Text {
    Text::new(
        format!(
            "平台上没有同名账号，但有 {accounts} 个账号的姓名仅空格不同（如「王 晓楷」与「王晓楷」）：成员首次登录时可凭平台密码或企业微信手机号/邮箱认领，或由管理员绑定；提交时不绑定也不新建"
        ),
        format!(
            "no platform account has this name, but {accounts} differ from it only by spacing (e.g. \"王 晓楷\" for \"王晓楷\"): \
             the member may claim one at first login with its platform password or their WeCom mobile or email, or the \
             operator binds it; commit neither binds nor creates"
        ),
    )
}

/// Every account with the member's name went to another member of that name, but some differ
/// from it only by spacing: offered, never bound by itself, and no new account by commit.
pub(crate) fn name_spacing_differs_taken(accounts: usize) -> Text {
    Text::new(
        format!(
            "同名账号已分给其他同名成员，但有 {accounts} 个账号的姓名仅空格不同（如「王 晓楷」与「王晓楷」）：成员首次登录时可凭平台密码或企业微信手机号/邮箱认领，或由管理员绑定；提交时不绑定也不新建"
        ),
        format!(
            "the accounts with this name went to other members of the name, but {accounts} differ from it only by \
             spacing (e.g. \"王 晓楷\" for \"王晓楷\"): the member may claim one at first login with its platform \
             password or their WeCom mobile or email, or the operator binds it; commit neither binds nor creates"
        ),
    )
}

pub(crate) fn label_rename() -> Text {
    Text::new("账号改名", "userid renamed")
}

/// A unique name match whose departments disagree: offered, never bound by itself.
pub(crate) fn departments_differ() -> Text {
    Text::new(
        "平台上恰有一个同名的可用账号，但双方部门均不相同：可能是同名的另一个人，需管理员确认后才绑定",
        "exactly one enabled, unbound account has this name, but none of the departments agree: it may be a \
         namesake; bound only when the operator accepts it",
    )
}

/// A probable userid change.
pub(crate) fn rename_proposed(previous_userid: &str) -> Text {
    Text::new(
        format!("已绑定的成员 {previous_userid} 从完整读取中消失，同时出现一位同名、同部门的新成员：可能是账号改名；管理员确认后绑定转移到新账号"),
        format!(
            "bound member {previous_userid} vanished from a complete read while one new member with the same name and \
             departments appeared: probably a changed userid; the binding moves when the operator confirms"
        ),
    )
}

pub(crate) fn label_ambiguous() -> Text {
    Text::new("待确认", "to decide")
}

pub(crate) fn label_new_account() -> Text {
    Text::new("新建账号", "new account")
}

pub(crate) fn label_to_unbind() -> Text {
    Text::new("待解绑", "to unbind")
}

pub(crate) fn label_no_action() -> Text {
    Text::new("不处理", "no action")
}

/// How the account of a bound row looks on the platform.
pub(crate) enum BoundAccount<'a> {
    Enabled {
        id: &'a str,
        name: &'a str,
    },
    Disabled {
        id: &'a str,
        name: &'a str,
    },
    /// The binding names an account the host did not list.
    Missing {
        id: &'a str,
    },
}

pub(crate) fn already_bound(account: &BoundAccount<'_>) -> Text {
    match account {
        BoundAccount::Enabled { id, name } => Text::new(
            format!("已绑定平台账号 {name}（{id}），不变"),
            format!("already bound to platform account {name} ({id}); no change"),
        ),
        BoundAccount::Disabled { id, name } => Text::new(
            format!("已绑定平台账号 {name}（{id}），该账号在平台上已停用；不变"),
            format!("already bound to platform account {name} ({id}), which is disabled on the platform; no change"),
        ),
        BoundAccount::Missing { id } => Text::new(
            format!("已绑定的账号 {id} 不在平台账号列表中；不变"),
            format!("bound to account {id}, which is not in the platform's account list; no change"),
        ),
    }
}

fn account_phrase_zh(account: &BoundAccount<'_>) -> String {
    match account {
        BoundAccount::Enabled { id, name } | BoundAccount::Disabled { id, name } => format!("平台账号 {name}（{id}）"),
        BoundAccount::Missing { id } => format!("账号 {id}"),
    }
}

fn account_phrase_en(account: &BoundAccount<'_>) -> String {
    match account {
        BoundAccount::Enabled { id, name } | BoundAccount::Disabled { id, name } => {
            format!("platform account {name} ({id})")
        }
        BoundAccount::Missing { id } => format!("account {id}"),
    }
}

/// A bound member WeCom reports as disabled or gone.
pub(crate) fn left_wecom(status: MemberStatus, account: &BoundAccount<'_>) -> Text {
    let (zh, en) = match status {
        MemberStatus::Left => ("成员已退出企业", "the member has left the company in WeCom"),
        _ => ("成员在企业微信中已停用", "the member is disabled in WeCom"),
    };
    Text::new(
        format!("{zh}；确认后解绑并停用{}，不确认则保持不变", account_phrase_zh(account)),
        format!("{en}; confirm to unbind and disable {}, otherwise nothing changes", account_phrase_en(account)),
    )
}

/// A bound member absent from a complete snapshot.
pub(crate) fn gone_from_scope(account: &BoundAccount<'_>) -> Text {
    Text::new(
        format!(
            "成员已不在同步范围内（已离职、被删除或移出范围）；确认后解绑并停用{}，不确认则保持不变",
            account_phrase_zh(account)
        ),
        format!(
            "the member is no longer in the sync scope (left, deleted or moved out of it); confirm to unbind and \
             disable {}, otherwise nothing changes",
            account_phrase_en(account)
        ),
    )
}

pub(crate) fn inactive_unbound() -> Text {
    Text::new("成员已停用或已离职，不会创建账号", "member is disabled or has left; no account will be created")
}

pub(crate) fn name_match(department_agrees: bool, after_department: bool) -> Text {
    let (mut zh, mut en) = if department_agrees {
        (
            String::from("平台上恰有一个同名的可用账号，姓名与部门一致；提交时绑定"),
            String::from("exactly one enabled, unbound platform account has this name; name and department agree; bound at commit"),
        )
    } else {
        (
            String::from("平台上恰有一个同名的可用账号；提交时绑定"),
            String::from("exactly one enabled, unbound platform account has this name; bound at commit"),
        )
    };
    if after_department {
        zh.push_str("（其余同名者已按部门配对）");
        en.push_str(" (the others of this name were paired by department)");
    }
    Text::new(zh, en)
}

pub(crate) fn resolved_by_department(accounts: usize, members: usize) -> Text {
    if members <= 1 {
        Text::new(
            format!("有 {accounts} 个同名账号，按部门确定：只有该账号的部门与成员一致；提交时绑定"),
            format!(
                "{accounts} accounts have this name; resolved by department: only this one's department agrees; \
                 bound at commit"
            ),
        )
    } else if accounts <= 1 {
        Text::new(
            format!("{members} 名同名成员对应同一个账号，按部门确定：只有该成员的部门与账号一致；提交时绑定"),
            format!(
                "{members} members share this name and one account; resolved by department: only this member's \
                 department agrees; bound at commit"
            ),
        )
    } else {
        Text::new(
            format!("{members} 名同名成员、{accounts} 个同名账号，按部门确定：只有这一对的部门一致；提交时绑定"),
            format!(
                "{members} members and {accounts} accounts share this name; resolved by department: only this pair's \
                 departments agree; bound at commit"
            ),
        )
    }
}

/// The reason of an ambiguous row: `accounts` open accounts of the name for `members` members;
/// `listed_at_most` when the row lists only that many of the likeliest.
pub(crate) fn ambiguous(accounts: usize, members: usize, listed_at_most: Option<usize>) -> Text {
    let (zh, en) = if members <= 1 {
        (
            format!("有 {accounts} 个同名的可用账号，请选择其一或改为新建账号"),
            format!(
                "{accounts} enabled, unbound accounts have this name; choose one, or unbind to create a new account"
            ),
        )
    } else if accounts <= 1 {
        (
            format!("{members} 名同名成员对应同一个账号，请决定归属，其他人改为新建账号"),
            format!(
                "{members} members share this name and one account; decide who gets it, unbind the others to create \
                 new accounts"
            ),
        )
    } else {
        (
            format!("{members} 名同名成员与 {accounts} 个同名账号，请逐一确认"),
            format!("{members} members and {accounts} accounts share this name; decide each pair"),
        )
    };
    let (zh_more, en_more) = match listed_at_most {
        Some(most) => (
            format!("；列出最可能的 {most} 个（部门一致者优先），其他账号可按账号 ID 绑定"),
            format!("; the {most} likeliest are listed (agreeing departments first), bind any other by its account id"),
        ),
        None => (String::new(), String::new()),
    };
    Text::new(
        format!("{zh}{zh_more}；不处理则本次跳过"),
        format!("{en}{en_more}; left out of this commit unless decided"),
    )
}

/// The reason of a name match the member declined at login: it waits for the operator.
pub(crate) fn declined_at_login(account: &str) -> Text {
    Text::new(
        format!("成员曾在登录时声明账号 {account} 不是本人的：不自动绑定，请管理员决定。"),
        format!("The member said at login that account {account} is not theirs: never bound automatically; the operator decides."),
    )
}

pub(crate) fn no_match() -> Text {
    Text::new(
        "平台上没有同名账号，提交时新建账号",
        "no platform account has this name; a new account will be created at commit",
    )
}

pub(crate) fn no_match_unavailable() -> Text {
    Text::new(
        "同名账号均已绑定给其他成员或已停用，提交时新建账号",
        "every account of this name is bound to another member or disabled; a new account will be created at commit",
    )
}

pub(crate) fn no_match_taken() -> Text {
    Text::new(
        "同名账号已按部门配给其他同名成员，提交时新建账号",
        "the accounts of this name were paired with other members by department; a new account will be created at \
         commit",
    )
}
