//! convlake's custom functions, one per file; [`register_all`] adds them all.

use std::sync::Arc;

use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};

pub mod conversation_metrics;
pub mod format_duration;
pub mod report_check;
pub mod report_config;
pub mod report_filter;
pub mod report_param;
pub mod seconds_between;
pub mod timeline;
pub mod to_local;

/// Every scalar function of this crate.
pub fn scalar_functions() -> Vec<Arc<ScalarUDF>> {
    use report_param::{Param, ReportParam};
    vec![
        Arc::new(ScalarUDF::from(format_duration::FormatDuration::new())),
        Arc::new(ScalarUDF::from(seconds_between::SecondsBetween::new())),
        Arc::new(ScalarUDF::from(to_local::ToLocal::new())),
        Arc::new(ScalarUDF::from(report_filter::ReportFilter::new())),
        Arc::new(ScalarUDF::from(report_check::ReportCheck::new(true))),
        Arc::new(ScalarUDF::from(report_check::ReportCheck::new(false))),
        Arc::new(ScalarUDF::from(ReportParam::new(Param::Start))),
        Arc::new(ScalarUDF::from(ReportParam::new(Param::End))),
        Arc::new(ScalarUDF::from(ReportParam::new(Param::AsOf))),
        Arc::new(ScalarUDF::from(ReportParam::new(Param::Timezone))),
    ]
}

/// Every aggregate function of this crate.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![Arc::new(AggregateUDF::from(
        conversation_metrics::ConversationMetrics::new(),
    ))]
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
