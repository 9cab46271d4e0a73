"""Case use cases: intake from any channel, the one transition door, reading, duplicates and notifications.

Every state change goes through :func:`transition` (intake's automatic 立案/派遣 included): it checks the
transition table, the actor's permission and scope, moves the clocks, writes the timeline step and the audit row,
notifies assignees, and publishes a past-tense domain event for after the commit. Services flush, never commit.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from pingan.audit.service import record
from pingan.auth.models import User
from pingan.auth.policy import Permission
from pingan.auth.principal import SYSTEM, Principal
from pingan.cases import clocks, events
from pingan.cases.catalog import RoutingRule
from pingan.cases.duplicates import Duplicate, find_duplicates
from pingan.cases.escalation import maybe_level_up
from pingan.cases.files import Upload, check_files, files_of, store_files
from pingan.cases.models import Case, CaseCategory, CaseStep
from pingan.cases.notify import notify_after
from pingan.cases.numbering import next_number
from pingan.cases.repository import case_scope, duplicates_of, unit_chain
from pingan.cases.routing import UnitRef, route
from pingan.cases.steps import add_step, case_event
from pingan.cases.workflow import (
    AUTO_DISPATCH,
    AUTO_REGISTER,
    CLOCK_OF,
    OPEN_STATUSES,
    Action,
    CaseStatus,
    Channel,
    Duty,
    Priority,
    Satisfaction,
    Step,
    TransitionRefused,
    plan,
)
from pingan.config import Settings
from pingan.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pingan.grids.models import LandGrid, SeaGrid
from pingan.grids.service import locator
from pingan.kit.masking import mask_mobile
from pingan.org.models import OrgUnit

__all__ = [  # the names other packages use, some of which live in the modules split out of this one
    "DUTY_PERMISSION",
    "Duplicate",
    "IntakeData",
    "IntakeResult",
    "Upload",
    "duplicates_of",
    "files_of",
    "find_duplicates",
    "get_case",
    "intake",
    "next_number",
    "timeline",
    "transition",
]

DUTY_PERMISSION: dict[Duty, Permission] = {
    Duty.REPORT: Permission.CASE_REPORT,
    Duty.REGISTER: Permission.CASE_REGISTER,
    Duty.HANDLE: Permission.CASE_HANDLE,
    Duty.CHECK: Permission.CASE_CHECK,
    Duty.VISIT: Permission.CASE_VISIT,
    Duty.SUPERVISE: Permission.CASE_SUPERVISE,
    Duty.READ: Permission.CASE_READ,
}
# Channels a person reports through; the others are machine channels and need case.intake.
PERSON_CHANNELS = frozenset({Channel.GRID_WORKER, Channel.PUBLIC, Channel.COMPLAINT, Channel.OPEN311})
log = logging.getLogger(__name__)


# ---------------------------------------------------------------- values


@dataclass
class IntakeData:
    """What every channel hands to :func:`intake`."""

    channel: Channel
    category_code: str
    description: str
    title: str = ""
    lon: float | None = None
    lat: float | None = None
    address: str = ""
    demand_type: str | None = None
    reporter_name: str = ""
    reporter_phone: str | None = None
    anonymous: bool = False
    external_ref: str | None = None
    priority: str | None = None
    severity: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    files: Sequence[Upload] = ()
    reported_at: datetime | None = None  # when the channel received it (hotline order time); default now


@dataclass
class IntakeResult:
    """The stored case and the duplicates offered for 并单."""

    case: Case
    duplicates: list[Duplicate]


# ---------------------------------------------------------------- categories


def category_by_code(session: Session, code: str, *, small_only: bool = True) -> CaseCategory:
    """An active category by code; a small class unless ``small_only`` is false."""
    cat = session.scalars(select(CaseCategory).where(CaseCategory.code == code.strip())).first()
    if cat is None or not cat.is_active:
        raise ValidationFailed(f"no active category {code!r}", code="unknown_category")
    if small_only and cat.level != 2:
        raise ValidationFailed(f"category {code} is a 大类; choose one of its 小类", code="not_small_class")
    return cat


# ---------------------------------------------------------------- reading


def get_case(session: Session, number: str, *, actor: Principal, for_update: bool = False) -> Case:
    """A case in the caller's scope by its number, else :class:`NotFound`."""
    stmt = select(Case).where(Case.number == number.strip().upper(), case_scope(actor))
    if for_update and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Case)
    case = session.scalars(stmt).first()
    if case is None:
        raise NotFound(f"no case {number}")
    return case


