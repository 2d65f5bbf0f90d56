//! `convlake export` on local folders: each format read back through its
//! manifests by readers of their own (tests/clients/read_export.py: Python's
//! csv and json, pyarrow) equals the view; killed runs commit nothing;
//! incremental runs over a growing lake lose no row; bad input is named
//! and writes nothing. The S3 case is in tests/s3.rs.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const SETS: &str = "set convlake.period = 'all'; set convlake.timezone = 'Europe/Paris'";

fn convlake(lake: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args(["--lake", lake])
        .args(args)
        .env_remove("CONVLAKE_LAKE")
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The view's rows as the CLI gives them (JSON lines), in `dir/expected.jsonl`.
fn expected_rows(lake: &str, dir: &Path, sql: &str) -> String {
    let out = convlake(lake, &["sql", "-f", "json", sql]);
    let path = dir.join("expected.jsonl");
    std::fs::write(&path, ok(&out)).unwrap();
    path.to_str().unwrap().to_string()
}

/// read_export.py on `folder` against `expected`; its row count.
fn read_back(folder: &Path, expected: &str, extra: &[&str]) -> usize {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/read_export.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(folder)
        .arg(expected)
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout.trim().strip_prefix("ok ").unwrap().parse().unwrap()
}

fn manifests(folder: &Path) -> usize {
    std::fs::read_dir(folder.join("_manifests")).map_or(0, |d| d.count())
}

#[test]
fn every_format_read_back_by_its_manifest_equals_the_view() {
    let dir = tempfile::tempdir().unwrap();
    let expected = expected_rows(
        convlake::SAMPLE_LAKE,
        dir.path(),
        &format!("{SETS}; select * from conversation_list"),
    );
    let total: usize = ok(&convlake(
        convlake::SAMPLE_LAKE,
        &[
            "sql",
            "-f",
            "csv",
            &format!("{SETS}; select count(*) from conversation_list"),
        ],
    ))
    .lines()
    .nth(1)
    .unwrap()
    .parse()
    .unwrap();
    assert!(total > 100, "{total}");
    for (format, layout) in [
        ("parquet", &["--max-rows-per-file", "40"][..]),
        ("csv", &["--partition-by", "day"][..]),
        (
            "jsonl",
            &["--partition-by", "workspace", "--max-rows-per-file", "25"][..],
        ),
    ] {
        let to = dir.path().join(format);
        let out = convlake(
            convlake::SAMPLE_LAKE,
            &[
                &["export", "conversation_list", "--to", to.to_str().unwrap()][..],
                &["--format", format, "--tz", "Europe/Paris"],
                layout,
            ]
            .concat(),
        );
        let line = ok(&out);
        assert!(
            line.contains(&format!("run 1 committed: {total} rows")),
            "{line}"
        );
        assert_eq!(
            read_back(&to, &expected, &["--runs", "1"]),
            total,
            "{format}"
        );
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(to.join("_manifests/00000001.json")).unwrap(),
        )
        .unwrap();
        let files = manifest["files"].as_array().unwrap();
        match format {
            // 40 rows a file at most: ceil(total / 40) files.
            "parquet" => assert_eq!(files.len(), total.div_ceil(40)),
            // A folder per Paris day of closed_at, the list's first timestamp.
            "csv" => assert!(files.iter().all(|f| {
                let p = f["path"].as_str().unwrap();
                p.contains("/day=2026-") && f["partition"].as_str().unwrap().starts_with("day=")
            })),
            _ => assert!(files.iter().all(|f| f["rows"].as_u64().unwrap() <= 25
                && f["path"].as_str().unwrap().contains("/workspace=ws0"))),
        }
        assert_eq!(manifest["job"], "conversation_list");
        assert_eq!(manifest["parameters"][1][1], "Europe/Paris");
    }
}

