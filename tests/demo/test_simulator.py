"""The fleet simulator: real sentences with tag blocks, ITU intervals, sea-only tracks, formations and scenarios."""

from __future__ import annotations

import contextlib
import doctest
import itertools
import json
import math
import re
import socket
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyais import decode

from pingan.demo import simulator
from pingan.demo.fleet import PORTS
from pingan.demo.sim_runner import SimulatorThread, parse_target, result_path, run_fast, write_command
from pingan.demo.simulator import (
    C_A,
    C_B,
    K_FISH,
    M_FISH,
    M_PORT,
    STATIONS,
    FleetSimulator,
    ScenarioError,
    SimArea,
    SimOptions,
    SimPort,
    points_in_area,
    report_interval_s,
    synthetic_world,
)

START = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
T0 = START.timestamp()
NM = 1852.0
TAG = re.compile(r"^\\([^\\*]*)\*([0-9A-F]{2})\\(!AIVDM,.*)$")
STATION_NAMES = {s.name for s in STATIONS}
PORTS_SIM = [SimPort(c, n, k, lon - 0.008, lat - 0.005, lon + 0.008, lat + 0.005) for c, n, _, lon, lat, k in PORTS]
QUIET = SimOptions(merchants=12, beacons=6, at_sea_share=0.9, duplicate_rate=0.0, loss_rate=0.0)


def small_world(seed: int = 5, vessels: int = 90, groups: int = 8) -> simulator.SimWorld:
    """A world of a few groups around the demo's real ports."""
    return synthetic_world(PORTS_SIM, vessels=vessels, groups=groups, seed=seed, class_a_share=0.6)


def engine(seed: int = 5, options: SimOptions = QUIET, **kw: Any) -> FleetSimulator:
    """A fresh simulator on the small world."""
    return FleetSimulator(small_world(seed, **kw), start=START, seed=seed, options=options)


@dataclass
class Report:
    """One decoded message with its receiver metadata."""

    at: int
    station: str
    msg: Any
    lines: int


def xor(text: str) -> int:
    value = 0
    for ch in text.encode("ascii"):
        value ^= ch
    return value


def decode_lines(lines: list[str]) -> list[Report]:
    """Check every tag block and NMEA checksum, join multi-part messages by their tag-block group, decode all."""
    out: list[Report] = []
    parts: dict[tuple[str, str], list[str]] = {}
    for line in lines:
        m = TAG.match(line)
        assert m, line
        body, given, sentence = m.groups()
        assert xor(body) == int(given, 16), line
        tags = dict(field.split(":", 1) for field in body.split(","))
        assert tags["s"] in STATION_NAMES
        assert tags["c"].isdigit()
        star = sentence.rindex("*")
        assert xor(sentence[1:star]) == int(sentence[star + 1 :], 16), line
        fields = sentence.split(",")
        if fields[1] == "1":
            out.append(Report(int(tags["c"]), tags["s"], decode(sentence), 1))
            continue
        number, count, gid = tags["g"].split("-")
        assert fields[2] == number and fields[1] == count
        key = (tags["s"], gid)
        parts.setdefault(key, []).append(sentence)
        if number == count:
            group = parts.pop(key)
            assert len(group) == int(count)
            out.append(Report(int(tags["c"]), tags["s"], decode(*group), len(group)))
    assert not parts, "every multi-part message is complete"
    return out


def run(sim: FleetSimulator, seconds: float) -> list[str]:
    """Advance in one-second steps (as the runner does) and return every sentence."""
    lines: list[str] = []
    end = sim.t + seconds
    while sim.t < end:
        for em in sim.advance(sim.t + 1.0):
            lines += em.lines
    return lines


def tracks(reports: list[Report]) -> dict[int, list[tuple[int, float, float]]]:
    """Position reports per MMSI: (time, lon, lat)."""
    out: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
    for r in reports:
        if r.msg.msg_type in (1, 2, 3, 18):
            out[r.msg.mmsi].append((r.at, r.msg.lon, r.msg.lat))
    return out


