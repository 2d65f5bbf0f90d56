//! The command line, declared with clap derive; each flag's doc line is its help.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// SQL analytics over customer-conversation events in a Parquet lake.
#[derive(Debug, Parser)]
#[command(name = "convlake", version, about, long_about = None)]
pub struct Cli {
    /// The lake: a path, file:///path, s3://bucket/prefix, gs://bucket/prefix or az://container/prefix [default: the sample lake, data/sample, when run from the source tree]
    #[arg(long, global = true, env = "CONVLAKE_LAKE")]
    pub lake: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run SQL against the lake; with no SQL, open an interactive prompt
    Sql(SqlArgs),
    /// List the registered tables with their files, rows and sort order
    Tables,
    /// Write each contact's first opening and every conversation's metrics into the lake (_convlake/), so a period's reports read only its days
    Materialize,
    /// Show the columns of a table or view
    Describe {
        /// The table or view to describe
        table: String,
    },
    /// Print a report page, every component in order
    #[command(subcommand)]
    Report(Report),
    /// Write a realistic lake of generated events
    Generate(GenerateArgs),
    /// Serve the lake's views to BI tools over the PostgreSQL wire (read-only)
    Serve(ServeArgs),
    /// Export a view's rows, with no row limit, to files in a folder or an object store: atomic, optionally incremental
    Export(ExportCommand),
    /// Manage the users file of `serve`
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address of the PostgreSQL listener; off loopback it needs --users and TLS
    #[arg(long, env = "CONVLAKE_LISTEN", default_value = "127.0.0.1:5432")]
    pub listen: std::net::SocketAddr,

    /// The users file (convlake user add); without it, anyone on this machine connects unauthenticated, on loopback only
    #[arg(long, env = "CONVLAKE_USERS")]
    pub users: Option<PathBuf>,

    /// TLS certificate chain (PEM); TLS is then required of every client
    #[arg(long, env = "CONVLAKE_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,

    /// TLS private key (PEM)
    #[arg(long, env = "CONVLAKE_TLS_KEY")]
    pub tls_key: Option<PathBuf>,

    /// Listen off loopback without TLS (passwords stay SCRAM-protected, data does not)
    #[arg(long, env = "CONVLAKE_ALLOW_PLAINTEXT")]
    pub allow_plaintext: bool,

    /// Seconds running connections have to finish after SIGTERM or Ctrl-C
    #[arg(long, env = "CONVLAKE_GRACE_SECONDS", default_value_t = 10)]
    pub grace_seconds: u64,

    /// Memory one connection's query may hold before it spills to disk, then fails (e.g. 4GiB, 512MiB)
    #[arg(long, env = "CONVLAKE_MEMORY_LIMIT", default_value = "4GiB", value_parser = parse_bytes)]
    pub memory_limit: usize,

    /// Connections at once; one more is refused (SQLSTATE 53300)
    #[arg(long, env = "CONVLAKE_MAX_CONNECTIONS", default_value_t = 64)]
    pub max_connections: usize,

