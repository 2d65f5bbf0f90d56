#!/usr/bin/env python3
"""convlake against DuckDB on generated lakes: see benches/README.md.

    python3 benches/run.py                 # release build, lakes of 100k, 1M, 10M
    python3 benches/run.py --quick         # 100k lake, one timed run
    python3 benches/run.py --convlake target/debug/convlake --sizes 100000

Python 3.11 standard library only. DuckDB comes from PyPI into
benches/.venv, which this script creates; each DuckDB query runs in its own
process under that venv's interpreter (this same file, `--duckdb-worker`),
as each convlake query runs in its own `convlake sql` process, so both are
measured the same way: wall time and peak RSS of one process.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import json
import math
import os
import platform
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCHES = Path(__file__).resolve().parent
REPO = BENCHES.parent
VENV = BENCHES / ".venv"
LAKES = BENCHES / "lakes"
DUCKDB_SQL = BENCHES / "duckdb"
RESULTS = BENCHES / "RESULTS.md"
CHART = BENCHES / "scaling.svg"

SEED = 42
# Lakes from this size on are timed --large-runs times, for the components
# whose agreement run took longer than LONG_RUN seconds on either engine.
LARGE = 10_000_000
LONG_RUN = 60.0
# The generator's file layout and encodings; a cached lake of another is not reused.
LAYOUT = "one-workspace-per-file-delta-ts"
DAYS = 30
# The generator's default first day; the lake holds [2026-10-01, 2026-10-31).
LAKE_START = "2026-10-01T00:00:00Z"
LAKE_END = "2026-10-31T00:00:00Z"

csv.field_size_limit(1 << 30)


# --------------------------------------------------------------------------
# The measured components
# --------------------------------------------------------------------------

# conversation_facts: the columns compared and timed on both sides. Every
# per-conversation metric of SPEC.md §2; convlake's business-hours durations
# and establishment dimensions are left out (DuckDB does not compute them, and
# DataFusion then does not either: the projection drops them).
FACTS_COLUMNS = [
    "workspace_id", "conversation_id", "contact_id", "contact_name", "contact_type",
    "establishment_id", "opened_at", "opened_in_period", "opened_source",
    "opened_source_detail", "opened_channel_id", "opened_channel_name",
    "opened_channel_type", "opened_by_user_id", "assigned_at_opening",
    "first_assignment_at", "first_assignee_id", "first_assignee_name",
    "last_assignment_at", "last_assignee_id", "last_assignee_name", "assignments",
    "first_response_at", "first_response_by_user_id", "last_assignee_response_at",
    "responses", "response_time_total_seconds", "incoming_messages",
    "outgoing_messages", "first_incoming_at", "pickup_at", "last_message_at",
    "last_message_incoming", "closed_at", "closed_in_period", "closed_source",
    "closed_by_user_id", "closed_by_team_id", "category", "summary",
    "time_to_first_assignment_seconds", "first_response_time_seconds",
    "first_assignment_to_first_response_seconds",
    "last_assignment_to_response_seconds", "resolution_time_seconds",
    "first_assignment_to_close_seconds", "last_assignment_to_close_seconds",
    "average_response_time_seconds", "pickup_delay_seconds", "timezone",
]


@dataclass
class Component:
    name: str
    # 'all' (the whole lake) or 'period' (the 30-day period)
    period: str
    # the columns convlake selects (None: every column of the view)
    columns: list[str] | None
    # a row's identity, for the row-for-row comparison
    keys: list[str]
    # small results are compared in memory; large ones streamed, both sides
    # ordered by the keys
    small: bool
    what: str


COMPONENTS = [
    Component("conversation_facts", "all", FACTS_COLUMNS, ["workspace_id", "conversation_id"], False,
              "every conversation, every per-conversation metric (full scan; output discarded)"),
    Component("conversation_list", "period", None, ["workspace_id", "conversation_id"], False,
              "conversations closed in the 30-day period, every list column"),
    Component("heatmap_opened", "period", None, ["weekday", "hour"], True,
              "opened in the 30-day period by local weekday x hour (168 cells)"),
    Component("opened_by_channel", "all", None, ["channel_id", "channel_name"], True,
              "opened in the whole lake by channel, with share"),
]


@dataclass
class Params:
    start: str
    end: str
    as_of: str
    timezone: str

    def convlake_sets(self, period: str) -> str:
        value = "all" if period == "all" else f"{self.start}/{self.end}"
        return (f"set convlake.period = '{value}'; set convlake.timezone = '{self.timezone}'; "
                f"set convlake.as_of = '{self.as_of}'; ")

    def duckdb_values(self, period: str, lake: Path) -> dict[str, str]:
        start, end = ("-infinity", "infinity") if period == "all" else (self.start, self.end)
        return {"lake": str(lake), "start": start, "end": end, "as_of": self.as_of,
                "timezone": self.timezone}


# --------------------------------------------------------------------------
# Running one process: wall time, peak RSS, timeout
# --------------------------------------------------------------------------

@dataclass
class Run:
    seconds: float
    peak_rss_kib: int
    returncode: int
    timed_out: bool
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def run_process(argv: list[str], timeout: float, stdout_path: str | None = None,
                env: dict[str, str] | None = None) -> Run:
    """Runs argv in its own process group; wall time from fork to reap, peak
    RSS of that one process (wait4), killed with its group after `timeout`."""
    stdout = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    err = tempfile.TemporaryFile()
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=stdout, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=env)
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        return Run(seconds, usage.ru_maxrss, proc.returncode, timed_out.is_set(), stderr)
    finally:
        err.close()
        if stdout_path:
            stdout.close()


# --------------------------------------------------------------------------
# The two engines
# --------------------------------------------------------------------------

class Convlake:
    def __init__(self, binary: Path, lake: Path, params: Params):
        self.binary, self.lake, self.params = binary, lake, params

    def select(self, component: Component, order: bool = False) -> str:
        cols = ", ".join(component.columns) if component.columns else "*"
        sql = f"select {cols} from {component.name}"
        if order:
            sql += " order by " + ", ".join(component.keys)
        return sql

    def sql(self, component: Component, order: bool = False) -> str:
        return self.params.convlake_sets(component.period) + self.select(component, order)

    def argv(self, sql: str, output: str | None = None) -> list[str]:
        argv = [str(self.binary), "--lake", str(self.lake), "sql", "-f", "csv"]
        if output:
            argv += ["-o", output]
        return argv + [sql]

    def timed(self, component: Component | None, timeout: float) -> Run:
        # The result goes to stdout, which is /dev/null: written to nowhere.
        sql = self.sql(component) if component else "select 1"
        return run_process(self.argv(sql), timeout)

    def check(self, component: Component, out: Path, timeout: float) -> Run:
        return run_process(self.argv(self.sql(component, order=not component.small), str(out)), timeout)

    def scan_metrics(self, component: Component, timeout: float, tmp: Path) -> tuple[float | None, float | None]:
        """Σ bytes_scanned and Σ output_rows of every Parquet scan, from
        EXPLAIN ANALYZE (DataFusion prints them to 3 significant digits)."""
        out = tmp / f"explain-{component.name}.csv"
        sql = self.params.convlake_sets(component.period) + "explain analyze " + self.select(component)
        run = run_process(self.argv(sql, str(out)), timeout)
        if not run.ok:
            return None, None
        text = out.read_text()
        out.unlink()
        scanned = rows = 0.0
        for line in text.splitlines():
            for scan in re.findall(r"DataSourceExec:.*?metrics=\[([^\]]*)\]", line):
                scanned += sum(parse_count(v) for v in re.findall(r"\bbytes_scanned=([0-9.]+(?: [KMBT])?)", scan))
                rows += sum(parse_count(v) for v in re.findall(r"\boutput_rows=([0-9.]+(?: [KMBT])?)", scan))
        return scanned, rows


def parse_count(text: str) -> float:
    """DataFusion's human_readable_count: '207', '7.39 M', '331.0 K'."""
    units = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
    text = text.strip()
    if text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text)


