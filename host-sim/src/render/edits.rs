//! Operator edits in words, with the member's name from the proposal.

use crate::render::table::Lang;
use interface::{Edit, EditKind, Proposal};

/// The members' names by lower-cased userid, indexed once.
pub fn member_names(proposal: &Proposal) -> std::collections::HashMap<String, &str> {
    proposal.rows.iter().map(|r| (r.userid.to_lowercase(), r.member_name.as_str())).collect()
}

/// One edit in words, with the member's name from the proposal (a scan: for one edit only).
pub fn describe(edit: &Edit, proposal: &Proposal, lang: Lang) -> String {
    let key = edit.userid.to_lowercase();
    let name = proposal.rows.iter().find(|r| r.userid.to_lowercase() == key).map(|r| r.member_name.as_str());
    describe_as(edit, name, lang)
}

/// One edit in words, the member's name looked up in `names` ([`member_names`]).
pub fn describe_named(edit: &Edit, names: &std::collections::HashMap<String, &str>, lang: Lang) -> String {
    describe_as(edit, names.get(&edit.userid.to_lowercase()).copied(), lang)
}

fn describe_as(edit: &Edit, name: Option<&str>, lang: Lang) -> String {
    let member = match name {
        Some(n) => format!("{n} <{}>", edit.userid),
        None => format!("<{}>", edit.userid),
    };
    match edit.kind {
        EditKind::Bind => format!(
            "{} {member} → {}",
            lang.pick("绑定", "bind"),
            edit.account_id.as_ref().map(|a| a.as_str()).unwrap_or_default()
        ),
        EditKind::Unbind => {
            format!("{} {member}（{}）", lang.pick("解除配对", "unbind"), lang.pick("新建账号", "new account"))
        }
        EditKind::Skip => format!("{} {member}", lang.pick("跳过", "skip")),
        EditKind::ConfirmRemoval => format!("{} {member}", lang.pick("确认解除绑定", "confirm removal")),
        EditKind::ConfirmRename => format!("{} {member}", lang.pick("确认改名（账号转给新 userid）", "confirm rename")),
        other => format!("{other:?} {member}"),
    }
}
