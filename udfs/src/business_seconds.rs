//! `business_seconds(start, end [, business_hours [, tz]])`: the part of a
//! duration that falls inside a weekly schedule.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Builder};
use arrow::datatypes::{DataType, TimestampMicrosecondType};
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use datafusion::common::{ScalarValue, exec_datafusion_err, exec_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use crate::coerce;
use crate::report_config::{ReportConfig, local_micros, unknown_zone};

/// Seconds of `[start, end)` inside the weekly schedule `business_hours` in
/// time zone `tz`, exact across days, weekends and DST changes (each
/// opening interval is placed on the local calendar, then turned into
/// instants).
///
/// `business_hours` is the `workspaces.business_hours` JSON: weekday keys
/// `mon` … `sun`, each a list of `["HH:MM", "HH:MM"]` intervals (`"24:00"`
/// closes at midnight). NULL or absent is the common default, Monday to
/// Friday 09:00 to 17:00; an absent `tz` is the report's
/// (`convlake.timezone`), a NULL one UTC. NULL or negative spans give NULL.
/// `start` and `end` may be any timestamp type (a zone-less one is UTC), a
/// date or an RFC 3339 string.
///
/// ```sql
/// select business_seconds(opened_at, first_response_at, workspaces.business_hours, workspaces.timezone)
/// select business_seconds(timestamp '2022-03-20T00:00:00Z', timestamp '2022-03-26T23:59:00Z')
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct BusinessSeconds {
    signature: Signature,
}

impl Default for BusinessSeconds {
    fn default() -> Self {
        Self::new()
    }
}

impl BusinessSeconds {
    pub fn new() -> Self {
        // Stable, not immutable: without `tz` it reads the report's zone.
        Self {
            signature: Signature::user_defined(Volatility::Stable),
        }
    }
}

/// Opening intervals per weekday (Monday first), in minutes since midnight.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule([Vec<(u32, u32)>; 7]);

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Default for Schedule {
    /// Monday to Friday, 09:00 to 17:00.
    fn default() -> Self {
        Schedule(std::array::from_fn(|d| {
            if d < 5 {
                vec![(9 * 60, 17 * 60)]
            } else {
                vec![]
            }
        }))
    }
}

fn minutes(text: &str) -> Option<u32> {
    if text == "24:00" {
        return Some(24 * 60);
    }
    let t = NaiveTime::parse_from_str(text, "%H:%M").ok()?;
    Some(chrono::Timelike::hour(&t) * 60 + chrono::Timelike::minute(&t))
}

impl Schedule {
    /// Parses the `business_hours` JSON; the error says what is wrong.
    pub fn parse(json: &str) -> std::result::Result<Schedule, String> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let object = value
            .as_object()
            .ok_or("expected an object with keys mon … sun")?;
        let mut days: [Vec<(u32, u32)>; 7] = Default::default();
        for (key, intervals) in object {
            let day = DAYS
                .iter()
                .position(|d| d == key)
                .ok_or_else(|| format!("unknown day '{key}'"))?;
            for interval in intervals
                .as_array()
                .ok_or_else(|| format!("'{key}' is not a list"))?
            {
                let pair = interval.as_array().filter(|p| p.len() == 2);
                let bound = |i: usize| pair.and_then(|p| p[i].as_str()).and_then(minutes);
                match (bound(0), bound(1)) {
                    (Some(open), Some(close)) if open < close => days[day].push((open, close)),
                    _ => {
                        return Err(format!(
                            "'{key}': {interval} is not [\"HH:MM\", \"HH:MM\"] with open < close"
                        ));
                    }
                }
            }
        }
        Ok(Schedule(days))
    }

    /// Business µs in `[start, end)`.
    pub fn micros(&self, start: i64, end: i64, tz: Tz) -> Option<i64> {
        if end < start {
            return None;
        }
        let local_date = |t: i64| {
            DateTime::from_timestamp_micros(t)
                .map(|d| tz.from_utc_datetime(&d.naive_utc()).date_naive())
        };
        let first = local_date(start)?.checked_sub_days(Days::new(1))?;
        let last = local_date(end)?.checked_add_days(Days::new(1))?;
        let instant = |day: NaiveDate, minute: u32| {
            let t = day.and_hms_opt(0, 0, 0)? + chrono::Duration::minutes(minute as i64);
            local_micros(tz, t)
        };
        let mut total = 0;
        let mut day = first;
        while day <= last {
            for &(open, close) in &self.0[day.weekday().num_days_from_monday() as usize] {
                let (Some(s), Some(e)) = (instant(day, open), instant(day, close)) else {
                    continue;
                };
                total += (e.min(end) - s.max(start)).max(0);
            }
            day = day.succ_opt()?;
        }
        Some(total)
    }
}

