"""Port calls: entry within 3 km, exit beyond 4 km, stops at 0.2 / 0.5 kn, thousands of departures at once."""

from __future__ import annotations

import doctest
import time

import numpy as np
import pytest
import shapely

from pingan.maritime import portcalls
from pingan.maritime.portcalls import PortArea, PortCallTracker, PortEventType, PortPolicy
from pingan.maritime.rules import Picture
from tests.maritime.pictures import offset, picture

# A small harbour box; its east edge is at lon E, the test vessel sails along the box's middle latitude.
W, S, E, N = 122.10, 30.00, 122.11, 30.01
MID = 30.005
PORT = PortArea("SJM", "沈家门", shapely.box(W, S, E, N))
KEY = 412000001


def east_of_port(metres: float, **cols: object) -> Picture:
    lon, lat = offset(E, MID, east_m=metres)
    cols.setdefault("sog_kn", 6.0)
    return picture(0.0, [KEY], [lon], [lat], **cols)


def types(tracker: PortCallTracker, distances: list[float], **cols: object) -> list[list[PortEventType]]:
    out = []
    for d in distances:
        out.append([e.type for e in tracker.update(east_of_port(d, **cols), [PORT])])
    return out


def test_entry_at_three_kilometres_and_no_exit_until_four() -> None:
    tracker = PortCallTracker()
    got = types(tracker, [6000, 3500, 3050, 2950, 2000, 3500, 3950, 3999, 4050, 3500, 3050])
    assert got == [[], [], [], [PortEventType.ENTRY], [], [], [], [], [PortEventType.EXIT], [], []]
    assert tracker.port_of(KEY) is None


def test_events_carry_port_time_and_position() -> None:
    tracker = PortCallTracker()
    tracker.update(east_of_port(5000), [PORT])
    lon, lat = offset(E, MID, east_m=2000)
    (entry,) = tracker.update(picture(1234.0, [KEY], [lon], [lat], sog_kn=5.0), [PORT])
    assert (entry.key, entry.port_code, entry.type, entry.at) == (KEY, "SJM", PortEventType.ENTRY, 1234.0)
    assert (entry.lon, entry.lat) == (pytest.approx(lon), pytest.approx(lat))
    assert tracker.port_of(KEY) == "SJM" and tracker.open_visits() == {KEY: "SJM"}


def test_stop_begins_below_0_2_kn_and_ends_above_0_5_kn() -> None:
    tracker = PortCallTracker()
    tracker.update(east_of_port(5000), [PORT])
    tracker.update(east_of_port(-100), [PORT])  # entry, inside the polygon itself
    seq = []
    for sog in [0.3, 0.19, 0.1, 0.4, 0.5, 0.51, 0.3, 0.1, np.nan]:
        seq.append([e.type for e in tracker.update(east_of_port(-100, sog_kn=sog), [PORT])])
    assert seq == [[], [PortEventType.STOP_START], [], [], [], [PortEventType.STOP_END], [],
                   [PortEventType.STOP_START], []]  # fmt: skip


def test_stops_are_only_counted_in_port() -> None:
    tracker = PortCallTracker()
    assert types(tracker, [20_000, 20_000, 20_000], sog_kn=0.0) == [[], [], []]


def test_leaving_while_stopped_ends_the_stop_then_exits() -> None:
    tracker = PortCallTracker()
    tracker.update(east_of_port(5000), [PORT])
    tracker.update(east_of_port(100, sog_kn=0.0), [PORT])
    assert [e.type for e in tracker.update(east_of_port(9000, sog_kn=0.0), [PORT])] == [
        PortEventType.STOP_END,
        PortEventType.EXIT,
    ]


def test_first_sighting_in_port_is_silent_and_open_visits_resume_the_log() -> None:
    tracker = PortCallTracker()
    assert tracker.update(east_of_port(100, sog_kn=0.0), [PORT]) == []
    assert tracker.port_of(KEY) == "SJM"
    left = tracker.update(east_of_port(9000), [PORT])
    assert [e.type for e in left] == [PortEventType.STOP_END, PortEventType.EXIT]
    resumed = PortCallTracker(open_visits={KEY: "SJM"})
    assert [(e.type, e.port_code) for e in resumed.update(east_of_port(9000), [PORT])] == [(PortEventType.EXIT, "SJM")]


def test_the_nearer_of_two_ports_is_entered() -> None:
    west = PortArea("A", "west", shapely.box(W - 0.05, S, W - 0.04, N))
    east = PortArea("B", "east", shapely.box(E + 0.04, S, E + 0.05, N))
    tracker = PortCallTracker()
    lon_a, _ = offset(E + 0.04, MID, east_m=-1000)  # 1 km west of B, ~2.8 km east of the harbour…
    tracker.update(picture(0, [KEY], [130.0], [MID]), [west, PORT, east])
    (entry,) = tracker.update(picture(1, [KEY], [lon_a], [MID]), [west, PORT, east])
    assert entry.port_code == "B"


def test_a_port_dropped_from_the_list_closes_its_visits() -> None:
    tracker = PortCallTracker(open_visits={KEY: "OLD"})
    (exit_,) = tracker.update(east_of_port(100), [])
    assert (exit_.type, exit_.port_code) == (PortEventType.EXIT, "OLD")


def test_in_port_mask_follows_the_tracker() -> None:
    tracker = PortCallTracker(open_visits={5: "SJM"})
    pic = picture(0, [4, 5, 6], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0])
    assert tracker.in_port(pic).tolist() == [False, True, False]
    assert PortCallTracker().in_port(pic).tolist() == [False, False, False]
    tracker.forget([5])
    assert tracker.in_port(pic).tolist() == [False, False, False]


def test_only_vessels_make_port_calls() -> None:
    tracker = PortCallTracker()
    tracker.update(east_of_port(5000, target_class="net_beacon"), [PORT])
    assert tracker.update(east_of_port(100, target_class="net_beacon"), [PORT]) == []
    assert tracker.open_visits() == {}


def test_two_thousand_vessels_leave_port_in_one_update() -> None:
    n = 2000
    rng = np.random.default_rng(7)
    keys = np.arange(n) + 412_000_000
    lon_in = rng.uniform(W, E, n)
    lat_in = rng.uniform(S, N, n)
    ports = [PORT] + [PortArea(f"P{i}", f"port {i}", shapely.box(121 + i * 0.1, 28, 121.01 + i * 0.1, 28.01))
                      for i in range(50)]  # fmt: skip
    tracker = PortCallTracker()
    tracker.update(picture(0, keys, lon_in, lat_in, sog_kn=0.0), ports)
    assert len(tracker.open_visits()) == n
    lon_out, _ = offset(E, MID, east_m=8000)
    started = time.perf_counter()
    events = tracker.update(picture(600, keys, np.full(n, lon_out), lat_in, sog_kn=9.0), ports)
    elapsed = time.perf_counter() - started
    exits = [e for e in events if e.type is PortEventType.EXIT]
    assert len(exits) == n and {e.port_code for e in exits} == {"SJM"}
    assert sum(e.type is PortEventType.STOP_END for e in events) == n
    assert tracker.open_visits() == {}
    assert elapsed < 1.0


def test_policy_is_checked() -> None:
    with pytest.raises(ValueError):
        PortPolicy(entry_m=5000, exit_m=4000)
    with pytest.raises(ValueError, match="unique"):
        PortCallTracker().update(Picture.empty(), [PORT, PORT])


def test_examples_run() -> None:
    assert doctest.testmod(portcalls).failed == 0
