"""The alert engine end to end: simulator scenarios sent over real UDP raise one alert each for the right boat, a
typhoon drill's roll call reaches 100 %, unacknowledged alerts escalate once, and policies open cases on the hub.

Every test sails the fleet of ``conftest.FLEET`` in simulated time (see :class:`conftest.Watch`): five minutes of
ordinary fishing first, then the scenario, with an engine pass every 30 simulated seconds (60 for the longer
scenarios, 5 minutes in the typhoon drill).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditEntry
from pingan.auth.service import principal_for_user
from pingan.cases.models import Case, InboxMessage
from pingan.cases.workflow import Channel
from pingan.config import Settings
from pingan.demo.sim_state import N_REJOIN, S_FISHING
from pingan.fleet import groups
from pingan.fleet.models import Alert, AlertStatus, PortCall
from pingan.maritime import alerts as alert_service
from pingan.maritime import typhoons
from pingan.maritime.areas import save_area
from pingan.maritime.cpa import CpaPolicy
from pingan.maritime.engine import build_picture
from pingan.maritime.geofence import Area, AreaKind, AreaRules
from pingan.maritime.models import (
    AlertAction,
    AlertRecipient,
    AlertStep,
    RecipientRole,
    RollCallEntry,
)
from pingan.maritime.rules import AlertKind, Level
from pingan.maritime.tracks import haversine_m
from tests.conftest import new_client, sign_in
from tests.fleet.conftest import OPERATOR
from tests.maritime.alerts.conftest import AT_SEA, START, Fleet, Watch

WARM_UP_S = 300.0


# ------------------------------------------------------------------------------------------------------ helpers


def stored_alerts(db: Session) -> list[Alert]:
    """Every alert, oldest first, as the engine's sessions left them."""
    db.expire_all()
    return list(db.scalars(select(Alert).order_by(Alert.id)))


def kinds_and_boats(fleet: Fleet, alerts: list[Alert]) -> list[tuple[str, str | None]]:
    """(kind, role of the boat addressed) of each alert."""
    return [(a.kind, fleet.role_of(a.vessel_id)) for a in alerts]


def assert_addressed_and_audited(db: Session, fleet: Fleet, alert: Alert, role: str) -> None:
    """The alert went to the boat's linked cadre (recipient row and inbox message) and its raising is audited."""
    user, cadre = fleet.cadre_users[role], fleet.cadres[role]
    cadre_rows = db.execute(
        select(AlertRecipient.user_id, AlertRecipient.cadre_id).where(
            AlertRecipient.alert_id == alert.id, AlertRecipient.role == RecipientRole.CADRE
        )
    ).all()
    assert [tuple(r) for r in cadre_rows] == [(user.id, cadre.id)]
    assert alert.cadre_id == cadre.id
    inbox = db.scalars(
        select(InboxMessage.message).where(InboxMessage.user_id == user.id, InboxMessage.kind == "alert")
    )
    assert alert.message in set(inbox)
    raised = db.scalar(
        select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "alert.raised",
            AuditEntry.object_type == "alert",
            AuditEntry.object_id == str(alert.id),
        )
    )
    assert raised == 1


def cases_of(db: Session, alert: Alert) -> list[Case]:
    """The hub cases that name the alert as their origin."""
    return list(db.scalars(select(Case).where(Case.external_ref == f"alert-{alert.id}")))


def steps(db: Session, alert: Alert, action: AlertAction) -> list[AlertStep]:
    """The alert's timeline steps of one action."""
    return list(db.scalars(select(AlertStep).where(AlertStep.alert_id == alert.id, AlertStep.action == action)))


def ring_east_of(watch: Watch, mmsi: int) -> list[tuple[float, float]]:
    """A square of sea about 4 km a side, from 4 km east of a boat (the closed-waters scenario sails it in)."""
    i = watch.sim.index_of(mmsi)
    lon, lat = float(watch.sim.lon[i]), float(watch.sim.lat[i])
    return [(lon + 0.04, lat - 0.02), (lon + 0.08, lat - 0.02), (lon + 0.08, lat + 0.02), (lon + 0.04, lat + 0.02)]


def run_until(watch: Watch, db: Session, done: Callable[[list[Alert]], bool], *, limit_s: float) -> list[Alert]:
    """Sail in 30-second passes until `done(alerts)` holds (failing after `limit_s` simulated seconds)."""
    end = watch.sim.t + limit_s
    while not done(alerts := stored_alerts(db)):
        assert watch.sim.t < end, f"nothing came of it in {limit_s:.0f} s: {[(a.kind, a.subject) for a in alerts]}"
        watch.run(30)
    return alerts


