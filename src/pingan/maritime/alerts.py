"""The alert lifecycle (全链监督): raised → addressed → acknowledged (or escalated) → resolved, and cases on the hub.

Raising addresses an alert to the cadres linked to the vessel (定人联船) and to the officer on watch of the
vessel's unit (安全值班), through the inbox; an alert not acknowledged within its policy's minutes is escalated
once to the command centre's watch. Policy rows decide which kinds, from which level, open a case on the hub
(with the category, location and grid) — the case number is kept on the alert. Every step is a timeline row and
an audit row. Services flush, never commit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.auth.models import User
from pingan.auth.policy import Permission
from pingan.auth.principal import SYSTEM, Principal
from pingan.cases import service as hub
from pingan.cases.models import InboxMessage
from pingan.cases.workflow import Channel
from pingan.config import Settings
from pingan.errors import Conflict, NotFound, PinganError
from pingan.fleet.duty import on_duty_now
from pingan.fleet.models import Alert, AlertStatus, Cadre, CadreLink, Vessel
from pingan.maritime.models import AlertAction, AlertPolicy, AlertRecipient, AlertStep, RecipientRole
from pingan.maritime.rules import AlertKind, Level, Observation
from pingan.org.models import OrgUnit

ENGINE = replace(SYSTEM, label="maritime-alerts")

KIND_LABELS = {
    AlertKind.COLLISION: "碰撞风险",
    AlertKind.GEOFENCE_ENTER: "驶入管控区域",
    AlertKind.GEOFENCE_EXIT: "驶出管控区域",
    AlertKind.GEOFENCE_DWELL: "区域内滞留超时",
    AlertKind.CLOSURE: "休渔/禁渔区作业",
    AlertKind.DISPERSION: "脱离编组",
    AlertKind.GROUP_SPLIT: "编组分离",
    AlertKind.SILENCE: "船位信号中断",
    AlertKind.REPORT_OVERDUE: "动态报告逾期",
    AlertKind.DISTRESS: "遇险报警",
    AlertKind.TYPHOON: "台风预警区内",
}
LEVEL_LABELS = {Level.INFO: "提示", Level.WARNING: "预警", Level.ALARM: "报警", Level.DISTRESS: "遇险"}

# Defaults written by `ensure_policies`: (opens_case, hub category, minimum level for a case, minutes to acknowledge)
DEFAULT_POLICIES: dict[AlertKind, tuple[bool, str | None, int, int]] = {
    AlertKind.COLLISION: (False, "3001", Level.ALARM, 5),  # transient: the console, not the hub (see docs)
    AlertKind.GEOFENCE_ENTER: (True, "3003", Level.ALARM, 15),
    AlertKind.GEOFENCE_EXIT: (False, None, Level.ALARM, 30),
    AlertKind.GEOFENCE_DWELL: (False, "3003", Level.ALARM, 30),
    AlertKind.CLOSURE: (True, "3002", Level.ALARM, 15),
    AlertKind.DISPERSION: (False, None, Level.ALARM, 15),
    AlertKind.GROUP_SPLIT: (False, None, Level.ALARM, 30),
    AlertKind.SILENCE: (True, "3004", Level.ALARM, 15),
    AlertKind.REPORT_OVERDUE: (False, "3004", Level.ALARM, 30),
    AlertKind.DISTRESS: (True, "3006", Level.DISTRESS, 2),
    AlertKind.TYPHOON: (False, "3007", Level.ALARM, 10),
}


def ensure_policies(session: Session, *, now: datetime) -> int:
    """Create the default policy row of every kind that has none; return how many were created."""
    existing = set(session.scalars(select(AlertPolicy.kind)))
    created = 0
    for kind, (opens_case, category, min_level, ack) in DEFAULT_POLICIES.items():
        if kind.value in existing:
            continue
        session.add(
            AlertPolicy(
                kind=kind.value,
                enabled=True,
                opens_case=opens_case,
                case_category=category,
                case_min_level=int(min_level),
                ack_minutes=ack,
                params={},
                updated_at=now,
            )
        )
        created += 1
    session.flush()
    return created


def policies(session: Session) -> dict[str, AlertPolicy]:
    """Every policy row by kind."""
    return {p.kind: p for p in session.scalars(select(AlertPolicy))}


def _step(
    session: Session,
    alert: Alert,
    action: AlertAction,
    now: datetime,
    *,
    actor: Principal = ENGINE,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        AlertStep(alert_id=alert.id, at=now, action=action, actor_id=actor.user_id, note=note, details=details or {})
    )
    audit.record(
        session,
        actor=actor,
        action=f"alert.{action.value}",
        now=now,
        object_type="alert",
        object_id=alert.id,
        details={
            "kind": alert.kind,
            "subject": alert.subject,
            "level": alert.level,
            **({"note": note} if note else {}),
        },
    )


def message_for(obs: Observation, vessel: Vessel | None) -> str:
    """The one-line text of an alert, in Chinese first."""
    who = f"{vessel.name}（{vessel.registration_no}）" if vessel else f"MMSI {obs.keys[0]}" if obs.keys else ""
    label = KIND_LABELS.get(obs.kind, obs.kind.value)
    extra = ""
    d = obs.details
    if obs.kind is AlertKind.COLLISION and "dcpa_m" in d:
        extra = f"：最近会遇距离 {d['dcpa_m'] / 1852:.2f} 海里，{max(d.get('tcpa_s', 0), 0) / 60:.0f} 分钟后"
    elif "area_name" in d:
        extra = f"：{d['area_name']}"
    return f"【{LEVEL_LABELS.get(obs.level, '')}】{who}{label}{extra}"[:400]


def _addressees(
    session: Session, vessel: Vessel | None, now: datetime
) -> list[tuple[RecipientRole, int | None, int | None]]:
    """(role, user id, cadre id) of the linked cadres and the officer on watch of the vessel's unit."""
    out: list[tuple[RecipientRole, int | None, int | None]] = []
    if vessel is None:
        return out
    links = session.execute(
        select(Cadre.id, Cadre.user_id)
        .join(CadreLink, CadreLink.cadre_id == Cadre.id)
        .where(CadreLink.vessel_id == vessel.id, CadreLink.until.is_(None))
    )
    for cadre_id, user_id in links:
        out.append((RecipientRole.CADRE, user_id, cadre_id))
    duty = on_duty_now(session, vessel.home_unit_id, now)
    if duty is not None and duty.shift.officer_user_id is not None:
        out.append((RecipientRole.DUTY, duty.shift.officer_user_id, None))
    return out


