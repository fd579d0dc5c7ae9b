//! `host-sim bench --e2e`: the operator's path exactly as a person runs it, one process per
//! command.
//!
//! The bench writes `org.json` and `accounts.json` into a temporary folder, starts the fake WeCom
//! as its own process (`host-sim wecom-sim --org org.json --port 0 --latency-ms L`, this same
//! executable; the address is read from the line it prints), then runs each step as a child
//! process of this executable with the flags of the README's operator path:
//!
//! ```text
//! host-sim accounts import DIR/accounts.json --db DIR/host-sim.db
//! host-sim sync $W              # W = --wecom-base-url … --corp-id … --agent-id … --secret … --db DIR/host-sim.db
//! host-sim commit --dry-run $W
//! host-sim commit $W
//! ```
//!
//! For each step: wall time from spawn to exit; the child's own peak resident memory, from the
//! rusage `wait4` returns as it reaps the child (Linux; "not measured" elsewhere); the WeCom calls
//! the fake counted (`POST /_sim/stats/reset` before, `GET /_sim/stats` after); the lines and
//! bytes the command printed on stdout (its stderr goes to a file in the folder, shown if the step
//! fails). Every child is killed and reaped on every error path ([`ChildGuard`]), and the folder
//! is removed.

use super::{write_files, E2eReport, MemoryOf, Step, TempDir};
use crate::bench::generate::{Spec, AGENT_ID, CORP_ID, SECRET};
use crate::bench::measure::{self, Phase};
use crate::bench::BenchArgs;
use crate::store::Store;
use anyhow::{bail, Context};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Instant;

/// Lowers the bench's resident high-water mark to what it holds now and returns that (MB).
///
/// Linux counts in a child's `ru_maxrss` the high-water mark of the address space it had before
/// `exec`: a copy of (or, spawned with vfork, the same as) the bench's. Without this, every child
/// would report at least the generator's peak. After it, a child's figure is its own peak, or the
/// bench's resident memory at the spawn if that is higher (reported as the step's floor).
fn lower_spawn_floor() -> Option<f64> {
    measure::return_free_memory();
    measure::reset_peak();
    measure::rss_mb()
}

/// A child process that is killed and reaped when dropped, unless [`ChildGuard::wait`] reaped it.
struct ChildGuard {
    child: Option<Child>,
}

impl ChildGuard {
    /// Waits for the child to exit; its exit status and its own peak resident memory (MB).
    fn wait(&mut self) -> anyhow::Result<(ExitStatus, Option<f64>)> {
        let Some(child) = self.child.as_mut() else { bail!("the child was already reaped") };
        let waited = wait_with_peak(child);
        if waited.is_ok() {
            // Reaped: its pid may be reused, so it must never be signalled again.
            self.child = None;
        }
        Ok(waited?)
    }

    /// Kills the child and returns its peak resident memory (MB).
    fn stop(&mut self) -> anyhow::Result<Option<f64>> {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
        }
        Ok(self.wait()?.1)
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Reaps `child` with `wait4`, which returns the child's own rusage: `ru_maxrss` is its resident
/// high-water mark in KiB.
#[cfg(target_os = "linux")]
fn wait_with_peak(child: &mut Child) -> std::io::Result<(ExitStatus, Option<f64>)> {
    use std::os::unix::process::ExitStatusExt;
    let pid = libc::pid_t::try_from(child.id()).map_err(std::io::Error::other)?;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is a plain C struct of integers, valid when zeroed.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own child, not yet reaped (std has not waited on it); both
        // pointers are to live locals of the right types.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
    let peak_mb = usage.ru_maxrss as f64 * 1024.0 / 1_000_000.0;
    Ok((ExitStatus::from_raw(status), Some(peak_mb)))
}

/// Elsewhere the child's peak is not measured.
#[cfg(not(target_os = "linux"))]
fn wait_with_peak(child: &mut Child) -> std::io::Result<(ExitStatus, Option<f64>)> {
    Ok((child.wait()?, None))
}

/// The end of a step's stderr file, for an error message.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// The fake WeCom's `/_sim/stats` controls.
struct SimStats {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    base_url: String,
}

impl SimStats {
    fn new(base_url: String) -> anyhow::Result<SimStats> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        // No proxy from the environment: the fake is on the loopback.
        let client = reqwest::Client::builder().no_proxy().timeout(std::time::Duration::from_secs(10)).build()?;
        Ok(SimStats { runtime, client, base_url })
    }