class DuckDB:
    def __init__(self, python: Path, lake: Path, params: Params, tmp: Path):
        self.python, self.lake, self.params, self.tmp = python, lake, params, tmp

    def sql_file(self, component: Component) -> Path:
        """The component's SQL with its parameters substituted."""
        text = (DUCKDB_SQL / f"{component.name}.sql").read_text()
        # The per-conversation metrics both facts and list need, written once.
        text = text.replace("{metrics}", (DUCKDB_SQL / "_metrics.sql.part").read_text())
        for key, value in self.params.duckdb_values(component.period, self.lake).items():
            text = text.replace("{" + key + "}", value)
        path = self.tmp / f"{component.name}.duckdb.sql"
        path.write_text(text)
        return path

    def argv(self, sql_file: Path | None, output: str, order_by: list[str] | None = None,
             profile: Path | None = None) -> list[str]:
        argv = [str(self.python), str(Path(__file__).resolve()), "--duckdb-worker",
                "--sql-file", str(sql_file) if sql_file else "-", "--output", output,
                "--temp-dir", str(self.tmp / "duckdb-spill")]
        if order_by:
            argv += ["--order-by", ",".join(order_by)]
        if profile:
            argv += ["--profile", str(profile)]
        return argv

    def timed(self, component: Component | None, timeout: float) -> Run:
        sql_file = self.sql_file(component) if component else None
        return run_process(self.argv(sql_file, "-"), timeout)

    def check(self, component: Component, out: Path, timeout: float, profile: Path) -> Run:
        return run_process(self.argv(self.sql_file(component), str(out),
                                     None if component.small else component.keys, profile), timeout)

    @staticmethod
    def scan_metrics(profile: Path) -> tuple[float | None, float | None]:
        """io.total_bytes_read of DuckDB's JSON profile, and Σ rows_scanned of its table scans."""
        try:
            doc = json.loads(profile.read_text())
        except (OSError, ValueError):
            return None, None
        scanned = (doc.get("io") or {}).get("total_bytes_read")
        rows = 0

        def walk(node):
            nonlocal rows
            if node.get("type") == "TABLE_SCAN":
                rows += node.get("rows_scanned", 0) or 0
            for child in node.get("children", []):
                walk(child)

        for node in doc.get("operator", []) + doc.get("children", []):
            walk(node)
        return (float(scanned) if scanned is not None else None), float(rows)


