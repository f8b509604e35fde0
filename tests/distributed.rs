//! The distributed job under the in-memory communicator: world sizes 1 to 8, more ranks
//! than samples, N = 0, both seeding modes, failures that end the job instead of
//! hanging it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dpa::distributed::{
    run_generate, shard_file_name, Communicator, GenerateJob, GlobalSeeding, LocalCommunicator,
    Manifest, ReduceOp,
};
use dpa::{id_range, Engine, EngineConfig, Format, Generator, Preset, StatsAccumulator};

/// A job of `n` samples (plain seeding) writing one shared `.npy` file `name` in `dir`,
/// and that file's path.
fn shared_job(dir: &Path, name: &str, n: u64) -> (GenerateJob, PathBuf) {
    let out = dir.join(name);
    let mut j = job(dir, n, GlobalSeeding::Global, Format::Npy);
    j.output = dpa::distributed::JobOutput::SharedNpy(out.clone());
    (j, out)
}

fn job(dir: &Path, n: u64, seeding: GlobalSeeding, format: Format) -> GenerateJob {
    GenerateJob {
        config: Preset::Moderate.config(),
        num_samples: n,
        start_id: 1_000,
        base_seed: 42,
        epoch: 0,
        seeding,
        format,
        threads: Some(1),
        output: dpa::distributed::JobOutput::Shards(dir.to_path_buf()),
        resume: false,
        with_stats: true,
        kernel: dpa::kernel::Kernel::detect(),
        compression: Default::default(),
    }
}

fn run(size: usize, job: &GenerateJob) -> Manifest {
    let results = LocalCommunicator::run(size, |comm| match run_generate(comm, job) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("rank {}: {e}", comm.rank());
            comm.abort(1)
        }
    })
    .unwrap();
    assert!(results[1..].iter().all(Option::is_none));
    results.into_iter().next().unwrap().unwrap()
}

/// What one process writes for rank `r`'s shard: the same pipeline `dpa generate --rank`
/// uses, run alone.
fn single_process_shard(job: &GenerateJob, rank: u64, size: u64) -> Vec<u8> {
    let (first, count, seeding) = job.shard(rank, size).unwrap();
    let meta = job.shard_metadata(rank, size).unwrap();
    let engine = Engine::new(EngineConfig {
        threads: Some(1),
        ..Default::default()
    })
    .unwrap();
    let g = Arc::new(Generator::new(job.config.clone()).unwrap());
    let what = dpa::write::Generation {
        engine: &engine,
        generator: &g,
        seeding,
        ids: id_range(first, count).unwrap(),
    };
    let options = dpa::write::WriteOptions {
        format: job.format,
        metadata: meta,
        statistics: true,
        keep_partial: false,
        checksum: false,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shard");
    let destination = dpa::write::Destination::File(path.clone());
    dpa::write::generate_to(
        &what,
        destination,
        &options,
        false,
        Default::default(),
        &mut |_| {},
    )
    .unwrap();
    std::fs::read(path).unwrap()
}

#[test]
fn shards_partition_the_range_and_equal_single_process_output() {
    for size in 1..=8usize {
        for n in [0u64, 1, 5, 7, 100, 1001] {
            let dir = tempfile::tempdir().unwrap();
            let format = [Format::Jsonl, Format::Json, Format::Bincode][size % 3];
            let j = job(dir.path(), n, GlobalSeeding::RankAware, format);
            let m = run(size, &j);
            assert_eq!(m.world_size, size as u64);
            assert_eq!(m.shards.len(), size);
            // Non-empty shards are contiguous and cover start_id .. start_id + n.
            let mut next = j.start_id;
            for s in m.shards.iter().filter(|s| s.records > 0) {
                assert_eq!(s.start, next, "n {n} size {size}");
                next = s.end;
            }
            assert_eq!(next, j.start_id + n);
            assert_eq!(m.shards.iter().map(|s| s.records).sum::<u64>(), n);
            for s in &m.shards {
                let bytes = std::fs::read(dir.path().join(&s.file)).unwrap();
                assert_eq!(s.file, shard_file_name(s.rank, size as u64, format));
                assert!(
                    bytes == single_process_shard(&j, s.rank, size as u64),
                    "rank {} n {n} size {size}",
                    s.rank
                );
            }
            // Merged statistics equal those of the whole range.
            let g = Generator::new(j.config.clone()).unwrap();
            let mut whole = StatsAccumulator::new();
            for rank in 0..size as u64 {
                let (first, count, seeding) = j.shard(rank, size as u64).unwrap();
                for p in g.generate_ids(seeding, first..first + count) {
                    whole.push(&p);
                }
            }
            // Exact: the same bits, whatever the number of ranks.
            let (got, want) = (m.statistics.unwrap(), whole.finish());
            assert_eq!(stat_bits(&got), stat_bits(&want), "n {n} size {size}");
            assert!(dir.path().join("manifest.json").exists());
        }
    }
}

#[test]
fn global_seeding_gives_the_same_records_for_any_world_size() {
    let mut concatenated = Vec::new();
    for size in [1usize, 3, 8] {
        let dir = tempfile::tempdir().unwrap();
        let m = run(
            size,
            &job(dir.path(), 1000, GlobalSeeding::Global, Format::Jsonl),
        );
        let mut all = Vec::new();
        for s in &m.shards {
            all.extend(std::fs::read(dir.path().join(&s.file)).unwrap());
        }
        concatenated.push(all);
    }
    assert!(concatenated[0] == concatenated[1] && concatenated[1] == concatenated[2]);
    let g = Generator::new(Preset::Moderate.config()).unwrap();
    let first_line = String::from_utf8(
        concatenated[0]
            .split(|b| *b == b'\n')
            .next()
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    let p: dpa::Params = serde_json::from_str(&first_line).unwrap();
    assert!(p.bit_eq(&g.params(1000)));
}

#[test]
fn a_rank_that_cannot_write_ends_the_job_without_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(shard_file_name(2, 4, Format::Jsonl))).unwrap();
    let j = job(dir.path(), 1000, GlobalSeeding::RankAware, Format::Jsonl);
    let err = LocalCommunicator::run(4, |comm| match run_generate(comm, &j) {
        Ok(m) => m,
        Err(_) => comm.abort(1),
    })
    .unwrap_err();
    assert_eq!(err.rank, 2);
    assert!(!dir.path().join("manifest.json").exists());
}

