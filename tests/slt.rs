//! Runs the `.slt` files of `tests/slt/` with the `sqllogictest` crate, each
//! in a fresh session with its own temporary lake folder.
//!
//! Two additions to plain SQL, handled here:
//! - `${LAKE}` in any statement is the file's temporary lake folder, so a
//!   test writes real Parquet with `copy (...) to '${LAKE}/events/x.parquet'`;
//! - `open lake` registers that folder with `convlake::register`, the same
//!   function the CLI uses (tables, functions, views).

use std::path::{Path, PathBuf};

use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::prelude::SessionContext;
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType};

struct Convlake {
    ctx: SessionContext,
    lake: PathBuf,
}

#[async_trait::async_trait]
impl AsyncDB for Convlake {
    type Error = convlake::Error;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, convlake::Error> {
        let sql = sql.replace("${LAKE}", self.lake.to_str().expect("utf-8 temp path"));
        if sql.trim().eq_ignore_ascii_case("open lake") {
            convlake::register(&self.ctx, self.lake.to_str().unwrap()).await?;
            return Ok(DBOutput::StatementComplete(0));
        }
        let df = self.ctx.sql(&sql).await?;
        let schema = df.schema().as_arrow().clone();
        let batches = df.collect().await?;
        if schema.fields().is_empty() {
            return Ok(DBOutput::StatementComplete(0));
        }
        let options = FormatOptions::default().with_null("NULL");
        let mut rows = Vec::new();
        for batch in &batches {
            let formatters = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
                .collect::<Result<Vec<_>, _>>()?;
            for row in 0..batch.num_rows() {
                rows.push(
                    formatters
                        .iter()
                        .map(|f| {
                            let text = f.value(row).to_string();
                            if text.is_empty() {
                                "(empty)".to_string()
                            } else {
                                text
                            }
                        })
                        .collect(),
                );
            }
        }
        Ok(DBOutput::Rows {
            types: vec![DefaultColumnType::Any; schema.fields().len()],
            rows,
        })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "convlake"
    }
}

async fn run_file(path: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().to_path_buf();
    let mut runner = sqllogictest::Runner::new(move || {
        let lake = lake.clone();
        async move {
            Ok::<_, convlake::Error>(Convlake {
                ctx: convlake::session_context(),
                lake,
            })
        }
    });
    runner.with_column_validator(|_, _| true);
    if let Err(err) = runner.run_file_async(path).await {
        panic!("{}: {}", path.display(), err.display(false));
    }
}

/// Every `.slt` file, each as its own test case so a failure names its file.
#[tokio::test]
async fn slt_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .slt files under {}", root.display());
    let mut failures = Vec::new();
    for file in &files {
        let result = tokio::spawn({
            let file = file.clone();
            async move { run_file(&file).await }
        })
        .await;
        if let Err(err) = result {
            let message = err.into_panic();
            let text = message
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| message.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(text);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} .slt files failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}
