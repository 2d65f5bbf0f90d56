//! Every conversation's metrics, materialised in the lake by
//! `convlake materialize` (`<lake>/_convlake/conversations.parquet`).
//!
//! A 30-day list or breakdown needs each conversation of the period with
//! every metric, its contact's name and type. From the raw events that
//! means the period's events twice (which conversations, then all their
//! events), every contact's first opening and every contact's name
//! (docs/materialisation.md has the bytes each reads). This file holds the rows of `conversations_from_events`
//! for the whole lake, as of its last event, sorted by `opened_at`: a
//! period reads the row groups of its own days.
//!
//! It is read (by `sql/period_conversations.sql`) only while both hold:
//! - it covers exactly the lake's events and contacts files, and was
//!   written by this version of convlake (`coverage.rs`);
//! - the report's as-of time is not before the last event it covers. An
//!   earlier as-of time needs the metrics of fewer events: those reports
//!   read the events, as without it.
//!
//! Like the first openings, it is brought up to date from the new files
//! when events files were only added: the conversations with an event in
//! them are computed again (from all their events), the others kept, a
//! kept first conversation turning returning when a new file holds an
//! earlier opening of its contact. A changed or removed file, a contacts
//! file added, or another convlake version: every conversation again.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Array, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, SchemaRef};
use convlake_udfs::report_config::ReportConfig;
use datafusion::prelude::SessionContext;
use object_store::ObjectStore;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use url::Url;

use crate::error::{Error, Result};
use crate::lake::{LakeFile, Materialised};
use crate::materialize::coverage::{self, Written, listing, not_ours};
use crate::materialize::through::MaterialisedThrough;

/// The table name `sql/period_conversations.sql` reads (a view with no
/// rows, `sql/materialised_conversations.sql`, where there is none).
pub const TABLE: &str = "materialised_conversations";
/// The view whose rows it holds.
const VIEW: &str = "conversations_from_events";
/// Where the file lives, under the lake's root.
pub const FILE: &str = "_convlake/conversations.parquet";
/// Key-value metadata: the last event covered (µs since the epoch, UTC).
const THROUGH: &str = "convlake.through";
/// Key-value metadata: what wrote it ([`version`]).
const VERSION: &str = "convlake.version";
/// Rows per row group: a 30-day period of a year reads about a twelfth of
/// the groups.
const ROW_GROUP_ROWS: usize = 16_384;

/// This build's version and a digest of its views' SQL: the metrics a file
/// holds are those of the convlake that wrote it, so another one starts
/// over.
fn version() -> String {
    let mut hasher = DefaultHasher::new();
    for (name, sql) in crate::views::VIEWS {
        (name, sql).hash(&mut hasher);
    }
    format!("{} {:016x}", env!("CARGO_PKG_VERSION"), hasher.finish())
}

/// Reads the materialisation's footer, if there is one, and compares it
/// with `files` (the lake's events and contacts files) and this version.
/// When it is current, registers it as [`TABLE`] and registers
/// `conversations_materialised_through()` as its last event; otherwise that
/// function is NULL and the views read the events. Call after the views
/// are registered: the file's columns are checked against [`VIEW`]'s.
pub async fn open(
    ctx: &SessionContext,
    store: &Arc<dyn ObjectStore>,
    url: &Url,
    files: &[LakeFile],
) -> Result<Materialised> {
    ctx.register_udf(MaterialisedThrough::udf(None));
    let Some((file, covers)) = coverage::read(store, url, FILE).await? else {
        return Ok(Materialised::Absent);
    };
    let entry = |key: &str| {
        file.metadata
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|kv| kv.key == key))
            .and_then(|kv| kv.value.clone())
    };
    let written_by = entry(VERSION).unwrap_or_default();
    if written_by != version() {
        return Ok(Materialised::Stale {
            reason: format!(
                "written by convlake '{written_by}', this is '{}'",
                version()
            ),
        });
    }
    let through: i64 = entry(THROUGH)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| not_ours(&file.display, &format!("no '{THROUGH}' entry")))?;
    let status = coverage::compare(&covers, files);
    if let Materialised::Current { .. } = status {
        let schema = view_schema(ctx).await?;
        let columns = |s: &arrow::datatypes::Schema| -> Vec<String> {
            s.fields().iter().map(|f| f.name().clone()).collect()
        };
        if columns(file.metadata.schema()) != columns(&schema) {
            return Err(not_ours(
                &file.display,
                &format!("its columns are not those of {VIEW}"),
            ));
        }
        let table = listing(std::slice::from_ref(&file.display), schema)?;
        ctx.register_table(TABLE, Arc::new(table))?;
        ctx.register_udf(MaterialisedThrough::udf(Some(through)));
        return Ok(Materialised::Current {
            rows: file.metadata.metadata().file_metadata().num_rows() as u64,
            bytes: file.size,
        });
    }
    Ok(status)
}

/// The columns of [`VIEW`], as the file holds them.
async fn view_schema(ctx: &SessionContext) -> Result<SchemaRef> {
    Ok(ctx.table(VIEW).await?.schema().inner().clone())
}