def separation_m(a: list[tuple[int, float, float]], b: list[tuple[int, float, float]]) -> np.ndarray:
    """Distance between two tracks, interpolated on a common one-second clock."""
    t = np.arange(max(a[0][0], b[0][0]), min(a[-1][0], b[-1][0]) + 1)
    ta, xa, ya = (np.array(v, dtype=float) for v in zip(*a, strict=True))
    tb, xb, yb = (np.array(v, dtype=float) for v in zip(*b, strict=True))
    lat = np.interp(t, ta, ya)
    de = (np.interp(t, ta, xa) - np.interp(t, tb, xb)) * 111_320 * np.cos(np.radians(lat))
    dn = (lat - np.interp(t, tb, yb)) * 111_320
    return np.hypot(de, dn)


# --------------------------------------------------------------------------------------------------- pure parts


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(simulator)
    assert result.attempted >= 5 and result.failed == 0


@pytest.mark.parametrize(
    ("cls", "sog", "status", "turning", "seconds"),
    [
        (C_A, 0.0, 5, False, 180.0),  # moored
        (C_A, 2.9, 1, False, 180.0),  # at anchor, ≤ 3 kn
        (C_A, 4.0, 1, False, 10.0),  # at anchor but moving > 3 kn
        (C_A, 0.5, 7, False, 10.0),  # engaged in fishing, slow: under way, 0–14 kn
        (C_A, 12.0, 0, False, 10.0),
        (C_A, 12.0, 0, True, 10.0 / 3.0),
        (C_A, 15.0, 0, False, 6.0),
        (C_A, 15.0, 0, True, 2.0),
        (C_A, 24.0, 0, False, 2.0),
        (C_B, 2.0, 15, False, 180.0),
        (C_B, 2.1, 15, False, 30.0),
        (C_B, 15.0, 15, False, 30.0),
        (simulator.C_BEACON, 0.1, 15, False, 120.0),
        (simulator.C_SART, 0.4, 14, False, 60.0),
    ],
)
def test_report_interval_follows_the_itu_table(
    cls: int, sog: float, status: int, turning: bool, seconds: float
) -> None:
    got = report_interval_s(np.array([cls]), np.array([sog]), np.array([status]), np.array([turning]))
    assert got[0] == pytest.approx(seconds)


def test_ais_name_spells_the_registration_in_pinyin() -> None:
    assert simulator.ais_name("浙普渔68001") == "ZHEPUYU68001"
    assert simulator.ais_name("浙岱渔03123") == "ZHEDAIYU03123"


def test_points_in_area_respects_holes() -> None:
    outer = [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0), (0.0, 0.0)]
    hole = [(1.0, 1.0), (3.0, 1.0), (3.0, 3.0), (1.0, 3.0), (1.0, 1.0)]
    area = SimArea("A", "a", "control", [[outer, hole]])
    inside = points_in_area(np.array([0.5, 2.0, 5.0]), np.array([0.5, 2.0, 2.0]), area)
    assert inside.tolist() == [True, False, False]


# --------------------------------------------------------------------------------------------------- sentences


def test_sentences_decode_with_pyais_and_carry_valid_tag_blocks() -> None:
    sim = engine(options=SimOptions(merchants=12, beacons=6, at_sea_share=0.9, duplicate_rate=0.3))
    lines = run(sim, 400)
    reports = decode_lines(lines)
    types = {r.msg.msg_type for r in reports}
    assert {1, 4, 5, 18, 21, 24} <= types
    assert all(T0 <= r.at <= T0 + 400 for r in reports)
    fives = [r for r in reports if r.msg.msg_type == 5]
    assert fives and all(r.lines == 2 for r in fives)
    names = {r.msg.shipname for r in fives}
    assert any(re.fullmatch(r"ZHEPUYU\d{5}", n) for n in names)
    fishing = [r for r in fives if r.msg.ship_type == 30]
    assert fishing, "fishing vessels announce ship type 30"
    b_static = [r for r in reports if r.msg.msg_type == 24 and r.msg.partno == 1]
    assert b_static and all(r.msg.ship_type == 30 for r in b_static if str(r.msg.mmsi).startswith("41"))
    class_b = [r for r in reports if r.msg.msg_type == 18]
    assert all(r.msg.cs for r in class_b)
    bases = [r for r in reports if r.msg.msg_type == 4]
    assert {f"{r.msg.mmsi:09d}"[:5] for r in bases} == {"00413"}
    atons = [r for r in reports if r.msg.msg_type == 21]
    assert all(str(r.msg.mmsi).startswith("99413") for r in atons)
    # Duplicates: the same sentence heard by two stations.
    payloads = defaultdict(set)
    for line in lines:
        payloads[line.split("\\")[2]].add(TAG.match(line).group(1).split("s:")[1].split(",")[0])  # type: ignore[union-attr]
    assert any(len(stations) > 1 for stations in payloads.values())


