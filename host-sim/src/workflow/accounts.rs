//! `host-sim accounts import FILE` and `host-sim accounts list`: the platform's accounts, so any
//! organisation can be tried, not only the built-in sample.
//!
//! The file is a JSON array of `{"id", "name", "departments": [names], "enabled"}` (`departments`
//! defaults to `[]`, `enabled` to `true`), the same shape `accounts list --json` prints. The whole
//! file is checked before anything is written (unknown fields, empty or repeated ids are refused,
//! so a typo does not silently import half an organisation); accounts are then added or replaced
//! in one transaction.

use super::{open_store, DEFAULT_DB};
use crate::table::Lang;
use anyhow::Context;
use interface::PlatformAccount;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use unicode_width::UnicodeWidthStr;

/// `host-sim accounts`.
#[derive(clap::Args, Clone, Debug)]
pub struct AccountsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: AccountsCommand,
}

/// `host-sim accounts` subcommands.
#[derive(clap::Subcommand, Clone, Debug)]
pub enum AccountsCommand {
    /// Adds or replaces platform accounts from a JSON file.
    Import(AccountsImportArgs),
    /// Shows the platform accounts and whom they are bound to.
    List(AccountsListArgs),
}

/// `host-sim accounts import FILE`.
#[derive(clap::Args, Clone, Debug)]
pub struct AccountsImportArgs {
    /// JSON array of {"id", "name", "departments": [..], "enabled"}.
    pub file: PathBuf,
    /// SQLite store.
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `host-sim accounts list`.
#[derive(clap::Args, Clone, Debug)]
pub struct AccountsListArgs {
    /// SQLite store.
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// Output language.
    #[arg(long, value_enum, default_value_t = Lang::Zh)]
    pub lang: Lang,
    /// Print the accounts as JSON (the import format).
    #[arg(long)]
    pub json: bool,
}

/// One account as written in the file; strict, so a misspelt field is an error, not a default.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountRecord {
    id: String,
    name: String,
    #[serde(default)]
    departments: Vec<String>,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

/// Parses and checks an accounts file's text.
pub fn parse_accounts(text: &str) -> anyhow::Result<Vec<PlatformAccount>> {
    let records: Vec<AccountRecord> = serde_json::from_str(text).context(
        "应为 JSON 数组，每项含 id、name、departments（名称数组）、enabled / \
         expected a JSON array of objects with id, name, departments (array of names), enabled",
    )?;
    let mut seen = HashSet::new();
    let mut accounts = Vec::with_capacity(records.len());
    for (i, r) in records.into_iter().enumerate() {
        let id = r.id.trim();
        anyhow::ensure!(!id.is_empty(), "第 {} 项的 id 为空 / entry {}: empty id", i + 1, i + 1);
        anyhow::ensure!(
            !r.name.trim().is_empty(),
            "第 {} 项（{id}）的 name 为空 / entry {} ({id}): empty name",
            i + 1,
            i + 1
        );
        anyhow::ensure!(seen.insert(id.to_string()), "id 重复 / duplicate id: {id}");
        accounts.push(PlatformAccount {
            id: id.into(),
            name: r.name.trim().into(),
            departments: r.departments.iter().map(|d| d.trim()).filter(|d| !d.is_empty()).map(Into::into).collect(),
            enabled: r.enabled,
        });
    }
    Ok(accounts)
}

/// Reads and checks an accounts file.
pub fn read_accounts_file(path: &Path) -> anyhow::Result<Vec<PlatformAccount>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("读取账号文件失败 / could not read the accounts file {}", path.display()))?;
    parse_accounts(&text).with_context(|| {
        format!("账号文件有误，未导入任何账号 / bad accounts file {}, nothing imported", path.display())
    })
}

/// Runs `accounts import` or `accounts list`.
pub fn run_accounts(args: &AccountsArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    match &args.command {
        AccountsCommand::Import(a) => run_accounts_import(a, out),
        AccountsCommand::List(a) => run_accounts_list(a, out),
    }
}

/// `host-sim accounts import FILE`.
pub fn run_accounts_import(args: &AccountsImportArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    let accounts = read_accounts_file(&args.file)?;
    let mut store = open_store(&args.db)?;
    let imported = store.import_accounts(&accounts)?;
    let pending = store.pending()?.is_some();
    if args.json {
        writeln!(out, "{}", serde_json::json!({ "ok": true, "imported": imported, "pending_sync_stale": pending }))?;
    } else {
        writeln!(
            out,
            "已导入 {imported} 个平台账号 / imported {imported} platform accounts into {}",
            args.db.display()
        )?;
        if pending {
            // The pending proposal was made from the old accounts; commit would refuse it as stale.
            writeln!(
                out,
                "账号已变化，待提交的同步需重新生成：请运行 host-sim sync / the accounts changed: run host-sim sync again"
            )?;
        }
    }
    Ok(true)
}

/// `host-sim accounts list`.
pub fn run_accounts_list(args: &AccountsListArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    let store = open_store(&args.db)?;
    let accounts = store.accounts()?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&accounts)?)?;
        return Ok(true);
    }
    let bound: HashMap<String, String> =
        store.bindings()?.into_iter().map(|b| (b.account_id.to_string(), b.userid.to_string())).collect();
    let lang = args.lang;
    let header = [
        lang.pick("账号 ID", "Account id").to_string(),
        lang.pick("姓名", "Name").to_string(),
        lang.pick("部门", "Departments").to_string(),
        lang.pick("状态", "Status").to_string(),
        lang.pick("企业微信用户", "WeCom user").to_string(),
    ];
    let rows: Vec<[String; 5]> = accounts
        .iter()
        .map(|a| {
            [
                a.id.to_string(),
                a.name.to_string(),
                a.departments.iter().map(|d| d.as_str()).collect::<Vec<_>>().join("/"),
                if a.enabled { lang.pick("启用", "enabled") } else { lang.pick("停用", "disabled") }.to_string(),
                bound.get(a.id.as_str()).cloned().unwrap_or_else(|| "—".into()),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| UnicodeWidthStr::width(h.as_str()));
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(UnicodeWidthStr::width(cell.as_str()));
        }
    }
    let line = |cells: &[String; 5]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(UnicodeWidthStr::width(c.as_str())))))
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    write!(out, "{}", line(&header))?;
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
    writeln!(out, "|{}|", rule.join("|"))?;
    for row in &rows {
        write!(out, "{}", line(row))?;
    }
    writeln!(out, "{} {}", accounts.len(), lang.pick("个平台账号", "platform accounts"))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_parses_with_defaults() {
        let accounts = parse_accounts(
            r#"[{"id":"a1","name":"张三","departments":["研发部"],"enabled":false},{"id":"a2","name":"李四"}]"#,
        )
        .expect("parses");
        assert_eq!(accounts.len(), 2);
        assert!(!accounts[0].enabled);
        assert!(accounts[1].enabled && accounts[1].departments.is_empty());
    }

    #[test]
    fn mistakes_are_refused() {
        for bad in [
            r#"{"id":"a1","name":"x"}"#,
            r#"[{"id":"a1","name":"x","enable":true}]"#,
            r#"[{"id":"","name":"x"}]"#,
            r#"[{"id":"a1","name":" "}]"#,
            r#"[{"id":"a1","name":"x"},{"id":"a1","name":"y"}]"#,
            r#"[{"id":"a1","name":"x","departments":"研发部"}]"#,
            "[",
        ] {
            assert!(parse_accounts(bad).is_err(), "{bad}");
        }
    }
}
