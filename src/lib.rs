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
pub mod conversations;
pub mod empty_anti_joins;
pub mod error;
pub mod first_openings;
pub mod generate;
pub mod lake;
pub mod materialisation;
pub mod materialised_through;
pub mod output;
pub mod probe_conversations;
pub mod repl;
pub mod report;
pub mod schema;
pub mod single_stage;
pub mod views;

use std::sync::Arc;

use datafusion::execution::FunctionRegistry;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
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
        .set_bool("datafusion.optimizer.prefer_existing_sort", true)
        // Files that do not overlap in that order are read one after the
        // other in one partition, still sorted, so the per-conversation pass
        // streams conversation by conversation instead of hashing them all.
        .set_bool("datafusion.execution.split_file_groups_by_statistics", true)
        // Build a hash join's table once, not per hash partition, up to 4M
        // rows: its dynamic filter is then plain min/max bounds on the join
        // keys, which prune Parquet files and row groups (a partitioned
        // join's filter is a CASE on the hash partition, which cannot prune).
        // Measured on a 365-day lake of 1M conversations: a 30-day
        // conversation_summary reads 23.9 MB instead of 143.9 MB.
        .set_usize(
            "datafusion.optimizer.hash_join_single_partition_threshold_rows",
            4_000_000,
        )
        .set_usize(
            "datafusion.optimizer.hash_join_single_partition_threshold",
            256 << 20,
        )
        // Skip the partial aggregation when it cannot halve the rows (the
        // default skips it only above 0.8 groups per row). A contact's first
        // opening has 7.59M groups for 10.0M openings (0.76) at 10M
        // conversations: that aggregation alone peaked at 2.55 GB and
        // 11.4 s, and at 2.03 GB and 10.4 s with this; conversation_facts
        // at 3.49 GB, and 3.27 GB with this.
        .set_str(
            "datafusion.execution.skip_partial_aggregation_probe_ratio_threshold",
            "0.5",
        )
        // The report parameters: `SET convlake.period = 'last_7_days'`, ...
        .with_option_extension(convlake_udfs::report_config::ReportConfig::default());
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .with_physical_optimizer_rules(physical_optimizer_rules())
        .build();
    SessionContext::new_with_state(state)
}

/// DataFusion's physical optimizer rules with convlake's three: the
/// conversations as the probe side of their joins with per-contact tables,
/// decided right after DataFusion picks the build sides
/// (src/probe_conversations.rs); anti joins against a side the files'
/// statistics prove empty dropped, once the scans have their predicates and
/// before DataFusion distributes the plan (src/empty_anti_joins.rs); and
/// per-conversation aggregates in one stage, last (src/single_stage.rs).
fn physical_optimizer_rules() -> Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> {
    type Rule = Arc<dyn PhysicalOptimizerRule + Send + Sync>;
    /// Inserts `rule` right after DataFusion's rule named `after` (first if
    /// there is none).
    fn insert_after(rules: &mut Vec<Rule>, after: &str, rule: Rule) {
        let at = rules
            .iter()
            .position(|r| r.name() == after)
            .map_or(0, |i| i + 1);
        rules.insert(at, rule);
    }
    let mut rules = PhysicalOptimizer::new().rules;
    insert_after(
        &mut rules,
        "FilterPushdown",
        Arc::new(empty_anti_joins::EmptyAntiJoins),
    );
    insert_after(
        &mut rules,
        "join_selection",
        Arc::new(probe_conversations::ProbeConversations),
    );
    rules.push(Arc::new(single_stage::SingleStageAggregates));
    rules
}

/// Registers everything convlake adds onto `ctx`: its functions, the
/// lake's object store, the lake's tables (`events` checked against
/// SPEC.md §1.1, dimensions empty where absent), the report views of
/// `sql/` and the lake's materialisations that are current. The CLI, the servers and
/// the tests all call this one function.
pub async fn register(ctx: &SessionContext, lake: &str) -> Result<Lake> {
    // A SessionContext shares its state with its clones.
    convlake_udfs::register_all(&mut ctx.clone() as &mut dyn FunctionRegistry)?;
    let mut lake = lake::open(ctx, lake).await?;
    views::register(ctx)?;
    let store = ctx
        .runtime_env()
        .object_store(lake::ObjectStoreUrlOf(&lake.url))
        .map_err(Error::DataFusion)?;
    lake.conversations = conversations::open(ctx, &store, &lake.url, &lake.covered_files()).await?;
    Ok(lake)
}
