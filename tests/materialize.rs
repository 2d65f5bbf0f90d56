//! `convlake materialize`: each contact's first opening
//! (src/materialize/first_openings.rs) and every conversation's metrics
//! (src/materialize/conversations.rs) kept in the lake. They must never change an
//! answer: a lake with events files they do not cover, or with a covered
//! file changed, is read from its events until it is materialised again,
//! and so is a report as of a time before the last event.

use std::path::{Path, PathBuf};
use std::process::Command;

use convlake::lake::Materialised;
use convlake::materialize::conversations::FILE as CONVERSATIONS_FILE;
use convlake::materialize::first_openings::FILE;
use datafusion::prelude::SessionContext;

use crate::common::{EVENTS, Row, query_csv, required_batch, write_parquet};

/// Contact k1 opens c1 on 20 November (`common::EVENTS`); a late file adds
/// c0, opened by k1 on 10 November, so c0 is k1's first conversation and c1
/// a return.
const NOVEMBER_10: [Row<'static>; 2] = [
    (
        "e0",
        "2026-11-10T09:00:00Z",
        "ws1",
        "c0",
        "k1",
        "conversation_opened",
    ),
    (
        "e00",
        "2026-11-10T10:00:00Z",
        "ws1",
        "c0",
        "k1",
        "conversation_closed",
    ),
];

async fn open(lake: &Path) -> (SessionContext, convlake::Lake) {
    let ctx = convlake::session_context();
    let info = convlake::register(&ctx, lake.to_str().unwrap())
        .await
        .unwrap();
    ctx.sql("set convlake.as_of = '2026-11-30T00:00:00Z'")
        .await
        .unwrap();
    (ctx, info)
}

/// Each conversation's contact type over the whole lake, and the opened
/// contact types of 15-25 November (c1 alone).
async fn contact_types(ctx: &SessionContext) -> (Vec<String>, Vec<String>) {
    ctx.sql("set convlake.period = 'all'").await.unwrap();
    let all = query_csv(
        ctx,
        "select conversation_id, contact_type from conversation_facts order by 1",
    )
    .await;
    ctx.sql("set convlake.period = '2026-11-15T00:00:00Z/2026-11-25T00:00:00Z'")
        .await
        .unwrap();
    let opened = query_csv(
        ctx,
        "select contact_type, conversations from opened_by_contact_type order by 1",
    )
    .await;
    (all, opened)
}

/// Opens the lake and checks both contact-type answers.
async fn assert_contact_types(lake: &Path, all: &[&str], opened: &[&str]) -> convlake::Lake {
    let (ctx, info) = open(lake).await;
    let (got_all, got_opened) = contact_types(&ctx).await;
    assert_eq!(got_all, all);
    assert_eq!(got_opened, opened);
    info
}

