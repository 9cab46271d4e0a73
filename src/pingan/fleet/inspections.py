"""Inspections (隐患排查), rectification tasks (整改) and the star-rating service (平安星级船).

An inspection checks a vessel against the checklist of its operation type (:mod:`pingan.fleet.checklists`);
every failed item becomes a rectification task due the item's number of days after the inspection day. Tasks are
closed with a note; an open task past its deadline (a local Asia/Shanghai day) is overdue. After an inspection or a
task closure the vessel's star rating is recomputed by the pure rules of :mod:`pingan.fleet.rating`: a rating that
does not lower the stars is published at once, a lower one waits for a person holding ``fleet.rating.confirm``.

Every read goes through the caller's data scope over the vessel's home unit; outside it a record is "not found".
Services flush and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.auth.repository import scope_filter
from pingan.config import Settings
from pingan.errors import Conflict, NotFound, ValidationFailed
from pingan.fleet.checklists import checklist_for, checklist_name, item_map
from pingan.fleet.models import (
    Certificate,
    CertificateKind,
    CrewMember,
    CrewRole,
    EventKind,
    Inspection,
    InspectionResult,
    Rating,
    RatingStatus,
    RectificationTask,
    TaskStatus,
    Terminal,
    Vessel,
    VesselEvent,
)
from pingan.fleet.rating import DEFAULT_RULES, RatingInputs, RatingRules, rate
from pingan.kit.clock import as_utc, to_local

ESCALATION_MARK = "【申请转事件】"  # marks the escalation line in the task description
ESCALATION_CATEGORY = "3011"  # 渔船隐患整改逾期 on the case hub
UPTIME_WINDOW = timedelta(days=30)
EVENT_WINDOW = timedelta(days=365)
CERTIFIED_ROLES = frozenset(
    {CrewRole.CAPTAIN, CrewRole.FIRST_MATE, CrewRole.CHIEF_ENGINEER, CrewRole.ENGINEER, CrewRole.RADIO_OPERATOR}
)


def local_day(moment: datetime) -> date:
    """The Asia/Shanghai calendar day of an instant (deadlines and ages are counted in local days)."""
    return to_local(moment).date()


def vessel_scope(actor: Principal) -> Select[tuple[Vessel]]:
    """Vessels the caller may see (by home unit)."""
    return select(Vessel).where(scope_filter(actor.visibility, unit_id_col=Vessel.home_unit_id))


def get_visible_vessel(session: Session, vessel_id: int, *, actor: Principal) -> Vessel:
    """A vessel inside the caller's scope, else :class:`NotFound`."""
    vessel = session.scalars(vessel_scope(actor).where(Vessel.id == vessel_id)).first()
    if vessel is None:
        raise NotFound(f"vessel {vessel_id} not found")
    return vessel


# ---------------------------------------------------------------- inspections


@dataclass(frozen=True)
class InspectionOutcome:
    """An inspection with the tasks it opened and the rating computed after it."""

    inspection: Inspection
    tasks: list[RectificationTask]
    rating: Rating


