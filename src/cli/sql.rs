//! `convlake sql`: one or more statements, each result written out.

use datafusion::prelude::SessionContext;
use datafusion::sql::parser::DFParser;
use datafusion::sql::sqlparser::dialect::{GenericDialect, dialect_from_str};

use crate::cli::args::Format;
use crate::cli::output::{self, Sink};
use crate::error::{Error, Result};

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
