//! Each contact's first opening, materialised in the lake by
//! `convlake materialize` (`<lake>/_convlake/contact_first_openings.parquet`).
//!
//! New vs returning (SPEC.md §2, "contact type") asks whether a contact had
//! any earlier conversation: a 30-day report must read every opening before
//! it, and contacts are not clustered in the files, so no statistics prune
//! that scan (docs/materialisation.md). This file holds one row per contact, sorted
//! by `first_opened_at`, so a period reads the row groups of its own days.
//!
//! The file records which events files it summarises
//! (`coverage.rs`). A lake whose events files are exactly those
//! registers it as the table `contact_first_openings`, in place of
//! the view of the same name over the raw events
//! (`sql/contact_first_openings.sql`); any other lake uses the view, so
//! answers never depend on it. `convlake materialize` adds only the files
//! it does not cover when none of those it covers changed or went away,
//! and starts over otherwise.

use std::sync::Arc;
use std::time::Instant;

use arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::common::{Constraint, Constraints};
use datafusion::prelude::SessionContext;
use object_store::ObjectStore;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use url::Url;

use crate::error::{Error, Result};
use crate::lake::schema::{Kind, STRING, ts_type};
use crate::lake::{LakeFile, Materialised};
use crate::materialize::coverage::{self, Written, file_url, listing};

/// The table (and view) name the report views read.
pub const TABLE: &str = "contact_first_openings";
/// Where the file lives, under the lake's root (a `_` folder, which no
/// table listing reads).
pub const FILE: &str = "_convlake/contact_first_openings.parquet";
/// Rows per row group: a 30-day period of a year reads about a twelfth of
/// the groups.
const ROW_GROUP_ROWS: usize = 16_384;

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

/// Reads the materialisation's footer, if there is one, and compares what
/// it covers with `events`. Registers it as [`TABLE`] when it is current.
/// A file that is there but is not a materialisation, or has other
/// columns, is an error naming it.
pub async fn open(
    ctx: &SessionContext,
    store: &Arc<dyn ObjectStore>,
    url: &Url,
    events: &[LakeFile],
) -> Result<Materialised> {
    let Some((file, covers)) = coverage::read(store, url, FILE).await? else {
        return Ok(Materialised::Absent);
    };
    for (column, kind) in COLUMNS {
        let field = file
            .metadata
            .schema()
            .field_with_name(column)
            .map_err(|_| Error::MissingColumn {
                file: file.display.clone(),
                column: column.to_string(),
                expected: crate::lake::schema::expected_kind(kind).to_string(),
            })?;
        crate::lake::schema::check_kind(&file.display, column, kind, field.data_type())?;
    }
    let status = coverage::compare(&covers, events);
    if let Materialised::Current { .. } = status {
        // One row per workspace and contact, as the view over the events
        // groups them: the planner drops the join where no contact type is
        // read.
        let key = Constraints::new_unverified(vec![Constraint::PrimaryKey(vec![0, 1])]);
        let table = listing(std::slice::from_ref(&file.display), schema())?.with_constraints(key);
        ctx.register_table(TABLE, Arc::new(table))?;
        return Ok(Materialised::Current {
            rows: file.metadata.metadata().file_metadata().num_rows() as u64,
            bytes: file.size,
        });
    }
    Ok(status)
}

/// Writes the materialisation of the lake registered on `ctx` (by
/// [`crate::register`], which gave `lake`): only the files it lacks when
/// the old one is merely behind, every events file otherwise. The file is
/// replaced in one `put`, so a reader sees the old one or the new one.
pub async fn materialize(ctx: &SessionContext, lake: &crate::lake::Lake) -> Result<Written> {
    let start = Instant::now();
    let store = ctx
        .runtime_env()
        .object_store(crate::lake::store::ObjectStoreUrlOf(&lake.url))
        .map_err(Error::DataFusion)?;
    let (_, display) = coverage::location(&lake.url, FILE);
    let (sql, read_files) = match &lake.first_openings {
        Materialised::Current { rows, bytes } => {
            return Ok(Written {
                rows: *rows,
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
            let new_events = listing(&urls, crate::lake::schema::events_schema())?;
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
    let first_opened_at = ColumnPath::from("first_opened_at");
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_column_dictionary_enabled(first_opened_at.clone(), false)
        .set_column_encoding(first_opened_at, Encoding::DELTA_BINARY_PACKED);
    let progress = crate::progress::counter(FILE, "contacts");
    let result = coverage::write(
        ctx,
        &query,
        schema(),
        properties,
        &lake.events_files,
        vec![],
        &display,
        Vec::new(),
        &progress,
    )
    .await;
    progress.finish_and_clear();
    for temp in ["__convlake_previous", "__convlake_new_events"] {
        ctx.deregister_table(temp)?;
    }
    let (bytes, rows) = result?;
    let bytes = coverage::put(&store, &lake.url, FILE, bytes).await?;
    Ok(Written {
        rows,
        bytes,
        read_files,
        files: lake.events_files.len(),
        seconds: start.elapsed().as_secs_f64(),
    })
}
