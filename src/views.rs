//! The report views: one SQL file per view in `sql/`, shipped in the binary
//! and created in the order their references require.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::prelude::SessionContext;
use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::resolve::resolve_table_references;

use crate::error::{Error, Result};

/// Every view: its name and its SQL (`sql/<name>.sql`).
pub const VIEWS: [(&str, &str); 32] = [
    (
        "period_conversations",
        include_str!("../sql/period_conversations.sql"),
    ),
    (
        "conversation_facts",
        include_str!("../sql/conversation_facts.sql"),
    ),
    (
        "conversation_summary",
        include_str!("../sql/conversation_summary.sql"),
    ),
    (
        "opened_vs_closed",
        include_str!("../sql/opened_vs_closed.sql"),
    ),
    ("heatmap_opened", include_str!("../sql/heatmap_opened.sql")),
    ("heatmap_closed", include_str!("../sql/heatmap_closed.sql")),
    (
        "opened_by_contact_type",
        include_str!("../sql/opened_by_contact_type.sql"),
    ),
    (
        "opened_by_source",
        include_str!("../sql/opened_by_source.sql"),
    ),
    (
        "opened_by_channel",
        include_str!("../sql/opened_by_channel.sql"),
    ),
    (
        "closed_by_category",
        include_str!("../sql/closed_by_category.sql"),
    ),
    (
        "closed_by_source",
        include_str!("../sql/closed_by_source.sql"),
    ),
    (
        "closed_by_contact_type",
        include_str!("../sql/closed_by_contact_type.sql"),
    ),
    (
        "conversation_list",
        include_str!("../sql/conversation_list.sql"),
    ),
    ("weekday_hours", include_str!("../sql/weekday_hours.sql")),
    (
        "conversation_openings",
        include_str!("../sql/conversation_openings.sql"),
    ),
    (
        "first_response_distribution",
        include_str!("../sql/first_response_distribution.sql"),
    ),
    ("bot_sessions", include_str!("../sql/bot_sessions.sql")),
    ("bot_overview", include_str!("../sql/bot_overview.sql")),
    ("bot_engagement", include_str!("../sql/bot_engagement.sql")),
    (
        "messages_by_sender",
        include_str!("../sql/messages_by_sender.sql"),
    ),
    (
        "handover_requests",
        include_str!("../sql/handover_requests.sql"),
    ),
    (
        "bot_conversations_summary",
        include_str!("../sql/bot_conversations_summary.sql"),
    ),
    (
        "conversations_by_channel_support_type",
        include_str!("../sql/conversations_by_channel_support_type.sql"),
    ),
    (
        "closed_by_department",
        include_str!("../sql/closed_by_department.sql"),
    ),
    (
        "activity_heatmap",
        include_str!("../sql/activity_heatmap.sql"),
    ),
    ("site_messages", include_str!("../sql/site_messages.sql")),
    ("active_chats", include_str!("../sql/active_chats.sql")),
    (
        "active_chats_breakdown",
        include_str!("../sql/active_chats_breakdown.sql"),
    ),
    (
        "active_chats_evolution",
        include_str!("../sql/active_chats_evolution.sql"),
    ),
    (
        "establishment_ranking",
        include_str!("../sql/establishment_ranking.sql"),
    ),
    (
        "establishments_to_watch",
        include_str!("../sql/establishments_to_watch.sql"),
    ),
    (
        "pickup_delay_heatmap",
        include_str!("../sql/pickup_delay_heatmap.sql"),
    ),
];

/// The view of `report_status` is created last: it reads the others.
const STATUS: (&str, &str) = ("report_status", include_str!("../sql/report_status.sql"));

/// The views in an order where each comes after every view it reads.
pub fn creation_order() -> Result<Vec<(&'static str, &'static str)>> {
    let all: Vec<(&str, &str)> = VIEWS.iter().copied().chain([STATUS]).collect();
    let names: BTreeSet<&str> = all.iter().map(|(n, _)| *n).collect();
    let mut depends: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (name, sql) in &all {
        let statement = parse_one(name, sql)?;
        let Statement::Statement(statement) = statement else {
            return Err(view_error(name, "is not a query"));
        };
        let (tables, _ctes) = resolve_table_references(&Statement::Statement(statement), true)?;
        let refs = tables
            .into_iter()
            .map(|t| t.table().to_string())
            .filter(|t| names.contains(t.as_str()) && t != name)
            .collect();
        depends.insert(name, refs);
    }
    let mut order = Vec::new();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    while done.len() < all.len() {
        let ready: Vec<(&str, &str)> = all
            .iter()
            .filter(|(n, _)| {
                !done.contains(n) && depends[n].iter().all(|d| done.contains(d.as_str()))
            })
            .copied()
            .collect();
        if ready.is_empty() {
            return Err(view_error("views", "reference each other in a cycle"));
        }
        for view in ready {
            done.insert(view.0);
            order.push(view);
        }
    }
    Ok(order)
}

fn parse_one(name: &str, sql: &str) -> Result<Statement> {
    let mut statements = DFParser::parse_sql(sql).map_err(|e| view_error(name, &e.to_string()))?;
    match (statements.pop_front(), statements.is_empty()) {
        (Some(statement), true) => Ok(statement),
        _ => Err(view_error(name, "must hold exactly one query")),
    }
}

fn view_error(name: &str, reason: &str) -> Error {
    Error::Parameter {
        name: format!("sql/{name}.sql"),
        reason: reason.to_string(),
    }
}

/// Creates every view on `ctx` (after the lake's tables are registered).
pub async fn register(ctx: &SessionContext) -> Result<()> {
    for (name, sql) in creation_order()? {
        ctx.sql(&format!("create or replace view {name} as {sql}"))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_view_comes_after_the_views_it_reads() {
        let order: Vec<&str> = creation_order()
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let pos = |v: &str| order.iter().position(|n| *n == v).unwrap();
        assert!(pos("period_conversations") < pos("conversation_facts"));
        assert!(pos("conversation_facts") < pos("conversation_list"));
        assert!(pos("conversation_facts") < pos("report_status"));
        assert_eq!(order.len(), VIEWS.len() + 1);
    }

    #[test]
    fn every_sql_file_is_registered() {
        let files: BTreeSet<String> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/sql"))
                .unwrap()
                .map(|e| {
                    e.unwrap()
                        .path()
                        .file_stem()
                        .unwrap()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
        let views: BTreeSet<String> = creation_order()
            .unwrap()
            .into_iter()
            .map(|(n, _)| n.to_string())
            .collect();
        assert_eq!(files, views);
    }
}
