//! `convlake serve` with the clients users run: psql (Debian's
//! postgresql-client) and psycopg 3, against a server each test starts on
//! 127.0.0.1 and a port the OS picks, and stops.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A running `convlake serve`, stopped (SIGTERM, then kill) when dropped.
struct Server {
    child: Child,
    port: u16,
    /// The Flight SQL listener's, with `--flight-listen`.
    flight: Option<u16>,
}

impl Server {
    /// Starts `convlake serve` on the sample lake with `args`, and waits for
    /// its "listening on" line (at most 60 s).
    // The child is waited for by `stop` or `drop` (`terminate`).
    #[allow(clippy::zombie_processes)]
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_convlake"))
            .args([
                "--lake",
                convlake::SAMPLE_LAKE,
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--grace-seconds",
                "2",
            ])
            .args(args)
            .env_remove("CONVLAKE_LAKE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let port_in = |line: &str, what: &str| {
            let rest = line
                .split(&format!("{what} listening on 127.0.0.1:"))
                .nth(1)?;
            rest.split_whitespace().next()?.parse::<u16>().ok()
        };
        let mut flight = None;
        loop {
            let line = rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("convlake serve did not say where it listens"));
            // Flight SQL's line comes first, when it listens.
            flight = flight.or(port_in(&line, "Flight SQL"));
            if let Some(port) = port_in(&line, "PostgreSQL wire") {
                return Server {
                    child,
                    port,
                    flight,
                };
            }
        }
    }

    /// Sends SIGTERM and waits for the exit (at most 10 s).
    fn stop(mut self) -> std::process::ExitStatus {
        let status = terminate(&mut self.child);
        std::mem::forget(self);
        status
    }
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    child.wait().unwrap()
}

impl Drop for Server {
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}

/// A users file with alice (ws01 only) and admin (every workspace).
fn users(dir: &Path) -> PathBuf {
    let file = dir.join("users.json");
    for (name, password, workspaces) in [
        ("alice", "alice-pass", &["--workspace", "ws01"][..]),
        ("admin", "admin-pass", &[][..]),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_convlake"))
            .args(["user", "add", name, "--users", file.to_str().unwrap()])
            .args(workspaces)
            .env("CONVLAKE_PASSWORD", password)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    file
}

/// psql running `sql` (`-c`, one statement each) as `user`, with
/// verbose errors (SQLSTATEs shown).
fn psql(port: u16, user: &str, password: &str, sslmode: &str, sql: &[&str]) -> Output {
    let mut command = Command::new("psql");
    command
        .args([
            "-X",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-v",
            "VERBOSITY=verbose",
        ])
        .arg(format!(
            "host=127.0.0.1 port={port} user={user} dbname=convlake sslmode={sslmode}"
        ))
        .env("PGPASSWORD", password)
        .env("PGCONNECT_TIMEOUT", "10");
    for statement in sql {
        command.args(["-c", statement]);
    }
    command
        .output()
        .expect("psql (Debian package postgresql-client)")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts that `out` failed and that its stderr names each of `needles`
/// (a SQLSTATE, the words of the refusal).
fn refused(out: &Output, needles: &[&str]) {
    let (_, stderr) = text(out);
    assert!(!out.status.success(), "not refused: {stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle} not in: {stderr}");
    }
}

/// Runs the client script `tests/clients/NAME` with python3 and `args`;
/// it must succeed. Its stdout.
fn python_client(name: &str, args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(name);
    let out = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{name}: {stdout}{stderr}");
    stdout
}

/// conversation_list's columns, as SPEC.md §4 names them (sql/), in order.
fn list_columns() -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args([
            "--lake",
            convlake::SAMPLE_LAKE,
            "sql",
            "-f",
            "csv",
            "select * from conversation_list limit 0",
        ])
        .output()
        .unwrap();
    let header = String::from_utf8(out.stdout).unwrap();
    header.trim().split(',').map(str::to_string).collect()
}

