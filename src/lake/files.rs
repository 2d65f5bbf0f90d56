//! A table's Parquet files: listing them, reading their footers, and what
//! a footer tells (Hive partitions, declared sort order).

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
// parquet 59 deprecates this reader in favour of hand-written ones; it is
// still the one that reads through any `ObjectStore`, which is what we need.
#[allow(deprecated)]
use parquet::arrow::async_reader::ParquetObjectReader;
use parquet::file::metadata::ParquetMetaData;
use url::Url;

use crate::error::{Error, Result};
use crate::lake::store::table_prefix;

/// How many file footers are read at once when a lake is opened.
pub(crate) const FOOTER_CONCURRENCY: usize = 32;

/// One lake file as a materialisation records it: it is read only while
/// every file it covers is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct LakeFile {
    /// Path inside the store.
    pub path: String,
    pub size: u64,
    /// The store's version tag (local disk: inode, size and modification
    /// time), when it gives one.
    pub e_tag: Option<String>,
}

/// One Parquet file of a table, with its footer.
#[derive(Clone)]
pub(crate) struct ParquetFile {
    pub(crate) location: Path,
    /// The file's URL, as errors name it.
    pub(crate) display: String,
    pub(crate) size: u64,
    /// The store's version tag, when it gives one.
    e_tag: Option<String>,
    pub(crate) metadata: ArrowReaderMetadata,
}

impl ParquetFile {
    /// The file as a materialisation records it.
    pub(crate) fn lake_file(&self) -> LakeFile {
        LakeFile {
            path: self.location.to_string(),
            size: self.size,
            e_tag: self.e_tag.clone(),
        }
    }
}

/// Every `*.parquet` object under `<lake>/<table>/`, hidden and `_` files
/// (`_SUCCESS`, `.crc`, temporary files of writers) left out, sorted by path.
pub(crate) async fn list_parquet(
    store: &Arc<dyn ObjectStore>,
    url: &Url,
    table: &str,
) -> Result<Vec<ObjectMeta>> {
    let prefix = table_prefix(url, table);
    let depth = prefix.parts().count();
    let mut files: Vec<ObjectMeta> = store
        .list(Some(&prefix))
        .try_filter_map(|meta| async move {
            // Only the names below the table's folder count as hidden.
            let hidden = meta
                .location
                .parts()
                .skip(depth)
                .any(|p| p.as_ref().starts_with(['.', '_']));
            let parquet = meta.location.extension() == Some("parquet");
            Ok((parquet && !hidden).then_some(meta))
        })
        .try_collect()
        .await
        .or_else(|e| match e {
            // A missing folder is a table that is not there.
            object_store::Error::NotFound { .. } => Ok(vec![]),
            source => Err(Error::ObjectStore {
                context: format!("listing '{url}{table}/'"),
                source,
            }),
        })?;
    files.sort_by(|a, b| a.location.cmp(&b.location));
    Ok(files)
}

#[allow(deprecated)]
pub(crate) async fn read_footers(
    store: &Arc<dyn ObjectStore>,
    url: &Url,
    files: Vec<ObjectMeta>,
) -> Result<Vec<ParquetFile>> {
    futures::stream::iter(files)
        .map(|meta| {
            let ObjectMeta {
                location,
                size,
                e_tag,
                ..
            } = meta;
            let store = store.clone();
            let display = format!(
                "{}://{}/{}",
                url.scheme(),
                url.host_str().unwrap_or(""),
                location
            );
            let display = display.replace(":////", ":///");
            async move {
                let mut reader =
                    ParquetObjectReader::new(store, location.clone()).with_file_size(size);
                let options = ArrowReaderOptions::new()
                    .with_page_index_policy(parquet::file::metadata::PageIndexPolicy::Skip);
                let metadata = ArrowReaderMetadata::load_async(&mut reader, options)
                    .await
                    .map_err(|source| Error::Parquet {
                        file: display.clone(),
                        source,
                    })?;
                Ok(ParquetFile {
                    location,
                    display,
                    size,
                    e_tag,
                    metadata,
                })
            }
        })
        .buffered(FOOTER_CONCURRENCY)
        .try_collect()
        .await
}

/// The index of a top-level column among the file's Parquet leaves.
pub(crate) fn leaf_index(meta: &ParquetMetaData, name: &str) -> Option<usize> {
    let descr = meta.file_metadata().schema_descr();
    (0..descr.num_columns()).find(|&i| descr.column(i).path().parts() == [name])
}

/// The Hive partition keys of a file (`date` for `events/date=…/x.parquet`).
pub(crate) fn partition_keys(prefix: &Path, location: &Path) -> Vec<String> {
    let depth = prefix.parts().count();
    let parts: Vec<_> = location.parts().skip(depth).collect();
    parts[..parts.len().saturating_sub(1)]
        .iter()
        .filter_map(|p| p.as_ref().split_once('=').map(|(k, _)| k.to_string()))
        .collect()
}

/// The sort order every row group of the file declares, as column names
/// (ascending, non-descending only; a descending column ends the prefix).
pub(crate) fn declared_sort(meta: &ParquetMetaData) -> Vec<(String, bool)> {
    let descr = meta.file_metadata().schema_descr();
    let mut common: Option<Vec<(String, bool)>> = None;
    for rg in meta.row_groups() {
        let cols: Vec<(String, bool)> = rg
            .sorting_columns()
            .map(|cols| {
                cols.iter()
                    .take_while(|c| !c.descending)
                    .map(|c| {
                        (
                            descr.column(c.column_idx as usize).path().string(),
                            c.nulls_first,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        common = Some(match common {
            None => cols,
            Some(prev) => prev
                .into_iter()
                .zip(cols)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect(),
        });
    }
    common.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_keys_from_paths() {
        let prefix = Path::from("lake/events");
        assert_eq!(
            partition_keys(
                &prefix,
                &Path::from("lake/events/date=2026-11-20/p.parquet")
            ),
            ["date"]
        );
        assert!(partition_keys(&prefix, &Path::from("lake/events/p.parquet")).is_empty());
    }
}