fn materialize(lake: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args(["--lake", lake.to_str().unwrap(), "materialize"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn a_materialisation_is_used_only_while_it_covers_every_events_file() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path();
    let day = |d: &str| lake.join(format!("events/date=2026-11-{d}/part-0.parquet"));
    let c1_new = ["conversation_id,contact_type", "c1,new"];
    let c1_opened_new = ["contact_type,conversations", "new,1", "returning,0"];
    let c0_new = ["conversation_id,contact_type", "c0,new", "c1,returning"];
    let c1_opened_returning = ["contact_type,conversations", "new,0", "returning,1"];
    write_parquet(&day("20"), &required_batch(&EVENTS));

    let info = assert_contact_types(lake, &c1_new, &c1_opened_new).await;
    assert_eq!(info.first_openings, Materialised::Absent);
    assert_eq!(info.conversations, Materialised::Absent);
    let out = materialize(lake);
    assert!(
        out.contains("1 contacts") && out.contains("read 1 of 1 lake files"),
        "{out}"
    );
    assert!(out.contains("1 conversations"), "{out}");
    let info = assert_contact_types(lake, &c1_new, &c1_opened_new).await;
    assert!(matches!(
        info.first_openings,
        Materialised::Current { rows: 1, .. }
    ));
    assert!(matches!(
        info.conversations,
        Materialised::Current { rows: 1, .. }
    ));

    // A late file with an earlier opening of k1: the materialisation says
    // k1 first opened on the 20th, so it must not be read.
    write_parquet(&day("10"), &required_batch(&NOVEMBER_10));
    let info = assert_contact_types(lake, &c0_new, &c1_opened_returning).await;
    for status in [&info.first_openings, &info.conversations] {
        assert!(
            matches!(status, Materialised::Behind { new_files } if new_files.len() == 1),
            "{status:?}"
        );
    }

    // Caught up by reading the new file alone, then read: same answers.
    // The conversations' file keeps c1 (no event in the new file) and
    // adds c0, computed from the events; c1 was k1's first conversation and
    // is now a return, which the answers below read from the file.
    let out = materialize(lake);
    let line = |file: &str| out.lines().find(|l| l.starts_with(file)).unwrap_or("");
    assert!(
        line(FILE).contains("1 contacts") && line(FILE).contains("read 1 of 2 lake files"),
        "{out}"
    );
    assert!(
        line(CONVERSATIONS_FILE).contains("2 conversations")
            && line(CONVERSATIONS_FILE).contains("read 1 of 2 lake files"),
        "{out}"
    );
    let info = assert_contact_types(lake, &c0_new, &c1_opened_returning).await;
    assert!(matches!(
        info.first_openings,
        Materialised::Current { rows: 1, .. }
    ));
    assert!(matches!(
        info.conversations,
        Materialised::Current { rows: 2, .. }
    ));

    // The 10th rewritten without c0: k1's first opening is the 20th again,
    // which only a fresh read of every file can tell.
    write_parquet(&day("10"), &required_batch(&[EVENTS[3]]));
    let info = assert_contact_types(lake, &c1_new, &c1_opened_new).await;
    for status in [&info.first_openings, &info.conversations] {
        assert!(
            matches!(status, Materialised::Stale { reason } if reason.contains("date=2026-11-10")),
            "{status:?}"
        );
    }
    let out = materialize(lake);
    assert!(out.contains("read 2 of 2 lake files"), "{out}");
    let info = assert_contact_types(lake, &c1_new, &c1_opened_new).await;
    assert!(matches!(info.first_openings, Materialised::Current { .. }));
    assert!(matches!(info.conversations, Materialised::Current { .. }));
}

/// c1 (`common::EVENTS`) opens at 09:00 and closes at 10:00 on 20 November,
/// the lake's last event. Materialised, it is closed after 3,600 s. A
/// report as of 09:30 must see it open, which only the events can tell:
/// the file is read as of 10:00 or later, and not before.
#[tokio::test]
async fn materialised_conversations_are_read_only_as_of_their_last_event() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path();
    write_parquet(
        &lake.join("events/date=2026-11-20/part-0.parquet"),
        &required_batch(&EVENTS),
    );
    materialize(lake);
    let (ctx, info) = open(lake).await;
    assert!(matches!(
        info.conversations,
        Materialised::Current { rows: 1, .. }
    ));
    ctx.sql("set convlake.period = 'all'").await.unwrap();
    let query = "select conversation_id, closed_at, resolution_time_seconds, contact_type \
                 from conversation_facts";
    for (as_of, row, reads_file) in [
        ("2026-11-20T09:30:00Z", "c1,,,new", false),
        ("2026-11-20T09:59:59Z", "c1,,,new", false),
        (
            "2026-11-20T10:00:00Z",
            "c1,2026-11-20T10:00:00Z,3600.0,new",
            true,
        ),
        (
            "2026-11-30T00:00:00Z",
            "c1,2026-11-20T10:00:00Z,3600.0,new",
            true,
        ),
    ] {
        ctx.sql(&format!("set convlake.as_of = '{as_of}'"))
            .await
            .unwrap();
        assert_eq!(
            query_csv(&ctx, query).await,
            [
                "conversation_id,closed_at,resolution_time_seconds,contact_type",
                row
            ],
            "as of {as_of}"
        );
        let plan = query_csv(&ctx, &format!("explain {query}"))
            .await
            .join("\n");
        assert_eq!(
            plan.contains(CONVERSATIONS_FILE),
            reads_file,
            "as of {as_of}:\n{plan}"
        );
        assert_eq!(plan.contains("events/date="), !reads_file, "as of {as_of}");
    }
}

/// Answers compared with and without materialisations on the sample lake.
const SAMPLE_QUERIES: [&str; 5] = [
    "select contact_type, conversations from opened_by_contact_type order by 1",
    "select contact_type, conversations from closed_by_contact_type order by 1",
    "select conversation_id, contact_type from conversation_list order by 1",
    "select * from conversation_list order by conversation_id",
    "select * from conversation_summary",
];

/// Each query's answer as of 30 November (before the sample lake's last
/// event: the events are read) and 1 December (after it: a current
/// conversations' file is read), over the whole lake and November.
async fn answers(lake: &Path, queries: &[&str]) -> Vec<Vec<String>> {
    let (ctx, _) = open(lake).await;
    let mut out = Vec::new();
    for as_of in ["2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z"] {
        ctx.sql(&format!("set convlake.as_of = '{as_of}'"))
            .await
            .unwrap();
        for period in ["all", "2026-11-01T00:00:00Z/2026-11-30T00:00:00Z"] {
            ctx.sql(&format!("set convlake.period = '{period}'"))
                .await
                .unwrap();
            for q in queries {
                out.push(query_csv(&ctx, q).await);
            }
        }
    }
    out
}

/// The sample lake materialised without its last 8 days and one late
/// file (events of conversations opened on 24 October that arrived late),
/// then with them back: `materialize` reads those files alone for each
/// contact's first opening and computes again only the conversations with
/// an event in them, and every answer is the one the events give.
#[tokio::test]
async fn materialised_again_after_new_files_the_sample_lake_answers_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path();
    copy_dir(Path::new(convlake::SAMPLE_LAKE), lake);
    let raw = answers(lake, &SAMPLE_QUERIES).await;

    let aside = tempfile::tempdir().unwrap();
    let mut days: Vec<_> = std::fs::read_dir(lake.join("events"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    days.sort();
    let mut held = Vec::new();
    for day in &days[days.len() - 8..] {
        held.push(PathBuf::from("events").join(day));
    }
    held.push(PathBuf::from("events/date=2026-10-24/late-001.parquet"));
    let mut held_files = 0;
    for path in &held {
        let from = lake.join(path);
        held_files += if from.is_dir() {
            std::fs::read_dir(&from).unwrap().count()
        } else {
            1
        };
        let to = aside.path().join(path.to_string_lossy().replace('/', "_"));
        std::fs::rename(&from, &to).unwrap();
    }
    materialize(lake);
    for path in &held {
        let from = aside.path().join(path.to_string_lossy().replace('/', "_"));
        std::fs::rename(&from, lake.join(path)).unwrap();
    }
    let (_, info) = open(lake).await;
    assert!(
        matches!(&info.conversations, Materialised::Behind { new_files } if new_files.len() == held_files),
        "{:?}",
        info.conversations
    );
    let out = materialize(lake);
    let line = out
        .lines()
        .find(|l| l.starts_with(CONVERSATIONS_FILE))
        .unwrap_or_default();
    // --conversations 2000, each opened (README.md, "Sample lake").
    assert!(
        line.contains("2000 conversations") && line.contains(&format!("read {held_files} of ")),
        "{out}"
    );
    let (_, info) = open(lake).await;
    assert!(matches!(
        info.conversations,
        Materialised::Current { rows: 2000, .. }
    ));
    assert_eq!(answers(lake, &SAMPLE_QUERIES).await, raw);
}

/// On the sample lake (2,000 conversations over 61 days, up to
/// 2026-11-30T23:43Z), every answer below is the same materialised as not,
/// both as of 30 November (the events are read) and as of 1 December (the
/// conversations' file is). A period's opened components read the first
/// openings with the period's start as a bound on `first_opened_at`, and
/// the list reads the conversations' file with the period as a bound on
/// `opened_at` and `closed_at`: both prune row groups.
#[tokio::test]
async fn the_sample_lake_answers_the_same_materialised() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(convlake::SAMPLE_LAKE), dir.path());
    let queries = SAMPLE_QUERIES;
    let raw = answers(dir.path(), &queries).await;
    // Both contact types occur in both periods; the lists are not empty.
    for rows in [&raw[0], &raw[5]] {
        assert!(
            rows.iter().any(|r| r.starts_with("new,") && r != "new,0"),
            "{rows:?}"
        );
        assert!(
            rows.iter()
                .any(|r| r.starts_with("returning,") && r != "returning,0"),
            "{rows:?}"
        );
    }
    assert!(
        raw[8].len() > 100,
        "{} rows in November's list",
        raw[8].len()
    );
    materialize(dir.path());
    assert!(dir.path().join(FILE).is_file());
    assert!(dir.path().join(CONVERSATIONS_FILE).is_file());
    assert_eq!(answers(dir.path(), &queries).await, raw);

    let (ctx, _) = open(dir.path()).await;
    ctx.sql("set convlake.period = '2026-11-01T00:00:00Z/2026-11-30T00:00:00Z'")
        .await
        .unwrap();
    let plan = query_csv(&ctx, "explain select * from opened_by_contact_type")
        .await
        .join("\n");
    let scan = plan
        .lines()
        .find(|l| l.contains("contact_first_openings.parquet"))
        .unwrap_or_else(|| panic!("no scan of the materialisation:\n{plan}"));
    // A component that reads no contact type does not read it at all.
    let heatmap = query_csv(&ctx, "explain select * from heatmap_opened")
        .await
        .join("\n");
    assert!(!heatmap.contains("contact_first_openings"), "{heatmap}");
    // 2026-11-01T00:00:00Z in microseconds.
    assert!(
        scan.contains("predicate=") && scan.contains(">= 1793491200000000"),
        "the period's start is not a bound of the scan: {scan}"
    );
    ctx.sql("set convlake.as_of = '2026-12-01T00:00:00Z'")
        .await
        .unwrap();
    let plan = query_csv(&ctx, "explain select * from conversation_list")
        .await
        .join("\n");
    let scan = plan
        .lines()
        .find(|l| l.contains(CONVERSATIONS_FILE))
        .unwrap_or_else(|| panic!("no scan of the conversations' file:\n{plan}"));
    assert!(
        scan.contains("pruning_predicate=")
            && scan.contains("opened_at_min")
            && scan.contains("closed_at_max")
            && scan.contains("1793491200000000"),
        "the period is not a bound of the scan: {scan}"
    );
    assert!(!plan.contains("events/date="), "{plan}");
}

/// A file in the materialisation's place that convlake did not write is an
/// error naming it, not something silently read or ignored.
#[tokio::test]
async fn a_foreign_file_in_its_place_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    write_parquet(
        &dir.path().join("events/date=2026-11-20/part-0.parquet"),
        &required_batch(&EVENTS),
    );
    for file in [FILE, CONVERSATIONS_FILE] {
        let path = dir.path().join(file);
        write_parquet(&path, &required_batch(&EVENTS));
        let err = crate::common::open_err(dir.path()).await.to_string();
        assert!(
            err.contains(file)
                && err.contains("convlake.covers")
                && err.contains("convlake materialize"),
            "{err}"
        );
        std::fs::remove_file(path).unwrap();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
