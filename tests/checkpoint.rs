//! Checkpoints of a partial file (`dpa::checkpoint`): a run that dies after the first
//! one resumes on its word — the bytes it vouches for are read, not regenerated — and
//! a record whose claims do not hold is ignored, the whole partial file then checked
//! record by record as without one. Both ways of checking the digests are run: read
//! before the run goes on (when the file's SHA-256 is wanted, `checksum`), and on a
//! helper thread while it goes on (the run then fails if they do not match).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dpa::checkpoint::{record_path, Checkpoint, Segment, CHECKPOINT_EVERY};
use dpa::write::{generate_to, Destination, Generation, WriteOptions};
use dpa::{Engine, EngineConfig, FileMetadata, Format, Generator, Preset, Seeding};

/// Records in the run: about 170 MB of JSON Lines, two checkpoints and more.
const N: u64 = 700_000;
/// The simulated crash: after this many records are in the file.
const CRASH_AFTER: u64 = 330_000;

struct Run {
    engine: Engine,
    generator: Arc<Generator>,
    options: WriteOptions,
}

fn run(checksum: bool) -> Run {
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
        checksum,
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
        crash: Option<u64>,
    ) -> Result<dpa::write::GenerateSummary, dpa::Error> {
        let what = Generation {
            engine: &self.engine,
            generator: &self.generator,
            seeding: Seeding::Plain,
            ids: dpa::id_range(0, N).unwrap(),
        };
        let mut progress = |done: u64| {
            if crash.is_some_and(|at| done >= at) {
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
    let done = r.generate(&path, false, None).unwrap();
    (
        std::fs::read(&path).unwrap(),
        done.write.statistics.unwrap(),
    )
}

/// Runs `path` (resumed or not) until it crashes after `at` records; returns its
/// checkpoint record once the writeback thread has saved one past `min_bytes`.
fn crash(r: &Run, path: &Path, resume: bool, at: u64, min_bytes: u64) -> Checkpoint {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        r.generate(path, resume, Some(at))
    }));
    assert!(
        outcome.is_err(),
        "the run was to crash: {:?}",
        outcome
            .as_ref()
            .map(|r| r.as_ref().map(|s| s.write.records))
    );
    let record = record_path(path);
    for _ in 0..400 {
        if let Ok(text) = std::fs::read(&record) {
            if let Ok(c) = serde_json::from_slice::<Checkpoint>(&text) {
                if c.bytes >= min_bytes {
                    return c;
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("no checkpoint past {min_bytes} bytes");
}

/// A run that died after its first checkpoint, with its last record torn: the partial
/// file and the checkpoint record, read back.
fn crashed(r: &Run, dir: &Path) -> (Vec<u8>, Checkpoint) {
    let path = dir.join("crashed.jsonl");
    let checkpoint = crash(r, &path, false, CRASH_AFTER, CHECKPOINT_EVERY);
    let mut partial = std::fs::read(dpa::atomic::partial_path(&path)).unwrap();
    partial.truncate(partial.len() - 100);
    assert!(checkpoint.bytes < partial.len() as u64);
    assert_eq!(checkpoint.segments.len(), 1);
    (partial, checkpoint)
}

/// A fresh folder holding `partial` and `record`, sealed anew (as if dpa had saved
/// it: so that each claim's own check is what is tried), for the output `x.jsonl`.
fn scenario(partial: &[u8], record: &Checkpoint) -> (tempfile::TempDir, PathBuf) {
    let mut sealed = record.clone();
    sealed.seal = Some(sealed.sealed());
    scenario_as_is(partial, &sealed)
}

/// [`scenario`] with `record` as it is: an edit that left its seal as it was.
fn scenario_as_is(partial: &[u8], record: &Checkpoint) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.jsonl");
    std::fs::write(dpa::atomic::partial_path(&path), partial).unwrap();
    std::fs::write(record_path(&path), serde_json::to_vec(record).unwrap()).unwrap();
    (dir, path)
}

fn one_segment(bytes: &[u8]) -> Vec<Segment> {
    vec![Segment {
        end: bytes.len() as u64,
        xxh3: format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes)),
    }]
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

/// Records whose claims do not hold: each is ignored, and the full check runs.
fn implausible(good: &Checkpoint, partial_len: u64) -> Vec<Checkpoint> {
    let segments = |s: Vec<Segment>| Checkpoint {
        segments: s,
        ..good.clone()
    };
    let mut not_hex = good.segments.clone();
    not_hex[0].xxh3 = "not hex".into();
    vec![
        Checkpoint {
            records: N + 1,
            ..good.clone()
        },
        Checkpoint {
            bytes: partial_len + 1,
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
        segments(not_hex),
        segments(Vec::new()),
    ]
}

fn checkpoints_hold_or_are_caught(checksum: bool) {
    let r = run(checksum);
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
    let done = r.generate(&path, true, None).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), whole);
    assert_eq!(done.write.statistics.unwrap(), statistics);
    assert!(done.write.resumed >= good.records);
    assert!(
        !record_path(&path).exists(),
        "the record is removed at commit"
    );
    drop(dir);

    for (i, record) in implausible(&good, partial.len() as u64).iter().enumerate() {
        let (_dir, path) = scenario(&partial, record);
        let done = r.generate(&path, true, None).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), whole, "case {i}");
        assert_eq!(done.write.statistics.unwrap(), statistics, "case {i}");
    }
    claims_that_do_not_meet_the_bytes_are_ignored(&r, &partial, &good, &whole, &statistics);

    // Digests that do not match the bytes: read first (checksum), the record is
    // ignored; checked while the run goes on, the run fails, the record is removed, and
    // the next --resume checks every record.
    let wrong = Checkpoint {
        segments: one_segment(b"other bytes")
            .into_iter()
            .map(|s| Segment {
                end: good.bytes,
                ..s
            })
            .collect(),
        ..good.clone()
    };
    let (_dir, path) = scenario(&partial, &wrong);
    if !checksum {
        let err = r.generate(&path, true, None).unwrap_err();
        assert!(err.to_string().contains("checkpoint"), "{err}");
        assert!(!record_path(&path).exists() && !path.exists());
    }
    r.generate(&path, true, None).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), whole);

    // A byte changed inside the checkpointed part is caught by the digest...
    let mut edited = partial.clone();
    let at = digit_of_record_5(&edited);
    edited[at] = if edited[at] == b'1' { b'2' } else { b'1' };
    let (_dir, path) = scenario(&edited, &good);
    if !checksum {
        let err = r.generate(&path, true, None).unwrap_err();
        assert!(err.to_string().contains("checkpoint"), "{err}");
    }
    let err = r.generate(&path, true, None).unwrap_err();
    assert!(err.to_string().contains("record 5"), "{err}");

    // ...while digests recomputed over the edit are believed: the kept bytes are read,
    // not regenerated (a digest is not a signature; `dpa verify` checks the records).
    let forged = Checkpoint {
        segments: one_segment(&edited[..good.bytes as usize]),
        ..good.clone()
    };
    let (_dir, path) = scenario(&edited, &forged);
    r.generate(&path, true, None).unwrap();
    let out = std::fs::read(&path).unwrap();
    let differs: Vec<usize> = (0..whole.len()).filter(|&i| out[i] != whole[i]).collect();
    assert_eq!(differs, vec![at]);
}