def duckdb_worker(args: argparse.Namespace) -> int:
    """Runs in benches/.venv: one DuckDB query, its result written as CSV."""
    import duckdb  # noqa: PLC0415 (only the venv has it)

    con = duckdb.connect(config={"temp_directory": args.temp_dir})
    con.execute("set TimeZone = 'UTC'")
    if args.sql_file == "-":
        statements = ["select 1 as x"]
    else:
        statements = split_statements(Path(args.sql_file).read_text())
    for statement in statements[:-1]:
        con.execute(statement)
    query = statements[-1]
    unordered = None
    if args.order_by:
        # In two steps: the query's rows to a Parquet file, then that file
        # sorted. Sorting inside the query ran DuckDB out of memory on the
        # 10M conversation_facts (its windows and the sort at once).
        Path(args.temp_dir).mkdir(parents=True, exist_ok=True)
        unordered = Path(args.temp_dir) / f"unordered-{os.getpid()}.parquet"
        con.execute(f"copy ({query}) to '{unordered}' (format parquet)")
        query = f"select * from '{unordered}' order by {args.order_by}"
    if args.profile:
        con.execute("pragma enable_profiling = 'json'")
        con.execute(f"pragma profiling_output = '{args.profile}'")
    # '-' is stdout, which run.py points at /dev/null: written to nowhere.
    target = "/dev/stdout" if args.output == "-" else args.output
    # Timestamps as convlake writes them (RFC 3339, UTC), so most compare as text.
    con.execute(f"copy ({query}) to '{target}' (format csv, header, "
                f"timestampformat '%Y-%m-%dT%H:%M:%S.%fZ', use_tmp_file false)")
    con.close()
    if unordered:
        unordered.unlink()
    return 0


def split_statements(text: str) -> list[str]:
    """Statements end with ';' at the end of a line; comment-only chunks are dropped."""
    out = []
    for chunk in re.split(r";[ \t]*\n", text + "\n"):
        code = "\n".join(l for l in chunk.splitlines() if not l.strip().startswith("--"))
        if code.strip():
            out.append(chunk.strip().rstrip(";"))
    return out


# --------------------------------------------------------------------------
# Row-for-row agreement
# --------------------------------------------------------------------------

TS = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d(?::?\d\d)?)?$")


def parse_ts(text: str) -> int | None:
    """An ISO timestamp as µs since the epoch (UTC), or None."""
    m = TS.match(text)
    if not m:
        return None
    y, mo, d, h, mi, s, frac, tz = m.groups()
    micros = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s))) * 1_000_000
    if frac:
        micros += int(frac[:6].ljust(6, "0"))
    if tz and tz != "Z":
        sign = -1 if tz[0] == "+" else 1
        digits = tz[1:].replace(":", "")
        offset = int(digits[:2]) * 3600 + (int(digits[2:4]) * 60 if len(digits) > 2 else 0)
        micros += sign * offset * 1_000_000
    return micros


def same_value(a: str, b: str) -> bool:
    """Equal text; or timestamps within 1 µs; or numbers within 1e-6 relative
    (1e-6 absolute near zero, i.e. 1 µs for durations in seconds)."""
    if a == b:
        return True
    if a == "" or b == "":
        return False
    ta, tb = parse_ts(a), parse_ts(b)
    if ta is not None and tb is not None:
        return abs(ta - tb) <= 1
    try:
        fa, fb = float(a), float(b)
    except ValueError:
        return False
    return math.isclose(fa, fb, rel_tol=1e-6, abs_tol=1e-6)


def key_of(row: list[str], key_idx: list[int]) -> tuple:
    """A row's key: integers compare as numbers, the rest as text."""
    out = []
    for i in key_idx:
        v = row[i]
        out.append((0, int(v), "") if re.fullmatch(r"-?\d+", v) else (1, 0, v))
    return tuple(out)


@dataclass
class Agreement:
    ok: bool
    rows: int  # convlake's rows
    duckdb_rows: int
    problems: list[str] = field(default_factory=list)
    mismatches_by_column: dict[str, int] = field(default_factory=dict)


