//! The PostgreSQL wire front-end: pgwire's protocol and datafusion-postgres'
//! query handling, with one set of handlers per connection (its own
//! session, built once the user is known), SCRAM-SHA-256 against the users
//! file, TLS required where configured, and every statement through the
//! rules of `session.rs`.

use std::fmt::Debug;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::{ParamValues, ToDFSchema};
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::logical_expr::{EmptyRelation, LogicalPlan};
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::Statement;
use datafusion_postgres::hooks::HookClient;
use datafusion_postgres::hooks::cursor::CursorStatementHook;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::hooks::transactions::TransactionStatementHook;
use datafusion_postgres::pgwire;
use datafusion_postgres::{DfSessionService, QueryHook};
use futures::Sink;
use pgwire::api::auth::noop::NoopStartupHandler;
use pgwire::api::auth::sasl::SASLAuthStartupHandler;
use pgwire::api::auth::sasl::scram::ScramAuth;
use pgwire::api::auth::{
    AuthSource, DefaultServerParameterProvider, LoginInfo, Password, StartupHandler,
};
use pgwire::api::cancel::DefaultCancelHandler;
use pgwire::api::portal::Portal;
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{DataRowEncoder, FieldFormat, FieldInfo, QueryResponse, Response, Tag};
use pgwire::api::store::PortalStore;
use pgwire::api::{
    ClientInfo, ClientPortalStore, ConnectionManager, ErrorHandler, PgWireConnectionState,
    PgWireServerHandlers, Type,
};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

use crate::serve::rewrite::{self, TypedParser};
use crate::serve::session::{self, Principal, Refusal};
use crate::serve::users::{ITERATIONS, Users};

/// What every connection shares: the lake's session, the users (none:
/// anyone, on loopback only), whether TLS is required, cancellations.
pub struct Shared {
    pub base: SessionContext,
    pub users: Option<Arc<Users>>,
    pub tls_required: bool,
    pub connections: Arc<ConnectionManager>,
    /// Bytes each connection's queries may hold before they spill or fail.
    pub memory_limit: Option<usize>,
}

/// The handlers of one connection.
pub struct Connection {
    service: Arc<Service>,
    startup: Arc<Startup>,
    cancel: Arc<DefaultCancelHandler>,
}

impl Connection {
    pub fn new(shared: Arc<Shared>) -> Connection {
        let service = Arc::new(Service {
            session: OnceLock::new(),
            unauthenticated: Arc::new(DfSessionService::new(Arc::new(SessionContext::new()))),
        });
        let sasl = shared.users.as_ref().map(|users| {
            let mut scram = ScramAuth::new(Arc::new(UsersSource {
                users: users.clone(),
            }));
            scram.set_iterations(ITERATIONS);
            SASLAuthStartupHandler::new(Arc::new(parameters()))
                .with_scram(scram)
                .with_connection_manager(shared.connections.clone())
        });
        Connection {
            startup: Arc::new(Startup {
                shared: shared.clone(),
                sasl,
                service: service.clone(),
            }),
            cancel: Arc::new(DefaultCancelHandler::new(shared.connections.clone())),
            service,
        }
    }
}

impl PgWireServerHandlers for Connection {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.service.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.service.clone()
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        self.startup.clone()
    }

    fn error_handler(&self) -> Arc<impl ErrorHandler> {
        Arc::new(SqlStates)
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        self.cancel.clone()
    }
}

/// What the server says of itself on connect: a PostgreSQL 16 version
/// string (SQLAlchemy and others parse it), read-only transactions.
fn parameters() -> DefaultServerParameterProvider {
    let mut parameters = DefaultServerParameterProvider::default();
    parameters.server_version = "16.6".to_string();
    parameters.default_transaction_read_only = true;
    parameters.is_superuser = false;
    parameters
}

/// The users file as pgwire's SCRAM asks for it. An unknown user gets a
/// verifier of no password anyone knows, so the exchange fails at the same
/// step, with the same error (28P01), as a wrong password.
#[derive(Debug)]
struct UsersSource {
    users: Arc<Users>,
}

#[async_trait]
impl AuthSource for UsersSource {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let user = login.user().and_then(|name| self.users.get(name));
        let (salt, salted) = match user.map(|u| u.scram_sha_256.decode()) {
            Some(Ok(verifier)) => verifier,
            _ => {
                let mut noise = [0u8; 48];
                getrandom_02::getrandom(&mut noise)
                    .map_err(|e| PgWireError::ApiError(Box::new(e)))?;
                (noise[..16].to_vec(), noise[16..].to_vec())
            }
        };
        Ok(Password::new(Some(salt), salted))
    }
}

