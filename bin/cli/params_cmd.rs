//! `dpa params`: the parameters of given sample ids, one JSON line each.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use dpa::formats::{write_record, RecordStyle};
use dpa::Seeding;

use super::config_args::ConfigArgs;
use super::failure::{CmdResult, Failure};
use super::output::{is_stdout, Output};

/// Arguments of `dpa params`.
#[derive(Debug, Args)]
pub struct ParamsArgs {
    /// Sample ids (0 to 18446744073709551615).
    #[arg(value_name = "ID")]
    pub ids: Vec<u64>,
    /// Read more ids from FILE (whitespace-separated; - for stdin; # starts a comment).
    #[arg(long, value_name = "FILE")]
    pub ids_file: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Rank-aware seeding as this rank ("what did sample 42 get on rank 1?").
    #[arg(long, value_name = "R")]
    pub rank: Option<u64>,
    /// World size of the job (checks that --rank is below it).
    #[arg(long, value_name = "W", requires = "rank")]
    pub world_size: Option<u64>,
    /// Base seed of rank-aware seeding (default 0).
    #[arg(long, value_name = "B", requires = "rank")]
    pub base_seed: Option<u64>,
}

/// Reads whitespace-separated ids, naming the file and line of a bad one.
fn read_ids(path: &Path, ids: &mut Vec<u64>) -> Result<(), dpa::Error> {
    let reader: Box<dyn BufRead> = if is_stdout(path) {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        Box::new(BufReader::new(
            std::fs::File::open(path).map_err(|e| dpa::Error::io(path, e))?,
        ))
    };
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| dpa::Error::io(path, e))?;
        let content = line.split('#').next().unwrap_or("");
        for word in content.split_whitespace() {
            let id = word.parse().map_err(|_| {
                dpa::Error::data(
                    path,
                    format!("line {}", i + 1),
                    format!(
                        "'{word}' is not a sample id (an integer from 0 to {})",
                        u64::MAX
                    ),
                )
            })?;
            ids.push(id);
        }
    }
    Ok(())
}

pub fn run(args: ParamsArgs) -> CmdResult {
    let generator = super::kernel::generator(args.config.resolve()?)?;
    if let (Some(rank), Some(world_size)) = (args.rank, args.world_size) {
        dpa::split_range(0, world_size, rank)?;
    }
    let mut ids = args.ids.clone();
    if let Some(path) = &args.ids_file {
        read_ids(path, &mut ids)?;
    }
    if ids.is_empty() {
        return Err(Failure::usage_msg("no sample ids: give IDs or --ids-file"));
    }
    let seeding = match args.rank {
        Some(rank) => Seeding::RankAware {
            base_seed: args.base_seed.unwrap_or(0),
            rank,
        },
        None => Seeding::Plain,
    };
    let mut out = Output::open(Path::new("-"))?;
    let mut line = String::with_capacity(256);
    for id in ids {
        line.clear();
        write_record(
            &generator.generate(seeding, id),
            RecordStyle::Compact,
            &mut line,
        );
        line.push('\n');
        out.write_all(line.as_bytes())
            .map_err(|e| dpa::Error::io("<stdout>", e))?;
    }
    out.finish()?;
    Ok(())
}
