//! `host-sim bench --e2e` at a small size, through the real child processes (the fake WeCom as
//! `host-sim wecom-sim`, each step its own `host-sim` process): every step is reported with its
//! figures, and the temporary folder is gone afterwards, on success and on a failing step. Not
//! timed: the sizes are too small to say anything about speed.

mod common;

use common::{plugin_path, EXE};
use std::process::Command;

/// The bench's temporary folder for the bench process `pid`.
fn bench_dir(pid: u32) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("host-sim-e2e-{pid}"))
}

#[test]
fn e2e_runs_every_step_as_its_own_process_and_reports_it() {
    let child = Command::new(EXE)
        .args(["bench", "--e2e", "--users", "300", "--departments", "15", "--tags", "5", "--latency-ms", "0", "--json"])
        .arg("--plugin")
        .arg(plugin_path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("host-sim runs");
    let pid = child.id();
    let output = child.wait_with_output().expect("host-sim ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["mode"], "processes");
    let steps = report["steps"].as_array().expect("steps");
    let commands: Vec<&str> = steps.iter().map(|s| s["command"].as_str().expect("command")).collect();
    assert_eq!(
        commands,
        [
            "generate (in the bench: org.json, accounts.json)",
            "host-sim accounts import accounts.json --db host-sim.db",
            "host-sim sync $W",
            "host-sim commit --dry-run $W",
            "host-sim commit $W",
        ]
    );
    assert_eq!(steps[0]["memory_of"], "bench");
    for step in &steps[1..] {
        assert_eq!(step["memory_of"], "command", "{step}");
        assert!(step["lines"].as_u64().expect("lines") > 0, "every command prints: {step}");
        assert!(step["phase"]["secs"].as_f64().expect("secs") > 0.0, "{step}");
        if cfg!(target_os = "linux") {
            // A command's own peak: a few MB at least, far from the bench's.
            let peak = step["phase"]["peak_mb"].as_f64().expect("peak measured on Linux");
            assert!(peak > 1.0, "{step}");
        }
    }
    // Only sync reads WeCom: configure, then the scope (the fake counted it, not the bench).
    let calls: Vec<u64> = steps.iter().map(|s| s["api_calls"].as_u64().expect("calls")).collect();
    assert_eq!(calls[0], 0);
    assert_eq!(calls[1], 0);
    assert!(calls[2] >= 15 + 3, "sync reads every department: {calls:?}");
    assert_eq!(&calls[3..], [0, 0], "commit calls nothing: {calls:?}");
    // The commit applied: every member has an account, the name matches are bound.
    assert!(report["store_accounts"].as_u64().expect("accounts") >= 300, "{report}");
    assert!(report["store_bindings"].as_u64().expect("bindings") > 0, "{report}");
    if cfg!(target_os = "linux") {
        assert!(report["fake_peak_mb"].as_f64().is_some(), "{report}");
        assert!(report["peak_mb"].as_f64().is_some(), "{report}");
    }
    assert!(!bench_dir(pid).exists(), "the temporary folder is removed");
}

#[test]
fn a_failing_step_is_reported_and_cleaned_up() {
    let missing = std::env::temp_dir().join(format!("no-such-plugin-{}.so", std::process::id()));
    let child = Command::new(EXE)
        .args(["bench", "--e2e", "--users", "50", "--departments", "5", "--tags", "2", "--latency-ms", "0"])
        .arg("--plugin")
        .arg(&missing)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("host-sim runs");
    let pid = child.id();
    let output = child.wait_with_output().expect("host-sim ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("步骤失败 / step failed: host-sim sync $W"), "{stderr}");
    assert!(!bench_dir(pid).exists(), "the temporary folder is removed");
}

/// `--growth` runs the path at a quarter, a half and all of `--users` and reports each step's
/// growth per doubling (the verdict is the bench's; at these sizes it says nothing about speed).
#[test]
fn growth_runs_three_sizes_and_reports_each_steps_growth() {
    let output = Command::new(EXE)
        .args(["bench", "--e2e", "--growth", "--users", "400", "--departments", "20", "--tags", "5"])
        .args(["--latency-ms", "0", "--json", "--plugin"])
        .arg(plugin_path())
        .output()
        .expect("host-sim runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["sizes"], serde_json::json!([100, 200, 400]));
    let runs = report["runs"].as_array().expect("runs");
    let members: Vec<u64> = runs.iter().map(|r| r["users"].as_u64().expect("users")).collect();
    assert_eq!(members, [100, 200, 400]);
    let departments: Vec<u64> = runs.iter().map(|r| r["departments"].as_u64().expect("departments")).collect();
    assert_eq!(departments, [5, 10, 20], "departments scaled with the members");
    let steps = report["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 5);
    for step in steps {
        assert_eq!(step["time"].as_array().expect("time").len(), 2, "{step}");
        assert_eq!(step["memory"].as_array().expect("memory").len(), 2, "{step}");
    }
    assert!(report["memory_linear"].is_boolean());
}

#[test]
fn growth_needs_e2e() {
    let output = Command::new(EXE).args(["bench", "--growth", "--users", "400"]).output().expect("host-sim runs");
    assert_ne!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--e2e"), "{}", String::from_utf8_lossy(&output.stderr));
}
