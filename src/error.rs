//! The library's error type. Every variant says what went wrong and where
//! (the file, the column, the parameter), and keeps its cause.

use std::path::PathBuf;

use arrow::datatypes::DataType;

/// `Result` with convlake's [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The lake URL could not be parsed or names a scheme we cannot reach.
    #[error("invalid lake location '{url}': {reason}")]
    LakeUrl { url: String, reason: String },

    /// The lake has no `events` table (no Parquet file under `events/`).
    #[error("no events table in lake '{lake}': expected Parquet files under '{lake}/events/'")]
    NoEvents { lake: String },

    /// A file could not be read as Parquet (corrupt, truncated, not Parquet).
    #[error("cannot read Parquet file '{file}'")]
    Parquet {
        file: String,
        #[source]
        source: parquet::errors::ParquetError,
    },

    /// Writing a Parquet file failed.
    #[error("cannot write Parquet file '{file}'")]
    ParquetWrite {
        file: String,
        #[source]
        source: parquet::errors::ParquetError,
    },

    /// A required column is absent from a file.
    #[error("file '{file}': required column '{column}' ({expected}) is missing")]
    MissingColumn {
        file: String,
        column: String,
        expected: String,
    },

    /// A column has a type we cannot read as the one the schema asks for.
    #[error("file '{file}': column '{column}' has type {found}, expected {expected}")]
    ColumnType {
        file: String,
        column: String,
        expected: String,
        found: DataType,
    },

    /// A timestamp column carries no time zone, so instants are ambiguous.
    #[error(
        "file '{file}': column '{column}' is {found} without a time zone; its instants are ambiguous \
         (write it as a UTC timestamp, e.g. Timestamp(Microsecond, \"UTC\"))"
    )]
    TimestampWithoutTimeZone {
        file: String,
        column: String,
        found: DataType,
    },

    /// A required column holds nulls.
    #[error("file '{file}': required column '{column}' has {nulls} null value(s){location}")]
    NullRequired {
        file: String,
        column: String,
        nulls: u64,
        location: String,
    },

    /// An `event_type` outside SPEC.md §1.2.
    #[error(
        "file '{file}': unknown event_type '{value}'{location} (expected one of: conversation_opened, \
         conversation_closed, assignee_changed, message, handover)"
    )]
    UnknownEventType {
        file: String,
        value: String,
        location: String,
    },

    /// A file of a table does not fit the table's layout (partition folders).
    #[error("file '{file}': {reason}")]
    Layout { file: String, reason: String },

    /// A report or generator parameter with a value we cannot use.
    #[error("export job '{job}': {reason}")]
    Export { job: String, reason: String },

    #[error("cannot write '{file}': {reason}")]
    ExportWrite { file: String, reason: String },

    /// A run of an export job failed while it wrote; nothing was committed.
    #[error("export job '{job}'")]
    ExportRun {
        job: String,
        #[source]
        source: Box<Error>,
    },

    /// A jobs file (`exports.toml`) that cannot be used.
    #[error("{file}: {reason}")]
    Config { file: String, reason: String },

    #[error("invalid value for parameter '{name}': {reason}")]
    Parameter { name: String, reason: String },

    /// Reading or writing a local file failed.
    #[error("{action} '{}'", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// An object-store operation failed.
    #[error("object store: {context}")]
    ObjectStore {
        context: String,
        #[source]
        source: object_store::Error,
    },

    /// DataFusion failed planning or running a query.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),

    /// Arrow failed building or converting data.
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
}

impl Error {
    /// True when the error is a closed stdout (`convlake sql ... | head`),
    /// which a command-line tool treats as success.
    pub fn is_broken_pipe(&self) -> bool {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(err) = cause {
            if let Some(io) = err.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::BrokenPipe
            {
                return true;
            }
            if err.to_string().contains("Broken pipe") {
                return true;
            }
            cause = err.source();
        }
        false
    }

    /// True when trying again may succeed: the store could not be reached,
    /// timed out or failed on its side (after its client's own retries).
    /// Not: permissions, credentials, a missing bucket, bad parameters.
    pub fn is_transient(&self) -> bool {
        let permanent_words = [
            "ermission denied",
            "Forbidden",
            "Unauthorized",
            "NoSuchBucket",
        ];
        let permanent = |text: String| permanent_words.iter().any(|w| text.contains(w));
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(err) = cause {
            if let Some(store) = err.downcast_ref::<object_store::Error>() {
                return matches!(
                    store,
                    object_store::Error::Generic { .. } | object_store::Error::JoinError { .. }
                ) && !permanent(chain_of(store));
            }
            if let Some(io) = err.downcast_ref::<std::io::Error>() {
                use std::io::ErrorKind::*;
                return matches!(
                    io.kind(),
                    ConnectionRefused
                        | ConnectionReset
                        | ConnectionAborted
                        | NotConnected
                        | TimedOut
                        | BrokenPipe
                        | UnexpectedEof
                        | Interrupted
                        | Other
                ) && !permanent(io.to_string());
            }
            if let Some(Error::ExportWrite { reason, .. }) = err.downcast_ref::<Error>() {
                return !permanent(reason.clone());
            }
            cause = err.source();
        }
        false
    }

    /// The error and its causes on one line, `: `-separated, each said once
    /// (ripgrep's style). A cause whose text its wrapper already shows, as
    /// DataFusion's diagnostics and contexts do, is said once, and
    /// DataFusion's "caused by" lines join the one line.
    pub fn chain(&self) -> String {
        chain_of(self)
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }
}

/// `error` and its causes on one line, each said once: see [`Error::chain`].
pub fn chain_of(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = String::new();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(err) = cause {
        let text = err.to_string().replace("\ncaused by\n", ": ");
        let text = text.trim();
        if !text.is_empty() && !line.contains(text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(text);
        }
        cause = err.source();
    }
    line
}
