//! Records as Apache Arrow columns (feature `arrow`): the schema dpa's Parquet files and
//! the Python package's tables share, and a whole range or list of ids generated
//! straight into it, one buffer per column, on an [`Engine`]'s threads.
//!
//! | column | type | |
//! |---|---|---|
//! | `sample_id` | `uint64` | |
//! | `rank` | `uint64` | rank-aware seeding only |
//! | `rotation`, `brightness`, `noise`, `scale`, `contrast` | `float64` | |
//! | `hash` | `fixed_size_binary(32)` | the digest's bytes (`hex()` gives the 64-character text) |

use std::sync::Arc;

use arrow_array::{ArrayRef, FixedSizeBinaryArray, Float64Array, RecordBatch, UInt64Array};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use rayon::prelude::*;

use crate::engine::Engine;
use crate::params::{Generator, Params};
use crate::seeding::Seeding;
use crate::split::IdRange;

/// The five parameter columns, in record order.
pub const PARAM_COLUMNS: [&str; 5] = ["rotation", "brightness", "noise", "scale", "contrast"];

/// Ids generated per task.
const CHUNK: usize = 8192;

/// The columns of records seeded with or without a rank (`rank`), in order.
///
/// # Examples
///
/// ```
/// let names: Vec<String> = dpa::formats::arrow::fields(false)
///     .iter().map(|f| f.name().clone()).collect();
/// assert_eq!(names, ["sample_id", "rotation", "brightness", "noise", "scale", "contrast", "hash"]);
/// ```
pub fn fields(rank: bool) -> Vec<Field> {
    let mut fields = vec![Field::new("sample_id", DataType::UInt64, false)];
    if rank {
        fields.push(Field::new("rank", DataType::UInt64, false));
    }
    fields.extend(PARAM_COLUMNS.map(|p| Field::new(p, DataType::Float64, false)));
    fields.push(Field::new("hash", DataType::FixedSizeBinary(32), false));
    fields
}

/// Records column by column: ids, ranks (rank-aware only), the five values, the
/// digests (32 bytes each).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Columns {
    /// `sample_id`.
    pub ids: Vec<u64>,
    /// `rank`, for rank-aware records.
    pub ranks: Option<Vec<u64>>,
    /// `rotation`, `brightness`, `noise`, `scale`, `contrast`.
    pub values: [Vec<f64>; 5],
    /// `hash`: 32 bytes a record.
    pub hashes: Vec<u8>,
}

/// One task's share of [`Columns`]: the same rows of every column.
struct Slots<'a> {
    ids: &'a mut [u64],
    ranks: Option<&'a mut [u64]>,
    values: [&'a mut [f64]; 5],
    hashes: &'a mut [u8],
}

impl Columns {
    /// `n` rows of zeros, or `None` when they cannot be had (the sizes are tried
    /// first, so a refusal is an answer, not an abort).
    fn zeroed(n: usize, rank: bool) -> Option<Columns> {
        let words = |n: usize| {
            let mut v = Vec::<u64>::new();
            v.try_reserve_exact(n).ok()?;
            v.resize(n, 0);
            Some(v)
        };
        let floats = || {
            let mut v = Vec::<f64>::new();
            v.try_reserve_exact(n).ok()?;
            v.resize(n, 0.0);
            Some(v)
        };
        let mut hashes = Vec::new();
        hashes.try_reserve_exact(n.checked_mul(32)?).ok()?;
        hashes.resize(n * 32, 0);
        Some(Columns {
            ids: words(n)?,
            ranks: if rank { Some(words(n)?) } else { None },
            values: [floats()?, floats()?, floats()?, floats()?, floats()?],
            hashes,
        })
    }

