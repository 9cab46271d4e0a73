"""Dynamic reports (动态报告), manual reporting mode, report-overdue alerts, and closed seasons in port.

Vessels file departure (出港: crew on board, destination fishing ground, expected return), return (进港) and
position/status reports. A vessel whose terminal is down is put in manual reporting mode and must then report at
least every ``interval_minutes`` (65 by default: UnionVMS's ``MAX_DELAY_BETWEEN_MANUAL_POSITIONS_IN_MINUTES``).
:func:`check_overdue_reports` raises one ``report_overdue`` alert per overdue period, addressed to the vessel's
cadre: the period is named by the mode and the last report (``report_overdue:<mode>:<last report or 0>``), the
alert table's unique ``dedupe_key`` makes concurrent checkers raise it once, and any new report of the vessel
closes the period's alert and starts a new period.

The closed seasons (伏季休渔, :mod:`pingan.fleet.seasons`) say which vessels should be in port on a day.
Every read goes through the caller's data scope; services flush and never commit.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.auth.policy import Permission
from pingan.auth.principal import SYSTEM, Principal
from pingan.auth.repository import scope_filter
from pingan.errors import Conflict, NotFound, ValidationFailed
from pingan.fleet import duty
from pingan.fleet.inspections import get_visible_vessel, vessel_scope
from pingan.fleet.models import (
    Alert,
    AlertStatus,
    Cadre,
    CadreLink,
    DynamicReport,
    FishingSeason,
    ManualReporting,
    OperationType,
    ReportKind,
    Vessel,
)
from pingan.fleet.seasons import ClosedSeason, closed_gears, defaults_for_year
from pingan.kit.clock import to_local

DEFAULT_MANUAL_INTERVAL_MINUTES = 65  # UnionVMS MAX_DELAY_BETWEEN_MANUAL_POSITIONS_IN_MINUTES
MIN_INTERVAL_MINUTES, MAX_INTERVAL_MINUTES = 5, 24 * 60
REPORT_OVERDUE = "report_overdue"
REPORT_SOURCES = ("api", "form")


# ---------------------------------------------------------------- dynamic reports


def _check_position(lon: float | None, lat: float | None, *, required: bool) -> None:
    if lon is None and lat is None:
        if required:
            raise ValidationFailed("a position report needs lon and lat", code="position_required", fields=["lon"])
        return
    if lon is None or lat is None:
        raise ValidationFailed("give both lon and lat", code="position_incomplete", fields=["lon", "lat"])
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ValidationFailed(f"longitude {lon} is outside [-180, 180]", code="bad_position", fields=["lon"])
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ValidationFailed(f"latitude {lat} is outside [-90, 90]", code="bad_position", fields=["lat"])


def submit_report(
    session: Session,
    vessel_id: int,
    *,
    kind: ReportKind,
    actor: Principal,
    now: datetime,
    crew_on_board: int | None = None,
    destination: str | None = None,
    expected_return_at: datetime | None = None,
    lon: float | None = None,
    lat: float | None = None,
    status_note: str = "",
    source: str = "api",
) -> DynamicReport:
    """File a departure, return or position/status report; it closes the vessel's report-overdue alerts."""
    actor.require(Permission.FLEET_REPORT)
    vessel = get_visible_vessel(session, vessel_id, actor=actor)
    kind = ReportKind(kind)
    if source not in REPORT_SOURCES:
        raise ValidationFailed(f"source is one of {REPORT_SOURCES}", code="bad_source", fields=["source"])
    if crew_on_board is not None and not 0 <= crew_on_board <= 500:
        raise ValidationFailed("crew on board is 0–500", code="bad_crew", fields=["crew_on_board"])
    destination = " ".join((destination or "").split()) or None
    if kind is ReportKind.DEPARTURE:
        if not crew_on_board:
            raise ValidationFailed("a departure report names the crew on board", code="crew_required")
        if destination is None:
            raise ValidationFailed(
                "a departure report names the destination fishing ground", code="destination_required"
            )
        if expected_return_at is None or expected_return_at <= now:
            raise ValidationFailed("a departure report gives a future expected return", code="return_time_required")
    elif expected_return_at is not None:
        raise ValidationFailed("only a departure report has an expected return", code="unexpected_return_time")
    _check_position(lon, lat, required=kind is ReportKind.POSITION)
    report = DynamicReport(
        vessel_id=vessel.id,
        kind=kind,
        reported_at=now,
        crew_on_board=crew_on_board,
        destination=destination,
        expected_return_at=expected_return_at,
        lon=lon,
        lat=lat,
        status_note=status_note.strip(),
        source=source,
        reported_by_id=actor.user_id,
    )
    session.add(report)
    session.flush()
    mode = open_manual_mode(session, vessel.id)
    if mode is not None:
        _close_mode_alerts(session, mode, now=now, reason=f"report {report.id} received")
    return report