#[test]
fn a_killed_export_commits_nothing_and_the_next_run_completes() {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("out");
    let args = [
        "--lake",
        convlake::SAMPLE_LAKE,
        "export",
        "conversation_list",
        "--to",
        to.to_str().unwrap(),
        "--tz",
        "Europe/Paris",
        "--max-rows-per-file",
        "10",
    ];
    let expected = expected_rows(
        convlake::SAMPLE_LAKE,
        dir.path(),
        &format!("{SETS}; select * from conversation_list"),
    );
    // How long one run takes, to kill the next ones within it.
    let started = Instant::now();
    ok(&Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args(args)
        .output()
        .unwrap());
    let full = started.elapsed();
    let mut committed = 1;
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..20 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let delay = full.mul_f64((rng % 1000) as f64 / 1000.0);
        let mut child = Command::new(env!("CARGO_BIN_EXE_convlake"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        // Killed before its commit: no manifest. After it (the kill came
        // as it exited): a whole run, every file there, every row.
        let now = manifests(&to);
        assert!(
            now == committed || now == committed + 1,
            "{now} manifests after {committed}"
        );
        if now > committed {
            read_back(&to, &expected, &["--runs", &now.to_string()]);
        }
        committed = now;
    }
    // The next run completes, and says what it ignored.
    let out = Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args(args)
        .output()
        .unwrap();
    let line = ok(&out);
    assert!(
        line.contains(&format!("run {} committed", committed + 1)),
        "{line}"
    );
    let runs = (committed + 1).to_string();
    assert!(read_back(&to, &expected, &["--runs", &runs]) > 0);
}

/// A copy of the sample lake holding the event files of its first `days`
/// days (its dimensions whole).
fn partial_lake(root: &Path, days: usize) {
    let sample = Path::new(convlake::SAMPLE_LAKE);
    for entry in std::fs::read_dir(sample).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name == "events" || name.starts_with('_') {
            continue;
        }
        copy_dir(&entry.path(), &root.join(&name));
    }
    let mut days_of: Vec<_> = std::fs::read_dir(sample.join("events"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    days_of.sort();
    for day in &days_of[..days] {
        copy_dir(
            &sample.join("events").join(day),
            &root.join("events").join(day),
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    if from.is_file() {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
        return;
    }
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        copy_dir(&entry.path(), &to.join(entry.file_name()));
    }
}

#[test]
fn incremental_runs_over_a_growing_lake_lose_no_row() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake_arg = lake.to_str().unwrap().to_string();
    let to = dir.path().join("out");
    let days = std::fs::read_dir(Path::new(convlake::SAMPLE_LAKE).join("events"))
        .unwrap()
        .count();
    let export = |lake: &str| {
        ok(&convlake(
            lake,
            &[
                "export",
                "conversation_list",
                "--to",
                to.to_str().unwrap(),
                "--incremental",
                "--lateness",
                "2d",
                "--format",
                "csv",
            ],
        ))
    };
    let latest = |lake: &str| {
        ok(&convlake(
            lake,
            &["sql", "-f", "csv", "select max(ts) from events"],
        ))
        .lines()
        .nth(1)
        .unwrap()
        .replace(' ', "T")
    };
    // Three runs, a day added before each of the last two: the day added
    // holds events older than the last run's end (conversations opened the
    // day before ran into it), a late delivery within the 2 days.
    partial_lake(&lake, days - 2);
    export(&lake_arg);
    let first_end = latest(&lake_arg);
    partial_lake(&lake, days - 1);
    export(&lake_arg);
    partial_lake(&lake, days);
    let line = export(&lake_arg);
    assert!(line.contains("run 3 committed"), "{line}");
    // Run 1's window ends just after the newest event then (1 µs, so that
    // event is in it); run 2's starts 2 days before that end.
    let manifest = |n: u32| -> serde_json::Value {
        serde_json::from_str(
            &std::fs::read_to_string(to.join(format!("_manifests/{n:08}.json"))).unwrap(),
        )
        .unwrap()
    };
    let instant = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .or_else(|_| chrono::DateTime::parse_from_rfc3339(&format!("{s}Z")))
            .unwrap()
    };
    let end = instant(manifest(1)["period_end"].as_str().unwrap());
    assert_eq!(end - instant(&first_end), chrono::Duration::microseconds(1));
    let from = instant(manifest(2)["incremental_from"].as_str().unwrap());
    assert_eq!(end - from, chrono::Duration::days(2));
    // The union of the runs, the newest row of each conversation, is the
    // whole list of the final lake: no row lost, duplicates only in the
    // windows' overlaps.
    let expected = expected_rows(
        &lake_arg,
        dir.path(),
        "set convlake.period = 'all'; select * from conversation_list",
    );
    read_back(
        &to,
        &expected,
        &["--runs", "3", "--latest-by", "conversation_id"],
    );
}

#[test]
fn bad_input_is_named_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("out");
    let to_arg = to.to_str().unwrap();
    let refused = |args: &[&str], needles: &[&str]| {
        let out = convlake(convlake::SAMPLE_LAKE, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "accepted: {args:?}");
        for needle in needles {
            assert!(stderr.contains(needle), "{needle} not in: {stderr}");
        }
        assert!(!to.join("_manifests").exists(), "{args:?} committed a run");
    };
    refused(
        &["export", "conversation_lst", "--to", to_arg],
        &["export job 'conversation_lst'", "conversation_lst"],
    );
    refused(
        &[
            "export",
            "conversation_list",
            "--to",
            to_arg,
            "--format",
            "xlsx",
        ],
        &["xlsx", "parquet, csv, jsonl"],
    );
    refused(
        &[
            "export",
            "conversation_list",
            "--to",
            to_arg,
            "--period",
            "last_week",
        ],
        &["convlake.period"],
    );
    refused(
        &[
            "export",
            "conversation_list",
            "--to",
            to_arg,
            "--filter",
            "colour=red",
        ],
        &["unknown filter 'colour'"],
    );
    refused(
        &[
            "export",
            "conversation_summary",
            "--to",
            to_arg,
            "--partition-by",
            "workspace",
        ],
        &["workspace_id"],
    );
    refused(
        &["export", "conversation_list", "--to", "ftp://host/x"],
        &["--to", "ftp"],
    );
    // A run that fails mid-query removes what it wrote.
    refused(
        &[
            "export",
            "--sql",
            "select conversation_id, 1 / (count(*) over () - row_number() over (order by conversation_id)) as boom from conversation_list",
            "--to",
            to_arg,
            "--max-rows-per-file",
            "5",
        ],
        &["export job 'sql'"],
    );
    let left: Vec<_> = walk(&to);
    assert!(left.is_empty(), "files left by a failed run: {left:?}");
    // A destination holds one job's runs.
    ok(&convlake(
        convlake::SAMPLE_LAKE,
        &["export", "conversation_summary", "--to", to_arg],
    ));
    refused_after_commit(to_arg);
}

fn refused_after_commit(to: &str) {
    let out = convlake(
        convlake::SAMPLE_LAKE,
        &["export", "heatmap_opened", "--to", to],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("holds the runs of job 'conversation_summary'"),
        "{stderr}"
    );
}

fn walk(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut out = vec![];
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}

#[test]
fn a_stopped_export_removes_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("out");
    let child = Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args([
            "--lake",
            convlake::SAMPLE_LAKE,
            "export",
            "conversation_list",
        ])
        .args(["--to", to.to_str().unwrap(), "--max-rows-per-file", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once it has written a file, SIGTERM.
    let deadline = Instant::now() + Duration::from_secs(60);
    while walk(&to).is_empty() {
        assert!(Instant::now() < deadline, "no file written in 60 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        // It finished first: then it committed.
        assert_eq!(manifests(&to), 1);
        return;
    }
    assert!(stderr.contains("stopped before it finished"), "{stderr}");
    assert_eq!(manifests(&to), 0);
    assert!(walk(&to).is_empty(), "{:?}", walk(&to));
}
