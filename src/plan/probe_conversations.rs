//! A physical optimizer rule, run right after DataFusion's `JoinSelection`:
//! a hash join between the conversations and a per-contact table builds its
//! hash table from the per-contact table, and the conversations stream
//! through it as the probe side.
//!
//! `JoinSelection` builds from the side its statistics say is smaller.
//! For a bounded period they say the conversations (the estimate of a semi
//! join, then an aggregate), so the per-conversation rows were held in the
//! hash table, every one of their ~50 columns, and each output batch of a left join taken from that one
//! concatenated build batch refers to all its string buffers, which every
//! operator above walks to count the batch's size (DataFusion 55's
//! `output_bytes` metric): quadratic in the period's conversations
//! (docs/performance.md). A per-contact table is bounded by
//! the lake's contacts and is narrow (3 columns); the conversations stream.

use std::sync::Arc;

use datafusion::common::JoinType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::physical_plan::joins::HashJoinExec;

use crate::plan::single_stage::CONVERSATION_KEY;

#[derive(Debug, Default)]
pub struct ProbeConversations;

impl PhysicalOptimizerRule for ProbeConversations {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let Some(join) = node.downcast_ref::<HashJoinExec>() else {
                return Ok(Transformed::no(node));
            };
            if builds_conversations(join) {
                let swapped = join.swap_inputs(*join.partition_mode())?;
                return Ok(Transformed::yes(swapped));
            }
            Ok(Transformed::no(node))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "convlake_probe_conversations"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The build side (left) is per conversation and the probe side is a table
/// aggregated by something else (a contact), or read as it is from a
/// per-contact table, with no conversation in it.
/// A join of the events with the period's conversation ids is left alone:
/// its probe side is not aggregated. Semi and anti joins are left alone
/// too: their build side is a set of keys, such as the conversation ids
/// that `convlake materialize` drops from the old file, and swapping one
/// held that whole file in the hash table. A null-aware
/// anti join (`NOT IN`) must build its subquery side anyway.
fn builds_conversations(join: &HashJoinExec) -> bool {
    if !matches!(
        join.join_type(),
        JoinType::Inner | JoinType::Left | JoinType::Right | JoinType::Full
    ) {
        return false;
    }
    let build = Aggregates::of(join.left());
    let probe = Aggregates::of(join.right());
    build.per_conversation && !probe.per_conversation && (probe.other || per_contact(join.right()))
}

/// Rows with a contact and no conversation: a per-contact table read as it
/// is (the lake's materialised first openings, src/materialize/first_openings.rs).
fn per_contact(plan: &Arc<dyn ExecutionPlan>) -> bool {
    let schema = plan.schema();
    schema.field_with_name("contact_id").is_ok()
        && schema.field_with_name("conversation_id").is_err()
}

/// What aggregates a plan holds: grouped by conversation, or otherwise.
#[derive(Default)]
struct Aggregates {
    per_conversation: bool,
    other: bool,
}

impl Aggregates {
    fn of(plan: &Arc<dyn ExecutionPlan>) -> Self {
        let mut found = Self::default();
        let mut stack = vec![plan];
        while let Some(node) = stack.pop() {
            if let Some(aggregate) = node.downcast_ref::<AggregateExec>() {
                let keys = aggregate.group_expr().expr();
                if keys.iter().any(|(_, name)| name == CONVERSATION_KEY) {
                    found.per_conversation = true;
                } else if !keys.is_empty() {
                    found.other = true;
                }
            }
            stack.extend(node.children());
        }
        found
    }
}
