//! Hostile input is normal input: the regressions of issue #9, one test per class.
//!
//! Every command here runs the real `dpa` binary, most of them under an address-space
//! limit of 512 MiB and a time limit, and must end with exit code 1 (data or I/O) or 2
//! (usage or config), naming what was wrong: no panic, no abort, no hang, no file torn,
//! clobbered or read outside its folder.
//!
//! `DPA_TEST_BIN=/path/to/dpa cargo test --test hostile` runs them against another build
//! (to see them fail on an old one).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;

fn bin() -> PathBuf {
    match std::env::var_os("DPA_TEST_BIN") {
        Some(p) => PathBuf::from(p),
        None => assert_cmd::cargo::cargo_bin("dpa"),
    }
}

fn dpa() -> Command {
    let mut c = Command::new(bin());
    c.timeout(Duration::from_secs(60));
    c
}

/// `dpa ARGS` under `ulimit -v` 512 MiB and a 30 s limit.
fn limited(args: &[&str]) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("ulimit -v 524288 && exec \"$0\" \"$@\"")
        .arg(bin())
        .args(args)
        .timeout(Duration::from_secs(30));
    c
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Writes `-n N` records of the mild preset to `dir/name` with extra flags.
fn generate(dir: &Path, name: &str, n: u64, extra: &[&str]) -> PathBuf {
    let path = dir.join(name);
    dpa()
        .args([
            "generate",
            "-q",
            "--preset",
            "mild",
            "-n",
            &n.to_string(),
            "-o",
        ])
        .arg(&path)
        .args(extra)
        .assert()
        .success();
    path
}

/// The offset of the u64 length field in front of `text` in a binary header.
fn length_field_of(bytes: &[u8], text: &[u8]) -> usize {
    let at = bytes
        .windows(text.len() + 8)
        .position(|w| w[8..] == *text && w[..8] == (text.len() as u64).to_le_bytes())
        .expect("string in the header");
    assert!(at < 300, "in the header");
    at
}

// ---------------------------------------------------------------------------------
// 3. Inputs that crash or eat memory.

#[test]
fn binary_header_lengths_are_bounded_before_anything_is_allocated() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(generate(dir.path(), "g.bin", 3, &[])).unwrap();
    // The generator's name (bytes 15-22) and the seeding mode's (140-147).
    let generator = format!("dpa {}", env!("CARGO_PKG_VERSION"));
    let fields = [
        length_field_of(&good, generator.as_bytes()),
        length_field_of(&good, b"plain"),
    ];
    assert_eq!(fields[0], 15);
    for at in fields {
        for len in [1u64 << 62, 1 << 63, 1 << 33, u64::MAX] {
            let mut bad = good.clone();
            bad[at..at + 8].copy_from_slice(&len.to_le_bytes());
            let path = dir.path().join("bad.bin");
            std::fs::write(&path, &bad).unwrap();
            for cmd in [
                &["stats"][..],
                &["verify"],
                &["convert", "-o", "/dev/null", "--format", "jsonl"],
            ] {
                let mut args = cmd.to_vec();
                args.insert(1, s(&path));
                limited(&args).assert().code(1).stderr(
                    predicate::str::contains(s(&path)).and(predicate::str::contains("byte")),
                );
            }
        }
    }
}

#[test]
fn size_flags_are_refused_naming_the_flag() {
    let huge = "18446744073709551615";
    let cases: &[(&[&str], &str)] = &[
        (
            &["generate", "-n", "10", "-o", "-", "--batch-size", huge],
            "--batch-size",
        ),
        (
            &[
                "generate",
                "-n",
                "10",
                "-o",
                "-",
                "--batch-size",
                "1000000000000",
            ],
            "--batch-size",
        ),
        (
            &[
                "generate",
                "-n",
                "10",
                "-o",
                "-",
                "--batch-strategy",
                "memory-optimized",
                "--max-memory-mb",
                "100000000",
            ],
            "--max-memory-mb",
        ),
        (
            &[
                "generate", "-n", "10", "-o", "-", "--format", "jsonl", "--lanes", huge,
            ],
            "--lanes",
        ),
        (
            &["generate", "-n", "10", "-o", "-", "--chunk-size", huge],
            "--chunk-size",
        ),
        (
            &[
                "generate",
                "-n",
                "10",
                "-o",
                "-",
                "--format",
                "jsonl",
                "--threads",
                huge,
            ],
            "--threads",
        ),
        (
            &["generate", "-n", "10", "-o", "-", "--threads", "3000"],
            "--threads",
        ),
        (
            &["bench", "generation", "-n", "10", "--iterations", huge],
            "--iterations",
        ),
        (
            &["bench", "generation", "-n", "10", "--warmup", huge],
            "--warmup",
        ),
        (&["bench", "generation", "-n", huge], "--num-samples"),
        (
            &["bench", "scaling", "-n", "10", "--threads", huge],
            "--threads",
        ),
    ];
    for (args, flag) in cases {
        limited(args)
            .timeout(Duration::from_secs(10))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(*flag));
    }
    // Within the caps, the memory-optimized budget no longer reserves its whole budget.
    limited(&[
        "generate",
        "-n",
        "10",
        "-o",
        "-",
        "--batch-strategy",
        "memory-optimized",
        "--max-memory-mb",
        "1000000",
        "-q",
    ])
    .assert()
    .success();
}