#[test]
fn collectives_work_for_every_world_size() {
    for size in 1..=8usize {
        let out = LocalCommunicator::run(size, |c| {
            let mut v = [c.rank() as f64, -(c.rank() as f64)];
            c.all_reduce_f64(&mut v, ReduceOp::Sum);
            let mut m = [c.rank() as f64];
            c.all_reduce_f64(&mut m, ReduceOp::Max);
            let mut b = if c.rank() == size - 1 {
                vec![7u8; c.rank() + 1]
            } else {
                Vec::new()
            };
            c.broadcast_bytes(size - 1, &mut b);
            c.barrier();
            let g = c.gather_bytes(0, &vec![c.rank() as u8; c.rank()]);
            (v, m[0], b, g, c.wtime() >= 0.0)
        })
        .unwrap();
        let s = (size * (size - 1) / 2) as f64;
        for (rank, (v, m, b, g, t)) in out.into_iter().enumerate() {
            assert_eq!(v, [s, -s]);
            assert_eq!(m, (size - 1) as f64);
            assert_eq!(b, vec![7u8; size]);
            assert!(t);
            if rank == 0 {
                let g = g.unwrap();
                assert_eq!(g.len(), size);
                for (r, part) in g.iter().enumerate() {
                    assert_eq!(part, &vec![r as u8; r]);
                }
            } else {
                assert!(g.is_none());
            }
        }
    }
}

#[test]
fn a_panic_on_one_rank_does_not_hang_the_others() {
    let err = LocalCommunicator::run(4, |c| {
        if c.rank() == 3 {
            panic!("boom");
        }
        c.barrier();
        c.barrier();
    })
    .unwrap_err();
    assert_eq!(err.rank, 3);
    assert!(err.message.contains("boom"));
}

fn dpa() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("dpa").unwrap()
}

