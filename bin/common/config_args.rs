//! The config flags shared by every command that generates, turned into a checked
//! [`dpa::AugmentationConfig`].

use std::path::{Path, PathBuf};

use clap::Args;
use dpa::formats::limits::{duplicate_key, read_text_capped, MAX_CONFIG_BYTES};
use dpa::{AugmentationConfig, ConfigError, Param, ParamRange, Preset};

use super::failure::Failure;

/// `--preset`, `--config` and the per-parameter overrides.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Config")]
pub struct ConfigArgs {
    /// Start from a preset: mild, moderate (the default) or aggressive.
    #[arg(long, value_name = "NAME", value_parser = parse_preset, conflicts_with = "config")]
    pub preset: Option<Preset>,
    /// Start from a config file in the reference's JSON form (or a dpa/reference JSON
    /// output file, whose metadata holds one).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override rotation_range.
    #[arg(long, value_name = "LO,HI", allow_hyphen_values = true, value_parser = parse_range)]
    pub rotation: Option<RangeArg>,
    /// Override brightness_range.
    #[arg(long, value_name = "LO,HI", allow_hyphen_values = true, value_parser = parse_range)]
    pub brightness: Option<RangeArg>,
    /// Override noise_range.
    #[arg(long, value_name = "LO,HI", allow_hyphen_values = true, value_parser = parse_range)]
    pub noise: Option<RangeArg>,
    /// Override scale_range.
    #[arg(long, value_name = "LO,HI", allow_hyphen_values = true, value_parser = parse_range)]
    pub scale: Option<RangeArg>,
    /// Override contrast_range.
    #[arg(long, value_name = "LO,HI", allow_hyphen_values = true, value_parser = parse_range)]
    pub contrast: Option<RangeArg>,
    /// Override augmentation_depth (hash-chain steps, 1 to 10000).
    #[arg(long, value_name = "N")]
    pub depth: Option<u32>,
}

fn parse_preset(s: &str) -> Result<Preset, String> {
    s.parse().map_err(|e: ConfigError| e.to_string())
}

/// A range flag's value, and whether each bound was written as an integer (the
/// reference's JSON layout writes those as Python ints).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RangeArg {
    /// The range.
    pub range: ParamRange,
    /// `[lo, hi]` written as integers.
    pub ints: [bool; 2],
}

fn parse_range(s: &str) -> Result<RangeArg, String> {
    let err = || {
        format!(
            "expected LO,HI (two numbers separated by a comma), got '{}'",
            dpa::error::shorten(s)
        )
    };
    let (lo, hi) = s.split_once(',').ok_or_else(err)?;
    let is_int = |t: &str| {
        let t = t.trim();
        let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    };
    let ints = [is_int(lo), is_int(hi)];
    for (t, int) in [(lo, ints[0]), (hi, ints[1])] {
        // The reference computes with an integer bound itself; beyond 2^53 a double
        // cannot hold it, and dpa would draw other values than the reference.
        if int
            && t.trim()
                .parse::<i128>()
                .map_or(true, |v| v.unsigned_abs() > 1 << 53)
        {
            return Err(format!(
                "'{}': an integer bound beyond 2^53 has no exact double, so dpa cannot compute what the reference computes with it; write it as a float (with a '.') or a smaller integer",
                dpa::error::shorten(t.trim())
            ));
        }
    }
    let lo: f64 = lo.trim().parse().map_err(|_| err())?;
    let hi: f64 = hi.trim().parse().map_err(|_| err())?;
    Ok(RangeArg {
        range: ParamRange::new(lo, hi),
        ints,
    })
}

impl ConfigArgs {
    /// The files these flags read (`--config`), as inputs of the command: no output
    /// may be one of them.
    pub fn inputs(&self) -> Vec<(&'static str, &Path)> {
        self.config
            .as_deref()
            .map(|p| ("--config", p))
            .into_iter()
            .collect()
    }

    /// The flag that overrides `p`, if given.
    fn override_of(&self, p: Param) -> Option<ParamRange> {
        self.range_arg(p).map(|r| r.range)
    }

