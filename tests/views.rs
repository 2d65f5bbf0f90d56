//! The report views on the sample lake: every view answers, the components
//! agree with each other, the period prunes files and row groups, and the
//! `report conversations` page prints every component.

use std::process::Command;

use datafusion::prelude::SessionContext;

use crate::common::query_csv;

async fn sample(period: &str) -> SessionContext {
    let ctx = convlake::session_context();
    convlake::register(&ctx, convlake::SAMPLE_LAKE)
        .await
        .unwrap();
    // The sample lake runs from 2026-10-01 to 2026-11-30.
    for set in [
        "set convlake.as_of = '2026-11-30T12:00:00Z'".to_string(),
        format!("set convlake.period = '{period}'"),
        "set convlake.timezone = 'Europe/Paris'".to_string(),
    ] {
        ctx.sql(&set).await.unwrap().collect().await.unwrap();
    }
    ctx
}

async fn number(ctx: &SessionContext, sql: &str) -> i64 {
    let rows = query_csv(ctx, sql).await;
    rows[1]
        .parse()
        .unwrap_or_else(|_| panic!("{sql}: {rows:?}"))
}

#[tokio::test]
async fn every_view_answers_and_the_components_agree() {
    let ctx = sample("last_30_days").await;
    for (view, _) in convlake::views::VIEWS {
        let n = number(&ctx, &format!("select count(*) from {view}")).await;
        if view == "materialised_conversations" {
            // The sample lake is not materialised: the view has no rows.
            assert_eq!(n, 0, "{view}");
        } else {
            assert!(n > 0, "{view} has no rows on the sample lake");
        }
    }
    let opened = number(&ctx, "select opened from conversation_summary").await;
    let closed = number(&ctx, "select closed from conversation_summary").await;
    assert!(
        opened > 100 && closed > 100,
        "{opened} opened, {closed} closed"
    );
    for (view, column) in [
        ("opened_by_source", "conversations"),
        ("opened_by_channel", "conversations"),
        ("opened_by_contact_type", "conversations"),
        ("heatmap_opened", "conversations"),
        ("opened_vs_closed", "opened"),
    ] {
        assert_eq!(
            number(&ctx, &format!("select sum({column}) from {view}")).await,
            opened,
            "{view}"
        );
    }
    for (view, column) in [
        ("closed_by_source", "conversations"),
        ("closed_by_category", "conversations"),
        ("closed_by_contact_type", "conversations"),
        ("heatmap_closed", "conversations"),
        ("opened_vs_closed", "closed"),
    ] {
        assert_eq!(
            number(&ctx, &format!("select sum({column}) from {view}")).await,
            closed,
            "{view}"
        );
    }
    assert_eq!(
        number(&ctx, "select count(*) from conversation_list").await,
        closed
    );
    assert_eq!(
        number(&ctx, "select count(*) from heatmap_opened").await,
        7 * 24
    );
    // Shares of a breakdown add up to one.
    let share = query_csv(
        &ctx,
        "select round(sum(share), 9) as s from opened_by_source",
    )
    .await;
    assert_eq!(share[1], "1.0");
    // No notice: every component has data and no filter is set.
    assert_eq!(
        number(&ctx, "select count(notice) from report_status").await,
        0
    );
}

/// The views are planned when first read (src/views.rs), yet a BI tool
/// listing the tables sees all of them first, and a user's own view of the
/// same name replaces convlake's like any view.
#[tokio::test]
async fn views_are_listed_before_they_are_read_and_a_users_own_replaces_one() {
    let ctx = sample("last_30_days").await;
    let listed = number(
        &ctx,
        "select count(*) from information_schema.tables \
         where table_schema = 'public' and table_type = 'VIEW'",
    )
    .await;
    assert_eq!(listed, convlake::views::VIEWS.len() as i64 + 1); // + report_status
    let error = ctx
        .sql("create view heatmap_opened as select 1 as x")
        .await
        .expect_err("a second heatmap_opened without OR REPLACE is an error");
    assert!(error.to_string().contains("heatmap_opened"), "{error}");
    ctx.sql("create or replace view heatmap_opened as select 42 as answer")
        .await
        .unwrap();
    assert_eq!(number(&ctx, "select answer from heatmap_opened").await, 42);
    ctx.sql("drop view heatmap_opened").await.unwrap();
    assert!(ctx.sql("select * from heatmap_opened").await.is_err());
    // The others still answer, with every view they read.
    assert!(number(&ctx, "select count(*) from opened_by_channel").await > 0);
}

