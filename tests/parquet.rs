//! Parquet end to end (issue 28): dpa's files read by the real pyarrow, polars and
//! DuckDB of the test environment (scripts/parquet_check.py) with every bit intact;
//! conversions both ways lossless; a folder of rank parts read as one table; claims in
//! the metadata checked; a killed run never leaves a wrong file.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;

fn dpa() -> Command {
    let mut c = Command::cargo_bin("dpa").unwrap();
    c.timeout(Duration::from_secs(120));
    c
}

/// The test environment's Python (with pyarrow, polars, DuckDB): `DPA_TEST_PYTHON`,
/// else `target/venv`. Missing, the test fails.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("DPA_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venv/bin/python");
    assert!(
        venv.exists(),
        "no test Python: run scripts/setup-python.sh (scripts/test.sh does) or set DPA_TEST_PYTHON"
    );
    venv
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn generate(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let path = dir.join(name);
    dpa()
        .args(["generate", "-q", "-o", s(&path)])
        .args(args)
        .assert()
        .success();
    path
}

/// Runs `script ARGS` with the test Python; its output must be `ok ...`.
fn python_ok(script: &str, args: &[&Path]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(script);
    let out = StdCommand::new(python())
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.starts_with("ok"),
        "{args:?}: {text}"
    );
    text
}

const CASES: [&[&str]; 4] = [
    &["-n", "300001", "--start-id", "9223372036854700000"],
    &[
        "-n",
        "5000",
        "--rank",
        "1",
        "--world-size",
        "3",
        "--base-seed",
        "7",
    ],
    &[
        "-n",
        "5000",
        "--seed",
        "5",
        "--epoch",
        "2",
        "--compression",
        "lz4",
    ],
    &["-n", "0", "--compression", "none"],
];

#[test]
fn every_bit_reaches_pyarrow_polars_and_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    for (i, args) in CASES.iter().enumerate() {
        let parquet = generate(dir.path(), &format!("{i}.parquet"), args);
        let plain: Vec<&str> = args
            .iter()
            .copied()
            .filter(|a| !["--compression", "lz4", "none"].contains(a))
            .collect();
        let jsonl = generate(dir.path(), &format!("{i}.jsonl"), &plain);
        python_ok("scripts/parquet_check.py", &[&parquet, &jsonl]);
        let one = generate(
            dir.path(),
            &format!("{i}-t1.parquet"),
            &[args, &["--threads", "1"][..]].concat(),
        );
        assert!(
            std::fs::read(&one).unwrap() == std::fs::read(&parquet).unwrap(),
            "{args:?}: threads 1 and 2 differ"
        );
        dpa()
            .arg("verify")
            .arg(&parquet)
            .assert()
            .success()
            .stdout(predicate::str::contains("statistics match"));
    }
}

#[test]
fn conversions_are_lossless_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let args = ["-n", "4000", "--rank", "2", "--world-size", "4"];
    let parquet = generate(d, "a.parquet", &args);
    for ext in ["jsonl", "bin", "npy", "json"] {
        let direct = generate(d, &format!("a.{ext}"), &args);
        let via = d.join(format!("from-parquet.{ext}"));
        dpa()
            .args(["convert", s(&parquet), "-o", s(&via)])
            .assert()
            .success();
        if ext != "json" {
            assert!(
                std::fs::read(&via).unwrap() == std::fs::read(&direct).unwrap(),
                "parquet -> {ext}"
            );
        }
        let back = d.join(format!("from-{ext}.parquet"));
        let mut convert = dpa();
        convert.args(["convert", s(&direct), "-o", s(&back)]);
        if ext == "jsonl" {
            convert.args(["--preset", "moderate", "--base-seed", "0"]);
        }
        convert.assert().success();
        dpa().arg("verify").arg(&back).assert().success();
        if ext != "jsonl" {
            assert!(
                std::fs::read(&back).unwrap() == std::fs::read(&parquet).unwrap(),
                "{ext} -> parquet"
            );
        }
    }
}

