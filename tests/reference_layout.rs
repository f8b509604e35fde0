//! `--layout reference`: the bytes of the reference's own `generate_augmentation_chain`
//! file. Checked against the file DPA 0.2.1 wrote (`cmp`), and against files written by
//! `scripts/reference_chain.py` — a plain-Python re-statement of the reference — for
//! other presets, depths and configs, plus Python's float `repr` on random doubles.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn dpa() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dpa"))
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn python3() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import sys; assert sys.version_info >= (3, 11)"])
        .status();
    let found = matches!(ok, Ok(s) if s.success());
    // Under scripts/test.sh (CI) Python is part of the suite: missing, it is a failure.
    let required =
        std::env::var_os("CI").is_some() || std::env::var_os("DPA_TEST_PYTHON").is_some();
    assert!(
        found || !required,
        "python3 >= 3.11 not found, and the checks that need it are required here"
    );
    if !found {
        eprintln!("python3 >= 3.11 not found: the Python checks are skipped");
    }
    found
}

#[test]
fn reproduces_the_reference_file_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let want = std::fs::read(root().join("tests/data/reference-chain-moderate-50.json")).unwrap();
    let out = dir.path().join("chain.json");
    run_ok(
        dpa()
            .args(["generate", "-q", "-n", "50", "--layout", "reference", "-o"])
            .arg(&out),
    );
    assert!(std::fs::read(&out).unwrap() == want, "generate");
    // And through convert, from JSON Lines (the config named by its preset).
    let lines = dir.path().join("chain.jsonl");
    run_ok(dpa().args(["generate", "-q", "-n", "50", "-o"]).arg(&lines));
    let converted = dir.path().join("converted.json");
    run_ok(
        dpa()
            .arg("convert")
            .arg(&lines)
            .args(["--preset", "moderate", "--layout", "reference", "-o"])
            .arg(&converted),
    );
    assert!(std::fs::read(&converted).unwrap() == want, "convert");
}

