"""Reads a `convlake export` destination as a warehouse loader would, by its
manifests only, with readers of its own (Python's csv and json modules,
pyarrow for Parquet), and compares the rows with the view's (the CLI's
`sql -f json` lines). Exits non-zero naming the difference.

    python3 read_export.py FOLDER EXPECTED_JSONL [--runs N] [--latest-by KEY]

--runs N: the destination must hold exactly N committed runs.
--latest-by KEY: the union of every run, a row per KEY from the newest
run holding it (the rule of docs/export.md for incremental jobs); without
it, the newest run's rows alone.
Prints "ok ROWS".
"""
import argparse
import csv
import datetime as dt
import json
import math
import os
import sys

import pyarrow.parquet as pq

parser = argparse.ArgumentParser()
parser.add_argument("folder")
parser.add_argument("expected")
parser.add_argument("--runs", type=int)
parser.add_argument("--latest-by")
args = parser.parse_args()


def fail(message):
    sys.exit(message)


def canonical(value):
    """A value as text comparable across formats: instants in UTC, numbers
    to 9 significant digits, empty strings as null (CSV has one empty)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.isoformat()
        return value.astimezone(dt.timezone.utc).isoformat()
    if isinstance(value, (int, float)):
        return f"{float(value):.9g}"
    if isinstance(value, str):
        if value in ("true", "false"):
            return value
        if len(value) >= 19 and value[4] == "-" and value[10] in "T ":
            try:
                return canonical(dt.datetime.fromisoformat(value))
            except ValueError:
                return value
        try:
            number = float(value)
            if math.isfinite(number) and value.strip() == value:
                return f"{number:.9g}"
        except ValueError:
            pass
    return str(value)


manifest_dir = os.path.join(args.folder, "_manifests")
names = sorted(n for n in os.listdir(manifest_dir) if n.endswith(".json")) if os.path.isdir(manifest_dir) else []
manifests = [json.load(open(os.path.join(manifest_dir, n))) for n in names]
if args.runs is not None and len(manifests) != args.runs:
    fail(f"{len(manifests)} committed runs, expected {args.runs}")
for i, m in enumerate(manifests, 1):
    if m["sequence"] != i:
        fail(f"manifest {names[i - 1]} has sequence {m['sequence']}")


def rows_of(manifest):
    rows = []
    for entry in manifest["files"]:
        path = os.path.join(args.folder, entry["path"])
        if os.path.getsize(path) != entry["bytes"]:
            fail(f"{entry['path']}: {os.path.getsize(path)} bytes, the manifest says {entry['bytes']}")
        if manifest["format"] == "parquet":
            got = pq.read_table(path).to_pylist()
        elif manifest["format"] == "csv":
            with open(path, newline="", encoding="utf-8") as f:
                raw = f.read()
            if raw and not raw.endswith("\r\n"):
                fail(f"{entry['path']}: lines do not end with CRLF")
            got = list(csv.DictReader(raw.splitlines(keepends=True)))
            header = next(csv.reader([raw.split("\r\n", 1)[0]]))
            if header != [c for c, _ in manifest["schema"]]:
                fail(f"{entry['path']}: header {header}")
        else:
            with open(path, encoding="utf-8") as f:
                got = [json.loads(line) for line in f if line.strip()]
        if len(got) != entry["rows"]:
            fail(f"{entry['path']}: {len(got)} rows, the manifest says {entry['rows']}")
        rows.extend(got)
    if len(rows) != manifest["rows"]:
        fail(f"run {manifest['sequence']}: {len(rows)} rows, the manifest says {manifest['rows']}")
    return rows


def key(row):
    return json.dumps({k: canonical(v) for k, v in row.items()}, sort_keys=True)


if not manifests:
    fail("no committed run")
if args.latest_by:
    by_key = {}
    for m in manifests:
        for row in rows_of(m):
            by_key[row[args.latest_by]] = row
    exported = list(by_key.values())
else:
    exported = rows_of(manifests[-1])
with open(args.expected, encoding="utf-8") as f:
    expected = [json.loads(line) for line in f if line.strip()]
got, want = sorted(map(key, exported)), sorted(map(key, expected))
if got != want:
    missing = set(want) - set(got)
    extra = set(got) - set(want)
    fail(f"{len(got)} rows exported, {len(want)} expected; missing e.g. {sorted(missing)[:1]}; "
         f"extra e.g. {sorted(extra)[:1]}")
print(f"ok {len(got)}")