def head_on(watch: Watch, one: int, other: int, sog_kn: float, seconds: float) -> None:
    """Script two boats of the simulator to steer straight at each other."""
    sim = watch.sim
    i, j = sim.index_of(one), sim.index_of(other)
    east = (sim.lon[j] - sim.lon[i]) * math.cos(math.radians(sim.lat[i]))
    north = sim.lat[j] - sim.lat[i]
    course = math.degrees(math.atan2(east, north)) % 360
    # The simulator has no scenario for two boats of one group meeting, so the test steers them itself.
    sim._script_vector(i, sog_kn, course, seconds, N_REJOIN, S_FISHING)
    sim._script_vector(j, sog_kn, (course + 180) % 360, seconds, N_REJOIN, S_FISHING)


# ---------------------------------------------------------------------------------------- one scenario per rule


def test_a_crossing_merchant_raises_one_collision_alert_for_the_fishing_boat_and_none_for_the_control(
    watch: Watch, fleet: Fleet, db: Session
) -> None:
    watch.run(WARM_UP_S)
    started = watch.sim.start_scenario("crossing", mmsi=fleet.mmsi("s1"))
    watch.run(20 * 60)

    alerts = stored_alerts(db)
    assert kinds_and_boats(fleet, alerts) == [("collision", "s1")]
    [alert] = alerts
    pair = sorted((fleet.mmsi("s1"), started["merchant_mmsi"]))
    assert alert.subject == f"{pair[0]}|{pair[1]}" and alert.target_key == fleet.mmsi("s1")
    assert str(started["control_mmsi"]) not in (alert.subject or "")
    assert alert.details["other_kind"] == "merchant"
    assert alert.level == 3  # raised as a warning, then an alarm as the merchant closed
    assert_addressed_and_audited(db, fleet, alert, "s1")


def test_a_drifting_member_raises_one_dispersion_alert_after_its_groups_minutes(
    watch: Watch, fleet: Fleet, db: Session
) -> None:
    watch.run(WARM_UP_S)
    mmsi = fleet.mmsi("g1a")
    started = watch.sim.start_scenario("drift", mmsi=mmsi, drift_kn=3.0)
    assert started["group"] == "BZ-T01"
    beyond_since: float | None = None
    for _ in range(45):
        watch.run(60, every_s=60)
        state = watch.engine.debouncer.states.get((AlertKind.DISPERSION, str(mmsi)))
        if state is not None and beyond_since is None:
            beyond_since = state.first_seen

    alerts = stored_alerts(db)
    assert kinds_and_boats(fleet, alerts) == [("dispersion", "g1a")]
    [alert] = alerts
    assert beyond_since is not None
    held_s = alert.raised_at.timestamp() - beyond_since
    assert 15 * 60 <= held_s < 16 * 60  # BZ-T01 allows 15 minutes beyond its limit
    assert alert.details["group_id"] == fleet.groups["BZ-T01"].id and alert.details["distance_m"] > 1852.0
    assert_addressed_and_audited(db, fleet, alert, "g1a")
    assert alert.case_number is None and cases_of(db, alert) == []  # dispersion opens no case by default


def test_a_boat_silent_at_sea_raises_one_silence_alert_and_the_boat_silent_in_port_none(
    watch: Watch, fleet: Fleet, db: Session
) -> None:
    watch.run(WARM_UP_S)
    started = watch.sim.start_scenario(
        "silence", mmsi=fleet.mmsi("s2"), control_mmsi=fleet.mmsi("p1"), duration_s=3 * 3600
    )
    assert started["control_in_port"]
    watch.run(40 * 60, every_s=60)

    alerts = stored_alerts(db)
    assert kinds_and_boats(fleet, alerts) == [("silence", "s2")]
    [alert] = alerts
    assert alert.level == 2 and alert.details["in_port"] is False
    assert 30 * 60 <= alert.details["silent_s"] < 31 * 60
    assert_addressed_and_audited(db, fleet, alert, "s2")
    assert alert.case_number is None  # a silence opens a case only as an alarm (policy 3004 from level 3)


