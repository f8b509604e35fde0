//! `--format npy`: NumPy reads dpa's arrays bit for bit (real NumPy, from the virtual
//! environment scripts/test.sh creates), and dpa reads, converts, verifies and resumes
//! them, with the sidecar checked against the array.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::Command;
use predicates::prelude::*;

fn dpa() -> Command {
    Command::cargo_bin("dpa").unwrap()
}

/// The Python with NumPy: `DPA_TEST_PYTHON`, else `target/venv` (both set up by
/// scripts/test.sh). Missing, the test fails: a NumPy test that cannot run is no test.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("DPA_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venv/bin/python");
    assert!(
        venv.exists(),
        "no Python with NumPy: run scripts/setup-python.sh (scripts/test.sh does) or set DPA_TEST_PYTHON"
    );
    venv
}

fn generate(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let path = dir.join(name);
    dpa()
        .args(["generate", "-q", "-o"])
        .arg(&path)
        .args(args)
        .assert()
        .success();
    path
}

const CASES: [&[&str]; 4] = [
    &["-n", "1001"],
    &["-n", "1000", "--start-id", "77", "--preset", "mild"],
    &[
        "-n",
        "999",
        "--rank",
        "2",
        "--world-size",
        "3",
        "--base-seed",
        "7",
    ],
    &[
        "-n",
        "777",
        "--start-id",
        "123",
        "--seed",
        "5",
        "--epoch",
        "1",
    ],
];

#[test]
fn numpy_reads_every_field_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/npy_check.py");
    for (i, args) in CASES.iter().enumerate() {
        let npy = generate(dir.path(), &format!("{i}.npy"), args);
        let jsonl = generate(dir.path(), &format!("{i}.jsonl"), args);
        let out = StdCommand::new(python())
            .arg(&script)
            .arg(&npy)
            .arg(&jsonl)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stdout}{stderr}");
        let lines = std::fs::read_to_string(&jsonl).unwrap().lines().count();
        assert_eq!(stdout.trim(), format!("ok {lines}"), "{args:?}");
    }
}

#[test]
fn conversions_are_lossless_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    for (i, args) in CASES.iter().enumerate() {
        let npy = generate(dir.path(), &format!("{i}.npy"), args);
        for ext in ["jsonl", "json", "bin"] {
            let direct = generate(dir.path(), &format!("{i}.{ext}"), args);
            let from_npy = dir.path().join(format!("{i}-from-npy.{ext}"));
            dpa()
                .arg("convert")
                .arg(&npy)
                .arg("-o")
                .arg(&from_npy)
                .assert()
                .success();
            if ext == "jsonl" {
                assert_eq!(
                    std::fs::read(&from_npy).unwrap(),
                    std::fs::read(&direct).unwrap()
                );
            }
            let back = dir.path().join(format!("{i}-from-{ext}.npy"));
            let mut convert = dpa();
            convert.arg("convert").arg(&direct).arg("-o").arg(&back);
            if ext == "jsonl" {
                convert.args(config_of(args)).args(seeds_of(args));
            }
            convert.assert().success();
            assert_eq!(
                std::fs::read(&back).unwrap(),
                std::fs::read(&npy).unwrap(),
                "{args:?} via {ext}"
            );
            let mut verify = dpa();
            verify.arg("verify").arg(&back);
            if ext == "jsonl" {
                // JSON Lines records carry no seed: the check is told it.
                verify.args(seeds_of(args));
            }
            verify.assert().success();
        }
    }
}

/// The seed flags among a case's arguments.
fn seeds_of(args: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if ["--base-seed", "--seed", "--epoch"].contains(a) {
            out.extend([a.to_string(), args[i + 1].to_string()]);
        }
    }
    out
}

/// The config flags among a case's arguments (a JSON Lines input needs them).
fn config_of(args: &[&str]) -> Vec<String> {
    match args.iter().position(|a| *a == "--preset") {
        Some(i) => vec!["--preset".into(), args[i + 1].into()],
        None => vec!["--preset".into(), "moderate".into()],
    }
}

