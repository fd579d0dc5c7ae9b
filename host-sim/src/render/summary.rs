//! The lines that sum a change set up for the operator, written once for every command.

use crate::render::table::Lang;
use interface::CommitSummary;

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
