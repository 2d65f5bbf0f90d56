//! convlake's custom functions, one per file; [`register_all`] adds them all.

use std::sync::Arc;

use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};

pub mod bot_sessions;
pub mod business_seconds;
mod coerce;
pub mod conversation_metrics;
pub mod delay_bucket;
pub mod earliest;
mod event_groups;
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
        Arc::new(ScalarUDF::from(business_seconds::BusinessSeconds::new())),
        Arc::new(ScalarUDF::from(delay_bucket::DelayBucket::new())),
        Arc::new(ScalarUDF::from(report_filter::ReportFilter::new())),
        Arc::new(ScalarUDF::from(report_check::ReportCheck::new(true))),
        Arc::new(ScalarUDF::from(report_check::ReportCheck::new(false))),
        Arc::new(ScalarUDF::from(ReportParam::new(Param::Start))),
        Arc::new(ScalarUDF::from(ReportParam::new(Param::End))),
        Arc::new(ScalarUDF::from(ReportParam::new(Param::AsOf))),
        Arc::new(ScalarUDF::from(ReportParam::new(Param::WholeLake))),
        Arc::new(ScalarUDF::from(ReportParam::new(Param::Timezone))),
        Arc::new(ScalarUDF::from(ReportParam::new(Param::SessionGap))),
        Arc::new(ScalarUDF::from(ReportParam::new(Param::WaitingThreshold))),
        Arc::new(ScalarUDF::from(ReportParam::new(Param::Grain))),
        Arc::new(ScalarUDF::from(ReportParam::new(Param::BucketUnit))),
        Arc::new(ScalarUDF::from(ReportParam::new(Param::HourFrom))),
        Arc::new(ScalarUDF::from(ReportParam::new(Param::HourTo))),
    ]
}

/// Every aggregate function of this crate.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![
        Arc::new(AggregateUDF::from(
            conversation_metrics::ConversationMetrics::new(),
        )),
        Arc::new(AggregateUDF::from(bot_sessions::BotSessions::new())),
        Arc::new(AggregateUDF::from(earliest::Earliest::new())),
    ]
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
