//! Bulk decisions on the pending sync: `host-sim decide --accept name-department | name`,
//! `decide --create-new`, and `host-sim bind --file MAPPING.csv`.
//!
//! Each is recorded like a single edit: the new edits replace earlier edits of their rows, the
//! plugin's `commit` runs once on the pending sync with the whole edit set (nothing applied), and
//! the edits are stored only when it accepts them: all or none. Every step is linear in the rows
//! (one index of the rows and one of the edits, built once).
//!
//! Accepting name matches keeps their provisional evidence (`name` / `name_department`): the
//! member still confirms the account at first login, so a bulk accept never lets anyone sign in
//! on a name alone. A mapping file's binds carry `imported`.

use super::{check_corp, open_existing_store, pure_instance, write_refusal, write_rejected, WorkflowArgs, LISTED};
use crate::host::sync::{commit_input, dry_commit, StoreState};
use crate::render::edits::{describe_named, member_names};
use crate::render::summary::summary_line;
use crate::render::table::Lang;
use interface::{ChangeSet, Edit, EditKind, Evidence, PluginError, Proposal, RowKind, Text};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;

/// How many plugin refusals of a mapping file are looked for before stopping.
pub const MAX_REFUSALS: usize = 20;

/// Which name matches `--accept` binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Accept {
    /// Name matches whose departments agree (evidence `name_department`).
    NameDepartment,
    /// Every name match, departments differing included (evidence `name` or `name_department`).
    Name,
}

/// `host-sim decide`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct DecideArgs {
    /// Store, plugin, language and JSON options.
    #[command(flatten)]
    pub common: WorkflowArgs,
    /// Bind the name-match rows as proposed (provisional: confirmed at the member's first login).
    #[arg(long, value_enum, required_unless_present = "create_new")]
    pub accept: Option<Accept>,
    /// Every no-match row gets a new account (earlier edits of those rows are dropped).
    #[arg(long)]
    pub create_new: bool,
}

/// The edits a bulk decision makes: new edits (replacing earlier ones of their rows) and rows
/// whose earlier edit is dropped (they then do what the proposal says).
#[derive(Debug, Default)]
struct Bulk {
    edits: Vec<Edit>,
    /// Lower-cased userids whose earlier edit is dropped.
    cleared: HashSet<String>,
}

/// `host-sim decide`.
pub fn run_decide(args: &DecideArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    record_bulk(&args.common, out, |proposal| Ok(Prepared::Edits(decide_edits(args, proposal))))
}

fn decide_edits(args: &DecideArgs, proposal: &Proposal) -> Bulk {
    let mut bulk = Bulk::default();
    for row in proposal.rows.iter() {
        let accepted = match (args.accept, row.kind) {
            (Some(Accept::Name), RowKind::NameMatch | RowKind::NameMatchDepartmentsDiffer) => true,
            (Some(Accept::NameDepartment), RowKind::NameMatch) => row.evidence == Evidence::NameDepartment,
            _ => false,
        };
        if accepted {
            if let Some(account) = row.account.as_ref().into_option() {
                bulk.edits.push(Edit {
                    kind: EditKind::Bind,
                    userid: row.userid.clone(),
                    account_id: Some(account.account_id.clone()).into(),
                    evidence: row.evidence,
                });
            }
        }
        if args.create_new && row.kind == RowKind::NoMatch {
            bulk.cleared.insert(row.userid.to_lowercase());
        }
    }
    bulk
}

/// One `userid,account_id` line of a mapping file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingLine {
    /// 1-based line number in the file.
    pub line: usize,
    /// WeCom userid.
    pub userid: String,
    /// Platform account id.
    pub account_id: String,
}

/// A line of a mapping file that is refused, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LineRefusal {
    /// 1-based line number (0: the refusal concerns no line of the file).
    pub line: usize,
    /// The row's userid, when known.
    pub userid: String,
    /// The refusal: the plugin's, or `mapping.*` for the file's own form.
    pub error: PluginError,
}

fn format_error(code: &str, zh: String, en: String) -> PluginError {
    PluginError::new(
        code,
        Text::new(zh, en),
        Text::new(
            "每行写 userid,account_id（可有一行表头 userid,account_id），改正后重新运行。",
            "Write userid,account_id on each line (an optional header line userid,account_id), fix it and run again.",
        ),
    )
}