    fn reset(&self) -> anyhow::Result<()> {
        let url = format!("{}/_sim/stats/reset", self.base_url);
        self.runtime
            .block_on(async { self.client.post(&url).send().await?.error_for_status() })
            .with_context(|| format!("模拟企业微信统计重置失败 / could not reset the fake's stats ({url})"))?;
        Ok(())
    }

    /// Calls answered and the most in flight at once since the last reset.
    fn read(&self) -> anyhow::Result<(u64, u64)> {
        let url = format!("{}/_sim/stats", self.base_url);
        let stats: serde_json::Value = self
            .runtime
            .block_on(async { self.client.get(&url).send().await?.error_for_status()?.json().await })
            .with_context(|| format!("无法读取模拟企业微信统计 / could not read the fake's stats ({url})"))?;
        let field = |name: &str| stats.get(name).and_then(serde_json::Value::as_u64).unwrap_or(0);
        Ok((field("total"), field("peak_in_flight")))
    }
}

/// Starts `host-sim wecom-sim` on a free port; its guard and base URL.
fn start_fake(exe: &Path, org: &Path, args: &BenchArgs, log: &Path) -> anyhow::Result<(ChildGuard, String)> {
    let stderr = std::fs::File::create(log)?;
    lower_spawn_floor();
    let mut command = Command::new(exe);
    command
        .arg("wecom-sim")
        .arg("--org")
        .arg(org)
        .args(["--port", "0", "--latency-ms", &args.latency_ms.to_string()])
        .args(["--rate-limit-per-min", &args.rate_limit_per_min.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr);
    let child = command.spawn().with_context(|| format!("无法启动 / could not start {}", exe.display()))?;
    let mut guard = ChildGuard { child: Some(child) };
    let stdout = guard.child.as_mut().and_then(|c| c.stdout.take()).context("the fake's stdout")?;
    // The fake prints one line once it listens: "… listening on http://127.0.0.1:PORT  (…)".
    let mut line = String::new();
    let mut reader = BufReader::new(stdout);
    reader.read_line(&mut line)?;
    // Whatever it prints later is drained, so it never writes to a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) else {
        bail!("模拟企业微信未能启动 / the fake WeCom did not start (printed {:?}):\n{}", line.trim(), tail(log));
    };
    Ok((guard, url.trim_end_matches('/').to_string()))
}

