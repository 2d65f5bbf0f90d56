//! What convlake changes in a client's SQL before datafusion-postgres reads
//! it:
//! - parameters typed as the client bound them: a Parse message may give
//!   each `$n` a type (psycopg, pgJDBC and Npgsql do), which
//!   datafusion-postgres does not plan with, so `select $1` of a boolean
//!   came back as text. Each typed placeholder is wrapped in a cast to its
//!   type, as PostgreSQL types it; untyped ones are still inferred;
//! - `'name'::regproc` as the function's name: datafusion-pg-catalog's
//!   `regproc` columns (`pg_type.typinput`, ...) hold names, but it turns
//!   the literal into an oid, so DBeaver's
//!   `typinput = 'pg_catalog.array_in'::regproc` failed to compare;
//! - a scalar subquery of one column, `(SELECT t.c FROM … WHERE …)`, as
//!   `(SELECT max(t.c) …)`: DataFusion plans a correlated scalar subquery
//!   only when it is aggregated (SQLAlchemy's column listing has two);
//!   PostgreSQL fails when such a subquery gives more than one row, convlake
//!   gives the largest;
//! - `information_schema.columns` read through `pg_data_type()`, so its
//!   `data_type` says `bigint` or `timestamp with time zone`, as
//!   PostgreSQL's does, not DataFusion's Arrow names (`Int64`, ...);
//! - placeholders that datafusion-pg-catalog's rules removed with the
//!   subquery holding them (it turns correlated subqueries of a projection
//!   into NULL) put back in the plan: datafusion-postgres decodes parameter
//!   values by their rank among the plan's placeholders, so a gap gave
//!   each later value the type of another.

use std::ops::ControlFlow;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder, lit, placeholder};
use datafusion::sql::sqlparser::ast::{
    CastKind, DataType, Expr, GroupByExpr, SelectItem, SetExpr, Value, ValueWithSpan,
    visit_expressions_mut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser as SqlParser;
use datafusion_postgres::Parser;
use datafusion_postgres::pgwire;
use pgwire::api::portal::Format;
use pgwire::api::results::FieldInfo;
use pgwire::api::stmt::QueryParser;
use pgwire::api::{ClientInfo, Type};
use pgwire::error::PgWireResult;

/// datafusion-postgres' parser, given the client's parameter types.
pub struct TypedParser {
    pub inner: Arc<Parser>,
}

#[async_trait]
impl QueryParser for TypedParser {
    type Statement = <Parser as QueryParser>::Statement;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let rewritten = rewrite(sql, types);
        let parsed = self
            .inner
            .parse_sql(client, rewritten.as_deref().unwrap_or(sql), types)
            .await?;
        Ok(parsed.map(|(query, planned)| {
            let planned = planned.map(|(statement, plan)| {
                let plan = every_placeholder(plan.clone(), types.len()).unwrap_or(plan);
                (statement, plan)
            });
            (query, planned)
        }))
    }

    fn get_parameter_types(&self, statement: &Self::Statement) -> PgWireResult<Vec<Type>> {
        self.inner.get_parameter_types(statement)
    }

    fn get_result_schema(
        &self,
        statement: &Self::Statement,
        format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        self.inner.get_result_schema(statement, format)
    }
}

/// `sql` rewritten as the module says, with `types` the client's types of
/// its parameters; `None` when nothing changes (or sqlparser cannot read
/// `sql`: the planner then reports why).
pub fn rewrite(sql: &str, types: &[Option<Type>]) -> Option<String> {
    let columns = pg_columns(sql);
    rewrite_statements(columns.as_deref().unwrap_or(sql), types).or(columns)
}

fn rewrite_statements(sql: &str, types: &[Option<Type>]) -> Option<String> {
    let typed = types.iter().flatten().any(|t| sql_type(t).is_some());
    let lower = sql.to_ascii_lowercase();
    let regproc = lower.contains("regproc");
    let subquery = lower.contains("(select");
    if !typed && !regproc && !subquery {
        return None;
    }
    let mut statements = SqlParser::parse_sql(&PostgreSqlDialect {}, sql).ok()?;
    let mut changed = false;
    let _ = visit_expressions_mut(&mut statements, |expr| {
        if let Some(new) = typed_placeholder(expr, types)
            .or_else(|| regproc_name(expr))
            .or_else(|| aggregated_subquery(expr))
        {
            *expr = new;
            changed = true;
        }
        ControlFlow::<()>::Continue(())
    });
    changed.then(|| {
        statements
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(";\n")
    })
}

const PG_COLUMNS: &str = "(SELECT table_catalog, table_schema, table_name, column_name, \
    ordinal_position, column_default, is_nullable, pg_data_type(data_type) AS data_type, \
    character_maximum_length, character_octet_length, numeric_precision, \
    numeric_precision_radix, numeric_scale, datetime_precision, interval_type \
    FROM information_schema.columns)";

