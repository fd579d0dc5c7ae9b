//! Process memory as Linux reports it, and the phase bookkeeping built on it.
//!
//! Figures come from `/proc/self/status`: `VmRSS` (resident now) and `VmHWM` (the resident
//! high-water mark). Writing `5` to `/proc/self/clear_refs` resets the high-water mark to the
//! current RSS (Linux 4.0+), which gives a peak per phase. Elsewhere every figure is `None`
//! ("n/a"). Everything in the process counts: the fake WeCom and its copies of the organisation
//! live in the same process as the plugin.

use serde::Serialize;
use std::time::Instant;

/// Bytes in a `kB` of `/proc` (which means KiB).
const KIB: f64 = 1024.0;
/// The unit the figures are printed in (decimal megabytes, as the targets are written).
const MB: f64 = 1_000_000.0;

fn status_field_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// Resident memory now, in MB.
pub fn rss_mb() -> Option<f64> {
    status_field_kib("VmRSS").map(|k| k as f64 * KIB / MB)
}

/// Resident high-water mark, in MB.
pub fn peak_mb() -> Option<f64> {
    status_field_kib("VmHWM").map(|k| k as f64 * KIB / MB)
}

/// Gives the memory the allocator holds free back to the system (glibc's `malloc_trim`; nothing
/// elsewhere). A process that ran an earlier step keeps the pages that step freed, so a step run
/// after it would count them in its peak; a separate `host-sim` process starts without them.
pub fn return_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: glibc's malloc_trim takes a byte count, touches only the allocator's free
        // lists (under its own locks) and is safe to call at any time from any thread.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Resets the high-water mark to the current RSS; false when the system does not allow it.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Time and memory of one phase.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Phase {
    /// Wall time in seconds.
    pub secs: f64,
    /// Resident memory when the phase started (MB).
    pub rss_before_mb: Option<f64>,
    /// Highest resident memory during the phase (MB). When the high-water mark could not be
    /// reset, this is the process peak so far.
    pub peak_mb: Option<f64>,
    /// `peak_mb - rss_before_mb`.
    pub growth_mb: Option<f64>,
    /// Whether `peak_mb` is this phase's own peak (mark reset at its start).
    pub peak_is_per_phase: bool,
}

/// Runs `f` as one phase: resets the high-water mark, times it, and reads the peak after.
pub fn phase<T>(f: impl FnOnce() -> T) -> (T, Phase) {
    let per_phase = reset_peak();
    let rss_before_mb = rss_mb();
    let started = Instant::now();
    let value = f();
    let secs = started.elapsed().as_secs_f64();
    let peak = peak_mb();
    let growth_mb = match (peak, rss_before_mb) {
        (Some(p), Some(b)) => Some((p - b).max(0.0)),
        _ => None,
    };
    (value, Phase { secs, rss_before_mb, peak_mb: peak, growth_mb, peak_is_per_phase: per_phase })
}

/// "123.4 MB", or "n/a".
pub fn show_mb(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.1} MB"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_times_and_reads_memory_where_available() {
        let (v, p) = phase(|| vec![7u8; 4 << 20].iter().map(|&b| u64::from(b)).sum::<u64>());
        assert_eq!(v, 7 * (4 << 20));
        assert!(p.secs >= 0.0);
        if cfg!(target_os = "linux") {
            assert!(p.rss_before_mb.is_some() && p.peak_mb.is_some());
        }
        assert_eq!(show_mb(None), "n/a");
        // Harmless at any time, and never makes the process bigger.
        let before = rss_mb();
        return_free_memory();
        if let (Some(before), Some(after)) = (before, rss_mb()) {
            assert!(after <= before + 1.0, "{before} -> {after}");
        }
        assert_eq!(show_mb(Some(12.34)), "12.3 MB");
    }
}
