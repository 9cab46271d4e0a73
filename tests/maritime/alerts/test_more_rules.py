"""More rules, each from the simulator over real UDP: a closed season for one gear (伏季休渔), leaving and
dwelling in restricted waters, a production group split in two (编组), and an overdue dynamic report of a vessel
in manual reporting mode — each raises exactly one alert of its kind for the right vessel and none for the
control boats; and a port call, logged once in and once out. (The scenarios of the other rules are in
``test_scenarios.py``.)"""

from __future__ import annotations

from datetime import date, timedelta

import shapely
from pyais import encode_dict
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.demo.simulator import nmea_checksum
from pingan.fleet import groups
from pingan.fleet.models import PortCall, ReportKind
from pingan.fleet.reports import set_season, start_manual_mode, submit_report
from pingan.maritime.areas import save_area
from pingan.maritime.geofence import M_PER_DEG, Area, AreaKind, AreaRules
from pingan.maritime.rules import Level
from tests.fleet.conftest import OPERATOR, add_vessel
from tests.maritime.alerts.conftest import PORT_BOX, START, Fleet, Watch
from tests.maritime.alerts.test_scenarios import (
    WARM_UP_S,
    assert_addressed_and_audited,
    kinds_and_boats,
    ring_east_of,
    run_until,
    stored_alerts,
)


def test_a_trawler_fishing_in_its_closed_season_raises_one_closure_alert(
    watch: Watch, fleet: Fleet, db: Session
) -> None:
    # Trawling closed this November (the test's day): s1 trawls at sea, p1 (a trawler too) is in port, and the
    # gillnetters are open. The closure covers the whole sea (the union of the sea grids).
    set_season(
        db,
        year=2026,
        operation_type="trawl",
        closed_from=date(2026, 11, 1),
        closed_until=date(2026, 11, 30),
        actor=OPERATOR,
        now=START,
    )
    db.commit()
    run_until(watch, db, lambda rows: any(a.kind == "closure" for a in rows), limit_s=15 * 60)
    watch.run(10 * 60)  # and nothing more comes of it

    alerts = stored_alerts(db)
    assert kinds_and_boats(fleet, alerts) == [("closure", "s1")]
    (alert,) = alerts
    assert alert.subject == f"{fleet.mmsi('s1')}@SEASON-2026-trawl"
    assert alert.details["gear"] == "trawl" and alert.details["start"] == "2026-11-01"
    assert alert.level == (Level.ALARM if alert.details["fishing_like"] else Level.WARNING)
    assert_addressed_and_audited(db, fleet, alert, "s1")


def test_leaving_and_overstaying_restricted_waters_raise_one_exit_and_one_dwell_alert(
    watch: Watch, fleet: Fleet, db: Session
) -> None:
    ring = ring_east_of(watch, fleet.mmsi("s1"))
    rules = AreaRules(alert_on_enter=False, alert_on_exit=True, max_dwell_s=600.0, level=Level.WARNING)
    save_area(db, Area("ANCH-T1", "试验锚地", AreaKind.ANCHORAGE, shapely.Polygon(ring), rules), now=START)
    db.commit()
    watch.run(WARM_UP_S)
    watch.sim.start_scenario("closed_waters", mmsi=fleet.mmsi("s1"), polygon=[[list(p) for p in ring]], dwell_s=1500)
    watch.run(60 * 60, every_s=60)

    alerts = stored_alerts(db)
    assert sorted(kinds_and_boats(fleet, alerts)) == [("geofence_dwell", "s1"), ("geofence_exit", "s1")]
    dwell = next(a for a in alerts if a.kind == "geofence_dwell")
    exit_ = next(a for a in alerts if a.kind == "geofence_exit")
    assert dwell.details["max_dwell_s"] == 600.0 and dwell.details["dwell_s"] > 600.0
    assert exit_.details["dwell_s"] >= dwell.details["dwell_s"] and dwell.raised_at < exit_.raised_at
    assert not shapely.Polygon(ring).contains(shapely.Point(exit_.lon, exit_.lat))


