//! `host-sim audit [--userid U | --account A]`: the audit trail of binding changes (made,
//! confirmed, renamed, removed, suspended, account created or disabled), oldest first, each with
//! its actor, evidence, time, snapshot and reason. The store only appends to it.

use super::{open_existing_store, DEFAULT_DB};
use crate::render::table::Lang;
use crate::store::AuditFilter;
use std::io::Write;
use std::path::PathBuf;

/// `host-sim audit`.
#[derive(clap::Args, Clone, Debug)]
pub struct AuditArgs {
    /// Only the entries of this WeCom member (case-insensitive).
    #[arg(long, conflicts_with = "account")]
    pub userid: Option<String>,
    /// Only the entries of this platform account.
    #[arg(long)]
    pub account: Option<String>,
    /// SQLite store.
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// Output language.
    #[arg(long, value_enum, default_value_t = Lang::Zh)]
    pub lang: Lang,
    /// Print the entries as a JSON array.
    #[arg(long)]
    pub json: bool,
}

/// Prints the trail.
pub fn run(args: &AuditArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    let store = open_existing_store(&args.db)?;
    let filter = AuditFilter {
        userid: args.userid.as_deref().map(str::trim).map(str::to_string),
        account_id: args.account.as_deref().map(str::trim).map(str::to_string),
    };
    let entries = store.audit(&filter)?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&entries)?)?;
        return Ok(true);
    }
    let lang = args.lang;
    if entries.is_empty() {
        writeln!(out, "{}", lang.pick("审计记录为空。", "The audit trail is empty."))?;
        return Ok(true);
    }
    for e in &entries {
        let evidence = if e.evidence.is_empty() { String::new() } else { format!(" [{}]", e.evidence) };
        let snapshot = if e.snapshot_id.is_empty() { String::new() } else { format!(" @{}", e.snapshot_id) };
        writeln!(
            out,
            "{} {} {} {} → {}{evidence}{snapshot} {}",
            e.at,
            actor(&e.actor, lang),
            action(&e.action, lang),
            e.userid,
            e.account_id,
            lang.pick(e.reason.zh.as_str(), e.reason.en.as_str()),
        )?;
    }
    writeln!(out, "{} {}", entries.len(), lang.pick("条记录", "entries"))?;
    Ok(true)
}

fn actor(name: &str, lang: Lang) -> String {
    let zh = match name {
        "operator" => "管理员",
        "member" => "成员",
        "callback" => "回调",
        "reconcile" => "核对",
        other => other,
    };
    if lang == Lang::Zh {
        format!("{zh}({name})")
    } else {
        name.to_string()
    }
}

fn action(name: &str, lang: Lang) -> String {
    let zh = match name {
        "made" => "绑定",
        "confirmed" => "确认",
        "renamed" => "改名",
        "removed" => "解除绑定",
        "suspended" => "暂停绑定",
        "account_created" => "新建账号",
        "account_disabled" => "停用账号",
        "declined" => "声明非本人账号",
        other => other,
    };
    if lang == Lang::Zh {
        format!("{zh}({name})")
    } else {
        name.to_string()
    }
}
