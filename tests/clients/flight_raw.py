"""A raw Flight client (pyarrow.flight) against `serve --flight-listen`:
Basic login gives a bearer token; a statement's ticket is read once; a
forged token is refused; CloseSession ends the token's session.

    python3 flight_raw.py PORT USER PASSWORD
"""
import sys

import pyarrow.flight as flight

port, user, password = sys.argv[1:4]
client = flight.FlightClient(f"grpc://127.0.0.1:{port}")


def fail(what, detail):
    sys.exit(f"{what}: {detail}")


def varint(n):
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def field(tag, data):
    return bytes([tag << 3 | 2]) + varint(len(data)) + data


def statement(sql):
    """A FlightDescriptor of CommandStatementQuery, packed in an Any."""
    command = field(1, sql.encode())
    url = b"type.googleapis.com/arrow.flight.protocol.sql.CommandStatementQuery"
    return flight.FlightDescriptor.for_command(field(1, url) + field(2, command))


header = client.authenticate_basic_token(user, password)
if header[0] != b"authorization" or not header[1].startswith(b"Bearer "):
    fail("login", header)
options = flight.FlightCallOptions(headers=[header])
info = client.get_flight_info(statement("select 41 + 1 as answer"), options)
ticket = info.endpoints[0].ticket
table = client.do_get(ticket, options).read_all()
if table.to_pylist() != [{"answer": 42}]:
    fail("the statement's rows", table.to_pylist())
try:
    client.do_get(ticket, options).read_all()
    fail("a ticket read twice", "answered")
except (flight.FlightError, KeyError) as err:  # NOT_FOUND is pyarrow's ArrowKeyError
    if "read once" not in str(err):
        fail("a ticket read twice: message", err)
forged = flight.FlightCallOptions(headers=[(b"authorization", b"Bearer forged")])
try:
    client.get_flight_info(statement("select 1"), forged)
    fail("a forged token", "answered")
except flight.FlightUnauthenticatedError:
    pass
results = list(client.do_action(flight.Action("CloseSession", b""), options))
if [r.body.to_pybytes() for r in results] != [b"\x08\x01"]:
    fail("CloseSession's result", results)
try:
    client.get_flight_info(statement("select 1"), options)
    fail("the token after CloseSession", "answered")
except flight.FlightUnauthenticatedError:
    pass
print("ok")