def compare(convlake_csv: Path, duckdb_csv: Path, component: Component, limit: int = 20) -> Agreement:
    """Row for row: the same columns (in any order), the same keys, and in each
    row the same values (`same_value`). Small results are sorted here; large
    ones are streamed, both sides having been ordered by the keys."""
    with open(convlake_csv, newline="", encoding="utf-8") as fc, \
            open(duckdb_csv, newline="", encoding="utf-8") as fd:
        rc, rd = csv.reader(fc), csv.reader(fd)
        cols, cols_d = next(rc, []), next(rd, [])
        result = Agreement(True, 0, 0)
        if sorted(cols) != sorted(cols_d):
            result.ok = False
            result.problems.append(
                f"columns differ: only convlake {sorted(set(cols) - set(cols_d))}, "
                f"only DuckDB {sorted(set(cols_d) - set(cols))}")
            return result
        # DuckDB's rows in convlake's column order.
        order = [cols_d.index(c) for c in cols]
        rd = ([row[i] for i in order] for row in rd)
        key_idx = [cols.index(k) for k in component.keys]
        if component.small:
            rc = iter(sorted(rc, key=lambda r: key_of(r, key_idx)))
            rd = iter(sorted(rd, key=lambda r: key_of(r, key_idx)))
        last: dict[str, tuple | None] = {"convlake": None, "DuckDB": None}

        def note(text):
            result.ok = False
            if len(result.problems) < limit:
                result.problems.append(text)

        def advance(name, it):
            row = next(it, None)
            if row is not None:
                k = key_of(row, key_idx)
                if last[name] is not None and k <= last[name]:
                    note(f"{name}: rows not in key order, or a key repeated, at {shown(row)}")
                last[name] = k
            return row

        def shown(row):
            return ", ".join(f"{cols[i]}={row[i]!r}" for i in key_idx)

        a, b = advance("convlake", rc), advance("DuckDB", rd)
        while a is not None or b is not None:
            ka = key_of(a, key_idx) if a is not None else None
            kb = key_of(b, key_idx) if b is not None else None
            if kb is None or (ka is not None and ka < kb):
                note(f"only in convlake: {shown(a)}")
                result.rows += 1
                a = advance("convlake", rc)
            elif ka is None or kb < ka:
                note(f"only in DuckDB: {shown(b)}")
                result.duckdb_rows += 1
                b = advance("DuckDB", rd)
            else:
                if a != b:
                    for i, col in enumerate(cols):
                        if not same_value(a[i], b[i]):
                            result.mismatches_by_column[col] = result.mismatches_by_column.get(col, 0) + 1
                            note(f"{shown(a)}: {col}: convlake {a[i]!r}, DuckDB {b[i]!r}")
                result.rows += 1
                result.duckdb_rows += 1
                a, b = advance("convlake", rc), advance("DuckDB", rd)
        return result


# --------------------------------------------------------------------------
# Setup: venv, build, lakes, versions, machine
# --------------------------------------------------------------------------

def log(*parts):
    print(*parts, flush=True)


def ensure_venv(pip_spec: str) -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        log(f"creating {VENV} ...")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import duckdb"], capture_output=True)
    if probe.returncode != 0:
        log(f"pip install {pip_spec} ...")
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", pip_spec], check=True)
    return python


def build_convlake() -> Path:
    log("cargo build --release ...")
    subprocess.run(["cargo", "build", "--release"], cwd=REPO, check=True)
    return REPO / "target" / "release" / "convlake"


def lake_dir(size: int) -> Path:
    """Where the generated lake of `size` conversations is cached."""
    return LAKES / f"{LAYOUT}-{size}"


def raw(lake: Path) -> Path:
    """The benchmark compares both engines reading the same event files:
    a lake materialised by `convlake materialize` would have convlake
    read its `_convlake/` files instead."""
    if (lake / "_convlake").exists():
        raise SystemExit(f"{lake / '_convlake'}: this lake is materialised, and the benchmark "
                         "compares reads of the raw events; delete that folder first")
    return lake


def ensure_lake(binary: Path, size: int | Path, timeout: float) -> Path:
    if isinstance(size, Path):  # --lake: a lake made elsewhere
        return raw(size)
    lake = lake_dir(size)
    if (lake / "events").is_dir():
        return raw(lake)
    LAKES.mkdir(parents=True, exist_ok=True)
    log(f"generating the {size:,}-conversation lake into {lake} ...")
    start = time.perf_counter()
    run = run_process([str(binary), "generate", "--conversations", str(size), "--seed", str(SEED),
                       "--days", str(DAYS), "--out", str(lake)], timeout)
    if not run.ok:
        raise SystemExit(f"generating {lake} failed:\n{run.stderr}")
    log(f"  done in {time.perf_counter() - start:.1f} s")
    return lake


def capture(argv: list[str], cwd: Path | None = None) -> str:
    try:
        return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    return {"nproc": capture(["nproc"]), "memory": mem, "cpu": cpu,
            "os": f"{platform.system()} {platform.release()}", "load": load}


def versions(binary: Path, python: Path) -> dict[str, str]:
    commit = capture(["git", "rev-parse", "HEAD"], cwd=REPO)
    dirty = capture(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO)
    datafusion = "unknown"
    try:
        m = re.search(r'name = "datafusion"\nversion = "([^"]+)"', (REPO / "Cargo.lock").read_text())
        datafusion = m.group(1) if m else "unknown"
    except OSError:
        pass
    return {
        "convlake": commit + (" (uncommitted changes)" if dirty not in ("", "unknown") else ""),
        "binary": str(binary),
        "build": "debug" if "/debug/" in str(binary.resolve()) else "release" if "/release/" in str(binary.resolve()) else "unknown",
        "datafusion": datafusion,
        "rustc": capture(["rustc", "--version"]),
        "duckdb": capture([str(python), "-c", "import duckdb; print(duckdb.__version__)"]),
        "python": platform.python_version(),
    }


# --------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------

@dataclass
class Cell:
    lake: int
    component: str
    rows: int | None = None
    agree: str = "-"
    convlake: list[Run] = field(default_factory=list)
    duckdb: list[Run] = field(default_factory=list)
    convlake_bytes: float | None = None
    duckdb_bytes: float | None = None
    convlake_rows_read: float | None = None
    duckdb_rows_read: float | None = None
    duckdb_bytes_from_files: bool = False
    convlake_note: str = ""
    duckdb_note: str = ""
    # the longer of the two agreement runs, in seconds
    check_seconds: float = 0.0