/// Writes the materialisation of the lake registered on `ctx` (by
/// [`crate::register`], which gave `lake`), unless it is current: every
/// conversation with an opening or closing, as of the lake's last event,
/// in every workspace, whatever `ctx`'s report settings are. When the old
/// file is behind by new events files only, the conversations with an
/// event in them are computed again and the others kept from it (a
/// contact's conversation kept as its first turns returning when a new
/// file holds an earlier opening of that contact); otherwise every
/// conversation is computed. Call after [`super::first_openings::materialize`],
/// with `reopened` a session over the same lake registered after it: the
/// conversations computed again there read the first openings it wrote.
/// The file is replaced by one upload.
pub async fn materialize(
    ctx: &SessionContext,
    lake: &crate::lake::Lake,
    reopened: SessionContext,
) -> Result<Written> {
    let start = Instant::now();
    let files = lake.covered_files();
    let new_events = match &lake.conversations {
        Materialised::Current { rows, bytes } => {
            return Ok(Written {
                rows: *rows,
                bytes: *bytes,
                read_files: 0,
                files: files.len(),
                seconds: start.elapsed().as_secs_f64(),
            });
        }
        Materialised::Behind { new_files }
            if new_files.iter().all(|f| lake.events_files.contains(f)) =>
        {
            Some(new_files)
        }
        _ => None,
    };
    let store = ctx
        .runtime_env()
        .object_store(crate::lake::store::ObjectStoreUrlOf(&lake.url))
        .map_err(Error::DataFusion)?;
    let (_, display) = coverage::location(&lake.url, FILE);
    let through = last_event(ctx).await?;
    // Two passes, each in bounded memory: the metrics stream conversation
    // by conversation into a local file in no particular order; that file
    // is then sorted by opening time, spilling sorted runs to disk past
    // SORT_MEMORY_BYTES, into the file that is uploaded. One query doing
    // both held every conversation at once: 7.6 GB at 10M.
    let scratch = tempfile::Builder::new()
        .prefix("convlake-materialize-")
        .tempdir()
        .map_err(|source| Error::Io {
            action: "cannot create a temporary folder in",
            path: std::env::temp_dir(),
            source,
        })?;
    let unsorted_path = scratch.path().join("unsorted.parquet");
    let sorted_path = scratch.path().join("sorted.parquet");
    let create = |path: &std::path::Path| {
        std::fs::File::create(path).map_err(|source| Error::Io {
            action: "cannot create",
            path: path.to_path_buf(),
            source,
        })
    };
    let schema = view_schema(ctx).await?;
    let (session, query, read_files) = match new_events {
        None => (
            whole_lake(ctx, through),
            format!("select * from {VIEW} where opened_at is not null or closed_at is not null"),
            files.len(),
        ),
        Some(new_files) => (
            touched(reopened, lake, new_files, through, &display, schema.clone()).await?,
            merge_query(&schema),
            new_files.len(),
        ),
    };
    let computing = crate::progress::counter(&format!("{FILE}: metrics"), "conversations");
    let (_, unsorted_rows) = coverage::write(
        &session,
        &query,
        schema.clone(),
        WriterProperties::builder().set_compression(Compression::SNAPPY),
        &[],
        vec![],
        &unsorted_path.display().to_string(),
        std::io::BufWriter::new(create(&unsorted_path)?),
        &computing,
    )
    .await?;
    computing.finish_and_clear();
    drop(session);

    let mut properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::Page);
    // Timestamps are nearly all distinct: a dictionary only fills up and
    // falls back to plain values. Deltas are small in opened_at's order.
    for field in schema.fields() {
        if let DataType::Timestamp(..) = field.data_type() {
            let column = ColumnPath::from(field.name().as_str());
            properties = properties
                .set_column_dictionary_enabled(column.clone(), false)
                .set_column_encoding(column, Encoding::DELTA_BINARY_PACKED);
        }
    }
    let metadata = vec![
        KeyValue::new(VERSION.to_string(), version()),
        KeyValue::new(THROUGH.to_string(), through.to_string()),
    ];
    let sorter = sorting_session(&unsorted_path).await?;
    let sorting = crate::progress::bar(&format!("{FILE}: sorting"), unsorted_rows, "conversations");
    let (_, rows) = coverage::write(
        &sorter,
        "select * from unsorted order by opened_at nulls first, workspace_id, conversation_id",
        schema,
        properties,
        &files,
        metadata,
        &display,
        std::io::BufWriter::new(create(&sorted_path)?),
        &sorting,
    )
    .await?;
    sorting.finish_and_clear();
    let bytes = coverage::upload(&store, &lake.url, FILE, &sorted_path).await?;
    Ok(Written {
        rows,
        bytes,
        read_files,
        files: files.len(),
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The report settings of a materialisation: as of the lake's last event,
/// every workspace, over `period`.
fn materialising(period: String, through: i64) -> ReportConfig {
    let mut report = ReportConfig::default();
    report.period = period;
    report.as_of = chrono::DateTime::from_timestamp_micros(through)
        .expect("a timestamp read from the lake")
        .to_rfc3339();
    report
}

/// `ctx` over the whole lake, as of its last event, every workspace: a
/// session of its own, so the caller's settings are left as they were.
fn whole_lake(ctx: &SessionContext, through: i64) -> SessionContext {
    let mut state = ctx.state();
    let report = materialising("all".to_string(), through);
    state.config_mut().options_mut().extensions.insert(report);
    SessionContext::new_with_state(state)
}

/// The old file as `__convlake_previous`, the new events files as
/// `__convlake_new_events`, and [`VIEW`] computing the conversations with
/// an event in those files alone, on `session`, the lake registered anew
/// (so it reads the first openings just written), in which `period_conversation_ids` names those conversations and the
/// period is bounded, so the view reads their events only. The views are
/// planned when first read, so they read the name registered here.
async fn touched(
    session: SessionContext,
    lake: &crate::lake::Lake,
    new_files: &[LakeFile],
    through: i64,
    display: &str,
    schema: SchemaRef,
) -> Result<SessionContext> {
    // Any bounded period: only period_conversation_ids reads its bounds.
    let period = format!(
        "1970-01-01T00:00:00Z/{}",
        chrono::DateTime::from_timestamp_micros(through + 1)
            .expect("a timestamp read from the lake")
            .to_rfc3339()
    );
    let report = materialising(period, through);
    session
        .state_ref()
        .write()
        .config_mut()
        .options_mut()
        .extensions
        .insert(report);
    let urls: Vec<String> = new_files
        .iter()
        .map(|f| coverage::file_url(&lake.url, &f.path))
        .collect();
    let new_events = listing(&urls, crate::lake::schema::events_schema())?;
    session.register_table("__convlake_new_events", Arc::new(new_events))?;
    let previous = listing(&[display.to_string()], schema)?;
    session.register_table("__convlake_previous", Arc::new(previous))?;
    session
        .sql(
            "create or replace view period_conversation_ids as \
             select distinct workspace_id, conversation_id from __convlake_new_events",
        )
        .await?
        .collect()
        .await?;
    Ok(session)
}

/// The rows of the old file whose conversation has no event in the new
/// files (`period_conversation_ids` in [`touched`]'s session), and
/// [`VIEW`]'s rows for those that have. A kept conversation that
/// was its contact's first (`new`) turns `returning` when the new files
/// hold an earlier opening of the contact; a first opening only moves
/// earlier as files are added, so no other row changes.
fn merge_query(schema: &SchemaRef) -> String {
    let columns: Vec<String> = schema
        .fields()
        .iter()
        .map(|field| match field.name().as_str() {
            "contact_type" => "case when previous.contact_type = 'new' \
                 and moved.moved_first_opened_at < previous.opened_at \
                 then 'returning' else previous.contact_type end as contact_type"
                .to_string(),
            name => format!("previous.\"{name}\""),
        })
        .collect();
    format!(
        "with moved as ( \
             select workspace_id as moved_workspace_id, contact_id as moved_contact_id, \
                 min(ts) as moved_first_opened_at \
             from __convlake_new_events \
             where event_type = 'conversation_opened' \
             group by workspace_id, contact_id \
         ) \
         select {} \
         from moved \
         right join __convlake_previous as previous \
             on moved.moved_workspace_id = previous.workspace_id \
             and moved.moved_contact_id = previous.contact_id \
         where not exists ( \
             select 1 from period_conversation_ids as touched \
             where touched.workspace_id = previous.workspace_id \
                 and touched.conversation_id = previous.conversation_id \
         ) \
         union all \
         select * from {VIEW} where opened_at is not null or closed_at is not null",
        columns.join(", ")
    )
}

/// Memory the sort of [`materialize`]'s second pass may hold before it
/// spills sorted runs to the temporary folder.
const SORT_MEMORY_BYTES: usize = 1 << 30;

/// A session that reads the first pass's file as `unsorted`, with a memory
/// pool of [`SORT_MEMORY_BYTES`] and the default disk manager (the
/// temporary folder) for the sort's spills.
async fn sorting_session(unsorted: &std::path::Path) -> Result<SessionContext> {
    let runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(
            datafusion::execution::memory_pool::FairSpillPool::new(SORT_MEMORY_BYTES),
        ))
        .build_arc()?;
    let ctx =
        SessionContext::new_with_config_rt(datafusion::prelude::SessionConfig::new(), runtime);
    ctx.register_parquet(
        "unsorted",
        unsorted.to_str().ok_or_else(|| Error::Parameter {
            name: "TMPDIR".to_string(),
            reason: format!("'{}' is not UTF-8", unsorted.display()),
        })?,
        datafusion::prelude::ParquetReadOptions::default(),
    )
    .await?;
    Ok(ctx)
}

/// The lake's last event (µs since the epoch, UTC); the epoch for a lake
/// with none.
async fn last_event(ctx: &SessionContext) -> Result<i64> {
    let batches = ctx
        .sql("select max(ts) from events")
        .await?
        .collect()
        .await?;
    let column = batches[0].column(0);
    let ts = column
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .expect("events.ts is read as microseconds (schema::ts_type)");
    Ok(if ts.is_null(0) { 0 } else { ts.value(0) })
}
