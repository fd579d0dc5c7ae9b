//! `host-sim departments list`: the department tree the platform mirrors from WeCom (written by
//! commits, callbacks and the reconcile; a department removed in WeCom is removed here too).

use super::{open_existing_store, DEFAULT_DB};
use crate::render::table::Lang;
use interface::PlatformDepartment;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

/// `host-sim departments`.
#[derive(clap::Args, Clone, Debug)]
pub struct DepartmentsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: DepartmentsCommand,
}

/// `host-sim departments` subcommands.
#[derive(clap::Subcommand, Clone, Debug)]
pub enum DepartmentsCommand {
    /// Shows the mirrored department tree.
    List(DepartmentsListArgs),
}

/// `host-sim departments list`.
#[derive(clap::Args, Clone, Debug)]
pub struct DepartmentsListArgs {
    /// SQLite store.
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// Output language.
    #[arg(long, value_enum, default_value_t = Lang::Zh)]
    pub lang: Lang,
    /// Print the departments as JSON (`wecom_id`, `name`, `parent_wecom_id`, `order`, `depth`),
    /// in tree order.
    #[arg(long)]
    pub json: bool,
}

/// Runs `departments list`.
pub fn run(args: &DepartmentsArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    match &args.command {
        DepartmentsCommand::List(a) => list(a, out),
    }
}

/// The departments in tree order (parents first, siblings by WeCom's order: larger first), each
/// with its depth. A department whose parent is not mirrored is shown at the top.
pub fn tree(departments: &[PlatformDepartment]) -> Vec<(usize, &PlatformDepartment)> {
    let ids: std::collections::HashSet<u32> = departments.iter().map(|d| d.wecom_id).collect();
    let mut children: HashMap<u32, Vec<&PlatformDepartment>> = HashMap::new();
    for d in departments {
        let parent =
            if ids.contains(&d.parent_wecom_id) && d.parent_wecom_id != d.wecom_id { d.parent_wecom_id } else { 0 };
        children.entry(parent).or_default().push(d);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| b.order.cmp(&a.order).then(a.wecom_id.cmp(&b.wecom_id)));
    }
    let mut out = Vec::with_capacity(departments.len());
    let mut stack: Vec<(usize, &PlatformDepartment)> =
        children.get(&0).map(|l| l.iter().rev().map(|d| (0, *d)).collect()).unwrap_or_default();
    while let Some((depth, d)) = stack.pop() {
        out.push((depth, d));
        if let Some(list) = children.get(&d.wecom_id) {
            stack.extend(list.iter().rev().map(|c| (depth + 1, *c)));
        }
    }
    out
}

fn list(args: &DepartmentsListArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    let store = open_existing_store(&args.db)?;
    let departments = store.departments()?;
    let tree = tree(&departments);
    if args.json {
        let rows: Vec<_> = tree
            .iter()
            .map(|(depth, d)| {
                serde_json::json!({
                    "wecom_id": d.wecom_id,
                    "name": d.name,
                    "parent_wecom_id": d.parent_wecom_id,
                    "order": d.order,
                    "depth": depth,
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(true);
    }
    let lang = args.lang;
    for (depth, d) in &tree {
        writeln!(out, "{}{} ({})", "  ".repeat(*depth), d.name, d.wecom_id)?;
    }
    writeln!(out, "{} {}", departments.len(), lang.pick("个部门", "departments"))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(id: u32, parent: u32, order: u64) -> PlatformDepartment {
        PlatformDepartment { wecom_id: id, name: format!("d{id}").into(), parent_wecom_id: parent, order }
    }

    #[test]
    fn the_tree_lists_parents_before_children_and_siblings_by_order() {
        let all = [d(3, 1, 10), d(1, 0, 0), d(2, 1, 20), d(4, 2, 0), d(9, 7, 0)];
        let order: Vec<(usize, u32)> = tree(&all).iter().map(|(depth, d)| (*depth, d.wecom_id)).collect();
        assert_eq!(order, [(0, 1), (1, 2), (2, 4), (1, 3), (0, 9)]);
    }
}
