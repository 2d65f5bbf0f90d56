//! The report views: one SQL file per view in `sql/`, shipped in the binary
//! and planned when a query first reads them.

use std::collections::BTreeMap;
#[cfg(test)]
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, Weak};

use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, TableProvider, view::ViewTable};
use datafusion::error::{DataFusionError, Result as DFResult};
use datafusion::execution::session_state::SessionState;
use datafusion::optimizer::Analyzer;
use datafusion::optimizer::analyzer::type_coercion::TypeCoercion;
use datafusion::prelude::SessionContext;
use parking_lot::RwLock;

use crate::error::{Error, Result};

/// Every view: its name and its SQL (`sql/<name>.sql`).
pub const VIEWS: [(&str, &str); 36] = [
    (
        "period_conversation_ids",
        include_str!("../sql/period_conversation_ids.sql"),
    ),
    (
        "conversations_from_events",
        include_str!("../sql/conversations_from_events.sql"),
    ),
    (
        "materialised_conversations",
        include_str!("../sql/materialised_conversations.sql"),
    ),
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
        "contact_first_openings",
        include_str!("../sql/contact_first_openings.sql"),
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

/// The view of all the others' status (`sql/report_status.sql`).
const STATUS: (&str, &str) = ("report_status", include_str!("../sql/report_status.sql"));

/// Adds every view to `ctx`'s default schema (after the lake's tables are
/// registered). A view is planned when a query first names it, not here:
/// a query reads one to three of them (docs/performance.md). A user's own
/// table or view of the same name, created later, replaces convlake's.
pub fn register(ctx: &SessionContext) -> Result<()> {
    let options = ctx.state().config_options().clone();
    let catalog_name = &options.catalog.default_catalog;
    let schema_name = &options.catalog.default_schema;
    let catalog = ctx.catalog(catalog_name).ok_or_else(|| {
        DataFusionError::Plan(format!("no catalog {catalog_name} to add the views to"))
    })?;
    let tables = catalog.schema(schema_name).ok_or_else(|| {
        DataFusionError::Plan(format!("no schema {schema_name} to add the views to"))
    })?;
    let views = ViewSchema {
        state: ctx.state_weak_ref(),
        // A lake's table of a view's name (its materialised
        // contact_first_openings, src/materialize/first_openings.rs) is read instead;
        // so is one registered later (materialised_conversations,
        // src/materialize/conversations.rs).
        unplanned: Mutex::new(
            VIEWS
                .iter()
                .copied()
                .chain([STATUS])
                .filter(|(name, _)| !tables.table_exist(name))
                .collect(),
        ),
        tables,
    };
    catalog.register_schema(schema_name, Arc::new(views))?;
    Ok(())
}

/// The default schema with the views not yet planned: `tables` holds the
/// lake's tables, the views planned so far and the user's own.
struct ViewSchema {
    tables: Arc<dyn SchemaProvider>,
    /// The session, to plan a view in (weak: the session holds this schema).
    state: Weak<RwLock<SessionState>>,
    unplanned: Mutex<BTreeMap<&'static str, &'static str>>,
}

impl std::fmt::Debug for ViewSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewSchema")
            .field("tables", &self.tables.table_names())
            .finish_non_exhaustive()
    }
}

impl ViewSchema {
    fn unplanned(&self, name: &str) -> Option<&'static str> {
        self.unplanned.lock().unwrap().get(name).copied()
    }

    /// Plans view `name`: its SQL, then DataFusion's type coercion, as
    /// `CREATE VIEW` does. The views it reads are planned as it names them.
    async fn plan(&self, name: &str, sql: &str) -> DFResult<Arc<dyn TableProvider>> {
        let state = self
            .state
            .upgrade()
            .ok_or_else(|| DataFusionError::Plan(format!("view {name}: the session is gone")))?
            .read()
            .clone();
        let plan = state.create_logical_plan(sql).await?;
        let plan = Analyzer::with_rules(vec![Arc::new(TypeCoercion::new())]).execute_and_check(
            plan,
            state.config_options(),
            |_, _| {},
        )?;
        Ok(Arc::new(ViewTable::new(plan, Some(sql.to_string()))))
    }
}

#[async_trait]
impl SchemaProvider for ViewSchema {
    fn table_names(&self) -> Vec<String> {
        let mut names = self.tables.table_names();
        names.extend(self.unplanned.lock().unwrap().keys().map(|n| n.to_string()));
        names
    }

    async fn table(&self, name: &str) -> DFResult<Option<Arc<dyn TableProvider>>> {
        if let Some(table) = self.tables.table(name).await? {
            return Ok(Some(table));
        }
        let Some(sql) = self.unplanned(name) else {
            return Ok(None);
        };
        // No lock is held while planning: the view's own views come back here.
        let view = self.plan(name, sql).await.map_err(|e| {
            DataFusionError::Context(format!("view {name} (sql/{name}.sql)"), Box::new(e))
        })?;
        // One lock for both: another query never sees it in neither place.
        let registered = self
            .unplanned
            .lock()
            .unwrap()
            .remove(name)
            .map(|_| self.tables.register_table(name.to_string(), view.clone()));
        match registered {
            Some(result) => result.map(|_| Some(view)),
            // Planned meanwhile by another query, or replaced by the user.
            None => self.tables.table(name).await,
        }
    }

    fn register_table(
        &self,
        name: String,
        table: Arc<dyn TableProvider>,
    ) -> DFResult<Option<Arc<dyn TableProvider>>> {
        self.unplanned.lock().unwrap().remove(name.as_str());
        self.tables.register_table(name, table)
    }

    fn deregister_table(&self, name: &str) -> DFResult<Option<Arc<dyn TableProvider>>> {
        self.unplanned.lock().unwrap().remove(name);
        self.tables.deregister_table(name)
    }

    fn table_exist(&self, name: &str) -> bool {
        self.tables.table_exist(name) || self.unplanned(name).is_some()
    }
}

/// A `--filter KEY=VALUE[,VALUE…]` as the report parameter the views read:
/// `(KEY, VALUE…)`, KEY one of the filters of SPEC.md §3.
pub fn filter_parameter(filter: &str) -> Result<(String, String)> {
    let Some((key, value)) = filter.split_once('=') else {
        return Err(Error::Parameter {
            name: "--filter".into(),
            reason: format!("'{filter}' is not KEY=VALUE (e.g. opened_source=paid_ads)"),
        });
    };
    let key = key.trim();
    let known = convlake_udfs::report_config::FILTERS
        .iter()
        .chain(&convlake_udfs::report_config::SITE_FILTERS);
    if !known.clone().any(|f| *f == key) {
        return Err(Error::Parameter {
            name: "--filter".into(),
            reason: format!(
                "unknown filter '{key}' (known: {})",
                known.copied().collect::<Vec<_>>().join(", ")
            ),
        });
    }
    Ok((key.to_string(), value.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let views: BTreeSet<String> = VIEWS
            .iter()
            .chain([&STATUS])
            .map(|(n, _)| n.to_string())
            .collect();
        assert_eq!(files, views);
    }
}
