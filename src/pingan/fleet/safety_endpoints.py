"""HTTP API of fleet safety: checklists, inspections, rectification tasks, star ratings, dynamic reports,
manual reporting mode, alerts, closed seasons and watch duty (all under ``/api/fleet``).

Thin: shapes in, services called with ``utcnow()``, shapes out. Vessel records outside the caller's data scope
answer 404.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.deps import AppSettings, CurrentPrincipal, DbSession, require
from pingan.errors import NotFound
from pingan.fleet import duty, inspections, reports
from pingan.fleet.checklists import CATEGORY_LABELS_ZH, checklist_for, checklist_name
from pingan.fleet.models import (
    AlertStatus,
    InspectionResult,
    OperationType,
    RatingStatus,
    RectificationTask,
    ReportKind,
    TaskStatus,
)
from pingan.kit.clock import utcnow

router = APIRouter(prefix="/api/fleet", tags=["fleet safety"])

Reader = Annotated[Principal, Depends(require(Permission.FLEET_READ))]
Inspector = Annotated[Principal, Depends(require(Permission.FLEET_INSPECT))]
Reporter = Annotated[Principal, Depends(require(Permission.FLEET_REPORT))]
AlertReader = Annotated[Principal, Depends(require(Permission.ALERT_READ))]
DutyWriter = Annotated[Principal, Depends(require(Permission.DUTY_WRITE))]
Confirmer = Annotated[Principal, Depends(require(Permission.RATING_CONFIRM))]
FleetWriter = Annotated[Principal, Depends(require(Permission.FLEET_WRITE))]
_ORM = ConfigDict(from_attributes=True)


# ---------------------------------------------------------------- shapes


class ChecklistItemOut(BaseModel):
    """One checklist item."""

    code: str
    label: str
    category: str
    category_label: str
    rectify_days: int
    critical: bool


class ChecklistOut(BaseModel):
    """The checklist of an operation type."""

    operation_type: OperationType
    name: str
    items: list[ChecklistItemOut]


class InspectionItemIn(BaseModel):
    """The answer to one checklist item."""

    code: str = Field(min_length=1, max_length=40)
    ok: bool
    note: str = Field(default="", max_length=500)


class InspectionIn(BaseModel):
    """An inspection: one answer per item of the vessel's checklist."""

    items: list[InspectionItemIn] = Field(max_length=100)
    notes: str = Field(default="", max_length=2000)


class InspectionOut(BaseModel):
    """A recorded inspection."""

    model_config = _ORM
    id: int
    vessel_id: int
    inspected_at: datetime
    inspector_id: int | None
    checklist: str
    items: list[dict[str, object]]
    result: InspectionResult
    notes: str


class TaskOut(BaseModel):
    """A rectification task, with whether it is overdue today and whether a case was requested."""

    id: int
    inspection_id: int
    vessel_id: int
    item_code: str
    description: str
    deadline: date
    status: TaskStatus
    closed_at: datetime | None
    closing_note: str
    case_number: str | None
    overdue: bool
    escalated: bool

    @classmethod
    def of(cls, task: RectificationTask, today: date) -> TaskOut:
        """The shape of a task as of ``today`` (a local day)."""
        return cls(
            id=task.id,
            inspection_id=task.inspection_id,
            vessel_id=task.vessel_id,
            item_code=task.item_code,
            description=task.description,
            deadline=task.deadline,
            status=task.status,
            closed_at=task.closed_at,
            closing_note=task.closing_note,
            case_number=task.case_number,
            overdue=inspections.is_overdue(task, today),
            escalated=inspections.is_escalated(task),
        )


class RatingOut(BaseModel):
    """A star rating with its factors."""

    model_config = _ORM
    id: int
    vessel_id: int
    stars: int
    score: float
    factors: list[dict[str, object]]
    rules_version: str
    status: RatingStatus
    computed_at: datetime
    decided_by_id: int | None
    decided_at: datetime | None


class InspectionOutcomeOut(BaseModel):
    """An inspection, the tasks it opened and the rating computed after it."""

    inspection: InspectionOut
    tasks: list[TaskOut]
    rating: RatingOut


class CloseTaskIn(BaseModel):
    """What was put right."""

    note: str = Field(min_length=1, max_length=2000)


