//! A physical optimizer rule: per-conversation aggregates run in one stage,
//! after a hash repartition by conversation, never as Partial and Final.
//!
//! DataFusion splits an aggregate whose input is not partitioned by its
//! group keys into `Partial → RepartitionExec(hash) → FinalPartitioned`.
//! For `conversation_metrics` and `bot_sessions` the partial stage reduces
//! nothing: its state is the list of the conversation's events, so every
//! event is gathered, turned into a list, sent, and gathered again. The
//! same holds for any aggregate grouped by
//! conversation over events already in conversation order (the lake's sort
//! order): a conversation's rows are adjacent, so the partial stage merges
//! a handful of rows per group and the final stage does it all again.
//! This rule moves the repartition below the
//! aggregate, keeping the input order where the repartition kept it, and
//! aggregates once in `SinglePartitioned` mode: the same rows reach the same
//! group, so the answer is unchanged.
//!
//! It also turns an aggregate whose input is sorted on only part of its
//! group key, and not on the conversation, into one plain hash stage: on the
//! lake that part is `workspace_id` (per-contact tables are grouped by
//! workspace and contact). DataFusion 55 then aggregates in
//! `PartiallySorted` mode and, each time a workspace ends, drains its groups
//! 8,192 at a time, every drain renumbering all the groups left: quadratic
//! in the groups of a workspace. What both bought: docs/performance.md.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::buffer::BufferExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::{ExecutionPlan, InputOrderMode, Partitioning};

/// The aggregates whose partial state is every input row.
const WHOLE_GROUP_AGGREGATES: [&str; 2] = ["conversation_metrics", "bot_sessions"];

/// How much of its sorted run each input partition of a per-conversation
/// aggregate reads ahead of the merge, in bytes of Arrow batches.
const READ_AHEAD_BYTES: usize = 64 << 20;

/// The group key that makes an aggregate per conversation.
pub(crate) const CONVERSATION_KEY: &str = "conversation_id";

#[derive(Debug, Default)]
pub struct SingleStageAggregates;

impl PhysicalOptimizerRule for SingleStageAggregates {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            Ok(match single_stage(&node)? {
                Some(replaced) => Transformed::yes(replaced),
                None => Transformed::no(node),
            })
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "convlake_single_stage_aggregates"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `FinalPartitioned ← RepartitionExec(hash) ← Partial` over one of
/// [`WHOLE_GROUP_AGGREGATES`], or grouped by conversation over input sorted
/// on the group keys, or over input sorted on part of the keys that is not
/// the conversation, rewritten as
/// `SinglePartitioned ← RepartitionExec(hash on the group keys) ← input`
/// (the input order kept, except in the last case).
fn single_stage(node: &Arc<dyn ExecutionPlan>) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let Some(last) = node.downcast_ref::<AggregateExec>() else {
        return Ok(None);
    };
    if *last.mode() != AggregateMode::FinalPartitioned {
        return Ok(None);
    }
    let Some(repartition) = last.input().downcast_ref::<RepartitionExec>() else {
        return Ok(None);
    };
    let &Partitioning::Hash(_, partitions) = repartition.partitioning() else {
        return Ok(None);
    };
    let Some(partial) = repartition.input().downcast_ref::<AggregateExec>() else {
        return Ok(None);
    };
    let whole_group = partial
        .aggr_expr()
        .iter()
        .any(|a| WHOLE_GROUP_AGGREGATES.contains(&a.fun().name()));
    let keys = partial.group_expr().expr();
    let is_conversation = |i: usize| {
        keys.get(i)
            .is_some_and(|(_, name)| name == CONVERSATION_KEY)
    };
    let per_conversation_in_order = *partial.input_order_mode() == InputOrderMode::Sorted
        && (0..keys.len()).any(is_conversation);
    // Sorted on part of the key, the workspace: drop the order (module doc),
    // unless an aggregate reads its input in an order of its own
    // (`first_value(... order by ...)`), which the dropped order may serve.
    let partially_sorted = matches!(
        partial.input_order_mode(),
        InputOrderMode::PartiallySorted(sorted) if !sorted.iter().copied().any(is_conversation)
    ) && partial.aggr_expr().iter().all(|a| a.order_bys().is_empty());
    if *partial.mode() != AggregateMode::Partial
        || !(whole_group || per_conversation_in_order || partially_sorted)
        || !partial.group_expr().is_single()
    {
        return Ok(None);
    }
    let keep_order = repartition.preserve_order() && !partially_sorted;
    let keys = keys.iter().map(|(expr, _)| Arc::clone(expr)).collect();
    // The sorted runs (part files, late files) are merged inside the
    // repartition, each output partition merging its own share. Merging
    // them into one stream first, on one thread, cost more on 10M
    // conversations (98M events): 145.8 and 148.7 s against 136.5 and
    // 138.3 s for the whole-lake facts, peak RSS 3.26-3.38 GiB against
    // 3.51-3.58 GiB.
    let mut input = Arc::clone(partial.input());
    // Each output partition merges the sorted runs in key order. The part
    // files hold disjoint key ranges, so the merge drains one input's file
    // while the other input, unbuffered, waits after a batch: the scans took
    // turns on one core. A buffer lets each input read ahead on its own
    // core while the merge drains the other. On 10M conversations,
    // opened_by_channel (a first opening per conversation): 12.2-13.5 s
    // with 10.9 s of CPU, 7.4-7.6 s with the buffer. Not below the
    // whole-group aggregates, which read every event with 13 columns: on
    // the 10M conversation_facts it bought nothing measurable (63.2 s /
    // 5.1 GiB and 86.7 s / 4.6 GB with it, 60.0 s / 4.4 GB without, one
    // run each) and holds up to 64 MiB more per input.
    if keep_order && !whole_group && input.properties().output_partitioning().partition_count() > 1
    {
        input = Arc::new(BufferExec::new(input, READ_AHEAD_BYTES));
    }
    let mut by_group = RepartitionExec::try_new(input, Partitioning::Hash(keys, partitions))?;
    if keep_order {
        by_group = by_group.with_preserve_order();
    }
    let single = AggregateExec::try_new(
        AggregateMode::SinglePartitioned,
        partial.group_expr().clone(),
        partial.aggr_expr().to_vec(),
        partial.filter_expr().to_vec(),
        Arc::new(by_group),
        partial.input_schema(),
    )?;
    Ok(Some(Arc::new(single)))
}
