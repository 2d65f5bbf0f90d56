//! Parquet files of the lake: the writer settings, the events files and the
//! dimension tables.

use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, RecordBatch, StringArray, StringBuilder, TimestampMicrosecondArray, new_null_array,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::event::{
    CATEGORIES, DETAILS, DIRECTIONS, EVENT_TYPES, Ev, HANDOVER_STATUSES, NONE, SENDERS, SOURCES,
    SUMMARIES,
};
use super::sim::NewContact;
use super::world::World;
use crate::error::{Error, Result};
use crate::lake::schema::{UTC, events_file_schema};

/// Rows per row group, at most.
pub(super) const MAX_ROW_GROUP_ROWS: usize = 131_072;
/// Rows per Arrow batch handed to the writer.
const BATCH_ROWS: usize = 65_536;

/// What has been written so far.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Written {
    pub files: u64,
    pub bytes: u64,
    pub events: u64,
}

fn parquet_error(path: &Path) -> impl FnOnce(parquet::errors::ParquetError) -> Error + '_ {
    move |source| Error::ParquetWrite {
        file: path.display().to_string(),
        source,
    }
}

/// The settings every file of the lake is written with. Two columns hold a
/// distinct value almost every row, so a dictionary only fills up and falls
/// back to plain values: `ts`, sorted within each conversation, is written
/// as deltas, and uncompressed (zstd shrinks those deltas by under 0.1 %
/// and costs a decompression per page); `event_id`, whose neighbours share
/// most of their characters, as prefix lengths and suffixes. Measured on
/// the 1M benchmark lake (README.md, "Layout and sort order: why").
fn properties(path: &Path, sorting: Option<Vec<SortingColumn>>) -> Result<WriterProperties> {
    let ts = ColumnPath::from("ts");
    let event_id = ColumnPath::from("event_id");
    Ok(WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).map_err(parquet_error(path))?,
        ))
        .set_max_row_group_row_count(Some(MAX_ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_dictionary_enabled(true)
        .set_column_dictionary_enabled(ts.clone(), false)
        .set_column_encoding(ts.clone(), Encoding::DELTA_BINARY_PACKED)
        .set_column_compression(ts, Compression::UNCOMPRESSED)
        .set_column_dictionary_enabled(event_id.clone(), false)
        .set_column_encoding(event_id, Encoding::DELTA_BYTE_ARRAY)
        .set_sorting_columns(sorting)
        .build())
}

/// One Parquet file being written.
struct ParquetOut {
    writer: ArrowWriter<File>,
    path: PathBuf,
}

impl ParquetOut {
    fn create(
        path: PathBuf,
        schema: SchemaRef,
        sorting: Option<Vec<SortingColumn>>,
    ) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(Error::io("creating directory", dir))?;
        }
        let props = properties(&path, sorting)?;
        let file = File::create(&path).map_err(Error::io("creating", &path))?;
        let writer =
            ArrowWriter::try_new(file, schema, Some(props)).map_err(parquet_error(&path))?;
        Ok(ParquetOut { writer, path })
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.writer.write(batch).map_err(parquet_error(&self.path))
    }

    fn close(self, written: &mut Written) -> Result<()> {
        let ParquetOut { writer, path } = self;
        writer.close().map_err(parquet_error(&path))?;
        let len = std::fs::metadata(&path)
            .map_err(Error::io("reading metadata of", &path))?
            .len();
        written.files += 1;
        written.bytes += len;
        Ok(())
    }
}

pub(super) fn contact_id(world: &World, ws: u16, local: u32) -> String {
    format!("ct{:0w$}{:08}", ws as usize + 1, local, w = world.ws_width)
}

fn strings<T>(rows: &[T], mut f: impl FnMut(&T, &mut String) -> bool) -> ArrayRef {
    let mut builder = StringBuilder::with_capacity(rows.len(), rows.len() * 10);
    let mut buf = String::new();
    for row in rows {
        buf.clear();
        if f(row, &mut buf) {
            builder.append_value(&buf);
        } else {
            builder.append_null();
        }
    }
    Arc::new(builder.finish())
}

fn code(table: &[&str], c: u8, buf: &mut String) -> bool {
    if c == 0 {
        return false;
    }
    buf.push_str(table[c as usize]);
    true
}

fn id<'a>(ids: impl Fn(usize) -> &'a str, n: u32, buf: &mut String) -> bool {
    if n == NONE {
        return false;
    }
    buf.push_str(ids(n as usize));
    true
}

fn timestamps(values: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from_iter(values).with_timezone(UTC))
}

fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into()))
}

/// The rows `evs` (already in file order) as a batch of `events_file_schema()`.
fn events_batch(world: &World, schema: &SchemaRef, evs: &[Ev]) -> Result<RecordBatch> {
    let users = |u: usize| world.users[u].id.as_str();
    let columns = schema
        .fields()
        .iter()
        .map(|field| match field.name().as_str() {
            "event_id" => strings(evs, |e, b| write!(b, "ev{:012}", e.seq).is_ok()),
            "ts" => timestamps(evs.iter().map(|e| Some(e.ts))),
            "workspace_id" => strings(evs, |e, b| {
                b.push_str(&world.workspaces[e.ws as usize].id);
                true
            }),
            "conversation_id" => strings(evs, |e, b| write!(b, "cv{:010}", e.conversation).is_ok()),
            "contact_id" => strings(evs, |e, b| {
                b.push_str(&contact_id(world, e.ws, e.contact));
                true
            }),
            "event_type" => strings(evs, |e, b| {
                b.push_str(EVENT_TYPES[e.kind as usize]);
                true
            }),
            "channel_id" => strings(evs, |e, b| {
                id(|c| world.channels[c].id.as_str(), e.channel, b)
            }),
            "source" => strings(evs, |e, b| code(&SOURCES, e.source, b)),
            "source_detail" => strings(evs, |e, b| code(&DETAILS, e.detail, b)),
            "actor_user_id" => strings(evs, |e, b| id(users, e.actor, b)),
            "team_id" => strings(evs, |e, b| id(|t| world.teams[t].id.as_str(), e.team, b)),
            "assignee_user_id" => strings(evs, |e, b| id(users, e.assignee, b)),
            "message_id" => strings(evs, |e, b| {
                e.message != 0 && write!(b, "mg{:012}", e.message).is_ok()
            }),
            "direction" => strings(evs, |e, b| code(&DIRECTIONS, e.direction, b)),
            "sender_type" => strings(evs, |e, b| code(&SENDERS, e.sender, b)),
            "category" => strings(evs, |e, b| code(&CATEGORIES, e.category, b)),
            "summary" => strings(evs, |e, b| code(&SUMMARIES, e.summary, b)),
            "handover_status" => strings(evs, |e, b| code(&HANDOVER_STATUSES, e.handover, b)),
            "establishment_id" => strings(evs, |e, b| {
                id(|x| world.establishments[x].id.as_str(), e.establishment, b)
            }),
            _ => new_null_array(field.data_type(), evs.len()),
        })
        .collect();
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// Writes `evs` sorted by (workspace_id, conversation_id, ts, event_id) to
/// `path`, declaring that order in the file.
pub(super) fn write_events(
    world: &World,
    path: PathBuf,
    evs: &mut [Ev],
    written: &mut Written,
) -> Result<()> {
    evs.sort_unstable_by_key(Ev::sort_key);
    let schema = events_file_schema();
    let sorting = ["workspace_id", "conversation_id", "ts", "event_id"]
        .iter()
        .map(|name| {
            Ok(SortingColumn {
                column_idx: schema.index_of(name)? as i32,
                descending: false,
                nulls_first: false,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut out = ParquetOut::create(path, schema.clone(), Some(sorting))?;
    for chunk in evs.chunks(BATCH_ROWS) {
        out.write(&events_batch(world, &schema, chunk)?)?;
    }
    out.close(written)?;
    written.events += evs.len() as u64;
    Ok(())
}

fn field(name: &str, ty: DataType, nullable: bool) -> Field {
    Field::new(name, ty, nullable)
}

fn utf8(name: &str, nullable: bool) -> Field {
    field(name, DataType::Utf8, nullable)
}

fn str_array<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(values))
}

fn write_table(
    path: PathBuf,
    fields: Vec<Field>,
    columns: Vec<ArrayRef>,
    written: &mut Written,
) -> Result<()> {
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    let mut out = ParquetOut::create(path, schema, None)?;
    out.write(&batch)?;
    out.close(written)
}

/// `workspaces`, `teams`, `users`, `channels`, `establishments`.
pub(super) fn write_dimensions(world: &World, root: &Path, written: &mut Written) -> Result<()> {
    let part = |table: &str| root.join(table).join("part-00000.parquet");
    let ws_id = |w: usize| Some(world.workspaces[w].id.as_str());

    let ws = &world.workspaces;
    write_table(
        part("workspaces"),
        vec![
            utf8("workspace_id", false),
            utf8("name", true),
            utf8("timezone", true),
            utf8("business_hours", true),
        ],
        vec![
            str_array(ws.iter().map(|w| Some(w.id.as_str()))),
            str_array(ws.iter().map(|w| Some(w.name.as_str()))),
            str_array(ws.iter().map(|w| Some(w.locale.tz_name))),
            str_array(ws.iter().map(|w| w.hours_json.as_deref())),
        ],
        written,
    )?;

    let teams = &world.teams;
    write_table(
        part("teams"),
        vec![
            utf8("team_id", false),
            utf8("workspace_id", false),
            utf8("name", true),
        ],
        vec![
            str_array(teams.iter().map(|t| Some(t.id.as_str()))),
            str_array(teams.iter().map(|t| ws_id(t.ws))),
            str_array(teams.iter().map(|t| Some(t.name))),
        ],
        written,
    )?;

    let users = &world.users;
    write_table(
        part("users"),
        vec![
            utf8("user_id", false),
            utf8("workspace_id", false),
            utf8("name", true),
            utf8("team_id", true),
        ],
        vec![
            str_array(users.iter().map(|u| Some(u.id.as_str()))),
            str_array(users.iter().map(|u| ws_id(u.ws))),
            str_array(users.iter().map(|u| Some(u.name.as_str()))),
            str_array(users.iter().map(|u| Some(teams[u.team].id.as_str()))),
        ],
        written,
    )?;

    let channels = &world.channels;
    write_table(
        part("channels"),
        vec![
            utf8("channel_id", false),
            utf8("workspace_id", false),
            utf8("name", true),
            utf8("channel_type", true),
            utf8("platform", true),
        ],
        vec![
            str_array(channels.iter().map(|c| Some(c.id.as_str()))),
            str_array(channels.iter().map(|c| ws_id(c.ws))),
            str_array(channels.iter().map(|c| Some(c.name.as_str()))),
            str_array(channels.iter().map(|c| Some(c.channel_type))),
            str_array(channels.iter().map(|c| Some(c.platform))),
        ],
        written,
    )?;

    let est = &world.establishments;
    write_table(
        part("establishments"),
        vec![
            utf8("establishment_id", false),
            utf8("workspace_id", false),
            utf8("name", true),
            utf8("region", true),
            utf8("sector", true),
            utf8("country", true),
        ],
        vec![
            str_array(est.iter().map(|e| Some(e.id.as_str()))),
            str_array(est.iter().map(|e| ws_id(e.ws))),
            str_array(est.iter().map(|e| Some(e.name.as_str()))),
            str_array(est.iter().map(|e| Some(e.region))),
            str_array(est.iter().map(|e| Some(e.sector))),
            str_array(est.iter().map(|e| Some(e.country))),
        ],
        written,
    )
}

/// The `contacts` table, written in chunks as contacts appear.
pub(super) struct ContactsOut {
    out: ParquetOut,
    schema: SchemaRef,
}

/// Contacts buffered before a chunk is written.
pub(super) const CONTACTS_CHUNK: usize = 65_536;

impl ContactsOut {
    pub fn create(root: &Path) -> Result<Self> {
        let schema = Arc::new(Schema::new(vec![
            utf8("contact_id", false),
            utf8("workspace_id", false),
            utf8("name", true),
            field("created_at", ts_type(), true),
            field("first_conversation_at", ts_type(), true),
            utf8("establishment_id", true),
        ]));
        let out = ParquetOut::create(
            root.join("contacts").join("part-00000.parquet"),
            schema.clone(),
            None,
        )?;
        Ok(ContactsOut { out, schema })
    }

    /// Writes and empties `rows`.
    pub fn write(&mut self, world: &World, rows: &mut Vec<NewContact>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let columns = vec![
            strings(rows, |c, b| {
                b.push_str(&contact_id(world, c.ws, c.local));
                true
            }),
            strings(rows, |c, b| {
                b.push_str(&world.workspaces[c.ws as usize].id);
                true
            }),
            strings(rows, |c, b| {
                b.push_str(&c.name);
                true
            }),
            timestamps(rows.iter().map(|c| Some(c.created_at))),
            timestamps(rows.iter().map(|c| c.first_conversation_at)),
            strings(rows, |c, b| {
                b.push_str(&world.establishments[c.establishment as usize].id);
                true
            }),
        ];
        let batch = RecordBatch::try_new(self.schema.clone(), columns)?;
        self.out.write(&batch)?;
        rows.clear();
        Ok(())
    }

    pub fn close(self, written: &mut Written) -> Result<()> {
        self.out.close(written)
    }
}