class CloseTaskOut(BaseModel):
    """The closed task and the rating computed after it."""

    task: TaskOut
    rating: RatingOut


class EscalateIn(BaseModel):
    """Why the task needs a case on the hub."""

    reason: str = Field(min_length=2, max_length=500)


class ConfirmIn(BaseModel):
    """Publish (true) or reject (false) a pending downgrade."""

    approve: bool


class ReportIn(BaseModel):
    """A dynamic report: departure (crew, destination, expected return), return, or position/status."""

    kind: ReportKind
    crew_on_board: int | None = Field(default=None, ge=0, le=500)
    destination: str | None = Field(default=None, max_length=100)
    expected_return_at: AwareDatetime | None = None
    lon: float | None = None
    lat: float | None = None
    status_note: str = Field(default="", max_length=1000)
    source: str = Field(default="api", pattern="^(api|form)$")


class ReportOut(BaseModel):
    """A stored dynamic report."""

    model_config = _ORM
    id: int
    vessel_id: int
    kind: ReportKind
    reported_at: datetime
    crew_on_board: int | None
    destination: str | None
    expected_return_at: datetime | None
    lon: float | None
    lat: float | None
    status_note: str
    source: str


class ManualModeIn(BaseModel):
    """Start manual reporting: the interval between reports (UnionVMS: 65 minutes) and why."""

    interval_minutes: int = Field(default=reports.DEFAULT_MANUAL_INTERVAL_MINUTES, ge=5, le=1440)
    reason: str = Field(default="", max_length=200)


class ManualModeOut(BaseModel):
    """A manual reporting period of a vessel."""

    model_config = _ORM
    id: int
    vessel_id: int
    interval_minutes: int
    started_at: datetime
    ended_at: datetime | None
    reason: str


class AlertOut(BaseModel):
    """An alert addressed to a vessel's cadre."""

    model_config = _ORM
    id: int
    kind: str
    vessel_id: int | None
    unit_id: int | None
    cadre_id: int | None
    raised_at: datetime
    status: AlertStatus
    severity: int
    message: str
    details: dict[str, object]
    closed_at: datetime | None


class AlertCloseIn(BaseModel):
    """What was done about the alert."""

    note: str = Field(default="", max_length=500)


class SeasonOut(BaseModel):
    """One gear's closed season; ``stored`` is false for built-in defaults not yet stored."""

    year: int
    operation_type: str
    closed_from: date
    closed_until: date
    note: str
    stored: bool


class SeasonIn(BaseModel):
    """A closed season (both days inclusive, local)."""

    closed_from: date
    closed_until: date
    note: str = Field(default="", max_length=200)


class VesselBrief(BaseModel):
    """A vessel in a list."""

    model_config = _ORM
    id: int
    registration_no: str
    name: str
    operation_type: OperationType
    home_unit_id: int


class ShiftIn(BaseModel):
    """A watch-duty shift of a unit."""

    unit_id: int
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    officer_name: str = Field(min_length=1, max_length=40)
    officer_user_id: int | None = None
    deputy_name: str = Field(default="", max_length=40)
    deputy_user_id: int | None = None
    handover_note: str = Field(default="", max_length=4000)


class ShiftOut(BaseModel):
    """A stored shift."""

    model_config = _ORM
    id: int
    unit_id: int
    starts_at: datetime
    ends_at: datetime
    officer_name: str
    officer_user_id: int | None
    deputy_name: str
    deputy_user_id: int | None
    handover_note: str


class OnDutyOut(BaseModel):
    """Who is on duty for a unit; ``fallback`` when the shift is a unit's above it."""

    asked_unit_id: int
    unit_id: int
    unit_name: str
    fallback: bool
    shift: ShiftOut


class LogIn(BaseModel):
    """A duty-log entry."""

    text: str = Field(min_length=1, max_length=4000)


class LogOut(BaseModel):
    """A stored duty-log entry."""

    model_config = _ORM
    id: int
    shift_id: int
    at: datetime
    author_id: int | None
    text: str


class HandoverIn(BaseModel):
    """The handover note for the next shift."""

    note: str = Field(max_length=4000)


# ---------------------------------------------------------------- checklists, inspections, tasks, ratings


