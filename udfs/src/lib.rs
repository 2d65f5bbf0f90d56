//! convlake's custom functions, one per file; [`register_all`] adds them all.

use std::sync::Arc;

use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};

pub mod conversation_metrics;
pub mod format_duration;
pub mod timeline;

/// Every scalar function of this crate.
pub fn scalar_functions() -> Vec<Arc<ScalarUDF>> {
    vec![Arc::new(ScalarUDF::from(
        format_duration::FormatDuration::new(),
    ))]
}

/// Every aggregate function of this crate.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![Arc::new(AggregateUDF::from(conversation_metrics::ConversationMetrics::new()))]
}

/// Registers every function of this crate on `registry`.
pub fn register_all(registry: &mut dyn FunctionRegistry) -> Result<()> {
    for udf in scalar_functions() {
        registry.register_udf(udf)?;
    }
    for udaf in aggregate_functions() {
        registry.register_udaf(udaf)?;
    }
    Ok(())
}
