"""Case intake over HTTP on SQLite and PostgreSQL, then the KPI table over 1,000,000 cases on PostgreSQL.

For each backend: a fresh database (a SQLite file in a temp directory; a new PostgreSQL database, dropped at the
end), migrated and seeded with the demo units, the bundled categories, 200 more villages in 20 townships and one
land grid per village; a real server (``pingan serve``; on PostgreSQL ``--workers 2``, one process per core) in a
subprocess; a commander account signed in through ``/api/auth/login``. Then 8 client threads POST ``--cases``
reports to ``/api/cases`` (keep-alive connections, random points inside random grids, random small classes) and
the per-request latency is recorded; 16 warm-up reports are not counted. A report the server refuses
is counted as failed (``failed=K`` is then added to the line), not retried.

The KPI part bulk-loads ``--kpi-cases`` synthetic cases spread over one year into the PostgreSQL database (COPY),
with a realistic mix of statuses, timestamps, channels, 返工 and 发回重办 steps, runs ANALYZE, and times
``kpi_table(actor=SYSTEM, by="area")`` over the year (best of 3). ``--kpi-sqlite`` does the same on SQLite and
reports it on stderr. The last three lines read::

    case_intake_sqlite: N cases/s, p99=M ms
    case_intake_postgresql: N cases/s, p99=M ms
    kpi_1m_cases: S s
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import shapely
from benchdb import new_database  # bench/benchdb.py
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pingan import migrate
from pingan.auth import service as auth_service
from pingan.auth.principal import SYSTEM, cli_principal
from pingan.cases import config as case_config
from pingan.cases.kpis import kpi_table
from pingan.cases.models import CaseCategory
from pingan.config import Settings
from pingan.db import create_db_engine
from pingan.demo.seed import DEMO_UNITS
from pingan.grids.models import GridKind, LandGrid
from pingan.org import service as org_service
from pingan.org.models import OrgUnit, UnitKind

SECRET = "bench-secret-key-for-pingan-" + "0123456789abcdef"
USERNAME, PASSWORD = "bench_cmd", "Haidao-Pingan-2026!"
SEED_TIME = datetime(2026, 1, 1, tzinfo=UTC)
WARMUP = 16
GRID_SIZE_DEG = 0.01
TOWNSHIPS, VILLAGES_PER_TOWNSHIP = 20, 10
TEXTS = (
    "路边有一堆暴露垃圾无人清理",
    "小区门口井盖破损有安全隐患",
    "邻里因噪音发生纠纷需要调解",
    "渔港码头占道经营影响通行",
    "路灯不亮夜间出行不便",
    "河道有漂浮物需要打捞",
)


def log(message: str) -> None:
    """Progress, on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- databases


@dataclass
class Seeded:
    """What the seed made that the bench needs later."""

    grids: list[tuple[int, int, float, float]]  # grid id, village unit id, south-west lon, lat
    category_ids: list[int]
    user_id: int
    department_ids: list[int]


def _grid(village: OrgUnit, lon: float, lat: float) -> LandGrid:
    polygon = shapely.box(lon, lat, lon + GRID_SIZE_DEG, lat + GRID_SIZE_DEG)
    return LandGrid(
        code=f"{village.code}001",
        name=f"{village.name}第1网格",
        kind=GridKind.BASIC,
        dedicated_type=None,
        village_unit_id=village.id,
        geom_wkb=shapely.to_wkb(polygon),
        min_lon=lon,
        min_lat=lat,
        max_lon=lon + GRID_SIZE_DEG,
        max_lat=lat + GRID_SIZE_DEG,
        area_km2=1.0,
        centroid_lon=lon + GRID_SIZE_DEG / 2,
        centroid_lat=lat + GRID_SIZE_DEG / 2,
        created_at=SEED_TIME,
    )