/// What the CLI answers for `sql` on the sample lake, as the one value.
fn cli_value(statements: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args([
            "--lake",
            convlake::SAMPLE_LAKE,
            "sql",
            "-f",
            "csv",
            statements,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string()
}

#[test]
fn psql_authenticates_with_scram_and_reads_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&["--users", users(dir.path()).to_str().unwrap()]);
    let parameters = [
        "set convlake.timezone = 'Europe/Paris'",
        "set convlake.as_of = '2026-11-30T12:00:00Z'",
        "set convlake.period = 'last_30_days'",
    ];
    let mut statements = parameters.to_vec();
    statements.push("show convlake.period");
    statements.push("select opened, closed from conversation_summary");
    statements.push("select version()");
    statements.push("select current_setting('convlake.period')");
    let out = psql(server.port, "admin", "admin-pass", "disable", &statements);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.is_empty() && *l != "SET")
        .collect();
    assert_eq!(lines[0], "last_30_days", "{stdout}");
    // The same answer as the CLI's for the same parameters.
    let cli = cli_value(&format!(
        "{}; select opened, closed from conversation_summary",
        parameters.join("; ")
    ));
    assert_eq!(lines[1].replace('|', ","), cli, "{stdout}");
    assert!(
        lines[2].starts_with("PostgreSQL 16"),
        "version(): {}",
        lines[2]
    );
    assert_eq!(lines[3], "last_30_days", "current_setting: {stdout}");
    // A wrong password and an unknown user: the same refusal, in
    // PostgreSQL's words (SQLSTATE 28P01; libpq does not show codes of a
    // failed connection).
    for (user, password) in [("admin", "wrong"), ("mallory", "admin-pass")] {
        let out = psql(server.port, user, password, "disable", &["select 1"]);
        let (_, stderr) = text(&out);
        assert!(!out.status.success());
        let refusal = format!("FATAL:  password authentication failed for user \"{user}\"");
        assert!(stderr.contains(&refusal), "{user}: {stderr}");
    }
    assert!(server.stop().success());
}

#[test]
fn the_server_is_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&["--users", users(dir.path()).to_str().unwrap()]);
    for (statement, sqlstate) in [
        ("create table t (a int)", "25006"),
        ("create view v as select 1", "25006"),
        ("insert into events select * from events", "25006"),
        ("drop table events", "25006"),
        ("copy events to '/tmp/convlake-copy.csv'", "25006"),
        (
            "create external table x stored as parquet location '/tmp'",
            "25006",
        ),
        ("set datafusion.execution.batch_size = 1", "42501"),
    ] {
        let out = psql(server.port, "admin", "admin-pass", "disable", &[statement]);
        let (_, stderr) = text(&out);
        assert!(!out.status.success(), "accepted: {statement}");
        assert!(stderr.contains(sqlstate), "{statement}: {stderr}");
    }
    assert!(!Path::new("/tmp/convlake-copy.csv").exists());
    // The lake's tables are all still there.
    let out = psql(
        server.port,
        "admin",
        "admin-pass",
        "disable",
        &["select count(*) from information_schema.tables where table_name = 'events'"],
    );
    assert_eq!(text(&out).0.trim(), "1");
}

