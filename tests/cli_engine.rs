//! The engine through the command line: output independent of threads, chunk size and
//! batching; bincode; convert, verify and resume; damaged files.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn dpa() -> Command {
    Command::cargo_bin("dpa").unwrap()
}

fn generate(dir: &Path, name: &str, extra: &[&str]) -> Vec<u8> {
    let path = dir.join(name);
    dpa()
        .args(["generate", "-q", "-o"])
        .arg(&path)
        .args(extra)
        .assert()
        .success();
    std::fs::read(&path).unwrap()
}

#[test]
fn output_bytes_do_not_depend_on_threads_or_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    let want = generate(dir.path(), "ref.jsonl", &["-n", "20000", "--threads", "1"]);
    for threads in ["1", "2", "7"] {
        for chunk in ["1", "777", "65536"] {
            let got = generate(
                dir.path(),
                "x.jsonl",
                &["-n", "20000", "--threads", threads, "--chunk-size", chunk],
            );
            assert!(got == want, "threads {threads} chunk {chunk}");
        }
    }
    for ext in ["json", "bin"] {
        let one = generate(
            dir.path(),
            &format!("a.{ext}"),
            &["-n", "30000", "--threads", "1", "--chunk-size", "1000"],
        );
        let two = generate(
            dir.path(),
            &format!("b.{ext}"),
            &["-n", "30000", "--threads", "2", "--chunk-size", "777"],
        );
        assert!(one == two, "{ext}");
    }
}

#[test]
fn every_batch_strategy_writes_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let want = generate(dir.path(), "ref.json", &["-n", "25000"]);
    for (strategy, extra) in [
        ("sequential", vec!["--batch-size", "1000"]),
        ("round-robin", vec!["--batch-size", "333", "--lanes", "3"]),
        ("memory-optimized", vec!["--max-memory-mb", "1"]),
        (
            "adaptive",
            vec!["--batch-size", "100", "--min-batch-size", "10"],
        ),
    ] {
        let path = dir.path().join("x.json");
        let out = dpa()
            .args(["generate", "-n", "25000", "-o"])
            .arg(&path)
            .args(["--batch-strategy", strategy, "-v"])
            .args(&extra)
            .output()
            .unwrap();
        assert!(out.status.success());
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains(&format!("batches: {strategy}:")),
            "{stderr}"
        );
        assert!(std::fs::read(&path).unwrap() == want, "{strategy}");
    }
}

#[test]
fn invalid_engine_and_batch_flags_exit_2_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    for (flags, needle) in [
        (vec!["--batch-size", "0"], "--batch-size"),
        (
            vec!["--batch-size", "10", "--min-batch-size", "20"],
            "--batch-size",
        ),
        (vec!["--max-memory-mb", "0"], "--max-memory-mb"),
        (vec!["--lanes", "0"], "--lanes"),
        (vec!["--batch-strategy", "random"], "random"),
        (vec!["--threads", "0"], "--threads"),
        (vec!["--chunk-size", "0"], "--chunk-size"),
    ] {
        dpa()
            .args(["generate", "-n", "10", "-o"])
            .arg(&out)
            .args(&flags)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(needle));
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{flags:?}"
        );
    }
}

#[test]
fn resume_finishes_with_the_bytes_of_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    for (ext, extra) in [
        ("jsonl", vec![]),
        ("json", vec![]),
        ("bin", vec![]),
        (
            "json",
            vec!["--rank", "1", "--world-size", "3", "--base-seed", "5"],
        ),
        ("bin", vec!["--no-stats"]),
    ] {
        let mut args = vec!["-n", "3000"];
        args.extend(&extra);
        let full = generate(dir.path(), &format!("full.{ext}"), &args);
        let len = full.len();
        for cut in [0, 1, 7, 100, len / 3, len / 2 + 13, len - 40, len - 1] {
            let target = dir.path().join(format!("r.{ext}"));
            let _ = std::fs::remove_file(&target);
            let partial = PathBuf::from(format!("{}.partial", target.display()));
            std::fs::write(&partial, &full[..cut]).unwrap();
            let out = dpa()
                .args(["generate", "-q", "-o"])
                .arg(&target)
                .args(&args)
                .arg("--resume")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{ext} {extra:?} cut {cut}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                std::fs::read(&target).unwrap() == full,
                "{ext} {extra:?} cut {cut}"
            );
            assert!(!partial.exists());
        }
    }
}

