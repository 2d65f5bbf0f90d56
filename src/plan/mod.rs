//! How convlake's queries are planned: the session's settings and the three
//! physical optimizer rules added to DataFusion's. Why each exists, and what
//! it bought: docs/design.md and docs/performance.md.

pub mod empty_anti_joins;
pub mod probe_conversations;
pub mod single_stage;

use std::sync::Arc;

use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
use datafusion::prelude::{SessionConfig, SessionContext};

/// A `SessionContext` configured for convlake's queries, with the report
/// parameters (`SET convlake.*`) as a config extension. Nothing is
/// registered on it yet: [`crate::register`] does that.
pub fn session_context() -> SessionContext {
    let config = SessionConfig::new()
        .with_information_schema(true)
        // Keep the files' declared order rather than re-sorting for parallelism.
        .set_bool("datafusion.optimizer.prefer_existing_sort", true)
        // Files that do not overlap in that order are read one after the
        // other in one partition, still sorted, so the per-conversation pass
        // streams conversation by conversation instead of hashing them all.
        .set_bool("datafusion.execution.split_file_groups_by_statistics", true)
        // A hash join's table built once, not per hash partition, up to 4M
        // rows: its dynamic filter is then min/max bounds on the join keys,
        // which prune Parquet files and row groups (docs/performance.md).
        .set_usize(
            "datafusion.optimizer.hash_join_single_partition_threshold_rows",
            4_000_000,
        )
        .set_usize(
            "datafusion.optimizer.hash_join_single_partition_threshold",
            256 << 20,
        )
        // Skip the partial aggregation when it cannot halve the rows, as for
        // each contact's first opening (docs/performance.md).
        .set_str(
            "datafusion.execution.skip_partial_aggregation_probe_ratio_threshold",
            "0.5",
        )
        .with_option_extension(convlake_udfs::report_config::ReportConfig::default());
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .with_physical_optimizer_rules(physical_optimizer_rules())
        .build();
    SessionContext::new_with_state(state)
}

/// DataFusion's physical optimizer rules with convlake's three: the
/// conversations kept on the probe side of their joins with per-contact
/// tables, right after DataFusion picks build sides; anti joins against a
/// side the statistics prove empty dropped, once scans have their
/// predicates; per-conversation aggregates in one stage, last.
pub fn physical_optimizer_rules() -> Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> {
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
