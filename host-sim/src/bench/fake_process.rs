//! The fake WeCom the read bench measures against: in this process (the default), or with
//! `--fake-process` as its own process (`host-sim wecom-sim` started from this executable, the
//! generated organisation handed over in a temporary file), as issue 17 measured against an
//! independent server. The child is killed and waited for whenever [`Fake`] is dropped, on every
//! path out of the bench.

use crate::fake_wecom::{FakeConfig, FakeWecom, Org};
use anyhow::{bail, Context};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

/// The fake's counters at one moment.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub requests: BTreeMap<String, u64>,
    pub total: u64,
    pub peak_in_flight: u64,
    /// Seconds of calls in flight, summed over the finished calls (never reset).
    pub in_flight_secs: f64,
}

/// A running fake WeCom.
pub enum Fake {
    /// Served by this process's own threads.
    InProcess(FakeWecom),
    /// A child process.
    Process(FakeChild),
}

/// A `host-sim wecom-sim` child: killed and reaped on drop, its organisation file removed.
pub struct FakeChild {
    child: Child,
    base_url: String,
    org_file: PathBuf,
    /// Held open so that the child never writes into a closed pipe.
    _stdout: Option<BufReader<ChildStdout>>,
}

impl Fake {
    /// Starts the fake with `org` and `config`, in its own process when `own_process`.
    pub fn start(org: Org, config: FakeConfig, own_process: bool) -> anyhow::Result<Fake> {
        if !own_process {
            let fake =
                FakeWecom::start(org, config, 0).context("启动模拟企业微信失败 / could not start the fake WeCom")?;
            return Ok(Fake::InProcess(fake));
        }
        FakeChild::start(&org, &config).map(Fake::Process)
    }

    /// The base URL to give the plugin.
    pub fn base_url(&self) -> String {
        match self {
            Fake::InProcess(f) => f.base_url(),
            Fake::Process(c) => c.base_url.clone(),
        }
    }

    /// The counters now.
    pub fn counts(&self) -> anyhow::Result<Counts> {
        match self {
            Fake::InProcess(f) => Ok(Counts {
                requests: f.request_counts(),
                total: f.total_requests(),
                peak_in_flight: f.peak_in_flight(),
                in_flight_secs: f.in_flight_secs(),
            }),
            Fake::Process(c) => c.counts(),
        }
    }
}

impl FakeChild {
    fn start(org: &Org, config: &FakeConfig) -> anyhow::Result<FakeChild> {
        let org_file =
            std::env::temp_dir().join(format!("host-sim-bench-org-{}-{}.json", std::process::id(), fastrand::u64(..)));
        std::fs::write(&org_file, serde_json::to_vec(org)?)
            .with_context(|| format!("cannot write the organisation file {}", org_file.display()))?;
        let exe = std::env::current_exe().context("cannot find this executable to start the fake WeCom")?;
        let child = Command::new(exe)
            .arg("wecom-sim")
            .arg("--org")
            .arg(&org_file)
            .args(["--port", "0"])
            .args(["--latency-ms", &config.latency_ms.to_string()])
            .args(["--rate-limit-per-min", &config.rate_limit_per_min.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(e) => {
                let _ = std::fs::remove_file(&org_file);
                return Err(e).context("cannot start `host-sim wecom-sim`");
            }
        };
        // From here on, Drop kills the child and removes the file.
        let mut me = FakeChild { child, base_url: String::new(), org_file, _stdout: None };
        let mut stdout = BufReader::new(me.child.stdout.take().context("the fake's stdout")?);
        let mut line = String::new();
        stdout.read_line(&mut line).context("reading the fake's first line")?;
        me._stdout = Some(stdout);
        let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) else {
            bail!("the fake WeCom did not say where it listens (first line: {line:?})");
        };
        me.base_url = url.to_string();
        Ok(me)
    }

    fn counts(&self) -> anyhow::Result<Counts> {
        let authority = self.base_url.trim_start_matches("http://").trim_end_matches('/');
        let mut stream =
            TcpStream::connect(authority).with_context(|| format!("connecting to the fake at {authority}"))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(stream, "GET /_sim/stats HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n")?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).context("the fake's stats answer has no body")?;
        let v: serde_json::Value = serde_json::from_str(body).context("the fake's stats are not JSON")?;
        let requests = v["requests"]
            .as_object()
            .map(|m| m.iter().map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0))).collect())
            .unwrap_or_default();
        Ok(Counts {
            requests,
            total: v["total"].as_u64().unwrap_or(0),
            peak_in_flight: v["peak_in_flight"].as_u64().unwrap_or(0),
            in_flight_secs: v["in_flight_secs"].as_f64().unwrap_or(0.0),
        })
    }
}

impl Drop for FakeChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.org_file);
    }
}
