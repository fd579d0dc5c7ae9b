//! The benchmark's figures: one serialisable [`Report`] (`--json`) and its text table.

use super::measure::{show_mb, Phase};
use crate::store::Applied;
use interface::ProposalCounts;
use serde::Serialize;
use std::fmt::Write as _;

/// What was asked for.
#[derive(Clone, Debug, Serialize)]
pub struct Params {
    pub users: usize,
    pub departments: usize,
    pub tags: usize,
    pub latency_ms: u64,
    pub rate_limit_per_min: u32,
    pub seed: u64,
    /// `all`, `departments` or `tags`.
    pub scope: String,
    /// Plugin library loaded.
    pub plugin: String,
    /// The ceiling of the plugin's adaptive in-flight bound (`ADAPTIVE_MAX_IN_FLIGHT`).
    pub plugin_max_in_flight: u64,
}

/// The generated organisation.
#[derive(Clone, Debug, Default, Serialize)]
pub struct OrgFacts {
    pub members: usize,
    pub active: usize,
    pub disabled: usize,
    pub unactivated: usize,
    pub left: usize,
    /// Members in two or three departments.
    pub multi_department: usize,
    pub departments: usize,
    pub max_depth: u32,
    pub tags: usize,
    /// Users listed on tags (a user on two tags counts twice).
    pub tag_users: usize,
    pub distinct_names: usize,
    /// The most frequent member name and how often it occurs.
    pub largest_name_group: (String, usize),
}

/// The generated platform side.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PlatformFacts {
    pub accounts: usize,
    pub disabled: usize,
    pub distinct_names: usize,
    pub bindings: usize,
    /// Bindings whose userid WeCom no longer has.
    pub gone_bindings: usize,
}

/// One endpoint's calls.
#[derive(Clone, Debug, Serialize)]
pub struct EndpointCalls {
    pub endpoint: String,
    /// During configure.
    pub configure: u64,
    /// During fetch_scope.
    pub read: u64,
    /// The least the scope needs (configure included).
    pub least: u64,
}

/// What the snapshot holds, against what a complete read must hold.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SnapshotFacts {
    pub members: usize,
    pub expected_members: usize,
    /// Expected members the snapshot lacks.
    pub missing: usize,
    /// Snapshot members that were not expected.
    pub unexpected: usize,
    pub departments: usize,
    pub tags: usize,
    pub complete: bool,
    pub problems: usize,
    /// `api_calls` as the plugin reported it.
    pub api_calls_reported: u64,
}

/// The directory read.
#[derive(Clone, Debug, Serialize)]
pub struct ReadFigures {
    pub configure: Phase,
    /// fetch_scope alone.
    pub read: Phase,
    pub calls: Vec<EndpointCalls>,
    /// Every WeCom call of the run (configure and read).
    pub total_calls: u64,
    pub least_calls: u64,
    pub overhead_pct: f64,
    /// Calls made by fetch_scope.
    pub read_calls: u64,
    pub calls_per_sec: f64,
    /// The fake's count of requests in progress at once.
    pub peak_in_flight: u64,
    /// read_calls × latency / wall time: the concurrency the read achieved on average.
    pub effective_concurrency: f64,
    /// The latency floor at the concurrency used: read_calls × latency / peak_in_flight.
    pub model_secs: f64,
    /// wall time / model.
    pub model_ratio: f64,
    /// The fake's time-weighted average of calls in flight during the read (the calls' summed
    /// time in flight / wall time).
    pub mean_in_flight: f64,
    /// The latency floor at the average concurrency: read_calls × latency / mean_in_flight,
    /// exact for a concurrency that varies (the wall time if no call waited).
    pub mean_model_secs: f64,
    /// wall time / mean_model_secs = the calls' mean time in flight / the added latency.
    pub mean_model_ratio: f64,
    /// The fake ran in its own process.
    pub fake_process: bool,
    /// A sequential client's floor: read_calls × latency (one request at a time, as the usual
    /// SDK is written).
    pub sequential_secs: f64,
    /// sequential_secs / wall time.
    pub speedup_vs_sequential: f64,
    /// Least time the fake's per-API minute limit allows for the busiest endpoint.
    pub limit_floor_secs: f64,
    pub snapshot: SnapshotFacts,
    /// The snapshot's problems (at most 20 shown).
    pub problems: Vec<String>,
}

