//! Real MPI: `mpirun -n P dpa-mpi ...` (Open MPI). Built and run with `--features mpi`
//! (scripts/test.sh does both). Every run has a deadline, so a hang fails the test.
#![cfg(feature = "mpi")]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `mpirun -n RANKS dpa-mpi ARGS`, with what Open MPI needs here (root, 2 cores, a
/// container), not started yet.
fn mpirun_command(ranks: usize, args: &[&str]) -> Command {
    let mut cmd = Command::new("mpirun");
    cmd.args(["-n", &ranks.to_string()])
        .arg(env!("CARGO_BIN_EXE_dpa-mpi"))
        .args(args)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        .env("OMPI_MCA_btl_vader_single_copy_mechanism", "none");
    cmd
}

fn mpirun(ranks: usize, args: &[&str], deadline: Duration) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = mpirun_command(ranks, args)
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
                "--seeding",
                "rank-aware",
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

/// `-o FILE.npy`: every rank writes its rows into one shared file, byte for byte what
/// `dpa generate --format npy` writes, for 1 to 4 ranks and an uneven count; the
/// sidecar's statistics are the same bits.
#[test]
fn one_shared_npy_file_from_any_number_of_ranks() {
    let dir = tempfile::tempdir().unwrap();
    let side = |p: &Path| -> serde_json::Value {
        let text = std::fs::read_to_string(dpa::formats::npy::sidecar_path(p)).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    for seeding in [
        &["--seeding", "global"][..],
        &["--seed", "5", "--epoch", "1"],
    ] {
        let mut args = vec!["generate", "-n", "10007", "--start-id", "3"];
        args.extend_from_slice(seeding);
        let single = seeding
            .iter()
            .filter(|a| **a != "global" && **a != "--seeding");
        let mut whole_args = vec!["generate", "-n", "10007", "--start-id", "3"];
        whole_args.extend(single);
        let whole_path = dir.path().join("whole.npy");
        let whole = dpa(&whole_args, &whole_path);
        for ranks in 1..=4 {
            let out = dir.path().join(format!("shared{ranks}.npy"));
            let mut run = args.clone();
            run.extend(["-q", "-o", out.to_str().unwrap()]);
            mpirun_ok(ranks, &run);
            assert!(
                std::fs::read(&out).unwrap() == whole,
                "{ranks} ranks {seeding:?}"
            );
            let (a, b) = (side(&out), side(&whole_path));
            assert_eq!(a["statistics"], b["statistics"], "{ranks} ranks");
            assert_segments_are_the_file(&out, &a, ranks);
            assert_eq!(a["ranks"].as_array().unwrap().len(), ranks);
            // Only the array and its sidecar are left: no partial file, no records.
            let names: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| n.starts_with(&format!("shared{ranks}")))
                .collect();
            assert_eq!(names.len(), 2, "{names:?}");
        }
    }
    // Rank-aware rows carry their ranks: the shared file is the merged shards.
    let shards = dir.path().join("shards");
    let common = [
        "generate",
        "-q",
        "-n",
        "10007",
        "--seeding",
        "rank-aware",
        "--base-seed",
        "3",
    ];
    let mut run = common.to_vec();
    run.extend(["--output-dir", shards.to_str().unwrap()]);
    mpirun_ok(3, &run);
    let merged = merge(&shards, &dir.path().join("merged.npy"));
    let out = dir.path().join("rank-aware.npy");
    let mut run = common.to_vec();
    run.extend(["-o", out.to_str().unwrap()]);
    mpirun_ok(3, &run);
    assert!(std::fs::read(&out).unwrap() == merged);
}

/// A rank that fails ends the job: nothing at the output path, and the failure is
/// named once.
#[test]
fn a_failing_rank_leaves_nothing_at_the_shared_path() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.npy");
    // Rank 2 cannot replace its progress record: a folder is in the way.
    let record = dir.path().join("p.npy.partial.rank-00002-of-00004");
    std::fs::create_dir(&record).unwrap();
    let (got, took) = mpirun(
        4,
        &["generate", "-n", "100000", "-o", out.to_str().unwrap()],
        Duration::from_secs(90),
    );
    assert!(!got.status.success());
    assert!(took < Duration::from_secs(60), "took {took:?}");
    let stderr = String::from_utf8_lossy(&got.stderr);
    assert_eq!(stderr.matches("rank-00002-of-00004").count(), 1, "{stderr}");
    assert!(stderr.contains("rank 2: error"), "{stderr}");
    assert!(!out.exists() && !dpa::formats::npy::sidecar_path(&out).exists());
}

