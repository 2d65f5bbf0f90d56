//! Opening a lake: check its files and register its tables.
//!
//! A lake is a folder or object-store prefix with one sub-folder per table
//! (SPEC.md §1). [`crate::register`] calls [`open`], then registers what
//! `convlake materialize` keeps in the lake (`src/materialize/`).

use std::sync::Arc;

use arrow::array::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::logical_expr::{SortExpr, col};
use datafusion::prelude::SessionContext;
use futures::{StreamExt, TryStreamExt};
use url::Url;

use crate::error::{Error, Result};
use crate::lake::checks::{check_events_file, check_events_rows};
use crate::lake::derived::Materialised;
use crate::lake::files::{
    LakeFile, ParquetFile, declared_sort, list_parquet, partition_keys, read_footers,
};
use crate::lake::schema::{self, DIMENSIONS};
use crate::lake::store::{ObjectStoreUrlOf, lake_url, object_store_for, table_prefix};

/// The sort order that makes per-conversation metrics cheapest; declared to
/// DataFusion when (and only when) every file says it is sorted this way.
pub const EVENTS_SORT: [&str; 4] = ["workspace_id", "conversation_id", "ts", "event_id"];

/// What was found and registered for one table.
#[derive(Debug, Clone)]
pub struct TableInfo {
    pub name: String,
    /// Parquet files of the table (0 for a missing dimension, registered empty).
    pub files: usize,
    pub bytes: u64,
    pub rows: u64,
    /// Hive partition columns found in the paths, e.g. `date`.
    pub partitions: Vec<String>,
    /// The sort order declared to DataFusion (empty when files disagree).
    pub sort_order: Vec<String>,
}

/// An opened lake.
#[derive(Debug, Clone)]
pub struct Lake {
    /// The lake's root, always ending in `/`.
    pub url: Url,
    pub tables: Vec<TableInfo>,
    /// The events files, as a materialisation records them.
    pub events_files: Vec<LakeFile>,
    /// The contacts files, likewise.
    pub contacts_files: Vec<LakeFile>,
    /// Each contact's first opening, materialised or not
    /// (src/materialize/first_openings.rs); set by [`crate::register`].
    pub first_openings: Materialised,
    /// Every conversation's metrics, materialised or not
    /// (src/materialize/conversations.rs); set by [`crate::register`].
    pub conversations: Materialised,
}

impl Lake {
    /// The files the materialised conversations summarise: the events and
    /// the contacts (names, first conversation).
    pub fn covered_files(&self) -> Vec<LakeFile> {
        self.events_files
            .iter()
            .chain(&self.contacts_files)
            .cloned()
            .collect()
    }
}

/// Opens the lake at `location` and registers its tables on `ctx`: `events`
/// (required, every file checked against SPEC.md §1.1) and the six
/// dimensions (registered empty when absent, so views can always join them).
pub async fn open(ctx: &SessionContext, location: &str) -> Result<Lake> {
    let url = lake_url(location)?;
    let store = match ctx.runtime_env().object_store(ObjectStoreUrlOf(&url)) {
        Ok(store) if url.scheme() == "memory" => store,
        _ => {
            let store = object_store_for(&url)?;
            ctx.register_object_store(&url, store.clone());
            store
        }
    };

    let mut tables = Vec::new();
    let events = list_parquet(&store, &url, "events").await?;
    if events.is_empty() {
        return Err(Error::NoEvents {
            lake: url.as_str().trim_end_matches('/').to_string(),
        });
    }
    let events = read_footers(&store, &url, events).await?;
    for file in &events {
        check_events_file(file)?;
    }
    // Owned inputs: the futures must not borrow from this frame (they are
    // `Send` across an `async_trait` boundary in callers).
    futures::stream::iter(events.iter().cloned())
        .map(|file| {
            let store = store.clone();
            async move { check_events_rows(&store, &file).await }
        })
        .buffered(crate::lake::files::FOOTER_CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await?;
    tables.push(register_listing(ctx, &url, "events", schema::events_schema(), &events).await?);
    let events_files: Vec<LakeFile> = events.iter().map(ParquetFile::lake_file).collect();

    let mut contacts_files = vec![];
    for dim in DIMENSIONS {
        let files = list_parquet(&store, &url, dim.name).await?;
        let files = read_footers(&store, &url, files).await?;
        for file in &files {
            dim.check_schema(&file.display, file.metadata.schema())?;
        }
        if dim.name == "contacts" {
            contacts_files = files.iter().map(ParquetFile::lake_file).collect();
        }
        if files.is_empty() {
            let empty = MemTable::try_new(
                dim.schema(),
                vec![vec![RecordBatch::new_empty(dim.schema())]],
            )?;
            ctx.register_table(dim.name, Arc::new(empty))?;
            tables.push(TableInfo {
                name: dim.name.to_string(),
                files: 0,
                bytes: 0,
                rows: 0,
                partitions: vec![],
                sort_order: vec![],
            });
        } else {
            tables.push(register_listing(ctx, &url, dim.name, dim.schema(), &files).await?);
        }
    }
    Ok(Lake {
        url,
        tables,
        events_files,
        contacts_files,
        first_openings: Materialised::Absent,
        conversations: Materialised::Absent,
    })
}

async fn register_listing(
    ctx: &SessionContext,
    url: &Url,
    name: &str,
    schema: arrow::datatypes::SchemaRef,
    files: &[ParquetFile],
) -> Result<TableInfo> {
    let prefix = table_prefix(url, name);
    let partitions = partition_keys(&prefix, &files[0].location);
    for file in files {
        let keys = partition_keys(&prefix, &file.location);
        if keys != partitions {
            return Err(Error::Layout {
                file: file.display.clone(),
                reason: format!(
                    "its partition folders ({}) differ from those of '{}' ({}); every file of '{name}' must \
                     use the same Hive partition keys",
                    keys.join("/"),
                    files[0].display,
                    partitions.join("/"),
                ),
            });
        }
    }

    // Declare the longest sort prefix all files share, limited to the
    // table's own columns (the order of events that makes metrics cheapest).
    let mut sort = declared_sort(files[0].metadata.metadata());
    for file in &files[1..] {
        let other = declared_sort(file.metadata.metadata());
        sort = sort
            .into_iter()
            .zip(other)
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a)
            .collect();
    }
    let sort: Vec<(String, bool)> = sort
        .into_iter()
        .take_while(|(c, _)| schema.field_with_name(c).is_ok())
        .collect();
    let sort_exprs: Vec<SortExpr> = sort
        .iter()
        .map(|(c, nulls_first)| col(c.as_str()).sort(true, *nulls_first))
        .collect();

    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        .with_table_partition_cols(
            partitions
                .iter()
                .map(|k| (k.clone(), arrow::datatypes::DataType::Utf8))
                .collect(),
        )
        .with_file_sort_order(if sort_exprs.is_empty() {
            vec![]
        } else {
            vec![sort_exprs]
        });
    let table_url = ListingTableUrl::parse(format!("{url}{name}/"))?;
    let config = ListingTableConfig::new(table_url)
        .with_listing_options(options)
        .with_schema(schema);
    let table: Arc<dyn TableProvider> = Arc::new(ListingTable::try_new(config)?);
    ctx.register_table(name, table)?;

    Ok(TableInfo {
        name: name.to_string(),
        files: files.len(),
        bytes: files.iter().map(|f| f.size).sum(),
        rows: files
            .iter()
            .map(|f| f.metadata.metadata().file_metadata().num_rows() as u64)
            .sum(),
        partitions,
        sort_order: sort.into_iter().map(|(c, _)| c).collect(),
    })
}
