"""An ADBC client (adbc-driver-flightsql, the Go driver, from PyPI) against
`convlake serve --flight-listen`: it logs in, keeps its `SET`s, reads a
view as Arrow, lists every table and view with columns (get_objects), is
refused what a read-only server refuses, and sees only its workspaces.
Exits non-zero naming the check.

    python3 adbc_session.py PORT USER PASSWORD EXPECTED_JSON

EXPECTED_JSON: {"summary": [opened, closed], "summary_week": [opened,
closed], "billing": n, "relations": {name: kind}, "list_columns": [...],
"workspaces": [...]}: conversation_summary for period 'all' and for
'last_7_days' as of 2026-11-30T12:00:00Z, in Europe/Paris, the number of
conversations of category Billing (all from the CLI), every table and view,
the list's columns, and the workspaces this user may see.
"""
import json
import sys

import adbc_driver_flightsql.dbapi as flight_sql
import adbc_driver_manager

port, user, password, expected = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
uri = f"grpc://127.0.0.1:{port}"


def fail(what, detail):
    sys.exit(f"{what}: {detail}")


def connect(name, secret):
    return flight_sql.connect(uri, db_kwargs={"username": name, "password": secret}, autocommit=True)


# A wrong password, and an unknown user: refused at login, the same way.
for name, secret in [(user, password + "x"), ("mallory", password)]:
    try:
        with connect(name, secret) as bad:
            with bad.cursor() as cur:
                cur.execute("select 1")
        fail("login", f"{name} with a wrong password got in")
    except adbc_driver_manager.Error as err:
        if "password authentication failed" not in str(err):
            fail("login refusal", err)

with connect(user, password) as conn:
    with conn.cursor() as cur:
        cur.execute("set convlake.period = 'all'")
        cur.execute("set convlake.timezone = 'Europe/Paris'")
        # The session keeps them: a later statement reads them back.
        cur.execute("show convlake.period")
        if cur.fetchall() != [("all",)]:
            fail("SET kept in the session", "show convlake.period")
        cur.execute("select opened, closed from conversation_summary")
        table = cur.fetch_arrow_table()
        got = [table.column("opened")[0].as_py(), table.column("closed")[0].as_py()]
        if got != expected["summary"]:
            fail("conversation_summary", f"{got} != {expected['summary']}")
        # A prepared statement with a parameter the client binds.
        cur.execute("select count(*) as n from conversation_list where category = $1", parameters=("Billing",))
        if cur.fetchall() != [(expected["billing"],)]:
            fail("a bound parameter", "category = $1")
        # A second client with a period of its own: neither sees the other's.
        with connect(user, password) as other, other.cursor() as cur2:
            cur2.execute("set convlake.period = 'last_7_days'")
            cur2.execute("set convlake.timezone = 'Europe/Paris'")
            cur2.execute("set convlake.as_of = '2026-11-30T12:00:00Z'")
            cur2.execute("select opened, closed from conversation_summary")
            if list(cur2.fetchall()[0]) != expected["summary_week"]:
                fail("the second client's period", expected["summary_week"])
            cur.execute("select opened, closed from conversation_summary")
            if list(cur.fetchall()[0]) != expected["summary"]:
                fail("the first client's period after the second's SET", "")
        # Columnar all the way: the list's types as Arrow has them.
        cur.execute("select * from conversation_list")
        listed = cur.fetch_arrow_table()
        if listed.column_names != expected["list_columns"]:
            fail("conversation_list columns", listed.column_names)
        if str(listed.schema.field("closed_at").type) != "timestamp[us, tz=UTC]":
            fail("closed_at type", listed.schema.field("closed_at").type)
        # Strings as plain strings (the engine's views are cast on the way out).
        if str(listed.schema.field("conversation_id").type) != "string":
            fail("conversation_id type", listed.schema.field("conversation_id").type)
        # Only this user's workspaces, in the events themselves.
        cur.execute("select distinct workspace_id from events order by 1")
        seen = [row[0] for row in cur.fetchall()]
        if seen != expected["workspaces"]:
            fail("workspaces", seen)
        # A bad value is an error naming the parameter, and changes nothing.
        try:
            cur.execute("set convlake.period = 'last_week'")
            fail("bad SET", "accepted")
        except adbc_driver_manager.Error as err:
            if "convlake.period" not in str(err):
                fail("bad SET message", err)
        cur.execute("show convlake.period")
        if cur.fetchall() != [("all",)]:
            fail("bad SET changed the period", "")
        # statement_timeout ends a statement still running (57014), and a
        # bad value is refused; 0 lifts it.
        cur.execute("set statement_timeout = '200ms'")
        try:
            cur.execute("select count(*) from (select value from generate_series(1, 100000000000))")
            cur.fetchall()
            fail("statement_timeout", "the statement ran to its end")
        except adbc_driver_manager.Error as err:
            if "57014" not in str(err):
                fail("statement_timeout message", err)
        try:
            cur.execute("set statement_timeout = 'soon'")
            fail("bad statement_timeout", "accepted")
        except adbc_driver_manager.Error as err:
            if "statement_timeout" not in str(err):
                fail("bad statement_timeout message", err)
        cur.execute("set statement_timeout = 0")
        cur.execute("select 1 as one")
        if cur.fetchall() != [(1,)]:
            fail("statement_timeout = 0", "")
        # Read-only: each kind refused, naming why.
        for statement in ["create table t as select 1 as x",
                          "insert into events select * from events limit 1",
                          "drop view conversation_list",
                          "copy (select 1) to '/tmp/x.csv'",
                          "set datafusion.execution.batch_size = 1"]:
            try:
                cur.execute(statement)
                cur.fetchall()
                fail("read-only", f"{statement!r} ran")
            except adbc_driver_manager.Error as err:
                if "25006" not in str(err) and "42501" not in str(err):
                    fail(f"refusal of {statement!r}", err)
    # Every table and view, with its columns, as ADBC tools list them.
    objects = conn.adbc_get_objects(depth="all").read_all().to_pylist()
    relations = {}
    columns = {}
    for catalog in objects:
        for schema in catalog["catalog_db_schemas"] or []:
            for table in schema["db_schema_tables"] or []:
                relations[table["table_name"]] = table["table_type"]
                columns[table["table_name"]] = [c["column_name"] for c in table["table_columns"] or []]
    for name, kind in expected["relations"].items():
        if relations.get(name) != kind:
            fail("get_objects", f"{name}: {relations.get(name)} != {kind}")
    if columns.get("conversation_list") != expected["list_columns"]:
        fail("get_objects columns", columns.get("conversation_list"))
print("ok")
