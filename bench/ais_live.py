"""Live AIS over real UDP at 5,000 sentences/s for 60 s while the alert rules run: lines lost, and alert latency.

What runs here: the pipeline of one process as ``pingan serve`` runs it — :class:`MaritimeRuntime` on a fresh
SQLite file in a temp directory (``--backend postgresql``: a new database on the local server, dropped after),
built by the real migrations and seeded with the demo's organisation, geography and fleet (``seed_demo``,
``load_geography``, ``load_fleet``: 8,200 vessel files with their AIS terminals, 770 production groups, cadres,
duty shifts, closed seasons, 13 ports, the 螺头水道 channel; ~20 s) and one restricted area; its UDP listener on
a loopback port; its periodic work (Parquet history, AIS statics into the vessel files, status file, every 2 s);
and the alert engine's two lanes as the server starts them
(``MaritimeRuntime.start_alerts``): the fast lane (distress, restricted waters), woken by the pipeline on the
report that may show one and otherwise every ``--fast-period-s``, and the full lane (every other rule, the
port-call log, cases for raised alerts, escalation, roll calls) every ``--alert-period-s``; both default to the
settings' defaults (1 s and 2 s). Each pass writes alerts, recipients, inbox rows, timeline and audit rows in one
transaction, the full lane stepping aside between two alerts while a fast pass runs (``gate.WriteGate``; the
periodic saving of AIS statics steps aside the same way). The grid locator (used by the hub to place a case) is
built before the stream and its time printed (the full lane would build it as it starts, ≈ 5–15 s here), and
the process is then tuned as the server tunes itself once started (``runtime.tune_server_process``: start-up heap
frozen out of the garbage collector's sight, 1 ms thread switch interval).

The traffic comes from a separate process (multiprocessing, spawn): the demo's fleet simulator on that fleet
(``build_world``; the demo's options add 200 merchants, 200 net beacons, AtoN and base stations, hear 8 % of
messages twice and lose 0.5 % at the source). It pre-generates ``--rate`` × ``--duration-s`` sentences with
their tag blocks; the simulator emits ≈ 500 sentences per simulated second, so the stream is the fleet's first
~10 simulated minutes sped up ≈ 10×. It then sends them paced evenly at ``--rate`` lines/s,
``--lines-per-datagram`` lines (CR LF terminated) per datagram — 10 by default, i.e. 500 datagrams/s; the
simulator itself sends one sentence per datagram and NMEA-over-UDP receivers accept both
(``--lines-per-datagram 1`` measures that). Each tag block's ``c:`` time is rewritten to the second the line is
sent, as a receiver stamping live traffic would, so that the rules see one coherent "now". Vessels then move
~10× further between reports than their SOG says; every such move stays under the jump filter's 500 m, so
positions are accepted as in real time. The pipeline starts cold, as after a restart: in the first ~36 s every
vessel's first static report arrives (and is written to its file), and 20 s in, every collision pair present
from the start has held long enough and is raised at once. Latency is therefore also printed per 10 s window
of due time.

Measured situations, every ``--situation-every-s`` (0.5 s) from 3.5 s on, alternately, each on a fresh MMSI:

- distress: an AIS-SART (970…) on the fishing grounds sends a type 1 with navigational status 14 (the trigger),
  and ``--sart-text-after-s`` (1 s) later a type 14 "SART ACTIVE". The distress rule raises at the top level at
  once (no debounce hold). With ``--sart-text-after-s 0`` both go in one datagram (the engine reads the
  picture and the safety messages under one hold of the pipeline's lock, so it never sees the text alone);
- geofence entry: a vessel (type 1, 47799…) waits stopped 150 m south of the restricted area (124.30 °E
  eastwards, 30.40–30.50 °N, ``alert_on_enter``, level alarm, clear of the simulated traffic), reporting every
  3 s for up to 21 s, then reports 150 m inside (the trigger). A vessel first seen inside raises nothing, so it
  must be in a picture outside first. ENTER has no hold either (``geofence.transition_timings``).

Kinds with a policy hold (collision 20 s, closure 2 min, dispersion 10 min) are not measured; the simulated
traffic raises them as it may. A situation's latency runs from the wall clock (``time.time()`` in both
processes) just before its triggering datagram is sent to just after the pass that stored its alert committed
(``AlertWorker.passes`` records each pass's stages). It is split into receive (sent → decoded: a wrapper around
``Pipeline.take``), wait (decoded → the pass reads the picture) and pass (picture → commit: rules, debouncer,
alert rows, commit). Each lane's stages, the garbage collector's pauses and each thread's CPU are printed too.

Counting: received is the pipeline's ``counters.lines`` once the stream has drained; lost = sent − received.
The listener's socket gets SO_RCVBUF ``--rcvbuf-bytes`` (4 MiB, which the kernel doubles; ``net.core.rmem_max``
must allow it; 0 keeps the OS default). ``Listeners`` has no option for it, so the bench finds the bound
socket's descriptor in /proc/self/fd. The socket's kernel drop counter and its peak receive queue
(/proc/net/udp) are reported, and the CPU of each thread, of the sender and of the whole machine over the run,
since the reference machine has 2 cores shared with other jobs.

Goals (issue 7): nothing lost, p99 ≤ 200 ms. The last line reads::

    ais_live: received=N, lost=M, p99_alert_latency_ms=P

with ``, missed=K`` added when K situations had no alert stored within 10 s of the stream's end (the p99 is
over the others).
"""

