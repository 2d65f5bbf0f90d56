#!/usr/bin/env python3
"""`convlake export` against DuckDB's `COPY (...) TO`, the same rows: the
benchmark's `conversation_list` (its 30-day period, and the whole lake) to
Parquet and to CSV, on the generated 1M and 10M lakes. One run of each,
in one process each: wall time, peak RSS, bytes written, rows.

    python3 benches/export.py [--sizes 1000000,10000000]

Uses run.py's lakes, DuckDB venv and SQL (benches/README.md); writes the
table to stdout and benches/export.json. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (benches/run.py: lakes, venv, process timing)

FORMATS = ["parquet", "csv"]
PERIODS = [("30 days", "period"), ("whole lake", "all")]


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def duckdb_worker(sql_file: str, output: str, fmt: str, temp_dir: str) -> int:
    """In benches/.venv: the query's rows COPYed to one file."""
    import duckdb  # noqa: PLC0415

    con = duckdb.connect(config={"temp_directory": temp_dir})
    con.execute("set TimeZone = 'UTC'")
    statements = run.split_statements(Path(sql_file).read_text())
    for statement in statements[:-1]:
        con.execute(statement)
    options = ("format parquet, compression zstd" if fmt == "parquet"
               else "format csv, header, timestampformat '%Y-%m-%dT%H:%M:%S.%fZ'")
    con.execute(f"copy ({statements[-1]}) to '{output}' ({options})")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--convlake", help="a built binary (default: cargo build --release)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "export.json"))
    parser.add_argument("--duckdb-worker", nargs=4, metavar=("SQL", "OUT", "FORMAT", "TEMP"))
    args = parser.parse_args()
    if args.duckdb_worker:
        return duckdb_worker(*args.duckdb_worker)

    python = run.ensure_venv("duckdb==2.0.0")
    binary = Path(args.convlake) if args.convlake else run.build_convlake()
    params = run.Params(start="2026-10-01T00:00:00Z", end="2026-10-31T00:00:00Z",
                        as_of="2026-10-31T00:00:00Z", timezone="Europe/Paris")
    component = next(c for c in run.COMPONENTS if c.name == "conversation_list")
    results = []
    for size in [int(s) for s in args.sizes.split(",")]:
        lake = run.ensure_lake(binary, size, args.timeout)
        for label, period in PERIODS:
            for fmt in FORMATS:
                with tempfile.TemporaryDirectory(dir=run.LAKES) as tmp:
                    tmp = Path(tmp)
                    to = tmp / "convlake"
                    value = "all" if period == "all" else f"{params.start}/{params.end}"
                    ours = run.run_process(
                        [str(binary), "--lake", str(lake), "export", "conversation_list",
                         "--to", str(to), "--format", fmt, "--period", value,
                         "--tz", params.timezone, "--as-of", params.as_of], args.timeout)
                    if not ours.ok:
                        raise SystemExit(f"convlake export failed:\n{ours.stderr}")
                    manifest = json.loads((to / "_manifests/00000001.json").read_text())
                    ours_bytes = size_of(to)
                    shutil.rmtree(to)

                    duck = run.DuckDB(python, lake, params, tmp)
                    component_period = run.Component(component.name, period, None, component.keys,
                                                      False, component.what)
                    sql_file = duck.sql_file(component_period)
                    target = tmp / f"duckdb.{fmt}"
                    theirs = run.run_process(
                        [str(python), str(Path(__file__).resolve()), "--duckdb-worker",
                         str(sql_file), str(target), fmt, str(tmp / "spill")], args.timeout)
                    if not theirs.ok:
                        raise SystemExit(f"DuckDB COPY failed:\n{theirs.stderr}")
                    theirs_bytes = target.stat().st_size
                row = {
                    "lake": size, "period": label, "format": fmt, "rows": manifest["rows"],
                    "convlake_s": round(ours.seconds, 2),
                    "convlake_mib": round(ours.peak_rss_kib / 1024),
                    "convlake_bytes": ours_bytes,
                    "duckdb_s": round(theirs.seconds, 2),
                    "duckdb_mib": round(theirs.peak_rss_kib / 1024),
                    "duckdb_bytes": theirs_bytes,
                    "ratio": round(ours.seconds / theirs.seconds, 2),
                }
                run.log(json.dumps(row))
                results.append(row)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print("| lake | period | format | rows | convlake | DuckDB COPY | time ratio |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['lake']:,} | {r['period']} | {r['format']} | {r['rows']:,} | "
              f"{r['convlake_s']} s, {r['convlake_mib']:,} MiB, {r['convlake_bytes'] / 1e6:.1f} MB | "
              f"{r['duckdb_s']} s, {r['duckdb_mib']:,} MiB, {r['duckdb_bytes'] / 1e6:.1f} MB | "
              f"{r['ratio']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
