//! A jobs file (`exports.toml`): each `[jobs.NAME]` table names its view
//! (or SQL), parameters, destination, format, schedule and zone. A bad file
//! is an error naming the file, the job and the field. The fields are
//! listed in docs/export.md.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::files::ExportFormat;
use super::schedule::Schedule;
use super::{Job, Partition, Source};
use crate::error::{Error, Result};

/// A job of a jobs file: what to run, when, and how often to try.
#[derive(Debug, Clone)]
pub struct ScheduledJob {
    pub job: Job,
    /// `None`: run by `export run` only; the daemon refuses such a job.
    pub schedule: Option<Schedule>,
    /// Further attempts after a transient store error.
    pub retries: u32,
    /// The wait before the first retry; doubled before each next one.
    pub backoff: std::time::Duration,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JobFields {
    view: Option<String>,
    sql: Option<String>,
    report: Option<String>,
    locale: Option<String>,
    to: String,
    format: Option<ExportFormat>,
    period: Option<String>,
    tz: Option<String>,
    as_of: Option<String>,
    workspace: Option<String>,
    #[serde(default)]
    filters: BTreeMap<String, String>,
    partition_by: Option<Partition>,
    max_rows_per_file: Option<u64>,
    #[serde(default)]
    incremental: bool,
    lateness: Option<String>,
    schedule: Option<String>,
    retries: Option<u32>,
    retry_backoff: Option<String>,
}

/// Reads and checks the jobs file at `path`.
pub fn load(path: &Path) -> Result<Vec<ScheduledJob>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
        file: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let folder = path.parent().unwrap_or(Path::new("."));
    parse(&text, &path.display().to_string(), folder)
}

/// Checks a jobs file's text; relative destinations are read from `folder`
/// (the file's own), so a daemon started elsewhere writes to the same place.
pub fn parse(text: &str, file: &str, folder: &Path) -> Result<Vec<ScheduledJob>> {
    let bad = |reason: String| Error::Config {
        file: file.to_string(),
        reason,
    };
    let mut top: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| bad(e.to_string()))?;
    if let Some(unknown) = top.keys().find(|k| k.as_str() != "jobs") {
        return Err(bad(format!(
            "unknown field `{unknown}` (a jobs file holds [jobs.NAME] tables)"
        )));
    }
    let jobs = match top.remove("jobs") {
        Some(toml::Value::Table(jobs)) if !jobs.is_empty() => jobs,
        Some(toml::Value::Table(_)) | None => {
            return Err(bad("no jobs: add a [jobs.NAME] table".into()));
        }
        Some(_) => return Err(bad("`jobs` must be a table of [jobs.NAME] tables".into())),
    };
    jobs.into_iter()
        .map(|(name, value)| {
            let in_job = |field: &str, reason: String| {
                bad(match field {
                    "" => format!("job '{name}': {reason}"),
                    field => format!("job '{name}': field `{field}`: {reason}"),
                })
            };
            let fields: JobFields = value
                .try_into()
                .map_err(|e: toml::de::Error| in_job("", e.message().trim_end().to_string()))?;
            job_of(&name, fields, folder, &in_job)
        })
        .collect()
}

