//! `dpa convert`: between json, jsonl, bincode and npy, losslessly and streaming.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use clap::Args;
use dpa::formats::claims::RowSample;
use dpa::formats::SeedingMode;
use dpa::formats::{read_records_from_with, read_records_with};
use dpa::write::{Destination, RecordFile, WriteOptions};
use dpa::{Error, FileMetadata, Format, Param, Params, RecordHandler, SeedingInfo};

use super::config_flags::AnyConfigFlag;
use super::generate::output_format;
use super::layout::{config_forms, with_layout, LayoutArg};
use super::output::{check_distinct, destination, input_sidecar, is_stdout, output_sidecar};
use crate::common::config_args::ConfigArgs;
use crate::common::failure::{CmdResult, Failure};

/// Arguments of `dpa convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    // The input file (any format dpa reads; detected from its content), or - for stdin.
    #[arg(value_name = "IN", help = format!("The input file ({}; detected from its content), or - for stdin", dpa::Format::names_list("or")))]
    pub input: PathBuf,
    /// The output file, or - for stdout.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Output format (default: from the output's extension).
    #[arg(long, value_name = "FORMAT", value_enum)]
    pub format: Option<crate::common::format_arg::FormatArg>,
    /// Compression of a Parquet output's pages.
    #[arg(long, value_name = "CODEC", value_enum, default_value_t)]
    pub compression: crate::common::format_arg::CompressionArg,
    /// JSON layout: dpa's, or the reference's own file (json.dump(indent=2), Python's
    /// float repr, no sample_id).
    #[arg(long, value_name = "LAYOUT", value_enum, default_value_t)]
    pub layout: LayoutArg,
    /// The config to record in the output's header when the input has none (JSON Lines).
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Base seed of rank-aware records, for an input that does not state its seeding
    /// (JSON Lines with a `rank`; default 0).
    #[arg(long, value_name = "B", conflicts_with = "seed")]
    pub base_seed: Option<u64>,
    /// Seed and epoch of keyed records, for an input that does not state its seeding.
    #[command(flatten)]
    pub key: super::key_args::KeyArgs,
}

/// Opens the output when the input's metadata is known, then copies records.
struct Converter<'a> {
    format: Format,
    input: &'a Path,
    output: &'a Path,
    flags: &'a ConfigArgs,
    /// The seeding the flags state (none: plain, or rank-aware with base seed 0 for
    /// records with a rank).
    seeding: Option<SeedingInfo>,
    /// The records, counted beforehand (the reference's layout and a `.npy` header
    /// start with their number).
    count: Option<Counted>,
    /// Where the output goes, until the header is known and the file is created.
    destination: Option<Destination>,
    file: Option<RecordFile>,
    /// The rows checked against a config the flags state (the input states none).
    sample: Option<RowSample>,
    /// A Parquet output's compression.
    compression: dpa::formats::Compression,
}

impl Converter<'_> {
    /// The metadata of an input that carries its own config. Config flags are refused,
    /// except for the reference's layout from a file dpa wrote: dpa's formats do not
    /// keep whether a bound was written `30` or `30.0`, and the flags the file was
    /// generated with (which must give the same config) say it; without them, a config
    /// with an integral bound is refused rather than guessed.
    fn own_config(&self, m: &FileMetadata) -> Result<FileMetadata, Failure> {
        let config = m.config.clone().unwrap_or_default();
        let forms_unknown = self.format == Format::ReferenceJson && m.generator.is_some();
        let mut meta = m.clone();
        match (self.flags.any(), forms_unknown) {
            (false, false) => {}
            (true, false) => {
                return Err(Failure::usage_msg(
                    "the input carries its own config; config flags only fill in the header of JSON Lines input (or state the form of its bounds for --layout reference)",
                ))
            }
            (true, true) => {
                if self.flags.resolve()? != config {
                    return Err(Failure::usage_msg(format!(
                        "--layout reference: the config flags give another config than {}'s own",
                        self.input.display()
                    )));
                }
                meta.config_forms = config_forms(self.flags, &config)?;
            }
            (false, true) => {
                let integral = Param::ALL.into_iter().any(|p| {
                    let r = config.range(p);
                    r.lo.fract() == 0.0 || r.hi.fract() == 0.0
                });
                if integral {
                    return Err(Failure::usage_msg(format!(
                        "--layout reference: the reference writes an integral bound as 30 or 30.0 as its config held it, and {} (written by dpa) does not say which; pass the --preset or --config it was generated with",
                        self.input.display()
                    )));
                }
            }
        }
        Ok(meta)
    }
}

