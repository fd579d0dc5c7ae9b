//! `host-sim bench --e2e`: the operator's whole path, step by step, as a person runs it.
//!
//! 1. **generate** the organisation and the platform's accounts (as `bench` does) and write them
//!    as `org.json` (for the fake) and `accounts.json` (an `accounts import` file); this runs in
//!    the bench's own process, so its memory is the bench's, not the operator's;
//! 2. **accounts import** that file into a new SQLite store;
//! 3. **sync** against the fake WeCom (serving the organisation at `--latency-ms`): configure,
//!    read the app's visible range, propose, store the pending sync, print the table;
//! 4. **commit --dry-run**: the operator's preview of the change set;
//! 5. **commit**: computes the change set again and applies it in one transaction.
//!
//! Two ways to run it:
//!
//! - [`processes`] (`--e2e`, the figures the targets are judged on): the fake WeCom is its own
//!   process (`host-sim wecom-sim`, this same executable) and each step 2 to 5 is a child process
//!   of this executable with the flags a person types, against a temporary folder. Each step's
//!   peak memory is that child's own (its resident high-water mark, read with `wait4` on Linux;
//!   "not measured" elsewhere), its API calls come from the fake's `/_sim/stats`.
//! - [`in_process`] (`--e2e-in-process`): each step calls the function its command calls, in this
//!   process, with the fake inside it too. Kept because it runs under one profiler (heaptrack) and
//!   gives a step's heap growth; its peaks overstate a command's (the fake's organisation and the
//!   pages the allocator keeps count in every step).
//!
//! [`growth`] (`--e2e --growth`) runs [`processes`] at a quarter, a half and all of the members
//! and says how each step grew per doubling.

pub mod growth;
pub mod in_process;
pub mod processes;

use super::generate::{generate, Spec, AGENT_ID, CORP_ID, SECRET};
use super::measure::{self, Phase};
use super::BenchArgs;
use crate::host::session::PlatformUrls;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Whole-path target (issue 17).
pub const TARGET_TOTAL_SECS: f64 = 20.0;
/// Peak-memory target (issue 17).
pub const TARGET_PEAK_MB: f64 = 400.0;

/// Whose memory a step's peak is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryOf {
    /// The bench's own process (the generator): not part of the operator's path.
    Bench,
    /// The command's own child process, as a person runs it.
    Command,
    /// The one process running every step and the fake (`--e2e-in-process`).
    SharedProcess,
}

/// One step's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// The command, as typed.
    pub command: String,
    /// Time and memory. For a command run as a child, `rss_before_mb` is the bench's resident
    /// memory when it spawned the child: Linux counts it in the child's peak, so a peak at or
    /// below it is an upper bound, not the command's own figure.
    pub phase: Phase,
    /// Whose memory `phase.peak_mb` is.
    pub memory_of: MemoryOf,
    /// Calls the fake WeCom answered during the step.
    pub api_calls: u64,
    /// Most calls the fake had in flight at once during the step.
    pub peak_in_flight: u64,
    /// Lines the command printed.
    pub lines: usize,
    /// Bytes printed.
    pub bytes: usize,
}

/// The figures of one `--e2e` run.
#[derive(Debug, Clone, Serialize)]
pub struct E2eReport {
    /// `processes` (each step its own process) or `in_process`.
    pub mode: &'static str,
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
    /// Sum of the steps' wall times, generate included.
    pub total_secs: f64,
    /// Highest peak of the operator's steps (generate's is the bench's own and left out when the
    /// steps ran as their own processes).
    pub peak_mb: Option<f64>,
    /// The fake WeCom's own peak (its process), when it ran apart.
    pub fake_peak_mb: Option<f64>,
    /// Rows of the table (in-process only: the child's table is printed, not returned).
    pub table_rows: Option<usize>,
    /// Changes in the applied change set (in-process only).
    pub changes: Option<usize>,
    /// Accounts and bindings in the store after `commit`.
    pub store_accounts: Option<usize>,
    /// Bindings in the store after `commit`.
    pub store_bindings: Option<usize>,
}

/// `host-sim bench --e2e` / `--e2e-in-process`.
pub fn run(args: &BenchArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    if args.growth {
        return growth::run(args, out);
    }
    let report = if args.e2e_in_process { in_process::run(args)? } else { processes::run(args)? };
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        write!(out, "{}", render(&report))?;
    }
    Ok(true)
}

