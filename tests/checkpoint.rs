//! Checkpoints of a partial file (`dpa::checkpoint`): a run that dies after the first
//! one resumes on its word — the bytes it vouches for are read, not regenerated — and
//! a record whose claims do not hold is ignored, the whole partial file then checked
//! record by record as without one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dpa::checkpoint::{record_path, Checkpoint, CHECKPOINT_EVERY};
use dpa::write::{generate_to, Destination, Generation, WriteOptions};
use dpa::{Engine, EngineConfig, FileMetadata, Format, Generator, Preset, Seeding};

/// Records in the run: about 97 MB of JSON Lines, past the first checkpoint.
const N: u64 = 400_000;
/// The simulated crash: after this many records are in the file.
const CRASH_AFTER: u64 = 330_000;

struct Run {
    engine: Engine,
    generator: Arc<Generator>,
    options: WriteOptions,
}

fn run() -> Run {
    let engine = Engine::new(EngineConfig {
        threads: Some(2),
        ..Default::default()
    })
    .unwrap();
    let generator = Arc::new(Generator::new(Preset::Moderate.config()).unwrap());
    let options = WriteOptions {
        format: Format::Jsonl,
        metadata: FileMetadata::for_config(generator.config().clone(), Some(N)),
        statistics: true,
        keep_partial: true,
        checksum: true,
    };
    Run {
        engine,
        generator,
        options,
    }
}

impl Run {
    fn generate(
        &self,
        path: &Path,
        resume: bool,
        crash: bool,
    ) -> Result<dpa::write::GenerateSummary, dpa::Error> {
        let what = Generation {
            engine: &self.engine,
            generator: &self.generator,
            seeding: Seeding::Plain,
            ids: dpa::id_range(0, N).unwrap(),
        };
        let mut progress = |done: u64| {
            if crash && done >= CRASH_AFTER {
                panic!("simulated crash");
            }
        };
        let destination = Destination::File(path.to_path_buf());
        generate_to(
            &what,
            destination,
            &self.options,
            resume,
            Default::default(),
            &mut progress,
        )
    }
}

/// What an uninterrupted run writes, and its statistics.
fn uninterrupted(r: &Run, dir: &Path) -> (Vec<u8>, dpa::Statistics) {
    let path = dir.join("whole.jsonl");
    let done = r.generate(&path, false, false).unwrap();
    (
        std::fs::read(&path).unwrap(),
        done.write.statistics.unwrap(),
    )
}

/// A run that died after its first checkpoint, with its last record torn: the partial
/// file and the checkpoint record, read back.
fn crashed(r: &Run, dir: &Path) -> (Vec<u8>, Checkpoint) {
    let path = dir.join("crashed.jsonl");
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        r.generate(&path, false, true)
    }));
    assert!(outcome.is_err(), "the run was to crash");
    // The record is written by the file's writeback thread after its sync.
    let record = record_path(&path);
    for _ in 0..400 {
        if record.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let checkpoint: Checkpoint = serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    let mut partial = std::fs::read(dpa::atomic::partial_path(&path)).unwrap();
    partial.truncate(partial.len() - 100);
    assert!(checkpoint.bytes >= CHECKPOINT_EVERY && checkpoint.bytes < partial.len() as u64);
    (partial, checkpoint)
}

/// A fresh folder holding `partial` and `record` for the output `x.jsonl`.
fn scenario(partial: &[u8], record: &Checkpoint) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.jsonl");
    std::fs::write(dpa::atomic::partial_path(&path), partial).unwrap();
    std::fs::write(record_path(&path), serde_json::to_vec(record).unwrap()).unwrap();
    (dir, path)
}

fn xxh3(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// Byte offset of a digit inside a float of record 5 (well inside the checkpoint).
fn digit_of_record_5(bytes: &[u8]) -> usize {
    let line = bytes
        .split(|b| *b == b'\n')
        .take(5)
        .map(|l| l.len() + 1)
        .sum::<usize>();
    line + bytes[line..]
        .windows(11)
        .position(|w| w == b"\"rotation\":")
        .unwrap()
        + 14
}

#[test]
fn checkpoints_are_kept_on_their_word_and_ignored_when_they_do_not_hold() {
    let r = run();
    let base = tempfile::tempdir().unwrap();
    let (whole, statistics) = uninterrupted(&r, base.path());
    let (partial, good) = crashed(&r, base.path());
    assert_eq!(
        partial[..],
        whole[..partial.len()],
        "the crashed run's bytes are right"
    );
    assert!(
        !record_path(&base.path().join("whole.jsonl")).exists(),
        "removed at commit"
    );

    // A record that holds: the file and its statistics equal an uninterrupted run's.
    let (dir, path) = scenario(&partial, &good);
    let done = r.generate(&path, true, false).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), whole);
    assert_eq!(done.write.statistics.unwrap(), statistics);
    assert!(
        done.write.resumed >= good.records,
        "{} < {}",
        done.write.resumed,
        good.records
    );
    assert!(
        !record_path(&path).exists(),
        "the record is removed at commit"
    );
    drop(dir);

    // Records whose claims do not hold are ignored: the same bytes, by the full check.
    let bad = [
        Checkpoint {
            xxh3: xxh3(b"other bytes"),
            ..good.clone()
        },
        Checkpoint {
            records: N + 1,
            ..good.clone()
        },
        Checkpoint {
            bytes: partial.len() as u64 + 1,
            ..good.clone()
        },
        Checkpoint {
            settings: dpa::Hash([0; 32]),
            ..good.clone()
        },
        Checkpoint {
            records: good.records - 1,
            ..good.clone()
        },
        Checkpoint {
            statistics: None,
            ..good.clone()
        },
        Checkpoint {
            xxh3: "not hex".into(),
            ..good.clone()
        },
    ];
    for (i, record) in bad.iter().enumerate() {
        let (_dir, path) = scenario(&partial, record);
        let done = r.generate(&path, true, false).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), whole, "case {i}");
        assert_eq!(done.write.statistics.unwrap(), statistics, "case {i}");
    }

    // A byte changed inside the checkpointed part: with the record's digest it no
    // longer matches, and the full check refuses the file...
    let mut edited = partial.clone();
    let at = digit_of_record_5(&edited);
    edited[at] = if edited[at] == b'1' { b'2' } else { b'1' };
    let (_dir, path) = scenario(&edited, &good);
    let err = r.generate(&path, true, false).unwrap_err();
    assert!(err.to_string().contains("record 5"), "{err}");

    // ...while a digest recomputed over the edit is believed: the kept bytes are read,
    // not regenerated (a digest is not a signature; `dpa verify` checks the records).
    let forged = Checkpoint {
        xxh3: xxh3(&edited[..good.bytes as usize]),
        ..good.clone()
    };
    let (_dir, path) = scenario(&edited, &forged);
    r.generate(&path, true, false).unwrap();
    let out = std::fs::read(&path).unwrap();
    let differs: Vec<usize> = (0..whole.len()).filter(|&i| out[i] != whole[i]).collect();
    assert_eq!(differs, vec![at]);
}