#[test]
fn resume_refuses_a_partial_file_from_other_settings() {
    let dir = tempfile::tempdir().unwrap();
    let full = generate(dir.path(), "full.jsonl", &["-n", "100", "--preset", "mild"]);
    let target = dir.path().join("r.jsonl");
    let partial = dir.path().join("r.jsonl.partial");
    std::fs::write(&partial, &full[..full.len() / 2]).unwrap();
    // Another config: the records do not match.
    dpa()
        .args([
            "generate",
            "-n",
            "100",
            "--preset",
            "aggressive",
            "--resume",
            "-o",
        ])
        .arg(&target)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "r.jsonl.partial: record 0 (byte 29): differs from what these settings write",
        ));
    // Another start id: the ids do not match.
    dpa()
        .args([
            "generate",
            "-n",
            "100",
            "--preset",
            "mild",
            "--start-id",
            "5",
            "--resume",
            "-o",
        ])
        .arg(&target)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "record 0 (byte 13): differs from what these settings write",
        ));
    assert!(partial.exists() && !target.exists());
    // A binary partial whose header is another run's: refused, kept.
    let other = generate(dir.path(), "other.bin", &["-n", "100", "--preset", "mild"]);
    let bin_partial = dir.path().join("r.bin.partial");
    std::fs::write(&bin_partial, &other[..other.len() / 2]).unwrap();
    dpa()
        .args([
            "generate",
            "-n",
            "100",
            "--preset",
            "aggressive",
            "--resume",
            "-o",
        ])
        .arg(dir.path().join("r.bin"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("other settings"));
    assert!(bin_partial.exists());
    dpa()
        .args(["generate", "-n", "5", "--resume"])
        .assert()
        .code(2);
}

#[test]
fn convert_is_lossless_between_formats() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let jsonl = generate(d, "a.jsonl", &["-n", "2000", "--preset", "mild"]);
    let json = generate(
        d,
        "a.json",
        &["-n", "2000", "--rank", "2", "--world-size", "4"],
    );
    let bin = generate(
        d,
        "a.bin",
        &["-n", "2000", "--rank", "2", "--world-size", "4"],
    );
    let convert = |input: &str, output: &str, extra: &[&str]| {
        dpa()
            .arg("convert")
            .arg(d.join(input))
            .arg("-o")
            .arg(d.join(output))
            .args(extra)
            .assert()
            .success();
        std::fs::read(d.join(output)).unwrap()
    };
    convert("a.jsonl", "b.bin", &["--preset", "mild"]);
    assert!(convert("b.bin", "b.jsonl", &[]) == jsonl);
    assert!(convert("a.json", "c.bin", &[]) == bin);
    assert!(convert("c.bin", "c.json", &[]) == json);
    // The reference's files convert too, and the numbers survive.
    let reference =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/reference-chain-moderate-50.json");
    dpa()
        .arg("convert")
        .arg(&reference)
        .arg("-o")
        .arg(d.join("ref.bin"))
        .assert()
        .success();
    dpa()
        .arg("verify")
        .arg(d.join("ref.bin"))
        .assert()
        .success();
    // Config flags are for JSON Lines input only.
    dpa()
        .arg("convert")
        .arg(d.join("a.json"))
        .arg("-o")
        .arg(d.join("z.bin"))
        .args(["--preset", "mild"])
        .assert()
        .code(2);
    assert!(!d.join("z.bin").exists());
}

