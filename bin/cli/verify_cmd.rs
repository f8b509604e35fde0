//! `dpa verify`: recompute every record of a file and report the first mismatch.

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use dpa::formats::{read_records_from_with, read_records_with};
use dpa::{Error, FileMetadata, Generator, Params, RecordHandler, Seeding};
use rayon::prelude::*;

use super::config_flags::AnyConfigFlag;
use super::engine_args::EngineArgs;
use super::output::{is_stdout, Output};
use crate::common::config_args::ConfigArgs;
use crate::common::failure::{CmdResult, Failure};

/// Arguments of `dpa verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    // The file to check (any format dpa reads), or - for stdin.
    #[arg(value_name = "FILE", help = format!("The file to check ({}), or - for stdin", dpa::Format::names_list("or")))]
    pub file: PathBuf,
    /// The config to check against (default: the file's own; required for JSON Lines).
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Base seed of rank-aware records (default: the file's, else 0).
    #[arg(long, value_name = "B")]
    pub base_seed: Option<u64>,
    /// Seed and epoch of keyed records (default: the file's; needed for JSON Lines).
    #[command(flatten)]
    pub key: super::key_args::KeyArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
}

const BLOCK: usize = 1 << 16;

struct Verifier<'a> {
    path: &'a Path,
    flags: &'a ConfigArgs,
    base_seed_flag: Option<u64>,
    key_flags: Option<Seeding>,
    generator: Option<Arc<Generator>>,
    base_seed: u64,
    /// Seed-and-epoch seeding, from the flags or the file's metadata.
    keyed: Option<Seeding>,
    pool: &'a dpa::Engine,
    kernel: dpa::kernel::Kernel,
    block: Vec<Params>,
    checked: u64,
    /// The id the next record must have: the file's `start_id` (else the first
    /// record's), then one more each (past `u64::MAX`, none can follow).
    next_id: Option<u128>,
    /// Records read (checked or waiting in `block`).
    read: u64,
}

impl Verifier<'_> {
    fn check_block(&mut self) -> Result<(), Error> {
        let Some(g) = self.generator.clone() else {
            return Ok(());
        };
        let (base_seed, keyed) = (self.base_seed, self.keyed);
        let block = std::mem::take(&mut self.block);
        let first_bad = self.pool.install(|| {
            block.par_iter().position_first(|p| {
                !p.bit_eq(&g.generate(seeding_of(p, base_seed, keyed), p.sample_id))
            })
        });
        if let Some(i) = first_bad {
            let p = &block[i];
            let want = g.generate(seeding_of(p, base_seed, keyed), p.sample_id);
            return Err(Error::data_of(
                dpa::error::DataKind::Mismatch,
                self.path,
                format!(
                    "record {} (sample_id {})",
                    self.checked + i as u64,
                    p.sample_id
                ),
                dpa::formats::claims::describe_difference(p, &want),
            ));
        }
        self.checked += block.len() as u64;
        self.block = block;
        self.block.clear();
        Ok(())
    }
}

/// How a record was seeded: as the file or the flags say when keyed, else rank-aware
/// when it carries a rank, else plain.
fn seeding_of(p: &Params, base_seed: u64, keyed: Option<Seeding>) -> Seeding {
    match (keyed, p.rank) {
        (Some(keyed), _) => keyed,
        (None, Some(rank)) => Seeding::RankAware { base_seed, rank },
        (None, None) => Seeding::Plain,
    }
}

impl RecordHandler for Verifier<'_> {
    type Error = Failure;

    fn header(&mut self, metadata: Option<&FileMetadata>) -> Result<(), Failure> {
        let own = metadata.and_then(|m| m.config.as_ref());
        if own.is_none() && !self.flags.any() {
            return Err(Failure::usage_msg(format!(
                "{} has no config of its own (JSON Lines, or a .npy file without its sidecar): pass --preset, --config or the range flags",
                self.path.display()
            )));
        }
        let config = self.flags.resolve_over(own)?;
        let generator = Generator::new(config).map_err(|error| Error::Config {
            path: self.path.to_path_buf(),
            position: "header".into(),
            error,
        })?;
        self.generator = Some(Arc::new(generator.with_kernel(self.kernel)));
        self.next_id = metadata.and_then(|m| m.start_id).map(u128::from);
        self.base_seed = self
            .base_seed_flag
            .or_else(|| {
                metadata
                    .and_then(|m| m.seeding.as_ref())
                    .and_then(|s| s.base_seed)
            })
            .unwrap_or(0);
        let from_file = metadata
            .and_then(|m| m.seeding.as_ref())
            .and_then(|s| s.seeding())
            .filter(|s| matches!(s, Seeding::Keyed { .. }));
        self.keyed = self.key_flags.or(from_file);
        Ok(())
    }

    fn record(&mut self, record: Params) -> Result<(), Failure> {
        let want = self.next_id.unwrap_or(u128::from(record.sample_id));
        if u128::from(record.sample_id) != want {
            return Err(Failure::from(Error::data_of(dpa::error::DataKind::Mismatch,
                self.path,
                format!("record {}", self.read),
                format!(
                    "sample_id {} where {want} belongs: a verified file holds exactly its range, in order, with no gap or duplicate",
                    record.sample_id
                ),
            )));
        }
        self.next_id = Some(want + 1);
        self.read += 1;
        self.block.push(record);
        if self.block.len() >= BLOCK {
            self.check_block()?;
        }
        Ok(())
    }
}

pub fn run(args: VerifyArgs) -> CmdResult {
    let engine = args.engine.build()?;
    let mut v = Verifier {
        path: &args.file,
        flags: &args.config,
        base_seed_flag: args.base_seed,
        key_flags: args.key.seeding(false)?,
        generator: None,
        base_seed: 0,
        keyed: None,
        pool: &engine,
        kernel: crate::common::kernel::kernel()?,
        block: Vec::with_capacity(BLOCK),
        checked: 0,
        next_id: None,
        read: 0,
    };
    let result = if is_stdout(&args.file) {
        let stdin = BufReader::with_capacity(1 << 16, std::io::stdin().lock());
        read_records_from_with(stdin, Path::new("<stdin>"), &mut v)
    } else {
        read_records_with(&args.file, &mut v)
    };
    let info = result?;
    v.check_block()?;
    // The reader has checked the file's count and statistics against its records.
    let path = &args.file;
    let mut out = Output::open(Path::new("-"))?;
    writeln!(
        out,
        "{}: {} records verified ({}{})",
        path.display(),
        info.records,
        info.format,
        if info.statistics.is_some() {
            ", statistics match"
        } else {
            ""
        }
    )
    .map_err(|e| Error::io("<stdout>", e))?;
    out.finish()?;
    Ok(())
}
