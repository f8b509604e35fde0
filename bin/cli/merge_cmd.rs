//! `dpa merge`: check every shard of a distributed run against its manifest, then
//! concatenate them in rank order into one file.
//!
//! Nothing in a manifest is trusted: shard paths must be plain file names inside the
//! manifest's folder, naming regular files (never followed through a link, never a
//! FIFO or device); the ranks must be exactly `0..world_size` in order, with the ranges
//! the split gives; each shard's header (config, seeding) and records (ids, ranks, the
//! first one recomputed) must be what the manifest says; each shard is hashed while it
//! is copied, and the merged file is put in place only if every check passed.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

use clap::Args;
use dpa::distributed::{GlobalSeeding, Manifest, ShardEntry};
use dpa::formats::limits::{duplicate_key, read_text_capped, MAX_DOCUMENT_BYTES};
use dpa::formats::{read_records_from_with, SeedingMode};
use dpa::write::{RecordFile, WriteOptions};
use dpa::{Error, FileMetadata, Generator, Params, RecordHandler, Seeding, SeedingInfo};
use sha2::{Digest, Sha256};

use super::generate::output_format;
use super::output::{check_distinct, destination, input_sidecar, output_sidecar};
use crate::common::failure::{CmdResult, Failure};

/// Arguments of `dpa merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The manifest.json of a `dpa-mpi generate` run.
    #[arg(value_name = "MANIFEST")]
    pub manifest: PathBuf,
    /// The merged file, or - for stdout.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Output format (default: from the extension).
    #[arg(long, value_name = "FORMAT", value_enum)]
    pub format: Option<crate::common::format_arg::FormatArg>,
}

/// The most ranks a manifest may list.
const MAX_WORLD_SIZE: u64 = 1 << 20;

/// A data error about the manifest itself.
fn bad_manifest(path: &Path, position: impl Into<String>, message: impl Into<String>) -> Failure {
    Failure::data(Error::data(path, position, message))
}

/// Reads the manifest, bounded, refusing duplicate keys.
fn read_manifest(path: &Path) -> Result<Manifest, Failure> {
    let text = read_text_capped(path, MAX_DOCUMENT_BYTES, "manifest")?;
    let parse = |e: serde_json::Error| {
        bad_manifest(
            path,
            format!("line {} column {}", e.line(), e.column()),
            e.to_string(),
        )
    };
    if let Some(key) = duplicate_key(&text).map_err(parse)? {
        return Err(bad_manifest(
            path,
            "manifest",
            format!("the key \"{}\" is given twice", dpa::error::shorten(&key)),
        ));
    }
    serde_json::from_str(&text).map_err(parse)
}

/// The seeding of rank `rank`'s records.
fn seeding_of(m: &Manifest, rank: u64) -> Seeding {
    m.seeding.rank_seeding(m.base_seed, m.epoch, rank)
}

/// Checks everything the manifest says about its shards, before any shard is read.
fn check_layout(path: &Path, m: &Manifest) -> Result<(), Failure> {
    if !(1..=MAX_WORLD_SIZE).contains(&m.world_size) || m.shards.len() as u64 != m.world_size {
        return Err(bad_manifest(
            path,
            "shards",
            format!(
                "world_size is {} and {} shards are listed: one shard per rank is needed (at most {MAX_WORLD_SIZE})",
                m.world_size,
                m.shards.len()
            ),
        ));
    }
    m.config
        .validate()
        .map_err(|e| bad_manifest(path, "config", e.to_string()))?;
    dpa::id_range(m.start_id, m.num_samples)
        .map_err(|e| bad_manifest(path, "num_samples", e.to_string()))?;
    for (i, s) in m.shards.iter().enumerate() {
        check_shard_entry(path, m, i as u64, s)?;
    }
    Ok(())
}