from __future__ import annotations

import argparse
import gc
import math
import multiprocessing as mp
import os
import resource
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from benchdb import BACKENDS, new_database  # bench/benchdb.py
from sqlalchemy.orm import Session

from pingan import migrate
from pingan.config import Settings
from pingan.db import create_db_engine, make_sessionmakers
from pingan.grids import service as grids
from pingan.maritime.areas import save_area
from pingan.maritime.engine import AlertLanes, PassRecord
from pingan.maritime.geofence import Area, AreaKind, AreaRules
from pingan.maritime.pipeline import Pipeline
from pingan.maritime.rules import AlertKind, Level
from pingan.maritime.runtime import MaritimeRuntime, tune_server_process

if TYPE_CHECKING:
    from pingan.demo.sim_state import SimWorld

SECRET = "bench-secret-key-for-pingan-" + "0123456789abcdef"
STATION = "ZS-AIS-01"
AREA_CODE = "BENCH-R1"
AREA_WEST, AREA_SOUTH, AREA_NORTH = 124.30, 30.40, 30.50  # open sea east of the grounds, clear of the simulation
SLOT_DEG = 0.01  # ~960 m between entry points: vessels side by side never alarm each other
EDGE_M = 150.0  # outside and inside the boundary: clear of the 50 m hysteresis band, under the 500 m jump limit
WAITING_S, WAITING_EVERY_S = 21.0, 3.0  # the entering vessel waits outside, reporting, this long before it enters
FIRST_SITUATION_S = WAITING_EVERY_S + 0.5
SART_WEST, SART_SOUTH = 123.10, 30.10  # on the simulated fishing grounds
SART_MMSI0, GEOFENCE_MMSI0 = 970_100_000, 477_990_000
M_PER_DEG_LAT = 111_320.0
SIM_CHUNK_S = 10.0
DRAIN_QUIET_S = 2.0
ALERT_WAIT_S = 10.0
WINDOW_S = 10.0

Line = tuple[str, str]  # the tag block's body up to and including "c:", and the sentence after the tag block


def log(message: str) -> None:
    """Progress, on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the situations


@dataclass(frozen=True)
class Situation:
    """One scripted situation whose alert is raised without a hold."""

    index: int
    kind: AlertKind
    mmsi: int
    due_s: float  # after the stream's start

    @property
    def slot(self) -> int:
        """Its place among the situations of its kind."""
        return self.index // 2

    @property
    def subject(self) -> str:
        """The alert's kind and subject, as the engine raises it."""
        subject = str(self.mmsi) if self.kind is AlertKind.DISTRESS else f"{self.mmsi}@{AREA_CODE}"
        return f"{self.kind.value}|{subject}"

    @property
    def waiting_s(self) -> list[float]:
        """When an entering vessel reports outside (none before the stream starts); nothing for a SART."""
        if self.kind is AlertKind.DISTRESS:
            return []
        steps = round(WAITING_S / WAITING_EVERY_S)
        return [t for k in range(steps, 0, -1) if (t := self.due_s - k * WAITING_EVERY_S) >= 0]

    @property
    def trigger_message(self) -> int:
        """Which of its decoded messages triggers the alert: the first, or the entering vessel's first inside."""
        return len(self.waiting_s)


