//! Whole ranges as NumPy structured arrays (the rows of dpa's `.npy` files) and their
//! exact statistics, computed by dpa's SIMD kernel on a thread pool with the GIL
//! released.

use std::sync::Arc;

use dpa::formats::npy::RowLayout;
use dpa::write::{ChunkSink, EncodedChunk, Pipeline};
use dpa::{id_range, Format, Generator, Moments, Param, Seeding, StatsAccumulator};
use pyo3::exceptions::{PyMemoryError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rayon::prelude::*;

use crate::{config, pool};

/// Ids generated and encoded per task of an array.
const CHUNK: usize = 4096;

/// Per parameter: `(mean, stdev, min, max, count)`.
pub type SummaryRow = (f64, f64, f64, f64, u64);

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

impl From<PySeeding> for Seeding {
    fn from(s: PySeeding) -> Seeding {
        s.0
    }
}

/// dpa's generator for `config`, or `ValueError` saying why dpa cannot compute it.
pub fn generator(py: Python<'_>, config: Option<&Bound<'_, PyAny>>) -> PyResult<Arc<Generator>> {
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

/// A zeroed buffer of `n` rows of `width` bytes; `MemoryError` when it cannot be had
/// (the size is tried first, so a refusal is an exception, not an abort).
fn zeroed_rows(n: u64, width: usize) -> PyResult<Vec<u8>> {
    let len = row_bytes(n, width)?;
    Vec::<u8>::new()
        .try_reserve_exact(len)
        .map_err(|_| PyMemoryError::new_err(format!("{n} rows of {width} bytes")))?;
    Ok(vec![0u8; len])
}

/// An array's buffer as the pipeline's sink: each chunk's rows copied after the last.
struct BufferSink<'a> {
    out: &'a mut [u8],
    at: usize,
}

impl ChunkSink for BufferSink<'_> {
    fn append(&mut self, chunk: &EncodedChunk) -> Result<(), dpa::Error> {
        let end = self.at + chunk.bytes.len();
        let Some(slot) = self.out.get_mut(self.at..end) else {
            return Err(dpa::Error::io(
                self.name(),
                std::io::Error::other("more rows than the array holds"),
            ));
        };
        slot.copy_from_slice(&chunk.bytes);
        self.at = end;
        Ok(())
    }

    fn name(&self) -> &std::path::Path {
        std::path::Path::new("<array>")
    }
}

/// Statistics only: the pipeline's chunks summed, their bytes dropped.
struct StatsSink(StatsAccumulator);

impl ChunkSink for StatsSink {
    fn append(&mut self, chunk: &EncodedChunk) -> Result<(), dpa::Error> {
        if let Some(s) = &chunk.stats {
            self.0.merge(s);
        }
        Ok(())
    }

    fn name(&self) -> &std::path::Path {
        std::path::Path::new("<statistics>")
    }
}

/// The pipeline for `first .. first + n` in `.npy` rows, run outside the GIL.
fn run_pipeline(
    py: Python<'_>,
    (g, seeding): (&Arc<Generator>, Seeding),
    (first, n): (u64, u64),
    (threads, statistics): (Option<usize>, bool),
    sink: &mut (dyn ChunkSink + Send),
) -> PyResult<()> {
    let ids = id_range(first, n).map_err(value_error)?;
    let engine = pool::engine(threads)?;
    let run = Pipeline {
        engine: &engine,
        generator: g,
        seeding,
        ids,
        format: Format::Npy,
        position: 0,
        statistics,
        batch_size: CHUNK,
    };
    py.detach(|| run.run(sink, &mut |_| {}))
        .map_err(value_error)
        .map(|_| ())
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

/// `.npy` rows of `first .. first + n`, computed on `threads` threads by the one
/// pipeline, into a buffer lent to NumPy.
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
    let mut bytes = zeroed_rows(n, RowLayout { rank }.row_bytes())?;
    let mut sink = BufferSink {
        out: &mut bytes,
        at: 0,
    };
    run_pipeline(py, (&g, seeding), (first, n), (threads, false), &mut sink)?;
    Ok(Rows {
        bytes,
        rows: n,
        rank,
    })
}

/// `.npy` rows of the records `ids` (little-endian `u64`s), in that order. Any ids,
/// not a range: each task generates its slice of them straight into its slice of the
/// buffer, on `threads` threads.
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
    let ids = ids_from_le_bytes(ids)?;
    let engine = pool::engine(threads)?;
    let rank = seeding.rank().is_some();
    let width = RowLayout { rank }.row_bytes();
    let mut bytes = zeroed_rows(ids.len() as u64, width)?;
    py.detach(|| {
        engine.install(|| {
            bytes
                .par_chunks_mut(CHUNK * width)
                .zip(ids.par_chunks(CHUNK))
                .for_each(|(out, ids)| fill_rows_for(&g, seeding, ids, out))
        })
    });
    Ok(Rows {
        bytes,
        rows: ids.len() as u64,
        rank,
    })
}

/// Ids given as little-endian `u64`s; `ValueError` unless a whole number of them.
pub fn ids_from_le_bytes(ids: &[u8]) -> PyResult<Vec<u64>> {
    if !ids.len().is_multiple_of(8) {
        return Err(value_error("ids: a whole number of 8-byte integers"));
    }
    Ok(ids
        .chunks_exact(8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
        .collect())
}

pub fn summaries(stats: &StatsAccumulator) -> Vec<SummaryRow> {
    let finished = stats.finish();
    Param::ALL
        .iter()
        .map(|p| {
            let s = finished.get(*p);
            (s.mean, s.stdev, s.min, s.max, s.count)
        })
        .collect()
}

/// Exact statistics of the ids `range` = `(first, n)`, `first .. first + n`, without
/// keeping the records (the
/// pipeline's chunks summed): for each parameter `(mean, stdev, min, max, count)`.
#[pyfunction]
#[pyo3(signature = (range, config, seeding, threads=None))]
pub fn statistics(
    py: Python<'_>,
    range: (u64, u64),
    config: Option<&Bound<'_, PyAny>>,
    seeding: PySeeding,
    threads: Option<usize>,
) -> PyResult<Vec<SummaryRow>> {
    Ok(summaries(&accumulate(py, range, config, seeding, threads)?))
}

/// The exact statistics accumulator of the ids `range` = `(first, n)`.
pub fn accumulate(
    py: Python<'_>,
    range: (u64, u64),
    config: Option<&Bound<'_, PyAny>>,
    seeding: PySeeding,
    threads: Option<usize>,
) -> PyResult<StatsAccumulator> {
    let (first, n) = range;
    let (seeding, g) = (seeding.0, generator(py, config)?);
    let mut sink = StatsSink(StatsAccumulator::new());
    run_pipeline(py, (&g, seeding), (first, n), (threads, true), &mut sink)?;
    Ok(sink.0)
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
