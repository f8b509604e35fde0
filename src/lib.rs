//! # dpa: Deterministic Procedural Augmentation
//!
//! dpa computes augmentation parameters (rotation, brightness, noise, scale, contrast)
//! that are the same every time for the same sample, on any machine, with any number of
//! threads or ranks, and equal **bit for bit** to those of the Python library DPA 0.2.1.
//!
//! For each sample, a SHA-256 chain over the sample id mixed with Fibonacci numbers
//! seeds Python's Mersenne Twister, which draws the five values.
//!
//! ```
//! use dpa::{Generator, Preset};
//!
//! let generator = Generator::new(Preset::Moderate.config())?;
//! let p = generator.params(42);
//! // The same numbers every time, everywhere.
//! assert_eq!(p, generator.params(42));
//! assert!((-30.0..30.0).contains(&p.rotation));
//! # Ok::<(), dpa::ConfigError>(())
//! ```
//!
//! The modules split as the data flows: the algorithm ([`config`], [`seeding`], [`mt`],
//! [`params`], [`split`], [`stats`]) does no I/O; [`formats`] reads and writes files;
//! [`atomic`] puts finished files in place.
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod atomic;
pub mod batch;
pub mod bench;
pub mod checkpoint;
pub mod commit;
pub mod config;
pub mod direct;
pub mod distributed;
pub mod engine;
pub mod error;
pub mod fib;
pub mod formats;
pub mod identity;
pub mod kernel;
pub mod mt;
pub mod params;
pub mod seeding;
pub mod split;
pub mod stats;
pub mod write;
mod writeback;

/// Bytes read at a time when a file is read back to be hashed (a resume's kept bytes, a
/// shared file's rows): few enough that what the kernel copied in is still in the L2
/// cache when it is hashed. With 1 MiB, resuming a 1.46 GB file killed at 70% spent
/// about 0.75 s in the kernel; with 128 KiB, 0.25 s (AMD EPYC, 2 cores).
pub(crate) const READ_CHUNK: usize = 128 << 10;

pub use atomic::AtomicFile;
pub use batch::{Batch, BatchConfig, BatchMetrics, BatchStrategy, Batcher, SizeDecision};
pub use config::{AugmentationConfig, Param, ParamRange, Preset, MAX_DEPTH};
pub use engine::{
    generate_range, par_chunks, Chunk, ChunkPlan, Engine, EngineConfig, OrderedChunks,
    OrderedRecords,
};
pub use error::{ConfigError, Error};
pub use formats::{
    read_records, read_records_from, AnySink, BincodeWriter, FileInfo, FileMetadata, Format,
    JsonWriter, JsonlWriter, RecordHandler, RecordSink, SeedingInfo,
};
pub use params::{
    gen_augmentation_params, gen_distributed_augmentation_params, Generator, Hash, Params,
};
pub use seeding::Seeding;
pub use split::{all_ranges, id_range, rank_for_sample, split_range, IdRange};
pub use stats::{Moments, Statistics, StatsAccumulator, Summary};

/// The README's code blocks, compiled and run as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The user guide's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../docs/GUIDE.md")]
pub struct GuideDoctests;
