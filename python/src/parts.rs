//! Exact statistics in parts: the accumulator of a range as bytes, and parts merged
//! into the statistics of their union, bit for bit those of one pass over it (dpa's
//! `StatsAccumulator`: exact sums, merged in any order).

use dpa::StatsAccumulator;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::arrays::{self, PySeeding, SummaryRow};

/// The statistics accumulator of the ids `range` = `(first, n)`, as bytes.
#[pyfunction]
#[pyo3(signature = (range, config, seeding, threads=None))]
pub fn statistics_state<'py>(
    py: Python<'py>,
    range: (u64, u64),
    config: Option<&Bound<'py, PyAny>>,
    seeding: PySeeding,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyBytes>> {
    let state = arrays::accumulate(py, range, config, seeding, threads)?;
    Ok(PyBytes::new(py, &state.to_bytes()))
}

/// An accumulator from its bytes; `ValueError` naming `parts[index]` unless they are
/// one of dpa's.
fn read(index: usize, bytes: &[u8]) -> PyResult<StatsAccumulator> {
    StatsAccumulator::from_bytes(bytes).ok_or_else(|| {
        PyValueError::new_err(format!(
            "parts[{index}]: not the state of a dpa statistics part ({} bytes)",
            bytes.len()
        ))
    })
}

/// The parts' accumulators merged, as bytes; `ValueError` if any is not one of dpa's or
/// the merged count would pass 2**64 - 1.
#[pyfunction]
pub fn merge_states<'py>(
    py: Python<'py>,
    parts: Vec<Bound<'py, PyBytes>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let mut all = StatsAccumulator::new();
    for (i, bytes) in parts.iter().enumerate() {
        all.checked_merge(&read(i, bytes.as_bytes())?)
            .ok_or_else(|| {
                PyValueError::new_err(format!("parts[{i}]: the merged count passes 2**64 - 1"))
            })?;
    }
    Ok(PyBytes::new(py, &all.to_bytes()))
}

/// The statistics of an accumulator's bytes: per parameter `(mean, stdev, min, max,
/// count)`.
#[pyfunction]
pub fn state_summaries(state: &[u8]) -> PyResult<Vec<SummaryRow>> {
    Ok(arrays::summaries(&read(0, state)?))
}
