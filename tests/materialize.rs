//! `convlake materialize`: each contact's first opening kept in the lake
//! (src/first_openings.rs). It must never change an answer: a lake with
//! events files it does not cover, or with a covered file changed, is read
//! from its events until it is materialised again.

use std::path::Path;
use std::process::Command;

use convlake::first_openings::{FILE, Materialised};
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
    let out = materialize(lake);
    assert!(
        out.contains("1 contacts") && out.contains("read 1 of 1 events files"),
        "{out}"
    );
    let info = assert_contact_types(lake, &c1_new, &c1_opened_new).await;
    assert!(matches!(
        info.first_openings,
        Materialised::Current { contacts: 1, .. }
    ));

    // A late file with an earlier opening of k1: the materialisation says
    // k1 first opened on the 20th, so it must not be read.
    write_parquet(&day("10"), &required_batch(&NOVEMBER_10));
    let info = assert_contact_types(lake, &c0_new, &c1_opened_returning).await;
    assert!(
        matches!(&info.first_openings, Materialised::Behind { new_files } if new_files.len() == 1),
        "{:?}",
        info.first_openings
    );

    // Caught up by reading the new file alone, then read: same answers.
    let out = materialize(lake);
    assert!(
        out.contains("1 contacts") && out.contains("read 1 of 2 events files"),
        "{out}"
    );
    let info = assert_contact_types(lake, &c0_new, &c1_opened_returning).await;
    assert!(matches!(
        info.first_openings,
        Materialised::Current { contacts: 1, .. }
    ));

    // The 10th rewritten without c0: k1's first opening is the 20th again,
    // which only a fresh read of every file can tell.
    write_parquet(&day("10"), &required_batch(&[EVENTS[3]]));
    let info = assert_contact_types(lake, &c1_new, &c1_opened_new).await;
    assert!(
        matches!(&info.first_openings, Materialised::Stale { reason } if reason.contains("date=2026-11-10")),
        "{:?}",
        info.first_openings
    );
    let out = materialize(lake);
    assert!(out.contains("read 2 of 2 events files"), "{out}");
    let info = assert_contact_types(lake, &c1_new, &c1_opened_new).await;
    assert!(matches!(info.first_openings, Materialised::Current { .. }));
}

/// On the sample lake (2,000 conversations over 61 days), every contact
/// type answer is the same with the materialisation as without, and a
/// period's opened components read it with the period's start as a bound
/// on `first_opened_at`, which prunes its row groups.
#[tokio::test]
async fn the_sample_lake_answers_the_same_materialised() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(convlake::SAMPLE_LAKE), dir.path());
    let queries = [
        "select contact_type, conversations from opened_by_contact_type order by 1",
        "select contact_type, conversations from closed_by_contact_type order by 1",
        "select conversation_id, contact_type from conversation_list order by 1",
    ];
    async fn answers(lake: &Path, queries: &[&str]) -> Vec<Vec<String>> {
        let (ctx, _) = open(lake).await;
        let mut out = Vec::new();
        for period in ["all", "2026-11-01T00:00:00Z/2026-11-30T00:00:00Z"] {
            ctx.sql(&format!("set convlake.period = '{period}'"))
                .await
                .unwrap();
            for q in queries {
                out.push(query_csv(&ctx, q).await);
            }
        }
        out
    }
    let raw = answers(dir.path(), &queries).await;
    // Both contact types occur in both periods.
    for rows in [&raw[0], &raw[3]] {
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
    materialize(dir.path());
    assert!(dir.path().join(FILE).is_file());
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
    write_parquet(&dir.path().join(FILE), &required_batch(&EVENTS));
    let err = crate::common::open_err(dir.path()).await.to_string();
    assert!(
        err.contains("_convlake/contact_first_openings.parquet")
            && err.contains("convlake.covers")
            && err.contains("convlake materialize"),
        "{err}"
    );
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