def _notify(
    session: Session, alert: Alert, addressees: Sequence[tuple[RecipientRole, int | None, int | None]], now: datetime
) -> int:
    told = 0
    seen: set[tuple[int | None, RecipientRole]] = set()
    for role, user_id, cadre_id in addressees:
        if (user_id, role) in seen:
            continue
        seen.add((user_id, role))
        session.add(AlertRecipient(alert_id=alert.id, user_id=user_id, cadre_id=cadre_id, role=role, notified_at=now))
        if user_id is not None:
            session.add(
                InboxMessage(user_id=user_id, case_id=None, kind="alert", message=alert.message, created_at=now)
            )
            told += 1
    return told


def raise_alert(
    session: Session,
    settings: Settings,
    obs: Observation,
    *,
    vessel_id: int | None,
    sea_grid_code: str | None,
    now: datetime,
    episode: str,
    open_case: bool = True,
) -> Alert | None:
    """Store a raised situation as an alert, address it, and open a case when its policy says so.

    `episode` makes the dedupe key unique per occurrence (the debouncer raises a situation once per episode);
    a second call for the same episode returns None.
    """
    dedupe = f"{obs.kind.value}:{obs.subject}:{episode}"[:80]
    if session.scalar(select(Alert.id).where(Alert.dedupe_key == dedupe)) is not None:
        return None
    policy = session.get(AlertPolicy, obs.kind.value)
    if policy is not None and not policy.enabled:
        return None  # the kind is switched off by policy
    ongoing = session.scalar(
        select(Alert).where(
            Alert.kind == obs.kind.value,
            Alert.subject == obs.subject[:80],
            Alert.status != AlertStatus.CLOSED,
            Alert.cleared_at.is_(None),
        )
    )
    if ongoing is not None:
        return ongoing  # the same situation is still open (an engine restarted): carry on with it
    vessel = session.get(Vessel, vessel_id) if vessel_id is not None else None
    addressees = _addressees(session, vessel, now)
    first_cadre = next((c for r, _, c in addressees if r is RecipientRole.CADRE and c is not None), None)
    alert = Alert(
        kind=obs.kind.value,
        vessel_id=vessel.id if vessel else None,
        unit_id=vessel.home_unit_id if vessel else None,
        cadre_id=first_cadre,
        dedupe_key=dedupe,
        raised_at=now,
        status=AlertStatus.OPEN,
        severity=int(obs.level),
        level=int(obs.level),
        subject=obs.subject[:80],
        target_key=obs.keys[0] if obs.keys else None,
        lon=obs.lon if math.isfinite(obs.lon) else None,  # a SART text may arrive before any position
        lat=obs.lat if math.isfinite(obs.lat) else None,
        sea_grid_code=sea_grid_code,
        message=message_for(obs, vessel),
        details={**obs.details, "keys": list(obs.keys)},
        escalations=0,
        resolution="",
    )
    session.add(alert)
    session.flush()
    _step(session, alert, AlertAction.RAISED, now, details={"level": int(obs.level)})
    told = _notify(session, alert, addressees, now)
    if addressees:
        _step(session, alert, AlertAction.NOTIFIED, now, details={"users": told, "addressees": len(addressees)})
    if open_case:
        maybe_open_case(session, settings, alert, now=now)
    return alert