def test_net_beacons_report_every_two_minutes_with_numbers_for_names() -> None:
    sim = engine(options=SimOptions(merchants=0, beacons=8, at_sea_share=0.9, duplicate_rate=0.0, loss_rate=0.0))
    beacons = {int(m) for m in sim.mmsi[sim.kind == simulator.K_BEACON]}
    reports = [r for r in decode_lines(run(sim, 800)) if r.msg.mmsi in beacons]
    registry = {int(m) for m in sim.world.mmsis if m}
    assert beacons and not beacons & registry
    positions = tracks(reports)
    gaps = [b[0] - a[0] for track in positions.values() for a, b in itertools.pairwise(track)]
    assert gaps and 110 <= float(np.median(gaps)) <= 130
    assert all(r.msg.speed <= 0.5 for r in reports if r.msg.msg_type == 18)
    names = {r.msg.shipname for r in reports if r.msg.msg_type == 24}
    assert names and all(re.search(r"\d", n) for n in names)


def test_reports_follow_the_itu_intervals_for_class_a_and_b() -> None:
    sim = engine(options=SimOptions(merchants=30, beacons=6, at_sea_share=0.6, duplicate_rate=0.0, loss_rate=0.0))
    reports = decode_lines(run(sim, 1500))
    class_a = {int(m) for m, c in zip(sim.mmsi, sim.cls, strict=True) if c == C_A}
    class_b = {int(m) for m, c in zip(sim.mmsi, sim.cls, strict=True) if c == C_B}
    by_mmsi: dict[int, list[Report]] = defaultdict(list)
    for r in reports:
        if r.msg.msg_type in (1, 3, 18):
            by_mmsi[r.msg.mmsi].append(r)
    observed: dict[str, list[int]] = defaultdict(list)
    for mmsi, rs in by_mmsi.items():
        for a, b in itertools.pairwise(rs):
            speed, gap = a.msg.speed, b.at - a.at
            if mmsi in class_a:
                status = int(a.msg.status)
                if status in (1, 5) and speed <= 2.5 and b.msg.speed <= 2.5:
                    observed["A moored"].append(gap)
                elif status not in (1, 5) and speed < 13.5 and b.msg.speed < 13.5:
                    observed["A 0-14 kn"].append(gap)
                elif status == 0 and 14.5 < speed < 22.5 and 14.5 < b.msg.speed < 22.5:
                    observed["A 14-23 kn"].append(gap)
            elif mmsi in class_b:
                if speed < 1.5 and b.msg.speed < 1.5:
                    observed["B slow"].append(gap)
                elif speed > 2.5 and b.msg.speed > 2.5:
                    observed["B moving"].append(gap)
    expected = {"A moored": 180, "A 0-14 kn": 10, "A 14-23 kn": 6, "B slow": 180, "B moving": 30}
    for key, seconds in expected.items():
        gaps = observed[key]
        assert len(gaps) >= 5, f"too few {key} samples"
        assert float(np.median(gaps)) == pytest.approx(seconds, rel=0.1), key


# --------------------------------------------------------------------------------------------------- the full fleet


