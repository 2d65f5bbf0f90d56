//! What each CLI command does. `main` parses the command line and calls [`run`].

use datafusion::prelude::SessionContext;

use crate::cli::args::{
    Cli, Command, ExportAction, ExportArgs, Format, GenerateArgs, Report, UserCommand,
};
use crate::cli::sql::run_sql;
use crate::cli::{repl, report};
use crate::error::{Error, Result};
use crate::export::{Job, Source};
use crate::generate::{GenerateOptions, generate};
use crate::lake::Lake;
use crate::lake::as_of::resolve_as_of;
use crate::materialize::{conversations, coverage::Written, first_openings};
use crate::serve::server::ServeOptions;
use crate::serve::users::Users;
use crate::{SAMPLE_LAKE, materialize, register, session_context};

/// The Tokio runtime the command line runs on: one worker thread per core
/// and at most one blocking thread per core (Tokio's default is 512), with
/// transparent huge pages off for the process. Both keep memory and kernel
/// time down (docs/performance.md, "The runtime").
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
fn print_written(file: &str, rows_are: &str, written: &Written) {
    println!(
        "{file}: {} {rows_are}, {} bytes; read {} of {} lake files in {:.1} s",
        written.rows, written.bytes, written.read_files, written.files, written.seconds
    );
}

/// The lake a command opens: `--lake` (or `CONVLAKE_LAKE`), else the
/// sample lake `sample` of the source tree the binary was built from, when
/// it is there (an installed binary run elsewhere has none).
fn lake_location(given: Option<String>, sample: &str) -> Result<String> {
    if let Some(lake) = given {
        return Ok(lake);
    }
    if std::path::Path::new(sample).join("events").is_dir() {
        return Ok(sample.to_string());
    }
    Err(Error::Parameter {
        name: "--lake".into(),
        reason: format!(
            "no lake given: pass --lake PATH_OR_URL or set CONVLAKE_LAKE (the sample lake of \
             the source tree this binary was built from, {sample}, is not here)"
        ),
    })
}

/// `convlake user add`: the password from `CONVLAKE_PASSWORD`, else the
/// first line of standard input.
fn add_user(name: &str, workspaces: &[String], users: &std::path::Path) -> Result<()> {
    let password = match std::env::var("CONVLAKE_PASSWORD") {
        Ok(password) => password,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(Error::io("reading the password from", "<stdin>"))?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    Users::add(users, name, workspaces, &password)?;
    let scope = if workspaces.is_empty() {
        "every workspace".to_string()
    } else {
        workspaces.join(", ")
    };
    eprintln!("{}: user '{name}' ({scope})", users.display());
    Ok(())
}

/// Runs one command of the command line.
pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Generate(args) => run_generate(args).await,
        Command::User(UserCommand::Add {
            name,
            workspace,
            users,
        }) => add_user(&name, &workspace, &users),
        command => {
            let ctx = session_context();
            let lake = register(&ctx, &lake_location(cli.lake, SAMPLE_LAKE)?).await?;
            match command {
                Command::Sql(args) => {
                    let as_of = resolve_as_of(&ctx, &args.as_of).await?;
                    let set = format!("set convlake.as_of = '{}'", as_of.replace('\'', "''"));
                    ctx.sql(&set).await?.collect().await?;
                    match args.sql {
                        Some(sql) => run_sql(&ctx, &sql, args.format, args.output.as_deref()).await,
                        None => repl::run(&ctx, args.format).await,
                    }
                }
                Command::Tables => print_tables(&ctx, &lake).await,
                Command::Materialize => {
                    let [openings, written] = materialize(&ctx, &lake).await?;
                    print_written(first_openings::FILE, "contacts", &openings);
                    print_written(conversations::FILE, "conversations", &written);
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
                Command::Serve(args) => {
                    let options = ServeOptions {
                        listen: args.listen,
                        users: args.users,
                        tls_cert: args.tls_cert,
                        tls_key: args.tls_key,
                        allow_plaintext: args.allow_plaintext,
                        grace: std::time::Duration::from_secs(args.grace_seconds),
                        memory_limit: Some(args.memory_limit),
                        max_connections: args.max_connections,
                        flight_listen: args.flight_listen,
                    };
                    // Refused before the lake is even read.
                    crate::serve::server::check(&options)?;
                    crate::serve::server::serve(ctx, options).await
                }
                Command::Export(args) => match args.action {
                    Some(action) => run_jobs(&ctx, action).await,
                    None => run_export(&ctx, args.one).await,
                },
                Command::Generate(_) | Command::User(_) => unreachable!("handled above"),
            }
        }
    }
}