fn check_shard_entry(path: &Path, m: &Manifest, rank: u64, s: &ShardEntry) -> Result<(), Failure> {
    let at = format!("shards[{rank}]");
    if s.rank != rank {
        return Err(bad_manifest(
            path,
            at,
            format!("rank {} where rank {rank} belongs: shards must list ranks 0..{} in order, once each", s.rank, m.world_size),
        ));
    }
    let run = dpa::formats::RunRange {
        start_id: m.start_id,
        num_samples: m.num_samples,
    };
    let (start, count) = run
        .rank_ids(m.world_size, rank)
        .map_err(|e| bad_manifest(path, &at, e.to_string()))?;
    let end = start + count;
    if (s.start, s.end, s.records) != (start, end, end - start) {
        return Err(bad_manifest(
            path,
            at,
            format!(
                "range {}..{} with {} records, but rank {rank} of {} owns {start}..{end}",
                s.start, s.end, s.records, m.world_size
            ),
        ));
    }
    if s.sha256.is_none() {
        return Err(bad_manifest(
            path,
            format!("{at}.sha256"),
            "missing: every shard's digest is needed to check it",
        ));
    }
    let mut parts = Path::new(&s.file).components();
    let plain = matches!(parts.next(), Some(Component::Normal(_))) && parts.next().is_none();
    if !plain {
        return Err(bad_manifest(
            path,
            format!("{at}.file"),
            format!(
                "\"{}\" is not a plain file name: shards must sit in the manifest's folder",
                dpa::error::shorten(&s.file)
            ),
        ));
    }
    Ok(())
}

/// Opens a shard without following a link and without blocking on a FIFO; it must be
/// a regular file.
fn open_shard(path: &Path) -> Result<File, Failure> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| {
            let why = match e.raw_os_error() {
                Some(libc::ELOOP) => "is a symbolic link; shards are read only as regular files",
                Some(libc::ENOENT) => "missing: the manifest lists it, its folder does not hold it",
                _ => return Failure::data(Error::io(path, e)),
            };
            Failure::data(Error::io(path, std::io::Error::other(why)))
        })?;
    let regular = file.metadata().map(|m| m.is_file()).unwrap_or(false);
    if !regular {
        return Err(Failure::data(Error::io(
            path,
            std::io::Error::other("is not a regular file"),
        )));
    }
    Ok(file)
}

/// A reader that hashes every byte read through it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// Copies one shard's records, checking its header and each record on the way.
struct Copy<'a> {
    file: &'a mut RecordFile,
    path: &'a Path,
    manifest: &'a Manifest,
    generator: &'a Generator,
    rank: u64,
    next_id: u64,
    seen: u64,
}

impl RecordHandler for Copy<'_> {
    type Error = Error;

    fn header(&mut self, meta: Option<&FileMetadata>) -> Result<(), Error> {
        let Some(meta) = meta else { return Ok(()) };
        let m = self.manifest;
        if meta.config.as_ref().is_some_and(|c| *c != m.config) {
            return Err(Error::data_of(
                dpa::error::DataKind::Mismatch,
                self.path,
                "header",
                "written with another config than the manifest's",
            ));
        }
        let want = m
            .seeding
            .shard_info(m.base_seed, m.epoch, self.rank, m.world_size);
        if meta.seeding.as_ref().is_some_and(|s| *s != want) {
            return Err(Error::data_of(
                dpa::error::DataKind::Mismatch,
                self.path,
                "header",
                "written with another seeding than the manifest's",
            ));
        }
        Ok(())
    }

    fn record(&mut self, p: Params) -> Result<(), Error> {
        let position = format!("record {}", self.seen);
        let want_rank = seeding_of(self.manifest, self.rank).rank();
        if p.sample_id != self.next_id || p.rank != want_rank {
            return Err(Error::data_of(dpa::error::DataKind::Mismatch,
                self.path,
                position,
                format!(
                    "sample_id {} (rank {:?}) where the manifest puts sample_id {} (rank {want_rank:?})",
                    p.sample_id, p.rank, self.next_id
                ),
            ));
        }
        if self.seen == 0 {
            let want = self
                .generator
                .generate(seeding_of(self.manifest, self.rank), p.sample_id);
            if !p.bit_eq(&want) {
                return Err(Error::data_of(
                    dpa::error::DataKind::Mismatch,
                    self.path,
                    position,
                    "not what the manifest's config and seeding give",
                ));
            }
        }
        self.next_id = self.next_id.wrapping_add(1);
        self.seen += 1;
        self.file.write(&p)
    }
}

