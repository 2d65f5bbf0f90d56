//! `convlake export`: a view's rows (or a query's), with no row limit,
//! streamed into files in a folder or an object store; atomic (a run is
//! visible once its manifest exists) and, with a lateness window,
//! incremental. The layout and the rules are in docs/export.md.

pub mod config;
pub mod daemon;
pub mod files;
pub mod manifest;
pub mod schedule;

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch, UInt32Array};
use arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use chrono::{DateTime, Datelike, Utc};
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use url::Url;

use crate::error::{Error, Result};
use files::{ExportFormat, FileWriter};
use manifest::{FileEntry, Manifest};

/// What to export: a registered view (or table), a query, or a report
/// page (`conversations`, `bot`, `chats`) in a locale, as HTML.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    View(String),
    Sql(String),
    Report { page: String, locale: String },
}

impl Source {
    /// How errors and manifests name it.
    fn describe(&self) -> String {
        match self {
            Source::View(v) => format!("view '{v}'"),
            Source::Sql(_) => "--sql".to_string(),
            Source::Report { page, .. } => format!("report '{page}'"),
        }
    }
}

/// How a run's files are split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Partition {
    /// A folder per local day (report time zone) of the rows' first timestamp column
    Day,
    /// A folder per workspace_id
    Workspace,
}

/// One export job, as the command line or a jobs file gives it.
#[derive(Debug, Clone)]
pub struct Job {
    pub name: String,
    pub source: Source,
    /// The destination folder's URL (`file:///…/`, `s3://bucket/prefix/`).
    pub to: Url,
    pub format: ExportFormat,
    /// `convlake.*` report parameters without the prefix: period, timezone,
    /// workspace, filters.
    pub parameters: Vec<(String, String)>,
    /// The reports' "now": RFC 3339, `latest` (the lake's newest event) or `now`.
    pub as_of: String,
    pub partition_by: Option<Partition>,
    pub max_rows_per_file: Option<u64>,
    /// With a lateness: only what is new since the last committed run, its
    /// window starting that much before where the last one ended.
    pub incremental: Option<chrono::Duration>,
}

/// The outcome of a run.
#[derive(Debug)]
pub struct Outcome {
    pub manifest: Manifest,
    /// Folders of runs that never committed (killed, failed): ignored.
    pub unfinished: Vec<String>,
    /// False when an incremental job had nothing new to cover (its "now"
    /// has not moved since the last run): `manifest` is then that run's.
    pub committed: bool,
}

impl Outcome {
    /// One line of what the run committed, and where.
    pub fn summary(&self, to: &Url) -> String {
        let m = &self.manifest;
        if !self.committed {
            return format!(
                "{}: nothing new since run {} (its window ended at {}); nothing committed",
                m.job,
                m.sequence,
                m.period_end.as_deref().unwrap_or("-")
            );
        }
        format!(
            "{}: run {} committed: {} rows in {} file(s), {} bytes, period {} to {} ({}{}/{:08}.json)",
            m.job,
            m.sequence,
            m.rows,
            m.files.len(),
            m.bytes,
            m.period_start.as_deref().unwrap_or("-"),
            m.period_end.as_deref().unwrap_or("-"),
            to,
            manifest::FOLDER,
            m.sequence,
        )
    }
}

