#!/usr/bin/env python3
"""Load on `convlake serve` over the PostgreSQL wire: N clients (psycopg 3)
for a bounded time, each running report components with random periods and
filters, as BI dashboards refresh. Prints queries per second, p50/p95/p99
latency, errors, and the server's RSS sampled each second (it must stay flat
after warm-up: its least-squares slope is printed). Stops by itself; stops the server it starts.

    python3 benches/serve_load.py --lake benches/lakes/one-workspace-per-file-delta-ts-1000000 \
        [--convlake target/release/convlake] [--clients 50] [--seconds 300]

Writes the figures as JSON to --out (default benches/serve_load.json).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
COMPONENTS = [
    "select * from conversation_summary",
    "select * from opened_vs_closed order by bucket",
    "select * from heatmap_opened order by weekday, hour",
    "select * from heatmap_closed order by weekday, hour",
    "select * from opened_by_contact_type",
    "select * from opened_by_source",
    "select * from opened_by_channel",
    "select * from closed_by_category",
    "select * from closed_by_source",
    "select * from closed_by_contact_type",
    "select count(*) from conversation_list",
]
PERIODS = ["today", "yesterday", "last_7_days", "last_14_days", "last_30_days", "this_month", "last_month"]
FILTERS = [None, ("opened_source", "paid_ads"), ("contact_type", "new"), ("contact_type", "returning")]


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start_server(binary: str, lake: str) -> tuple[subprocess.Popen, int]:
    server = subprocess.Popen([binary, "--lake", lake, "serve", "--listen", "127.0.0.1:0",
                               "--max-connections", "1000"],
                              stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    for line in server.stderr:
        if "listening on 127.0.0.1:" in line:
            port = int(line.split("listening on 127.0.0.1:")[1].split()[0])
            threading.Thread(target=lambda: [None for _ in server.stderr], daemon=True).start()
            return server, port
        if time.monotonic() > deadline:
            break
    server.kill()
    sys.exit("the server did not start")


def client(port: int, as_of: str, until: float, latencies: list, errors: list, seed: int):
    rng = random.Random(seed)
    with psycopg.connect(f"host=127.0.0.1 port={port} user=load dbname=convlake sslmode=disable",
                         autocommit=True) as conn:
        conn.execute(f"set convlake.as_of = '{as_of}'")
        conn.execute("set convlake.timezone = 'Europe/Paris'")
        while time.monotonic() < until:
            conn.execute(f"set convlake.period = '{rng.choice(PERIODS)}'")
            conn.execute("set convlake.opened_source = ''")
            conn.execute("set convlake.contact_type = ''")
            chosen = rng.choice(FILTERS)
            if chosen:
                conn.execute(f"set convlake.{chosen[0]} = '{chosen[1]}'")
            query = rng.choice(COMPONENTS)
            started = time.monotonic()
            try:
                conn.execute(query).fetchall()
                latencies.append(time.monotonic() - started)
            except psycopg.errors.InvalidParameterValue:
                # A filter the component does not accept (seed 000): its answer.
                latencies.append(time.monotonic() - started)
            except Exception as err:  # noqa: BLE001 (every other failure counts)
                errors.append(f"{query}: {err}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lake", required=True)
    parser.add_argument("--convlake", default=str(REPO / "target/release/convlake"))
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--warmup", type=float, default=30, help="seconds of RSS not judged")
    parser.add_argument("--out", default=str(REPO / "benches/serve_load.json"))
    args = parser.parse_args()
    as_of = subprocess.run([args.convlake, "--lake", args.lake, "sql", "-f", "csv", "--as-of", "now",
                            "select max(ts) from events"], capture_output=True, text=True,
                           check=True).stdout.splitlines()[1].replace(" ", "T")
    server, port = start_server(args.convlake, args.lake)
    samples: list[tuple[float, int]] = []
    try:
        latencies: list[float] = []
        errors: list[str] = []
        started = time.monotonic()
        until = started + args.seconds
        threads = [threading.Thread(target=client, args=(port, as_of, until, latencies, errors, i))
                   for i in range(args.clients)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            samples.append((time.monotonic() - started, rss_kib(server.pid)))
            time.sleep(1)
        for t in threads:
            t.join()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    elapsed = time.monotonic() - started
    ordered = sorted(latencies)
    pct = lambda p: ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")
    after = [kib for t, kib in samples if t >= args.warmup] or [kib for _, kib in samples]
    # Flat: the least-squares slope of RSS after warm-up, MiB per minute.
    points = [(t, kib / 1024) for t, kib in samples if t >= args.warmup]
    slope = None
    if len(points) > 2:
        mt = statistics.fmean(t for t, _ in points)
        mr = statistics.fmean(r for _, r in points)
        slope = 60 * sum((t - mt) * (r - mr) for t, r in points) / sum((t - mt) ** 2 for t, _ in points)
    result = {
        "lake": args.lake, "binary": args.convlake, "clients": args.clients, "seconds": round(elapsed, 1),
        "queries": len(latencies), "qps": round(len(latencies) / elapsed, 2),
        "p50_s": round(pct(0.50), 4), "p95_s": round(pct(0.95), 4), "p99_s": round(pct(0.99), 4),
        "mean_s": round(statistics.fmean(ordered), 4) if ordered else None,
        "errors": len(errors), "first_errors": errors[:5],
        "rss_mib_after_warmup": {"min": round(min(after) / 1024, 1), "max": round(max(after) / 1024, 1),
                                 "last": round(after[-1] / 1024, 1)} if after else None,
        "rss_slope_mib_per_min_after_warmup": round(slope, 1) if slope is not None else None,
        "rss_mib_every_10_s": [round(kib / 1024) for t, kib in samples[::10]],
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
