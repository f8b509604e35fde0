//! `dpa stats`: statistics of a saved file, streaming.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use clap::Args;
use dpa::StatsAccumulator;

use super::output::{check_distinct, input_sidecar, is_stdout};
use super::stats_file::write_statistics;
use crate::common::failure::CmdResult;

/// Arguments of `dpa stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    // A file dpa reads (any format dpa reads; dpa's or the reference's), or - for stdin.
    #[arg(value_name = "FILE", help = format!("A file dpa reads ({}; dpa's or the reference's), or - for stdin", dpa::Format::names_list("or")))]
    pub file: PathBuf,
    /// Write the statistics here instead of stdout.
    #[arg(short, long, value_name = "PATH", default_value = "-")]
    pub output: PathBuf,
}

pub fn run(args: StatsArgs) -> CmdResult {
    let sidecar = input_sidecar(&args.file);
    let mut inputs = vec![("FILE", args.file.as_path())];
    inputs.extend(sidecar.as_deref().map(|p| ("FILE's sidecar", p)));
    check_distinct(&inputs, &[("--output", &args.output)])?;
    let mut acc = StatsAccumulator::new();
    let push = |p: dpa::Params| {
        acc.push(&p);
        Ok(())
    };
    if is_stdout(&args.file) {
        let stdin = BufReader::with_capacity(1 << 16, std::io::stdin().lock());
        dpa::read_records_from(stdin, Path::new("<stdin>"), push)?;
    } else {
        dpa::read_records(&args.file, push)?;
    }
    write_statistics(&args.output, &acc.finish())?;
    Ok(())
}