/// Runs `job` once on `ctx` (a registered lake): its rows written into a
/// run folder of their own, then committed by the manifest. On any error,
/// or when `stop` fires, the run's files are removed and nothing is
/// committed.
pub async fn run(
    ctx: &SessionContext,
    job: &Job,
    stop: impl std::future::Future<Output = ()>,
) -> Result<Outcome> {
    let failed = |reason: String| Error::Export {
        job: job.name.clone(),
        reason,
    };
    check_page(job).map_err(failed)?;
    let store = crate::lake::store::destination_store_for(&job.to)?;
    let root = Path::from_url_path(job.to.path()).map_err(|e| failed(e.to_string()))?;
    let committed = manifest::numbers(store.as_ref(), &root).await?;
    let previous = manifest::latest(store.as_ref(), &committed).await?;
    if let Some(previous) = &previous
        && previous.job != job.name
    {
        return Err(failed(format!(
            "'{}' holds the runs of job '{}'; give each job a destination of its own",
            job.to, previous.job
        )));
    }
    let unfinished = unfinished_runs(store.as_ref(), &root, &committed).await?;

    // The parameters, checked before anything is written.
    let as_of = crate::lake::as_of::resolve_as_of(ctx, &job.as_of).await?;
    let mut parameters = job.parameters.clone();
    parameters.push(("as_of".into(), as_of.clone()));
    let incremental_from = match (job.incremental, &previous) {
        (Some(lateness), Some(previous)) => {
            let end = previous.period_end.as_deref().ok_or_else(|| {
                failed(format!(
                    "run {} has no period end to continue from",
                    previous.sequence
                ))
            })?;
            let end = DateTime::parse_from_rfc3339(end).map_err(|e| {
                failed(format!(
                    "run {}'s period end '{end}': {e}",
                    previous.sequence
                ))
            })?;
            Some((end.with_timezone(&Utc) - lateness).to_rfc3339())
        }
        _ => None,
    };
    // The reports' "now"; a window ends just after it, so that an event at
    // that very instant (the lake's newest, with `latest`) is in it.
    let now = if as_of.is_empty() {
        Utc::now()
    } else {
        DateTime::parse_from_rfc3339(&as_of)
            .or_else(|_| DateTime::parse_from_rfc3339(&format!("{as_of}Z")))
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| failed(format!("as of '{as_of}': {e}")))?
    };
    let window_end = now + chrono::Duration::microseconds(1);
    if let (Some(from), Some(previous)) = (&incremental_from, &previous)
        && DateTime::parse_from_rfc3339(from).is_ok_and(|from| from >= window_end)
    {
        return Ok(Outcome {
            manifest: previous.clone(),
            unfinished,
            committed: false,
        });
    }
    if let Some(from) = &incremental_from {
        let until = window_end.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        parameters.retain(|(name, _)| name != "period");
        parameters.push(("period".into(), format!("{from}/{until}")));
    }
    for (name, value) in &parameters {
        let set = format!("set convlake.{name} = '{}'", value.replace('\'', "''"));
        ctx.sql(&set).await?.collect().await?;
    }
    let (period_start, period_end) = period(ctx).await?;
    // The window ends at the period's end or the reports' "now", whichever
    // comes first (`all` and `this_month` end later): where the next
    // incremental run continues from.
    let period_end = Some(period_end.map_or(window_end, |end| end.min(window_end)));
    // `all` starts at the beginning of time: no start.
    let period_start = period_start.filter(|start| start.year() >= 1900);
    let rfc3339 = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let (period_start, period_end) = (period_start.map(rfc3339), period_end.map(rfc3339));
    let sql = match &job.source {
        Source::View(view) => Some(format!("select * from {}", quote_ident(view))),
        Source::Sql(sql) => Some(sql.clone()),
        Source::Report { .. } => None,
    };
    let frame = match &sql {
        Some(sql) => Some(ctx.sql(sql).await.map_err(|e| {
            failed(format!(
                "{}: {}",
                job.source.describe(),
                Error::DataFusion(e).chain()
            ))
        })?),
        None => None,
    };
    let schema: SchemaRef = match &frame {
        Some(frame) => Arc::new(frame.schema().as_arrow().clone()),
        None => Arc::new(arrow::datatypes::Schema::empty()),
    };
    let partition = job
        .partition_by
        .map(|p| Partitioner::new(p, &schema, timezone(&parameters)))
        .transpose()
        .map_err(failed)?;

    let started_at = Utc::now();
    let sequence = previous.as_ref().map_or(1, |m| m.sequence + 1);
    let run_folder = format!(
        "run-{sequence:08}-{}-{:08x}",
        started_at.format("%Y%m%dT%H%M%SZ"),
        rand::random::<u32>()
    );
    let mut writing = Writing {
        store: store.clone(),
        root: root.clone(),
        run_folder: run_folder.clone(),
        format: job.format,
        schema: schema.clone(),
        max_rows: job.max_rows_per_file,
        open: BTreeMap::new(),
        done: Vec::new(),
        done_paths: Vec::new(),
        progress: crate::progress::counter(&format!("exporting {}", job.name), "rows"),
    };
    let stream = match frame {
        Some(frame) => Some(frame.execute_stream().await),
        None => None,
    };
    // A stop is taken between batches, never in the middle of a file's
    // write or upload, so every file is either finished or aborted.
    tokio::pin!(stop);
    let stopped = || failed("stopped before it finished (SIGTERM or Ctrl-C)".into());
    let outcome = async {
        let Some(stream) = stream else {
            // A report page: one file, written whole.
            let Source::Report { page, locale } = &job.source else {
                unreachable!("only a report has no query")
            };
            let html = crate::report::document(
                ctx,
                &report_params(&parameters, locale),
                page,
                crate::report::PageFormat::Html,
            )
            .await?;
            return writing.put_whole("report.html", html.into_bytes()).await;
        };
        let mut stream = stream?;
        loop {
            let next = tokio::select! {
                next = stream.next() => next,
                () = &mut stop => return Err(stopped()),
            };
            let Some(batch) = next else { break };
            let batch = batch?;
            match &partition {
                None => writing.write(None, &batch).await?,
                Some(partition) => {
                    for (value, rows) in partition.split(&batch)? {
                        writing.write(Some(value), &rows).await?;
                    }
                }
            }
        }
        if writing.open.is_empty() && writing.done.is_empty() {
            // No rows: one file with the header (CSV) or the schema (Parquet).
            writing
                .write(None, &RecordBatch::new_empty(schema.clone()))
                .await?;
        }
        writing.finish_all().await
    }
    .await;
    writing.progress.finish_and_clear();
    if let Err(err) = outcome {
        writing.discard().await;
        return Err(match err {
            Error::Export { .. } => err,
            other => Error::ExportRun {
                job: job.name.clone(),
                source: Box::new(other),
            },
        });
    }
    let files: Vec<FileEntry> = writing.done.clone();
    let manifest = Manifest {
        job: job.name.clone(),
        sequence,
        run: run_folder,
        convlake_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at: started_at.to_rfc3339(),
        finished_at: Utc::now().to_rfc3339(),
        source: match &job.source {
            Source::View(v) => v.clone(),
            Source::Sql(s) => s.clone(),
            Source::Report { page, .. } => format!("report {page}"),
        },
        format: job.format,
        parameters,
        period_start,
        period_end,
        incremental_from,
        partition_by: partition.as_ref().map(|p| p.describe()),
        schema: schema
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().to_string()))
            .collect(),
        rows: files.iter().map(|f| f.rows).sum(),
        bytes: files.iter().map(|f| f.bytes).sum(),
        files,
    };
    if !manifest::commit(store.as_ref(), &root, &manifest).await? {
        writing.discard().await;
        return Err(failed(format!(
            "another run of this job committed run {sequence} first; this run's files were removed"
        )));
    }
    if job.format == ExportFormat::Html {
        // The newest page at a fixed address, for a web server or a link;
        // replaced whole (a reader going by manifests does not need it).
        let from = writing.done_paths[0].clone();
        let latest = root.clone().join("latest.html");
        store
            .copy(&from, &latest)
            .await
            .map_err(|source| Error::ObjectStore {
                context: format!("copying '{from}' to '{latest}'"),
                source,
            })?;
    }
    Ok(Outcome {
        manifest,
        unfinished,
        committed: true,
    })
}

