//! Faults at commit time, with the real binary on a real file system: a disk that
//! fills while the sidecar is written leaves no array and no sidecar at their final
//! names (only the array's partial file, for `--resume`), and exit 1.
//! (A failing background writeback is injected in `src/commit.rs`'s unit tests.)
//!
//! Mounting a tmpfs needs root, which the test machines and CI run as; elsewhere this
//! test fails rather than pass without trying.

use std::path::{Path, PathBuf};
use std::process::Command;

fn dpa() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("dpa"))
}

/// A tmpfs of `size` mounted at a new folder (`at`, inside `_parent`), unmounted when
/// dropped.
struct Tmpfs {
    at: PathBuf,
    _parent: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join("small");
        std::fs::create_dir(&at).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&at)
            .status()
            .expect("mount (needs root)");
        assert!(
            status.success(),
            "mount -t tmpfs failed: this test needs root"
        );
        Tmpfs { at, _parent: dir }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.at).status();
    }
}

fn npy_bytes(n: u64, dir: &Path) -> u64 {
    let path = dir.join(format!("probe-{n}.npy"));
    let out = dpa()
        .args(["generate", "-n", &n.to_string(), "--no-stats", "-o"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::metadata(&path).unwrap().len()
}

#[test]
fn a_disk_full_at_the_sidecar_leaves_no_array() {
    let scratch = tempfile::tempdir().unwrap();
    let header = npy_bytes(0, scratch.path());
    let row = npy_bytes(1, scratch.path()) - header;
    let fs = Tmpfs::mount("1m");
    // Rows that fill the last of the tmpfs's 256 pages: the array fits, its sidecar
    // gets no page.
    let n = (1_048_576 - header) / row;
    assert!(
        header + n * row > 1_048_576 - 4096,
        "the array fills the last page"
    );
    let path = fs.at.join("x.npy");
    let out = dpa()
        .args(["generate", "-n", &n.to_string(), "--no-stats", "-o"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("x.npy.json"), "names the sidecar: {stderr}");
    let left: Vec<_> = std::fs::read_dir(&fs.at)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    // Only the array's partial file, kept for `--resume`: nothing at a final name.
    assert_eq!(left, ["x.npy.partial"], "{left:?}");
}

/// `--stats` is committed with the output, in one group: a statistics file that cannot
/// be written leaves no output at its final name either.
#[test]
fn a_stats_file_that_cannot_be_written_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let fs = Tmpfs::mount("16k");
    // Fill the tmpfs: the statistics file (about 1 KiB) gets no page.
    let filler = fs.at.join("filler");
    let _ = std::fs::write(&filler, vec![0u8; 64 << 10]);
    let out_path = dir.path().join("out.jsonl");
    let stats = fs.at.join("s.json");
    let out = dpa()
        .args(["generate", "-q", "-n", "1000", "-o"])
        .arg(&out_path)
        .arg("--stats")
        .arg(&stats)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("s.json"),
        "names the statistics file: {stderr}"
    );
    assert!(
        !out_path.exists(),
        "the output was committed before --stats failed"
    );
    assert!(!stats.exists());
}
