//! A lake on an S3-compatible server: moto's server (`moto_server`, from
//! PyPI, installed by `.ci/run`), started by the test on a port of its own
//! on 127.0.0.1, stopped when the test ends.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};

struct Moto {
    child: Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one plain HTTP request and returns the status line.
fn http(port: u16, method: &str, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response.lines().next().unwrap_or_default().to_string())
}

fn start_moto() -> Moto {
    // A port the OS chose, freed for the server to take.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server is needed for the S3 tests: python3 -m pip install 'moto[server]' (see .ci/run)");
    let moto = Moto { child, port };
    // Ready when it answers HTTP; bounded wait, no fixed sleep.
    let deadline = Instant::now() + Duration::from_secs(60);
    while http(port, "GET", "/").is_err() {
        assert!(
            Instant::now() < deadline,
            "moto_server did not answer on port {port} within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    moto
}

/// A new bucket on `moto`, and a store over it.
fn bucket(moto: &Moto, name: &str) -> Arc<dyn ObjectStore> {
    let status = http(moto.port, "PUT", &format!("/{name}")).unwrap();
    assert!(status.contains("200"), "creating the bucket: {status}");
    Arc::new(
        AmazonS3Builder::new()
            .with_endpoint(format!("http://127.0.0.1:{}", moto.port))
            .with_allow_http(true)
            .with_bucket_name(name)
            .with_access_key_id("test")
            .with_secret_access_key("test")
            .with_region("us-east-1")
            .build()
            .unwrap(),
    )
}

fn s3_env(port: u16) -> [(&'static str, String); 5] {
    [
        ("AWS_ENDPOINT", format!("http://127.0.0.1:{port}")),
        ("AWS_ALLOW_HTTP", "true".into()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
}

async fn upload_dir(store: &Arc<dyn ObjectStore>, root: &Path, prefix: &str) -> usize {
    let mut stack = vec![root.to_path_buf()];
    let mut n = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_string();
                let bytes = std::fs::read(&path).unwrap();
                store
                    .put(&StorePath::from(format!("{prefix}/{rel}")), bytes.into())
                    .await
                    .unwrap();
                n += 1;
            }
        }
    }
    n
}

fn convlake(port: u16, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args(args)
        .envs(s3_env(port))
        .output()
        .unwrap()
}

/// Runs `sql` on the sample lake uploaded as `s3://lake/sample` and on
/// the local one; both must succeed with the same CSV, which is returned.
fn same_on_s3_as_local(port: u16, sql: &str) -> String {
    let remote = convlake(
        port,
        &["--lake", "s3://lake/sample", "sql", "-f", "csv", sql],
    );
    assert!(
        remote.status.success(),
        "{}",
        String::from_utf8_lossy(&remote.stderr)
    );
    let local = convlake(
        port,
        &["--lake", convlake::SAMPLE_LAKE, "sql", "-f", "csv", sql],
    );
    let remote = String::from_utf8(remote.stdout).unwrap();
    assert_eq!(remote, String::from_utf8_lossy(&local.stdout));
    remote
}

#[tokio::test]
async fn a_lake_on_s3_answers_like_the_local_one_and_names_bad_files() {
    let moto = start_moto();
    let store = bucket(&moto, "lake");
    let uploaded = upload_dir(&store, Path::new(convlake::SAMPLE_LAKE), "sample").await;
    assert!(uploaded > 50, "{uploaded} files");

    let sql = "select event_type, count(*) as n from events group by 1 order by 1";
    let remote = same_on_s3_as_local(moto.port, sql);
    assert_eq!(remote.lines().count(), 6, "header and five event types");

    // Materialised on S3: written there, read there, same answers as the
    // local lake read from its events.
    let out = convlake(moto.port, &["--lake", "s3://lake/sample", "materialize"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in ["contact_first_openings.parquet", "conversations.parquet"] {
        store
            .head(&StorePath::from(format!("sample/_convlake/{file}")))
            .await
            .unwrap();
    }
    let out = convlake(moto.port, &["--lake", "s3://lake/sample", "tables"]);
    for table in [
        "contact_first_openings: materialised,",
        // --conversations 2000, each opened (README.md, "Sample lake").
        "materialised_conversations: materialised, 2000 conversations",
    ] {
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(table),
            "{table}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let sql = "set convlake.as_of = '2026-11-30T00:00:00Z'; \
               set convlake.period = '2026-11-01T00:00:00Z/2026-11-30T00:00:00Z'; \
               select contact_type, conversations from opened_by_contact_type order by 1";
    let remote = same_on_s3_as_local(moto.port, sql);
    assert_eq!(remote.lines().count(), 3);

    // As of the lake's last event (2026-11-30T23:43:27Z) or later, the
    // period's conversations come from the uploaded file; the same list as
    // from the local lake's events.
    let sql = "set convlake.as_of = '2026-12-01T00:00:00Z'; \
               set convlake.period = '2026-11-01T00:00:00Z/2026-11-30T00:00:00Z'; \
               select * from conversation_list order by workspace_id, conversation_id";
    let remote = same_on_s3_as_local(moto.port, sql);
    assert!(remote.lines().count() > 100);

    // A corrupt object is named by its s3:// URL.
    store
        .put(
            &StorePath::from("broken/events/part-0.parquet"),
            b"PAR1 nothing else".to_vec().into(),
        )
        .await
        .unwrap();
    let out = convlake(
        moto.port,
        &["--lake", "s3://lake/broken", "sql", "select 1"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read Parquet file 's3://lake/broken/events/part-0.parquet'"),
        "{err}"
    );
}

/// Every object under `prefix` of `store`, written into `dir` at its
/// relative path.
async fn download_dir(store: &Arc<dyn ObjectStore>, prefix: &str, dir: &Path) -> usize {
    use futures::TryStreamExt;
    let listed: Vec<_> = store
        .list(Some(&StorePath::from(prefix)))
        .try_collect()
        .await
        .unwrap();
    for meta in &listed {
        let relative = meta
            .location
            .as_ref()
            .strip_prefix(prefix)
            .unwrap()
            .trim_start_matches('/');
        let path = dir.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let bytes = store
            .get(&meta.location)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    listed.len()
}

#[tokio::test]
async fn an_export_to_s3_commits_by_a_conditional_manifest_and_reads_back() {
    let moto = start_moto();
    let store = bucket(&moto, "exports");
    let dir = tempfile::tempdir().unwrap();
    let sets = "set convlake.period = 'last_30_days'; set convlake.timezone = 'Europe/Paris'";
    let expected = convlake(
        moto.port,
        &[
            "--lake",
            convlake::SAMPLE_LAKE,
            "sql",
            "-f",
            "json",
            &format!("{sets}; select * from conversation_list"),
        ],
    );
    assert!(expected.status.success());
    let expected_path = dir.path().join("expected.jsonl");
    std::fs::write(&expected_path, &expected.stdout).unwrap();
    for (format, run) in [("parquet", 1), ("csv", 2)] {
        let out = convlake(
            moto.port,
            &[
                "--lake",
                convlake::SAMPLE_LAKE,
                "export",
                "conversation_list",
                "--to",
                "s3://exports/nightly",
                "--period",
                "last_30_days",
                "--tz",
                "Europe/Paris",
                "--format",
                format,
                "--partition-by",
                "day",
            ],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(&format!("run {run} committed")), "{stdout}");
        let local = dir.path().join(format!("copy-{run}"));
        assert!(download_dir(&store, "nightly", &local).await > 2);
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/read_export.py");
        let read = Command::new("python3")
            .arg(script)
            .arg(&local)
            .arg(&expected_path)
            .args(["--runs", &run.to_string()])
            .output()
            .unwrap();
        assert!(
            read.status.success(),
            "{}{}",
            String::from_utf8_lossy(&read.stdout),
            String::from_utf8_lossy(&read.stderr)
        );
    }
    // The manifest's number is taken: a second create of it is refused by
    // the server (If-None-Match), which is what keeps two runners from both
    // committing run 2.
    let taken = store
        .put_opts(
            &StorePath::from("nightly/_manifests/00000002.json"),
            b"{}".to_vec().into(),
            object_store::PutOptions {
                mode: object_store::PutMode::Create,
                ..Default::default()
            },
        )
        .await;
    assert!(
        matches!(taken, Err(object_store::Error::AlreadyExists { .. })),
        "{taken:?}"
    );
}

#[tokio::test]
async fn the_export_daemon_runs_a_nightly_job_into_s3() {
    let moto = start_moto();
    let store = bucket(&moto, "exports");
    let dir = tempfile::tempdir().unwrap();
    // "Nightly" every two seconds, so that the test sees runs come.
    let config = dir.path().join("exports.toml");
    std::fs::write(
        &config,
        r#"
        [jobs.nightly]
        view = "conversation_list"
        to = "s3://exports/nightly"
        format = "csv"
        period = "last_30_days"
        tz = "Europe/Paris"
        as_of = "latest"
        partition_by = "day"
        schedule = "*/2 * * * * *"
        "#,
    )
    .unwrap();
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args([
            "--lake",
            convlake::SAMPLE_LAKE,
            "export",
            "daemon",
            "--config",
        ])
        .arg(&config)
        .envs(s3_env(moto.port))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let committed = || async {
        use futures::TryStreamExt;
        let listed: Vec<_> = store
            .list(Some(&StorePath::from("nightly/_manifests")))
            .try_collect()
            .await
            .unwrap();
        listed.len()
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    while committed().await < 2 {
        if Instant::now() > deadline {
            let _ = daemon.kill();
            panic!("fewer than 2 runs committed to S3 in 90 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status();
    let out = daemon.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs = committed().await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    for run in 1..=runs {
        assert!(
            stdout.contains(&format!("nightly: run {run} committed")),
            "{stdout}"
        );
    }
    // The newest run, read back by its manifest, is the view's rows.
    let sets = "set convlake.period = 'last_30_days'; set convlake.timezone = 'Europe/Paris'";
    let expected = convlake(
        moto.port,
        &[
            "--lake",
            convlake::SAMPLE_LAKE,
            "sql",
            "-f",
            "json",
            &format!("{sets}; select * from conversation_list"),
        ],
    );
    assert!(expected.status.success());
    let expected_path = dir.path().join("expected.jsonl");
    std::fs::write(&expected_path, &expected.stdout).unwrap();
    let local = dir.path().join("copy");
    download_dir(&store, "nightly", &local).await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/read_export.py");
    let read = Command::new("python3")
        .arg(script)
        .arg(&local)
        .arg(&expected_path)
        .args(["--runs", &runs.to_string()])
        .output()
        .unwrap();
    assert!(
        read.status.success(),
        "{}{}",
        String::from_utf8_lossy(&read.stdout),
        String::from_utf8_lossy(&read.stderr)
    );
    let rows = String::from_utf8_lossy(&expected.stdout).lines().count();
    assert_eq!(
        String::from_utf8_lossy(&read.stdout).trim(),
        format!("ok {rows}")
    );
}
