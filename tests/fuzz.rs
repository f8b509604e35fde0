//! A fuzzing harness that stays: every reader of dpa is fed truncations, bit flips,
//! overwritten and inserted bytes of valid files (made here, not committed), in a
//! child process under a 512 MiB address-space limit and a time limit. Each run must
//! end with exit 0, 1 or 2 — never a panic, an abort or a signal — and a failure must
//! name the file. A resumed run must either refuse its partial file or finish with
//! the bytes of an uninterrupted run.
//!
//! The cases are drawn from a fixed seed, and their number is bounded (`FUZZ_CASES`,
//! 64 by default per reader) so that CI stays fast; raise it to search longer.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

fn bin() -> PathBuf {
    match std::env::var_os("DPA_TEST_BIN") {
        Some(p) => PathBuf::from(p),
        None => assert_cmd::cargo::cargo_bin("dpa"),
    }
}

/// Runs `dpa ARGS` under `ulimit -v` 512 MiB and a 30 s limit.
fn run_limited(args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 524288 && exec \"$0\" \"$@\"")
        .arg(bin())
        .args(args)
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap()
}

/// How a valid file is damaged.
#[derive(Debug, Clone)]
enum Mutation {
    /// Keep only the first `at` bytes (taken modulo the length).
    Truncate(usize),
    /// Flip these bits (positions modulo the length in bits).
    Flip(Vec<usize>),
    /// Overwrite bytes from `at` with these.
    Overwrite(usize, Vec<u8>),
    /// Insert these bytes at `at`.
    Insert(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        prop::collection::vec(any::<usize>(), 1..8).prop_map(Mutation::Flip),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..32))
            .prop_map(|(at, b)| Mutation::Overwrite(at, b)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..32))
            .prop_map(|(at, b)| Mutation::Insert(at, b)),
    ]
}

fn apply(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let len = out.len().max(1);
    match m {
        Mutation::Truncate(at) => out.truncate(at % len),
        Mutation::Flip(bits) => {
            for b in bits {
                let bit = b % (len * 8);
                if let Some(byte) = out.get_mut(bit / 8) {
                    *byte ^= 1 << (bit % 8);
                }
            }
        }
        Mutation::Overwrite(at, new) => {
            for (i, b) in new.iter().enumerate() {
                if let Some(byte) = out.get_mut((at % len) + i) {
                    *byte = *b;
                }
            }
        }
        Mutation::Insert(at, new) => {
            let at = at % len.min(out.len() + 1).max(1);
            out.splice(at..at, new.iter().copied());
        }
    }
    out
}

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// A runner with a fixed seed (different per reader) and a bounded number of cases.
fn runner(seed: u8) -> TestRunner {
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 64,
        ..Config::default()
    };
    TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}

/// The outcome every run must have: exit 0, 1 or 2; on failure, a message naming
/// `names` (the file, or one of the files) and no panic.
fn check_outcome(out: &Output, names: &[&Path]) -> Result<(), TestCaseError> {
    let err = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    prop_assert!(
        matches!(code, Some(0..=2)),
        "exit {:?} (a signal, an abort or a panic): {err}",
        out.status
    );
    prop_assert!(!err.contains("panicked"), "{err}");
    if code != Some(0) {
        let named = names.iter().any(|p| err.contains(p.to_str().unwrap()));
        prop_assert!(named, "the message names none of {names:?}: {err}");
    }
    Ok(())
}

/// Valid files of every format, from the real writer.
struct Corpus {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    files: Vec<(PathBuf, Vec<u8>)>,
}

fn corpus(extra: &[&str]) -> Corpus {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let mut files = Vec::new();
    for name in ["c.jsonl", "c.json", "c.bin", "c.npy"] {
        let path = root.join(name);
        Command::new(bin())
            .args(["generate", "-q", "--preset", "mild", "-n", "20", "-o"])
            .arg(&path)
            .args(extra)
            .assert()
            .success();
        let bytes = std::fs::read(&path).unwrap();
        files.push((path, bytes));
    }
    // The .npy file's sidecar, damaged on its own (next to a good array).
    let sidecar = root.join("c.npy.json");
    let bytes = std::fs::read(&sidecar).unwrap();
    files.push((sidecar, bytes));
    Corpus {
        _dir: dir,
        dir: root,
        files,
    }
}

/// Writes `bytes` (of the corpus file `path`) damaged by `m` as `bad.<ext>` and returns
/// the file to read: a damaged array gets its good sidecar, a damaged sidecar its good
/// array.
fn damage(c: &Corpus, path: &Path, bytes: &[u8], m: &Mutation) -> PathBuf {
    let name = path.file_name().unwrap().to_str().unwrap();
    let ext = name.split_once('.').unwrap().1;
    std::fs::write(c.dir.join(format!("bad.{ext}")), apply(bytes, m)).unwrap();
    let bad = c.dir.join("bad.npy");
    match ext {
        "npy" => std::fs::copy(c.dir.join("c.npy.json"), c.dir.join("bad.npy.json")),
        "npy.json" => std::fs::copy(c.dir.join("c.npy"), &bad),
        _ => return c.dir.join(format!("bad.{ext}")),
    }
    .unwrap();
    bad
}