#[test]
fn split_streams_any_world_size() {
    let mut child = StdCommand::new("sh")
        .arg("-c")
        .arg("ulimit -v 524288 && exec \"$0\" \"$@\"")
        .arg(bin())
        .args([
            "split",
            "--total",
            "10",
            "--world-size",
            "18446744073709551615",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for rank in 0..3 {
        let line = lines.next().unwrap().unwrap();
        assert!(line.starts_with(&format!("{{\"rank\":{rank},")), "{line}");
    }
    drop(lines);
    // The reader went away: the command ends at once, successfully.
    let status = wait_within(&mut child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(0));
}

fn wait_within(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn endless_inputs_are_cut_at_their_documented_caps() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.jsonl");
    let cases: &[&[&str]] = &[
        &[
            "generate",
            "-n",
            "1",
            "-o",
            s(&out),
            "--config",
            "/dev/zero",
        ],
        &["merge", "/dev/zero", "-o", s(&out)],
        &["params", "--ids-file", "/dev/zero"],
        &[
            "bench",
            "streaming",
            "-n",
            "10",
            "--iterations",
            "1",
            "--baseline",
            "/dev/zero",
        ],
        &["stats", "/dev/zero"],
    ];
    for args in cases {
        limited(args)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("/dev/zero"));
    }
    // A JSON Lines record with no end, on a pipe.
    let script = format!(
        "ulimit -v 524288 && {{ printf '{{'; cat /dev/zero; }} | \"{}\" stats -",
        bin().display()
    );
    Command::new("sh")
        .args(["-c", &script])
        .timeout(Duration::from_secs(30))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("<stdin>: line 1")
                .and(predicate::str::contains("longer than")),
        );
    // A JSON document whose one value never ends.
    let script = format!(
        "ulimit -v 524288 && {{ printf '{{\"augmentations\": [\"'; cat /dev/zero | tr '\\0' a; }} | \"{}\" stats -",
        bin().display()
    );
    Command::new("sh")
        .args(["-c", &script])
        .timeout(Duration::from_secs(30))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("<stdin>: record 0")
                .and(predicate::str::contains("longer than")),
        );
}

// ---------------------------------------------------------------------------------
// 4. Data loss and torn files.

#[test]
fn a_run_owns_its_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big.jsonl");
    // A slow first run (one thread, a long range) holds out/big.jsonl.partial...
    let mut first = StdCommand::new(bin())
        .args(["generate", "-q", "-t", "1", "-n", "3000000", "-o"])
        .arg(&out)
        .spawn()
        .unwrap();
    let partial = dpa::atomic::partial_path(&out);
    let start = std::time::Instant::now();
    while !partial.exists() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    // ... so a second run to the same output is refused, and touches nothing.
    dpa()
        .args(["generate", "-q", "-n", "10", "-o"])
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("another dpa run"));
    assert!(wait_within(&mut first, Duration::from_secs(120)).success());
    let lines = std::fs::read(&out)
        .unwrap()
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    assert_eq!(lines, 3_000_000);

    // A symbolic link at the partial path is never followed.
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, b"precious").unwrap();
    let out2 = dir.path().join("two.jsonl");
    std::os::unix::fs::symlink(&victim, dpa::atomic::partial_path(&out2)).unwrap();
    for extra in [&[][..], &["--resume"]] {
        dpa()
            .args(["generate", "-q", "-n", "10", "-o"])
            .arg(&out2)
            .args(extra)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("symbolic link"));
    }
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
}

