use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::TimestampMicrosecondType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, Encoding};

use super::*;

fn options(out: &Path, conversations: u64, seed: u64) -> GenerateOptions {
    GenerateOptions {
        conversations,
        seed,
        out: out.to_path_buf(),
        workspaces: 3,
        start: NaiveDate::from_ymd_opt(2026, 10, 5).unwrap(),
        days: 14,
        force: false,
    }
}

/// Every file under `root`, relative to it, sorted.
fn files(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

fn read_batches(path: &Path) -> Vec<RecordBatch> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    reader.map(|b| b.unwrap()).collect()
}

fn strings(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let column = batch.column_by_name(name).unwrap().as_string::<i32>();
    (0..column.len())
        .map(|i| column.is_valid(i).then(|| column.value(i).to_string()))
        .collect()
}

fn micros(batch: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    let column = batch
        .column_by_name(name)
        .unwrap()
        .as_primitive::<TimestampMicrosecondType>();
    (0..column.len())
        .map(|i| column.is_valid(i).then(|| column.value(i)))
        .collect()
}

/// One events row: (file, then every column by name).
#[derive(Debug, Clone, PartialEq)]
struct Row {
    file: PathBuf,
    ts: i64,
    cols: BTreeMap<&'static str, Option<String>>,
}

impl Row {
    fn get(&self, name: &str) -> Option<&str> {
        self.cols[name].as_deref()
    }
    fn s(&self, name: &str) -> &str {
        self.get(name).unwrap()
    }
}