def _clean_items(operation_type: str, items: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    """Check the answers against the checklist: every code exactly once, nothing else; return them in order."""
    known = item_map(operation_type)
    answers: dict[str, dict[str, object]] = {}
    for raw in items:
        code, ok, note = raw.get("code"), raw.get("ok"), raw.get("note") or ""
        if not isinstance(code, str) or not isinstance(ok, bool) or not isinstance(note, str):
            raise ValidationFailed("each item needs a code, ok (true/false) and an optional note", code="bad_item")
        if code in answers:
            raise ValidationFailed(f"item {code} is answered twice", code="duplicate_item", items=[code])
        answers[code] = {"code": code, "ok": ok, "note": " ".join(note.split())[:500]}
    unknown = sorted(set(answers) - set(known))
    missing = [code for code in known if code not in answers]
    if unknown or missing:
        raise ValidationFailed(
            f"answers must cover exactly the {operation_type} checklist: missing {missing}, unknown {unknown}",
            code="checklist_mismatch",
            missing=missing,
            unknown=unknown,
        )
    return [answers[item.code] for item in checklist_for(operation_type)]


def inspection_result(operation_type: str, items: Sequence[Mapping[str, object]]) -> InspectionResult:
    """Passed when every item is ok; failed when a critical item fails; otherwise passed with findings."""
    known = item_map(operation_type)
    failed = [known[str(i["code"])] for i in items if not i["ok"]]
    if any(item.critical for item in failed):
        return InspectionResult.FAILED
    return InspectionResult.FINDINGS if failed else InspectionResult.PASSED


def record_inspection(
    session: Session,
    vessel_id: int,
    items: Sequence[Mapping[str, object]],
    *,
    actor: Principal,
    now: datetime,
    notes: str = "",
) -> InspectionOutcome:
    """Record an inspection; open a task per failed item (deadline = inspection day + the item's days); re-rate."""
    actor.require(Permission.FLEET_INSPECT)
    vessel = get_visible_vessel(session, vessel_id, actor=actor)
    operation_type = str(vessel.operation_type)
    answers = _clean_items(operation_type, items)
    result = inspection_result(operation_type, answers)
    inspection = Inspection(
        vessel_id=vessel.id,
        inspected_at=now,
        inspector_id=actor.user_id,
        checklist=checklist_name(operation_type),
        items=answers,
        result=result,
        notes=notes.strip(),
    )
    session.add(inspection)
    session.flush()
    day, known = local_day(now), item_map(operation_type)
    tasks = []
    for answer in answers:
        if answer["ok"]:
            continue
        item = known[str(answer["code"])]
        task = RectificationTask(
            inspection_id=inspection.id,
            vessel_id=vessel.id,
            item_code=item.code,
            description=f"{item.label}：{answer['note']}" if answer["note"] else item.label,
            deadline=day + timedelta(days=item.rectify_days),
            status=TaskStatus.OPEN,
        )
        session.add(task)
        tasks.append(task)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="fleet.inspection.record",
        now=now,
        object_type="vessel_inspection",
        object_id=inspection.id,
        details={"vessel_id": vessel.id, "result": str(result), "failed": [t.item_code for t in tasks]},
    )
    rating = recompute_rating(session, vessel.id, actor=actor, now=now)
    return InspectionOutcome(inspection, tasks, rating)


def list_inspections(session: Session, vessel_id: int, *, actor: Principal, limit: int = 50) -> list[Inspection]:
    """A vessel's inspections, newest first."""
    actor.require(Permission.FLEET_READ)
    vessel = get_visible_vessel(session, vessel_id, actor=actor)
    stmt = select(Inspection).where(Inspection.vessel_id == vessel.id)
    return list(session.scalars(stmt.order_by(Inspection.inspected_at.desc(), Inspection.id.desc()).limit(limit)))


# ---------------------------------------------------------------- rectification tasks


def is_overdue(task: RectificationTask, today: date) -> bool:
    """An open task whose deadline day has passed (the deadline day itself is still in time)."""
    return task.status == TaskStatus.OPEN and task.deadline < today


def _task_scope(actor: Principal) -> Select[tuple[RectificationTask]]:
    return (
        select(RectificationTask)
        .join(Vessel, Vessel.id == RectificationTask.vessel_id)
        .where(scope_filter(actor.visibility, unit_id_col=Vessel.home_unit_id))
    )


def get_task(session: Session, task_id: int, *, actor: Principal) -> RectificationTask:
    """A rectification task of a vessel inside the caller's scope, else :class:`NotFound`."""
    task = session.scalars(_task_scope(actor).where(RectificationTask.id == task_id)).first()
    if task is None:
        raise NotFound(f"rectification task {task_id} not found")
    return task


