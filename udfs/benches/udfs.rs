//! Criterion micro-benchmarks: each convlake function over 1,000,000 values,
//! reported as rows per second (`cargo bench -p convlake-udfs`).
//!
//! Each function runs as a user meets it, inside a DataFusion query over an
//! in-memory table of 1,000,000 events (100,000 conversations of 10 events),
//! so the figures include DataFusion's per-batch overhead (8,192 rows a
//! batch), which a bare `select ts from events` costs too: the `baseline`
//! benchmark measures that floor.

use std::sync::Arc;
use std::time::Duration;

use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use datafusion::datasource::MemTable;
use datafusion::execution::FunctionRegistry;
use datafusion::physical_plan::collect;
use datafusion::physical_plan::execution_plan::reset_plan_states;
use datafusion::prelude::{SessionConfig, SessionContext};
use tokio::runtime::Runtime;

const ROWS: usize = 1_000_000;
const EVENTS_PER_CONVERSATION: usize = 10;
const BATCH: usize = 8_192;
/// 2026-11-02T08:00:00Z, a Monday.
const START_MICROS: i64 = 1_793_606_400_000_000;

/// The event types of one conversation, in order.
const TIMELINE: [(&str, Option<&str>, Option<&str>); EVENTS_PER_CONVERSATION] = [
    ("conversation_opened", None, None),
    ("message", Some("incoming"), Some("contact")),
    ("message", Some("outgoing"), Some("bot")),
    ("message", Some("incoming"), Some("contact")),
    ("handover", None, None),
    ("assignee_changed", None, None),
    ("message", Some("outgoing"), Some("user")),
    ("message", Some("incoming"), Some("contact")),
    ("message", Some("outgoing"), Some("user")),
    ("conversation_closed", None, None),
];

fn events() -> (Arc<Schema>, Vec<RecordBatch>) {
    let utf8 = |name: &str| Field::new(name, DataType::Utf8, true);
    let ts_type = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let schema = Arc::new(Schema::new(vec![
        Field::new("ts", ts_type.clone(), false),
        Field::new("later", ts_type, false),
        Field::new("seconds", DataType::Float64, false),
        utf8("event_id"),
        utf8("conversation_id"),
        utf8("event_type"),
        utf8("direction"),
        utf8("sender_type"),
        utf8("actor_user_id"),
        utf8("assignee_user_id"),
        utf8("team_id"),
        utf8("source"),
        utf8("source_detail"),
        utf8("channel_id"),
        utf8("category"),
        utf8("summary"),
    ]));
    let batches = (0..ROWS)
        .step_by(BATCH)
        .map(|first| {
            let rows = first..(first + BATCH).min(ROWS);
            // A conversation every 7 minutes; its events 3 minutes apart,
            // the last one 11 minutes after the one before (a new bot session).
            let ts: Vec<i64> = rows
                .clone()
                .map(|i| {
                    let (c, e) = (i / EVENTS_PER_CONVERSATION, i % EVENTS_PER_CONVERSATION);
                    START_MICROS + c as i64 * 420_000_000 + e as i64 * 180_000_000
                })
                .collect();
            let step = |i: usize| TIMELINE[i % EVENTS_PER_CONVERSATION];
            let text = |f: &dyn Fn(usize) -> Option<String>| -> ArrayRef {
                Arc::new(rows.clone().map(f).collect::<StringArray>())
            };
            let columns: Vec<ArrayRef> = vec![
                Arc::new(TimestampMicrosecondArray::from(ts.clone()).with_timezone("UTC")),
                Arc::new(
                    TimestampMicrosecondArray::from(
                        ts.iter()
                            .map(|t| t + 97_000_000 * (t % 1_000))
                            .collect::<Vec<_>>(),
                    )
                    .with_timezone("UTC"),
                ),
                Arc::new(
                    rows.clone()
                        .map(|i| (i % 200_000) as f64)
                        .collect::<Float64Array>(),
                ),
                text(&|i| Some(format!("ev{i:08}"))),
                text(&|i| Some(format!("cv{:08}", i / EVENTS_PER_CONVERSATION))),
                text(&|i| Some(step(i).0.to_string())),
                text(&|i| step(i).1.map(str::to_string)),
                text(&|i| step(i).2.map(str::to_string)),
                text(&|i| (step(i).2 == Some("user")).then(|| format!("u{}", i % 40))),
                text(&|i| (step(i).0 == "assignee_changed").then(|| format!("u{}", i % 40))),
                text(&|i| (step(i).0 == "assignee_changed").then(|| "t1".to_string())),
                text(&|i| {
                    step(i)
                        .0
                        .starts_with("conversation")
                        .then(|| "contact".to_string())
                }),
                text(&|_| None),
                text(&|i| Some(format!("ch{}", i % 12))),
                text(&|i| (step(i).0 == "conversation_closed").then(|| "sales".to_string())),
                text(&|_| None),
            ];
            RecordBatch::try_new(schema.clone(), columns).expect("valid batch")
        })
        .collect();
    (schema, batches)
}

