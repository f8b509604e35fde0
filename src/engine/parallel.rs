//! Parallel generation with rayon: a parallel iterator of chunks, and a whole range
//! collected into one vector.

use rayon::prelude::*;

use super::chunk::{Chunk, ChunkPlan};
use crate::params::{Generator, Params};
use crate::seeding::Seeding;
use crate::split::IdRange;

/// A rayon parallel iterator over the chunks of `ids`, in the current rayon pool
/// (use [`Engine::install`](crate::Engine::install) to pick a pool).
///
/// # Examples
///
/// ```
/// use rayon::prelude::*;
/// use dpa::{Generator, Preset, Seeding};
/// let g = Generator::new(Preset::Mild.config()).unwrap();
/// let total: usize = dpa::par_chunks(&g, Seeding::Plain, dpa::id_range(0, 1000).unwrap(), 64)
///     .map(|c| c.records.len())
///     .sum();
/// assert_eq!(total, 1000);
/// ```
pub fn par_chunks<'a>(
    generator: &'a Generator,
    seeding: Seeding,
    ids: IdRange,
    chunk_size: usize,
) -> impl IndexedParallelIterator<Item = Chunk> + 'a {
    let plan = ChunkPlan::new(ids, chunk_size);
    // Chunk counts beyond usize are not representable in memory anyway.
    let n = usize::try_from(plan.chunks()).unwrap_or(usize::MAX);
    (0..n)
        .into_par_iter()
        .map(move |i| Chunk::generate(generator, seeding, i as u64, plan.chunk(i as u64)))
}

/// Generates `ids` in parallel (current rayon pool) into one vector, in id order.
///
/// # Examples
///
/// ```
/// use dpa::{Generator, Preset, Seeding};
/// let g = Generator::new(Preset::Mild.config()).unwrap();
/// let v = dpa::generate_range(&g, Seeding::Plain, dpa::id_range(0, 100).unwrap(), 7);
/// assert_eq!(v, g.generate_ids(Seeding::Plain, 0..100));
/// ```
pub fn generate_range(
    generator: &Generator,
    seeding: Seeding,
    ids: IdRange,
    chunk_size: usize,
) -> Vec<Params> {
    let len = usize::try_from(ids.count_ids()).unwrap_or(usize::MAX);
    let chunk = chunk_size.max(1);
    let mut out = vec![Params::default(); len];
    // Each chunk fills its own slice of the output, in place (the range is within u64).
    out.par_chunks_mut(chunk)
        .enumerate()
        .for_each(|(i, slice)| {
            generator.fill_ids(seeding, ids.start() + (i * chunk) as u64, slice);
        });
    out
}
