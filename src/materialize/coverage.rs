//! What `convlake materialize` writes under `<lake>/_convlake/` has in
//! common: the lake files a file summarises (path, size and e-tag, in its
//! key-value metadata), the comparison with the lake's files when the lake
//! is opened, and the write: in one `put` from memory, or streamed from a
//! local file as a multipart upload that the store completes (or aborts)
//! as a whole.
//!
//! Two files use it: each contact's first opening (`first_openings.rs`)
//! and every conversation's metrics (`conversations.rs`). A file is read
//! only while it covers exactly the files it was made from, so no answer
//! depends on it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::{KeyValue, ParquetMetaData};
use parquet::file::properties::WriterPropertiesBuilder;
use url::Url;

use crate::error::{Error, Result};
use crate::lake::derived::Materialised;
use crate::lake::files::{LakeFile, ParquetFile, read_footers};

/// The key-value metadata entry listing the lake files a file summarises.
const COVERS: &str = "convlake.covers";

/// What `convlake materialize` did to one file.
#[derive(Debug)]
pub struct Written {
    /// Rows written (contacts, or conversations).
    pub rows: u64,
    pub bytes: u64,
    /// Lake files read this time, of `files` covered.
    pub read_files: usize,
    pub files: usize,
    pub seconds: f64,
}

/// A materialisation's location in the store, and as errors name it.
pub(crate) fn location(url: &Url, file: &str) -> (Path, String) {
    let root = Path::from_url_path(url.path()).unwrap_or_default();
    let path = Path::from(format!("{root}/{file}").trim_start_matches('/'));
    (path, format!("{url}{file}"))
}

/// The file at `file` under the lake with the lake files it covers, or
/// `None` when there is none. A file there that convlake did not write is
/// an error naming it.
pub(crate) async fn read(
    store: &Arc<dyn ObjectStore>,
    url: &Url,
    file: &str,
) -> Result<Option<(ParquetFile, Vec<LakeFile>)>> {
    let (path, display) = location(url, file);
    let meta = match store.head(&path).await {
        Ok(meta) => meta,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(source) => {
            return Err(Error::ObjectStore {
                context: format!("reading '{display}'"),
                source,
            });
        }
    };
    let file = read_footers(store, url, vec![meta]).await?.remove(0);
    let covers = covers(file.metadata.metadata(), &file.display)?;
    Ok(Some((file, covers)))
}

pub(crate) fn not_ours(display: &str, reason: &str) -> Error {
    Error::Layout {
        file: display.to_string(),
        reason: format!(
            "{reason}; it is not a materialisation by `convlake materialize` (delete it, \
             then run `convlake materialize` to write one)"
        ),
    }
}

/// The lake files the footer says it covers.
fn covers(metadata: &ParquetMetaData, display: &str) -> Result<Vec<LakeFile>> {
    let entry = metadata
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|kv| kv.key == COVERS))
        .and_then(|kv| kv.value.as_deref())
        .ok_or_else(|| not_ours(display, &format!("no '{COVERS}' entry in its metadata")))?;
    serde_json::from_str(entry).map_err(|e| {
        not_ours(
            display,
            &format!("its '{COVERS}' entry cannot be read: {e}"),
        )
    })
}

/// Compares what a file covers with the lake's files. `Current` carries
/// no counts: the caller reads them from the file.
pub(crate) fn compare(covers: &[LakeFile], files: &[LakeFile]) -> Materialised {
    let now: BTreeMap<&str, &LakeFile> = files.iter().map(|f| (f.path.as_str(), f)).collect();
    for old in covers {
        match now.get(old.path.as_str()) {
            None => {
                return Materialised::Stale {
                    reason: format!("lake file '{}' is gone", old.path),
                };
            }
            Some(file) if *file != old => {
                return Materialised::Stale {
                    reason: format!("lake file '{}' changed", old.path),
                };
            }
            Some(_) => {}
        }
    }
    let covered: BTreeSet<&str> = covers.iter().map(|f| f.path.as_str()).collect();
    let new_files: Vec<LakeFile> = files
        .iter()
        .filter(|f| !covered.contains(f.path.as_str()))
        .cloned()
        .collect();
    if new_files.is_empty() {
        Materialised::Current { rows: 0, bytes: 0 }
    } else {
        Materialised::Behind { new_files }
    }
}

/// Runs `query` on `ctx` and writes its rows, cast to `schema`, into
/// `sink` as a Parquet file that records `covers` and any `metadata`,
/// counting its rows on `progress`. Returns the sink and the row count.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn write<W: std::io::Write + Send>(
    ctx: &SessionContext,
    query: &str,
    schema: SchemaRef,
    properties: WriterPropertiesBuilder,
    covers: &[LakeFile],
    metadata: Vec<KeyValue>,
    display: &str,
    sink: W,
    progress: &indicatif::ProgressBar,
) -> Result<(W, u64)> {
    let mut stream = ctx.sql(query).await?.execute_stream().await?;
    let covers = serde_json::to_string(covers).expect("plain strings and numbers");
    let mut entries = vec![KeyValue::new(COVERS.to_string(), covers)];
    entries.extend(metadata);
    let properties = properties.set_key_value_metadata(Some(entries)).build();
    let parquet_error = |source| Error::ParquetWrite {
        file: display.to_string(),
        source,
    };
    let mut writer =
        ArrowWriter::try_new(sink, schema.clone(), Some(properties)).map_err(parquet_error)?;
    let mut rows = 0;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        progress.inc(batch.num_rows() as u64);
        // A string column may come out of the query as Utf8 or Utf8View.
        let columns = batch
            .columns()
            .iter()
            .zip(schema.fields())
            .map(|(column, field)| arrow::compute::cast(column, field.data_type()))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let batch = arrow::array::RecordBatch::try_new(schema.clone(), columns)?;
        writer.write(&batch).map_err(parquet_error)?;
    }
    let sink = writer.into_inner().map_err(parquet_error)?;
    Ok((sink, rows))
}

