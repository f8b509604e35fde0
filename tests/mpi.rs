//! Real MPI: `mpirun -n P dpa-mpi ...` (Open MPI). Built and run with `--features mpi`
//! (scripts/test.sh does both). Every run has a deadline, so a hang fails the test.
#![cfg(feature = "mpi")]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn mpirun(ranks: usize, args: &[&str], deadline: Duration) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = Command::new("mpirun")
        .args(["-n", &ranks.to_string()])
        .arg(env!("CARGO_BIN_EXE_dpa-mpi"))
        .args(args)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        .env("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mpirun not found: run scripts/setup-mpi.sh");
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            panic!("mpirun -n {ranks} {args:?} did not finish in {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (out, started.elapsed())
}

fn dpa(args: &[&str], out: &Path) -> Vec<u8> {
    let status = Command::new(env!("CARGO_BIN_EXE_dpa"))
        .args(args)
        .arg("-q")
        .arg("-o")
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(out).unwrap()
}

/// `mpirun -n RANKS dpa-mpi ARGS`, which must succeed within two minutes.
fn mpirun_ok(ranks: usize, args: &[&str]) -> Output {
    let (out, _) = mpirun(ranks, args, Duration::from_secs(120));
    assert!(
        out.status.success(),
        "mpirun -n {ranks} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `dpa merge RUN/manifest.json -o OUT`, which must succeed; the merged bytes.
fn merge(run: &Path, out: &Path) -> Vec<u8> {
    let status = Command::new(env!("CARGO_BIN_EXE_dpa"))
        .arg("merge")
        .arg(run.join("manifest.json"))
        .arg("-o")
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success(), "dpa merge {}", run.display());
    std::fs::read(out).unwrap()
}

#[test]
fn four_ranks_write_what_dpa_generate_writes_per_rank() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let run_s = run.to_str().unwrap();
    for format in ["jsonl", "bincode"] {
        let out = mpirun_ok(
            4,
            &[
                "generate",
                "-n",
                "10007",
                "--start-id",
                "5",
                "--base-seed",
                "3",
                "--format",
                format,
                "--output-dir",
                run_s,
                "--threads",
                "1",
            ],
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("total: 10007 records on 4 ranks"));
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap())
                .unwrap();
        assert_eq!(manifest["shards"].as_array().unwrap().len(), 4);
        assert_eq!(manifest["statistics"]["rotation"]["count"], 10007);
        let ext = if format == "bincode" { "bin" } else { "jsonl" };
        for rank in 0..4 {
            let shard =
                std::fs::read(run.join(format!("shard-0000{rank}-of-00004.{ext}"))).unwrap();
            let single = dpa(
                &[
                    "generate",
                    "-n",
                    "10007",
                    "--start-id",
                    "5",
                    "--rank",
                    &rank.to_string(),
                    "--world-size",
                    "4",
                    "--base-seed",
                    "3",
                    "--format",
                    format,
                ],
                &dir.path().join(format!("single.{ext}")),
            );
            assert!(shard == single, "{format} rank {rank}");
        }
    }
}

#[test]
fn global_seeding_is_the_same_on_one_and_three_ranks() {
    let dir = tempfile::tempdir().unwrap();
    let mut merged = Vec::new();
    for ranks in [1, 3] {
        let run = dir.path().join(format!("run{ranks}"));
        mpirun_ok(
            ranks,
            &[
                "generate",
                "-q",
                "-n",
                "9000",
                "--seeding",
                "global",
                "--format",
                "json",
                "--output-dir",
                run.to_str().unwrap(),
            ],
        );
        let target = dir.path().join(format!("merged{ranks}.json"));
        merged.push(merge(&run, &target));
    }
    let whole = dpa(&["generate", "-n", "9000"], &dir.path().join("whole.json"));
    assert!(merged[0] == whole && merged[1] == whole);
}