async fn print_tables(ctx: &SessionContext, lake: &Lake) -> Result<()> {
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
            .describe(first_openings::TABLE, "contacts")
    );
    println!(
        "{}",
        lake.conversations
            .describe(conversations::TABLE, "conversations")
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

/// `convlake export`: one run of the job the flags describe; a line of
/// what it committed.
async fn run_export(ctx: &SessionContext, args: ExportArgs) -> Result<()> {
    let mut parameters = vec![
        ("period".to_string(), args.period.clone()),
        ("timezone".to_string(), args.tz.clone()),
        (
            "workspace".to_string(),
            args.workspace.clone().unwrap_or_default(),
        ),
    ];
    for filter in &args.filter {
        parameters.push(crate::views::filter_parameter(filter)?);
    }
    let source = match (&args.view, &args.sql, &args.report) {
        (_, Some(sql), _) => Source::Sql(sql.clone()),
        (_, _, Some(page)) => Source::Report {
            page: page.clone(),
            locale: args.locale.clone(),
        },
        (Some(view), None, None) => Source::View(view.clone()),
        (None, None, None) => unreachable!("clap requires a view, --sql or --report"),
    };
    let format = args.format.unwrap_or(match &source {
        Source::Report { .. } => crate::export::files::ExportFormat::Html,
        _ => crate::export::files::ExportFormat::Parquet,
    });
    let job = Job {
        name: args.job.clone().unwrap_or_else(|| match &source {
            Source::View(view) => view.clone(),
            Source::Sql(_) => "sql".to_string(),
            Source::Report { page, .. } => format!("{page}_report"),
        }),
        source,
        to: crate::lake::store::lake_url(args.to.as_deref().unwrap_or_default()).map_err(|e| {
            Error::Parameter {
                name: "--to".into(),
                reason: e.to_string(),
            }
        })?,
        format,
        parameters,
        as_of: args.as_of.clone(),
        partition_by: args.partition_by,
        max_rows_per_file: args.max_rows_per_file,
        incremental: args.incremental.then_some(args.lateness),
    };
    let outcome = crate::export::run(ctx, &job, stop_signal()).await?;
    report_unfinished(&job, &outcome);
    println!("{}", outcome.summary(&job.to));
    Ok(())
}

fn report_unfinished(job: &Job, outcome: &crate::export::Outcome) {
    if !outcome.unfinished.is_empty() {
        eprintln!(
            "{}: ignored {} unfinished run folder(s) at {} (no manifest): {}",
            job.name,
            outcome.unfinished.len(),
            job.to,
            outcome.unfinished.join(", ")
        );
    }
}

/// `convlake export run|daemon --config FILE`: the jobs file's jobs once,
/// or on their schedules until SIGTERM or Ctrl-C.
async fn run_jobs(ctx: &SessionContext, action: ExportAction) -> Result<()> {
    let (config, only, daemon) = match action {
        ExportAction::Run { config, job } => (config, job, false),
        ExportAction::Daemon { config, job } => (config, job, true),
    };
    let mut jobs = crate::export::config::load(&config)?;
    if let Some(unknown) = only
        .iter()
        .find(|name| !jobs.iter().any(|j| &j.job.name == *name))
    {
        return Err(Error::Config {
            file: config.display().to_string(),
            reason: format!("no job '{unknown}'"),
        });
    }
    if !only.is_empty() {
        jobs.retain(|j| only.contains(&j.job.name));
    }
    let file = config.display().to_string();
    for scheduled in &jobs {
        if let Source::View(view) = &scheduled.job.source
            && !ctx.table_exist(view.as_str())?
        {
            return Err(Error::Config {
                file,
                reason: format!(
                    "job '{}': field `view`: no view or table '{view}' in the lake (convlake tables lists them)",
                    scheduled.job.name
                ),
            });
        }
    }
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        stop_signal().await;
        let _ = stop.send(true);
    });
    if daemon {
        eprintln!(
            "convlake export daemon: {} job(s) from {file}; SIGTERM or Ctrl-C stops it",
            jobs.len()
        );
        for scheduled in &jobs {
            if let Some(schedule) = &scheduled.schedule {
                let next = schedule.next_after(chrono::Utc::now());
                eprintln!(
                    "{}: '{}' ({}), next at {}",
                    scheduled.job.name,
                    schedule.pattern(),
                    scheduled
                        .job
                        .parameters
                        .iter()
                        .find(|(k, _)| k == "timezone")
                        .map_or("UTC", |(_, v)| v.as_str()),
                    next.map_or("never".into(), |t| t.to_rfc3339())
                );
            }
        }
        return crate::export::daemon::daemon(ctx, jobs, stopping, |scheduled, due, outcome| {
            match outcome {
                Ok(outcome) => {
                    report_unfinished(&scheduled.job, outcome);
                    println!(
                        "{} (for {})",
                        outcome.summary(&scheduled.job.to),
                        due.to_rfc3339()
                    );
                }
                Err(err) => eprintln!("error: {}", err.chain()),
            }
        })
        .await;
    }
    let mut failed = Vec::new();
    for scheduled in &jobs {
        match crate::export::daemon::run_with_retries(ctx, scheduled, stopping.clone()).await {
            Ok(outcome) => {
                report_unfinished(&scheduled.job, &outcome);
                println!("{}", outcome.summary(&scheduled.job.to));
            }
            Err(err) => {
                eprintln!("error: {}", err.chain());
                failed.push(scheduled.job.name.clone());
            }
        }
        if *stopping.borrow() {
            break;
        }
    }
    match failed.as_slice() {
        [] => Ok(()),
        names => Err(Error::Export {
            job: names.join("', '"),
            reason: format!(
                "{} of {} job(s) failed; nothing of theirs was committed",
                names.len(),
                jobs.len()
            ),
        }),
    }
}

/// Resolves on SIGTERM or Ctrl-C.
async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async {
                match term.as_mut() {
                    Some(term) => { term.recv().await; }
                    None => std::future::pending::<()>().await,
                }
            } => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_lake_is_the_sample_only_where_it_exists() {
        assert_eq!(lake_location(None, SAMPLE_LAKE).unwrap(), SAMPLE_LAKE);
        let given = Some("s3://bucket/lake".to_string());
        assert_eq!(
            lake_location(given, SAMPLE_LAKE).unwrap(),
            "s3://bucket/lake"
        );
        // An installed binary run where its build tree is not.
        let gone = "/nonexistent/convlake/data/sample";
        let err = lake_location(None, gone).unwrap_err().to_string();
        assert!(err.contains("--lake"), "{err}");
        assert!(err.contains("CONVLAKE_LAKE"), "{err}");
        assert!(err.contains(gone), "{err}");
    }
}
