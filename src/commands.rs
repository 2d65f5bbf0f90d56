//! What each CLI command does. `main` parses the command line and calls [`run`].

use datafusion::prelude::SessionContext;
use datafusion::sql::parser::DFParser;
use datafusion::sql::sqlparser::dialect::{GenericDialect, dialect_from_str};

use crate::cli::{Cli, Command, Format, GenerateArgs, Report, SqlArgs};
use crate::error::{Error, Result};
use crate::generate::{GenerateOptions, generate};
use crate::output::{self, Sink};
use crate::{register, repl, report, session_context};

/// The Tokio runtime the command line runs on: one worker thread per core
/// (Tokio's default) and at most one blocking thread per core (Tokio's
/// default is 512).
///
/// Every read of a local Parquet file (object_store's `LocalFileSystem`)
/// runs on a blocking thread. With Tokio's default, a scan starts a new
/// thread whenever all are busy (58 of them for 1M conversations), each
/// thread's allocator heap keeps the read buffers freed back to it, and the
/// process grows by the bytes it reads: 10M `conversation_facts` peaked at
/// 4.3 GB instead of 1.9 GB, and the 10M heat-map spent 2.0-4.1 s instead
/// of 0.4-0.6 s in the kernel (README.md, "Layout and sort order: why").
/// Reads from the page cache are copies: more threads than cores do not
/// make them faster.
///
/// It also turns transparent huge pages off for the process (Linux).
/// mimalloc asks for them on its arenas, and each first touch of one then
/// zeroes 2 MiB in the kernel; right after another process has freed its
/// memory (DuckDB's run, in the benchmark) that took 0.4-0.5 s of a 1 s
/// query: 1M `opened_by_channel`, after a DuckDB run each time, 6 runs:
/// 0.90-1.05 s with them, 0.66-0.73 s without (and 180 MB instead of
/// 260 MB peak RSS).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    // Best effort: where the kernel has no such switch, nothing changes.
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_thp_disable(true);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(cores.max(2))
        .build()
}

/// One line of `convlake materialize` per file.
fn print_written(file: &str, rows_are: &str, written: &crate::materialisation::Written) {
    println!(
        "{file}: {} {rows_are}, {} bytes; read {} of {} lake files in {:.1} s",
        written.rows, written.bytes, written.read_files, written.files, written.seconds
    );
}

/// Runs one command of the command line.
pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Generate(args) => run_generate(args).await,
        command => {
            let ctx = session_context();
            let lake = register(&ctx, &cli.lake).await?;
            match command {
                Command::Sql(SqlArgs {
                    sql: Some(sql),
                    format,
                    output,
                }) => run_sql(&ctx, &sql, format, output.as_deref()).await,
                Command::Sql(SqlArgs {
                    sql: None, format, ..
                }) => repl::run(&ctx, format).await,
                Command::Tables => print_tables(&ctx, &lake).await,
                Command::Materialize => {
                    let openings = crate::first_openings::materialize(&ctx, &lake).await?;
                    print_written(crate::first_openings::FILE, "contacts", &openings);
                    let conversations = crate::conversations::materialize(&ctx, &lake).await?;
                    print_written(crate::conversations::FILE, "conversations", &conversations);
                    Ok(())
                }
                Command::Report(Report::Conversations(args)) => {
                    report::page(&ctx, &args, "conversations").await
                }
                Command::Report(Report::Bot(args)) => report::page(&ctx, &args, "bot").await,
                Command::Report(Report::Chats(args)) => report::page(&ctx, &args, "chats").await,
                Command::Describe { table } => {
                    let sql = format!("describe {}", quote_ident(&table));
                    run_sql(&ctx, &sql, Format::Table, None).await
                }
                Command::Generate(_) => unreachable!("handled above"),
            }
        }
    }
}

