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
pub mod error;
pub mod export;
pub mod generate;
pub mod lake;
pub mod materialize;
pub mod plan;
pub mod progress;
pub mod report;
pub mod serve;
pub mod views;

use datafusion::execution::FunctionRegistry;
use datafusion::prelude::SessionContext;

pub use error::{Error, Result};
pub use lake::Lake;
pub use plan::session_context;

use materialize::{conversations, coverage::Written, first_openings};

/// The lake `convlake` opens when none is given: the sample lake of this
/// repository (made by `convlake generate`, see README.md).
pub const SAMPLE_LAKE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample");

/// Registers everything convlake adds onto `ctx`: its functions, the
/// lake's object store, the lake's tables (`events` checked against
/// SPEC.md §1.1, dimensions empty where absent), the report views of
/// `sql/` and the lake's materialisations that are current. The CLI, the servers and
/// the tests all call this one function.
pub async fn register(ctx: &SessionContext, lake: &str) -> Result<Lake> {
    // A SessionContext shares its state with its clones.
    convlake_udfs::register_all(&mut ctx.clone() as &mut dyn FunctionRegistry)?;
    let mut lake = lake::open(ctx, lake).await?;
    let store = ctx
        .runtime_env()
        .object_store(lake::store::ObjectStoreUrlOf(&lake.url))
        .map_err(Error::DataFusion)?;
    lake.first_openings = first_openings::open(ctx, &store, &lake.url, &lake.events_files).await?;
    views::register(ctx)?;
    lake.conversations = conversations::open(ctx, &store, &lake.url, &lake.covered_files()).await?;
    Ok(lake)
}

/// Brings what `convlake materialize` keeps in the lake registered on `ctx`
/// (by [`register`], which gave `lake`) up to date: each contact's first
/// opening, then every conversation's metrics, which read them.
pub async fn materialize(ctx: &SessionContext, lake: &Lake) -> Result<[Written; 2]> {
    let openings = first_openings::materialize(ctx, lake).await?;
    // The lake registered anew, so that the conversations computed again
    // read the first openings just written.
    let reopened = session_context();
    register(&reopened, lake.url.as_str()).await?;
    let written = conversations::materialize(ctx, lake, reopened).await?;
    Ok([openings, written])
}