#[test]
fn a_user_sees_only_their_workspaces_in_every_relation() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&["--users", users(dir.path()).to_str().unwrap()]);
    // Every relation with a workspace_id column, tables and views alike.
    let out = psql(
        server.port,
        "admin",
        "admin-pass",
        "disable",
        &[
            "select table_name from information_schema.columns where column_name = 'workspace_id' and table_schema = 'public' order by 1",
        ],
    );
    let relations: Vec<String> = text(&out)
        .0
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    for expected in [
        "events",
        "contacts",
        "users",
        "teams",
        "channels",
        "establishments",
        "workspaces",
        "conversation_list",
        "conversation_facts",
    ] {
        assert!(
            relations.iter().any(|r| r == expected),
            "{expected} not among {relations:?}"
        );
    }
    let mut statements = vec!["set convlake.period = 'all'".to_string()];
    for relation in &relations {
        statements.push(format!("select '{relation}', count(*) filter (where workspace_id <> 'ws01'), count(*) from {relation}"));
    }
    let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
    let out = psql(server.port, "alice", "alice-pass", "disable", &refs);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let mut seen = 0;
    for line in stdout.lines().filter(|l| l.contains('|')) {
        let cells: Vec<&str> = line.split('|').collect();
        assert_eq!(
            cells[1], "0",
            "{} shows another workspace's rows: {line}",
            cells[0]
        );
        seen += 1;
    }
    assert_eq!(seen, relations.len(), "{stdout}");
    // alice has ws01's events, and admin more.
    let count = |user: &str, password: &str| {
        let out = psql(
            server.port,
            user,
            password,
            "disable",
            &["select count(*) from events"],
        );
        text(&out).0.trim().parse::<u64>().unwrap()
    };
    let (alice, admin) = (count("alice", "alice-pass"), count("admin", "admin-pass"));
    assert!(alice > 0 && alice < admin, "alice {alice}, admin {admin}");
    let ws01 = cli_value("select count(*) from events where workspace_id = 'ws01'");
    assert_eq!(alice.to_string(), ws01);
    // Asking for another workspace is an error, not its rows.
    let out = psql(
        server.port,
        "alice",
        "alice-pass",
        "disable",
        &["set convlake.workspace = 'ws02'"],
    );
    refused(&out, &["42501", "'ws02'"]);
}

#[test]
fn psycopg_keeps_a_session_per_connection() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&["--users", users(dir.path()).to_str().unwrap()]);
    let base =
        "set convlake.timezone = 'Europe/Paris'; set convlake.as_of = '2026-11-30T12:00:00Z'";
    let expected = format!(
        "{{\"opened_all\": {}, \"opened_october\": {}}}",
        cli_value(&format!(
            "{base}; set convlake.period = 'all'; select opened from conversation_summary"
        )),
        cli_value(&format!(
            "{base}; set convlake.period = '2026-10-01/2026-11-01'; select opened from conversation_summary"
        )),
    );
    let stdout = python_client(
        "psycopg_session.py",
        &[
            "127.0.0.1",
            &server.port.to_string(),
            "admin",
            "admin-pass",
            &expected,
        ],
    );
    assert_eq!(stdout.trim(), "ok");
}

#[test]
fn tls_fails_closed() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            // gRPC clients (Go's TLS) read the address from the SAN only.
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let users = users(dir.path());
    let server = Server::start(&[
        "--users",
        users.to_str().unwrap(),
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
        "--flight-listen",
        "127.0.0.1:0",
    ]);
    let out = psql(server.port, "admin", "admin-pass", "require", &["select 1"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout.trim(), "1");
    // A client that does not ask for TLS is refused.
    let out = psql(server.port, "admin", "admin-pass", "disable", &["select 1"]);
    refused(&out, &["requires TLS"]);
    // Flight SQL with the same certificate: TLS or nothing.
    let flight = server.flight.expect("a Flight SQL listener").to_string();
    let stdout = python_client(
        "adbc_tls.py",
        &[&flight, "admin", "admin-pass", cert.to_str().unwrap()],
    );
    assert_eq!(stdout.trim(), "ok");
    drop(server);
    // An unusable certificate stops the server before it listens.
    std::fs::write(&cert, "not a certificate").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args([
            "--lake",
            convlake::SAMPLE_LAKE,
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--users",
        ])
        .arg(&users)
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("--tls-cert") && stderr.contains("cert.pem"),
        "{stderr}"
    );
    assert!(!stderr.contains("listening"), "{stderr}");
    // Off loopback without a users file, nothing listens.
    let out = Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args([
            "--lake",
            convlake::SAMPLE_LAKE,
            "serve",
            "--listen",
            "[::]:0",
        ])
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("--users") && !stderr.contains("listening"),
        "{stderr}"
    );
}

#[test]
fn without_a_users_file_it_serves_loopback_unauthenticated_and_stops_on_sigterm() {
    let server = Server::start(&[]);
    let out = psql(
        server.port,
        "anyone",
        "",
        "disable",
        &["select count(*) > 0 from events"],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout.trim(), "t");
    assert!(server.stop().success());
}

