//! `convlake generate`: writes a realistic lake of conversation events
//! (SPEC.md §1) with its dimension tables, deterministically from a seed.
//!
//! Layout of the lake written under `out`:
//! - `events/date=YYYY-MM-DD/part-WWW-NNNNN.parquet`: partitioned by the UTC
//!   date of each conversation's opening; a file holds whole conversations
//!   of one workspace `WWW` (at most 50,000), its rows sorted by
//!   (workspace_id, conversation_id, ts, event_id), the order declared in the
//!   file's metadata. Conversation ids grow with opening time, so the part
//!   files of the lake do not overlap in that order: DataFusion can read
//!   them as one sorted run and aggregate conversation by conversation;
//! - `events/date=YYYY-MM-DD/late-WWW.parquet`: the day's events of workspace
//!   `WWW` delivered late (~0.2%), sorted the same way (a second sorted run);
//!   ~0.3% of events are delivered twice;
//! - `contacts`, `users`, `teams`, `channels`, `establishments`,
//!   `workspaces`: one `part-00000.parquet` each.
//!
//! The lake is drawn day by day, and within a day hour by hour: the hour's
//! openings are drawn from a weekly and hourly profile in each workspace's
//! time zone, sorted, and their conversations drawn in that order. Memory
//! holds one part file's events per workspace at most, plus one `i64` per
//! contact.
//!
//! Everything is written into a sibling temporary directory first and
//! renamed to `out` once complete.

mod event;
mod sim;
mod world;
mod write;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate, Timelike};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use self::event::{DAY, Ev, HOUR, MIN};
use self::sim::{NewContact, Sim, local_time, mix, unit};
use self::world::World;
use self::write::{CONTACTS_CHUNK, ContactsOut, Written, write_dimensions, write_events};
use crate::error::{Error, Result};

/// What to generate, and where.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Number of conversations (>= 1).
    pub conversations: u64,
    /// Seed of every random draw: same options, same bytes.
    pub seed: u64,
    /// Local directory of the lake.
    pub out: PathBuf,
    /// Number of workspaces (>= 1), each in its own time zone.
    pub workspaces: u32,
    /// First day of traffic (UTC).
    pub start: NaiveDate,
    /// Number of days of traffic (>= 1).
    pub days: u32,
    /// Replace `out` if it exists and is non-empty.
    pub force: bool,
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerateSummary {
    pub conversations: u64,
    /// Event rows written, duplicate deliveries included.
    pub events: u64,
    /// Parquet files written (events and dimensions).
    pub files: u64,
    /// Bytes of those files.
    pub bytes: u64,
}

/// Conversations per events part file, at most.
const CONVERSATIONS_PER_FILE: usize = 50_000;

const MAX_CONVERSATIONS: u64 = 1_000_000_000;
const MAX_WORKSPACES: u32 = 500;
const MAX_DAYS: u32 = 3_660;

/// Relative traffic by local weekday, Monday first.
const WEEKDAY_TRAFFIC: [f64; 7] = [1.10, 1.05, 1.0, 1.0, 0.95, 0.55, 0.40];
/// Relative traffic by local hour of the day.
const HOURLY_TRAFFIC: [f64; 24] = [
    0.06, 0.04, 0.03, 0.03, 0.04, 0.08, 0.18, 0.35, 0.70, 1.00, 1.20, 1.25, 0.95, 0.90, 1.15, 1.20,
    1.10, 0.90, 0.70, 0.55, 0.50, 0.40, 0.25, 0.12,
];

/// Generates a lake as `opts` says; see the module documentation.
pub fn generate(opts: &GenerateOptions) -> Result<GenerateSummary> {
    generate_with(opts, CONVERSATIONS_PER_FILE)
}

fn parameter(name: &str, reason: impl Into<String>) -> Error {
    Error::Parameter {
        name: name.to_string(),
        reason: reason.into(),
    }
}

fn validate(opts: &GenerateOptions) -> Result<()> {
    if opts.conversations == 0 {
        return Err(parameter("--conversations", "must be at least 1"));
    }
    if opts.conversations > MAX_CONVERSATIONS {
        return Err(parameter(
            "--conversations",
            format!("must be at most {MAX_CONVERSATIONS}"),
        ));
    }
    if opts.workspaces == 0 {
        return Err(parameter("--workspaces", "must be at least 1"));
    }
    if opts.workspaces > MAX_WORKSPACES {
        return Err(parameter(
            "--workspaces",
            format!("must be at most {MAX_WORKSPACES}"),
        ));
    }
    if opts.days == 0 {
        return Err(parameter("--days", "must be at least 1"));
    }
    if opts.days > MAX_DAYS {
        return Err(parameter("--days", format!("must be at most {MAX_DAYS}")));
    }
    if opts
        .start
        .checked_add_days(Days::new(opts.days as u64))
        .is_none()
    {
        return Err(parameter(
            "--start",
            format!("{} plus {} days is out of range", opts.start, opts.days),
        ));
    }
    Ok(())
}

