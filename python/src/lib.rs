//! `dpa_rs._native`: the `dpa` library, reached from Python. Conversions only: every
//! value comes from the `dpa` crate (its SIMD kernel, its exact statistics, its `.npy`
//! row encoding); the pure-Python layer (`dpa_rs/__init__.py`) gives it the
//! reference's names and shapes.
#![deny(unsafe_code)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use dpa::formats::npy::RowLayout;
use dpa::write::EncodedChunk;
use dpa::{
    id_range, AugmentationConfig, Engine, EngineConfig, Format, Generator, Moments, Param,
    ParamRange, Params, Seeding, StatsAccumulator, Summary,
};
use pyo3::exceptions::{PyMemoryError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rayon::prelude::*;

/// Ids generated and encoded per task of an array.
const CHUNK: usize = 4096;

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A validated config and its generator (its Fibonacci strings computed once).
#[pyclass(frozen, module = "dpa_rs._native")]
struct Config {
    generator: Arc<Generator>,
}

/// How records are seeded: plain, rank-aware or seed + epoch (`dpa::Seeding`).
#[pyclass(frozen, from_py_object, name = "Seeding", module = "dpa_rs._native")]
#[derive(Debug, Clone, Copy)]
struct PySeeding(Seeding);

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

/// Per parameter: `(mean, stdev, min, max, count)`.
type SummaryRow = (f64, f64, f64, f64, u64);

/// A preset: `(name, ranges, depth)`.
type PresetRow = (&'static str, [(f64, f64); 5], u32);

/// One engine (rayon pool) for each thread count asked for, kept for the next call.
fn engine(threads: Option<usize>) -> PyResult<Arc<Engine>> {
    static ENGINES: OnceLock<Mutex<HashMap<Option<usize>, Arc<Engine>>>> = OnceLock::new();
    let engines = ENGINES.get_or_init(Default::default);
    let mut engines = engines.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(e) = engines.get(&threads) {
        return Ok(e.clone());
    }
    let engine = Arc::new(
        Engine::new(EngineConfig {
            threads,
            ..Default::default()
        })
        .map_err(value_error)?,
    );
    engines.insert(threads, engine.clone());
    Ok(engine)
}

/// The reference's record: `rotation`, `brightness`, `noise`, `scale`, `contrast`,
/// `hash`, then `rank` when rank-aware.
fn record_dict<'py>(py: Python<'py>, p: &Params) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let keys = [
        pyo3::intern!(py, "rotation"),
        pyo3::intern!(py, "brightness"),
        pyo3::intern!(py, "noise"),
        pyo3::intern!(py, "scale"),
        pyo3::intern!(py, "contrast"),
    ];
    for (key, v) in keys.into_iter().zip(p.values()) {
        d.set_item(key, v)?;
    }
    d.set_item(pyo3::intern!(py, "hash"), p.hash.to_string())?;
    if let Some(rank) = p.rank {
        d.set_item(pyo3::intern!(py, "rank"), rank)?;
    }
    Ok(d)
}

/// Bytes of `n` rows of `width`, allocated by Python (a `bytearray` NumPy views without
/// a copy); an error when they cannot be addressed.
fn row_bytes(n: u64, width: usize) -> PyResult<usize> {
    usize::try_from(n)
        .ok()
        .and_then(|n| n.checked_mul(width))
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or_else(|| PyMemoryError::new_err(format!("{n} rows of {width} bytes")))
}

/// `.npy` rows that dpa computed, owned here and lent to NumPy without a copy: NumPy
/// reads them through `__array_interface__` (read-only) and keeps this object alive as
/// its array's base. The bytes are never changed after they are written.
#[pyclass(frozen, module = "dpa_rs._native")]
struct Rows {
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
        let width = RowLayout { rank: self.rank }.row_bytes();
        d.set_item("version", 3)?;
        d.set_item("shape", (self.rows,))?;
        d.set_item("typestr", format!("|V{width}"))?;
        d.set_item("descr", RowLayout { rank: self.rank }.fields())?;
        // The address as a number is what the interface asks for; NumPy reads the
        // bytes while it holds this object, and never writes them (read-only).
        d.set_item("data", (self.bytes.as_ptr() as usize, true))?;
        Ok(d)
    }
}