def test_entering_restricted_waters_raises_one_geofence_alert(watch: Watch, fleet: Fleet, db: Session) -> None:
    ring = ring_east_of(watch, fleet.mmsi("s1"))
    polygon = shapely.Polygon(ring)
    rules = AreaRules(alert_on_enter=True, level=Level.ALARM)
    save_area(db, Area("NO-GO-T1", "试验禁航区", AreaKind.RESTRICTED, polygon, rules), now=START)
    db.commit()
    watch.run(WARM_UP_S)
    started = watch.sim.start_scenario(
        "closed_waters", mmsi=fleet.mmsi("s1"), polygon=[[list(p) for p in ring]], dwell_s=1800
    )
    watch.run(40 * 60, every_s=60)

    alerts = stored_alerts(db)
    assert kinds_and_boats(fleet, alerts) == [("geofence_enter", "s1")]
    [alert] = alerts
    assert alert.subject == f"{started['subject_mmsi']}@NO-GO-T1" and alert.details["area"] == "NO-GO-T1"
    assert polygon.contains(shapely.Point(alert.lon, alert.lat))
    assert_addressed_and_audited(db, fleet, alert, "s1")


def test_a_sart_raises_one_distress_alert_at_the_top_level(watch: Watch, fleet: Fleet, db: Session) -> None:
    watch.run(WARM_UP_S)
    started = watch.sim.start_scenario("distress", mmsi=fleet.mmsi("s2"))
    watch.run(10 * 60)

    alerts = stored_alerts(db)
    assert kinds_and_boats(fleet, alerts) == [("distress", "s2")]
    [alert] = alerts
    assert alert.level == 4 and alert.subject == str(started["sart_mmsi"])
    assert alert.details["casualty_key"] == fleet.mmsi("s2")
    assert_addressed_and_audited(db, fleet, alert, "s2")


@pytest.mark.parametrize("same_group", [True, False], ids=["same_group", "after_leaving_the_group"])
def test_group_members_on_a_collision_course_raise_nothing_until_one_leaves_the_group(
    watch: Watch, fleet: Fleet, db: Session, same_group: bool
) -> None:
    one, other = fleet.mmsi("g2a"), fleet.mmsi("g2b")
    # Fishing–fishing pairs are off by default (CpaPolicy.fishing_pairs); with them watched, as OpenCPN watches
    # every pair, it is the production group alone that keeps its members' meeting quiet.
    watch.engine.cpa = CpaPolicy(fishing_pairs=True)
    if not same_group:  # the control: the very same meeting once g2b has left its group
        groups.remove_member(db, fleet.groups["BZ-T02"].id, fleet.vessels["g2b"].id, actor=OPERATOR, now=START)
        db.commit()
        watch.runtime.load()
    # The two boats sail apart (west and east at 6 kn) before the watch begins, then steer at each other.
    sim = watch.sim
    sim._script_vector(sim.index_of(one), 6.0, 270.0, 300.0, N_REJOIN, S_FISHING)
    sim._script_vector(sim.index_of(other), 6.0, 90.0, 300.0, N_REJOIN, S_FISHING)
    sim.advance(sim.t + 300.0, emit=False)
    head_on(watch, one, other, 3.0, 3600.0)
    watch.run(13 * 60)

    alerts = stored_alerts(db)
    i, j = sim.index_of(one), sim.index_of(other)
    passed = haversine_m(float(sim.lon[i]), float(sim.lat[i]), float(sim.lon[j]), float(sim.lat[j]))
    assert passed > 300.0  # they met and are parting again
    if same_group:
        assert alerts == []
    else:
        assert kinds_and_boats(fleet, alerts) == [("collision", "g2a")]
        assert alerts[0].subject == f"{one}|{other}" and alerts[0].level == 3


# ------------------------------------------------------------------------------------------------ typhoon drill