impl RecordHandler for Converter<'_> {
    type Error = Failure;

    fn header(&mut self, metadata: Option<&FileMetadata>) -> Result<(), Failure> {
        let meta = match metadata {
            Some(m) if m.config.is_some() => self.own_config(m)?,
            other => {
                if !self.flags.any() && self.format != Format::Jsonl {
                    return Err(Failure::usage_msg(format!(
                        "{} carries no config before its records (JSON Lines, or a JSON document on a stream whose metadata comes last), and a {} file records one in its header: pass --preset, --config or the range flags it was generated with",
                        self.input.display(),
                        self.format
                    )));
                }
                let config = self.flags.resolve()?;
                let mut m = other
                    .cloned()
                    .unwrap_or_else(|| FileMetadata::for_config(config.clone(), None));
                if m.seeding.is_none() {
                    m.seeding = self.seeding.clone();
                }
                self.sample = Some(RowSample::new(config.clone(), m.seeding.as_ref())?);
                m.config_forms = config_forms(self.flags, &config)?;
                m.config = Some(config);
                m
            }
        };
        if self.format == Format::ReferenceJson {
            reference_layout_fits(self.input, &meta)?;
        }
        let mut meta = meta;
        if let Some(counted) = self.count {
            meta.num_samples = Some(counted.records);
            let rank_aware = meta.seeding.as_ref().map(|s| s.mode) == Some(SeedingMode::RankAware);
            if counted.ranked && !rank_aware {
                // Records with ranks and no seeding that says so (JSON Lines): the
                // array gets its `rank` column.
                meta.seeding = Some(SeedingInfo {
                    mode: SeedingMode::RankAware,
                    base_seed: self.seeding.as_ref().and_then(|s| s.base_seed),
                    rank: None,
                    world_size: None,
                    seed: None,
                    epoch: None,
                });
            }
        }
        meta.compression = self.compression;
        // A failed conversion leaves nothing behind: it can simply be run again.
        let options = WriteOptions {
            format: self.format,
            metadata: meta,
            // The reference's file always ends with the statistics of its records; a
            // .npy file's sidecar has them too.
            statistics: matches!(self.format, Format::ReferenceJson | Format::Npy),
            keep_partial: false,
            checksum: false,
        };
        let destination = self
            .destination
            .take()
            .ok_or_else(|| Error::data(self.input, "header", "a second header"))?;
        self.file = Some(RecordFile::create(destination, &options)?);
        Ok(())
    }

    fn record(&mut self, record: Params) -> Result<(), Failure> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| Error::data(self.output, "header", "no header"))?;
        if self.format == Format::ReferenceJson
            && (record.rank.is_some() || record.sample_id != file.records())
        {
            return Err(Failure::usage_msg(format!(
                "--layout reference: the reference's file holds ids 0, 1, 2, ... with plain seeding and no rank; record {} of {} is sample {}{}",
                file.records(),
                self.input.display(),
                record.sample_id,
                record.rank.map_or(String::new(), |r| format!(" of rank {r}"))
            )));
        }
        if let Some(sample) = self.sample.as_mut() {
            let message = match (self.seeding.as_ref().map(|s| s.mode), record.rank) {
                (Some(SeedingMode::Keyed), Some(_)) => {
                    Some("a record with a rank: --seed/--epoch values never depend on ranks")
                }
                (Some(SeedingMode::RankAware), None) => {
                    Some("a record without a rank: --base-seed is for rank-aware records")
                }
                _ => None,
            };
            if let Some(message) = message {
                return Err(flags_contradicted(
                    self.input,
                    (file.records(), message.into()),
                ));
            }
            sample
                .check(&record)
                .map_err(|e| flags_contradicted(self.input, e))?;
        }
        Ok(file.write(&record)?)
    }
}

/// The rows of `input` are not what the config flags give: the output would claim a
/// config its rows do not have.
fn flags_contradicted(input: &Path, (row, message): (u64, String)) -> Failure {
    Failure::from(Error::data_of(
        dpa::error::DataKind::Mismatch,
        input,
        format!("record {row}"),
        format!("not what the config flags give ({message}): pass the config the file was generated with"),
    ))
}