def time_in_turns(cell: Cell, conv: Convlake, duck: DuckDB, component: Component | None,
                  runs: int, timeout: float, warm_up: bool = True) -> None:
    """A warm-up (unless the agreement run just stood in for it), then `runs`
    timed runs, convlake and DuckDB taking turns. An engine that fails or
    times out (in the agreement run too) is not run again for this cell."""
    engines = [("convlake", conv, cell.convlake), ("DuckDB", duck, cell.duckdb)]
    failed = {name for name, note in (("convlake", cell.convlake_note), ("DuckDB", cell.duckdb_note)) if note}
    for i in range(0 if warm_up else 1, 1 + runs):
        timings = []
        for name, engine, results in engines:
            if name in failed:
                continue
            run = engine.timed(component, timeout)
            if not run.ok:
                failed.add(name)
                note = failure_note(run, timeout)
                if name == "convlake":
                    cell.convlake_note = note
                else:
                    cell.duckdb_note = note
                log(f"    {name} {note}: {run.stderr.strip()[-500:]}")
                continue
            if i > 0:
                results.append(run)
            timings.append(f"{name} {run.seconds:.2f} s")
        log(f"    {'warm-up' if i == 0 else f'run {i}'}: " + ", ".join(timings))


def failure_note(run: Run, timeout: float) -> str:
    """Why a run did not finish, for the table."""
    if run.timed_out:
        return f"timeout (> {timeout:.0f} s)"
    if "Out of Memory" in run.stderr:
        return "out of memory"
    return "error"


def median_seconds(runs: list[Run]) -> float | None:
    return statistics.median(r.seconds for r in runs) if runs else None


def bench_lake(size: int, binary: Path, python: Path, params: Params, args, tmp: Path) -> list[Cell]:
    lake = ensure_lake(binary, size, args.timeout * 4)
    conv, duck = Convlake(binary, lake, params), DuckDB(python, lake, params, tmp)
    components = [c for c in COMPONENTS if not args.components or c.name in args.components]
    cells = []

    # 1. Agreement, before timing anything.
    for component in components:
        cell = Cell(size, component.name)
        cells.append(cell)
        log(f"[{size:,}] {component.name}: checking agreement ...")
        out_c, out_d = tmp / f"{component.name}.convlake.csv", tmp / f"{component.name}.duckdb.csv"
        profile = tmp / f"{component.name}.profile.json"
        rc = conv.check(component, out_c, args.timeout)
        rd = duck.check(component, out_d, args.timeout, profile)
        cell.check_seconds = max(rc.seconds, rd.seconds)
        if not rc.ok or not rd.ok:
            failures = []
            for name, r in (("convlake", rc), ("DuckDB", rd)):
                if not r.ok:
                    log(f"  {name} {'timed out' if r.timed_out else 'failed'}: {r.stderr.strip()[-2000:]}")
                    failures.append(f"{name} {failure_note(r, args.timeout)}")
                    # A timeout is not run again; an engine that failed the
                    # agreement query (ordered, written to a file) is still
                    # timed on the timed one (unordered, to /dev/null).
                    if r.timed_out and name == "convlake":
                        cell.convlake_note = failure_note(r, args.timeout)
                    elif r.timed_out:
                        cell.duckdb_note = failure_note(r, args.timeout)
            cell.agree = "not checked: " + ", ".join(failures)
        else:
            result = compare(out_c, out_d, component)
            cell.rows = result.rows
            cell.agree = "yes" if result.ok else "NO"
            log(f"  {'agree' if result.ok else 'DISAGREE'}: {result.rows} rows (DuckDB {result.duckdb_rows})")
            if not result.ok:
                for p in result.problems:
                    log("   ", p)
                if result.mismatches_by_column:
                    log("    mismatches by column:", result.mismatches_by_column)
        cell.duckdb_bytes, cell.duckdb_rows_read = DuckDB.scan_metrics(profile)
        if cell.duckdb_bytes is None:
            # No byte count in DuckDB's profile: the size of the lake's files instead.
            cell.duckdb_bytes = float(sum(p.stat().st_size for p in lake.rglob("*.parquet")))
            cell.duckdb_bytes_from_files = True
        for p in (out_c, out_d, profile):
            p.unlink(missing_ok=True)
        cell.convlake_bytes, cell.convlake_rows_read = conv.scan_metrics(component, args.timeout, tmp)

    # 2. Timings, in turns; the process start-up cost first.
    startup = Cell(size, "(start-up: select 1)")
    log(f"[{size:,}] start-up (select 1) ...")
    time_in_turns(startup, conv, duck, None, args.runs, args.timeout)
    for component, cell in zip(components, cells):
        # An agreement run that did not finish (timeout, error): both are
        # still timed, an engine past the timeout excepted (the table then
        # says which did not finish, and nothing is compared).
        unchecked = cell.agree.startswith("not checked") and not (cell.convlake_note and cell.duckdb_note)
        if cell.agree != "yes" and not unchecked and not args.time_anyway:
            log(f"[{size:,}] {component.name}: not timed (answers {cell.agree})")
            continue
        # On a large lake, a component whose agreement run took minutes is
        # timed --large-runs times, and that agreement run, which read the
        # same files earlier in this run (the 10M lake's 1.55 GB stay in the
        # page cache), stands in for the warm-up.
        long = size >= LARGE and args.large_runs is not None and cell.check_seconds > LONG_RUN
        runs = args.large_runs if long else args.runs
        log(f"[{size:,}] {component.name}: timing ({'' if long else 'warm-up + '}{runs}) ...")
        time_in_turns(cell, conv, duck, component, runs, args.timeout, warm_up=not long)
    return [startup] + cells