    /// The rows cut into tasks of [`CHUNK`] rows.
    fn slots(&mut self) -> Vec<Slots<'_>> {
        let mut ids = self.ids.chunks_mut(CHUNK);
        let mut ranks = self.ranks.as_mut().map(|r| r.chunks_mut(CHUNK));
        let mut values = self.values.each_mut().map(|v| v.chunks_mut(CHUNK));
        let mut hashes = self.hashes.chunks_mut(CHUNK * 32);
        let mut out = Vec::new();
        while let (Some(ids), Some(hashes)) = (ids.next(), hashes.next()) {
            let values = values.each_mut().map(|v| v.next().unwrap_or_default());
            let ranks = ranks.as_mut().and_then(|r| r.next());
            out.push(Slots {
                ids,
                ranks,
                values,
                hashes,
            });
        }
        out
    }

    /// The records of `ids` (in that order), generated on `engine`'s threads with the
    /// block kernel; `None` when the columns cannot be allocated.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::{formats::arrow::Columns, Engine, Generator, Preset, Seeding};
    /// let g = Generator::new(Preset::Mild.config()).unwrap();
    /// let e = Engine::new(Default::default()).unwrap();
    /// let c = Columns::for_ids(&e, &g, Seeding::Plain, &[7, 3]).unwrap();
    /// assert_eq!(c.ids, [7, 3]);
    /// assert_eq!(c.values[0][1].to_bits(), g.params(3).rotation.to_bits());
    /// ```
    pub fn for_ids(
        engine: &Engine,
        generator: &Generator,
        seeding: Seeding,
        ids: &[u64],
    ) -> Option<Columns> {
        let mut columns = Columns::zeroed(ids.len(), seeding.rank().is_some())?;
        let slots = columns.slots();
        engine.install(|| {
            slots
                .into_par_iter()
                .zip(ids.par_chunks(CHUNK))
                .for_each(|(s, ids)| s.fill(generator, seeding, ids.iter().copied()));
        });
        Some(columns)
    }

    /// The records of the range `ids`, as [`Columns::for_ids`] computes them; `None`
    /// when the columns cannot be allocated (or the range does not fit in memory).
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::{formats::arrow::Columns, Engine, Generator, Preset, Seeding};
    /// let g = Generator::new(Preset::Mild.config()).unwrap();
    /// let e = Engine::new(Default::default()).unwrap();
    /// let c = Columns::for_range(&e, &g, Seeding::Plain, dpa::id_range(10, 3).unwrap()).unwrap();
    /// assert_eq!(c.ids, [10, 11, 12]);
    /// ```
    pub fn for_range(
        engine: &Engine,
        generator: &Generator,
        seeding: Seeding,
        ids: IdRange,
    ) -> Option<Columns> {
        let n = usize::try_from(ids.count_ids()).ok()?;
        let mut columns = Columns::zeroed(n, seeding.rank().is_some())?;
        let slots = columns.slots();
        let first = ids.start();
        engine.install(|| {
            slots.into_par_iter().enumerate().for_each(|(k, s)| {
                // `start + i` stays within u64 (the range does); `start + len` may
                // not (a range ending at 2^64 - 1).
                let start = first + (k * CHUNK) as u64;
                let len = s.ids.len() as u64;
                s.fill(generator, seeding, (0..len).map(|i| start + i))
            });
        });
        Some(columns)
    }

    /// The rows held.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no row is held.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The columns as one Arrow batch of [`fields`] with `metadata` (no copy: each
    /// column's vector becomes its buffer).
    ///
    /// # Examples
    ///
    /// ```
    /// let c = dpa::formats::arrow::Columns::default();
    /// let batch = c.into_batch(Default::default()).unwrap();
    /// assert_eq!(batch.num_columns(), 7);
    /// ```
    pub fn into_batch(
        self,
        metadata: std::collections::HashMap<String, String>,
    ) -> Result<RecordBatch, ArrowError> {
        let schema = Schema::new(fields(self.ranks.is_some())).with_metadata(metadata);
        let mut columns: Vec<ArrayRef> = vec![Arc::new(UInt64Array::from(self.ids))];
        if let Some(ranks) = self.ranks {
            columns.push(Arc::new(UInt64Array::from(ranks)));
        }
        for v in self.values {
            columns.push(Arc::new(Float64Array::from(v)));
        }
        let hash = FixedSizeBinaryArray::try_new(32, self.hashes.into(), None)?;
        columns.push(Arc::new(hash));
        RecordBatch::try_new(Arc::new(schema), columns)
    }
}

impl Slots<'_> {
    /// Generates the records of `ids` (as many as the slots hold) into the slots.
    fn fill(mut self, generator: &Generator, seeding: Seeding, ids: impl Iterator<Item = u64>) {
        let mut records: Vec<Params> = Vec::with_capacity(self.ids.len());
        generator.generate_into(seeding, ids, &mut records);
        for (i, p) in records.iter().enumerate() {
            self.ids[i] = p.sample_id;
            if let Some(r) = self.ranks.as_deref_mut() {
                r[i] = p.rank.unwrap_or(0);
            }
            for (column, v) in self.values.iter_mut().zip(p.values()) {
                column[i] = v;
            }
            self.hashes[32 * i..32 * i + 32].copy_from_slice(&p.hash.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Preset;

    fn engine() -> Engine {
        Engine::new(Default::default()).unwrap()
    }

    #[test]
    fn a_range_ending_at_the_last_id_is_generated_whole() {
        let g = Generator::new(Preset::Moderate.config()).unwrap();
        for n in [1, 8, 300, CHUNK as u64 + 5] {
            let first = u64::MAX - (n - 1);
            let ids = crate::split::id_range(first, n).unwrap();
            let c = Columns::for_range(&engine(), &g, Seeding::Plain, ids).unwrap();
            let want = g.generate_ids(Seeding::Plain, (0..n).map(|i| first + i));
            assert_eq!(c.ids, want.iter().map(|p| p.sample_id).collect::<Vec<_>>());
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            let want_rot: Vec<f64> = want.iter().map(|p| p.rotation).collect();
            assert_eq!(bits(&c.values[0]), bits(&want_rot));
            assert_eq!(
                &c.hashes[c.hashes.len() - 32..],
                &want[want.len() - 1].hash.0
            );
        }
    }

    #[test]
    fn ids_and_ranges_give_the_same_columns() {
        let g = Generator::new(Preset::Aggressive.config()).unwrap();
        let seeding = Seeding::RankAware {
            base_seed: 3,
            rank: 2,
        };
        let n = 3 * CHUNK as u64 + 17;
        let range = Columns::for_range(
            &engine(),
            &g,
            seeding,
            crate::split::id_range(99, n).unwrap(),
        );
        let ids: Vec<u64> = (99..99 + n).collect();
        let listed = Columns::for_ids(&engine(), &g, seeding, &ids);
        assert_eq!(range, listed);
        let c = range.unwrap();
        assert_eq!(c.ranks.as_deref(), Some(&vec![2; n as usize][..]));
        let batch = c.into_batch(Default::default()).unwrap();
        assert_eq!(batch.num_rows(), n as usize);
        assert_eq!(batch.schema().field(1).name(), "rank");
    }
}