/// The pid of a process of `dpa-mpi` whose arguments contain `marker`.
fn rank_pid(marker: &str) -> Option<u32> {
    let exe = env!("CARGO_BIN_EXE_dpa-mpi");
    std::fs::read_dir("/proc").ok()?.find_map(|e| {
        let e = e.ok()?;
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
        let ours = args.first()? == &exe.as_bytes() && args.iter().any(|a| a == &marker.as_bytes());
        ours.then_some(pid)
    })
}

/// Starts `mpirun -n RANKS dpa-mpi ARGS`; once `ready()`, kills one rank (the one
/// whose arguments contain `marker`) with SIGKILL, and waits for the job to end.
fn kill_a_rank_when(ranks: usize, args: &[&str], marker: &str, ready: impl Fn() -> bool) {
    let mut child = mpirun_command(ranks, args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !ready() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the job ended before the kill"
        );
        assert!(started.elapsed() < Duration::from_secs(120), "never ready");
        std::thread::sleep(Duration::from_millis(2));
    }
    let pid = rank_pid(marker).expect("a rank to kill");
    let killed = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(!status.success(), "the killed job reported success");
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The sidecar of a shared file (version 2, no whole-file digest) lists one segment a
/// rank, in order from byte 0 to the file's end, each the SHA-256 of those bytes.
fn assert_segments_are_the_file(file: &Path, sidecar: &serde_json::Value, ranks: usize) {
    use sha2::Digest as _;
    let bytes = std::fs::read(file).unwrap();
    assert_eq!(sidecar["version"], 2);
    assert!(sidecar.get("sha256").is_none(), "{sidecar}");
    let segments = sidecar["segments"].as_array().unwrap();
    assert_eq!(segments.len(), ranks);
    let mut at = 0usize;
    for s in segments {
        assert_eq!(s["offset"].as_u64().unwrap() as usize, at);
        let end = at + s["bytes"].as_u64().unwrap() as usize;
        let digest = dpa::Hash(sha2::Sha256::digest(&bytes[at..end]).into()).to_string();
        assert_eq!(s["sha256"], digest.as_str(), "segment at {at}");
        at = end;
    }
    assert_eq!(at, bytes.len());
    for (i, s) in segments.iter().enumerate() {
        assert_eq!(
            documented_segment_check(file, i),
            s["sha256"].as_str().unwrap()
        );
    }
}

/// What DISTRIBUTED.md's coreutils check of segment `i` prints, run as written (for
/// `FILE.npy` and segment 2) with `bash`; panics unless it states the sidecar's digest
/// and then prints one of its own.
fn documented_segment_check(file: &Path, i: usize) -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/DISTRIBUTED.md"))
        .unwrap();
    let start = doc.find("read -r off len sum").expect("the segment recipe");
    let block = &doc[start..start + doc[start..].find("```").unwrap()];
    let name = file.file_name().unwrap().to_str().unwrap();
    let script = block
        .replace("FILE.npy", name)
        .replace("[\"segments\"][2]", &format!("[\"segments\"][{i}]"));
    let out = Command::new("bash")
        .args(["-eu", "-c", &script])
        .current_dir(file.parent().unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let claimed = lines.next().unwrap().strip_prefix("claimed ").unwrap();
    let got = lines.next().unwrap().strip_suffix("  -").unwrap();
    assert_eq!(claimed, got, "segment {i}");
    got.to_string()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// kill -9 of one rank of a 4-rank shared-file job, then `--resume`: every byte of the
/// array and the sidecar's statistics are the uninterrupted run's. A resume with other
/// settings keeps none of the killed run's rows.
#[test]
fn a_killed_shared_job_resumes_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cut.npy");
    let args = |epoch: &'static str| -> Vec<String> {
        [
            "generate", "-n", "3000000", "--seed", "3", "--epoch", epoch, "-t", "1", "-o",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([out.to_str().unwrap().to_string()])
        .collect()
    };
    let marker = out.to_str().unwrap();
    // Killed once some rank has recorded progress.
    let progress_recorded = || {
        names_in(dir.path())
            .iter()
            .any(|n| n.contains(".rank-") && !n.ends_with(".tmp"))
    };
    for (resume_epoch, keeps) in [("4", false), ("2", true)] {
        kill_a_rank_when(4, &strs(&args("2")), marker, progress_recorded);
        assert!(!out.exists());
        let mut resume = args(resume_epoch);
        resume.push("--resume".into());
        let got = mpirun_ok(4, &strs(&resume));
        let stdout = String::from_utf8_lossy(&got.stdout);
        assert_eq!(
            stdout.contains("kept from the killed run"),
            keeps,
            "{stdout}"
        );
        let whole = dir.path().join("whole.npy");
        let mut fresh = args(resume_epoch);
        *fresh.last_mut().unwrap() = whole.to_str().unwrap().into();
        mpirun_ok(4, &strs(&fresh));
        assert!(
            std::fs::read(&out).unwrap() == std::fs::read(&whole).unwrap(),
            "epoch {resume_epoch}"
        );
        let side = |p: &Path| -> serde_json::Value {
            serde_json::from_slice(&std::fs::read(dpa::formats::npy::sidecar_path(p)).unwrap())
                .unwrap()
        };
        assert_eq!(side(&out)["statistics"], side(&whole)["statistics"]);
        // The digests the ranks computed of their own bytes (the kept ones read back)
        // are the file's.
        assert_segments_are_the_file(&out, &side(&out), 4);
        assert_eq!(
            names_in(dir.path()),
            ["cut.npy", "cut.npy.json", "whole.npy", "whole.npy.json"]
        );
        for p in [&out, &whole] {
            std::fs::remove_file(p).unwrap();
            std::fs::remove_file(dpa::formats::npy::sidecar_path(p)).unwrap();
        }
    }
}