/// `information_schema.columns` replaced, in the text, by a subquery giving
/// PostgreSQL's type names; the rest of the text is left as the client
/// wrote it (datafusion-pg-catalog matches some queries token by token).
fn pg_columns(sql: &str) -> Option<String> {
    const NAME: &str = "information_schema.columns";
    // Words after a table that are not its alias.
    const NOT_ALIAS: [&str; 16] = [
        "where", "join", "left", "right", "inner", "full", "cross", "natural", "on", "group",
        "order", "limit", "offset", "union", "having", "window",
    ];
    let lower = sql.to_ascii_lowercase();
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '"';
    let mut out = String::with_capacity(sql.len() + 400);
    let mut rest = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find(NAME) {
        let at = from + found;
        let end = at + NAME.len();
        from = end;
        let before = lower[..at].chars().next_back();
        let after = lower[end..].chars().next();
        if before.is_some_and(|c| ident(c) || c == '.') || after.is_some_and(ident) {
            continue;
        }
        let next: String = lower[end..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let aliased = next == "as" || (!next.is_empty() && !NOT_ALIAS.contains(&next.as_str()));
        out.push_str(&sql[rest..at]);
        out.push_str(PG_COLUMNS);
        if !aliased {
            out.push_str(" AS columns");
        }
        rest = end;
    }
    (rest > 0).then(|| {
        out.push_str(&sql[rest..]);
        out
    })
}

/// `CAST($n AS type)` for a placeholder the client typed.
fn typed_placeholder(expr: &Expr, types: &[Option<Type>]) -> Option<Expr> {
    let Expr::Value(ValueWithSpan {
        value: Value::Placeholder(name),
        ..
    }) = expr
    else {
        return None;
    };
    let n = name.strip_prefix('$')?.parse::<usize>().ok()?;
    let data_type = types.get(n.checked_sub(1)?)?.as_ref().and_then(sql_type)?;
    Some(Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(expr.clone()),
        data_type,
        array: false,
        format: None,
    })
}

/// `'schema.name'::regproc` (or `CAST(... AS regproc)`) as `'name'`.
fn regproc_name(expr: &Expr) -> Option<Expr> {
    let Expr::Cast {
        expr: operand,
        data_type,
        ..
    } = expr
    else {
        return None;
    };
    let type_name = data_type.to_string().to_ascii_lowercase();
    if type_name.trim_start_matches("pg_catalog.") != "regproc" {
        return None;
    }
    let Expr::Value(ValueWithSpan {
        value: Value::SingleQuotedString(name),
        span,
    }) = operand.as_ref()
    else {
        return None;
    };
    let bare = name.rsplit('.').next().unwrap_or(name).trim_matches('"');
    Some(Expr::Value(ValueWithSpan {
        value: Value::SingleQuotedString(bare.to_string()),
        span: *span,
    }))
}

/// `(SELECT max(x) …)` for a scalar subquery `(SELECT x …)` of one column
/// without aggregation, grouping, distinct or limit.
fn aggregated_subquery(expr: &Expr) -> Option<Expr> {
    let Expr::Subquery(query) = expr else {
        return None;
    };
    if query.limit_clause.is_some() || query.fetch.is_some() || query.order_by.is_some() {
        return None;
    }
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let ungrouped = matches!(&select.group_by, GroupByExpr::Expressions(e, _) if e.is_empty());
    if select.projection.len() != 1
        || !ungrouped
        || select.having.is_some()
        || select.distinct.is_some()
    {
        return None;
    }
    let column = match &select.projection[0] {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
        _ => return None,
    };
    if !matches!(column, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
        return None;
    }
    let max = SqlParser::new(&PostgreSqlDialect {})
        .try_with_sql(&format!("max({column})"))
        .ok()?
        .parse_expr()
        .ok()?;
    let mut query = query.clone();
    let SetExpr::Select(select) = query.body.as_mut() else {
        return None;
    };
    select.projection[0] = match &select.projection[0] {
        SelectItem::ExprWithAlias { alias, .. } => SelectItem::ExprWithAlias {
            expr: max,
            alias: alias.clone(),
        },
        _ => SelectItem::UnnamedExpr(max),
    };
    Some(Expr::Subquery(query))
}