/// Runs every statement of `sql` in order, writing each result; the result
/// of the last statement goes to `output` when one is given.
pub async fn run_sql(
    ctx: &SessionContext,
    sql: &str,
    format: Format,
    output: Option<&std::path::Path>,
) -> Result<()> {
    // Refused before any statement runs, not after a long export.
    if let Some(folder) = output.filter(|path| path.is_dir()) {
        return Err(Error::Parameter {
            name: "--output".into(),
            reason: format!("'{}' is a folder; name a file", folder.display()),
        });
    }
    let dialect = ctx
        .state()
        .config()
        .options()
        .sql_parser
        .dialect
        .to_string();
    let dialect = dialect_from_str(&dialect).unwrap_or_else(|| Box::new(GenericDialect {}));
    let statements = DFParser::parse_sql_with_dialect(sql, dialect.as_ref())?;
    if statements.is_empty() {
        return Err(Error::Parameter {
            name: "sql".into(),
            reason: "no SQL statement given".into(),
        });
    }
    let last = statements.len() - 1;
    for (i, statement) in statements.into_iter().enumerate() {
        let plan = ctx.state().statement_to_plan(statement).await?;
        let df = ctx.execute_logical_plan(plan).await?;
        let stream = df.execute_stream().await?;
        // SET, CREATE and the like answer with no columns: nothing to show.
        if stream.schema().fields().is_empty() {
            let mut stream = stream;
            while let Some(batch) = futures::StreamExt::next(&mut stream).await {
                batch?;
            }
            continue;
        }
        let sink = match output {
            Some(path) if i == last => Sink::File(path),
            _ => Sink::Stdout,
        };
        output::write(stream, format, sink).await?;
    }
    Ok(())
}

async fn print_tables(ctx: &SessionContext, lake: &crate::Lake) -> Result<()> {
    println!("lake: {}", lake.url);
    let width = lake.tables.iter().map(|t| t.name.len()).max().unwrap_or(5);
    println!(
        "{:width$}  {:>7}  {:>12}  {:>12}  partitions  sort order",
        "table", "files", "rows", "bytes"
    );
    for t in &lake.tables {
        let files = if t.files == 0 {
            "absent".to_string()
        } else {
            t.files.to_string()
        };
        println!(
            "{:width$}  {:>7}  {:>12}  {:>12}  {:10}  {}",
            t.name,
            files,
            t.rows,
            t.bytes,
            if t.partitions.is_empty() {
                "-".to_string()
            } else {
                t.partitions.join("/")
            },
            if t.sort_order.is_empty() {
                "-".to_string()
            } else {
                t.sort_order.join(", ")
            },
        );
    }
    let views = ctx
        .sql(
            "select table_name from information_schema.tables where table_type = 'VIEW' and table_schema = 'public' order by 1",
        )
        .await?
        .collect()
        .await?;
    let names: Vec<String> = views
        .iter()
        .flat_map(|b| {
            let col = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8)
                .expect("string column");
            arrow::array::AsArray::as_string::<i32>(&col)
                .iter()
                .flatten()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    if !names.is_empty() {
        println!("views: {}", names.join(", "));
    }
    println!(
        "{}",
        lake.first_openings
            .describe(crate::first_openings::TABLE, "contacts")
    );
    println!(
        "{}",
        lake.conversations
            .describe(crate::conversations::TABLE, "conversations")
    );
    Ok(())
}

fn quote_ident(name: &str) -> String {
    if name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
    {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

async fn run_generate(args: GenerateArgs) -> Result<()> {
    let options = GenerateOptions {
        conversations: args.conversations,
        seed: args.seed,
        out: args.out,
        workspaces: args.workspaces,
        start: args.start,
        days: args.days,
        force: args.force,
    };
    let started = std::time::Instant::now();
    let summary = tokio::task::spawn_blocking(move || generate(&options))
        .await
        .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))??;
    eprintln!(
        "wrote {} conversations, {} events in {} files ({} bytes) in {:.1?}",
        summary.conversations,
        summary.events,
        summary.files,
        summary.bytes,
        started.elapsed()
    );
    Ok(())
}