/// What is at `out` before writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Existing {
    Absent,
    EmptyDir,
    NonEmptyDir,
}

fn inspect(out: &Path) -> Result<Existing> {
    match std::fs::metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Existing::Absent),
        Err(e) => Err(Error::io("reading metadata of", out)(e)),
        Ok(m) if !m.is_dir() => Err(parameter(
            "--out",
            format!("'{}' exists and is not a directory", out.display()),
        )),
        Ok(_) => {
            let mut entries = std::fs::read_dir(out).map_err(Error::io("listing", out))?;
            Ok(if entries.next().is_none() {
                Existing::EmptyDir
            } else {
                Existing::NonEmptyDir
            })
        }
    }
}

/// The temporary directory to write into and the name the replaced lake
/// takes while the new one is moved in: siblings of `out`.
fn siblings(out: &Path) -> Result<(PathBuf, PathBuf)> {
    let name = out
        .file_name()
        .ok_or_else(|| {
            parameter(
                "--out",
                format!("'{}' does not name a directory", out.display()),
            )
        })?
        .to_string_lossy()
        .into_owned();
    let parent = out.parent().unwrap_or_else(|| Path::new(""));
    let pid = std::process::id();
    Ok((
        parent.join(format!("{name}.tmp-{pid}")),
        parent.join(format!("{name}.old-{pid}")),
    ))
}

fn generate_with(opts: &GenerateOptions, per_file: usize) -> Result<GenerateSummary> {
    validate(opts)?;
    let out = opts.out.as_path();
    let existing = inspect(out)?;
    if existing == Existing::NonEmptyDir && !opts.force {
        return Err(parameter(
            "--out",
            format!(
                "'{}' already exists and is not empty; pass --force to replace it",
                out.display()
            ),
        ));
    }
    let (tmp, old) = siblings(out)?;
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(Error::io("removing stale directory", &tmp))?;
    }
    std::fs::create_dir_all(&tmp).map_err(Error::io("creating directory", &tmp))?;
    let summary = write_lake(opts, &tmp, per_file)
        .and_then(|s| install(&tmp, out, &old, existing).map(|()| s));
    if summary.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    summary
}

/// Moves the finished lake `tmp` to `out`, replacing what is there.
fn install(tmp: &Path, out: &Path, old: &Path, existing: Existing) -> Result<()> {
    match existing {
        Existing::Absent => {
            std::fs::rename(tmp, out).map_err(Error::io("renaming into place", out))
        }
        Existing::EmptyDir => {
            std::fs::remove_dir(out).map_err(Error::io("removing empty directory", out))?;
            std::fs::rename(tmp, out).map_err(Error::io("renaming into place", out))
        }
        Existing::NonEmptyDir => {
            std::fs::rename(out, old)
                .map_err(Error::io("moving away the lake being replaced", out))?;
            if let Err(e) = std::fs::rename(tmp, out) {
                let _ = std::fs::rename(old, out);
                return Err(Error::io("renaming into place", out)(e));
            }
            // The new lake is in place; the old one is removed on a best-effort basis.
            let _ = std::fs::remove_dir_all(old);
            Ok(())
        }
    }
}

/// How many conversations open in each (day, hour, workspace): a weekly and
/// hourly profile in the workspace's time zone, a daily jitter, and
/// cumulative rounding so the counts add up to exactly `conversations`.
struct Traffic<'w> {
    world: &'w World,
    seed: u64,
    lake_start: i64,
    conversations: u64,
    total: f64,
    cumulated: f64,
    assigned: u64,
    units_left: u64,
}

impl<'w> Traffic<'w> {
    fn new(world: &'w World, seed: u64, lake_start: i64, days: u32, conversations: u64) -> Self {
        let mut traffic = Traffic {
            world,
            seed,
            lake_start,
            conversations,
            total: 0.0,
            cumulated: 0.0,
            assigned: 0,
            units_left: days as u64 * 24 * world.workspaces.len() as u64,
        };
        let mut total = 0.0;
        for day in 0..days {
            for hour in 0..24 {
                for w in 0..world.workspaces.len() {
                    total += traffic.weight(day, hour, w);
                }
            }
        }
        traffic.total = total;
        traffic
    }

