//! The lines that sum a proposal or a change set up for the operator, written once for every
//! command.

use crate::render::table::Lang;
use interface::{CommitSummary, Proposal};

/// The guide's commit summary line.
pub fn summary_line(s: &CommitSummary, lang: Lang) -> String {
    let mut line = match lang {
        Lang::Zh => format!(
            "同步企业微信用户 {} 个，绑定用户 {} 个，新建组织用户 {} 个（跳过 {} 个，解除绑定 {} 个",
            s.wecom_users_synced, s.bindings_made, s.accounts_created, s.skipped, s.bindings_removed
        ),
        Lang::En => format!(
            "WeCom users synced {}, bindings made {}, new accounts created {} (skipped {}, unbound {}",
            s.wecom_users_synced, s.bindings_made, s.accounts_created, s.skipped, s.bindings_removed
        ),
    };
    if s.department_changes > 0 {
        line.push_str(&match lang {
            Lang::Zh => format!("，部门变更 {} 个", s.department_changes),
            Lang::En => format!(", department changes {}", s.department_changes),
        });
    }
    if s.accounts_disabled > 0 {
        line.push_str(&match lang {
            Lang::Zh => format!("，停用账号 {} 个", s.accounts_disabled),
            Lang::En => format!(", accounts disabled {}", s.accounts_disabled),
        });
    }
    if s.bindings_updated > 0 {
        line.push_str(&match lang {
            Lang::Zh => format!("，绑定更新 {} 个", s.bindings_updated),
            Lang::En => format!(", bindings updated {}", s.bindings_updated),
        });
    }
    line.push_str(lang.pick("）", ")"));
    line
}

/// The text for "no pending sync".
pub fn nothing_pending(lang: Lang) -> &'static str {
    lang.pick("没有待提交的同步：请先运行 host-sim sync。", "Nothing pending: run host-sim sync first.")
}

/// The binding table's counts, as `sync` and the demo print them above the table (one line, and
/// a second when some rows are name matches with departments that differ or probable renames).
pub fn proposal_counts(proposal: &Proposal, lang: Lang) -> String {
    let c = &proposal.counts;
    let sep = lang.pick("，", ", ");
    let mut text = format!(
        "{} {}{sep}{} {}{sep}{} {}{sep}{} {}{sep}{} {}{sep}{} {}\n",
        lang.pick("同步企业微信用户", "WeCom users"),
        c.wecom_users,
        lang.pick("已绑定", "bound"),
        c.already_bound,
        lang.pick("姓名匹配", "name matches"),
        c.name_matches,
        lang.pick("待确认", "ambiguous"),
        c.ambiguous,
        lang.pick("新建", "new"),
        c.no_match,
        lang.pick("已离开", "left"),
        c.left_wecom
    );
    if c.name_departments_differ + c.renames > 0 {
        text.push_str(&format!(
            "{} {}{sep}{} {}\n",
            lang.pick("姓名匹配·部门不一致（待确认）", "name matches with departments that differ (to check)"),
            c.name_departments_differ,
            lang.pick("疑似改名（待确认）", "probable userid renames (to check)"),
            c.renames
        ));
    }
    if proposal.name_spacing_differs() > 0 {
        text.push_str(&format!(
            "{} {}\n",
            lang.pick(
                "姓名仅空格不同（待成员认领或管理员确认）",
                "names differing only by spacing (to claim or check)"
            ),
            proposal.name_spacing_differs()
        ));
    }
    text
}
