"""Every view over Flight SQL (ADBC) against the CLI's answer for the same
parameters (`convlake sql -f parquet`, read by pyarrow): the same columns
and the same rows in any order, numbers to 1e-9 relative.

    python3 adbc_every_view.py PORT CONVLAKE_BINARY LAKE VIEW...
"""
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import adbc_driver_flightsql.dbapi as flight_sql
import pyarrow.parquet as pq

port, binary, lake, *views = sys.argv[1:]
settings = ["set convlake.period = 'last_30_days'", "set convlake.timezone = 'Europe/Paris'",
            "set convlake.as_of = '2026-11-30T12:00:00Z'"]


def key(row):
    return json.dumps(row, sort_keys=True, default=str)


def same(a, b):
    if isinstance(a, float) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


with tempfile.TemporaryDirectory() as tmp, \
        flight_sql.connect(f"grpc://127.0.0.1:{port}", autocommit=True) as conn, conn.cursor() as cur:
    for s in settings:
        cur.execute(s)
    for view in views:
        out = Path(tmp) / f"{view}.parquet"
        subprocess.run([binary, "--lake", lake, "sql", "-f", "parquet", "-o", str(out),
                        "; ".join(settings + [f"select * from {view}"])], check=True)
        expected = pq.read_table(out)
        cur.execute(f"select * from {view}")
        got = cur.fetch_arrow_table()
        if got.column_names != expected.column_names:
            sys.exit(f"{view}: columns {got.column_names} != {expected.column_names}")
        mine = sorted(got.to_pylist(), key=key)
        theirs = sorted(expected.to_pylist(), key=key)
        if len(mine) != len(theirs) or not all(same(a, b) for a, b in zip(mine, theirs)):
            sys.exit(f"{view}: {len(mine)} rows over Flight SQL, {len(theirs)} from the CLI, or values differ")
print("ok")
