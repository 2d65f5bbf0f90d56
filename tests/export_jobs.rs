//! Jobs files: `convlake export run --config` runs each job once, `export
//! daemon --config` on its schedule (caught up once after a missed time,
//! one run of a job at a time, stopped cleanly by SIGTERM); bad files are
//! named; an unreachable or unwritable destination fails in bounded time
//! with nothing written. The schedule's DST rules are unit tests of
//! src/export/schedule.rs; the daemon on S3 is in tests/s3.rs.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn convlake(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args(["--lake", convlake::SAMPLE_LAKE])
        .args(args)
        .env_remove("CONVLAKE_LAKE")
        .env_remove("CONVLAKE_EXPORTS")
        .output()
        .unwrap()
}

fn manifests(folder: &Path) -> Vec<serde_json::Value> {
    let mut paths: Vec<_> = std::fs::read_dir(folder.join("_manifests"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

/// The number of `conversation_list` rows over the whole sample lake.
fn all_rows() -> u64 {
    let out = convlake(&[
        "sql",
        "-f",
        "csv",
        "--as-of",
        "now",
        "set convlake.period = 'all'; select count(*) from conversation_list",
    ]);
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap()
}

/// A daemon stopped by SIGTERM when dropped.
struct Daemon(Option<Child>);

impl Daemon {
    fn start(config: &Path) -> Daemon {
        let child = Command::new(env!("CARGO_BIN_EXE_convlake"))
            .args([
                "--lake",
                convlake::SAMPLE_LAKE,
                "export",
                "daemon",
                "--config",
            ])
            .arg(config)
            .env_remove("CONVLAKE_LAKE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Daemon(Some(child))
    }

    /// SIGTERM, then its exit within 30 s: status, stdout, stderr.
    fn stop(mut self) -> Output {
        let child = self.0.take().unwrap();
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let pid = child.id();
        let (done, waited) = std::sync::mpsc::channel();
        std::thread::spawn(move || done.send(child.wait_with_output().unwrap()));
        waited
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
                panic!("the daemon did not stop within 30 s of SIGTERM")
            })
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_for_runs(to: &Path, runs: usize, within: Duration) {
    let deadline = Instant::now() + within;
    while manifests(to).len() < runs {
        assert!(
            Instant::now() < deadline,
            "{} run(s) committed in {within:?}, {runs} expected",
            manifests(to).len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_daemon_runs_a_job_on_its_schedule_one_run_at_a_time_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("exports.toml");
    // Every two seconds, incremental with no lateness, as of the clock: the
    // first run takes every row, the next ones the nothing new since.
    std::fs::write(
        &config,
        r#"
        [jobs.list]
        view = "conversation_list"
        to = "out"
        format = "jsonl"
        tz = "Europe/Paris"
        incremental = true
        lateness = "0"
        schedule = "*/2 * * * * *"
        "#,
    )
    .unwrap();
    let to = dir.path().join("out");
    let daemon = Daemon::start(&config);
    wait_for_runs(&to, 3, Duration::from_secs(90));
    let out = daemon.stop();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("list: '*/2 * * * * *' (Europe/Paris), next at"),
        "{stderr}"
    );
    let runs = manifests(&to);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), runs.len(), "{stdout}");
    for (n, run) in runs.iter().enumerate() {
        assert_eq!(run["sequence"], n as u64 + 1);
        assert!(
            stdout.contains(&format!("list: run {} committed", n + 1)),
            "{stdout}"
        );
    }
    // One run at a time: each starts after the one before has finished.
    for pair in runs.windows(2) {
        let finished = pair[0]["finished_at"].as_str().unwrap();
        let started = pair[1]["started_at"].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(finished).unwrap()
                <= chrono::DateTime::parse_from_rfc3339(started).unwrap(),
            "{finished} > {started}"
        );
    }
    // Every row once: all in the first run, none new after it.
    assert_eq!(runs[0]["rows"], all_rows());
    assert!(runs[1..].iter().all(|r| r["rows"] == 0), "{runs:?}");
    // A stop leaves no run folder without its manifest.
    let folders = std::fs::read_dir(&to)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_str()
                .unwrap()
                .starts_with("run-")
        })
        .count();
    assert_eq!(folders, manifests(&to).len());
}