@pytest.fixture(scope="module")
def fleet_hour() -> dict[str, Any]:
    """The full-size fleet (8,200 vessels, 770 groups, merchants) moved for one simulated hour; samples every 30 s."""
    from global_land_mask import globe  # the independent check (its import holds the whole world: 0.9 GB)

    world = synthetic_world(PORTS_SIM, vessels=8_200, groups=770, seed=11)
    sim = FleetSimulator(world, start=START, seed=11, options=SimOptions(max_step_s=2.0))
    ports = np.array(sim.port_centres())
    at_sea_start = float(sim.at_sea()[: len(world)].mean())
    on_land: list[tuple[int, float, float, int]] = []
    for _ in range(120):
        sim.advance(sim.t + 30.0, emit=False)
        idx = np.flatnonzero(sim.active)
        lon, lat = sim.lon[idx], sim.lat[idx]
        land = globe.is_land(lat, lon)
        near_port = np.hypot(
            (lon[:, None] - ports[None, :, 0]) * 96_300, (lat[:, None] - ports[None, :, 1]) * 111_320
        ).min(axis=1)
        on_land += [
            (int(idx[k]), float(lon[k]), float(lat[k]), int(sim.mode[idx[k]]))
            for k in np.flatnonzero(land & (near_port > 5_000))
        ]
    return {"sim": sim, "on_land": on_land, "at_sea_start": at_sea_start}


def test_the_fleet_starts_mid_cycle(fleet_hour: dict[str, Any]) -> None:
    assert 0.5 <= fleet_hour["at_sea_start"] <= 0.7
    sim = fleet_hour["sim"]
    modes = np.bincount(sim.mode[sim.kind == K_FISH], minlength=8)
    assert modes[M_PORT] > 1000 and modes[M_FISH] > 1000 and modes[simulator.M_ROUTE] > 500


def test_no_vessel_crosses_land_in_the_simulated_hour(fleet_hour: dict[str, Any]) -> None:
    assert fleet_hour["on_land"] == []


def test_groups_keep_formation_while_fishing(fleet_hour: dict[str, Any]) -> None:
    sim = fleet_hour["sim"]
    checked = 0
    for g, members in enumerate(sim.members):
        fishing = [m for m in members if sim.mode[m] == M_FISH]
        if len(fishing) < 3:
            continue
        lat0 = float(np.mean(sim.lat[fishing]))
        de = (sim.lon[fishing] - np.mean(sim.lon[fishing])) * 111_320 * math.cos(math.radians(lat0))
        dn = (sim.lat[fishing] - lat0) * 111_320
        assert np.hypot(de, dn).max() < sim.g_limit[g], sim.group_codes[g]
        checked += 1
    assert checked > 200


def test_fishing_speeds_match_their_gear(fleet_hour: dict[str, Any]) -> None:
    sim = fleet_hour["sim"]
    fishing = np.flatnonzero((sim.mode == M_FISH) & (sim.kind == K_FISH))
    pattern = sim.g_pattern[sim.group[fishing]]
    tow = sim.sog[fishing[pattern == simulator.P_TOW]]
    drift = sim.sog[fishing[pattern == simulator.P_DRIFT]]
    assert 1.5 <= float(np.median(tow)) <= 4.0
    assert float(np.median(drift)) <= 1.2
    steaming = sim.sog[(sim.mode == simulator.M_ROUTE) & (sim.kind == K_FISH)]
    assert float(np.percentile(steaming, 5)) >= 4.9 and float(np.percentile(steaming, 95)) <= 11.0


# --------------------------------------------------------------------------------------------------- scenarios


def test_crossing_brings_a_merchant_within_a_fifth_of_a_mile_and_the_control_stays_clear() -> None:
    sim = engine()
    started = sim.start_scenario("crossing")
    positions = tracks(decode_lines(run(sim, 15 * 60)))
    subject, merchant, control = (positions[started[k]] for k in ("subject_mmsi", "merchant_mmsi", "control_mmsi"))
    assert str(started["merchant_mmsi"])[:3] != "412"
    assert separation_m(subject, merchant).min() < 0.3 * NM
    assert separation_m(subject, control).min() > 2.0 * NM
    # The merchant appears with its static data at once.
    assert sim.kind[sim.index_of(started["merchant_mmsi"])] == simulator.K_MERCHANT