pub fn run(args: ConvertArgs) -> CmdResult {
    let format = output_format(args.format.map(Format::from), &args.output)?;
    let format = with_layout(format, args.layout)?;
    super::output::not_binary_on_a_terminal(&args.output, format)?;
    let in_side = input_sidecar(&args.input);
    let out_side = output_sidecar(&args.output, format);
    let mut inputs = vec![("IN", args.input.as_path())];
    inputs.extend(in_side.as_deref().map(|p| ("IN's sidecar", p)));
    inputs.extend(args.config.inputs());
    let mut outputs = vec![("--output", args.output.as_path())];
    outputs.extend(out_side.as_deref().map(|p| ("--output's sidecar", p)));
    check_distinct(&inputs, &outputs)?;
    let count = if matches!(format, Format::ReferenceJson | Format::Npy) {
        Some(count_records(&args.input, format)?)
    } else {
        None
    };
    let mut conv = Converter {
        format,
        input: &args.input,
        output: &args.output,
        flags: &args.config,
        seeding: seeding_flags(&args)?,
        count,
        destination: Some(destination(&args.output)?),
        file: None,
        sample: None,
        compression: args.compression.into(),
    };
    let result = if is_stdout(&args.input) {
        let stdin = BufReader::with_capacity(1 << 16, std::io::stdin().lock());
        read_records_from_with(stdin, Path::new("<stdin>"), &mut conv)
    } else {
        read_records_with(&args.input, &mut conv)
    };
    let info = result?;
    if let Some(sample) = conv.sample.as_mut() {
        sample
            .finish()
            .map_err(|e| flags_contradicted(&args.input, e))?;
    }
    let file = conv
        .file
        .ok_or_else(|| Failure::data(anyhow::anyhow!("{}: no records", args.input.display())))?;
    if matches!(format, Format::ReferenceJson | Format::Npy) {
        // As the reference's save_augmentation_chain does: the statistics of the
        // records written (exact, so equal to any exact statistics the input holds).
        file.finish()?;
    } else {
        // Lossless: the input's own statistics travel with it (none if it had none).
        file.finish_with(info.statistics)?;
    }
    Ok(())
}

/// The seeding `--base-seed` or `--seed`/`--epoch` state for an input that states
/// none.
fn seeding_flags(args: &ConvertArgs) -> Result<Option<SeedingInfo>, Failure> {
    if let Some(keyed) = args.key.seeding(false)? {
        return Ok(Some(SeedingInfo::new(keyed, None)));
    }
    Ok(args.base_seed.map(|base_seed| SeedingInfo {
        mode: SeedingMode::RankAware,
        base_seed: Some(base_seed),
        rank: None,
        world_size: None,
        seed: None,
        epoch: None,
    }))
}

/// What a first reading of the input found.
#[derive(Debug, Clone, Copy)]
struct Counted {
    records: u64,
    /// Some record has a rank.
    ranked: bool,
}

/// The number of records in `input`, read once beforehand: the reference's layout
/// and a `.npy` header state it before the records.
fn count_records(input: &Path, format: Format) -> Result<Counted, Failure> {
    // Read twice: a pipe or a device would be consumed (or wait) the first time.
    if is_stdout(input) || !std::fs::metadata(input).is_ok_and(|m| m.is_file()) {
        let what = match format {
            Format::Npy => "a .npy file",
            _ => "--layout reference",
        };
        return Err(Failure::usage_msg(format!(
            "{what} states the number of records first, so the input is read twice: {} must be a regular file",
            input.display()
        )));
    }
    let mut counted = Counted {
        records: 0,
        ranked: false,
    };
    dpa::read_records(input, |p| {
        counted.records += 1;
        counted.ranked |= p.rank.is_some();
        Ok(())
    })?;
    Ok(counted)
}

/// `--layout reference` writes what the reference's `generate_augmentation_chain`
/// writes: ids from 0 with plain seeding. An input of other ids or another seeding is
/// refused, as `dpa generate --layout reference` refuses them, rather than written
/// without what makes its values.
fn reference_layout_fits(input: &Path, meta: &FileMetadata) -> Result<(), Failure> {
    let seeding = meta.seeding.as_ref().map_or(SeedingMode::Plain, |s| s.mode);
    let start = meta.start_id.unwrap_or(0);
    if seeding == SeedingMode::Plain && start == 0 {
        return Ok(());
    }
    Err(Failure::usage_msg(format!(
        "--layout reference writes what the reference's generate_augmentation_chain writes: ids from 0 with plain seeding (its file has no place for a start id, a rank or a seed and epoch); {} has {:?} seeding from id {start}",
        input.display(),
        seeding
    )))
}
