//! A report page: every component of respond.io's Conversations report
//! (seed 000), Heyday's bot analytics or Partoo's chat statistics, in the
//! order a person reads the page, as text, JSON or self-contained HTML;
//! `convlake report` prints it, `convlake export --report` publishes it.

pub mod html;

use std::fmt::Write as _;

use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema, SchemaRef};
use datafusion::prelude::SessionContext;

use crate::error::{Error, Result};
use crate::lake::as_of::resolve_as_of;

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

/// Heyday's chatbot analytics (seeds 001, 002), in page order.
pub const BOT: [(&str, &str); 9] = [
    (
        "bot_overview",
        "Overview: duration, conversations, engaged, unique customers",
    ),
    (
        "bot_conversations_summary",
        "Conversations: transfers, answered, engaged, closed, waits",
    ),
    (
        "bot_engagement",
        "Engagement: active vs non-active conversations",
    ),
    ("messages_by_sender", "Messages by sender"),
    (
        "conversations_by_channel_support_type",
        "Conversations by channel and support type",
    ),
    (
        "handover_requests",
        "Handover requests by channel and status",
    ),
    (
        "activity_heatmap",
        "Activity: engaged conversations and handover requests (weekday × local hour)",
    ),
    ("closed_by_department", "Closed conversations by department"),
    (
        "first_response_distribution",
        "First response time distribution by channel type",
    ),
];

/// Partoo's chat statistics (seed 003), in page order.
pub const CHATS: [(&str, &str); 6] = [
    ("active_chats", "Customers with an active chat"),
    (
        "active_chats_breakdown",
        "Breakdown by channel and platform",
    ),
    (
        "active_chats_evolution",
        "Evolution against the previous period",
    ),
    ("establishment_ranking", "Establishment ranking"),
    (
        "establishments_to_watch",
        "Establishments to watch: customers waiting",
    ),
    (
        "pickup_delay_heatmap",
        "Average pickup delay (weekday × local hour of the chat's start)",
    ),
];

/// How a page is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PageFormat {
    /// Tables and grids, as a person reads the page
    Table,
    /// One JSON document: parameters, then each component's notice and rows
    Json,
    /// One self-contained HTML page (inline CSS and SVG, nothing fetched)
    Html,
}

/// A page's parameters, as `convlake report`'s flags give them.
#[derive(Debug, Clone)]
pub struct ReportParams {
    pub period: String,
    pub tz: String,
    /// RFC 3339, `latest` or `now`.
    pub as_of: String,
    pub workspace: Option<String>,
    /// `KEY=VALUE[,VALUE...]`.
    pub filter: Vec<String>,
    /// The HTML page's language: en, fr or es.
    pub locale: String,
    /// Rows of the conversation list shown.
    pub rows: usize,
}

