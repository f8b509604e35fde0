//! Trust nothing, round two (issue 27): a claim written beside the data, a config
//! file, a link or a standard output that slipped through. One test per class; each
//! ran against the build before its fix and failed there (the checkpoint classes are in
//! tests/checkpoint.rs, the companion commit in tests/commit_faults.rs).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use assert_cmd::Command;
use dpa::distributed::{run_generate, Communicator, GenerateJob, GlobalSeeding, JobOutput};
use dpa::distributed::{LocalCommunicator, Manifest};
use dpa::{Format, Preset};
use predicates::prelude::*;

/// The `dpa` under test: `DPA_TEST_BIN` (to see these fail on an old build), else
/// this build's.
fn bin() -> PathBuf {
    match std::env::var_os("DPA_TEST_BIN") {
        Some(p) => PathBuf::from(p),
        None => assert_cmd::cargo::cargo_bin("dpa"),
    }
}

fn dpa() -> Command {
    let mut c = Command::new(bin());
    c.timeout(Duration::from_secs(60));
    c
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `dpa generate -q --preset mild -n N -o dir/name EXTRA`.
fn generate(dir: &Path, name: &str, n: u64, extra: &[&str]) -> PathBuf {
    let path = dir.join(name);
    dpa()
        .args(["generate", "-q", "--preset", "mild", "-n", &n.to_string()])
        .arg("-o")
        .arg(&path)
        .args(extra)
        .assert()
        .success();
    path
}

/// An edit of a JSON value.
type Edit = fn(&mut serde_json::Value);

/// Edits the JSON file at `path` with `edit`.
fn edit_json(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

#[test]
fn a_readers_claims_are_checked_against_the_rows_before_use() {
    let dir = tempfile::tempdir().unwrap();
    // A sidecar's statistics, then its config, edited: stats and convert refuse, and
    // convert leaves no output.
    let edits: [(&str, Edit); 2] = [
        ("statistics", |v| {
            let max = v["statistics"]["rotation"]["max"].as_f64().unwrap();
            v["statistics"]["rotation"]["max"] = (max + 1.0).into();
        }),
        ("metadata.config", |v| {
            v["metadata"]["config"]["rotation_range"] = serde_json::json!([-16, 15]);
        }),
    ];
    for (field, edit) in edits {
        let npy = generate(dir.path(), "a.npy", 3000, &[]);
        edit_json(&dpa::formats::npy::sidecar_path(&npy), edit);
        let named = || predicate::str::contains("a.npy.json").and(predicate::str::contains(field));
        dpa()
            .arg("stats")
            .arg(&npy)
            .assert()
            .code(1)
            .stderr(named());
        let out = dir.path().join("c.bin");
        dpa()
            .arg("convert")
            .arg(&npy)
            .arg("-o")
            .arg(&out)
            .assert()
            .code(1)
            .stderr(named());
        assert!(!out.exists(), "{field}");
        std::fs::remove_file(&npy).unwrap();
    }
    // A JSON document's own statistics.
    let json = generate(dir.path(), "d.json", 500, &[]);
    edit_json(&json, |v| v["statistics"]["noise"]["count"] = 499.into());
    dpa()
        .arg("stats")
        .arg(&json)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("noise statistics"));
    // JSON Lines converted under config flags its rows do not have.
    let jsonl = generate(dir.path(), "e.jsonl", 100, &[]);
    let out = dir.path().join("e.bin");
    dpa()
        .args([
            "convert",
            s(&jsonl),
            "-o",
            s(&out),
            "--preset",
            "aggressive",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not what the config flags give"));
    assert!(!out.exists());
    dpa()
        .args(["convert", s(&jsonl), "-o", s(&out), "--preset", "mild"])
        .assert()
        .success();
}

fn job(output: JobOutput, n: u64, resume: bool) -> GenerateJob {
    GenerateJob {
        config: Preset::Mild.config(),
        num_samples: n,
        start_id: 0,
        base_seed: 0,
        epoch: 0,
        seeding: GlobalSeeding::RankAware,
        format: Format::Npy,
        threads: Some(1),
        output,
        resume,
        with_stats: true,
        kernel: dpa::kernel::Kernel::detect(),
        compression: Default::default(),
    }
}

fn run(size: usize, job: &GenerateJob) -> Manifest {
    let results = LocalCommunicator::run(size, |comm| match run_generate(comm, job) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("rank {}: {e}", comm.rank());
            comm.abort(1)
        }
    })
    .unwrap();
    results.into_iter().next().unwrap().unwrap()
}

#[test]
fn a_resumed_finished_output_keeps_no_edited_sidecar() {
    let dir = tempfile::tempdir().unwrap();
    // The shared file: its statistics and a rank's record count edited.
    let path = dir.path().join("x.npy");
    let side = dpa::formats::npy::sidecar_path(&path);
    run(2, &job(JobOutput::SharedNpy(path.clone()), 2000, false));
    let whole: serde_json::Value = serde_json::from_slice(&std::fs::read(&side).unwrap()).unwrap();
    for edit in [
        (|v: &mut serde_json::Value| v["statistics"]["scale"]["min"] = 0.5.into()) as Edit,
        |v| v["ranks"][1]["records"] = 999.into(),
    ] {
        edit_json(&side, edit);
        run(2, &job(JobOutput::SharedNpy(path.clone()), 2000, true));
        let now: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&side).unwrap()).unwrap();
        assert_eq!(now["statistics"], whole["statistics"]);
        assert_eq!(now["ranks"][1]["records"], whole["ranks"][1]["records"]);
    }
    // A shard's sidecar.
    let shards = dir.path().join("shards");
    std::fs::create_dir(&shards).unwrap();
    run(2, &job(JobOutput::Shards(shards.clone()), 2000, false));
    let shard = shards.join(dpa::distributed::shard_file_name(1, 2, Format::Npy));
    let side = dpa::formats::npy::sidecar_path(&shard);
    let fresh = std::fs::read(&side).unwrap();
    edit_json(&side, |v| v["statistics"]["scale"]["min"] = 0.5.into());
    run(2, &job(JobOutput::Shards(shards.clone()), 2000, true));
    assert_eq!(std::fs::read(&side).unwrap(), fresh);
}