fn read_events(root: &Path) -> Vec<Row> {
    let mut rows = Vec::new();
    for file in files(root).into_iter().filter(|f| f.starts_with("events")) {
        for batch in read_batches(&root.join(&file)) {
            assert_eq!(batch.schema(), crate::lake::schema::events_file_schema());
            let ts = micros(&batch, "ts");
            let mut cols: Vec<(&'static str, Vec<Option<String>>)> = Vec::new();
            for c in crate::lake::schema::EVENT_COLUMNS {
                if c.name != "ts" {
                    cols.push((c.name, strings(&batch, c.name)));
                }
            }
            for i in 0..batch.num_rows() {
                rows.push(Row {
                    file: file.clone(),
                    ts: ts[i].unwrap(),
                    cols: cols.iter().map(|(n, v)| (*n, v[i].clone())).collect(),
                });
            }
        }
    }
    rows
}

#[test]
fn same_seed_gives_same_bytes_other_seed_differs() {
    let dirs = [
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    ];
    let outs: Vec<PathBuf> = dirs.iter().map(|d| d.path().join("lake")).collect();
    let a = generate(&options(&outs[0], 300, 7)).unwrap();
    let b = generate(&options(&outs[1], 300, 7)).unwrap();
    let c = generate(&options(&outs[2], 300, 8)).unwrap();
    assert_eq!(a, b);
    assert_eq!(files(&outs[0]), files(&outs[1]));
    for f in files(&outs[0]) {
        assert_eq!(
            std::fs::read(outs[0].join(&f)).unwrap(),
            std::fs::read(outs[1].join(&f)).unwrap(),
            "{f:?}"
        );
    }
    let differs = files(&outs[0]) != files(&outs[2])
        || files(&outs[0]).iter().any(|f| {
            std::fs::read(outs[0].join(f)).unwrap() != std::fs::read(outs[2].join(f)).unwrap()
        });
    assert!(differs, "seed 8 wrote the same lake as seed 7");
    assert_eq!(c.conversations, 300);
}

#[test]
fn lake_has_every_case_and_keeps_its_invariants() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lake");
    let opts = options(&out, 2000, 42);
    // Small part files, so that days hold several.
    let summary = generate_with(&opts, 150).unwrap();
    assert_eq!(summary.conversations, 2000);

    let rows = read_events(&out);
    assert_eq!(summary.events, rows.len() as u64);
    let all_files = files(&out);
    assert_eq!(summary.files, all_files.len() as u64);
    let bytes: u64 = all_files
        .iter()
        .map(|f| std::fs::metadata(out.join(f)).unwrap().len())
        .sum();
    assert_eq!(summary.bytes, bytes);

    // Every value the reports need occurs.
    let values = |pred: &dyn Fn(&Row) -> bool, col: &str| -> BTreeSet<Option<String>> {
        rows.iter()
            .filter(|r| pred(r))
            .map(|r| r.get(col).map(str::to_string))
            .collect()
    };
    let set = |xs: &[&str]| -> BTreeSet<Option<String>> {
        xs.iter().map(|x| Some(x.to_string())).collect()
    };
    assert_eq!(
        values(&|_| true, "event_type"),
        set(&crate::lake::schema::EVENT_TYPES)
    );
    assert_eq!(
        values(&|r| r.s("event_type") == "conversation_opened", "source"),
        set(&[
            "user", "contact", "workflow", "api", "zapier", "make", "paid_ads"
        ])
    );
    assert_eq!(
        values(&|r| r.get("source") == Some("paid_ads"), "source_detail"),
        set(&["meta", "tiktok"])
    );
    assert_eq!(
        values(&|r| r.s("event_type") == "conversation_closed", "source"),
        set(&[
            "user",
            "bot",
            "workflow",
            "api",
            "zapier",
            "make",
            "blocked",
            "contact_merged",
            "contact_deleted"
        ])
    );
    assert_eq!(
        values(&|r| r.s("event_type") == "handover", "handover_status"),
        set(&["successful", "cancelled", "disabled", "incomplete"])
    );
    assert_eq!(
        values(&|r| r.s("event_type") == "message", "sender_type"),
        set(&[
            "contact",
            "user",
            "bot",
            "workflow",
            "broadcast",
            "api",
            "integration"
        ])
    );
    assert!(
        rows.iter()
            .all(|r| (r.s("event_type") == "message") == r.get("message_id").is_some())
    );
    assert!(rows.iter().all(|r| r.get("establishment_id").is_some()));
    assert!(
        rows.iter()
            .any(|r| r.s("event_type") == "conversation_opened"
                && r.get("source") == Some("user")
                && r.get("channel_id").is_none())
    );
    assert!(
        rows.iter()
            .any(|r| r.s("event_type") == "conversation_opened"
                && r.get("assignee_user_id").is_some())
    );
    assert!(rows.iter().any(|r| r.s("event_type") == "assignee_changed" && r.get("assignee_user_id").is_none()));

    // Each file is sorted, declares it, and has page indexes.
    for file in all_files.iter().filter(|f| f.starts_with("events")) {
        let in_file: Vec<&Row> = rows.iter().filter(|r| &r.file == file).collect();
        assert!(!in_file.is_empty());
        for pair in in_file.windows(2) {
            let key = |r: &Row| {
                (
                    r.s("workspace_id").to_string(),
                    r.s("conversation_id").to_string(),
                    r.ts,
                    r.s("event_id").to_string(),
                )
            };
            assert!(
                key(pair[0]) <= key(pair[1]),
                "{file:?} not sorted: {:?} > {:?}",
                key(pair[0]),
                key(pair[1])
            );
        }
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(File::open(out.join(file)).unwrap()).unwrap();
        for rg in builder.metadata().row_groups() {
            assert!(rg.num_rows() <= 131_072);
            assert_eq!(rg.sorting_columns().map(Vec::len), Some(4));
            for col in rg.columns() {
                let name = col.column_path().string();
                let encodings: Vec<Encoding> = col.encodings().collect();
                match name.as_str() {
                    // Deltas, no dictionary, not compressed (write.rs).
                    "ts" => {
                        assert_eq!(col.compression(), Compression::UNCOMPRESSED);
                        assert!(
                            encodings.contains(&Encoding::DELTA_BINARY_PACKED),
                            "{encodings:?}"
                        );
                        assert!(
                            !encodings.contains(&Encoding::RLE_DICTIONARY),
                            "{encodings:?}"
                        );
                    }
                    "event_id" => {
                        assert!(matches!(col.compression(), Compression::ZSTD(_)));
                        assert!(
                            encodings.contains(&Encoding::DELTA_BYTE_ARRAY),
                            "{encodings:?}"
                        );
                        assert!(
                            !encodings.contains(&Encoding::RLE_DICTIONARY),
                            "{encodings:?}"
                        );
                    }
                    _ => assert!(matches!(col.compression(), Compression::ZSTD(_)), "{name}"),
                }
                assert!(col.column_index_offset().is_some() && col.offset_index_offset().is_some());
            }
        }
    }

    // Late and duplicated deliveries.
    let late_files = all_files
        .iter()
        .filter(|f| f.to_string_lossy().contains("late-"))
        .count();
    assert!(late_files > 0);
    let mut by_id: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in &rows {
        by_id.entry(r.s("event_id")).or_default().push(r);
    }
    let dups: Vec<&Vec<&Row>> = by_id.values().filter(|v| v.len() > 1).collect();
    assert!(!dups.is_empty());
    for copies in &dups {
        assert_eq!(copies.len(), 2);
        assert_eq!(
            (copies[0].ts, &copies[0].cols),
            (copies[1].ts, &copies[1].cols)
        );
    }

    // Conversations: whole in one part file, in the partition of their opening.
    let mut conversations: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in by_id.values().map(|v| v[0]) {
        conversations
            .entry(r.s("conversation_id"))
            .or_default()
            .push(r);
    }
    assert_eq!(conversations.len(), 2000);
    let mut part_files: BTreeMap<&str, BTreeSet<&PathBuf>> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| !r.file.to_string_lossy().contains("late-"))
    {
        part_files
            .entry(r.s("conversation_id"))
            .or_default()
            .insert(&r.file);
    }
    assert!(part_files.values().all(|f| f.len() == 1));
    let lake_end = opts
        .start
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_micros()
        + 14 * DAY;

    let mut per_contact: BTreeMap<&str, Vec<(i64, Option<i64>)>> = BTreeMap::new();
    let mut closed = 0;
    let mut after_close = 0;
    let mut waiting = 0;
    let mut buckets = [0; 5];
    for (id, evs) in conversations.iter_mut() {
        evs.sort_by_key(|r| (r.ts, r.s("event_id").to_string()));
        let opened: Vec<&&Row> = evs
            .iter()
            .filter(|r| r.s("event_type") == "conversation_opened")
            .collect();
        assert_eq!(opened.len(), 1, "{id}");
        let opened_at = opened[0].ts;
        assert_eq!(evs[0].s("event_type"), "conversation_opened", "{id}");
        let date = chrono::DateTime::from_timestamp_micros(opened_at)
            .unwrap()
            .date_naive();
        for r in evs.iter() {
            assert!(
                r.file
                    .starts_with(format!("events/date={}", date.format("%Y-%m-%d"))),
                "{id} in {:?}",
                r.file
            );
            assert!(r.ts < lake_end);
            assert_eq!(r.s("contact_id"), evs[0].s("contact_id"));
        }
        let closed_at = evs
            .iter()
            .find(|r| r.s("event_type") == "conversation_closed")
            .map(|r| r.ts);
        if let Some(c) = closed_at {
            closed += 1;
            if evs.iter().any(|r| r.ts > c) {
                after_close += 1;
            }
        }
        per_contact
            .entry(evs[0].s("contact_id"))
            .or_default()
            .push((opened_at, closed_at));
        let messages: Vec<&&Row> = evs
            .iter()
            .filter(|r| r.s("event_type") == "message")
            .collect();
        if closed_at.is_none()
            && messages.last().is_some_and(|m| {
                m.get("direction") == Some("incoming") && m.ts < lake_end - 4 * DAY
            })
        {
            waiting += 1;
        }
        let first_in = messages
            .iter()
            .find(|m| m.get("direction") == Some("incoming"));
        if let Some(first_in) = first_in
            && let Some(reply) = messages
                .iter()
                .find(|m| m.ts > first_in.ts && m.get("sender_type") == Some("user"))
        {
            let hours = (reply.ts - first_in.ts) as f64 / HOUR as f64;
            let bucket = [1.0, 4.0, 8.0, 24.0]
                .iter()
                .take_while(|&&b| hours >= b)
                .count();
            buckets[bucket] += 1;
        }
    }
    assert!(
        buckets.iter().all(|&b| b > 0),
        "pickup delay buckets {buckets:?}"
    );
    assert!(waiting > 0);
    assert!(after_close > 0);
    let closed_share = closed as f64 / 2000.0;
    assert!(
        (0.8..0.97).contains(&closed_share),
        "closed share {closed_share}"
    );

    // A contact has at most one open conversation at a time.
    for (contact, mut convs) in per_contact.clone() {
        convs.sort();
        for pair in convs.windows(2) {
            let closed = pair[0].1.unwrap_or_else(|| {
                panic!("{contact}: a conversation opens while one never closes")
            });
            assert!(
                closed < pair[1].0,
                "{contact}: overlapping conversations {pair:?}"
            );
        }
    }

    // Dimensions.
    let batches = read_batches(&out.join("workspaces/part-00000.parquet"));
    let hours: Vec<Option<String>> = batches
        .iter()
        .flat_map(|b| strings(b, "business_hours"))
        .collect();
    assert_eq!(hours.len(), 3);
    assert!(hours.iter().any(Option::is_none));
    assert!(
        hours
            .iter()
            .flatten()
            .all(|h| h.starts_with("{\"mon\":[") && h.contains("\"sun\":"))
    );
    let batches = read_batches(&out.join("contacts/part-00000.parquet"));
    let contact_ids: BTreeSet<String> = batches
        .iter()
        .flat_map(|b| strings(b, "contact_id"))
        .map(Option::unwrap)
        .collect();
    let first_conversation: Vec<Option<i64>> = batches
        .iter()
        .flat_map(|b| micros(b, "first_conversation_at"))
        .collect();
    assert_eq!(contact_ids.len(), first_conversation.len());
    assert!(rows.iter().all(|r| contact_ids.contains(r.s("contact_id"))));
    let start = lake_end - 14 * DAY;
    let before = first_conversation
        .iter()
        .flatten()
        .filter(|&&t| t < start)
        .count();
    assert_eq!(before, first_conversation.iter().flatten().count());
    let share = before as f64 / first_conversation.len() as f64;
    assert!(
        (0.1..0.3).contains(&share),
        "first_conversation_at share {share}"
    );

    // ~40% of conversations come from returning contacts.
    let pre_lake: BTreeSet<String> = batches
        .iter()
        .flat_map(|b| {
            strings(b, "contact_id")
                .into_iter()
                .zip(micros(b, "first_conversation_at"))
        })
        .filter(|(_, f)| f.is_some())
        .map(|(c, _)| c.unwrap())
        .collect();
    let returning: usize = per_contact
        .iter()
        .map(|(c, convs)| {
            if pre_lake.contains(*c) {
                convs.len()
            } else {
                convs.len() - 1
            }
        })
        .sum();
    let share = returning as f64 / 2000.0;
    assert!((0.3..0.5).contains(&share), "returning share {share}");

    let channel_types: BTreeSet<String> = read_batches(&out.join("channels/part-00000.parquet"))
        .iter()
        .flat_map(|b| strings(b, "channel_type"))
        .flatten()
        .collect();
    assert!(channel_types.len() >= 4);
    for table in ["users", "teams", "establishments"] {
        assert!(
            read_batches(&out.join(table).join("part-00000.parquet"))
                .iter()
                .map(RecordBatch::num_rows)
                .sum::<usize>()
                > 0
        );
    }
}

