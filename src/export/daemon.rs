//! The jobs of a jobs file, run once (`export run`) or on their schedules
//! (`export daemon`): one run of a job at a time, each in a session of its
//! own, retried with backoff after a transient store error; a stop aborts
//! the runs under way (nothing committed) and ends the daemon.

use chrono::{DateTime, Utc};
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::SessionContext;
use object_store::path::Path;
use tokio::sync::watch;

use super::config::ScheduledJob;
use super::schedule::Next;
use super::{Outcome, manifest};
use crate::error::{Error, Result};

/// Resolves once `stop` says so; never if its sender is gone without it.
pub async fn stopped(mut stop: watch::Receiver<bool>) {
    if stop.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await
    }
}

/// One run of `scheduled`, tried again after a transient error as its
/// retries allow, in a session of its own (its `SET`s stay in it).
pub async fn run_with_retries(
    ctx: &SessionContext,
    scheduled: &ScheduledJob,
    stop: watch::Receiver<bool>,
) -> Result<Outcome> {
    let mut backoff = scheduled.backoff;
    let mut attempt = 1;
    loop {
        let session = SessionContext::new_with_state(
            SessionStateBuilder::new_from_existing(ctx.state()).build(),
        );
        let err = match super::run(&session, &scheduled.job, stopped(stop.clone())).await {
            Ok(outcome) => return Ok(outcome),
            Err(err) => err,
        };
        if *stop.borrow() || !err.is_transient() || attempt > scheduled.retries {
            return Err(err);
        }
        eprintln!(
            "{}: attempt {attempt} failed, trying again in {}s: {}",
            scheduled.job.name,
            backoff.as_secs_f64(),
            err.chain()
        );
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = stopped(stop.clone()) => return Err(err),
        }
        backoff *= 2;
        attempt += 1;
    }
}

/// Runs every job on its schedule until `stop`; `report` hears of each
/// run's outcome. Returns once every job's runner has ended.
pub async fn daemon(
    ctx: &SessionContext,
    jobs: Vec<ScheduledJob>,
    stop: watch::Receiver<bool>,
    report: impl Fn(&ScheduledJob, DateTime<Utc>, &Result<Outcome>) + Send + Sync + 'static,
) -> Result<()> {
    if let Some(unscheduled) = jobs.iter().find(|j| j.schedule.is_none()) {
        return Err(Error::Export {
            job: unscheduled.job.name.clone(),
            reason: "no `schedule` to run it on (add one, or use `export run`)".into(),
        });
    }
    let report = std::sync::Arc::new(report);
    let mut runners = tokio::task::JoinSet::new();
    for scheduled in jobs {
        let (ctx, stop, report) = (ctx.clone(), stop.clone(), report.clone());
        runners.spawn(async move {
            let schedule = scheduled.schedule.clone().expect("checked above");
            // Done up to the job's last committed run (a missed time since
            // then is caught up once), or, for a new job, up to now.
            let mut handled = match last_started(&scheduled).await {
                Ok(Some(last)) => last,
                Ok(None) => Utc::now(),
                Err(err) => {
                    eprintln!("{}: {}", scheduled.job.name, err.chain());
                    Utc::now()
                }
            };
            loop {
                if *stop.borrow() {
                    return;
                }
                match schedule.next(handled, Utc::now()) {
                    Next::Never => {
                        eprintln!(
                            "{}: '{}' has no time left; this job will not run again",
                            scheduled.job.name,
                            schedule.pattern()
                        );
                        return;
                    }
                    Next::SleepUntil(due) => {
                        let wait = (due - Utc::now()).to_std().unwrap_or_default();
                        tokio::select! {
                            () = tokio::time::sleep(wait) => {}
                            () = stopped(stop.clone()) => return,
                        }
                    }
                    Next::RunFor(due) => {
                        handled = due;
                        let outcome = run_with_retries(&ctx, &scheduled, stop.clone()).await;
                        report(&scheduled, due, &outcome);
                    }
                }
            }
        });
    }
    while runners.join_next().await.is_some() {}
    Ok(())
}

/// When the job's newest committed run started.
async fn last_started(scheduled: &ScheduledJob) -> Result<Option<DateTime<Utc>>> {
    let job = &scheduled.job;
    let store = crate::lake::store::destination_store_for(&job.to)?;
    let root = Path::from_url_path(job.to.path()).map_err(|e| Error::Export {
        job: job.name.clone(),
        reason: e.to_string(),
    })?;
    let numbers = manifest::numbers(store.as_ref(), &root).await?;
    let Some(latest) = manifest::latest(store.as_ref(), &numbers).await? else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(&latest.started_at)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|e| Error::Export {
            job: job.name.clone(),
            reason: format!(
                "run {}'s start '{}': {e}",
                latest.sequence, latest.started_at
            ),
        })
}
