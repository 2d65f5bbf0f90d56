"""Every view over the wire against the CLI's answer for the same
parameters: psycopg's rows (the simple protocol with text values, and the
extended one with binary values, as psycopg decodes them) compared with
`convlake sql -f json`'s, row for row in any order, numbers to 1e-9
relative.

    python3 every_view.py PORT CONVLAKE_BINARY LAKE VIEW...
"""
import datetime as dt
import json
import math
import subprocess
import sys
from decimal import Decimal

import psycopg

port, binary, lake, *views = sys.argv[1:]
settings = ["set convlake.period = 'last_30_days'", "set convlake.timezone = 'Europe/Paris'",
            "set convlake.as_of = '2026-11-30T12:00:00Z'"]


def canonical(value):
    """A value as the CLI's JSON writes it."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
            return value.isoformat(timespec="microseconds").rstrip("0").rstrip(".") + "Z"
        return value.isoformat(timespec="microseconds").rstrip("0").rstrip(".")
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return value


def cli_canonical(value):
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        # "2026-11-02T01:06:56.038591Z" / "2026-11-02T00:00:00": trailing zeros cut, as above.
        zulu = value.endswith("Z")
        body = value.rstrip("Z")
        if "." in body:
            body = body.rstrip("0").rstrip(".")
        return body + ("Z" if zulu else "")
    if isinstance(value, list):
        return [cli_canonical(v) for v in value]
    return value


def same(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def key(row):
    return json.dumps(row, sort_keys=True, default=str)


failures = []
with psycopg.connect(f"host=127.0.0.1 port={port} user=anyone dbname=convlake sslmode=disable",
                     autocommit=True) as conn:
    for s in settings:
        conn.execute(s)
    for view in views:
        out = subprocess.run([binary, "--lake", lake, "sql", "-f", "json",
                              "; ".join(settings + [f"select * from {view}"])],
                             capture_output=True, text=True, check=True)
        cli = [{k: cli_canonical(v) for k, v in json.loads(line).items()}
               for line in out.stdout.splitlines() if line]
        cli.sort(key=key)
        # The simple protocol with text values, and the extended one with
        # binary values: every column type decoded both ways.
        for protocol, binary_values in (("text", False), ("binary", True)):
            cur = conn.cursor(binary=binary_values)
            cur.execute(f"select * from {view}")
            names = [c.name for c in cur.description]
            wire = [{n: canonical(v) for n, v in zip(names, row)} for row in cur.fetchall()]
            if len(wire) != len(cli):
                failures.append(f"{view} ({protocol}): {len(wire)} rows over the wire, "
                                f"{len(cli)} from the CLI")
                continue
            wire.sort(key=key)
            for w, c in zip(wire, cli):
                diff = [n for n in names if not same(w.get(n), c.get(n))]
                if diff:
                    failures.append(f"{view} ({protocol}): {diff[0]} = {w.get(diff[0])!r} over "
                                    f"the wire, {c.get(diff[0])!r} from the CLI")
                    break
if failures:
    sys.exit("\n".join(failures))
print(f"ok {len(views)}")