def test_a_typhoon_drill_recalls_the_boats_inside_the_area_until_the_roll_call_is_complete(
    watch: Watch, fleet: Fleet, db: Session
) -> None:
    watch.sim.options = replace(watch.sim.options, max_step_s=5.0)
    watch.run(600, every_s=60)
    now = watch.now
    picture = build_picture(watch.runtime, now)
    where = {int(k): (float(x), float(y)) for k, x, y in zip(picture.key, picture.lon, picture.lat, strict=True)}
    inside, outside = ("g1a", "g1b", "g1c", "s1"), ("g2a", "g2b", "s2")
    assert set(inside) | set(outside) == set(AT_SEA)
    lon = sum(where[fleet.mmsi(r)][0] for r in inside) / len(inside)
    lat = sum(where[fleet.mmsi(r)][1] for r in inside) / len(inside)
    reach = max(haversine_m(lon, lat, *where[fleet.mmsi(r)]) for r in inside)
    clear = min(haversine_m(lon, lat, *where[fleet.mmsi(r)]) for r in outside)
    assert reach + 10_000 < clear, "the gale circle cannot hold one set of boats and not the other"
    commander = principal_for_user(db, fleet.commander)
    body = {"name": "试验台风", "lon": lon, "lat": lat, "radius_7_km": (reach + clear) / 2000}
    typhoon = typhoons.create_typhoon(db, body, actor=commander, now=now)
    order = typhoons.issue_recall(db, typhoon.id, picture, actor=commander, now=now)
    db.commit()
    with watch.runtime.read() as session:  # the engine sees the new typhoon at once, not a minute of wall time on
        watch.engine.refresh(session, now, force=True)
    # The simulator's own typhoon recalls every boat at sea (and keeps those in port there).
    watch.sim.start_scenario("typhoon", distance_km=300, warning_radius_km=450, late_share=0.0, hours=24)

    vessel_ids = {v.id: r for r, v in fleet.vessels.items()}
    entries = db.scalars(select(RollCallEntry.vessel_id).where(RollCallEntry.order_id == order.id))
    assert sorted(vessel_ids[v] for v in entries) == sorted(inside)
    told = db.execute(select(InboxMessage.user_id).where(InboxMessage.kind == "recall")).scalars().all()
    assert sorted(told) == sorted(fleet.cadre_users[r].id for r in inside)

    while True:
        db.expire_all()
        board = typhoons.board(db, order.id)
        if board["share"] == 1.0:
            break
        assert watch.sim.t < START.timestamp() + 10 * 3600, board["still_at_sea"]
        watch.run(1800, every_s=300)

    assert board["order"]["status"] == "complete" and board["order"]["completed_at"] is not None
    assert (board["total"], board["done"], board["still_at_sea"]) == (4, 4, [])
    assert [(g["code"], g["total"], g["in_port"]) for g in board["by_group"]] == [("BZ-T01", 3, 3), ("—", 1, 1)]
    assert [(t["name"], t["in_port"]) for t in board["by_township"]] == [("沈家门街道", 4)]
    timeline = board["timeline"]
    assert len(timeline) >= 3
    shares = [(p["in_port"] + p["sheltered"]) / p["total"] for p in timeline]
    assert shares[0] == 0.0 and shares[-1] == 1.0 and shares == sorted(shares)
    assert [p["at"] for p in timeline] == sorted(p["at"] for p in timeline)
    # Each recalled boat's return is in the port-call log, once (3 km in / 4 km out: no storm at the harbour mouth).
    db.expire_all()
    calls = [c for c in db.scalars(select(PortCall).order_by(PortCall.id)) if fleet.role_of(c.vessel_id) in inside]
    assert sorted(fleet.role_of(c.vessel_id) for c in calls) == sorted(inside)
    assert all(c.port_id == fleet.port.id and now < c.entered_at and c.exited_at is None for c in calls)


# ------------------------------------------------------------------------------------------------- escalation