#[test]
fn merge_checks_every_shard_and_concatenates_in_rank_order() {
    use predicates::prelude::*;
    for format in [Format::Jsonl, Format::Json, Format::Bincode] {
        let dir = tempfile::tempdir().unwrap();
        let run_dir = dir.path().join("run");
        std::fs::create_dir(&run_dir).unwrap();
        let mut j = job(&run_dir, 5000, GlobalSeeding::Global, format);
        j.start_id = 0;
        run(3, &j);
        let merged = dir.path().join(format!("merged.{}", format.extension()));
        dpa()
            .arg("merge")
            .arg(run_dir.join("manifest.json"))
            .arg("-o")
            .arg(&merged)
            .assert()
            .success();
        // Global seeding: the merge is what one process writes for the whole range.
        let whole = dir.path().join(format!("whole.{}", format.extension()));
        dpa()
            .args(["generate", "-q", "-n", "5000", "-o"])
            .arg(&whole)
            .assert()
            .success();
        assert!(
            std::fs::read(&merged).unwrap() == std::fs::read(&whole).unwrap(),
            "{format}"
        );
    }
    // A changed shard and a missing shard are errors naming the shard; nothing is written.
    let dir = tempfile::tempdir().unwrap();
    let m = run(
        2,
        &job(dir.path(), 100, GlobalSeeding::RankAware, Format::Jsonl),
    );
    let shard1 = dir.path().join(&m.shards[1].file);
    let mut bytes = std::fs::read(&shard1).unwrap();
    // One hex digit of the last record's hash: a valid record, but not the shard hashed.
    let at = bytes.len() - 5;
    bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
    std::fs::write(&shard1, &bytes).unwrap();
    let out = dir.path().join("out.jsonl");
    dpa()
        .arg("merge")
        .arg(dir.path().join("manifest.json"))
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains(&m.shards[1].file).and(predicate::str::contains("changed")),
        );
    std::fs::remove_file(&shard1).unwrap();
    dpa()
        .arg("merge")
        .arg(dir.path().join("manifest.json"))
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("missing"));
    assert!(!out.exists());
}

/// Every number of the statistics as its bit pattern.
fn stat_bits(s: &dpa::Statistics) -> Vec<u64> {
    dpa::Param::ALL
        .iter()
        .flat_map(|&p| {
            let v = s.get(p);
            [
                v.mean.to_bits(),
                v.stdev.to_bits(),
                v.min.to_bits(),
                v.max.to_bits(),
                v.count,
            ]
        })
        .collect()
}

/// Seed-and-epoch seeding: on 1 to 5 ranks the JSON Lines shards, joined, are the same
/// bytes (each record depends on seed, epoch and id only), and the statistics the same
/// bits; another epoch gives other records.
#[test]
fn keyed_shards_join_to_the_same_bytes_for_any_number_of_ranks() {
    let joined = |size: usize, epoch: u64| {
        let dir = tempfile::tempdir().unwrap();
        let mut j = job(dir.path(), 1001, GlobalSeeding::Keyed, Format::Jsonl);
        j.epoch = epoch;
        let m = run(size, &j);
        let mut all = Vec::new();
        for s in &m.shards {
            all.extend(std::fs::read(dir.path().join(&s.file)).unwrap());
        }
        (all, stat_bits(&m.statistics.unwrap()))
    };
    let (one, stats) = joined(1, 3);
    assert_eq!(one.iter().filter(|&&b| b == b'\n').count(), 1001);
    for size in 2..=5 {
        assert!(
            joined(size, 3) == (one.clone(), stats.clone()),
            "{size} ranks"
        );
    }
    assert!(joined(2, 4).0 != one, "another epoch, other records");
    // What one process generates for the same seed and epoch.
    let g = Generator::new(Preset::Moderate.config()).unwrap();
    let first: dpa::Params =
        serde_json::from_slice(one.split(|&b| b == b'\n').next().unwrap()).unwrap();
    assert!(first.bit_eq(&g.generate(dpa::Seeding::Keyed { seed: 42, epoch: 3 }, 1_000)));
}

/// The shared `.npy` file under the in-memory communicator: for world sizes 1 to 8,
/// more ranks than samples and no samples at all, it is byte for byte the file one
/// `dpa generate --format npy` writes (through the library's single-process path).
#[test]
fn shared_npy_is_one_process_file_for_any_world_size() {
    use dpa::distributed::JobOutput;
    let dir = tempfile::tempdir().unwrap();
    for n in [0u64, 3, 1001] {
        for seeding in [GlobalSeeding::Global, GlobalSeeding::Keyed] {
            let path = dir.path().join(format!("one-{n}.npy"));
            let mut j = job(dir.path(), n, seeding, Format::Npy);
            // The reference: one process, the write path of `dpa generate`.
            let meta = j.whole_metadata(1);
            let engine = Engine::new(EngineConfig::default()).unwrap();
            let g = Arc::new(Generator::new(j.config.clone()).unwrap());
            let what = dpa::write::Generation {
                engine: &engine,
                generator: &g,
                seeding: seeding.rank_seeding(j.base_seed, j.epoch, 0),
                ids: id_range(j.start_id, n).unwrap(),
            };
            let options = dpa::write::WriteOptions {
                format: Format::Npy,
                metadata: meta,
                statistics: true,
                keep_partial: false,
                checksum: true,
            };
            let dest = dpa::write::Destination::File(path.clone());
            dpa::write::generate_to(
                &what,
                dest,
                &options,
                false,
                Default::default(),
                &mut |_| {},
            )
            .unwrap();
            let want = std::fs::read(&path).unwrap();
            for size in 1..=8 {
                let out = dir.path().join(format!("shared-{n}-{size}.npy"));
                j.output = JobOutput::SharedNpy(out.clone());
                let m = run(size, &j);
                assert_eq!(m.shards.len(), size);
                assert!(std::fs::read(&out).unwrap() == want, "n {n}, {size} ranks");
                // Version 2: one segment a rank, which the reader checks.
                let side = dpa::formats::npy::NpySidecar::load(&out).unwrap().unwrap();
                assert_eq!((side.version, side.sha256), (2, None));
                assert_eq!(side.segments.unwrap().len(), size);
                dpa::read_records(&out, |_| Ok(())).unwrap();
            }
        }
    }
}