#[test]
fn statement_timeout_and_cancel_end_a_query_while_its_rows_stream() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&["--users", users(dir.path()).to_str().unwrap()]);
    // Far more rows than the timeout lets through: the server ends the
    // stream at 500 ms with 57014, and the connection goes on.
    let started = Instant::now();
    let out = psql(
        server.port,
        "admin",
        "admin-pass",
        "disable",
        &[
            "set statement_timeout = '500ms'",
            "select count(*) from (select value from generate_series(1, 100000000000))",
        ],
    );
    refused(&out, &["57014", "statement timeout"]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    let stdout = python_client(
        "psycopg_cancel.py",
        &["127.0.0.1", &server.port.to_string(), "admin", "admin-pass"],
    );
    assert_eq!(stdout.trim(), "ok");
}

#[test]
fn limits_of_connections_and_memory_are_refusals_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&[
        "--users",
        users(dir.path()).to_str().unwrap(),
        "--max-connections",
        "1",
        "--memory-limit",
        "8MiB",
    ]);
    // A query whose state cannot spill, far past 8 MiB: SQLSTATE 53200, and
    // the connection and the server go on.
    let out = psql(
        server.port,
        "admin",
        "admin-pass",
        "disable",
        &["select cardinality(array_agg(value)) from generate_series(1, 20000000)"],
    );
    refused(&out, &["53200", "Resources exhausted"]);
    // One connection held open (psql waiting on its input) takes the only slot.
    let mut held = Command::new("psql")
        .args(["-X", "-q"])
        .arg(format!(
            "host=127.0.0.1 port={} user=admin dbname=convlake sslmode=disable",
            server.port
        ))
        .env("PGPASSWORD", "admin-pass")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = held.stdin.as_mut().unwrap();
    std::io::Write::write_all(stdin, b"select 'held';\n").unwrap();
    let mut line = String::new();
    BufReader::new(held.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let out = psql(server.port, "admin", "admin-pass", "disable", &["select 1"]);
    refused(&out, &["too many clients"]);
    // The slot comes back when that connection ends.
    drop(held.stdin.take());
    held.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = psql(server.port, "admin", "admin-pass", "disable", &["select 1"]);
        if out.status.success() {
            assert_eq!(text(&out).0.trim(), "1");
            break;
        }
        assert!(Instant::now() < deadline, "{}", text(&out).1);
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn sqlalchemy_and_pandas_connect_list_and_read() {
    let server = Server::start(&[]);
    let base = "set convlake.period = 'last_30_days'; set convlake.timezone = 'Europe/Paris'; \
                set convlake.as_of = '2026-11-30T12:00:00Z'";
    let views: Vec<String> = convlake::views::VIEWS
        .iter()
        .map(|(v, _)| format!("\"{v}\""))
        .chain(["\"report_status\"".to_string()])
        .collect();
    let expected = format!(
        "{{\"views\": [{}], \"tables\": [\"events\", \"contacts\", \"users\", \"teams\", \"channels\", \
         \"establishments\", \"workspaces\"], \"heatmap_sum\": {}, \"list_since\": {}}}",
        views.join(", "),
        cli_value(&format!(
            "{base}; select sum(conversations) from heatmap_opened"
        )),
        cli_value(&format!(
            "{base}; select count(*) from conversation_list where closed_at >= timestamp '2026-11-20T00:00:00Z'"
        )),
    );
    let stdout = python_client(
        "sqlalchemy_session.py",
        &[&server.port.to_string(), &expected],
    );
    assert_eq!(stdout.trim(), "ok");
}

#[test]
fn psql_meta_commands_list_and_describe_the_lake() {
    let server = Server::start(&[]);
    let run = |command: &str| {
        let out = psql(server.port, "anyone", "", "disable", &[command]);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{command}: {stderr}");
        stdout
    };
    // \dt: the seven tables of SPEC.md §1, nothing else.
    let tables: Vec<String> = run("\\dt")
        .lines()
        .filter_map(|l| l.split('|').nth(1).map(str::to_string))
        .collect();
    assert_eq!(
        tables,
        [
            "channels",
            "contacts",
            "establishments",
            "events",
            "teams",
            "users",
            "workspaces"
        ]
    );
    // \dv: every view of sql/ and report_status.
    let views = run("\\dv");
    let listed = views
        .lines()
        .filter(|l| l.ends_with("|view|postgres"))
        .count();
    assert_eq!(listed, convlake::views::VIEWS.len() + 1, "{views}");
    // \d: a view's columns and types.
    let described = run("\\d conversation_summary");
    assert!(
        described.contains("opened|bigint") && described.contains("closed|bigint"),
        "{described}"
    );
}

#[test]
fn pgjdbc_reads_the_metadata_and_runs_a_prepared_statement_ten_times() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&["--users", users(dir.path()).to_str().unwrap()]);
    let expected = cli_value(
        "select count(*) from events where workspace_id = 'ws01' and event_type = 'conversation_opened'",
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/JdbcSession.java");
    let out = Command::new("java")
        .args(["-cp", "/usr/share/java/postgresql.jar"])
        .arg(script)
        .args([&server.port.to_string(), "admin", "admin-pass", &expected])
        .output()
        .expect("java (Debian default-jre-headless) and libpostgresql-jdbc-java");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert_eq!(stdout.trim(), "ok");
}