#[tokio::test]
async fn the_period_prunes_files_and_row_groups() {
    let ctx = sample("2026-11-10/2026-11-17").await;
    // The period is folded into literals: 2026-11-10 and 2026-11-17 at
    // midnight in Paris (UTC+1 in November), in µs since the epoch.
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-09T23:00:00Z")
        .unwrap()
        .timestamp_micros();
    let end = chrono::DateTime::parse_from_rfc3339("2026-11-16T23:00:00Z")
        .unwrap()
        .timestamp_micros();
    let plan = query_csv(&ctx, "explain select count(*) from conversation_list")
        .await
        .join("\n");
    assert!(
        plan.contains(&format!("ts@1 >= {start} AND ts@1 < {end}")),
        "{plan}"
    );
    assert!(plan.contains("pruning_predicate="), "{plan}");

    let analyzed = query_csv(
        &ctx,
        "explain analyze select count(*) from conversation_list",
    )
    .await
    .join("\n");
    // The scan of openings and closings: most of the 61 days' files are skipped.
    let pruned: Vec<(u64, u64)> = analyzed
        .match_indices("files_ranges_pruned_statistics=")
        .map(|(i, _)| {
            let rest = &analyzed[i + "files_ranges_pruned_statistics=".len()..];
            let total: u64 = rest.split(' ').next().unwrap().parse().unwrap();
            let matched: u64 = rest
                .split("→ ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            (total, matched)
        })
        .filter(|(total, _)| *total > 50)
        .collect();
    assert!(!pruned.is_empty(), "{analyzed}");
    for (total, matched) in pruned {
        assert!(
            matched * 2 < total,
            "{matched} of {total} events files read for a 7-day period of 61 days"
        );
    }
}

/// The aggregate lines of a plan that compute `function`.
fn aggregates_of<'a>(plan: &'a str, function: &str) -> Vec<&'a str> {
    plan.lines()
        .filter(|l| l.contains("AggregateExec") && l.contains(function))
        .collect()
}

/// The views that join per-contact tables, each checked for the whole lake
/// and for a bounded period.
const PER_CONTACT_VIEWS: [&str; 3] = [
    "conversation_facts",
    "conversation_list",
    "opened_by_contact_type",
];
const PERIODS: [&str; 2] = ["all", "2026-11-10/2026-11-17"];

/// The physical plan of `select * from {view}` on the sample lake.
async fn plan_of(view: &str, period: &str) -> String {
    let ctx = sample(period).await;
    query_csv(&ctx, &format!("explain select * from {view}"))
        .await
        .join("\n")
}

/// The subtrees under the plan line `at`: its children, in order, each the
/// child's line and every deeper line below it.
fn children_of<'a>(lines: &[&'a str], at: usize) -> Vec<Vec<&'a str>> {
    let depth = |l: &str| l.len() - l.trim_start().len();
    let parent = depth(lines[at]);
    let mut children: Vec<Vec<&str>> = Vec::new();
    for &line in lines[at + 1..].iter().take_while(|l| depth(l) > parent) {
        if children.is_empty() || depth(line) <= depth(children.last().unwrap()[0]) {
            children.push(Vec::new());
        }
        children.last_mut().unwrap().push(line);
    }
    children
}