impl ScalarUDFImpl for BusinessSeconds {
    fn name(&self) -> &str {
        "business_seconds"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let name = self.name();
        coerce::arity(
            name,
            "(start, end [, business_hours [, tz]])",
            arg_types.len(),
            &[2, 3, 4],
        )?;
        let names = ["start", "end", "business_hours", "tz"];
        arg_types
            .iter()
            .zip(names)
            .map(|(ty, arg)| match arg {
                "start" | "end" => coerce::instant(name, arg, ty),
                _ => coerce::string(name, arg, ty, DataType::Utf8),
            })
            .collect()
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let mut given = args.args.into_iter();
        let (Some(start), Some(end)) = (given.next(), given.next()) else {
            return exec_err!("business_seconds takes (start, end [, business_hours [, tz]])");
        };
        let hours = given
            .next()
            .unwrap_or(ColumnarValue::Scalar(ScalarValue::Utf8(None)));
        let tz = match given.next() {
            Some(tz) => tz,
            None => {
                let zone = ReportConfig::from_options(&args.config_options).tz()?;
                ColumnarValue::Scalar(ScalarValue::Utf8(Some(zone.name().to_string())))
            }
        };
        let (start, end, hours, tz) = (
            start.into_array(n)?,
            end.into_array(n)?,
            hours.into_array(n)?,
            tz.into_array(n)?,
        );
        let start = start.as_primitive::<TimestampMicrosecondType>();
        let end = end.as_primitive::<TimestampMicrosecondType>();
        let (hours, zones) = (hours.as_string::<i32>(), tz.as_string::<i32>());
        // Few distinct schedules and zones (one per workspace): parse each once.
        let mut schedules: HashMap<Option<&str>, Schedule> = HashMap::new();
        let mut parsed_zones: HashMap<Option<&str>, Tz> = HashMap::new();
        let mut out = Float64Builder::with_capacity(n);
        for i in 0..start.len() {
            if start.is_null(i) || end.is_null(i) {
                out.append_null();
                continue;
            }
            let key = hours.is_valid(i).then(|| hours.value(i));
            let schedule = match schedules.entry(key) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(match key {
                    None => Schedule::default(),
                    Some(json) => Schedule::parse(json).map_err(|e| {
                        exec_datafusion_err!(
                            "business_seconds: invalid business_hours '{json}': {e}"
                        )
                    })?,
                }),
            };
            let zone_key = zones.is_valid(i).then(|| zones.value(i));
            let zone = match parsed_zones.entry(zone_key) {
                Entry::Occupied(e) => *e.get(),
                Entry::Vacant(e) => *e.insert(match zone_key {
                    None => Tz::UTC,
                    Some(name) => match name.parse::<Tz>() {
                        Ok(z) => z,
                        Err(_) => return exec_err!("business_seconds: {}", unknown_zone(name)),
                    },
                }),
            };
            let micros = schedule.micros(start.value(i), end.value(i), zone);
            out.append_option(micros.map(|m| m as f64 / 1e6));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish()) as ArrayRef))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros()
    }

    fn secs(schedule: &Schedule, a: &str, b: &str, tz: Tz) -> Option<i64> {
        schedule.micros(at(a), at(b), tz).map(|m| m / 1_000_000)
    }

    #[test]
    fn the_known_answers_for_the_default_schedule_in_utc() {
        let d = Schedule::default();
        // Sunday 00:00 to Saturday 23:59: five days of 8 hours.
        assert_eq!(
            secs(&d, "2022-03-20T00:00:00Z", "2022-03-26T23:59:00Z", Tz::UTC),
            Some(144_000)
        );
        // Sunday 12:00 to Monday 14:00: Monday 09:00-14:00.
        assert_eq!(
            secs(&d, "2022-03-20T12:00:00Z", "2022-03-21T14:00:00Z", Tz::UTC),
            Some(18_000)
        );
        // Inside one opening, across a weekend, empty, negative.
        assert_eq!(
            secs(&d, "2022-03-21T10:00:00Z", "2022-03-21T10:30:00Z", Tz::UTC),
            Some(1_800)
        );
        assert_eq!(
            secs(&d, "2022-03-25T16:00:00Z", "2022-03-28T10:00:00Z", Tz::UTC),
            Some(7_200)
        );
        assert_eq!(
            secs(&d, "2022-03-26T10:00:00Z", "2022-03-27T10:00:00Z", Tz::UTC),
            Some(0)
        );
        assert_eq!(
            secs(&d, "2022-03-21T10:00:00Z", "2022-03-21T09:00:00Z", Tz::UTC),
            None
        );
    }

    #[test]
    fn across_a_dst_change_the_local_hours_count() {
        // Paris springs forward on Sunday 2022-03-27; Monday's 09:00-17:00 is
        // 07:00-15:00 UTC, Friday's 08:00-16:00 UTC.
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let d = Schedule::default();
        assert_eq!(
            secs(&d, "2022-03-25T07:00:00Z", "2022-03-28T08:00:00Z", paris),
            Some(8 * 3600 + 3600)
        );
        // A schedule open through the night of the change: 00:00-24:00 on
        // Sunday 27 March is 23 hours long.
        let all_sunday = Schedule::parse(r#"{"sun": [["00:00", "24:00"]]}"#).unwrap();
        assert_eq!(
            secs(
                &all_sunday,
                "2022-03-26T00:00:00Z",
                "2022-03-28T00:00:00Z",
                paris
            ),
            Some(23 * 3600)
        );
    }

    #[test]
    fn schedules_parse_or_say_what_is_wrong() {
        let s = Schedule::parse(r#"{"mon": [["09:00", "12:00"], ["13:00", "18:00"]], "sat": []}"#)
            .unwrap();
        assert_eq!(s.0[0], vec![(540, 720), (780, 1080)]);
        assert!(
            Schedule::parse(r#"{"monday": []}"#)
                .unwrap_err()
                .contains("unknown day 'monday'")
        );
        assert!(
            Schedule::parse(r#"{"mon": [["18:00", "09:00"]]}"#)
                .unwrap_err()
                .contains("open < close")
        );
        assert!(Schedule::parse("not json").is_err());
    }
}
