//! Benchmarking: timing and memory probes, a profiler, a runner with warm-up and
//! counted iterations, serde reports, exporters, comparisons, regression checks and a
//! scaling chart.
//!
//! Results are plain serde structs; exporters turn them into JSON, Markdown or CSV
//! text, and the caller decides where the text goes.

#[cfg(feature = "charts")]
mod chart;
mod compare;
mod export;
mod measure;
mod profiler;
mod report;
mod runner;
mod summary;

#[cfg(feature = "charts")]
pub use chart::scaling_chart_svg;
pub use compare::{check_regressions, compare, Change, Comparison, Regression};
pub use export::{to_csv, to_json, to_markdown};
pub use measure::{
    cpu_seconds, current_rss_bytes, measure_memory, measure_time, peak_rss_bytes, reset_peak_rss,
    MemoryDelta,
};
pub use profiler::{OperationStats, Profiler, ProfilerGuard};
pub use report::{BenchParameters, BenchReport, BenchResult, SystemInfo};
pub use runner::BenchmarkRunner;
pub use summary::{outliers, TimeStats};
