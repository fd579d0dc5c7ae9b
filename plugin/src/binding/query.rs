//! Search and filter over the binding table, so the host's table can page through 100,000 rows
//! without reimplementing what "the same name" means.

use super::names::normalize_name;
use interface::{Proposal, ProposalRow, RowFilter, RowKind, RowQuery};

/// Indexes into `proposal.rows` of the rows matching `query`, in row order.
///
/// `search` is normalised like names ([`normalize_name`]) and matched as a substring of the
/// member's name, the userid, the bound or proposed account's name, or any candidate's name;
/// empty matches every row. `RowFilter::Unbound` keeps the rows with no account bound or proposed
/// (ambiguous and no-match rows).
pub fn query_rows(proposal: &Proposal, query: &RowQuery) -> Vec<u32> {
    let needle = normalize_name(query.search.as_str());
    proposal
        .rows
        .iter()
        .enumerate()
        .filter(|(_, row)| passes_filter(row, query.filter))
        .filter(|(_, row)| needle.is_empty() || matches_search(row, &needle))
        // The table cannot hold more than u32::MAX rows; anything beyond is not addressable.
        .map_while(|(i, _)| u32::try_from(i).ok())
        .collect()
}

fn passes_filter(row: &ProposalRow, filter: RowFilter) -> bool {
    match filter {
        RowFilter::All => true,
        RowFilter::Unbound => matches!(row.kind, RowKind::Ambiguous | RowKind::NoMatch | RowKind::NameSpacingDiffers),
        RowFilter::ToCheck => {
            matches!(
                row.kind,
                RowKind::Ambiguous
                    | RowKind::NameMatchDepartmentsDiffer
                    | RowKind::RenameProposed
                    | RowKind::NameSpacingDiffers
            ) || (row.kind == RowKind::LeftWecom && row.account.is_some())
        }
        // A filter from a newer host: every row, never fewer than asked for.
        _ => true,
    }
}

fn matches_search(row: &ProposalRow, needle: &str) -> bool {
    let hit = |text: &str| normalize_name(text).contains(needle);
    hit(row.member_name.as_str())
        || hit(row.userid.as_str())
        || row.account.as_ref().into_option().is_some_and(|c| hit(c.account_name.as_str()))
        || row.candidates.iter().any(|c| hit(c.account_name.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::propose;
    use crate::binding::testkit::*;

    fn sample() -> Proposal {
        propose(&input(
            vec![
                member("ZhangSan", "张三", &[]),    // name match to a1 "张三"
                member("lisi", "李四", &[]),        // ambiguous: a2, a3
                member("clear", "Ｃｌｅａｒ", &[]), // no match
                member("wangwu", "王五", &[]),      // bound to a4 "五哥"
            ],
            vec![
                account("a1", "张三", &[]),
                account("a2", "李四", &[]),
                account("a3", "李四", &[]),
                account("a4", "五哥", &[]),
            ],
            vec![bind("wangwu", "a4")],
        ))
    }

    fn users(p: &Proposal, ix: &[u32]) -> Vec<String> {
        ix.iter().map(|&i| p.rows[i as usize].userid.to_string()).collect()
    }

    #[test]
    fn searches_and_filters() {
        let p = sample();
        let q =
            |search: &str, filter: RowFilter| users(&p, &query_rows(&p, &RowQuery { search: search.into(), filter }));
        let cases: &[(&str, RowFilter, &[&str])] = &[
            ("", RowFilter::All, &["wangwu", "ZhangSan", "lisi", "clear"]),
            ("", RowFilter::Unbound, &["lisi", "clear"]),
            ("张", RowFilter::All, &["ZhangSan"]),
            ("zhangsan", RowFilter::All, &["ZhangSan"]), // userid, case-insensitive
            ("ZHANG", RowFilter::All, &["ZhangSan"]),
            ("CLEAR", RowFilter::All, &["clear"]), // full-width member name
            ("ｃｌｅａｒ", RowFilter::All, &["clear"]),
            ("五哥", RowFilter::All, &["wangwu"]),   // bound account's name
            ("李四", RowFilter::Unbound, &["lisi"]), // candidate names
            ("张三", RowFilter::Unbound, &[]),
            ("  ", RowFilter::All, &["wangwu", "ZhangSan", "lisi", "clear"]),
            ("nobody", RowFilter::All, &[]),
        ];
        for (search, filter, want) in cases {
            assert_eq!(q(search, *filter), *want, "search {search:?} filter {filter:?}");
        }
    }
}