#[tokio::test]
async fn joins_with_per_contact_tables_build_the_contact_side() {
    // The conversations are the probe side: they stream through the
    // per-contact hash tables and are never held in one (on 10M
    // conversations a 30-day list holding them did not finish in 14 min;
    // see src/plan/probe_conversations.rs). On the sample lake DataFusion's own
    // choice for a bounded period was the conversations.
    let per_conversation = |l: &&str| {
        l.contains("AggregateExec") && l.contains("as conversation_id") && l.contains("gby=[")
    };
    let per_contact = |l: &&str| {
        l.contains("AggregateExec") && l.contains("as contact_id") && !per_conversation(l)
    };
    for view in PER_CONTACT_VIEWS {
        for period in PERIODS {
            let plan = plan_of(view, period).await;
            let lines: Vec<&str> = plan.lines().collect();
            let mut contact_joins = 0;
            for (at, line) in lines.iter().enumerate() {
                if !line.contains("HashJoinExec") {
                    continue;
                }
                let sides = children_of(&lines, at);
                assert_eq!(sides.len(), 2, "{view} {period}: {line}");
                let (build, probe) = (&sides[0], &sides[1]);
                if probe.iter().any(per_conversation) && build.iter().any(per_contact) {
                    contact_joins += 1;
                }
                assert!(
                    !(build.iter().any(per_conversation)
                        && probe.iter().any(per_contact)
                        && !probe.iter().any(per_conversation)),
                    "{view} {period}: the conversations are the build side of {line}\n{plan}"
                );
            }
            assert!(contact_joins >= 1, "{view} {period}: {plan}");
        }
    }
}

#[tokio::test]
async fn an_anti_join_on_conversation_ids_builds_the_ids() {
    // The shape of `convlake materialize`'s incremental merge: the old
    // file's rows (a plain scan, no aggregate), joined to a per-contact
    // aggregate, minus the conversations of the new files (a set of ids
    // grouped by conversation). The ids are the build side; the old rows
    // stream. src/plan/probe_conversations.rs once swapped this anti join, as it
    // swaps the outer joins with per-contact tables, and held the whole old
    // file in the hash table (10M rows: 9.4 GB).
    let ctx = convlake::session_context();
    for statement in [
        "create table previous (workspace_id varchar, conversation_id varchar, contact_id varchar, opened_at bigint) \
         as values ('w', 'c1', 'k1', 1), ('w', 'c2', 'k2', 2), ('w', 'c3', 'k1', 3), ('w', 'c4', 'k3', 4)",
        "create table new_events (workspace_id varchar, conversation_id varchar, contact_id varchar, ts bigint) \
         as values ('w', 'c2', 'k2', 5), ('w', 'c5', 'k1', 0)",
    ] {
        ctx.sql(statement).await.unwrap().collect().await.unwrap();
    }
    let merge = "select previous.conversation_id, moved.first_opened_at \
         from (select workspace_id as moved_workspace_id, contact_id as moved_contact_id, \
                 min(ts) as first_opened_at \
             from new_events group by workspace_id, contact_id) as moved \
         right join previous \
             on moved.moved_workspace_id = previous.workspace_id \
             and moved.moved_contact_id = previous.contact_id \
         where not exists (select 1 \
             from (select distinct workspace_id, conversation_id from new_events) as touched \
             where touched.workspace_id = previous.workspace_id \
                 and touched.conversation_id = previous.conversation_id)";
    let plan = query_csv(&ctx, &format!("explain {merge}"))
        .await
        .join("\n");
    let lines: Vec<&str> = plan.lines().collect();
    let anti = lines
        .iter()
        .position(|l| l.contains("HashJoinExec") && l.contains("Anti"))
        .unwrap_or_else(|| panic!("no anti join:\n{plan}"));
    let sides = children_of(&lines, anti);
    assert_eq!(sides.len(), 2, "{plan}");
    let holds_ids = |side: &Vec<&str>| {
        side.iter()
            .any(|l| l.contains("AggregateExec") && l.contains("as conversation_id"))
    };
    assert!(
        holds_ids(&sides[0]) && !holds_ids(&sides[1]),
        "the old rows are the build side of the anti join:\n{plan}"
    );
    // c2 has an event in the new files; c1 and c3 are k1's, whose earliest
    // new opening is at 0; c4's contact has none.
    let rows = query_csv(&ctx, &format!("{merge} order by 1")).await;
    assert_eq!(
        rows,
        ["conversation_id,first_opened_at", "c1,0", "c3,0", "c4,"]
    );
}

