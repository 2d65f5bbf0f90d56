//! Who a client is and what it may do, whatever protocol it speaks: its
//! user and workspaces, a session of its own over the lake (its report
//! parameters stay in it), the rows it may see, the read-only rule and the
//! `SET`s it may send. The PostgreSQL wire (and later Flight SQL) only
//! translate these answers.

use std::sync::Arc;

use datafusion::catalog::view::ViewTable;
use datafusion::catalog::{
    CatalogProvider, MemoryCatalogProvider, MemorySchemaProvider, SchemaProvider,
};
use datafusion::datasource::provider_as_source;
use datafusion::execution::session_state::SessionStateBuilder;
use std::borrow::Cow;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::logical_expr::{
    LogicalPlan, LogicalPlanBuilder, TableProviderFilterPushDown, TableType, col, lit,
};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::{Expr, ObjectName, Reset, Set, SetExpr, Statement, Value};

use convlake_udfs::report_config::ReportConfig;

/// Who is connected: a user of the users file (or anyone, on loopback with
/// no users file), and the workspaces they may see (`None`: all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user: String,
    pub workspaces: Option<Vec<String>>,
}

/// Why a statement is refused: a SQLSTATE and a message that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub sqlstate: &'static str,
    pub message: String,
}

impl Refusal {
    fn new(sqlstate: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            sqlstate,
            message: message.into(),
        }
    }
}

/// SQLSTATE 25006: the server is read-only.
const READ_ONLY: &str = "25006";
/// SQLSTATE 42501: not allowed to this user.
const PRIVILEGE: &str = "42501";
/// SQLSTATE 42704: no such parameter.
const UNDEFINED: &str = "42704";
/// SQLSTATE 22023: a parameter's value is invalid.
const INVALID_VALUE: &str = "22023";

/// The session of one connection of `principal`: the lake's tables and
/// functions as `base` registered them, report parameters of its own, and,
/// for a user bound to workspaces, every table read through a filter on
/// those workspaces, so every view, listing and materialisation over them
/// holds only their rows.
pub async fn connection_context(
    base: &SessionContext,
    principal: &Principal,
    memory_limit: Option<usize>,
) -> datafusion::error::Result<SessionContext> {
    // A memory pool of its own: one connection's query spills or fails
    // alone at the limit, and cannot take the others' memory.
    let mut runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::from_runtime_env(
        base.runtime_env().as_ref(),
    );
    if let Some(limit) = memory_limit {
        runtime = runtime.with_memory_pool(Arc::new(
            datafusion::execution::memory_pool::FairSpillPool::new(limit),
        ));
    }
    let runtime = runtime.build_arc()?;
    let Some(workspaces) = &principal.workspaces else {
        // Tables and views shared with every connection; settings its own.
        let state = SessionStateBuilder::new_from_existing(base.state())
            .with_runtime_env(runtime)
            .build();
        let ctx = SessionContext::new_with_state(state);
        ctx.register_udf(crate::serve::session_user::SessionUser::udf(
            &principal.user,
        ));
        return Ok(ctx);
    };
    let options = base.state().config_options().clone();
    let (catalog_name, schema_name) = (
        options.catalog.default_catalog.clone(),
        options.catalog.default_schema.clone(),
    );
    let schema = MemorySchemaProvider::new();
    if let Some(shared) = base
        .catalog(&catalog_name)
        .and_then(|c| c.schema(&schema_name))
    {
        let in_scope: Vec<_> = workspaces.iter().map(|w| lit(w.as_str())).collect();
        for name in shared.table_names() {
            let Some(table) = shared.table(&name).await? else {
                continue;
            };
            // convlake's views are planned again over the filtered tables.
            if table.table_type() == TableType::View {
                continue;
            }
            let table_type = table.table_type();
            let plan = LogicalPlanBuilder::scan(name.as_str(), provider_as_source(table), None)?
                .filter(col("workspace_id").in_list(in_scope.clone(), false))?
                .build()?;
            schema.register_table(
                name,
                Arc::new(Scoped {
                    view: ViewTable::new(plan, None),
                    table_type,
                }),
            )?;
        }
    }
    let catalog = MemoryCatalogProvider::new();
    catalog.register_schema(&schema_name, Arc::new(schema))?;
    let catalogs = datafusion::catalog::MemoryCatalogProviderList::new();
    datafusion::catalog::CatalogProviderList::register_catalog(
        &catalogs,
        catalog_name,
        Arc::new(catalog),
    );
    let state = SessionStateBuilder::new_from_existing(base.state())
        .with_catalog_list(Arc::new(catalogs))
        .with_runtime_env(runtime)
        .build();
    let ctx = SessionContext::new_with_state(state);
    crate::views::register(&ctx)
        .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
    pg_compatible(&ctx)?;
    ctx.register_udf(crate::serve::session_user::SessionUser::udf(
        &principal.user,
    ));
    // The user's reports cover their workspaces unless they narrow them.
    set_parameter(&ctx, principal, "workspace", &workspaces.join(","))
        .map_err(|r| datafusion::error::DataFusionError::Plan(r.message))?;
    Ok(ctx)
}

