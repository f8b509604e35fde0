//! Whether any config flag was given (commands that read files take the file's own
//! config otherwise, or require one).

use crate::common::config_args::ConfigArgs;

/// `any()`: true when any config flag was given.
pub trait AnyConfigFlag {
    /// True when `--preset`, `--config`, `--depth` or a range flag was given.
    fn any(&self) -> bool;
}

impl AnyConfigFlag for ConfigArgs {
    fn any(&self) -> bool {
        let ranges = [
            self.rotation,
            self.brightness,
            self.noise,
            self.scale,
            self.contrast,
        ];
        self.preset.is_some()
            || self.config.is_some()
            || self.depth.is_some()
            || ranges.iter().any(Option::is_some)
    }
}
