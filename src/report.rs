//! `convlake report conversations`: every component of the respond.io
//! Conversations report (seed 000), in the order a person reads the page.

use std::fmt::Write as _;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type};
use datafusion::prelude::SessionContext;

use crate::cli::{PageFormat, ReportArgs};
use crate::error::{Error, Result};
use crate::output::pretty;

/// The components of seed 000, in page order: (view, title).
pub const CONVERSATIONS: [(&str, &str); 11] = [
    (
        "conversation_summary",
        "Overview: opened and closed conversations",
    ),
    ("opened_vs_closed", "Opened vs closed"),
    (
        "heatmap_opened",
        "Heat-map of opened conversations (weekday × local hour)",
    ),
    (
        "heatmap_closed",
        "Heat-map of closed conversations (weekday × local hour)",
    ),
    (
        "opened_by_contact_type",
        "Opened conversations by contact type",
    ),
    ("opened_by_source", "Opened conversations by source"),
    ("opened_by_channel", "Opened conversations by channel"),
    ("closed_by_category", "Closed conversations by category"),
    ("closed_by_source", "Closed conversations by source"),
    (
        "closed_by_contact_type",
        "Closed conversations by contact type",
    ),
    ("conversation_list", "Conversation list"),
];

/// The `SET` statements for the report's parameters, as a BI tool would send them.
pub fn set_statements(ctx_as_of: &str, args: &ReportArgs) -> Result<Vec<String>> {
    let quote = |v: &str| format!("'{}'", v.replace('\'', "''"));
    let mut sets = vec![
        format!("set convlake.period = {}", quote(&args.period)),
        format!("set convlake.timezone = {}", quote(&args.tz)),
        format!("set convlake.as_of = {}", quote(ctx_as_of)),
        format!(
            "set convlake.workspace = {}",
            quote(args.workspace.as_deref().unwrap_or(""))
        ),
    ];
    for filter in &args.filter {
        let Some((key, value)) = filter.split_once('=') else {
            return Err(Error::Parameter {
                name: "--filter".into(),
                reason: format!("'{filter}' is not KEY=VALUE (e.g. opened_source=paid_ads)"),
            });
        };
        let key = key.trim();
        if !convlake_udfs::report_config::FILTERS.contains(&key) {
            return Err(Error::Parameter {
                name: "--filter".into(),
                reason: format!(
                    "unknown filter '{key}' (known: {})",
                    convlake_udfs::report_config::FILTERS.join(", ")
                ),
            });
        }
        sets.push(format!("set convlake.{key} = {}", quote(value.trim())));
    }
    Ok(sets)
}

/// The as-of time: the given one, or with `latest`, the newest event's time
/// (so the sample lake shows data whatever today's date).
async fn resolve_as_of(ctx: &SessionContext, as_of: &str) -> Result<String> {
    if as_of != "latest" {
        return Ok(as_of.to_string());
    }
    let batches = ctx
        .sql("select cast(max(ts) as varchar) from events")
        .await?
        .collect()
        .await?;
    let latest = batches
        .first()
        .and_then(|b| {
            let c = arrow::compute::cast(b.column(0), &DataType::Utf8).ok()?;
            c.as_string::<i32>()
                .iter()
                .next()
                .flatten()
                .map(str::to_string)
        })
        .unwrap_or_default();
    Ok(latest.replace(' ', "T"))
}

async fn collect(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    Ok(ctx.sql(sql).await?.collect().await?)
}

/// Notices of `report_status`, by component.
async fn notices(ctx: &SessionContext) -> Result<Vec<(String, Option<String>)>> {
    let batches = collect(ctx, "select component, notice from report_status").await?;
    let mut out = Vec::new();
    for b in &batches {
        let names = arrow::compute::cast(b.column(0), &DataType::Utf8)?;
        let notes = arrow::compute::cast(b.column(1), &DataType::Utf8)?;
        for (n, t) in names
            .as_string::<i32>()
            .iter()
            .zip(notes.as_string::<i32>().iter())
        {
            out.push((n.unwrap_or_default().to_string(), t.map(str::to_string)));
        }
    }
    Ok(out)
}