/// Parses a mapping file: UTF-8 with or without BOM, `userid,account_id` per line, an optional
/// header line, blank lines ignored, fields trimmed (and unquoted). Refusals name their line.
pub fn parse_mapping(text: &str) -> (Vec<MappingLine>, Vec<LineRefusal>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = Vec::new();
    let mut refusals = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut first = true;
    for (i, raw) in text.lines().enumerate() {
        let no = i + 1;
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let fields: Vec<&str> = raw.split(',').map(|f| f.trim().trim_matches('"').trim()).collect();
        let is_first = std::mem::replace(&mut first, false);
        if is_first && fields.first().is_some_and(|f| f.eq_ignore_ascii_case("userid")) {
            continue;
        }
        let (userid, account) = match fields.as_slice() {
            [u, a] if !u.is_empty() && !a.is_empty() => (*u, *a),
            _ => {
                refusals.push(LineRefusal {
                    line: no,
                    userid: String::new(),
                    error: format_error(
                        "mapping.malformed_line",
                        format!("第 {no} 行不是 userid,account_id 两项"),
                        format!("Line {no} is not the two fields userid,account_id"),
                    ),
                });
                continue;
            }
        };
        let key = userid.to_lowercase();
        if let Some(earlier) = seen.insert(key, no) {
            refusals.push(LineRefusal {
                line: no,
                userid: userid.to_string(),
                error: format_error(
                    "mapping.duplicate_userid",
                    format!("第 {no} 行的成员 {userid} 已在第 {earlier} 行出现"),
                    format!("Line {no}: member {userid} already appears on line {earlier}"),
                ),
            });
            continue;
        }
        lines.push(MappingLine { line: no, userid: userid.to_string(), account_id: account.to_string() });
    }
    (lines, refusals)
}

/// `host-sim bind --file MAPPING.csv`.
pub fn bind_file(common: &WorkflowArgs, file: &Path, out: &mut dyn Write) -> anyhow::Result<bool> {
    let bytes = std::fs::read(file)
        .map_err(|e| anyhow::anyhow!("读取映射文件失败 / could not read the mapping file {}: {e}", file.display()))?;
    let Ok(text) = String::from_utf8(bytes) else {
        anyhow::bail!("映射文件不是 UTF-8 编码 / the mapping file is not UTF-8: {}", file.display());
    };
    let (lines, format_refusals) = parse_mapping(&text);
    record_bulk(common, out, move |_| {
        let line_of: HashMap<String, usize> = lines.iter().map(|l| (l.userid.to_lowercase(), l.line)).collect();
        let edits = lines
            .iter()
            .map(|l| Edit {
                kind: EditKind::Bind,
                userid: l.userid.as_str().into(),
                account_id: Some(l.account_id.as_str().into()).into(),
                evidence: Evidence::Imported,
            })
            .collect();
        Ok(Prepared::Mapping { bulk: Bulk { edits, cleared: HashSet::new() }, line_of, format_refusals })
    })
}

enum Prepared {
    Edits(Bulk),
    Mapping { bulk: Bulk, line_of: HashMap<String, usize>, format_refusals: Vec<LineRefusal> },
}

/// The stored edits with the bulk's edits in place of earlier edits of their rows (spelt as the
/// row spells its userid) and the cleared rows' edits dropped. Linear: one index of the rows,
/// one of the edits. Returns the edits and how many of the new ones were already recorded as is.
fn merge(existing: &[Edit], proposal: &Proposal, bulk: &Bulk) -> (Vec<Edit>, usize, usize) {
    let spelt: HashMap<String, &str> =
        proposal.rows.iter().map(|r| (r.userid.to_lowercase(), r.userid.as_str())).collect();
    let mut out: Vec<Option<Edit>> = Vec::with_capacity(existing.len() + bulk.edits.len());
    let mut at: HashMap<String, usize> = HashMap::with_capacity(out.capacity());
    let mut dropped = 0;
    for e in existing {
        let key = e.userid.to_lowercase();
        if bulk.cleared.contains(&key) {
            dropped += 1;
            continue;
        }
        at.insert(key, out.len());
        out.push(Some(e.clone()));
    }
    let mut unchanged = 0;
    for e in &bulk.edits {
        let key = e.userid.to_lowercase();
        let mut e = e.clone();
        if let Some(userid) = spelt.get(&key) {
            e.userid = (*userid).into();
        }
        match at.get(&key) {
            Some(&i) => {
                if out[i].as_ref() == Some(&e) {
                    unchanged += 1;
                }
                out[i] = Some(e);
            }
            None => {
                at.insert(key, out.len());
                out.push(Some(e));
            }
        }
    }
    (out.into_iter().flatten().collect(), unchanged, dropped)
}