@router.get("/checklists/{operation_type}", response_model=ChecklistOut, summary="The checklist of a gear")
def get_checklist(operation_type: OperationType, principal: Reader) -> ChecklistOut:
    items = [
        ChecklistItemOut(
            code=i.code,
            label=i.label,
            category=i.category,
            category_label=CATEGORY_LABELS_ZH[i.category],
            rectify_days=i.rectify_days,
            critical=i.critical,
        )
        for i in checklist_for(operation_type.value)
    ]
    return ChecklistOut(operation_type=operation_type, name=checklist_name(operation_type.value), items=items)


@router.post(
    "/vessels/{vessel_id}/inspections",
    response_model=InspectionOutcomeOut,
    status_code=201,
    summary="Record an inspection; failed items become rectification tasks; the rating is recomputed",
)
def record_inspection(vessel_id: int, body: InspectionIn, db: DbSession, principal: Inspector) -> InspectionOutcomeOut:
    now = utcnow()
    outcome = inspections.record_inspection(
        db, vessel_id, [i.model_dump() for i in body.items], notes=body.notes, actor=principal, now=now
    )
    today = inspections.local_day(now)
    return InspectionOutcomeOut(
        inspection=InspectionOut.model_validate(outcome.inspection),
        tasks=[TaskOut.of(t, today) for t in outcome.tasks],
        rating=RatingOut.model_validate(outcome.rating),
    )


@router.get("/vessels/{vessel_id}/inspections", response_model=list[InspectionOut], summary="A vessel's inspections")
def list_inspections(vessel_id: int, db: DbSession, principal: Reader) -> list[InspectionOut]:
    return [InspectionOut.model_validate(i) for i in inspections.list_inspections(db, vessel_id, actor=principal)]