/// The open and finished files of a run.
struct Writing {
    store: Arc<dyn ObjectStore>,
    root: Path,
    run_folder: String,
    format: ExportFormat,
    schema: SchemaRef,
    max_rows: Option<u64>,
    /// By partition ("" when unpartitioned): its open file and its count of files.
    open: BTreeMap<String, (FileWriter, usize)>,
    done: Vec<FileEntry>,
    /// Where each finished file is, to remove them if the run fails.
    done_paths: Vec<Path>,
    progress: indicatif::ProgressBar,
}

impl Writing {
    async fn write(&mut self, partition: Option<String>, batch: &RecordBatch) -> Result<()> {
        let key = partition.clone().unwrap_or_default();
        let max_rows = self.max_rows;
        let mut offset = 0;
        loop {
            let rows_left = batch.num_rows() - offset;
            let (file, _) = self.file(&key).await?;
            let room = match max_rows {
                Some(max) => (max.saturating_sub(file.rows) as usize).min(rows_left),
                None => rows_left,
            };
            if room > 0 || batch.num_rows() == 0 {
                file.write(&batch.slice(offset, room)).await?;
                offset += room;
                self.progress.inc(room as u64);
            }
            if offset >= batch.num_rows() {
                return Ok(());
            }
            // The file is full: finish it, the rest goes to the next one.
            let (full, count) = self.open.remove(&key).expect("the file just written");
            self.finished(&key, full).await?;
            let next = self.new_file(&key, count)?;
            self.open.insert(key.clone(), (next, count + 1));
        }
    }

    async fn file(&mut self, key: &str) -> Result<&mut (FileWriter, usize)> {
        if !self.open.contains_key(key) {
            let first = self.new_file(key, 0)?;
            self.open.insert(key.to_string(), (first, 1));
        }
        Ok(self.open.get_mut(key).expect("just inserted"))
    }