#[test]
fn an_output_is_never_an_input_or_another_output() {
    let dir = tempfile::tempdir().unwrap();
    let here = || {
        let mut c = dpa();
        c.current_dir(dir.path());
        c
    };
    here()
        .args([
            "generate",
            "-n",
            "3",
            "-o",
            "o.jsonl",
            "--stats",
            "./o.jsonl",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("same file"));
    assert!(!dir.path().join("o.jsonl").exists());
    let input = generate(dir.path(), "in.jsonl", 20, &[]);
    let before = std::fs::read(&input).unwrap();
    std::fs::hard_link(&input, dir.path().join("hard.jsonl")).unwrap();
    std::os::unix::fs::symlink(&input, dir.path().join("soft.jsonl")).unwrap();
    for out in ["in.jsonl", "./in.jsonl", "hard.jsonl", "soft.jsonl"] {
        here()
            .args(["stats", "in.jsonl", "-o", out])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("same file"));
        here()
            .args([
                "convert", "in.jsonl", "--preset", "mild", "-o", out, "--format", "jsonl",
            ])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("same file"));
    }
    // The output's own partial file counts too.
    here().args(["stats", "in.jsonl.partial"]).assert().code(1);
    std::fs::copy(&input, dir.path().join("x.jsonl.partial")).unwrap();
    here()
        .args([
            "convert",
            "x.jsonl.partial",
            "--preset",
            "mild",
            "-o",
            "x.jsonl",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("same file"));
    assert_eq!(std::fs::read(&input).unwrap(), before);
    // A --stats file that cannot be written fails before the run writes anything.
    here()
        .args([
            "generate",
            "-n",
            "3",
            "-o",
            "p.jsonl",
            "--stats",
            "no/such/dir/s.json",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no/such/dir/s.json"));
    assert!(!dir.path().join("p.jsonl").exists() && !dir.path().join("p.jsonl.partial").exists());
}

/// A partial file of `n` of `total` records, through the real writer (a full run cut).
fn partial_of(dir: &Path, name: &str, total: u64, keep_records: usize) -> (PathBuf, Vec<u8>) {
    let full = std::fs::read(generate(dir, &format!("full-{name}"), total, &[])).unwrap();
    let cut = full
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(keep_records - 1)
        .unwrap()
        .0
        + 1;
    let out = dir.join(name);
    std::fs::write(dpa::atomic::partial_path(&out), &full[..cut]).unwrap();
    (out, full)
}

#[test]
fn resume_keeps_only_what_it_verified() {
    let dir = tempfile::tempdir().unwrap();
    let resume = |out: &Path| {
        let mut c = dpa();
        c.args([
            "generate", "-q", "--preset", "mild", "-n", "3000", "--resume", "-o",
        ])
        .arg(out);
        c
    };
    // One digit of record 1000 changed.
    let (out, _) = partial_of(dir.path(), "a.jsonl", 3000, 2000);
    let partial = dpa::atomic::partial_path(&out);
    let mut bytes = std::fs::read(&partial).unwrap();
    let line_start = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(999)
        .unwrap()
        .0
        + 1;
    let digit = line_start
        + bytes[line_start..]
            .iter()
            .position(|b| b.is_ascii_digit())
            .unwrap();
    bytes[digit] = if bytes[digit] == b'9' {
        b'8'
    } else {
        bytes[digit] + 1
    };
    std::fs::write(&partial, &bytes).unwrap();
    resume(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("record 1000"));
    assert_eq!(std::fs::read(&partial).unwrap(), bytes, "left as it is");
    assert!(!out.exists());
    // CRLF line ends.
    let (out, _) = partial_of(dir.path(), "b.jsonl", 3000, 10);
    let partial = dpa::atomic::partial_path(&out);
    let crlf: Vec<u8> = std::fs::read(&partial)
        .unwrap()
        .into_iter()
        .flat_map(|b| {
            if b == b'\n' {
                vec![b'\r', b'\n']
            } else {
                vec![b]
            }
        })
        .collect();
    std::fs::write(&partial, &crlf).unwrap();
    resume(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("record 0"));
    assert_eq!(std::fs::read(&partial).unwrap(), crlf);
    // Junk.
    let out = dir.path().join("c.json");
    let partial = dpa::atomic::partial_path(&out);
    std::fs::write(&partial, b"this is not what dpa writes\n").unwrap();
    resume(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("byte 0"));
    assert_eq!(
        std::fs::read(&partial).unwrap(),
        b"this is not what dpa writes\n"
    );
    // A torn tail is cut and the run finishes with the bytes of an uninterrupted one.
    let (out, full) = partial_of(dir.path(), "d.jsonl", 3000, 1234);
    let partial = dpa::atomic::partial_path(&out);
    let mut torn = std::fs::read(&partial).unwrap();
    torn.extend_from_slice(&full[torn.len()..torn.len() + 40]);
    std::fs::write(&partial, &torn).unwrap();
    resume(&out).assert().success();
    assert!(std::fs::read(&out).unwrap() == full);
}

#[test]
fn json_metadata_is_read_wherever_it_sits() {
    let dir = tempfile::tempdir().unwrap();
    let doc = generate(dir.path(), "doc.json", 20, &[]);
    // Keys sorted, as `jq -S` or `json.dump(sort_keys=True)` write them.
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(&doc).unwrap()).unwrap();
    let sorted = dir.path().join("sorted.json");
    std::fs::write(&sorted, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    let text = std::fs::read_to_string(&sorted).unwrap();
    assert!(text.find("\"augmentations\"").unwrap() < text.find("\"metadata\"").unwrap());
    let bin = dir.path().join("x.bin");
    dpa()
        .arg("convert")
        .arg(&sorted)
        .arg("-o")
        .arg(&bin)
        .assert()
        .success();
    dpa().arg("verify").arg(&bin).assert().success();
    let shown = dpa()
        .arg("convert")
        .arg(&bin)
        .args(["-o", "-", "--format", "json"])
        .output()
        .unwrap();
    let back: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(back["metadata"]["config"], value["metadata"]["config"]);
    // On a pipe it cannot be read twice: refused, saying why.
    dpa()
        .args(["stats", "-"])
        .pipe_stdin(&sorted)
        .unwrap()
        .assert()
        .code(1)
        .stderr(predicate::str::contains("metadata comes after the records"));
}

#[test]
fn format_detection_does_not_depend_on_read_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let doc = std::fs::read(generate(dir.path(), "doc.json", 5, &[])).unwrap();
    let want = dpa()
        .arg("stats")
        .arg(dir.path().join("doc.json"))
        .output()
        .unwrap();
    assert!(want.status.success());
    let mut child = StdCommand::new(bin())
        .args(["stats", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // The first bytes one at a time, each in its own read of the pipe.
    for b in &doc[..40] {
        stdin.write_all(&[*b]).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(3));
    }
    stdin.write_all(&doc[40..]).unwrap();
    drop(stdin);
    let got = child.wait_with_output().unwrap();
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert_eq!(got.stdout, want.stdout);
}

#[test]
fn non_finite_values_are_refused_not_written_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let bin = generate(dir.path(), "v.bin", 3, &[]);
    let mut bytes = std::fs::read(&bin).unwrap();
    // Record 1's rotation: header, record 0 (tag, id, rank flag, 40 + 32 bytes), then
    // record 1's tag, id and rank flag.
    let header_end = 14 + u32::from_le_bytes(bytes[10..14].try_into().unwrap()) as usize;
    let at = header_end + 82 + 10;
    bytes[at..at + 8].copy_from_slice(&f64::NAN.to_bits().to_le_bytes());
    std::fs::write(&bin, &bytes).unwrap();
    let out = dir.path().join("v.json");
    dpa()
        .arg("convert")
        .arg(&bin)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("record 1").and(predicate::str::contains("finite")));
    assert!(!out.exists() && !dpa::atomic::partial_path(&out).exists());
}

