//! `host-sim accounts import FILE` and `host-sim accounts list`: the platform's accounts, so any
//! organisation can be tried, not only the built-in sample.
//!
//! The file is a JSON array of `{"id", "name", "departments": [names], "enabled", "mobile",
//! "email", "password"}` (`departments` defaults to `[]`, `enabled` to `true`, the others are
//! optional), the shape `accounts list --json` prints (which adds `bound_userid` and `evidence`,
//! and never a password). A password is stored only as a salted slow hash
//! ([`crate::password`]); mobile and email are personal data, shown masked in text. The whole
//! file is checked before anything is written (unknown fields, empty or repeated ids are refused,
//! so a typo does not silently import half an organisation); accounts are then added or replaced
//! in one transaction.

use super::{open_store, DEFAULT_DB};
use crate::table::Lang;
use anyhow::Context;
use interface::{PersonalData, PlatformAccount};
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
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: Option<String>,
    // Printed by `accounts list --json`, so that its output imports as it is; not stored from here.
    #[serde(default)]
    #[allow(dead_code)]
    bound_userid: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    evidence: Option<String>,
}

/// A checked accounts file: the accounts, and the passwords given (account id, clear text).
pub struct AccountsFile {
    /// The accounts.
    pub accounts: Vec<PlatformAccount>,
    /// `(account id, password)` for the entries that carry one.
    pub passwords: Vec<(String, String)>,
}

fn yes() -> bool {
    true
}

/// Parses and checks an accounts file's text.
pub fn parse_accounts(text: &str) -> anyhow::Result<Vec<PlatformAccount>> {
    Ok(parse_accounts_file(text)?.accounts)
}

/// Parses and checks an accounts file's text, keeping the passwords apart.
pub fn parse_accounts_file(text: &str) -> anyhow::Result<AccountsFile> {
    let records: Vec<AccountRecord> = serde_json::from_str(text).context(
        "应为 JSON 数组，每项含 id、name、departments（名称数组）、enabled / \
         expected a JSON array of objects with id, name, departments (array of names), enabled",
    )?;
    let mut seen = HashSet::new();
    let mut accounts = Vec::with_capacity(records.len());
    let mut passwords = Vec::new();
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
            mobile: PersonalData::new(r.mobile.trim()),
            email: PersonalData::new(r.email.trim()),
            ext: Default::default(),
        });
        if let Some(password) = r.password.filter(|p| !p.is_empty()) {
            passwords.push((id.to_string(), password));
        }
    }
    Ok(AccountsFile { accounts, passwords })
}

/// A mobile number masked for display: the first three and the last four digits (`138****0000`).
pub fn mask_mobile(mobile: &str) -> String {
    let chars: Vec<char> = mobile.chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// An email masked for display: the first character of the local part and the domain
/// (`w***@example.com`).
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None if email.is_empty() => String::new(),
        None => "***".into(),
    }
}

/// Reads and checks an accounts file.
pub fn read_accounts_file(path: &Path) -> anyhow::Result<Vec<PlatformAccount>> {
    Ok(read_accounts_file_full(path)?.accounts)
}

/// Reads and checks an accounts file, keeping the passwords apart.
pub fn read_accounts_file_full(path: &Path) -> anyhow::Result<AccountsFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("读取账号文件失败 / could not read the accounts file {}", path.display()))?;
    parse_accounts_file(&text).with_context(|| {
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
    let file = read_accounts_file_full(&args.file)?;
    let mut store = open_store(&args.db)?;
    // Hashed before the transaction: each hash is deliberately slow.
    let hashes: Vec<(String, String)> =
        file.passwords.iter().map(|(id, password)| (id.clone(), crate::password::hash(password))).collect();
    let imported = store.import_accounts_with_passwords(&file.accounts, &hashes)?;
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
    let bound: HashMap<String, interface::Binding> =
        store.bindings()?.into_iter().map(|b| (b.account_id.to_string(), b)).collect();
    if args.json {
        // The import format (mobile and email in the clear: an export the operator asked for),
        // with whom each account is bound to and on what evidence.
        let rows: Vec<serde_json::Value> = accounts
            .iter()
            .map(|a| {
                let mut row = serde_json::to_value(a).unwrap_or_default();
                let binding = bound.get(a.id.as_str());
                if let Some(object) = row.as_object_mut() {
                    object.insert("bound_userid".into(), serde_json::json!(binding.map(|b| b.userid.as_str())));
                    object.insert("evidence".into(), serde_json::json!(binding.map(|b| b.evidence)));
                }
                row
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(true);
    }
    let lang = args.lang;
    let header = [
        lang.pick("账号 ID", "Account id").to_string(),
        lang.pick("姓名", "Name").to_string(),
        lang.pick("部门", "Departments").to_string(),
        lang.pick("状态", "Status").to_string(),
        lang.pick("企业微信用户", "WeCom user").to_string(),
        lang.pick("依据", "Evidence").to_string(),
        lang.pick("手机", "Mobile").to_string(),
        lang.pick("邮箱", "Email").to_string(),
    ];
    let rows: Vec<[String; 8]> = accounts
        .iter()
        .map(|a| {
            [
                a.id.to_string(),
                a.name.to_string(),
                a.departments.iter().map(|d| d.as_str()).collect::<Vec<_>>().join("/"),
                if a.enabled { lang.pick("启用", "enabled") } else { lang.pick("停用", "disabled") }.to_string(),
                bound.get(a.id.as_str()).map(|b| b.userid.to_string()).unwrap_or_else(|| "—".into()),
                bound.get(a.id.as_str()).map(|b| evidence_label(b.evidence, lang)).unwrap_or_else(|| "—".into()),
                or_dash(mask_mobile(a.mobile.expose())),
                or_dash(mask_email(a.email.expose())),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| UnicodeWidthStr::width(h.as_str()));
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(UnicodeWidthStr::width(cell.as_str()));
        }
    }
    let line = |cells: &[String; 8]| {
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

fn or_dash(text: String) -> String {
    if text.is_empty() {
        "—".into()
    } else {
        text
    }
}

/// How a binding was made, in words.
pub fn evidence_label(evidence: interface::Evidence, lang: Lang) -> String {
    let (zh, en) = match evidence.name() {
        Some("name") => ("姓名匹配（待确认）", "name (provisional)"),
        Some("name_department") => ("姓名+部门（待确认）", "name + department (provisional)"),
        Some("operator") => ("管理员确认", "operator"),
        Some("contact") => ("手机/邮箱一致", "contact"),
        Some("password") => ("平台密码确认", "password"),
        Some("imported") => ("映射文件导入", "imported"),
        Some("rename") => ("改名跟随", "rename"),
        Some("created") => ("为其新建", "created"),
        Some(other) => (other, other),
        None => ("?", "?"),
    };
    lang.pick(zh, en).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_is_masked_for_text() {
        assert_eq!(mask_mobile("13800000000"), "138****0000");
        assert_eq!(mask_email("wang@example.com"), "w***@example.com");
        assert_eq!(mask_mobile(""), "");
    }

    #[test]
    fn contact_fields_and_passwords_are_read_and_kept_apart() {
        let file = parse_accounts_file(
            r#"[{"id":"a1","name":"王晓楷","mobile":"13800000000","email":"w@example.com","password":"pw1"}]"#,
        )
        .expect("parses");
        assert_eq!(file.accounts[0].mobile.expose(), "13800000000");
        assert_eq!(file.passwords, vec![("a1".to_string(), "pw1".to_string())]);
    }

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
