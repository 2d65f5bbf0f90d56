//! `to_local(ts, tz)`: an instant as the wall-clock time of a time zone.

use std::sync::Arc;

use crate::coerce;
use arrow::array::{Array, ArrayRef, AsArray, TimestampMicrosecondBuilder};
use arrow::compute::cast;
use arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;
use datafusion::common::utils::take_function_args;
use datafusion::common::{exec_datafusion_err, exec_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use foldhash::HashMap;

/// The local wall-clock time (a timestamp without time zone) of the UTC
/// instant `ts` in the IANA time zone `tz`, exact across DST changes: use
/// it for hour-of-day and weekday groupings.
///
/// ```sql
/// select date_part('hour', to_local(ts, 'Europe/Paris')) as hour from events
/// ```
///
/// `tz` (any string type) may differ per row (the workspace's zone); NULL
/// `ts` or `tz` gives NULL.
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
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// The offset of `tz` at the instant, in µs.
fn offset_micros(tz: &Tz, ts: i64) -> Option<i64> {
    let utc = DateTime::from_timestamp_micros(ts)?.naive_utc();
    Some(tz.offset_from_utc_datetime(&utc).fix().local_minus_utc() as i64 * 1_000_000)
}

const HOUR: i64 = 3_600_000_000;

/// The offset of `tz` throughout the UTC hour `hour` (µs since the epoch
/// divided by [`HOUR`]), or `None` if it changes within that hour (Lord
/// Howe's half-hour steps) or the hour is out of range. No zone changes
/// twice within an hour, so equal offsets at both ends hold throughout.
fn steady_offset(tz: &Tz, hour: i64) -> Option<i64> {
    let start = hour.checked_mul(HOUR)?;
    let first = offset_micros(tz, start)?;
    let last = offset_micros(tz, start.checked_add(HOUR - 1)?)?;
    (first == last).then_some(first)
}

impl ScalarUDFImpl for ToLocal {
    fn name(&self) -> &str {
        "to_local"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce::arity(self.name(), "(ts, tz)", arg_types.len(), &[2])?;
        // Every string type as it comes: a Utf8View zone (a Parquet column)
        // cast to Utf8 would copy each row's name first.
        let zone = match &arg_types[1] {
            ty @ (DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8) => ty.clone(),
            ty => coerce::string(self.name(), "tz", ty, DataType::Utf8)?,
        };
        Ok(vec![
            coerce::instant(self.name(), "ts", &arg_types[0])?,
            zone,
        ])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Timestamp(TimeUnit::Microsecond, None))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let [ts, tz] = take_function_args(self.name(), args.args)?;
        let ts: ArrayRef = ts.into_array(n)?;
        let ts = ts.as_primitive::<TimestampMicrosecondType>();
        // A constant zone is one row read for every row, not n copies.
        let (tz, same_zone) = match tz {
            ColumnarValue::Scalar(zone) => (zone.to_array_of_size(1)?, true),
            ColumnarValue::Array(zones) => (zones, false),
        };
        // Views of the same strings, whatever the string type: no copy.
        let tz = cast(&tz, &DataType::Utf8View)?;
        let zones = tz.as_string_view();
        let mut out = TimestampMicrosecondBuilder::with_capacity(ts.len());
        // Few distinct zones per batch: each parsed once, the last one
        // remembered (rows come in runs of one workspace).
        let mut seen: Vec<(&str, Tz)> = Vec::new();
        let mut last = usize::MAX;
        // A zone's offset is looked up once per UTC hour of the batch
        // (10M openings: 0.7 s of chrono-tz lookups row by row).
        let mut hours: HashMap<(usize, i64), Option<i64>> = HashMap::default();
        for i in 0..ts.len() {
            let z = if same_zone { 0 } else { i };
            if ts.is_null(i) || zones.is_null(z) {
                out.append_null();
                continue;
            }
            let name = zones.value(z);
            if seen.get(last).is_none_or(|(n, _)| *n != name) {
                last = match seen.iter().position(|(n, _)| *n == name) {
                    Some(slot) => slot,
                    None => {
                        let Ok(zone) = name.parse::<Tz>() else {
                            return exec_err!(
                                "to_local: {}",
                                crate::report_config::unknown_zone(name)
                            );
                        };
                        seen.push((name, zone));
                        seen.len() - 1
                    }
                };
            }
            let (t, zone) = (ts.value(i), &seen[last].1);
            let hour = t.div_euclid(HOUR);
            let steady = *hours
                .entry((last, hour))
                .or_insert_with(|| steady_offset(zone, hour));
            let offset = match steady {
                Some(offset) => offset,
                None => offset_micros(zone, t)
                    .ok_or_else(|| exec_datafusion_err!("to_local: timestamp {t} out of range"))?,
            };
            out.append_value(t + offset);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{StringArray, StringViewArray, TimestampMicrosecondArray};
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
    fn a_change_within_a_utc_hour_and_a_view_zone() {
        // Lord Howe Island moves from +10:30 to +11:00 at 02:00 local on the
        // first Sunday of October: 2026-10-03 15:30 UTC, mid-hour. The first
        // two rows fall in the UTC hour 15:00-16:00, on either side of the
        // change; the third in the hour before, all at +10:30.
        let zone = StringViewArray::from(vec!["Australia/Lord_Howe"; 3]);
        let out = run(
            vec![
                Some(micros("2026-10-03T15:20:00Z")),
                Some(micros("2026-10-03T15:40:00Z")),
                Some(micros("2026-10-03T14:59:59Z")),
            ],
            ColumnarValue::Array(Arc::new(zone)),
        )
        .unwrap();
        assert_eq!(
            out,
            [
                Some(micros("2026-10-04T01:50:00Z")),
                Some(micros("2026-10-04T02:40:00Z")),
                Some(micros("2026-10-04T01:29:59Z")),
            ],
            "01:50 (+10:30) before the change, 02:40 (+11:00) after it"
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