    /// Also serve Arrow Flight SQL (ADBC, the Flight SQL JDBC driver) on this address, e.g. 127.0.0.1:50051
    #[arg(long, env = "CONVLAKE_FLIGHT_LISTEN")]
    pub flight_listen: Option<std::net::SocketAddr>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ExportCommand {
    #[command(subcommand)]
    pub action: Option<ExportAction>,

    #[command(flatten)]
    pub one: ExportArgs,
}

/// The jobs of a jobs file (exports.toml; docs/export.md lists its fields).
#[derive(Debug, Subcommand)]
pub enum ExportAction {
    /// Run the jobs of a jobs file once, one after the other
    Run {
        /// The jobs file
        #[arg(long, env = "CONVLAKE_EXPORTS")]
        config: PathBuf,
        /// Only this job (repeatable)
        #[arg(long)]
        job: Vec<String>,
    },
    /// Run the jobs of a jobs file on their schedules until SIGTERM or Ctrl-C
    Daemon {
        /// The jobs file
        #[arg(long, env = "CONVLAKE_EXPORTS")]
        config: PathBuf,
        /// Only this job (repeatable)
        #[arg(long)]
        job: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The view (or table) to export, e.g. conversation_list
    #[arg(required_unless_present_any = ["sql", "report"], conflicts_with_all = ["sql", "report"])]
    pub view: Option<String>,

    /// A query to export instead of a view
    #[arg(long, conflicts_with = "report")]
    pub sql: Option<String>,

    /// A report page to publish instead, as --format html: conversations, bot or chats
    #[arg(long)]
    pub report: Option<String>,

    /// Language of a report page's labels and numbers: en, fr or es
    #[arg(long, default_value = "en", requires = "report")]
    pub locale: String,

    /// Destination folder: a path, file:///…, s3://bucket/prefix, gs://… or az://…
    #[arg(long, required = true)]
    pub to: Option<String>,

    /// Format of the files [default: parquet; html for --report]
    #[arg(long, short, value_enum)]
    pub format: Option<crate::export::files::ExportFormat>,

    /// Period: today, yesterday, last_7_days, …, all, or START/END (an incremental job's first run)
    #[arg(long, default_value = "all")]
    pub period: String,

    /// IANA time zone of the period's days and of --partition-by day
    #[arg(long, default_value = "UTC")]
    pub tz: String,

    /// The reports' "now": RFC 3339, 'latest' for the newest event in the lake, or 'now'
    #[arg(long, default_value = "latest")]
    pub as_of: String,

    /// Workspaces to export, comma-separated (default: all)
    #[arg(long)]
    pub workspace: Option<String>,

    /// A filter KEY=VALUE[,VALUE...], repeatable (e.g. opened_source=paid_ads)
    #[arg(long)]
    pub filter: Vec<String>,

    /// A folder per local day of the rows' first timestamp column, or per workspace
    #[arg(long, value_enum)]
    pub partition_by: Option<crate::export::Partition>,

    /// Start a new file after this many rows
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_rows_per_file: Option<u64>,

    /// Only what is new since the job's last run at --to (its window starts --lateness before where the last one ended)
    #[arg(long)]
    pub incremental: bool,

    /// How late events may arrive and still be exported by an incremental job: 30m, 2h, 1d
    #[arg(long, default_value = "2h", value_parser = crate::export::config::parse_duration)]
    pub lateness: chrono::Duration,

    /// The job's name, recorded in its manifests [default: the view's name, or 'sql']
    #[arg(long)]
    pub job: Option<String>,
}

/// `4GiB`, `512MiB`, `1000000`: a size in bytes.
fn parse_bytes(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a size such as 4GiB"))?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        other => return Err(format!("unknown unit '{other}' (B, KiB, MiB, GiB)")),
    };
    Ok((number * scale) as usize)
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (or replace its entry): the password is read from standard input, or CONVLAKE_PASSWORD
    Add {
        /// The user name clients log in with
        name: String,
        /// A workspace the user may see, repeatable (default: every workspace)
        #[arg(long)]
        workspace: Vec<String>,
        /// The users file to write
        #[arg(long, env = "CONVLAKE_USERS")]
        users: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum Report {
    /// respond.io's Conversations report (seed 000)
    Conversations(ReportArgs),
    /// Heyday's chatbot analytics (seeds 001, 002)
    Bot(ReportArgs),
    /// Partoo's chat statistics (seed 003)
    Chats(ReportArgs),
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Period: today, yesterday, last_7_days, last_14_days, last_30_days, this_month, last_month, all, or START/END
    #[arg(long, default_value = "last_7_days")]
    pub period: String,

    /// IANA time zone of the period's days (and of groupings where a workspace has none)
    #[arg(long, default_value = "UTC")]
    pub tz: String,

    /// The report's "now": an RFC 3339 timestamp, 'latest' for the newest event in the lake, or 'now'
    #[arg(long, default_value = "latest")]
    pub as_of: String,

    /// Workspaces to report on, comma-separated (default: all)
    #[arg(long)]
    pub workspace: Option<String>,

    /// A filter KEY=VALUE[,VALUE...], repeatable (e.g. opened_source=paid_ads)
    #[arg(long)]
    pub filter: Vec<String>,

    /// Output: a text page, JSON with every component's rows, or a self-contained HTML page
    #[arg(long, short, value_enum, default_value_t = crate::report::PageFormat::Table)]
    pub format: crate::report::PageFormat,

    /// Write the page to this file (it appears only once written whole) instead of stdout
    #[arg(long, short)]
    pub output: Option<PathBuf>,

    /// Language of the HTML page's labels and numbers: en, fr or es
    #[arg(long, default_value = "en")]
    pub locale: String,

    /// Rows of the conversation list to show
    #[arg(long, default_value_t = 10)]
    pub rows: usize,
}

#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The SQL to run (several statements separated by ';'); none opens a prompt
    pub sql: Option<String>,

    /// Output format
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Write the result to this file (created only if the query succeeds; a FIFO or device such as /dev/null is written in place) instead of stdout
    #[arg(long, short)]
    pub output: Option<PathBuf>,

    /// The reports' "now" (convlake.as_of, which a SET overrides): an RFC 3339 timestamp, 'latest' for the newest event in the lake, or 'now'
    #[arg(long, default_value = "latest")]
    pub as_of: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// An aligned text table
    Table,
    /// Comma-separated values with a header line
    Csv,
    /// One JSON object per line
    Json,
    /// Apache Parquet (zstd)
    Parquet,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of conversations to generate
    #[arg(long)]
    pub conversations: u64,

    /// Random seed: the same seed and options give the same bytes
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Directory to write the lake into (must be absent or empty unless --force)
    #[arg(long)]
    pub out: PathBuf,

    /// Number of workspaces (tenants), each in its own time zone
    #[arg(long, default_value_t = 3)]
    pub workspaces: u32,

    /// First day of traffic (UTC), YYYY-MM-DD
    #[arg(long, default_value = "2026-10-01")]
    pub start: chrono::NaiveDate,

    /// Number of days of traffic
    #[arg(long, default_value_t = 30)]
    pub days: u32,

    /// Replace --out if it already holds files
    #[arg(long)]
    pub force: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn export_takes_a_view_or_a_jobs_file() {
        let export = |args: &[&str]| match Cli::try_parse_from(args).map(|cli| cli.command) {
            Ok(Command::Export(export)) => Ok(export),
            Ok(other) => panic!("{other:?}"),
            Err(err) => Err(err.to_string()),
        };
        let jobs = export(&["convlake", "export", "daemon", "--config", "e.toml"]).unwrap();
        assert!(
            matches!(&jobs.action, Some(ExportAction::Daemon { config, .. }) if config.as_os_str() == "e.toml")
        );
        let one = export(&["convlake", "export", "conversation_list", "--to", "out"]).unwrap();
        assert!(one.action.is_none());
        assert_eq!(one.one.view.as_deref(), Some("conversation_list"));
        assert_eq!(one.one.to.as_deref(), Some("out"));
        let err = export(&["convlake", "export", "conversation_list"]).unwrap_err();
        assert!(err.contains("--to"), "{err}");
        let err = export(&["convlake", "export", "run"]).unwrap_err();
        assert!(err.contains("--config"), "{err}");
    }

    #[test]
    fn sizes_in_bytes() {
        assert_eq!(parse_bytes("4GiB"), Ok(4 << 30));
        assert_eq!(parse_bytes("512MiB"), Ok(512 << 20));
        assert_eq!(parse_bytes("1000"), Ok(1000));
        assert!(parse_bytes("4 parsecs").unwrap_err().contains("parsecs"));
    }
}