#[test]
fn a_closed_stdout_is_an_error_but_dev_null_is_fine() {
    let script = format!("exec \"{}\" generate -n 3 -q >&-", bin().display());
    Command::new("sh")
        .args(["-c", &script])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("standard output is closed"));
    let status = StdCommand::new(bin())
        .args(["generate", "-n", "3", "-q"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

// ---------------------------------------------------------------------------------
// 5. Trust nothing in a manifest.

/// A real two-rank run's folder and manifest (in-memory communicator).
fn run_two_ranks(dir: &Path) -> serde_json::Value {
    use dpa::distributed::{
        run_generate, Communicator, GenerateJob, GlobalSeeding, LocalCommunicator,
    };
    let job = GenerateJob {
        config: dpa::Preset::Moderate.config(),
        num_samples: 100,
        start_id: 0,
        base_seed: 0,
        epoch: 0,
        seeding: GlobalSeeding::RankAware,
        format: dpa::Format::Jsonl,
        threads: Some(1),
        output: dpa::distributed::JobOutput::Shards(dir.to_path_buf()),
        resume: false,
        with_stats: true,
        kernel: dpa::kernel::Kernel::detect(),
        compression: Default::default(),
    };
    LocalCommunicator::run(2, |c| match run_generate(c, &job) {
        Ok(_) => (),
        Err(e) => panic!("rank {}: {e}", c.rank()),
    })
    .unwrap();
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

/// A change to a manifest.
type Edit = Box<dyn Fn(&mut serde_json::Value)>;

#[test]
fn merge_trusts_nothing_in_a_manifest() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    std::fs::create_dir(&dir).unwrap();
    let good = run_two_ranks(&dir);
    let secret = root.path().join("secret.jsonl");
    std::fs::copy(
        dir.join(good["shards"][1]["file"].as_str().unwrap()),
        &secret,
    )
    .unwrap();
    StdCommand::new("mkfifo")
        .arg(dir.join("fifo.jsonl"))
        .status()
        .unwrap();
    let edits: Vec<(&str, Edit)> = vec![
        (
            "not a plain file name",
            Box::new(|m| m["shards"][1]["file"] = "../secret.jsonl".into()),
        ),
        (
            "not a plain file name",
            Box::new(|m| m["shards"][1]["file"] = "/dev/zero".into()),
        ),
        (
            "not a regular file",
            Box::new(|m| m["shards"][1]["file"] = "fifo.jsonl".into()),
        ),
        (
            "one shard per rank",
            Box::new(|m| {
                m["shards"].as_array_mut().unwrap().pop();
            }),
        ),
        (
            "rank 0 where rank 1 belongs",
            Box::new(|m| {
                let s0 = m["shards"][0].clone();
                m["shards"][1] = s0;
            }),
        ),
        (
            "rank 1 where rank 0 belongs",
            Box::new(|m| m["shards"].as_array_mut().unwrap().swap(0, 1)),
        ),
        ("owns", Box::new(|m| m["num_samples"] = 90.into())),
        (
            "shards[1].sha256",
            Box::new(|m| {
                m["shards"][1].as_object_mut().unwrap().remove("sha256");
            }),
        ),
        (
            "not what the manifest's config",
            Box::new(|m| m["config"]["rotation_range"] = serde_json::json!([-1.0, 1.0])),
        ),
        ("given twice", Box::new(|_| {})),
    ];
    let out = root.path().join("merged.jsonl");
    for (i, (needle, edit)) in edits.iter().enumerate() {
        let mut m = good.clone();
        edit(&mut m);
        let mut text = serde_json::to_string_pretty(&m).unwrap();
        if *needle == "given twice" {
            text = text.replacen('{', "{\"world_size\": 2, ", 1);
        }
        let manifest = dir.join(format!("m{i}.json"));
        std::fs::write(&manifest, text).unwrap();
        let got = limited(&["merge", s(&manifest), "-o", s(&out)])
            .assert()
            .code(1);
        let err = String::from_utf8_lossy(&got.get_output().stderr).to_string();
        assert!(err.contains(needle), "{needle}: {err}");
        assert!(
            !err.contains(good["shards"][1]["sha256"].as_str().unwrap()),
            "{err}"
        );
        assert!(
            !out.exists() && !dpa::atomic::partial_path(&out).exists(),
            "{needle}"
        );
    }
    // The untouched manifest still merges.
    dpa()
        .arg("merge")
        .arg(dir.join("manifest.json"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
}

// ---------------------------------------------------------------------------------
// 6. Exit codes and messages.

#[test]
fn damaged_and_truncated_files_are_data_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bin = generate(dir.path(), "h.bin", 3, &[]);
    let mut bytes = std::fs::read(&bin).unwrap();
    // augmentation_depth (u32) sits right before the seeding in the header.
    let depth_at = length_field_of(&bytes, b"plain") - 1 - 4;
    assert_eq!(bytes[depth_at..depth_at + 4], 10u32.to_le_bytes());
    bytes[depth_at..depth_at + 4].copy_from_slice(&2_097_162u32.to_le_bytes());
    std::fs::write(&bin, &bytes).unwrap();
    dpa()
        .arg("verify")
        .arg(&bin)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(s(&bin)).and(predicate::str::contains("header at byte")));
    let doc = std::fs::read(generate(dir.path(), "t.json", 3, &[])).unwrap();
    for len in 1..=13 {
        let cut = dir.path().join("cut.json");
        std::fs::write(&cut, &doc[..len]).unwrap();
        for cmd in ["stats", "verify"] {
            dpa().arg(cmd).arg(&cut).assert().code(1).stderr(
                predicate::str::contains(s(&cut)).and(predicate::str::contains("JSON Lines").not()),
            );
        }
    }
}

#[test]
fn messages_say_each_thing_once_and_briefly() {
    let dir = tempfile::tempdir().unwrap();
    if Path::new("/dev/full").exists() {
        let got = dpa()
            .args([
                "generate",
                "-n",
                "100000",
                "--format",
                "jsonl",
                "-o",
                "/dev/full",
            ])
            .assert()
            .code(1);
        let err = String::from_utf8_lossy(&got.get_output().stderr).to_string();
        assert_eq!(err.matches("No space left on device").count(), 1, "{err}");
        assert!(!err.contains(".partial"), "{err}");
    }
    let got = dpa()
        .args(["generate", "-n", "3", "--format", "jsonl", "-o"])
        .arg(dir.path())
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&got.get_output().stderr).to_string();
    assert_eq!(err.matches("is a directory").count(), 1, "{err}");
    // A long token is cut.
    let ids = dir.path().join("ids.txt");
    std::fs::write(&ids, format!("1 2 {}\n", "7".repeat(500_000))).unwrap();
    let got = dpa()
        .args(["params", "--ids-file"])
        .arg(&ids)
        .assert()
        .code(1);
    assert!(got.get_output().stderr.len() < 1000);
    // No serde internals.
    let first = std::fs::read_to_string(generate(dir.path(), "one.jsonl", 1, &[])).unwrap();
    let jsonl = dir.path().join("a.jsonl");
    for line in [
        "[1,2,3,4,5,6,7,8]\n",
        "{\"rotation\": [1]}\n",
        "5\n",
        "{}\n",
    ] {
        std::fs::write(&jsonl, format!("{first}{line}")).unwrap();
        let got = dpa().arg("stats").arg(&jsonl).assert().code(1);
        let err = String::from_utf8_lossy(&got.get_output().stderr).to_string();
        assert!(
            !err.contains("RawRecord") && err.contains("line 2"),
            "{err}"
        );
    }
}

#[test]
fn config_files_with_a_bom_are_read_and_duplicate_keys_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = r#"{"rotation_range": [-5, 5], "augmentation_depth": 3}"#;
    let plain = dir.path().join("c.json");
    std::fs::write(&plain, cfg).unwrap();
    let bom = dir.path().join("bom.json");
    std::fs::write(&bom, [b"\xEF\xBB\xBF".as_slice(), cfg.as_bytes()].concat()).unwrap();
    let a = dpa()
        .args(["params", "7", "--config"])
        .arg(&plain)
        .output()
        .unwrap();
    let b = dpa()
        .args(["params", "7", "--config"])
        .arg(&bom)
        .output()
        .unwrap();
    assert!(a.status.success() && b.status.success());
    assert_eq!(a.stdout, b.stdout);
    let dup = dir.path().join("dup.json");
    std::fs::write(
        &dup,
        r#"{"augmentation_depth": 3, "augmentation_depth": 4}"#,
    )
    .unwrap();
    dpa()
        .args(["params", "7", "--config"])
        .arg(&dup)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("augmentation_depth").and(predicate::str::contains("twice")),
        );
}

