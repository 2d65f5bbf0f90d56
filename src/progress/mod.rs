//! What a long job shows while it runs: a bar on stderr when stderr is a
//! terminal (done/total, rate, time left), nothing otherwise, so logs and
//! pipes get only the job's own lines.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar over `total` units of `unit` (`conversations`, `rows`), labelled
/// `what`.
pub fn bar(what: &str, total: u64, unit: &str) -> ProgressBar {
    let style = ProgressStyle::with_template(&format!(
        "{{msg}} [{{bar:30}}] {{human_pos}}/{{human_len}} {unit}, {{per_sec}}, {{eta}} left"
    ))
    .expect("a valid template")
    .progress_chars("=> ");
    shown(
        ProgressBar::new(total)
            .with_style(style)
            .with_message(what.to_string()),
    )
}

/// A bar over `total` bytes.
pub fn bytes(what: &str, total: u64) -> ProgressBar {
    let style = ProgressStyle::with_template(
        "{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes}, {binary_bytes_per_sec}, {eta} left",
    )
    .expect("a valid template")
    .progress_chars("=> ");
    shown(
        ProgressBar::new(total)
            .with_style(style)
            .with_message(what.to_string()),
    )
}

/// A count of `unit` with no known total, labelled `what`.
pub fn counter(what: &str, unit: &str) -> ProgressBar {
    let style = ProgressStyle::with_template(&format!(
        "{{spinner}} {{msg}}: {{human_pos}} {unit}, {{per_sec}}, {{elapsed}}"
    ))
    .expect("a valid template");
    shown(
        ProgressBar::no_length()
            .with_style(style)
            .with_message(what.to_string()),
    )
}

/// Drawn on stderr only when it is a terminal; redrawn as time passes even
/// while no unit completes.
fn shown(bar: ProgressBar) -> ProgressBar {
    bar.set_draw_target(ProgressDrawTarget::stderr());
    if !bar.is_hidden() {
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
    }
    bar
}
