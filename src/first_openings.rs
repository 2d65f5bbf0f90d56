//! Each contact's first opening, materialised in the lake by
//! `convlake materialize` (`<lake>/_convlake/contact_first_openings.parquet`).
//!
//! New vs returning (SPEC.md §2, "contact type") asks whether a contact had
//! any earlier conversation: a 30-day report must read every opening before
//! it, and contacts are not clustered in the files, so no statistics prune
//! that scan (on a 365-day lake of 1M conversations it read 62.9 MB of
//! 168.8 MB for a 30-day list). This file holds one row per contact, sorted
//! by `first_opened_at`, so a period reads the row groups of its own days.
//!
//! The file records which events files it summarises (path, size and
//! e-tag, in its key-value metadata). A lake whose events files are exactly
//! those registers it as the table `contact_first_openings`, in place of
//! the view of the same name over the raw events
//! (`sql/contact_first_openings.sql`); any other lake uses the view, so
//! answers never depend on it. `convlake materialize` adds only the files
//! it does not cover when none of those it covers changed or went away,
//! and starts over otherwise.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::common::{Constraint, Constraints};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::{KeyValue, ParquetMetaData};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{Error, Result};
use crate::schema::{Kind, STRING, ts_type};

/// The table (and view) name the report views read.
pub const TABLE: &str = "contact_first_openings";
/// Where the file lives, under the lake's root (a `_` folder, which no
/// table listing reads).
pub const FILE: &str = "_convlake/contact_first_openings.parquet";
/// The key-value metadata entry listing the events files it summarises.
const COVERS: &str = "convlake.covers";
/// Rows per row group: a 30-day period of a year reads about a twelfth of
/// the groups.
const ROW_GROUP_ROWS: usize = 16_384;

/// One events file as the materialisation knows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventsFile {
    /// Path inside the store.
    pub path: String,
    pub size: u64,
    /// The store's version tag (local disk: inode, size and modification
    /// time), when it gives one.
    pub e_tag: Option<String>,
}

/// What the lake's materialisation is, next to its events files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Materialised {
    /// No file: the view over the raw events is used.
    Absent,
    /// It covers exactly the events files: registered and used.
    Current { contacts: u64, bytes: u64 },
    /// Files were added since: the view is used until `convlake materialize`
    /// adds them.
    Behind { new_files: Vec<EventsFile> },
    /// A file it covers changed or went away: the view is used, and
    /// `convlake materialize` starts over.
    Stale { reason: String },
}

impl Materialised {
    /// One line for `convlake tables` and for `convlake materialize`.
    pub fn describe(&self) -> String {
        match self {
            Materialised::Absent => format!("{TABLE}: not materialised (`convlake materialize`)"),
            Materialised::Current { contacts, bytes } => {
                format!("{TABLE}: materialised, {contacts} contacts, {bytes} bytes, up to date")
            }
            Materialised::Behind { new_files } => format!(
                "{TABLE}: materialised but {} events file(s) are newer; read from the events \
                 until `convlake materialize`",
                new_files.len()
            ),
            Materialised::Stale { reason } => format!(
                "{TABLE}: materialisation ignored ({reason}); read from the events until \
                 `convlake materialize`"
            ),
        }
    }
}

/// The file's columns, none of them null.
const COLUMNS: [(&str, Kind); 3] = [
    ("workspace_id", Kind::Str),
    ("contact_id", Kind::Str),
    ("first_opened_at", Kind::Ts),
];

/// The file's schema.
pub fn schema() -> SchemaRef {
    let fields = COLUMNS.map(|(name, kind)| {
        let ty = match kind {
            Kind::Str => STRING,
            Kind::Ts => ts_type(),
        };
        Field::new(name, ty, false)
    });
    Arc::new(Schema::new(fields.to_vec()))
}

/// The file's location in the store and as errors name it.
fn location(url: &Url) -> (Path, String) {
    let root = Path::from_url_path(url.path()).unwrap_or_default();
    let path = Path::from(format!("{root}/{FILE}").trim_start_matches('/'));
    (path, format!("{url}{FILE}"))
}