def list_reports(session: Session, vessel_id: int, *, actor: Principal, limit: int = 50) -> list[DynamicReport]:
    """A vessel's reports, newest first."""
    actor.require(Permission.FLEET_READ)
    vessel = get_visible_vessel(session, vessel_id, actor=actor)
    stmt = select(DynamicReport).where(DynamicReport.vessel_id == vessel.id)
    return list(session.scalars(stmt.order_by(DynamicReport.reported_at.desc(), DynamicReport.id.desc()).limit(limit)))


# ---------------------------------------------------------------- manual reporting mode


def open_manual_mode(session: Session, vessel_id: int) -> ManualReporting | None:
    """The vessel's open manual reporting mode, if any (scope not applied)."""
    stmt = select(ManualReporting).where(ManualReporting.vessel_id == vessel_id, ManualReporting.ended_at.is_(None))
    return session.scalars(stmt.order_by(ManualReporting.id.desc()).limit(1)).first()


def start_manual_mode(
    session: Session,
    vessel_id: int,
    *,
    actor: Principal,
    now: datetime,
    interval_minutes: int = DEFAULT_MANUAL_INTERVAL_MINUTES,
    reason: str = "",
) -> ManualReporting:
    """Put a vessel in manual reporting mode: reports are then due every ``interval_minutes``."""
    actor.require(Permission.FLEET_REPORT)
    vessel = get_visible_vessel(session, vessel_id, actor=actor)
    if not MIN_INTERVAL_MINUTES <= interval_minutes <= MAX_INTERVAL_MINUTES:
        raise ValidationFailed("the interval is 5–1440 minutes", code="bad_interval", fields=["interval_minutes"])
    if open_manual_mode(session, vessel.id) is not None:
        raise Conflict("the vessel is already in manual reporting mode", code="manual_mode_open")
    mode = ManualReporting(
        vessel_id=vessel.id, interval_minutes=interval_minutes, started_at=now, reason=reason.strip()[:200]
    )
    session.add(mode)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="fleet.manual_mode.start",
        now=now,
        object_type="manual_reporting",
        object_id=mode.id,
        details={"vessel_id": vessel.id, "interval_minutes": interval_minutes},
    )
    return mode


def stop_manual_mode(session: Session, vessel_id: int, *, actor: Principal, now: datetime) -> ManualReporting:
    """End a vessel's manual reporting mode (its terminal works again) and close its overdue alerts."""
    actor.require(Permission.FLEET_REPORT)
    vessel = get_visible_vessel(session, vessel_id, actor=actor)
    mode = open_manual_mode(session, vessel.id)
    if mode is None:
        raise Conflict("the vessel is not in manual reporting mode", code="manual_mode_closed")
    mode.ended_at = now
    _close_mode_alerts(session, mode, now=now, reason="manual mode ended")
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="fleet.manual_mode.stop",
        now=now,
        object_type="manual_reporting",
        object_id=mode.id,
        details={"vessel_id": vessel.id},
    )
    return mode


def _close_mode_alerts(session: Session, mode: ManualReporting, *, now: datetime, reason: str) -> None:
    stmt = select(Alert).where(
        Alert.kind == REPORT_OVERDUE,
        Alert.dedupe_key.startswith(f"{REPORT_OVERDUE}:{mode.id}:"),
        Alert.status != AlertStatus.CLOSED,
    )
    for alert in session.scalars(stmt):
        alert.status, alert.closed_at = AlertStatus.CLOSED, now
        alert.details = {**alert.details, "closed_because": reason}
    session.flush()


def current_cadres(session: Session, vessel_ids: list[int]) -> dict[int, Cadre]:
    """Each vessel's current cadre: the earliest-linked of its open cadre links."""
    stmt = (
        select(CadreLink.vessel_id, Cadre)
        .join(Cadre, Cadre.id == CadreLink.cadre_id)
        .where(CadreLink.vessel_id.in_(vessel_ids), CadreLink.until.is_(None))
        .order_by(CadreLink.since.desc(), CadreLink.id.desc())
    )
    return {vessel_id: cadre for vessel_id, cadre in session.execute(stmt)}  # earliest link written last wins