#[test]
fn verify_reports_the_first_mismatch_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = String::from_utf8(generate(d, "a.jsonl", &["-n", "500"])).unwrap();
    dpa()
        .arg("verify")
        .arg(d.join("a.jsonl"))
        .args(["--preset", "moderate"])
        .assert()
        .success();
    // JSON Lines carry no config.
    dpa()
        .arg("verify")
        .arg(d.join("a.jsonl"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--preset"));
    // Change one value of record 321.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let rec: serde_json::Value = serde_json::from_str(&lines[321]).unwrap();
    let old = rec["noise"].as_f64().unwrap();
    lines[321] = lines[321].replace(
        &format!("\"noise\":{old:?}"),
        &format!("\"noise\":{:?}", old * 0.5),
    );
    std::fs::write(d.join("bad.jsonl"), lines.join("\n") + "\n").unwrap();
    dpa()
        .arg("verify")
        .arg(d.join("bad.jsonl"))
        .args(["--preset", "moderate"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "record 321 (sample_id 321): noise",
        ));
    // The wrong config is a mismatch at record 0.
    dpa()
        .arg("verify")
        .arg(d.join("a.jsonl"))
        .args(["--preset", "mild"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("record 0"));
    // Rank-aware files carry their base seed.
    generate(
        d,
        "r.bin",
        &[
            "-n",
            "100",
            "--rank",
            "1",
            "--world-size",
            "2",
            "--base-seed",
            "9",
        ],
    );
    dpa()
        .arg("verify")
        .arg(d.join("r.bin"))
        .assert()
        .success()
        .stdout(predicate::str::contains("50 records verified"));
    dpa()
        .arg("verify")
        .arg(d.join("r.bin"))
        .args(["--base-seed", "8"])
        .assert()
        .code(1);
}

#[test]
fn damaged_binary_files_are_reported_with_their_byte_position() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = generate(d, "a.bin", &["-n", "10"]);
    let mut wrong_magic = good.clone();
    wrong_magic[1] = b'X';
    let mut wrong_version = good.clone();
    wrong_version[8] = 9;
    let mut bad_tag = good.clone();
    let header_len = 14 + u32::from_le_bytes(good[10..14].try_into().unwrap()) as usize;
    bad_tag[header_len + 82] = 7;
    let mut trailing = good.clone();
    trailing.push(0);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated.bin", good[..good.len() - 30].to_vec(), "byte"),
        (
            "mid-record.bin",
            good[..header_len + 50].to_vec(),
            "truncated record 0",
        ),
        (
            "no-trailer.bin",
            good[..header_len + 82].to_vec(),
            "no trailer after record 1",
        ),
        ("magic.bin", wrong_magic, "byte 0"),
        ("version.bin", wrong_version, "unsupported format version 9"),
        ("tag.bin", bad_tag, "unknown tag"),
        ("trailing.bin", trailing, "trailing bytes"),
    ];
    for (name, bytes, needle) in cases {
        std::fs::write(d.join(name), bytes).unwrap();
        dpa()
            .arg("stats")
            .arg(d.join(name))
            .assert()
            .code(1)
            .stderr(predicate::str::contains(name).and(predicate::str::contains(needle)));
        dpa()
            .arg("convert")
            .arg(d.join(name))
            .arg("-o")
            .arg(d.join("out.jsonl"))
            .assert()
            .code(1);
        assert!(!d.join("out.jsonl").exists(), "{name}");
    }
}

#[test]
fn progress_is_hidden_unless_asked() {
    let quiet = dpa()
        .args(["generate", "-n", "50000", "-o", "-"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("ETA"));
    let shown = dpa()
        .args(["generate", "-n", "50000", "--progress"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&shown.stderr).contains("records"));
}

#[test]
fn a_killed_run_leaves_no_torn_file_and_resumes_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("k.bin");
    let partial = dir.path().join("k.bin.partial");
    let args = [
        "generate",
        "-q",
        "-n",
        "1000000",
        "--threads",
        "1",
        "--chunk-size",
        "4096",
    ];
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("dpa"))
        .args(args)
        .arg("-o")
        .arg(&target)
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    child.kill().unwrap();
    child.wait().unwrap();
    if target.exists() {
        // The run finished before it could be killed: nothing to test on this machine.
        return;
    }
    assert!(
        partial.exists(),
        "the interrupted run keeps its partial output"
    );
    dpa()
        .args(args)
        .arg("-o")
        .arg(&target)
        .arg("--resume")
        .assert()
        .success();
    let fresh = generate(dir.path(), "fresh.bin", &args[2..]);
    assert!(std::fs::read(&target).unwrap() == fresh);
    assert!(!partial.exists());
}