def timeline(session: Session, case: Case) -> list[CaseStep]:
    """The case's steps in order."""
    return list(session.scalars(select(CaseStep).where(CaseStep.case_id == case.id).order_by(CaseStep.seq)))


def reporter_phone_masked(settings: Settings, case: Case) -> str | None:
    """The reporter's phone, masked (never in clear outside a reveal)."""
    if case.reporter_phone_enc is None:
        return None
    return mask_mobile(settings.field_cipher().decrypt(case.reporter_phone_enc))


# ---------------------------------------------------------------- numbering


# ---------------------------------------------------------------- intake


def _clean_location(data: IntakeData) -> None:
    if (data.lon is None) != (data.lat is None):
        raise ValidationFailed("give both lon and lat, or neither", code="invalid_coordinates")
    if (
        data.lon is not None
        and data.lat is not None
        and (not (math.isfinite(data.lon) and math.isfinite(data.lat)) or abs(data.lon) > 180 or abs(data.lat) > 90)
    ):
        raise ValidationFailed("lon must be within ±180 and lat within ±90", code="invalid_coordinates")
    if data.lon is None and not data.address.strip():
        raise ValidationFailed("a case needs a location: lon and lat, or an address", code="location_required")


def _place(session: Session, case: Case) -> None:
    """Resolve the case's grid, sea grid and territorial unit from its point."""
    if case.lon is None or case.lat is None:
        case.where = "unknown"
        return
    loc = locator(session).locate(case.lon, case.lat)
    case.where = loc.where
    if loc.land_grid:
        grid = session.scalars(
            select(LandGrid).options(defer(LandGrid.geom_wkb)).where(LandGrid.code == loc.land_grid)
        ).one()
        case.grid = grid
        case.unit_id = grid.village_unit_id
        case.unit = grid.village
    elif loc.where == "sea":
        code = loc.sea_control or loc.sea_static or loc.sea_patrol
        sea = session.scalars(select(SeaGrid).options(defer(SeaGrid.geom_wkb)).where(SeaGrid.code == code)).first()
        if sea is not None:
            case.sea_grid = sea
            case.unit_id = sea.responsible_unit_id


def suggest_unit(session: Session, case: Case) -> int | None:
    """Route by the category's rule (属主/属地) over its department and the place's unit chain."""
    cat = case.category
    dept = cat.department
    department = UnitRef(dept.id, dept.code, str(dept.kind)) if dept is not None else None
    units = unit_chain(session, case.unit_id)
    chain = [UnitRef(u.id, u.code, str(u.kind)) for u in units]
    chosen = route(RoutingRule(cat.routing_rule), department=department, chain=chain).unit_id
    case.suggested_unit = next((u for u in [*units, dept] if u is not None and u.id == chosen), None)
    return chosen