/// Reads the materialisation's footer, if there is one, and compares what
/// it covers with `events`. Registers it as [`TABLE`] when it is current.
/// A file that is there but is not a materialisation, or has other
/// columns, is an error naming it.
pub async fn open(
    ctx: &SessionContext,
    store: &Arc<dyn ObjectStore>,
    url: &Url,
    events: &[EventsFile],
) -> Result<Materialised> {
    let (path, display) = location(url);
    let meta = match store.head(&path).await {
        Ok(meta) => meta,
        Err(object_store::Error::NotFound { .. }) => return Ok(Materialised::Absent),
        Err(source) => {
            return Err(Error::ObjectStore {
                context: format!("reading '{display}'"),
                source,
            });
        }
    };
    let file = crate::lake::read_footers(store, url, vec![meta])
        .await?
        .remove(0);
    let covers = covers(file.metadata.metadata(), &file.display)?;
    for (column, kind) in COLUMNS {
        let field = file
            .metadata
            .schema()
            .field_with_name(column)
            .map_err(|_| Error::MissingColumn {
                file: file.display.clone(),
                column: column.to_string(),
                expected: crate::schema::expected_kind(kind).to_string(),
            })?;
        crate::schema::check_kind(&file.display, column, kind, field.data_type())?;
    }
    let status = compare(&covers, events);
    if let Materialised::Current { .. } = status {
        // One row per workspace and contact, as the view over the events
        // groups them: the planner drops the join where no contact type is
        // read.
        let key = Constraints::new_unverified(vec![Constraint::PrimaryKey(vec![0, 1])]);
        let table = listing(&[display], schema())?.with_constraints(key);
        ctx.register_table(TABLE, Arc::new(table))?;
        return Ok(Materialised::Current {
            contacts: file.metadata.metadata().file_metadata().num_rows() as u64,
            bytes: file.size,
        });
    }
    Ok(status)
}

fn not_ours(display: &str, reason: &str) -> Error {
    Error::Layout {
        file: display.to_string(),
        reason: format!(
            "{reason}; it is not a materialisation by `convlake materialize` (delete it, \
             then run `convlake materialize` to write one)"
        ),
    }
}