/// A table of the lake read through its user's workspace filter: the
/// filtered plan (inlined by DataFusion like a view's, so the filter reaches
/// the Parquet scan), listed as the table it stands for (`\dt`, a BI tool's
/// table list).
#[derive(Debug)]
struct Scoped {
    view: ViewTable,
    table_type: TableType,
}

#[async_trait::async_trait]
impl TableProvider for Scoped {
    fn schema(&self) -> SchemaRef {
        self.view.schema()
    }

    fn table_type(&self) -> TableType {
        self.table_type
    }

    fn get_logical_plan(&self) -> Option<Cow<'_, LogicalPlan>> {
        self.view.get_logical_plan()
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&datafusion::prelude::Expr],
    ) -> datafusion::error::Result<Vec<TableProviderFilterPushDown>> {
        self.view.supports_filters_pushdown(filters)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[datafusion::prelude::Expr],
        limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        self.view.scan(state, projection, filters, limit).await
    }
}

/// What PostgreSQL clients and BI tools read on connect, on `ctx`'s
/// catalog: `pg_catalog` (datafusion-pg-catalog), `version()` as
/// PostgreSQL's, `current_setting()`, `to_regtype()`, `pg_type_is_visible()`,
/// `pg_data_type()`.
pub fn pg_compatible(ctx: &SessionContext) -> datafusion::error::Result<()> {
    let catalog = ctx.state().config_options().catalog.default_catalog.clone();
    datafusion_postgres::datafusion_pg_catalog::setup_pg_catalog(
        ctx,
        &catalog,
        datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider,
    )
    .map_err(|e| *e)?;
    ctx.register_udf(crate::serve::version::Version::udf());
    ctx.register_udf(crate::serve::current_setting::CurrentSetting::udf());
    ctx.register_udf(crate::serve::to_regtype::ToRegtype::udf());
    ctx.register_udf(crate::serve::pg_type_is_visible::PgTypeIsVisible::udf());
    ctx.register_udf(crate::serve::pg_data_type::PgDataType::udf());
    Ok(())
}