fn job_of(
    name: &str,
    fields: JobFields,
    folder: &Path,
    in_job: &dyn Fn(&str, String) -> Error,
) -> Result<ScheduledJob> {
    let source = match (fields.view, fields.sql, fields.report) {
        (Some(view), None, None) => Source::View(view),
        (None, Some(sql), None) => Source::Sql(sql),
        (None, None, Some(page)) => Source::Report {
            page,
            locale: fields.locale.unwrap_or_else(|| "en".into()),
        },
        (None, None, None) => {
            return Err(in_job(
                "view",
                "missing: give `view`, `sql` or `report`".into(),
            ));
        }
        _ => {
            return Err(in_job(
                "sql",
                "give one of `view`, `sql` or `report`, not two".into(),
            ));
        }
    };
    let default_format = match &source {
        Source::Report { .. } => ExportFormat::Html,
        _ => ExportFormat::Parquet,
    };
    let to = if fields.to.contains("://") || Path::new(&fields.to).is_absolute() {
        fields.to.clone()
    } else {
        folder.join(&fields.to).display().to_string()
    };
    let to = crate::lake::store::lake_url(&to).map_err(|e| in_job("to", e.to_string()))?;
    let tz = fields.tz.unwrap_or_else(|| "UTC".into());
    let zone: chrono_tz::Tz = tz.parse().map_err(|_| {
        in_job(
            "tz",
            format!("unknown time zone '{tz}' (an IANA name such as Europe/Paris)"),
        )
    })?;
    let mut parameters = vec![
        (
            "period".to_string(),
            fields.period.unwrap_or_else(|| "all".into()),
        ),
        ("timezone".to_string(), tz),
        (
            "workspace".to_string(),
            fields.workspace.unwrap_or_default(),
        ),
    ];
    for (key, value) in &fields.filters {
        let filter = crate::views::filter_parameter(&format!("{key}={value}"))
            .map_err(|e| in_job("filters", e.to_string()))?;
        parameters.push(filter);
    }
    if fields.max_rows_per_file == Some(0) {
        return Err(in_job("max_rows_per_file", "must be at least 1".into()));
    }
    let lateness = match fields.lateness {
        Some(text) => parse_duration(&text).map_err(|e| in_job("lateness", e))?,
        None => chrono::Duration::hours(2),
    };
    let backoff = match fields.retry_backoff {
        Some(text) => parse_duration(&text)
            .map_err(|e| in_job("retry_backoff", e))?
            .to_std()
            .map_err(|_| in_job("retry_backoff", format!("'{text}' is negative")))?,
        None => std::time::Duration::from_secs(10),
    };
    let schedule = match fields.schedule {
        Some(pattern) => Some(Schedule::parse(&pattern, zone).map_err(|e| in_job("schedule", e))?),
        None => None,
    };
    Ok(ScheduledJob {
        job: Job {
            name: name.to_string(),
            source,
            to,
            format: fields.format.unwrap_or(default_format),
            parameters,
            as_of: fields.as_of.unwrap_or_else(|| "now".into()),
            partition_by: fields.partition_by,
            max_rows_per_file: fields.max_rows_per_file,
            incremental: fields.incremental.then_some(lateness),
        },
        schedule,
        retries: fields.retries.unwrap_or(3),
        backoff,
    })
}