def seed(url: str, settings: Settings) -> Seeded:
    """Roles, the demo units, 20 more townships of 10 villages, one grid per village, the categories, a commander."""
    engine = create_db_engine(url)
    actor = cli_principal("bench")
    with Session(engine) as s, s.begin():
        auth_service.sync_builtin_roles(s, now=SEED_TIME)
        for code, name, name_en, kind, parent in DEMO_UNITS:
            org_service.create_unit(
                s, code=code, name=name, name_en=name_en, kind=kind, parent_code=parent, actor=actor, now=SEED_TIME
            )
        for t in range(TOWNSHIPS):
            town = f"330902{101 + t:03d}"
            org_service.create_unit(
                s,
                code=town,
                name=f"测试镇{t + 1}",
                kind=UnitKind.TOWNSHIP,
                parent_code="330902",
                actor=actor,
                now=SEED_TIME,
            )
            for v in range(VILLAGES_PER_TOWNSHIP):
                village = f"{town}{201 + v:03d}"
                name = f"测试镇{t + 1}第{v + 1}村"
                org_service.create_unit(
                    s, code=village, name=name, kind=UnitKind.COMMUNITY, parent_code=town, actor=actor, now=SEED_TIME
                )
        case_config.ensure_defaults(s, now=SEED_TIME)
        villages = list(s.scalars(select(OrgUnit).where(OrgUnit.kind == UnitKind.COMMUNITY).order_by(OrgUnit.code)))
        grids = []
        for i, village in enumerate(villages):
            lon, lat = 122.0 + 0.02 * (i % 20), 29.5 + 0.02 * (i // 20)
            grid = _grid(village, lon, lat)
            s.add(grid)
            s.flush()
            grids.append((grid.id, village.id, lon, lat))
        user = auth_service.create_user(
            s,
            settings,
            username=USERNAME,
            display_name="压测指挥员",
            unit_code="ZS-SZ",
            password=PASSWORD,
            role_codes=["commander"],
            actor=actor,
            now=SEED_TIME,
            must_change_password=False,
        )
        categories = list(s.scalars(select(CaseCategory.id).where(CaseCategory.level == 2)))
        departments = list(s.scalars(select(OrgUnit.id).where(OrgUnit.kind == UnitKind.DEPARTMENT)))
        user_id = user.id
    engine.dispose()
    return Seeded(grids, categories, user_id, departments)


# ---------------------------------------------------------------- the server and its clients


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, data_dir: Path, workers: int = 1) -> tuple[subprocess.Popen[bytes], int, Path]:
    """``pingan serve`` on a free loopback port; returns once /healthz answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINGAN_")}
    env.update(
        PINGAN_DATABASE_URL=url,
        PINGAN_ENV="development",
        PINGAN_SECRET_KEY=SECRET,
        PINGAN_CASE_SCHEDULER_SECONDS="0",
        PINGAN_DATA_DIR=str(data_dir),
        PINGAN_CASE_SMS_ADAPTER="none",
    )
    server_log = data_dir / "server.log"
    with server_log.open("wb") as out:
        exe = str(Path(sys.executable).with_name("pingan"))
        proc = subprocess.Popen(
            [exe, "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{server_log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc, port, server_log
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise TimeoutError("the server did not answer /healthz in 90 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def sign_in(port: int) -> dict[str, str]:
    """Headers of a signed-in session: the session cookie and the CSRF token."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"username": USERNAME, "password": PASSWORD})
    conn.request("POST", "/api/auth/login", body=body, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 200:
        raise RuntimeError(f"sign-in failed: {resp.status} {data[:300]!r}")
    cookie = next(
        c.split(";", 1)[0] for c in resp.headers.get_all("Set-Cookie") or [] if c.startswith("pingan_session=")
    )
    conn.close()
    return {"Cookie": cookie, "X-CSRF-Token": json.loads(data)["csrf_token"], "Content-Type": "application/json"}


def small_classes(port: int, headers: dict[str, str]) -> list[str]:
    """The active small-class codes from /api/case-categories."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/api/case-categories", headers={"Cookie": headers["Cookie"]})
    resp = conn.getresponse()
    rows = json.loads(resp.read())
    conn.close()
    return [r["code"] for r in rows if r["level"] == 2 and r["is_active"]]


def payloads(n: int, seeded: Seeded, codes: list[str], rng: random.Random) -> list[bytes]:
    """``n`` report bodies: random small classes at random points inside random grids."""
    out = []
    for _ in range(n):
        _, _, lon, lat = rng.choice(seeded.grids)
        body = {
            "channel": rng.choice(["grid_worker", "public", "complaint"]),
            "category_code": rng.choice(codes),
            "description": rng.choice(TEXTS),
            "lon": lon + rng.uniform(0.0005, GRID_SIZE_DEG - 0.0005),
            "lat": lat + rng.uniform(0.0005, GRID_SIZE_DEG - 0.0005),
            "reporter_name": "张三",
        }
        out.append(json.dumps(body, ensure_ascii=False).encode())
    return out


@dataclass
class Run:
    """One batch of reports: wall time (s), each request's latency (s), and the failures (status, answer)."""

    wall_s: float
    latencies: list[float]
    failures: list[tuple[int, bytes]]


def post_all(port: int, headers: dict[str, str], bodies: list[bytes], threads: int) -> Run:
    """POST every body to /api/cases from ``threads`` keep-alive clients; a failed report is counted, not retried."""
    lock = threading.Lock()
    queue = iter(bodies)
    latencies: list[float] = []
    failures: list[tuple[int, bytes]] = []

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine, failed = [], []
        try:
            while True:
                with lock:
                    body = next(queue, None)
                if body is None:
                    break
                started = time.perf_counter()
                try:
                    conn.request("POST", "/api/cases", body=body, headers=headers)
                    resp = conn.getresponse()
                    status, answer = resp.status, resp.read()
                except (ConnectionError, http.client.HTTPException) as exc:
                    status, answer = 0, repr(exc).encode()
                mine.append(time.perf_counter() - started)
                if status != 201:
                    failed.append((status, answer[:300]))
                    # the server drops the connection after a 500; start a fresh one
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)
                failures.extend(failed)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(worker) for _ in range(threads)]:
            future.result()
    return Run(time.perf_counter() - started, latencies, failures)


