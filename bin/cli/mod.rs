//! The `dpa` command line: flags become checked configs, then the library does the work.

pub mod bench_cmd;
pub mod config_flags;
pub mod convert_cmd;
pub mod engine_args;
pub mod generate;
pub mod key_args;
pub mod layout;
pub mod merge_cmd;
pub mod output;
pub mod params_cmd;
pub mod presets_cmd;
pub mod progress;
pub mod split_cmd;
pub mod stats_cmd;
pub mod stats_file;
pub mod verify_cmd;
