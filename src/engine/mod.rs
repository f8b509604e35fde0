//! The data-parallel engine: rayon workers generate chunks of consecutive ids; results
//! come back in id order, with memory bounded by the number of chunks in flight.
//!
//! The engine knows nothing of file formats: it hands out [`Chunk`]s and records.
//! Its output never depends on the number of threads or the chunk size.
//!
//! The entry points, fastest first for a range of ids held in memory:
//! [`Generator::par_fill`](crate::Generator::par_fill) (every core, in place),
//! [`Engine::generate`] / [`generate_range`] (every core, one vector),
//! [`Generator::fill`](crate::Generator::fill) (one core, SIMD block kernel); to
//! stream any number of ids in constant memory, [`Engine::records`] or
//! [`Engine::chunks`]; [`Generator::params`](crate::Generator::params) computes one
//! sample with the scalar code.

mod chunk;
mod ordered;
mod parallel;

use std::sync::Arc;

pub use chunk::{Chunk, ChunkPlan};
pub use ordered::{OrderedChunks, OrderedRecords};
pub use parallel::{generate_range, par_chunks};

use crate::error::ConfigError;
use crate::params::Generator;
use crate::seeding::Seeding;
use crate::split::IdRange;

/// Default number of ids per chunk: large enough to amortise scheduling, small enough
/// to keep every thread busy and memory low (65,536 records are about 6 MiB).
pub const DEFAULT_CHUNK_SIZE: usize = 16_384;

/// The most worker threads an engine starts (more is refused, not clamped).
pub const MAX_THREADS: usize = 1024;

/// The largest chunk, in ids (about 100 MiB of records): beyond it a chunk no longer
/// bounds memory in any useful way.
pub const MAX_CHUNK_SIZE: usize = 1 << 20;

/// The most chunks an engine keeps ahead of its consumer.
pub const MAX_IN_FLIGHT: usize = 4096;

/// Settings of an [`Engine`].
///
/// # Examples
///
/// ```
/// let cfg = dpa::EngineConfig { threads: Some(2), ..Default::default() };
/// let engine = dpa::Engine::new(cfg).unwrap();
/// assert_eq!(engine.threads(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
    /// Ids per chunk (at least 1).
    pub chunk_size: usize,
    /// Chunks that may be generated ahead of the consumer (at least 1). Memory is
    /// bounded by about `(in_flight + 1) * chunk_size` records.
    pub in_flight: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            threads: None,
            chunk_size: DEFAULT_CHUNK_SIZE,
            in_flight: 0,
        }
    }
}

/// A dedicated rayon thread pool with chunking settings.
///
/// # Examples
///
/// ```
/// use dpa::{Engine, EngineConfig, Generator, Preset, Seeding};
/// use std::sync::Arc;
/// let engine = Engine::new(EngineConfig::default()).unwrap();
/// let g = Arc::new(Generator::new(Preset::Mild.config()).unwrap());
/// let ids = dpa::id_range(0, 1000).unwrap();
/// let all: Vec<_> = engine.records(g.clone(), Seeding::Plain, ids).collect();
/// assert_eq!(all.len(), 1000);
/// assert_eq!(all[999], g.params(999));
/// ```
#[derive(Debug)]
pub struct Engine {
    pool: Arc<rayon::ThreadPool>,
    config: EngineConfig,
}

impl Engine {
    /// Builds the thread pool. `threads` must be in `1..=MAX_THREADS`, `chunk_size` in
    /// `1..=MAX_CHUNK_SIZE` and `in_flight` at most [`MAX_IN_FLIGHT`]; `in_flight: 0`
    /// means two chunks per thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let bad = dpa::EngineConfig { chunk_size: 0, ..Default::default() };
    /// assert!(dpa::Engine::new(bad).is_err());
    /// ```
    pub fn new(config: EngineConfig) -> Result<Self, ConfigError> {
        let within = ConfigError::check_within;
        if let Some(t) = config.threads {
            within("threads", t, MAX_THREADS)?;
        }
        within("chunk_size", config.chunk_size, MAX_CHUNK_SIZE)?;
        if config.in_flight > MAX_IN_FLIGHT {
            within("in_flight", config.in_flight, MAX_IN_FLIGHT)?;
        }
        let mut builder =
            rayon::ThreadPoolBuilder::new().thread_name(|i| format!("dpa-worker-{i}"));
        if let Some(t) = config.threads {
            builder = builder.num_threads(t);
        }
        let pool = builder.build().map_err(|e| ConfigError::Invalid {
            field: "threads",
            message: format!("cannot start the thread pool: {e}"),
        })?;
        let mut config = config;
        if config.in_flight == 0 {
            config.in_flight = 2 * pool.current_num_threads();
        }
        Ok(Engine {
            pool: Arc::new(pool),
            config,
        })
    }