/// One rank fails in the middle of a shared write: every rank stops (none waits for
/// the others), and nothing is at the output path.
#[test]
fn a_failing_rank_stops_every_rank_of_a_shared_write() {
    use dpa::distributed::JobError;
    let dir = tempfile::tempdir().unwrap();
    let (j, out) = shared_job(dir.path(), "p.npy", 50_000);
    std::fs::create_dir(dir.path().join("p.npy.partial.rank-00001-of-00003")).unwrap();
    let results = LocalCommunicator::run(3, |comm| match run_generate(comm, &j) {
        Err(JobError::Peer { rank }) => format!("peer {rank}"),
        Err(e) => e.to_string(),
        Ok(_) => "ok".into(),
    })
    .unwrap();
    assert_eq!(results[0], "peer 1");
    assert!(results[1].contains("rank-00001-of-00003"), "{}", results[1]);
    assert_eq!(results[2], "peer 1");
    assert!(!out.exists());
}

/// `--resume` of a shared-file job that had finished: the file is kept when it still
/// matches its sidecar, and written again when it does not (or the settings differ).
#[test]
fn resuming_a_finished_shared_file_keeps_it_only_if_it_checks_out() {
    let dir = tempfile::tempdir().unwrap();
    let (mut j, out) = shared_job(dir.path(), "s.npy", 5000);
    run(3, &j);
    let want = std::fs::read(&out).unwrap();
    j.resume = true;
    let kept = run(3, &j);
    assert!(
        kept.shards.iter().all(|s| s.resumed == s.records),
        "{kept:?}"
    );
    assert_eq!(
        kept.statistics,
        run(
            3,
            &GenerateJob {
                resume: false,
                ..j.clone()
            }
        )
        .statistics
    );
    // A changed byte: written again, whole.
    let mut bytes = want.clone();
    bytes[want.len() - 7] ^= 1;
    std::fs::write(&out, &bytes).unwrap();
    let redone = run(3, &j);
    assert!(redone.shards.iter().all(|s| s.resumed == 0));
    assert!(std::fs::read(&out).unwrap() == want);
    // A claim of the sidecar that its rows contradict: written again, whole. Each
    // rank checks its own segment (rank 1's here) and the merged statistics.
    let sidecar = dpa::formats::npy::sidecar_path(&out);
    let good: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sidecar).unwrap()).unwrap();
    let other_digest = good["segments"][2]["sha256"].clone();
    type Edit<'a> = &'a dyn Fn(&mut serde_json::Value);
    let edits: [(&str, Edit); 3] = [
        ("segment 1's digest", &|v| {
            v["segments"][1]["sha256"] = other_digest.clone()
        }),
        ("the mean", &|v| {
            v["statistics"]["rotation"]["mean"] = 0.5.into()
        }),
        ("rank 1's first id", &|v| v["ranks"][1]["start"] = 1.into()),
    ];
    for (what, edit) in edits {
        let mut bad = good.clone();
        edit(&mut bad);
        std::fs::write(&sidecar, serde_json::to_vec(&bad).unwrap()).unwrap();
        let redone = run(3, &j);
        assert!(redone.shards.iter().all(|s| s.resumed == 0), "{what}");
        assert!(std::fs::read(&out).unwrap() == want, "{what}");
    }
    // A row changed in rank 1's part (the file and its digest both): its first id is
    // no longer the one its rank starts at.
    std::fs::write(&sidecar, serde_json::to_vec(&good).unwrap()).unwrap();
    let seg = &good["segments"][1];
    let from = seg["offset"].as_u64().unwrap() as usize;
    let len = seg["bytes"].as_u64().unwrap() as usize;
    let mut bytes = want.clone();
    bytes[from] ^= 1;
    std::fs::write(&out, &bytes).unwrap();
    let forged = {
        use sha2::Digest as _;
        dpa::Hash(sha2::Sha256::digest(&bytes[from..from + len]).into()).to_string()
    };
    let mut side = good.clone();
    side["segments"][1]["sha256"] = forged.into();
    std::fs::write(&sidecar, serde_json::to_vec(&side).unwrap()).unwrap();
    assert!(run(3, &j).shards.iter().all(|s| s.resumed == 0));
    assert!(std::fs::read(&out).unwrap() == want);
    // Another epoch is another file: nothing kept.
    let other = GenerateJob {
        epoch: 9,
        seeding: GlobalSeeding::Keyed,
        ..j.clone()
    };
    assert!(run(3, &other).shards.iter().all(|s| s.resumed == 0));
}

