//! `dpa convert`: between json, jsonl and bincode, losslessly and streaming.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use clap::Args;
use dpa::formats::{read_records_from_with, read_records_with};
use dpa::write::{Destination, RecordFile, WriteOptions};
use dpa::{Error, FileMetadata, Format, Params, RecordHandler};

use super::config_flags::AnyConfigFlag;
use super::generate::output_format;
use super::layout::{config_forms, with_layout, LayoutArg};
use super::output::{check_distinct, destination, is_stdout};
use crate::common::config_args::ConfigArgs;
use crate::common::failure::{CmdResult, Failure};

/// Arguments of `dpa convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The input file (json, jsonl or bincode; detected from its content), or - for stdin.
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// The output file, or - for stdout.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Output format (default: from the output's extension).
    #[arg(long, value_name = "FORMAT", value_enum)]
    pub format: Option<crate::common::format_arg::FormatArg>,
    /// JSON layout: dpa's, or the reference's own file (json.dump(indent=2), Python's
    /// float repr, no sample_id).
    #[arg(long, value_name = "LAYOUT", value_enum, default_value_t)]
    pub layout: LayoutArg,
    /// The config to record in the output's header when the input has none (JSON Lines).
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Opens the output when the input's metadata is known, then copies records.
struct Converter<'a> {
    format: Format,
    input: &'a Path,
    output: &'a Path,
    flags: &'a ConfigArgs,
    /// The number of records, counted beforehand (the reference's layout starts with it).
    count: Option<u64>,
    /// Where the output goes, until the header is known and the file is created.
    destination: Option<Destination>,
    file: Option<RecordFile>,
}

impl RecordHandler for Converter<'_> {
    type Error = Failure;

    fn header(&mut self, metadata: Option<&FileMetadata>) -> Result<(), Failure> {
        let meta = match metadata {
            Some(m) if m.config.is_some() => {
                if self.flags.any() {
                    return Err(Failure::usage_msg(
                        "the input carries its own config; config flags only fill in the header of JSON Lines input",
                    ));
                }
                m.clone()
            }
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
                m.config_forms = config_forms(self.flags, &config)?;
                m.config = Some(config);
                m
            }
        };
        let mut meta = meta;
        if self.count.is_some() {
            meta.num_samples = self.count;
        }
        // A failed conversion leaves nothing behind: it can simply be run again.
        let options = WriteOptions {
            format: self.format,
            metadata: meta,
            // The reference's file always ends with the statistics of its records.
            statistics: self.format == Format::ReferenceJson,
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
        Ok(file.write(&record)?)
    }
}

pub fn run(args: ConvertArgs) -> CmdResult {
    let format = output_format(args.format.map(Format::from), &args.output)?;
    let format = with_layout(format, args.layout)?;
    check_distinct(&[("IN", &args.input)], &[("--output", &args.output)])?;
    let count = if format == Format::ReferenceJson {
        Some(count_records(&args.input)?)
    } else {
        None
    };
    let mut conv = Converter {
        format,
        input: &args.input,
        output: &args.output,
        flags: &args.config,
        count,
        destination: Some(destination(&args.output)?),
        file: None,
    };
    let result = if is_stdout(&args.input) {
        let stdin = BufReader::with_capacity(1 << 16, std::io::stdin().lock());
        read_records_from_with(stdin, Path::new("<stdin>"), &mut conv)
    } else {
        read_records_with(&args.input, &mut conv)
    };
    let info = result?;
    let file = conv
        .file
        .ok_or_else(|| Failure::data(anyhow::anyhow!("{}: no records", args.input.display())))?;
    if format == Format::ReferenceJson {
        // As the reference's save_augmentation_chain does: the statistics of the
        // records written (exact, so equal to any exact statistics the input holds).
        file.finish()?;
    } else {
        // Lossless: the input's own statistics travel with it (none if it had none).
        file.finish_with(info.statistics)?;
    }
    Ok(())
}

/// The number of records in `input`, read once beforehand: the reference's layout
/// writes it before the records.
fn count_records(input: &Path) -> Result<u64, Failure> {
    // Read twice: a pipe or a device would be consumed (or wait) the first time.
    if is_stdout(input) || !std::fs::metadata(input).is_ok_and(|m| m.is_file()) {
        return Err(Failure::usage_msg(format!(
            "--layout reference writes the number of records first, so the input is read twice: {} must be a regular file",
            input.display()
        )));
    }
    let mut n = 0u64;
    dpa::read_records(input, |_| {
        n += 1;
        Ok(())
    })?;
    Ok(n)
}
