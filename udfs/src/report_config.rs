//! The report parameters of SPEC.md §3, settable from plain SQL:
//!
//! ```sql
//! set convlake.period = 'last_30_days';      -- or '2026-11-01/2026-12-01'
//! set convlake.timezone = 'Europe/Paris';
//! set convlake.as_of = '2026-11-20T18:00:00Z';
//! set convlake.workspace = 'ws01';
//! set convlake.opened_channel = 'ch0101,ch0102';
//! ```
//!
//! Views read them through the `report_*` functions, which the planner
//! folds into literals, so a period becomes a `ts` range that prunes files
//! and row groups.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use datafusion::common::config::ConfigExtension;
use datafusion::common::{DataFusionError, extensions_options, plan_datafusion_err};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;

extensions_options! {
    /// convlake's report parameters (`SET convlake.<name> = '<value>'`).
    pub struct ReportConfig {
        /// today, yesterday, last_7_days, last_14_days, last_30_days,
        /// this_month, last_month, all, or an explicit 'START/END' (dates or
        /// RFC 3339 timestamps, END excluded)
        pub period: String, default = "last_7_days".to_string()
        /// IANA time zone of the period's days and of groupings where the
        /// workspace has none
        pub timezone: String, default = "UTC".to_string()
        /// The report's "now": an RFC 3339 timestamp, or empty for the
        /// query's start time
        pub as_of: String, default = String::new()
        /// Workspaces in scope, comma-separated; empty = all
        pub workspace: String, default = String::new()
        /// Filter: closing source (user, bot, workflow, api, zapier, make, blocked)
        pub closed_source: String, default = String::new()
        /// Filter: first assignee (user id or name)
        pub first_assignee: String, default = String::new()
        /// Filter: user who gave the first response (user id or name)
        pub first_response_by: String, default = String::new()
        /// Filter: last assignee (user id or name; 'Unassigned')
        pub last_assignee: String, default = String::new()
        /// Filter: team of the user who closed (team id or name)
        pub closed_by_team: String, default = String::new()
        /// Filter: user who closed (user id or name)
        pub closed_by_user: String, default = String::new()
        /// Filter: closing-note category
        pub category: String, default = String::new()
        /// Filter: channel the conversation was opened on (channel id or name)
        pub opened_channel: String, default = String::new()
        /// Filter: opening source (user, contact, workflow, api, zapier, make, paid_ads)
        pub opened_source: String, default = String::new()
        /// Filter: contact type (new, returning)
        pub contact_type: String, default = String::new()
        /// Filter: contact (id or name)
        pub contact: String, default = String::new()
        /// Filter: conversation id
        pub conversation_id: String, default = String::new()
        /// Filter (Heyday, Partoo): channel (id or name)
        pub channel: String, default = String::new()
        /// Filter (Heyday, Partoo): channel type (whatsapp, webchat, ...)
        pub channel_type: String, default = String::new()
        /// Filter (Heyday, Partoo): platform grouping channel types
        pub platform: String, default = String::new()
        /// Filter (Heyday, Partoo): establishment (id or name)
        pub establishment: String, default = String::new()
        /// Filter (Partoo): establishment region
        pub region: String, default = String::new()
        /// Filter (Partoo): establishment sector
        pub sector: String, default = String::new()
        /// Filter (Partoo): establishment country
        pub country: String, default = String::new()
        /// Filter (Heyday): team, as department (id or name)
        pub team: String, default = String::new()
        /// Filter (Heyday, Partoo): local hours of day, 'FROM-TO' (TO excluded), e.g. '9-18'
        pub hours: String, default = String::new()
        /// Heyday: minutes of silence that end a bot conversation
        pub session_gap_minutes: f64, default = 10.0
        /// Partoo: days a customer's last message may wait before the
        /// establishment is "to watch"
        pub waiting_days: f64, default = 4.0
        /// Partoo: grain of active_chats_evolution: day, week, month or year
        pub evolution_grain: String, default = "day".to_string()
    }
}

impl ConfigExtension for ReportConfig {
    const PREFIX: &'static str = "convlake";
}

/// The filters of seed 000, by their parameter names.
pub const FILTERS: [&str; 12] = [
    "closed_source",
    "first_assignee",
    "first_response_by",
    "last_assignee",
    "closed_by_team",
    "closed_by_user",
    "category",
    "opened_channel",
    "opened_source",
    "contact_type",
    "contact",
    "conversation_id",
];

/// The filters of the Heyday and Partoo components (SPEC.md §3).
pub const SITE_FILTERS: [&str; 9] = [
    "channel",
    "channel_type",
    "platform",
    "establishment",
    "region",
    "sector",
    "country",
    "team",
    "hours",
];