/// A byte changed inside rows a progress record vouches for (a torn write, a bit flip)
/// is caught by the record's digest: the resumed file is the uninterrupted run's.
#[test]
fn a_changed_row_under_a_progress_record_is_written_again() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cut.npy");
    let args = |out: &Path| -> Vec<String> {
        ["generate", "-n", "3000000", "--seed", "5", "-t", "1", "-o"]
            .iter()
            .map(|s| s.to_string())
            .chain([out.to_str().unwrap().to_string()])
            .collect()
    };
    let recorded = || -> Option<serde_json::Value> {
        names_in(dir.path())
            .iter()
            .filter(|n| n.contains(".rank-") && !n.ends_with(".tmp"))
            .filter_map(|n| std::fs::read(dir.path().join(n)).ok())
            .filter_map(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .find(|v| v["rows"].as_u64().unwrap_or(0) > 1000)
    };
    let run = args(&out);
    kill_a_rank_when(4, &strs(&run), out.to_str().unwrap(), || {
        recorded().is_some()
    });
    let record = recorded().unwrap();
    // Row `start + rows / 2` of the record's rank: NumPy v1 header, then rows of width
    // (file size - header) / N.
    let partial = dir.path().join("cut.npy.partial");
    let mut bytes = std::fs::read(&partial).unwrap();
    let header = 10 + u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let width = (bytes.len() - header) / 3_000_000;
    let row = record["start"].as_u64().unwrap() + record["rows"].as_u64().unwrap() / 2;
    bytes[header + row as usize * width + 3] ^= 0x10;
    std::fs::write(&partial, &bytes).unwrap();
    let mut resume = run.clone();
    resume.push("--resume".into());
    mpirun_ok(4, &strs(&resume));
    let whole = dir.path().join("whole.npy");
    mpirun_ok(4, &strs(&args(&whole)));
    assert!(std::fs::read(&out).unwrap() == std::fs::read(&whole).unwrap());
}