#[test]
fn a_rank_that_cannot_write_ends_the_job_quickly_with_no_manifest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("shard-00002-of-00004.jsonl")).unwrap();
    let (out, took) = mpirun(
        4,
        &[
            "generate",
            "-n",
            "2000000",
            "--output-dir",
            dir.path().to_str().unwrap(),
            "--threads",
            "1",
        ],
        Duration::from_secs(60),
    );
    assert!(!out.status.success());
    assert!(took < Duration::from_secs(30), "took {took:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rank 2") && stderr.contains("is a directory"),
        "{stderr}"
    );
    assert!(!dir.path().join("manifest.json").exists());
}

#[test]
fn bad_arguments_fail_on_every_rank_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("never");
    let (out, _) = mpirun(
        2,
        &[
            "generate",
            "-n",
            "10",
            "--depth",
            "0",
            "--output-dir",
            run.to_str().unwrap(),
        ],
        Duration::from_secs(60),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--depth"));
    assert!(!run.exists());
}

#[test]
fn scaling_bench_reports_efficiency() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("s.json");
    for ranks in [1, 2] {
        mpirun_ok(
            ranks,
            &[
                "bench",
                "--scaling",
                "weak",
                "-n",
                "50000",
                "--iterations",
                "2",
                "--export-json",
                json.to_str().unwrap(),
                "--append",
            ],
        );
    }
    let report: dpa::bench::BenchReport =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report.results.len(), 2);
    assert!(report
        .results
        .iter()
        .all(|r| r.efficiency.is_some_and(|e| e > 0.0)));
    // Ranks are recorded as ranks; threads are the threads of each rank.
    let second = &report.results[1].parameters;
    assert_eq!(second.extra["ranks"], 2);
    assert_eq!(second.workers(), 2);
    assert_eq!(second.threads, 1);
}

/// Exact statistics: the manifest of 1, 2, 3 and 4 ranks holds the same statistics,
/// byte for byte, equal to `dpa stats` of the merged file and to the statistics a
/// single `dpa generate` stores.
#[test]
fn statistics_are_the_same_bytes_on_any_number_of_ranks() {
    let dir = tempfile::tempdir().unwrap();
    let text = |v: &serde_json::Value| serde_json::to_string(v).unwrap();
    let whole = dpa(
        &["generate", "-n", "20011", "--format", "json"],
        &dir.path().join("whole.json"),
    );
    let whole: serde_json::Value = serde_json::from_slice(&whole).unwrap();
    let want = text(&whole["statistics"]);
    for ranks in 1..=4 {
        let run = dir.path().join(format!("run{ranks}"));
        mpirun_ok(
            ranks,
            &[
                "generate",
                "-q",
                "-n",
                "20011",
                "--seeding",
                "global",
                "--output-dir",
                run.to_str().unwrap(),
                "--threads",
                &(ranks % 2 + 1).to_string(),
            ],
        );
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap())
                .unwrap();
        assert_eq!(text(&manifest["statistics"]), want, "{ranks} ranks");
        let merged = dir.path().join(format!("merged{ranks}.jsonl"));
        merge(&run, &merged);
        let stats = Command::new(env!("CARGO_BIN_EXE_dpa"))
            .arg("stats")
            .arg(&merged)
            .output()
            .unwrap();
        assert!(stats.status.success());
        let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
        assert_eq!(
            text(&stats),
            want,
            "dpa stats of the merge of {ranks} ranks"
        );
    }
}

/// `--seed S --epoch E`: 1, 2, 3 and 4 ranks, merged, give byte for byte what
/// `dpa generate --seed S --epoch E` writes, statistics included.
#[test]
fn seed_and_epoch_give_the_same_file_on_any_number_of_ranks() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dpa(
        &[
            "generate", "-n", "9001", "--seed", "5", "--epoch", "1", "--format", "json",
        ],
        &dir.path().join("whole.json"),
    );
    for ranks in 1..=4 {
        let run = dir.path().join(format!("run{ranks}"));
        mpirun_ok(
            ranks,
            &[
                "generate",
                "-q",
                "-n",
                "9001",
                "--seed",
                "5",
                "--epoch",
                "1",
                "--format",
                "json",
                "--output-dir",
                run.to_str().unwrap(),
            ],
        );
        let merged = dir.path().join(format!("merged{ranks}.json"));
        assert!(merge(&run, &merged) == whole, "{ranks} ranks");
    }
}
