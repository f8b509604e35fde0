//! Whether standard output could take dpa's bytes when dpa started.
//!
//! A process started with its standard output closed (`>&-`) gets, from Rust's runtime,
//! `/dev/null` opened read-write in its place before `main` runs, and writes there
//! vanish: `dpa generate -o -` would exit 0 having written nothing anywhere. But
//! `/dev/null` opened read-write is also what Python's `subprocess.DEVNULL`, systemd and
//! many daemons hand a child on purpose. The two cannot be told apart from `main`, so
//! this probe looks before the runtime does: it runs among the executable's ELF
//! constructors (`.init_array`), which the C library calls before Rust's `main`.
//!
//! It also sees a descriptor 1 that is open but not for writing (`1</etc/hostname`,
//! `1</tmp`): Rust's standard output counts a write there, which fails with `EBADF`,
//! as done, so dpa's bytes would vanish with exit 0 again.

use std::sync::atomic::{AtomicU8, Ordering};

/// What descriptor 1 was at start: open for writing, closed, or open for reading only.
static STATE: AtomicU8 = AtomicU8::new(WRITABLE);
const WRITABLE: u8 = 0;
const CLOSED: u8 = 1;
const READ_ONLY: u8 = 2;

/// The constructor: `/proc/self/fd/1` exists exactly when descriptor 1 is open, and
/// `/proc/self/fdinfo/1` gives its `flags` (octal; the access mode is the low two bits,
/// 0 for read-only). Where `/proc` is not mounted, standard output is taken as usable.
extern "C" fn probe() {
    if !std::path::Path::new("/proc/self/fd").is_dir() {
        return;
    }
    let state = match std::fs::read_to_string("/proc/self/fdinfo/1") {
        Err(_) if std::fs::symlink_metadata("/proc/self/fd/1").is_err() => CLOSED,
        Err(_) => WRITABLE,
        Ok(info) => match access_mode(&info) {
            Some(0) => READ_ONLY,
            _ => WRITABLE,
        },
    };
    STATE.store(state, Ordering::Relaxed);
}

/// The access mode (`flags & 3`) in the text of a `/proc/self/fdinfo` entry.
fn access_mode(info: &str) -> Option<u32> {
    let flags = info.lines().find_map(|l| l.strip_prefix("flags:"))?;
    u32::from_str_radix(flags.trim(), 8).ok().map(|f| f & 3)
}

/// The constructor's entry. `link_section` is the one attribute here the `unsafe_code`
/// lint counts: it places a plain function pointer in `.init_array`, which the C
/// runtime calls once, with no arguments, on the main thread, before `main`; `probe`
/// takes none, returns nothing, and uses only the file system and an atomic.
#[used]
#[allow(unsafe_code)]
#[cfg_attr(target_os = "linux", link_section = ".init_array")]
static PROBE: extern "C" fn() = probe;

/// Why standard output cannot take dpa's bytes, if it cannot: closed, or open for
/// reading only, when dpa started.
pub fn unusable() -> Option<std::io::Error> {
    let why = match STATE.load(Ordering::Relaxed) {
        CLOSED => "standard output is closed: nowhere to write (use -o FILE)",
        READ_ONLY => {
            "standard output is open for reading only: nothing can be written to it (use -o FILE)"
        }
        _ => return None,
    };
    Some(std::io::Error::other(why))
}

/// True for a path that names this process's standard output: `-`, `/dev/stdout`,
/// `/dev/fd/1` or `/proc/self/fd/1`. dpa writes these as standard output, checked by
/// [`unusable`], never as a file to put in place.
pub fn names_stdout(path: &std::path::Path) -> bool {
    ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"]
        .iter()
        .any(|name| path.as_os_str() == *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_access_mode_is_read_from_fdinfo() {
        assert_eq!(
            access_mode("pos:\t0\nflags:\t0100000\nmnt_id:\t29\n"),
            Some(0)
        );
        assert_eq!(access_mode("pos:\t0\nflags:\t02100001\n"), Some(1));
        assert_eq!(access_mode("flags:\t0100002\n"), Some(2));
        assert_eq!(access_mode("pos:\t0\n"), None);
    }
}
