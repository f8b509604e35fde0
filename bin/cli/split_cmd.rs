//! `dpa split`: the range each rank owns.

use std::io::Write;
use std::path::Path;

use clap::Args;

use super::failure::CmdResult;
use super::output::Output;

/// Arguments of `dpa split`.
#[derive(Debug, Args)]
pub struct SplitArgs {
    /// Total number of samples.
    #[arg(long, value_name = "N")]
    pub total: u64,
    /// Number of ranks.
    #[arg(long, value_name = "W")]
    pub world_size: u64,
    /// Only this rank.
    #[arg(long, value_name = "R")]
    pub rank: Option<u64>,
}

pub fn run(args: SplitArgs) -> CmdResult {
    let ranks: Vec<u64> = match args.rank {
        Some(r) => vec![r],
        None => {
            dpa::all_ranges(0, args.world_size)?;
            (0..args.world_size).collect()
        }
    };
    let mut out = Output::open(Path::new("-"))?;
    for rank in ranks {
        let r = dpa::split_range(args.total, args.world_size, rank)?;
        writeln!(
            out,
            r#"{{"rank":{rank},"start":{},"end":{}}}"#,
            r.start, r.end
        )
        .map_err(|e| dpa::Error::io("<stdout>", e))?;
    }
    out.finish()?;
    Ok(())
}
