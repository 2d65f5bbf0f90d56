//! Bad input gets an error naming the file and what is wrong (issue: lake,
//! generator, CLI). Each lake here is real Parquet written to a temp folder.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};

use crate::common::{EVENTS, lake_with, open_err, required_batch, write_parquet};

/// `batch` with column `name` replaced by `array` of type `ty`.
fn replace(
    batch: &RecordBatch,
    name: &str,
    ty: DataType,
    nullable: bool,
    array: ArrayRef,
) -> RecordBatch {
    let idx = batch.schema().index_of(name).unwrap();
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields[idx] = Field::new(name, ty, nullable);
    let mut columns = batch.columns().to_vec();
    columns[idx] = array;
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
}

async fn open_error(batch: &RecordBatch) -> (String, String) {
    let (dir, file) = lake_with(batch);
    let err = open_err(dir.path()).await;
    (format!("{err}"), file.display().to_string())
}

#[tokio::test]
async fn corrupt_parquet_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events/part-0.parquet");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(
        &file,
        b"this is not parquet at all, just text pretending to be",
    )
    .unwrap();
    let err = open_err(dir.path()).await.to_string();
    assert!(err.starts_with("cannot read Parquet file '"), "{err}");
    assert!(err.contains(&file.display().to_string()), "{err}");
}

#[tokio::test]
async fn truncated_parquet_names_the_file_and_the_cause() {
    let (dir, file) = lake_with(&required_batch(&EVENTS));
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    let err = open_err(dir.path()).await;
    let chain = err.chain();
    assert!(chain.contains(&file.display().to_string()), "{chain}");
    // The cause (a bad footer) is kept in the chain.
    assert!(
        chain.contains("cannot read Parquet file") && chain.contains(": "),
        "{chain}"
    );
}

#[tokio::test]
async fn wrong_type_names_file_column_expected_and_found() {
    let batch = replace(
        &required_batch(&EVENTS),
        "contact_id",
        DataType::Int64,
        false,
        Arc::new(Int64Array::from(vec![1, 2, 3, 4])),
    );
    let (err, file) = open_error(&batch).await;
    assert_eq!(
        err,
        format!(
            "file '{}': column 'contact_id' has type Int64, expected Utf8 (or LargeUtf8, Utf8View, dictionary of strings)",
            file_url(&file)
        )
    );
}

#[tokio::test]
async fn missing_required_column() {
    let batch = required_batch(&EVENTS);
    let batch = batch.project(&[0, 1, 2, 4, 5]).unwrap(); // no conversation_id
    let (err, file) = open_error(&batch).await;
    assert_eq!(
        err,
        format!(
            "file '{}': required column 'conversation_id' (Utf8 (or LargeUtf8, Utf8View, dictionary of strings)) is missing",
            file_url(&file)
        )
    );
}

#[tokio::test]
async fn timestamp_without_time_zone_is_ambiguous() {
    let naive = TimestampMicrosecondArray::from(vec![1, 2, 3, 4]);
    let batch = replace(
        &required_batch(&EVENTS),
        "ts",
        DataType::Timestamp(TimeUnit::Microsecond, None),
        false,
        Arc::new(naive),
    );
    let (err, file) = open_error(&batch).await;
    assert!(
        err.starts_with(&format!(
            "file '{}': column 'ts' is Timestamp(µs) without a time zone",
            file_url(&file)
        )),
        "{err}"
    );
    assert!(err.contains("ambiguous"), "{err}");
}

#[tokio::test]
async fn null_in_required_column() {
    let ids = StringArray::from(vec![Some("k1"), None, Some("k1"), Some("k1")]);
    let batch = replace(
        &required_batch(&EVENTS),
        "contact_id",
        DataType::Utf8,
        true,
        Arc::new(ids),
    );
    let (err, file) = open_error(&batch).await;
    assert_eq!(
        err,
        format!(
            "file '{}': required column 'contact_id' has 1 null value(s) (row group 0)",
            file_url(&file)
        )
    );
}

#[tokio::test]
async fn unknown_event_type_outside_the_statistics_range() {
    let mut rows = EVENTS;
    rows[2].5 = "reaction";
    let (err, file) = open_error(&required_batch(&rows)).await;
    assert!(
        err.starts_with(&format!(
            "file '{}': unknown event_type 'reaction'",
            file_url(&file)
        )),
        "{err}"
    );
}

#[tokio::test]
async fn unknown_event_type_hidden_inside_the_statistics_range() {
    // 'bot_message' sorts between 'assignee_changed' and 'conversation_closed':
    // min/max statistics cannot see it, so the values themselves are read.
    let mut rows = EVENTS;
    rows[0].5 = "assignee_changed";
    rows[2].5 = "bot_message";
    let (err, file) = open_error(&required_batch(&rows)).await;
    assert_eq!(
        err,
        format!(
            "file '{}': unknown event_type 'bot_message' at row 2 (expected one of: conversation_opened, \
             conversation_closed, assignee_changed, message, handover)",
            file_url(&file)
        )
    );
}

#[tokio::test]
async fn no_events_table() {
    let dir = tempfile::tempdir().unwrap();
    write_parquet(
        &dir.path().join("users/part-0.parquet"),
        &required_batch(&EVENTS),
    );
    let err = open_err(dir.path()).await.to_string();
    assert!(err.starts_with("no events table in lake 'file://"), "{err}");
    assert!(err.contains("/events/'"), "{err}");
}

#[tokio::test]
async fn one_bad_file_among_good_ones_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write_parquet(
        &dir.path().join("events/date=2026-11-19/part-0.parquet"),
        &required_batch(&EVENTS),
    );
    let bad = replace(
        &required_batch(&EVENTS),
        "event_id",
        DataType::Int64,
        false,
        Arc::new(Int64Array::from(vec![1, 2, 3, 4])),
    );
    let bad_file = dir.path().join("events/date=2026-11-20/part-0.parquet");
    write_parquet(&bad_file, &bad);
    let err = open_err(dir.path()).await.to_string();
    assert!(
        err.contains(&file_url(&bad_file.display().to_string())),
        "{err}"
    );
    assert!(err.contains("column 'event_id' has type Int64"), "{err}");
}

/// How errors name a local file: its `file://` URL.
pub fn file_url(path: &str) -> String {
    format!("file://{path}")
}

#[tokio::test]
async fn files_with_different_partition_folders_are_named() {
    let dir = tempfile::tempdir().unwrap();
    write_parquet(
        &dir.path().join("events/date=2026-11-19/part-0.parquet"),
        &required_batch(&EVENTS),
    );
    let stray = dir.path().join("events/part-9.parquet");
    write_parquet(&stray, &required_batch(&EVENTS));
    let err = open_err(dir.path()).await.to_string();
    assert!(
        err.starts_with(&format!(
            "file '{}'",
            file_url(&stray.display().to_string())
        )),
        "{err}"
    );
    assert!(
        err.contains("differ from those of") && err.contains("same Hive partition keys"),
        "{err}"
    );
}