#[tokio::test]
async fn per_conversation_aggregates_run_in_one_stage_in_the_files_order() {
    // Whole lake and a bounded period: conversation_metrics is computed
    // once per conversation (SinglePartitioned), on input kept in the
    // files' order (Sorted), never as Partial + Final list states.
    for period in PERIODS {
        let ctx = sample(period).await;
        let plan = query_csv(&ctx, "explain select * from conversation_facts")
            .await
            .join("\n");
        let metrics = aggregates_of(&plan, "conversation_metrics");
        assert_eq!(metrics.len(), 1, "{period}: {plan}");
        assert!(
            metrics[0].contains("mode=SinglePartitioned"),
            "{period}: {plan}"
        );
        assert!(
            metrics[0].contains("ordering_mode=Sorted"),
            "{period}: {plan}"
        );
        // The whole lake reads every conversation without a join on the
        // period's ids.
        assert_eq!(
            plan.contains("RightSemi") || plan.contains("LeftSemi"),
            period != "all",
            "{period}: {plan}"
        );
        // The metrics read every event: no read-ahead buffer below their
        // repartition (memory; see src/plan/single_stage.rs).
        let lines: Vec<&str> = plan.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.contains("AggregateExec") && l.contains("conversation_metrics"))
            .unwrap();
        assert!(
            lines[at + 1].contains("RepartitionExec"),
            "{period}: {plan}"
        );
        assert!(!lines[at + 2].contains("BufferExec"), "{period}: {plan}");
    }
    // The openings' aggregate reads narrow rows: its sorted runs (one file
    // group per core) each read ahead of the order-preserving merge, so the
    // scans do not take turns.
    for period in PERIODS {
        let plan = plan_of("opened_by_channel", period).await;
        let lines: Vec<&str> = plan.lines().collect();
        let merges: Vec<usize> = (0..lines.len())
            .filter(|&i| {
                lines[i].contains("RepartitionExec") && lines[i].contains("preserve_order=true")
            })
            .collect();
        assert!(!merges.is_empty(), "{period}: {plan}");
        for at in merges {
            let one_run = lines[at].contains("input_partitions=1,");
            assert_eq!(
                lines[at + 1].contains("BufferExec"),
                !one_run,
                "{period}: {}\n{plan}",
                lines[at]
            );
        }
    }
    // Per-contact tables (grouped by workspace and contact over events in
    // workspace order) are plain hash aggregates, never PartiallySorted
    // (quadratic in DataFusion 55: see src/plan/single_stage.rs).
    for view in PER_CONTACT_VIEWS {
        for period in PERIODS {
            let plan = plan_of(view, period).await;
            let per_contact: Vec<&str> = plan
                .lines()
                .filter(|l| l.contains("AggregateExec") && l.contains("contact_id@"))
                .filter(|l| l.contains("gby=[workspace_id@"))
                .collect();
            assert!(!per_contact.is_empty(), "{view} {period}: {plan}");
            for aggregate in per_contact {
                assert!(
                    aggregate.contains("mode=SinglePartitioned")
                        && !aggregate.contains("ordering_mode"),
                    "{view} {period}: {aggregate}"
                );
            }
        }
    }
    // An aggregate with an order of its own keeps the plan DataFusion gave
    // it: the dropped workspace order could be the one it relies on.
    let ctx = sample("all").await;
    let plan = query_csv(
        &ctx,
        "explain select workspace_id, channel_id, first_value(event_id order by ts) \
         from events group by workspace_id, channel_id",
    )
    .await
    .join("\n");
    let firsts = aggregates_of(&plan, "first_value");
    assert!(!firsts.is_empty(), "{plan}");
    assert!(
        firsts.iter().all(|a| !a.contains("mode=SinglePartitioned")),
        "{plan}"
    );
    // The openings: earliest (first_value's twin) per conversation, in one
    // stage too.
    let ctx = sample("all").await;
    let plan = query_csv(&ctx, "explain select * from opened_by_channel")
        .await
        .join("\n");
    let firsts = aggregates_of(&plan, "earliest(");
    assert_eq!(firsts.len(), 1, "{plan}");
    assert!(firsts[0].contains("mode=SinglePartitioned"), "{plan}");
}

