//! The interactive prompt of `convlake sql`: statements end with `;`,
//! history is kept in `~/.convlake_history`, errors are shown and the prompt
//! goes on.

use datafusion::prelude::SessionContext;
use rustyline::error::ReadlineError;

use crate::cli::args::Format;
use crate::cli::sql::run_sql;
use crate::error::{Error, Result};

const HELP: &str =
    "Statements end with ';'. \\d lists tables and views, \\d NAME describes one, \\q quits.";

pub async fn run(ctx: &SessionContext, format: Format) -> Result<()> {
    let mut editor = rustyline::DefaultEditor::new().map_err(readline_error)?;
    let history =
        std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".convlake_history"));
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    eprintln!("convlake {}. {HELP}", env!("CARGO_PKG_VERSION"));
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() {
            "convlake> "
        } else {
            "       -> "
        };
        match editor.readline(prompt) {
            Ok(line) => {
                let trimmed = line.trim();
                if buffer.is_empty() && trimmed.starts_with('\\') {
                    let _ = editor.add_history_entry(trimmed);
                    match meta_command(trimmed) {
                        Some(sql) => report(run_sql(ctx, &sql, format, None).await),
                        None if trimmed == "\\q" => break,
                        None => eprintln!("{HELP}"),
                    }
                    continue;
                }
                buffer.push_str(&line);
                buffer.push('\n');
                if trimmed.ends_with(';') {
                    let sql = std::mem::take(&mut buffer);
                    let _ = editor.add_history_entry(sql.trim());
                    report(run_sql(ctx, &sql, format, None).await);
                }
            }
            Err(ReadlineError::Interrupted) => buffer.clear(),
            Err(ReadlineError::Eof) => break,
            Err(err) => return Err(readline_error(err)),
        }
    }
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    Ok(())
}

fn meta_command(line: &str) -> Option<String> {
    let mut words = line.split_whitespace();
    match (words.next(), words.next()) {
        (Some("\\d"), None) => Some(
            "select table_name, table_type from information_schema.tables \
             where table_schema = 'public' order by table_type, table_name"
                .to_string(),
        ),
        (Some("\\d"), Some(name)) => Some(format!("describe {name}")),
        _ => None,
    }
}

fn report(result: Result<()>) {
    if let Err(err) = result {
        eprintln!("error: {}", err.chain());
    }
}

fn readline_error(err: ReadlineError) -> Error {
    Error::Io {
        action: "reading the prompt",
        path: "<terminal>".into(),
        source: std::io::Error::other(err),
    }
}
