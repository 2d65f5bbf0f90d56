"""psycopg 3 against `convlake serve`, as a BI tool's Python would connect.

Run by tests/serve.rs with the server's address; exits non-zero, naming
the check, when an answer is not the expected one.

    python3 psycopg_session.py HOST PORT USER PASSWORD EXPECTED_JSON

EXPECTED_JSON holds the CLI's answers for the same parameters:
{"opened_all": n, "opened_october": n}.
"""
import json
import sys

import psycopg
from psycopg import sql

host, port, user, password, expected = sys.argv[1:6]
expected = json.loads(expected)
dsn = f"host={host} port={port} user={user} password={password} dbname=convlake sslmode=disable"


def check(name, got, want):
    if got != want:
        sys.exit(f"{name}: got {got!r}, expected {want!r}")


# Two connections, two periods: each keeps its own (extended protocol with
# parameters, psycopg's default for execute with arguments).
with psycopg.connect(dsn, autocommit=True) as a, psycopg.connect(dsn, autocommit=True) as b:
    a.execute("set convlake.timezone = 'Europe/Paris'")
    b.execute("set convlake.timezone = 'Europe/Paris'")
    a.execute("set convlake.as_of = '2026-11-30T12:00:00Z'")
    b.execute("set convlake.as_of = '2026-11-30T12:00:00Z'")
    a.execute("set convlake.period = 'all'")
    b.execute("set convlake.period = '2026-10-01/2026-11-01'")
    check("SHOW in a", a.execute("show convlake.period").fetchone()[0], "all")
    check("SHOW in b", b.execute("show convlake.period").fetchone()[0], "2026-10-01/2026-11-01")
    check("opened, all", a.execute("select opened from conversation_summary").fetchone()[0],
          expected["opened_all"])
    check("opened, October", b.execute("select opened from conversation_summary").fetchone()[0],
          expected["opened_october"])
    # A parameter of each common type, bound by the client.
    row = a.execute(
        "select cast(%s as bigint) + 1, %s || 'x', cast(%s as double) * 2, cast(%s as boolean)",
        (41, "a", 1.25, True),
    ).fetchone()
    check("typed parameters", row, (42, "ax", 2.5, True))
    # Parameters typed only by the client's OIDs, in text and in binary.
    row = a.execute("select %s, %s, %s, %s", (True, 41, 1.25, "a")).fetchone()
    check("parameters typed by the client", row, (True, 41, 1.25, "a"))
    row = a.execute("select %b, %b + 1, %b", (False, 41, 0.5)).fetchone()
    check("binary parameters", row, (False, 42, 0.5))
    rows = a.execute(
        "select count(*) from events where workspace_id = %s and event_type = %s",
        ("ws01", "conversation_opened"),
    ).fetchone()[0]
    if rows <= 0:
        sys.exit(f"events of ws01: {rows}")
    # A bad value is an error naming the parameter, and changes nothing.
    try:
        a.execute("set convlake.period = 'last_week'")
        sys.exit("a bad period was accepted")
    except psycopg.errors.InvalidParameterValue as err:
        if "convlake.period" not in str(err):
            sys.exit(f"the error does not name the parameter: {err}")
    check("period kept", a.execute("show convlake.period").fetchone()[0], "all")
    try:
        a.execute("set convlake.perod = 'all'")
        sys.exit("an unknown parameter was accepted")
    except psycopg.errors.UndefinedObject as err:
        if "convlake.perod" not in str(err):
            sys.exit(f"the error does not name the parameter: {err}")
    # Writes are refused with SQLSTATE 25006.
    for statement in ["create table t as select 1", "insert into events select * from events",
                      "drop view conversation_list"]:
        try:
            a.execute(statement)
            sys.exit(f"accepted: {statement}")
        except psycopg.errors.ReadOnlySqlTransaction:
            pass
    # RESET brings the default back.
    a.execute("reset convlake.period")
    check("reset", a.execute("show convlake.period").fetchone()[0], "last_7_days")
print("ok")