/// A folder in the temp dir for the store and the files, removed when dropped.
pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
    pub(crate) fn new(kind: &str) -> anyhow::Result<TempDir> {
        use anyhow::Context;
        let dir = std::env::temp_dir().join(format!("host-sim-{kind}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("无法创建临时目录 / could not create {}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What [`write_files`] wrote.
pub struct Written {
    /// The organisation the fake serves.
    pub org: crate::fake_wecom::Org,
    /// Platform accounts in `accounts.json`.
    pub accounts: usize,
}

/// Generates the organisation and the platform's accounts for `spec` and writes `accounts.json`
/// (the `accounts import` format) into `dir`, and `org.json` (the fake's `--org`) when `write_org`.
/// The app's home page and trusted domain are the demo platform's, as `sync` sets them.
pub fn write_files(spec: Spec, dir: &Path, write_org: bool) -> anyhow::Result<Written> {
    let platform = PlatformUrls::at(crate::defaults::DEMO_PLATFORM);
    let generated = generate(spec, &platform);
    let records: Vec<serde_json::Value> = generated
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
    write_json(&dir.join("accounts.json"), &records)?;
    if write_org {
        write_json(&dir.join("org.json"), &generated.org)?;
    }
    Ok(Written { org: generated.org, accounts: records.len() })
}

fn write_json(path: &Path, value: &impl Serialize) -> anyhow::Result<()> {
    use anyhow::Context;
    let file =
        std::fs::File::create(path).with_context(|| format!("无法创建文件 / could not create {}", path.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    serde_json::to_writer(&mut writer, value)?;
    writer.flush()?;
    Ok(())
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met / 达标"
    } else {
        "MISSED / 未达标"
    }
}

fn whose(m: MemoryOf) -> &'static str {
    match m {
        MemoryOf::Bench => "bench / 基准进程",
        MemoryOf::Command => "command / 命令进程",
        MemoryOf::SharedProcess => "one process / 单进程",
    }
}

/// The report as text.
pub fn render(r: &E2eReport) -> String {
    let how = if r.mode == "processes" {
        "每步一个 host-sim 进程，模拟企业微信另一进程 / each step its own host-sim process, the fake WeCom another"
    } else {
        "所有步骤与模拟企业微信在同一进程 / every step and the fake WeCom in one process"
    };
    let mut s = format!(
        "端到端（操作员路径）/ end to end (the operator's path), {}: {} 名成员 / members, {} 个部门 / departments, \
         {} 个标签 / tags, {} 个平台账号 / accounts, 延迟 / latency {} ms\n{how}\n",
        r.date, r.users, r.departments, r.tags, r.accounts, r.latency_ms
    );
    if r.mode == "processes" {
        s.push_str(&format!(
            "$W = --wecom-base-url <host-sim wecom-sim> --corp-id {CORP_ID} --agent-id {AGENT_ID} --secret {SECRET} \
             --db host-sim.db (临时目录 / in a temporary folder)\n"
        ));
    }
    s.push_str("| step | wall s | peak MB | memory of | API calls | in flight | lines printed |\n");
    s.push_str("|---|---|---|---|---|---|---|\n");
    for st in &r.steps {
        s.push_str(&format!(
            "| {} | {:.2} | {} | {} | {} | {} | {} |\n",
            st.command,
            st.phase.secs,
            st.phase.peak_mb.map_or("not measured".into(), |m| format!("{m:.1}")),
            whose(st.memory_of),
            st.api_calls,
            st.peak_in_flight,
            st.lines
        ));
    }
    if let (Some(rows), Some(changes)) = (r.table_rows, r.changes) {
        s.push_str(&format!("表格 {rows} 行，变更 {changes} 项 / table {rows} rows, change set {changes} changes\n"));
    }
    if let (Some(a), Some(b)) = (r.store_accounts, r.store_bindings) {
        s.push_str(&format!("提交后：平台账号 {a} 个，绑定 {b} 个 / after commit: {a} accounts, {b} bindings\n"));
    }
    if r.mode == "processes" {
        let floor = r
            .steps
            .iter()
            .filter(|st| st.memory_of == MemoryOf::Command)
            .filter_map(|st| st.phase.rss_before_mb)
            .reduce(f64::max);
        if let Some(floor) = floor {
            s.push_str(&format!(
                "命令进程的峰值含创建它时基准进程的常驻内存（至多 {floor:.1} MB）/ a command's peak includes the bench's \
                 resident memory when it was spawned (at most {floor:.1} MB; Linux counts it at exec)\n"
            ));
        }
    }
    if let Some(f) = r.fake_peak_mb {
        s.push_str(&format!(
            "模拟企业微信进程峰值 / the fake WeCom's own process peaked at {f:.1} MB (not the operator's)\n"
        ));
    }
    s.push_str(&format!(
        "全程 / whole path {:.2} s, generate included (target < {TARGET_TOTAL_SECS} s: {})\n",
        r.total_secs,
        met(r.total_secs < TARGET_TOTAL_SECS)
    ));
    let scope = if r.mode == "processes" {
        "the highest command process; generate is the bench's"
    } else {
        "the whole process, fake WeCom included"
    };
    s.push_str(&format!(
        "峰值内存 / peak memory {} ({scope}; target < {TARGET_PEAK_MB} MB: {})\n",
        measure::show_mb(r.peak_mb),
        r.peak_mb.map_or("not measured / 未测量", |p| met(p < TARGET_PEAK_MB))
    ));
    s
}
