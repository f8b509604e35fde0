//! An in-memory communicator: N ranks as N threads of one process, talking through
//! channels. It runs the real job logic in tests and on a laptop, without MPI.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{unbounded, Receiver, Sender};

use super::communicator::{Communicator, ReduceOp};

/// A job run by [`LocalCommunicator::run`] that did not finish on every rank.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rank {rank} aborted the job: {message}")]
pub struct JobAborted {
    /// The first rank that failed.
    pub rank: usize,
    /// Its message (an abort code or a panic message).
    pub message: String,
}

/// One rank of an in-memory job.
///
/// Messages between each pair of ranks travel on their own FIFO channel, so collectives
/// called in the same order on every rank match up as in MPI. A rank that aborts or
/// panics drops its channels: every rank waiting on it then fails too, instead of
/// hanging.
pub struct LocalCommunicator {
    rank: usize,
    size: usize,
    /// `to[r]` sends to rank r.
    to: Vec<Sender<Vec<u8>>>,
    /// `from[r]` receives from rank r.
    from: Vec<Receiver<Vec<u8>>>,
    epoch: Arc<Instant>,
}

impl LocalCommunicator {
    /// Runs `job` on `size` ranks (threads) and returns each rank's result in rank
    /// order, or the first failure.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::distributed::{Communicator, LocalCommunicator};
    /// let got = LocalCommunicator::run(4, |c| c.gather_bytes(0, &[c.rank() as u8]).map(|v| v.concat())).unwrap();
    /// assert_eq!(got[0], Some(vec![0, 1, 2, 3]));
    /// assert_eq!(got[1], None);
    /// let err = LocalCommunicator::run(2, |c| if c.rank() == 1 { c.abort(3) } else { c.barrier() }).unwrap_err();
    /// assert_eq!(err.rank, 1);
    /// ```
    pub fn run<R, F>(size: usize, job: F) -> Result<Vec<R>, JobAborted>
    where
        R: Send,
        F: Fn(&LocalCommunicator) -> R + Sync,
    {
        let size = size.max(1);
        let epoch = Arc::new(Instant::now());
        // senders[from][to], receivers[to][from]
        let mut senders: Vec<Vec<Sender<Vec<u8>>>> = (0..size).map(|_| Vec::new()).collect();
        let mut receivers: Vec<Vec<Option<Receiver<Vec<u8>>>>> = (0..size)
            .map(|_| (0..size).map(|_| None).collect())
            .collect();
        for (from, row) in senders.iter_mut().enumerate() {
            for recv_row in receivers.iter_mut() {
                let (tx, rx) = unbounded();
                row.push(tx);
                recv_row[from] = Some(rx);
            }
        }
        let comms: Vec<LocalCommunicator> = senders
            .into_iter()
            .zip(receivers)
            .enumerate()
            .map(|(rank, (to, from))| LocalCommunicator {
                rank,
                size,
                to,
                from: from.into_iter().flatten().collect(),
                epoch: epoch.clone(),
            })
            .collect();
        let job = &job;
        let outcomes: Vec<Result<R, String>> = std::thread::scope(|s| {
            let handles: Vec<_> = comms
                .into_iter()
                .map(|comm| {
                    s.spawn(move || {
                        let r = panic::catch_unwind(AssertUnwindSafe(|| job(&comm)));
                        // Dropping `comm` here closes this rank's channels.
                        r.map_err(|e| {
                            e.downcast_ref::<String>()
                                .cloned()
                                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_else(|| "panic".into())
                        })
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err("thread lost".into())))
                .collect()
        });
        let mut results = Vec::with_capacity(size);
        let mut first_error: Option<JobAborted> = None;
        for (rank, o) in outcomes.into_iter().enumerate() {
            match o {
                Ok(r) => results.push(r),
                Err(message) => {
                    // The rank that failed first is the one whose message is not the
                    // consequence of another rank's failure.
                    let consequence = message.starts_with("job aborted: rank");
                    if first_error
                        .as_ref()
                        .is_none_or(|e| !consequence && e.message.starts_with("job aborted: rank"))
                    {
                        first_error = Some(JobAborted { rank, message });
                    }
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(results),
        }
    }

    fn send(&self, to: usize, data: Vec<u8>) {
        if self.to[to].send(data).is_err() {
            panic!("job aborted: rank {to} is gone");
        }
    }

    fn recv(&self, from: usize) -> Vec<u8> {
        match self.from[from].recv() {
            Ok(d) => d,
            Err(_) => panic!("job aborted: rank {from} is gone"),
        }
    }
}

impl Communicator for LocalCommunicator {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn barrier(&self) {
        // Everyone reports to rank 0, which then releases everyone.
        let _ = self.gather_bytes(0, &[]);
        let mut go = Vec::new();
        self.broadcast_bytes(0, &mut go);
    }

    fn wtime(&self) -> f64 {
        self.epoch.elapsed().as_secs_f64()
    }

    fn gather_bytes(&self, root: usize, data: &[u8]) -> Option<Vec<Vec<u8>>> {
        if self.rank == root {
            Some(
                (0..self.size)
                    .map(|r| {
                        if r == root {
                            data.to_vec()
                        } else {
                            self.recv(r)
                        }
                    })
                    .collect(),
            )
        } else {
            self.send(root, data.to_vec());
            None
        }
    }

    fn broadcast_bytes(&self, root: usize, data: &mut Vec<u8>) {
        if self.rank == root {
            for r in (0..self.size).filter(|r| *r != root) {
                self.send(r, data.clone());
            }
        } else {
            *data = self.recv(root);
        }
    }

    fn all_reduce_f64(&self, values: &mut [f64], op: ReduceOp) {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut result = Vec::new();
        if let Some(all) = self.gather_bytes(0, &bytes) {
            let mut acc: Vec<f64> = decode(&all[0]);
            for b in &all[1..] {
                for (a, x) in acc.iter_mut().zip(decode(b)) {
                    *a = op.apply(*a, x);
                }
            }
            result = acc.iter().flat_map(|v| v.to_le_bytes()).collect();
        }
        self.broadcast_bytes(0, &mut result);
        for (v, x) in values.iter_mut().zip(decode(&result)) {
            *v = x;
        }
    }

    fn abort(&self, code: i32) -> ! {
        panic!("abort({code}) called on rank {}", self.rank)
    }
}

fn decode(bytes: &[u8]) -> Vec<f64> {
    bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect()
}