/// Reads, checks, hashes and copies one shard.
fn copy_shard(
    dir: &Path,
    m: &Manifest,
    s: &ShardEntry,
    generator: &Generator,
    file: &mut RecordFile,
) -> CmdResult {
    let path = dir.join(&s.file);
    let mut hashing = Hashing {
        inner: open_shard(&path)?,
        hash: Sha256::new(),
    };
    let mut copy = Copy {
        file,
        path: &path,
        manifest: m,
        generator,
        rank: s.rank,
        next_id: s.start,
        seen: 0,
    };
    let info = if m.format == dpa::Format::Parquet {
        // A Parquet file is read from the file itself (its footer is at its end); its
        // bytes are then hashed whole.
        dpa::formats::read_records_with(&path, &mut copy)?
    } else {
        read_records_from_with(
            BufReader::with_capacity(1 << 16, &mut hashing),
            &path,
            &mut copy,
        )?
    };
    std::io::copy(&mut hashing, &mut std::io::sink()).map_err(|e| Error::io(&path, e))?;
    let at = format!("shard of rank {}", s.rank);
    if info.records != s.records {
        return Err(Failure::data(Error::data_of(
            dpa::error::DataKind::Mismatch,
            &path,
            at,
            format!(
                "holds {} records, the manifest says {}",
                info.records, s.records
            ),
        )));
    }
    let digest: [u8; 32] = hashing.hash.finalize().into();
    if Some(dpa::Hash(digest)) != s.sha256 {
        return Err(Failure::data(Error::data_of(
            dpa::error::DataKind::Mismatch,
            &path,
            at,
            "its sha256 is not the manifest's: the shard changed since the run",
        )));
    }
    Ok(())
}

pub fn run(args: MergeArgs) -> CmdResult {
    let format = output_format(args.format.map(dpa::Format::from), &args.output)?;
    let m = read_manifest(&args.manifest)?;
    check_layout(&args.manifest, &m)?;
    let dir = match args.manifest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let shard_paths: Vec<PathBuf> = m.shards.iter().map(|s| dir.join(&s.file)).collect();
    let mut inputs = vec![("MANIFEST", args.manifest.as_path())];
    inputs.extend(shard_paths.iter().map(|p| ("shard", p.as_path())));
    let sidecars: Vec<PathBuf> = shard_paths
        .iter()
        .filter_map(|p| input_sidecar(p))
        .collect();
    inputs.extend(sidecars.iter().map(|p| ("shard's sidecar", p.as_path())));
    let out_side = output_sidecar(&args.output, format);
    let mut outputs = vec![("--output", args.output.as_path())];
    outputs.extend(out_side.as_deref().map(|p| ("--output's sidecar", p)));
    check_distinct(&inputs, &outputs)?;
    let generator = crate::common::kernel::generator(m.config.clone())?;

    let mut meta = FileMetadata::for_config(m.config.clone(), Some(m.num_samples));
    meta.start_id = Some(m.start_id);
    // The merged file is the whole range: plain and keyed seeding describe it as
    // `dpa generate` would (rank 0's seeding is every rank's); rank-aware records keep
    // their own ranks.
    meta.seeding = Some(if m.seeding != GlobalSeeding::RankAware {
        SeedingInfo::new(seeding_of(&m, 0), None)
    } else {
        SeedingInfo {
            mode: SeedingMode::RankAware,
            base_seed: Some(m.base_seed),
            rank: None,
            world_size: Some(m.world_size),
            seed: None,
            epoch: None,
        }
    });
    let options = WriteOptions {
        format,
        metadata: meta,
        statistics: m.statistics.is_some(),
        keep_partial: false,
        checksum: false,
    };
    let mut file = RecordFile::create(destination(&args.output)?, &options)?;
    for s in &m.shards {
        copy_shard(dir, &m, s, &generator, &mut file)?;
    }
    file.finish()?;
    Ok(())
}