fn record_bulk(
    common: &WorkflowArgs,
    out: &mut dyn Write,
    prepare: impl FnOnce(&Proposal) -> anyhow::Result<Prepared>,
) -> anyhow::Result<bool> {
    let mut store = open_existing_store(&common.db)?;
    let Some(pending) = super::pending_or_say_none(&store, common, out)? else { return Ok(false) };
    check_corp(&common.wecom, &pending)?;
    let plugin = pure_instance(&common.wecom)?;
    let state = StoreState::read(&store)?;
    let (bulk, mapping) = match prepare(&pending.proposal)? {
        Prepared::Edits(bulk) => (bulk, None),
        Prepared::Mapping { bulk, line_of, format_refusals } => (bulk, Some((line_of, format_refusals))),
    };
    let (mut edits, unchanged, dropped) = merge(&pending.edits, &pending.proposal, &bulk);
    let check =
        |edits: &[Edit]| dry_commit(&plugin.instance, &commit_input(&pending, &state, edits, super::preview_guard()));
    let preview = match mapping {
        None => match check(&edits) {
            Ok(preview) => preview,
            Err(error) => {
                write_rejected(common, out, &error, &pending.edits)?;
                return Ok(false);
            }
        },
        Some((line_of, mut refusals)) => {
            // Each plugin refusal is named by its line; the refused edit is set aside and the rest
            // checked again, up to MAX_REFUSALS refusals. Nothing is recorded unless all pass.
            let mut preview = None;
            for _ in 0..MAX_REFUSALS {
                match check(&edits) {
                    Ok(p) => {
                        preview = Some(p);
                        break;
                    }
                    Err(error) => {
                        let row = error.field.as_ref().into_option().map(|f| f.to_lowercase());
                        let line = row.as_ref().and_then(|r| line_of.get(r)).copied();
                        let userid = error.field.as_ref().into_option().map(|f| f.to_string()).unwrap_or_default();
                        refusals.push(LineRefusal { line: line.unwrap_or(0), userid, error });
                        let Some(row) = row.filter(|_| line.is_some()) else { break };
                        edits.retain(|e| e.userid.to_lowercase() != row);
                    }
                }
            }
            refusals.sort_by_key(|r| r.line);
            match preview {
                Some(p) if refusals.is_empty() => p,
                _ => {
                    write_line_refusals(common, out, &refusals, preview.is_none())?;
                    return Ok(false);
                }
            }
        }
    };
    if store.set_pending_edits(pending.revision, &edits)?.is_none() {
        anyhow::bail!(
            "待提交的同步在此期间被改写，编辑未记录，请重试 / the pending sync was rewritten meanwhile; the edits were not recorded, try again"
        );
    }
    write_recorded(common, out, &bulk, unchanged, dropped, &edits, &preview, &pending.proposal)?;
    Ok(true)
}

