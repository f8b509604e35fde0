//! The `dpa` command line: every subcommand, and every kind of bad input with its exit
//! code (2 usage or config, 1 data or I/O) and a message naming the flag, field or file.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn dpa() -> Command {
    Command::cargo_bin("dpa").unwrap()
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn vectors() -> Value {
    serde_json::from_str(&std::fs::read_to_string(data("reference-vectors.json")).unwrap()).unwrap()
}

fn jsonl(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8(stdout.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const NAMES: [&str; 5] = ["rotation", "brightness", "noise", "scale", "contrast"];

/// A record written by dpa against a reference sample: bits of every value, hash, id, rank.
fn assert_bits(got: &Value, want: &Value) {
    for name in NAMES {
        let bits = u64::from_str_radix(want["bits"][name].as_str().unwrap(), 16).unwrap();
        assert_eq!(
            got[name].as_f64().unwrap().to_bits(),
            bits,
            "{name} of {want}"
        );
    }
    assert_eq!(got["hash"], want["hash"]);
    assert_eq!(got["sample_id"], want["sample_id"]);
    assert_eq!(got.get("rank"), want.get("rank"));
}

#[test]
fn generate_jsonl_to_stdout_matches_the_reference_bits() {
    let v = vectors();
    let case = v["param_cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "moderate")
        .unwrap();
    let out = dpa()
        .args(["generate", "-n", "200", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stderr.is_empty(), "-q prints nothing");
    let records = jsonl(&out.stdout);
    assert_eq!(records.len(), 200);
    for (got, want) in records.iter().zip(case["samples"].as_array().unwrap()) {
        assert_bits(got, want);
    }
    // Key order as documented.
    let first = String::from_utf8(out.stdout).unwrap();
    assert!(first.starts_with(r#"{"sample_id":0,"rotation":"#));
}

#[test]
fn generate_with_start_id_at_the_top_of_the_id_space() {
    let v = vectors();
    let case = &v["param_cases"][0];
    let want = case["samples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["sample_id"].as_u64() == Some(u64::MAX))
        .unwrap();
    let out = dpa()
        .args([
            "generate",
            "--preset",
            "mild",
            "-n",
            "1",
            "--start-id",
            "18446744073709551615",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_bits(&jsonl(&out.stdout)[0], want);
    dpa()
        .args(["generate", "-n", "2", "--start-id", "18446744073709551615"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("exceed"));
}

#[test]
fn generate_rank_shards_equal_the_reference_stream_cases() {
    let v = vectors();
    for case in v["stream_distributed_cases"].as_array().unwrap() {
        let cfg = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(cfg.path(), case["config"].to_string()).unwrap();
        let world = case["world_size"].as_u64().unwrap();
        for rank in 0..world {
            let out = dpa()
                .arg("generate")
                .arg("--config")
                .arg(cfg.path())
                .args(["-n", &case["num_samples"].to_string()])
                .args([
                    "--rank",
                    &rank.to_string(),
                    "--world-size",
                    &world.to_string(),
                ])
                .args(["--base-seed", &case["start_id"].to_string()])
                .output()
                .unwrap();
            assert!(out.status.success());
            let got = jsonl(&out.stdout);
            let want = case["per_rank"][rank as usize].as_array().unwrap();
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(want) {
                assert_bits(g, w);
            }
        }
    }
}

#[test]
fn generate_json_file_holds_metadata_records_and_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    let stats = dir.path().join("stats.json");
    dpa()
        .args([
            "generate",
            "--preset",
            "mild",
            "-n",
            "25",
            "--start-id",
            "5",
            "-o",
        ])
        .arg(&path)
        .arg("--stats")
        .arg(&stats)
        .assert()
        .success()
        .stderr(predicate::str::contains("wrote 25 records"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(doc["metadata"]["num_samples"], 25);
    assert_eq!(doc["metadata"]["start_id"], 5);
    assert_eq!(doc["metadata"]["config"]["noise_range"][1], 0.05);
    let recs = doc["augmentations"].as_array().unwrap();
    assert_eq!(recs[0]["sample_id"], 5);
    assert_eq!(recs[24]["sample_id"], 29);
    let side: Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert_eq!(doc["statistics"], side);
    assert_eq!(side["rotation"]["count"], 25);
    // `dpa stats` of the file gives the same statistics.
    let out = dpa().arg("stats").arg(&path).output().unwrap();
    assert!(out.status.success());
    let again: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(again, side);
    assert!(!dir.path().join("out.json.partial").exists());
}

#[test]
fn generate_no_stats_leaves_statistics_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    dpa()
        .args(["generate", "-n", "3", "--no-stats", "-q", "-o"])
        .arg(&path)
        .assert()
        .success();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(doc.get("statistics").is_none());
    assert_eq!(doc["augmentations"].as_array().unwrap().len(), 3);
    // Zero samples make a valid, empty document.
    dpa()
        .args(["generate", "-n", "0", "-q", "--format", "json", "-o"])
        .arg(&path)
        .assert()
        .success();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(doc["augmentations"], serde_json::json!([]));
    assert_eq!(doc["statistics"]["rotation"]["count"], 0);
}

#[test]
fn generate_overrides_apply_on_top_of_the_preset() {
    let out = dpa()
        .args([
            "generate",
            "-n",
            "50",
            "--preset",
            "mild",
            "--rotation=-1,1",
            "--depth",
            "3",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    for r in jsonl(&out.stdout) {
        let rot = r["rotation"].as_f64().unwrap();
        assert!((-1.0..1.0).contains(&rot));
        let noise = r["noise"].as_f64().unwrap();
        assert!((0.0..0.05).contains(&noise));
    }
    // The library with the same config gives the same first record.
    let mut cfg = dpa::Preset::Mild.config();
    cfg.rotation_range = dpa::ParamRange::new(-1.0, 1.0);
    cfg.augmentation_depth = 3;
    let p = dpa::Generator::new(cfg).unwrap().params(0);
    let first = &jsonl(&out.stdout)[0];
    assert_eq!(
        first["rotation"].as_f64().unwrap().to_bits(),
        p.rotation.to_bits()
    );
}

#[test]
fn bad_config_flags_exit_2_and_name_the_flag() {
    let cases: &[(&[&str], &str)] = &[
        (&["--preset", "wild"], "wild"),
        (&["--rotation", "5,1"], "--rotation"),
        (&["--rotation", "abc"], "LO,HI"),
        (&["--noise=nan,1"], "noise_range"),
        (&["--depth", "0"], "--depth"),
        (&["--depth=-3"], "--depth"),
        (&["--depth", "20000"], "augmentation_depth"),
        (&["--preset", "mild", "--config", "x.json"], "--config"),
        (
            &["--config", "/no/such/config.json"],
            "/no/such/config.json",
        ),
        (&["--rank", "1"], "--world-size"),
        (&["--rank", "4", "--world-size", "4"], "rank 4"),
        (&["--rank", "0", "--world-size", "0"], "world_size"),
        (&["--format", "xml"], "xml"),
    ];
    for (flags, needle) in cases {
        dpa()
            .args(["generate", "-n", "3"])
            .args(*flags)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(*needle))
            .stdout("");
    }
    dpa()
        .args(["generate"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--num-samples"));
    dpa().args(["generate", "-n", "-5"]).assert().code(2);
}

#[test]
fn bad_config_files_exit_2_and_name_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("{\"rotation_range\": [10, -10]}", "rotation_range"),
        ("{\"rotation_range\": [\"a\", 1]}", "rotation_range"),
        ("{\"augmentation_depth\": 0}", "augmentation_depth"),
        ("{\"speed\": 3}", "speed"),
        ("{not json", "line 1"),
    ];
    for (text, needle) in cases {
        let path = dir.path().join("cfg.json");
        std::fs::write(&path, text).unwrap();
        dpa()
            .args(["generate", "-n", "1", "--config"])
            .arg(&path)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(needle).and(predicate::str::contains("cfg.json")));
    }
    // A reference output file works as a config: its metadata holds one.
    dpa()
        .args(["generate", "-n", "1", "-q", "--config"])
        .arg(data("reference-chain-moderate-50.json"))
        .assert()
        .success();
}

#[test]
fn output_errors_leave_nothing_and_existing_files_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("keep.jsonl");
    std::fs::write(&existing, "precious\n").unwrap();
    // Invalid config: nothing written, the old file intact.
    dpa()
        .args(["generate", "-n", "3", "--depth", "0", "-o"])
        .arg(&existing)
        .assert()
        .code(2);
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "precious\n");
    // Unknown extension without --format: usage error.
    dpa()
        .args(["generate", "-n", "3", "-o"])
        .arg(dir.path().join("out.txt"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("out.txt"));
    // Folder missing: I/O error naming the file.
    dpa()
        .args(["generate", "-n", "3", "-o"])
        .arg(dir.path().join("missing/out.jsonl"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("missing/out.jsonl"));
    // Output is a directory.
    dpa()
        .args(["generate", "-n", "3", "--format", "jsonl", "-o"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("directory"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("keep.jsonl")]);
}

#[test]
fn writing_to_a_full_device_is_an_io_error() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = StdCommand::new(assert_cmd::cargo::cargo_bin("dpa"))
        .args(["generate", "-n", "100000", "-q"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdout>"));
}

#[test]
fn broken_pipe_exits_0() {
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("dpa"))
        .args(["generate", "-n", "100000000", "-q"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with(r#"{"sample_id":0,"#));
    // The reader is gone now (dropped); dpa must stop quietly with success.
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "status {:?}", out.status);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn params_prints_records_for_ids_in_the_given_order() {
    let v = vectors();
    let case = &v["distributed_cases"][0];
    let picks: Vec<&Value> = case["samples"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .take(4)
        .collect();
    for want in picks {
        let out = dpa()
            .args(["params", &want["sample_id"].to_string()])
            .args([
                "--rank",
                &want["rank"].to_string(),
                "--world-size",
                "4",
                "--base-seed",
                "0",
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_bits(&jsonl(&out.stdout)[0], want);
    }
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids.txt");
    std::fs::write(&ids, "7 3\n# comment\n18446744073709551615\n").unwrap();
    let out = dpa()
        .args(["params", "9", "--ids-file"])
        .arg(&ids)
        .output()
        .unwrap();
    assert!(out.status.success());
    let got: Vec<u64> = jsonl(&out.stdout)
        .iter()
        .map(|r| r["sample_id"].as_u64().unwrap())
        .collect();
    assert_eq!(got, [9, 7, 3, u64::MAX]);
}

#[test]
fn params_bad_input() {
    dpa()
        .args(["params"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no sample ids"));
    dpa().args(["params", "-1"]).assert().code(2);
    dpa()
        .args(["params", "18446744073709551616"])
        .assert()
        .code(2);
    dpa()
        .args(["params", "1", "--rank", "3", "--world-size", "2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("rank 3"));
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids.txt");
    std::fs::write(&ids, "1 2\n3 x4\n").unwrap();
    dpa()
        .args(["params", "--ids-file"])
        .arg(&ids)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("ids.txt: line 2").and(predicate::str::contains("x4")));
    dpa()
        .args(["params", "--ids-file", "/no/such/ids"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("/no/such/ids"));
}

#[test]
fn split_matches_the_reference_ranges() {
    let v = vectors();
    for case in v["range_cases"].as_array().unwrap() {
        let out = dpa()
            .args(["split", "--total", &case["total_samples"].to_string()])
            .args(["--world-size", &case["world_size"].to_string()])
            .output()
            .unwrap();
        assert!(out.status.success());
        let got: Vec<Value> = jsonl(&out.stdout)
            .iter()
            .map(|r| serde_json::json!([r["start"], r["end"]]))
            .collect();
        assert_eq!(Value::Array(got), case["ranges"]);
    }
    let out = dpa()
        .args(["split", "--total", "10", "--world-size", "4", "--rank", "3"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"rank\":3,\"start\":8,\"end\":10}\n"
    );
    dpa()
        .args(["split", "--total", "10", "--world-size", "0"])
        .assert()
        .code(2);
    dpa()
        .args(["split", "--total", "10", "--world-size", "2", "--rank", "2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("rank 2"));
}

#[test]
fn stats_reads_every_format_and_the_reference_files() {
    let reference = data("reference-chain-moderate-50.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&reference).unwrap()).unwrap();
    let out = dpa().arg("stats").arg(&reference).output().unwrap();
    assert!(out.status.success());
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Exact: the reference's own statistics, every number (serde_json reads and
    // writes floats losslessly, so equal values are equal bits).
    for name in NAMES {
        for key in ["mean", "stdev", "min", "max", "count"] {
            assert_eq!(got[name][key], doc["statistics"][name][key], "{name} {key}");
        }
    }
    dpa()
        .arg("stats")
        .arg(data("reference-stream-mild-20-nostats.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("\"count\": 20"));
    // JSONL from stdin.
    let gen = dpa().args(["generate", "-n", "30", "-q"]).output().unwrap();
    dpa()
        .args(["stats", "-"])
        .write_stdin(gen.stdout)
        .assert()
        .success()
        .stdout(predicate::str::contains("\"count\": 30"));
}

#[test]
fn stats_bad_files_exit_1_naming_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let gen = dpa().args(["generate", "-n", "3", "-q"]).output().unwrap();
    let text = String::from_utf8(gen.stdout).unwrap();
    let torn = &text[..text.len() - 40];
    let cases: Vec<(&str, String, &str)> = vec![
        ("torn.jsonl", torn.to_string(), "line 3"),
        ("notobj.jsonl", "5\n".into(), "byte 0"),
        (
            "nonnum.jsonl",
            text.replacen("\"rotation\":", "\"rotation\":\"x\",\"r\":", 1),
            "line 1",
        ),
        (
            "badhash.jsonl",
            text.replacen("\"hash\":\"", "\"hash\":\"zz", 1),
            "hash",
        ),
        (
            "doc.json",
            "{\"metadata\": {}, \"augmentations\": [1]}".into(),
            "record 0",
        ),
        (
            "trunc.json",
            "{\"metadata\": {}, \"augmentations\": [".into(),
            "record 0",
        ),
        ("garbage.json", "\u{1}\u{2}binary".into(), "byte 0"),
    ];
    for (name, content, needle) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        dpa()
            .arg("stats")
            .arg(&path)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(name).and(predicate::str::contains(needle)))
            .stdout("");
    }
    dpa()
        .args(["stats", "/no/such/file.jsonl"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("/no/such/file.jsonl"));
    dpa()
        .arg("stats")
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("directory"));
}

#[test]
fn presets_lists_the_reference_values() {
    let out = dpa().args(["presets", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for p in dpa::Preset::ALL {
        let cfg: dpa::AugmentationConfig = serde_json::from_value(v[p.name()].clone()).unwrap();
        assert_eq!(cfg, p.config());
    }
    // The golden vectors' configs are the presets'.
    let vectors = vectors();
    for case in vectors["param_cases"].as_array().unwrap().iter().take(3) {
        let name = case["name"].as_str().unwrap();
        let cfg: dpa::AugmentationConfig = serde_json::from_value(case["config"].clone()).unwrap();
        assert_eq!(cfg, name.parse::<dpa::Preset>().unwrap().config(), "{name}");
    }
    dpa()
        .arg("presets")
        .assert()
        .success()
        .stdout(predicate::str::contains("aggressive"));
}

#[test]
fn help_and_version_succeed_unknown_commands_fail_with_2() {
    dpa()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("generate"));
    dpa()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains("dpa"));
    dpa().arg("frobnicate").assert().code(2);
    dpa().assert().code(2);
}

#[test]
fn writing_to_dev_null_keeps_it_a_device() {
    use std::os::unix::fs::FileTypeExt;
    if !Path::new("/dev/null").exists() {
        return;
    }
    dpa()
        .args([
            "generate",
            "-n",
            "1000",
            "-q",
            "--format",
            "jsonl",
            "-o",
            "/dev/null",
        ])
        .assert()
        .success();
    let meta = std::fs::metadata("/dev/null").unwrap();
    assert!(meta.file_type().is_char_device(), "/dev/null was replaced");
}

/// Exact statistics: the same bits wherever they are stored or recomputed — the JSON
/// document's, the binary trailer's, `--stats`, and `dpa stats` of each format — for a
/// range generated with different threads, chunk sizes and batch strategies.
#[test]
fn statistics_are_the_same_bits_in_every_format_and_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let text = |v: &Value| serde_json::to_string(v).unwrap();
    let runs: [(&str, &[&str]); 4] = [
        ("a.json", &["--threads", "1", "--chunk-size", "1000"]),
        ("b.bin", &["--threads", "2", "--chunk-size", "777"]),
        (
            "c.jsonl",
            &[
                "--threads",
                "3",
                "--batch-strategy",
                "adaptive",
                "--batch-size",
                "100",
            ],
        ),
        (
            "d.json",
            &[
                "--threads",
                "2",
                "--batch-strategy",
                "round-robin",
                "--lanes",
                "3",
            ],
        ),
    ];
    let mut seen = Vec::new();
    for (name, extra) in runs {
        let path = dir.path().join(name);
        let side = dir.path().join(format!("{name}.stats.json"));
        dpa()
            .args(["generate", "-q", "-n", "30011", "--start-id", "17", "-o"])
            .arg(&path)
            .arg("--stats")
            .arg(&side)
            .args(extra)
            .assert()
            .success();
        let out = dpa().arg("stats").arg(&path).output().unwrap();
        assert!(out.status.success());
        let recomputed: Value = serde_json::from_slice(&out.stdout).unwrap();
        let stored: Value = serde_json::from_slice(&std::fs::read(&side).unwrap()).unwrap();
        seen.push(text(&recomputed));
        seen.push(text(&stored));
        if name.ends_with(".json") {
            let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            seen.push(text(&doc["statistics"]));
        }
    }
    assert!(seen.iter().all(|s| *s == seen[0]), "{seen:#?}");
}

/// `--seed S --epoch E`: every format records the seeding and verifies; the values are
/// those of `dpa params` with the same flags; epochs differ; with --rank it is a usage
/// error; JSON Lines (no metadata) verify only with the flags.
#[test]
fn seed_and_epoch_seeding_is_recorded_and_verified() {
    let dir = tempfile::tempdir().unwrap();
    let lines = |epoch: &str| {
        let out = dpa()
            .args([
                "generate",
                "-q",
                "-n",
                "300",
                "--start-id",
                "40",
                "--seed",
                "9",
                "--epoch",
            ])
            .arg(epoch)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let (e0, e1) = (lines("0"), lines("1"));
    assert_ne!(e0, e1, "epochs differ");
    assert!(!e1.contains("\"rank\""), "keyed records carry no rank");
    let params = dpa()
        .args(["params", "42", "--seed", "9", "--epoch", "1"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(params.stdout).unwrap().trim(),
        e1.lines().nth(2).unwrap(),
        "params of id 42 = the generated record"
    );
    for ext in ["json", "bin"] {
        let path = dir.path().join(format!("k.{ext}"));
        dpa()
            .args([
                "generate", "-q", "-n", "1000", "--seed", "9", "--epoch", "2", "-o",
            ])
            .arg(&path)
            .assert()
            .success();
        dpa().arg("verify").arg(&path).assert().success();
    }
    let jsonl = dir.path().join("k.jsonl");
    std::fs::write(&jsonl, &e1).unwrap();
    dpa()
        .arg("verify")
        .arg(&jsonl)
        .arg("--preset")
        .arg("moderate")
        .assert()
        .code(1);
    dpa()
        .arg("verify")
        .arg(&jsonl)
        .args(["--preset", "moderate", "--seed", "9", "--epoch", "1"])
        .assert()
        .success();
    dpa()
        .args([
            "generate",
            "-n",
            "5",
            "--seed",
            "1",
            "--rank",
            "0",
            "--world-size",
            "2",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--seed/--epoch and --rank"));
}