#[test]
fn refuses_non_empty_out_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lake");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    let err = generate(&options(&out, 20, 1)).unwrap_err();
    assert!(
        matches!(&err, Error::Parameter { name, .. } if name == "--out"),
        "{err}"
    );
    assert_eq!(files(&out), vec![PathBuf::from("keep.txt")]);
    assert_eq!(files(dir.path()), vec![PathBuf::from("lake/keep.txt")]);

    let mut opts = options(&out, 20, 1);
    opts.force = true;
    generate(&opts).unwrap();
    assert!(!out.join("keep.txt").exists());
    assert!(out.join("workspaces/part-00000.parquet").exists());
    let siblings: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(siblings, vec![std::ffi::OsString::from("lake")]);

    // An empty directory is used without --force.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    generate(&options(&empty, 20, 1)).unwrap();
    assert!(empty.join("events").is_dir());
}

#[test]
fn rejects_bad_options() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lake");
    type Change = fn(&mut GenerateOptions);
    let cases: [(&str, Change); 3] = [
        ("--conversations", |o| o.conversations = 0),
        ("--days", |o| o.days = 0),
        ("--workspaces", |o| o.workspaces = 0),
    ];
    for (option, change) in cases {
        let mut opts = options(&out, 10, 1);
        change(&mut opts);
        let err = generate(&opts).unwrap_err();
        assert!(
            matches!(&err, Error::Parameter { name, .. } if name == option),
            "{option}: {err}"
        );
        assert!(!out.exists());
    }
}