def intake(session: Session, settings: Settings, data: IntakeData, *, actor: Principal, now: datetime) -> IntakeResult:
    """Store a report from any channel, place it, route it, check duplicates, and run the channel's automatic steps."""
    channel = Channel(data.channel)
    actor.require(Permission.CASE_REPORT if channel in PERSON_CHANNELS else Permission.CASE_INTAKE)
    description = data.description.strip()
    if not description:
        raise ValidationFailed("describe the matter", code="description_required")
    if len(description) > 4000:
        raise ValidationFailed("the description is limited to 4,000 characters", code="description_too_long")
    _clean_location(data)
    check_files(data.files, settings)
    category = category_by_code(session, data.category_code)
    priority = Priority(data.priority or category.default_priority)
    if data.severity is not None and data.severity not in ("minor", "general", "serious"):
        raise ValidationFailed("severity is minor, general or serious", code="bad_severity")
    phone = (data.reporter_phone or "").strip()
    if phone and not (phone.replace("-", "").replace("+", "").isdigit() and 5 <= len(phone) <= 20):
        raise ValidationFailed("the reporter's phone should be digits", code="bad_phone")
    if data.external_ref:
        taken = session.scalars(
            select(Case.number).where(Case.channel == channel.value, Case.external_ref == data.external_ref)
        ).first()
        if taken is not None:
            raise Conflict(f"{channel.value} order {data.external_ref} is already case {taken}", number=taken)
    cipher = settings.field_cipher()
    case = Case(
        number=next_number(session, settings, now),
        channel=channel.value,
        external_ref=data.external_ref or None,
        demand_type=data.demand_type,
        category_id=category.id,
        category=category,
        title=(data.title.strip() or f"{category.name}：{description[:40]}")[:120],
        description=description,
        lon=data.lon,
        lat=data.lat,
        address=data.address.strip()[:200],
        reporter_name="" if data.anonymous else data.reporter_name.strip()[:60],
        reporter_anonymous=data.anonymous,
        reporter_phone_enc=cipher.encrypt(phone) if phone and not data.anonymous else None,
        reporter_phone_bidx=cipher.blind_index(phone) if phone and not data.anonymous else None,
        reported_by_id=actor.user_id,
        priority=priority.value,
        severity=data.severity,
        status=CaseStatus.RECEIVED.value,
        is_open=True,
        attributes=dict(data.attributes),
        reported_at=data.reported_at or now,
        updated_at=now,
    )
    _place(session, case)
    if case.unit_id is None and actor.unit_id is not None and channel is Channel.GRID_WORKER:
        case.unit_id = actor.unit_id
    case.suggested_unit_id = suggest_unit(session, case)
    calendar = clocks.work_calendar(session, settings)
    clocks.start_clock(case, Step.REGISTER, now=now, calendar=calendar, settings=settings)
    session.add(case)
    session.flush()
    step = add_step(session, case, "report", None, CaseStatus.RECEIVED, actor, now, note=description[:200], seq=1)
    store_files(session, case, step.seq, data.files, now)
    dups = find_duplicates(session, case, now=now)
    record(  # late: the audit chain's lock is held from here to the commit
        session,
        actor=actor,
        action="case.report",
        now=now,
        object_type="case",
        object_id=case.number,
        details={"channel": channel.value, "category": category.code, "external_ref": data.external_ref},
    )
    events.publish(session, case_event("case.reported", case, actor, now))
    if channel in AUTO_REGISTER:
        transition(session, settings, case, Action.REGISTER, actor=SYSTEM, now=now, note="渠道已受理，自动立案")
    if channel is Channel.NONPOLICE:
        case.response_due_at = now + timedelta(minutes=settings.case_nonpolice_response_minutes)
    if channel in AUTO_DISPATCH and case.suggested_unit_id is not None:
        transition(session, settings, case, Action.DISPATCH, actor=SYSTEM, now=now, note="接报即分流")
    return IntakeResult(case, dups)


_ACTION_EVENT = {
    Action.REGISTER: "case.registered",
    Action.REJECT: "case.rejected",
    Action.DISPATCH: "case.dispatched",
    Action.REDISPATCH: "case.redispatched",
    Action.ACCEPT: "case.accepted",
    Action.RETURN: "case.returned",
    Action.START: "case.started",
    Action.HANDLE: "case.handled",
    Action.CHECK_PASS: "case.closed",
    Action.CHECK_FAIL: "case.sent_back",
    Action.CLOSE_UNFIXABLE: "case.closed",
    Action.MERGE: "case.merged",
    Action.SELF_HANDLE: "case.self_handled",
    Action.REVISIT: "case.revisited",
    Action.NOTE: "case.noted",
    Action.URGE: "case.urged",
    Action.SUPERVISE: "case.supervised",
    Action.ESCALATE: "case.escalated",
}


def _unit_path(session: Session, unit_id: int | None) -> str | None:
    if unit_id is None:
        return None
    unit = session.get(OrgUnit, unit_id)
    return unit.path if unit is not None else None


def _holds_case(session: Session, actor: Principal, case: Case) -> bool:
    """Whether the actor belongs to (or above, in scope) the unit the case is dispatched to."""
    if case.responsible_unit_id is None:
        return False
    if actor.visibility.everything:
        return True
    return actor.visibility.allows(
        unit_id=case.responsible_unit_id, unit_path=_unit_path(session, case.responsible_unit_id)
    )


