//! Ordered streaming: chunks are generated ahead of the consumer by tasks on the
//! engine's pool and handed out in id order, with at most `in_flight` chunks in memory.
//!
//! The consumer owns the window: it starts one task per chunk for the first `in_flight`
//! chunks, and one more each time it takes a chunk. No task ever blocks: each generates
//! its chunk and sends it. So the pipeline cannot deadlock, even when the consumer
//! itself runs on a thread of the same pool (`engine.install(|| engine.records(..))`):
//! while it waits there, it runs the pool's pending tasks itself
//! ([`rayon::ThreadPool::yield_now`]). A task that panics sends its panic, and the
//! consumer re-raises it, so a dead worker never looks like a short output.

use std::any::Any;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::{unbounded, Receiver, Sender, TryRecvError};

use super::chunk::{Chunk, ChunkPlan};
use crate::params::{Generator, Params};
use crate::seeding::Seeding;

/// What a task sends: its result, or the panic that ended it.
type Done<T> = (u64, Result<T, Box<dyn Any + Send>>);

/// The work of one task: chunk `index` of the plan.
type MakeChunk<T> = dyn Fn(u64) -> T + Send + Sync;

/// An iterator over the chunks of a plan, in order, generated in parallel ahead of the
/// consumer — or over the results of any task on those chunks
/// ([`Engine::map_chunks`](crate::Engine::map_chunks)). Dropping it stops the work not
/// yet started.
///
/// # Panics
///
/// `next` re-raises a panic of the task that generated the chunk it waits for.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use dpa::{Engine, EngineConfig, Generator, Preset, Seeding};
/// let e = Engine::new(EngineConfig { chunk_size: 10, in_flight: 3, ..Default::default() }).unwrap();
/// let g = Arc::new(Generator::new(Preset::Mild.config()).unwrap());
/// let idx: Vec<u64> = e.chunks(g, Seeding::Plain, dpa::id_range(0, 95).unwrap()).map(|c| c.index).collect();
/// assert_eq!(idx, (0..10).collect::<Vec<_>>());
/// ```
pub struct OrderedChunks<T = Chunk> {
    pool: Arc<rayon::ThreadPool>,
    /// Makes chunk `i`.
    make: Arc<MakeChunk<T>>,
    total: u64,
    tx: Sender<Done<T>>,
    rx: Receiver<Done<T>>,
    /// Results that came before their turn: a chunk, or the panic of its task (raised
    /// when its turn comes, so that every chunk before it is still handed out).
    pending: BTreeMap<u64, Result<T, Box<dyn Any + Send>>>,
    /// The next chunk to hand out.
    next: u64,
    /// The next chunk to start a task for.
    started: u64,
    in_flight: u64,
    cancelled: Arc<AtomicBool>,
}

impl OrderedChunks<Chunk> {
    pub(crate) fn start(
        pool: Arc<rayon::ThreadPool>,
        generator: Arc<Generator>,
        seeding: Seeding,
        plan: ChunkPlan,
        in_flight: usize,
    ) -> Self {
        let make = move |index| Chunk::generate(&generator, seeding, index, plan.chunk(index));
        Self::with_tasks(pool, Arc::new(make), plan.chunks(), in_flight)
    }
}

