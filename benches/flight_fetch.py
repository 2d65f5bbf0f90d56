#!/usr/bin/env python3
"""The whole `conversation_list` (period `all`) of a lake into Arrow in
Python, three ways, in one run: over Flight SQL (ADBC), over the PostgreSQL
wire (psycopg, binary, a server-side cursor), and `convlake sql -o
list.parquet` then read by pyarrow. Prints rows per second and the peak
RSS of the client and of the engine (the server; `convlake sql` for the
Parquet way) for each. Starts and stops its server.

    python3 benches/flight_fetch.py --lake benches/lakes/one-workspace-per-file-delta-ts-1000000 \\
        [--convlake target/release/convlake] [--runs 3]

Writes the figures as JSON to --out (default benches/flight_fetch.json).
Not part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_load import rss_kib  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SETS = ["set convlake.period = 'all'", "set convlake.timezone = 'Europe/Paris'"]
QUERY = "select * from conversation_list"


class Peak:
    """The largest RSS of a process, sampled every 50 ms while it runs."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.stop = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.05)

    def done(self) -> int:
        self.stop.set()
        self.thread.join()
        return self.peak


def client(way: str, pg: int, flight: int, lake: str, binary: str) -> None:
    """In a process of its own, so its peak memory is its own: fetch the list."""
    if way == "flight":
        import adbc_driver_flightsql.dbapi as flight_sql
        with flight_sql.connect(f"grpc://127.0.0.1:{flight}", autocommit=True) as conn, conn.cursor() as cur:
            for s in SETS:
                cur.execute(s)
            cur.execute(QUERY)
            table = cur.fetch_arrow_table()
    elif way == "postgres":
        import psycopg
        import pyarrow as pa
        with psycopg.connect(f"host=127.0.0.1 port={pg} user=bench dbname=convlake sslmode=disable") as conn:
            for s in SETS:
                conn.execute(s)
            # A client-side cursor, binary results: psycopg's server-side
            # cursor over convlake's FETCH crashed psycopg's C module on the
            # 1M list (left in the issue note).
            with conn.cursor(binary=True) as cur:
                cur.execute(QUERY)
                rows = cur.fetchall()
                names = [c.name for c in cur.description]
            table = pa.Table.from_pylist([dict(zip(names, r)) for r in rows])
    else:
        import pyarrow.parquet as pq
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "list.parquet"
            subprocess.run([binary, "--lake", lake, "sql", "-f", "parquet", "-o", str(out),
                            "; ".join(SETS + [QUERY])], check=True)
            table = pq.read_table(out)
    # Rows, this client's peak RSS, and its children's (the `convlake sql` of
    # the Parquet way), in KiB.
    print(table.num_rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lake", required=False)
    parser.add_argument("--convlake", default=str(REPO / "target/release/convlake"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default=str(REPO / "benches/flight_fetch.json"))
    parser.add_argument("--client", nargs=5, metavar=("WAY", "PG", "FLIGHT", "LAKE", "BINARY"))
    args = parser.parse_args()
    if args.client:
        way, pg, flight, lake, binary = args.client
        client(way, int(pg), int(flight), lake, binary)
        return 0
    server = subprocess.Popen([args.convlake, "--lake", args.lake, "serve", "--listen", "127.0.0.1:0",
                               "--flight-listen", "127.0.0.1:0"], stderr=subprocess.PIPE, text=True)
    ports = {}
    deadline = time.monotonic() + 120
    for line in server.stderr:
        for what in ("Flight SQL", "PostgreSQL wire"):
            marker = f"{what} listening on 127.0.0.1:"
            if marker in line:
                ports[what] = int(line.split(marker)[1].split()[0])
        if len(ports) == 2 or time.monotonic() > deadline:
            break
    threading.Thread(target=lambda: [None for _ in server.stderr], daemon=True).start()
    results = {}
    try:
        for run in range(args.runs):
            for way in ("flight", "postgres", "parquet"):
                peak = Peak(server.pid)
                started = time.perf_counter()
                out = subprocess.run([sys.executable, __file__, "--client", way,
                                      str(ports["PostgreSQL wire"]), str(ports["Flight SQL"]),
                                      args.lake, args.convlake], capture_output=True, text=True)
                seconds = time.perf_counter() - started
                server_peak = peak.done()
                if out.returncode != 0:
                    raise SystemExit(f"{way}: {out.stderr}")
                rows, client_peak, cli_peak = (int(x) for x in out.stdout.split())
                # The Parquet way has no server: its engine is `convlake sql`.
                engine_peak = cli_peak if way == "parquet" else server_peak
                results.setdefault(way, []).append({"seconds": seconds, "rows": rows,
                                                    "engine_peak_mib": engine_peak / 1024,
                                                    "client_peak_mib": client_peak / 1024})
                print(way, run, f"{seconds:.2f} s", rows, file=sys.stderr)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    summary = {}
    for way, runs in results.items():
        median = statistics.median(r["seconds"] for r in runs)
        summary[way] = {"median_s": round(median, 2), "rows": runs[0]["rows"],
                        "rows_per_s": round(runs[0]["rows"] / median),
                        "engine_peak_mib": round(max(r["engine_peak_mib"] for r in runs)),
                        "client_peak_mib": round(max(r["client_peak_mib"] for r in runs)),
                        "runs_s": [round(r["seconds"], 2) for r in runs]}
    summary["flight_vs_parquet"] = round(summary["flight"]["median_s"] / summary["parquet"]["median_s"], 2)
    summary["postgres_vs_flight"] = round(summary["postgres"]["median_s"] / summary["flight"]["median_s"], 2)
    Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