def test_silence_stops_the_subject_at_sea_and_the_control_in_port() -> None:
    sim = engine(options=SimOptions(merchants=12, beacons=6, at_sea_share=0.6, duplicate_rate=0.0, loss_rate=0.0))
    run(sim, 30)
    started = sim.start_scenario("silence", duration_s=1800)
    assert started["control_in_port"]
    subject, control = sim.index_of(started["subject_mmsi"]), sim.index_of(started["control_mmsi"])
    assert sim.mode[subject] != M_PORT and sim.mode[control] == M_PORT
    after = decode_lines(run(sim, 600))
    heard = {r.msg.mmsi for r in after}
    assert started["subject_mmsi"] not in heard and started["control_mmsi"] not in heard
    assert len(heard) > 20  # everyone else keeps talking


def test_distress_raises_a_sart_next_to_a_vessel_at_sea() -> None:
    sim = engine()
    started = sim.start_scenario("distress")
    reports = decode_lines(run(sim, 300))
    sart = [r for r in reports if r.msg.mmsi == started["sart_mmsi"]]
    assert str(started["sart_mmsi"]).startswith("970")
    status_14 = [r for r in sart if r.msg.msg_type == 1 and int(r.msg.status) == 14]
    assert len(status_14) >= 4  # every minute
    assert any(r.msg.msg_type == 14 and r.msg.text == "SART ACTIVE" for r in sart)
    vessel = tracks(reports)[started["subject_mmsi"]]
    assert separation_m(vessel, tracks(sart)[started["sart_mmsi"]]).max() < 150


def test_drift_takes_a_member_beyond_its_groups_limit_while_the_others_stay() -> None:
    sim = engine()
    started = sim.start_scenario("drift", drift_kn=2.0)
    subject = sim.index_of(started["subject_mmsi"])
    group = int(sim.group[subject])
    sim.advance(sim.t + started["beyond_limit_after_s"] + 900, emit=False)
    mates = [m for m in sim.members[group] if m != subject and sim.mode[m] == M_FISH]
    assert len(mates) >= 2
    lat0 = float(np.mean(sim.lat[mates]))
    lon0 = float(np.mean(sim.lon[mates]))

    def from_centroid(i: Any) -> Any:
        return np.hypot((sim.lon[i] - lon0) * 111_320 * math.cos(math.radians(lat0)), (sim.lat[i] - lat0) * 111_320)

    assert from_centroid(subject) > started["limit_m"]
    assert max(from_centroid(m) for m in mates) < started["limit_m"]


def test_closed_waters_takes_a_vessel_into_the_polygon() -> None:
    sim = engine()
    g = next(g for g in range(len(sim.members)) if any(sim.mode[m] == M_FISH for m in sim.members[g]))
    lon, lat = float(sim.g_ground_lon[g]) - 0.12, float(sim.g_ground_lat[g])
    ring = [[lon - 0.03, lat - 0.03], [lon + 0.03, lat - 0.03], [lon + 0.03, lat + 0.03], [lon - 0.03, lat + 0.03]]
    started = sim.start_scenario("closed_waters", polygon=[ring])
    eta = datetime.fromisoformat(started["eta"].replace("Z", "+00:00")).timestamp()
    reports = decode_lines(run(sim, eta - sim.t + 300))
    track = tracks(reports)[started["subject_mmsi"]]
    area = simulator.area_from_geojson([ring])
    inside = points_in_area(np.array([p[1] for p in track]), np.array([p[2] for p in track]), area)
    assert not inside[0] and inside[-1]


def test_closed_waters_defaults_to_the_first_control_grid() -> None:
    world = small_world()
    ring = [(122.90, 29.60), (123.00, 29.60), (123.00, 29.70), (122.90, 29.70), (122.90, 29.60)]
    world.areas = [SimArea("ZS-C02", "b", "control", [[ring]]), SimArea("ZS-S01", "s", "static", [[ring]])]
    sim = FleetSimulator(world, start=START, seed=5, options=QUIET)
    assert sim.start_scenario("closed_waters")["area"] == "ZS-C02"