#[test]
fn every_view_over_the_wire_and_flight_sql_equals_the_cli_answer() {
    let server = Server::start(&["--flight-listen", "127.0.0.1:0"]);
    let views: Vec<&str> = convlake::views::VIEWS
        .iter()
        .map(|(view, _)| *view)
        .chain(["report_status"])
        .collect();
    let port = server.port.to_string();
    let mut args: Vec<&str> = vec![&port, env!("CARGO_BIN_EXE_convlake"), convlake::SAMPLE_LAKE];
    args.extend(views.iter().copied());
    let stdout = python_client("every_view.py", &args);
    assert_eq!(stdout.trim(), format!("ok {}", views.len()));
    // And over Flight SQL, against the CLI's Parquet.
    let flight = server.flight.expect("a Flight SQL listener").to_string();
    args[0] = &flight;
    let stdout = python_client("adbc_every_view.py", &args);
    assert_eq!(stdout.trim(), "ok");
}

#[test]
fn dbeaver_metabase_and_grafana_introspection_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&["--users", users(dir.path()).to_str().unwrap()]);
    let quoted = |names: &mut dyn Iterator<Item = String>| {
        names
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let views = quoted(
        &mut convlake::views::VIEWS
            .iter()
            .map(|(v, _)| v.to_string())
            .chain(["report_status".to_string()]),
    );
    let columns = quoted(&mut list_columns().into_iter());
    let expected = format!(
        "{{\"tables\": [\"events\", \"contacts\", \"users\", \"teams\", \"channels\", \
         \"establishments\", \"workspaces\"], \"views\": [{views}], \"list_columns\": [{columns}]}}"
    );
    let port = server.port.to_string();
    let stdout = python_client(
        "bi_introspection.py",
        &[&port, "alice", "alice-pass", &expected],
    );
    assert_eq!(stdout.trim(), "ok");
}

/// psql connecting with `options` (PGOPTIONS) `options`, running `sql`.
fn psql_with_options(port: u16, options: &str, sql: &str) -> Output {
    Command::new("psql")
        .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .arg(format!(
            "host=127.0.0.1 port={port} user=anyone dbname=convlake sslmode=disable"
        ))
        .env("PGOPTIONS", options)
        .env("PGCONNECT_TIMEOUT", "10")
        .output()
        .expect("psql (Debian package postgresql-client)")
}

