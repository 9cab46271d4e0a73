"""More rules, each from the simulator over real UDP: a closed season for one gear (伏季休渔), leaving and
dwelling in restricted waters, a production group split in two (编组), and an overdue dynamic report of a vessel
in manual reporting mode — each raises exactly one alert of its kind for the right vessel and none for the
control boats. (The scenarios of the other rules are in ``test_scenarios.py``.)"""

from __future__ import annotations

from datetime import date, timedelta

import shapely
from sqlalchemy.orm import Session

from pingan.fleet import groups
from pingan.fleet.models import ReportKind
from pingan.fleet.reports import set_season, start_manual_mode, submit_report
from pingan.maritime.areas import save_area
from pingan.maritime.geofence import Area, AreaKind, AreaRules
from pingan.maritime.rules import Level
from tests.fleet.conftest import OPERATOR
from tests.maritime.alerts.conftest import START, Fleet, Watch
from tests.maritime.alerts.test_scenarios import (
    WARM_UP_S,
    assert_addressed_and_audited,
    kinds_and_boats,
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
    sim = watch.sim
    i = sim.index_of(fleet.mmsi("s1"))
    lon, lat = float(sim.lon[i]), float(sim.lat[i])
    ring = [(lon + 0.04, lat - 0.02), (lon + 0.08, lat - 0.02), (lon + 0.08, lat + 0.02), (lon + 0.04, lat + 0.02)]
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
