//! Whether standard output was open when `dpa` started.
//!
//! A process started with its standard output closed (`>&-`) gets, from Rust's runtime,
//! `/dev/null` opened read-write in its place before `main` runs, and writes there
//! vanish: `dpa generate -o -` would exit 0 having written nothing anywhere. But
//! `/dev/null` opened read-write is also what Python's `subprocess.DEVNULL`, systemd and
//! many daemons hand a child on purpose. The two cannot be told apart from `main`, so
//! this probe looks before the runtime does: it runs among the executable's ELF
//! constructors (`.init_array`), which the C library calls before Rust's `main`.

use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED_AT_START: AtomicBool = AtomicBool::new(false);

/// The constructor: `/proc/self/fd/1` exists exactly when descriptor 1 is open (where
/// `/proc` is mounted; without it, standard output is taken as open).
extern "C" fn probe() {
    let proc_mounted = std::path::Path::new("/proc/self/fd").is_dir();
    let open = std::fs::symlink_metadata("/proc/self/fd/1").is_ok();
    CLOSED_AT_START.store(proc_mounted && !open, Ordering::Relaxed);
}

/// The constructor's entry. `link_section` is the one attribute here the `unsafe_code`
/// lint counts: it places a plain function pointer in `.init_array`, which the C
/// runtime calls once, with no arguments, on the main thread, before `main`; `probe`
/// takes none, returns nothing, and uses only the file system and an atomic.
#[used]
#[allow(unsafe_code)]
#[cfg_attr(target_os = "linux", link_section = ".init_array")]
static PROBE: extern "C" fn() = probe;

/// True when the process was started with its standard output closed.
pub fn closed_at_start() -> bool {
    CLOSED_AT_START.load(Ordering::Relaxed)
}
