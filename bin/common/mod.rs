//! What both binaries (`dpa`, `dpa-mpi`) share: the config flags, the kernel choice,
//! the format flag, size caps, failures and their exit codes, and report files.

pub mod config_args;
pub mod count_arg;
pub mod failure;
pub mod format_arg;
pub mod kernel;
pub mod limits;
pub mod range_args;
pub mod report;
pub mod stdout_probe;