def maybe_open_case(session: Session, settings: Settings, alert: Alert, *, now: datetime) -> str | None:
    """Open a case on the hub for an alert whose policy asks for one at its level; return the case number."""
    if alert.case_number:
        return alert.case_number
    policy = session.get(AlertPolicy, alert.kind)
    if policy is None or not policy.opens_case or not policy.case_category or alert.level < policy.case_min_level:
        return None
    data = hub.IntakeData(
        channel=Channel.ALERT,
        category_code=policy.case_category,
        title=alert.message[:100],
        description=alert.message,
        lon=alert.lon,
        lat=alert.lat,
        external_ref=f"alert-{alert.id}",
        priority="urgent" if alert.level >= Level.ALARM else None,
        attributes={"alert_id": alert.id, "kind": alert.kind, "sea_grid": alert.sea_grid_code or ""},
    )
    result = hub.intake(session, settings, data, actor=ENGINE, now=now)
    alert.case_number = result.case.number
    _step(session, alert, AlertAction.CASE_OPENED, now, details={"case_number": result.case.number})
    return result.case.number


def open_pending_cases(
    session: Session,
    settings: Settings,
    *,
    now: datetime,
    limit: int = 20,
    between: Callable[[], None] | None = None,
) -> int:
    """Open the hub cases that raised alerts are due, at most `limit` a call, highest level first.

    The engine stores alerts first and opens their cases here, after them, so a burst of alerts is not held up
    by case intake (tens of milliseconds each) and an alert is stored even when its case cannot be opened.
    `between` is called after each case (the alert engine may commit there).
    """
    rows = policies(session)
    kinds = [k for k, p in rows.items() if p.enabled and p.opens_case and p.case_category]
    if not kinds:
        return 0
    stmt = (
        select(Alert)
        .where(
            Alert.kind.in_(kinds),
            Alert.case_number.is_(None),
            Alert.status != AlertStatus.CLOSED,
            Alert.subject.is_not(None),
            Alert.raised_at >= now - timedelta(days=1),
        )
        .order_by(Alert.level.desc(), Alert.raised_at)
    )
    opened = 0
    for alert in session.scalars(stmt).all():  # all read first: `between` may commit
        if opened >= limit:
            break
        policy = rows[alert.kind]
        if alert.level < policy.case_min_level or alert.details.get("case_error"):
            continue
        try:
            with session.begin_nested():
                if maybe_open_case(session, settings, alert, now=now):
                    opened += 1
        except PinganError as exc:  # a case the hub refuses is noted on the alert, never retried in a loop
            alert.details = {**alert.details, "case_error": exc.message[:200]}
        if between is not None:
            between()
    return opened


