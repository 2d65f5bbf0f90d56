//! `convlake serve`: checks its configuration before it listens (TLS files,
//! who may connect from where), then accepts PostgreSQL connections until
//! SIGTERM or Ctrl-C, giving running ones a grace period.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use datafusion::prelude::SessionContext;
use datafusion_postgres::pgwire;
use pgwire::api::ConnectionManager;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{Error, Result};
use crate::serve::postgres::{Connection, Shared};
use crate::serve::users::Users;

/// How `convlake serve` runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where the PostgreSQL listener binds.
    pub listen: SocketAddr,
    /// The users file; none: anyone, unauthenticated, on loopback only.
    pub users: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Listen off loopback without TLS.
    pub allow_plaintext: bool,
    /// How long running connections have to finish once told to stop.
    pub grace: Duration,
    /// Bytes one connection's query may hold before it spills, then fails.
    pub memory_limit: Option<usize>,
    /// Connections at once; one more is refused with SQLSTATE 53300. Also
    /// the Flight SQL sessions at once.
    pub max_connections: usize,
    /// Where the Arrow Flight SQL listener binds, if at all.
    pub flight_listen: Option<SocketAddr>,
}

/// Refuses what would be insecure, before anything listens: no users file
/// off loopback; no TLS off loopback unless `--allow-plaintext`; one of
/// cert and key alone.
pub fn check(options: &ServeOptions) -> Result<()> {
    let loopback = options.listen.ip().is_loopback();
    let refuse = |name: &str, reason: String| {
        Err(Error::Parameter {
            name: name.into(),
            reason,
        })
    };
    match (&options.tls_cert, &options.tls_key) {
        (Some(_), None) => return refuse("--tls-key", "--tls-cert needs --tls-key".into()),
        (None, Some(_)) => return refuse("--tls-cert", "--tls-key needs --tls-cert".into()),
        _ => {}
    }
    if !loopback && options.users.is_none() {
        return refuse(
            "--listen",
            format!(
                "{} is not a loopback address: give --users (convlake user add) so that clients authenticate",
                options.listen
            ),
        );
    }
    if let Some(flight) = options.flight_listen {
        if !flight.ip().is_loopback() && options.users.is_none() {
            return refuse(
                "--flight-listen",
                format!(
                    "{flight} is not a loopback address: give --users so that clients authenticate"
                ),
            );
        }
        if !flight.ip().is_loopback() && options.tls_cert.is_none() && !options.allow_plaintext {
            return refuse(
                "--flight-listen",
                format!(
                    "{flight} is not a loopback address: give --tls-cert and --tls-key (or --allow-plaintext)"
                ),
            );
        }
    }
    if !loopback && options.tls_cert.is_none() && !options.allow_plaintext {
        return refuse(
            "--listen",
            format!(
                "{} is not a loopback address: give --tls-cert and --tls-key (or --allow-plaintext)",
                options.listen
            ),
        );
    }
    Ok(())
}

