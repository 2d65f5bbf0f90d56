//! Arrow Flight SQL on `convlake serve`, over arrow-flight's
//! `FlightSqlService`: the same users, sessions, read-only rule and
//! workspace scoping as the PostgreSQL wire (`session.rs`), with results
//! as Arrow batches. A client logs in with Basic credentials (the users
//! file's SCRAM verifiers checked) and gets a bearer token with a
//! lifetime; its session (report parameters set by `SET convlake.*`) is
//! keyed by that token. A query is planned once, at GetFlightInfo (or
//! CreatePreparedStatement, its `$n` parameters bound by DoPut), and run
//! at DoGet, whose ticket is read once. docs/design.md has the rules.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::{FlightService, FlightServiceServer};
use arrow_flight::sql::metadata::{SqlInfoData, SqlInfoDataBuilder};
use arrow_flight::sql::server::{FlightSqlService, PeekableFlightDataStream};
use arrow_flight::sql::{
    ActionClosePreparedStatementRequest, ActionCreatePreparedStatementRequest,
    ActionCreatePreparedStatementResult, Any, CommandGetCatalogs, CommandGetDbSchemas,
    CommandGetSqlInfo, CommandGetTableTypes, CommandGetTables, CommandPreparedStatementQuery,
    CommandStatementQuery, DoPutPreparedStatementResult, ProstMessageExt, SqlInfo,
    TicketStatementQuery,
};
use arrow_flight::{
    Action, FlightDescriptor, FlightEndpoint, FlightInfo, HandshakeRequest, HandshakeResponse,
    Ticket,
};
use base64::Engine;
use datafusion::arrow::array::{RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::logical_expr::{LogicalPlan, TableType};
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::{DFParser, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::Statement;
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use futures::{Stream, TryStreamExt};
use parking_lot::Mutex;
use prost::Message;
use tonic::{Request, Response, Status, Streaming};

use crate::serve::session::{self, Principal, Refusal};
use crate::serve::users::Users;

/// How long a token (and its session) lives after its last use.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// How long a ticket waits for its DoGet.
const TICKET_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// What the Flight SQL service shares with the PostgreSQL listener.
pub struct FlightShared {
    pub base: SessionContext,
    pub users: Option<Arc<Users>>,
    pub memory_limit: Option<usize>,
    /// Sessions at once; a login beyond them is refused.
    pub max_sessions: usize,
    pub token_lifetime: Duration,
}

/// One logged-in client.
struct FlightSession {
    principal: Principal,
    ctx: SessionContext,
    last_used: Mutex<Instant>,
    /// Statements planned at GetFlightInfo, run at DoGet, by handle, with
    /// when they were planned (a ticket expires).
    pending: Mutex<HashMap<Vec<u8>, (Instant, Pending)>>,
    /// Prepared statements and the parameters last bound to them.
    prepared: Mutex<HashMap<Vec<u8>, Prepared>>,
    /// `SET statement_timeout`: how long a DoGet may stream.
    timeout: Mutex<Option<Duration>>,
}

struct Prepared {
    pending: Pending,
    parameters: Option<datafusion::common::ParamValues>,
}

#[derive(Clone)]
enum Pending {
    Plan(LogicalPlan),
    Rows(RecordBatch),
}

impl Pending {
    /// The schema a client gets: string and binary views as plain strings
    /// and binaries (see `plain_type`).
    fn schema(&self) -> Schema {
        match self {
            Pending::Plan(plan) => plain_schema(plan.schema().as_arrow()),
            Pending::Rows(batch) => plain_schema(batch.schema().as_ref()),
        }
    }
}

/// `Utf8View` as `Utf8`, `BinaryView` as `Binary`, inside lists too. A
/// slice of a view array carries all of its data buffers, and the Flight
/// encoder slices batches to fit gRPC messages, so 854k rows of the list
/// sent as views took 24 GiB before the kernel killed the server; views
/// are also what Flight SQL clients read least well.
fn plain_type(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Utf8View => DataType::Utf8,
        DataType::BinaryView => DataType::Binary,
        DataType::List(field) => DataType::List(Arc::new(
            field
                .as_ref()
                .clone()
                .with_data_type(plain_type(field.data_type())),
        )),
        DataType::LargeList(field) => DataType::LargeList(Arc::new(
            field
                .as_ref()
                .clone()
                .with_data_type(plain_type(field.data_type())),
        )),
        other => other.clone(),
    }
}

fn plain_schema(schema: &Schema) -> Schema {
    Schema::new_with_metadata(
        schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_data_type(plain_type(f.data_type())))
            .collect::<Vec<_>>(),
        schema.metadata().clone(),
    )
}