/// The events files the footer says it covers.
fn covers(metadata: &ParquetMetaData, display: &str) -> Result<Vec<EventsFile>> {
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

/// Compares what the file covers with the lake's events files.
fn compare(covers: &[EventsFile], events: &[EventsFile]) -> Materialised {
    let now: BTreeMap<&str, &EventsFile> = events.iter().map(|f| (f.path.as_str(), f)).collect();
    for old in covers {
        match now.get(old.path.as_str()) {
            None => {
                return Materialised::Stale {
                    reason: format!("events file '{}' is gone", old.path),
                };
            }
            Some(file) if *file != old => {
                return Materialised::Stale {
                    reason: format!("events file '{}' changed", old.path),
                };
            }
            Some(_) => {}
        }
    }
    let covered: std::collections::BTreeSet<&str> =
        covers.iter().map(|f| f.path.as_str()).collect();
    let new_files: Vec<EventsFile> = events
        .iter()
        .filter(|f| !covered.contains(f.path.as_str()))
        .cloned()
        .collect();
    if new_files.is_empty() {
        Materialised::Current {
            contacts: 0,
            bytes: 0,
        }
    } else {
        Materialised::Behind { new_files }
    }
}

/// What `convlake materialize` did.
#[derive(Debug)]
pub struct Written {
    pub contacts: u64,
    pub bytes: u64,
    /// Events files read this time, of `files` covered.
    pub read_files: usize,
    pub files: usize,
    pub seconds: f64,
}

/// Writes the materialisation of the lake registered on `ctx` (by
/// [`crate::register`], which gave `lake`): only the files it lacks when
/// the old one is merely behind, every events file otherwise. The file is
/// replaced in one `put`, so a reader sees the old one or the new one.
pub async fn materialize(ctx: &SessionContext, lake: &crate::Lake) -> Result<Written> {
    let start = Instant::now();
    let store = ctx
        .runtime_env()
        .object_store(crate::lake::ObjectStoreUrlOf(&lake.url))
        .map_err(Error::DataFusion)?;
    let (path, display) = location(&lake.url);
    let (sql, read_files) = match &lake.first_openings {
        Materialised::Current { contacts, bytes } => {
            return Ok(Written {
                contacts: *contacts,
                bytes: *bytes,
                read_files: 0,
                files: lake.events_files.len(),
                seconds: start.elapsed().as_secs_f64(),
            });
        }
        Materialised::Behind { new_files } => {
            let previous = listing(std::slice::from_ref(&display), schema())?;
            ctx.register_table("__convlake_previous", Arc::new(previous))?;
            let urls: Vec<String> = new_files
                .iter()
                .map(|f| file_url(&lake.url, &f.path))
                .collect();
            let new_events = listing(&urls, crate::schema::events_schema())?;
            ctx.register_table("__convlake_new_events", Arc::new(new_events))?;
            (
                "select workspace_id, contact_id, first_opened_at from __convlake_previous \
                 union all \
                 select workspace_id, contact_id, ts from __convlake_new_events \
                 where event_type = 'conversation_opened'",
                new_files.len(),
            )
        }
        Materialised::Absent | Materialised::Stale { .. } => (
            "select workspace_id, contact_id, ts as first_opened_at from events \
             where event_type = 'conversation_opened'",
            lake.events_files.len(),
        ),
    };
    let query = format!(
        "select workspace_id, contact_id, min(first_opened_at) as first_opened_at \
         from ({sql}) group by workspace_id, contact_id \
         order by first_opened_at, workspace_id, contact_id"
    );
    let result = write(ctx, &query, &lake.events_files, &display).await;
    for temp in ["__convlake_previous", "__convlake_new_events"] {
        ctx.deregister_table(temp)?;
    }
    let (bytes, contacts) = result?;
    let size = bytes.len() as u64;
    store
        .put(&path, bytes.into())
        .await
        .map_err(|source| Error::ObjectStore {
            context: format!("writing '{display}'"),
            source,
        })?;
    Ok(Written {
        contacts,
        bytes: size,
        read_files,
        files: lake.events_files.len(),
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Runs `query` and writes its rows as the file's bytes, with what it covers.
async fn write(
    ctx: &SessionContext,
    query: &str,
    covers: &[EventsFile],
    display: &str,
) -> Result<(Vec<u8>, u64)> {
    let mut stream = ctx.sql(query).await?.execute_stream().await?;
    let covers = serde_json::to_string(covers).expect("plain strings and numbers");
    let first_opened_at = ColumnPath::from("first_opened_at");
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_column_dictionary_enabled(first_opened_at.clone(), false)
        .set_column_encoding(first_opened_at, Encoding::DELTA_BINARY_PACKED)
        .set_key_value_metadata(Some(vec![KeyValue::new(COVERS.to_string(), covers)]))
        .build();
    let parquet_error = |source| Error::ParquetWrite {
        file: display.to_string(),
        source,
    };
    let mut writer =
        ArrowWriter::try_new(Vec::new(), schema(), Some(properties)).map_err(parquet_error)?;
    let mut rows = 0;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        // The file's own schema (its columns are never null); a string
        // column may come out of the query as Utf8 or Utf8View.
        let columns = batch
            .columns()
            .iter()
            .zip(schema().fields())
            .map(|(column, field)| arrow::compute::cast(column, field.data_type()))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let batch = arrow::array::RecordBatch::try_new(schema(), columns)?;
        writer.write(&batch).map_err(parquet_error)?;
    }
    let bytes = writer.into_inner().map_err(parquet_error)?;
    Ok((bytes, rows))
}

/// A store path as a URL of the lake's store.
fn file_url(lake: &Url, path: &str) -> String {
    let mut url = lake.clone();
    url.set_path(&format!("/{path}"));
    url.to_string()
}

/// A table over the listed files (URLs of the lake's store), read as `schema`.
fn listing(urls: &[String], schema: SchemaRef) -> Result<ListingTable> {
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

    fn file(path: &str, size: u64) -> EventsFile {
        EventsFile {
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
        let rewritten = EventsFile {
            e_tag: Some("other".into()),
            ..a.clone()
        };
        assert_eq!(
            compare(&[a.clone(), b.clone()], &[rewritten, b.clone()]),
            Materialised::Stale {
                reason: "events file 'events/date=2026-10-01/part-0.parquet' changed".into()
            }
        );
        assert_eq!(
            compare(&[a.clone(), b.clone()], std::slice::from_ref(&b)),
            Materialised::Stale {
                reason: "events file 'events/date=2026-10-01/part-0.parquet' is gone".into()
            }
        );
    }
}