#[test]
fn stats_and_verify_use_the_sidecar_and_check_it() {
    let dir = tempfile::tempdir().unwrap();
    let npy = generate(dir.path(), "a.npy", &["-n", "3000", "--seed", "9"]);
    let jsonl = generate(dir.path(), "a.jsonl", &["-n", "3000", "--seed", "9"]);
    let stats = |p: &Path| dpa().arg("stats").arg(p).output().unwrap().stdout;
    assert_eq!(stats(&npy), stats(&jsonl));
    dpa()
        .arg("verify")
        .arg(&npy)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "3000 records verified (npy, statistics match)",
        ));

    // One changed byte in a row: the sidecar no longer describes the array.
    let mut bytes = std::fs::read(&npy).unwrap();
    let good = bytes.clone();
    let header = bytes.len() - 3000 * 112;
    bytes[header + 112 * 10 + 20] ^= 1;
    std::fs::write(&npy, &bytes).unwrap();
    for cmd in ["verify", "stats"] {
        dpa()
            .arg(cmd)
            .arg(&npy)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(
                "a.npy.json describes another array",
            ));
    }
    // Without the sidecar, the array alone: verify needs the config, and with it finds
    // the changed row.
    std::fs::remove_file(dir.path().join("a.npy.json")).unwrap();
    dpa()
        .arg("verify")
        .arg(&npy)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("without its sidecar"));
    dpa()
        .args(["verify", "--preset", "moderate", "--seed", "9"])
        .arg(&npy)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("record 10 (sample_id 10)"));
    std::fs::write(&npy, &good).unwrap();
    dpa()
        .args(["verify", "--preset", "moderate", "--seed", "9"])
        .arg(&npy)
        .assert()
        .success();
}

#[test]
fn a_resumed_array_is_the_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["-n", "5000", "--rank", "1", "--world-size", "2"]; // 2500 rows
    let whole = generate(dir.path(), "whole.npy", &args);
    let want = std::fs::read(&whole).unwrap();
    let out = dir.path().join("cut.npy");
    // A run killed mid-row: the header and 1234 rows, then part of the next.
    let header = want.len() - 2500 * 120;
    let cut = header + 120 * 1234 + 50;
    std::fs::write(dpa::atomic::partial_path(&out), &want[..cut]).unwrap();
    dpa()
        .args(["generate", "-q", "--resume", "-o"])
        .arg(&out)
        .args(args)
        .assert()
        .success();
    assert_eq!(std::fs::read(&out).unwrap(), want);
    let side = |p: &Path| {
        let text = std::fs::read_to_string(dpa::formats::npy::sidecar_path(p)).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    };
    assert_eq!(side(&out), side(&whole));
}

#[test]
fn arrays_that_are_not_dpas_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.npy");
    let cases: [(&str, &[u8]); 3] = [
        ("dtype", b"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"),
        ("shape", b"{'descr': [('sample_id', '<u8'), ('rotation', '<f8'), ('brightness', '<f8'), ('noise', '<f8'), ('scale', '<f8'), ('contrast', '<f8'), ('hash', '|S64')], 'fortran_order': False, 'shape': (2, 2), }"),
        ("NumPy header", b"{'descr': "),
    ];
    for (what, text) in cases {
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(text.len() as u16 + 1).to_le_bytes());
        bytes.extend_from_slice(text);
        bytes.push(b'\n');
        std::fs::write(&path, &bytes).unwrap();
        dpa().arg("stats").arg(&path).assert().code(1).stderr(
            predicate::str::contains("other.npy: header:").and(predicate::str::contains(what)),
        );
    }
    // The right header, rows missing.
    let good = generate(dir.path(), "good.npy", &["-n", "10"]);
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 112 - 5]).unwrap();
    dpa()
        .arg("stats")
        .arg(&path)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("row 8: truncated"));
}

#[test]
fn an_npy_output_needs_its_count_and_its_sidecar_name() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = generate(dir.path(), "a.jsonl", &["-n", "10"]);
    // A stream cannot be read twice to count it.
    dpa()
        .args(["convert", "-", "--preset", "moderate", "-o"])
        .arg(dir.path().join("b.npy"))
        .write_stdin(std::fs::read(&jsonl).unwrap())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("must be a regular file"));
    // The sidecar's name is an output too.
    let side = dir.path().join("c.npy.json");
    dpa()
        .args(["generate", "-n", "10", "-o"])
        .arg(dir.path().join("c.npy"))
        .arg("--stats")
        .arg(&side)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("same file"));
}

#[test]
fn a_named_pipe_for_a_sidecar_is_refused_without_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let npy = generate(dir.path(), "a.npy", &["-n", "10"]);
    let side = dir.path().join("a.npy.json");
    std::fs::remove_file(&side).unwrap();
    let made = StdCommand::new("mkfifo").arg(&side).status().unwrap();
    assert!(made.success());
    for cmd in ["stats", "verify", "convert"] {
        let mut c = dpa();
        c.arg(cmd).arg(&npy);
        if cmd == "convert" {
            c.arg("-o").arg(dir.path().join("b.jsonl"));
        }
        c.timeout(std::time::Duration::from_secs(20))
            .assert()
            .code(1)
            .stderr(predicate::str::contains("a.npy.json: not a regular file"));
    }
}