#[tokio::test]
async fn opened_components_join_only_the_lookups_they_read_and_build_from_them() {
    // conversation_openings joins four lookups, each one row per key: the
    // planner drops those a component reads nothing of (and with them the
    // opening's columns they were joined on), and the ones left build the
    // hash tables while the openings stream through (on 1M openings the
    // joins that held them took 57 MB for 3 workspaces, 72 MB for 19
    // channels).
    let scans = |plan: &str, table: &str| {
        plan.lines()
            .filter(|l| l.contains("DataSourceExec") && l.contains(&format!("/{table}/")))
            .count()
    };
    let cases: [(&str, &str, &[&str], &[&str]); 4] = [
        (
            "heatmap_opened",
            "",
            &["workspaces"],
            &["contacts", "channels"],
        ),
        (
            "opened_by_channel",
            "",
            &["channels"],
            &["contacts", "workspaces"],
        ),
        (
            "opened_by_source",
            "",
            &[],
            &["contacts", "channels", "workspaces"],
        ),
        // A contact type filter needs the contact's first opening and name.
        (
            "heatmap_opened",
            "new",
            &["workspaces", "contacts"],
            &["channels"],
        ),
    ];
    for period in PERIODS {
        for (view, contact_type, joined, dropped) in cases {
            let ctx = sample(period).await;
            let set = format!("set convlake.contact_type = '{contact_type}'");
            ctx.sql(&set).await.unwrap().collect().await.unwrap();
            let plan = query_csv(&ctx, &format!("explain select * from {view}"))
                .await
                .join("\n");
            let case = format!("{view} {period} contact type '{contact_type}'");
            for table in joined {
                assert_eq!(scans(&plan, table), 1, "{case}: {table}\n{plan}");
            }
            for table in dropped {
                assert_eq!(scans(&plan, table), 0, "{case}: {table}\n{plan}");
            }
            if view == "heatmap_opened" && contact_type.is_empty() {
                // Of each opening only its time is read: min(ts), no
                // earliest(channel_id or contact_id, ts, event_id).
                assert!(!plan.contains("earliest("), "{case}\n{plan}");
                assert!(plan.contains("min(events.ts)"), "{case}\n{plan}");
            }
            let lines: Vec<&str> = plan.lines().collect();
            for (at, line) in lines.iter().enumerate() {
                if !line.contains("HashJoinExec") {
                    continue;
                }
                let sides = children_of(&lines, at);
                let (build, probe) = (&sides[0], &sides[1]);
                let reads = |side: &Vec<&str>, table: &str| scans(&side.join("\n"), table) > 0;
                let lookup =
                    |side: &Vec<&str>| reads(side, "workspaces") || reads(side, "channels");
                assert!(
                    !(reads(build, "events") && lookup(probe)),
                    "{case}: the openings are the build side of {line}\n{plan}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_filter_that_does_not_apply_fails_the_component_and_shows_in_report_status() {
    let ctx = sample("last_30_days").await;
    ctx.sql("set convlake.closed_by_team = 'tm0001'")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let err = ctx
        .sql("select * from heatmap_opened")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("filter not applicable here: closed_by_team"),
        "{err}"
    );
    let rows = query_csv(
        &ctx,
        "select component, notice from report_status where notice is not null order by position",
    )
    .await;
    assert_eq!(
        rows,
        [
            "component,notice",
            "opened_vs_closed,filter not applicable here: closed_by_team",
            "heatmap_opened,filter not applicable here: closed_by_team",
            "opened_by_contact_type,filter not applicable here: closed_by_team",
            "opened_by_source,filter not applicable here: closed_by_team",
            "opened_by_channel,filter not applicable here: closed_by_team",
        ]
    );
}

#[test]
fn report_conversations_prints_every_component_on_the_sample_lake() {
    let out = Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args([
            "report",
            "conversations",
            "--period",
            "last_30_days",
            "--tz",
            "Europe/Paris",
        ])
        .env_remove("CONVLAKE_LAKE")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (view, _) in convlake::report::CONVERSATIONS {
        assert!(
            text.contains(&format!("({view})")),
            "{view} missing from\n{text}"
        );
    }
    assert!(
        text.contains("Mon ") && text.contains("Sun "),
        "heat-maps as grids:\n{text}"
    );
    assert!(
        text.contains("select * from conversation_list"),
        "the export command:\n{text}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args([
            "report",
            "conversations",
            "--format",
            "json",
            "--filter",
            "opened_source=paid_ads",
        ])
        .env_remove("CONVLAKE_LAKE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(page["components"].as_object().unwrap().len(), 11);
    let sources = page["components"]["opened_by_source"]["rows"]
        .as_array()
        .unwrap();
    assert!(
        sources.iter().all(|r| r["source"] == "paid_ads"),
        "{sources:?}"
    );
}

#[test]
fn report_rejects_an_unknown_filter_naming_the_flag() {
    let out = Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args(["report", "conversations", "--filter", "colour=blue"])
        .env_remove("CONVLAKE_LAKE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid value for parameter '--filter': unknown filter 'colour'"),
        "{err}"
    );
}

#[tokio::test]
async fn heyday_and_partoo_components_agree_on_the_sample_lake() {
    let ctx = sample("last_30_days").await;
    let sessions = number(&ctx, "select conversations from bot_overview").await;
    let engaged = number(&ctx, "select engaged_conversations from bot_overview").await;
    assert!(
        sessions > 100 && engaged > 50 && engaged < sessions,
        "{sessions} sessions, {engaged} engaged"
    );
    for (sql, expected) in [
        (
            "select total_conversations from bot_conversations_summary",
            sessions,
        ),
        (
            "select sum(active + non_active) from bot_engagement",
            sessions,
        ),
        (
            "select sum(conversations) from conversations_by_channel_support_type",
            sessions,
        ),
        (
            "select engaged_conversations from bot_conversations_summary",
            engaged,
        ),
        ("select sum(active) from bot_engagement", engaged),
        (
            "select sum(engaged_conversations) from conversations_by_channel_support_type",
            engaged,
        ),
        (
            "select sum(engaged_conversations) from activity_heatmap",
            engaged,
        ),
    ] {
        assert_eq!(number(&ctx, sql).await, expected, "{sql}");
    }
    let handovers = number(&ctx, "select sum(total) from handover_requests").await;
    assert!(handovers > 0);
    assert_eq!(
        number(&ctx, "select sum(handover_requests) from activity_heatmap").await,
        handovers
    );
    assert_eq!(
        number(
            &ctx,
            "select successful_transfers from bot_conversations_summary"
        )
        .await,
        number(&ctx, "select sum(successful) from handover_requests").await
    );
    assert_eq!(
        number(&ctx, "select sum(conversations) from closed_by_department").await,
        number(&ctx, "select closed from conversation_summary").await
    );

    // Partoo: each contact belongs to one establishment in the generated lake.
    let customers = number(&ctx, "select customers from active_chats").await;
    assert!(customers > 100);
    assert_eq!(
        number(&ctx, "select sum(customers) from establishment_ranking").await,
        customers
    );
    assert!(
        number(
            &ctx,
            "select sum(customers) from active_chats_breakdown where breakdown = 'platform'"
        )
        .await
            >= customers
    );
    assert_eq!(
        number(&ctx, "select sum(chats) from pickup_delay_heatmap").await,
        number(&ctx, "select opened from conversation_summary").await
    );
    assert_eq!(
        number(&ctx, "select count(*) from pickup_delay_heatmap").await,
        168
    );
    assert_eq!(
        number(&ctx, "select sum(conversations) from first_response_distribution").await,
        number(&ctx, "select count(*) from conversation_facts where opened_in_period and first_response_time_seconds is not null").await
    );
    assert!(number(&ctx, "select count(*) from establishments_to_watch").await > 0);
}

#[test]
fn report_bot_and_chats_print_every_component() {
    for (report, components) in [
        ("bot", &convlake::report::BOT[..]),
        ("chats", &convlake::report::CHATS[..]),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_convlake"))
            .args(["report", report, "--period", "last_30_days"])
            .env_remove("CONVLAKE_LAKE")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        for (view, _) in components {
            assert!(
                text.contains(&format!("({view})")),
                "{view} missing from\n{text}"
            );
        }
    }
}

#[test]
fn closed_by_department_exports_as_csv() {
    let out = Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args([
            "sql",
            "-f",
            "csv",
            "set convlake.as_of = '2026-11-30T12:00:00Z'; set convlake.period = 'last_30_days'; \
             select department, conversations, agents_involved, average_resolution_time from closed_by_department \
             order by conversations desc, department",
        ])
        .env_remove("CONVLAKE_LAKE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("department,conversations,agents_involved,average_resolution_time")
    );
    let rows: Vec<&str> = lines.collect();
    assert!(rows.len() >= 2, "{text}");
    for row in rows {
        let fields: Vec<&str> = row.split(',').collect();
        assert_eq!(fields.len(), 4, "{row}");
        assert!(fields[3].contains(':'), "formatted duration in {row}");
    }
}

#[tokio::test]
async fn openings_skip_the_earlier_check_only_when_no_file_can_hold_an_earlier_opening() {
    // The sample lake starts on 2026-10-01. A period that starts before it
    // has no earlier opening to look for: the anti join against earlier
    // openings goes (src/plan/empty_anti_joins.rs), and with it the hash table
    // of the period's openings. A period inside the lake keeps it.
    let anti_joins = |plan: &str| {
        plan.lines()
            .filter(|l| l.contains("HashJoinExec") && l.contains("Anti"))
            .count()
    };
    for view in ["heatmap_opened", "opened_by_channel"] {
        let plan = plan_of(view, "2026-09-01/2026-10-15").await;
        assert_eq!(anti_joins(&plan), 0, "{view}\n{plan}");
        let plan = plan_of(view, "2026-11-10/2026-11-17").await;
        assert_eq!(anti_joins(&plan), 1, "{view}\n{plan}");
    }
}

/// Every view answers every period preset of SPEC.md §3 (and `all`), with
/// no error: `all` has no previous period for `active_chats_evolution`,
/// whose previous series is then NULL.
async fn every_view_answers(period: &str) {
    let ctx = sample(period).await;
    let views = convlake::views::VIEWS
        .iter()
        .map(|(view, _)| *view)
        .chain(["report_status"]);
    for view in views {
        let result = match ctx.sql(&format!("select * from {view}")).await {
            Ok(df) => df.collect().await.map(|_| ()),
            Err(err) => Err(err),
        };
        if let Err(err) = result {
            panic!("{view} under period '{period}': {err}");
        }
    }
}

macro_rules! every_view_under {
    ($($test:ident: $period:literal),* $(,)?) => {
        $(#[tokio::test]
        async fn $test() {
            every_view_answers($period).await;
        })*
    };
}

every_view_under! {
    every_view_answers_today: "today",
    every_view_answers_yesterday: "yesterday",
    every_view_answers_last_7_days: "last_7_days",
    every_view_answers_last_14_days: "last_14_days",
    every_view_answers_last_30_days: "last_30_days",
    every_view_answers_this_month: "this_month",
    every_view_answers_last_month: "last_month",
    every_view_answers_all: "all",
}

#[tokio::test]
async fn the_evolution_over_all_has_no_previous_series() {
    let ctx = sample("all").await;
    // One bucket per local day with messages, none with a previous count.
    let rows = query_csv(
        &ctx,
        "select count(*) as buckets, count(previous_customers) as previous, \
         min(bucket) as first, sum(case when customers > 0 then 1 else 0 end) as active \
         from active_chats_evolution",
    )
    .await;
    let cells: Vec<&str> = rows[1].split(',').collect();
    assert_eq!(
        cells[1], "0",
        "previous_customers must be NULL for 'all': {rows:?}"
    );
    assert_eq!(cells[0], cells[3], "every bucket has customers: {rows:?}");
    // The same customers as the whole lake's distinct messaging contacts,
    // bucket by bucket: the first day's bucket against the events.
    let first_day = number(
        &ctx,
        "select customers from active_chats_evolution where bucket = timestamp '2026-10-01T00:00:00'",
    )
    .await;
    let from_events = number(
        &ctx,
        "select count(distinct e.workspace_id || '/' || e.contact_id) from events as e \
         left join workspaces as w on w.workspace_id = e.workspace_id \
         where e.event_type = 'message' and date_trunc('day', \
             to_local(e.ts, coalesce(w.timezone, 'Europe/Paris'))) = timestamp '2026-10-01T00:00:00'",
    )
    .await;
    assert_eq!(first_day, from_events);
}
