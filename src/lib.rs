//! convlake: analytics SQL over customer-conversation events stored as
//! Parquet, on Apache DataFusion.
//!
//! ```no_run
//! # async fn demo() -> convlake::Result<()> {
//! let ctx = convlake::session_context();
//! convlake::register(&ctx, "s3://my-bucket/lake").await?;
//! ctx.sql("select event_type, count(*) from events group by 1").await?.show().await?;
//! # Ok(()) }
//! ```

pub mod cli;
pub mod commands;
pub mod error;
pub mod generate;
pub mod lake;
pub mod output;
pub mod repl;
pub mod schema;

use datafusion::execution::FunctionRegistry;
use datafusion::prelude::{SessionConfig, SessionContext};

pub use error::{Error, Result};
pub use lake::Lake;

/// The lake `convlake` opens when none is given: the sample lake of this
/// repository (made by `convlake generate`, see README.md).
pub const SAMPLE_LAKE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample");

/// A `SessionContext` configured for convlake's queries.
pub fn session_context() -> SessionContext {
    let config = SessionConfig::new()
        .with_information_schema(true)
        // Keep the files' declared order rather than re-sorting for parallelism.
        .set_bool("datafusion.optimizer.prefer_existing_sort", true);
    SessionContext::new_with_config(config)
}

/// Registers everything convlake adds onto `ctx`: its functions, the
/// lake's object store, the lake's tables (`events` checked against
/// SPEC.md §1.1, dimensions empty where absent). The CLI, the servers and
/// the tests all call this one function.
pub async fn register(ctx: &SessionContext, lake: &str) -> Result<Lake> {
    let mut state = ctx.state();
    convlake_udfs::register_all(&mut state as &mut dyn FunctionRegistry)?;
    for udf in convlake_udfs::scalar_functions() {
        ctx.register_udf(udf.as_ref().clone());
    }
    lake::open(ctx, lake).await
}