/// Feeds damaged files of every format to `dpa CMD FILE EXTRA...`.
fn fuzz_reader(seed: u8, cmd: &str, extra: &[&str]) {
    let c = corpus(&["--rank", "1", "--world-size", "3"]);
    let strategy = (0..c.files.len(), mutation());
    runner(seed)
        .run(&strategy, |(which, m)| {
            let (path, bytes) = &c.files[which];
            let bad = damage(&c, path, bytes, &m);
            let mut args = vec![cmd, bad.to_str().unwrap()];
            args.extend_from_slice(extra);
            check_outcome(&run_limited(&args), &[&bad])
        })
        .unwrap();
}

#[test]
fn stats_survives_damaged_files() {
    fuzz_reader(1, "stats", &[]);
}

#[test]
fn verify_survives_damaged_files() {
    fuzz_reader(2, "verify", &["--preset", "mild"]);
}

#[test]
fn convert_survives_damaged_files() {
    fuzz_reader(3, "convert", &["-o", "/dev/null", "--format", "bincode"]);
}

#[test]
fn config_files_survive_damage() {
    let dir = tempfile::tempdir().unwrap();
    let good = br#"{"rotation_range": [-30, 30], "brightness_range": [0.8, 1.2], "noise_range": [0, 0.1], "scale_range": [0.8, 1.2], "contrast_range": [0.7, 1.3], "augmentation_depth": 10}"#;
    let bad = dir.path().join("config.json");
    runner(4)
        .run(&mutation(), |m| {
            std::fs::write(&bad, apply(good, &m)).unwrap();
            let out = run_limited(&["params", "1", "--config", bad.to_str().unwrap()]);
            check_outcome(&out, &[&bad])
        })
        .unwrap();
}

#[test]
fn merge_survives_damaged_manifests_and_shards() {
    use dpa::distributed::{run_generate, GenerateJob, GlobalSeeding, LocalCommunicator};
    let dir = tempfile::tempdir().unwrap();
    for format in dpa::Format::ALL {
        let run = dir.path().join(format.name());
        std::fs::create_dir(&run).unwrap();
        let job = GenerateJob {
            config: dpa::Preset::Mild.config(),
            num_samples: 30,
            start_id: 0,
            base_seed: 0,
            epoch: 0,
            seeding: GlobalSeeding::RankAware,
            format,
            threads: Some(1),
            output: dpa::distributed::JobOutput::Shards(run.clone()),
            resume: false,
            with_stats: true,
            kernel: dpa::kernel::Kernel::detect(),
            compression: Default::default(),
        };
        LocalCommunicator::run(2, |c| run_generate(c, &job).map(|_| ()).is_ok())
            .unwrap()
            .into_iter()
            .for_each(|ok| assert!(ok));
    }
    let targets: Vec<PathBuf> = dpa::Format::ALL
        .iter()
        .flat_map(|f| {
            let run = dir.path().join(f.name());
            let shard = dpa::distributed::shard_file_name(1, 2, *f);
            let manifest = dpa::distributed::manifest_file_name(*f);
            [run.join(manifest), run.join(shard)]
        })
        .collect();
    let originals: Vec<Vec<u8>> = targets.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let out = dir.path().join("merged.jsonl");
    runner(5)
        .run(&(0..targets.len(), mutation()), |(which, m)| {
            let target = &targets[which];
            std::fs::write(target, apply(&originals[which], &m)).unwrap();
            let manifest = target.parent().unwrap().join("manifest.json");
            let got = run_limited(&[
                "merge",
                manifest.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ]);
            std::fs::write(target, &originals[which]).unwrap();
            let _ = std::fs::remove_file(&out);
            // The manifest may be what is wrong, or a shard it lists: either is named,
            // by its path in the run's folder.
            check_outcome(&got, &[manifest.parent().unwrap()])
        })
        .unwrap();
}

#[test]
fn resume_either_refuses_or_finishes_exactly() {
    let c = corpus(&[]);
    // The record files (not the sidecar: it is not resumed).
    let strategy = (0..c.files.len() - 1, mutation());
    runner(6)
        .run(&strategy, |(which, m)| {
            let (path, bytes) = &c.files[which];
            let ext = path.extension().unwrap().to_str().unwrap();
            let out = c.dir.join(format!("resumed.{ext}"));
            let partial = dpa::atomic::partial_path(&out);
            let damaged = apply(bytes, &m);
            std::fs::write(&partial, &damaged).unwrap();
            let got = run_limited(&[
                "generate",
                "-q",
                "--preset",
                "mild",
                "-n",
                "20",
                "--resume",
                "-o",
                out.to_str().unwrap(),
            ]);
            check_outcome(&got, &[&partial])?;
            if got.status.success() {
                prop_assert!(
                    std::fs::read(&out).unwrap() == *bytes,
                    "resumed to other bytes"
                );
                std::fs::remove_file(&out).unwrap();
            } else {
                prop_assert_eq!(
                    std::fs::read(&partial).unwrap(),
                    damaged,
                    "refused, left as it is"
                );
                std::fs::remove_file(&partial).unwrap();
            }
            Ok(())
        })
        .unwrap();
}
