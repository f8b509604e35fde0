//! The benchmarking subsystem: statistics on known inputs, the regression gate with
//! faster and slower baselines, exporters, the chart, and the `dpa bench` command
//! (including agreement with an outside timing of the same work).

use std::collections::BTreeMap;
use std::time::Instant;

use assert_cmd::Command;
use dpa::bench::*;
use predicates::prelude::*;

fn params(threads: usize, samples: u64) -> BenchParameters {
    BenchParameters {
        threads,
        samples,
        strategy: None,
        extra: BTreeMap::new(),
    }
}

fn result(name: &str, threads: usize, samples: u64, times: &[f64]) -> BenchResult {
    BenchmarkRunner {
        warmup: 0,
        iterations: times.len(),
    }
    .result_from_times(name, params(threads, samples), times)
}

#[test]
fn time_stats_on_known_inputs() {
    let s = TimeStats::from_samples(&[3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]).unwrap();
    assert_eq!(s.min, 1.0);
    assert_eq!(s.max, 9.0);
    assert_eq!(s.median, 3.5);
    assert_eq!(s.mean, 31.0 / 8.0);
    // Sum of squared deviations from 3.875 is 52.875; divided by 7.
    assert!((s.stddev.unwrap() - (52.875f64 / 7.0).sqrt()).abs() < 1e-15);
    assert_eq!(TimeStats::from_samples(&[]), None);
    assert_eq!(TimeStats::from_samples(&[f64::NAN, 1.0]), None);
    let one = TimeStats::from_samples(&[0.25]).unwrap();
    assert_eq!(
        (one.min, one.median, one.max, one.stddev),
        (0.25, 0.25, 0.25, None)
    );
}

#[test]
fn outliers_by_modified_z_score() {
    // median 10, MAD 0.5: z(12) = 0.6745 * 2 / 0.5 = 2.7 (kept), z(30) = 27 (outlier).
    let xs = [10.0, 10.5, 9.5, 10.0, 12.0, 30.0, 9.5];
    assert_eq!(outliers(&xs), vec![5]);
    assert_eq!(outliers(&[1.0, 1.0, 1.0, 1.0]), Vec::<usize>::new());
    assert_eq!(outliers(&[1.0, 1.0, 1.0, 2.0]), vec![3]);
}

#[test]
fn throughput_and_efficiency_follow_the_times() {
    let r = result("x", 1, 1_000, &[0.5, 0.25, 1.0]);
    assert_eq!(r.time_seconds.median, 0.5);
    assert_eq!(r.throughput_samples_per_second, 2_000.0);
    let mut report = BenchReport::new(vec![
        result("t1", 1, 1000, &[1.0]),
        result("t2", 2, 1000, &[0.625]),
        result("t4", 4, 1000, &[0.5]),
    ]);
    report.compute_efficiency();
    let eff: Vec<f64> = report
        .results
        .iter()
        .map(|r| r.efficiency.unwrap())
        .collect();
    assert_eq!(eff, [1.0, 0.8, 0.5]);
    // Weak scaling: the work grows with the threads; the same per-sample time is 100%.
    let mut weak = BenchReport::new(vec![
        result("r1", 1, 1000, &[1.0]),
        result("r2", 2, 2000, &[1.0]),
    ]);
    weak.compute_efficiency();
    assert_eq!(weak.results[1].efficiency, Some(1.0));
}

#[test]
fn regression_gate_with_faster_and_slower_baselines() {
    let current = BenchReport::new(vec![
        result("gen", 1, 1000, &[1.0]),
        result("new", 1, 1000, &[1.0]),
    ]);
    let faster_baseline = BenchReport::new(vec![result("gen", 1, 1000, &[0.8])]); // 1250/s
    let slower_baseline = BenchReport::new(vec![result("gen", 1, 1000, &[1.2])]);
    let (r, unmatched) = check_regressions(&current, &faster_baseline, 10.0);
    assert_eq!(r.len(), 1);
    assert!((r[0].change_pct + 20.0).abs() < 1e-9);
    assert_eq!(unmatched, vec!["new".to_string()]);
    // A 20% drop passes a 25% gate.
    assert!(check_regressions(&current, &faster_baseline, 25.0)
        .0
        .is_empty());
    assert!(check_regressions(&current, &slower_baseline, 0.0)
        .0
        .is_empty());
}

#[test]
fn comparisons_recommend_only_from_the_figures() {
    let base = result("small", 1, 1000, &[1.0]);
    let mut big = result("big", 1, 1000, &[0.98]);
    big.peak_rss_bytes = Some(300 << 20);
    let mut base_mem = base.clone();
    base_mem.peak_rss_bytes = Some(100 << 20);
    let c = compare(&base_mem, &[big]);
    assert!((c.changes[0].memory_pct.unwrap() - 200.0).abs() < 1e-9);
    assert!(c.recommendations.iter().any(|r| r.contains("more memory")));
}

#[test]
fn differences_within_noise_are_not_recommended() {
    let base = result("a", 1, 1000, &[1.0, 1.02, 0.98]);
    let close = result("b", 1, 1000, &[0.99, 0.98, 1.0]);
    let c = compare(&base, &[close]);
    assert!(
        c.recommendations[0].starts_with("keep a"),
        "{:?}",
        c.recommendations
    );
    let far = result("c", 1, 1000, &[0.5, 0.5, 0.5]);
    assert!(compare(&base, &[far]).recommendations[0].starts_with("use c"));
}