/// The read-only rule: queries, `EXPLAIN`, `SHOW`, the `SET`s clients send,
/// transactions and cursors pass; anything that writes, defines or loads is
/// refused.
pub fn check_statement(statement: &Statement) -> Result<(), Refusal> {
    match statement {
        Statement::Query(query) => match query.body.as_ref() {
            SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => {
                Err(read_only(statement))
            }
            _ => Ok(()),
        },
        Statement::Explain { statement, .. } => check_statement(statement),
        Statement::ExplainTable { .. }
        | Statement::ShowVariable { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowViews { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowFunctions { .. }
        | Statement::ShowSchemas { .. }
        | Statement::ShowDatabases { .. }
        | Statement::ShowCatalogs { .. }
        | Statement::ShowCreate { .. }
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. }
        | Statement::Declare { .. }
        | Statement::Fetch { .. }
        | Statement::Close { .. }
        | Statement::Discard { .. }
        | Statement::Deallocate { .. }
        | Statement::Reset(_) => Ok(()),
        Statement::Set(set) => check_set(set),
        _ => Err(read_only(statement)),
    }
}

fn read_only(statement: &Statement) -> Refusal {
    let text = statement.to_string();
    let verb: String = text
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    Refusal::new(
        READ_ONLY,
        format!(
            "convlake is read-only: '{verb}' is not allowed (only SELECT, EXPLAIN, SHOW and SET)"
        ),
    )
}

/// The `SET`s a client may send: convlake's report parameters (checked when
/// applied), the time zone, and the session settings PostgreSQL clients
/// send on connect. DataFusion's own settings are the server's.
fn check_set(set: &Set) -> Result<(), Refusal> {
    let Set::SingleAssignment { variable, .. } = set else {
        return Ok(());
    };
    check_setting(&variable.to_string().to_ascii_lowercase())
}

/// Whether a client may set `name` (lower case): DataFusion's settings are
/// the server's.
pub fn check_setting(name: &str) -> Result<(), Refusal> {
    if name.starts_with("datafusion.") {
        return Err(Refusal::new(
            PRIVILEGE,
            format!(
                "'{name}' is the server's setting; a client may set convlake.* and session settings"
            ),
        ));
    }
    Ok(())
}

/// A `SET` convlake handles itself, and what it sets: `(parameter, value)`
/// with the parameter without its `convlake.` prefix. `SET TIME ZONE` sets
/// the report's time zone. `None` for other settings.
pub fn convlake_assignment(set: &Set) -> Option<(String, String)> {
    match set {
        Set::SingleAssignment {
            variable, values, ..
        } => {
            let name = variable.to_string().to_ascii_lowercase();
            let name = name.strip_prefix("convlake.")?.to_string();
            let value = values.first().map(expr_text).unwrap_or_default();
            Some((name, value))
        }
        Set::SetTimeZone { value, .. } => Some(("timezone".to_string(), expr_text(value))),
        _ => None,
    }
}

/// `SHOW a.b`'s name, lower case, and the report parameter it names
/// (`convlake.period` → `period`), if it names one.
pub fn shown_parameter(
    variable: &[datafusion::sql::sqlparser::ast::Ident],
) -> (String, Option<String>) {
    let name = variable
        .iter()
        .map(|v| v.value.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(".");
    let parameter = name.strip_prefix("convlake.").map(str::to_string);
    (name, parameter)
}

/// `SET statement_timeout = …`: the time a statement may run, checked
/// (`None` for other settings; `Some(Err)` for a value that is not one;
/// 0 is none).
pub fn timeout_assignment(set: &Set) -> Option<Result<Option<std::time::Duration>, Refusal>> {
    let Set::SingleAssignment {
        variable, values, ..
    } = set
    else {
        return None;
    };
    if !variable
        .to_string()
        .eq_ignore_ascii_case("statement_timeout")
    {
        return None;
    }
    let value = values.first().map(expr_text).unwrap_or_default();
    Some(
        timeout_ms(&value)
            .map(|ms| (ms > 0).then(|| std::time::Duration::from_millis(ms)))
            .ok_or_else(|| {
                Refusal::new(
                    INVALID_VALUE,
                    format!(
                        "invalid value for parameter 'statement_timeout': '{value}' (milliseconds, or with ms, s or min)"
                    ),
                )
            }),
    )
}

/// `RESET convlake.x` (or `RESET ALL`): the parameters set back to their
/// defaults, without the prefix; `None` for other parameters.
pub fn convlake_reset(reset: &Reset) -> Option<Vec<String>> {
    match reset {
        Reset::ALL => Some(parameter_names()),
        Reset::ConfigurationParameter(name) => {
            let name = object_name(name);
            Some(vec![name.strip_prefix("convlake.")?.to_string()])
        }
    }
}

fn object_name(name: &ObjectName) -> String {
    name.to_string().to_ascii_lowercase()
}

/// A literal as its text: `'x'` is `x`, `42` is `42`, an identifier its name.
fn expr_text(expr: &Expr) -> String {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        Expr::Identifier(ident) => ident.value.clone(),
        other => other.to_string().trim_matches('\'').to_string(),
    }
}

/// A `statement_timeout` value in milliseconds: `5000`, `5000ms`, `5s`,
/// `1min`; 0 is none.
pub fn timeout_ms(value: &str) -> Option<u64> {
    let value = value.trim();
    let (number, unit) = match value.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => value.split_at(at),
        None => (value, "ms"),
    };
    let scale = match unit.trim() {
        "ms" => 1,
        "s" => 1_000,
        "min" => 60_000,
        _ => return None,
    };
    number.parse::<u64>().ok()?.checked_mul(scale)
}

