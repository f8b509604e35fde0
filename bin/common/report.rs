//! Report files (benchmark JSON, Markdown, CSV, charts): read back bounded, written
//! atomically (or to stdout for `-`).

use std::io::Write;
use std::path::Path;

use dpa::bench::BenchReport;
use dpa::formats::limits::{read_text_capped, MAX_DOCUMENT_BYTES};

use super::failure::Failure;

/// Writes `text` to `path` atomically, or to stdout for `-` (checked to be usable).
pub fn write_text(path: &Path, text: &str) -> Result<(), Failure> {
    if super::stdout_probe::names_stdout(path) {
        if let Some(why) = super::stdout_probe::unusable() {
            return Err(dpa::Error::io("<stdout>", why).into());
        }
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| dpa::Error::io("<stdout>", e))?;
        return Ok(());
    }
    let mut f = dpa::AtomicFile::create(path)?;
    f.write_all(text.as_bytes())
        .map_err(|e| dpa::Error::io(path, e))?;
    f.commit()?;
    Ok(())
}

/// Reads a benchmark report written by `--export-json` (at most
/// [`MAX_DOCUMENT_BYTES`]).
pub fn load_report(path: &Path) -> Result<BenchReport, Failure> {
    let text = read_text_capped(path, MAX_DOCUMENT_BYTES, "report")?;
    serde_json::from_str(&text).map_err(|e| {
        Failure::data(dpa::Error::data(
            path,
            format!("line {} column {}", e.line(), e.column()),
            format!("not a dpa bench report: {e}"),
        ))
    })
}