/// kill -9 of one rank of a 4-rank shard job mid-write, then `--resume`: finished shards
/// are kept (their recorded SHA-256 checks out), partial ones continue, and every shard
/// and the manifest's statistics are the uninterrupted run's.
#[test]
fn a_killed_shard_job_resumes_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (cut, whole) = (dir.path().join("cut"), dir.path().join("whole"));
    let args = |d: &Path| -> Vec<String> {
        [
            "generate",
            "-n",
            "2000000",
            "-t",
            "1",
            "-q",
            "--output-dir",
            d.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    mpirun_ok(4, &strs(&args(&whole)));
    // Killed once a shard is a third written.
    let a_third = || {
        std::fs::read_dir(&cut).is_ok_and(|d| {
            d.flatten().any(|e| {
                e.file_name().to_string_lossy().ends_with(".partial")
                    && e.metadata().is_ok_and(|m| m.len() > 40 << 20)
            })
        })
    };
    kill_a_rank_when(4, &strs(&args(&cut)), cut.to_str().unwrap(), a_third);
    assert!(!cut.join("manifest.json").exists());
    let mut resume = args(&cut);
    resume.retain(|a| a != "-q");
    resume.push("--resume".into());
    let got = mpirun_ok(4, &strs(&resume));
    assert!(String::from_utf8_lossy(&got.stdout).contains("kept from the killed run"));
    for rank in 0..4 {
        let name = format!("shard-0000{rank}-of-00004.jsonl");
        assert!(
            std::fs::read(cut.join(&name)).unwrap() == std::fs::read(whole.join(&name)).unwrap(),
            "{name}"
        );
    }
    let manifest = |d: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(d.join("manifest.json")).unwrap()).unwrap()
    };
    let (a, b) = (manifest(&cut), manifest(&whole));
    assert_eq!(a["statistics"], b["statistics"]);
    for rank in 0..4 {
        assert_eq!(a["shards"][rank]["sha256"], b["shards"][rank]["sha256"]);
    }
    assert_eq!(names_in(&cut), names_in(&whole));

    // A finished shard changed since: its digest no longer checks out, so a resume
    // writes it again and keeps the three others.
    let damaged = cut.join("shard-00001-of-00004.jsonl");
    let mut bytes = std::fs::read(&damaged).unwrap();
    bytes[1000] ^= 1;
    std::fs::write(&damaged, &bytes).unwrap();
    std::fs::remove_file(cut.join("manifest.json")).unwrap();
    mpirun_ok(4, &strs(&resume));
    assert!(
        std::fs::read(&damaged).unwrap()
            == std::fs::read(whole.join("shard-00001-of-00004.jsonl")).unwrap()
    );
    let resumed: Vec<u64> = (0..4)
        .map(|r| manifest(&cut)["shards"][r]["resumed"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(resumed, [500000, 0, 500000, 500000]);
}

/// `-o FILE` is one shared NumPy array: a name that says another format is refused on
/// every rank with exit 2 (naming the one format and `--output-dir`), and nothing is
/// written.
#[test]
fn a_shared_output_named_for_another_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["x.jsonl", "x.json", "x.bin", "x"] {
        let out = dir.path().join(name);
        let args = ["generate", "-n", "1000", "-o", out.to_str().unwrap()];
        let (run, _) = mpirun(2, &args, Duration::from_secs(60));
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains("FILE.npy") && stderr.contains("--output-dir"),
            "{stderr}"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{name}: nothing written"
        );
    }
}

/// A rank that fails while it writes its rows of a shared file ends the whole job
/// within seconds, however large the others' shares: here rank 1's first progress save
/// fails (its temporary record's name is taken by a folder) some 16 MiB into a job of
/// 60 million rows that takes tens of seconds to write; exit non-zero, nothing at the
/// final name.
#[test]
fn an_early_failure_ends_a_large_shared_job_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big.npy");
    std::fs::create_dir(dir.path().join("big.npy.partial.rank-00001-of-00002.tmp")).unwrap();
    let args = [
        "generate",
        "-n",
        "60000000",
        "-t",
        "1",
        "-q",
        "--no-stats",
        "-o",
        out.to_str().unwrap(),
    ];
    let (run, took) = mpirun(2, &args, Duration::from_secs(120));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "{stderr}");
    assert!(
        stderr.contains("rank-00001-of-00002"),
        "names what failed: {stderr}"
    );
    assert!(
        took < Duration::from_secs(15),
        "the job took {took:?} to end"
    );
    assert!(!out.exists());
}

/// The headline command without seeding flags writes what `dpa generate` writes, on
/// any number of ranks (global seeding is the default); `--base-seed` without
/// `--seeding rank-aware` is refused rather than ignored.
#[test]
fn unflagged_runs_are_world_size_invariant() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dpa(&["generate", "-n", "3001"], &dir.path().join("whole.npy"));
    for ranks in 1..=3 {
        let out = dir.path().join(format!("p{ranks}.npy"));
        mpirun_ok(
            ranks,
            &["generate", "-q", "-n", "3001", "-o", out.to_str().unwrap()],
        );
        assert!(std::fs::read(&out).unwrap() == whole, "{ranks} ranks");
    }
    let out = dir.path().join("b.npy");
    let args = [
        "generate",
        "-n",
        "10",
        "--base-seed",
        "3",
        "-o",
        out.to_str().unwrap(),
    ];
    let (refused, _) = mpirun(2, &args, Duration::from_secs(60));
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--seeding rank-aware"));
    assert!(!out.exists());
}