# --------------------------------------------------------------------------
# RESULTS.md
# --------------------------------------------------------------------------

def fmt_seconds(runs: list[Run], note: str) -> str:
    m = median_seconds(runs)
    if m is None:
        return note or "-"
    return f"{m:.3f}" if m < 10 else f"{m:.1f}"


def fmt_mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:,.0f} MiB"


def fmt_bytes(n: float | None, approx: bool = False) -> str:
    if n is None:
        return "-"
    return f"≈ {n / 1e6:,.3g} MB" if approx else f"{n / 1e6:,.1f} MB"


def fmt_count(n: float | None, approx: bool = False) -> str:
    if n is None:
        return "-"
    if approx:  # DataFusion's 3 significant digits
        for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
            if n >= size:
                return f"≈ {n / size:.3g} {unit}"
    return f"{n:,.0f}"


def table(cells: list[Cell]) -> str:
    head = ("| lake | component | result rows | agree | convlake s | DuckDB s | convlake / DuckDB "
            "| convlake peak RSS | DuckDB peak RSS | convlake bytes read | DuckDB bytes read "
            "| convlake rows read | DuckDB rows read |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for c in cells:
        mc, md = median_seconds(c.convlake), median_seconds(c.duckdb)
        ratio = f"{mc / md:.2f}" if mc is not None and md else "-"
        peak_c = max((r.peak_rss_kib for r in c.convlake), default=None)
        peak_d = max((r.peak_rss_kib for r in c.duckdb), default=None)
        lines.append(
            f"| {c.lake:,} | {c.component} | {'-' if c.rows is None else f'{c.rows:,}'} | {c.agree} "
            f"| {fmt_seconds(c.convlake, c.convlake_note)} | {fmt_seconds(c.duckdb, c.duckdb_note)} | {ratio} "
            f"| {fmt_mib(peak_c)} | {fmt_mib(peak_d)} "
            f"| {fmt_bytes(c.convlake_bytes, approx=True)} | {'files: ' if c.duckdb_bytes_from_files else ''}{fmt_bytes(c.duckdb_bytes)} "
            f"| {fmt_count(c.convlake_rows_read, approx=True)} | {fmt_count(c.duckdb_rows_read)} |")
    return "\n".join(lines)


def write_results(cells: list[Cell], args, params: Params, mach: dict, vers: dict,
                  lake_sizes: dict[int, int], started: str, elapsed: float) -> None:
    build_note = ""
    if vers["build"] == "debug":
        build_note = ("\n> **Debug build.** convlake here is an unoptimised debug binary "
                      "(`--convlake " + vers["binary"] + "`): its timings and memory say nothing "
                      "about a release build. Run `python3 benches/run.py` for real numbers.\n")
    quick_note = "\n> **Quick run** (`--quick`): the 100k lake only, one timed run after the warm-up.\n" \
        if args.quick else ""
    lakes = ", ".join(f"{size:,} conversations: {b / 1e6:,.1f} MB of events" for size, b in lake_sizes.items())
    components = "\n".join(f"- `{c.name}`: {c.what}" for c in COMPONENTS
                           if not args.components or c.name in args.components)
    text = f"""# convlake vs DuckDB

Written by `{' '.join(shlex.quote(a) for a in ['python3', 'benches/run.py'] + sys.argv[1:])}` on {started}
(took {elapsed / 60:.1f} min). What is measured and how: `benches/README.md`.
{build_note}{quick_note}
## Machine

- CPU: {mach['cpu']} ({mach['nproc']} cores as `nproc` sees them)
- memory: {mach['memory']}
- OS: {mach['os']}; load average (1, 5, 15 min) at the start: {args.load_at_start}, at the end: {mach['load']}

## Versions

- convlake: commit `{vers['convlake']}`, {vers['build']} build (`{vers['binary']}`), DataFusion {vers['datafusion']}
- {vers['rustc']}
- DuckDB {vers['duckdb']} (PyPI, Python {vers['python']})

## Parameters

- lakes: `convlake generate --conversations N --seed {SEED} --days {DAYS}` ({lakes})
- 30-day period: `{params.start}` .. `{params.end}` (end excluded); whole lake: convlake `period = 'all'`,
  DuckDB `-infinity` .. `infinity`
- as of `{params.as_of}`; report time zone `{params.timezone}` (every generated workspace has its own zone)
- each cell: median of {args.runs} timed run{'s' if args.runs > 1 else ''} after one warm-up, convlake and DuckDB taking turns{'' if args.large_runs is None else f' ({args.large_runs} on lakes of {LARGE:,} conversations or more for the components whose agreement run took over {LONG_RUN:.0f} s on either engine; there the agreement run earlier in this run is the warm-up)'};
  timeout {args.timeout:.0f} s per query

## Results

{components}

Times are wall-clock seconds of one process (`convlake sql`, or a Python
process running DuckDB), from start to exit; the start-up row (`select 1`:
convlake opens and checks the lake, Python imports DuckDB and connects)
shows that fixed cost. Peak RSS is that process's `ru_maxrss`, the largest
over the timed runs. convlake/DuckDB above 1 means convlake is slower.
Bytes (MB = 10^6 bytes) and rows read: convlake, Σ `bytes_scanned` and Σ
`output_rows` of the Parquet scans (`DataSourceExec`) in `EXPLAIN ANALYZE`,
a separate run (DataFusion prints 3 significant digits, hence ≈); DuckDB,
`io.total_bytes_read` and Σ `rows_scanned` of the `TABLE_SCAN`s in its JSON
profile of the agreement run (marked "files:" where DuckDB gave no byte
count and the lake's Parquet size stands in). Both count every scan, so a
file read twice counts twice. DuckDB runs with its defaults (threads = cores,
memory limit 80 % of RAM, spilling to a temporary folder); convlake with
DataFusion's (target partitions = cores, no memory limit). "agree": the two
answers are the same row for row (`benches/README.md`).

{table(cells)}
"""
    RESULTS.write_text(text)
    log(f"wrote {RESULTS}")
    if len({c.lake for c in cells}) > 1:
        CHART.write_text(scaling_svg(cells))
        log(f"wrote {CHART}")


def scaling_svg(cells: list[Cell]) -> str:
    """Time and peak memory against lake size, log-log, one line per engine
    and component: the figure of benches/README.md."""
    components = [c.name for c in COMPONENTS]
    colours = {"conversation_facts": "#1b6ca8", "conversation_list": "#d1495b",
               "heatmap_opened": "#3c896d", "opened_by_channel": "#edae49"}
    sizes = sorted({c.lake for c in cells if isinstance(c.lake, int)})
    panels = [("seconds (median)", lambda rs: median_seconds(rs)),
              ("peak RSS, MiB", lambda rs: max((r.peak_rss_kib / 1024 for r in rs), default=None))]
    w, h, pad = 420, 300, 56
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * w}" height="{h + 40}" '
           'font-family="sans-serif" font-size="11">']
    for p, (label, value) in enumerate(panels):
        points = {}
        for c in cells:
            if c.component not in components:
                continue
            for engine, runs in (("convlake", c.convlake), ("DuckDB", c.duckdb)):
                v = value(runs)
                if v:
                    points.setdefault((c.component, engine), []).append((c.lake, v))
        values = [v for pts in points.values() for _, v in pts]
        if not values or len(sizes) < 2:
            continue
        lo, hi = math.log10(min(values)) - 0.1, math.log10(max(values)) + 0.1
        x0 = p * w
        x = lambda n: x0 + pad + (math.log10(n) - math.log10(sizes[0])) / (math.log10(sizes[-1]) - math.log10(sizes[0])) * (w - 2 * pad)
        y = lambda v: h - pad + 20 - (math.log10(v) - lo) / (hi - lo) * (h - 2 * pad)
        out.append(f'<text x="{x0 + w / 2}" y="16" text-anchor="middle" font-weight="bold">{label} (log scale)</text>')
        out.append(f'<line x1="{x0 + pad}" y1="{h - pad + 20}" x2="{x0 + w - pad}" y2="{h - pad + 20}" stroke="#888"/>')
        out.append(f'<line x1="{x0 + pad}" y1="{h - pad + 20}" x2="{x0 + pad}" y2="30" stroke="#888"/>')
        for n in sizes:
            out.append(f'<text x="{x(n):.1f}" y="{h - pad + 34}" text-anchor="middle">{n:,}</text>')
        for e in range(math.floor(lo), math.ceil(hi) + 1):
            if lo <= e <= hi:
                out.append(f'<text x="{x0 + pad - 4}" y="{y(10 ** e) + 4:.1f}" text-anchor="end">{10 ** e:g}</text>')
        for (component, engine), pts in sorted(points.items()):
            pts.sort()
            dash = "" if engine == "convlake" else ' stroke-dasharray="5,3"'
            path = " ".join(f"{x(n):.1f},{y(v):.1f}" for n, v in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colours.get(component, "#555")}" stroke-width="2"{dash}/>')
    for i, component in enumerate(components):
        out.append(f'<line x1="{20 + i * 200}" y1="{h + 28}" x2="{44 + i * 200}" y2="{h + 28}" stroke="{colours[component]}" stroke-width="2"/>'
                   f'<text x="{48 + i * 200}" y="{h + 32}">{component}</text>')
    out.append(f'<text x="{2 * w - 10}" y="{h + 14}" text-anchor="end">solid: convlake, dashed: DuckDB; x: conversations in the lake</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000,10000000",
                        help="lake sizes in conversations, comma-separated (default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: the 100k lake only, one timed run")
    parser.add_argument("--convlake", type=Path,
                        help="use this convlake binary instead of building one with cargo build --release")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per cell after the warm-up (default 5)")
    parser.add_argument("--large-runs", type=int, default=None,
                        help="timed runs per cell on lakes of 10M conversations or more, for components whose "
                             "agreement run took over 60 s (default: --runs)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per query (default 1800)")
    parser.add_argument("--components", default="",
                        help="only these components, comma-separated (default: all four)")
    parser.add_argument("--start", default=LAKE_START, help="30-day period start, UTC instant")
    parser.add_argument("--end", default=LAKE_END, help="30-day period end (excluded), UTC instant")
    parser.add_argument("--as-of", default=LAKE_END, help="the reports' as-of instant")
    parser.add_argument("--timezone", default="Europe/Paris", help="report time zone (workspaces have their own)")
    parser.add_argument("--pip-spec", default="duckdb==2.0.0", help="what pip installs into the venv (default: duckdb==2.0.0, the version measured)")
    parser.add_argument("--check-only", action="store_true", help="check agreement, time nothing, write no RESULTS.md")
    parser.add_argument("--lake", type=Path, help="with --check-only: check this existing lake instead of generated ones")
    parser.add_argument("--time-anyway", action="store_true", help="time components whose answers disagree")
    # The DuckDB side, run by the venv's interpreter.
    parser.add_argument("--duckdb-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sql-file", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    parser.add_argument("--order-by", help=argparse.SUPPRESS)
    parser.add_argument("--profile", help=argparse.SUPPRESS)
    parser.add_argument("--temp-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.duckdb_worker:
        return duckdb_worker(args)

    if args.quick:
        args.sizes, args.runs = "100000", 1
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if args.lake:
        if not args.check_only:
            parser.error("--lake goes with --check-only")
        sizes = [args.lake.resolve()]
    args.components = [c for c in args.components.split(",") if c]
    unknown = set(args.components) - {c.name for c in COMPONENTS}
    if unknown:
        parser.error(f"unknown components: {', '.join(sorted(unknown))}")
    params = Params(args.start, args.end, args.as_of, args.timezone)

    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    args.load_at_start = machine()["load"]
    t0 = time.perf_counter()
    python = ensure_venv(args.pip_spec)
    binary = args.convlake.resolve() if args.convlake else build_convlake()
    if not binary.exists():
        raise SystemExit(f"no convlake binary at {binary}")
    vers = versions(binary, python)
    log(f"convlake {vers['build']} build {binary}, DuckDB {vers['duckdb']}")

    cells: list[Cell] = []
    lake_sizes = {}
    with tempfile.TemporaryDirectory(prefix="convlake-bench-") as tmp:
        for size in sizes:
            if args.check_only:
                cells += check_only(size, binary, python, params, args, Path(tmp))
            else:
                cells += bench_lake(size, binary, python, params, args, Path(tmp))
            if isinstance(size, Path):
                continue
            lake_sizes[size] = sum(p.stat().st_size for p in (lake_dir(size) / "events").rglob("*.parquet"))
    disagreements = [c for c in cells if c.agree not in ("yes", "-")]
    if not args.check_only:
        write_results(cells, args, params, machine(), vers, lake_sizes, started, time.perf_counter() - t0)
        log("")
        log(table(cells))
    if disagreements:
        log("\nnot in agreement, or not checked: " + ", ".join(f"{c.lake} {c.component} ({c.agree})" for c in disagreements))
        return 1
    return 0


def check_only(size, binary, python, params, args, tmp) -> list[Cell]:
    """The agreement part of bench_lake alone."""
    lake = ensure_lake(binary, size, args.timeout * 4)
    label = size if isinstance(size, Path) else f"{size:,}"
    conv, duck = Convlake(binary, lake, params), DuckDB(python, lake, params, tmp)
    cells = []
    for component in COMPONENTS:
        if args.components and component.name not in args.components:
            continue
        cell = Cell(size, component.name)
        cells.append(cell)
        out_c, out_d = tmp / f"{component.name}.convlake.csv", tmp / f"{component.name}.duckdb.csv"
        rc = conv.check(component, out_c, args.timeout)
        rd = duck.check(component, out_d, args.timeout, tmp / "profile.json")
        if not rc.ok or not rd.ok:
            cell.agree = "error"
            log(f"[{label}] {component.name}: convlake rc={rc.returncode} {rc.stderr[-1000:]} / "
                f"DuckDB rc={rd.returncode} {rd.stderr[-1000:]}")
            continue
        result = compare(out_c, out_d, component)
        cell.rows, cell.agree = result.rows, ("yes" if result.ok else "NO")
        log(f"[{label}] {component.name}: {'agree' if result.ok else 'DISAGREE'}, "
            f"{result.rows} rows (DuckDB {result.duckdb_rows}), convlake {rc.seconds:.1f} s, DuckDB {rd.seconds:.1f} s")
        for p in result.problems:
            log("   ", p)
        if result.mismatches_by_column:
            log("    mismatches by column:", result.mismatches_by_column)
        for p in (out_c, out_d):
            p.unlink(missing_ok=True)
    return cells


if __name__ == "__main__":
    sys.exit(main())
