//! A newcomer's first hour (issue 32): what the help, the errors and the summary say.

use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;

fn dpa() -> Command {
    let mut c = Command::cargo_bin("dpa").unwrap();
    c.timeout(Duration::from_secs(60));
    c
}

#[test]
fn help_and_errors_list_every_format() {
    let help = dpa().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    for line in [
        "statistics of a saved file (json, jsonl, bincode, npy or parquet)",
        "between json, jsonl, bincode, npy and parquet",
    ] {
        assert!(text.contains(line), "{text}");
    }
    for cmd in ["stats", "verify", "convert"] {
        dpa()
            .args([cmd, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains(
                "json, jsonl, bincode, npy or parquet",
            ));
    }
    dpa()
        .args(["generate", "-n", "3", "-o", "x.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "use .json, .jsonl, .bin, .npy or .parquet",
        ));
}

#[test]
fn a_missing_folder_is_named_as_the_user_gave_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nodir/x.jsonl");
    dpa()
        .args(["generate", "-n", "3", "-o"])
        .arg(&out)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("nodir/x.jsonl: its folder")
                .and(predicate::str::contains("does not exist"))
                .and(predicate::str::contains(".partial").not()),
        );
}

#[test]
fn numbers_are_refused_with_the_form_that_is_accepted() {
    for (args, hint) in [
        (vec!["params", "--", "-5"], "it is negative"),
        (
            vec!["generate", "-n", "1e6", "-o", "-"],
            "write it as 1000000",
        ),
        (
            vec!["generate", "-n", "10", "--start-id", "x", "-o", "-"],
            "not a number",
        ),
    ] {
        dpa().args(&args).assert().code(2).stderr(
            predicate::str::contains(hint).and(predicate::str::contains("invalid digit").not()),
        );
    }
}

#[test]
fn the_summary_is_one_plain_line_and_details_wait_for_verbose() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.jsonl");
    let plain = dpa()
        .args(["generate", "-n", "100", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&plain.stderr);
    assert!(stderr.starts_with("dpa: wrote 100 records"), "{stderr}");
    assert!(
        !stderr.contains("batches") && !stderr.contains("records/s"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let verbose = dpa()
        .args(["generate", "-n", "100", "-v", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&verbose.stderr).contains("batches"));
}

/// Runs `dpa ARGS` with a terminal as its standard output (util-linux `script`).
fn on_a_terminal(args: &str) -> std::process::Output {
    let bin: PathBuf = assert_cmd::cargo::cargo_bin("dpa");
    std::process::Command::new("script")
        .args(["-qec", &format!("{} {args}", bin.display()), "/dev/null"])
        .output()
        .expect("script (util-linux) runs a command on a terminal")
}

#[test]
fn binary_records_are_not_written_to_a_terminal() {
    for format in ["npy", "bincode"] {
        let out = on_a_terminal(&format!("generate -n 3 --format {format}"));
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(
            text.contains("binary format and standard output is a terminal"),
            "{text}"
        );
    }
    let out = on_a_terminal("generate -q -n 3");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"sample_id\":2"));
}
