//! Whole ranges as NumPy structured arrays (the rows of dpa's `.npy` files) and their
//! exact statistics, computed by dpa's SIMD kernel on a thread pool with the GIL
//! released.

use std::cell::RefCell;
use std::sync::Arc;

use dpa::formats::npy::RowLayout;
use dpa::write::EncodedChunk;
use dpa::{id_range, Engine, Format, Generator, Moments, Param, Seeding, StatsAccumulator};
use pyo3::exceptions::{PyMemoryError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rayon::prelude::*;

use crate::{config, pool};

/// Ids generated and encoded per task of an array.
const CHUNK: usize = 4096;

/// Per parameter: `(mean, stdev, min, max, count)`.
type SummaryRow = (f64, f64, f64, f64, u64);

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// How records are seeded: plain, rank-aware or seed + epoch (`dpa::Seeding`).
#[pyclass(frozen, from_py_object, name = "Seeding", module = "dpa_rs._native")]
#[derive(Debug, Clone, Copy)]
pub struct PySeeding(Seeding);

#[pymethods]
impl PySeeding {
    /// The reference's `gen_augmentation_params`: the seed string is the id.
    #[staticmethod]
    fn plain() -> Self {
        PySeeding(Seeding::Plain)
    }

    /// The reference's distributed functions: `"{base_seed}:{rank}:{id}"`.
    #[staticmethod]
    fn rank_aware(rank: u64, base_seed: u64) -> Self {
        PySeeding(Seeding::RankAware { base_seed, rank })
    }

    /// Seed and epoch: `"{seed}:{epoch}:{id}"`.
    #[staticmethod]
    fn keyed(seed: u64, epoch: u64) -> Self {
        PySeeding(Seeding::Keyed { seed, epoch })
    }
}

/// dpa's generator for `config`, or `ValueError` saying why dpa cannot compute it.
fn generator(py: Python<'_>, config: Option<&Bound<'_, PyAny>>) -> PyResult<Arc<Generator>> {
    config::generator(py, config).ok_or_else(|| {
        value_error(format!(
            "config: the array functions need five (low, high) ranges of floats or ints of \
             magnitude at most 2**53 with low < high, finite, and an int augmentation_depth \
             from 1 to {}",
            config::FAST_MAX_DEPTH
        ))
    })
}

/// `.npy` rows that dpa computed, owned here and lent to NumPy without a copy: NumPy
/// reads them through `__array_interface__` (read-only) and keeps this object alive as
/// its array's base. The bytes are never changed after they are written.
#[pyclass(frozen, module = "dpa_rs._native")]
pub struct Rows {
    bytes: Vec<u8>,
    rows: u64,
    rank: bool,
}

#[pymethods]
impl Rows {
    /// NumPy's array interface (version 3): a one-dimensional structured array.
    #[getter]
    fn __array_interface__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let layout = RowLayout { rank: self.rank };
        d.set_item("version", 3)?;
        d.set_item("shape", (self.rows,))?;
        d.set_item("typestr", format!("|V{}", layout.row_bytes()))?;
        d.set_item("descr", layout.fields())?;
        // The address as a number is what the interface asks for; NumPy reads the
        // bytes while it holds this object, and never writes them (read-only).
        d.set_item("data", (self.bytes.as_ptr() as usize, true))?;
        Ok(d)
    }
}

/// Bytes of `n` rows of `width`; `MemoryError` when they cannot be addressed.
fn row_bytes(n: u64, width: usize) -> PyResult<usize> {
    usize::try_from(n)
        .ok()
        .and_then(|n| n.checked_mul(width))
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or_else(|| PyMemoryError::new_err(format!("{n} rows of {width} bytes")))
}