def test_a_group_whose_members_fish_on_two_grounds_raises_one_split_alert(
    watch: Watch, fleet: Fleet, db: Session
) -> None:
    # BZ-T02's two boats join BZ-T01 while fishing on grounds 14 km and more from BZ-T01's three: the group is
    # then two clusters of at least two (a lone straggler would be a dispersion, not a split).
    t01, t02 = fleet.groups["BZ-T01"].id, fleet.groups["BZ-T02"].id
    for role in ("g2a", "g2b"):
        groups.remove_member(db, t02, fleet.vessels[role].id, actor=OPERATOR, now=START)
        groups.add_member(db, t01, fleet.vessels[role].id, actor=OPERATOR, now=START)
    db.commit()
    watch.runtime.load()
    run_until(watch, db, lambda rows: any(a.kind == "group_split" for a in rows), limit_s=30 * 60)
    watch.run(5 * 60)

    alerts = stored_alerts(db)
    splits = [a for a in alerts if a.kind == "group_split"]
    assert len(splits) == 1
    (split,) = splits
    assert split.subject == f"group:{t01}" and split.details["group_id"] == t01
    role = {fleet.mmsi(r): r for r in fleet.vessels}
    clusters = sorted(sorted(role[k] for k in c) for c in split.details["clusters"])
    assert clusters == [["g1a", "g1b", "g1c"], ["g2a", "g2b"]]
    assert split.details["separation_m"] > 14_000
    # The two who joined from afar are each beyond the group's limit as well: dispersions, for them alone.
    others = sorted(kinds_and_boats(fleet, [a for a in alerts if a.kind != "group_split"]))
    assert others == [("dispersion", "g2a"), ("dispersion", "g2b")]


def test_a_vessel_in_manual_mode_that_misses_its_report_raises_one_overdue_alert(
    watch: Watch, fleet: Fleet, db: Session
) -> None:
    # s2's terminal is down: it must report every 30 minutes. s1 is in manual mode too and reports on time.
    for role in ("s1", "s2"):
        start_manual_mode(db, fleet.vessels[role].id, actor=OPERATOR, now=START, interval_minutes=30)
    db.commit()
    for minutes in (20, 40, 60):
        watch.run(20 * 60, every_s=60)
        at = START + timedelta(minutes=minutes)
        submit_report(db, fleet.vessels["s1"].id, kind=ReportKind.POSITION, lon=122.9, lat=30.1, actor=OPERATOR, now=at)
        db.commit()

    alerts = stored_alerts(db)
    assert kinds_and_boats(fleet, alerts) == [("report_overdue", "s2")]
    (alert,) = alerts
    assert START + timedelta(minutes=30) < alert.raised_at <= START + timedelta(minutes=32)
    assert alert.cadre_id == fleet.cadres["s2"].id


def send_position(watch: Watch, mmsi: int, lon: float, lat: float, *, sog_kn: float, cog: float) -> None:
    """One Class B position over UDP, its tag block stamped with the simulator's clock."""
    body = f"s:TEST,c:{int(watch.sim.t)}"
    tag = f"\\{body}*{nmea_checksum(body)}\\"
    report = {"type": 18, "mmsi": mmsi, "speed": sog_kn, "accuracy": 1, "lon": lon, "lat": lat, "course": cog}
    lines = [tag + s for s in encode_dict({**report, "heading": int(cog)}, talker_id="AI", sentence_type="VDM")]
    watch.sender.sendto(("\r\n".join(lines) + "\r\n").encode("ascii"), watch.address)
    watch.sent += len(lines)


def test_a_boat_calling_at_its_port_is_logged_once_in_and_once_out(watch: Watch, fleet: Fleet, db: Session) -> None:
    # A ninth boat, not simulated, sails due south into 东极渔港 at 10 kn from 7 km out, lies alongside for five
    # minutes, and sails out again: one port call with its entry and exit, however its fixes jitter at the line.
    mmsi = 413_710_099
    vessel = add_vessel(db, "浙普渔71099", mmsi=str(mmsi))
    db.commit()
    watch.runtime.load()
    west, _, east, north = PORT_BOX
    lon, edge = (west + east) / 2, north
    step_m = 10.0 * 1852.0 / 60.0  # ten knots, one fix a minute
    legs = [(7000.0 - k * step_m, 180.0, 10.0) for k in range(21)]
    legs += [(legs[-1][0], 0.0, 0.0)] * 5
    legs += [(legs[-1][0] + k * step_m, 0.0, 10.0) for k in range(1, 22)]
    entered_by = exited_by = None
    for north_m, cog, sog in legs:
        send_position(watch, mmsi, lon, edge + north_m / M_PER_DEG, sog_kn=sog, cog=cog)
        watch.run(60, every_s=60)
        if entered_by is None and north_m <= 3000.0:
            entered_by = watch.now
        if exited_by is None and entered_by is not None and cog == 0.0 and sog > 0 and north_m > 4000.0:
            exited_by = watch.now

    db.expire_all()
    calls = list(db.scalars(select(PortCall).where(PortCall.vessel_id == vessel.id)))
    assert len(calls) == 1, [(c.entered_at, c.exited_at) for c in calls]
    (call,) = calls
    assert call.port_id == fleet.port.id
    assert entered_by is not None and exited_by is not None
    assert entered_by - timedelta(minutes=2) <= call.entered_at <= entered_by
    assert call.exited_at is not None and call.entered_at < call.exited_at <= exited_by
