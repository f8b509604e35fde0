//! `--layout`: dpa's JSON, or the reference's own file byte for byte.

use clap::ValueEnum;
use dpa::formats::ConfigForms;
use dpa::{AugmentationConfig, Format, Param};

use crate::common::config_args::{load_config_value, ConfigArgs};
use crate::common::failure::Failure;

/// `--layout`: how a JSON document is laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LayoutArg {
    /// dpa's JSON: records on one line each, with their `sample_id`, metadata on how
    /// they were generated.
    #[default]
    Dpa,
    /// Exactly the bytes the reference's `generate_augmentation_chain(..., save_path=...)`
    /// writes (`json.dump(indent=2)`, Python's float repr, no `sample_id`).
    Reference,
}

/// The format to write: `format` itself, or the reference's JSON file for
/// `--layout reference` (which needs JSON).
pub fn with_layout(format: Format, layout: LayoutArg) -> Result<Format, Failure> {
    match (layout, format) {
        (LayoutArg::Dpa, f) => Ok(f),
        (LayoutArg::Reference, Format::Json | Format::ReferenceJson) => Ok(Format::ReferenceJson),
        (LayoutArg::Reference, f) => Err(Failure::usage_msg(format!(
            "--layout reference is a JSON layout: it needs --format json (or a .json output), not {f}"
        ))),
    }
}

/// How the reference would hold the bounds of `config` (resolved from these
/// flags): ints where a preset, the defaults, the --config file or a range flag
/// wrote an integer.
pub fn config_forms(
    flags: &ConfigArgs,
    config: &AugmentationConfig,
) -> Result<ConfigForms, Failure> {
    let mut forms = match (&flags.preset, &flags.config) {
        (None, Some(path)) => ConfigForms::from_json(&load_config_value(path)?.1),
        _ => ConfigForms::Integral,
    };
    for p in Param::ALL {
        if let Some(r) = flags.range_arg(p) {
            forms = forms.with(config, p, r.ints);
        }
    }
    Ok(forms)
}