def list_tasks(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    status: TaskStatus | None = TaskStatus.OPEN,
    overdue_only: bool = False,
    vessel_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[RectificationTask]:
    """Tasks in the scope by deadline; ``overdue_only`` keeps open tasks whose deadline is before today."""
    actor.require(Permission.FLEET_READ)
    stmt = _task_scope(actor)
    if overdue_only:
        stmt = stmt.where(RectificationTask.status == TaskStatus.OPEN, RectificationTask.deadline < local_day(now))
    elif status is not None:
        stmt = stmt.where(RectificationTask.status == status)
    if vessel_id is not None:
        stmt = stmt.where(RectificationTask.vessel_id == vessel_id)
    stmt = stmt.order_by(RectificationTask.deadline, RectificationTask.id).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def close_task(
    session: Session, task_id: int, *, note: str, actor: Principal, now: datetime
) -> tuple[RectificationTask, Rating]:
    """Close an open task with a note saying what was put right; re-rate the vessel."""
    actor.require(Permission.FLEET_INSPECT)
    task = get_task(session, task_id, actor=actor)
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"rectification task {task_id} is already closed", code="task_closed")
    text = " ".join(note.split())
    if not text:
        raise ValidationFailed("say what was put right", code="closing_note_required", fields=["note"])
    task.status, task.closed_at, task.closing_note = TaskStatus.CLOSED, now, text
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="fleet.rectification.close",
        now=now,
        object_type="rectification_task",
        object_id=task.id,
        details={"vessel_id": task.vessel_id, "item_code": task.item_code, "late": task.deadline < local_day(now)},
    )
    return task, recompute_rating(session, task.vessel_id, actor=actor, now=now)


def escalate_task(
    session: Session,
    task_id: int,
    *,
    reason: str,
    actor: Principal,
    now: datetime,
    settings: Settings | None = None,
) -> RectificationTask:
    """Open a case on the hub (一事一码) for an open task and keep its number on the task.

    The case is an internal alert of class 3011 (渔船隐患整改逾期), placed at the vessel's home port, registered on
    arrival and routed to the fisheries enforcement detachment. The inspector's ``fleet.inspect`` permission is what
    allows it: the hub is asked on the inspector's behalf, with the intake duty for this one call.
    """
    from pingan.cases import service as hub
    from pingan.cases.workflow import Channel
    from pingan.config import get_settings

    actor.require(Permission.FLEET_INSPECT)
    task = get_task(session, task_id, actor=actor)
    if task.status != TaskStatus.OPEN:
        raise Conflict("only an open task can be escalated", code="task_closed")
    if task.case_number or ESCALATION_MARK in task.description:
        raise Conflict("the task has already been escalated", code="already_escalated")
    text = " ".join(reason.split())
    if len(text) < 2:
        raise ValidationFailed("give a reason for the escalation", code="reason_required", fields=["reason"])
    vessel = session.get(Vessel, task.vessel_id)
    assert vessel is not None  # the task's foreign key
    port = vessel.home_port
    lon = (port.min_lon + port.max_lon) / 2 if port is not None else None
    lat = (port.min_lat + port.max_lat) / 2 if port is not None else None
    data = hub.IntakeData(
        channel=Channel.ALERT,
        category_code=ESCALATION_CATEGORY,
        title=f"{vessel.registration_no} 隐患整改（{task.item_code}）",
        description=f"{vessel.registration_no}（{vessel.name}）检查隐患 {task.item_code} 需转事件办理：{text}。"
        f"整改期限 {task.deadline.isoformat()}。",
        lon=lon,
        lat=lat,
        address=port.name if port is not None else vessel.port_of_registry,
        external_ref=f"rectification-{task.id}",
        attributes={"vessel_id": vessel.id, "registration_no": vessel.registration_no, "task_id": task.id},
    )
    on_behalf = replace(actor, permissions=actor.permissions | {Permission.CASE_INTAKE.value})
    case = hub.intake(session, settings or get_settings(), data, actor=on_behalf, now=now).case
    task.case_number = case.number
    stamp = to_local(now).strftime("%Y-%m-%d %H:%M")
    task.description = f"{task.description}\n{ESCALATION_MARK}{stamp} {actor.label}：{text}（{case.number}）"
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="fleet.rectification.escalate",
        now=now,
        object_type="rectification_task",
        object_id=task.id,
        details={"vessel_id": task.vessel_id, "item_code": task.item_code, "reason": text, "case_number": case.number},
    )
    return task


def is_escalated(task: RectificationTask) -> bool:
    """True once a case was requested (or opened) for the task."""
    return bool(task.case_number) or ESCALATION_MARK in task.description


# ---------------------------------------------------------------- star rating


def _classify(expires_on: date, today: date, rules: RatingRules) -> str:
    if expires_on < today:
        return "expired"
    if expires_on <= today + timedelta(days=rules.certificate_expiring_days):
        return "expiring"
    return "valid"