#[test]
fn verify_requires_exactly_the_range_a_file_claims() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(generate(dir.path(), "g.jsonl", 5, &[])).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let cases = [
        vec![lines[0], lines[1], lines[1], lines[2]],
        vec![lines[0], lines[2], lines[1]],
        vec![lines[1], lines[0]],
    ];
    for case in cases {
        let path = dir.path().join("c.jsonl");
        std::fs::write(&path, case.join("\n") + "\n").unwrap();
        dpa()
            .args(["verify", "--preset", "mild"])
            .arg(&path)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("where").and(predicate::str::contains("belongs")));
    }
    // A document whose metadata says start_id 3 but holds ids from 0.
    let doc = generate(dir.path(), "d.json", 5, &[]);
    let text =
        std::fs::read_to_string(&doc)
            .unwrap()
            .replacen("\"start_id\": 0", "\"start_id\": 3", 1);
    std::fs::write(&doc, text).unwrap();
    dpa()
        .arg("verify")
        .arg(&doc)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("record 0"));
}

#[test]
fn a_failed_convert_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let bin = std::fs::read(generate(dir.path(), "f.bin", 50, &[])).unwrap();
    let cut = dir.path().join("cut.bin");
    std::fs::write(&cut, &bin[..bin.len() - 100]).unwrap();
    let out = dir.path().join("out.jsonl");
    dpa()
        .arg("convert")
        .arg(&cut)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    assert!(!out.exists() && !dpa::atomic::partial_path(&out).exists());
}