/// The binding table.
#[derive(Clone, Debug, Serialize)]
pub struct BindingFigures {
    pub members: usize,
    pub accounts: usize,
    pub bindings: usize,
    /// The first run of propose_bindings (time and memory).
    pub propose: Phase,
    /// Seconds of every run, the first included.
    pub propose_runs: Vec<f64>,
    pub propose_median_secs: f64,
    /// Seconds of every commit run, the first included.
    pub commit_runs: Vec<f64>,
    pub commit_median_secs: f64,
    /// Highest resident memory during the repeated runs (the first run's result is still held
    /// then, for comparison), so the process peak counts them too.
    pub repeat_peak_mb: Option<f64>,
    pub rows: ProposalCounts,
    pub table_rows: usize,
    /// Candidates listed on ambiguous rows (each lists the likeliest accounts of its name, at most ten).
    pub candidates: usize,
    pub commit: Phase,
    pub change_departments: usize,
    pub change_create_accounts: usize,
    pub change_create_bindings: usize,
    pub change_remove_bindings: usize,
    /// Importing the accounts and bindings into a fresh SQLite file.
    pub seed_store: Phase,
    /// `Store::apply` of the change set.
    pub apply: Phase,
    pub applied: Applied,
    /// propose's memory growth per input row (member or account), in bytes.
    pub propose_bytes_per_input_row: Option<f64>,
    /// commit's memory growth per input row, in bytes.
    pub commit_bytes_per_input_row: Option<f64>,
}

/// One acceptance target and how this run did.
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    pub what: String,
    pub measured: String,
    /// None: not judged by this run (see `what`).
    pub met: Option<bool>,
}

/// Everything one run measured.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// UTC date of the run.
    pub date: String,
    pub params: Params,
    pub org: OrgFacts,
    pub platform: PlatformFacts,
    pub generate: Phase,
    pub read: ReadFigures,
    pub binding: BindingFigures,
    /// Highest resident memory of the whole run (max of the phases' peaks).
    pub process_peak_mb: Option<f64>,
    pub targets: Vec<Target>,
}

fn secs(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.3} s")
    } else {
        format!("{s:.1} s")
    }
}

/// "median 0.912 s of 3 runs: 1.020 / 0.912 / 0.905 s" (the first run is the one shown above).
fn runs(all: &[f64], median: f64) -> String {
    let each: Vec<String> = all.iter().map(|s| format!("{s:.3}")).collect();
    format!("median {} of {} runs: {} s", secs(median), all.len(), each.join(" / "))
}

fn mem(p: &Phase) -> String {
    let scope = if p.peak_is_per_phase { "" } else { " (process peak: the mark could not be reset)" };
    format!(
        "RSS before {}, peak {}, growth {}{scope}",
        show_mb(p.rss_before_mb),
        show_mb(p.peak_mb),
        p.growth_mb.map_or_else(|| "n/a".into(), |g| format!("+{g:.1} MB"))
    )
}