def terminal_uptime(session: Session, vessel_id: int, now: datetime) -> float:
    """Share (0–1) of the last 30 days during which the vessel had a position terminal fitted.

    A stand-in for real uptime until the maritime issue feeds the share of time with positions received.
    """
    start = now - UPTIME_WINDOW
    rows = session.execute(
        select(Terminal.installed_at, Terminal.removed_at).where(
            Terminal.vessel_id == vessel_id,
            Terminal.installed_at < now,
            (Terminal.removed_at.is_(None)) | (Terminal.removed_at > start),
        )
    ).all()
    spans = sorted((max(as_utc(a), start), min(as_utc(b) if b else now, now)) for a, b in rows)
    covered, reach = timedelta(0), start
    for a, b in spans:  # union of the clipped intervals
        a = max(a, reach)
        if b > a:
            covered += b - a
            reach = b
    return min(1.0, covered / UPTIME_WINDOW)


def gather_rating_inputs(
    session: Session, vessel: Vessel, *, now: datetime, rules: RatingRules = DEFAULT_RULES
) -> RatingInputs:
    """Read what the rating looks at for one vessel, as of ``now``."""
    today = local_day(now)
    counts = {"valid": 0, "expiring": 0, "expired": 0, "missing": 0}
    latest: dict[str, date] = {}
    for cert_kind, cert_expires in session.execute(
        select(Certificate.kind, Certificate.expires_on).where(Certificate.vessel_id == vessel.id)
    ):
        latest[str(cert_kind)] = max(cert_expires, latest.get(str(cert_kind), cert_expires))
    for required in CertificateKind:  # the latest certificate of each kind counts; a kind never issued is missing
        if required.value in latest:
            counts[_classify(latest[required.value], today, rules)] += 1
        else:
            counts["missing"] += 1
    for role, crew_expires in session.execute(
        select(CrewMember.role, CrewMember.certificate_expires_on).where(
            CrewMember.vessel_id == vessel.id, CrewMember.on_board.is_(True)
        )
    ):
        if crew_expires is not None:
            counts[_classify(crew_expires, today, rules)] += 1
        elif role in CERTIFIED_ROLES:
            counts["missing"] += 1  # an officer (职务船员) must hold a certificate of competency

    last = session.execute(
        select(Inspection.result, Inspection.inspected_at)
        .where(Inspection.vessel_id == vessel.id, Inspection.inspected_at <= now)
        .order_by(Inspection.inspected_at.desc(), Inspection.id.desc())
        .limit(1)
    ).first()

    open_tasks = select(func.count(RectificationTask.id)).where(
        RectificationTask.vessel_id == vessel.id, RectificationTask.status == TaskStatus.OPEN
    )
    n_open = int(session.scalar(open_tasks) or 0)
    n_overdue = int(session.scalar(open_tasks.where(RectificationTask.deadline < today)) or 0)

    severities: dict[str, list[int]] = {k.value: [] for k in EventKind}
    for event_kind, severity in session.execute(
        select(VesselEvent.kind, VesselEvent.severity).where(
            VesselEvent.vessel_id == vessel.id,
            VesselEvent.occurred_at > now - EVENT_WINDOW,
            VesselEvent.occurred_at <= now,
        )
    ):
        severities[str(event_kind)].append(min(max(int(severity), 1), 3))

    return RatingInputs(
        certificates_valid=counts["valid"],
        certificates_expiring=counts["expiring"],
        certificates_expired=counts["expired"],
        certificates_missing=counts["missing"],
        last_inspection=None if last is None else str(last[0]),
        last_inspection_age_days=None if last is None else (today - local_day(last[1])).days,
        open_rectifications=n_open,
        overdue_rectifications=n_overdue,
        violation_severities=tuple(severities[EventKind.VIOLATION.value]),
        incident_severities=tuple(severities[EventKind.INCIDENT.value]),
        trainings=len(severities[EventKind.TRAINING.value]),
        terminal_uptime=terminal_uptime(session, vessel.id, now),
    )


def published_rating(session: Session, vessel_id: int) -> Rating | None:
    """The vessel's published rating, if any (scope not applied)."""
    stmt = select(Rating).where(Rating.vessel_id == vessel_id, Rating.status == RatingStatus.PUBLISHED)
    return session.scalars(stmt.order_by(Rating.computed_at.desc(), Rating.id.desc()).limit(1)).first()