// ---------------------------------------------------------------------------------
// 7. Nothing guessed.

#[test]
fn nothing_is_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = generate(dir.path(), "n.jsonl", 5, &[]);
    for out in ["x.bin", "x.json"] {
        dpa()
            .arg("convert")
            .arg(&jsonl)
            .arg("-o")
            .arg(dir.path().join(out))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--preset"));
    }
    dpa()
        .arg("convert")
        .arg(&jsonl)
        .args(["--preset", "mild", "-o"])
        .arg(dir.path().join("x.bin"))
        .assert()
        .success();
    dpa()
        .arg("verify")
        .arg(dir.path().join("x.bin"))
        .assert()
        .success();
    dpa()
        .args(["params", "1"])
        .env("DPA_KERNEL", "sse9")
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("DPA_KERNEL")
                .and(predicate::str::contains("portable, avx2, avx512")),
        );
    dpa()
        .args(["params", "1"])
        .env("DPA_KERNEL", "portable")
        .assert()
        .success();
}

/// Resuming past several verification blocks (16,384 records each) rebuilds the
/// statistics from the records it verified, in id order: the finished file (whose
/// statistics are in it) equals an uninterrupted run, wherever the run was cut.
#[test]
fn resume_across_many_blocks_keeps_exact_statistics() {
    let dir = tempfile::tempdir().unwrap();
    for ext in ["json", "bin"] {
        let full =
            std::fs::read(generate(dir.path(), &format!("full.{ext}"), 40_000, &[])).unwrap();
        let out = dir.path().join(format!("r.{ext}"));
        for cut in [
            full.len() * 3 / 10,
            full.len() * 6 / 10,
            full.len() - 1,
            full.len(),
        ] {
            std::fs::write(dpa::atomic::partial_path(&out), &full[..cut]).unwrap();
            dpa()
                .args([
                    "generate", "-q", "--preset", "mild", "-n", "40000", "--resume", "-o",
                ])
                .arg(&out)
                .assert()
                .success();
            assert!(std::fs::read(&out).unwrap() == full, "{ext}, cut at {cut}");
            std::fs::remove_file(&out).unwrap();
        }
    }
}

