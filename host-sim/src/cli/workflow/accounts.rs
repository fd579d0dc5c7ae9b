//! `host-sim accounts import FILE` and `host-sim accounts list`: the platform's accounts, so any
//! organisation can be tried, not only the built-in sample.
//!
//! The file is a JSON array of `{"id", "name", "departments": [names], "enabled", "mobile",
//! "email", "password"}` (`departments` defaults to `[]`, `enabled` to `true`, the others are
//! optional), the shape `accounts list --json` prints (which adds `bound_userid` and `evidence`,
//! and never a password). A password is stored only as a salted slow hash
//! ([`crate::host::password`]); mobile and email are personal data, shown masked in text. The whole
//! file is checked before anything is written (unknown fields, empty or repeated ids are refused,
//! so a typo does not silently import half an organisation); accounts are then added or replaced
//! in one transaction.

use super::{open_existing_store_read_only, open_store, DEFAULT_DB};
use crate::render::table::Lang;
use crate::term::{normalise, printable};
use anyhow::Context;
use interface::{PersonalData, PlatformAccount};
use std::collections::{HashMap, HashSet};
use std::io::Read;
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

/// Longest account id accepted, in characters.
pub const MAX_ID_CHARS: usize = 128;
/// Longest name (and department name) accepted, in characters.
pub const MAX_NAME_CHARS: usize = 256;
/// Largest accounts file accepted.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Parses and checks an accounts file's text (a leading UTF-8 BOM is skipped). Fields are
/// normalised (zero-width and bidirectional formatting characters removed, trimmed) and bounded
/// ([`MAX_ID_CHARS`], [`MAX_NAME_CHARS`]); an id with a control character is refused.
pub fn parse_accounts(text: &str) -> anyhow::Result<Vec<PlatformAccount>> {
    Ok(parse_accounts_file(text)?.accounts)
}

/// Parses and checks an accounts file's text, keeping the passwords apart.
pub fn parse_accounts_file(text: &str) -> anyhow::Result<AccountsFile> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let records: Vec<AccountRecord> = serde_json::from_str(text).map_err(|e| {
        anyhow::anyhow!(
            "应为 JSON 数组，每项含 id、name、departments（名称数组）、enabled（第 {line} 行第 {column} 列）/ \
             expected a JSON array of objects with id, name, departments (array of names), enabled (line {line}, column {column})",
            line = e.line(),
            column = e.column()
        )
    })?;
    let mut seen = HashSet::new();
    let mut accounts = Vec::with_capacity(records.len());
    let mut passwords = Vec::new();
    for (i, r) in records.into_iter().enumerate() {
        let n = i + 1;
        let id = normalise(&r.id);
        anyhow::ensure!(!id.is_empty(), "第 {n} 项的 id 为空 / entry {n}: empty id");
        let id_chars = id.chars().count();
        anyhow::ensure!(
            id_chars <= MAX_ID_CHARS,
            "第 {n} 项的 id 过长（{id_chars} 个字符，上限 {MAX_ID_CHARS}）/ entry {n}: id too long ({id_chars} characters, at most {MAX_ID_CHARS})"
        );
        anyhow::ensure!(
            !id.chars().any(char::is_control),
            "第 {n} 项的 id 含控制字符 / entry {n}: the id contains control characters: {}",
            printable(&id)
        );
        let name = normalise(&r.name);
        anyhow::ensure!(!name.is_empty(), "第 {n} 项（{0}）的 name 为空 / entry {n} ({0}): empty name", printable(&id));
        let name_chars = name.chars().count();
        anyhow::ensure!(
            name_chars <= MAX_NAME_CHARS,
            "第 {n} 项的 name 过长（{name_chars} 个字符，上限 {MAX_NAME_CHARS}）/ entry {n}: name too long ({name_chars} characters, at most {MAX_NAME_CHARS})"
        );
        let departments: Vec<String> = r.departments.iter().map(|d| normalise(d)).filter(|d| !d.is_empty()).collect();
        anyhow::ensure!(
            departments.iter().all(|d| d.chars().count() <= MAX_NAME_CHARS),
            "第 {n} 项的部门名称过长（上限 {MAX_NAME_CHARS} 个字符）/ entry {n}: a department name is too long (at most {MAX_NAME_CHARS} characters)"
        );
        anyhow::ensure!(seen.insert(id.clone()), "id 重复 / duplicate id: {}", printable(&id));
        accounts.push(PlatformAccount {
            id: id.as_str().into(),
            name: name.into(),
            departments: departments.into_iter().map(Into::into).collect(),
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

/// Reads and checks an accounts file (at most [`MAX_FILE_BYTES`]).
pub fn read_accounts_file(path: &Path) -> anyhow::Result<Vec<PlatformAccount>> {
    Ok(read_accounts_file_full(path)?.accounts)
}

/// Reads and checks an accounts file, keeping the passwords apart.
pub fn read_accounts_file_full(path: &Path) -> anyhow::Result<AccountsFile> {
    let read = || -> std::io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        std::fs::File::open(path)?.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
        Ok(bytes)
    };
    let bytes =
        read().with_context(|| format!("读取账号文件失败 / could not read the accounts file {}", path.display()))?;
    anyhow::ensure!(
        bytes.len() as u64 <= MAX_FILE_BYTES,
        "账号文件超过 64 MB，未导入任何账号 / the accounts file is larger than 64 MB, nothing imported: {}",
        path.display()
    );
    let text = String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "账号文件不是 UTF-8 文本，未导入任何账号 / the accounts file is not UTF-8 text, nothing imported: {}",
            path.display()
        )
    })?;
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
        file.passwords.iter().map(|(id, password)| (id.clone(), crate::host::password::hash(password))).collect();
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
    let store = open_existing_store_read_only(&args.db)?;
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
                printable(&a.id).into_owned(),
                printable(&a.name).into_owned(),
                printable(&a.departments.iter().map(|d| d.as_str()).collect::<Vec<_>>().join("/")).into_owned(),
                if a.enabled { lang.pick("启用", "enabled") } else { lang.pick("停用", "disabled") }.to_string(),
                bound
                    .get(a.id.as_str())
                    .map(|b| printable(b.userid.as_str()).into_owned())
                    .unwrap_or_else(|| "—".into()),
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
            r#"[{"id":"a\u001b1","name":"x"}]"#,
            r#"[{"id":"\u200b","name":"x"}]"#,
            r#"[{"id":"a1","name":"x"},{"id":"a\u200b1","name":"y"}]"#,
        ] {
            assert!(parse_accounts(bad).is_err(), "{bad}");
        }
        let long_id = format!(r#"[{{"id":"{}","name":"x"}}]"#, "i".repeat(MAX_ID_CHARS + 1));
        assert!(parse_accounts(&long_id).is_err());
        let long_name = format!(r#"[{{"id":"a","name":"{}"}}]"#, "名".repeat(MAX_NAME_CHARS + 1));
        assert!(parse_accounts(&long_name).is_err());
        let at_limits =
            format!(r#"[{{"id":"{}","name":"{}"}}]"#, "i".repeat(MAX_ID_CHARS), "名".repeat(MAX_NAME_CHARS));
        assert!(parse_accounts(&at_limits).is_ok());
    }

    #[test]
    fn a_bom_is_skipped_and_zero_width_characters_are_removed() {
        let accounts = parse_accounts("\u{feff}[{\"id\":\"a\u{200b}1\",\"name\":\"张\u{200d}三\"}]").expect("parses");
        assert_eq!((accounts[0].id.as_str(), accounts[0].name.as_str()), ("a1", "张三"));
    }
}