/// A kept shard's `.done.json` is a claim: statistics edited in it (here, another
/// shard's, a valid accumulator) are not carried into the manifest by `--resume`; the
/// shard's rows decide, and the manifest equals an uninterrupted run's.
#[test]
fn resume_does_not_believe_the_statistics_of_a_done_record() {
    for format in [Format::Jsonl, Format::Npy, Format::Bincode] {
        let dir = tempfile::tempdir().unwrap();
        let j = job(dir.path(), 3_000, GlobalSeeding::Global, format);
        let first = run(3, &j);
        let done = |r: u64| {
            dir.path()
                .join(format!("{}.done.json", shard_file_name(r, 3, format)))
        };
        let mut record: serde_json::Value =
            serde_json::from_slice(&std::fs::read(done(0)).unwrap()).unwrap();
        let other: serde_json::Value =
            serde_json::from_slice(&std::fs::read(done(1)).unwrap()).unwrap();
        assert_ne!(record["statistics"], other["statistics"]);
        record["statistics"] = other["statistics"].clone();
        std::fs::write(done(0), serde_json::to_vec(&record).unwrap()).unwrap();
        let again = run(
            3,
            &GenerateJob {
                resume: true,
                ..j.clone()
            },
        );
        let bits = |m: &Manifest| stat_bits(m.statistics.as_ref().unwrap());
        assert_eq!(bits(&again), bits(&first), "{format}");
        assert_eq!(
            again.shards[0].resumed, 0,
            "{format}: the shard was written again"
        );
        assert_eq!(
            again.shards[1].resumed, 1_000,
            "{format}: an intact shard is kept"
        );
    }
}

/// A byte changed in a shared file is found by every reader (`dpa verify`, `stats`,
/// `convert`): the error names the segment whose digest no longer matches.
#[test]
fn a_changed_byte_of_a_shared_file_is_found_in_its_segment() {
    let dir = tempfile::tempdir().unwrap();
    let (j, out) = shared_job(dir.path(), "s.npy", 3000);
    run(3, &j);
    let want = std::fs::read(&out).unwrap();
    let side = dpa::formats::npy::NpySidecar::load(&out).unwrap().unwrap();
    for (i, seg) in side.segments.unwrap().iter().enumerate() {
        // The lowest bit of a middle row's contrast (the 64 bytes after it are the
        // hash's hex digits): the row still decodes, and only the digest tells.
        let mut bytes = want.clone();
        bytes[(seg.offset + seg.bytes - 112 * 500 - 64 - 8) as usize] ^= 1;
        std::fs::write(&out, &bytes).unwrap();
        let err = dpa::read_records(&out, |_| Ok(())).unwrap_err().to_string();
        assert!(err.contains(&format!("segment {i} sha256")), "{err}");
    }
}

/// Progress records that a killed run with another rank count left beside a shared
/// file are removed when the file is committed: none describes anything then.
#[test]
fn a_committed_shared_file_leaves_no_progress_record_of_any_run() {
    let dir = tempfile::tempdir().unwrap();
    let (j, _out) = shared_job(dir.path(), "p.npy", 5_000);
    for stale in [
        "p.npy.partial.rank-00000-of-00005",
        "p.npy.partial.rank-00004-of-00005",
    ] {
        std::fs::write(dir.path().join(stale), b"{}").unwrap();
    }
    std::fs::write(dir.path().join("p.npy.partial.rank-notes.txt.keep"), b"").unwrap();
    run(2, &j);
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["p.npy", "p.npy.json", "p.npy.partial.rank-notes.txt.keep"]
    );
}
