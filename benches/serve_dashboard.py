#!/usr/bin/env python3
"""A respond.io Conversations dashboard over the PostgreSQL wire against the
same tiles from the CLI: the 11 components of seed 000 and report_status
(12 tiles) for a 30-day period, one psycopg connection per tile opened at
once, as a BI tool refreshes a dashboard; time to the last tile. Beside
it, `convlake sql` running the 12 tile queries in one process (statements
one after the other) and `convlake report conversations` (the same page).
Runs take turns; the median of --runs is reported. Stops the server it
starts.

    python3 benches/serve_dashboard.py --lake benches/lakes/1000000 \
        [--convlake target/release/convlake] [--runs 5]

Writes the figures as JSON to --out (default benches/serve_dashboard.json).
The lake should be materialised (`convlake materialize`) as users run it.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_load import REPO, start_server  # noqa: E402

# Seed 000's tiles, as the report orders them; the list as a BI table
# shows it (its first 2,000 rows, Metabase's default).
TILES = [
    "select * from conversation_summary",
    "select * from opened_vs_closed order by bucket",
    "select * from heatmap_opened order by weekday, hour",
    "select * from heatmap_closed order by weekday, hour",
    "select * from opened_by_contact_type order by contact_type",
    "select * from opened_by_source order by conversations desc, 2",
    "select * from opened_by_channel order by conversations desc, 2",
    "select * from closed_by_category order by conversations desc, 2",
    "select * from closed_by_source order by conversations desc, 2",
    "select * from closed_by_contact_type order by contact_type",
    "select * from conversation_list order by closed_at, conversation_id limit 2000",
    "select component, notice from report_status",
]


def settings(as_of: str) -> list[str]:
    return ["set convlake.period = 'last_30_days'", "set convlake.timezone = 'Europe/Paris'",
            f"set convlake.as_of = '{as_of}'"]


def wire_dashboard(port: int, as_of: str) -> tuple[float, list[int]]:
    """Seconds from the first connection to the last tile's rows; rows per tile."""
    rows = [0] * len(TILES)
    errors: list[str] = []
    barrier = threading.Barrier(len(TILES) + 1)

    def tile(i: int) -> None:
        barrier.wait()
        try:
            with psycopg.connect(f"host=127.0.0.1 port={port} user=bi dbname=convlake "
                                 "sslmode=disable", autocommit=True) as conn:
                for s in settings(as_of):
                    conn.execute(s)
                rows[i] = len(conn.execute(TILES[i]).fetchall())
        except Exception as err:  # noqa: BLE001 (reported, fails the run)
            errors.append(f"{TILES[i]}: {err}")

    threads = [threading.Thread(target=tile, args=(i,)) for i in range(len(TILES))]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.monotonic()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    if errors:
        sys.exit("\n".join(errors))
    return elapsed, rows


def timed(command: list[str]) -> float:
    started = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lake", required=True)
    parser.add_argument("--convlake", default=str(REPO / "target/release/convlake"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", default=str(REPO / "benches/serve_dashboard.json"))
    args = parser.parse_args()
    as_of = subprocess.run([args.convlake, "--lake", args.lake, "sql", "-f", "csv", "--as-of", "now",
                            "select max(ts) from events"], capture_output=True, text=True,
                           check=True).stdout.splitlines()[1].replace(" ", "T")
    cli_sql = [args.convlake, "--lake", args.lake, "sql", "-f", "csv",
               "; ".join(settings(as_of) + TILES)]
    cli_report = [args.convlake, "--lake", args.lake, "report", "conversations", "--period",
                  "last_30_days", "--tz", "Europe/Paris", "--as-of", as_of]
    server, port = start_server(args.convlake, args.lake)
    wire, sql, report, tile_rows = [], [], [], None
    try:
        wire_dashboard(port, as_of)  # warm-up: the server's first plans, the page cache
        timed(cli_sql)
        for _ in range(args.runs):
            elapsed, tile_rows = wire_dashboard(port, as_of)
            wire.append(elapsed)
            sql.append(timed(cli_sql))
            report.append(timed(cli_report))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    med = statistics.median
    result = {
        "lake": args.lake, "binary": args.convlake, "as_of": as_of, "runs": args.runs,
        "tiles": len(TILES), "tile_rows": tile_rows,
        "wire_s": {"median": round(med(wire), 3), "min": round(min(wire), 3), "max": round(max(wire), 3)},
        "cli_sql_s": {"median": round(med(sql), 3), "min": round(min(sql), 3), "max": round(max(sql), 3)},
        "cli_report_s": {"median": round(med(report), 3), "min": round(min(report), 3),
                         "max": round(max(report), 3)},
        "wire_over_cli_sql": round(med(wire) / med(sql), 3),
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