/// Fills a new buffer of `n` rows of `width` bytes on `engine`, outside the GIL. The
/// buffer starts as untouched zero pages, so its memory is first written by the
/// workers, in parallel.
fn rows_with<F>(py: Python<'_>, n: u64, rank: bool, engine: &Engine, fill: F) -> PyResult<Rows>
where
    F: Fn(usize, &mut [u8]) + Send + Sync,
{
    let width = RowLayout { rank }.row_bytes();
    let len = row_bytes(n, width)?;
    // Refused allocations are a MemoryError, not an abort: the size is tried first.
    // Then `vec!` asks for zeroed memory, which the system gives as untouched pages.
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
    let count = (out.len() / width) as u64;
    let Ok(ids) = id_range(first, count) else {
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

fn summaries(stats: &StatsAccumulator) -> Vec<SummaryRow> {
    let finished = stats.finish();
    Param::ALL
        .iter()
        .map(|p| {
            let s: &Summary = finished.get(*p);
            (s.mean, s.stdev, s.min, s.max, s.count)
        })
        .collect()
}

#[pymethods]
impl Config {
    /// Checks a config (`ranges` in the order rotation, brightness, noise, scale,
    /// contrast) as dpa does; `ValueError` with dpa's message when it is refused.
    #[new]
    fn new(ranges: [(f64, f64); 5], depth: u32) -> PyResult<Self> {
        let r = ranges.map(|(lo, hi)| ParamRange::new(lo, hi));
        let config = AugmentationConfig {
            rotation_range: r[0],
            brightness_range: r[1],
            noise_range: r[2],
            scale_range: r[3],
            contrast_range: r[4],
            augmentation_depth: depth,
        };
        let generator = Generator::new(config).map_err(value_error)?;
        Ok(Config {
            generator: Arc::new(generator),
        })
    }

    /// One plainly seeded record as the reference's dict (the fast path of
    /// `gen_augmentation_params`).
    fn plain<'py>(&self, py: Python<'py>, sample_id: u64) -> PyResult<Bound<'py, PyDict>> {
        record_dict(py, &self.generator.params(sample_id))
    }

    /// One record as the reference's dict.
    fn params<'py>(
        &self,
        py: Python<'py>,
        sample_id: u64,
        seeding: PySeeding,
    ) -> PyResult<Bound<'py, PyDict>> {
        record_dict(py, &self.generator.generate(seeding.0, sample_id))
    }

    /// The records of `first .. first + n`, as dicts, in order (one block of a stream).
    fn block<'py>(
        &self,
        py: Python<'py>,
        first: u64,
        n: u64,
        seeding: PySeeding,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let seeding = seeding.0;
        let ids = id_range(first, n).map_err(value_error)?;
        let g = self.generator.clone();
        let records = py.detach(move || {
            let mut out = Vec::new();
            g.generate_into(seeding, ids, &mut out);
            out
        });
        records.iter().map(|p| record_dict(py, p)).collect()
    }

    /// The final digest of the hash chain (hex) for a seed string's id: the reference's
    /// `gen_augmentation_seed` (plain) and `RankAwareSeedGenerator.generate_seed`.
    fn digest(&self, sample_id: u64, seeding: PySeeding) -> String {
        self.generator
            .generate(seeding.0, sample_id)
            .hash
            .to_string()
    }

    /// `.npy` rows of `first .. first + n`, computed on `threads` threads with the GIL
    /// released.
    #[pyo3(signature = (first, n, seeding, threads=None))]
    fn rows(
        &self,
        py: Python<'_>,
        first: u64,
        n: u64,
        seeding: PySeeding,
        threads: Option<usize>,
    ) -> PyResult<Rows> {
        let seeding = seeding.0;
        id_range(first, n).map_err(value_error)?;
        let rank = seeding.rank().is_some();
        let width = RowLayout { rank }.row_bytes();
        let (engine, g) = (engine(threads)?, self.generator.clone());
        rows_with(py, n, rank, &engine, |i, out| {
            fill_rows(&g, seeding, first + (i * CHUNK) as u64, out, width)
        })
    }

    /// `.npy` rows of the records `ids` (little-endian `u64`s), in that order.
    #[pyo3(signature = (ids, seeding, threads=None))]
    fn rows_for_ids(
        &self,
        py: Python<'_>,
        ids: &[u8],
        seeding: PySeeding,
        threads: Option<usize>,
    ) -> PyResult<Rows> {
        let seeding = seeding.0;
        if !ids.len().is_multiple_of(8) {
            return Err(value_error("ids: a whole number of 8-byte integers"));
        }
        let ids: Vec<u64> = ids
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
            .collect();
        let (engine, g) = (engine(threads)?, self.generator.clone());
        rows_with(
            py,
            ids.len() as u64,
            seeding.rank().is_some(),
            &engine,
            |i, out| {
                let from = i * CHUNK;
                let ids = &ids[from..(from + CHUNK).min(ids.len())];
                fill_rows_for(&g, seeding, ids, out)
            },
        )
    }

    /// Exact statistics of `first .. first + n` without keeping the records: for each
    /// parameter `(mean, stdev, min, max, count)`.
    #[pyo3(signature = (first, n, seeding, threads=None))]
    fn statistics(
        &self,
        py: Python<'_>,
        first: u64,
        n: u64,
        seeding: PySeeding,
        threads: Option<usize>,
    ) -> PyResult<Vec<SummaryRow>> {
        let seeding = seeding.0;
        id_range(first, n).map_err(value_error)?;
        let (engine, g) = (engine(threads)?, self.generator.clone());
        let stats = py.detach(move || {
            let chunks = n.div_ceil(CHUNK as u64);
            engine.install(|| {
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
            })
        });
        Ok(summaries(&stats))
    }
}

