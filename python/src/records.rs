//! The reference's records as Python dicts, computed by dpa. Each `fast_*` function
//! answers `None` when its arguments are not ones dpa computes exactly as the reference
//! (an id that is not an `int` below 2^64, a config outside `config::generator`); the
//! Python layer then runs the reference's own steps, errors included.

use dpa::seeding::{to_hex, HashChain};
use dpa::{mt, Generator, Params, Seeding, MAX_DEPTH};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyList, PyString};

use crate::{config, readahead};

/// An exact `int` that fits in a `u64`.
fn id(v: &Bound<'_, PyAny>) -> Option<u64> {
    if v.is_exact_instance_of::<PyInt>() {
        v.extract().ok()
    } else {
        None
    }
}

/// `{"rotation", "brightness", "noise", "scale", "contrast", "hash"}` and, when given,
/// `"rank"` (the caller's own object, as the reference stores it).
fn record_dict<'py>(
    py: Python<'py>,
    p: &Params,
    rank: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
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
    let hash = PyString::new(py, &to_hex(&p.hash.0));
    d.set_item(pyo3::intern!(py, "hash"), hash)?;
    if let Some(rank) = rank {
        d.set_item(pyo3::intern!(py, "rank"), rank)?;
    }
    Ok(d)
}

/// `gen_augmentation_params(seed_id, config)` when dpa computes it exactly, else `None`.
#[pyfunction]
#[pyo3(signature = (seed_id, config=None))]
pub fn fast_params<'py>(
    py: Python<'py>,
    seed_id: &Bound<'py, PyAny>,
    config: Option<&Bound<'py, PyAny>>,
) -> PyResult<Option<Bound<'py, PyDict>>> {
    let Some(seed_id) = id(seed_id) else {
        return Ok(None);
    };
    let Some(g) = config::generator(py, config) else {
        return Ok(None);
    };
    record_dict(py, &readahead::params(&g, Seeding::Plain, seed_id), None).map(Some)
}

/// `gen_distributed_augmentation_params(...)` when every argument is an `int` dpa
/// takes and the checks pass, else `None`.
#[pyfunction]
pub fn fast_distributed<'py>(
    py: Python<'py>,
    sample_id: &Bound<'py, PyAny>,
    rank: &Bound<'py, PyAny>,
    config: Option<&Bound<'py, PyAny>>,
    base_seed: &Bound<'py, PyAny>,
    world_size: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyDict>>> {
    let (Some(sample_id), Some(r), Some(base_seed), Some(world)) =
        (id(sample_id), id(rank), id(base_seed), id(world_size))
    else {
        return Ok(None);
    };
    if r >= world {
        return Ok(None);
    }
    let Some(g) = config::generator(py, config) else {
        return Ok(None);
    };
    let seeding = Seeding::RankAware { base_seed, rank: r };
    record_dict(py, &readahead::params(&g, seeding, sample_id), Some(rank)).map(Some)
}

/// The records of `range(n)` with plain seeding, as a list of dicts (the GIL is
/// released while dpa computes them), or `None` when dpa does not compute this config.
#[pyfunction]
#[pyo3(signature = (n, config=None))]
pub fn fast_chain<'py>(
    py: Python<'py>,
    n: u64,
    config: Option<&Bound<'py, PyAny>>,
) -> PyResult<Option<Bound<'py, PyList>>> {
    let Some(g) = config::generator(py, config) else {
        return Ok(None);
    };
    let records = py.detach(|| compute(&g, n));
    let list = PyList::empty(py);
    for p in &records {
        list.append(record_dict(py, p, None)?)?;
    }
    Ok(Some(list))
}

fn compute(g: &Generator, n: u64) -> Vec<Params> {
    let mut out = Vec::new();
    g.generate_into(Seeding::Plain, 0..n, &mut out);
    out
}

/// The hash chain's final digest, in hex, for any seed text and a depth of at most
/// dpa's `MAX_DEPTH`: `gen_augmentation_seed` of the text's id.
#[pyfunction]
pub fn chain_hex(py: Python<'_>, text: &[u8], depth: u32) -> PyResult<String> {
    if !(1..=MAX_DEPTH).contains(&depth) {
        return Err(PyValueError::new_err(format!(
            "depth {depth} is outside 1..={MAX_DEPTH}"
        )));
    }
    let text = text.to_vec();
    Ok(py.detach(move || to_hex(&HashChain::new(depth).digest(&text))))
}

/// The five values drawn after `random.seed(seed)` for `config`, or `None` when dpa
/// does not compute this config.
#[pyfunction]
pub fn fast_values(
    py: Python<'_>,
    seed: u32,
    config: Option<&Bound<'_, PyAny>>,
) -> Option<[f64; 5]> {
    let g = config::generator(py, config)?;
    let u = mt::draw_uniform5(seed);
    let ranges = g.config().ranges();
    Some(std::array::from_fn(|i| ranges[i].map(u[i])))
}