/// Authentication, then the connection's session.
struct Startup {
    shared: Arc<Shared>,
    sasl: Option<SASLAuthStartupHandler<DefaultServerParameterProvider>>,
    service: Arc<Service>,
}

/// With no users file: anyone on this machine, unauthenticated (the
/// server listens on loopback only then).
struct Trust;

#[async_trait]
impl NoopStartupHandler for Trust {}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if matches!(message, PgWireFrontendMessage::Startup(_))
            && self.shared.tls_required
            && !client.is_secure()
        {
            return Err(user_error(
                "FATAL",
                "28000",
                "this server requires TLS: connect with sslmode=require".to_string(),
            ));
        }
        // Bad options refuse the connection before it authenticates, as
        // PostgreSQL does; workspaces are checked once the user is known.
        if let PgWireFrontendMessage::Startup(startup) = &message
            && let Some(options) = startup.parameters.get("options")
        {
            let scratch = SessionContext::new_with_state(
                SessionStateBuilder::new_from_existing(self.shared.base.state()).build(),
            );
            let anyone = Principal {
                user: String::new(),
                workspaces: None,
            };
            apply_startup_options(&scratch, &anyone, options)?;
        }
        match &self.sasl {
            Some(sasl) => sasl.on_startup(client, message).await?,
            None => Trust.on_startup(client, message).await?,
        }
        if matches!(client.state(), PgWireConnectionState::ReadyForQuery)
            && self.service.session.get().is_none()
        {
            let user = client.metadata().get("user").cloned().unwrap_or_default();
            let workspaces = self
                .shared
                .users
                .as_ref()
                .and_then(|users| users.get(&user))
                .map(|u| u.workspaces.clone())
                .filter(|w| !w.is_empty());
            let principal = Principal { user, workspaces };
            let ctx = session::connection_context(
                &self.shared.base,
                &principal,
                self.shared.memory_limit,
            )
            .await
            .map_err(|e| PgWireError::ApiError(Box::new(e)))?;
            let hooks: Vec<Arc<dyn QueryHook>> = vec![
                Arc::new(Rules {
                    principal: principal.clone(),
                }),
                Arc::new(CursorStatementHook),
                Arc::new(SetShowHook),
                Arc::new(TransactionStatementHook),
            ];
            if let Some(options) = client.metadata().get("options").cloned()
                && let Some(ms) = apply_startup_options(&ctx, &principal, &options)?
            {
                client
                    .metadata_mut()
                    .insert("statement_timeout_ms".to_string(), ms.to_string());
            }
            let service = DfSessionService::new_with_hooks(Arc::new(ctx), hooks);
            let _ = self.service.session.set(Arc::new(service));
        }
        Ok(())
    }
}

/// The `-c name=value` settings of the startup packet's `options` (libpq's
/// PGOPTIONS, pgJDBC's `options=`), for tools that cannot send `SET`s:
/// `convlake.*` set in `ctx` as by `SET`; `statement_timeout` returned in
/// milliseconds; other PostgreSQL settings ignored. A refused name or value
/// is a FATAL error: the connection is refused.
fn apply_startup_options(
    ctx: &SessionContext,
    principal: &Principal,
    options: &str,
) -> PgWireResult<Option<u64>> {
    let fatal = |refusal: Refusal| {
        user_error(
            "FATAL",
            refusal.sqlstate,
            format!("in the connection's options: {}", refusal.message),
        )
    };
    let mut timeout = None;
    for (name, value) in startup_options(options) {
        let name = name.to_ascii_lowercase();
        if let Some(parameter) = name.strip_prefix("convlake.") {
            session::set_parameter(ctx, principal, parameter, &value).map_err(fatal)?;
        } else if name == "statement_timeout" {
            timeout = Some(session::timeout_ms(&value).ok_or_else(|| {
                fatal(Refusal {
                    sqlstate: "22023",
                    message: format!(
                        "invalid value for parameter 'statement_timeout': '{value}' (milliseconds, or with ms, s or min)"
                    ),
                })
            })?);
        } else {
            session::check_setting(&name).map_err(fatal)?;
        }
    }
    Ok(timeout)
}

