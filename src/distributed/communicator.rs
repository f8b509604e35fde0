//! The communicator trait: what the job logic needs from MPI, and nothing more.
//! (rsmpi's own communicator trait is sealed, so dpa defines its own.)

/// A reduction for [`Communicator::all_reduce_f64`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReduceOp {
    /// Element-wise sum.
    Sum,
    /// Element-wise minimum.
    Min,
    /// Element-wise maximum.
    Max,
}

impl ReduceOp {
    /// Applies the reduction to two values.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::distributed::ReduceOp::Max.apply(1.0, 2.0), 2.0);
    /// ```
    pub fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            ReduceOp::Sum => a + b,
            ReduceOp::Min => a.min(b),
            ReduceOp::Max => a.max(b),
        }
    }
}

/// A group of ranks that run the same job. Every rank must call the collective
/// operations in the same order, as in MPI.
///
/// # Examples
///
/// ```
/// use dpa::distributed::{Communicator, LocalCommunicator, ReduceOp};
/// let sums = LocalCommunicator::run(3, |comm| {
///     let mut v = [comm.rank() as f64];
///     comm.all_reduce_f64(&mut v, ReduceOp::Sum);
///     v[0]
/// }).unwrap();
/// assert_eq!(sums, [3.0, 3.0, 3.0]);
/// ```
pub trait Communicator {
    /// This process's rank, from 0.
    fn rank(&self) -> usize;
    /// Number of ranks.
    fn size(&self) -> usize;
    /// Waits until every rank has arrived.
    fn barrier(&self);
    /// Wall-clock seconds (`MPI_Wtime`).
    fn wtime(&self) -> f64;
    /// Gathers a byte buffer of any length from every rank at `root`: `Some(buffers in
    /// rank order)` on the root, `None` elsewhere.
    fn gather_bytes(&self, root: usize, data: &[u8]) -> Option<Vec<Vec<u8>>>;
    /// Replaces `data` on every rank with the root's.
    fn broadcast_bytes(&self, root: usize, data: &mut Vec<u8>);
    /// Reduces `values` element-wise over all ranks; every rank gets the result.
    fn all_reduce_f64(&self, values: &mut [f64], op: ReduceOp);
    /// Ends the whole job with `code`, on every rank.
    fn abort(&self, code: i32) -> !;
}