/// `/dev/null` opened read-write — what Python's `subprocess.DEVNULL`, systemd and
/// daemons hand a child — is an ordinary standard output, in every format; only a
/// descriptor closed at start is refused (the test above).
#[test]
fn dev_null_opened_read_write_is_an_ordinary_stdout() {
    for format in ["jsonl", "bincode", "json"] {
        let null = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")
            .unwrap();
        let out = StdCommand::new(bin())
            .args(["generate", "-n", "3", "-q", "--format", format, "-o", "-"])
            .stdout(Stdio::from(null))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A `.npy` sidecar is a claim about the array: a row count, a first id, a seeding (a
/// rank, or a world size whose split of the run gives the rank other ids) or a config
/// the rows contradict fails `stats`, `verify` and `convert` with exit 1, naming
/// the sidecar, the field and the row, and `convert` leaves nothing behind.
#[test]
fn a_sidecar_the_rows_contradict_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.npy");
    let ranked = dir.path().join("ranked.npy");
    dpa()
        .args(["generate", "-n", "30", "-q", "-o"])
        .arg(&plain)
        .assert()
        .success();
    dpa()
        .args([
            "generate",
            "-n",
            "30",
            "--rank",
            "1",
            "--world-size",
            "3",
            "-q",
            "-o",
        ])
        .arg(&ranked)
        .assert()
        .success();
    type Edit = fn(&mut serde_json::Value);
    let cases: [(&str, &std::path::Path, Edit, &str); 8] = [
        (
            "rows",
            &plain,
            |v| {
                v["rows"] = 29.into();
                v["metadata"]["num_samples"] = 29.into();
            },
            "rows",
        ),
        (
            "start",
            &plain,
            |v| v["metadata"]["start_id"] = 5.into(),
            "metadata.start_id",
        ),
        (
            "seeding",
            &plain,
            |v| {
                v["metadata"]["seeding"] = serde_json::json!({"mode": "rank-aware", "base_seed": 0, "rank": 0, "world_size": 1});
            },
            "metadata.seeding",
        ),
        (
            "rank",
            &ranked,
            |v| v["metadata"]["seeding"]["rank"] = 2.into(),
            "metadata.seeding",
        ),
        // Rank 1 of 2 would own ids 15..30 of the run's 30, not 10..20.
        (
            "world_size",
            &ranked,
            |v| v["metadata"]["seeding"]["world_size"] = 2.into(),
            "metadata.seeding",
        ),
        (
            "run",
            &ranked,
            |v| v["run"]["num_samples"] = 60.into(),
            "metadata.seeding",
        ),
        (
            "depth",
            &plain,
            |v| v["metadata"]["config"]["augmentation_depth"] = 0.into(),
            "metadata.config",
        ),
        (
            "reversed",
            &plain,
            |v| {
                v["metadata"]["config"]["rotation_range"] = serde_json::json!([30, -30]);
            },
            "metadata.config",
        ),
    ];
    for (name, array, edit, field) in cases {
        let side = dpa::formats::npy::sidecar_path(array);
        let original = std::fs::read(&side).unwrap();
        let mut v: serde_json::Value = serde_json::from_slice(&original).unwrap();
        edit(&mut v);
        std::fs::write(&side, serde_json::to_vec(&v).unwrap()).unwrap();
        for cmd in [&["stats"][..], &["verify"][..]] {
            let out = dpa().args(cmd).arg(array).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{name} {cmd:?}: {err}");
            assert!(
                err.contains(".npy.json") && err.contains(field),
                "{name} {cmd:?}: {err}"
            );
        }
        let to = dir.path().join(format!("{name}.jsonl"));
        let out = dpa()
            .arg("convert")
            .arg(array)
            .arg("-o")
            .arg(&to)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name} convert");
        assert!(!to.exists() && !dpa::atomic::partial_path(&to).exists());
        std::fs::write(&side, &original).unwrap();
    }
    // A file named .npy is read as NumPy or refused, whatever its size.
    let empty = dir.path().join("empty.npy");
    std::fs::write(&empty, b"").unwrap();
    for cmd in ["stats", "verify"] {
        let out = dpa().arg(cmd).arg(&empty).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{cmd} of an empty .npy");
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a NumPy array"));
    }
}

/// `--layout reference` is the reference's bytes or an error: integer bounds beyond
/// 2^53 (which no double holds) are refused by name, from a flag or a config file, and
/// `convert` refuses inputs with seed-and-epoch seeding or ids not from 0, as
/// `generate` refuses them, leaving nothing behind.
#[test]
fn what_the_reference_layout_cannot_hold_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let flag = dpa()
        .args([
            "generate",
            "-n",
            "3",
            "--layout",
            "reference",
            "--rotation=-9007199254740993,30",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(flag.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&flag.stderr).contains("--rotation"));
    let config = dir.path().join("big.json");
    std::fs::write(
        &config,
        r#"{"rotation_range": [-30, 9007199254740993], "brightness_range": [0.8, 1.2],
            "noise_range": [0, 0.1], "scale_range": [0.8, 1.2], "contrast_range": [0.7, 1.3],
            "augmentation_depth": 10}"#,
    )
    .unwrap();
    let file = dpa()
        .args(["generate", "-n", "3", "--config"])
        .arg(&config)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(file.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&file.stderr).contains("rotation_range"));
    assert!(!out.exists());
    for (name, args) in [
        ("keyed.bin", &["--seed", "3", "--epoch", "1"][..]),
        ("keyed.json", &["--seed", "3", "--epoch", "1"][..]),
        ("later.jsonl", &["--start-id", "5"][..]),
        ("ranked.jsonl", &["--rank", "1", "--world-size", "2"][..]),
    ] {
        let input = dir.path().join(name);
        dpa()
            .args(["generate", "-n", "6", "-q"])
            .args(args)
            .arg("-o")
            .arg(&input)
            .assert()
            .success();
        let to = dir.path().join(format!("{name}.ref.json"));
        let mut convert = dpa();
        convert.args(["convert", "--layout", "reference"]);
        if name.ends_with(".jsonl") {
            convert.args(["--preset", "moderate"]); // JSON Lines carry no config
        }
        let run = convert.arg(&input).arg("-o").arg(&to).output().unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains("--layout reference"), "{name}: {err}");
        assert!(
            !to.exists() && !dpa::atomic::partial_path(&to).exists(),
            "{name}"
        );
    }
}