impl<T: Send + 'static> OrderedChunks<T> {
    /// The ordering machinery over any chunk-making task.
    pub(crate) fn with_tasks(
        pool: Arc<rayon::ThreadPool>,
        make: Arc<MakeChunk<T>>,
        total: u64,
        in_flight: usize,
    ) -> Self {
        let (tx, rx) = unbounded();
        let mut chunks = OrderedChunks {
            pool,
            make,
            total,
            tx,
            rx,
            pending: BTreeMap::new(),
            next: 0,
            started: 0,
            in_flight: in_flight.max(1) as u64,
            cancelled: Arc::new(AtomicBool::new(false)),
        };
        chunks.fill_window();
        chunks
    }

    /// Starts tasks until `in_flight` chunks are started and not yet handed out.
    fn fill_window(&mut self) {
        while self.started < self.total && self.started < self.next + self.in_flight {
            let index = self.started;
            self.started += 1;
            let (make, tx, cancelled) =
                (self.make.clone(), self.tx.clone(), self.cancelled.clone());
            self.pool.spawn(move || {
                if cancelled.load(Ordering::Relaxed) {
                    return;
                }
                let made = catch_unwind(AssertUnwindSafe(|| make(index)));
                // The consumer may be gone: then nobody needs the chunk.
                let _ = tx.send((index, made));
            });
        }
    }

    /// Waits for the next message from a task, running pool tasks meanwhile when this
    /// thread belongs to the pool.
    fn receive(&self) -> Done<T> {
        loop {
            match self.rx.try_recv() {
                Ok(done) => return done,
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => unreachable!("the iterator holds a sender"),
            }
            match self.pool.yield_now() {
                Some(rayon::Yield::Executed) => continue,
                // Not a thread of this pool, or nothing left to run here: every started
                // task has sent or is running on another thread and will send.
                Some(rayon::Yield::Idle) | None => {
                    return self
                        .rx
                        .recv()
                        .unwrap_or_else(|_| unreachable!("held sender"))
                }
            }
        }
    }

    /// Number of chunks in the plan.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let e = dpa::Engine::new(dpa::EngineConfig { chunk_size: 4, ..Default::default() }).unwrap();
    /// let g = Arc::new(dpa::Generator::new(dpa::Preset::Mild.config()).unwrap());
    /// assert_eq!(e.chunks(g, dpa::Seeding::Plain, dpa::id_range(0, 9).unwrap()).total(), 3);
    /// ```
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Chunks generated but not yet handed out (re-ordering buffer and channel); never
    /// more than the engine's `in_flight`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let e = dpa::Engine::new(dpa::EngineConfig { in_flight: 2, ..Default::default() }).unwrap();
    /// let g = Arc::new(dpa::Generator::new(dpa::Preset::Mild.config()).unwrap());
    /// let c = e.chunks(g, dpa::Seeding::Plain, dpa::id_range(0, 10).unwrap());
    /// assert!(c.buffered() <= 2);
    /// ```
    pub fn buffered(&self) -> usize {
        self.pending.len() + self.rx.len()
    }
}

impl<T: Send + 'static> Iterator for OrderedChunks<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.next >= self.total {
            return None;
        }
        let chunk = loop {
            if let Some(made) = self.pending.remove(&self.next) {
                break made;
            }
            let (index, made) = self.receive();
            self.pending.insert(index, made);
        };
        let chunk = chunk.unwrap_or_else(|panic| {
            self.cancelled.store(true, Ordering::Relaxed);
            resume_unwind(panic)
        });
        self.next += 1;
        self.fill_window();
        Some(chunk)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.total - self.next).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

impl<T> Drop for OrderedChunks<T> {
    fn drop(&mut self) {
        // Tasks not yet started return at once.
        self.cancelled.store(true, Ordering::Relaxed);
    }
}

/// The records of [`OrderedChunks`], one at a time, in id order.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use dpa::{Engine, Generator, Preset, Seeding};
/// let e = Engine::new(Default::default()).unwrap();
/// let g = Arc::new(Generator::new(Preset::Mild.config()).unwrap());
/// let ids: Vec<u64> = e.records(g, Seeding::Plain, dpa::id_range(7, 3).unwrap()).map(|p| p.sample_id).collect();
/// assert_eq!(ids, [7, 8, 9]);
/// ```
pub struct OrderedRecords {
    chunks: OrderedChunks,
    current: std::vec::IntoIter<Params>,
}

impl OrderedRecords {
    pub(crate) fn new(chunks: OrderedChunks) -> Self {
        OrderedRecords {
            chunks,
            current: Vec::new().into_iter(),
        }
    }
}

impl Iterator for OrderedRecords {
    type Item = Params;

    fn next(&mut self) -> Option<Params> {
        loop {
            if let Some(p) = self.current.next() {
                return Some(p);
            }
            self.current = self.chunks.next()?.records.into_iter();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(threads: usize) -> Arc<rayon::ThreadPool> {
        Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap(),
        )
    }

    fn empty(index: u64) -> Chunk {
        Chunk {
            index,
            records: Vec::new(),
        }
    }

    #[test]
    fn a_panicking_task_is_re_raised_by_the_consumer() {
        for threads in [1, 2, 4] {
            // Chunk 3 fails before the chunks ahead of it are made: they are still
            // handed out, and the panic comes at its turn.
            let make = |i: u64| {
                if i == 3 {
                    panic!("chunk 3 failed");
                }
                std::thread::sleep(std::time::Duration::from_millis(30));
                empty(i)
            };
            let mut chunks = OrderedChunks::with_tasks(pool(threads), Arc::new(make), 10, 4);
            let got: Vec<u64> = chunks.by_ref().take(3).map(|c| c.index).collect();
            assert_eq!(got, [0, 1, 2]);
            let panic = catch_unwind(AssertUnwindSafe(|| chunks.next())).unwrap_err();
            assert_eq!(panic.downcast_ref::<&str>(), Some(&"chunk 3 failed"));
        }
    }
}
