//! `dpa params`: the parameters of given sample ids, one JSON line each.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use dpa::formats::limits::{read_line_capped, LineError, MAX_ITEM_BYTES};
use dpa::formats::{write_record, RecordStyle};
use dpa::Seeding;

use super::output::{is_stdout, Output};
use crate::common::config_args::ConfigArgs;
use crate::common::failure::{CmdResult, Failure};

/// Arguments of `dpa params`.
#[derive(Debug, Args)]
pub struct ParamsArgs {
    /// Sample ids (0 to 18446744073709551615).
    #[arg(value_name = "ID", value_parser = crate::common::count_arg::parse_u64)]
    pub ids: Vec<u64>,
    /// Read more ids from FILE (whitespace-separated; - for stdin; # starts a comment).
    #[arg(long, value_name = "FILE")]
    pub ids_file: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub seeding: super::key_args::SeedingArgs,
}

/// Calls `emit` for each whitespace-separated id of `path` (- for stdin), streaming:
/// lines are bounded, ids are not collected. A bad id names the file and line.
fn for_each_id(
    path: &Path,
    emit: &mut dyn FnMut(u64) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let mut reader: Box<dyn BufRead> = if is_stdout(path) {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        Box::new(BufReader::new(
            std::fs::File::open(path).map_err(|e| dpa::Error::io(path, e))?,
        ))
    };
    let mut line = Vec::new();
    for line_no in 1u64.. {
        line.clear();
        let n = read_line_capped(&mut reader, &mut line, MAX_ITEM_BYTES).map_err(|e| match e {
            LineError::Io(e) => dpa::Error::io(path, e),
            LineError::TooLong => dpa::Error::data(
                path,
                format!("line {line_no}"),
                format!("longer than {MAX_ITEM_BYTES} bytes"),
            ),
        })?;
        if n == 0 {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        let content = text.split('#').next().unwrap_or("");
        for word in content.split_whitespace() {
            let id = word.parse().map_err(|_| {
                dpa::Error::data(
                    path,
                    format!("line {line_no}"),
                    format!(
                        "'{}' is not a sample id (an integer from 0 to {})",
                        dpa::error::shorten(word),
                        u64::MAX
                    ),
                )
            })?;
            emit(id)?;
        }
    }
    Ok(())
}

pub fn run(args: ParamsArgs) -> CmdResult {
    let generator = crate::common::kernel::generator(args.config.resolve()?)?;
    if let (Some(rank), Some(world_size)) = (args.seeding.rank, args.seeding.world_size) {
        dpa::split_range(0, world_size, rank)?;
    }
    if args.ids.is_empty() && args.ids_file.is_none() {
        return Err(Failure::usage_msg("no sample ids: give IDs or --ids-file"));
    }
    let keyed = args.seeding.key.seeding(args.seeding.rank.is_some())?;
    let seeding = match (keyed, args.seeding.rank) {
        (Some(keyed), _) => keyed,
        (None, Some(rank)) => Seeding::RankAware {
            base_seed: args.seeding.base_seed.unwrap_or(0),
            rank,
        },
        (None, None) => Seeding::Plain,
    };
    let mut out = Output::open(Path::new("-"))?;
    let mut line = String::with_capacity(256);
    let mut count = 0u64;
    let mut emit = |id: u64| -> Result<(), Failure> {
        line.clear();
        write_record(
            &generator.generate(seeding, id),
            RecordStyle::Compact,
            &mut line,
        );
        line.push('\n');
        count += 1;
        out.write_all(line.as_bytes())
            .map_err(|e| dpa::Error::io("<stdout>", e).into())
    };
    for id in &args.ids {
        emit(*id)?;
    }
    if let Some(path) = &args.ids_file {
        for_each_id(path, &mut emit)?;
    }
    if count == 0 {
        return Err(Failure::usage_msg(
            "no sample ids: the --ids-file holds none",
        ));
    }
    out.finish()?;
    Ok(())
}
