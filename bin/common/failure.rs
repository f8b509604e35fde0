//! How a command fails: an error and the exit code it maps to.
//!
//! Exit codes: 0 success; 2 usage or invalid config; 1 data or I/O errors. A write to a
//! closed pipe (`dpa generate | head`) is not a failure: the reader has what it wanted.

use std::fmt::Display;
use std::io;

/// Exit code for usage and configuration errors.
pub const USAGE: u8 = 2;
/// Exit code for data and I/O errors.
pub const DATA: u8 = 1;

/// A failed command.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub code: u8,
    /// What went wrong, for the user.
    pub error: anyhow::Error,
}

impl Failure {
    /// A usage or config error.
    pub fn usage(e: impl Into<anyhow::Error>) -> Self {
        Failure {
            code: USAGE,
            error: e.into(),
        }
    }

    /// A usage error from a message.
    pub fn usage_msg(msg: impl Display) -> Self {
        Failure::usage(anyhow::anyhow!("{msg}"))
    }

    /// A data or I/O error.
    pub fn data(e: impl Into<anyhow::Error>) -> Self {
        Failure {
            code: DATA,
            error: e.into(),
        }
    }

    /// True when the error comes from writing to a pipe whose reader has gone.
    pub fn is_broken_pipe(&self) -> bool {
        self.error.chain().any(|cause| {
            cause
                .downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
                || cause
                    .downcast_ref::<dpa::Error>()
                    .is_some_and(dpa::Error::is_broken_pipe)
        })
    }
}

impl From<dpa::ConfigError> for Failure {
    fn from(e: dpa::ConfigError) -> Self {
        Failure::usage(e)
    }
}

impl From<dpa::Error> for Failure {
    /// Every library data error, a config found inside a file included, is a data error.
    fn from(e: dpa::Error) -> Self {
        Failure::data(e)
    }
}

/// The result of a command.
pub type CmdResult = Result<(), Failure>;

/// The exit code of a command's result: 0, or the failure's code with its message
/// printed once on stderr as `PROGRAM: error: ...`. A write to a closed pipe succeeds.
pub fn exit_code(program: &str, result: CmdResult) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(f) if f.is_broken_pipe() => std::process::ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("{program}: error: {:#}", f.error);
            std::process::ExitCode::from(f.code)
        }
    }
}