/// Fills a new buffer of `n` rows on `engine`, outside the GIL. The buffer starts as
/// untouched zero pages, so its memory is first written by the workers, in parallel.
fn rows_with<F>(py: Python<'_>, n: u64, rank: bool, engine: &Engine, fill: F) -> PyResult<Rows>
where
    F: Fn(usize, &mut [u8]) + Send + Sync,
{
    let width = RowLayout { rank }.row_bytes();
    let len = row_bytes(n, width)?;
    // A refused allocation is a MemoryError, not an abort: the size is tried first.
    Vec::<u8>::new()
        .try_reserve_exact(len)
        .map_err(|_| PyMemoryError::new_err(format!("{n} rows of {width} bytes")))?;
    let mut bytes = vec![0u8; len];
    py.detach(|| {
        engine.install(|| {
            bytes
                .par_chunks_mut(CHUNK * width)
                .enumerate()
                .for_each(|(i, out)| fill(i, out))
        })
    });
    Ok(Rows {
        bytes,
        rows: n,
        rank,
    })
}

thread_local! {
    /// Each worker's encoded chunk, reused.
    static ENCODED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Generates `first .. first + out.len() / width` with the SIMD kernel and writes their
/// `.npy` rows into `out`.
fn fill_rows(g: &Generator, seeding: Seeding, first: u64, out: &mut [u8], width: usize) {
    let Ok(ids) = id_range(first, (out.len() / width) as u64) else {
        return;
    };
    ENCODED.with_borrow_mut(|buffer| {
        let spare = std::mem::take(buffer);
        // Encoding into memory cannot fail.
        if let Ok(chunk) = EncodedChunk::encode_into(spare, g, seeding, ids, Format::Npy, 0, false)
        {
            out.copy_from_slice(&chunk.bytes);
            *buffer = chunk.bytes;
        }
    });
}

/// The `.npy` rows of the records `ids` (in that order).
fn fill_rows_for(g: &Generator, seeding: Seeding, ids: &[u64], out: &mut [u8]) {
    let mut records = Vec::with_capacity(ids.len());
    g.generate_into(seeding, ids.iter().copied(), &mut records);
    let mut bytes = Vec::with_capacity(out.len());
    records
        .iter()
        .for_each(|p| dpa::formats::npy::encode_row(p, &mut bytes));
    out.copy_from_slice(&bytes);
}

/// `.npy` rows of `first .. first + n`, computed on `threads` threads.
#[pyfunction]
#[pyo3(signature = (first, n, config, seeding, threads=None))]
pub fn rows(
    py: Python<'_>,
    first: u64,
    n: u64,
    config: Option<&Bound<'_, PyAny>>,
    seeding: PySeeding,
    threads: Option<usize>,
) -> PyResult<Rows> {
    let (seeding, g) = (seeding.0, generator(py, config)?);
    id_range(first, n).map_err(value_error)?;
    let rank = seeding.rank().is_some();
    let width = RowLayout { rank }.row_bytes();
    let engine = pool::engine(threads)?;
    rows_with(py, n, rank, &engine, |i, out| {
        fill_rows(&g, seeding, first + (i * CHUNK) as u64, out, width)
    })
}

/// `.npy` rows of the records `ids` (little-endian `u64`s), in that order.
#[pyfunction]
#[pyo3(signature = (ids, config, seeding, threads=None))]
pub fn rows_for_ids(
    py: Python<'_>,
    ids: &[u8],
    config: Option<&Bound<'_, PyAny>>,
    seeding: PySeeding,
    threads: Option<usize>,
) -> PyResult<Rows> {
    let (seeding, g) = (seeding.0, generator(py, config)?);
    if !ids.len().is_multiple_of(8) {
        return Err(value_error("ids: a whole number of 8-byte integers"));
    }
    let ids: Vec<u64> = ids
        .chunks_exact(8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
        .collect();
    let engine = pool::engine(threads)?;
    let rank = seeding.rank().is_some();
    rows_with(py, ids.len() as u64, rank, &engine, |i, out| {
        let from = i * CHUNK;
        let ids = &ids[from..(from + CHUNK).min(ids.len())];
        fill_rows_for(&g, seeding, ids, out)
    })
}

fn summaries(stats: &StatsAccumulator) -> Vec<SummaryRow> {
    let finished = stats.finish();
    Param::ALL
        .iter()
        .map(|p| {
            let s = finished.get(*p);
            (s.mean, s.stdev, s.min, s.max, s.count)
        })
        .collect()
}

/// The exact statistics of `first .. first + n` in `chunk`-sized tasks.
fn range_statistics(g: &Generator, seeding: Seeding, first: u64, n: u64) -> StatsAccumulator {
    let chunks = n.div_ceil(CHUNK as u64);
    (0..chunks)
        .into_par_iter()
        .map(|c| {
            let start = first + c * CHUNK as u64;
            let count = (n - c * CHUNK as u64).min(CHUNK as u64);
            let mut records = Vec::with_capacity(count as usize);
            g.generate_into(seeding, start..start + count, &mut records);
            let mut acc = StatsAccumulator::new();
            records.iter().for_each(|p| acc.push(p));
            acc
        })
        .reduce(StatsAccumulator::new, |mut a, b| {
            a.merge(&b);
            a
        })
}

/// Exact statistics of `first .. first + n` without keeping the records: for each
/// parameter `(mean, stdev, min, max, count)`.
#[pyfunction]
#[pyo3(signature = (first, n, config, seeding, threads=None))]
pub fn statistics(
    py: Python<'_>,
    first: u64,
    n: u64,
    config: Option<&Bound<'_, PyAny>>,
    seeding: PySeeding,
    threads: Option<usize>,
) -> PyResult<Vec<SummaryRow>> {
    let (seeding, g) = (seeding.0, generator(py, config)?);
    id_range(first, n).map_err(value_error)?;
    let engine = pool::engine(threads)?;
    let stats = py.detach(|| engine.install(|| range_statistics(&g, seeding, first, n)));
    Ok(summaries(&stats))
}

/// Exact statistics of one column of finite floats, `(mean, stdev, min, max, count)`,
/// as Python's `statistics.mean` and `statistics.stdev` round them.
#[pyfunction]
pub fn column_statistics(py: Python<'_>, column: Vec<f64>) -> SummaryRow {
    py.detach(move || {
        let mut m = Moments::new();
        column.iter().for_each(|&x| m.push(x));
        let s = m.summary();
        (s.mean, s.stdev, s.min, s.max, s.count)
    })
}