def _insert_once(session: Session, values: dict[str, object]) -> int | None:
    """INSERT … ON CONFLICT (dedupe_key) DO NOTHING; the new alert's id, or None when it already existed."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Alert).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(Alert.id)
    return session.execute(stmt).scalar_one_or_none()


def check_overdue_reports(session: Session, *, now: datetime) -> list[Alert]:
    """Raise a ``report_overdue`` alert for every open manual mode whose report is late; return the new alerts.

    A mode is late when more than ``interval_minutes`` passed since its last report (or its start, before any
    report). Each overdue period raises one alert, however often or concurrently the check runs.
    """
    last_report = (
        select(DynamicReport.id)
        .where(
            DynamicReport.vessel_id == ManualReporting.vessel_id,
            DynamicReport.reported_at >= ManualReporting.started_at,
        )
        .order_by(DynamicReport.reported_at.desc(), DynamicReport.id.desc())
        .limit(1)
        .correlate(ManualReporting)
        .scalar_subquery()
    )
    rows = session.execute(
        select(ManualReporting, Vessel, last_report)
        .join(Vessel, Vessel.id == ManualReporting.vessel_id)
        .where(ManualReporting.ended_at.is_(None))
        .order_by(ManualReporting.id)
    ).all()
    report_ids = [r[2] for r in rows if r[2] is not None]
    reported_at = dict(
        session.execute(
            select(DynamicReport.id, DynamicReport.reported_at).where(DynamicReport.id.in_(report_ids))
        ).all()
    )
    late = [
        (mode, vessel, report_id)
        for mode, vessel, report_id in rows
        if now - (reported_at[report_id] if report_id else mode.started_at) > timedelta(minutes=mode.interval_minutes)
    ]
    cadres = current_cadres(session, [vessel.id for _, vessel, _ in late])
    raised: list[Alert] = []
    for mode, vessel, report_id in late:
        since = reported_at[report_id] if report_id else mode.started_at
        cadre = cadres.get(vessel.id)
        on_duty = duty.on_duty_now(session, vessel.home_unit_id, now)
        what = f"上次报告 {to_local(since):%m-%d %H:%M}" if report_id else f"{to_local(since):%m-%d %H:%M} 起未收到报告"
        alert_id = _insert_once(
            session,
            {
                "kind": REPORT_OVERDUE,
                "vessel_id": vessel.id,
                "unit_id": vessel.home_unit_id,
                "cadre_id": None if cadre is None else cadre.id,
                "dedupe_key": f"{REPORT_OVERDUE}:{mode.id}:{report_id or 0}",
                "raised_at": now,
                "status": AlertStatus.OPEN.value,
                "severity": 2,
                "message": f"{vessel.name}（{vessel.registration_no}）人工位置报告超时：应每 "
                f"{mode.interval_minutes} 分钟报告一次，{what}",
                "details": {
                    "mode_id": mode.id,
                    "last_report_id": report_id,
                    "due_at": (since + timedelta(minutes=mode.interval_minutes)).isoformat(),
                    "interval_minutes": mode.interval_minutes,
                    "cadre": None if cadre is None else cadre.name,
                    "duty_shift_id": None if on_duty is None else on_duty.shift.id,
                    "duty_officer": None if on_duty is None else on_duty.shift.officer_name,
                },
                "closed_at": None,
            },
        )
        if alert_id is None:
            continue  # this period's alert exists already
        alert = session.get(Alert, alert_id)
        assert alert is not None
        raised.append(alert)
        audit.record(
            session,
            actor=SYSTEM,
            action="fleet.alert.raise",
            now=now,
            object_type="alert",
            object_id=alert.id,
            details={"kind": REPORT_OVERDUE, "vessel_id": vessel.id, "cadre_id": alert.cadre_id},
        )
    return raised


# ---------------------------------------------------------------- alerts


def list_alerts(
    session: Session,
    *,
    actor: Principal,
    status: AlertStatus | None = None,
    kind: str | None = None,
    vessel_id: int | None = None,
    mine: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[Alert]:
    """Alerts of units in the caller's scope, newest first; ``mine`` keeps those addressed to the caller's cadre."""
    actor.require(Permission.ALERT_READ)
    stmt = select(Alert).where(scope_filter(actor.visibility, unit_id_col=Alert.unit_id))
    if status is not None:
        stmt = stmt.where(Alert.status == status)
    if kind:
        stmt = stmt.where(Alert.kind == kind)
    if vessel_id is not None:
        stmt = stmt.where(Alert.vessel_id == vessel_id)
    if mine:
        stmt = stmt.join(Cadre, Cadre.id == Alert.cadre_id).where(Cadre.user_id == actor.user_id)
    return list(session.scalars(stmt.order_by(Alert.raised_at.desc(), Alert.id.desc()).limit(limit).offset(offset)))


def get_alert(session: Session, alert_id: int, *, actor: Principal) -> Alert:
    """An alert of a unit inside the caller's scope, else :class:`NotFound`."""
    actor.require(Permission.ALERT_READ)
    stmt = select(Alert).where(Alert.id == alert_id, scope_filter(actor.visibility, unit_id_col=Alert.unit_id))
    alert = session.scalars(stmt).first()
    if alert is None:
        raise NotFound(f"alert {alert_id} not found")
    return alert


