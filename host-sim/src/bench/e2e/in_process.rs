//! `host-sim bench --e2e-in-process`: the operator's path through the commands' own functions,
//! in this process.
//!
//! Each step calls the function its command calls (`main` only parses the arguments and calls
//! these), with the same arguments an operator types; their output goes to a counting sink. Each
//! step gets its own peak (the high-water mark is reset per step, see [`measure`]) and its own
//! API-call count from the fake. The fake and its copy of the organisation live in the same
//! process and count in every step's memory, so the figures are an upper bound on what the CLI
//! alone needs ([`super::processes`] measures that). Before each step the memory earlier steps
//! freed is given back to the system ([`measure::return_free_memory`]), as it is when a command
//! exits.

use super::{write_files, E2eReport, MemoryOf, Step, TempDir};
use crate::bench::generate::{Spec, AGENT_ID, CORP_ID, SECRET};
use crate::bench::measure::{self, phase};
use crate::bench::BenchArgs;
use crate::cli::session::WecomArgs;
use crate::cli::workflow::accounts::{run_accounts_import, AccountsImportArgs};
use crate::cli::workflow::commit::{commit, CommitArgs, CommitOutcome};
use crate::cli::workflow::sync::{sync, SyncArgs};
use crate::cli::workflow::WorkflowArgs;
use crate::fake_wecom::{FakeConfig, FakeWecom};
use crate::render::table::Lang;
use anyhow::{bail, Context};
use std::io::Write;

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
    let memory_of = if fake.is_some() { MemoryOf::SharedProcess } else { MemoryOf::Bench };
    Ok((value, Step { command, phase, memory_of, api_calls, peak_in_flight, lines: sink.lines, bytes: sink.bytes }))
}

/// `host-sim bench --e2e-in-process`.
pub fn run(args: &BenchArgs) -> anyhow::Result<E2eReport> {
    let dir = TempDir::new("e2e")?;
    let db = dir.0.join("host-sim.db");
    let accounts_file = dir.0.join("accounts.json");
    let spec = Spec { users: args.users, departments: args.departments, tags: args.tags, seed: args.seed };

    let mut steps = Vec::new();
    let (written, generated) =
        step("generate (bench generator, accounts.json)".into(), None, |_| write_files(spec, &dir.0, false))?;
    steps.push(generated);
    let accounts = written.accounts;
    let org = written.org;

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
    Ok(E2eReport {
        mode: "in_process",
        date: crate::bench::report::utc_date(crate::bench::unix_now()),
        users: args.users,
        departments: args.departments,
        tags: args.tags,
        accounts,
        latency_ms: args.latency_ms,
        steps,
        total_secs,
        peak_mb,
        fake_peak_mb: None,
        table_rows: Some(table_rows),
        changes: Some(changes),
        store_accounts: None,
        store_bindings: None,
    })
}
