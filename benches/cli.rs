//! Criterion benches of the `dpa` command line as users run it: `verify` of a file
//! against the `generate` that wrote it, the same records, the same threads, side by
//! side in one group (records per second each; issue #32 asks verify for at least 0.8
//! of generate's rate). Each iteration runs the real binary, from process start to exit,
//! on a real file under target/ (a disk; /tmp may be tmpfs).
//!
//! Run: `cargo bench --bench cli` (add `-- --quick` for a short run). In test mode
//! (`cargo test --benches`) each runs once, and verify must succeed.

use std::path::Path;
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Records of each run: large enough that start-up is a small part of it.
const RECORDS: u64 = 1_000_000;

fn dpa(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_dpa"))
        .args(args)
        .output()
        .expect("dpa runs");
    assert!(
        out.status.success(),
        "dpa {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn generate(path: &Path, format: &str) {
    let n = RECORDS.to_string();
    let path = path.to_str().unwrap();
    dpa(&["generate", "-q", "-n", &n, "--format", format, "-o", path]);
}

fn verify_against_generate(c: &mut Criterion) {
    let dir = tempfile::tempdir_in(concat!(env!("CARGO_MANIFEST_DIR"), "/target")).unwrap();
    let mut group = c.benchmark_group("cli");
    group.throughput(Throughput::Elements(RECORDS));
    group.sample_size(10);
    for format in ["jsonl", "npy"] {
        let path = dir.path().join(format!("bench.{format}"));
        group.bench_function(format!("generate_{format}_1M"), |b| {
            b.iter(|| generate(&path, format))
        });
        generate(&path, format);
        let file = path.to_str().unwrap().to_string();
        group.bench_function(format!("verify_{format}_1M"), |b| {
            b.iter(|| dpa(&["verify", &file, "--preset", "moderate"]))
        });
    }
    group.finish();
}

criterion_group!(benches, verify_against_generate);
criterion_main!(benches);
