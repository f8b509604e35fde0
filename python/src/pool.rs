//! Thread pools for the array functions, safe across `fork`.
//!
//! A rayon pool's threads do not survive `fork`: a child that used the parent's pool
//! would wait forever for workers that do not exist. Pools are therefore kept per
//! process: each records the pid that built it, and the Python layer also calls
//! [`forget`] in a child right after `fork` (`os.register_at_fork`). A pool left behind
//! by a parent is leaked, never dropped: dropping it would signal threads this process
//! does not have.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use dpa::{Engine, EngineConfig};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// The pools of this process, by thread count (`None`: one per core).
struct Pools {
    pid: u32,
    engines: HashMap<Option<usize>, Arc<Engine>>,
}

fn pools() -> &'static Mutex<Pools> {
    static POOLS: OnceLock<Mutex<Pools>> = OnceLock::new();
    POOLS.get_or_init(|| {
        Mutex::new(Pools {
            pid: std::process::id(),
            engines: HashMap::new(),
        })
    })
}

/// Drops (leaks) every pool when this process is not the one that built them.
fn renew(p: &mut Pools) {
    let pid = std::process::id();
    if p.pid != pid {
        std::mem::forget(std::mem::take(&mut p.engines));
        p.pid = pid;
    }
}

/// The pool of `threads` threads of this process, built on first use. The lock is
/// only taken with the GIL held and never held across a release of it, so `fork`
/// (which runs with the GIL held) cannot copy it locked.
pub fn engine(threads: Option<usize>) -> PyResult<Arc<Engine>> {
    let mut p = pools().lock().unwrap_or_else(|e| e.into_inner());
    renew(&mut p);
    if let Some(e) = p.engines.get(&threads) {
        return Ok(e.clone());
    }
    let config = EngineConfig {
        threads,
        ..Default::default()
    };
    let engine = Arc::new(Engine::new(config).map_err(|e| PyValueError::new_err(e.to_string()))?);
    p.engines.insert(threads, engine.clone());
    Ok(engine)
}

/// Forgets the parent's pools in a child just forked (`os.register_at_fork`).
#[pyfunction]
pub fn forget_pools() {
    let mut p = pools().lock().unwrap_or_else(|e| e.into_inner());
    std::mem::forget(std::mem::take(&mut p.engines));
    p.pid = std::process::id();
}
