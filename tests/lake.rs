//! Opening lakes written by different writers, and what is declared to DataFusion.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, DictionaryArray, Int32Array, LargeStringArray, RecordBatch, StringArray,
    StringViewArray, TimestampNanosecondArray,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema, TimeUnit};

use crate::common::{EVENTS, micros, open, query_csv, write_parquet};

/// A writer that uses every other encoding SPEC.md §1.1 allows: LargeUtf8,
/// Utf8View, dictionary strings, nanosecond timestamps in a non-UTC zone,
/// columns in another order, an extra column, optional columns absent.
fn unusual_writer_batch() -> RecordBatch {
    let n = EVENTS.len();
    let ns = TimestampNanosecondArray::from_iter_values(EVENTS.iter().map(|r| micros(r.1) * 1000))
        .with_timezone("Europe/Paris");
    let types: DictionaryArray<Int32Type> = EVENTS.iter().map(|r| r.5).collect();
    let columns: Vec<(Field, ArrayRef)> = vec![
        (
            Field::new("ingest_batch", DataType::Int32, true),
            Arc::new(Int32Array::from(vec![7; n])),
        ),
        (
            Field::new("event_type", types.data_type().clone(), false),
            Arc::new(types),
        ),
        (
            Field::new(
                "ts",
                DataType::Timestamp(TimeUnit::Nanosecond, Some("Europe/Paris".into())),
                false,
            ),
            Arc::new(ns),
        ),
        (
            Field::new("event_id", DataType::LargeUtf8, false),
            Arc::new(LargeStringArray::from_iter_values(
                EVENTS.iter().map(|r| r.0),
            )),
        ),
        (
            Field::new("workspace_id", DataType::Utf8View, false),
            Arc::new(StringViewArray::from_iter_values(
                EVENTS.iter().map(|r| r.2),
            )),
        ),
        (
            Field::new("conversation_id", DataType::Utf8, false),
            Arc::new(StringArray::from_iter_values(EVENTS.iter().map(|r| r.3))),
        ),
        (
            Field::new("contact_id", DataType::Utf8, false),
            Arc::new(StringArray::from_iter_values(EVENTS.iter().map(|r| r.4))),
        ),
        (
            Field::new("direction", DataType::Utf8, true),
            Arc::new(StringArray::from(vec![
                None,
                Some("incoming"),
                Some("outgoing"),
                None,
            ])),
        ),
    ];
    let (fields, arrays): (Vec<_>, Vec<_>) = columns.into_iter().unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

#[tokio::test]
async fn reads_every_allowed_encoding_as_the_canonical_schema() {
    let dir = tempfile::tempdir().unwrap();
    write_parquet(
        &dir.path().join("events/part-0.parquet"),
        &unusual_writer_batch(),
    );
    let ctx = open(dir.path()).await.unwrap();
    // 09:01 UTC stays 09:01 UTC whatever zone the writer used; the absent
    // optional columns read as NULL and the extra column is not exposed.
    let rows = query_csv(
        &ctx,
        "select event_id, ts, event_type, direction, channel_id is null as no_channel from events order by ts",
    )
    .await;
    assert_eq!(
        rows,
        [
            "event_id,ts,event_type,direction,no_channel",
            "e1,2026-11-20T09:00:00Z,conversation_opened,,true",
            "e2,2026-11-20T09:01:00Z,message,incoming,true",
            "e3,2026-11-20T09:05:00Z,message,outgoing,true",
            "e4,2026-11-20T10:00:00Z,conversation_closed,,true",
        ]
    );
    let schema = ctx
        .table("events")
        .await
        .unwrap()
        .schema()
        .as_arrow()
        .clone();
    assert_eq!(
        schema.field_with_name("ts").unwrap().data_type(),
        &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    );
    assert!(
        schema.field_with_name("ingest_batch").is_err(),
        "extra columns are ignored"
    );
    assert_eq!(schema.fields().len(), 19, "the 19 columns of SPEC.md §1.1");
}

#[tokio::test]
async fn missing_dimensions_are_registered_empty() {
    let dir = tempfile::tempdir().unwrap();
    write_parquet(
        &dir.path().join("events/part-0.parquet"),
        &crate::common::required_batch(&EVENTS),
    );
    let ctx = open(dir.path()).await.unwrap();
    for (table, key) in [
        ("contacts", "contact_id"),
        ("users", "user_id"),
        ("teams", "team_id"),
        ("channels", "channel_id"),
        ("establishments", "establishment_id"),
        ("workspaces", "workspace_id"),
    ] {
        let rows = query_csv(&ctx, &format!("select count({key}) as n from {table}")).await;
        assert_eq!(rows, ["n", "0"], "{table}");
    }
}

#[tokio::test]
async fn hive_partitions_and_declared_sort_order_reach_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lake");
    convlake::generate::generate(&convlake::generate::GenerateOptions {
        conversations: 300,
        seed: 7,
        out: out.clone(),
        workspaces: 2,
        start: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        days: 5,
        force: false,
    })
    .unwrap();
    let ctx = convlake::session_context();
    let lake = convlake::register(&ctx, out.to_str().unwrap())
        .await
        .unwrap();
    let events = lake.tables.iter().find(|t| t.name == "events").unwrap();
    assert_eq!(events.partitions, ["date"]);
    assert_eq!(events.sort_order, convlake::lake::EVENTS_SORT);

    // A filter on the partition column prunes whole folders: 1 day of 5.
    let rows = query_csv(
        &ctx,
        "select count(distinct date) as days from events where date = '2026-11-03'",
    )
    .await;
    assert_eq!(rows, ["days", "1"]);
    let plan = query_csv(
        &ctx,
        "explain select workspace_id, conversation_id, ts from events where date = '2026-11-03'",
    )
    .await
    .join("\n");
    assert!(plan.contains("output_ordering=[workspace_id@"), "{plan}");
    // Only the files of that day are listed in the scan.
    assert!(
        !plan.contains("date=2026-11-02") && plan.contains("date=2026-11-03"),
        "{plan}"
    );
}