/// `batch` cast to `schema` (its plain types).
fn plain_batch(
    batch: RecordBatch,
    schema: &SchemaRef,
) -> datafusion::arrow::error::Result<RecordBatch> {
    if batch.schema().fields() == schema.fields() {
        return Ok(batch);
    }
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| datafusion::arrow::compute::cast(column, field.data_type()))
        .collect::<datafusion::arrow::error::Result<Vec<_>>>()?;
    RecordBatch::try_new(schema.clone(), columns)
}

pub struct FlightSql {
    shared: Arc<FlightShared>,
    sessions: Mutex<HashMap<String, Arc<FlightSession>>>,
    info: SqlInfoData,
}

/// The service, ready for tonic's router.
pub fn service(shared: Arc<FlightShared>) -> FlightServiceServer<FlightSql> {
    let mut info = SqlInfoDataBuilder::new();
    info.append(SqlInfo::FlightSqlServerName, "convlake");
    info.append(SqlInfo::FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
    info.append(SqlInfo::FlightSqlServerArrowVersion, "1.3");
    info.append(SqlInfo::FlightSqlServerReadOnly, true);
    let info = info.build().expect("static server info");
    FlightServiceServer::new(FlightSql {
        shared,
        sessions: Mutex::new(HashMap::new()),
        info,
    })
}

fn refused(refusal: Refusal) -> Status {
    Status::permission_denied(format!(
        "{} (SQLSTATE {})",
        refusal.message, refusal.sqlstate
    ))
}

fn internal(err: impl std::fmt::Display) -> Status {
    Status::internal(err.to_string())
}

/// `user:password` of a Basic header, whose base64 may lack its padding
/// (ADBC's Go driver sends it so).
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let encoded = header.strip_prefix("Basic ")?.trim();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let decoded = String::from_utf8(engine.decode(encoded).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// Whether `password` is the one `users` holds a verifier of, for `user`;
/// an unknown user costs the same work as a wrong password.
fn password_ok(users: &Users, user: &str, password: &str) -> bool {
    let known = users.get(user);
    let (salt, salted, iterations) =
        match known.map(|u| (u.scram_sha_256.decode(), u.scram_sha_256.iterations)) {
            Some((Ok((salt, salted)), iterations)) => (salt, salted, iterations),
            _ => (
                vec![0u8; 16],
                vec![1u8; 32],
                crate::serve::users::ITERATIONS,
            ),
        };
    let computed = datafusion_postgres::pgwire::api::auth::sasl::scram::gen_salted_password(
        password, &salt, iterations,
    );
    // Compared in constant time.
    computed.len() == salted.len()
        && computed
            .iter()
            .zip(&salted)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
        && known.is_some()
}

/// The `authorization` header's bearer token, if any.
fn bearer<T>(request: &Request<T>) -> Option<&str> {
    request
        .metadata()
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn anonymous() -> Principal {
    Principal {
        user: "anonymous".into(),
        workspaces: None,
    }
}

fn random_handle() -> Result<Vec<u8>, Status> {
    let mut handle = [0u8; 16];
    getrandom_02::getrandom(&mut handle).map_err(internal)?;
    Ok(handle.to_vec())
}

/// A schema as Flight SQL sends it inside a message: IPC-encapsulated.
fn ipc_schema(schema: &Schema) -> Result<bytes::Bytes, Status> {
    let message: arrow_flight::IpcMessage = arrow_flight::SchemaAsIpc::new(
        schema,
        &datafusion::arrow::ipc::writer::IpcWriteOptions::default(),
    )
    .try_into()
    .map_err(internal)?;
    Ok(message.0)
}

fn random_token() -> Result<String, Status> {
    let mut bytes = [0u8; 32];
    getrandom_02::getrandom(&mut bytes).map_err(internal)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

impl FlightSql {
    /// The session of the request's bearer token; with no users file, of
    /// the client's connection when it sends none.
    async fn session<T>(&self, request: &Request<T>) -> Result<Arc<FlightSession>, Status> {
        if let Some(token) = bearer(request) {
            let mut sessions = self.sessions.lock();
            let found = sessions.get(token.trim()).cloned();
            return match found {
                Some(session)
                    if session.last_used.lock().elapsed() < self.shared.token_lifetime =>
                {
                    *session.last_used.lock() = Instant::now();
                    Ok(session)
                }
                Some(_) => {
                    sessions.remove(token.trim());
                    Err(Status::unauthenticated(
                        "the token has expired: log in again",
                    ))
                }
                None => Err(Status::unauthenticated("unknown token: log in again")),
            };
        }
        if self.shared.users.is_some() {
            return Err(Status::unauthenticated(
                "log in first (Handshake with Basic credentials), then send the token",
            ));
        }
        // No users file (loopback only): a client that never logs in keeps
        // one session per connection, by its address.
        let Some(peer) = request.remote_addr() else {
            return self.new_session(anonymous()).await;
        };
        let key = format!("peer {peer}");
        if let Some(session) = self.sessions.lock().get(&key).cloned() {
            *session.last_used.lock() = Instant::now();
            return Ok(session);
        }
        self.evict();
        let session = self.new_session(anonymous()).await?;
        self.sessions.lock().insert(key, session.clone());
        Ok(session)
    }

    async fn new_session(&self, principal: Principal) -> Result<Arc<FlightSession>, Status> {
        let ctx =
            session::connection_context(&self.shared.base, &principal, self.shared.memory_limit)
                .await
                .map_err(internal)?;
        Ok(Arc::new(FlightSession {
            principal,
            ctx,
            last_used: Mutex::new(Instant::now()),
            pending: Mutex::new(HashMap::new()),
            prepared: Mutex::new(HashMap::new()),
            timeout: Mutex::new(None),
        }))
    }

    /// Drops the sessions whose token has expired.
    fn evict(&self) {
        let lifetime = self.shared.token_lifetime;
        self.sessions
            .lock()
            .retain(|_, s| s.last_used.lock().elapsed() < lifetime);
    }

    /// Plans `sql` for `session`: a refusal, a `SET`/`SHOW` answered at
    /// once, or a plan to run at DoGet.
    async fn plan(&self, session: &FlightSession, sql: &str) -> Result<Pending, Status> {
        let mut statements = DFParser::parse_sql_with_dialect(sql, &PostgreSqlDialect {})
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        if statements.len() != 1 {
            return Err(Status::invalid_argument("send one statement per query"));
        }
        let statement = statements.pop_front().expect("one");
        let DfStatement::Statement(inner) = &statement else {
            if matches!(statement, DfStatement::Explain(_)) {
                return Ok(Pending::Plan(read_only_plan(session, statement).await?));
            }
            return Err(refused(Refusal {
                sqlstate: "25006",
                message: "convlake serve is read-only".into(),
            }));
        };
        let inner: &Statement = inner;
        session::check_statement(inner).map_err(refused)?;
        match inner {
            Statement::Set(set) => {
                if let Some(timeout) = session::timeout_assignment(set) {
                    *session.timeout.lock() = timeout.map_err(refused)?;
                } else if let Some((name, value)) = session::convlake_assignment(set) {
                    session::set_parameter(&session.ctx, &session.principal, &name, &value)
                        .map_err(refused)?;
                }
                // Other allowed SETs (client settings) change nothing here.
                return Ok(Pending::Rows(RecordBatch::new_empty(Arc::new(
                    Schema::empty(),
                ))));
            }
            Statement::ShowVariable { variable } => {
                if let (name, Some(parameter)) = session::shown_parameter(variable) {
                    let value =
                        session::parameter_value(&session.ctx, &parameter).map_err(refused)?;
                    let schema =
                        Arc::new(Schema::new(vec![Field::new(&name, DataType::Utf8, false)]));
                    let batch = RecordBatch::try_new(
                        schema,
                        vec![Arc::new(StringArray::from(vec![value]))],
                    )
                    .map_err(internal)?;
                    return Ok(Pending::Rows(batch));
                }
            }
            _ => {}
        }
        Ok(Pending::Plan(read_only_plan(session, statement).await?))
    }

    /// A FlightInfo whose ticket runs `pending` once, at DoGet.
    fn ticket_for(
        &self,
        session: &FlightSession,
        pending: Pending,
        descriptor: FlightDescriptor,
    ) -> Result<FlightInfo, Status> {
        let schema = pending.schema();
        let handle = random_handle()?;
        let mut waiting = session.pending.lock();
        waiting.retain(|_, (planned, _)| planned.elapsed() < TICKET_LIFETIME);
        waiting.insert(handle.clone(), (Instant::now(), pending));
        drop(waiting);
        let ticket = TicketStatementQuery {
            statement_handle: handle.into(),
        }
        .as_any()
        .encode_to_vec();
        self.info_of(&schema, ticket, descriptor)
    }

    /// The FlightInfo of a metadata command: its ticket is the command.
    async fn metadata_info(
        &self,
        request: Request<FlightDescriptor>,
        schema: &Schema,
        ticket: Vec<u8>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.session(&request).await?;
        Ok(Response::new(self.info_of(
            schema,
            ticket,
            request.into_inner(),
        )?))
    }

    fn info_of(
        &self,
        schema: &Schema,
        ticket: Vec<u8>,
        descriptor: FlightDescriptor,
    ) -> Result<FlightInfo, Status> {
        Ok(FlightInfo::new()
            .try_with_schema(schema)
            .map_err(internal)?
            .with_endpoint(FlightEndpoint::new().with_ticket(Ticket {
                ticket: ticket.into(),
            }))
            .with_descriptor(descriptor))
    }
}

/// `statement`'s plan, refused unless it only reads (DataFusion's own
/// check, after session.rs's on the statement).
async fn read_only_plan(
    session: &FlightSession,
    statement: DfStatement,
) -> Result<LogicalPlan, Status> {
    let plan = session
        .ctx
        .state()
        .statement_to_plan(statement)
        .await
        .map_err(|e| Status::invalid_argument(crate::error::Error::DataFusion(e).chain()))?;
    datafusion::execution::context::SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
        .verify_plan(&plan)
        .map_err(|e| {
            refused(Refusal {
                sqlstate: "25006",
                message: e.to_string(),
            })
        })?;
    Ok(plan)
}

/// Flight's `CloseSessionResult` message.
#[derive(Clone, PartialEq, prost::Message)]
struct CloseSessionResult {
    #[prost(int32, tag = "1")]
    status: i32,
}

type DoGetStream =
    Pin<Box<dyn Stream<Item = Result<arrow_flight::FlightData, Status>> + Send + 'static>>;

/// The rows as Flight data, ended by `timeout` (from the DoGet on) with
/// SQLSTATE 57014's message, as the PostgreSQL wire ends them.
fn encode(
    schema: SchemaRef,
    stream: SendableRecordBatchStream,
    timeout: Option<Duration>,
) -> Response<DoGetStream> {
    let schema: SchemaRef = Arc::new(plain_schema(&schema));
    let plain = schema.clone();
    let batches = stream
        .map_err(|e| FlightError::ExternalError(Box::new(e)))
        .and_then(move |batch| {
            let plain = plain.clone();
            async move { plain_batch(batch, &plain).map_err(FlightError::Arrow) }
        });
    let flight = FlightDataEncoderBuilder::new()
        .with_schema(schema)
        .build(batches)
        .map_err(|e| Status::internal(e.to_string()));
    let Some(timeout) = timeout else {
        return Response::new(Box::pin(flight));
    };
    let deadline = tokio::time::Instant::now() + timeout;
    let timed = futures::stream::unfold(Some(Box::pin(flight)), move |flight| async move {
        let mut flight = flight?;
        match tokio::time::timeout_at(deadline, futures::StreamExt::next(&mut flight)).await {
            Ok(Some(item)) => Some((item, Some(flight))),
            Ok(None) => None,
            Err(_) => Some((
                Err(Status::deadline_exceeded(
                    "canceling statement due to statement timeout (SQLSTATE 57014)",
                )),
                None,
            )),
        }
    });
    Response::new(Box::pin(timed))
}

fn encode_batch(batch: RecordBatch) -> Response<DoGetStream> {
    let schema = batch.schema();
    let stream = futures::stream::once(async move { Ok(batch) });
    let flight = FlightDataEncoderBuilder::new()
        .with_schema(schema)
        .build(stream)
        .map_err(|e| Status::internal(e.to_string()));
    Response::new(Box::pin(flight))
}

#[tonic::async_trait]
impl FlightSqlService for FlightSql {
    type FlightService = FlightSql;

    async fn do_handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<
        Response<Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>>>,
        Status,
    > {
        self.evict();
        let header = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let principal = match (&self.shared.users, basic_credentials(&header)) {
            (Some(users), Some((user, password))) => {
                if !password_ok(users, &user, &password) {
                    return Err(Status::unauthenticated(format!(
                        "password authentication failed for user \"{user}\""
                    )));
                }
                let workspaces = users
                    .get(&user)
                    .map(|u| u.workspaces.clone())
                    .filter(|w| !w.is_empty());
                Principal { user, workspaces }
            }
            (Some(_), None) => {
                return Err(Status::unauthenticated(
                    "send Basic credentials (user and password)",
                ));
            }
            (None, credentials) => Principal {
                user: credentials.map_or("anonymous".into(), |(user, _)| user),
                workspaces: None,
            },
        };
        if self.sessions.lock().len() >= self.shared.max_sessions {
            return Err(Status::resource_exhausted(format!(
                "too many sessions ({}); try again later",
                self.shared.max_sessions
            )));
        }
        let session = self.new_session(principal).await?;
        let token = random_token()?;
        self.sessions.lock().insert(token.clone(), session);
        let bearer = format!("Bearer {token}");
        let answer = HandshakeResponse {
            protocol_version: 0,
            payload: token.into_bytes().into(),
        };
        let mut response: Response<
            Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>>,
        > = Response::new(Box::pin(futures::stream::iter(vec![Ok(answer)])));
        response
            .metadata_mut()
            .insert("authorization", bearer.parse().map_err(internal)?);
        Ok(response)
    }

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let session = self.session(&request).await?;
        let pending = self.plan(&session, &query.query).await?;
        let info = self.ticket_for(&session, pending, request.into_inner())?;
        Ok(Response::new(info))
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let session = self.session(&request).await?;
        let pending = session
            .pending
            .lock()
            .remove(ticket.statement_handle.as_ref())
            .filter(|(planned, _)| planned.elapsed() < TICKET_LIFETIME)
            .map(|(_, pending)| pending)
            .ok_or_else(|| {
                Status::not_found("no such statement: a ticket is read once, within 10 minutes")
            })?;
        match pending {
            Pending::Rows(batch) => Ok(encode_batch(batch)),
            Pending::Plan(plan) => {
                let frame = session.ctx.execute_logical_plan(plan).await.map_err(|e| {
                    Status::invalid_argument(crate::error::Error::DataFusion(e).chain())
                })?;
                let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
                let stream = frame
                    .execute_stream()
                    .await
                    .map_err(|e| Status::internal(crate::error::Error::DataFusion(e).chain()))?;
                let timeout = *session.timeout.lock();
                Ok(encode(schema, stream, timeout))
            }
        }
    }

    async fn get_flight_info_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.into_builder().schema();
        self.metadata_info(request, &schema, query.as_any().encode_to_vec())
            .await
    }

    async fn do_get_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let session = self.session(&request).await?;
        let mut builder = query.into_builder();
        for catalog in session.ctx.catalog_names() {
            builder.append(catalog);
        }
        Ok(encode_batch(builder.build().map_err(internal)?))
    }

    async fn get_flight_info_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder().schema();
        self.metadata_info(request, &schema, query.as_any().encode_to_vec())
            .await
    }

    async fn do_get_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let session = self.session(&request).await?;
        let mut builder = query.into_builder();
        for catalog_name in session.ctx.catalog_names() {
            if let Some(catalog) = session.ctx.catalog(&catalog_name) {
                for schema in catalog.schema_names() {
                    builder.append(&catalog_name, schema);
                }
            }
        }
        Ok(encode_batch(builder.build().map_err(internal)?))
    }

    async fn get_flight_info_tables(
        &self,
        query: CommandGetTables,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder().schema();
        self.metadata_info(request, &schema, query.as_any().encode_to_vec())
            .await
    }

    async fn do_get_tables(
        &self,
        query: CommandGetTables,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let session = self.session(&request).await?;
        let mut builder = query.into_builder();
        for catalog_name in session.ctx.catalog_names() {
            let Some(catalog) = session.ctx.catalog(&catalog_name) else {
                continue;
            };
            for schema_name in catalog.schema_names() {
                let Some(schema) = catalog.schema(&schema_name) else {
                    continue;
                };
                let mut names = schema.table_names();
                names.sort();
                for name in names {
                    let Some(table) = schema.table(&name).await.map_err(internal)? else {
                        continue;
                    };
                    let kind = match table.table_type() {
                        TableType::View => "VIEW",
                        _ => "TABLE",
                    };
                    builder
                        .append(
                            &catalog_name,
                            &schema_name,
                            &name,
                            kind,
                            table.schema().as_ref(),
                        )
                        .map_err(internal)?;
                }
            }
        }
        Ok(encode_batch(builder.build().map_err(internal)?))
    }

    async fn get_flight_info_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.into_builder().schema();
        self.metadata_info(request, &schema, query.as_any().encode_to_vec())
            .await
    }

    async fn do_get_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.session(&request).await?;
        let mut builder = query.into_builder();
        builder.append("TABLE");
        builder.append("VIEW");
        Ok(encode_batch(builder.build().map_err(internal)?))
    }

    async fn get_flight_info_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder(&self.info).schema();
        self.metadata_info(request, &schema, query.as_any().encode_to_vec())
            .await
    }

    async fn do_get_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.session(&request).await?;
        Ok(encode_batch(
            query.into_builder(&self.info).build().map_err(internal)?,
        ))
    }

    async fn do_get_fallback(
        &self,
        _request: Request<Ticket>,
        message: Any,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        Err(Status::unimplemented(format!(
            "convlake does not serve {}",
            message.type_url
        )))
    }

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        let session = self.session(&request).await?;
        let pending = self.plan(&session, &query.query).await?;
        let dataset_schema = ipc_schema(&pending.schema())?;
        // The placeholders `$1`, `$2`, ... with the types the plan infers.
        let mut parameters: Vec<(String, Option<DataType>)> = match &pending {
            Pending::Plan(plan) => plan
                .get_parameter_types()
                .map_err(internal)?
                .into_iter()
                .collect(),
            Pending::Rows(_) => vec![],
        };
        parameters
            .sort_by_key(|(name, _)| name.trim_start_matches('$').parse::<usize>().unwrap_or(0));
        let parameter_schema = Schema::new(
            parameters
                .into_iter()
                .map(|(name, t)| Field::new(name, t.unwrap_or(DataType::Null), true))
                .collect::<Vec<_>>(),
        );
        let handle = random_handle()?;
        session.prepared.lock().insert(
            handle.clone(),
            Prepared {
                pending,
                parameters: None,
            },
        );
        Ok(ActionCreatePreparedStatementResult {
            prepared_statement_handle: handle.into(),
            dataset_schema,
            parameter_schema: ipc_schema(&parameter_schema)?,
        })
    }

    async fn do_put_prepared_statement_query(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<DoPutPreparedStatementResult, Status> {
        let session = self.session(&request).await?;
        let handle = query.prepared_statement_handle.to_vec();
        if !session.prepared.lock().contains_key(&handle) {
            return Err(Status::not_found("no such prepared statement"));
        }
        // The first row of the bound batch: one value per placeholder.
        let flight = request
            .into_inner()
            .map_err(|e| FlightError::Tonic(Box::new(e)));
        let mut batches =
            arrow_flight::decode::FlightRecordBatchStream::new_from_flight_data(flight);
        let mut values = None;
        while let Some(batch) = batches.try_next().await.map_err(internal)? {
            if batch.num_rows() > 0 && values.is_none() {
                values = Some(
                    batch
                        .columns()
                        .iter()
                        .map(|column| datafusion::common::ScalarValue::try_from_array(column, 0))
                        .collect::<datafusion::error::Result<Vec<_>>>()
                        .map_err(internal)?,
                );
            }
        }
        if let Some(prepared) = session.prepared.lock().get_mut(&handle) {
            prepared.parameters = values.map(datafusion::common::ParamValues::from);
        }
        Ok(DoPutPreparedStatementResult {
            prepared_statement_handle: Some(handle.into()),
        })
    }

    async fn get_flight_info_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let session = self.session(&request).await?;
        let (pending, parameters) = {
            let prepared = session.prepared.lock();
            let prepared = prepared
                .get(query.prepared_statement_handle.as_ref())
                .ok_or_else(|| Status::not_found("no such prepared statement"))?;
            (prepared.pending.clone(), prepared.parameters.clone())
        };
        let pending = match (pending, parameters) {
            (Pending::Plan(plan), Some(values)) => {
                Pending::Plan(plan.with_param_values(values).map_err(|e| {
                    Status::invalid_argument(crate::error::Error::DataFusion(e).chain())
                })?)
            }
            (pending, _) => pending,
        };
        let info = self.ticket_for(&session, pending, request.into_inner())?;
        Ok(Response::new(info))
    }

    async fn do_action_close_prepared_statement(
        &self,
        query: ActionClosePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<(), Status> {
        let session = self.session(&request).await?;
        session
            .prepared
            .lock()
            .remove(query.prepared_statement_handle.as_ref());
        Ok(())
    }

    /// CloseSession (Flight's session actions, which arrow-flight 59 has no
    /// types for): the token and its session are dropped.
    async fn do_action_fallback(
        &self,
        request: Request<Action>,
    ) -> Result<Response<<Self as FlightService>::DoActionStream>, Status> {
        if request.get_ref().r#type != "CloseSession" {
            return Err(Status::unimplemented(format!(
                "convlake does not serve the action '{}'",
                request.get_ref().r#type
            )));
        }
        self.session(&request).await?;
        if let Some(token) = bearer(&request) {
            self.sessions.lock().remove(token.trim());
        }
        // CloseSessionResult { status: CLOSED (1) }.
        let closed = CloseSessionResult { status: 1 };
        let body = arrow_flight::Result {
            body: closed.encode_to_vec().into(),
        };
        Ok(Response::new(Box::pin(futures::stream::iter(vec![Ok(
            body,
        )]))))
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service_with(lifetime: Duration) -> FlightSql {
        FlightSql {
            shared: Arc::new(FlightShared {
                base: SessionContext::new(),
                users: Some(Arc::new(Users::default())),
                memory_limit: None,
                max_sessions: 4,
                token_lifetime: lifetime,
            }),
            sessions: Mutex::new(HashMap::new()),
            info: SqlInfoDataBuilder::new().build().unwrap(),
        }
    }

    fn with_token(token: &str) -> Request<()> {
        let mut request = Request::new(());
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        request
    }

    #[test]
    fn basic_credentials_with_or_without_padding() {
        // "alice:pw" is YWxpY2U6cHc= in base64; ADBC's Go driver drops the "=".
        for header in ["Basic YWxpY2U6cHc=", "Basic YWxpY2U6cHc"] {
            assert_eq!(
                basic_credentials(header),
                Some(("alice".into(), "pw".into())),
                "{header}"
            );
        }
        assert_eq!(basic_credentials("Bearer YWxpY2U6cHc="), None);
        assert_eq!(basic_credentials("Basic !!!"), None);
    }

    #[tokio::test]
    async fn unknown_expired_and_missing_tokens_are_refused_and_expired_ones_evicted() {
        let flight = service_with(Duration::from_millis(50));
        let session = flight
            .new_session(Principal {
                user: "alice".into(),
                workspaces: None,
            })
            .await
            .unwrap();
        flight.sessions.lock().insert("good".into(), session);
        assert!(flight.session(&with_token("good")).await.is_ok());
        let unknown = flight.session(&with_token("forged")).await.err().unwrap();
        assert_eq!(unknown.code(), tonic::Code::Unauthenticated);
        let missing = flight.session(&Request::new(())).await.err().unwrap();
        assert_eq!(missing.code(), tonic::Code::Unauthenticated);
        std::thread::sleep(Duration::from_millis(80));
        let expired = flight.session(&with_token("good")).await.err().unwrap();
        assert_eq!(expired.code(), tonic::Code::Unauthenticated);
        assert!(expired.message().contains("expired"));
        assert!(
            flight.sessions.lock().is_empty(),
            "the expired session is dropped"
        );
    }

    #[test]
    fn passwords_are_checked_against_the_verifier() {
        let mut users = Users::default();
        users.users.push(crate::serve::users::User {
            name: "alice".into(),
            workspaces: vec![],
            scram_sha_256: crate::serve::users::Verifier::new("alice-pass").unwrap(),
        });
        assert!(password_ok(&users, "alice", "alice-pass"));
        assert!(!password_ok(&users, "alice", "alice-pas"));
        assert!(!password_ok(&users, "bob", "alice-pass"));
    }
}