/// `-c a=b --c=d -cx=y` as `[(a, b), (c, d), (x, y)]`; `\ ` is a space in a
/// value, as libpq writes it.
fn startup_options(options: &str) -> Vec<(String, String)> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = options.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => word.extend(chars.next()),
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut settings = Vec::new();
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        let setting = match word.as_str() {
            "-c" => words.next(),
            w if w.starts_with("--") => Some(w[2..].to_string()),
            w if w.starts_with("-c") => Some(w[2..].to_string()),
            _ => None,
        };
        if let Some((name, value)) = setting.as_deref().and_then(|s| s.split_once('=')) {
            settings.push((name.replace('-', "_"), value.to_string()));
        }
    }
    settings
}

/// The query handlers of one connection: its session once authenticated.
struct Service {
    session: OnceLock<Arc<DfSessionService>>,
    /// Answers nothing: what a message before authentication would reach.
    unauthenticated: Arc<DfSessionService>,
}

impl Service {
    fn session(&self) -> &Arc<DfSessionService> {
        self.session.get().unwrap_or(&self.unauthenticated)
    }
}

#[async_trait]
impl SimpleQueryHandler for Service {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let limits = Limits::of(client).await;
        let rewritten = rewrite::rewrite(query, &[]);
        let responses = limits
            .planning(SimpleQueryHandler::do_query(
                self.session().as_ref(),
                client,
                rewritten.as_deref().unwrap_or(query),
            ))
            .await?;
        Ok(responses.into_iter().map(|r| limits.streaming(r)).collect())
    }
}

#[async_trait]
impl ExtendedQueryHandler for Service {
    type Statement = <DfSessionService as ExtendedQueryHandler>::Statement;
    type QueryParser = TypedParser;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        Arc::new(TypedParser {
            inner: self.session().query_parser(),
        })
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let limits = Limits::of(client).await;
        let response = limits
            .planning(ExtendedQueryHandler::do_query(
                self.session().as_ref(),
                client,
                portal,
                max_rows,
            ))
            .await?;
        Ok(limits.streaming(response))
    }
}

/// What ends a running statement, its rows still streaming included: the
/// session's `statement_timeout` (SQLSTATE 57014) and a CancelRequest
/// (psql's Ctrl-C). pgwire watches a cancel only until the first row; the
/// rows' stream takes the connection's cancel over when it starts (not
/// before: pgwire's own watch would see its sender dropped as a cancel).
struct Limits {
    deadline: Option<tokio::time::Instant>,
    handle: Option<Arc<pgwire::api::ConnectionHandle>>,
}

/// A cancel to wait for: the receiver, while it can still fire.
type CancelWatch = Option<futures::channel::oneshot::Receiver<()>>;

impl Limits {
    async fn of<C: ClientInfo>(client: &C) -> Limits {
        let timeout = client
            .metadata()
            .get("statement_timeout_ms")
            .and_then(|ms| ms.parse::<u64>().ok())
            .filter(|ms| *ms > 0)
            .map(std::time::Duration::from_millis);
        Limits {
            deadline: timeout.map(|t| tokio::time::Instant::now() + t),
            handle: client
                .session_extensions()
                .get::<Arc<pgwire::api::ConnectionHandle>>()
                .map(|handle| handle.as_ref().clone()),
        }
    }

    async fn planning<T>(
        &self,
        work: impl std::future::Future<Output = PgWireResult<T>>,
    ) -> PgWireResult<T> {
        match self.deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, work)
                .await
                .unwrap_or_else(|_| Err(timed_out())),
            None => work.await,
        }
    }

    /// `response` with its rows ended by the deadline or a cancel.
    fn streaming(&self, response: Response) -> Response {
        let Response::Query(query) = response else {
            return response;
        };
        let QueryResponse {
            command_tag,
            row_schema,
            data_rows,
            ..
        } = query;
        let (deadline, handle) = (self.deadline, self.handle.clone());
        let start: (Option<_>, Option<CancelWatch>) = (Some(data_rows), None);
        let rows = futures::stream::unfold(start, move |(rows, watch)| {
            let handle = handle.clone();
            async move {
                let mut rows = rows?;
                let mut watch = match (watch, &handle) {
                    (Some(watch), _) => watch,
                    (None, Some(handle)) => Some(handle.start_query().await),
                    (None, None) => None,
                };
                let outcome = {
                    let next = futures::StreamExt::next(&mut rows);
                    let cancelled = async {
                        let fired = match watch.as_mut() {
                            Some(rx) => rx.await.is_ok(),
                            None => false,
                        };
                        if !fired {
                            // No cancel can come any more.
                            std::future::pending::<()>().await;
                        }
                    };
                    let expired = async {
                        match deadline {
                            Some(deadline) => tokio::time::sleep_until(deadline).await,
                            None => std::future::pending::<()>().await,
                        }
                    };
                    tokio::select! {
                        row = next => Ok(row),
                        _ = expired => Err(timed_out()),
                        _ = cancelled => Err(PgWireError::QueryCanceled),
                    }
                };
                match outcome {
                    Ok(Some(row)) => Some((row, (Some(rows), Some(watch)))),
                    Ok(None) => None,
                    Err(stop) => Some((Err(stop), (None, None))),
                }
            }
        });
        let mut limited = QueryResponse::new(row_schema, rows);
        limited.command_tag = command_tag;
        Response::Query(limited)
    }
}