fn write_line_refusals(
    common: &WorkflowArgs,
    out: &mut dyn Write,
    refusals: &[LineRefusal],
    more_possible: bool,
) -> anyhow::Result<()> {
    let lang = common.lang;
    if common.json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "ok": false,
                "recorded": 0,
                "refusals": refusals,
                "more_possible": more_possible,
            }))?
        )?;
        return Ok(());
    }
    for r in refusals {
        if r.line > 0 {
            write!(
                out,
                "{}",
                if lang == Lang::Zh { format!("第 {} 行：", r.line) } else { format!("Line {}: ", r.line) }
            )?;
        }
        write_refusal(out, &r.error, lang)?;
    }
    if more_possible {
        writeln!(
            out,
            "{}",
            lang.pick(
                "（可能还有更多被拒绝的行：改正以上各行后重新运行。）",
                "(More lines may be refused: fix the lines above and run again.)"
            )
        )?;
    }
    writeln!(
        out,
        "{}",
        lang.pick(
            "映射文件中的绑定均未记录（全部记录或全部不记录）。",
            "None of the mapping file's binds was recorded (all or none)."
        )
    )?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn write_recorded(
    common: &WorkflowArgs,
    out: &mut dyn Write,
    bulk: &Bulk,
    unchanged: usize,
    dropped: usize,
    edits: &[Edit],
    preview: &ChangeSet,
    proposal: &Proposal,
) -> anyhow::Result<()> {
    let lang = common.lang;
    if common.json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "ok": true,
                "recorded": bulk.edits,
                "already_recorded": unchanged,
                "cleared_rows": bulk.cleared.len(),
                "dropped_edits": dropped,
                "edits": edits.len(),
                "preview": preview.summary,
            }))?
        )?;
        return Ok(());
    }
    let names = member_names(proposal);
    writeln!(
        out,
        "{}",
        match lang {
            Lang::Zh => format!(
                "已记录：{} 个绑定（其中 {} 个此前已记录），{} 行按提议新建账号（撤销此前编辑 {} 个）；待提交的编辑共 {} 个",
                bulk.edits.len(),
                unchanged,
                bulk.cleared.len(),
                dropped,
                edits.len()
            ),
            Lang::En => format!(
                "Recorded: {} binds ({} already recorded), {} rows get a new account as proposed ({} earlier edits dropped); {} pending edits",
                bulk.edits.len(),
                unchanged,
                bulk.cleared.len(),
                dropped,
                edits.len()
            ),
        }
    )?;
    for e in bulk.edits.iter().take(LISTED) {
        let evidence = e.evidence.name().unwrap_or("?");
        writeln!(out, "  {} [{evidence}]", describe_named(e, &names, lang))?;
    }
    if bulk.edits.len() > LISTED {
        writeln!(
            out,
            "  … {} {}",
            bulk.edits.len() - LISTED,
            lang.pick("个未列出（--json 列出全部）", "more (--json lists them all)")
        )?;
    }
    writeln!(out, "{}{}", lang.pick("提交后：", "On commit: "), summary_line(&preview.summary, lang))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_file_with_bom_header_and_crlf_parses_and_names_bad_lines() {
        let text = "\u{feff}userid,account_id\r\nzhangxu, u-1006\r\n\r\n\"clear\",\"u-1005\"\r\nonly-one\r\nZHANGXU,u-1007\r\n";
        let (lines, refusals) = parse_mapping(text);
        assert_eq!(
            lines,
            vec![
                MappingLine { line: 2, userid: "zhangxu".into(), account_id: "u-1006".into() },
                MappingLine { line: 4, userid: "clear".into(), account_id: "u-1005".into() },
            ]
        );
        let named: Vec<(usize, &str)> = refusals.iter().map(|r| (r.line, r.error.code.as_str())).collect();
        assert_eq!(named, vec![(5, "mapping.malformed_line"), (6, "mapping.duplicate_userid")]);
        assert!(refusals[1].error.message.en.contains("line 2"), "{:?}", refusals[1].error.message);
        // Without BOM or header, the first line is data.
        let (lines, refusals) = parse_mapping("a,b\n");
        assert_eq!((lines.len(), refusals.len()), (1, 0));
    }

    #[test]
    fn merging_replaces_earlier_edits_of_the_rows_and_drops_cleared_ones() {
        let edit = |kind, userid: &str, account: Option<&str>| Edit {
            kind,
            userid: userid.into(),
            account_id: account.map(Into::into).into(),
            evidence: Evidence::Operator,
        };
        let existing =
            vec![edit(EditKind::Skip, "a", None), edit(EditKind::Skip, "b", None), edit(EditKind::Skip, "c", None)];
        let bulk = Bulk {
            edits: vec![
                edit(EditKind::Bind, "A", Some("x")),
                edit(EditKind::Skip, "c", None),
                edit(EditKind::Bind, "d", Some("y")),
            ],
            cleared: ["b".to_string()].into_iter().collect(),
        };
        let (merged, unchanged, dropped) = merge(&existing, &Proposal::default(), &bulk);
        let kinds: Vec<(&str, EditKind)> = merged.iter().map(|e| (e.userid.as_str(), e.kind)).collect();
        assert_eq!(kinds, vec![("A", EditKind::Bind), ("c", EditKind::Skip), ("d", EditKind::Bind)]);
        assert_eq!((unchanged, dropped), (1, 1));
    }
}