/// The period presets of SPEC.md §3 (plus `all`).
pub const PRESETS: [&str; 8] = [
    "today",
    "yesterday",
    "last_7_days",
    "last_14_days",
    "last_30_days",
    "this_month",
    "last_month",
    "all",
];

/// Why `name` is not a time zone, and the form that is.
pub fn unknown_zone(name: &str) -> String {
    format!(
        "unknown time zone '{name}': use an IANA name such as 'Europe/Paris', \
         'America/New_York' or 'UTC'"
    )
}

fn invalid(name: &str, reason: impl std::fmt::Display) -> DataFusionError {
    plan_datafusion_err!("invalid value for parameter 'convlake.{name}': {reason}")
}

impl ReportConfig {
    /// The parameters in force in `options` (the defaults where none were set).
    pub fn from_options(options: &ConfigOptions) -> ReportConfig {
        options
            .extensions
            .get::<ReportConfig>()
            .cloned()
            .unwrap_or_default()
    }

    /// The value of filter `name`: its comma-separated values, trimmed, or
    /// an empty list when unset. Unknown names are an error.
    pub fn filter(&self, name: &str) -> Result<Vec<String>> {
        let raw = match name {
            "closed_source" => &self.closed_source,
            "first_assignee" => &self.first_assignee,
            "first_response_by" => &self.first_response_by,
            "last_assignee" => &self.last_assignee,
            "closed_by_team" => &self.closed_by_team,
            "closed_by_user" => &self.closed_by_user,
            "category" => &self.category,
            "opened_channel" => &self.opened_channel,
            "opened_source" => &self.opened_source,
            "contact_type" => &self.contact_type,
            "contact" => &self.contact,
            "conversation_id" => &self.conversation_id,
            "workspace" => &self.workspace,
            "channel" => &self.channel,
            "channel_type" => &self.channel_type,
            "platform" => &self.platform,
            "establishment" => &self.establishment,
            "region" => &self.region,
            "sector" => &self.sector,
            "country" => &self.country,
            "team" => &self.team,
            "hours" => &self.hours,
            other => {
                return Err(plan_datafusion_err!(
                    "unknown report filter '{other}' (known: {}, {}, workspace)",
                    FILTERS.join(", "),
                    SITE_FILTERS.join(", ")
                ));
            }
        };
        Ok(raw
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect())
    }

    /// The filters that are set, in the order of [`FILTERS`] then [`SITE_FILTERS`].
    pub fn set_filters(&self) -> Vec<&'static str> {
        FILTERS
            .into_iter()
            .chain(SITE_FILTERS)
            .filter(|f| self.filter(f).is_ok_and(|v| !v.is_empty()))
            .collect()
    }

    /// The local hours of day `[from, to)` of the `hours` filter; `(0, 24)` when unset.
    pub fn hour_range(&self) -> Result<(i64, i64)> {
        let text = self.hours.trim();
        if text.is_empty() {
            return Ok((0, 24));
        }
        let parsed = text.split_once('-').and_then(|(a, b)| {
            Some((a.trim().parse::<i64>().ok()?, b.trim().parse::<i64>().ok()?))
        });
        match parsed {
            Some((from, to)) if (0..24).contains(&from) && from < to && to <= 24 => Ok((from, to)),
            _ => Err(invalid(
                "hours",
                format!("'{text}' is not 'FROM-TO' with 0 <= FROM < TO <= 24"),
            )),
        }
    }

    /// `session_gap_minutes` in seconds, checked.
    pub fn session_gap_seconds(&self) -> Result<f64> {
        match self.session_gap_minutes {
            m if m > 0.0 && m.is_finite() => Ok(m * 60.0),
            m => Err(invalid(
                "session_gap_minutes",
                format!("{m} is not a positive number of minutes"),
            )),
        }
    }

    /// `waiting_days` in seconds, checked.
    pub fn waiting_seconds(&self) -> Result<f64> {
        match self.waiting_days {
            d if d >= 0.0 && d.is_finite() => Ok(d * 86_400.0),
            d => Err(invalid(
                "waiting_days",
                format!("{d} is not a non-negative number of days"),
            )),
        }
    }

    /// The bucket of the day-or-hour charts: `hour` when the period is one
    /// day (at most 25 hours, so the day summer time ends counts), else `day`.
    pub fn bucket_unit(&self, now: Option<DateTime<Utc>>) -> Result<&'static str> {
        let (start, end) = self.period_micros(now)?;
        Ok(if end - start <= 25 * 3_600_000_000 {
            "hour"
        } else {
            "day"
        })
    }

    /// `evolution_grain`, checked.
    pub fn grain(&self) -> Result<&'static str> {
        match self.evolution_grain.trim() {
            "day" => Ok("day"),
            "week" => Ok("week"),
            "month" => Ok("month"),
            "year" => Ok("year"),
            other => Err(invalid(
                "evolution_grain",
                format!("'{other}' is not day, week, month or year"),
            )),
        }
    }

    pub fn tz(&self) -> Result<Tz> {
        let name = self.timezone.trim();
        name.parse::<Tz>()
            .map_err(|_| invalid("timezone", unknown_zone(name)))
    }

    /// The as-of instant, µs since the epoch; `now` when unset.
    pub fn as_of_micros(&self, now: Option<DateTime<Utc>>) -> Result<i64> {
        if self.as_of.trim().is_empty() {
            return Ok(now.unwrap_or_else(Utc::now).timestamp_micros());
        }
        parse_instant(self.as_of.trim(), self.tz()?).ok_or_else(|| {
            invalid(
                "as_of",
                format!("'{}' is not an RFC 3339 timestamp or a date", self.as_of),
            )
        })
    }

    /// The period is `all`: no bounds, every conversation of the lake.
    pub fn whole_lake(&self) -> bool {
        self.period.trim() == "all"
    }

    /// The period `[start, end)` in µs since the epoch.
    pub fn period_micros(&self, now: Option<DateTime<Utc>>) -> Result<(i64, i64)> {
        let tz = self.tz()?;
        let as_of = self.as_of_micros(now)?;
        resolve_period(self.period.trim(), tz, as_of).map_err(|reason| invalid("period", reason))
    }
}

