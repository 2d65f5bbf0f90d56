//! `report --format html` opened in a real browser: headless Chromium
//! (Debian's `chromium`) renders the page from a file; the rendered DOM
//! holds the views' numbers, the page asks for nothing over the network,
//! and its screenshot is not blank.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The sample lake's report parameters, with an explicit as-of time so the
/// page and the views below answer for the same instant.
const AS_OF: &str = "2026-11-30T12:00:00Z";

fn convlake(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args(args)
        .env_remove("CONVLAKE_LAKE")
        .output()
        .unwrap()
}

fn page(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let file = dir.join(name);
    let mut args = vec![
        "report",
        "conversations",
        "--tz",
        "Europe/Paris",
        "--as-of",
        AS_OF,
        "--format",
        "html",
        "-o",
        file.to_str().unwrap(),
    ];
    args.extend(extra);
    let out = convlake(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    file
}

/// Chromium, headless, with a profile of its own. Its own background
/// requests (time, updates, accounts) go to a closed port on loopback and
/// every host name fails to resolve: nothing leaves the machine.
fn chromium(dir: &Path, extra: &[&str], url: &str) -> Output {
    let profile = tempfile::tempdir_in(dir).unwrap();
    let mut command = Command::new("chromium");
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--proxy-server=http://127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ]);
    command.arg(format!("--user-data-dir={}", profile.path().display()));
    command.args(extra).arg(url);
    let out = command
        .output()
        .expect("chromium (Debian package `chromium`; scripts/test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `select …` on the sample lake with the page's parameters, as CSV lines.
fn view_rows(sql: &str) -> Vec<String> {
    let statements = format!(
        "set convlake.period = 'last_7_days'; set convlake.timezone = 'Europe/Paris'; \
         set convlake.as_of = '{AS_OF}'; {sql}"
    );
    let out = convlake(&["sql", "-f", "csv", &statements]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect()
}

/// The `(weekday, hour, value)` cells of the heat-map table of `view` in
/// the rendered DOM.
fn heatmap_cells(dom: &str, view: &str) -> Vec<String> {
    let start = dom
        .find(&format!("<table class=\"heatmap\" data-view=\"{view}\""))
        .unwrap_or_else(|| panic!("no heat-map of {view}"));
    let table = &dom[start..start + dom[start..].find("</table>").unwrap()];
    table
        .split("<td class=\"cell\" ")
        .skip(1)
        .map(|cell| {
            let attr = |name: &str| {
                let at = cell.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                cell[at..at + cell[at..].find('"').unwrap()].to_string()
            };
            format!(
                "{},{},{}",
                attr("data-weekday"),
                attr("data-hour"),
                attr("data-value")
            )
        })
        .collect()
}

#[test]
fn the_page_renders_the_views_numbers_offline_and_is_not_blank() {
    let dir = tempfile::tempdir().unwrap();
    let file = page(dir.path(), "report.html", &["--period", "last_7_days"]);
    let url = format!("file://{}", file.display());
    let netlog = dir.path().join("netlog.json");
    let dom = chromium(
        dir.path(),
        &[
            "--dump-dom",
            &format!("--log-net-log={}", netlog.display()),
            "--net-log-capture-mode=Everything",
        ],
        &url,
    );
    let dom = String::from_utf8(dom.stdout).unwrap();
    // Both heat-maps: 168 cells, each equal to the view's row.
    for view in ["heatmap_opened", "heatmap_closed"] {
        let cells = heatmap_cells(&dom, view);
        assert_eq!(cells.len(), 168, "{view}");
        let expected = view_rows(&format!(
            "select weekday, hour, conversations from {view} order by weekday, hour"
        ));
        assert_eq!(cells, expected, "{view}");
    }
    // The two counts of the overview.
    let summary = view_rows("select opened, closed from conversation_summary");
    let counts: Vec<&str> = summary[0].split(',').collect();
    for (column, value) in ["opened", "closed"].iter().zip(counts) {
        let needle = format!("data-column=\"{column}\" data-value=\"{value}\"");
        assert!(dom.contains(&needle), "{needle} not in the page");
    }
    // Every component of the report, in page order.
    let mut at = 0;
    for view in [
        "conversation_summary",
        "opened_vs_closed",
        "heatmap_opened",
        "heatmap_closed",
        "opened_by_contact_type",
        "opened_by_source",
        "opened_by_channel",
        "closed_by_category",
        "closed_by_source",
        "closed_by_contact_type",
        "conversation_list",
    ] {
        let found = dom[at..]
            .find(&format!("<section id=\"{view}\""))
            .unwrap_or_else(|| panic!("{view} missing or out of order"));
        at += found;
    }
    // The page asked for nothing: every request it started (the net log's
    // URL_REQUEST_START_JOB with the page's origin as initiator; the
    // browser's own have "not an origin") is for a file: or data: URL.
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&netlog).unwrap()).unwrap();
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].clone();
    let page_requests: Vec<String> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == start_job)
        .filter(|e| {
            e["params"]["initiator"]
                .as_str()
                .is_some_and(|i| i != "not an origin")
        })
        .map(|e| e["params"]["url"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        page_requests
            .iter()
            .all(|u| u.starts_with("file:") || u.starts_with("data:")),
        "the page asked for {page_requests:?}"
    );
    // Nor could it: no reference to anything outside the file.
    let html = std::fs::read_to_string(&file).unwrap();
    for reference in ["src=", "href=", "url(", "@import", "<script", "<link"] {
        assert!(!html.contains(reference), "the page holds {reference}");
    }
    // The screenshot is not blank: a blank page of the same size compresses
    // to a few kilobytes (14 kB at this size), the report to over 15 times
    // that (240 kB): a page that failed to render is near the former.
    let shot = dir.path().join("report.png");
    let blank = dir.path().join("blank.png");
    let size = "--window-size=1280,2400";
    chromium(
        dir.path(),
        &[size, &format!("--screenshot={}", shot.display())],
        &url,
    );
    chromium(
        dir.path(),
        &[size, &format!("--screenshot={}", blank.display())],
        "about:blank",
    );
    let (shot, blank) = (
        std::fs::metadata(&shot).unwrap().len(),
        std::fs::metadata(&blank).unwrap().len(),
    );
    assert!(
        shot > 8 * blank,
        "screenshot {shot} bytes, blank {blank} bytes"
    );
}

#[test]
fn the_page_shows_the_notices_where_charts_would_be() {
    let dir = tempfile::tempdir().unwrap();
    // A period before the sample lake: no data anywhere.
    let empty = page(
        dir.path(),
        "empty.html",
        &["--period", "2020-01-01/2020-01-31"],
    );
    let html = std::fs::read_to_string(empty).unwrap();
    assert!(
        html.matches("<p class=\"notice\" data-notice>No data in the period</p>")
            .count()
            >= 10,
        "{html}"
    );
    // A closing filter does not apply to the opened components (seed 000).
    let filtered = page(
        dir.path(),
        "filtered.html",
        &["--period", "last_30_days", "--filter", "closed_source=bot"],
    );
    let html = std::fs::read_to_string(filtered).unwrap();
    let section = |view: &str| {
        let start = html.find(&format!("<section id=\"{view}\"")).unwrap();
        html[start..start + html[start..].find("</section>").unwrap()].to_string()
    };
    for view in ["opened_vs_closed", "heatmap_opened", "opened_by_source"] {
        assert!(
            section(view).contains("filter not applicable here: closed_source"),
            "{view}: {}",
            section(view)
        );
    }
    // The closed components still answer under it.
    assert!(section("closed_by_category").contains("class=\"bars\""));
    // French labels and numbers.
    let fr = page(
        dir.path(),
        "fr.html",
        &["--period", "last_30_days", "--locale", "fr"],
    );
    let html = std::fs::read_to_string(fr).unwrap();
    assert!(html.contains("<html lang=\"fr\">"));
    assert!(html.contains("Carte thermique des conversations ouvertes"));
    let percents: Vec<&str> = html.split("\u{a0}%").collect();
    assert!(percents.len() > 10, "shares in the page");
    for before in &percents[..percents.len() - 1] {
        // "60,0 %": a decimal comma before the last digit.
        let tail: Vec<char> = before.chars().rev().take(2).collect();
        assert!(
            tail[0].is_ascii_digit() && tail[1] == ',',
            "{}",
            &before[before.len() - 20..]
        );
    }
}

#[test]
fn the_terminal_report_shades_heat_maps_on_a_colour_terminal_only() {
    let args = [
        "report",
        "conversations",
        "--period",
        "last_30_days",
        "--as-of",
        AS_OF,
    ];
    let piped = convlake(&args);
    assert!(piped.status.success());
    assert!(!String::from_utf8_lossy(&piped.stdout).contains("\x1b["));
    let command = format!("{} {}", env!("CARGO_BIN_EXE_convlake"), args.join(" "));
    let tty = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("CONVLAKE_LAKE")
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .output()
        .unwrap();
    assert!(tty.status.success());
    let screen = String::from_utf8_lossy(&tty.stdout);
    assert!(
        screen.contains("\x1b[48;5;"),
        "no shaded cell on a terminal"
    );
    // NO_COLOR turns it off.
    let plain = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("CONVLAKE_LAKE")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("\x1b[48;5;"));
}

