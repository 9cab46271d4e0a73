"""Dynamic reports, manual reporting mode and the report-overdue alert (exactly one per overdue period)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.auth.principal import cli_principal
from pingan.errors import Conflict, ValidationFailed
from pingan.fleet import reports
from pingan.fleet.models import (
    Alert,
    AlertStatus,
    Cadre,
    CadreLink,
    DutyShift,
    HullMaterial,
    OperationType,
    ReportKind,
    Vessel,
)
from pingan.org.models import OrgUnit
from tests.conftest import SEED_TIME, run_cli, sign_in

OPERATOR = cli_principal("test")
T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)


def _unit_id(db: Session, code: str) -> int:
    return db.scalars(select(OrgUnit.id).where(OrgUnit.code == code)).one()


def add_vessel(db: Session, reg: str, unit_code: str = "330903001") -> Vessel:
    """A vessel row of a home township."""
    vessel = Vessel(
        registration_no=reg,
        name=reg,
        port_of_registry="舟山",
        home_unit_id=_unit_id(db, unit_code),
        hull_material=HullMaterial.WOOD,
        length_m=22.0,
        gross_tonnage=60.0,
        engine_power_kw=120.0,
        build_year=2010,
        operation_type=OperationType.GILLNET,
        created_at=SEED_TIME,
    )
    db.add(vessel)
    db.flush()
    return vessel


def link_cadre(db: Session, vessel: Vessel, name: str, since: datetime, until: datetime | None = None) -> Cadre:
    """A cadre of the vessel's township linked to it from ``since``."""
    cadre = Cadre(name=name, unit_id=vessel.home_unit_id, created_at=SEED_TIME)
    db.add(cadre)
    db.flush()
    db.add(CadreLink(cadre_id=cadre.id, vessel_id=vessel.id, since=since, until=until))
    db.flush()
    return cadre


def _position(db: Session, vessel: Vessel, at: datetime) -> None:
    reports.submit_report(db, vessel.id, kind=ReportKind.POSITION, lon=122.5, lat=29.9, actor=OPERATOR, now=at)


def _alerts(db: Session) -> list[Alert]:
    return list(db.scalars(select(Alert).order_by(Alert.id)))


def test_an_overdue_manual_report_raises_exactly_one_alert_per_period(db: Session) -> None:
    vessel = add_vessel(db, "浙普渔20001")
    link_cadre(db, vessel, "前任", SEED_TIME - timedelta(days=400), until=SEED_TIME - timedelta(days=10))
    first = link_cadre(db, vessel, "王干部", SEED_TIME - timedelta(days=100))
    link_cadre(db, vessel, "李干部", SEED_TIME - timedelta(days=5))
    mode = reports.start_manual_mode(db, vessel.id, reason="北斗终端故障", actor=OPERATOR, now=T0)
    assert mode.interval_minutes == 65

    assert reports.check_overdue_reports(db, now=T0 + timedelta(minutes=65)) == []  # not yet *more* than 65
    [alert] = reports.check_overdue_reports(db, now=T0 + timedelta(minutes=66))
    assert (alert.kind, alert.vessel_id, alert.unit_id) == ("report_overdue", vessel.id, vessel.home_unit_id)
    assert alert.cadre_id == first.id  # the earliest-linked current cadre
    assert alert.dedupe_key == f"report_overdue:{mode.id}:0" and alert.status == AlertStatus.OPEN
    assert "浙普渔20001" in alert.message
    # The check runs again (every few minutes, or twice at once): nothing new for the same period.
    assert reports.check_overdue_reports(db, now=T0 + timedelta(minutes=70)) == []
    assert reports.check_overdue_reports(db, now=T0 + timedelta(minutes=120)) == []
    assert len(_alerts(db)) == 1

    # A report closes the alert and starts a new period …
    _position(db, vessel, T0 + timedelta(minutes=130))
    assert alert.status == AlertStatus.CLOSED and alert.closed_at == T0 + timedelta(minutes=130)
    assert reports.check_overdue_reports(db, now=T0 + timedelta(minutes=190)) == []
    # … which, when late again, raises a second alert.
    [second] = reports.check_overdue_reports(db, now=T0 + timedelta(minutes=196))
    assert second.id != alert.id and second.dedupe_key.startswith(f"report_overdue:{mode.id}:")
    assert reports.check_overdue_reports(db, now=T0 + timedelta(minutes=300)) == []
    assert len(_alerts(db)) == 2


def test_the_same_period_is_inserted_once_even_by_concurrent_checkers(db: Session) -> None:
    vessel = add_vessel(db, "浙普渔20002")
    mode = reports.start_manual_mode(db, vessel.id, interval_minutes=30, actor=OPERATOR, now=T0)
    values = {
        "kind": "report_overdue",
        "vessel_id": vessel.id,
        "unit_id": vessel.home_unit_id,
        "cadre_id": None,
        "dedupe_key": f"report_overdue:{mode.id}:0",
        "raised_at": T0,
        "status": "open",
        "severity": 2,
        "message": "m",
        "details": {},
        "closed_at": None,
    }
    # A second checker that read the same state inserts the same key: ON CONFLICT DO NOTHING, no error.
    assert reports._insert_once(db, values) is not None
    assert reports._insert_once(db, values) is None
    assert reports.check_overdue_reports(db, now=T0 + timedelta(hours=1)) == []
    assert db.scalar(select(func.count(Alert.id))) == 1