/// The TLS acceptor of `cert` and `key` (PEM); any problem is an error
/// naming the file, never a server without TLS.
pub fn tls_acceptor(cert: &PathBuf, key: &PathBuf) -> Result<TlsAcceptor> {
    let bad = |name: &str, path: &PathBuf, reason: String| Error::Parameter {
        name: name.into(),
        reason: format!("'{}': {reason}", path.display()),
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad("--tls-cert", cert, e.to_string()))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| bad("--tls-cert", cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("--tls-cert", cert, "no certificate in the file".into()));
    }
    let private =
        PrivateKeyDer::from_pem_file(key).map_err(|e| bad("--tls-key", key, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("--tls-cert", cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, private)
        .map_err(|e| bad("--tls-key", key, e.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Serves `base` (a session `convlake::register` filled) until a signal.
pub async fn serve(base: SessionContext, options: ServeOptions) -> Result<()> {
    check(&options)?;
    crate::serve::session::pg_compatible(&base)?;
    let users = match &options.users {
        Some(path) => Some(Arc::new(Users::load(path)?)),
        None => None,
    };
    let tls = match (&options.tls_cert, &options.tls_key) {
        (Some(cert), Some(key)) => Some(tls_acceptor(cert, key)?),
        _ => None,
    };
    let listener = TcpListener::bind(options.listen)
        .await
        .map_err(Error::io("cannot listen on", options.listen.to_string()))?;
    let address = listener
        .local_addr()
        .map_err(Error::io("cannot listen on", options.listen.to_string()))?;
    let shared = Arc::new(Shared {
        base,
        users: users.clone(),
        tls_required: tls.is_some(),
        connections: Arc::new(ConnectionManager::new()),
        memory_limit: options.memory_limit,
    });
    let (flight_stop, flight_stopping) = tokio::sync::watch::channel(false);
    let flight = match options.flight_listen {
        Some(at) => Some(
            start_flight(
                Arc::new(crate::serve::flight::FlightShared {
                    base: shared.base.clone(),
                    users: users.clone(),
                    memory_limit: options.memory_limit,
                    max_sessions: options.max_connections.max(1),
                    token_lifetime: crate::serve::flight::TOKEN_LIFETIME,
                }),
                at,
                flight_stopping,
                options.tls_cert.clone().zip(options.tls_key.clone()),
            )
            .await?,
        ),
        None => None,
    };
    let slots = Arc::new(tokio::sync::Semaphore::new(options.max_connections.max(1)));
    let who = match &users {
        Some(users) => format!(
            "{} user(s) of the users file, SCRAM-SHA-256",
            users.users.len()
        ),
        None => "anyone on this machine, unauthenticated (no --users)".to_string(),
    };
    let tls_said = if tls.is_some() {
        "TLS required"
    } else {
        "no TLS"
    };
    // The line tests and scripts wait for.
    eprintln!(
        "convlake serve: PostgreSQL wire listening on {address} ({who}; {tls_said}; read-only)"
    );

    let mut connections = tokio::task::JoinSet::new();
    let stop = shutdown_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((socket, _peer)) = accepted else { continue };
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    connections.spawn(too_many(socket, options.max_connections));
                    continue;
                };
                let handlers = Arc::new(Connection::new(shared.clone()));
                let tls = tls.clone();
                connections.spawn(async move {
                    let _ = pgwire::tokio::process_socket(socket, tls, handlers).await;
                    drop(slot);
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = flight_stop.send(true);
    eprintln!(
        "convlake serve: stopping; {} connection(s) have {} s to finish",
        connections.len(),
        options.grace.as_secs()
    );
    let drained = tokio::time::timeout(options.grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.shutdown().await;
    }
    if let Some(flight) = flight {
        let _ = tokio::time::timeout(options.grace, flight).await;
    }
    eprintln!("convlake serve: stopped");
    Ok(())
}

/// Binds the Flight SQL listener and serves it until `stop`.
async fn start_flight(
    shared: Arc<crate::serve::flight::FlightShared>,
    at: SocketAddr,
    mut stop: tokio::sync::watch::Receiver<bool>,
    tls: Option<(PathBuf, PathBuf)>,
) -> Result<tokio::task::JoinHandle<()>> {
    // With a certificate, TLS only; a bad file stops the server here.
    let mut builder = tonic::transport::Server::builder();
    if let Some((cert, key)) = &tls {
        let read = |name: &str, path: &PathBuf| {
            std::fs::read(path).map_err(|e| Error::Parameter {
                name: name.into(),
                reason: format!("'{}': {e}", path.display()),
            })
        };
        let identity = tonic::transport::Identity::from_pem(
            read("--tls-cert", cert)?,
            read("--tls-key", key)?,
        );
        builder = builder
            .tls_config(tonic::transport::ServerTlsConfig::new().identity(identity))
            .map_err(|e| Error::Parameter {
                name: "--tls-cert".into(),
                reason: format!("'{}' with '{}': {e}", cert.display(), key.display()),
            })?;
    }
    let listener = TcpListener::bind(at)
        .await
        .map_err(Error::io("cannot listen on", at.to_string()))?;
    let address = listener
        .local_addr()
        .map_err(Error::io("cannot listen on", at.to_string()))?;
    let who = if shared.users.is_some() {
        "users of the users file, Basic then a bearer token"
    } else {
        "anyone on this machine, unauthenticated (no --users)"
    };
    let tls_said = if tls.is_some() {
        "TLS required"
    } else {
        "no TLS"
    };
    eprintln!("convlake serve: Flight SQL listening on {address} ({who}; {tls_said}; read-only)");
    let incoming = tonic::transport::server::TcpIncoming::from(listener);
    let service = crate::serve::flight::service(shared);
    Ok(tokio::spawn(async move {
        let stopped = async move {
            let _ = stop.wait_for(|stop| *stop).await;
        };
        if let Err(err) = builder
            .add_service(service)
            .serve_with_incoming_shutdown(incoming, stopped)
            .await
        {
            eprintln!("convlake serve: Flight SQL stopped: {err}");
        }
    }))
}

/// Refuses a connection over the limit as PostgreSQL does: SQLSTATE 53300
/// in answer to its startup message (after declining TLS if it asks).
async fn too_many(mut socket: tokio::net::TcpStream, limit: usize) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const SSL_REQUEST: u32 = 80_877_103;
    let read_packet = async |socket: &mut tokio::net::TcpStream| -> std::io::Result<Vec<u8>> {
        let length = socket.read_u32().await? as usize;
        let mut body = vec![0; length.saturating_sub(4).min(10_000)];
        socket.read_exact(&mut body).await?;
        Ok(body)
    };
    let answer = async {
        let first = read_packet(&mut socket).await?;
        if first.len() == 4
            && u32::from_be_bytes([first[0], first[1], first[2], first[3]]) == SSL_REQUEST
        {
            socket.write_all(b"N").await?;
            read_packet(&mut socket).await?;
        }
        let mut fields = Vec::new();
        for (code, value) in [
            (b'S', "FATAL".to_string()),
            (b'V', "FATAL".to_string()),
            (b'C', "53300".to_string()),
            (
                b'M',
                format!("sorry, too many clients already ({limit} connections)"),
            ),
        ] {
            fields.push(code);
            fields.extend_from_slice(value.as_bytes());
            fields.push(0);
        }
        fields.push(0);
        let mut message = vec![b'E'];
        message.extend_from_slice(&((fields.len() + 4) as u32).to_be_bytes());
        message.extend_from_slice(&fields);
        socket.write_all(&message).await?;
        socket.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), answer).await;
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(listen: &str) -> ServeOptions {
        ServeOptions {
            listen: listen.parse().unwrap(),
            users: None,
            tls_cert: None,
            tls_key: None,
            allow_plaintext: false,
            grace: Duration::from_secs(1),
            memory_limit: None,
            max_connections: 10,
            flight_listen: None,
        }
    }

    #[test]
    fn nothing_insecure_listens() {
        assert!(check(&options("127.0.0.1:0")).is_ok());
        // Off loopback: users, then TLS, are required.
        let err = check(&options("[::]:0")).unwrap_err().to_string();
        assert!(err.contains("--users"), "{err}");
        let mut with_users = options("[::]:0");
        with_users.users = Some("users.json".into());
        let err = check(&with_users).unwrap_err().to_string();
        assert!(err.contains("--tls-cert"), "{err}");
        with_users.allow_plaintext = true;
        assert!(check(&with_users).is_ok());
        // One of cert and key alone.
        let mut half = options("127.0.0.1:0");
        half.tls_cert = Some("cert.pem".into());
        let err = check(&half).unwrap_err().to_string();
        assert!(err.contains("--tls-key"), "{err}");
        // The Flight SQL listener by the same rules, named as its own flag.
        let mut flight = options("127.0.0.1:0");
        flight.flight_listen = Some("0.0.0.0:50051".parse().unwrap());
        let err = check(&flight).unwrap_err().to_string();
        assert!(
            err.contains("--flight-listen") && err.contains("--users"),
            "{err}"
        );
        flight.users = Some("users.json".into());
        let err = check(&flight).unwrap_err().to_string();
        assert!(
            err.contains("--flight-listen") && err.contains("--tls-cert"),
            "{err}"
        );
        flight.tls_cert = Some("cert.pem".into());
        flight.tls_key = Some("key.pem".into());
        assert!(check(&flight).is_ok());
    }

    #[test]
    fn unusable_tls_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&cert, "not a certificate").unwrap();
        std::fs::write(&key, "not a key").unwrap();
        let err = tls_acceptor(&cert, &key).err().unwrap().to_string();
        assert!(
            err.contains("--tls-cert") && err.contains("cert.pem"),
            "{err}"
        );
        let missing = dir.path().join("missing.pem");
        let err = tls_acceptor(&missing, &key).err().unwrap().to_string();
        assert!(err.contains("missing.pem"), "{err}");
    }
}
