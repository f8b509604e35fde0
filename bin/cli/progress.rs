//! Progress bars on stderr: shown on a terminal (or with --progress), hidden otherwise.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar counting `total` records; hidden unless `force` or stderr is a terminal.
pub fn records_bar(total: u64, force: bool, quiet: bool) -> ProgressBar {
    let target = if quiet {
        ProgressDrawTarget::hidden()
    } else if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr_with_hz(4)
    } else if force {
        // indicatif hides itself when stderr is not a terminal; --progress insists.
        ProgressDrawTarget::term_like_with_hz(Box::new(console::Term::stderr()), 4)
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(total), target);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} records, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}