def level_up(session: Session, settings: Settings, alert: Alert, obs: Observation, *, now: datetime) -> None:
    """The situation got worse: raise the alert's level, tell its addressees again, and open a case if due."""
    if obs.level <= alert.level:
        return
    alert.level = int(obs.level)
    alert.severity = int(obs.level)
    vessel = session.get(Vessel, alert.vessel_id) if alert.vessel_id else None
    alert.message = message_for(obs, vessel)
    alert.details = {**obs.details, "keys": list(obs.keys)}
    _step(session, alert, AlertAction.LEVEL_UP, now, details={"level": int(obs.level)})
    for r in session.scalars(select(AlertRecipient).where(AlertRecipient.alert_id == alert.id)):
        if r.user_id is not None:
            session.add(
                InboxMessage(user_id=r.user_id, case_id=None, kind="alert", message=alert.message, created_at=now)
            )
    maybe_open_case(session, settings, alert, now=now)


def clear_alert(session: Session, alert: Alert, *, now: datetime) -> None:
    """The situation ended by itself: note it; an acknowledged alert is then resolved."""
    if alert.cleared_at is not None or alert.status == AlertStatus.CLOSED:
        return
    alert.cleared_at = now
    _step(session, alert, AlertAction.CLEARED, now)
    if alert.acknowledged_at is not None:
        alert.status = AlertStatus.CLOSED
        alert.closed_at = now
        alert.resolution = alert.resolution or "情况已解除"
        _step(session, alert, AlertAction.RESOLVED, now, note="情况已解除")


def _may_handle(session: Session, alert: Alert, actor: Principal) -> None:
    actor.require(Permission.ALERT_HANDLE)
    if actor.visibility.everything:
        return
    addressed = actor.user_id is not None and session.scalar(
        select(AlertRecipient.id).where(AlertRecipient.alert_id == alert.id, AlertRecipient.user_id == actor.user_id)
    )
    if addressed:
        return
    unit = session.get(OrgUnit, alert.unit_id) if alert.unit_id else None
    if unit is None or not actor.visibility.allows(unit_id=unit.id, unit_path=unit.path):
        raise NotFound(f"no alert {alert.id}")


def get_alert(session: Session, alert_id: int, *, actor: Principal) -> Alert:
    """One alert the actor may see (404 otherwise, never revealing it exists)."""
    actor.require(Permission.ALERT_READ)
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    if not actor.visibility.everything:
        unit = session.get(OrgUnit, alert.unit_id) if alert.unit_id else None
        addressed = actor.user_id is not None and session.scalar(
            select(AlertRecipient.id).where(
                AlertRecipient.alert_id == alert.id, AlertRecipient.user_id == actor.user_id
            )
        )
        if not addressed and (unit is None or not actor.visibility.allows(unit_id=unit.id, unit_path=unit.path)):
            raise NotFound(f"no alert {alert_id}")
    return alert


def acknowledge(session: Session, alert_id: int, *, actor: Principal, now: datetime, note: str = "") -> Alert:
    """签收: the addressee has seen the alert and is acting on it (stops the escalation clock)."""
    alert = get_alert(session, alert_id, actor=actor)
    _may_handle(session, alert, actor)
    if alert.status != AlertStatus.OPEN:
        raise Conflict(f"alert {alert_id} is already {alert.status}", code="alert_not_open")
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = now
    alert.acknowledged_by_id = actor.user_id
    _step(session, alert, AlertAction.ACKNOWLEDGED, now, actor=actor, note=note.strip()[:500])
    return alert


