//! `report_start()`, `report_end()`, `report_as_of()`, `report_timezone()`:
//! the report parameters in force, as values a view can compare with.

use arrow::datatypes::{DataType, TimeUnit};
use chrono::{DateTime, Utc};
use datafusion::common::ScalarValue;
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility, lit,
};

use crate::report_config::ReportConfig;

/// Which parameter a [`ReportParam`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Param {
    /// `report_start()`: the first instant of `convlake.period`.
    Start,
    /// `report_end()`: the first instant after `convlake.period`.
    End,
    /// `report_as_of()`: `convlake.as_of`, or the query's start time.
    AsOf,
    /// `report_whole_lake()`: true when `convlake.period` is `all` (no bounds).
    WholeLake,
    /// `report_timezone()`: `convlake.timezone`, checked.
    Timezone,
    /// `report_session_gap()`: seconds of silence that end a bot session.
    SessionGap,
    /// `report_waiting_threshold()`: seconds a last incoming message may wait.
    WaitingThreshold,
    /// `report_grain()`: day, week, month or year (active_chats_evolution).
    Grain,
    /// `report_bucket_unit()`: `hour` for a one-day period, else `day`.
    BucketUnit,
    /// `report_hour_from()`, `report_hour_to()`: the `hours` filter, `[from, to)`.
    HourFrom,
    HourTo,
}

/// A report parameter (SPEC.md §3) as a value: timestamps in UTC for the
/// period and as-of, a string for the time zone. The planner replaces the
/// call with its value (see `simplify`), so `ts >= report_start()` is a
/// literal range that prunes Parquet files and row groups.
///
/// ```sql
/// set convlake.period = 'last_7_days';
/// select count(*) from events where ts >= report_start() and ts < report_end();
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ReportParam {
    param: Param,
    signature: Signature,
}

impl ReportParam {
    pub fn new(param: Param) -> Self {
        Self {
            param,
            signature: Signature::nullary(Volatility::Stable),
        }
    }

    fn value(&self, options: &ConfigOptions, now: Option<DateTime<Utc>>) -> Result<ScalarValue> {
        let config = ReportConfig::from_options(options);
        let ts = |v: i64| ScalarValue::TimestampMicrosecond(Some(v), Some("UTC".into()));
        Ok(match self.param {
            Param::Start => ts(config.period_micros(now)?.0),
            Param::End => ts(config.period_micros(now)?.1),
            Param::AsOf => ts(config.as_of_micros(now)?),
            Param::WholeLake => ScalarValue::Boolean(Some(config.whole_lake())),
            Param::Timezone => ScalarValue::Utf8(Some(config.tz()?.name().to_string())),
            Param::SessionGap => ScalarValue::Float64(Some(config.session_gap_seconds()?)),
            Param::WaitingThreshold => ScalarValue::Float64(Some(config.waiting_seconds()?)),
            Param::Grain => ScalarValue::Utf8(Some(config.grain()?.to_string())),
            Param::BucketUnit => ScalarValue::Utf8(Some(config.bucket_unit(now)?.to_string())),
            Param::HourFrom => ScalarValue::Int64(Some(config.hour_range()?.0)),
            Param::HourTo => ScalarValue::Int64(Some(config.hour_range()?.1)),
        })
    }
}

impl ScalarUDFImpl for ReportParam {
    fn name(&self) -> &str {
        match self.param {
            Param::Start => "report_start",
            Param::End => "report_end",
            Param::AsOf => "report_as_of",
            Param::WholeLake => "report_whole_lake",
            Param::Timezone => "report_timezone",
            Param::SessionGap => "report_session_gap",
            Param::WaitingThreshold => "report_waiting_threshold",
            Param::Grain => "report_grain",
            Param::BucketUnit => "report_bucket_unit",
            Param::HourFrom => "report_hour_from",
            Param::HourTo => "report_hour_to",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.param {
            Param::Timezone | Param::Grain | Param::BucketUnit => DataType::Utf8,
            Param::SessionGap | Param::WaitingThreshold => DataType::Float64,
            Param::HourFrom | Param::HourTo => DataType::Int64,
            Param::WholeLake => DataType::Boolean,
            Param::Start | Param::End | Param::AsOf => {
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
            }
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(
            self.value(&args.config_options, None)?,
        ))
    }

    fn simplify(&self, _args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let value = self.value(info.config_options(), info.query_execution_start_time())?;
        Ok(ExprSimplifyResult::Simplified(lit(value)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn options(period: &str, tz: &str, as_of: &str) -> ConfigOptions {
        let mut options = ConfigOptions::new();
        options.extensions.insert(ReportConfig::default());
        options.set("convlake.period", period).unwrap();
        options.set("convlake.timezone", tz).unwrap();
        options.set("convlake.as_of", as_of).unwrap();
        options
    }

    fn simplified(param: Param, options: ConfigOptions) -> Result<Expr> {
        let info = SimplifyContext::builder()
            .with_config_options(Arc::new(options))
            .build();
        match ReportParam::new(param).simplify(vec![], &info)? {
            ExprSimplifyResult::Simplified(e) => Ok(e),
            ExprSimplifyResult::Original(_) => panic!("always simplified"),
        }
    }

    #[test]
    fn folds_to_literals() {
        let o = || options("yesterday", "Europe/Paris", "2026-11-20T10:00:00Z");
        // Yesterday in Paris (UTC+1 in November): 2026-11-18T23:00Z .. 2026-11-19T23:00Z.
        let start = DateTime::parse_from_rfc3339("2026-11-18T23:00:00Z")
            .unwrap()
            .timestamp_micros();
        let end = DateTime::parse_from_rfc3339("2026-11-19T23:00:00Z")
            .unwrap()
            .timestamp_micros();
        assert_eq!(
            simplified(Param::Start, o()).unwrap(),
            lit(ScalarValue::TimestampMicrosecond(
                Some(start),
                Some("UTC".into())
            ))
        );
        assert_eq!(
            simplified(Param::End, o()).unwrap(),
            lit(ScalarValue::TimestampMicrosecond(
                Some(end),
                Some("UTC".into())
            ))
        );
        assert_eq!(
            simplified(Param::Timezone, o()).unwrap(),
            lit("Europe/Paris")
        );
    }

    #[test]
    fn whole_lake_only_for_the_all_period() {
        let whole = |period: &str| {
            simplified(
                Param::WholeLake,
                options(period, "UTC", "2026-11-20T10:00:00Z"),
            )
            .unwrap()
        };
        assert_eq!(whole("all"), lit(true));
        assert_eq!(whole(" all "), lit(true));
        assert_eq!(whole("last_7_days"), lit(false));
        assert_eq!(whole("2026-01-01/2027-01-01"), lit(false));
    }

    #[test]
    fn as_of_defaults_to_the_query_start_time() {
        let now = DateTime::parse_from_rfc3339("2026-11-21T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let info = SimplifyContext::builder()
            .with_config_options(Arc::new(ConfigOptions::new()))
            .with_query_execution_start_time(Some(now))
            .build();
        let ExprSimplifyResult::Simplified(e) = ReportParam::new(Param::AsOf)
            .simplify(vec![], &info)
            .unwrap()
        else {
            panic!("always simplified")
        };
        assert_eq!(
            e,
            lit(ScalarValue::TimestampMicrosecond(
                Some(now.timestamp_micros()),
                Some("UTC".into())
            ))
        );
    }

    #[test]
    fn a_bad_parameter_fails_planning_with_its_name() {
        let err = simplified(Param::Start, options("fortnight", "UTC", ""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("'convlake.period'"), "{err}");
    }
}