def transition(
    session: Session,
    settings: Settings,
    case: Case | str,
    action: Action | str,
    *,
    actor: Principal,
    now: datetime,
    note: str = "",
    outcome: str | None = None,
    unit_code: str | None = None,
    assignee: str | None = None,
    master_number: str | None = None,
    files: Sequence[Upload] = (),
) -> Case:
    """Perform one action on a case: the only code that changes ``case.status``."""
    if isinstance(case, str):
        case = get_case(session, case, actor=actor, for_update=True)
    try:
        action = Action(action)
    except ValueError:
        raise ValidationFailed(f"unknown action {action!r}", code="unknown_action") from None
    status = CaseStatus(case.status)
    try:
        row = plan(status, action, outcome=outcome, reason=note)
    except TransitionRefused as exc:
        if exc.code == "reason_required":
            raise ValidationFailed(str(exc), code=exc.code) from None
        raise Conflict(str(exc), code=exc.code, status=status.value) from None
    actor.require(DUTY_PERMISSION[row.duty])
    if row.duty is Duty.HANDLE and not _holds_case(session, actor, case):
        raise Forbidden("this case is not dispatched to your unit", code="not_your_case")
    check_files(files, settings)
    calendar = clocks.work_calendar(session, settings)
    old_step = case.clock_step
    target = row.target or status
    unit_id: int | None = None
    extra: dict[str, Any] = {}

    if action in (Action.DISPATCH, Action.REDISPATCH):
        unit_id = _dispatch_target(session, case, unit_code)
        if action is Action.REDISPATCH and status is CaseStatus.DISPATCHED and unit_id == case.responsible_unit_id:
            raise Conflict("the case is already dispatched to that unit", code="same_unit")
        case.responsible_unit_id = unit_id
        case.assignee_id = _assignee(session, assignee, unit_id)
        if case.dispatched_at is None:
            case.dispatched_at = now
            case.handle_due_at = calendar.add(
                now, clocks.limit_for(case.category, Step.HANDLE, case.severity, settings)
            )
        extra["unit"] = _unit_code(session, unit_id)
    elif action is Action.RETURN:
        extra["unit"] = _unit_code(session, case.responsible_unit_id)
        unit_id = case.responsible_unit_id
        case.decline_count += 1
        case.responsible_unit_id = None
        case.assignee_id = None
    elif action is Action.ACCEPT:
        if case.accepted_at is None:
            case.accepted_at = now
            case.accepted_on_time = case.step_due_at is None or now <= case.step_due_at
        case.assignee_id = actor.user_id or case.assignee_id
    elif action is Action.HANDLE:
        case.handled_at = now
    elif action is Action.CHECK_FAIL:
        case.redo_count += 1
        case.sub_status = "返工"
    elif action in (Action.CHECK_PASS, Action.CLOSE_UNFIXABLE):
        case.closed_at = now
        case.closed_on_time = _closed_on_time(case, now, calendar, settings)
        case.sub_status = ""
    elif action is Action.SELF_HANDLE:
        if not case.category.self_handle:
            raise Forbidden(f"{case.category.name} may not be self-handled", code="self_handle_not_allowed")
        if case.severity == "serious":
            raise Forbidden("serious matters may not be self-handled", code="self_handle_not_allowed")
        if actor.user_id is None or case.reported_by_id != actor.user_id:
            raise Forbidden("only the reporting grid worker may self-handle a case", code="self_handle_not_allowed")
        has_photo = any(f.content_type.startswith("image/") for f in files)
        if not has_photo:
            raise ValidationFailed("self-handling needs a photo as evidence", code="evidence_required")
        case.registered_at = case.dispatched_at = case.accepted_at = case.handled_at = case.closed_at = now
        case.responsible_unit_id = case.unit_id
        case.closed_on_time = True
        case.accepted_on_time = True
        case.sub_status = "自行处置"
    elif action is Action.MERGE:
        master = _merge_master(session, case, master_number, actor=actor)
        case.master_id = master.id
        case.closed_at = now
        extra["master"] = master.number
        _note_on(session, master, actor, now, f"并入重复件 {case.number}", {"duplicate": case.number})
    elif action is Action.REVISIT:
        case.satisfaction = Satisfaction(outcome).value
        case.revisited_at = now
        if outcome == Satisfaction.UNSATISFIED:
            case.redo_count += 1
            case.sub_status = "发回重办"
            case.closed_at = None
            case.closed_on_time = None
            case.satisfaction = Satisfaction.UNSATISFIED.value
    elif action is Action.REGISTER:
        case.registered_at = now
    elif action is Action.REJECT:
        case.closed_at = now  # 不予立案 ends the case (Open311 shows it closed at this time)
    elif action is Action.NOTE and case.master_id is not None:
        master = session.get(Case, case.master_id)
        if master is not None:
            forwarded = f"（来自重复件 {case.number}）{note}"
            _note_on(session, master, actor, now, forwarded, {"forwarded_from": case.number})
    if row.duty is Duty.HANDLE and case.first_response_at is None and action is not Action.RETURN:
        case.first_response_at = now

    # clocks: a new step (or a new round of the same step) starts a new clock
    new_step = CLOCK_OF.get(target)
    restart = action in (Action.REDISPATCH, Action.CHECK_FAIL, Action.REVISIT, Action.DISPATCH)
    ended: tuple[str, float, datetime | None, bool | None] | None = None
    if old_step is not None and (new_step is None or new_step.value != old_step or restart) and row.target:
        started = case.step_started_at or now
        ended = (
            old_step,
            (now - started).total_seconds(),
            case.step_due_at,
            now <= case.step_due_at if case.step_due_at else None,
        )
        if ended[3] is False:
            case.is_overdue = True
    case.status = target.value
    case.is_open = target in OPEN_STATUSES
    if row.target is not None:
        if new_step is None:
            clocks.stop_clock(case)
        elif new_step.value != old_step or restart:
            clocks.start_clock(case, new_step, now=now, calendar=calendar, settings=settings)
    case.updated_at = now
    step = add_step(
        session,
        case,
        action.value,
        status,
        target,
        actor,
        now,
        note=note.strip(),
        unit_id=unit_id,
        data={**extra, **({"outcome": outcome} if outcome else {})},
        clock=ended,
    )
    store_files(session, case, step.seq, files, now)
    record(
        session,
        actor=actor,
        action=f"case.{action.value}",
        now=now,
        object_type="case",
        object_id=case.number,
        details={"from": status.value, "to": target.value, **extra, **({"outcome": outcome} if outcome else {})},
    )
    events.publish(session, case_event(_ACTION_EVENT[action], case, actor, now, action=action.value, **extra))
    notify_after(session, settings, case, action, now)
    maybe_level_up(session, settings, case, actor=actor, now=now)
    return case