def test_an_unacknowledged_alert_escalates_once_and_an_acknowledged_one_never(
    app: Any, watch: Watch, fleet: Fleet, db: Session
) -> None:
    watch.run(WARM_UP_S)
    watch.sim.start_scenario("crossing", mmsi=fleet.mmsi("s1"))
    watch.sim.start_scenario("distress", mmsi=fleet.mmsi("s2"))
    alerts = run_until(watch, db, lambda rows: {a.kind for a in rows} == {"collision", "distress"}, limit_s=300)
    collision = next(a for a in alerts if a.kind == "collision")
    sos = next(a for a in alerts if a.kind == "distress")
    assert (collision.status, sos.status) == (AlertStatus.OPEN, AlertStatus.OPEN)

    stranger = new_client(app)
    csrf = sign_in(stranger, fleet.stranger.username)
    refused = stranger.post(f"/api/alerts/{collision.id}/acknowledge", json={}, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 404, refused.text
    cadre = new_client(app)
    csrf = sign_in(cadre, fleet.cadre_users["s1"].username)
    signed = cadre.post(
        f"/api/alerts/{collision.id}/acknowledge", json={"note": "已电话联系船长"}, headers={"X-CSRF-Token": csrf}
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["status"] == "acknowledged"
    unresolved = cadre.post(f"/api/alerts/{collision.id}/resolve", json={"note": "  "}, headers={"X-CSRF-Token": csrf})
    assert unresolved.status_code == 422, unresolved.text
    db.refresh(collision)
    assert collision.status == AlertStatus.ACKNOWLEDGED and collision.resolution == ""

    watch.run(15 * 60)
    db.expire_all()
    policy = alert_service.policies(db)
    assert policy["distress"].ack_minutes == 2 and policy["collision"].ack_minutes == 5
    assert sos.status == AlertStatus.OPEN and sos.escalations == 1
    assert sos.escalated_at == min(p for p in watch.passes if p >= sos.raised_at + timedelta(minutes=2))
    assert len(steps(db, sos, AlertAction.ESCALATED)) == 1
    watchers = (
        db.execute(
            select(AlertRecipient.user_id).where(
                AlertRecipient.alert_id == sos.id, AlertRecipient.role == RecipientRole.ESCALATION
            )
        )
        .scalars()
        .all()
    )
    assert watchers == [fleet.commander.id]
    upward = db.scalars(select(InboxMessage.message).where(InboxMessage.user_id == fleet.commander.id)).all()
    assert upward == [f"【未签收升级】{sos.message}"]

    assert collision.acknowledged_by_id == fleet.cadre_users["s1"].id
    assert collision.escalations == 0 and collision.escalated_at is None
    assert steps(db, collision, AlertAction.ESCALATED) == []
    # The merchant has passed: the acknowledged alert cleared by itself and was closed, not escalated.
    assert collision.status == AlertStatus.CLOSED and collision.resolution == "情况已解除"


# ------------------------------------------------------------------------------------------------ alert to case


def test_a_distress_alert_opens_one_case_in_its_sea_grid_and_keeps_its_number(
    watch: Watch, fleet: Fleet, db: Session, settings: Settings
) -> None:
    watch.run(WARM_UP_S)
    watch.sim.start_scenario("distress", mmsi=fleet.mmsi("s2"))
    watch.run(5 * 60)

    [alert] = stored_alerts(db)
    assert alert.kind == "distress" and alert.case_number is not None
    [case] = cases_of(db, alert)
    assert case.number == alert.case_number and case.channel == Channel.ALERT
    assert case.category.code == "3006" and case.priority == "urgent"
    assert (case.lon, case.lat) == pytest.approx((alert.lon, alert.lat))
    assert alert.sea_grid_code == fleet.grid.code
    assert case.sea_grid_id == fleet.grid.id and case.unit_id == fleet.grid.responsible_unit_id
    assert len(steps(db, alert, AlertAction.CASE_OPENED)) == 1

    watch.run(10 * 60)  # later passes see the same distress
    assert [a.id for a in stored_alerts(db)] == [alert.id]
    assert db.scalar(select(func.count(Case.id)).where(Case.channel == Channel.ALERT)) == 1
    assert alert_service.maybe_open_case(db, settings, alert, now=watch.now) == case.number
    assert db.scalar(select(func.count(Case.id)).where(Case.channel == Channel.ALERT)) == 1


@pytest.mark.parametrize(
    ("kind", "change", "category"),
    [("distress", {"opens_case": False}, None), ("silence", {"case_min_level": 2}, "3004")],
    ids=["distress_no_longer_opens_a_case", "a_silence_warning_opens_one"],
)
def test_changing_a_policy_over_http_changes_which_alerts_open_cases(
    app: Any, watch: Watch, fleet: Fleet, db: Session, kind: str, change: dict[str, Any], category: str | None
) -> None:
    commander = new_client(app)
    csrf = sign_in(commander, fleet.commander.username)
    response = commander.patch(f"/api/alert-policies/{kind}", json=change, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in change} == change

    watch.run(WARM_UP_S)
    if kind == "distress":
        watch.sim.start_scenario("distress", mmsi=fleet.mmsi("s2"))
        watch.run(5 * 60)
    else:
        watch.sim.start_scenario("silence", mmsi=fleet.mmsi("s2"), control_mmsi=fleet.mmsi("p1"))
        watch.run(35 * 60, every_s=60)

    [alert] = stored_alerts(db)
    assert alert.kind == kind
    if category is None:
        assert alert.case_number is None and cases_of(db, alert) == []
    else:
        [case] = cases_of(db, alert)
        assert alert.level == 2 and case.number == alert.case_number and case.category.code == category