/// `fib(n)` as decimal digits (exact: Python turns them into an `int`).
#[pyfunction]
fn fib(n: usize) -> PyResult<String> {
    if n > 100_000 {
        return Err(value_error(format!("fib({n}): n is at most 100000")));
    }
    Ok(dpa::fib::fibonacci_decimal(n + 1).pop().unwrap_or_default())
}

/// Exact statistics of five columns of floats: for each `(mean, stdev, min, max,
/// count)`, as Python's `statistics` module rounds them.
#[pyfunction]
fn column_statistics(py: Python<'_>, columns: [Vec<f64>; 5]) -> Vec<SummaryRow> {
    py.detach(move || {
        columns
            .iter()
            .map(|c| {
                let mut m = Moments::new();
                c.iter().for_each(|&x| m.push(x));
                let s = m.summary();
                (s.mean, s.stdev, s.min, s.max, s.count)
            })
            .collect()
    })
}

/// The reference's range of `rank` of `world_size` over `total` samples.
#[pyfunction]
fn split_range(total: u64, world_size: u64, rank: u64) -> PyResult<(u64, u64)> {
    let r = dpa::split_range(total, world_size, rank).map_err(value_error)?;
    Ok((r.start, r.end))
}

/// The rank whose range holds `sample_id`, if any.
#[pyfunction]
fn rank_for_sample(total: u64, world_size: u64, sample_id: u64) -> PyResult<Option<u64>> {
    dpa::rank_for_sample(total, world_size, sample_id).map_err(value_error)
}

/// The columns of a `.npy` row: `(name, NumPy type string)` pairs, with or without the
/// `rank` column.
#[pyfunction]
fn row_fields(rank: bool) -> Vec<(&'static str, &'static str)> {
    RowLayout { rank }.fields()
}

/// The presets: `(name, ranges, depth)` in the order rotation, brightness, noise,
/// scale, contrast.
#[pyfunction]
fn presets() -> Vec<PresetRow> {
    dpa::Preset::ALL
        .iter()
        .map(|p| {
            let c = p.config();
            (
                p.name(),
                c.ranges().map(|r| (r.lo, r.hi)),
                c.augmentation_depth,
            )
        })
        .collect()
}

/// The module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Config>()?;
    m.add_class::<Rows>()?;
    m.add_class::<PySeeding>()?;
    m.add_function(wrap_pyfunction!(fib, m)?)?;
    m.add_function(wrap_pyfunction!(column_statistics, m)?)?;
    m.add_function(wrap_pyfunction!(split_range, m)?)?;
    m.add_function(wrap_pyfunction!(rank_for_sample, m)?)?;
    m.add_function(wrap_pyfunction!(row_fields, m)?)?;
    m.add_function(wrap_pyfunction!(presets, m)?)?;
    m.add("MAX_DEPTH", dpa::MAX_DEPTH)?;
    Ok(())
}