#[test]
fn checkpoints_read_before_the_run_goes_on() {
    checkpoints_hold_or_are_caught(true);
}

#[test]
fn checkpoints_checked_while_the_run_goes_on() {
    checkpoints_hold_or_are_caught(false);
}

/// A run resumed from a checkpoint and killed again saves checkpoints of two segments
/// (the kept bytes, and what it wrote); resuming from those gives the same file.
#[test]
fn a_resumed_run_checkpoints_in_segments() {
    let r = run(false);
    let base = tempfile::tempdir().unwrap();
    let (whole, statistics) = uninterrupted(&r, base.path());
    let path = base.path().join("twice.jsonl");
    let first = crash(&r, &path, false, CRASH_AFTER, CHECKPOINT_EVERY);
    let second = crash(&r, &path, true, N - 10_000, first.bytes + CHECKPOINT_EVERY);
    assert_eq!(second.segments.len(), 2, "{:?}", second.segments);
    assert_eq!(second.segments[0], first.segments[0]);
    let done = r.generate(&path, true, None).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), whole);
    assert_eq!(done.write.statistics.unwrap(), statistics);
}

/// A record edited after it was saved (its seal no longer holds), or whose count and
/// bytes do not meet at a record's end, is ignored and removed, and the partial file
/// resumes as without it — never into a file with a record twice or one short, never
/// with statistics the records do not have, never refused.
fn claims_that_do_not_meet_the_bytes_are_ignored(
    r: &Run,
    partial: &[u8],
    good: &Checkpoint,
    whole: &[u8],
    statistics: &dpa::Statistics,
) {
    let mut edited_stats = dpa::seeding::decode_hex(good.statistics.as_ref().unwrap()).unwrap();
    // Rotation's max (bytes 24..32 of its moments), one degree more: the count stays.
    let max = f64::from_le_bytes(edited_stats[24..32].try_into().unwrap());
    edited_stats[24..32].copy_from_slice(&(max + 1.0).to_le_bytes());
    let cut = &partial[..good.bytes as usize];
    let shorter = &partial[..good.bytes as usize - 1];
    let cases: Vec<(&str, &[u8], Checkpoint, bool)> = vec![
        (
            "statistics edited, count unchanged",
            partial,
            Checkpoint {
                statistics: Some(dpa::seeding::encode_hex(&edited_stats)),
                ..good.clone()
            },
            false,
        ),
        (
            "records one more, file cut at the checkpoint",
            cut,
            Checkpoint {
                records: good.records + 1,
                ..good.clone()
            },
            false,
        ),
        (
            "records one more, with their statistics, resealed",
            cut,
            Checkpoint {
                records: good.records + 1,
                statistics: Some(statistics_of(r, good.records + 1)),
                ..good.clone()
            },
            true,
        ),
        (
            "records one fewer, with their statistics, resealed",
            cut,
            Checkpoint {
                records: good.records - 1,
                statistics: Some(statistics_of(r, good.records - 1)),
                ..good.clone()
            },
            true,
        ),
        (
            "bytes one short, its digest recomputed, resealed",
            partial,
            Checkpoint {
                bytes: good.bytes - 1,
                segments: one_segment(shorter),
                ..good.clone()
            },
            true,
        ),
    ];
    for (what, bytes, record, reseal) in cases {
        let (_dir, path) = match reseal {
            true => scenario(bytes, &record),
            false => scenario_as_is(bytes, &record),
        };
        let done = r
            .generate(&path, true, None)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(std::fs::read(&path).unwrap() == whole, "{what}");
        assert_eq!(done.write.statistics.as_ref(), Some(statistics), "{what}");
        assert!(!record_path(&path).exists(), "{what}");
    }
}

/// The accumulator of the run's first `n` records, as a checkpoint holds it.
fn statistics_of(r: &Run, n: u64) -> String {
    let mut acc = dpa::StatsAccumulator::new();
    (0..n).for_each(|id| acc.push(&r.generator.params(id)));
    dpa::seeding::encode_hex(&acc.to_bytes())
}