fn timed_out() -> PgWireError {
    user_error(
        "ERROR",
        "57014",
        "canceling statement due to statement timeout".to_string(),
    )
}

/// `session.rs`'s rules on every statement, and convlake's `SET`, `RESET`
/// and `SHOW`, before datafusion-postgres' own hooks see them.
struct Rules {
    principal: Principal,
}

impl Rules {
    /// The answer to `statement` when convlake gives it: a refusal, a
    /// report parameter set, reset or shown. `None` lets it through.
    fn answer(
        &self,
        statement: &Statement,
        ctx: &SessionContext,
    ) -> Option<PgWireResult<Response>> {
        if let Err(refusal) = session::check_statement(statement) {
            return Some(Err(refused(refusal)));
        }
        // Savepoints (SQLAlchemy's nested transactions): nothing to keep or
        // undo on a read-only server.
        if let Some(tag) = savepoint_tag(statement) {
            return Some(Ok(Response::Execution(Tag::new(tag))));
        }
        match statement {
            Statement::Set(set) => {
                let (name, value) = session::convlake_assignment(set)?;
                Some(
                    session::set_parameter(ctx, &self.principal, &name, &value)
                        .map(|()| Response::Execution(Tag::new("SET")))
                        .map_err(refused),
                )
            }
            Statement::Reset(reset) => {
                let names = session::convlake_reset(&reset.reset)?;
                let defaults = session::connection_defaults(&self.principal);
                for name in names {
                    let value = defaults
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default();
                    if let Err(refusal) =
                        session::set_parameter(ctx, &self.principal, &name, &value)
                    {
                        return Some(Err(refused(refusal)));
                    }
                }
                Some(Ok(Response::Execution(Tag::new("RESET"))))
            }
            Statement::ShowVariable { variable } => {
                let (name, parameter) = session::shown_parameter(variable);
                let parameter = parameter?;
                Some(
                    session::parameter_value(ctx, &parameter)
                        .map_err(refused)
                        .and_then(|value| one_value(&name, &value))
                        .map(Response::Query),
                )
            }
            _ => None,
        }
    }

    /// The plan a statement convlake answers itself has at parse time.
    fn parse_plan(&self, statement: &Statement) -> Option<PgWireResult<LogicalPlan>> {
        if let Err(refusal) = session::check_statement(statement) {
            return Some(Err(refused(refusal)));
        }
        let fields = match statement {
            _ if savepoint_tag(statement).is_some() => vec![],
            Statement::Set(set) => {
                session::convlake_assignment(set)?;
                vec![]
            }
            Statement::Reset(reset) => {
                session::convlake_reset(&reset.reset)?;
                vec![]
            }
            Statement::ShowVariable { variable } => {
                let (name, parameter) = session::shown_parameter(variable);
                parameter?;
                vec![Field::new(name, DataType::Utf8, false)]
            }
            _ => return None,
        };
        Some(
            Schema::new(fields)
                .to_dfschema()
                .map(|schema| {
                    LogicalPlan::EmptyRelation(EmptyRelation {
                        produce_one_row: true,
                        schema: Arc::new(schema),
                    })
                })
                .map_err(|e| PgWireError::ApiError(Box::new(e))),
        )
    }
}

#[async_trait]
impl QueryHook for Rules {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        session_context: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        self.answer(statement, session_context)
    }

    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        _session_context: &SessionContext,
        _client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        self.parse_plan(statement)
    }

    async fn handle_extended_query(
        &self,
        statement: &Statement,
        _logical_plan: &LogicalPlan,
        _params: &ParamValues,
        session_context: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        self.answer(statement, session_context)
    }
}

