//! The commands in README.md and docs/*.md run as written, so that the next drift
//! between the docs and the code fails CI.
//!
//! Each ```sh block that uses only `dpa` runs as one shell script (`set -e`), in a fresh
//! folder, with this build's `dpa` first on the PATH. Sample counts above 5,000 are cut
//! to 2,000 (`-n 100000000` becomes `-n 2000`) to keep the suite fast; nothing else is
//! changed. Blocks for other tools (mpirun, cargo, Slurm, scripts) are left to the tests
//! of those tools. The config file and the ids file the guide refers to are created
//! first (the config from the guide's own example).

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The ```sh blocks of a Markdown file.
fn sh_blocks(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line.trim_start() == "```sh" => current = Some(String::new()),
            Some(block) if line.trim_start() == "```" => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

/// Blocks that need other tools than dpa and a POSIX shell.
fn needs_other_tools(block: &str) -> bool {
    [
        "mpirun", "dpa-mpi", "cargo ", "scripts/", "srun", "sbatch", "pip ", "python",
    ]
    .iter()
    .any(|t| block.contains(t))
}

/// `-n N` with N above 5,000 becomes `-n 2000`.
fn scaled(block: &str) -> String {
    let words: Vec<&str> = block.split(' ').collect();
    let mut out = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let after_n = i > 0 && words[i - 1] == "-n";
        match w.parse::<u64>() {
            Ok(n) if after_n && n > 5_000 => out.push("2000"),
            _ => out.push(w),
        }
    }
    out.join(" ")
}

/// `PATH` with this build's binaries first.
fn path_with_dpa() -> String {
    let bin_dir = assert_cmd::cargo::cargo_bin("dpa")
        .parent()
        .unwrap()
        .to_path_buf();
    format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn run_doc(doc: &str) -> usize {
    let path = path_with_dpa();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("my-config.json"),
        r#"{"rotation_range": [-15, 15], "brightness_range": [0.9, 1.1], "noise_range": [0, 0.05],
 "scale_range": [0.9, 1.1], "contrast_range": [0.85, 1.15], "augmentation_depth": 10}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("ids.txt"), "7 42  # two ids\n1000\n").unwrap();
    let mut ran = 0;
    for block in sh_blocks(&root().join(doc)) {
        if needs_other_tools(&block) || !block.contains("dpa ") {
            continue;
        }
        let script = format!("set -e\n{}", scaled(&block));
        let out = Command::new("sh")
            .args(["-c", &script])
            .current_dir(dir.path())
            .env("PATH", &path)
            .timeout(Duration::from_secs(300))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        // A regression gate on a 2,000-sample run may trip on timing noise: that is the
        // documented exit 1, not drift.
        let gate = block.contains("--baseline") && err.contains("regression beyond");
        assert!(
            out.status.success() || (out.status.code() == Some(1) && gate),
            "{doc}: this block failed:\n{script}\n--- stderr:\n{}",
            err
        );
        ran += 1;
    }
    ran
}

#[test]
fn readme_commands_run() {
    assert_eq!(run_doc("README.md"), 1);
}

#[test]
fn guide_commands_run() {
    assert!(run_doc("docs/GUIDE.md") >= 4);
}

#[test]
fn benchmark_doc_commands_run() {
    assert!(run_doc("docs/BENCHMARK.md") >= 1);
}

/// DISTRIBUTED.md's "Build and run" commands with real `mpirun` (scaled to 2,000
/// samples, this build's binaries): the shared file, the shards and the merge must
/// produce what the text says they do.
#[cfg(feature = "mpi")]
#[test]
fn distributed_doc_commands_run() {
    let block = sh_blocks(&root().join("docs/DISTRIBUTED.md"))
        .into_iter()
        .find(|b| b.contains("dpa-mpi generate"))
        .expect("DISTRIBUTED.md has its Build and run block");
    let mpi_bin = assert_cmd::cargo::cargo_bin("dpa-mpi");
    let lines: Vec<String> = block
        .lines()
        .filter(|l| l.starts_with("mpirun") || l.starts_with("dpa "))
        .map(|l| scaled(l).replace("target/release/dpa-mpi", mpi_bin.to_str().unwrap()))
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    let dir = tempfile::tempdir().unwrap();
    let path = path_with_dpa();
    let out = Command::new("sh")
        .args(["-c", &format!("set -e\n{}", lines.join("\n"))])
        .current_dir(dir.path())
        .env("PATH", &path)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        .env("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = dir.path();
    for f in [
        "params.npy",
        "params.npy.json",
        "out/manifest.json",
        "all.bin",
    ] {
        assert!(d.join(f).is_file(), "{f} was not written");
    }
    // The merged shards and the shared file hold the same 2,000 records.
    let count = |f: &str| {
        let out = Command::new(assert_cmd::cargo::cargo_bin("dpa"))
            .args(["verify", f])
            .current_dir(d)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "verify {f}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(count("all.bin").contains("2000 records verified"));
    assert!(count("params.npy").contains("2000 records verified"));
}