def plan(duration_s: float, every_s: float) -> list[Situation]:
    """Distress and geofence entry, alternately, every `every_s` from 3.5 s until 0.5 s before the end."""
    out: list[Situation] = []
    while (due := FIRST_SITUATION_S + len(out) * every_s) <= duration_s - 0.5:
        k = len(out)
        distress = k % 2 == 0
        kind = AlertKind.DISTRESS if distress else AlertKind.GEOFENCE_ENTER
        out.append(Situation(k, kind, (SART_MMSI0 if distress else GEOFENCE_MMSI0) + k, due))
    return out


def restricted_area(situations: Sequence[Situation]) -> shapely.Polygon:
    """The restricted area, wide enough for one entry point per geofence situation."""
    slots = sum(s.kind is AlertKind.GEOFENCE_ENTER for s in situations)
    return shapely.box(AREA_WEST, AREA_SOUTH, AREA_WEST + SLOT_DEG * (slots + 1), AREA_NORTH)


# ---------------------------------------------------------------- the sender (its own process)


def split_tagged(line: str) -> Line:
    r"""Cut a tag-blocked sentence into the tag body before its time and the sentence.

    >>> split_tagged("\\s:ZS-AIS-01,c:1764460800*61\\!AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,0*5C")
    ('s:ZS-AIS-01,c:', '!AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,0*5C')
    """
    end = line.index("\\", 1)
    body = line[1:end].rsplit("*", 1)[0]
    cut = body.rindex("c:") + 2
    if not body[cut:].isdigit():
        raise ValueError(f"the receiver time is not the tag block's last field: {line}")
    return body[:cut], line[end + 1 :]


class Stamper:
    """Tag blocks with the current second as receiver time, built once per (body, second)."""

    def __init__(self) -> None:
        from pingan.demo.simulator import nmea_checksum

        self.checksum = nmea_checksum
        self.second = -1
        self.tags: dict[str, str] = {}

    def datagram(self, lines: Sequence[Line], now: float) -> bytes:
        """The lines with their tag blocks stamped `now`, CR LF terminated, as one datagram."""
        second = int(now)
        if second != self.second:
            self.second, self.tags = second, {}
        parts = []
        for prefix, sentence in lines:
            tag = self.tags.get(prefix)
            if tag is None:
                body = f"{prefix}{second}"
                tag = self.tags[prefix] = f"\\{body}*{self.checksum(body)}\\"
            parts.append(f"{tag}{sentence}\r\n")
        return "".join(parts).encode("ascii")


def simulated_lines(world: SimWorld, count: int, *, seed: int) -> tuple[list[Line], float]:
    """The first `count` sentences the fleet simulator emits for `world`, and the simulated seconds they span."""
    from pingan.demo.simulator import FleetSimulator

    start = float(int(time.time()))
    sim = FleetSimulator(world, start=start, seed=seed)
    lines: list[Line] = []
    while len(lines) < count:
        for emission in sim.advance(sim.t + SIM_CHUNK_S):
            lines.extend(split_tagged(line) for line in emission.lines)
    return lines[:count], sim.t - start