def test_typhoon_recalls_the_fleet_and_a_few_stay_out_late() -> None:
    sim = engine(options=SimOptions(merchants=4, beacons=0, at_sea_share=0.9, max_step_s=5.0))
    fishing = (sim.kind == K_FISH) & sim.active
    at_sea_before = int((sim.at_sea() & fishing).sum())
    started = sim.start_scenario("typhoon", late_share=0.3, distance_km=450)
    track = started["track"]
    assert len(track) == 73 and track[0]["lon"] > 123.5 and track[0]["lat"] < 29.0
    hop = math.hypot((track[1]["lon"] - track[0]["lon"]) * 96.3, (track[1]["lat"] - track[0]["lat"]) * 111.3)
    assert hop == pytest.approx(20, abs=2)
    assert started["recalled"] >= at_sea_before * 0.8
    sim.advance(sim.t + 3 * 3600, emit=False)
    at_sea = np.flatnonzero(sim.at_sea() & fishing)
    homeward = (sim.mode[at_sea] == simulator.M_BERTH) | (
        (sim.mode[at_sea] == simulator.M_ROUTE) & (sim.after[at_sea] == simulator.A_PORT)
    )
    late = np.isin(sim.mode[at_sea], [M_FISH, simulator.M_JOIN]) & (sim.home_at[at_sea] > sim.t)
    assert (homeward | late).all()  # nobody sails out; those still fishing have a later recall
    assert late.sum() >= 1
    sim.advance(sim.t + 11 * 3600, emit=False)
    assert int((sim.at_sea() & fishing).sum()) <= at_sea_before * 0.1


def test_unknown_scenarios_and_parameters_are_refused() -> None:
    sim = engine()
    with pytest.raises(ScenarioError, match="unknown scenario"):
        sim.start_scenario("tsunami")
    with pytest.raises(ScenarioError, match="unknown parameter"):
        sim.start_scenario("crossing", speed=3)
    with pytest.raises(ScenarioError, match="polygon"):
        sim.start_scenario("closed_waters", polygon=[[1, 2]])


# --------------------------------------------------------------------------------------------------- the runner


def test_the_thread_sends_datagrams_over_udp_and_takes_commands(tmp_path: Path) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.5)
    port = receiver.getsockname()[1]
    commands = tmp_path / "sim" / "commands"
    thread = SimulatorThread(
        small_world(),
        target=("127.0.0.1", port),
        record=tmp_path / "recorded.nmea",
        speed=30.0,
        command_dir=commands,
        seed=5,
        start=START,
        options=SimOptions(merchants=12, beacons=6, at_sea_share=0.6, duplicate_rate=0.0, loss_rate=0.0),
        tick_s=0.05,
    )
    started = thread.trigger("silence")
    assert started["subject_mmsi"] != started["control_mmsi"]
    queued = write_command(commands, "typhoon", {"distance_km": 600})
    thread.start()
    datagrams: list[bytes] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (len(datagrams) < 300 or not result_path(queued).exists()):
        with contextlib.suppress(TimeoutError):
            datagrams.append(receiver.recv(2048))
    thread.stop()
    thread.join(timeout=5)
    receiver.close()
    assert len(datagrams) >= 300 and all(d.endswith(b"\r\n") and d.count(b"\n") == 1 for d in datagrams)
    lines = [d.decode("ascii").rstrip() for d in datagrams]
    assert decode_lines([ln for ln in lines if "g:" not in ln])
    answer = json.loads(result_path(queued).read_text("utf-8"))
    assert answer["ok"] and answer["result"]["scenario"] == "typhoon" and not queued.exists()
    typhoon = json.loads((tmp_path / "sim" / "typhoon.json").read_text("utf-8"))
    assert typhoon["track"][0]["r7_km"] > 0
    recorded = (tmp_path / "recorded.nmea").read_text("ascii").splitlines()
    assert len(recorded) == thread.sent >= len(datagrams)
    assert recorded[: len(lines)] == lines