#[test]
fn a_missed_time_is_caught_up_once() {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("out");
    // A daily job due three minutes ago (UTC), whose last run, as its
    // manifest says, started on 2026-01-01: many times were missed.
    let due = chrono::Utc::now() - chrono::Duration::minutes(3);
    let config = dir.path().join("exports.toml");
    std::fs::write(
        &config,
        format!(
            "[jobs.daily]\nview = \"conversation_summary\"\nto = \"out\"\nas_of = \"latest\"\nschedule = \"{} {} * * *\"\n",
            due.format("%M"),
            due.format("%H")
        ),
    )
    .unwrap();
    let first = convlake(&["export", "run", "--config", config.to_str().unwrap()]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let manifest = to.join("_manifests/00000001.json");
    let mut run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    run["started_at"] = "2026-01-01T00:00:00+00:00".into();
    std::fs::write(&manifest, serde_json::to_string(&run).unwrap()).unwrap();

    let daemon = Daemon::start(&config);
    wait_for_runs(&to, 2, Duration::from_secs(60));
    // Nothing more is due until tomorrow: give it time to pile up if it would.
    std::thread::sleep(Duration::from_secs(3));
    let out = daemon.stop();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        manifests(&to).len(),
        2,
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The run says which time it was for: today's (or, just after
    // midnight, yesterday's) at the job's minute.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let for_time = due.format("%H:%M:00").to_string();
    assert!(stdout.contains("daily: run 2 committed"), "{stdout}");
    assert!(stdout.contains(&for_time), "{for_time} not in {stdout}");
}

#[test]
fn export_run_runs_every_job_once_and_names_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("exports.toml");
    std::fs::write(
        &config,
        r#"
        [jobs.summary]
        view = "conversation_summary"
        to = "summary"
        format = "csv"
        period = "all"
        as_of = "latest"

        [jobs.static]
        view = "conversation_summary"
        to = "static"
        as_of = "latest"
        incremental = true
        lateness = "0"

        [jobs.broken]
        sql = "select 1 / 0 as boom from conversation_list"
        to = "broken"
        as_of = "latest"
        retries = 2
        retry_backoff = "1s"
        "#,
    )
    .unwrap();
    let out = convlake(&["export", "run", "--config", config.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    // The good job committed; the bad one is named and not retried (a
    // query error is not a store's).
    assert_eq!(manifests(&dir.path().join("summary")).len(), 1);
    assert!(manifests(&dir.path().join("broken")).is_empty());
    assert!(stderr.contains("export job 'broken'"), "{stderr}");
    assert!(stderr.contains("1 of 3 job(s) failed"), "{stderr}");
    assert!(!stderr.contains("trying again"), "{stderr}");
    // --job picks one.
    let out = convlake(&[
        "export",
        "run",
        "--config",
        config.to_str().unwrap(),
        "--job",
        "summary",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(manifests(&dir.path().join("summary")).len(), 2);
    // An incremental job whose "now" (the lake's newest event) has not
    // moved has nothing new: it says so and commits nothing.
    let out = convlake(&[
        "export",
        "run",
        "--config",
        config.to_str().unwrap(),
        "--job",
        "static",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        stdout.contains("static: nothing new since run 1"),
        "{stdout}"
    );
    assert_eq!(manifests(&dir.path().join("static")).len(), 1);
    let out = convlake(&[
        "export",
        "run",
        "--config",
        config.to_str().unwrap(),
        "--job",
        "nope",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no job 'nope'"));
}

#[test]
fn bad_jobs_files_are_named_by_job_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("exports.toml");
    let refused = |text: &str, command: &str, words: &[&str]| {
        std::fs::write(&config, text).unwrap();
        let out = convlake(&["export", command, "--config", config.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "accepted: {text}");
        assert!(stderr.contains("exports.toml"), "{stderr}");
        for words in words {
            assert!(stderr.contains(words), "{words} not in: {stderr}");
        }
        assert!(!dir.path().join("out").exists(), "{text} wrote");
    };
    let job = "[jobs.nightly]\nview = \"conversation_list\"\nto = \"out\"\n";
    refused(
        &format!("{job}formt = \"csv\"\n"),
        "run",
        &["job 'nightly'", "unknown field `formt`"],
    );
    refused(
        "[jobs.nightly]\nview = \"conversation_lst\"\nto = \"out\"\n",
        "run",
        &["job 'nightly'", "field `view`", "conversation_lst"],
    );
    refused(
        &format!("{job}schedule = \"0 2 * *\"\n"),
        "daemon",
        &["field `schedule`"],
    );
    // The daemon needs a schedule for every job.
    refused(job, "daemon", &["job 'nightly'", "no `schedule`"]);
    let missing = dir.path().join("missing.toml");
    let out = convlake(&["export", "run", "--config", missing.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.toml"));
}

#[test]
fn an_unreachable_destination_fails_in_bounded_time_after_its_retries() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("exports.toml");
    std::fs::write(
        &config,
        "[jobs.nightly]\nview = \"conversation_summary\"\nto = \"s3://exports/nightly\"\nretries = 2\nretry_backoff = \"1s\"\n",
    )
    .unwrap();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_convlake"))
        .args(["--lake", convlake::SAMPLE_LAKE, "export", "run", "--config"])
        .arg(&config)
        .env("AWS_ENDPOINT", format!("http://127.0.0.1:{port}"))
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    // Three attempts, 1 s then 2 s apart, each giving up within the
    // store client's own 10 s.
    assert!(took < Duration::from_secs(45), "{took:?}: {stderr}");
    assert!(
        stderr.contains("nightly: attempt 1 failed, trying again in 1s"),
        "{stderr}"
    );
    assert!(
        stderr.contains("nightly: attempt 2 failed, trying again in 2s"),
        "{stderr}"
    );
    assert!(!stderr.contains("attempt 3 failed"), "{stderr}");
    assert!(
        stderr.contains("_manifests"),
        "the error names what it read: {stderr}"
    );
}

#[test]
fn an_unwritable_destination_is_named_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("locked");
    std::fs::create_dir(&to).unwrap();
    let uid = String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap();
    let mut command = if uid.trim() == "0" {
        // Root writes anywhere: run as nobody, for whom the folder (root's,
        // 0755) is read-only.
        let mut command = Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
        command.arg(env!("CARGO_BIN_EXE_convlake"));
        command
    } else {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o555)).unwrap();
        Command::new(env!("CARGO_BIN_EXE_convlake"))
    };
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = command
        .args([
            "--lake",
            convlake::SAMPLE_LAKE,
            "export",
            "conversation_list",
            "--to",
        ])
        .arg(&to)
        .env_remove("CONVLAKE_LAKE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("export job 'conversation_list'"),
        "{stderr}"
    );
    assert!(stderr.contains("ermission denied"), "{stderr}");
    assert!(
        stderr.contains(to.to_str().unwrap()),
        "names the destination: {stderr}"
    );
    assert_eq!(std::fs::read_dir(&to).unwrap().count(), 0);
}
