"""A CancelRequest while rows are streaming, as psql's Ctrl-C sends one:
psycopg's `cancel_safe()` from another thread. Exits non-zero if the query
is not ended with QueryCanceled (SQLSTATE 57014) within 30 s.

    python3 psycopg_cancel.py HOST PORT USER PASSWORD
"""
import sys
import threading
import time

import psycopg

host, port, user, password = sys.argv[1:5]
dsn = f"host={host} port={port} user={user} password={password} dbname=convlake sslmode=disable"
with psycopg.connect(dsn, autocommit=True) as conn:
    threading.Timer(1.0, conn.cancel_safe).start()
    started = time.monotonic()
    try:
        # Far more rows than 30 s can stream: only a cancel ends it.
        with conn.cursor(name=None) as cur:
            cur.execute("select value from generate_series(1, 100000000000)")
            for _ in cur:
                if time.monotonic() - started > 30:
                    sys.exit("not cancelled after 30 s")
        sys.exit("the query ended without a cancel")
    except psycopg.errors.QueryCanceled:
        pass
    # The connection still answers.
    if conn.execute("select 1").fetchone()[0] != 1:
        sys.exit("the connection died with the cancel")
print("ok")
