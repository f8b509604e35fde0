//! Range splitting across ranks, exactly as the reference's `DistributedRangeSplitter`.

use std::ops::Range;

use crate::error::ConfigError;

fn check(world_size: u64, rank: u64) -> Result<(), ConfigError> {
    if world_size == 0 {
        return Err(ConfigError::ZeroWorldSize);
    }
    if rank >= world_size {
        return Err(ConfigError::RankOutOfRange { rank, world_size });
    }
    Ok(())
}

/// The half-open range `[start, end)` of `0..total` that `rank` of `world_size` owns.
///
/// The first `total % world_size` ranks get one sample more. As in the reference, a
/// rank that gets nothing has the range `0..0` (not `total..total`).
///
/// # Examples
///
/// ```
/// use dpa::split_range;
/// assert_eq!(split_range(10, 4, 0).unwrap(), 0..3);
/// assert_eq!(split_range(10, 4, 3).unwrap(), 8..10);
/// assert_eq!(split_range(3, 5, 4).unwrap(), 0..0);
/// assert!(split_range(10, 4, 4).is_err());
/// ```
pub fn split_range(total: u64, world_size: u64, rank: u64) -> Result<Range<u64>, ConfigError> {
    check(world_size, rank)?;
    if rank >= total {
        return Ok(0..0);
    }
    let base = total / world_size;
    let rem = total % world_size;
    // rank < total <= u64::MAX, and every start is at most total: no overflow.
    Ok(if rank < rem {
        let start = rank * (base + 1);
        start..start + base + 1
    } else {
        let start = rem * (base + 1) + (rank - rem) * base;
        start..start + base
    })
}

/// The ranges of every rank, in rank order.
///
/// # Examples
///
/// ```
/// let r = dpa::all_ranges(17, 16).unwrap();
/// assert_eq!(r[0], 0..2);
/// assert_eq!(r[15], 16..17);
/// ```
pub fn all_ranges(total: u64, world_size: u64) -> Result<Vec<Range<u64>>, ConfigError> {
    check(world_size, 0)?;
    (0..world_size)
        .map(|r| split_range(total, world_size, r))
        .collect()
}

/// The rank that owns position `index` of `0..total`, or `None` when `index >= total`.
///
/// # Examples
///
/// ```
/// assert_eq!(dpa::rank_for_sample(10, 4, 2).unwrap(), Some(0));
/// assert_eq!(dpa::rank_for_sample(10, 4, 3).unwrap(), Some(1));
/// assert_eq!(dpa::rank_for_sample(10, 4, 9).unwrap(), Some(3));
/// assert_eq!(dpa::rank_for_sample(10, 4, 10).unwrap(), None);
/// ```
pub fn rank_for_sample(
    total: u64,
    world_size: u64,
    index: u64,
) -> Result<Option<u64>, ConfigError> {
    check(world_size, 0)?;
    if index >= total {
        return Ok(None);
    }
    let base = total / world_size;
    let rem = total % world_size;
    let boundary = rem * (base + 1);
    Ok(Some(if index < boundary {
        index / (base + 1)
    } else {
        // index < total implies base > 0 here.
        rem + (index - boundary) / base
    }))
}

/// The ids `start .. start + count` as a range, or an error if they would pass `u64::MAX`.
///
/// # Examples
///
/// ```
/// assert_eq!(dpa::id_range(5, 3).unwrap().collect::<Vec<_>>(), [5, 6, 7]);
/// assert_eq!(dpa::id_range(u64::MAX, 1).unwrap().count(), 1);
/// assert!(dpa::id_range(u64::MAX, 2).is_err());
/// ```
pub fn id_range(start: u64, count: u64) -> Result<IdRange, ConfigError> {
    if count == 0 {
        return Ok(IdRange {
            next: start,
            remaining: 0,
        });
    }
    start
        .checked_add(count - 1)
        .ok_or(ConfigError::IdOverflow { start, count })?;
    Ok(IdRange {
        next: start,
        remaining: count,
    })
}

/// An iterator over `count` consecutive ids that may end at `u64::MAX` (which
/// `Range<u64>` cannot express).
///
/// # Examples
///
/// ```
/// let ids: Vec<u64> = dpa::id_range(u64::MAX - 1, 2).unwrap().collect();
/// assert_eq!(ids, [u64::MAX - 1, u64::MAX]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdRange {
    next: u64,
    remaining: u64,
}

impl IdRange {
    /// The first id (or the start, when empty).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::id_range(9, 0).unwrap().start(), 9);
    /// ```
    pub fn start(&self) -> u64 {
        self.next
    }

    /// How many ids remain.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::id_range(9, 4).unwrap().count_ids(), 4);
    /// ```
    pub fn count_ids(&self) -> u64 {
        self.remaining
    }
}

impl Iterator for IdRange {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        if self.remaining == 0 {
            return None;
        }
        let id = self.next;
        self.remaining -= 1;
        if self.remaining > 0 {
            self.next += 1;
        }
        Some(id)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.remaining).unwrap_or(usize::MAX);
        (n, usize::try_from(self.remaining).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_partition_the_total() {
        for total in [0u64, 1, 2, 5, 17, 100, 1001] {
            for world in 1..=9u64 {
                let ranges = all_ranges(total, world).unwrap();
                let mut next = 0;
                for (rank, r) in ranges.iter().enumerate() {
                    if r.is_empty() {
                        assert_eq!(*r, 0..0);
                        continue;
                    }
                    assert_eq!(r.start, next, "total {total} world {world}");
                    next = r.end;
                    for i in r.clone() {
                        assert_eq!(rank_for_sample(total, world, i).unwrap(), Some(rank as u64));
                    }
                }
                assert_eq!(next, total);
            }
        }
    }

    #[test]
    fn extreme_totals_do_not_overflow() {
        let r = all_ranges(u64::MAX, 3).unwrap();
        assert_eq!(r[2].end, u64::MAX);
        assert_eq!(rank_for_sample(u64::MAX, 3, u64::MAX - 1).unwrap(), Some(2));
        assert!(all_ranges(5, 0).is_err());
        assert!(rank_for_sample(5, 0, 1).is_err());
    }
}