/// Runs the report and prints it (a text page, or JSON with `--format json`).
pub async fn conversations(ctx: &SessionContext, args: &ReportArgs) -> Result<()> {
    let as_of = resolve_as_of(ctx, &args.as_of).await?;
    let sets = set_statements(&as_of, args)?;
    for set in &sets {
        ctx.sql(set).await?.collect().await?;
    }
    let period = collect(
        ctx,
        "select cast(report_start() as varchar), cast(report_end() as varchar)",
    )
    .await?;
    let period = pretty_row(&period);
    let notices = notices(ctx).await?;
    let notice_of = |view: &str| {
        notices
            .iter()
            .find(|(n, _)| n == view)
            .and_then(|(_, t)| t.clone())
    };

    if args.format == PageFormat::Json {
        let mut components = serde_json::Map::new();
        for (view, title) in CONVERSATIONS {
            let notice = notice_of(view);
            let rows = match &notice {
                Some(n) if n.starts_with("filter not applicable") => {
                    serde_json::Value::Array(vec![])
                }
                _ => json_rows(
                    &collect(ctx, &format!("select * from {view}{}", order_by(view))).await?,
                )?,
            };
            components.insert(
                view.to_string(),
                serde_json::json!({ "title": title, "notice": notice, "rows": rows }),
            );
        }
        let page = serde_json::json!({
            "report": "conversations",
            "parameters": { "period": args.period, "timezone": args.tz, "as_of": as_of,
                            "workspace": args.workspace, "filters": args.filter, "range_utc": period },
            "components": components,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&page).map_err(|e| Error::Parameter {
                name: "json".into(),
                reason: e.to_string()
            })?
        );
        return Ok(());
    }

    let mut page = String::new();
    writeln!(
        page,
        "Conversations report: {} ({}), time zone {}, as of {as_of}",
        args.period, period, args.tz
    )
    .ok();
    if !args.filter.is_empty() {
        writeln!(page, "Filters: {}", args.filter.join(", ")).ok();
    }
    for (view, title) in CONVERSATIONS {
        writeln!(page, "\n== {title} ({view})").ok();
        if let Some(notice) = notice_of(view)
            && notice.starts_with("filter not applicable")
        {
            writeln!(page, "{notice}").ok();
            continue;
        }
        if let Some(notice) = notice_of(view)
            && view != "heatmap_opened"
            && view != "heatmap_closed"
        {
            writeln!(page, "{notice}").ok();
            continue;
        }
        match view {
            "heatmap_opened" | "heatmap_closed" => {
                let batches = collect(
                    ctx,
                    &format!("select weekday_name, hour, conversations from {view} order by weekday, hour"),
                )
                .await?;
                page.push_str(&grid(&batches));
            }
            "conversation_list" => {
                let total = collect(ctx, "select count(*) from conversation_list").await?;
                let total = total
                    .first()
                    .map(|b| b.column(0).as_primitive::<Int64Type>().value(0))
                    .unwrap_or(0);
                let first = collect(
                    ctx,
                    &format!(
                        "select closed_at, conversation_id, contact_name, last_assignee, first_response_time, \
                         resolution_time, average_response_time, responses, category \
                         from conversation_list order by closed_at, conversation_id limit {}",
                        args.rows
                    ),
                )
                .await?;
                let schema = first
                    .first()
                    .map(|b| b.schema())
                    .unwrap_or_else(|| std::sync::Arc::new(arrow::datatypes::Schema::empty()));
                writeln!(page, "{}", pretty(&schema, &first)?).ok();
                writeln!(
                    page,
                    "{} of {total} conversations shown. Export every row and column with:\n  convlake sql -f csv -o conversations.csv \"{}; select * from conversation_list\"",
                    total.min(args.rows as i64),
                    sets.join("; ")
                )
                .ok();
            }
            _ => {
                let batches =
                    collect(ctx, &format!("select * from {view}{}", order_by(view))).await?;
                let schema = ctx.table(view).await?.schema().as_arrow().clone().into();
                writeln!(page, "{}", pretty(&schema, &batches)?).ok();
            }
        }
    }
    print!("{page}");
    Ok(())
}

/// The order a person reads each component in (views do not promise one).
fn order_by(view: &str) -> &'static str {
    match view {
        "opened_vs_closed" => " order by bucket",
        "heatmap_opened" | "heatmap_closed" => " order by weekday, hour",
        "opened_by_contact_type" | "closed_by_contact_type" => " order by contact_type",
        "opened_by_source" | "closed_by_source" | "closed_by_category" | "opened_by_channel" => {
            " order by conversations desc, 2"
        }
        "conversation_list" => " order by closed_at, conversation_id",
        _ => "",
    }
}

fn pretty_row(batches: &[RecordBatch]) -> String {
    let Some(b) = batches.first() else {
        return String::new();
    };
    let text = |i: usize| {
        arrow::compute::cast(b.column(i), &DataType::Utf8)
            .ok()
            .and_then(|c| {
                c.as_string::<i32>()
                    .iter()
                    .next()
                    .flatten()
                    .map(str::to_string)
            })
            .unwrap_or_default()
    };
    format!("{} to {} UTC", text(0), text(1))
}

/// A 7 × 24 grid: one line per weekday, one column per hour.
fn grid(batches: &[RecordBatch]) -> String {
    let mut cells = vec![vec![0i64; 24]; 7];
    let mut names = vec![String::new(); 7];
    let mut row = 0;
    for b in batches {
        let name = arrow::compute::cast(b.column(0), &DataType::Utf8).expect("string");
        let name = name.as_string::<i32>();
        let hour = b.column(1).as_primitive::<Int64Type>();
        let count = b.column(2).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            let h = hour.value(i) as usize;
            let w = row / 24;
            if w < 7 && h < 24 {
                cells[w][h] = count.value(i);
                names[w] = name.value(i).to_string();
            }
            row += 1;
        }
    }
    let width = cells
        .iter()
        .flatten()
        .map(|c| c.to_string().len())
        .max()
        .unwrap_or(1)
        .max(2);
    let mut out = String::from("     ");
    for h in 0..24 {
        write!(out, " {h:>width$}").ok();
    }
    out.push('\n');
    for (w, line) in cells.iter().enumerate() {
        write!(out, "{:<5}", names[w]).ok();
        for c in line {
            write!(out, " {c:>width$}").ok();
        }
        out.push('\n');
    }
    out
}

fn json_rows(batches: &[RecordBatch]) -> Result<serde_json::Value> {
    let mut buf = Vec::new();
    {
        let mut writer = arrow::json::ArrayWriter::new(&mut buf);
        for b in batches {
            writer.write(b)?;
        }
        writer.finish()?;
    }
    if buf.is_empty() {
        return Ok(serde_json::Value::Array(vec![]));
    }
    serde_json::from_slice(&buf).map_err(|e| Error::Parameter {
        name: "json".into(),
        reason: e.to_string(),
    })
}
