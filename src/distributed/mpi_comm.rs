//! The communicator on real MPI (rsmpi over Open MPI).

use mpi::datatype::PartitionMut;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator as _, CommunicatorCollectives as _, Root as _};
use mpi::Count;

use super::communicator::{Communicator, ReduceOp};

/// `MPI_COMM_WORLD`, through rsmpi.
pub struct MpiCommunicator {
    world: SimpleCommunicator,
}

impl MpiCommunicator {
    /// Wraps the world communicator of an initialised MPI universe.
    pub fn new(world: SimpleCommunicator) -> Self {
        MpiCommunicator { world }
    }
}

impl Communicator for MpiCommunicator {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn size(&self) -> usize {
        self.world.size() as usize
    }

    fn barrier(&self) {
        self.world.barrier();
    }

    fn wtime(&self) -> f64 {
        mpi::time()
    }

    fn gather_bytes(&self, root: usize, data: &[u8]) -> Option<Vec<Vec<u8>>> {
        let root_process = self.world.process_at_rank(root as i32);
        let len = data.len() as Count;
        if self.rank() == root {
            let mut counts = vec![0 as Count; self.size()];
            root_process.gather_into_root(&len, &mut counts[..]);
            let displs: Vec<Count> = counts
                .iter()
                .scan(0, |acc, &c| {
                    let d = *acc;
                    *acc += c;
                    Some(d)
                })
                .collect();
            let total: Count = counts.iter().sum();
            let mut buf = vec![0u8; total as usize];
            {
                let mut partition = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
                root_process.gather_varcount_into_root(data, &mut partition);
            }
            Some(
                counts
                    .iter()
                    .zip(&displs)
                    .map(|(&c, &d)| buf[d as usize..(d + c) as usize].to_vec())
                    .collect(),
            )
        } else {
            root_process.gather_into(&len);
            root_process.gather_varcount_into(data);
            None
        }
    }

    fn broadcast_bytes(&self, root: usize, data: &mut Vec<u8>) {
        let root_process = self.world.process_at_rank(root as i32);
        let mut len = data.len() as u64;
        root_process.broadcast_into(&mut len);
        data.resize(len as usize, 0);
        root_process.broadcast_into(&mut data[..]);
    }

    fn all_reduce_f64(&self, values: &mut [f64], op: ReduceOp) {
        let send = values.to_vec();
        match op {
            ReduceOp::Sum => self.world.all_reduce_into(
                &send[..],
                values,
                mpi::collective::SystemOperation::sum(),
            ),
            ReduceOp::Min => self.world.all_reduce_into(
                &send[..],
                values,
                mpi::collective::SystemOperation::min(),
            ),
            ReduceOp::Max => self.world.all_reduce_into(
                &send[..],
                values,
                mpi::collective::SystemOperation::max(),
            ),
        }
    }

    fn abort(&self, code: i32) -> ! {
        self.world.abort(code)
    }
}
