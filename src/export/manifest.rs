//! An export run's manifest: what it wrote and for which parameters. The
//! manifests of a destination are its committed runs, numbered
//! (`_manifests/00000001.json`, …); a manifest is created only if its
//! number is free, so of two runners of one job only one commits a number,
//! and the newest manifest is the job's watermark.

use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub const FOLDER: &str = "_manifests";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// The job's name: a destination holds one job's runs.
    pub job: String,
    /// 1 for the job's first committed run, then one more each run.
    pub sequence: u64,
    /// The run's folder, relative to the destination.
    pub run: String,
    pub convlake_version: String,
    pub started_at: String,
    pub finished_at: String,
    /// What was exported: a view's name, or the SQL.
    pub source: String,
    pub format: super::files::ExportFormat,
    /// The report parameters the rows were computed with (`convlake.*`).
    pub parameters: Vec<(String, String)>,
    /// The period's `[start, end)` as the views read it.
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    /// For an incremental run: the end of the last run's window minus the
    /// lateness, where this run's window starts.
    pub incremental_from: Option<String>,
    pub partition_by: Option<String>,
    /// Columns and their Arrow types.
    pub schema: Vec<(String, String)>,
    pub files: Vec<FileEntry>,
    pub rows: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    /// Relative to the destination.
    pub path: String,
    pub rows: u64,
    pub bytes: u64,
    /// The partition's value (`day=2026-12-01`), when partitioned.
    pub partition: Option<String>,
}

/// `_manifests/00000042.json` under `root`.
pub fn path_of(root: &Path, sequence: u64) -> Path {
    root.clone()
        .join(FOLDER)
        .join(format!("{sequence:08}.json"))
}

/// The numbers of the committed runs under `root`, with their manifests'
/// paths, in order.
pub async fn numbers(store: &dyn ObjectStore, root: &Path) -> Result<Vec<(u64, Path)>> {
    let folder = root.clone().join(FOLDER);
    let listed: Vec<_> = store
        .list(Some(&folder))
        .try_collect()
        .await
        .map_err(|source| Error::ObjectStore {
            context: format!("listing the manifests under '{folder}'"),
            source,
        })?;
    let mut numbers: Vec<(u64, Path)> = listed
        .into_iter()
        .filter_map(|m| {
            let stem = m.location.filename()?.strip_suffix(".json")?;
            Some((stem.parse::<u64>().ok()?, m.location))
        })
        .collect();
    numbers.sort_by_key(|(n, _)| *n);
    Ok(numbers)
}

/// The newest manifest of `numbers`, read.
pub async fn latest(store: &dyn ObjectStore, numbers: &[(u64, Path)]) -> Result<Option<Manifest>> {
    match numbers.last() {
        Some((_, location)) => read(store, location).await.map(Some),
        None => Ok(None),
    }
}

async fn read(store: &dyn ObjectStore, location: &Path) -> Result<Manifest> {
    let bytes = store
        .get(location)
        .await
        .map_err(|source| Error::ObjectStore {
            context: format!("reading manifest '{location}'"),
            source,
        })?
        .bytes()
        .await
        .map_err(|source| Error::ObjectStore {
            context: format!("reading manifest '{location}'"),
            source,
        })?;
    serde_json::from_slice(&bytes).map_err(|e| Error::ExportWrite {
        file: location.to_string(),
        reason: format!("not a convlake manifest: {e}"),
    })
}

/// Creates `manifest` at its number, only if that number is free. `Ok(false)`
/// when another run took it first.
pub async fn commit(store: &dyn ObjectStore, root: &Path, manifest: &Manifest) -> Result<bool> {
    let location = path_of(root, manifest.sequence);
    let json = serde_json::to_vec_pretty(manifest).expect("a manifest serialises");
    let options = PutOptions {
        mode: PutMode::Create,
        ..Default::default()
    };
    match store
        .put_opts(&location, PutPayload::from(json), options)
        .await
    {
        Ok(_) => Ok(true),
        Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
        Err(source) => Err(Error::ObjectStore {
            context: format!("creating manifest '{location}'"),
            source,
        }),
    }
}