#[test]
fn exporters_carry_every_result() {
    let mut report = BenchReport::new(vec![
        result("a,b", 1, 10, &[1.0, 2.0]),
        result("c", 2, 10, &[0.6]),
    ]);
    report.compute_efficiency();
    let json = to_json(&report);
    let back: BenchReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for key in ["dpa_version", "system", "results"] {
        assert!(v.get(key).is_some(), "{key}");
    }
    for key in [
        "name",
        "parameters",
        "iterations",
        "time_seconds",
        "throughput_samples_per_second",
        "peak_rss_bytes",
        "efficiency",
        "outliers",
    ] {
        assert!(v["results"][0].get(key).is_some(), "{key}");
    }
    let csv = to_csv(&report);
    assert_eq!(csv.lines().count(), 3);
    assert!(csv.contains("\"a,b\","));
    let md = to_markdown(&report);
    assert_eq!(
        md.lines()
            .filter(|l| l.starts_with("| a,b") || l.starts_with("| c "))
            .count(),
        2
    );
    let svg = scaling_chart_svg(&report, "threads").unwrap();
    assert!(svg.contains("</svg>"));
    assert!(scaling_chart_svg(&BenchReport::new(vec![]), "threads").is_err());
}

#[test]
fn profiler_counts_calls() {
    let mut p = Profiler::new();
    for _ in 0..3 {
        p.time("op", || std::hint::black_box(1 + 1));
    }
    let op = p.get("op").unwrap();
    assert_eq!(op.calls, 3);
    assert!(op.mean_seconds() <= op.total_seconds);
}

/// A short scaling run, the same in every step of the baseline test.
const SCALING_RUN: [&str; 10] = [
    "bench",
    "scaling",
    "-n",
    "20000",
    "--threads",
    "1,2",
    "--iterations",
    "2",
    "--warmup",
    "0",
];

fn dpa() -> Command {
    Command::cargo_bin("dpa").unwrap()
}

#[test]
fn bench_command_writes_the_documented_schema_and_gates_on_a_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("run.json");
    dpa()
        .args(SCALING_RUN)
        .arg("--export-json")
        .arg(&json)
        .arg("--plot")
        .arg(dir.path().join("s.svg"))
        .arg("--export-csv")
        .arg(dir.path().join("s.csv"))
        .assert()
        .success()
        .stdout(predicate::str::contains("scaling/threads=2"));
    let report: BenchReport =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report.results.len(), 2);
    assert_eq!(report.results[0].efficiency, Some(1.0));
    assert!(std::fs::read_to_string(dir.path().join("s.svg"))
        .unwrap()
        .contains("<svg"));

    // A baseline ten times faster than anything here: regression, exit 1.
    let mut faster = report.clone();
    for r in &mut faster.results {
        r.throughput_samples_per_second *= 10.0;
    }
    let fast_path = dir.path().join("fast.json");
    std::fs::write(&fast_path, to_json(&faster)).unwrap();
    dpa()
        .args(SCALING_RUN)
        .arg("--baseline")
        .arg(&fast_path)
        .args(["--max-regression", "20"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("REGRESSION"))
        .stderr(predicate::str::contains("regression"));
    // A baseline ten times slower: no regression, exit 0.
    let mut slower = report;
    for r in &mut slower.results {
        r.throughput_samples_per_second /= 10.0;
    }
    let slow_path = dir.path().join("slow.json");
    std::fs::write(&slow_path, to_json(&slower)).unwrap();
    dpa()
        .args(SCALING_RUN)
        .arg("--baseline")
        .arg(&slow_path)
        .assert()
        .success();
    // A file that is not a report: exit 1 naming it.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{}").unwrap();
    dpa()
        .args(["bench", "generation", "-n", "1000", "--baseline"])
        .arg(&bad)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("bad.json"));
    dpa()
        .args(["bench", "generation", "--threads", "0"])
        .assert()
        .code(2);
    dpa()
        .args(["bench", "generation", "--iterations", "0"])
        .assert()
        .code(2);
}

#[test]
fn reported_throughput_agrees_with_an_outside_timing() {
    // The same work two ways: `dpa bench generation` reports samples/s, and the wall
    // time of a whole `dpa generate` process (start-up and writing included) gives
    // another. They must agree within a small factor.
    let n = 300_000u64;
    let out = dpa()
        .args([
            "bench",
            "generation",
            "--threads",
            "1",
            "--iterations",
            "3",
            "--export-json",
            "-",
        ])
        .args(["-n", &n.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: BenchReport = serde_json::from_slice(&out.stdout).unwrap();
    let reported = report.results[0].throughput_samples_per_second;
    let started = Instant::now();
    dpa()
        .args([
            "generate",
            "-q",
            "--threads",
            "1",
            "--format",
            "bincode",
            "--no-stats",
            "-o",
            "/dev/null",
        ])
        .args(["-n", &n.to_string()])
        .assert()
        .success();
    let outside = n as f64 / started.elapsed().as_secs_f64();
    let ratio = reported / outside;
    assert!(
        (0.25..4.0).contains(&ratio),
        "bench says {reported:.0}/s, outside timing {outside:.0}/s"
    );
}
