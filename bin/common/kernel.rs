//! The kernel: `DPA_KERNEL` (the only place the environment chooses it), else the
//! fastest one the CPU supports.

use dpa::kernel::{Backend, Kernel};
use dpa::{AugmentationConfig, Generator};

use super::failure::Failure;

/// The environment variable that forces a kernel: `portable`, `avx2` or `avx512`,
/// optionally followed by `,sha-ni` or `,no-sha-ni`.
pub const VAR: &str = "DPA_KERNEL";

/// The kernel `DPA_KERNEL` names (unset or empty: detected). An unknown name, or a
/// kernel this CPU cannot run, is a usage error naming the valid values.
pub fn kernel() -> Result<Kernel, Failure> {
    let Some(value) = std::env::var_os(VAR).filter(|v| !v.is_empty()) else {
        return Ok(Kernel::detect());
    };
    let text = value
        .to_str()
        .ok_or_else(|| Failure::usage_msg(format!("{VAR}: not valid UTF-8")))?;
    let kernel: Kernel = text
        .parse()
        .map_err(|e| Failure::usage_msg(format!("{VAR}: {e}")))?;
    if !kernel.is_supported() {
        let available: Vec<&str> = Backend::available().iter().map(|b| b.name()).collect();
        return Err(Failure::usage_msg(format!(
            "{VAR}={text}: this CPU lacks the instructions it needs (backends available: {}; SHA extensions: {})",
            available.join(", "),
            if Kernel::detect().sha_ni { "yes" } else { "no" }
        )));
    }
    Ok(kernel)
}

/// A generator for `config` on the chosen kernel.
pub fn generator(config: AugmentationConfig) -> Result<Generator, Failure> {
    Ok(Generator::new(config)?.with_kernel(kernel()?))
}
