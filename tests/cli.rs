//! The `convlake` binary, run as a user runs it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::common::{EVENTS, lake_with, required_batch};

fn convlake(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args(args)
        .env_remove("CONVLAKE_LAKE")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn sql_counts_events_by_type_as_csv() {
    let (dir, _) = lake_with(&required_batch(&EVENTS));
    let lake = dir.path().to_str().unwrap();
    let out = convlake(&[
        "--lake",
        lake,
        "sql",
        "--format",
        "csv",
        "select event_type, count(*) as n from events group by 1 order by 1",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "event_type,n\nconversation_closed,1\nconversation_opened,1\nmessage,2\n"
    );
}

#[test]
fn sql_on_the_default_sample_lake_answers() {
    let out = convlake(&[
        "sql",
        "select event_type, count(*) from events group by 1 order by 1",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for t in [
        "assignee_changed",
        "conversation_closed",
        "conversation_opened",
        "handover",
        "message",
    ] {
        assert!(text.contains(t), "{t} missing from\n{text}");
    }
}

#[test]
fn json_lines_and_several_statements() {
    let (dir, _) = lake_with(&required_batch(&EVENTS));
    let lake = dir.path().to_str().unwrap();
    let out = convlake(&[
        "--lake",
        lake,
        "sql",
        "-f",
        "json",
        "select 1 as a; select count(*) as n from events where event_type = 'message'",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "{\"a\":1}\n{\"n\":2}\n");
}

#[test]
fn parquet_output_file_holds_the_result() {
    let (dir, _) = lake_with(&required_batch(&EVENTS));
    let lake = dir.path().to_str().unwrap();
    let target = dir.path().join("export.parquet");
    let out = convlake(&[
        "--lake",
        lake,
        "sql",
        "-f",
        "parquet",
        "-o",
        target.to_str().unwrap(),
        "select event_id from events order by ts",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let file = std::fs::File::open(&target).unwrap();
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(file, 1024).unwrap();
    let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(rows, 4);
}

#[test]
fn bad_sql_names_the_position_and_fails() {
    let (dir, _) = lake_with(&required_batch(&EVENTS));
    let lake = dir.path().to_str().unwrap();
    let out = convlake(&["--lake", lake, "sql", "select event_type fro events"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("Line: 1, Column: "), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn a_failing_query_writes_no_output_file() {
    let (dir, _) = lake_with(&required_batch(&EVENTS));
    let lake = dir.path().to_str().unwrap();
    let target = dir.path().join("out.csv");
    // Fails while running (a cast of every event_id), not while planning.
    let out = convlake(&[
        "--lake",
        lake,
        "sql",
        "-f",
        "csv",
        "-o",
        target.to_str().unwrap(),
        "select cast(event_id as int) from events",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("Cannot cast string 'e1'"),
        "{}",
        stderr(&out)
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["events"], "no output and no temporary file is left");
}

#[test]
fn a_fifo_as_output_is_written_in_place_not_replaced() {
    // `-o /dev/null` once renamed a plain file onto the device. A FIFO
    // stands in for the device here: the test must not touch /dev/null.
    use std::os::unix::fs::FileTypeExt;
    let (dir, _) = lake_with(&required_batch(&EVENTS));
    let lake = dir.path().to_str().unwrap();
    let fifo = dir.path().join("result.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let (sent, received) = std::sync::mpsc::channel();
    let reader = fifo.clone();
    std::thread::spawn(move || sent.send(std::fs::read_to_string(reader).unwrap()));
    let out = convlake(&[
        "--lake",
        lake,
        "sql",
        "-f",
        "csv",
        "-o",
        fifo.to_str().unwrap(),
        "select count(*) as events from events",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the FIFO was replaced by {kind:?}");
    let read = received
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the reader got the result through the FIFO");
    // EVENTS holds 4 events.
    assert_eq!(read, "events\n4\n");
}

#[test]
fn a_folder_as_output_is_refused_before_running_naming_it() {
    let (dir, _) = lake_with(&required_batch(&EVENTS));
    let lake = dir.path().to_str().unwrap();
    let target = dir.path().join("exports");
    std::fs::create_dir(&target).unwrap();
    let out = convlake(&[
        "--lake",
        lake,
        "sql",
        "-f",
        "csv",
        "-o",
        target.to_str().unwrap(),
        // Would fail while running (a cast of every event_id): the folder
        // is refused before that.
        "select cast(event_id as int) from events",
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("'--output'"), "{err}");
    assert!(err.contains(target.to_str().unwrap()), "{err}");
    assert!(
        !err.contains("Cannot cast"),
        "refused before running: {err}"
    );
    let mut left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    left.sort();
    assert_eq!(left, ["events", "exports"], "no temporary file is left");
    assert_eq!(std::fs::read_dir(&target).unwrap().count(), 0);
}

#[test]
fn a_bad_lake_fails_with_the_file_named_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("events/part-0.parquet");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(&bad, b"PAR1 truncated").unwrap();
    let target = dir.path().join("out.csv");
    let out = convlake(&[
        "--lake",
        dir.path().to_str().unwrap(),
        "sql",
        "-o",
        target.to_str().unwrap(),
        "select 1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!(
            "cannot read Parquet file 'file://{}'",
            bad.display()
        )),
        "{}",
        stderr(&out)
    );
    assert!(!target.exists());
}

#[test]
fn prompt_reads_statements_until_semicolon_and_survives_errors() {
    let (dir, _) = lake_with(&required_batch(&EVENTS));
    let mut child = Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args([
            "--lake",
            dir.path().to_str().unwrap(),
            "sql",
            "--format",
            "csv",
        ])
        .env("HOME", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"select nope from events;\nselect count(*)\n  as n from events;\n\\q\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "n\n4\n");
    assert!(
        stderr(&out).contains("nope"),
        "the error is shown: {}",
        stderr(&out)
    );
}

#[test]
fn tables_and_describe() {
    let (dir, _) = lake_with(&required_batch(&EVENTS));
    let lake = dir.path().to_str().unwrap();
    let out = convlake(&["--lake", lake, "tables"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let events = text.lines().find(|l| l.starts_with("events")).unwrap();
    assert_eq!(
        events.split_whitespace().collect::<Vec<_>>()[..4],
        [
            "events",
            "1",
            "4",
            events.split_whitespace().nth(3).unwrap()
        ]
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("contacts") && l.contains("absent")),
        "{text}"
    );

    let out = convlake(&["--lake", lake, "describe", "events"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("| ts ") && text.contains("Timestamp(µs, \"UTC\")"),
        "{text}"
    );
}

#[test]
fn generate_refuses_a_non_empty_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), b"precious").unwrap();
    let out = convlake(&[
        "generate",
        "--conversations",
        "10",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("'--out'"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(dir.path().join("keep.txt")).unwrap(),
        b"precious"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn json_lines_write_every_column_in_every_row() {
    let out = convlake(&[
        "sql",
        "-f",
        "json",
        "select column1 as a, column2 as b from (values ('x', null), (null, 'y'))",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "{\"a\":\"x\",\"b\":null}\n{\"a\":null,\"b\":\"y\"}\n"
    );
}

/// How often `needle` occurs in `haystack`.
fn occurrences(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn an_error_says_each_cause_once() {
    let out = convlake(&["sql", "select * from no_such_table"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(
        occurrences(&err, "table 'datafusion.public.no_such_table' not found"),
        1,
        "{err}"
    );
    assert!(err.starts_with("error: "), "{err}");
    let out = convlake(&[
        "sql",
        "set convlake.period = 'last_week'; select * from conversation_summary",
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(
        occurrences(&err, "invalid value for parameter 'convlake.period'"),
        1,
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn an_unknown_time_zone_is_named_with_the_form_to_use() {
    let out = convlake(&[
        "sql",
        "set convlake.timezone = 'Mars/Olympus'; select * from conversation_summary",
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(
            "invalid value for parameter 'convlake.timezone': unknown time zone 'Mars/Olympus': \
             use an IANA name such as 'Europe/Paris'"
        ),
        "{err}"
    );
}

/// `select opened, closed from conversation_summary` on the sample lake, as CSV.
fn summary(extra: &[&str]) -> String {
    let mut args = vec!["sql", "-f", "csv"];
    args.extend(extra);
    args.push("select opened, closed from conversation_summary");
    let out = convlake(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn the_first_query_on_the_sample_lake_shows_data() {
    // By default `sql`, like `report`, is as of the lake's newest event.
    let latest = convlake(&["sql", "-f", "csv", "select max(ts) from events"]);
    let latest = stdout(&latest);
    let latest = latest.lines().nth(1).unwrap().replace(' ', "T");
    let by_default = summary(&[]);
    assert_eq!(by_default, summary(&["--as-of", &latest]));
    let counts: Vec<u64> = by_default
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(counts[0] > 0 && counts[1] > 0, "{by_default}");
    // As of now, the last 7 days (the default period) hold none of the
    // sample lake's events, which end on 2026-11-30.
    assert_eq!(summary(&["--as-of", "now"]), "opened,closed\n0,0\n");
    // A SET in the statements still wins over the flag's default.
    let set = convlake(&[
        "sql",
        "-f",
        "csv",
        "set convlake.as_of = '2026-10-15T00:00:00Z'; select opened, closed from conversation_summary",
    ]);
    assert!(set.status.success(), "{}", stderr(&set));
    let mid_october = summary(&["--as-of", "2026-10-15T00:00:00Z"]);
    assert_eq!(stdout(&set), mid_october);
    assert_ne!(mid_october, by_default);
}

#[test]
fn the_report_shows_shares_as_percentages() {
    let out = convlake(&[
        "report",
        "conversations",
        "--period",
        "last_30_days",
        "--tz",
        "Europe/Paris",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let section = text
        .split("== ")
        .find(|s| s.contains("(opened_by_contact_type)"))
        .unwrap();
    // new and returning: two percentages with one decimal.
    let percents: Vec<f64> = section
        .lines()
        .filter_map(|l| {
            let cell = l.split('|').rev().nth(1)?.trim();
            cell.strip_suffix(" %")?.parse().ok()
        })
        .collect();
    assert_eq!(percents.len(), 2, "{section}");
    assert!(
        (percents.iter().sum::<f64>() - 100.0).abs() <= 0.1,
        "{section}"
    );
    assert!(!section.contains("0.4"), "a raw fraction in\n{section}");
    // JSON keeps the fraction.
    let out = convlake(&[
        "report",
        "conversations",
        "--period",
        "last_30_days",
        "--format",
        "json",
    ]);
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = page["components"]["opened_by_contact_type"]["rows"]
        .as_array()
        .unwrap();
    let total: f64 = rows.iter().map(|r| r["share"].as_f64().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-9, "{rows:?}");
}

#[test]
fn progress_is_drawn_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("lake");
    let out_dir = out_dir.to_str().unwrap();
    // stderr a pipe: only the summary line.
    let out = convlake(&[
        "generate",
        "--conversations",
        "2000",
        "--days",
        "3",
        "--out",
        out_dir,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("wrote 2000 conversations"), "{err}");
    // A real terminal (util-linux `script` gives the command a pty): the bar.
    let command = format!(
        "{} generate --conversations 2000 --days 3 --force --out {out_dir}",
        env!("CARGO_BIN_EXE_convlake")
    );
    let tty = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("CONVLAKE_LAKE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        tty.status.success(),
        "{}",
        String::from_utf8_lossy(&tty.stdout)
    );
    let screen = String::from_utf8_lossy(&tty.stdout);
    assert!(screen.contains("generating ["), "{screen}");
    assert!(screen.contains("/2,000 conversations"), "{screen}");
    assert!(screen.contains("wrote 2000 conversations"), "{screen}");
}