def _note_on(session: Session, case: Case, actor: Principal, now: datetime, note: str, data: dict[str, Any]) -> None:
    """A note on another case's timeline (the master of a merge), leaving its status alone."""
    status = CaseStatus(case.status)
    add_step(session, case, Action.NOTE.value, status, status, actor, now, note=note, data=data)


def _unit_code(session: Session, unit_id: int | None) -> str | None:
    unit = session.get(OrgUnit, unit_id) if unit_id is not None else None
    return unit.code if unit is not None else None


def _dispatch_target(session: Session, case: Case, unit_code: str | None) -> int:
    if unit_code:
        unit = session.scalars(select(OrgUnit).where(OrgUnit.code == unit_code.strip())).first()
        if unit is None or not unit.is_active:
            raise ValidationFailed(f"no active unit {unit_code!r}", code="unknown_unit")
        return unit.id
    if case.suggested_unit_id is None:
        raise ValidationFailed("no unit could be routed for this case; choose one", code="unit_required")
    return case.suggested_unit_id


def _assignee(session: Session, username: str | None, unit_id: int) -> int | None:
    if not username:
        return None
    user = session.scalars(select(User).where(User.username == username.strip().lower())).first()
    if user is None or not user.is_active:
        raise ValidationFailed(f"no active account {username!r}", code="unknown_user")
    path = _unit_path(session, unit_id) or ""
    own = _unit_path(session, user.unit_id) or ""
    if not own.startswith(path):
        raise ValidationFailed(f"{username} is not in the unit the case is dispatched to", code="assignee_outside_unit")
    return user.id


def _merge_master(session: Session, case: Case, master_number: str | None, *, actor: Principal) -> Case:
    if not master_number:
        raise ValidationFailed("name the master case to merge into", code="master_required")
    master = get_case(session, master_number, actor=actor)
    while master.master_id is not None:  # merge into the root of a chain
        parent = session.get(Case, master.master_id)
        if parent is None:
            break
        master = parent
    if master.id == case.id:
        raise ValidationFailed("a case cannot be merged into itself", code="merge_self")
    if not master.is_open and master.status not in (CaseStatus.CLOSED_FIXED, CaseStatus.CLOSED_UNFIXABLE):
        raise Conflict(f"{master.number} is {master.status}; merge into an open case", code="master_closed")
    return master


def _closed_on_time(case: Case, now: datetime, calendar: Any, settings: Settings) -> bool:
    if case.handle_due_at is None:
        return True
    check = clocks.limit_for(case.category, Step.CHECK, case.severity, settings)
    return bool(now <= calendar.add(case.handle_due_at, check))