/// The command tag of a savepoint statement, which convlake answers itself.
fn savepoint_tag(statement: &Statement) -> Option<&'static str> {
    match statement {
        Statement::Savepoint { .. } => Some("SAVEPOINT"),
        Statement::ReleaseSavepoint { .. } => Some("RELEASE"),
        Statement::Rollback {
            savepoint: Some(_), ..
        } => Some("ROLLBACK"),
        _ => None,
    }
}

/// One row of one text column.
fn one_value(name: &str, value: &str) -> PgWireResult<QueryResponse> {
    let fields = Arc::new(vec![FieldInfo::new(
        name.to_string(),
        None,
        None,
        Type::TEXT,
        FieldFormat::Text,
    )]);
    let mut encoder = DataRowEncoder::new(fields.clone());
    encoder.encode_field(&Some(value))?;
    let row = encoder.take_row();
    Ok(QueryResponse::new(
        fields,
        Box::pin(futures::stream::once(async move { Ok(row) })),
    ))
}

fn user_error(severity: &str, sqlstate: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        severity.to_string(),
        sqlstate.to_string(),
        message,
    )))
}

fn refused(refusal: Refusal) -> PgWireError {
    user_error("ERROR", refusal.sqlstate, refusal.message)
}

/// Errors as PostgreSQL clients tell them apart: DataFusion's planning and
/// execution errors get the SQLSTATE of their kind, and their causes on one
/// line.
struct SqlStates;

impl ErrorHandler for SqlStates {
    fn on_error<C>(&self, client: &C, error: &mut PgWireError)
    where
        C: ClientInfo,
    {
        // PostgreSQL's words, with the user logging in (SCRAM's own user
        // name is empty), for a wrong password and an unknown user alike.
        if let PgWireError::InvalidPassword(_) = error {
            let user = client.metadata().get("user").cloned().unwrap_or_default();
            *error = user_error(
                "FATAL",
                "28P01",
                format!("password authentication failed for user \"{user}\""),
            );
            return;
        }
        if let PgWireError::ApiError(cause) = error {
            let message = crate::error::chain_of(cause.as_ref());
            *error = user_error("ERROR", sqlstate_of(&message), message);
        }
    }
}

/// The SQLSTATE of a DataFusion error, by what its message says.
fn sqlstate_of(message: &str) -> &'static str {
    let lower = message.to_ascii_lowercase();
    if lower.contains("sql error: parsererror") || lower.contains("syntax error") {
        "42601"
    } else if lower.contains("table '") && lower.contains("not found") {
        "42P01"
    } else if lower.contains("no field named")
        || lower.contains("column '") && lower.contains("not found")
    {
        "42703"
    } else if lower.contains("invalid value for parameter")
        || lower.contains("filter not applicable here")
    {
        "22023"
    } else if lower.contains("resources exhausted") {
        "53200"
    } else if lower.contains("invalid function")
        || lower.contains("function") && lower.contains("not found")
    {
        "42883"
    } else {
        "XX000"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startup_options_are_read_as_libpq_writes_them() {
        assert_eq!(
            startup_options(
                "-c convlake.period=last_30_days  -cconvlake.timezone=Europe/Paris \
                 --statement-timeout=5s -c convlake.filter_x=a\\ b -c"
            ),
            [
                ("convlake.period".into(), "last_30_days".into()),
                ("convlake.timezone".into(), "Europe/Paris".into()),
                ("statement_timeout".into(), "5s".into()),
                ("convlake.filter_x".into(), "a b".into()),
            ]
        );
        assert_eq!(session::timeout_ms("2500"), Some(2500));
        assert_eq!(session::timeout_ms("3s"), Some(3000));
        assert_eq!(session::timeout_ms("2min"), Some(120_000));
        assert_eq!(session::timeout_ms("soon"), None);
        assert_eq!(session::timeout_ms("5h"), None);
    }

    #[test]
    fn errors_get_the_sqlstate_of_their_kind() {
        assert_eq!(
            sqlstate_of("SQL error: ParserError(\"Expected: an SQL statement\")"),
            "42601"
        );
        assert_eq!(
            sqlstate_of("Error during planning: table 'datafusion.public.x' not found"),
            "42P01"
        );
        assert_eq!(sqlstate_of("Schema error: No field named nope."), "42703");
        assert_eq!(
            sqlstate_of("invalid value for parameter 'convlake.period': x"),
            "22023"
        );
        assert_eq!(
            sqlstate_of("Resources exhausted: Failed to allocate"),
            "53200"
        );
        assert_eq!(sqlstate_of("something else"), "XX000");
    }
}