def test_a_bad_command_is_answered_not_fatal(tmp_path: Path) -> None:
    commands = tmp_path / "commands"
    thread = SimulatorThread(
        small_world(), target=None, record=None, speed=1.0, command_dir=commands, seed=5, start=START, options=QUIET
    )
    bad = write_command(commands, "tsunami", {})
    assert thread.poll_commands() == 1
    answer = json.loads(result_path(bad).read_text("utf-8"))
    assert answer == {"ok": False, "error": answer["error"]} and "unknown scenario" in answer["error"]


def test_fast_mode_writes_a_replay_corpus(tmp_path: Path) -> None:
    sim = engine()
    out = tmp_path / "corpus.nmea"
    stats = run_fast(sim, hours=0.1, record=out)
    lines = out.read_text("ascii").splitlines()
    assert stats["sentences"] == len(lines) > 100
    assert decode_lines(lines)


@pytest.mark.parametrize("value", ["localhost", "host:0", ":10110", "host:port", "1.2.3.4:70000"])
def test_bad_targets_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_target(value)


def test_targets_parse() -> None:
    assert parse_target("127.0.0.1:10110") == ("127.0.0.1", 10110)
    assert parse_target("[::1]:5000") == ("::1", 5000)


# --------------------------------------------------------------------------------------------------- from the database


def test_the_world_is_built_from_the_registry(db: Any) -> None:
    import shapely
    from sqlalchemy import select

    from pingan.demo.sim_world import build_world
    from pingan.errors import NotFound
    from pingan.fleet.models import GroupMembership, Port, Terminal, Vessel, VesselGroup
    from pingan.grids.models import SeaGrid
    from pingan.org.models import OrgUnit

    with pytest.raises(NotFound, match="no vessels"):
        build_world(db)
    unit = db.scalars(select(OrgUnit).where(OrgUnit.code == "330903001")).one()
    box = shapely.box(122.292, 29.937, 122.308, 29.947)
    port = Port(
        code="SJM",
        name="沈家门渔港",
        kind="fishing_port",
        unit_id=unit.id,
        geom_wkb=shapely.to_wkb(box),
        min_lon=122.292,
        min_lat=29.937,
        max_lon=122.308,
        max_lat=29.947,
    )
    db.add(port)
    db.flush()
    vessels = []
    for reg, length, gear in [
        ("浙普渔68001", 36.0, "trawl"),
        ("浙普渔68002", 18.0, "gillnet"),
        ("浙普渔68003", 30.0, "trawl"),
    ]:
        v = Vessel(
            registration_no=reg,
            name=reg,
            port_of_registry="舟山",
            home_port_id=port.id,
            home_unit_id=unit.id,
            hull_material="steel",
            length_m=length,
            gross_tonnage=100.0,
            engine_power_kw=200.0,
            build_year=2015,
            operation_type=gear,
            created_at=START,
        )
        db.add(v)
        vessels.append(v)
    db.flush()
    old = datetime(2020, 1, 1, tzinfo=UTC)
    db.add_all(
        [
            Terminal(vessel_id=vessels[0].id, kind="ais_a", mmsi="413000001", installed_at=old, removed_at=START),
            Terminal(vessel_id=vessels[0].id, kind="ais_a", mmsi="413000002", installed_at=START),
            Terminal(vessel_id=vessels[0].id, kind="beidou", device_id="BD0000001", installed_at=old),
            Terminal(vessel_id=vessels[1].id, kind="ais_b", mmsi="412000003", installed_at=old),
        ]
    )
    group = VesselGroup(
        code="BZ0001",
        name="1号编组",
        operation_type="trawl",
        home_unit_id=unit.id,
        leader_vessel_id=vessels[0].id,
        dispersion_limit_m=3_704.0,
        created_at=START,
    )
    db.add(group)
    db.flush()
    db.add_all(
        [
            GroupMembership(group_id=group.id, vessel_id=vessels[0].id, joined_at=old),
            GroupMembership(group_id=group.id, vessel_id=vessels[1].id, joined_at=old, left_at=START),
        ]
    )
    sea = shapely.MultiPolygon([shapely.box(122.9, 29.6, 123.0, 29.7), shapely.box(123.1, 29.6, 123.2, 29.7)])
    hy = db.scalars(select(OrgUnit).where(OrgUnit.code == "ZS-HY")).one()
    db.add(
        SeaGrid(
            code="ZS-C01",
            name="管控海域网格01",
            family="control",
            responsible_unit_id=hy.id,
            geom_wkb=shapely.to_wkb(sea),
            min_lon=122.9,
            min_lat=29.6,
            max_lon=123.2,
            max_lat=29.7,
            area_km2=20.0,
            created_at=START,
        )
    )
    db.flush()

    world = build_world(db)
    assert world.registration_nos == ["浙普渔68001", "浙普渔68002", "浙普渔68003"]
    assert world.mmsis == ["413000002", "412000003", None]  # the removed terminal is history
    assert world.ais_classes == ["A", "B", ""]
    assert world.beidou_ids == ["BD0000001", None, None]
    assert world.groups == [0, -1, -1] and world.group_codes == ["BZ0001"] and world.group_limits_m == [3_704.0]
    assert world.home_ports == [0, 0, 0] and world.ports[0].code == "SJM"
    assert world.areas[0].family == "control" and len(world.areas[0].polygons) == 2
    sim = FleetSimulator(world, start=START, seed=1, options=SimOptions(merchants=2, beacons=1))
    assert {int(m) for m in sim.mmsi[sim.kind == K_FISH][sim.active[sim.kind == K_FISH]]} == {413000002, 412000003}
    assert sim.start_scenario("closed_waters")["area"] == "ZS-C01"


