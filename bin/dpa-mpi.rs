//! `dpa-mpi`: distributed generation and scaling benchmarks over MPI.
#![deny(unsafe_code)]
//!
//! ```sh
//! mpirun -n 4 dpa-mpi generate -n 100000000 --output-dir out/
//! mpirun -n 4 dpa-mpi generate -n 100000000 -o params.npy
//! mpirun -n 2 dpa-mpi bench --scaling strong -n 10000000
//! ```
//!
//! Every rank parses and checks the arguments before MPI starts, so bad arguments end
//! every rank with exit code 2 and nothing written. A failure or a panic on any rank
//! calls `MPI_Abort`, which ends the whole job: no rank is left waiting.

use std::process::ExitCode;

use clap::Parser;
use dpa::distributed::{run_generate, Communicator, GenerateJob, MpiCommunicator};
use mpi::Threading;

mod common;
mod mpi_cli;

use crate::mpi_cli::{abort, args, bench_cmd, generate_cmd};
use common::failure::{exit_code, Failure, DATA, USAGE};

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { USAGE } else { 0 });
        }
    };
    // Everything the user chose is checked on every rank before MPI starts.
    let prepared = match prepare(&cli.command) {
        Ok(p) => p,
        Err(f) => return exit_code("dpa-mpi", Err(f)),
    };
    // Rayon's worker threads never call MPI, but a panic on one of them must end the
    // job: MPI_Abort from that thread is allowed only at MPI_THREAD_MULTIPLE.
    let Some((universe, threading)) = mpi::initialize_with_threading(Threading::Multiple) else {
        eprintln!("dpa-mpi: error: MPI was already initialised");
        return ExitCode::from(DATA);
    };
    let comm = MpiCommunicator::new(universe.world());
    let rank = comm.rank();
    std::panic::set_hook(Box::new(move |info| {
        abort::abort_job(rank, threading, info)
    }));
    match prepared {
        Prepared::Generate(job, quiet) => match run_generate(&comm, &job) {
            Ok(Some(manifest)) => {
                if !quiet {
                    generate_cmd::print_manifest(&manifest, &job.output);
                }
            }
            Ok(None) => {}
            Err(e) => abort::abort_on_error(&comm, e),
        },
        Prepared::Bench(b) => {
            if let Err(f) = bench_cmd::run_bench(&comm, &b) {
                eprintln!("dpa-mpi: rank {rank}: error: {:#}", f.error);
                comm.abort(f.code as i32);
            }
        }
    }
    ExitCode::SUCCESS
}

/// A command checked on every rank, ready to run.
enum Prepared {
    Generate(GenerateJob, bool),
    Bench(bench_cmd::BenchJob),
}

fn prepare(command: &args::Command) -> Result<Prepared, Failure> {
    Ok(match command {
        args::Command::Generate(a) => {
            let (job, quiet) = generate_cmd::prepare(a)?;
            Prepared::Generate(job, quiet)
        }
        args::Command::Bench(a) => Prepared::Bench(bench_cmd::prepare(a)?),
    })
}
