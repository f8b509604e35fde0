//! Ending the whole job when one rank fails or panics: `MPI_Abort`, so that no rank is
//! left waiting in a collective.

use dpa::distributed::{Communicator, JobError};
use mpi::traits::Communicator as _;
use mpi::Threading;

use crate::common::failure::{DATA, USAGE};

/// The panic hook: a panic on any rank ends the whole job instead of leaving the other
/// ranks waiting in a collective. `MPI_Abort` is called when this thread may call MPI
/// (the main thread, or any thread at `MPI_THREAD_MULTIPLE`); otherwise the process
/// aborts, and `mpirun` ends the job when one of its processes dies.
pub fn abort_job(rank: usize, threading: Threading, info: &std::panic::PanicHookInfo<'_>) {
    eprintln!("dpa-mpi: rank {rank}: panic: {info}");
    let main_thread = std::thread::current().name() == Some("main");
    if main_thread || threading == Threading::Multiple {
        mpi::topology::SimpleCommunicator::world().abort(101);
    }
    std::process::abort();
}

/// Prints this rank's error once and aborts the job with its exit code.
pub fn abort_on_error<C: Communicator>(comm: &C, e: JobError) -> ! {
    let code = match e {
        JobError::Config(_) => USAGE,
        JobError::Data(_) => DATA,
        JobError::Peer { .. } => {
            // The failed rank prints its own message and aborts the job: give it the
            // time to, so that the message is the job's one line and its code the exit
            // code (MPI_Abort from here would end it first).
            std::thread::sleep(std::time::Duration::from_secs(5));
            comm.abort(DATA as i32)
        }
    };
    eprintln!("dpa-mpi: rank {}: error: {e}", comm.rank());
    comm.abort(code as i32)
}