/// Replaces the file at `file` under the lake with `bytes`, in one `put`,
/// so a reader sees the old file or the new one. Returns its size.
pub(crate) async fn put(
    store: &Arc<dyn ObjectStore>,
    url: &Url,
    file: &str,
    bytes: Vec<u8>,
) -> Result<u64> {
    let (path, display) = location(url, file);
    let size = bytes.len() as u64;
    store
        .put(&path, bytes.into())
        .await
        .map_err(|source| Error::ObjectStore {
            context: format!("writing '{display}'"),
            source,
        })?;
    Ok(size)
}

/// Replaces the file at `file` under the lake with the local file `local`,
/// read and sent a part at a time: a multipart upload, which the store
/// makes visible only when it completes (object_store's local store writes
/// a staging file and renames it), so a reader sees the old file or the
/// new one. An upload that fails is aborted. Returns its size.
pub(crate) async fn upload(
    store: &Arc<dyn ObjectStore>,
    url: &Url,
    file: &str,
    local: &std::path::Path,
) -> Result<u64> {
    use tokio::io::AsyncWriteExt;
    let (path, display) = location(url, file);
    let store_error = |source| Error::ObjectStore {
        context: format!("writing '{display}'"),
        source,
    };
    let io_error = |source: std::io::Error| Error::ObjectStore {
        context: format!("writing '{display}' from '{}'", local.display()),
        source: object_store::Error::Generic {
            store: "upload",
            source: Box::new(source),
        },
    };
    let reader = tokio::fs::File::open(local).await.map_err(io_error)?;
    let mut writer = object_store::buffered::BufWriter::with_capacity(
        Arc::clone(store),
        path,
        UPLOAD_PART_BYTES,
    );
    let total = reader.metadata().await.map_err(io_error)?.len();
    let progress = crate::progress::bytes(&format!("uploading {file}"), total);
    let mut reader = progress.wrap_async_read(reader);
    let copied = async {
        let size = tokio::io::copy(&mut reader, &mut writer).await?;
        writer.shutdown().await?;
        Ok::<u64, std::io::Error>(size)
    }
    .await;
    progress.finish_and_clear();
    match copied {
        Ok(size) => Ok(size),
        Err(source) => {
            writer.abort().await.map_err(store_error)?;
            Err(io_error(source))
        }
    }
}

/// The part size of [`upload`] (S3 asks at least 5 MiB of every part but
/// the last).
const UPLOAD_PART_BYTES: usize = 16 * 1024 * 1024;

/// A store path as a URL of the lake's store.
pub(crate) fn file_url(lake: &Url, path: &str) -> String {
    let mut url = lake.clone();
    url.set_path(&format!("/{path}"));
    url.to_string()
}

/// A table over the listed files (URLs of the lake's store), read as `schema`.
pub(crate) fn listing(urls: &[String], schema: SchemaRef) -> Result<ListingTable> {
    let urls = urls
        .iter()
        .map(ListingTableUrl::parse)
        .collect::<datafusion::error::Result<Vec<_>>>()?;
    let options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .with_schema(schema);
    Ok(ListingTable::try_new(config)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, size: u64) -> LakeFile {
        LakeFile {
            path: path.to_string(),
            size,
            e_tag: Some(format!("{path}-{size}")),
        }
    }

    #[test]
    fn current_behind_or_stale() {
        let a = file("events/date=2026-10-01/part-0.parquet", 10);
        let b = file("events/date=2026-10-02/part-0.parquet", 20);
        assert!(matches!(
            compare(&[a.clone(), b.clone()], &[a.clone(), b.clone()]),
            Materialised::Current { .. }
        ));
        assert_eq!(
            compare(std::slice::from_ref(&a), &[a.clone(), b.clone()]),
            Materialised::Behind {
                new_files: vec![b.clone()]
            }
        );
        let rewritten = LakeFile {
            e_tag: Some("other".into()),
            ..a.clone()
        };
        assert_eq!(
            compare(&[a.clone(), b.clone()], &[rewritten, b.clone()]),
            Materialised::Stale {
                reason: "lake file 'events/date=2026-10-01/part-0.parquet' changed".into()
            }
        );
        assert_eq!(
            compare(&[a.clone(), b.clone()], std::slice::from_ref(&b)),
            Materialised::Stale {
                reason: "lake file 'events/date=2026-10-01/part-0.parquet' is gone".into()
            }
        );
    }
}