def resolve(session: Session, alert_id: int, *, actor: Principal, now: datetime, note: str) -> Alert:
    """处置完毕: close the alert with what was done (a note is required)."""
    alert = get_alert(session, alert_id, actor=actor)
    _may_handle(session, alert, actor)
    text = note.strip()
    if not text:
        from pingan.errors import ValidationFailed

        raise ValidationFailed("say what was done", code="resolution_required")
    if alert.status == AlertStatus.CLOSED:
        raise Conflict(f"alert {alert_id} is already closed", code="alert_closed")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        alert.acknowledged_by_id = actor.user_id
    alert.status = AlertStatus.CLOSED
    alert.closed_at = now
    alert.resolved_by_id = actor.user_id
    alert.resolution = text[:2000]
    _step(session, alert, AlertAction.RESOLVED, now, actor=actor, note=text[:500])
    return alert


def command_centre_watch(session: Session, now: datetime) -> list[int]:
    """Users to tell on escalation: the root unit's officer on watch, else every active commander."""
    root = session.scalar(select(OrgUnit).where(OrgUnit.depth == 0).order_by(OrgUnit.id).limit(1))
    if root is not None:
        duty = on_duty_now(session, root.id, now)
        if duty is not None and duty.shift.officer_user_id is not None:
            return [duty.shift.officer_user_id]
    from pingan.auth.models import Role, UserRole

    stmt = (
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .join(Role, Role.id == UserRole.role_id)
        .where(Role.code == "commander", User.is_active)
    )
    return sorted(set(session.scalars(stmt)))


def escalate_due(
    session: Session, *, now: datetime, limit: int = 200, between: Callable[[], None] | None = None
) -> list[Alert]:
    """Escalate, once, the open alerts nobody acknowledged within their policy's minutes (at most `limit` a call,
    highest level and oldest first; the rest on the next call). `between` is called after each escalation (the
    alert engine may commit there)."""
    rows = policies(session)
    escalated: list[Alert] = []
    stmt = (
        select(Alert)
        .where(Alert.status == AlertStatus.OPEN, Alert.escalated_at.is_(None), Alert.subject.is_not(None))
        .order_by(Alert.level.desc(), Alert.raised_at)
    )
    watchers: list[int] | None = None
    for alert in session.scalars(stmt).all():  # all read first: `between` may commit
        policy = rows.get(alert.kind)
        minutes = policy.ack_minutes if policy else 10
        if alert.raised_at + timedelta(minutes=minutes) > now:
            continue
        if len(escalated) >= limit:
            break
        if watchers is None:
            watchers = command_centre_watch(session, now)
        alert.escalated_at = now
        alert.escalations += 1
        for user_id in watchers:
            session.add(
                AlertRecipient(alert_id=alert.id, user_id=user_id, role=RecipientRole.ESCALATION, notified_at=now)
            )
            session.add(
                InboxMessage(
                    user_id=user_id,
                    case_id=None,
                    kind="alert",
                    message=f"【未签收升级】{alert.message}"[:400],
                    created_at=now,
                )
            )
        _step(session, alert, AlertAction.ESCALATED, now, details={"after_minutes": minutes, "told": len(watchers)})
        escalated.append(alert)
        if between is not None:
            between()
    session.flush()
    return escalated


def timeline(session: Session, alert: Alert) -> list[AlertStep]:
    """The alert's steps, oldest first."""
    return list(session.scalars(select(AlertStep).where(AlertStep.alert_id == alert.id).order_by(AlertStep.id)))


def recipients(session: Session, alert: Alert) -> list[AlertRecipient]:
    """Who the alert was addressed to."""
    return list(session.scalars(select(AlertRecipient).where(AlertRecipient.alert_id == alert.id)))