/// `30m`, `2h`, `1d`, `90s`, `0`: a duration.
pub fn parse_duration(text: &str) -> std::result::Result<chrono::Duration, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: i64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration such as 30m, 2h or 1d"))?;
    match unit.trim() {
        "" if number == 0 => Ok(chrono::Duration::zero()),
        "s" => Ok(chrono::Duration::seconds(number)),
        "m" | "min" => Ok(chrono::Duration::minutes(number)),
        "h" => Ok(chrono::Duration::hours(number)),
        "d" => Ok(chrono::Duration::days(number)),
        other => Err(format!("unknown unit '{other}' in '{text}' (s, m, h, d)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<Vec<ScheduledJob>> {
        parse(text, "exports.toml", Path::new("/srv/convlake"))
    }

    fn error(text: &str) -> String {
        parsed(text).unwrap_err().to_string()
    }

    #[test]
    fn a_nightly_job() {
        let jobs = parsed(
            r#"
            [jobs.closed_yesterday]
            view = "conversation_list"
            to = "s3://exports/conversations/"
            format = "csv"
            period = "yesterday"
            tz = "Europe/Paris"
            schedule = "30 2 * * *"
            filters = { opened_source = "paid_ads" }
            retries = 5
            retry_backoff = "1m"
            "#,
        )
        .unwrap();
        let [nightly] = jobs.as_slice() else {
            panic!("one job: {jobs:?}")
        };
        assert_eq!(nightly.job.name, "closed_yesterday");
        assert_eq!(nightly.job.source, Source::View("conversation_list".into()));
        assert_eq!(nightly.job.to.as_str(), "s3://exports/conversations/");
        assert_eq!(nightly.job.format, ExportFormat::Csv);
        assert_eq!(nightly.job.as_of, "now");
        assert_eq!(nightly.job.incremental, None);
        assert!(
            nightly
                .job
                .parameters
                .contains(&("period".into(), "yesterday".into()))
        );
        assert!(
            nightly
                .job
                .parameters
                .contains(&("timezone".into(), "Europe/Paris".into()))
        );
        assert!(
            nightly
                .job
                .parameters
                .contains(&("opened_source".into(), "paid_ads".into()))
        );
        assert_eq!(nightly.schedule.as_ref().unwrap().pattern(), "30 2 * * *");
        assert_eq!(nightly.retries, 5);
        assert_eq!(nightly.backoff, std::time::Duration::from_secs(60));
    }

    #[test]
    fn defaults_and_a_relative_destination() {
        let jobs = parsed(
            "[jobs.all]\nview = \"conversation_facts\"\nto = \"out/facts\"\nincremental = true\n",
        )
        .unwrap();
        let all = &jobs[0];
        assert_eq!(all.job.to.as_str(), "file:///srv/convlake/out/facts/");
        assert_eq!(all.job.format, ExportFormat::Parquet);
        assert_eq!(all.job.incremental, Some(chrono::Duration::hours(2)));
        assert!(all.schedule.is_none());
        assert_eq!(all.retries, 3);
        assert!(
            all.job
                .parameters
                .contains(&("period".into(), "all".into()))
        );
    }

    #[test]
    fn a_report_page_defaults_to_html() {
        let jobs =
            parsed("[jobs.weekly]\nreport = \"bot\"\nlocale = \"es\"\nto = \"s3://pages/bot\"\n")
                .unwrap();
        assert_eq!(
            jobs[0].job.source,
            Source::Report {
                page: "bot".into(),
                locale: "es".into()
            }
        );
        assert_eq!(jobs[0].job.format, ExportFormat::Html);
        let err = error("[jobs.weekly]\nreport = \"bot\"\nview = \"v\"\nto = \"x\"\n");
        assert!(
            err.contains("job 'weekly'") && err.contains("not two"),
            "{err}"
        );
    }

    #[test]
    fn errors_name_the_file_the_job_and_the_field() {
        let base = "[jobs.nightly]\nview = \"conversation_list\"\nto = \"s3://b/p\"\n";
        let cases = [
            (format!("{base}formt = \"csv\"\n"), "`formt`"),
            (format!("{base}format = \"xlsx\"\n"), "`xlsx`"),
            (
                format!("{base}schedule = \"0 25 * * *\"\n"),
                "field `schedule`",
            ),
            (format!("{base}tz = \"Europe/Pari\"\n"), "field `tz`"),
            (
                format!("{base}lateness = \"2 weeks\"\n"),
                "field `lateness`",
            ),
            (
                format!("{base}filters = {{ colour = \"red\" }}\n"),
                "field `filters`",
            ),
            (
                format!("{base}max_rows_per_file = 0\n"),
                "field `max_rows_per_file`",
            ),
            (format!("{base}sql = \"select 1\"\n"), "not two"),
            (
                "[jobs.nightly]\nto = \"s3://b/p\"\n".to_string(),
                "field `view`",
            ),
            ("[jobs.nightly]\nview = \"v\"\n".to_string(), "`to`"),
        ];
        for (text, words) in cases {
            let err = error(&text);
            assert!(err.starts_with("exports.toml: "), "{err}");
            assert!(err.contains("job 'nightly'"), "{err}");
            assert!(err.contains(words), "{words}: {err}");
        }
        assert!(error("[job.nightly]\nview = \"v\"\n").contains("unknown field `job`"));
        assert!(error("").contains("no jobs"));
        assert!(error("[jobs.nightly\n").starts_with("exports.toml: "));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2h"), Ok(chrono::Duration::hours(2)));
        assert_eq!(parse_duration("30m"), Ok(chrono::Duration::minutes(30)));
        assert_eq!(parse_duration("1d"), Ok(chrono::Duration::days(1)));
        assert_eq!(parse_duration("0"), Ok(chrono::Duration::zero()));
        assert!(parse_duration("2 weeks").unwrap_err().contains("weeks"));
        assert!(parse_duration("5").unwrap_err().contains("unit"));
    }
}