    fn weight(&self, day: u32, hour: u32, w: usize) -> f64 {
        let ws = &self.world.workspaces[w];
        let mid = self.lake_start + day as i64 * DAY + hour as i64 * HOUR + 30 * MIN;
        let local = local_time(&ws.locale.tz, mid);
        let jitter = 0.75 + 0.5 * unit(mix(self.seed ^ mix(((day as u64) << 20) | w as u64)));
        ws.weight
            * jitter
            * WEEKDAY_TRAFFIC[local.weekday().num_days_from_monday() as usize]
            * HOURLY_TRAFFIC[local.hour() as usize]
    }

    /// The count of the next unit; call in (day, hour, workspace) order.
    fn next(&mut self, day: u32, hour: u32, w: usize) -> u64 {
        self.cumulated += self.weight(day, hour, w);
        self.units_left -= 1;
        let target = if self.units_left == 0 {
            self.conversations
        } else {
            ((self.cumulated / self.total * self.conversations as f64).round() as u64)
                .min(self.conversations)
        };
        let count = target.saturating_sub(self.assigned);
        self.assigned += count;
        count
    }
}

fn write_lake(opts: &GenerateOptions, root: &Path, per_file: usize) -> Result<GenerateSummary> {
    let progress = crate::progress::bar("generating", opts.conversations, "conversations");
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let world = World::build(&mut rng, opts.workspaces as usize);
    let mut written = Written::default();
    write_dimensions(&world, root, &mut written)?;
    let mut contacts_out = ContactsOut::create(root)?;

    let lake_start = opts
        .start
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp_micros();
    let lake_end = lake_start + opts.days as i64 * DAY;
    let mut events_rng = ChaCha8Rng::seed_from_u64(opts.seed);
    events_rng.set_stream(1);
    let mut sim = Sim::new(&world, events_rng, opts.seed, lake_start, lake_end);
    let mut traffic = Traffic::new(&world, opts.seed, lake_start, opts.days, opts.conversations);

    let mut openings: Vec<(i64, u16)> = Vec::new();
    let mut parts = vec![Part::default(); world.workspaces.len()];
    let mut late = vec![Vec::new(); world.workspaces.len()];
    let mut contacts: Vec<NewContact> = Vec::new();
    for day in 0..opts.days {
        let date = opts.start + Days::new(day as u64);
        let dir = root
            .join("events")
            .join(format!("date={}", date.format("%Y-%m-%d")));
        for hour in 0..24 {
            let hour_start = lake_start + day as i64 * DAY + hour as i64 * HOUR;
            openings.clear();
            for w in 0..world.workspaces.len() {
                for _ in 0..traffic.next(day, hour, w) {
                    openings.push((hour_start + sim.rng.random_range(0..HOUR), w as u16));
                }
            }
            openings.sort_unstable();
            for &(t, w) in &openings {
                let (part, w) = (&mut parts[w as usize], w as usize);
                sim.conversation(w, t, &mut part.events, &mut late[w], &mut contacts);
                part.conversations += 1;
                if contacts.len() >= CONTACTS_CHUNK {
                    contacts_out.write(&world, &mut contacts)?;
                }
                if part.conversations == per_file {
                    part.flush(&world, &dir, w, &mut written)?;
                }
            }
            progress.inc(openings.len() as u64);
        }
        for (w, (part, late)) in parts.iter_mut().zip(&mut late).enumerate() {
            part.flush(&world, &dir, w, &mut written)?;
            part.number = 0;
            if !late.is_empty() {
                let path = dir.join(format!("late-{w:03}.parquet"));
                write_events(&world, path, late, &mut written)?;
                late.clear();
            }
        }
    }
    contacts_out.write(&world, &mut contacts)?;
    contacts_out.close(&mut written)?;
    progress.finish_and_clear();
    Ok(GenerateSummary {
        conversations: sim.conversations_drawn(),
        events: written.events,
        files: written.files,
        bytes: written.bytes,
    })
}

/// The conversations of one workspace waiting for the day's next part file.
#[derive(Debug, Clone, Default)]
struct Part {
    events: Vec<Ev>,
    conversations: usize,
    /// Number of the next file of the day.
    number: u32,
}

impl Part {
    /// Writes the buffered conversations of workspace `w` as its next part
    /// file of the day in `dir`.
    fn flush(&mut self, world: &World, dir: &Path, w: usize, written: &mut Written) -> Result<()> {
        if self.events.is_empty() {
            return Ok(());
        }
        let path = dir.join(format!("part-{w:03}-{:05}.parquet", self.number));
        write_events(world, path, &mut self.events, written)?;
        self.number += 1;
        self.events.clear();
        self.conversations = 0;
        Ok(())
    }
}