/// The form of a config bound (`-30.0` or `-30`) is the reference's to keep: it
/// survives a conversion of the reference's own file, and a file dpa wrote (whose
/// formats do not record it) is converted to the reference's layout only with the
/// config it was generated with, else refused rather than guessed.
#[test]
fn the_form_of_a_bound_is_kept_or_the_conversion_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("floats.json");
    std::fs::write(
        &config,
        r#"{"rotation_range": [-30.0, 30], "brightness_range": [0.8, 1.2], "noise_range": [0, 0.1],
            "scale_range": [0.8, 1.2], "contrast_range": [0.7, 1.3], "augmentation_depth": 10}"#,
    )
    .unwrap();
    let reference = dir.path().join("ref.json");
    dpa()
        .args([
            "generate",
            "-q",
            "-n",
            "20",
            "--layout",
            "reference",
            "--config",
        ])
        .arg(&config)
        .arg("-o")
        .arg(&reference)
        .assert()
        .success();
    let text = std::fs::read_to_string(&reference).unwrap();
    assert!(
        text.contains("-30.0,") && text.contains("\n        30\n"),
        "the config's forms: {text}"
    );
    // The reference's file to its own layout again: the same bytes.
    let again = dir.path().join("again.json");
    dpa()
        .args(["convert", "--layout", "reference"])
        .arg(&reference)
        .arg("-o")
        .arg(&again)
        .assert()
        .success();
    assert_eq!(std::fs::read(&again).unwrap(), text.as_bytes());
    // Through dpa's binary format: refused without the config, the same bytes with it.
    let bin = dir.path().join("x.bin");
    dpa()
        .args(["generate", "-q", "-n", "20", "--config"])
        .arg(&config)
        .arg("-o")
        .arg(&bin)
        .assert()
        .success();
    let back = dir.path().join("back.json");
    let guessed = dpa()
        .args(["convert", "--layout", "reference"])
        .arg(&bin)
        .arg("-o")
        .arg(&back)
        .output()
        .unwrap();
    assert_eq!(guessed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&guessed.stderr).contains("30.0"));
    assert!(!back.exists());
    dpa()
        .args(["convert", "--layout", "reference", "--config"])
        .arg(&config)
        .arg(&bin)
        .arg("-o")
        .arg(&back)
        .assert()
        .success();
    assert_eq!(std::fs::read(&back).unwrap(), text.as_bytes());
}

/// The digest fields of a sidecar are bounded and checked before any row is read:
/// version 1 holds `sha256` alone, version 2 `segments` alone, covering the file from
/// byte 0 without a gap, at most 65,536 of them. A version-2 sidecar split anywhere
/// with the right digests is read; a wrong digest is found in its segment.
#[test]
fn a_sidecars_digest_fields_are_checked() {
    use sha2::Digest as _;
    let dir = tempfile::tempdir().unwrap();
    let array = dir.path().join("a.npy");
    dpa()
        .args(["generate", "-n", "100", "-q", "-o"])
        .arg(&array)
        .assert()
        .success();
    let bytes = std::fs::read(&array).unwrap();
    let side = dpa::formats::npy::sidecar_path(&array);
    let good: serde_json::Value = serde_json::from_slice(&std::fs::read(&side).unwrap()).unwrap();
    let n = bytes.len() as u64;
    let seg = |from: u64, to: u64| {
        let digest = sha2::Sha256::digest(&bytes[from as usize..to as usize]);
        serde_json::json!({"offset": from, "bytes": to - from, "sha256": dpa::Hash(digest.into()).to_string()})
    };
    let v2 = |segments: Vec<serde_json::Value>| {
        let mut v = good.clone();
        v["version"] = 2.into();
        v.as_object_mut().unwrap().remove("sha256");
        v["segments"] = segments.into();
        v
    };
    let many: Vec<_> = (0..65_537).map(|_| seg(0, 0)).collect();
    let mut both = v2(vec![seg(0, n)]);
    both["sha256"] = good["sha256"].clone();
    let mut v1_segments = good.clone();
    v1_segments["segments"] = vec![seg(0, n)].into();
    let mut wrong = v2(vec![seg(0, 300), seg(300, n)]);
    wrong["segments"][1]["sha256"] = good["sha256"].clone();
    let cases = [
        ("both", both, "version"),
        ("v1 with segments", v1_segments, "version"),
        (
            "gap",
            v2(vec![seg(0, 300), seg(301, n)]),
            "segment 1 starts at byte 301",
        ),
        ("short", v2(vec![seg(0, 300)]), "segments end at byte 300"),
        ("too many", v2(many), "65537 segments"),
        ("wrong digest", wrong, "segment 1 sha256"),
    ];
    for (name, v, message) in cases {
        std::fs::write(&side, serde_json::to_vec(&v).unwrap()).unwrap();
        let out = dpa().arg("stats").arg(&array).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(
            err.contains(".npy") && err.contains(message),
            "{name}: {err}"
        );
    }
    let split = v2(vec![
        seg(0, 128),
        seg(128, 128),
        seg(128, n - 7),
        seg(n - 7, n),
    ]);
    std::fs::write(&side, serde_json::to_vec(&split).unwrap()).unwrap();
    dpa().arg("verify").arg(&array).assert().success();
}
