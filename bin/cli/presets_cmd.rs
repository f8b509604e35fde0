//! `dpa presets`: the presets and their values.

use std::io::Write;
use std::path::Path;

use clap::Args;
use dpa::{Param, Preset};

use super::output::Output;
use crate::common::failure::CmdResult;

/// Arguments of `dpa presets`.
#[derive(Debug, Args)]
pub struct PresetsArgs {
    /// Print JSON (`{"mild": {config}, ...}`) instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: PresetsArgs) -> CmdResult {
    let mut text = String::new();
    if args.json {
        let map: serde_json::Map<String, serde_json::Value> = Preset::ALL
            .iter()
            .map(|p| {
                (
                    p.name().to_string(),
                    serde_json::to_value(p.config()).unwrap_or_default(),
                )
            })
            .collect();
        text = serde_json::to_string_pretty(&map).unwrap_or_default();
        text.push('\n');
    } else {
        text.push_str(&format!("{:<12}", "preset"));
        for p in Param::ALL {
            text.push_str(&format!("{:>16}", p.name()));
        }
        text.push_str(&format!("{:>7}\n", "depth"));
        for preset in Preset::ALL {
            let cfg = preset.config();
            let default = if preset == Preset::Moderate { "*" } else { "" };
            text.push_str(&format!("{:<12}", format!("{preset}{default}")));
            for p in Param::ALL {
                let r = cfg.range(p);
                text.push_str(&format!("{:>16}", format!("[{}, {}]", r.lo, r.hi)));
            }
            text.push_str(&format!("{:>7}\n", cfg.augmentation_depth));
        }
        text.push_str("* the default\n");
    }
    let mut out = Output::open(Path::new("-"))?;
    out.write_all(text.as_bytes())
        .map_err(|e| dpa::Error::io("<stdout>", e))?;
    out.finish()?;
    Ok(())
}