/// Runs `host-sim ARGS` as a child process and measures it.
fn run_step(
    exe: &Path,
    label: String,
    args: &[OsString],
    stats: &SimStats,
    stderr_file: &Path,
) -> anyhow::Result<Step> {
    stats.reset()?;
    let stderr = std::fs::File::create(stderr_file)?;
    let floor_mb = lower_spawn_floor();
    let started = Instant::now();
    let child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("无法启动 / could not start: {label}"))?;
    let mut guard = ChildGuard { child: Some(child) };
    let mut stdout = guard.child.as_mut().and_then(|c| c.stdout.take()).context("the child's stdout")?;
    // Drained on a thread so a long table never blocks the child on a full pipe.
    let counter = std::thread::spawn(move || {
        let (mut lines, mut bytes) = (0usize, 0usize);
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            lines += buf[..n].iter().filter(|b| **b == b'\n').count();
            bytes += n;
        }
        (lines, bytes)
    });
    let (status, peak_mb) = guard.wait()?;
    let secs = started.elapsed().as_secs_f64();
    let (lines, bytes) = counter.join().unwrap_or((0, 0));
    if !status.success() {
        bail!("步骤失败 / step failed: {label} ({status}):\n{}", tail(stderr_file));
    }
    let (api_calls, peak_in_flight) = stats.read()?;
    let phase = Phase { secs, rss_before_mb: floor_mb, peak_mb, growth_mb: None, peak_is_per_phase: peak_mb.is_some() };
    Ok(Step { command: label, phase, memory_of: MemoryOf::Command, api_calls, peak_in_flight, lines, bytes })
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// `host-sim bench --e2e`.
pub fn run(args: &BenchArgs) -> anyhow::Result<E2eReport> {
    let exe = std::env::current_exe().context("无法找到 host-sim 可执行文件 / could not find host-sim's executable")?;
    let dir = TempDir::new("e2e")?;
    let spec = Spec { users: args.users, departments: args.departments, tags: args.tags, seed: args.seed };

    let mut steps = Vec::new();
    let (written, phase) = measure::phase(|| write_files(spec, &dir.0, true));
    let accounts = written?.accounts;
    steps.push(Step {
        command: "generate (in the bench: org.json, accounts.json)".into(),
        phase,
        memory_of: MemoryOf::Bench,
        api_calls: 0,
        peak_in_flight: 0,
        lines: 0,
        bytes: 0,
    });
    // What the generator freed goes back to the system; the bench holds nothing of it now.
    measure::return_free_memory();

    let file = |name: &str| -> PathBuf { dir.0.join(name) };
    let (mut fake, base_url) = start_fake(&exe, &file("org.json"), args, &file("wecom-sim.stderr"))?;
    let stats = SimStats::new(base_url.clone())?;

    let db = file("host-sim.db").into_os_string();
    let mut wecom = os(&["--wecom-base-url", &base_url, "--corp-id", CORP_ID, "--agent-id", &AGENT_ID.to_string()]);
    wecom.extend(os(&["--secret", SECRET]));
    if let Some(plugin) = &args.plugin {
        wecom.push("--plugin".into());
        wecom.push(plugin.clone().into_os_string());
    }
    wecom.extend(["--db".into(), db.clone()]);

    let mut import = os(&["accounts", "import"]);
    import.extend([file("accounts.json").into_os_string(), "--db".into(), db.clone()]);
    steps.push(run_step(
        &exe,
        "host-sim accounts import accounts.json --db host-sim.db".into(),
        &import,
        &stats,
        &file("import.stderr"),
    )?);
    let with = |first: &[&str]| -> Vec<OsString> { os(first).into_iter().chain(wecom.iter().cloned()).collect() };
    steps.push(run_step(&exe, "host-sim sync $W".into(), &with(&["sync"]), &stats, &file("sync.stderr"))?);
    steps.push(run_step(
        &exe,
        "host-sim commit --dry-run $W".into(),
        &with(&["commit", "--dry-run"]),
        &stats,
        &file("dry-run.stderr"),
    )?);
    steps.push(run_step(&exe, "host-sim commit $W".into(), &with(&["commit"]), &stats, &file("commit.stderr"))?);
    let fake_peak_mb = fake.stop()?;

    let store = Store::open_read_only(Path::new(&db)).context("无法读取存储 / could not read the store")?;
    let store_accounts = store.accounts()?.len();
    let store_bindings = store.bindings()?.len();
    drop(store);

    let total_secs = steps.iter().map(|s| s.phase.secs).sum();
    let peak_mb =
        steps.iter().filter(|s| s.memory_of == MemoryOf::Command).filter_map(|s| s.phase.peak_mb).reduce(f64::max);
    Ok(E2eReport {
        mode: "processes",
        date: crate::bench::report::utc_date(crate::bench::unix_now()),
        users: args.users,
        departments: args.departments,
        tags: args.tags,
        accounts,
        latency_ms: args.latency_ms,
        steps,
        total_secs,
        peak_mb,
        fake_peak_mb,
        table_rows: None,
        changes: None,
        store_accounts: Some(store_accounts),
        store_bindings: Some(store_bindings),
    })
}
