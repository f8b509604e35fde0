//! `dpa split`: the range each rank owns.

use std::io::Write;
use std::path::Path;

use clap::Args;

use super::output::Output;
use crate::common::failure::CmdResult;

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

/// Prints one line per rank, streaming: any world size runs in constant memory (and
/// ends at once when the reader of a pipe goes away).
pub fn run(args: SplitArgs) -> CmdResult {
    // Checks the world size (and the rank) before anything is printed.
    dpa::split_range(args.total, args.world_size, args.rank.unwrap_or(0))?;
    let ranks = match args.rank {
        Some(r) => r..=r,
        None => 0..=args.world_size - 1,
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