/// Each parameter's value at the start of `principal`'s connection, for
/// `RESET`: the defaults, and their workspaces.
pub fn connection_defaults(principal: &Principal) -> Vec<(String, String)> {
    use datafusion::config::ExtensionOptions;
    ReportConfig::default()
        .entries()
        .into_iter()
        .map(|e| {
            let name = e.key.trim_start_matches("convlake.").to_string();
            let value = match (&principal.workspaces, name.as_str()) {
                (Some(workspaces), "workspace") => workspaces.join(","),
                _ => e.value.unwrap_or_default(),
            };
            (name, value)
        })
        .collect()
}

/// The names of convlake's report parameters, without the prefix.
pub fn parameter_names() -> Vec<String> {
    use datafusion::config::ExtensionOptions;
    ReportConfig::default()
        .entries()
        .into_iter()
        .map(|e| e.key.trim_start_matches("convlake.").to_string())
        .collect()
}

/// `convlake.<name>` as `ctx` has it.
pub fn parameter_value(ctx: &SessionContext, name: &str) -> Result<String, Refusal> {
    use datafusion::config::ExtensionOptions;
    let config = ReportConfig::from_options(ctx.state().config_options());
    config
        .entries()
        .into_iter()
        .find(|e| e.key.trim_start_matches("convlake.") == name)
        .map(|e| e.value.unwrap_or_default())
        .ok_or_else(|| unknown_parameter(name))
}

fn unknown_parameter(name: &str) -> Refusal {
    Refusal::new(
        UNDEFINED,
        format!(
            "unknown parameter 'convlake.{name}' (known: {})",
            parameter_names().join(", ")
        ),
    )
}

/// Sets `convlake.<name>` to `value` in `ctx`, after checking it as the
/// views will read it: a bad value is an error naming the parameter, and
/// changes nothing. A user bound to workspaces may narrow
/// `convlake.workspace` to some of theirs, never widen it.
pub fn set_parameter(
    ctx: &SessionContext,
    principal: &Principal,
    name: &str,
    value: &str,
) -> Result<(), Refusal> {
    if !parameter_names().iter().any(|p| p == name) {
        return Err(unknown_parameter(name));
    }
    let value = if name == "workspace" {
        scoped_workspaces(principal, value)?
    } else {
        value.to_string()
    };
    let mut options = ctx.state().config_options().as_ref().clone();
    options
        .set(&format!("convlake.{name}"), &value)
        .map_err(|e| Refusal::new(INVALID_VALUE, e.to_string()))?;
    check_parameters(&ReportConfig::from_options(&options))
        .map_err(|e| Refusal::new(INVALID_VALUE, crate::error::Error::DataFusion(e).chain()))?;
    let state = ctx.state_ref();
    let mut state = state.write();
    *state.config_mut().options_mut() = options;
    Ok(())
}

/// `value` for `convlake.workspace` as `principal` may have it: empty is
/// all of theirs.
fn scoped_workspaces(principal: &Principal, value: &str) -> Result<String, Refusal> {
    let Some(allowed) = &principal.workspaces else {
        return Ok(value.to_string());
    };
    let asked: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    if asked.is_empty() {
        return Ok(allowed.join(","));
    }
    if let Some(other) = asked.iter().find(|w| !allowed.iter().any(|a| a == *w)) {
        return Err(Refusal::new(
            PRIVILEGE,
            format!(
                "user '{}' may not see workspace '{other}' (convlake.workspace: {})",
                principal.user,
                allowed.join(", ")
            ),
        ));
    }
    Ok(asked.join(","))
}