/// An aligned text table, with the header even when there are no rows.
fn pretty(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<String> {
    Ok(
        arrow::util::pretty::pretty_format_batches_with_schema(schema.clone(), batches)?
            .to_string(),
    )
}

/// The `SET` statements for the report's parameters, as a BI tool would send them.
pub fn set_statements(ctx_as_of: &str, args: &ReportParams) -> Result<Vec<String>> {
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
        let (key, value) = crate::views::filter_parameter(filter)?;
        sets.push(format!("set convlake.{key} = {}", quote(&value)));
    }
    Ok(sets)
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

/// A report page (`conversations`, `bot` or `chats`) in `format`, its
/// parameters set on `ctx` first.
pub async fn document(
    ctx: &SessionContext,
    args: &ReportParams,
    report: &str,
    format: PageFormat,
) -> Result<String> {
    let components: &[(&str, &str)] = match report {
        "conversations" => &CONVERSATIONS,
        "bot" => &BOT,
        "chats" => &CHATS,
        other => {
            return Err(Error::Parameter {
                name: "report".into(),
                reason: format!("unknown report '{other}'"),
            });
        }
    };
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
    // respond.io's components have report_status, which tells "no data for
    // the selected filters" from an empty period.
    let notices = if report == "conversations" {
        notices(ctx).await?
    } else {
        vec![]
    };
    let notice_of = |view: &str| {
        notices
            .iter()
            .find(|(n, _)| n == view)
            .and_then(|(_, t)| t.clone())
    };

    let mut json_components = serde_json::Map::new();
    let mut text = String::new();
    writeln!(
        text,
        "{report} report: {} ({}), time zone {}, as of {as_of}",
        args.period, period, args.tz
    )
    .ok();
    if !args.filter.is_empty() {
        writeln!(text, "Filters: {}", args.filter.join(", ")).ok();
    }
    for (view, title) in components {
        let result = collect(ctx, &format!("select * from {view}{}", order_by(view))).await;
        let (notice, batches) = match result {
            // A filter that does not apply: the component shows why, not data.
            Err(err) if err.to_string().contains("filter not applicable here") => {
                let message = err.to_string();
                let message =
                    message[message.find("filter not applicable here").unwrap_or(0)..].to_string();
                (Some(message), vec![])
            }
            Err(err) => return Err(err),
            Ok(batches) => {
                let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
                let notice = notice_of(view).or_else(|| {
                    (rows == 0).then(|| {
                        if args.filter.is_empty() {
                            "no data in the period"
                        } else {
                            "no data for the selected filters"
                        }
                        .to_string()
                    })
                });
                (notice, batches)
            }
        };
        if format != PageFormat::Table {
            // The view's columns in its order (a row's keys come sorted).
            let columns: Vec<String> = ctx
                .table(*view)
                .await?
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            json_components.insert(
                view.to_string(),
                serde_json::json!({
                    "title": title, "notice": notice, "columns": columns, "rows": json_rows(&batches)?
                }),
            );
            continue;
        }
        writeln!(text, "\n== {title} ({view})").ok();
        let grid_only = matches!(
            *view,
            "heatmap_opened" | "heatmap_closed" | "activity_heatmap" | "pickup_delay_heatmap"
        );
        if let Some(notice) = &notice
            && (!grid_only || notice.starts_with("filter not applicable"))
        {
            writeln!(text, "{notice}").ok();
            continue;
        }
        match *view {
            "heatmap_opened" | "heatmap_closed" => {
                text.push_str(&grid(ctx, view, "conversations").await?)
            }
            "activity_heatmap" => {
                writeln!(text, "engaged conversations:").ok();
                text.push_str(&grid(ctx, view, "engaged_conversations").await?);
                writeln!(text, "handover requests:").ok();
                text.push_str(&grid(ctx, view, "handover_requests").await?);
            }
            "pickup_delay_heatmap" => {
                writeln!(
                    text,
                    "average pickup delay bucket; // = no chat started, - = no reply yet"
                )
                .ok();
                text.push_str(
                    &grid(
                        ctx,
                        view,
                        "case when no_chat then '//' else coalesce(bucket, '-') end",
                    )
                    .await?,
                );
            }
            "conversation_list" => {
                let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
                // The list was read once, in order, above: show its first rows.
                let full = ctx.table(*view).await?.schema().as_arrow().clone();
                let all = arrow::compute::concat_batches(&std::sync::Arc::new(full), &batches)?;
                let columns: Vec<usize> = html::LIST_COLUMNS
                    .iter()
                    .map(|c| all.schema().index_of(c))
                    .collect::<Result<_, _>>()?;
                let first = all.project(&columns)?.slice(0, total.min(args.rows));
                let schema = first.schema();
                let first = vec![first];
                writeln!(text, "{}", pretty(&schema, &first)?).ok();
                writeln!(
                    text,
                    "{} of {total} conversations shown. Export every row and column with:\n  convlake sql -f csv -o conversations.csv \"{}; select * from conversation_list\"",
                    total.min(args.rows),
                    sets.join("; ")
                )
                .ok();
            }
            _ => {
                let schema = ctx.table(*view).await?.schema().as_arrow().clone().into();
                let (schema, batches) = shares_as_percent(schema, &batches)?;
                writeln!(text, "{}", pretty(&schema, &batches)?).ok();
            }
        }
    }
    let locale = html::Locale::parse(&args.locale)?;
    let document = if format == PageFormat::Table {
        text
    } else {
        let page = serde_json::json!({
            "report": report,
            "parameters": { "period": args.period, "timezone": args.tz, "as_of": as_of,
                            "workspace": args.workspace, "filters": args.filter, "range_utc": period },
            "components": json_components,
        });
        if format == PageFormat::Html {
            html::render(&page, components, locale, args.rows)
        } else {
            let json = serde_json::to_string_pretty(&page).map_err(|e| Error::Parameter {
                name: "json".into(),
                reason: e.to_string(),
            })?;
            format!("{json}\n")
        }
    };
    Ok(document)
}

/// The order a person reads each component in (views do not promise one).
fn order_by(view: &str) -> &'static str {
    match view {
        "opened_vs_closed" => " order by bucket",
        "heatmap_opened" | "heatmap_closed" | "activity_heatmap" | "pickup_delay_heatmap" => {
            " order by weekday, hour"
        }
        "bot_engagement" | "messages_by_sender" | "active_chats_evolution" => " order by bucket",
        "handover_requests" => " order by bucket, channel_name",
        "conversations_by_channel_support_type" => " order by channel_name, support_type",
        "closed_by_department" => " order by conversations desc, department",
        "establishment_ranking" => " order by rank, establishment_name",
        "establishments_to_watch" => " order by waiting_customers desc, longest_wait_seconds desc",
        "active_chats_breakdown" => " order by breakdown, customers desc, name",
        "first_response_distribution" => " order by channel_type, bucket",
        "opened_by_contact_type" | "closed_by_contact_type" => " order by contact_type",
        // The most first; ties by name, so that a page is the same each time.
        "opened_by_source" => " order by conversations desc, source, sub_source",
        "closed_by_source" => " order by conversations desc, source",
        "closed_by_category" => " order by conversations desc, category",
        "opened_by_channel" => " order by conversations desc, channel_name, channel_id",
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

/// A 7 × 24 grid of `value` (an SQL expression over the view's columns):
/// one line per weekday, one column per local hour.
async fn grid(ctx: &SessionContext, view: &str, value: &str) -> Result<String> {
    let batches = collect(
        ctx,
        &format!("select weekday, weekday_name, hour, cast({value} as varchar) from {view} order by weekday, hour"),
    )
    .await?;
    let mut cells = vec![vec![String::new(); 24]; 7];
    let mut names = vec![String::new(); 7];
    for b in &batches {
        let weekday = b.column(0).as_primitive::<Int64Type>();
        let name = arrow::compute::cast(b.column(1), &DataType::Utf8)?;
        let name = name.as_string::<i32>();
        let hour = b.column(2).as_primitive::<Int64Type>();
        let text = arrow::compute::cast(b.column(3), &DataType::Utf8)?;
        let text = text.as_string::<i32>();
        for i in 0..b.num_rows() {
            let (w, h) = (weekday.value(i) as usize, hour.value(i) as usize);
            if (1..=7).contains(&w) && h < 24 {
                cells[w - 1][h] = text.value(i).to_string();
                names[w - 1] = name.value(i).to_string();
            }
        }
    }
    let width = cells
        .iter()
        .flatten()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(1)
        .max(2);
    let mut out = String::from("    ");
    for h in 0..24 {
        write!(out, " {h:>width$}").ok();
    }
    out.push('\n');
    let shade = colour_terminal();
    let max = cells
        .iter()
        .flatten()
        .filter_map(|c| cell_level(c))
        .fold(0.0, f64::max);
    for (w, line) in cells.iter().enumerate() {
        write!(out, "{:<4}", names[w]).ok();
        for c in line {
            match cell_level(c)
                .filter(|_| shade)
                .and_then(|v| shade_of(v, max))
            {
                Some((bg, fg)) => {
                    write!(out, " \x1b[48;5;{bg}m\x1b[38;5;{fg}m{c:>width$}\x1b[0m").ok()
                }
                None => write!(out, " {c:>width$}").ok(),
            };
        }
        out.push('\n');
    }
    Ok(out)
}

/// Whether stdout is a terminal that shows colour (not `NO_COLOR`, not a
/// `dumb` terminal): the heat-maps are then shaded.
fn colour_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

/// A cell's level on the shading scale: its number, or a delay bucket's rank.
fn cell_level(cell: &str) -> Option<f64> {
    match cell {
        "<1h" => Some(1.0),
        "1-4h" => Some(2.0),
        "4-8h" => Some(3.0),
        "8-24h" => Some(4.0),
        ">24h" => Some(5.0),
        other => other.parse().ok(),
    }
}

/// 256-colour background and text for `value` out of `max`: viridis in
/// eight steps (colour-blind safe), none for nothing.
fn shade_of(value: f64, max: f64) -> Option<(u8, u8)> {
    const SCALE: [u8; 8] = [54, 61, 67, 31, 36, 71, 149, 226];
    if value <= 0.0 || max <= 0.0 {
        return None;
    }
    let step = ((value / max) * (SCALE.len() - 1) as f64).round() as usize;
    let step = step.min(SCALE.len() - 1);
    Some((SCALE[step], if step >= 5 { 16 } else { 231 }))
}

/// The `share` column (a fraction) as a person reads it, `44.3 %`, for the
/// text page; JSON and the views keep the fraction.
fn shares_as_percent(
    schema: SchemaRef,
    batches: &[RecordBatch],
) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let Ok(at) = schema.index_of("share") else {
        return Ok((schema, batches.to_vec()));
    };
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields[at] = Field::new("share", DataType::Utf8, true);
    let percent_schema: SchemaRef = Arc::new(Schema::new(fields));
    let batches = batches
        .iter()
        .map(|b| {
            let fraction = arrow::compute::cast(b.column(at), &DataType::Float64)?;
            let text: StringArray = fraction
                .as_primitive::<Float64Type>()
                .iter()
                .map(|f| f.map(percent))
                .collect();
            let mut columns = b.columns().to_vec();
            columns[at] = Arc::new(text);
            Ok(RecordBatch::try_new(percent_schema.clone(), columns)?)
        })
        .collect::<Result<_>>()?;
    Ok((percent_schema, batches))
}

/// A fraction as a percentage with one decimal: 0.44270833 is `44.3 %`.
fn percent(fraction: f64) -> String {
    format!("{:.1} %", fraction * 100.0)
}

fn json_rows(batches: &[RecordBatch]) -> Result<serde_json::Value> {
    let mut buf = Vec::new();
    {
        let mut writer = arrow::json::WriterBuilder::new()
            .with_explicit_nulls(true)
            .build::<_, arrow::json::writer::JsonArray>(&mut buf);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_map_cells_shade_by_their_level() {
        assert_eq!(shade_of(0.0, 10.0), None);
        assert_eq!(shade_of(10.0, 10.0), Some((226, 16)));
        // 0.5 of 10 is step round(0.35) = 0; 1 of 10 is step round(0.7) = 1.
        assert_eq!(shade_of(0.5, 10.0), Some((54, 231)));
        assert_eq!(shade_of(1.0, 10.0), Some((61, 231)));
        assert_eq!(cell_level(">24h"), Some(5.0));
        assert_eq!(cell_level("-"), None);
    }

    #[test]
    fn shares_read_as_percentages() {
        assert_eq!(percent(0.4427083333333333), "44.3 %");
        assert_eq!(percent(1.0), "100.0 %");
        assert_eq!(percent(0.0), "0.0 %");
        // 1 of 3: a third, rounded to one decimal.
        assert_eq!(percent(1.0 / 3.0), "33.3 %");
    }
}
