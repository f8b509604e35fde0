//! Probes: wall time, resident memory (current and peak) and CPU time of this process.
//!
//! Memory and CPU figures come from `/proc/self` on Linux; elsewhere they are `None`.

use std::time::{Duration, Instant};

/// Runs `f` and returns its result with the wall time it took.
///
/// # Examples
///
/// ```
/// let (sum, took) = dpa::bench::measure_time(|| (0..1000u64).sum::<u64>());
/// assert_eq!(sum, 499500);
/// assert!(took.as_secs() < 60);
/// ```
pub fn measure_time<R>(f: impl FnOnce() -> R) -> (R, Duration) {
    let start = Instant::now();
    let r = f();
    (r, start.elapsed())
}

/// Resident memory before and after a piece of work, and the peak during it.
///
/// # Examples
///
/// ```
/// let d = dpa::bench::MemoryDelta { before: Some(100), after: Some(150), peak: Some(200) };
/// assert_eq!(d.delta(), Some(50));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct MemoryDelta {
    /// Resident bytes before.
    pub before: Option<u64>,
    /// Resident bytes after.
    pub after: Option<u64>,
    /// Peak resident bytes during the work (since the peak was reset before it).
    pub peak: Option<u64>,
}

impl MemoryDelta {
    /// `after - before`, in bytes (negative when memory was given back).
    pub fn delta(&self) -> Option<i64> {
        Some(self.after? as i64 - self.before? as i64)
    }
}

/// Runs `f` and returns its result with the resident memory before, after and at peak.
///
/// # Examples
///
/// ```
/// let (v, mem) = dpa::bench::measure_memory(|| vec![1u8; 8 << 20]);
/// assert_eq!(v.len(), 8 << 20);
/// if let (Some(peak), Some(before)) = (mem.peak, mem.before) {
///     assert!(peak >= before);
/// }
/// ```
pub fn measure_memory<R>(f: impl FnOnce() -> R) -> (R, MemoryDelta) {
    reset_peak_rss();
    let before = current_rss_bytes();
    let r = f();
    let after = current_rss_bytes();
    let peak = peak_rss_bytes();
    (
        r,
        MemoryDelta {
            before,
            after,
            peak,
        },
    )
}

fn status_field(name: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// This process's resident memory now, in bytes.
///
/// # Examples
///
/// ```
/// if let Some(rss) = dpa::bench::current_rss_bytes() { assert!(rss > 0); }
/// ```
pub fn current_rss_bytes() -> Option<u64> {
    status_field("VmRSS:")
}

/// This process's peak resident memory (since start, or since [`reset_peak_rss`]).
///
/// # Examples
///
/// ```
/// if let Some(peak) = dpa::bench::peak_rss_bytes() { assert!(peak > 0); }
/// ```
pub fn peak_rss_bytes() -> Option<u64> {
    status_field("VmHWM:")
}

/// Resets the peak resident memory to the current one (Linux 4.0 and later; a no-op
/// where that is not possible).
///
/// # Examples
///
/// ```
/// dpa::bench::reset_peak_rss();
/// ```
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// CPU time (user + system) this process has used so far, in seconds.
///
/// # Examples
///
/// ```
/// if let Some(s) = dpa::bench::cpu_seconds() { assert!(s >= 0.0); }
/// ```
pub fn cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; fields after its ')' are plain.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // Linux reports them in USER_HZ, which is 100 on every Linux ABI.
    Some((utime + stime) / 100.0)
}
