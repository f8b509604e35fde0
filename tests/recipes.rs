//! docs/PYTHON.md's recipes for loading dpa's files exactly, run by the real pandas,
//! pyarrow, polars, DuckDB and HF `datasets` of the test environment
//! (scripts/recipes_check.py) on JSON Lines and Parquet files with ids on both sides of
//! 2^63: every id and float bit as written. A missing Python or package fails.

use std::path::PathBuf;
use std::process::Command;

use assert_cmd::Command as Cmd;

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("DPA_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/venv/bin/python");
    assert!(
        venv.exists(),
        "no test Python: run scripts/setup-python.sh (scripts/test.sh does) or set DPA_TEST_PYTHON"
    );
    venv
}

#[test]
fn every_loading_recipe_reads_every_bit() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("x.jsonl");
    let parquet = dir.path().join("x.parquet");
    let first = ((1u64 << 63) - 700).to_string();
    let p = |p: &PathBuf| p.to_str().unwrap().to_string();
    Cmd::cargo_bin("dpa")
        .unwrap()
        .args([
            "generate",
            "-q",
            "--start-id",
            &first,
            "-n",
            "1400",
            "-o",
            &p(&jsonl),
        ])
        .assert()
        .success();
    Cmd::cargo_bin("dpa")
        .unwrap()
        .args([
            "convert",
            &p(&jsonl),
            "--preset",
            "moderate",
            "-o",
            &p(&parquet),
        ])
        .assert()
        .success();
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(python())
        .arg(format!("{root}/scripts/recipes_check.py"))
        .arg(format!("{root}/docs/PYTHON.md"))
        .args([&jsonl, &parquet, &dir.path().join("hf-cache")])
        .output()
        .expect("the test Python");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("recipes exact: pandas, pyarrow, polars, duckdb, datasets"),
        "{text}"
    );
}