    fn new_file(&self, key: &str, number: usize) -> Result<FileWriter> {
        let mut path = self.root.clone().join(self.run_folder.as_str());
        if !key.is_empty() {
            path = path.join(key);
        }
        let path = path.join(format!("part-{number:05}.{}", self.format.extension()));
        FileWriter::create(self.store.clone(), path, self.format, &self.schema)
    }

    async fn finished(&mut self, key: &str, file: FileWriter) -> Result<()> {
        let (path, rows, bytes) = file.finish(self.store.as_ref()).await?;
        self.done_paths.push(path.clone());
        let relative = path
            .as_ref()
            .strip_prefix(self.root.as_ref())
            .unwrap_or(path.as_ref())
            .trim_start_matches('/')
            .to_string();
        self.done.push(FileEntry {
            path: relative,
            rows,
            bytes,
            partition: (!key.is_empty()).then(|| key.to_string()),
        });
        Ok(())
    }

    async fn finish_all(&mut self) -> Result<()> {
        let open = std::mem::take(&mut self.open);
        for (key, (file, _)) in open {
            self.finished(&key, file).await?;
        }
        self.done.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(())
    }

    /// One file of `bytes`, put whole (a report page).
    async fn put_whole(&mut self, name: &str, bytes: Vec<u8>) -> Result<()> {
        let relative = format!("{}/{name}", self.run_folder);
        let path = self.root.clone().join(self.run_folder.as_str()).join(name);
        let size = bytes.len() as u64;
        self.store
            .put(&path, object_store::PutPayload::from(bytes))
            .await
            .map_err(|source| Error::ObjectStore {
                context: format!("writing '{path}'"),
                source,
            })?;
        self.done_paths.push(path);
        self.done.push(FileEntry {
            path: relative,
            rows: 0,
            bytes: size,
            partition: None,
        });
        Ok(())
    }

    /// Aborts the open uploads and deletes the finished files.
    async fn discard(&mut self) {
        for (_, (file, _)) in std::mem::take(&mut self.open) {
            file.abort().await;
        }
        self.done.clear();
        for path in std::mem::take(&mut self.done_paths) {
            let _ = self.store.delete(&path).await;
        }
    }
}

/// A report page is published as HTML, one file; rows are not.
fn check_page(job: &Job) -> std::result::Result<(), String> {
    match (&job.source, job.format) {
        (Source::Report { page, locale }, ExportFormat::Html) => {
            if !["conversations", "bot", "chats"].contains(&page.as_str()) {
                return Err(format!(
                    "unknown report '{page}' (conversations, bot or chats)"
                ));
            }
            crate::report::html::Locale::parse(locale).map_err(|e| e.to_string())?;
            if job.partition_by.is_some()
                || job.max_rows_per_file.is_some()
                || job.incremental.is_some()
            {
                return Err("a report page is one file: partitions, file sizes and \
                     incremental runs do not apply"
                    .into());
            }
            Ok(())
        }
        (Source::Report { .. }, other) => Err(format!(
            "a report page is published as html, not {}",
            other.extension()
        )),
        (_, ExportFormat::Html) => {
            Err("html is for report pages: give a report (conversations, bot or chats)".into())
        }
        _ => Ok(()),
    }
}

