//! How an id range is cut into chunks.

use crate::params::Params;
use crate::split::{id_range, IdRange};

/// A range of ids cut into chunks of `chunk_size` (the last may be shorter).
///
/// # Examples
///
/// ```
/// let plan = dpa::ChunkPlan::new(dpa::id_range(100, 25).unwrap(), 10);
/// assert_eq!(plan.chunks(), 3);
/// assert_eq!(plan.chunk(2).collect::<Vec<_>>(), (120..125).collect::<Vec<_>>());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkPlan {
    start: u64,
    count: u64,
    chunk_size: u64,
}

impl ChunkPlan {
    /// Cuts `ids` into chunks of `chunk_size` ids (0 is taken as 1).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::ChunkPlan::new(dpa::id_range(0, 0).unwrap(), 8).chunks(), 0);
    /// ```
    pub fn new(ids: IdRange, chunk_size: usize) -> Self {
        ChunkPlan {
            start: ids.start(),
            count: ids.count_ids(),
            chunk_size: chunk_size.max(1) as u64,
        }
    }

    /// Number of chunks.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::ChunkPlan::new(dpa::id_range(0, 10).unwrap(), 3).chunks(), 4);
    /// ```
    pub fn chunks(&self) -> u64 {
        self.count.div_ceil(self.chunk_size)
    }

    /// Total number of ids.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::ChunkPlan::new(dpa::id_range(0, 10).unwrap(), 3).len(), 10);
    /// ```
    pub fn len(&self) -> u64 {
        self.count
    }

    /// True when there are no ids.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(dpa::ChunkPlan::new(dpa::id_range(5, 0).unwrap(), 3).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The ids of chunk `index` (empty past the end).
    ///
    /// # Examples
    ///
    /// ```
    /// let plan = dpa::ChunkPlan::new(dpa::id_range(u64::MAX - 4, 5).unwrap(), 2);
    /// assert_eq!(plan.chunk(2).collect::<Vec<_>>(), [u64::MAX]);
    /// ```
    pub fn chunk(&self, index: u64) -> IdRange {
        let offset = index.saturating_mul(self.chunk_size).min(self.count);
        let len = self.chunk_size.min(self.count - offset);
        // start + offset + len - 1 <= start + count - 1, which id_range accepted.
        id_range(self.start + offset, len).unwrap_or_else(|_| unreachable_empty())
    }
}

#[cold]
fn unreachable_empty() -> IdRange {
    // Only reachable if the plan's invariant were broken; an empty range is harmless.
    id_range(0, 0).unwrap_or_else(|_| unreachable!())
}

/// One chunk of generated records, in id order.
///
/// # Examples
///
/// ```
/// use dpa::{Chunk, Generator, Preset, Seeding};
/// let g = Generator::new(Preset::Mild.config()).unwrap();
/// let c = Chunk::generate(&g, Seeding::Plain, 3, dpa::id_range(30, 4).unwrap());
/// assert_eq!(c.index, 3);
/// assert_eq!(c.records.len(), 4);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Position of the chunk in its plan.
    pub index: u64,
    /// The records, in id order.
    pub records: Vec<Params>,
}

impl Chunk {
    /// Generates the ids of one chunk on the current thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::{Chunk, Generator, Preset, Seeding};
    /// let g = Generator::new(Preset::Mild.config()).unwrap();
    /// let c = Chunk::generate(&g, Seeding::Plain, 0, dpa::id_range(0, 2).unwrap());
    /// assert_eq!(c.records[1], g.params(1));
    /// ```
    pub fn generate(
        generator: &crate::Generator,
        seeding: crate::Seeding,
        index: u64,
        ids: IdRange,
    ) -> Chunk {
        let mut records = Vec::with_capacity(ids.count_ids() as usize);
        generator.generate_into(seeding, ids, &mut records);
        Chunk { index, records }
    }
}
