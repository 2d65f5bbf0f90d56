//! `report --format html`: one self-contained page (inline CSS and SVG, no
//! script, nothing fetched) drawn from the same JSON document as
//! `--format json`, so both show the same numbers.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The language of a page's labels and of its numbers' format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    En,
    Fr,
    Es,
}

impl Locale {
    pub fn parse(text: &str) -> Result<Locale> {
        match text.trim().to_ascii_lowercase().as_str() {
            "en" => Ok(Locale::En),
            "fr" => Ok(Locale::Fr),
            "es" => Ok(Locale::Es),
            other => Err(Error::Parameter {
                name: "--locale".into(),
                reason: format!("'{other}' is not en, fr or es"),
            }),
        }
    }

    fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
            Locale::Es => "es",
        }
    }

    /// A word of the page's frame in this language.
    fn word(self, key: &str) -> String {
        let [en, fr, es] = match key {
            "period" => ["Period", "Période", "Periodo"],
            "timezone" => ["Time zone", "Fuseau horaire", "Zona horaria"],
            "as_of" => ["As of", "Au", "A fecha de"],
            "filters" => ["Filters", "Filtres", "Filtros"],
            "workspace" => ["Workspaces", "Espaces de travail", "Espacios de trabajo"],
            "fewer" => ["fewer", "moins", "menos"],
            "more" => ["more", "plus", "más"],
            "shown" => [
                "{n} of {total} shown",
                "{n} sur {total} affichées",
                "{n} de {total} mostradas",
            ],
            "conversations" => [
                "Conversations report",
                "Rapport Conversations",
                "Informe de conversaciones",
            ],
            "bot" => [
                "Chatbot analytics",
                "Analyse du chatbot",
                "Analítica del chatbot",
            ],
            "chats" => [
                "Chat statistics",
                "Statistiques de chat",
                "Estadísticas de chat",
            ],
            "no data in the period" => [
                "No data in the period",
                "Aucune donnée sur la période",
                "No hay datos en el periodo",
            ],
            "no data for the selected filters" => [
                "No data for the selected filters",
                "Aucune donnée pour les filtres choisis",
                "No hay datos para los filtros seleccionados",
            ],
            other => [other, other, other],
        };
        match self {
            Locale::En => en,
            Locale::Fr => fr,
            Locale::Es => es,
        }
        .to_string()
    }

    /// A component's title in this language (`english` is the CLI's).
    fn title(self, view: &str, english: &str) -> String {
        let (fr, es) = match view {
            "conversation_summary" => (
                "Aperçu : conversations ouvertes et fermées",
                "Resumen: conversaciones abiertas y cerradas",
            ),
            "opened_vs_closed" => ("Ouvertes et fermées", "Abiertas y cerradas"),
            "heatmap_opened" => (
                "Carte thermique des conversations ouvertes",
                "Mapa de calor de las conversaciones abiertas",
            ),
            "heatmap_closed" => (
                "Carte thermique des conversations fermées",
                "Mapa de calor de las conversaciones cerradas",
            ),
            "opened_by_contact_type" => (
                "Conversations ouvertes par type de contact",
                "Conversaciones abiertas por tipo de contacto",
            ),
            "opened_by_source" => (
                "Conversations ouvertes par source",
                "Conversaciones abiertas por origen",
            ),
            "opened_by_channel" => (
                "Conversations ouvertes par canal",
                "Conversaciones abiertas por canal",
            ),
            "closed_by_category" => (
                "Conversations fermées par catégorie",
                "Conversaciones cerradas por categoría",
            ),
            "closed_by_source" => (
                "Conversations fermées par source",
                "Conversaciones cerradas por origen",
            ),
            "closed_by_contact_type" => (
                "Conversations fermées par type de contact",
                "Conversaciones cerradas por tipo de contacto",
            ),
            "conversation_list" => ("Liste des conversations", "Lista de conversaciones"),
            _ => (english, english),
        };
        match self {
            Locale::En => english,
            Locale::Fr => fr,
            Locale::Es => es,
        }
        .to_string()
    }

    fn weekday(self, iso: usize) -> &'static str {
        const EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        const FR: [&str; 7] = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."];
        const ES: [&str; 7] = ["lun.", "mar.", "mié.", "jue.", "vie.", "sáb.", "dom."];
        let names = match self {
            Locale::En => EN,
            Locale::Fr => FR,
            Locale::Es => ES,
        };
        names[(iso.clamp(1, 7)) - 1]
    }

    /// An integer with this language's thousands separator.
    fn int(self, n: i64) -> String {
        let separator = match self {
            Locale::En => ",",
            Locale::Fr => "\u{202f}",
            Locale::Es => ".",
        };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(separator);
            }
            out.push(c);
        }
        if n < 0 { format!("-{out}") } else { out }
    }

    /// A fraction as a percentage with one decimal: `44.3 %`, `44,3 %`.
    fn percent(self, fraction: f64) -> String {
        let text = format!("{:.1}", fraction * 100.0);
        let text = if self == Locale::En {
            text
        } else {
            text.replace('.', ",")
        };
        format!("{text}\u{a0}%")
    }

    /// Any JSON value of a row as a person reads it.
    fn value(self, value: &Value) -> String {
        match value {
            Value::Null => "–".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) if n.is_i64() => self.int(n.as_i64().unwrap_or_default()),
            Value::Number(n) => {
                let f = n.as_f64().unwrap_or_default();
                let text = format!("{f:.1}");
                if self == Locale::En {
                    text
                } else {
                    text.replace('.', ",")
                }
            }
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

/// Text for HTML: `<`, `>`, `&` and quotes escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Viridis in nine steps: ordered in lightness, readable by people with
/// the common colour-vision deficiencies, in light and dark pages alike.
const SCALE: [&str; 9] = [
    "#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30",
    "#fde725",
];

/// The scale step of `value` out of `max` (0 for nothing).
fn step(value: f64, max: f64) -> Option<usize> {
    (value > 0.0 && max > 0.0)
        .then(|| ((value / max) * (SCALE.len() - 1) as f64).round() as usize)
        .map(|s| s.min(SCALE.len() - 1))
}

const STYLE: &str = r#"
:root { color-scheme: light dark; --fg: #1b1b1f; --bg: #ffffff; --muted: #5f6368; --line: #d0d4da;
  --opened: #1f77b4; --closed: #ff7f0e; --card: #f6f7f9; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8eaed; --bg: #15171a; --muted: #a0a6ad; --line: #3c4043; --card: #1f2226;
    --opened: #6baed6; --closed: #fdae6b; } }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  background: var(--bg); margin: 0 auto; padding: 1rem; max-width: 72rem; }
header { border-bottom: 1px solid var(--line); margin-bottom: 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
dl.params { display: flex; flex-wrap: wrap; gap: .25rem 1.5rem; margin: .5rem 0 1rem; color: var(--muted); }
dl.params div { display: flex; gap: .4rem; } dl.params dt { font-weight: 600; } dl.params dd { margin: 0; }
section { background: var(--card); border-radius: .5rem; padding: .75rem 1rem; margin: 0 0 1rem;
  break-inside: avoid; }
.tiles { display: flex; flex-wrap: wrap; gap: 1rem; }
.tile { min-width: 9rem; } .tile .label { color: var(--muted); font-size: .85rem; }
.tile .count { font-size: 1.8rem; font-weight: 650; font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.rows th, table.rows td { padding: .2rem .5rem; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
table.heatmap td, table.heatmap th { width: 1.9rem; height: 1.6rem; text-align: center; font-size: .72rem; padding: 0; }
table.heatmap th { color: var(--muted); font-weight: 500; }
table.heatmap td { border: 1px solid var(--bg); }
.legend { display: flex; align-items: center; gap: .3rem; font-size: .8rem; color: var(--muted); margin-top: .4rem; }
.legend span.swatch { width: 1.2rem; height: .8rem; display: inline-block; }
.bars { display: grid; grid-template-columns: minmax(8rem, 16rem) 1fr auto auto; gap: .25rem .75rem; align-items: center; }
.bars .track { background: var(--line); height: .8rem; border-radius: .2rem; overflow: hidden; }
.bars .fill { background: var(--opened); height: 100%; }
.bars .n, .bars .share { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.notice { color: var(--muted); font-style: italic; margin: .25rem 0; }
svg text { fill: var(--muted); font-size: 10px; }
.key { display: flex; gap: 1rem; font-size: .85rem; } .key i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; }
@media print { body { max-width: none; } section { background: none; border: 1px solid #999; } }
@media (max-width: 40rem) { .bars { grid-template-columns: 1fr auto auto; } .bars .track { grid-column: 1 / -1; } }
"#;

/// The whole page for `page` (the JSON document of `--format json`), its
/// components in `order` (view, English title), at most `rows` rows of a
/// list.
pub fn render(page: &Value, order: &[(&str, &str)], locale: Locale, rows: usize) -> String {
    let report = page["report"].as_str().unwrap_or_default();
    let params = &page["parameters"];
    let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_default();
    let mut out = String::new();
    let title = locale.word(report);
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n<header><h1>{}</h1><dl class=\"params\">",
        locale.code(),
        escape(&title),
        escape(&title)
    )
    .ok();
    let mut param = |key: &str, value: String| {
        if !value.is_empty() {
            write!(
                out,
                "<div><dt>{}</dt><dd data-param=\"{key}\">{}</dd></div>",
                escape(&locale.word(key)),
                escape(&value)
            )
            .ok();
        }
    };
    param(
        "period",
        format!(
            "{} ({})",
            text(&params["period"]),
            text(&params["range_utc"])
        ),
    );
    param("timezone", text(&params["timezone"]));
    param("as_of", text(&params["as_of"]));
    param("workspace", text(&params["workspace"]));
    let filters: Vec<String> = params["filters"]
        .as_array()
        .map(|f| f.iter().map(text).collect())
        .unwrap_or_default();
    param("filters", filters.join(", "));
    out.push_str("</dl></header>\n<main>\n");
    let components = page["components"].as_object().cloned().unwrap_or_default();
    for (view, english) in order {
        let component = components.get(*view).cloned().unwrap_or(Value::Null);
        section(
            &mut out,
            view,
            &locale.title(view, english),
            &component,
            locale,
            rows,
        );
    }
    out.push_str("</main></body></html>\n");
    out
}

/// One component: its title, its notice where a chart would be, its chart.
fn section(
    out: &mut String,
    view: &str,
    title: &str,
    component: &Value,
    locale: Locale,
    rows: usize,
) {
    writeln!(
        out,
        "<section id=\"{view}\" data-view=\"{view}\"><h2>{}</h2>",
        escape(title)
    )
    .ok();
    let columns: Vec<&str> = component["columns"]
        .as_array()
        .map(|c| c.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let data: Vec<Map<String, Value>> = component["rows"]
        .as_array()
        .map(|rows| rows.iter().filter_map(|r| r.as_object().cloned()).collect())
        .unwrap_or_default();
    if let Some(notice) = component["notice"].as_str() {
        writeln!(
            out,
            "<p class=\"notice\" data-notice>{}</p>",
            escape(&locale.word(notice))
        )
        .ok();
    }
    if !data.is_empty() {
        match view {
            "heatmap_opened" | "heatmap_closed" => {
                heatmap(out, view, "conversations", &data, locale)
            }
            "activity_heatmap" => {
                heatmap(out, view, "engaged_conversations", &data, locale);
                heatmap(out, view, "handover_requests", &data, locale);
            }
            "pickup_delay_heatmap" => heatmap(out, view, "average_delay_seconds", &data, locale),
            "conversation_summary"
            | "active_chats"
            | "bot_overview"
            | "bot_conversations_summary" => tiles(out, &data[0], &columns, locale),
            "opened_vs_closed" => series(out, &data, &["opened", "closed"], locale),
            "bot_engagement" => series(out, &data, &["active", "non_active"], locale),
            "active_chats_evolution" => {
                series(out, &data, &["customers", "previous_customers"], locale)
            }
            "conversation_list" => list(out, &data, locale, rows),
            _ if data[0].contains_key("share") => shares(out, view, &data, locale),
            _ => table(out, &data, Some(&columns), locale),
        }
    }
    out.push_str("</section>\n");
}

/// The counts of a one-row component, one tile each (text columns that
/// repeat a duration in seconds are left out).
fn tiles(out: &mut String, row: &Map<String, Value>, columns: &[&str], locale: Locale) {
    out.push_str("<div class=\"tiles\">");
    for column in columns {
        let Some(value) = row.get(*column) else {
            continue;
        };
        if value.is_string() && row.contains_key(&format!("{column}_seconds")) {
            continue;
        }
        let shown = match (column.ends_with("_seconds"), value.as_f64()) {
            (true, Some(seconds)) => format_duration(seconds),
            _ => locale.value(value),
        };
        write!(
            out,
            "<div class=\"tile\"><div class=\"label\">{}</div>\
             <div class=\"count\" data-column=\"{column}\" data-value=\"{}\">{}</div></div>",
            escape(&column.replace('_', " ")),
            escape(&value.to_string()),
            escape(&shown)
        )
        .ok();
    }
    out.push_str("</div>\n");
}

/// `hh:mm:ss`, or `mm:ss` under an hour, as `format_duration` writes it.
fn format_duration(seconds: f64) -> String {
    let total = seconds.round() as i64;
    let (h, m, s) = (total / 3600, total % 3600 / 60, total % 60);
    if h > 0 {
        format!("{h:02}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// A 7 × 24 grid of `column`, shaded on one scale, with weekday and hour
/// labels and a legend.
fn heatmap(
    out: &mut String,
    view: &str,
    column: &str,
    data: &[Map<String, Value>],
    locale: Locale,
) {
    let mut cells = vec![[None::<&Value>; 24]; 7];
    for row in data {
        let (Some(w), Some(h)) = (row["weekday"].as_u64(), row["hour"].as_u64()) else {
            continue;
        };
        if (1..=7).contains(&w) && h < 24 {
            cells[w as usize - 1][h as usize] = row.get(column);
        }
    }
    let max = data
        .iter()
        .filter_map(|r| r.get(column).and_then(Value::as_f64))
        .fold(0.0, f64::max);
    write!(
        out,
        "<div class=\"scroll\"><table class=\"heatmap\" data-view=\"{view}\" data-column=\"{column}\">\
         <caption class=\"notice\">{}</caption><tr><th></th>",
        escape(&column.replace('_', " "))
    )
    .ok();
    for h in 0..24 {
        write!(out, "<th scope=\"col\">{h}</th>").ok();
    }
    out.push_str("</tr>\n");
    for (w, line) in cells.iter().enumerate() {
        write!(out, "<tr><th scope=\"row\">{}</th>", locale.weekday(w + 1)).ok();
        for (h, value) in line.iter().enumerate() {
            let value = value.cloned().unwrap_or(Value::Null);
            let number = value.as_f64();
            let style = match number.and_then(|v| step(v, max)) {
                Some(s) => format!(
                    " style=\"background:{};color:{}\"",
                    SCALE[s],
                    if s >= 5 { "#000" } else { "#fff" }
                ),
                None => String::new(),
            };
            let shown = match (column.ends_with("_seconds"), number) {
                (true, Some(seconds)) => format_duration(seconds),
                (_, Some(_)) => locale.value(&value),
                (_, None) => String::new(),
            };
            write!(
                out,
                "<td class=\"cell\" data-weekday=\"{}\" data-hour=\"{h}\" data-value=\"{}\"{style}>{}</td>",
                w + 1,
                escape(&number.map(|n| n.to_string()).unwrap_or_default()),
                escape(&shown)
            )
            .ok();
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table></div>\n<div class=\"legend\">");
    write!(out, "{} ", escape(&locale.word("fewer"))).ok();
    for colour in SCALE {
        write!(
            out,
            "<span class=\"swatch\" style=\"background:{colour}\"></span>"
        )
        .ok();
    }
    writeln!(out, " {}</div>", escape(&locale.word("more"))).ok();
}

/// Bars per bucket (day or hour) for `columns`, side by side, as SVG.
fn series(out: &mut String, data: &[Map<String, Value>], columns: &[&str], locale: Locale) {
    const COLOURS: [&str; 2] = ["var(--opened)", "var(--closed)"];
    let (width, height, left, bottom) = (720.0, 200.0, 36.0, 28.0);
    let max = data
        .iter()
        .flat_map(|r| {
            columns
                .iter()
                .filter_map(|c| r.get(*c).and_then(Value::as_f64))
        })
        .fold(0.0, f64::max)
        .max(1.0);
    let slot = (width - left) / data.len() as f64;
    let bar = (slot * 0.8 / columns.len() as f64).max(1.0);
    out.push_str("<div class=\"key\">");
    for (c, colour) in columns.iter().zip(COLOURS) {
        write!(
            out,
            "<span><i style=\"background:{colour}\"></i>{}</span>",
            escape(&c.replace('_', " "))
        )
        .ok();
    }
    write!(
        out,
        "</div><div class=\"scroll\"><svg role=\"img\" viewBox=\"0 0 {width} {height}\" width=\"100%\" \
         preserveAspectRatio=\"xMinYMin meet\">"
    )
    .ok();
    let plot = height - bottom;
    write!(
        out,
        "<text x=\"0\" y=\"10\">{}</text>",
        locale.int(max as i64)
    )
    .ok();
    write!(out, "<text x=\"0\" y=\"{plot}\">0</text>").ok();
    for (i, row) in data.iter().enumerate() {
        let x0 = left + i as f64 * slot + slot * 0.1;
        for (c, (column, colour)) in columns.iter().zip(COLOURS).enumerate() {
            let value = row.get(*column).and_then(Value::as_f64).unwrap_or(0.0);
            let h = value / max * (plot - 12.0);
            write!(
                out,
                "<rect class=\"bar\" data-column=\"{column}\" data-value=\"{value}\" x=\"{:.1}\" y=\"{:.1}\" \
                 width=\"{bar:.1}\" height=\"{h:.1}\" fill=\"{colour}\"><title>{}: {}</title></rect>",
                x0 + c as f64 * bar,
                plot - h,
                escape(row.get("bucket").and_then(Value::as_str).unwrap_or_default()),
                locale.value(row.get(*column).unwrap_or(&Value::Null))
            )
            .ok();
        }
        // A label every few buckets: the day (or hour) of the bucket.
        if i % (data.len() / 10).max(1) == 0 {
            let bucket = row
                .get("bucket")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let label = if row.get("grain").and_then(Value::as_str) == Some("hour") {
                bucket.get(11..13).unwrap_or(bucket)
            } else {
                bucket.get(5..10).unwrap_or(bucket)
            };
            write!(
                out,
                "<text x=\"{x0:.1}\" y=\"{}\">{}</text>",
                height - 10.0,
                escape(label)
            )
            .ok();
        }
    }
    out.push_str("</svg></div>\n");
}

/// A breakdown: a bar per row with its count and share.
fn shares(out: &mut String, view: &str, data: &[Map<String, Value>], locale: Locale) {
    let labels: &[&str] = match view {
        "opened_by_source" => &["source", "sub_source"],
        "opened_by_channel" => &["channel_name"],
        "first_response_distribution" => &["channel_type", "bucket"],
        "active_chats_breakdown" => &["breakdown", "name"],
        "closed_by_category" => &["category"],
        "closed_by_source" => &["source"],
        _ => &["contact_type"],
    };
    let count = if data[0].contains_key("customers") {
        "customers"
    } else {
        "conversations"
    };
    out.push_str("<div class=\"bars\">");
    for row in data {
        let label: Vec<&str> = labels
            .iter()
            .filter_map(|l| row.get(*l).and_then(Value::as_str))
            .collect();
        let share = row.get("share").and_then(Value::as_f64).unwrap_or(0.0);
        write!(
            out,
            "<span class=\"label\">{}</span><span class=\"track\"><span class=\"fill\" style=\"display:block;width:{:.1}%\"></span></span>\
             <span class=\"n\" data-column=\"{count}\">{}</span><span class=\"share\" data-share=\"{share}\">{}</span>",
            escape(&label.join(" / ")),
            share * 100.0,
            locale.value(row.get(count).unwrap_or(&Value::Null)),
            locale.percent(share)
        )
        .ok();
    }
    out.push_str("</div>\n");
}

/// The columns of the conversation list a person scans first, in the text
/// page and the HTML page alike.
pub const LIST_COLUMNS: [&str; 9] = [
    "closed_at",
    "conversation_id",
    "contact_name",
    "last_assignee",
    "first_response_time",
    "resolution_time",
    "average_response_time",
    "responses",
    "category",
];

/// The first `rows` conversations of the list, the columns a person scans.
fn list(out: &mut String, data: &[Map<String, Value>], locale: Locale, rows: usize) {
    let first = &data[..data.len().min(rows)];
    table(out, first, Some(&LIST_COLUMNS), locale);
    let shown = locale
        .word("shown")
        .replace("{n}", &locale.int(first.len() as i64))
        .replace("{total}", &locale.int(data.len() as i64));
    writeln!(out, "<p class=\"notice\">{}</p>", escape(&shown)).ok();
}

/// Rows as a table: `columns` in that order, or every column.
fn table(out: &mut String, data: &[Map<String, Value>], columns: Option<&[&str]>, locale: Locale) {
    let columns: Vec<String> = match columns {
        Some(c) if !c.is_empty() => c.iter().map(|c| c.to_string()).collect(),
        _ => data[0].keys().cloned().collect(),
    };
    out.push_str("<div class=\"scroll\"><table class=\"rows\"><tr>");
    for c in &columns {
        write!(out, "<th>{}</th>", escape(&c.replace('_', " "))).ok();
    }
    out.push_str("</tr>\n");
    for row in data.iter().take(100) {
        out.push_str("<tr>");
        for c in &columns {
            write!(
                out,
                "<td>{}</td>",
                escape(&locale.value(row.get(c).unwrap_or(&Value::Null)))
            )
            .ok();
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table></div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_each_locale() {
        assert_eq!(Locale::En.int(1234567), "1,234,567");
        assert_eq!(Locale::Fr.int(1234), "1\u{202f}234");
        assert_eq!(Locale::Es.int(960), "960");
        assert_eq!(Locale::Es.int(12345), "12.345");
        assert_eq!(Locale::En.percent(0.4427083333333333), "44.3\u{a0}%");
        assert_eq!(Locale::Fr.percent(0.6), "60,0\u{a0}%");
        assert!(
            Locale::parse("de")
                .unwrap_err()
                .to_string()
                .contains("--locale")
        );
    }

    #[test]
    fn the_scale_has_no_colour_for_nothing_and_the_last_for_the_most() {
        assert_eq!(step(0.0, 10.0), None);
        assert_eq!(step(10.0, 10.0), Some(8));
        assert_eq!(step(5.0, 10.0), Some(4));
        assert_eq!(
            escape("<a href='x'>&</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"
        );
    }
}
