//! Caps on the benchmark flags of both binaries.

/// The most measured (or warm-up) iterations of one benchmark.
pub const MAX_ITERATIONS: usize = 10_000;

/// The most samples a benchmark holds in memory at once (about 6 GiB of records):
/// `dpa bench generation|scaling`, and each rank of `dpa-mpi bench`.
pub const MAX_IN_MEMORY: u64 = 1 << 26;