def test_the_alert_names_the_duty_officer_and_stopping_the_mode_closes_it(db: Session) -> None:
    vessel = add_vessel(db, "浙普渔20003")
    township = _unit_id(db, "330903001")
    db.add(DutyShift(unit_id=township, starts_at=T0, ends_at=T0 + timedelta(hours=12), officer_name="赵值班"))
    reports.start_manual_mode(db, vessel.id, interval_minutes=10, actor=OPERATOR, now=T0)
    [alert] = reports.check_overdue_reports(db, now=T0 + timedelta(minutes=11))
    assert alert.cadre_id is None and alert.details["duty_officer"] == "赵值班"
    with pytest.raises(Conflict):
        reports.start_manual_mode(db, vessel.id, actor=OPERATOR, now=T0)
    mode = reports.stop_manual_mode(db, vessel.id, actor=OPERATOR, now=T0 + timedelta(minutes=20))
    assert mode.ended_at is not None and alert.status == AlertStatus.CLOSED
    assert reports.check_overdue_reports(db, now=T0 + timedelta(hours=5)) == []


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"kind": ReportKind.DEPARTURE, "destination": "舟山渔场"}, "crew_required"),
        ({"kind": ReportKind.DEPARTURE, "crew_on_board": 6}, "destination_required"),
        ({"kind": ReportKind.DEPARTURE, "crew_on_board": 6, "destination": "舟山渔场"}, "return_time_required"),
        ({"kind": ReportKind.POSITION}, "position_required"),
        ({"kind": ReportKind.POSITION, "lon": 122.5}, "position_incomplete"),
        ({"kind": ReportKind.POSITION, "lon": 122.5, "lat": 91.0}, "bad_position"),
        ({"kind": ReportKind.POSITION, "lon": 190.0, "lat": 29.0}, "bad_position"),
        ({"kind": ReportKind.RETURN, "expected_return_at": T0 + timedelta(days=1)}, "unexpected_return_time"),
    ],
)
def test_reports_are_checked(db: Session, fields: dict[str, object], code: str) -> None:
    vessel = add_vessel(db, "浙普渔20004")
    with pytest.raises(ValidationFailed) as caught:
        reports.submit_report(db, vessel.id, actor=OPERATOR, now=T0, **fields)  # type: ignore[arg-type]
    assert caught.value.code == code


def test_departure_and_return_reports(db: Session) -> None:
    vessel = add_vessel(db, "浙普渔20005")
    departure = reports.submit_report(
        db,
        vessel.id,
        kind=ReportKind.DEPARTURE,
        crew_on_board=8,
        destination="舟山渔场 东经123°",
        expected_return_at=T0 + timedelta(days=5),
        actor=OPERATOR,
        now=T0,
    )
    back = reports.submit_report(
        db, vessel.id, kind=ReportKind.RETURN, crew_on_board=8, actor=OPERATOR, now=T0 + timedelta(days=4)
    )
    assert [r.id for r in reports.list_reports(db, vessel.id, actor=OPERATOR)] == [back.id, departure.id]
    assert departure.expected_return_at == T0 + timedelta(days=5)


def test_reports_and_alerts_through_the_api_respect_the_scope(db: Session, make_user, client) -> None:  # type: ignore[no-untyped-def]
    ours = add_vessel(db, "浙普渔20006", unit_code="330903102")  # 桃花镇
    theirs = add_vessel(db, "浙普渔20007", unit_code="330903001")  # 沈家门街道
    for vessel in (ours, theirs):
        reports.start_manual_mode(db, vessel.id, actor=OPERATOR, now=T0)
    raised = reports.check_overdue_reports(db, now=T0 + timedelta(hours=2))
    assert len(raised) == 2
    db.commit()
    make_user("taohua_duty", "330903102", ["township_leader"])
    csrf = sign_in(client, "taohua_duty")
    headers = {"X-CSRF-Token": csrf}

    alerts = client.get("/api/fleet/alerts").json()
    assert [a["vessel_id"] for a in alerts] == [ours.id]
    theirs_alert = next(a for a in raised if a.vessel_id == theirs.id)
    assert client.post(f"/api/fleet/alerts/{theirs_alert.id}/acknowledge", headers=headers).status_code == 404
    acked = client.post(f"/api/fleet/alerts/{alerts[0]['id']}/acknowledge", headers=headers)
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    assert client.post(f"/api/fleet/alerts/{alerts[0]['id']}/acknowledge", headers=headers).status_code == 409

    report = {"kind": "position", "lon": 122.61, "lat": 29.7, "status_note": "终端故障，人工报告"}
    response = client.post(f"/api/fleet/vessels/{ours.id}/reports", json=report, headers=headers)
    assert response.status_code == 201, response.text
    assert client.get("/api/fleet/alerts", params={"status": "closed"}).json()[0]["id"] == alerts[0]["id"]
    assert client.post(f"/api/fleet/vessels/{theirs.id}/reports", json=report, headers=headers).status_code == 404
    bad = {"kind": "position", "lon": 122.61, "lat": 95}
    assert client.post(f"/api/fleet/vessels/{ours.id}/reports", json=bad, headers=headers).status_code == 422

    mode = client.get(f"/api/fleet/vessels/{ours.id}/manual-mode").json()
    assert mode["interval_minutes"] == 65 and mode["ended_at"] is None
    stopped = client.delete(f"/api/fleet/vessels/{ours.id}/manual-mode", headers=headers)
    assert stopped.status_code == 200 and stopped.json()["ended_at"] is not None
    assert client.get(f"/api/fleet/vessels/{ours.id}/manual-mode").json() is None
    started = client.post(f"/api/fleet/vessels/{ours.id}/manual-mode", json={"interval_minutes": 30}, headers=headers)
    assert started.status_code == 201 and started.json()["interval_minutes"] == 30


def test_cli_check_reports_help() -> None:
    result = run_cli("fleet", "check-reports", "--help")
    assert result.returncode == 0, result.stderr
    assert "overdue" in result.stdout
