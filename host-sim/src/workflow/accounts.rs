//! `host-sim accounts import FILE` and `host-sim accounts list`: the platform's accounts, so any
//! organisation can be tried, not only the built-in sample.
//!
//! The file is a JSON array of `{"id", "name", "departments": [names], "enabled"}` (`departments`
//! defaults to `[]`, `enabled` to `true`), the same shape `accounts list --json` prints. The whole
//! file is checked before anything is written (unknown fields, empty or repeated ids are refused,
//! so a typo does not silently import half an organisation); accounts are then added or replaced
//! in one transaction.

use super::{open_existing_store_read_only, open_store, DEFAULT_DB};
use crate::table::Lang;
use crate::term::{normalise, printable};
use anyhow::Context;
use interface::PlatformAccount;
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
            id: id.into(),
            name: name.into(),
            departments: departments.into_iter().map(Into::into).collect(),
            enabled: r.enabled,
        });
    }
    Ok(accounts)
}

/// Reads and checks an accounts file (at most [`MAX_FILE_BYTES`]).
pub fn read_accounts_file(path: &Path) -> anyhow::Result<Vec<PlatformAccount>> {
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
    let store = open_existing_store_read_only(&args.db)?;
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
                printable(&a.id).into_owned(),
                printable(&a.name).into_owned(),
                printable(&a.departments.iter().map(|d| d.as_str()).collect::<Vec<_>>().join("/")).into_owned(),
                if a.enabled { lang.pick("启用", "enabled") } else { lang.pick("停用", "disabled") }.to_string(),
                bound.get(a.id.as_str()).map(|u| printable(u).into_owned()).unwrap_or_else(|| "—".into()),
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
