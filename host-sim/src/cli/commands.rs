//! The CLI commands other than `demo`: each is a thin use of the session, store and table.

use crate::cli::session::{Session, WecomArgs};
use crate::fake_wecom::{self, FakeConfig, Org};
use crate::host::plugin_host::SimHost;
use crate::host::session::PlatformUrls;
use crate::render::table::{self, Lang};
use interface::ScopeSelection;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// `host-sim wecom-sim`: the fake WeCom alone.
#[derive(clap::Args, Clone, Debug)]
pub struct WecomSimArgs {
    /// Organisation JSON file (default: the built-in sample organisation).
    #[arg(long)]
    pub org: Option<PathBuf>,
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 8089)]
    pub port: u16,
    /// Per-API calls per minute before 45009.
    #[arg(long, default_value_t = 10_000)]
    pub rate_limit_per_min: u32,
    /// Latency added to every API call.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
}

/// Runs the fake until interrupted.
pub fn wecom_sim(args: &WecomSimArgs) -> anyhow::Result<()> {
    let org = match &args.org {
        Some(path) => Org::from_json_file(path)?,
        None => Org::sample(),
    };
    let config = FakeConfig {
        rate_limit_per_min: args.rate_limit_per_min,
        latency_ms: args.latency_ms,
        ..FakeConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
        let addr = listener.local_addr()?;
        println!(
            "模拟企业微信已启动 / fake WeCom listening on http://{addr}  (corp {}, {} apps, {} members)",
            org.corp_id,
            org.apps.len(),
            org.users.len()
        );
        tokio::select! {
            served = fake_wecom::serve(org, config, listener) => served,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
}

/// `host-sim configure`.
#[derive(clap::Args, Clone, Debug)]
pub struct ConfigureArgs {
    /// Connection options.
    #[command(flatten)]
    pub wecom: WecomArgs,
    /// The platform's base URL (homepage; the OAuth redirect is under it).
    #[arg(long, default_value = crate::defaults::DEMO_PLATFORM)]
    pub platform_url: String,
    /// Output language.
    #[arg(long, value_enum, default_value_t = Lang::Zh)]
    pub lang: Lang,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Store the accepted configuration in this SQLite store, for `serve`, `login --code` and
    /// `reconcile` to activate at their start without calling WeCom.
    #[arg(long)]
    pub db: Option<PathBuf>,
}

/// Prints the checklist; `Ok(false)` when the configuration has an error.
pub fn configure(args: &ConfigureArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    let session = Session::open(&args.wecom, &PlatformUrls::at(&args.platform_url), SimHost::default(), |_| {})?;
    if let Some(db) = &args.db {
        session.store_in(&mut crate::cli::workflow::open_store(db)?)?;
    }
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&session.report)?)?;
    } else {
        write!(out, "{}", table::checklist(&session.report, args.lang))?;
        write!(out, "\n{}", table::setup_sheet(&session.report, args.lang))?;
    }
    Ok(session.report.accepted)
}

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