/// An RFC 3339 timestamp, or a date (its midnight in `tz`).
fn parse_instant(s: &str, tz: Tz) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_micros());
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S") {
        return local_micros(tz, t);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| midnight(tz, d))
}

/// Local wall-clock time to an instant; in a DST gap, the first instant after it.
pub(crate) fn local_micros(tz: Tz, t: NaiveDateTime) -> Option<i64> {
    let mut t = t;
    for _ in 0..4 {
        if let Some(instant) = tz.from_local_datetime(&t).earliest() {
            return Some(instant.timestamp_micros());
        }
        t += chrono::Duration::minutes(30);
    }
    None
}

fn midnight(tz: Tz, date: NaiveDate) -> Option<i64> {
    local_micros(tz, date.and_hms_opt(0, 0, 0)?)
}

/// `[start, end)` of a period, in µs, for the as-of instant `as_of` in `tz`.
///
/// Days are the time zone's calendar days. `last_N_days` is the N days
/// ending with the as-of day (today included); `this_month` runs to the end
/// of the month; an explicit `START/END` excludes END.
pub fn resolve_period(period: &str, tz: Tz, as_of: i64) -> Result<(i64, i64), String> {
    let today = tz
        .timestamp_micros(as_of)
        .single()
        .map(|t| t.date_naive())
        .ok_or("as_of is out of range")?;
    let day = |d: NaiveDate| midnight(tz, d).ok_or_else(|| format!("no midnight on {d}"));
    let days_before = |n: u64| {
        today
            .checked_sub_days(Days::new(n))
            .ok_or("date out of range")
    };
    let first_of_month = today.with_day(1).expect("day 1 exists");
    let (start, end) = match period {
        "today" => (today, today + Days::new(1)),
        "yesterday" => (days_before(1)?, today),
        "last_7_days" => (days_before(6)?, today + Days::new(1)),
        "last_14_days" => (days_before(13)?, today + Days::new(1)),
        "last_30_days" => (days_before(29)?, today + Days::new(1)),
        "this_month" => (first_of_month, first_of_month + Months::new(1)),
        "last_month" => (first_of_month - Months::new(1), first_of_month),
        "all" => return Ok((i64::MIN / 2, i64::MAX / 2)),
        explicit => {
            let Some((a, b)) = explicit.split_once('/') else {
                return Err(format!(
                    "'{explicit}' is neither a preset ({}) nor 'START/END'",
                    PRESETS.join(", ")
                ));
            };
            let parse = |s: &str| {
                parse_instant(s.trim(), tz)
                    .ok_or_else(|| format!("'{s}' is not a date or an RFC 3339 timestamp"))
            };
            let (start, end) = (parse(a)?, parse(b)?);
            if end <= start {
                return Err(format!("the end of '{explicit}' is not after its start"));
            }
            return Ok((start, end));
        }
    };
    Ok((day(start)?, day(end)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(p: &str, tz: &str, as_of: &str) -> (String, String) {
        let tz: Tz = tz.parse().unwrap();
        let as_of = DateTime::parse_from_rfc3339(as_of)
            .unwrap()
            .timestamp_micros();
        let (s, e) = resolve_period(p, tz, as_of).unwrap();
        let fmt = |t: i64| {
            DateTime::from_timestamp_micros(t)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        };
        (fmt(s), fmt(e))
    }

    #[test]
    fn presets_against_a_fixed_as_of_in_utc() {
        let as_of = "2026-03-18T15:00:00Z"; // a Wednesday
        let cases = [
            ("today", "2026-03-18T00:00:00Z", "2026-03-19T00:00:00Z"),
            ("yesterday", "2026-03-17T00:00:00Z", "2026-03-18T00:00:00Z"),
            (
                "last_7_days",
                "2026-03-12T00:00:00Z",
                "2026-03-19T00:00:00Z",
            ),
            (
                "last_14_days",
                "2026-03-05T00:00:00Z",
                "2026-03-19T00:00:00Z",
            ),
            (
                "last_30_days",
                "2026-02-17T00:00:00Z",
                "2026-03-19T00:00:00Z",
            ),
            ("this_month", "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"),
            ("last_month", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"),
            (
                "2026-01-10/2026-01-12",
                "2026-01-10T00:00:00Z",
                "2026-01-12T00:00:00Z",
            ),
        ];
        for (p, s, e) in cases {
            assert_eq!(
                period(p, "UTC", as_of),
                (s.to_string(), e.to_string()),
                "{p}"
            );
        }
    }

    #[test]
    fn days_are_the_time_zone_s_days_across_dst() {
        // Paris moves to summer time on 2026-03-29: that day has 23 hours.
        let (s, e) = period("today", "Europe/Paris", "2026-03-29T12:00:00Z");
        assert_eq!(
            (s.as_str(), e.as_str()),
            ("2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z")
        );
        // Late evening UTC is already tomorrow in Tokyo.
        let (s, _) = period("today", "Asia/Tokyo", "2026-03-18T20:00:00Z");
        assert_eq!(s, "2026-03-18T15:00:00Z");
        // last_month from March in a 28-day February, from a 31-day month.
        assert_eq!(
            period("last_month", "UTC", "2026-03-01T00:00:00Z").0,
            "2026-02-01T00:00:00Z"
        );
        assert_eq!(
            period("last_month", "UTC", "2026-08-31T23:59:59Z"),
            ("2026-07-01T00:00:00Z".into(), "2026-08-01T00:00:00Z".into())
        );
    }

    #[test]
    fn bad_values_name_the_parameter() {
        let config = ReportConfig {
            period: "last_week".into(),
            ..Default::default()
        };
        let err = config.period_micros(None).unwrap_err().to_string();
        assert!(
            err.contains(
                "invalid value for parameter 'convlake.period': 'last_week' is neither a preset"
            ),
            "{err}"
        );
        let config = ReportConfig {
            timezone: "Mars/Olympus".into(),
            ..Default::default()
        };
        let err = config.period_micros(None).unwrap_err().to_string();
        assert!(
            err.contains(
                "invalid value for parameter 'convlake.timezone': unknown time zone \
                 'Mars/Olympus': use an IANA name such as 'Europe/Paris'"
            ),
            "{err}"
        );
        let config = ReportConfig {
            period: "2026-01-12/2026-01-10".into(),
            ..Default::default()
        };
        assert!(
            config
                .period_micros(None)
                .unwrap_err()
                .to_string()
                .contains("not after its start")
        );
        let err = ReportConfig::default()
            .filter("colour")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown report filter 'colour'"), "{err}");
    }

    #[test]
    fn filters_are_trimmed_comma_separated_lists() {
        let config = ReportConfig {
            opened_channel: " a, b ,,".into(),
            ..Default::default()
        };
        assert_eq!(config.filter("opened_channel").unwrap(), ["a", "b"]);
        assert_eq!(config.set_filters(), ["opened_channel"]);
    }

    #[test]
    fn one_day_periods_are_hourly_even_when_25_hours_long() {
        let at = |p: &str, as_of: &str| ReportConfig {
            period: p.into(),
            timezone: "Europe/Paris".into(),
            as_of: as_of.into(),
            ..Default::default()
        };
        // 2026-10-25 in Paris lasts 25 hours; 2026-03-29 lasts 23.
        assert_eq!(
            at("today", "2026-10-25T12:00:00Z")
                .bucket_unit(None)
                .unwrap(),
            "hour"
        );
        assert_eq!(
            at("today", "2026-03-29T12:00:00Z")
                .bucket_unit(None)
                .unwrap(),
            "hour"
        );
        assert_eq!(
            at("2026-10-24/2026-10-26", "2026-10-30T00:00:00Z")
                .bucket_unit(None)
                .unwrap(),
            "day"
        );
        assert_eq!(
            at("last_7_days", "2026-10-30T00:00:00Z")
                .bucket_unit(None)
                .unwrap(),
            "day"
        );
    }
}