def p99_ms(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return 1000 * ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def bench_intake(backend: str, url: str, data_dir: Path, seeded: Seeded, n: int, threads: int, workers: int) -> str:
    """Run the intake part on one migrated, seeded database; return its result line."""
    proc, port, server_log = start_server(url, data_dir, workers)
    try:
        headers = sign_in(port)
        codes = small_classes(port, headers)
        rng = random.Random(7)
        log(f"{backend}: server on port {port}, {len(codes)} small classes, {len(seeded.grids)} grids")
        post_all(port, headers, payloads(WARMUP, seeded, codes, rng), threads)
        run = post_all(port, headers, payloads(n, seeded, codes, rng), threads)
    finally:
        stop_server(proc)
    if run.failures:
        server_text = server_log.read_text(errors="replace")
        causes = sorted({line for line in server_text.splitlines() if "Error:" in line})
        log(f"{backend}: {len(run.failures)} reports failed, e.g. {run.failures[0]}; server errors: {causes[-3:]}")
    stored = n - len(run.failures)
    median = 1000 * sorted(run.latencies)[len(run.latencies) // 2]
    line = f"case_intake_{backend}: {stored / run.wall_s:.0f} cases/s, p99={p99_ms(run.latencies):.0f} ms"
    if run.failures:
        line += f", failed={len(run.failures)}"
    log(f"{line} (wall {run.wall_s:.1f} s, median {median:.0f} ms)")
    return line


# ---------------------------------------------------------------- 1,000,000 synthetic cases

CASE_COLUMNS = (
    "id", "number", "channel", "category_id", "title", "description", "address", "where", "grid_id", "unit_id",
    "reporter_name", "reporter_anonymous", "reported_by_id", "priority", "status", "sub_status", "is_open",
    "responsible_unit_id", "master_id", "attributes", "redo_count", "decline_count", "escalation_level", "is_overdue",
    "satisfaction", "clock_seq", "reported_at", "registered_at", "dispatched_at", "accepted_at", "handled_at",
    "closed_at", "revisited_at", "handle_due_at", "closed_on_time", "accepted_on_time", "response_due_at",
    "first_response_at", "updated_at",
)  # fmt: skip
STEP_COLUMNS = ("case_id", "seq", "action", "from_status", "to_status", "actor_label", "at", "note", "data", "public")
CHANNELS = (
    ("grid_worker", 0.50),
    ("public", 0.12),
    ("hotline_12345", 0.22),
    ("nonpolice_110", 0.06),
    ("complaint", 0.04),
    ("sensor", 0.04),
    ("superior", 0.02),
)
# Where cases end up, by share: (status, share).
FATES = (
    ("received", 0.02),
    ("rejected", 0.03),
    ("closed_duplicate", 0.04),
    ("registered", 0.01),
    ("dispatched", 0.015),
    ("accepted", 0.01),
    ("in_progress", 0.015),
    ("handled", 0.02),
    ("rework", 0.01),
    ("closed_fixed", 0.26),
    ("closed_unfixable", 0.02),
    ("revisited", 0.55),
)
STAGE = {
    "received": 0, "rejected": 0, "closed_duplicate": 1, "registered": 1, "dispatched": 2, "accepted": 3,
    "in_progress": 3, "handled": 4, "rework": 4, "closed_fixed": 5, "closed_unfixable": 5, "revisited": 6,
}  # fmt: skip


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    r = rng.random() * sum(w for _, w in table)
    for value, weight in table:
        r -= weight
        if r <= 0:
            return value
    return table[-1][0]


def synthetic(
    n: int, first_id: int, seeded: Seeded, start: datetime, span: timedelta, rng: random.Random
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """``n`` synthetic cases (rows in :data:`CASE_COLUMNS` order) with their 返工/发回重办 steps."""
    h = timedelta(hours=1)
    span_s = span.total_seconds()
    for i in range(n):
        cid = first_id + i
        channel = _pick(rng, CHANNELS)
        fate = _pick(rng, FATES)
        stage = STAGE[fate]
        reported = start + timedelta(seconds=rng.random() * span_s)
        grid_id, unit_id, _, _ = rng.choice(seeded.grids)
        if channel == "hotline_12345" and rng.random() < 0.1:
            grid_id = unit_id = None  # an address the locator could not place
        self_handled = channel == "grid_worker" and fate == "closed_fixed" and rng.random() < 0.3
        registered = dispatched = accepted = handled = closed = revisited = due = None
        responsible = resp_due = first_resp = None
        acc_ok = closed_ok = satisfaction = master = None
        sub, redo, overdue, steps = "", 0, False, []
        if self_handled:
            registered = dispatched = accepted = handled = closed = reported + rng.uniform(0.1, 2) * h
            acc_ok = closed_ok = True
            responsible, sub = unit_id, "自行处置"
        elif stage >= 1 and not (fate == "closed_duplicate" and rng.random() < 0.5):
            registered = reported + rng.uniform(0.05, 4) * h
        if stage >= 2 and not self_handled:
            assert registered is not None
            dispatched = registered if channel == "nonpolice_110" else registered + rng.uniform(0.05, 2) * h
            due = dispatched + timedelta(days=2 if channel == "nonpolice_110" else 5)
            responsible = rng.choice(seeded.department_ids) if rng.random() < 0.6 else unit_id
            if channel == "nonpolice_110":
                resp_due = dispatched + 0.5 * h
        if stage >= 3 and not self_handled:
            assert dispatched is not None
            accepted = dispatched + timedelta(minutes=rng.expovariate(1 / (15 if resp_due else 60)))
            acc_ok = accepted <= dispatched + 2 * h
            if resp_due is not None:
                first_resp = accepted
        if stage >= 4 and not self_handled:
            assert accepted is not None and due is not None
            handled = accepted + rng.uniform(0.5, 120) * h
            overdue = handled > due or not acc_ok
        if stage >= 5 and not self_handled:
            assert handled is not None and due is not None
            closed = handled + rng.uniform(0.5, 30) * h
            closed_ok = closed <= due + timedelta(days=1)
            overdue = overdue or not closed_ok
        if fate == "revisited":
            assert closed is not None
            revisited = closed + rng.uniform(1, 72) * h
            satisfaction = "satisfied" if rng.random() < 0.85 else "basically_satisfied"
        if fate == "closed_duplicate" and cid > first_id:
            master = rng.randrange(first_id, cid)
        if stage >= 4 and not self_handled and (fate == "rework" or rng.random() < 0.04):
            redo = 1
            assert handled is not None
            steps.append((cid, 2, "check_fail", "handled", "rework", "核查员", handled + h, "", "{}", True))
        if fate == "rework" and rng.random() < 0.5:
            assert handled is not None
            revisited = handled + 48 * h
            satisfaction, sub, redo = "unsatisfied", "发回重办", redo + 1
            steps.append((cid, 3, "revisit", "closed_fixed", "rework", "回访员", revisited, "", "{}", True))
        elif fate == "rework":
            sub = "返工"
        is_open = fate not in ("rejected", "closed_duplicate", "closed_fixed", "closed_unfixable", "revisited")
        row = (
            cid, f"SY-{cid:09d}", channel, rng.choice(seeded.category_ids), "合成事件", rng.choice(TEXTS), "",
            "land" if grid_id else "unknown", grid_id, unit_id, "", False,
            seeded.user_id if channel == "grid_worker" else None, "normal", fate, sub, is_open, responsible, master,
            "{}", redo, 0, 0, overdue, satisfaction, 0, reported, registered, dispatched, accepted, handled, closed,
            revisited, due, closed_ok, acc_ok, resp_due, first_resp, reported,
        )  # fmt: skip
        yield row, steps


def load_postgresql(engine: Engine, seeded: Seeded, n: int, start: datetime, span: timedelta) -> None:
    """COPY ``n`` synthetic cases and their steps into PostgreSQL, then ANALYZE."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SELECT coalesce(max(id), 0) FROM case_item")
        first_id = cur.fetchone()[0] + 1
        steps: list[tuple[Any, ...]] = []
        columns = ", ".join(f'"{c}"' for c in CASE_COLUMNS)
        with cur.copy(f"COPY case_item ({columns}) FROM STDIN") as copy:
            for k, (row, case_steps) in enumerate(synthetic(n, first_id, seeded, start, span, random.Random(11))):
                copy.write_row(row)
                steps.extend(case_steps)
                if k and k % 200_000 == 0:
                    log(f"postgresql: {k:,} cases copied")
        with cur.copy(f"COPY case_step ({', '.join(STEP_COLUMNS)}) FROM STDIN") as copy:
            for step in steps:
                copy.write_row(step)
        cur.execute("SELECT setval(pg_get_serial_sequence('case_item', 'id'), (SELECT max(id) FROM case_item))")
        raw.commit()
        log(f"postgresql: {n:,} cases and {len(steps):,} steps loaded; ANALYZE")
        cur.execute("ANALYZE case_item")
        cur.execute("ANALYZE case_step")
        raw.commit()
    finally:
        raw.close()


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def load_sqlite(engine: Engine, seeded: Seeded, n: int, start: datetime, span: timedelta) -> None:
    """Insert ``n`` synthetic cases and their steps into SQLite (executemany in chunks of 10,000), then ANALYZE."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SELECT coalesce(max(id), 0) FROM case_item")
        first_id = cur.fetchone()[0] + 1
        columns = ", ".join(f'"{c}"' for c in CASE_COLUMNS)
        marks = ", ".join("?" * len(CASE_COLUMNS))
        case_sql = f"INSERT INTO case_item ({columns}) VALUES ({marks})"  # noqa: S608 - constant names
        step_marks = ", ".join("?" * len(STEP_COLUMNS))
        step_sql = f"INSERT INTO case_step ({', '.join(STEP_COLUMNS)}) VALUES ({step_marks})"  # noqa: S608 - constant
        chunk: list[tuple[Any, ...]] = []
        steps: list[tuple[Any, ...]] = []
        cur.execute("BEGIN")
        for row, case_steps in synthetic(n, first_id, seeded, start, span, random.Random(11)):
            chunk.append(tuple(_sqlite_value(v) for v in row))
            steps.extend(tuple(_sqlite_value(v) for v in s) for s in case_steps)
            if len(chunk) == 10_000:
                cur.executemany(case_sql, chunk)
                chunk.clear()
        cur.executemany(case_sql, chunk)
        cur.executemany(step_sql, steps)
        cur.execute("COMMIT")
        log(f"sqlite: {n:,} cases and {len(steps):,} steps loaded; ANALYZE")
        cur.execute("ANALYZE")
    finally:
        raw.close()


def time_kpis(url: str, start: datetime, end: datetime, label: str) -> float:
    """Best of 3 of the area KPI table for the whole load, as the system sees it."""
    engine = create_db_engine(url)
    best = math.inf
    try:
        for _ in range(3):
            with Session(engine) as s:
                t = time.perf_counter()
                rows = kpi_table(s, actor=SYSTEM, by="area", start=start, end=end)
                best = min(best, time.perf_counter() - t)
        reported = sum(r.counts.reported for r in rows)
        log(f"{label}: kpi_table by=area over {reported:,} cases in {len(rows)} rows, best {best:.3f} s")
        with Session(engine) as s:
            for by in ("unit", "person", "grid"):
                t = time.perf_counter()
                kpi_table(s, actor=SYSTEM, by=by, start=start, end=end)
                log(f"{label}: kpi_table by={by} {time.perf_counter() - t:.3f} s")
    finally:
        engine.dispose()
    return best


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="reports to POST per backend")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--kpi-cases", type=int, default=1_000_000)
    parser.add_argument("--kpi-sqlite", action="store_true", help="also time the KPI table over SQLite")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument(
        "--workers", type=int, default=2, help="server processes on PostgreSQL (pingan serve --workers); SQLite uses 1"
    )
    args = parser.parse_args()

    lines = []
    kpi_start = datetime(2025, 6, 1, tzinfo=UTC)
    kpi_span = timedelta(days=365)
    kpi_s: float | None = None
    with tempfile.TemporaryDirectory(prefix="pingan-bench-") as tmp:
        for backend in args.backends.split(","):
            directory = Path(tmp) / backend
            directory.mkdir()
            url, drop = new_database(backend, directory)
            try:
                started = time.perf_counter()
                migrate.upgrade(url)
                settings = Settings(env="development", database_url=url, data_dir=directory, secret_key=SECRET)
                seeded = seed(url, settings)
                log(f"{backend}: migrated and seeded in {time.perf_counter() - started:.1f} s")
                # SQLite has one file lock, so one server process; PostgreSQL gets one per core.
                workers = 1 if backend == "sqlite" else args.workers
                lines.append(bench_intake(backend, url, directory, seeded, args.cases, args.threads, workers))
                if args.kpi_cases and (backend == "postgresql" or args.kpi_sqlite):
                    started = time.perf_counter()
                    engine = create_db_engine(url)
                    loader = load_postgresql if backend == "postgresql" else load_sqlite
                    loader(engine, seeded, args.kpi_cases, kpi_start, kpi_span)
                    engine.dispose()
                    log(f"{backend}: loaded in {time.perf_counter() - started:.1f} s")
                    best = time_kpis(url, kpi_start, kpi_start + kpi_span, backend)
                    if backend == "postgresql":
                        kpi_s = best
                    else:
                        log(f"kpi_1m_cases_sqlite: {best:.2f} s")
            finally:
                drop()
    for line in lines:
        print(line, flush=True)
    if kpi_s is not None:
        print(f"kpi_1m_cases: {kpi_s:.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