def situation_sends(situations: Sequence[Situation], text_after_s: float) -> list[tuple[float, list[Line], int]]:
    """(due seconds, lines, index of the situation it triggers or -1) of every scripted datagram, in time order."""
    from pyais import encode_dict

    prefix = f"s:{STATION},c:"

    def encoded(data: dict[str, Any]) -> list[Line]:
        return [(prefix, s) for s in encode_dict(data, talker_id="AI", sentence_type="VDM")]

    sends: list[tuple[float, list[Line], int]] = []
    for s in situations:
        if s.kind is AlertKind.DISTRESS:
            lon, lat = SART_WEST + SLOT_DEG * (s.slot % 20), SART_SOUTH + SLOT_DEG * (s.slot // 20)
            report = {"type": 1, "mmsi": s.mmsi, "status": 14, "speed": 0.0, "accuracy": 1, "lon": lon, "lat": lat}
            report |= {"course": 360.0, "heading": 511, "turn": -128.0, "second": 60}
            text = encoded({"type": 14, "mmsi": s.mmsi, "text": "SART ACTIVE"})
            if text_after_s > 0:
                sends += [(s.due_s, encoded(report), s.index), (s.due_s + text_after_s, text, -1)]
            else:
                sends.append((s.due_s, encoded(report) + text, s.index))
            continue
        lon = AREA_WEST + SLOT_DEG * (s.slot + 0.5)
        for at in [*s.waiting_s, s.due_s]:
            entering = at == s.due_s
            north_m, speed = (EDGE_M, 4.0) if entering else (-EDGE_M, 0.0)
            report = {"type": 1, "mmsi": s.mmsi, "status": 0, "speed": speed, "accuracy": 1, "lon": lon}
            report |= {"lat": round(AREA_SOUTH + north_m / M_PER_DEG_LAT, 6), "course": 0.0, "heading": 0}
            sends.append((at, encoded(report), s.index if entering else -1))
    return sorted(sends, key=lambda send: send[0])


def send_traffic(
    conn: Connection,
    *,
    rate: float,
    duration_s: float,
    per_datagram: int,
    every_s: float,
    text_after_s: float,
    seed: int,
) -> None:
    """Wait for the world, generate, report ready, wait for (port, start time), send paced, report what was sent."""
    world = conn.recv()
    began = time.perf_counter()
    lines, sim_span_s = simulated_lines(world, round(rate * duration_s), seed=seed)
    extra = situation_sends(plan(duration_s, every_s), text_after_s)
    conn.send({"lines": len(lines), "sim_span_s": sim_span_s, "generate_s": time.perf_counter() - began})
    port, start_at = conn.recv()
    address = ("127.0.0.1", port)
    stamper = Stamper()
    interval = per_datagram / rate
    batches = math.ceil(len(lines) / per_datagram)
    b = e = sent = datagrams = errors = 0
    late: list[float] = []
    triggers: dict[int, float] = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        cpu = time.process_time()
        while b < batches or e < len(extra):
            batch_due = start_at + b * interval if b < batches else math.inf
            extra_due = start_at + extra[e][0] if e < len(extra) else math.inf
            due = min(batch_due, extra_due)
            if (wait := due - time.time()) > 0:
                time.sleep(wait)
            if extra_due <= batch_due:
                chunk, trigger = extra[e][1], extra[e][2]
                e += 1
            else:
                chunk, trigger = lines[b * per_datagram : (b + 1) * per_datagram], -1
                b += 1
            now = time.time()
            late.append(now - due)
            payload = stamper.datagram(chunk, now)
            if trigger >= 0:
                triggers[trigger] = time.time()
            try:
                sock.sendto(payload, address)
            except OSError:
                errors += 1
                continue
            sent += len(chunk)
            datagrams += 1
        cpu = time.process_time() - cpu
    conn.send(
        {
            "sent": sent,
            "datagrams": datagrams,
            "errors": errors,
            "triggers": triggers,
            "send_s": time.time() - start_at,
            "cpu_s": cpu,
            "late_p99_ms": float(np.percentile(late, 99)) * 1e3,
            "late_max_ms": max(late) * 1e3,
        }
    )
    conn.close()


# ---------------------------------------------------------------- the receiving side


def prepare_database(settings: Settings, area: shapely.Polygon) -> SimWorld:
    """Migrate; seed the demo organisation, geography and fleet, and the restricted area; return the fleet's world."""
    from pingan.demo.fleet import load_fleet
    from pingan.demo.geography import build_geography
    from pingan.demo.registry import load_geography
    from pingan.demo.seed import seed_demo
    from pingan.demo.sim_world import build_world

    migrate.upgrade(settings.url)
    engine = create_db_engine(settings.url)
    now = datetime.now(UTC)
    with Session(engine) as s, s.begin():
        seed_demo(s, settings, now=now)
        load_geography(s, settings, build_geography(), now=now)
        load_fleet(s, settings, now=now)
        rules = AreaRules(alert_on_enter=True, level=Level.ALARM)
        save_area(s, Area(AREA_CODE, "压测禁入水域", AreaKind.RESTRICTED, area, rules), now=now)
    with Session(engine) as s:
        world = build_world(s)
    engine.dispose()
    return world


def stored_by(lanes: AlertLanes) -> dict[str, PassRecord]:
    """The pass that stored each raised situation ("kind|subject"), over both lanes."""
    found: dict[str, PassRecord] = {}
    for worker in lanes.workers:
        for p in list(worker.passes):
            for subject in p.raised:
                found.setdefault(subject, p)
    return found


class TickProbe:
    """How long each stage of the pipeline's periodic work took (a wrapper around ``MaritimeRuntime`` methods)."""

    def __init__(self, runtime: MaritimeRuntime) -> None:
        self.times: dict[str, list[float]] = {}
        stages = (
            ("history", runtime.pipeline, "flush"),
            ("statics", runtime, "save_statics"),
            ("registry", runtime, "load"),
        )
        for name, owner, method in stages:
            setattr(owner, method, self._timed(name, getattr(owner, method)))

    def _timed(self, name: str, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.times.setdefault(name, []).append(time.perf_counter() - began)

        return timed


class DecodeProbe:
    """When each message of the watched MMSIs left the decoder (a wrapper around ``Pipeline.take``)."""

    def __init__(self, pipeline: Pipeline, mmsis: Sequence[int]) -> None:
        self.times: dict[int, list[float]] = {m: [] for m in mmsis}
        take = pipeline.take

        def timed_take(message: Any, *, received_at: datetime | None = None) -> None:
            seen = self.times.get(getattr(message.msg, "mmsi", -1))
            if seen is not None:
                seen.append(time.time())
            take(message, received_at=received_at)

        pipeline.take = timed_take  # type: ignore[method-assign]


def set_receive_buffer(port: int, size: int) -> tuple[int, int]:
    """Set SO_RCVBUF on the bound UDP socket of `port` (0: leave it); return the size before and after."""
    for name in os.listdir("/proc/self/fd"):
        try:
            fd = os.dup(int(name))
        except OSError:
            continue
        try:
            sock = socket.socket(fileno=fd)
        except OSError:
            os.close(fd)
            continue
        with sock:
            if sock.family != socket.AF_INET or sock.type != socket.SOCK_DGRAM or sock.getsockname()[1] != port:
                continue
            before = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
            if size:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
            return before, sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    raise RuntimeError(f"no UDP socket bound to port {port} in this process")


def udp_queue(port: int) -> tuple[int, int]:
    """(bytes waiting in the receive queue, datagrams dropped) of the UDP socket bound to `port` (/proc/net/udp)."""
    suffix = f":{port:04X}"
    for row in Path("/proc/net/udp").read_text().splitlines()[1:]:
        cols = row.split()
        if cols[1].endswith(suffix):
            return int(cols[4].split(":")[1], 16), int(cols[-1])
    return 0, 0


@dataclass
class Usage:
    """CPU seconds by thread, of the process and of the machine (busy and total jiffies), at one instant."""

    at: float
    threads: dict[str, float]
    process_s: float
    machine_busy: int
    machine_total: int

    @staticmethod
    def now() -> Usage:
        """Read them all."""
        tick = os.sysconf("SC_CLK_TCK")
        threads = {}
        for t in threading.enumerate():
            try:
                stat = Path(f"/proc/self/task/{t.native_id}/stat").read_text()
            except OSError:
                continue
            cols = stat.rsplit(")", 1)[1].split()
            threads[t.name] = (int(cols[11]) + int(cols[12])) / tick
        ru = resource.getrusage(resource.RUSAGE_SELF)
        jiffies = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        total = sum(jiffies[:8])
        return Usage(time.time(), threads, ru.ru_utime + ru.ru_stime, total - jiffies[3] - jiffies[4], total)


@dataclass
class QueueWatch:
    """Samples the listener socket's receive queue every 50 ms in a thread."""

    port: int
    peak_bytes: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.wait(0.05):
            self.peak_bytes = max(self.peak_bytes, udp_queue(self.port)[0])


@dataclass
class GcWatch:
    """Pauses of Python's cyclic garbage collector (every thread waits for one), by generation."""

    pauses: dict[int, list[float]] = field(default_factory=lambda: {0: [], 1: [], 2: []})
    _began: float = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.pauses[info["generation"]].append(time.perf_counter() - self._began)


def percentiles(values: Sequence[float]) -> str:
    """p50 / p99 / max in milliseconds of seconds."""
    if not values:
        return "n/a"
    ms = np.asarray(values) * 1e3
    return f"p50={np.percentile(ms, 50):.0f} p99={np.percentile(ms, 99):.0f} max={ms.max():.0f} ms"


# ---------------------------------------------------------------- the run


def main() -> None:
    """Start the sender, the pipeline and the engine; stream; wait for the alerts; print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=5_000.0, help="sentences per second")
    parser.add_argument("--duration-s", type=float, default=60.0)
    parser.add_argument("--lines-per-datagram", type=int, default=10)
    parser.add_argument("--rcvbuf-bytes", type=int, default=4 << 20, help="SO_RCVBUF of the listener; 0 = as is")
    parser.add_argument(
        "--alert-period-s",
        type=float,
        default=Settings.model_fields["alert_period_s"].default,
        help="pause between passes of the full lane",
    )
    parser.add_argument(
        "--fast-period-s",
        type=float,
        default=Settings.model_fields["alert_fast_period_s"].default,
        help="pause between passes of the fast lane when nothing wakes it",
    )
    parser.add_argument("--situation-every-s", type=float, default=0.5)
    parser.add_argument(
        "--sart-text-after-s", type=float, default=1.0, help="type 14 after the SART's report (0: same datagram)"
    )
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--backend", choices=BACKENDS, default="sqlite", help="the database (a fresh one, dropped after)"
    )
    args = parser.parse_args()
    situations = plan(args.duration_s, args.situation_every_s)
    load_before = os.getloadavg()

    ctx = mp.get_context("spawn")
    conn, child_conn = ctx.Pipe()
    sender = ctx.Process(
        target=send_traffic,
        name="ais-live-sender",
        args=(child_conn,),
        kwargs={
            "rate": args.rate,
            "duration_s": args.duration_s,
            "per_datagram": args.lines_per_datagram,
            "every_s": args.situation_every_s,
            "text_after_s": args.sart_text_after_s,
            "seed": args.seed,
        },
    )
    sender.start()
    log(f"sender started (pid {sender.pid}); seeding the demo registry")
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = new_database(args.backend, Path(tmp))
        settings = Settings(
            env="development",
            database_url=url,
            data_dir=Path(tmp),
            secret_key=SECRET,
            ais_host="127.0.0.1",
            ais_udp_port=0,
            ais_tcp_port=None,
            ais_tcp_sources=[],
            mqtt_url=None,
            alert_engine=False,  # started below, once the grid locator is warm
            alert_period_s=args.alert_period_s,
            alert_fast_period_s=args.fast_period_s,
        )
        began = time.perf_counter()
        world = prepare_database(settings, restricted_area(situations))
        conn.send(world)
        log(f"seeded {len(world)} vessels in {time.perf_counter() - began:.1f} s; starting the pipeline")
        db = create_db_engine(url)
        read, write = make_sessionmakers(db)
        runtime = MaritimeRuntime(settings, write, read)
        runtime.start()
        assert runtime.listeners is not None
        port = runtime.listeners.bound["udp"]
        rcvbuf = set_receive_buffer(port, args.rcvbuf_bytes)
        probe = DecodeProbe(runtime.pipeline, [s.mmsi for s in situations])
        ticks = TickProbe(runtime)
        began = time.perf_counter()
        with read() as session:
            grids.locator(session)  # a running server has it; the first case of a cold process builds it
        locator_s = time.perf_counter() - began
        lanes: AlertLanes = runtime.start_alerts()
        frozen = tune_server_process()  # as the server does once started
        log(
            f"listening on udp {port}, SO_RCVBUF {rcvbuf[0]} -> {rcvbuf[1]} bytes; grid locator built in "
            f"{locator_s:.1f} s; {frozen} objects frozen; waiting for the sender"
        )

        ready = conn.recv()
        log(
            f"sender ready: {ready['lines']} sentences = {ready['sim_span_s']:.0f} simulated s "
            f"(x{ready['sim_span_s'] / args.duration_s:.1f}), generated in {ready['generate_s']:.1f} s"
        )
        start_at = time.time() + 0.5
        conn.send((port, start_at))
        watch = QueueWatch(port)
        watcher = threading.Thread(target=watch.run, name="ais-live-queue-watch", daemon=True)
        watcher.start()
        time.sleep(max(0.0, start_at - time.time()))
        gc_watch = GcWatch()
        gc.callbacks.append(gc_watch)
        usage0 = Usage.now()
        result = conn.recv()
        usage1 = Usage.now()
        gc.callbacks.remove(gc_watch)
        log(f"sent {result['sent']} lines in {result['datagrams']} datagrams over {result['send_s']:.1f} s")

        counters = runtime.pipeline.counters
        last, quiet_since = -1, time.monotonic()
        while counters.lines < result["sent"] and time.monotonic() - quiet_since < DRAIN_QUIET_S:
            if counters.lines != last:
                last, quiet_since = counters.lines, time.monotonic()
            time.sleep(0.02)
        received = counters.lines
        deadline = time.monotonic() + ALERT_WAIT_S
        while any(s.subject not in stored_by(lanes) for s in situations) and time.monotonic() < deadline:
            time.sleep(0.05)
        watch.stop.set()
        _, drops = udp_queue(port)
        runtime.stop()
        raised_in = stored_by(lanes)
        failures = {w.engine.lane.value: w.failures for w in lanes.workers}
        db.dispose()
        drop()
    sender.join(timeout=10)
    load_after = os.getloadavg()

    # ---- the situations
    latency, receive, wait, work = [], [], [], []
    by_kind: dict[str, list[float]] = {}
    missed, measured = [], []
    for s in situations:
        sent_at = result["triggers"].get(s.index)
        p = raised_in.get(s.subject)
        decoded = probe.times[s.mmsi]
        if sent_at is None or p is None or len(decoded) <= s.trigger_message:
            missed.append(s)
            continue
        measured.append(s)
        latency.append(p.committed - sent_at)
        by_kind.setdefault(s.kind.value, []).append(p.committed - sent_at)
        receive.append(decoded[s.trigger_message] - sent_at)
        wait.append(p.picture - decoded[s.trigger_message])
        work.append(p.committed - p.picture)
    print(f"situations: {len(latency)} of {len(situations)} measured, {len(missed)} without a stored alert")
    if missed:
        listed = ", ".join(
            f"{s.kind.value}@{s.due_s:g}s{'' if probe.times[s.mmsi] else ' (not decoded)'}" for s in missed
        )
        print(f"  missed: {listed}")
    print(f"alert latency: {percentiles(latency)}")
    for kind, values in sorted(by_kind.items()):
        print(f"  {kind}: {len(values)}, {percentiles(values)}")
    print(f"  receive (sent -> decoded): {percentiles(receive)}")
    print(f"  wait (decoded -> the pass reads the picture): {percentiles(wait)}")
    print(f"  pass (picture -> commit): {percentiles(work)}")
    windows: dict[int, list[float]] = {}
    for s, value in zip(measured, latency, strict=True):
        windows.setdefault(int(s.due_s // WINDOW_S), []).append(value)
    for w, values in sorted(windows.items()):
        print(f"  due {w * WINDOW_S:.0f}-{(w + 1) * WINDOW_S:.0f} s: {len(values)}, {percentiles(values)}")

    # ---- the engine and the CPU
    run_s = usage1.at - usage0.at
    for worker in lanes.workers:
        lane = worker.engine.lane.value
        passes_run = [p for p in worker.passes if usage0.at <= p.started <= usage1.at]
        stage = {
            "refresh": [p.picture - p.started for p in passes_run],
            "picture+rules": [p.rules - p.picture for p in passes_run],
            "gate": [p.turn - p.rules for p in passes_run],
            "store": [p.stored - p.turn for p in passes_run],
            "commit": [p.committed - p.stored for p in passes_run],
            "whole": [p.committed - p.started for p in passes_run],
            "whole, CPU of its thread": [p.cpu_s for p in passes_run],
        }
        targets = max((p.targets for p in passes_run), default=0)
        print(
            f"{lane} lane: period {worker.period_s} s, {len(passes_run)} passes in {run_s:.1f} s, up to {targets} "
            f"targets, failures {failures[lane]}"
        )
        for name, values in stage.items():
            print(f"  {name}: {percentiles(values)}")
        raised = Counter(r.split("|", 1)[0] for p in passes_run for r in p.raised)
        per_alert = [(p.stored - p.turn) / len(p.raised) for p in passes_run if p.raised]
        print(
            f"  alerts raised: {sum(raised.values())} {dict(raised.most_common())}; store per raised alert "
            f"{percentiles(per_alert)}"
        )
        if passes_run:
            slow = max(passes_run, key=lambda p: p.committed - p.started)
            print(
                f"  slowest pass: {(slow.committed - slow.started) * 1e3:.0f} ms (picture+rules "
                f"{(slow.rules - slow.picture) * 1e3:.0f}, gate {(slow.turn - slow.rules) * 1e3:.0f}, store "
                f"{(slow.stored - slow.turn) * 1e3:.0f}), "
                f"raising {dict(Counter(r.split('|', 1)[0] for r in slow.raised).most_common())}"
            )
    print("periodic work: " + "; ".join(f"{k} {len(v)}, {percentiles(v)}" for k, v in ticks.times.items()))
    cpu = {name: usage1.threads.get(name, 0.0) - usage0.threads.get(name, 0.0) for name in usage1.threads}
    share = {name: 100 * v / run_s for name, v in sorted(cpu.items(), key=lambda kv: -kv[1]) if v > 0}
    print(
        "cpu (% of one core over the run): "
        + ", ".join(f"{name} {v:.0f}" for name, v in share.items())
        + f"; this process {100 * (usage1.process_s - usage0.process_s) / run_s:.0f};"
        f" sender {100 * result['cpu_s'] / result['send_s']:.0f}"
    )
    print("gc pauses: " + "; ".join(f"gen {g}: {len(v)}, {percentiles(v)}" for g, v in gc_watch.pauses.items() if v))
    busy = (usage1.machine_busy - usage0.machine_busy) / max(1, usage1.machine_total - usage0.machine_total)
    print(
        f"machine: {os.cpu_count()} cores, {100 * busy:.0f} % busy over the run; load average "
        f"{load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    print(
        f"udp: {result['datagrams']} datagrams of {args.lines_per_datagram} lines, send errors {result['errors']}, "
        f"sender late p99 {result['late_p99_ms']:.1f} ms max {result['late_max_ms']:.1f} ms; SO_RCVBUF {rcvbuf[1]} "
        f"bytes, peak queue {watch.peak_bytes} bytes, kernel drops {drops}"
    )
    p99 = float(np.percentile(np.asarray(latency) * 1e3, 99)) if latency else math.nan
    line = f"ais_live: received={received}, lost={result['sent'] - received}, p99_alert_latency_ms={p99:.0f}"
    print(line + (f", missed={len(missed)}" if missed else ""))


if __name__ == "__main__":
    main()
