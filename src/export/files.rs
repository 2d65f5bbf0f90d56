//! One file of an export, streamed to its object store as it is written
//! (a multipart upload, so memory holds one part, not the file): Parquet
//! with zstd and the views' types, CSV (RFC 4180: a header, quoted fields,
//! CRLF; UTF-8; timestamps in RFC 3339 with their offset; lists as
//! `[a, b]`), or JSON lines.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::AsyncArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use tokio::io::AsyncWriteExt;

use crate::error::{Error, Result};

/// The format of an export's files.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// Apache Parquet, zstd
    Parquet,
    /// Comma-separated values, RFC 4180, with a header
    Csv,
    /// One JSON object per line
    Jsonl,
    /// A report page (--report), one self-contained HTML file
    Html,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Parquet => "parquet",
            ExportFormat::Csv => "csv",
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Html => "html",
        }
    }
}

/// Rows per Parquet row group: what a writer holds before it uploads.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// A file being written.
pub struct FileWriter {
    pub path: Path,
    pub rows: u64,
    bytes: u64,
    sink: Sink,
}

// One per open file: its size does not matter.
#[allow(clippy::large_enum_variant)]
enum Sink {
    Parquet(AsyncArrowWriter<BufWriter>),
    Text {
        out: BufWriter,
        format: ExportFormat,
        header: bool,
    },
}

fn write_error(path: &Path) -> impl Fn(String) -> Error + '_ {
    move |reason| Error::ExportWrite {
        file: path.to_string(),
        reason,
    }
}

impl FileWriter {
    pub fn create(
        store: Arc<dyn ObjectStore>,
        path: Path,
        format: ExportFormat,
        schema: &SchemaRef,
    ) -> Result<FileWriter> {
        let out = BufWriter::new(store, path.clone());
        let sink = match format {
            ExportFormat::Parquet => {
                let props = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(
                        ZstdLevel::try_new(3).expect("valid level"),
                    ))
                    .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
                    .build();
                let writer = AsyncArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(
                    |source| Error::ParquetWrite {
                        file: path.to_string(),
                        source,
                    },
                )?;
                Sink::Parquet(writer)
            }
            format => Sink::Text {
                out,
                format,
                header: true,
            },
        };
        Ok(FileWriter {
            path,
            rows: 0,
            bytes: 0,
            sink,
        })
    }

    pub async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows() as u64;
        match &mut self.sink {
            Sink::Parquet(writer) => {
                writer
                    .write(batch)
                    .await
                    .map_err(|source| Error::ParquetWrite {
                        file: self.path.to_string(),
                        source,
                    })?
            }
            Sink::Text {
                out,
                format,
                header,
            } => {
                let bytes = encode(batch, *format, *header)?;
                *header = false;
                self.bytes += bytes.len() as u64;
                out.write_all(&bytes)
                    .await
                    .map_err(|e| write_error(&self.path)(e.to_string()))?;
            }
        }
        Ok(())
    }

    /// Completes the upload; the file's rows and bytes.
    pub async fn finish(self, store: &dyn ObjectStore) -> Result<(Path, u64, u64)> {
        let path = self.path;
        match self.sink {
            Sink::Parquet(writer) => {
                writer.close().await.map_err(|source| Error::ParquetWrite {
                    file: path.to_string(),
                    source,
                })?;
            }
            Sink::Text { mut out, .. } => out
                .shutdown()
                .await
                .map_err(|e| write_error(&path)(e.to_string()))?,
        }
        let bytes = match store.head(&path).await {
            Ok(meta) => meta.size,
            Err(_) => self.bytes,
        };
        Ok((path, self.rows, bytes))
    }

    /// Abandons the file: its multipart upload is aborted, nothing appears.
    pub async fn abort(self) {
        let mut out = match self.sink {
            Sink::Parquet(writer) => writer.into_inner(),
            Sink::Text { out, .. } => out,
        };
        let _ = out.abort().await;
    }
}

/// `batch` as CSV or JSON lines.
fn encode(batch: &RecordBatch, format: ExportFormat, header: bool) -> Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(batch.get_array_memory_size() / 2);
    match format {
        ExportFormat::Csv => {
            let batch = lists_as_text(batch)?;
            let mut writer = arrow::csv::WriterBuilder::new()
                .with_header(header)
                .with_line_terminator(arrow::csv::writer::Terminator::CRLF)
                .with_timestamp_tz_format("%Y-%m-%dT%H:%M:%S%.f%:z".to_string())
                .with_timestamp_format("%Y-%m-%dT%H:%M:%S%.f".to_string())
                .build(&mut bytes);
            writer.write(&batch)?;
        }
        ExportFormat::Jsonl => {
            let mut writer = arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, arrow::json::writer::LineDelimited>(&mut bytes);
            writer.write(batch)?;
            writer.finish()?;
        }
        ExportFormat::Parquet | ExportFormat::Html => {
            unreachable!("Parquet and report pages are written by writers of their own")
        }
    }
    Ok(bytes)
}

/// List columns as their text (`[a, b]`), which CSV has no type for.
fn lists_as_text(batch: &RecordBatch) -> Result<RecordBatch> {
    let is_list = |t: &DataType| {
        matches!(
            t,
            DataType::List(_) | DataType::LargeList(_) | DataType::ListView(_)
        )
    };
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| is_list(f.data_type()))
    {
        return Ok(batch.clone());
    }
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if is_list(field.data_type()) {
            fields.push(Field::new(field.name(), DataType::Utf8, true));
            columns.push(arrow::compute::cast(column, &DataType::Utf8)?);
        } else {
            fields.push(field.as_ref().clone());
            columns.push(column.clone());
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{StringArray, TimestampMicrosecondArray};

    #[test]
    fn csv_is_rfc_4180_with_rfc_3339_timestamps() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("name", DataType::Utf8, true),
            Field::new(
                "at",
                DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec![Some("Zoé, \"the\" agent"), None])),
                Arc::new(
                    TimestampMicrosecondArray::from(vec![Some(1_764_547_200_500_000), None])
                        .with_timezone("UTC"),
                ),
            ],
        )
        .unwrap();
        let text = String::from_utf8(encode(&batch, ExportFormat::Csv, true).unwrap()).unwrap();
        // 1,764,547,200 s after the epoch is 2025-12-01T00:00:00Z.
        assert_eq!(
            text,
            "name,at\r\n\"Zoé, \"\"the\"\" agent\",2025-12-01T00:00:00.500+00:00\r\n,\r\n"
        );
        let text = String::from_utf8(encode(&batch, ExportFormat::Csv, false).unwrap()).unwrap();
        assert!(!text.starts_with("name"), "{text}");
    }
}