#[test]
fn an_export_job_publishes_the_same_page_atomically_and_chromium_renders_it() {
    let dir = tempfile::tempdir().unwrap();
    let expected = page(
        dir.path(),
        "report.html",
        &["--period", "last_7_days", "--locale", "fr"],
    );
    // A weekly page as a jobs file gives it: report, locale, html.
    let config = dir.path().join("exports.toml");
    std::fs::write(
        &config,
        format!(
            "[jobs.weekly_page]\nreport = \"conversations\"\nlocale = \"fr\"\nto = \"pages\"\n\
             period = \"last_7_days\"\ntz = \"Europe/Paris\"\nas_of = \"{AS_OF}\"\n\
             schedule = \"0 8 * * MON\"\n"
        ),
    )
    .unwrap();
    let out = convlake(&[
        "--lake",
        convlake::SAMPLE_LAKE,
        "export",
        "run",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pages = dir.path().join("pages");
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(pages.join("_manifests/00000001.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["format"], "html");
    assert_eq!(manifest["source"], "report conversations");
    let files = manifest["files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    let published = pages.join(files[0]["path"].as_str().unwrap());
    assert!(published.ends_with("report.html"), "{published:?}");
    // The same page `report --format html` writes, byte for byte, and the
    // newest one at a fixed address.
    let bytes = std::fs::read(&published).unwrap();
    assert_eq!(bytes, std::fs::read(&expected).unwrap());
    assert_eq!(files[0]["bytes"], bytes.len() as u64);
    assert_eq!(std::fs::read(pages.join("latest.html")).unwrap(), bytes);
    let dom = chromium(
        dir.path(),
        &["--dump-dom"],
        &format!("file://{}", published.display()),
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert_eq!(heatmap_cells(&dom, "heatmap_opened").len(), 168);
    assert!(dom.contains("<html lang=\"fr\""), "the page's language");
    // Rows are not pages, and pages are not rows.
    for (args, words) in [
        (
            &["--report", "conversations", "--format", "csv"][..],
            "published as html, not csv",
        ),
        (
            &["conversation_list", "--format", "html"][..],
            "html is for report pages",
        ),
        (
            &["--report", "weekly", "--format", "html"][..],
            "unknown report 'weekly'",
        ),
    ] {
        let to = dir.path().join("refused");
        let out = convlake(
            &[
                &["--lake", convlake::SAMPLE_LAKE, "export"][..],
                args,
                &["--to", to.to_str().unwrap()],
            ]
            .concat(),
        );
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(words),
            "{words}"
        );
        assert!(!to.exists(), "{args:?} wrote");
    }
}
