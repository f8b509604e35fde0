//! Configs read from Python objects, the way the reference reads them: the attributes
//! `rotation_range` .. `contrast_range` and `augmentation_depth` of whatever object is
//! passed. dpa computes a config only when its arithmetic is Python's to the bit:
//! bounds that are exact `float`s or `int`s of at most 2^53 in magnitude (so that
//! `lo + (hi - lo) * r` rounds as Python's `random.uniform` does), a depth dpa's
//! precomputed chain covers, and `lo < hi`. Anything else is left to the Python layer,
//! which runs the reference's own arithmetic.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use dpa::{AugmentationConfig, Generator, Param, ParamRange, Preset};
use pyo3::prelude::*;
use pyo3::types::{PyFloat, PyInt, PyList, PyTuple};

/// The deepest chain taken here. `str(fib(i))` of every step stays under 640 digits,
/// the lowest limit Python's `sys.set_int_max_str_digits` allows, so no step can raise
/// where the reference's would; deeper configs go through the Python layer.
pub const FAST_MAX_DEPTH: u32 = 3000;

/// Integers converted to `f64` exactly, and whose differences round as Python's do.
const EXACT_INT: u64 = 1 << 53;

/// A config's value: the bits of its ten bounds and its depth.
type Key = ([u64; 10], u32);

/// Configs seen by this thread, at most this many.
const CACHE_LIMIT: usize = 64;

thread_local! {
    static GENERATORS: RefCell<HashMap<Key, Arc<Generator>>> = RefCell::new(HashMap::new());
}

/// One bound, when dpa maps it exactly as Python does.
fn bound(v: &Bound<'_, PyAny>) -> Option<f64> {
    if v.is_exact_instance_of::<PyFloat>() {
        return v.extract::<f64>().ok();
    }
    if v.is_exact_instance_of::<PyInt>() {
        let i: i64 = v.extract().ok()?;
        return (i.unsigned_abs() <= EXACT_INT).then_some(i as f64);
    }
    None
}

/// A `(low, high)` pair given as a tuple or a list of two exact numbers.
fn pair(v: &Bound<'_, PyAny>) -> Option<(f64, f64)> {
    if let Ok(t) = v.cast_exact::<PyTuple>() {
        if t.len() == 2 {
            return Some((bound(&t.get_item(0).ok()?)?, bound(&t.get_item(1).ok()?)?));
        }
    } else if let Ok(l) = v.cast_exact::<PyList>() {
        if l.len() == 2 {
            return Some((bound(&l.get_item(0).ok()?)?, bound(&l.get_item(1).ok()?)?));
        }
    }
    None
}

/// The config's value, when dpa computes it exactly; `None` for anything else
/// (missing attributes included: the Python layer raises the reference's error).
fn key_of(py: Python<'_>, config: &Bound<'_, PyAny>) -> Option<Key> {
    let names = [
        pyo3::intern!(py, "rotation_range"),
        pyo3::intern!(py, "brightness_range"),
        pyo3::intern!(py, "noise_range"),
        pyo3::intern!(py, "scale_range"),
        pyo3::intern!(py, "contrast_range"),
    ];
    let depth = config
        .getattr(pyo3::intern!(py, "augmentation_depth"))
        .ok()?;
    if !depth.is_exact_instance_of::<PyInt>() {
        return None;
    }
    let depth: u32 = depth.extract().ok()?;
    if !(1..=FAST_MAX_DEPTH).contains(&depth) {
        return None;
    }
    let mut bits = [0u64; 10];
    for (i, name) in names.into_iter().enumerate() {
        let (lo, hi) = pair(&config.getattr(name).ok()?)?;
        bits[2 * i] = lo.to_bits();
        bits[2 * i + 1] = hi.to_bits();
    }
    Some((bits, depth))
}

/// dpa's generator for a key, built once per thread; `None` when dpa refuses the
/// config (a reversed or non-finite range), which the Python layer then computes.
fn generator_for(key: Key) -> Option<Arc<Generator>> {
    GENERATORS.with_borrow_mut(|cache| {
        if let Some(g) = cache.get(&key) {
            return Some(g.clone());
        }
        let (bits, depth) = key;
        let mut config = AugmentationConfig {
            augmentation_depth: depth,
            ..AugmentationConfig::default()
        };
        for (i, p) in Param::ALL.into_iter().enumerate() {
            *config.range_mut(p) =
                ParamRange::new(f64::from_bits(bits[2 * i]), f64::from_bits(bits[2 * i + 1]));
        }
        let g = Arc::new(Generator::new(config).ok()?);
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, g.clone());
        Some(g)
    })
}

/// dpa's generator for a Python config (`None`: the reference's default config), or
/// `None` when the Python layer must compute it.
pub fn generator(py: Python<'_>, config: Option<&Bound<'_, PyAny>>) -> Option<Arc<Generator>> {
    match config {
        Some(c) if !c.is_none() => generator_for(key_of(py, c)?),
        _ => generator_for(default_key()),
    }
}

/// The reference's `AugmentationConfig()`: the moderate preset at depth 10.
fn default_key() -> Key {
    let config = Preset::Moderate.config();
    let mut bits = [0u64; 10];
    for (i, r) in config.ranges().iter().enumerate() {
        bits[2 * i] = r.lo.to_bits();
        bits[2 * i + 1] = r.hi.to_bits();
    }
    (bits, config.augmentation_depth)
}
