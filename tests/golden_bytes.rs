//! Bytes do not change: every file dpa writes for fixed settings — each format, each
//! seeding, with and without statistics, converted, merged, and the commands' printed
//! output — has the SHA-256 recorded in `tests/data/golden-bytes.json`.
//!
//! The recorded hashes were taken from the files written by main before the
//! architecture refactor of issue #10 (the commit that added this test; the build of
//! 88bcc03, before the hardening of issue #9, writes the same bytes), so a refactor that
//! changes one byte of any output fails here. `DPA_BLESS=1 cargo test --test
//! golden_bytes` rewrites the record — only for a change that is meant to change bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use sha2::{Digest, Sha256};

/// This build's `dpa`, or `DPA_TEST_BIN` (to compare another build's bytes).
fn dpa() -> Command {
    match std::env::var_os("DPA_TEST_BIN") {
        Some(p) => Command::new(p),
        None => Command::cargo_bin("dpa").unwrap(),
    }
}

fn golden_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden-bytes.json")
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs `dpa ARGS` in `dir`, which must succeed; returns its stdout.
fn run(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = dpa().args(args).current_dir(dir).output().unwrap();
    assert!(
        out.status.success(),
        "dpa {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Every output of the fixed scenario, by name.
fn outputs(dir: &Path) -> BTreeMap<String, String> {
    let mut got = BTreeMap::new();
    let mut file = |name: &str| {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        got.insert(name.to_string(), sha256(&bytes));
    };
    let settings: [(&str, &[&str]); 4] = [
        ("plain", &["--preset", "mild", "-n", "1000"]),
        (
            "rank",
            &[
                "--preset",
                "mild",
                "-n",
                "1000",
                "--rank",
                "1",
                "--world-size",
                "3",
                "--base-seed",
                "7",
            ],
        ),
        (
            "nostats",
            &["--preset", "aggressive", "-n", "500", "--no-stats"],
        ),
        (
            "custom",
            &[
                "-n",
                "100",
                "--start-id",
                "123456789",
                "--depth",
                "3",
                "--rotation=-1,2",
            ],
        ),
    ];
    for (tag, flags) in settings {
        for ext in ["jsonl", "json", "bin"] {
            let name = format!("{tag}.{ext}");
            let mut args = vec!["generate", "-q", "-o", &name];
            args.extend_from_slice(flags);
            run(dir, &args);
            file(&name);
        }
    }
    run(
        dir,
        &[
            "generate",
            "-q",
            "--preset",
            "mild",
            "-n",
            "1000",
            "-o",
            "side.jsonl",
            "--stats",
            "side.stats.json",
        ],
    );
    file("side.stats.json");
    run(dir, &["convert", "plain.bin", "-o", "conv-from-bin.json"]);
    run(dir, &["convert", "rank.json", "-o", "conv-from-json.jsonl"]);
    run(
        dir,
        &[
            "convert",
            "plain.jsonl",
            "--preset",
            "mild",
            "-o",
            "conv-from-jsonl.bin",
        ],
    );
    run(dir, &["stats", "plain.jsonl", "-o", "stats.json"]);
    for name in [
        "conv-from-bin.json",
        "conv-from-json.jsonl",
        "conv-from-jsonl.bin",
        "stats.json",
    ] {
        file(name);
    }
    let printed: [(&str, &[&str]); 3] = [
        (
            "params.stdout",
            &[
                "params",
                "0",
                "42",
                "18446744073709551615",
                "--preset",
                "aggressive",
            ],
        ),
        (
            "split.stdout",
            &["split", "--total", "1000003", "--world-size", "7"],
        ),
        (
            "generate.stdout",
            &["generate", "-q", "-n", "50", "--format", "json"],
        ),
    ];
    for (name, args) in printed {
        got.insert(name.to_string(), sha256(&run(dir, args)));
    }
    got
}

/// The shards of a two-rank run (their manifest holds timings and host names, which
/// vary) and their merge.
fn distributed_outputs(dir: &Path, got: &mut BTreeMap<String, String>) {
    use dpa::distributed::{
        run_generate, shard_file_name, GenerateJob, GlobalSeeding, LocalCommunicator,
    };
    for (format, seeding) in [
        (dpa::Format::Jsonl, GlobalSeeding::RankAware),
        (dpa::Format::Bincode, GlobalSeeding::Global),
        (dpa::Format::Json, GlobalSeeding::RankAware),
    ] {
        let run_dir = dir.join(format!("run-{}", format.name()));
        std::fs::create_dir(&run_dir).unwrap();
        let job = GenerateJob {
            config: dpa::Preset::Moderate.config(),
            num_samples: 301,
            start_id: 5,
            base_seed: 3,
            epoch: 0,
            seeding,
            format,
            threads: Some(2),
            output: dpa::distributed::JobOutput::Shards(run_dir.clone()),
            resume: false,
            with_stats: true,
            kernel: dpa::kernel::Kernel::detect(),
            compression: Default::default(),
        };
        LocalCommunicator::run(2, |c| run_generate(c, &job).is_ok())
            .unwrap()
            .into_iter()
            .for_each(|ok| assert!(ok));
        for rank in 0..2 {
            let name = shard_file_name(rank, 2, format);
            let bytes = std::fs::read(run_dir.join(&name)).unwrap();
            got.insert(format!("run-{}/{name}", format.name()), sha256(&bytes));
        }
        let merged = format!("merged.{}", format.extension());
        run(&run_dir, &["merge", "manifest.json", "-o", &merged]);
        let bytes = std::fs::read(run_dir.join(&merged)).unwrap();
        got.insert(format!("run-{}/{merged}", format.name()), sha256(&bytes));
    }
}

#[test]
fn every_output_has_its_recorded_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut got = outputs(dir.path());
    distributed_outputs(dir.path(), &mut got);
    if std::env::var_os("DPA_BLESS").is_some() {
        let text = serde_json::to_string_pretty(&got).unwrap() + "\n";
        std::fs::write(golden_path(), text).unwrap();
        return;
    }
    let want: BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(golden_path()).unwrap()).unwrap();
    assert_eq!(got.len(), want.len(), "the scenario's outputs changed");
    for (name, hash) in &want {
        assert_eq!(got.get(name), Some(hash), "{name}: its bytes changed");
    }
}