/// A report page's parameters from a job's `convlake.*` ones.
fn report_params(parameters: &[(String, String)], locale: &str) -> crate::report::ReportParams {
    let get = |name: &str| {
        parameters
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let as_of = get("as_of").unwrap_or_default();
    crate::report::ReportParams {
        period: get("period").unwrap_or_else(|| "all".into()),
        tz: get("timezone").unwrap_or_else(|| "UTC".into()),
        as_of: if as_of.is_empty() {
            "now".into()
        } else {
            as_of
        },
        workspace: get("workspace").filter(|w| !w.is_empty()),
        filter: parameters
            .iter()
            .filter(|(k, _)| !["period", "timezone", "workspace", "as_of"].contains(&k.as_str()))
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        locale: locale.to_string(),
        rows: 10,
    }
}

/// The run folders under `root` whose number (`run-NNNNNNNN-…`) no
/// manifest has: runs that were killed before they committed.
async fn unfinished_runs(
    store: &dyn ObjectStore,
    root: &Path,
    committed: &[(u64, Path)],
) -> Result<Vec<String>> {
    let listed = store
        .list_with_delimiter(Some(root))
        .await
        .map_err(|source| Error::ObjectStore {
            context: format!("listing '{root}'"),
            source,
        })?;
    Ok(listed
        .common_prefixes
        .iter()
        .filter_map(|p| p.filename().map(str::to_string))
        .filter(|name| {
            let number = name
                .strip_prefix("run-")
                .and_then(|rest| rest.split('-').next())
                .and_then(|n| n.parse::<u64>().ok());
            number.is_some_and(|n| !committed.iter().any(|(c, _)| *c == n))
        })
        .collect())
}

/// The report period's `[start, end)`, as the views read it.
async fn period(ctx: &SessionContext) -> Result<(Option<DateTime<Utc>>, Option<DateTime<Utc>>)> {
    let batches = ctx
        .sql("select report_start(), report_end()")
        .await?
        .collect()
        .await?;
    let text = |column: usize| {
        let batch = batches.first()?;
        let micros = arrow::compute::cast(
            batch.column(column),
            &DataType::Timestamp(TimeUnit::Microsecond, None),
        )
        .ok()?;
        let micros = micros.as_primitive::<arrow::datatypes::TimestampMicrosecondType>();
        micros
            .is_valid(0)
            .then(|| DateTime::<Utc>::from_timestamp_micros(micros.value(0)))
            .flatten()
    };
    Ok((text(0), text(1)))
}

fn timezone(parameters: &[(String, String)]) -> chrono_tz::Tz {
    parameters
        .iter()
        .find(|(n, _)| n == "timezone")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(chrono_tz::UTC)
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Which partition each row goes to.
struct Partitioner {
    kind: Partition,
    column: usize,
    name: String,
    tz: chrono_tz::Tz,
}

impl Partitioner {
    fn new(
        kind: Partition,
        schema: &SchemaRef,
        tz: chrono_tz::Tz,
    ) -> std::result::Result<Self, String> {
        let found = match kind {
            Partition::Day => schema
                .fields()
                .iter()
                .position(|f| matches!(f.data_type(), DataType::Timestamp(_, _))),
            Partition::Workspace => schema.index_of("workspace_id").ok(),
        };
        let column = found.ok_or_else(|| match kind {
            Partition::Day => {
                "--partition-by day needs a timestamp column, and the rows have none".to_string()
            }
            Partition::Workspace => {
                "--partition-by workspace needs a column 'workspace_id', and the rows have none"
                    .to_string()
            }
        })?;
        Ok(Partitioner {
            kind,
            column,
            name: schema.field(column).name().clone(),
            tz,
        })
    }

    fn describe(&self) -> String {
        match self.kind {
            Partition::Day => format!("day of {} in {}", self.name, self.tz),
            Partition::Workspace => "workspace_id".to_string(),
        }
    }

    /// `batch`'s rows by partition folder (`day=2026-12-01`, `workspace=ws01`;
    /// `…=null` for no value).
    fn split(&self, batch: &RecordBatch) -> Result<Vec<(String, RecordBatch)>> {
        let column = batch.column(self.column);
        let keys: Vec<String> = match self.kind {
            Partition::Day => {
                let micros = arrow::compute::cast(
                    column,
                    &DataType::Timestamp(TimeUnit::Microsecond, None),
                )?;
                let micros = micros.as_primitive::<arrow::datatypes::TimestampMicrosecondType>();
                (0..micros.len())
                    .map(|i| {
                        let day = micros
                            .is_valid(i)
                            .then(|| DateTime::<Utc>::from_timestamp_micros(micros.value(i)))
                            .flatten()
                            .map(|t| t.with_timezone(&self.tz).date_naive().to_string());
                        format!("day={}", day.as_deref().unwrap_or("null"))
                    })
                    .collect()
            }
            Partition::Workspace => {
                let text = arrow::compute::cast(column, &DataType::Utf8)?;
                let text = text.as_string::<i32>();
                (0..text.len())
                    .map(|i| {
                        let value = if text.is_valid(i) {
                            text.value(i)
                        } else {
                            "null"
                        };
                        format!("workspace={}", sanitize(value))
                    })
                    .collect()
            }
        };
        let mut rows: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        for (i, key) in keys.iter().enumerate() {
            rows.entry(key).or_default().push(i as u32);
        }
        rows.into_iter()
            .map(|(key, indices)| {
                let indices = UInt32Array::from(indices);
                let columns = batch
                    .columns()
                    .iter()
                    .map(|c| arrow::compute::take(c, &indices, None))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                Ok((
                    key.to_string(),
                    RecordBatch::try_new(batch.schema(), columns)?,
                ))
            })
            .collect()
    }
}

/// A value as a folder name: letters, digits, `-`, `_`, `.`; others as `_`.
fn sanitize(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}
