//! Exporters: a report as JSON, Markdown or CSV text. Where the text goes is the
//! caller's business.

use super::report::BenchReport;

/// The report as pretty JSON (the baseline format).
pub fn to_json(report: &BenchReport) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|_| "{}".into()) + "\n"
}

fn mib(b: Option<u64>) -> String {
    b.map_or("-".into(), |b| {
        format!("{:.1}", b as f64 / (1 << 20) as f64)
    })
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or("-".into(), f)
}

/// The report as a Markdown table.
///
/// # Examples
///
/// ```
/// let md = dpa::bench::to_markdown(&dpa::bench::BenchReport::new(Vec::new()));
/// assert!(md.contains("| benchmark |"));
/// ```
pub fn to_markdown(report: &BenchReport) -> String {
    let s = &report.system;
    let mut out = format!(
        "dpa {} on {} ({} cores, {:.1} GiB, {})\n\n",
        report.dpa_version,
        s.cpu,
        s.cores,
        s.memory as f64 / (1u64 << 30) as f64,
        s.os
    );
    out.push_str("| benchmark | threads | samples | median s | mean s | min s | max s | stddev s | samples/s | peak RSS MiB | CPU % | efficiency | outliers |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in &report.results {
        let t = &r.time_seconds;
        out.push_str(&format!(
            "| {} | {} | {} | {:.4} | {:.4} | {:.4} | {:.4} | {} | {:.0} | {} | {} | {} | {} |\n",
            r.name,
            r.parameters.threads,
            r.parameters.samples,
            t.median,
            t.mean,
            t.min,
            t.max,
            opt(t.stddev, |v| format!("{v:.4}")),
            r.throughput_samples_per_second,
            mib(r.peak_rss_bytes),
            opt(r.cpu_percent, |v| format!("{v:.0}")),
            opt(r.efficiency, |v| format!("{v:.2}")),
            r.outliers.len()
        ));
    }
    out
}

/// The report as CSV, one row per result.
///
/// # Examples
///
/// ```
/// let csv = dpa::bench::to_csv(&dpa::bench::BenchReport::new(Vec::new()));
/// assert!(csv.starts_with("name,threads,samples,"));
/// ```
pub fn to_csv(report: &BenchReport) -> String {
    let mut out = String::from(
        "name,threads,samples,strategy,iterations,min_s,median_s,mean_s,max_s,stddev_s,throughput_samples_per_second,peak_rss_bytes,cpu_percent,efficiency,outliers\n",
    );
    let field = |v: Option<String>| v.unwrap_or_default();
    for r in &report.results {
        let t = &r.time_seconds;
        let name = if r.name.contains([',', '"']) {
            format!("\"{}\"", r.name.replace('"', "\"\""))
        } else {
            r.name.clone()
        };
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            name,
            r.parameters.threads,
            r.parameters.samples,
            field(r.parameters.strategy.clone()),
            r.iterations,
            t.min,
            t.median,
            t.mean,
            t.max,
            field(t.stddev.map(|v| v.to_string())),
            r.throughput_samples_per_second,
            field(r.peak_rss_bytes.map(|v| v.to_string())),
            field(r.cpu_percent.map(|v| format!("{v:.1}"))),
            field(r.efficiency.map(|v| v.to_string())),
            r.outliers.len()
        ));
    }
    out
}
