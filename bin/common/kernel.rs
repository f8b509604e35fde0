//! The kernel backend: `DPA_KERNEL` (the only place the environment chooses it), else
//! the fastest one the CPU supports.

use dpa::kernel::Backend;
use dpa::{AugmentationConfig, Generator};

use super::failure::Failure;

/// The environment variable that forces a kernel backend.
pub const VAR: &str = "DPA_KERNEL";

/// The backend `DPA_KERNEL` names (unset or empty: detected). An unknown name, or one
/// this CPU cannot run, is a usage error naming the valid values.
pub fn backend() -> Result<Backend, Failure> {
    let Some(value) = std::env::var_os(VAR).filter(|v| !v.is_empty()) else {
        return Ok(Backend::detect());
    };
    let text = value
        .to_str()
        .ok_or_else(|| Failure::usage_msg(format!("{VAR}: not valid UTF-8")))?;
    let backend: Backend = text
        .parse()
        .map_err(|e| Failure::usage_msg(format!("{VAR}: {e}")))?;
    if !backend.is_supported() {
        let available: Vec<&str> = Backend::available().iter().map(|b| b.name()).collect();
        return Err(Failure::usage_msg(format!(
            "{VAR}={backend}: this CPU lacks the instructions it needs (available: {})",
            available.join(", ")
        )));
    }
    Ok(backend)
}

/// A generator for `config` on the chosen backend.
pub fn generator(config: AugmentationConfig) -> Result<Generator, Failure> {
    Ok(Generator::new(config)?.with_backend(backend()?))
}