fn context() -> SessionContext {
    let config = SessionConfig::new()
        .with_option_extension(convlake_udfs::report_config::ReportConfig::default());
    let ctx = SessionContext::new_with_config(config);
    convlake_udfs::register_all(&mut ctx.clone() as &mut dyn FunctionRegistry)
        .expect("functions register");
    let (schema, batches) = events();
    let table = MemTable::try_new(schema, vec![batches]).expect("table");
    ctx.register_table("events", Arc::new(table))
        .expect("register");
    ctx
}

const EVENT_ARGS: &str = "ts, event_id, event_type, direction, sender_type, actor_user_id, \
     assignee_user_id, team_id, source, source_detail, channel_id, category, summary";

fn benches(c: &mut Criterion) {
    let rt = Runtime::new().expect("tokio runtime");
    let ctx = context();
    rt.block_on(ctx.sql("set convlake.channel = 'ch3,ch7'"))
        .expect("set filter");
    let queries = [
        (
            "baseline (no function)",
            "select ts from events".to_string(),
        ),
        (
            "seconds_between",
            "select seconds_between(ts, later) from events".into(),
        ),
        (
            "format_duration",
            "select format_duration(seconds) from events".into(),
        ),
        (
            "delay_bucket",
            "select delay_bucket(seconds) from events".into(),
        ),
        (
            "to_local",
            "select to_local(ts, 'Europe/Paris') from events".into(),
        ),
        (
            "business_seconds",
            "select business_seconds(ts, later, null, 'Europe/Paris') from events".into(),
        ),
        (
            "report_filter",
            "select ts from events where report_filter('channel', channel_id)".into(),
        ),
        (
            "conversation_metrics",
            format!(
                "select conversation_metrics({EVENT_ARGS}) from events group by conversation_id"
            ),
        ),
        (
            "bot_sessions",
            format!("select bot_sessions({EVENT_ARGS}, 600) from events group by conversation_id"),
        ),
        (
            "earliest",
            "select earliest(channel_id, ts, event_id) from events group by conversation_id".into(),
        ),
        // What earliest replaces, for comparison.
        (
            "first_value (for comparison)",
            "select first_value(channel_id order by ts, event_id) from events group by conversation_id"
                .into(),
        ),
    ];
    let mut group = c.benchmark_group("1M rows");
    group
        .throughput(Throughput::Elements(ROWS as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (name, sql) in queries {
        let plan = rt
            .block_on(async { ctx.sql(&sql).await?.create_physical_plan().await })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        group.bench_function(name, |b| {
            b.iter(|| {
                // A plan with a repartition runs once; a reset copy (a walk
                // of a few nodes) runs again.
                let plan = reset_plan_states(Arc::clone(&plan)).expect("plan resets");
                rt.block_on(collect(plan, ctx.task_ctx()))
                    .expect("query runs")
            })
        });
    }
    group.finish();
}

criterion_group!(udfs, benches);
criterion_main!(udfs);