/// `plan` holding each of `$1 … $count` (and up to its largest): a filter
/// that is always true, over the placeholders the plan lost. `None` when
/// none is missing, or for a plan that is not a query.
fn every_placeholder(plan: LogicalPlan, count: usize) -> Option<LogicalPlan> {
    if matches!(
        plan,
        LogicalPlan::Ddl(_) | LogicalPlan::Dml(_) | LogicalPlan::Statement(_)
    ) {
        return None;
    }
    let present = plan.get_parameter_types().ok()?;
    let largest = present
        .keys()
        .filter_map(|id| id.strip_prefix('$')?.parse::<usize>().ok())
        .max()
        .unwrap_or(0)
        .max(count);
    let missing = (1..=largest).filter(|n| !present.contains_key(&format!("${n}")));
    let predicate = missing
        .map(|n| placeholder(format!("${n}")).is_null())
        .reduce(|a, b| a.or(b))?
        .or(lit(true));
    LogicalPlanBuilder::from(plan)
        .filter(predicate)
        .ok()?
        .build()
        .ok()
}

/// The SQL type of a parameter the client typed, for the types whose
/// meaning is one column type; dates, times and numerics keep DataFusion's
/// inference from their context.
fn sql_type(pg: &Type) -> Option<DataType> {
    Some(match *pg {
        Type::BOOL => DataType::Boolean,
        Type::INT2 => DataType::SmallInt(None),
        Type::INT4 => DataType::Int(None),
        Type::INT8 => DataType::BigInt(None),
        Type::FLOAT4 => DataType::Real,
        Type::FLOAT8 => DataType::DoublePrecision,
        Type::TEXT | Type::VARCHAR => DataType::Text,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_placeholders_are_cast_untyped_ones_inferred() {
        assert_eq!(
            rewrite(
                "select $1, $2 from t where a = $3",
                &[Some(Type::BOOL), None, Some(Type::INT8)]
            )
            .unwrap(),
            "SELECT CAST($1 AS BOOLEAN), $2 FROM t WHERE a = CAST($3 AS BIGINT)"
        );
        assert_eq!(rewrite("select $1", &[None]), None);
        assert_eq!(rewrite("select $1", &[Some(Type::TIMESTAMPTZ)]), None);
    }

    #[test]
    fn one_column_scalar_subqueries_are_aggregated() {
        assert_eq!(
            rewrite(
                "select a.x, (select t.c as c from t where t.id = a.id) from a",
                &[]
            )
            .unwrap(),
            "SELECT a.x, (SELECT max(t.c) AS c FROM t WHERE t.id = a.id) FROM a"
        );
        // Already aggregated, limited or of an expression: left alone.
        assert_eq!(
            rewrite(
                "select (select count(*) from t where t.id = a.id) from a",
                &[]
            ),
            None
        );
        assert_eq!(
            rewrite("select (select t.c from t limit 1) from a", &[]),
            None
        );
    }

    #[test]
    fn placeholders_a_rule_removed_are_put_back() {
        let ctx = datafusion::prelude::SessionContext::new();
        let plan = futures::executor::block_on(ctx.sql("select $3 + 1 as x"))
            .unwrap()
            .into_unoptimized_plan();
        let plan = every_placeholder(plan, 3).unwrap();
        let mut ids: Vec<String> = plan.get_parameter_types().unwrap().into_keys().collect();
        ids.sort();
        assert_eq!(ids, ["$1", "$2", "$3"]);
        let complete = futures::executor::block_on(ctx.sql("select $1 as x"))
            .unwrap()
            .into_unoptimized_plan();
        assert!(every_placeholder(complete, 1).is_none());
    }

    #[test]
    fn information_schema_columns_names_postgresql_types() {
        let sql = "SELECT c.column_name, c.data_type FROM information_schema.columns c \
                   WHERE c.table_name = 'conversation_list'";
        let out = rewrite(sql, &[]).unwrap();
        assert!(
            out.contains("pg_data_type(data_type) AS data_type"),
            "{out}"
        );
        assert!(
            out.ends_with(
                "FROM information_schema.columns) c WHERE c.table_name = 'conversation_list'"
            ),
            "{out}"
        );
        // Once: the replacement's own information_schema.columns is left.
        assert_eq!(
            out.matches("information_schema.columns").count(),
            1,
            "{out}"
        );
        let bare = rewrite(
            "select data_type from information_schema.columns where true",
            &[],
        )
        .unwrap();
        assert!(bare.ends_with(") AS columns where true"), "{bare}");
        assert!(rewrite("select * from information_schema.columns_x", &[]).is_none());
        assert!(rewrite("select * from my_information_schema.columns", &[]).is_none());
    }

    #[test]
    fn regproc_literals_are_function_names() {
        assert_eq!(
            rewrite(
                "SELECT typinput='pg_catalog.array_in'::regproc FROM pg_type",
                &[]
            )
            .unwrap(),
            "SELECT typinput = 'array_in' FROM pg_type"
        );
        assert_eq!(rewrite("select 'regproc'", &[]), None);
    }
}