# --------------------------------------------------------------------------------------------------- the commands


def test_simulate_refuses_bad_input_before_touching_the_database() -> None:
    from click.testing import CliRunner

    from pingan.demo.sim_cli import simulate

    runner = CliRunner()
    unknown = runner.invoke(simulate, ["--scenario", "tsunami"])
    assert unknown.exit_code == 2 and "unknown scenario" in unknown.output
    fast = runner.invoke(simulate, ["--fast", "1"])
    assert fast.exit_code == 2 and "--record" in fast.output
    target = runner.invoke(simulate, ["--target", "nowhere"])
    assert target.exit_code == 2 and "HOST:PORT" in target.output


def test_simulate_trigger_queues_a_command_and_prints_the_answer(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pingan.demo.sim_cli import simulate_trigger

    runner = CliRunner()
    commands = tmp_path / "sim" / "commands"
    assert runner.invoke(simulate_trigger, ["tsunami", "--command-dir", str(commands)]).exit_code == 2
    queued = runner.invoke(
        simulate_trigger,
        ["drift", "--param", "drift_kn=2", "--param", "group=BZ0001", "--wait", "0", "--command-dir", str(commands)],
    )
    assert queued.exit_code == 0, queued.output
    (path,) = commands.glob("*.json")
    assert json.loads(path.read_text("utf-8")) == {
        "command": "scenario",
        "name": "drift",
        "params": {"drift_kn": 2, "group": "BZ0001"},
    }
    path.unlink()
    nobody = runner.invoke(simulate_trigger, ["silence", "--wait", "0.3", "--command-dir", str(commands)])
    assert nobody.exit_code == 1 and "no running simulator" in nobody.output and not list(commands.glob("*.json"))

    thread = SimulatorThread(
        small_world(), target=None, record=None, speed=1.0, command_dir=commands, seed=5, start=START, options=QUIET
    )
    thread.start()
    try:
        answered = runner.invoke(simulate_trigger, ["distress", "--wait", "10", "--command-dir", str(commands)])
    finally:
        thread.stop()
        thread.join(timeout=5)
    assert answered.exit_code == 0, answered.output
    result = json.loads(answered.output)
    assert result["scenario"] == "distress" and str(result["sart_mmsi"]).startswith("970")