#[test]
fn connection_options_set_the_report_parameters_or_refuse_the_connection() {
    let server = Server::start(&[]);
    let out = psql_with_options(
        server.port,
        "-c convlake.period=all -c convlake.timezone=Europe/Paris -c statement_timeout=5s",
        "show convlake.period; show convlake.timezone; show statement_timeout",
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        ["all", "Europe/Paris", "5000ms"]
    );
    // The same answer as a SET of the same parameters.
    let opened = cli_value("set convlake.period = 'all'; select opened from conversation_summary");
    let out = psql_with_options(
        server.port,
        "-c convlake.period=all",
        "select opened from conversation_summary",
    );
    assert_eq!(text(&out).0.trim(), opened);
    // Refusals name the parameter, and no session starts.
    refused(
        &psql_with_options(server.port, "-c convlake.period=last_week", "select 1"),
        &["convlake.period", "connection's options"],
    );
    refused(
        &psql_with_options(server.port, "-c convlake.perod=all", "select 1"),
        &["convlake.perod"],
    );
    refused(
        &psql_with_options(
            server.port,
            "-c datafusion.execution.batch_size=1",
            "select 1",
        ),
        &["datafusion.execution.batch_size", "server's setting"],
    );
    refused(
        &psql_with_options(server.port, "-c statement_timeout=soon", "select 1"),
        &["statement_timeout"],
    );
}

#[test]
fn connection_options_cannot_widen_a_users_workspaces() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&["--users", users(dir.path()).to_str().unwrap()]);
    let connect = |options: &str| {
        Command::new("psql")
            .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-c", "select distinct workspace_id from events"])
            .arg(format!(
                "host=127.0.0.1 port={} user=alice dbname=convlake sslmode=disable",
                server.port
            ))
            .env("PGPASSWORD", "alice-pass")
            .env("PGOPTIONS", options)
            .output()
            .unwrap()
    };
    refused(&connect("-c convlake.workspace=ws02"), &["'ws02'", "alice"]);
    let out = connect("-c convlake.workspace=ws01");
    assert_eq!(text(&out).0.trim(), "ws01", "{}", text(&out).1);
}

#[test]
fn adbc_over_flight_sql_logs_in_keeps_its_session_and_sees_only_its_workspaces() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&[
        "--users",
        users(dir.path()).to_str().unwrap(),
        "--flight-listen",
        "127.0.0.1:0",
    ]);
    let flight = server.flight.expect("a Flight SQL listener").to_string();
    // What the CLI answers for alice's one workspace, the whole lake.
    let sets = "set convlake.period = 'all'; set convlake.timezone = 'Europe/Paris'; \
                set convlake.workspace = 'ws01'";
    let summary = format!(
        "{}, {}",
        cli_value(&format!("{sets}; select opened from conversation_summary")),
        cli_value(&format!("{sets}; select closed from conversation_summary"))
    );
    let columns: Vec<String> = list_columns().iter().map(|c| format!("\"{c}\"")).collect();
    let week = "set convlake.period = 'last_7_days'; set convlake.timezone = 'Europe/Paris'; \
                set convlake.workspace = 'ws01'; set convlake.as_of = '2026-11-30T12:00:00Z'";
    let summary_week = format!(
        "{}, {}",
        cli_value(&format!("{week}; select opened from conversation_summary")),
        cli_value(&format!("{week}; select closed from conversation_summary"))
    );
    let billing = cli_value(&format!(
        "{sets}; select count(*) from conversation_list where category = 'Billing'"
    ));
    assert_ne!(billing, "0", "the sample has Billing conversations in ws01");
    let mut relations: Vec<String> = [
        "events",
        "contacts",
        "users",
        "teams",
        "channels",
        "establishments",
        "workspaces",
    ]
    .iter()
    .map(|t| format!("\"{t}\": \"TABLE\""))
    .collect();
    relations.extend(
        convlake::views::VIEWS
            .iter()
            .map(|(v, _)| format!("\"{v}\": \"VIEW\"")),
    );
    let expected = format!(
        "{{\"summary\": [{summary}], \"summary_week\": [{summary_week}], \"billing\": {billing}, \"relations\": {{{}}}, \"list_columns\": [{}], \"workspaces\": [\"ws01\"]}}",
        relations.join(", "),
        columns.join(", ")
    );
    let stdout = python_client(
        "adbc_session.py",
        &[&flight, "alice", "alice-pass", &expected],
    );
    assert_eq!(stdout.trim(), "ok");
    // A raw Flight client: tickets read once, forged tokens, CloseSession.
    let stdout = python_client("flight_raw.py", &[&flight, "admin", "admin-pass"]);
    assert_eq!(stdout.trim(), "ok");
    assert!(server.stop().success());
}
