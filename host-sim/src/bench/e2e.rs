//! `host-sim bench --e2e`: the operator's whole path as the CLI runs it, step by step.
//!
//! 1. **generate** the organisation and the platform's accounts (as `bench` does) and write the
//!    accounts as an `accounts import` file;
//! 2. **accounts import** that file into a new SQLite store;
//! 3. **sync** against the fake WeCom (serving the organisation at `--latency-ms`): configure,
//!    read the app's visible range, propose, store the pending sync, print the table;
//! 4. **commit --dry-run**: the operator's preview of the change set;
//! 5. **commit**: computes the change set again and applies it in one transaction.
//!
//! Each step calls the function its command calls (`main` only parses the arguments and calls
//! these), in this process, with the same arguments an operator types; their output goes to a
//! counting sink (a terminal would add its own drawing time). In-process rather than spawning the
//! binary so each step gets its own peak memory (the high-water mark is reset per step, see
//! [`super::measure`]) and its own API-call count from the fake. The fake and its copy of the
//! organisation live in the same process and count in every step's memory, so the figures are an
//! upper bound on what the CLI alone needs. Before each step the memory earlier steps freed is
//! given back to the system ([`measure::return_free_memory`]), as it is when a command exits;
//! without that, pages the allocator kept from `sync` counted again in both commits' peaks.

use super::generate::{generate, Spec, AGENT_ID, CORP_ID, SECRET};
use super::measure::{self, phase, Phase};
use super::BenchArgs;
use crate::cli::session::WecomArgs;
use crate::cli::workflow::accounts::{run_accounts_import, AccountsImportArgs};
use crate::cli::workflow::commit::{commit, CommitArgs, CommitOutcome};
use crate::cli::workflow::sync::{sync, SyncArgs};
use crate::cli::workflow::WorkflowArgs;
use crate::fake_wecom::{FakeConfig, FakeWecom};
use crate::host::session::PlatformUrls;
use crate::render::table::Lang;
use anyhow::{bail, Context};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

/// Whole-path target (issue 17).
pub const TARGET_TOTAL_SECS: f64 = 20.0;
/// Peak-memory target (issue 17).
pub const TARGET_PEAK_MB: f64 = 400.0;

/// One step's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// The command, as typed.
    pub command: String,
    /// Time and memory.
    pub phase: Phase,
    /// Calls the fake WeCom answered during the step.
    pub api_calls: u64,
    /// Most calls the fake had in flight at once during the step.
    pub peak_in_flight: u64,
    /// Lines and bytes the command printed.
    pub lines: usize,
    /// Bytes printed.
    pub bytes: usize,
}

/// The figures of one `--e2e` run.
#[derive(Debug, Clone, Serialize)]
pub struct E2eReport {
    /// UTC date.
    pub date: String,
    /// Members.
    pub users: usize,
    /// Departments.
    pub departments: usize,
    /// Tags.
    pub tags: usize,
    /// Platform accounts imported.
    pub accounts: usize,
    /// Added latency (ms).
    pub latency_ms: u64,
    /// The steps in order.
    pub steps: Vec<Step>,
    /// Sum of the steps' wall times.
    pub total_secs: f64,
    /// Highest of the steps' peaks.
    pub peak_mb: Option<f64>,
    /// Rows of the table, and the change set's size.
    pub table_rows: usize,
    /// Changes in the applied change set (departments, accounts, bindings, removals).
    pub changes: usize,
}

