//! `dpa_rs._native`: the `dpa` library, reached from Python. Conversions only: every
//! value comes from the `dpa` crate (its hash chain and Mersenne Twister, its SIMD
//! kernel, its exact statistics, its `.npy` row encoding); the pure-Python layer
//! (`dpa_rs/dpa.py`, `dpa_rs/distributed.py`) gives it the reference's names, checks,
//! messages and effects, and computes by the reference's own steps whatever falls
//! outside what dpa computes exactly.
#![deny(unsafe_code)]

mod arrays;
mod config;
mod parts;
mod pool;
mod readahead;
mod records;
mod tables;

use dpa::formats::npy::RowLayout;
use pyo3::prelude::*;

/// The columns of a `.npy` row: `(name, NumPy type string)` pairs, with or without the
/// `rank` column.
#[pyfunction]
fn row_fields(rank: bool) -> Vec<(&'static str, &'static str)> {
    RowLayout { rank }.fields()
}

/// A preset: `(name, ranges, depth)`.
type PresetRow = (&'static str, [(f64, f64); 5], u32);

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
    m.add_class::<arrays::Rows>()?;
    m.add_class::<arrays::PySeeding>()?;
    m.add_function(wrap_pyfunction!(records::fast_params, m)?)?;
    m.add_function(wrap_pyfunction!(records::fast_distributed, m)?)?;
    m.add_function(wrap_pyfunction!(records::fast_chain, m)?)?;
    m.add_function(wrap_pyfunction!(records::fast_values, m)?)?;
    m.add_function(wrap_pyfunction!(records::chain_hex, m)?)?;
    m.add_function(wrap_pyfunction!(arrays::rows, m)?)?;
    m.add_function(wrap_pyfunction!(arrays::rows_for_ids, m)?)?;
    m.add_function(wrap_pyfunction!(arrays::statistics, m)?)?;
    m.add_function(wrap_pyfunction!(parts::statistics_state, m)?)?;
    m.add_function(wrap_pyfunction!(parts::merge_states, m)?)?;
    m.add_function(wrap_pyfunction!(parts::state_summaries, m)?)?;
    m.add_class::<tables::Table>()?;
    m.add_function(wrap_pyfunction!(tables::table_rows, m)?)?;
    m.add_function(wrap_pyfunction!(tables::table_for_ids, m)?)?;
    m.add_function(wrap_pyfunction!(arrays::column_statistics, m)?)?;
    m.add_function(wrap_pyfunction!(pool::forget_pools, m)?)?;
    m.add_function(wrap_pyfunction!(row_fields, m)?)?;
    m.add_function(wrap_pyfunction!(presets, m)?)?;
    m.add("MAX_DEPTH", dpa::MAX_DEPTH)?;
    // The workspace's one version: the crates', the command lines', the distribution's.
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("FAST_MAX_DEPTH", config::FAST_MAX_DEPTH)?;
    Ok(())
}
