//! The one write path: records into a file, in a format, for every caller — `dpa
//! generate`, the shards of `dpa-mpi`, `convert`, `merge`.
//!
//! A [`RecordFile`] owns everything between a record and the bytes on disk: the
//! format's header and records ([`AnySink`](crate::AnySink)), the statistics, the SHA-256 of what is
//! written, and — for a file — the partial file that this run owns, its checkpoints
//! ([`crate::checkpoint`]), its verified resume, and the atomic rename. [`generate_to`] drives it from the engine: workers generate,
//! encode and sum whole chunks ([`EncodedChunk`]); the writer only appends them in id
//! order and merges their exact statistics.

mod companion;
mod encoded;
mod generate;
mod kept;
mod pipeline;
mod record_file;

pub use companion::Companion;
pub use encoded::{encode_plan, EncodedChunk, ENCODE_BUDGET};
pub use generate::{generate_to, generate_to_with, GenerateSummary, Generation};
pub use pipeline::{ChunkSink, Pipeline, PipelineSummary};
pub(crate) use record_file::commit_with_sidecar;
pub use record_file::{Destination, RecordFile, Rerun, WriteOptions, WriteSummary};
