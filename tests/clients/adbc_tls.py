"""ADBC over Flight SQL with TLS: a client that trusts the server's
certificate reads a row; one that does not speak TLS gets nothing.

    python3 adbc_tls.py PORT USER PASSWORD CERT_PEM
"""
import sys

import adbc_driver_flightsql.dbapi as flight_sql
import adbc_driver_manager

port, user, password, cert = sys.argv[1:5]
credentials = {"username": user, "password": password}
trusted = dict(credentials, **{"adbc.flight.sql.client_option.tls_root_certs": open(cert).read()})
with flight_sql.connect(f"grpc+tls://127.0.0.1:{port}", db_kwargs=trusted, autocommit=True) as conn:
    with conn.cursor() as cur:
        cur.execute("select 1 as one")
        if cur.fetchall() != [(1,)]:
            sys.exit("select 1 over TLS")
try:
    with flight_sql.connect(f"grpc://127.0.0.1:{port}", db_kwargs=credentials, autocommit=True) as conn:
        with conn.cursor() as cur:
            cur.execute("select 1 as one")
            cur.fetchall()
    sys.exit("a plain-text client was answered")
except adbc_driver_manager.Error:
    pass
print("ok")
