//! `to_local(ts, tz)`: an instant as the wall-clock time of a time zone.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, TimestampMicrosecondBuilder};
use arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;
use datafusion::common::utils::take_function_args;
use datafusion::common::{exec_datafusion_err, exec_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

/// The local wall-clock time (a timestamp without time zone) of the UTC
/// instant `ts` in the IANA time zone `tz`, exact across DST changes: use
/// it for hour-of-day and weekday groupings.
///
/// ```sql
/// select date_part('hour', to_local(ts, 'Europe/Paris')) as hour from events
/// ```
///
/// `tz` may differ per row (the workspace's zone); NULL `ts` or `tz` gives NULL.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ToLocal {
    signature: Signature,
}

impl Default for ToLocal {
    fn default() -> Self {
        Self::new()
    }
}

impl ToLocal {
    pub fn new() -> Self {
        let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        Self {
            signature: Signature::exact(vec![ts, DataType::Utf8], Volatility::Immutable),
        }
    }
}

/// The offset of `tz` at the instant, in µs.
fn offset_micros(tz: &Tz, ts: i64) -> Option<i64> {
    let utc = DateTime::from_timestamp_micros(ts)?.naive_utc();
    Some(tz.offset_from_utc_datetime(&utc).fix().local_minus_utc() as i64 * 1_000_000)
}

impl ScalarUDFImpl for ToLocal {
    fn name(&self) -> &str {
        "to_local"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Timestamp(TimeUnit::Microsecond, None))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let [ts, tz] = take_function_args(self.name(), args.args)?;
        let (ts, tz): (ArrayRef, ArrayRef) = (ts.into_array(n)?, tz.into_array(n)?);
        let ts = ts.as_primitive::<TimestampMicrosecondType>();
        let zones = tz.as_string::<i32>();
        let mut out = TimestampMicrosecondBuilder::with_capacity(ts.len());
        // Few distinct zones per batch: remember the last one parsed.
        let mut last: Option<(&str, Tz)> = None;
        for i in 0..ts.len() {
            if ts.is_null(i) || zones.is_null(i) {
                out.append_null();
                continue;
            }
            let name = zones.value(i);
            let zone = match last {
                Some((n, z)) if n == name => z,
                _ => {
                    let Ok(z) = name.parse::<Tz>() else {
                        return exec_err!("to_local: unknown time zone '{name}'");
                    };
                    last = Some((name, z));
                    z
                }
            };
            let offset = offset_micros(&zone, ts.value(i)).ok_or_else(|| {
                exec_datafusion_err!("to_local: timestamp {} out of range", ts.value(i))
            })?;
            out.append_value(ts.value(i) + offset);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{StringArray, TimestampMicrosecondArray};
    use arrow::datatypes::Field;
    use datafusion::common::ScalarValue;
    use datafusion::config::ConfigOptions;

    use super::*;

    fn micros(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros()
    }

    fn run(ts: Vec<Option<i64>>, tz: ColumnarValue) -> Result<Vec<Option<i64>>> {
        let n = ts.len();
        let utc = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        let args = ScalarFunctionArgs {
            arg_fields: vec![
                Arc::new(Field::new("ts", utc, true)),
                Arc::new(Field::new("tz", DataType::Utf8, true)),
            ],
            args: vec![
                ColumnarValue::Array(Arc::new(
                    TimestampMicrosecondArray::from(ts).with_timezone("UTC"),
                )),
                tz,
            ],
            number_rows: n,
            return_field: Arc::new(Field::new(
                "r",
                DataType::Timestamp(TimeUnit::Microsecond, None),
                true,
            )),
            config_options: Arc::new(ConfigOptions::default()),
        };
        let ColumnarValue::Array(out) = ToLocal::new().invoke_with_args(args)? else {
            panic!()
        };
        Ok(out
            .as_primitive::<TimestampMicrosecondType>()
            .iter()
            .collect())
    }

    #[test]
    fn across_the_paris_spring_dst_change() {
        // 2026-03-29 01:30 UTC is 02:30 CET → after the jump, 03:30 CEST.
        let paris = ColumnarValue::Scalar(ScalarValue::Utf8(Some("Europe/Paris".into())));
        let out = run(
            vec![
                Some(micros("2026-03-29T00:30:00Z")),
                Some(micros("2026-03-29T01:30:00Z")),
                None,
            ],
            paris,
        )
        .unwrap();
        assert_eq!(
            out,
            [
                Some(micros("2026-03-29T01:30:00Z")),
                Some(micros("2026-03-29T03:30:00Z")),
                None
            ],
            "01:30 local before the change, 03:30 local after it"
        );
    }

    #[test]
    fn zone_per_row_and_errors() {
        let zones = ColumnarValue::Array(Arc::new(StringArray::from(vec![
            Some("America/Sao_Paulo"),
            Some("Asia/Singapore"),
            None,
        ])));
        let t = micros("2026-11-20T12:00:00Z");
        let out = run(vec![Some(t), Some(t), Some(t)], zones).unwrap();
        assert_eq!(
            out,
            [
                Some(micros("2026-11-20T09:00:00Z")),
                Some(micros("2026-11-20T20:00:00Z")),
                None
            ]
        );
        let bad = ColumnarValue::Scalar(ScalarValue::Utf8(Some("Mars/Olympus".into())));
        let err = run(vec![Some(t)], bad).unwrap_err().to_string();
        assert!(err.contains("unknown time zone 'Mars/Olympus'"), "{err}");
    }
}
