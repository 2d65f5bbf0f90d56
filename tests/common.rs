//! Shared fixtures: small hand-built event files written as real Parquet.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;

/// One event row: (event_id, ts as RFC 3339, workspace, conversation, contact, event_type).
pub type Row<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, &'a str);

pub fn micros(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .expect("valid RFC 3339")
        .timestamp_micros()
}

/// The six required columns of SPEC.md §1.1, as plain Utf8 / µs UTC.
pub fn required_batch(rows: &[Row]) -> RecordBatch {
    fn strings<'a>(rows: &[Row<'a>], f: impl Fn(&Row<'a>) -> &'a str) -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    }
    let ts = TimestampMicrosecondArray::from_iter_values(rows.iter().map(|r| micros(r.1)))
        .with_timezone("UTC");
    let schema = Schema::new(vec![
        Field::new("event_id", DataType::Utf8, false),
        Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("workspace_id", DataType::Utf8, false),
        Field::new("conversation_id", DataType::Utf8, false),
        Field::new("contact_id", DataType::Utf8, false),
        Field::new("event_type", DataType::Utf8, false),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            strings(rows, |r| r.0),
            Arc::new(ts),
            strings(rows, |r| r.2),
            strings(rows, |r| r.3),
            strings(rows, |r| r.4),
            strings(rows, |r| r.5),
        ],
    )
    .expect("consistent batch")
}

/// Writes `batch` as a Parquet file at `path`, creating folders.
pub fn write_parquet(path: &Path, batch: &RecordBatch) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

/// A lake in a fresh temporary folder holding one events file with `batch`.
pub fn lake_with(batch: &RecordBatch) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events/date=2026-11-20/part-0.parquet");
    write_parquet(&file, batch);
    (dir, file)
}

pub const EVENTS: [Row<'static>; 4] = [
    (
        "e1",
        "2026-11-20T09:00:00Z",
        "ws1",
        "c1",
        "k1",
        "conversation_opened",
    ),
    ("e2", "2026-11-20T09:01:00Z", "ws1", "c1", "k1", "message"),
    ("e3", "2026-11-20T09:05:00Z", "ws1", "c1", "k1", "message"),
    (
        "e4",
        "2026-11-20T10:00:00Z",
        "ws1",
        "c1",
        "k1",
        "conversation_closed",
    ),
];

/// Opens the lake at `path` with convlake's one registration function.
pub async fn open(path: &Path) -> convlake::Result<datafusion::prelude::SessionContext> {
    let ctx = convlake::session_context();
    convlake::register(&ctx, path.to_str().unwrap()).await?;
    Ok(ctx)
}

/// The error opening the lake at `path` gives; panics if it opens.
pub async fn open_err(path: &Path) -> convlake::Error {
    match open(path).await {
        Ok(_) => panic!("the lake at {} must not open", path.display()),
        Err(err) => err,
    }
}

/// Runs `sql` and renders the result as CSV lines (header first).
pub async fn query_csv(ctx: &datafusion::prelude::SessionContext, sql: &str) -> Vec<String> {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let mut out = Vec::new();
    {
        let mut writer = arrow::csv::WriterBuilder::new()
            .with_header(true)
            .build(&mut out);
        for b in &batches {
            writer.write(b).unwrap();
        }
    }
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}
