"""The two alert lanes of a running server: the fast lane wakes on the report that shows distress or an entry into
restricted waters (long before its period), the full lane never raises those kinds, and the write gate puts a
fast write ahead of a long full-lane transaction.

The runtime here runs as the server runs it (listeners on real UDP, both lanes in their threads, real commits) on
a database of its own, since the lanes' threads cannot share the test transaction's connection.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import shapely
from pyais import encode_dict
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pingan import migrate
from pingan.config import Settings
from pingan.db import create_db_engine, make_sessionmakers
from pingan.fleet.models import Alert
from pingan.maritime.alerts import ensure_policies
from pingan.maritime.areas import save_area
from pingan.maritime.engine import FAST_KINDS, FAST_MIN_GAP_S, AlertLanes, Lane, lane_kinds, watch_boxes
from pingan.maritime.gate import WriteGate
from pingan.maritime.geofence import Area, AreaKind, AreaRules
from pingan.maritime.rules import AlertKind, Level
from pingan.maritime.runtime import MaritimeRuntime
from tests.conftest import BACKENDS, new_database_url

AREA = shapely.box(123.00, 30.00, 123.05, 30.05)  # open sea east of the grounds
SART = 970_123_456
MERCHANT = 412_345_678
SLOW_PERIOD_S = 60.0  # the longest allowed: neither lane would run on its own during a test
WOKEN_WITHIN_S = 10.0


@dataclass
class Live:
    """A runtime with both lanes on its own database, and a UDP sender to its listener."""

    runtime: MaritimeRuntime
    lanes: AlertLanes
    read: sessionmaker[Session]
    write: sessionmaker[Session]
    sender: socket.socket
    address: tuple[str, int]

    def send(self, *reports: dict[str, object]) -> None:
        """Encode AIS messages with a tag block stamped now and send them in one datagram."""
        from pingan.demo.simulator import nmea_checksum

        body = f"s:TEST,c:{int(time.time())}"
        tag = f"\\{body}*{nmea_checksum(body)}\\"
        lines = [tag + s for r in reports for s in encode_dict(r, talker_id="AI", sentence_type="VDM")]
        expected = self.runtime.pipeline.counters.lines + len(lines)
        self.sender.sendto(("\r\n".join(lines) + "\r\n").encode("ascii"), self.address)
        deadline = time.monotonic() + 5.0
        while self.runtime.pipeline.counters.lines < expected:
            assert time.monotonic() < deadline, "the listener did not read the datagram"
            time.sleep(0.005)

    def alert(self, kind: AlertKind, subject: str, within_s: float = WOKEN_WITHIN_S) -> Alert:
        """The stored alert of (kind, subject), waited for."""
        deadline = time.monotonic() + within_s
        while True:
            with self.read() as session:
                found = session.scalar(select(Alert).where(Alert.kind == kind.value, Alert.subject == subject))
            if found is not None:
                return found
            assert time.monotonic() < deadline, f"no {kind.value} alert for {subject} within {within_s} s"
            time.sleep(0.05)

    def fast_passes_after(self, count: int, within_s: float = WOKEN_WITHIN_S) -> None:
        """Wait until the fast lane has run more than `count` passes."""
        deadline = time.monotonic() + within_s
        while len(self.lanes.fast.passes) <= count:
            assert time.monotonic() < deadline, "the fast lane was not woken"
            time.sleep(0.01)


def position(mmsi: int, lon: float, lat: float, *, status: int = 0, speed: float = 0.0) -> dict[str, object]:
    """A type 1 position report."""
    return {"type": 1, "mmsi": mmsi, "status": status, "speed": speed, "accuracy": 1, "lon": lon, "lat": lat}


@pytest.fixture(params=BACKENDS)
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    """A fresh database with the default policies and one restricted area; the runtime with both lanes running."""
    url, drop = new_database_url(request.param, tmp_path)
    migrate.upgrade(url)
    engine = create_db_engine(url)
    read, write = make_sessionmakers(engine)
    now = datetime.now(UTC)
    with write() as session:
        ensure_policies(session, now=now)
        rules = AreaRules(alert_on_enter=True, level=Level.ALARM)
        save_area(session, Area("T-R1", "测试禁入水域", AreaKind.RESTRICTED, AREA, rules), now=now)
        session.commit()
    settings = Settings(
        env="test",
        database_url=url,
        data_dir=tmp_path,
        ais_host="127.0.0.1",
        ais_udp_port=0,
        ais_tcp_port=None,
        ais_tcp_sources=[],
        mqtt_url=None,
        alert_engine=True,
        alert_period_s=SLOW_PERIOD_S,
        alert_fast_period_s=SLOW_PERIOD_S,
    )
    runtime = MaritimeRuntime(settings, write, read)
    runtime.start()
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        assert runtime.listeners is not None and isinstance(runtime.alerts, AlertLanes)
        yield Live(runtime, runtime.alerts, read, write, sender, ("127.0.0.1", runtime.listeners.bound["udp"]))
    finally:
        sender.close()
        runtime.stop()
        engine.dispose()
        drop()


def test_the_lanes_split_the_kinds_between_them() -> None:
    assert lane_kinds(Lane.FAST) | lane_kinds(Lane.FULL) == lane_kinds(Lane.ALL) == frozenset(AlertKind)
    assert not lane_kinds(Lane.FAST) & lane_kinds(Lane.FULL)
    assert AlertKind.COLLISION not in FAST_KINDS and AlertKind.DISTRESS in FAST_KINDS


def test_a_sart_wakes_the_fast_lane_at_once(live: Live) -> None:
    before = len(live.lanes.fast.passes)
    live.send(position(SART, 123.20, 30.10, status=14))
    alert = live.alert(AlertKind.DISTRESS, str(SART))
    assert alert.level == 4 and alert.target_key == SART
    assert len(live.lanes.fast.passes) > before
    stored_by_fast = {r for p in live.lanes.fast.passes for r in p.raised}
    assert f"distress|{SART}" in stored_by_fast
    assert not any(r.startswith("distress|") for p in live.lanes.full.passes for r in p.raised)
    lanes = live.runtime.status()["alert_lanes"]
    assert lanes["fast"]["passes"] >= 1 and lanes["fast"]["failures"] == 0 and lanes["fast"]["pass_ms_max"] > 0
    assert lanes["full"]["period_s"] == SLOW_PERIOD_S and lanes["full"]["pending"] == 0


def test_a_position_inside_a_watched_box_wakes_the_fast_lane_and_an_entry_is_raised(live: Live) -> None:
    assert live.runtime.pipeline.watch_boxes, "the fast lane installs its watched boxes when it starts"
    outside = 30.00 - 150.0 / 111_320.0  # 150 m south of the area, inside its watched box
    before = len(live.lanes.fast.passes)
    live.send(position(MERCHANT, 123.02, outside))
    live.fast_passes_after(before)  # woken, long before its period: the vessel is now seen outside
    live.send(position(MERCHANT, 123.02, 30.002, speed=4.0))  # 220 m inside
    alert = live.alert(AlertKind.GEOFENCE_ENTER, f"{MERCHANT}@T-R1")
    assert alert.target_key == MERCHANT and alert.level == 3


def test_a_position_far_from_every_watched_box_does_not_wake_the_fast_lane(live: Live) -> None:
    before = len(live.lanes.fast.passes)
    live.send(position(MERCHANT, 123.02, 30.002 - 0.5))  # 55 km south
    time.sleep(1.0)
    assert len(live.lanes.fast.passes) == before
    live.send(position(MERCHANT, 123.02, 30.002 - 0.5 + 0.001))  # the same vessel inside the box wakes it: the
    live.send(position(MERCHANT + 1, 123.02, 29.995))  # test above would pass for a lane that always runs
    live.fast_passes_after(before)


def test_a_flood_of_positions_near_a_watched_area_runs_the_fast_lane_at_most_once_per_gap(live: Live) -> None:
    before = len(live.lanes.fast.passes)
    began = time.monotonic()
    for k in range(60):  # one datagram each, every one read before the next goes
        live.send(position(MERCHANT + 2, 123.02, 29.995 + k * 1e-5))
    elapsed = time.monotonic() - began
    time.sleep(2 * FAST_MIN_GAP_S)
    runs = len(live.lanes.fast.passes) - before
    assert 1 <= runs <= elapsed / FAST_MIN_GAP_S + 2, (runs, elapsed)
    sart = SART + 1  # and distress traffic is not held back by the gap
    live.send(position(MERCHANT + 2, 123.02, 29.996), position(sart, 123.20, 30.10, status=14))
    assert live.alert(AlertKind.DISTRESS, str(sart), within_s=2.0).target_key == sart


def test_a_dwell_only_area_is_watched_on_the_period_without_waking_the_fast_lane(live: Live) -> None:
    now = datetime.now(UTC)
    with live.write() as session:
        anchorage = Area("T-D1", "测试锚地", AreaKind.ANCHORAGE, shapely.box(124.0, 31.0, 124.1, 31.1), AreaRules())
        save_area(session, replace(anchorage, rules=AreaRules(max_dwell_s=3600.0)), now=now)
        session.commit()
    with live.read() as session:
        live.lanes.fast.engine.refresh(session, now, force=True)
    watched = {a.code: a for a in live.lanes.fast.engine.watched}
    assert sorted(watched) == ["T-D1", "T-R1"]  # both are judged by the fast lane's area rules
    assert live.runtime.pipeline.watch_boxes == watch_boxes([watched["T-R1"]])  # only the entry rule wakes it


def test_watch_boxes_reach_a_kilometre_beyond_alerting_areas_only() -> None:
    alerting = Area("A", "a", AreaKind.CHANNEL, AREA, AreaRules(alert_on_exit=True))
    dwell = Area("B", "b", AreaKind.ANCHORAGE, AREA, AreaRules(max_dwell_s=3600.0))
    quiet = Area("C", "c", AreaKind.CONTROL, AREA, AreaRules())
    boxes = watch_boxes([alerting, dwell, quiet])
    assert len(boxes) == 2
    west, south, east, north = boxes[0]
    dlon, dlat = 1000.0 / (111_194.9 * 0.8660), 1000.0 / 111_194.9  # cos 30.05°
    assert (123.00 - west, east - 123.05) == (pytest.approx(dlon, rel=0.01), pytest.approx(dlon, rel=0.01))
    assert (30.00 - south, north - 30.05) == (pytest.approx(dlat, rel=1e-3), pytest.approx(dlat, rel=1e-3))


def test_the_gate_lets_a_fast_write_in_between_two_steps_of_a_full_write() -> None:
    gate = WriteGate()
    order: list[str] = []
    full_started, fast_waiting, fast_done = threading.Event(), threading.Event(), threading.Event()

    class Session:
        def commit(self) -> None:
            order.append("full commits")

    def full() -> None:
        with gate.slow():
            order.append("full step 1")
            full_started.set()
            fast_waiting.wait(5)
            time.sleep(0.05)  # the fast write is waiting now
            order.append("full step 2")
            gate.pause(Session())  # type: ignore[arg-type]
            order.append("full step 3")

    def fast() -> None:
        full_started.wait(5)
        fast_waiting.set()
        with gate.fast():
            order.append("fast computes")
            with gate.fast_write():
                order.append("fast writes")
        fast_done.set()

    threads = [threading.Thread(target=full), threading.Thread(target=fast)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert fast_done.is_set()
    assert order == ["full step 1", "fast computes", "full step 2", "full commits", "fast writes", "full step 3"]


def test_the_gate_does_not_pause_a_full_write_nobody_waits_for() -> None:
    gate = WriteGate()
    commits: list[int] = []

    class Session:
        def commit(self) -> None:
            commits.append(1)

    with gate.slow():
        for _ in range(3):
            gate.pause(Session())  # type: ignore[arg-type]
    assert commits == []
    with gate.fast(), gate.fast_write():  # and a fast write with no full write in progress goes straight in
        pass


def test_the_full_lane_waits_at_a_checkpoint_while_a_fast_pass_runs() -> None:
    gate = WriteGate()
    order: list[str] = []
    inside = threading.Event()

    def full() -> None:
        inside.wait(5)
        gate.wait_for_fast()
        order.append("full goes on")

    thread = threading.Thread(target=full)
    thread.start()
    with gate.fast():
        inside.set()
        time.sleep(0.1)
        order.append("fast pass ends")
    thread.join(5)
    assert order == ["fast pass ends", "full goes on"]
    gate.wait_for_fast()  # no fast pass: no wait
