//! The committed sample lake `data/sample` is exactly what the generator
//! makes with the options README.md gives, and every table has rows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The options `data/sample` was made with (README.md, "Sample lake").
pub fn sample_options(out: PathBuf) -> convlake::generate::GenerateOptions {
    convlake::generate::GenerateOptions {
        conversations: 2_000,
        seed: 20_261_121,
        out,
        workspaces: 3,
        start: chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        days: 61,
        force: false,
    }
}

fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(
                    path.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    out
}

#[test]
fn regenerating_the_sample_lake_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sample");
    convlake::generate::generate(&sample_options(out.clone())).unwrap();
    let committed = files(Path::new(convlake::SAMPLE_LAKE));
    let fresh = files(&out);
    assert_eq!(
        committed.keys().collect::<Vec<_>>(),
        fresh.keys().collect::<Vec<_>>(),
        "same files"
    );
    for (path, bytes) in &fresh {
        assert!(
            committed[path] == *bytes,
            "{} differs from the committed sample",
            path.display()
        );
    }
    let total: usize = committed.values().map(Vec::len).sum();
    assert!(
        total < 5 * 1024 * 1024,
        "the sample lake is {total} bytes, over 5 MiB"
    );
}

#[tokio::test]
async fn every_sample_table_has_rows() {
    let ctx = convlake::session_context();
    let lake = convlake::register(&ctx, convlake::SAMPLE_LAKE)
        .await
        .unwrap();
    for table in &lake.tables {
        assert!(table.rows > 0, "{} is empty", table.name);
    }
    assert_eq!(lake.tables.len(), 7);
}