/// Counts what a command prints.
#[derive(Default)]
struct Sink {
    lines: usize,
    bytes: usize,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.lines += buf.iter().filter(|b| **b == b'\n').count();
        self.bytes += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A folder in the temp dir for the store and the accounts file, removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs one step: times it, counts its API calls and output.
fn step<T>(
    command: String,
    fake: Option<&FakeWecom>,
    f: impl FnOnce(&mut Sink) -> anyhow::Result<T>,
) -> anyhow::Result<(T, Step)> {
    if let Some(fake) = fake {
        fake.reset_counts();
    }
    // What earlier steps freed goes back to the system first, as it would between two commands.
    measure::return_free_memory();
    let mut sink = Sink::default();
    let (value, phase) = phase(|| f(&mut sink));
    let value = value.with_context(|| format!("step failed: {command}"))?;
    let (api_calls, peak_in_flight) = fake.map_or((0, 0), |f| (f.total_requests(), f.peak_in_flight()));
    Ok((value, Step { command, phase, api_calls, peak_in_flight, lines: sink.lines, bytes: sink.bytes }))
}

/// `host-sim bench --e2e`.
pub fn run(args: &BenchArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    let dir = TempDir(std::env::temp_dir().join(format!("host-sim-e2e-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).with_context(|| format!("could not create {}", dir.0.display()))?;
    let db = dir.0.join("host-sim.db");
    let accounts_file = dir.0.join("accounts.json");
    let platform = PlatformUrls::at(crate::defaults::DEMO_PLATFORM);
    let spec = Spec { users: args.users, departments: args.departments, tags: args.tags, seed: args.seed };

    let mut steps = Vec::new();
    let (org, generated) = step("generate (bench generator, accounts.json)".into(), None, |_| {
        let g = generate(spec, &platform);
        let records: Vec<serde_json::Value> = g
            .accounts
            .iter()
            .map(|a| {
                serde_json::json!({
                    "id": a.id.as_str(),
                    "name": a.name.as_str(),
                    "departments": a.departments.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
                    "enabled": a.enabled,
                })
            })
            .collect();
        let file = std::fs::File::create(&accounts_file)?;
        let mut writer = std::io::BufWriter::new(file);
        serde_json::to_writer(&mut writer, &records)?;
        writer.flush()?;
        Ok((g.org, g.accounts.len()))
    })?;
    steps.push(generated);
    let accounts = org.1;
    let org = org.0;

    let config = FakeConfig {
        latency_ms: args.latency_ms,
        rate_limit_per_min: args.rate_limit_per_min,
        ..FakeConfig::default()
    };
    let fake = FakeWecom::start(org, config, 0).context("启动模拟企业微信失败 / could not start the fake WeCom")?;
    let wecom = WecomArgs {
        wecom_base_url: Some(fake.base_url()),
        corp_id: Some(CORP_ID.into()),
        agent_id: Some(AGENT_ID.to_string()),
        secret: Some(SECRET.into()),
        plugin: args.plugin.clone(),
        ..WecomArgs::default()
    };
    let common = WorkflowArgs { wecom: wecom.clone(), db: db.clone(), lang: Lang::Zh, json: false };

    let import = AccountsImportArgs { file: accounts_file.clone(), db: db.clone(), json: false };
    let ((), s) = step("host-sim accounts import accounts.json".into(), Some(&fake), |sink| {
        if !run_accounts_import(&import, sink)? {
            bail!("accounts import refused the file");
        }
        Ok(())
    })?;
    steps.push(s);

    let sync_args =
        SyncArgs { common: common.clone(), platform_url: crate::defaults::DEMO_PLATFORM.into(), ..SyncArgs::default() };
    let (table_rows, s) = step("host-sim sync".into(), Some(&fake), |sink| {
        let outcome = sync(&sync_args, sink)?.context("the connection was not accepted")?;
        Ok(outcome.proposal.rows.len())
    })?;
    steps.push(s);

    let preview = CommitArgs { common: common.clone(), dry_run: true, ..CommitArgs::default() };
    let ((), s) = step("host-sim commit --dry-run".into(), Some(&fake), |sink| match commit(&preview, sink)? {
        CommitOutcome::DryRun(_) => Ok(()),
        other => bail!("commit --dry-run: {other:?}"),
    })?;
    steps.push(s);

    let apply = CommitArgs { common, dry_run: false, ..CommitArgs::default() };
    let (changes, s) = step("host-sim commit".into(), Some(&fake), |sink| match commit(&apply, sink)? {
        CommitOutcome::Applied(c, _) => {
            Ok(c.departments.len() + c.create_accounts.len() + c.create_bindings.len() + c.remove_bindings.len())
        }
        other => bail!("commit: {other:?}"),
    })?;
    steps.push(s);
    drop(fake);

    let total_secs = steps.iter().map(|s| s.phase.secs).sum();
    let peak_mb = steps.iter().filter_map(|s| s.phase.peak_mb).reduce(f64::max);
    let report = E2eReport {
        date: super::report::utc_date(super::unix_now()),
        users: args.users,
        departments: args.departments,
        tags: args.tags,
        accounts,
        latency_ms: args.latency_ms,
        steps,
        total_secs,
        peak_mb,
        table_rows,
        changes,
    };
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        write!(out, "{}", render(&report))?;
    }
    Ok(true)
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met / 达标"
    } else {
        "MISSED / 未达标"
    }
}

/// The report as text.
pub fn render(r: &E2eReport) -> String {
    let mut s = format!(
        "端到端（操作员路径）/ end to end (the operator's path), {}: {} 名成员 / members, {} 个部门 / departments, \
         {} 个标签 / tags, {} 个平台账号 / accounts, 延迟 / latency {} ms\n",
        r.date, r.users, r.departments, r.tags, r.accounts, r.latency_ms
    );
    s.push_str("| step | wall s | peak MB | growth MB | API calls | in flight | lines printed |\n");
    s.push_str("|---|---|---|---|---|---|---|\n");
    for st in &r.steps {
        s.push_str(&format!(
            "| {} | {:.2} | {} | {} | {} | {} | {} |\n",
            st.command,
            st.phase.secs,
            st.phase.peak_mb.map_or("n/a".into(), |m| format!("{m:.1}")),
            st.phase.growth_mb.map_or("n/a".into(), |m| format!("{m:.1}")),
            st.api_calls,
            st.peak_in_flight,
            st.lines
        ));
    }
    s.push_str(&format!(
        "表格 {} 行，变更 {} 项 / table {} rows, change set {} changes\n",
        r.table_rows, r.changes, r.table_rows, r.changes
    ));
    s.push_str(&format!(
        "全程 / whole path {:.2} s (target < {TARGET_TOTAL_SECS} s: {})\n",
        r.total_secs,
        met(r.total_secs < TARGET_TOTAL_SECS)
    ));
    s.push_str(&format!(
        "峰值内存 / peak memory {} (whole process, fake WeCom included; target < {TARGET_PEAK_MB} MB: {})\n",
        measure::show_mb(r.peak_mb),
        r.peak_mb.map_or("n/a", |p| met(p < TARGET_PEAK_MB))
    ));
    s
}
