//! Writing statistics as JSON in the reference's shape.

use std::io::Write;
use std::path::Path;

use dpa::Statistics;

use super::output::Output;

/// Writes `stats` as pretty JSON to `path` (or stdout for `-`), atomically.
pub fn write_statistics(path: &Path, stats: &Statistics) -> Result<(), dpa::Error> {
    write_statistics_to(Output::open(path)?, stats)
}

/// Writes `stats` as pretty JSON to an output opened earlier, and commits it.
pub fn write_statistics_to(mut out: Output, stats: &Statistics) -> Result<(), dpa::Error> {
    let name = out.name();
    let text = serde_json::to_string_pretty(stats).map_err(|e| dpa::Error::io(&name, e.into()))?;
    out.write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .map_err(|e| dpa::Error::io(&name, e))?;
    out.finish()
}