    /// Number of worker threads.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = dpa::Engine::new(dpa::EngineConfig { threads: Some(1), ..Default::default() }).unwrap();
    /// assert_eq!(e.threads(), 1);
    /// ```
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// The settings in force (`in_flight` resolved).
    ///
    /// # Examples
    ///
    /// ```
    /// let e = dpa::Engine::new(dpa::EngineConfig { threads: Some(3), ..Default::default() }).unwrap();
    /// assert_eq!(e.config().in_flight, 6);
    /// ```
    pub fn config(&self) -> EngineConfig {
        self.config
    }

    /// Runs `f` inside the engine's pool (so rayon's parallel iterators use it).
    ///
    /// # Examples
    ///
    /// ```
    /// let e = dpa::Engine::new(dpa::EngineConfig { threads: Some(2), ..Default::default() }).unwrap();
    /// assert_eq!(e.install(rayon::current_num_threads), 2);
    /// ```
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        self.pool.install(f)
    }

    /// Generates `ids` in parallel into one vector, in id order.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::{Engine, Generator, Preset, Seeding};
    /// let e = Engine::new(Default::default()).unwrap();
    /// let g = Generator::new(Preset::Moderate.config()).unwrap();
    /// let v = e.generate(&g, Seeding::Plain, dpa::id_range(10, 5).unwrap());
    /// assert_eq!(v[0].sample_id, 10);
    /// ```
    pub fn generate(
        &self,
        generator: &Generator,
        seeding: Seeding,
        ids: IdRange,
    ) -> Vec<crate::Params> {
        let chunk = self.config.chunk_size;
        self.pool
            .install(|| generate_range(generator, seeding, ids, chunk))
    }

    /// Chunks of `ids` in id order, generated ahead by the workers, with at most
    /// `in_flight` chunks in memory. Takes a [`Generator`] or an `Arc` of one (the
    /// workers share it).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use dpa::{Engine, EngineConfig, Generator, Preset, Seeding};
    /// let e = Engine::new(EngineConfig { chunk_size: 100, ..Default::default() }).unwrap();
    /// let g = Arc::new(Generator::new(Preset::Moderate.config()).unwrap());
    /// let sizes: Vec<usize> = e.chunks(g, Seeding::Plain, dpa::id_range(0, 250).unwrap())
    ///     .map(|c| c.records.len()).collect();
    /// assert_eq!(sizes, [100, 100, 50]);
    /// ```
    pub fn chunks(
        &self,
        generator: impl Into<Arc<Generator>>,
        seeding: Seeding,
        ids: IdRange,
    ) -> OrderedChunks {
        let plan = ChunkPlan::new(ids, self.config.chunk_size);
        OrderedChunks::start(
            self.pool.clone(),
            generator.into(),
            seeding,
            plan,
            self.config.in_flight,
        )
    }

    /// Runs `task(index, ids)` for every chunk of `ids` (cut every `chunk_size` ids) on
    /// the engine's pool, and hands the results out in id order, as [`Engine::chunks`]
    /// does for generated records: at most `in_flight` results are started and not yet
    /// taken, so the caller bounds memory by choosing both. A panic in a task is re-raised
    /// by the iterator. This is how writers encode chunks in parallel while one thread
    /// appends them in order.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::{Engine, Generator, Preset, Seeding};
    /// let e = Engine::new(Default::default()).unwrap();
    /// let g = std::sync::Arc::new(Generator::new(Preset::Mild.config()).unwrap());
    /// let sums: Vec<u64> = e
    ///     .map_chunks(dpa::id_range(0, 10).unwrap(), 4, 2, move |_, ids| {
    ///         let mut records = Vec::new();
    ///         g.generate_into(Seeding::Plain, ids, &mut records);
    ///         records.len() as u64
    ///     })
    ///     .collect();
    /// assert_eq!(sums, [4, 4, 2]);
    /// ```
    pub fn map_chunks<T, F>(
        &self,
        ids: IdRange,
        chunk_size: usize,
        in_flight: usize,
        task: F,
    ) -> OrderedChunks<T>
    where
        T: Send + 'static,
        F: Fn(u64, IdRange) -> T + Send + Sync + 'static,
    {
        let plan = ChunkPlan::new(ids, chunk_size.clamp(1, MAX_CHUNK_SIZE));
        let make = move |index| task(index, plan.chunk(index));
        let in_flight = in_flight.clamp(1, MAX_IN_FLIGHT);
        OrderedChunks::with_tasks(self.pool.clone(), Arc::new(make), plan.chunks(), in_flight)
    }

    /// Records of `ids` in id order, streaming (see [`Engine::chunks`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::{Engine, Generator, Preset, Seeding};
    /// let e = Engine::new(Default::default()).unwrap();
    /// let g = Generator::new(Preset::Mild.config()).unwrap();
    /// let first = e.records(g, Seeding::Plain, dpa::id_range(0, u64::MAX).unwrap()).next();
    /// assert_eq!(first.unwrap().sample_id, 0);
    /// ```
    pub fn records(
        &self,
        generator: impl Into<Arc<Generator>>,
        seeding: Seeding,
        ids: IdRange,
    ) -> OrderedRecords {
        OrderedRecords::new(self.chunks(generator, seeding, ids))
    }
}
