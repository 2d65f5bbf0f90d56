//! Writing query results: an aligned table, CSV, JSON lines or Parquet, to
//! stdout or to a file that appears only once the whole result is written.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::cli::args::Format;
use crate::error::{Error, Result};

/// Where a result goes.
pub enum Sink<'a> {
    Stdout,
    /// A file, written beside itself under a temporary name and renamed into
    /// place when complete, so a failing query leaves no partial file. A
    /// FIFO or a device such as `/dev/null` is written in place instead:
    /// renaming onto it would replace it with a plain file.
    File(&'a Path),
}

/// Writes every batch of `stream` in `format` to `sink`; returns the row count.
pub async fn write(
    stream: SendableRecordBatchStream,
    format: Format,
    sink: Sink<'_>,
) -> Result<u64> {
    match sink {
        Sink::Stdout => {
            let stdout = std::io::stdout();
            write_to(
                stream,
                format,
                BufWriter::new(stdout),
                Path::new("<stdout>"),
            )
            .await
        }
        Sink::File(path) if is_special(path) => {
            let file = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(Error::io("opening", path))?;
            write_to(stream, format, BufWriter::new(file), path).await
        }
        Sink::File(path) => {
            let tmp = temporary_path(path);
            let file = File::create(&tmp).map_err(Error::io("creating", &tmp))?;
            let result = match write_to(stream, format, BufWriter::new(file), &tmp).await {
                Ok(rows) => std::fs::rename(&tmp, path)
                    .map(|()| rows)
                    .map_err(Error::io("renaming into place", path)),
                Err(err) => Err(err),
            };
            if result.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            result
        }
    }
}

/// Whether `path` is neither absent, a plain file nor a folder: a FIFO, a
/// socket or a device.
fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.convlake-{}.tmp", std::process::id()))
}

async fn write_to<W: Write + Send>(
    mut stream: SendableRecordBatchStream,
    format: Format,
    mut out: W,
    path: &Path,
) -> Result<u64> {
    let schema = stream.schema();
    let io = |action| Error::io(action, path);
    let mut rows = 0u64;
    match format {
        Format::Table => {
            // Column widths depend on every row: collect first.
            let mut batches = Vec::new();
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                rows += batch.num_rows() as u64;
                batches.push(batch);
            }
            writeln!(out, "{}", pretty(&schema, &batches)?).map_err(io("writing"))?;
        }
        Format::Csv => {
            let mut writer = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            if let Some(first) = next_or_empty(&mut stream, &schema).await? {
                let mut batch = Some(first);
                while let Some(b) = batch {
                    rows += b.num_rows() as u64;
                    writer.write(&b)?;
                    batch = stream.next().await.transpose()?;
                }
            }
        }
        Format::Json => {
            // Every column in every row, null as `null`: one set of keys per row.
            let mut writer = arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, arrow::json::writer::LineDelimited>(&mut out);
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                rows += batch.num_rows() as u64;
                writer.write(&batch)?;
            }
            writer.finish()?;
        }
        Format::Parquet => {
            let props = WriterProperties::builder()
                .set_compression(Compression::ZSTD(
                    ZstdLevel::try_new(3).expect("valid level"),
                ))
                .build();
            let mut writer =
                ArrowWriter::try_new(&mut out, schema.clone(), Some(props)).map_err(|source| {
                    Error::ParquetWrite {
                        file: path.display().to_string(),
                        source,
                    }
                })?;
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                rows += batch.num_rows() as u64;
                writer.write(&batch).map_err(|source| Error::ParquetWrite {
                    file: path.display().to_string(),
                    source,
                })?;
            }
            writer.close().map_err(|source| Error::ParquetWrite {
                file: path.display().to_string(),
                source,
            })?;
        }
    }
    out.flush().map_err(io("writing"))?;
    Ok(rows)
}

/// The first batch, or an empty one so a CSV header is written for no rows.
async fn next_or_empty(
    stream: &mut SendableRecordBatchStream,
    schema: &SchemaRef,
) -> Result<Option<RecordBatch>> {
    Ok(Some(
        stream
            .next()
            .await
            .transpose()?
            .unwrap_or_else(|| RecordBatch::new_empty(schema.clone())),
    ))
}

/// An aligned text table, with the header even when there are no rows.
pub fn pretty(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<String> {
    Ok(
        arrow::util::pretty::pretty_format_batches_with_schema(schema.clone(), batches)?
            .to_string(),
    )
}