#[test]
fn a_torn_progress_tmp_goes_with_the_records_of_any_world_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.npy");
    let torn = dir.path().join("x.npy.partial.rank-00002-of-00003.tmp");
    std::fs::write(&torn, b"{\"start\":").unwrap();
    run(2, &job(JobOutput::SharedNpy(path.clone()), 1000, true));
    assert!(path.exists());
    assert!(!torn.exists(), "a killed rank's torn record is left");
}

/// A config file whose text is `text`.
fn config_file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("c.json");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn config_bounds_are_read_as_python_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    for big in [
        r#"{"rotation_range": [-18446744073709551616, 18446744073709551616]}"#,
        r#"{"rotation_range": [-2048, 18446744073709553665]}"#,
        r#"{"metadata": {"config": {"rotation_range": [0, 100000000000000000000000]}}}"#,
    ] {
        let config = config_file(dir.path(), big);
        dpa()
            .args([
                "generate",
                "-n",
                "3",
                "--layout",
                "reference",
                "-o",
                s(&out),
            ])
            .args(["--config", s(&config)])
            .assert()
            .code(2)
            .stderr(
                predicate::str::contains("rotation_range").and(predicate::str::contains("2^53")),
            );
        assert!(!out.exists());
    }
    // `-0` is Python's int 0: the reference writes `0`.
    let config = config_file(dir.path(), r#"{"noise_range": [-0, 0.1]}"#);
    dpa()
        .args([
            "generate",
            "-q",
            "-n",
            "3",
            "--layout",
            "reference",
            "-o",
            s(&out),
        ])
        .args(["--config", s(&config)])
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("\"noise_range\": [\n        0,\n        0.1\n      ]"),
        "{text}"
    );
}

#[test]
fn a_config_file_is_an_input_no_output_may_replace() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"{"augmentation_depth": 5}"#;
    let config = config_file(dir.path(), text);
    let c = s(&config);
    let jsonl = generate(dir.path(), "in.jsonl", 10, &[]);
    let cases: Vec<Vec<&str>> = vec![
        vec!["generate", "-n", "5", "--config", c, "-o", c],
        vec![
            "generate", "-n", "5", "--config", c, "-o", "-", "--stats", c,
        ],
        vec!["convert", s(&jsonl), "--config", c, "-o", c],
        vec![
            "bench",
            "generation",
            "-n",
            "10",
            "--config",
            c,
            "--export-json",
            c,
        ],
    ];
    for args in cases {
        dpa()
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("are the same file"));
        assert_eq!(std::fs::read_to_string(&config).unwrap(), text, "{args:?}");
    }
}

#[test]
fn a_partial_file_with_another_name_is_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let precious = dir.path().join("precious");
    std::fs::write(&precious, b"not dpa's").unwrap();
    let out = dir.path().join("a.jsonl");
    std::fs::hard_link(&precious, dpa::atomic::partial_path(&out)).unwrap();
    for resume in [false, true] {
        let mut cmd = dpa();
        cmd.args(["generate", "-n", "100", "-o", s(&out)]);
        if resume {
            cmd.arg("--resume");
        }
        cmd.assert()
            .code(1)
            .stderr(predicate::str::contains("hard links"));
        assert_eq!(std::fs::read(&precious).unwrap(), b"not dpa's");
        assert!(!out.exists());
    }
}

/// Runs `dpa ARGS` with its standard output set up by `redirect` (shell syntax).
fn with_stdout(args: &str, redirect: &str) -> std::process::Output {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("exec \"$0\" {args} {redirect}"))
        .arg(bin())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn bytes_meant_for_stdout_arrive_or_the_command_fails() {
    let cases = [
        ("generate -n 3", "1</etc/hostname"),
        ("generate -n 3", "1</"),
        ("generate -n 3 -o /dev/stdout", ">&-"),
        ("generate -n 3 -o /dev/fd/1", "1</etc/hostname"),
        ("bench generation -n 100 --iterations 1", ">&-"),
        ("params 5", "1</etc/hostname"),
    ];
    for (args, redirect) in cases {
        let out = with_stdout(args, redirect);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args} {redirect}: {stderr}");
        assert!(
            stderr.contains("standard output"),
            "{args} {redirect}: {stderr}"
        );
    }
    // An open standard output, under any of its names, gets the bytes.
    let out = with_stdout("generate -q -n 2 -o /dev/stdout", "");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
}
