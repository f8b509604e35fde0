//! The `dpa-mpi` command line, one file per command: flags become a checked job on
//! every rank before MPI starts, then the library does the work.

pub mod abort;
pub mod args;
pub mod bench_cmd;
pub mod generate_cmd;
