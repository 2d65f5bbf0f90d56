"""SQLAlchemy 2 (psycopg driver) and pandas against `convlake serve`, as a
notebook or a BI tool's Python connects. Exits non-zero naming the check.

    python3 sqlalchemy_session.py PORT EXPECTED_JSON

EXPECTED_JSON: {"views": [...], "tables": [...], "heatmap_sum": n} from the
CLI, for period last_30_days, Europe/Paris, as of 2026-11-30T12:00:00Z.
"""
import json
import sys

import pandas as pd
import sqlalchemy as sa

port, expected = sys.argv[1], json.loads(sys.argv[2])
engine = sa.create_engine(f"postgresql+psycopg://anyone@127.0.0.1:{port}/convlake?sslmode=disable")


def check(name, ok, detail):
    if not ok:
        sys.exit(f"{name}: {detail}")


with engine.connect() as conn:
    # The dialect parses version() and needs PostgreSQL 9.2 or later.
    check("server version", engine.dialect.server_version_info[:2] == (16, 6),
          engine.dialect.server_version_info)
inspector = sa.inspect(engine)
tables = sorted(inspector.get_table_names())
check("tables", tables == sorted(expected["tables"]), tables)
views = set(inspector.get_view_names())
missing = set(expected["views"]) - views
check("views", not missing, f"missing {sorted(missing)}")
# Every view's columns as the inspector lists them (pg_catalog) are the
# columns its rows come with; the types are SQLAlchemy's for them.
with engine.connect() as conn:
    for view in sorted(views):
        listed = [c["name"] for c in inspector.get_columns(view)]
        returned = list(conn.execute(sa.text(f"select * from {view} limit 0")).keys())
        check(f"columns of {view}", listed == returned, (listed, returned))
summary = {c["name"]: c["type"] for c in inspector.get_columns("conversation_summary")}
check("summary types", list(summary) == ["opened", "closed"]
      and all(isinstance(t, sa.BigInteger) for t in summary.values()), summary)
listed = {c["name"]: c["type"] for c in inspector.get_columns("conversation_list")}
check("timestamptz", isinstance(listed["closed_at"], sa.TIMESTAMP) and listed["closed_at"].timezone,
      listed["closed_at"])
with engine.connect() as conn:
    for statement in ["set convlake.period = 'last_30_days'",
                      "set convlake.timezone = 'Europe/Paris'",
                      "set convlake.as_of = '2026-11-30T12:00:00Z'"]:
        conn.execute(sa.text(statement))
    frame = pd.read_sql("select * from heatmap_opened order by weekday, hour", conn)
    check("heat-map cells", frame.shape[0] == 168, frame.shape)
    check("heat-map total", int(frame["conversations"].sum()) == expected["heatmap_sum"],
          int(frame["conversations"].sum()))
    listed = pd.read_sql(sa.text("select conversation_id, closed_at from conversation_list "
                                 "where closed_at >= :since order by closed_at"),
                         conn, params={"since": "2026-11-20T00:00:00Z"})
    check("list rows", len(listed) == expected["list_since"], len(listed))
    check("timestamps typed", str(listed["closed_at"].dtype).startswith("datetime64"),
          listed["closed_at"].dtype)
print("ok")
