//! When a scheduled job is due: its cron pattern read in its time zone by
//! croner, which follows Vixie cron across DST (a time in the spring gap
//! runs right after it, a fixed time in the fall-back hour once), and the
//! rule that a job late for one or more of its times runs once, not once
//! per time missed.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;

#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    zone: Tz,
    pattern: String,
}

/// What a job's runner does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Run now, for the job's times up to and including this one.
    RunFor(DateTime<Utc>),
    /// Nothing is due before this time.
    SleepUntil(DateTime<Utc>),
    /// The pattern has no time left (`0 0 30 2 *`).
    Never,
}

impl Schedule {
    /// A 5-field cron pattern (or 6 with seconds first), read in `zone`.
    pub fn parse(pattern: &str, zone: Tz) -> Result<Self, String> {
        let cron: Cron = pattern
            .parse()
            .map_err(|e| format!("'{pattern}' is not a cron pattern: {e}"))?;
        Ok(Schedule {
            cron,
            zone,
            pattern: pattern.to_string(),
        })
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The job's first time strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&t.with_timezone(&self.zone), false)
            .ok()
            .map(|next| next.with_timezone(&Utc))
    }

    /// The job's last time at or before `t`.
    pub fn latest_at_or_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_previous_occurrence(&t.with_timezone(&self.zone), true)
            .ok()
            .map(|previous| previous.with_timezone(&Utc))
    }

    /// What to do at `now` for a job whose times up to `handled` are done:
    /// every time in `(handled, now]` is covered by one run.
    pub fn next(&self, handled: DateTime<Utc>, now: DateTime<Utc>) -> Next {
        match self.next_after(handled) {
            None => Next::Never,
            Some(due) if due > now => Next::SleepUntil(due),
            Some(due) => Next::RunFor(self.latest_at_or_before(now).unwrap_or(due).max(due)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn paris(pattern: &str) -> Schedule {
        Schedule::parse(pattern, chrono_tz::Europe::Paris).unwrap()
    }

    #[test]
    fn a_time_in_the_spring_gap_runs_right_after_it() {
        // 2026-03-29 in Paris: 02:00 CET (01:00Z) jumps to 03:00 CEST, so
        // 02:30 never happens; the job runs at 03:00 CEST, 01:00Z.
        let job = paris("30 2 * * *");
        assert_eq!(
            job.next_after(utc("2026-03-28T12:00:00Z")),
            Some(utc("2026-03-29T01:00:00Z"))
        );
        // And the next day at 02:30 CEST, 00:30Z.
        assert_eq!(
            job.next_after(utc("2026-03-29T01:00:00Z")),
            Some(utc("2026-03-30T00:30:00Z"))
        );
    }

    #[test]
    fn a_time_in_the_fall_back_hour_runs_once() {
        // 2026-10-25 in Paris: 03:00 CEST (01:00Z) goes back to 02:00 CET,
        // so 02:30 happens at 00:30Z and at 01:30Z; the job runs at the first.
        let job = paris("30 2 * * *");
        assert_eq!(
            job.next_after(utc("2026-10-24T12:00:00Z")),
            Some(utc("2026-10-25T00:30:00Z"))
        );
        assert_eq!(
            job.next_after(utc("2026-10-25T00:30:00Z")),
            Some(utc("2026-10-26T01:30:00Z"))
        );
        // An hourly job runs at each of the hour's two passes.
        let hourly = paris("30 * * * *");
        assert_eq!(
            hourly.next_after(utc("2026-10-25T00:30:00Z")),
            Some(utc("2026-10-25T01:30:00Z"))
        );
    }

    #[test]
    fn a_missed_run_is_caught_up_once() {
        // Nightly at 02:00 Paris; done up to the 1st's run; the runner
        // comes back on the 4th at 09:00Z: one run, for the 4th's time.
        let job = paris("0 2 * * *");
        let handled = utc("2026-12-01T01:00:00Z");
        assert_eq!(
            job.next(handled, utc("2026-12-04T09:00:00Z")),
            Next::RunFor(utc("2026-12-04T01:00:00Z"))
        );
        // Then nothing until the 5th's.
        assert_eq!(
            job.next(utc("2026-12-04T01:00:00Z"), utc("2026-12-04T09:00:05Z")),
            Next::SleepUntil(utc("2026-12-05T01:00:00Z"))
        );
    }

    #[test]
    fn a_run_longer_than_the_interval_is_followed_by_one_run_not_a_pile() {
        // Every minute; the run for 10:00 took until 10:03:30: one run at
        // once, for 10:03, whose own end decides the next.
        let job = Schedule::parse("* * * * *", chrono_tz::UTC).unwrap();
        let handled = utc("2026-12-07T10:00:00Z");
        assert_eq!(
            job.next(handled, utc("2026-12-07T10:03:30Z")),
            Next::RunFor(utc("2026-12-07T10:03:00Z"))
        );
        assert_eq!(
            job.next(utc("2026-12-07T10:03:00Z"), utc("2026-12-07T10:03:40Z")),
            Next::SleepUntil(utc("2026-12-07T10:04:00Z"))
        );
    }

    #[test]
    fn seconds_and_bad_patterns() {
        let every_two = Schedule::parse("*/2 * * * * *", chrono_tz::UTC).unwrap();
        let t = chrono::Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 1).unwrap();
        assert_eq!(every_two.next_after(t), Some(utc("2026-12-07T10:00:02Z")));
        let err = Schedule::parse("0 25 * * *", chrono_tz::UTC).unwrap_err();
        assert!(err.contains("'0 25 * * *'"), "{err}");
        assert!(Schedule::parse("nightly", chrono_tz::UTC).is_err());
        let never = Schedule::parse("0 0 30 2 *", chrono_tz::UTC).unwrap();
        assert_eq!(never.next(t, t), Next::Never);
    }
}