    /// The value of a range flag, as given.
    pub fn range_arg(&self, p: Param) -> Option<RangeArg> {
        match p {
            Param::Rotation => self.rotation,
            Param::Brightness => self.brightness,
            Param::Noise => self.noise,
            Param::Scale => self.scale,
            Param::Contrast => self.contrast,
        }
    }

    /// Builds and validates the config. Errors are usage errors (exit 2) naming the
    /// flag, the file or the field.
    pub fn resolve(&self) -> Result<AugmentationConfig, Failure> {
        self.resolve_over(None)
    }

    /// As [`ConfigArgs::resolve`], starting from `base` (a file's own config) when
    /// neither `--preset` nor `--config` is given.
    pub fn resolve_over(
        &self,
        base: Option<&AugmentationConfig>,
    ) -> Result<AugmentationConfig, Failure> {
        let mut cfg = match (&self.preset, &self.config, base) {
            (Some(p), _, _) => p.config(),
            (None, Some(path), _) => load_config(path)?,
            (None, None, Some(b)) => b.clone(),
            (None, None, None) => AugmentationConfig::default(),
        };
        for p in Param::ALL {
            if let Some(r) = self.override_of(p) {
                *cfg.range_mut(p) = r;
            }
        }
        if let Some(d) = self.depth {
            cfg.augmentation_depth = d;
        }
        cfg.validate().map_err(|e| {
            let flag = Param::ALL
                .into_iter()
                .find(|p| {
                    self.override_of(*p).is_some() && e.to_string().starts_with(p.range_field())
                })
                .map(|p| format!("--{}", p.name()))
                .or_else(|| {
                    (self.depth.is_some() && e.to_string().starts_with("augmentation_depth"))
                        .then(|| "--depth".to_string())
                })
                .or_else(|| self.config.as_ref().map(|c| c.display().to_string()));
            match flag {
                Some(f) => Failure::usage_msg(format!("invalid config ({f}): {e}")),
                None => Failure::usage_msg(format!("invalid config: {e}")),
            }
        })?;
        Ok(cfg)
    }
}

/// Reads a config file: the config object itself, or a JSON document whose
/// `metadata.config` holds one. The file is read up to
/// [`MAX_CONFIG_BYTES`]; a UTF-8 byte order
/// mark is skipped; a key given twice is an error.
pub fn load_config(path: &Path) -> Result<AugmentationConfig, Failure> {
    load_config_value(path).map(|(cfg, _)| cfg)
}

/// The config of a file, and the JSON object it was read from.
pub fn load_config_value(path: &Path) -> Result<(AugmentationConfig, serde_json::Value), Failure> {
    let named = |msg: String| Failure::usage_msg(format!("--config {}: {msg}", path.display()));
    // A path that names no file is a usage error (exit 2); a file that cannot be read
    // (too large, not text, an I/O error) is a data error (exit 1).
    let text = read_text_capped(path, MAX_CONFIG_BYTES, "config").map_err(|e| {
        let missing = matches!(&e, dpa::Error::Io { error, .. } if error.kind() == std::io::ErrorKind::NotFound);
        let f = anyhow::anyhow!("--config {e}");
        if missing {
            Failure::usage(f)
        } else {
            Failure::data(f)
        }
    })?;
    match duplicate_key(&text) {
        Ok(Some(key)) => {
            return Err(named(format!(
                "the key \"{}\" is given twice",
                dpa::error::shorten(&key)
            )))
        }
        Ok(None) => {}
        Err(e) => return Err(named(e.to_string())),
    }
    let config_text = config_object_text(&text).map_err(named)?;
    AugmentationConfig::from_json_text(&config_text).map_err(|e| named(e.to_string()))
}

/// The text of the config object in a config file's `text`: the file itself, or its
/// `metadata.config` (kept as text, so that its numbers are read as Python reads them).
fn config_object_text(text: &str) -> Result<String, String> {
    use serde_json::value::RawValue;
    type Fields = std::collections::BTreeMap<String, Box<RawValue>>;
    let fields: Fields = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let Some(meta) = fields.get("metadata") else {
        return Ok(text.to_string());
    };
    let meta: Fields = serde_json::from_str(meta.get()).map_err(|e| format!("metadata: {e}"))?;
    match meta.get("config") {
        Some(config) => Ok(config.get().to_string()),
        None => Err("metadata has no config".into()),
    }
}