#[test]
fn claims_in_the_metadata_are_checked_against_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let parquet = generate(d, "a.parquet", &["-n", "3000"]);
    let edit = |key: &str, find: &str, replace: &str, out: &Path| {
        let code = format!(
            "import pyarrow.parquet as pq, sys\nt = pq.read_table(sys.argv[1])\nm = dict(t.schema.metadata)\nm[b'{key}'] = m[b'{key}'].replace(b'{find}', b'{replace}', 1)\nassert m[b'{key}'] != t.schema.metadata[b'{key}']\npq.write_table(t.replace_schema_metadata(m), sys.argv[2])\nprint('ok')"
        );
        let out = StdCommand::new(python())
            .args(["-c", &code])
            .arg(&parquet)
            .arg(out)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let stats = d.join("stats-edited.parquet");
    edit("dpa.statistics", "\"count\":3000", "\"count\":2999", &stats);
    let config = d.join("config-edited.parquet");
    edit(
        "dpa",
        "\"rotation_range\":[-30.0,30.0]",
        "\"rotation_range\":[-31.0,30.0]",
        &config,
    );
    for (file, needle) in [(&stats, "statistics"), (&config, "metadata.config")] {
        for cmd in [
            vec!["stats", s(file)],
            vec!["verify", s(file)],
            vec!["convert", s(file), "-o", s(&d.join("c.jsonl"))],
        ] {
            dpa()
                .args(&cmd)
                .assert()
                .code(1)
                .stderr(predicate::str::contains(needle));
        }
        assert!(!d.join("c.jsonl").exists());
    }
    // A Parquet file dpa did not write (no claims) is read as rows; checking it needs
    // the config it was made with.
    let foreign = d.join("foreign.parquet");
    let code = "import pyarrow.parquet as pq, sys\nt = pq.read_table(sys.argv[1]).replace_schema_metadata(None)\npq.write_table(t, sys.argv[2])";
    assert!(StdCommand::new(python())
        .args(["-c", code])
        .arg(&parquet)
        .arg(&foreign)
        .status()
        .unwrap()
        .success());
    dpa()
        .args(["verify", s(&foreign)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no config of its own"));
    dpa()
        .args(["verify", s(&foreign), "--preset", "moderate"])
        .assert()
        .success();
    dpa().args(["stats", s(&foreign)]).assert().success();
}

#[test]
fn a_killed_run_leaves_no_wrong_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let whole = generate(d, "whole.parquet", &["-n", "2000000"]);
    let out = d.join("x.parquet");
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("dpa"))
        .args([
            "generate",
            "-q",
            "-n",
            "2000000",
            "--threads",
            "1",
            "-o",
            s(&out),
        ])
        .spawn()
        .unwrap();
    let partial = dpa::atomic::partial_path(&out);
    let started = std::time::Instant::now();
    while std::fs::metadata(&partial).map_or(0, |m| m.len()) < 1 << 20
        && started.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!out.exists() && partial.exists());
    // --resume writes the file again whole, saying so: the uninterrupted bytes.
    dpa()
        .args(["generate", "-n", "2000000", "--resume", "-o", s(&out)])
        .assert()
        .success()
        .stderr(predicate::str::contains("resumed whole"));
    assert!(!partial.exists());
    assert!(std::fs::read(&out).unwrap() == std::fs::read(&whole).unwrap());
    // A stream is not a Parquet file: its footer is at its end.
    dpa()
        .args(["stats", "-"])
        .pipe_stdin(&whole)
        .unwrap()
        .assert()
        .code(1)
        .stderr(predicate::str::contains("regular file"));
}

#[cfg(feature = "mpi")]
#[test]
fn rank_parts_read_as_one_table() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = d.join("run");
    let status = StdCommand::new("mpirun")
        .args([
            "-n",
            "2",
            env!("CARGO_BIN_EXE_dpa-mpi"),
            "generate",
            "-q",
            "-n",
            "30011",
            "--format",
            "parquet",
            "--output-dir",
            s(&run),
        ])
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        .status()
        .expect("mpirun");
    assert!(status.success());
    let jsonl = generate(d, "whole.jsonl", &["-n", "30011"]);
    python_ok("scripts/parquet_check.py", &[&run, &jsonl]);
    let merged = d.join("all.parquet");
    dpa()
        .args(["merge", s(&run.join("_manifest.json")), "-o", s(&merged)])
        .assert()
        .success();
    let single = generate(d, "single.parquet", &["-n", "30011"]);
    assert!(std::fs::read(&merged).unwrap() == std::fs::read(&single).unwrap());
}

