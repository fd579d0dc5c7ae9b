//! `host-sim sync --export FILE.csv`: the whole binding table for review in a spreadsheet.
//!
//! UTF-8 with a byte-order mark (Excel reads a BOM-less UTF-8 CSV as the local code page and
//! garbles Chinese), CRLF line ends, RFC 4180 quoting, and one column per field of the `--json`
//! rows (`label` and `reason` as their `_zh` / `_en` halves, `account` as its four fields, the
//! lists joined with `; `), then `candidates_total` (how many accounts the row could offer, of which
//! `candidates` lists the likeliest). A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
//! return is prefixed with `'`, so a member or account name cannot become a spreadsheet formula
//! (CSV / formula injection, OWASP). Written row by row: linear in the rows, nothing held.

use interface::{Candidate, Proposal, ProposalRow};
use std::io::Write;

/// The header: the `--json` row fields, flattened.
pub const COLUMNS: [&str; 19] = [
    "userid",
    "member_name",
    "member_departments",
    "member_status",
    "kind",
    "account_id",
    "account_name",
    "account_departments",
    "account_department_agrees",
    "account_has_contact",
    "evidence",
    "previous_userid",
    "candidate_count",
    "candidates",
    "label_zh",
    "label_en",
    "reason_zh",
    "reason_en",
    "candidates_total",
];

/// Writes `proposal`'s rows as CSV (BOM, header, one line per row); returns the rows written.
pub fn write_csv(out: &mut dyn Write, proposal: &Proposal) -> std::io::Result<usize> {
    out.write_all("\u{feff}".as_bytes())?;
    write_record(out, COLUMNS.iter().map(|c| c.to_string()))?;
    for row in proposal.rows.iter() {
        write_record(out, cells(row).into_iter())?;
    }
    Ok(proposal.rows.len())
}

/// The serde name of an enum value, as the `--json` rows print it.
fn json_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn join(items: impl Iterator<Item = impl AsRef<str>>) -> String {
    items.map(|s| s.as_ref().to_string()).collect::<Vec<_>>().join("; ")
}

fn candidate(c: &Candidate) -> String {
    let depts: Vec<&str> = c.departments.iter().map(|d| d.as_str()).collect();
    format!("{} {} ({})", c.account_id, c.account_name, depts.join("/"))
}

fn cells(row: &ProposalRow) -> [String; 19] {
    let account = row.account.as_ref().into_option();
    [
        row.userid.to_string(),
        row.member_name.to_string(),
        join(row.member_departments.iter()),
        json_name(&row.member_status),
        json_name(&row.kind),
        account.map(|a| a.account_id.to_string()).unwrap_or_default(),
        account.map(|a| a.account_name.to_string()).unwrap_or_default(),
        account.map(|a| join(a.departments.iter())).unwrap_or_default(),
        account.map(|a| a.department_agrees.to_string()).unwrap_or_default(),
        account.map(|a| a.has_contact.to_string()).unwrap_or_default(),
        json_name(&row.evidence),
        row.previous_userid.to_string(),
        row.candidates.len().to_string(),
        join(row.candidates.iter().map(candidate)),
        row.label.zh.to_string(),
        row.label.en.to_string(),
        row.reason.zh.to_string(),
        row.reason.en.to_string(),
        // Added last so the earlier columns keep their places: how many accounts the row could
        // offer, of which `candidates` lists the likeliest (`candidate_count` of them).
        row.candidates_total().to_string(),
    ]
}

fn write_record(out: &mut dyn Write, cells: impl Iterator<Item = String>) -> std::io::Result<()> {
    let mut line = String::new();
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(&escape(&cell));
    }
    line.push_str("\r\n");
    out.write_all(line.as_bytes())
}

/// One cell: formula starters neutralised with a leading `'`, then quoted when it holds a comma,
/// a quote, a line break or leading/trailing space (quotes doubled).
pub fn escape(cell: &str) -> String {
    let neutral =
        if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell.to_string() };
    let needs_quotes = neutral.contains([',', '"', '\n', '\r'])
        || neutral.starts_with(' ')
        || neutral.ends_with(' ')
        || neutral.starts_with('\u{3000}');
    if needs_quotes {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_only_when_needed_and_quotes_are_doubled() {
        assert_eq!(escape("张伟"), "张伟");
        assert_eq!(escape("a,b"), "\"a,b\"");
        assert_eq!(escape("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(escape("two\nlines"), "\"two\nlines\"");
        assert_eq!(escape(" padded"), "\" padded\"");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn formula_starters_are_neutralised() {
        assert_eq!(escape("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
        assert_eq!(escape("+1"), "'+1");
        assert_eq!(escape("-2+3"), "'-2+3");
        assert_eq!(escape("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(escape("\tx"), "'\tx");
        assert_eq!(escape("a=b"), "a=b", "only a leading sign is a formula");
    }
}
