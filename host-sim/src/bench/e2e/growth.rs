//! `host-sim bench --e2e --growth`: the operator's path at a quarter, half and all of `--users`
//! (departments scaled alike), each as `--e2e` runs it, then how every step grew per doubling.
//!
//! Linear is judged on memory, which repeats within about 1 % between runs here: every command's
//! peak may grow at most [`MAX_MEMORY_GROWTH`] per doubling (a constant part makes a linear step
//! grow less than 2×; a step that holds pairs of a name's members and accounts grows more).
//! Wall times are printed beside it and not judged: on a shared machine they move by up to 1.5×
//! between identical runs.

use super::{processes, render, E2eReport, MemoryOf};
use crate::bench::BenchArgs;
use serde::Serialize;
use std::io::Write;

/// Most a command's peak memory may grow when the members double, to be called linear: 2× and
/// the noise of the measurement.
pub const MAX_MEMORY_GROWTH: f64 = 2.05;

/// How one step grew from one size to the next.
#[derive(Debug, Clone, Serialize)]
pub struct StepGrowth {
    /// The command, as typed.
    pub command: String,
    /// Whose memory the peaks are.
    pub memory_of: MemoryOf,
    /// Peak memory at each size / at the size before (one fewer than the sizes).
    pub memory: Vec<Option<f64>>,
    /// Wall time at each size / at the size before.
    pub time: Vec<f64>,
}

/// The figures of a `--growth` run.
#[derive(Debug, Clone, Serialize)]
pub struct GrowthReport {
    /// The sizes run, in members.
    pub sizes: Vec<usize>,
    /// Each size's run.
    pub runs: Vec<E2eReport>,
    /// Each step's growth.
    pub steps: Vec<StepGrowth>,
    /// Every command's memory grew at most [`MAX_MEMORY_GROWTH`] per doubling.
    pub memory_linear: bool,
}

/// The sizes for `users`: a quarter, a half, all.
pub fn sizes(users: usize) -> Vec<usize> {
    vec![users / 4, users / 2, users]
}

/// Runs the path at each size and reports the growth.
pub fn run(args: &BenchArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    if args.users < 40 {
        anyhow::bail!(
            "--growth 需要 --users 至少 40 / --growth needs --users of at least 40 (it runs a quarter of it)"
        );
    }
    let sizes = sizes(args.users);
    let mut runs = Vec::with_capacity(sizes.len());
    for &users in &sizes {
        let mut at = args.clone();
        at.users = users;
        at.departments = (args.departments * users / args.users).max(1);
        runs.push(processes::run(&at)?);
    }
    let report = growth(sizes, runs);
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        for run in &report.runs {
            write!(out, "{}", render(run))?;
        }
        write!(out, "{}", render_growth(&report))?;
    }
    Ok(true)
}

/// Each step's growth between consecutive runs (the runs list the same steps in the same order).
pub fn growth(sizes: Vec<usize>, runs: Vec<E2eReport>) -> GrowthReport {
    let steps: Vec<StepGrowth> = runs
        .first()
        .map(|first| {
            (0..first.steps.len())
                .map(|i| {
                    let ratio = |pair: &[E2eReport]| {
                        let (a, b) = (&pair[0].steps[i].phase, &pair[1].steps[i].phase);
                        let memory = a.peak_mb.zip(b.peak_mb).map(|(a, b)| b / a.max(f64::MIN_POSITIVE));
                        (memory, b.secs / a.secs.max(f64::MIN_POSITIVE))
                    };
                    let (memory, time) = runs.windows(2).map(ratio).unzip();
                    StepGrowth {
                        command: first.steps[i].command.clone(),
                        memory_of: first.steps[i].memory_of,
                        memory,
                        time,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let memory_linear = steps
        .iter()
        .filter(|s| s.memory_of == MemoryOf::Command)
        .all(|s| s.memory.iter().all(|m| m.is_some_and(|m| m <= MAX_MEMORY_GROWTH)));
    GrowthReport { sizes, runs, steps, memory_linear }
}

/// The growth table as text.
pub fn render_growth(r: &GrowthReport) -> String {
    let sizes: Vec<String> = r.sizes.iter().map(|n| n.to_string()).collect();
    let mut s = format!(
        "增长 / growth per doubling ({}): 内存 / memory ×, 时间 / time ×\n| step | memory × | time × |\n|---|---|---|\n",
        sizes.join(" → ")
    );
    let show = |v: &[f64]| v.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(" / ");
    for st in &r.steps {
        let memory: Vec<String> = st.memory.iter().map(|m| m.map_or("—".into(), |m| format!("{m:.2}"))).collect();
        s.push_str(&format!("| {} | {} | {} |\n", st.command, memory.join(" / "), show(&st.time)));
    }
    let verdict = if r.memory_linear { "met / 达标" } else { "MISSED / 未达标" };
    s.push_str(&format!(
        "每步线性 / every step linear (each command's peak memory ≤ {MAX_MEMORY_GROWTH}× per doubling; time shown, \
         not judged): {verdict}\n"
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::e2e::Step;
    use crate::bench::measure::Phase;

    fn run_with(peaks: &[(MemoryOf, f64, f64)]) -> E2eReport {
        let steps = peaks
            .iter()
            .enumerate()
            .map(|(i, &(memory_of, peak, secs))| Step {
                command: format!("step {i}"),
                phase: Phase {
                    secs,
                    rss_before_mb: None,
                    peak_mb: Some(peak),
                    growth_mb: None,
                    peak_is_per_phase: true,
                },
                memory_of,
                api_calls: 0,
                peak_in_flight: 0,
                lines: 1,
                bytes: 1,
            })
            .collect();
        E2eReport {
            mode: "processes",
            date: String::new(),
            users: 0,
            departments: 0,
            tags: 0,
            accounts: 0,
            latency_ms: 0,
            steps,
            total_secs: 0.0,
            peak_mb: None,
            fake_peak_mb: None,
            table_rows: None,
            changes: None,
            store_accounts: None,
            store_bindings: None,
        }
    }

    #[test]
    fn a_command_whose_memory_more_than_doubles_is_not_linear_and_the_bench_is_not_judged() {
        use MemoryOf::{Bench, Command};
        let runs = |last: f64| {
            vec![
                run_with(&[(Bench, 10.0, 1.0), (Command, 100.0, 1.0)]),
                run_with(&[(Bench, 30.0, 3.0), (Command, 195.0, 2.5)]),
                run_with(&[(Bench, 90.0, 9.0), (Command, last, 5.0)]),
            ]
        };
        let linear = growth(vec![25, 50, 100], runs(390.0));
        assert!(linear.memory_linear, "the bench's own step (3x) is shown, not judged");
        assert_eq!(linear.steps[1].memory, [Some(1.95), Some(2.0)]);
        assert_eq!(linear.steps[1].time, [2.5, 2.0]);
        let text = render_growth(&linear);
        assert!(text.contains("| step 1 | 1.95 / 2.00 | 2.50 / 2.00 |") && text.contains("met / 达标"), "{text}");
        let quadratic = growth(vec![25, 50, 100], runs(430.0));
        assert!(!quadratic.memory_linear);
        assert!(render_growth(&quadratic).contains("MISSED / 未达标"));
    }

    #[test]
    fn sizes_are_a_quarter_a_half_and_all() {
        assert_eq!(sizes(100_000), [25_000, 50_000, 100_000]);
    }
}
