//! `host-sim fetch`: reads a scope; counts, completeness, wall time, API calls.

use crate::cli::session::{Session, WecomArgs};
use crate::host::plugin_host::SimHost;
use crate::host::session::PlatformUrls;
use crate::render::table::{self, Lang};
use interface::ScopeSelection;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Instant;

/// `host-sim fetch`.
#[derive(clap::Args, Clone, Debug)]
pub struct FetchArgs {
    /// Connection options.
    #[command(flatten)]
    pub wecom: WecomArgs,
    /// Departments (with their sub-departments), comma-separated ids.
    #[arg(long, value_delimiter = ',')]
    pub departments: Vec<u32>,
    /// Members, comma-separated userids.
    #[arg(long, value_delimiter = ',')]
    pub members: Vec<String>,
    /// Tags, comma-separated ids.
    #[arg(long, value_delimiter = ',')]
    pub tags: Vec<u32>,
    /// Print the whole snapshot as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Reads the scope and prints counts (or the snapshot).
pub fn fetch(args: &FetchArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    let show_progress = std::io::stderr().is_terminal() && !args.json;
    let host = SimHost {
        on_progress: show_progress.then(|| {
            Arc::new(|stage: &str, done: u64, total: u64| {
                let filled = (done * 30).checked_div(total).unwrap_or(0) as usize;
                eprint!("\r{stage:<12} [{}{}] {done}/{total}   ", "#".repeat(filled), ".".repeat(30 - filled.min(30)));
            }) as crate::host::plugin_host::ProgressFn
        }),
        ..SimHost::default()
    };
    let session = Session::open(&args.wecom, &PlatformUrls::at(crate::defaults::DEMO_PLATFORM), host, |_| {})?;
    if !session.report.accepted {
        write!(out, "{}", table::checklist(&session.report, Lang::Zh))?;
        return Ok(false);
    }
    let mut scope = ScopeSelection {
        department_ids: args.departments.clone().into(),
        user_ids: args.members.iter().map(|m| m.as_str().into()).collect(),
        tag_ids: args.tags.clone().into(),
    };
    if scope.department_ids.is_empty() && scope.user_ids.is_empty() && scope.tag_ids.is_empty() {
        // Nothing chosen: the app's whole visible range.
        if let Some(app) = session.report.app.as_ref().into_option() {
            scope = ScopeSelection {
                department_ids: app.visible.department_ids.clone(),
                user_ids: app.visible.user_ids.clone(),
                tag_ids: app.visible.tag_ids.clone(),
            };
        }
    }
    let started = Instant::now();
    let snapshot = session.instance.fetch_scope(&scope).into_result()?;
    let elapsed = started.elapsed();
    if show_progress {
        eprintln!();
    }
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&snapshot)?)?;
    } else {
        writeln!(
            out,
            "members: {}  departments: {}  tags: {}",
            snapshot.members.len(),
            snapshot.departments.len(),
            snapshot.tags.len()
        )?;
        writeln!(out, "complete: {}  problems: {}", snapshot.complete, snapshot.problems.len())?;
        for p in snapshot.problems.iter() {
            writeln!(out, "  - {:?} {} {}: {}", p.kind, p.subject, p.subject_name, p.message.en)?;
        }
        writeln!(out, "wall time: {:.3} s  API calls: {}", elapsed.as_secs_f64(), snapshot.api_calls)?;
    }
    Ok(snapshot.complete)
}