def recompute_rating(
    session: Session, vessel_id: int, *, actor: Principal, now: datetime, rules: RatingRules = DEFAULT_RULES
) -> Rating:
    """Compute a new rating row: published when it does not lower the stars, else pending confirmation.

    A newer computation supersedes any rating still pending; publishing one supersedes the published one.
    """
    actor.require(Permission.FLEET_INSPECT)
    vessel = get_visible_vessel(session, vessel_id, actor=actor)
    result = rate(gather_rating_inputs(session, vessel, now=now, rules=rules), rules)
    current = published_rating(session, vessel.id)
    for stale in session.scalars(
        select(Rating).where(Rating.vessel_id == vessel.id, Rating.status == RatingStatus.PENDING)
    ):
        stale.status = RatingStatus.SUPERSEDED
    publish = current is None or result.stars >= current.stars
    rating = Rating(
        vessel_id=vessel.id,
        stars=result.stars,
        score=result.score,
        factors=[f.as_dict() for f in result.factors],
        rules_version=result.rules_version,
        status=RatingStatus.PUBLISHED if publish else RatingStatus.PENDING,
        computed_at=now,
    )
    if publish and current is not None:
        current.status = RatingStatus.SUPERSEDED
    session.add(rating)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="fleet.rating.compute",
        now=now,
        object_type="vessel_rating",
        object_id=rating.id,
        details={
            "vessel_id": vessel.id,
            "stars": rating.stars,
            "score": rating.score,
            "status": str(rating.status),
            "previous_stars": None if current is None else current.stars,
            "rules_version": rating.rules_version,
        },
    )
    return rating


def get_rating(session: Session, rating_id: int, *, actor: Principal) -> Rating:
    """A rating of a vessel inside the caller's scope, else :class:`NotFound`."""
    stmt = (
        select(Rating)
        .join(Vessel, Vessel.id == Rating.vessel_id)
        .where(Rating.id == rating_id, scope_filter(actor.visibility, unit_id_col=Vessel.home_unit_id))
    )
    rating = session.scalars(stmt).first()
    if rating is None:
        raise NotFound(f"rating {rating_id} not found")
    return rating


def confirm_rating(session: Session, rating_id: int, *, approve: bool, actor: Principal, now: datetime) -> Rating:
    """Publish (``approve``) or reject a downgrade waiting for confirmation; the decision is audited."""
    actor.require(Permission.RATING_CONFIRM)
    rating = get_rating(session, rating_id, actor=actor)
    if rating.status != RatingStatus.PENDING:
        raise Conflict(f"rating {rating_id} is not waiting for confirmation", code="rating_not_pending")
    previous = published_rating(session, rating.vessel_id)
    if approve:
        if previous is not None:
            previous.status = RatingStatus.SUPERSEDED
        rating.status = RatingStatus.PUBLISHED
    else:
        rating.status = RatingStatus.REJECTED
    rating.decided_by_id, rating.decided_at = actor.user_id, now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="fleet.rating.confirm" if approve else "fleet.rating.reject",
        now=now,
        object_type="vessel_rating",
        object_id=rating.id,
        details={
            "vessel_id": rating.vessel_id,
            "stars": rating.stars,
            "previous_stars": None if previous is None else previous.stars,
        },
    )
    return rating


def list_ratings(session: Session, vessel_id: int, *, actor: Principal, limit: int = 20) -> list[Rating]:
    """A vessel's ratings, newest first."""
    actor.require(Permission.FLEET_READ)
    vessel = get_visible_vessel(session, vessel_id, actor=actor)
    stmt = select(Rating).where(Rating.vessel_id == vessel.id)
    return list(session.scalars(stmt.order_by(Rating.computed_at.desc(), Rating.id.desc()).limit(limit)))


def pending_ratings(session: Session, *, actor: Principal, limit: int = 100, offset: int = 0) -> list[Rating]:
    """Downgrades waiting for confirmation in the caller's scope, oldest first."""
    actor.require(Permission.FLEET_READ)
    stmt = (
        select(Rating)
        .join(Vessel, Vessel.id == Rating.vessel_id)
        .where(Rating.status == RatingStatus.PENDING, scope_filter(actor.visibility, unit_id_col=Vessel.home_unit_id))
    )
    return list(session.scalars(stmt.order_by(Rating.computed_at, Rating.id).limit(limit).offset(offset)))
