//! A physical optimizer rule: an anti join whose other side the Parquet
//! files' statistics prove empty is replaced by the side it keeps.
//!
//! `conversation_openings` keeps a period's openings that have no earlier
//! opening (`not exists`, a hash anti join). DataFusion builds the hash
//! table from the kept side, so every opening of the period is held before
//! the first row comes out, even when no file can hold an earlier opening:
//! the scan only finds that out when it opens the files and prunes all of
//! them by their `ts` statistics (at 10M conversations, 656 MB: see
//! docs/performance.md).
//!
//! This rule asks the same question at planning time, with the same
//! answer: DataFusion's own `FilePruner`, the scan's predicate and each
//! file's statistics, as the scan would at run time. Only if every file is
//! pruned is the side empty; a file without statistics, or a predicate the
//! statistics cannot decide, keeps the join. An anti join against nothing
//! keeps every row of its other side, so the answer is unchanged.

use std::sync::Arc;

use datafusion::common::JoinType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::config::ConfigOptions;
use datafusion::datasource::physical_plan::{FileSource, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::pruning::FilePruner;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::joins::HashJoinExec;
use datafusion::physical_plan::metrics::Count;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::repartition::RepartitionExec;

#[derive(Debug, Default)]
pub struct EmptyAntiJoins;

impl PhysicalOptimizerRule for EmptyAntiJoins {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let Some(join) = node.downcast_ref::<HashJoinExec>() else {
                return Ok(Transformed::no(node));
            };
            let (kept, other) = match join.join_type {
                JoinType::LeftAnti => (&join.left, &join.right),
                JoinType::RightAnti => (&join.right, &join.left),
                _ => return Ok(Transformed::no(node)),
            };
            if !proven_empty(other)? {
                return Ok(Transformed::no(node));
            }
            // The join's output is the kept side's columns, narrowed by its
            // projection: the same columns, by the same names.
            let kept_schema = kept.schema();
            let indices: Vec<usize> = match &join.projection {
                Some(projection) => projection.to_vec(),
                None => (0..kept_schema.fields().len()).collect(),
            };
            let exprs = indices.into_iter().map(|i| {
                let name = kept_schema.field(i).name().clone();
                let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new(&name, i));
                (column, name)
            });
            let replaced = ProjectionExec::try_new(exprs, Arc::clone(kept))?;
            Ok(Transformed::yes(
                Arc::new(replaced) as Arc<dyn ExecutionPlan>
            ))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "convlake_empty_anti_joins"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// A Parquet scan every file of which its predicate prunes by the file's
/// statistics, under operators that never add a row.
fn proven_empty(plan: &Arc<dyn ExecutionPlan>) -> Result<bool> {
    if let Some(scan) = plan.downcast_ref::<DataSourceExec>() {
        let Some((config, parquet)) = scan.downcast_to_file_source::<ParquetSource>() else {
            return Ok(false);
        };
        let Some(predicate) = parquet.filter() else {
            return Ok(false);
        };
        for file in config.file_groups.iter().flat_map(|group| group.iter()) {
            let pruner = FilePruner::try_new(
                Arc::clone(&predicate),
                config.file_schema(),
                file,
                Count::new(),
            );
            let Some(mut pruner) = pruner else {
                return Ok(false);
            };
            if !pruner.should_prune()? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    let adds_no_rows = plan.downcast_ref::<FilterExec>().is_some()
        || plan.downcast_ref::<ProjectionExec>().is_some()
        || plan.downcast_ref::<RepartitionExec>().is_some()
        || plan.downcast_ref::<CoalescePartitionsExec>().is_some();
    match plan.children().as_slice() {
        [child] if adds_no_rows => proven_empty(child),
        _ => Ok(false),
    }
}