/// The text table.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail; the results are ignored on purpose.
    let p = &r.params;
    let o = &r.org;
    let _ = writeln!(s, "host-sim bench  {}  (plugin {})", r.date, p.plugin);
    let _ = writeln!(
        s,
        "  flags        --users {} --departments {} --tags {} --latency-ms {} --rate-limit-per-min {} --seed {} --scope {}",
        p.users, p.departments, p.tags, p.latency_ms, p.rate_limit_per_min, p.seed, p.scope
    );
    let _ = writeln!(
        s,
        "  WeCom org    {} members (active {}, disabled {}, unactivated {}, left {}; {} in 2-3 departments)",
        o.members, o.active, o.disabled, o.unactivated, o.left, o.multi_department
    );
    let _ = writeln!(
        s,
        "               {} departments ({} levels), {} tags ({} tag users); {} distinct names, most common {} x{}",
        o.departments,
        o.max_depth,
        o.tags,
        o.tag_users,
        o.distinct_names,
        o.largest_name_group.0,
        o.largest_name_group.1
    );
    let pl = &r.platform;
    let _ = writeln!(
        s,
        "  platform     {} accounts ({} disabled, {} distinct names), {} bindings ({} to userids WeCom no longer has)",
        pl.accounts, pl.disabled, pl.distinct_names, pl.bindings, pl.gone_bindings
    );
    let _ = writeln!(s, "  generated in {}; {}", secs(r.generate.secs), mem(&r.generate));

    let rd = &r.read;
    let _ = writeln!(s, "\nDirectory read (configure, then fetch_scope)");
    let _ = writeln!(s, "  {:<18} {:>9} {:>9} {:>9} {:>9}", "endpoint", "configure", "read", "total", "least");
    for c in &rd.calls {
        let _ = writeln!(
            s,
            "  {:<18} {:>9} {:>9} {:>9} {:>9}",
            c.endpoint,
            c.configure,
            c.read,
            c.configure + c.read,
            c.least
        );
    }
    let configure_total: u64 = rd.calls.iter().map(|c| c.configure).sum();
    let _ = writeln!(
        s,
        "  {:<18} {:>9} {:>9} {:>9} {:>9}   overhead {:+} calls ({:+.2} %)",
        "total",
        configure_total,
        rd.read_calls,
        rd.total_calls,
        rd.least_calls,
        rd.total_calls as i64 - rd.least_calls as i64,
        rd.overhead_pct
    );
    let _ = writeln!(s, "  configure          {}", secs(rd.configure.secs));
    let _ = writeln!(s, "  fetch_scope        {}   {:.1} calls/s", secs(rd.read.secs), rd.calls_per_sec);
    let _ = writeln!(
        s,
        "  latency floor      {} = {} calls x {} ms / {} in flight (peak used; ceiling {}); measured/floor = {:.2}",
        secs(rd.model_secs),
        rd.read_calls,
        p.latency_ms,
        rd.peak_in_flight,
        p.plugin_max_in_flight,
        rd.model_ratio
    );
    let _ = writeln!(
        s,
        "  sequential floor   {} = {} calls x {} ms one at a time; {:.1}x faster than that",
        secs(rd.sequential_secs),
        rd.read_calls,
        p.latency_ms,
        rd.speedup_vs_sequential
    );
    if rd.limit_floor_secs > 0.0 {
        let _ = writeln!(
            s,
            "  rate limit         {}/min per API: the busiest endpoint needs at least {} by the limit alone",
            p.rate_limit_per_min,
            secs(rd.limit_floor_secs)
        );
    }
    let _ = writeln!(
        s,
        "  latency floor      {} = {} calls x {} ms / {:.1} in flight (time-weighted average at the fake); measured/floor = {:.2}",
        secs(rd.mean_model_secs),
        rd.read_calls,
        p.latency_ms,
        rd.mean_in_flight,
        rd.mean_model_ratio
    );
    let _ = writeln!(
        s,
        "  in flight          peak {} (fake's count); time-weighted average {:.1}; calls x latency / wall {:.1}",
        rd.peak_in_flight, rd.mean_in_flight, rd.effective_concurrency
    );
    let _ = writeln!(
        s,
        "  fake WeCom         {}",
        if rd.fake_process { "its own process (--fake-process)" } else { "in this process" }
    );
    let _ = writeln!(s, "  memory             {}", mem(&rd.read));
    let sn = &rd.snapshot;
    let _ = writeln!(
        s,
        "  snapshot           {} members ({} expected, {} missing, {} unexpected), {} departments, {} tags",
        sn.members, sn.expected_members, sn.missing, sn.unexpected, sn.departments, sn.tags
    );
    let _ = writeln!(
        s,
        "                     {}, {} problems (errors), plugin counted {} API calls",
        if sn.complete { "complete" } else { "INCOMPLETE" },
        sn.problems,
        sn.api_calls_reported
    );
    for problem in &rd.problems {
        let _ = writeln!(s, "                     - {problem}");
    }

    let b = &r.binding;
    let _ = writeln!(
        s,
        "\nBinding table ({} members x {} accounts, {} existing bindings)",
        b.members, b.accounts, b.bindings
    );
    let c = &b.rows;
    let _ = writeln!(
        s,
        "  propose_bindings   {}   {} rows: bound {}, name match {}, departments differ {}, renames {}, ambiguous {} ({} candidates listed), new {}, left {}",
        secs(b.propose.secs),
        b.table_rows,
        c.already_bound,
        c.name_matches,
        c.name_departments_differ,
        c.renames,
        c.ambiguous,
        b.candidates,
        c.no_match,
        c.left_wecom
    );
    let _ = writeln!(s, "                     {}", runs(&b.propose_runs, b.propose_median_secs));
    let _ = writeln!(s, "                     {}", mem(&b.propose));
    let _ = writeln!(
        s,
        "  commit (no edits)  {}   change set: {} departments, {} new accounts, {} bindings, {} removals",
        secs(b.commit.secs),
        b.change_departments,
        b.change_create_accounts,
        b.change_create_bindings,
        b.change_remove_bindings
    );
    let _ = writeln!(s, "                     {}", runs(&b.commit_runs, b.commit_median_secs));
    let _ = writeln!(s, "                     {}", mem(&b.commit));
    let per_row = |v: Option<f64>| v.map_or_else(|| "n/a".into(), |v| format!("{v:.0} B"));
    let _ = writeln!(
        s,
        "  growth per input row (member or account): propose {}, commit {}",
        per_row(b.propose_bytes_per_input_row),
        per_row(b.commit_bytes_per_input_row)
    );
    let _ = writeln!(
        s,
        "  store: seed        {}   ({} accounts, {} bindings into a new SQLite file)",
        secs(b.seed_store.secs),
        b.accounts,
        b.bindings
    );
    let a = &b.applied;
    let _ = writeln!(
        s,
        "  store: apply       {}   {} accounts created, {} bindings created, {} removed, {} departments written",
        secs(b.apply.secs),
        a.accounts_created,
        a.bindings_created,
        a.bindings_removed,
        a.departments_written
    );
    let _ = writeln!(s, "                     {}", mem(&b.apply));
    let _ = writeln!(s, "\nProcess peak memory  {}", show_mb(r.process_peak_mb));

    let _ = writeln!(s, "\nTargets");
    for t in &r.targets {
        let mark = match t.met {
            Some(true) => "met   ",
            Some(false) => "MISSED",
            None => "  -   ",
        };
        let _ = writeln!(s, "  [{mark}] {:<52} {}", t.what, t.measured);
    }
    s
}

/// `YYYY-MM-DD` (UTC) of a Unix time.
pub fn utc_date(unix_secs: i64) -> String {
    // Days to civil date (H. Hinnant's algorithm).
    let z = unix_secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_735_689_599), "2024-12-31");
    }
}