@router.get("/rectifications", response_model=list[TaskOut], summary="Rectification tasks in the scope by deadline")
def list_rectifications(
    db: DbSession,
    principal: Reader,
    status: TaskStatus | None = TaskStatus.OPEN,
    overdue: Annotated[bool, Query(description="only open tasks past their deadline")] = False,
    vessel_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[TaskOut]:
    now = utcnow()
    found = inspections.list_tasks(
        db,
        actor=principal,
        now=now,
        status=status,
        overdue_only=overdue,
        vessel_id=vessel_id,
        limit=limit,
        offset=offset,
    )
    today = inspections.local_day(now)
    return [TaskOut.of(t, today) for t in found]


@router.post(
    "/rectifications/{task_id}/close", response_model=CloseTaskOut, summary="Close a task; the rating is recomputed"
)
def close_rectification(task_id: int, body: CloseTaskIn, db: DbSession, principal: Inspector) -> CloseTaskOut:
    now = utcnow()
    task, rating = inspections.close_task(db, task_id, note=body.note, actor=principal, now=now)
    return CloseTaskOut(task=TaskOut.of(task, inspections.local_day(now)), rating=RatingOut.model_validate(rating))


@router.post(
    "/rectifications/{task_id}/escalate",
    response_model=TaskOut,
    summary="Open a case on the hub for the task (its number is kept as case_number)",
)
def escalate_rectification(
    task_id: int, body: EscalateIn, db: DbSession, principal: Inspector, settings: AppSettings
) -> TaskOut:
    now = utcnow()
    task = inspections.escalate_task(db, task_id, reason=body.reason, actor=principal, now=now, settings=settings)
    return TaskOut.of(task, inspections.local_day(now))


@router.get("/vessels/{vessel_id}/ratings", response_model=list[RatingOut], summary="A vessel's ratings, newest first")
def list_ratings(vessel_id: int, db: DbSession, principal: Reader) -> list[RatingOut]:
    return [RatingOut.model_validate(r) for r in inspections.list_ratings(db, vessel_id, actor=principal)]


@router.post(
    "/vessels/{vessel_id}/ratings",
    response_model=RatingOut,
    status_code=201,
    summary="Recompute the rating (a downgrade waits for confirmation)",
)
def recompute_rating(vessel_id: int, db: DbSession, principal: Inspector) -> RatingOut:
    return RatingOut.model_validate(inspections.recompute_rating(db, vessel_id, actor=principal, now=utcnow()))


@router.get("/ratings/pending", response_model=list[RatingOut], summary="Downgrades waiting for confirmation")
def pending_ratings(
    db: DbSession,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[RatingOut]:
    found = inspections.pending_ratings(db, actor=principal, limit=limit, offset=offset)
    return [RatingOut.model_validate(r) for r in found]


@router.post("/ratings/{rating_id}/confirm", response_model=RatingOut, summary="Publish or reject a downgrade")
def confirm_rating(rating_id: int, body: ConfirmIn, db: DbSession, principal: Confirmer) -> RatingOut:
    rating = inspections.confirm_rating(db, rating_id, approve=body.approve, actor=principal, now=utcnow())
    return RatingOut.model_validate(rating)


# ---------------------------------------------------------------- dynamic reports and manual mode


@router.post("/vessels/{vessel_id}/reports", response_model=ReportOut, status_code=201, summary="File a report")
def submit_report(vessel_id: int, body: ReportIn, db: DbSession, principal: Reporter) -> ReportOut:
    report = reports.submit_report(db, vessel_id, **body.model_dump(), actor=principal, now=utcnow())
    return ReportOut.model_validate(report)


@router.get("/vessels/{vessel_id}/reports", response_model=list[ReportOut], summary="A vessel's reports")
def list_reports(
    vessel_id: int, db: DbSession, principal: Reader, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[ReportOut]:
    return [ReportOut.model_validate(r) for r in reports.list_reports(db, vessel_id, actor=principal, limit=limit)]


@router.get(
    "/vessels/{vessel_id}/manual-mode",
    response_model=ManualModeOut | None,
    summary="The vessel's open manual reporting mode (null when none)",
)
def get_manual_mode(vessel_id: int, db: DbSession, principal: Reader) -> ManualModeOut | None:
    vessel = inspections.get_visible_vessel(db, vessel_id, actor=principal)
    mode = reports.open_manual_mode(db, vessel.id)
    return None if mode is None else ManualModeOut.model_validate(mode)


@router.post(
    "/vessels/{vessel_id}/manual-mode", response_model=ManualModeOut, status_code=201, summary="Start manual reporting"
)
def start_manual_mode(vessel_id: int, body: ManualModeIn, db: DbSession, principal: Reporter) -> ManualModeOut:
    mode = reports.start_manual_mode(
        db, vessel_id, interval_minutes=body.interval_minutes, reason=body.reason, actor=principal, now=utcnow()
    )
    return ManualModeOut.model_validate(mode)


@router.delete("/vessels/{vessel_id}/manual-mode", response_model=ManualModeOut, summary="End manual reporting")
def stop_manual_mode(vessel_id: int, db: DbSession, principal: Reporter) -> ManualModeOut:
    return ManualModeOut.model_validate(reports.stop_manual_mode(db, vessel_id, actor=principal, now=utcnow()))


# ---------------------------------------------------------------- alerts


@router.get("/alerts", response_model=list[AlertOut], summary="Alerts of units in the scope, newest first")
def list_alerts(
    db: DbSession,
    principal: AlertReader,
    status: AlertStatus | None = None,
    kind: Annotated[str | None, Query(max_length=30)] = None,
    vessel_id: int | None = None,
    mine: Annotated[bool, Query(description="only alerts addressed to my cadre record")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[AlertOut]:
    found = reports.list_alerts(
        db, actor=principal, status=status, kind=kind, vessel_id=vessel_id, mine=mine, limit=limit, offset=offset
    )
    return [AlertOut.model_validate(a) for a in found]


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertOut, summary="Acknowledge an alert (签收)")
def acknowledge_alert(alert_id: int, db: DbSession, principal: AlertReader) -> AlertOut:
    return AlertOut.model_validate(reports.acknowledge_alert(db, alert_id, actor=principal, now=utcnow()))


@router.post("/alerts/{alert_id}/close", response_model=AlertOut, summary="Close an alert")
def close_alert(alert_id: int, body: AlertCloseIn, db: DbSession, principal: AlertReader) -> AlertOut:
    return AlertOut.model_validate(reports.close_alert(db, alert_id, note=body.note, actor=principal, now=utcnow()))


# ---------------------------------------------------------------- closed seasons


@router.get("/seasons", response_model=list[SeasonOut], summary="Closed seasons (伏季休渔) of a year by gear")
def list_seasons(
    db: DbSession, principal: Reader, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
) -> list[SeasonOut]:
    year = year or inspections.local_day(utcnow()).year
    seasons, stored = reports.seasons_in_force(db, year)
    return [SeasonOut(**{**s.__dict__, "stored": stored}) for s in seasons]


@router.put(
    "/seasons/{year}/{operation_type}", response_model=SeasonOut, summary="Set one gear's closed season of a year"
)
def set_season(
    year: Annotated[int, Path(ge=2000, le=2100)],
    operation_type: OperationType,
    body: SeasonIn,
    db: DbSession,
    principal: FleetWriter,
) -> SeasonOut:
    row = reports.set_season(
        db,
        year=year,
        operation_type=operation_type.value,
        closed_from=body.closed_from,
        closed_until=body.closed_until,
        note=body.note,
        actor=principal,
        now=utcnow(),
    )
    return SeasonOut(
        year=row.year,
        operation_type=str(row.operation_type),
        closed_from=row.closed_from,
        closed_until=row.closed_until,
        note=row.note,
        stored=True,
    )


@router.get("/seasons/in-port", response_model=list[VesselBrief], summary="Vessels that should be in port on a day")
def vessels_in_port(
    db: DbSession,
    principal: Reader,
    day: date | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[VesselBrief]:
    day = day or inspections.local_day(utcnow())
    found = reports.vessels_that_should_be_in_port(db, day, actor=principal, limit=limit, offset=offset)
    return [VesselBrief.model_validate(v) for v in found]


# ---------------------------------------------------------------- watch duty


@router.post("/duty/shifts", response_model=ShiftOut, status_code=201, summary="Add a shift to a unit's roster")
def create_shift(body: ShiftIn, db: DbSession, principal: DutyWriter) -> ShiftOut:
    shift = duty.create_shift(db, **body.model_dump(), actor=principal, now=utcnow())
    return ShiftOut.model_validate(shift)


@router.get("/duty/roster", response_model=list[ShiftOut], summary="A unit's shifts in a window (default 7 days)")
def list_roster(
    db: DbSession,
    principal: CurrentPrincipal,
    unit_id: int,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
) -> list[ShiftOut]:
    start = start or utcnow()
    end = end or start + timedelta(days=7)
    return [ShiftOut.model_validate(s) for s in duty.list_roster(db, unit_id, actor=principal, start=start, end=end)]


@router.get("/duty/now", response_model=OnDutyOut, summary="Who is on duty for a unit now (or the nearest above)")
def on_duty_now(db: DbSession, principal: CurrentPrincipal, unit_id: int) -> OnDutyOut:
    found = duty.who_is_on_duty(db, unit_id, actor=principal, now=utcnow())
    if found is None:
        raise NotFound(f"nobody is on duty for unit {unit_id} or any unit above it", code="nobody_on_duty")
    return OnDutyOut(
        asked_unit_id=found.asked_unit_id,
        unit_id=found.unit.id,
        unit_name=found.unit.name,
        fallback=found.fallback,
        shift=ShiftOut.model_validate(found.shift),
    )


@router.get("/duty/shifts/{shift_id}/log", response_model=list[LogOut], summary="A shift's duty log")
def list_log(shift_id: int, db: DbSession, principal: CurrentPrincipal) -> list[LogOut]:
    return [LogOut.model_validate(e) for e in duty.list_log(db, shift_id, actor=principal)]


@router.post("/duty/shifts/{shift_id}/log", response_model=LogOut, status_code=201, summary="Add a duty-log entry")
def add_log_entry(shift_id: int, body: LogIn, db: DbSession, principal: DutyWriter) -> LogOut:
    return LogOut.model_validate(duty.add_log_entry(db, shift_id, body.text, actor=principal, now=utcnow()))


@router.put("/duty/shifts/{shift_id}/handover", response_model=ShiftOut, summary="Write a shift's handover note")
def set_handover(shift_id: int, body: HandoverIn, db: DbSession, principal: DutyWriter) -> ShiftOut:
    return ShiftOut.model_validate(duty.set_handover_note(db, shift_id, body.note, actor=principal, now=utcnow()))