/// `mpirun -n 2 dpa-mpi generate --format parquet --output-dir` as a killed job left it
/// (one part finished, the other a torn partial file): `--resume` keeps the finished part
/// as it is and writes the other again, so the folder is the uninterrupted job's.
#[cfg(feature = "mpi")]
#[test]
fn a_killed_job_resumes_by_part() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let job = |extra: &[&str]| {
        let mut args = vec!["-n", "2", env!("CARGO_BIN_EXE_dpa-mpi"), "generate", "-q"];
        args.extend([
            "-n",
            "300011",
            "--format",
            "parquet",
            "--output-dir",
            s(&run),
        ]);
        args.extend(extra);
        let status = StdCommand::new("mpirun")
            .args(&args)
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
            .status()
            .expect("mpirun");
        assert!(status.success(), "{args:?}");
    };
    job(&[]);
    let mut parts: Vec<PathBuf> = std::fs::read_dir(&run)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    parts.sort();
    assert_eq!(parts.len(), 2, "{parts:?}");
    let want: Vec<Vec<u8>> = parts.iter().map(|p| std::fs::read(p).unwrap()).collect();
    // Part 0 finished; part 1 killed while written: a torn partial file, no done record.
    let done1 = parts[1].with_file_name(format!(
        "_{}.done.json",
        parts[1].file_name().unwrap().to_str().unwrap()
    ));
    assert!(done1.exists(), "{done1:?}");
    std::fs::remove_file(&done1).unwrap();
    std::fs::remove_file(run.join("_manifest.json")).unwrap();
    let torn = dpa::atomic::partial_path(&parts[1]);
    std::fs::rename(&parts[1], &torn).unwrap();
    let f = std::fs::OpenOptions::new().write(true).open(&torn).unwrap();
    f.set_len(want[1].len() as u64 / 2).unwrap();
    let kept = std::fs::metadata(&parts[0]).unwrap().ino();
    job(&["--resume"]);
    assert_eq!(
        std::fs::metadata(&parts[0]).unwrap().ino(),
        kept,
        "part 0 kept as it was"
    );
    for (p, bytes) in parts.iter().zip(&want) {
        assert!(&std::fs::read(p).unwrap() == bytes, "{p:?} differs");
    }
    assert!(!torn.exists() && run.join("_manifest.json").exists());
}

/// `dpa-mpi generate --compression` reaches every part, as `dpa generate`'s does (pyarrow
/// names the LZ4 frame codec, Parquet's `LZ4_RAW`, "LZ4").
#[cfg(feature = "mpi")]
#[test]
fn dpa_mpi_parts_take_the_compression_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    for (codec, want) in [("lz4", "LZ4"), ("none", "UNCOMPRESSED"), ("zstd", "ZSTD")] {
        let run = dir.path().join(codec);
        let status = StdCommand::new("mpirun")
            .args(["-n", "2", env!("CARGO_BIN_EXE_dpa-mpi"), "generate", "-q"])
            .args(["-n", "5000", "--format", "parquet", "--compression", codec])
            .args(["--output-dir", s(&run)])
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
            .status()
            .expect("mpirun");
        assert!(status.success());
        let parts: Vec<String> = std::fs::read_dir(&run)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .map(|p| p.to_str().unwrap().to_string())
            .collect();
        assert_eq!(parts.len(), 2);
        let out = StdCommand::new(python())
            .args(["-c", "import sys, pyarrow.parquet as pq; print(sorted({pq.ParquetFile(p).metadata.row_group(0).column(1).compression for p in sys.argv[1:]}))"])
            .args(&parts)
            .output()
            .expect("the test Python");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(text.trim(), format!("['{want}']"), "{codec}");
    }
}