#[test]
fn other_layouts_and_ranges_are_refused_with_exit_2() {
    for args in [
        &["--format", "jsonl"][..],
        &["--format", "bincode"][..],
        &["--start-id", "3"][..],
        &["--rank", "0", "--world-size", "2"][..],
    ] {
        let out = dpa()
            .args(["generate", "-n", "5", "--layout", "reference", "-o", "-"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--layout reference"));
    }
}

/// One case: dpa's flags, and the config object the reference would hold.
struct Case {
    n: u64,
    flags: Vec<String>,
    config: &'static str,
}

fn cases(dir: &Path) -> Vec<Case> {
    let custom = r#"{"rotation_range": [-180.5, 180], "brightness_range": [1e-07, 2.5e-07], "noise_range": [0, 1e-05], "scale_range": [1.0, 2], "contrast_range": [-1e+16, 1e+16], "augmentation_depth": 3}"#;
    let config_file = dir.join("custom.json");
    std::fs::write(&config_file, custom).unwrap();
    let flag = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        Case {
            n: 20,
            flags: flag(&["--preset", "mild"]),
            config: r#"{"rotation_range": [-15, 15], "brightness_range": [0.9, 1.1], "noise_range": [0, 0.05], "scale_range": [0.9, 1.1], "contrast_range": [0.85, 1.15], "augmentation_depth": 10}"#,
        },
        Case {
            n: 33,
            flags: flag(&["--preset", "aggressive", "--depth", "1"]),
            config: r#"{"rotation_range": [-45, 45], "brightness_range": [0.7, 1.3], "noise_range": [0, 0.15], "scale_range": [0.7, 1.3], "contrast_range": [0.6, 1.4], "augmentation_depth": 1}"#,
        },
        Case {
            n: 1,
            flags: flag(&["--depth", "100"]),
            config: r#"{"rotation_range": [-30, 30], "brightness_range": [0.8, 1.2], "noise_range": [0, 0.1], "scale_range": [0.8, 1.2], "contrast_range": [0.7, 1.3], "augmentation_depth": 100}"#,
        },
        Case {
            n: 64,
            flags: vec!["--config".into(), config_file.display().to_string()],
            config: custom,
        },
        Case {
            n: 7,
            flags: flag(&[
                "--rotation",
                "-30.0,30",
                "--noise",
                "0,0.5",
                "--depth",
                "150",
            ]),
            config: r#"{"rotation_range": [-30.0, 30], "brightness_range": [0.8, 1.2], "noise_range": [0, 0.5], "scale_range": [0.8, 1.2], "contrast_range": [0.7, 1.3], "augmentation_depth": 150}"#,
        },
    ]
}

#[test]
fn equals_a_python_restatement_for_other_presets_depths_and_configs() {
    if !python3() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (i, case) in cases(dir.path()).iter().enumerate() {
        let want = dir.path().join(format!("py{i}.json"));
        run_ok(
            Command::new("python3")
                .arg(root().join("scripts/reference_chain.py"))
                .arg(case.n.to_string())
                .arg(case.config)
                .arg(&want),
        );
        let got: PathBuf = dir.path().join(format!("dpa{i}.json"));
        run_ok(
            dpa()
                .args([
                    "generate",
                    "-q",
                    "--layout",
                    "reference",
                    "-n",
                    &case.n.to_string(),
                ])
                .args(&case.flags)
                .arg("-o")
                .arg(&got),
        );
        let (got, want) = (std::fs::read(&got).unwrap(), std::fs::read(&want).unwrap());
        assert!(
            got == want,
            "case {i} ({:?}): dpa's file differs from Python's",
            case.flags
        );
    }
}

#[test]
fn float_text_is_python_repr() {
    if !python3() {
        return;
    }
    // Random bit patterns (every exponent), and the boundaries of the layouts.
    let mut x = 0x853c_49e6_748f_ea9bu64;
    let mut values: Vec<f64> = (0..20_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            f64::from_bits(x)
        })
        .filter(|v| v.is_finite())
        .collect();
    values.extend([
        0.0,
        -0.0,
        1e-4,
        1e-5,
        9.999e-5,
        1e15,
        1e16,
        9999999999999998.0,
        1e17,
        0.1,
        1.5,
        5e-324,
        2.2250738585072014e-308,
        f64::MAX,
        -f64::MAX,
        123456789.0,
        2.5e-7,
        1e22,
    ]);
    let request: String = values
        .iter()
        .map(|v| format!("{:016x}\n", v.to_bits()))
        .collect();
    let script = "import sys, struct\nfor line in sys.stdin:\n    print(repr(struct.unpack('<d', struct.pack('<Q', int(line, 16)))[0]))";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Written from another thread: Python answers while it reads, and a full pipe
    // must not stop either side.
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut checked = 0;
    for (v, want) in values.iter().zip(text.lines()) {
        let mut got = Vec::new();
        dpa::formats::python_repr(*v, &mut got);
        assert_eq!(
            String::from_utf8(got).unwrap(),
            want,
            "{:016x}",
            v.to_bits()
        );
        checked += 1;
    }
    assert_eq!(checked, values.len());
}

#[test]
fn convert_to_the_reference_layout_needs_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    for input in [fifo.as_path(), Path::new("-")] {
        let out = dpa()
            .arg("convert")
            .arg(input)
            .args(["--preset", "mild", "--layout", "reference", "-o"])
            .arg(dir.path().join("out.json"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{input:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("regular file"));
    }
}

#[test]
fn an_interrupted_reference_layout_file_resumes_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full.json");
    run_ok(
        dpa()
            .args([
                "generate",
                "-q",
                "-n",
                "5000",
                "--layout",
                "reference",
                "-o",
            ])
            .arg(&full),
    );
    let bytes = std::fs::read(&full).unwrap();
    for cut in [10, 2000, 300_000, bytes.len() - 3] {
        let out = dir.path().join("cut.json");
        std::fs::write(dir.path().join("cut.json.partial"), &bytes[..cut]).unwrap();
        run_ok(
            dpa()
                .args([
                    "generate",
                    "-q",
                    "-n",
                    "5000",
                    "--layout",
                    "reference",
                    "--resume",
                    "-o",
                ])
                .arg(&out),
        );
        assert!(std::fs::read(&out).unwrap() == bytes, "cut at {cut}");
        std::fs::remove_file(&out).unwrap();
    }
}