def acknowledge_alert(session: Session, alert_id: int, *, actor: Principal, now: datetime) -> Alert:
    """Acknowledge an open alert (签收); who and when go into its details and the audit trail."""
    alert = get_alert(session, alert_id, actor=actor)
    if alert.status != AlertStatus.OPEN:
        raise Conflict(f"alert {alert_id} is {alert.status}", code="alert_not_open")
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.details = {**alert.details, "acknowledged_by": actor.label, "acknowledged_at": now.isoformat()}
    session.flush()
    audit.record(
        session, actor=actor, action="fleet.alert.acknowledge", now=now, object_type="alert", object_id=alert.id
    )
    return alert


def close_alert(session: Session, alert_id: int, *, actor: Principal, now: datetime, note: str = "") -> Alert:
    """Close an open or acknowledged alert, with an optional note of what was done."""
    alert = get_alert(session, alert_id, actor=actor)
    if alert.status == AlertStatus.CLOSED:
        raise Conflict(f"alert {alert_id} is already closed", code="alert_closed")
    alert.status, alert.closed_at = AlertStatus.CLOSED, now
    alert.details = {**alert.details, "closed_by": actor.label, "closing_note": note.strip()[:500]}
    session.flush()
    audit.record(session, actor=actor, action="fleet.alert.close", now=now, object_type="alert", object_id=alert.id)
    return alert


# ---------------------------------------------------------------- closed seasons (伏季休渔)


def _as_value(row: FishingSeason) -> ClosedSeason:
    return ClosedSeason(row.year, str(row.operation_type), row.closed_from, row.closed_until, row.note)


def seasons_in_force(session: Session, year: int) -> tuple[list[ClosedSeason], bool]:
    """The year's seasons and whether they are stored: the ``fishing_season`` rows, else the built-in defaults."""
    rows = session.scalars(select(FishingSeason).where(FishingSeason.year == year).order_by(FishingSeason.id))
    stored = [_as_value(r) for r in rows]
    return (stored, True) if stored else (list(defaults_for_year(year)), False)


def seed_default_seasons(session: Session, year: int, *, actor: Principal, now: datetime) -> int:
    """Store the built-in seasons of ``year`` for the gears that have no row yet; return how many were added."""
    actor.require(Permission.FLEET_WRITE)
    have = set(session.scalars(select(FishingSeason.operation_type).where(FishingSeason.year == year)))
    added = [s for s in defaults_for_year(year) if s.operation_type not in have]
    for s in added:
        session.add(FishingSeason(**{f: getattr(s, f) for f in ClosedSeason.__dataclass_fields__}))
    session.flush()
    if added:
        audit.record(
            session, actor=actor, action="fleet.season.seed", now=now, details={"year": year, "gears": len(added)}
        )
    return len(added)


def set_season(
    session: Session,
    *,
    year: int,
    operation_type: str,
    closed_from: date,
    closed_until: date,
    actor: Principal,
    now: datetime,
    note: str = "",
) -> FishingSeason:
    """Store (or change) one gear's closed season for a year; the year's defaults are stored first."""
    actor.require(Permission.FLEET_WRITE)
    try:
        gear = OperationType(operation_type)
    except ValueError:
        raise ValidationFailed(f"unknown operation type {operation_type!r}", code="bad_operation_type") from None
    value = ClosedSeason(year, gear.value, closed_from, closed_until, note.strip()[:200])
    try:
        value.check()
    except ValueError as exc:
        raise ValidationFailed(str(exc), code="bad_season") from None
    seed_default_seasons(session, year, actor=actor, now=now)  # so that one change does not drop the other gears
    row = session.scalars(
        select(FishingSeason).where(FishingSeason.year == year, FishingSeason.operation_type == gear.value)
    ).first()
    if row is None:
        row = FishingSeason(year=year, operation_type=gear.value)
        session.add(row)
    row.closed_from, row.closed_until, row.note = value.closed_from, value.closed_until, value.note
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="fleet.season.set",
        now=now,
        object_type="fishing_season",
        object_id=row.id,
        details={"year": year, "gear": gear.value, "from": str(closed_from), "until": str(closed_until)},
    )
    return row


def vessels_that_should_be_in_port(
    session: Session, day: date, *, actor: Principal, limit: int = 1000, offset: int = 0
) -> list[Vessel]:
    """Active vessels in the scope whose gear is in its closed season on ``day`` (a local day), by registration."""
    actor.require(Permission.FLEET_READ)
    seasons, _ = seasons_in_force(session, day.year)
    gears = closed_gears(day, seasons)
    if not gears:
        return []
    stmt = vessel_scope(actor).where(Vessel.is_active.is_(True), Vessel.operation_type.in_(gears))
    return list(session.scalars(stmt.order_by(Vessel.registration_no).limit(limit).offset(offset)))