/// Every parameter read as the views read it, so a bad value fails the
/// `SET`, not a later query.
fn check_parameters(config: &ReportConfig) -> datafusion::error::Result<()> {
    config.tz()?;
    config.as_of_micros(None)?;
    config.period_micros(None)?;
    config.grain()?;
    config.hour_range()?;
    config.session_gap_seconds()?;
    config.waiting_seconds()?;
    for filter in convlake_udfs::report_config::FILTERS
        .iter()
        .chain(&convlake_udfs::report_config::SITE_FILTERS)
    {
        config.filter(filter)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    use super::*;

    fn statement(sql: &str) -> Statement {
        Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .unwrap()
            .remove(0)
    }

    #[test]
    fn only_reads_pass() {
        for sql in [
            "select 1",
            "explain select * from events",
            "show convlake.period",
            "set convlake.period = 'all'",
            "set time zone 'Europe/Paris'",
            "set extra_float_digits = 3",
            "begin",
            "commit",
            "declare c cursor for select 1",
            "fetch 10 from c",
            "close c",
            "reset convlake.period",
        ] {
            assert_eq!(check_statement(&statement(sql)), Ok(()), "{sql}");
        }
        for sql in [
            "create table t (a int)",
            "create view v as select 1",
            "insert into events select * from events",
            "drop table events",
            "copy events to '/tmp/x.csv'",
            "delete from events",
            "explain insert into events select * from events",
        ] {
            let refusal = check_statement(&statement(sql)).unwrap_err();
            assert_eq!(refusal.sqlstate, "25006", "{sql}");
            assert!(
                refusal.message.contains("read-only"),
                "{sql}: {}",
                refusal.message
            );
        }
        let refusal =
            check_statement(&statement("set datafusion.execution.batch_size = 1")).unwrap_err();
        assert_eq!(refusal.sqlstate, "42501");
    }

    #[test]
    fn a_scoped_user_narrows_but_never_widens_the_workspaces() {
        let alice = Principal {
            user: "alice".into(),
            workspaces: Some(vec!["ws01".into(), "ws02".into()]),
        };
        assert_eq!(scoped_workspaces(&alice, "").unwrap(), "ws01,ws02");
        assert_eq!(scoped_workspaces(&alice, "ws02").unwrap(), "ws02");
        let refusal = scoped_workspaces(&alice, "ws01,ws03").unwrap_err();
        assert_eq!(refusal.sqlstate, "42501");
        assert!(refusal.message.contains("'ws03'"), "{}", refusal.message);
        let admin = Principal {
            user: "admin".into(),
            workspaces: None,
        };
        assert_eq!(scoped_workspaces(&admin, "ws03").unwrap(), "ws03");
    }

    #[test]
    fn set_statements_name_the_parameter() {
        let set = |sql: &str| match statement(sql) {
            Statement::Set(set) => convlake_assignment(&set),
            _ => None,
        };
        assert_eq!(
            set("set convlake.period = 'last_7_days'"),
            Some(("period".into(), "last_7_days".into()))
        );
        assert_eq!(
            set("set time zone 'Europe/Paris'"),
            Some(("timezone".into(), "Europe/Paris".into()))
        );
        assert_eq!(set("set application_name = 'psql'"), None);
        let ctx = crate::plan::session_context();
        let anyone = Principal {
            user: "x".into(),
            workspaces: None,
        };
        let refusal = set_parameter(&ctx, &anyone, "perod", "all").unwrap_err();
        assert_eq!(refusal.sqlstate, "42704");
        assert!(
            refusal.message.contains("'convlake.perod'"),
            "{}",
            refusal.message
        );
        let refusal = set_parameter(&ctx, &anyone, "period", "last_week").unwrap_err();
        assert_eq!(refusal.sqlstate, "22023");
        assert!(
            refusal.message.contains("'convlake.period'"),
            "{}",
            refusal.message
        );
        // A refused value changes nothing.
        assert_eq!(parameter_value(&ctx, "period").unwrap(), "last_7_days");
        set_parameter(&ctx, &anyone, "period", "all").unwrap();
        assert_eq!(parameter_value(&ctx, "period").unwrap(), "all");
    }
}
