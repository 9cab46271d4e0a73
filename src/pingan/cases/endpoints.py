"""HTTP API of the case hub under ``/api/cases``: every channel's intake, actions, queues, files and the inbox."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.auth.models import User
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.cases import service
from pingan.cases.models import Case, CaseFile, CaseStep, InboxMessage
from pingan.cases.repository import QUEUE_LABELS_ZH, Queue, case_scope, cases_query, queue_filter
from pingan.cases.schemas import (
    ActionIn,
    AlertIn,
    CaseDetailOut,
    CaseIn,
    CaseListOut,
    CaseOut,
    DuplicateOut,
    HotlineOrderIn,
    ImportOut,
    InboxOut,
    IntakeOut,
    NonPoliceIn,
    SensorEventIn,
    StepOut,
)
from pingan.cases.service import Duplicate, IntakeData, IntakeResult, Upload
from pingan.cases.workflow import ACTION_LABELS_ZH, STATUS_LABELS_ZH, Action, CaseStatus, Channel, allowed_actions
from pingan.config import Settings
from pingan.deps import AppSettings, DbSession, require
from pingan.errors import NotFound, ValidationFailed
from pingan.kit.clock import utcnow
from pingan.kit.masking import mask_name
from pingan.org.models import OrgUnit

router = APIRouter(prefix="/api/cases", tags=["cases"])
inbox_router = APIRouter(prefix="/api/inbox", tags=["cases"])

Reader = Annotated[Principal, Depends(require(Permission.CASE_READ))]
Reporter = Annotated[Principal, Depends(require(Permission.CASE_REPORT))]
Intake = Annotated[Principal, Depends(require(Permission.CASE_INTAKE))]


# ---------------------------------------------------------------- rendering


def _code(session: Session, model: Any, row_id: int | None) -> str | None:
    if row_id is None:
        return None
    row = session.get(model, row_id)
    return getattr(row, "code", None) if row is not None else None


def case_out(session: Session, settings: Settings, case: Case) -> CaseOut:
    """The API view of a case."""
    unit = case.responsible_unit
    assignee = session.get(User, case.assignee_id) if case.assignee_id else None
    master = session.get(Case, case.master_id) if case.master_id else None
    status = CaseStatus(case.status)
    return CaseOut(
        number=case.number,
        channel=case.channel,
        external_ref=case.external_ref,
        demand_type=case.demand_type,
        category_code=case.category.code,
        category_name=case.category.name,
        title=case.title,
        description=case.description,
        lon=case.lon,
        lat=case.lat,
        address=case.address,
        where=case.where,
        grid_code=case.grid.code if case.grid is not None else None,
        sea_grid_code=case.sea_grid.code if case.sea_grid is not None else None,
        unit_code=case.unit.code if case.unit is not None else None,
        reporter_name=mask_name(case.reporter_name),
        reporter_anonymous=case.reporter_anonymous,
        reporter_phone=service.reporter_phone_masked(settings, case),
        priority=case.priority,
        severity=case.severity,
        status=case.status,
        status_label=STATUS_LABELS_ZH[status],
        sub_status=case.sub_status,
        is_open=case.is_open,
        responsible_unit=unit.code if unit is not None else None,
        responsible_unit_name=unit.name if unit is not None else None,
        suggested_unit=case.suggested_unit.code if case.suggested_unit is not None else None,
        assignee=assignee.username if assignee is not None else None,
        master_number=master.number if master is not None else None,
        redo_count=case.redo_count,
        decline_count=case.decline_count,
        escalation_level=case.escalation_level,
        is_overdue=case.is_overdue,
        satisfaction=case.satisfaction,
        clock_step=case.clock_step,
        step_due_at=case.step_due_at,
        step_warn_at=case.step_warn_at,
        handle_due_at=case.handle_due_at,
        response_due_at=case.response_due_at,
        first_response_at=case.first_response_at,
        reported_at=case.reported_at,
        registered_at=case.registered_at,
        dispatched_at=case.dispatched_at,
        accepted_at=case.accepted_at,
        handled_at=case.handled_at,
        closed_at=case.closed_at,
        revisited_at=case.revisited_at,
        attributes=case.attributes or {},
        allowed_actions=[a.value for a in allowed_actions(status)],
    )


def step_out(session: Session, step: CaseStep, files: dict[int, list[int]]) -> StepOut:
    """The API view of a timeline entry."""
    try:
        label = ACTION_LABELS_ZH[Action(step.action)]
    except ValueError:
        label = {"report": "上报", "warn": "即将超期预警"}.get(step.action, step.action)
    return StepOut(
        seq=step.seq,
        action=step.action,
        action_label=label,
        from_status=step.from_status,
        to_status=step.to_status,
        actor=step.actor_label,
        unit=_code(session, OrgUnit, step.unit_id),
        at=step.at,
        note=step.note,
        data=step.data or {},
        step=step.step,
        step_seconds=step.step_seconds,
        due_at=step.due_at,
        met=step.met,
        files=files.get(step.seq, []),
    )


def detail_out(session: Session, settings: Settings, case: Case) -> CaseDetailOut:
    """A case with its timeline, files and duplicates."""
    files = service.files_of(session, case)
    by_step: dict[int, list[int]] = {}
    for f in files:
        by_step.setdefault(f.step_seq, []).append(f.id)
    base = case_out(session, settings, case)
    return CaseDetailOut(
        **base.model_dump(),
        timeline=[step_out(session, s, by_step) for s in service.timeline(session, case)],
        files=[
            {"id": f.id, "filename": f.filename, "content_type": f.content_type, "size": f.size, "step": f.step_seq}
            for f in files
        ],
        duplicates=[d.number for d in service.duplicates_of(session, case)],
    )


def duplicate_out(d: Duplicate) -> DuplicateOut:
    """The API view of a duplicate candidate."""
    return DuplicateOut(
        number=d.case.number,
        title=d.case.title,
        status=d.case.status,
        distance_m=d.distance_m,
        similarity=d.similarity,
        score=d.score,
        reported_at=d.case.reported_at,
    )


def intake_out(session: Session, settings: Settings, result: IntakeResult) -> IntakeOut:
    """The answer to a report."""
    return IntakeOut(
        case=case_out(session, settings, result.case),
        duplicates=[duplicate_out(d) for d in result.duplicates],
    )


async def uploads(files: list[UploadFile] | None) -> list[Upload]:
    """Read uploaded files (the size limit is enforced by the service)."""
    out = []
    for f in files or []:
        if not f.filename:
            continue
        out.append(Upload(f.filename, f.content_type or "application/octet-stream", await f.read()))
    return out


# ---------------------------------------------------------------- intake


@router.post("", status_code=201, response_model=IntakeOut, summary="Report a case (JSON)")
def report(body: CaseIn, session: DbSession, settings: AppSettings, actor: Reporter) -> IntakeOut:
    """Any channel a person reports through; machine channels have their own endpoints below."""
    data = IntakeData(**body.model_dump())
    result = service.intake(session, settings, data, actor=actor, now=utcnow())
    return intake_out(session, settings, result)


@router.post("/form", status_code=201, response_model=IntakeOut, summary="Report a case with photos (multipart)")
async def report_form(
    session: DbSession,
    settings: AppSettings,
    actor: Reporter,
    category_code: Annotated[str, Form()],
    description: Annotated[str, Form()],
    channel: Annotated[Channel, Form()] = Channel.GRID_WORKER,
    lon: Annotated[float | None, Form()] = None,
    lat: Annotated[float | None, Form()] = None,
    address: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    severity: Annotated[str | None, Form()] = None,
    reporter_name: Annotated[str, Form()] = "",
    reporter_phone: Annotated[str | None, Form()] = None,
    anonymous: Annotated[bool, Form()] = False,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> IntakeOut:
    """The mobile grid-worker form posts here: photo, GPS pin, category."""
    data = IntakeData(
        channel=channel,
        category_code=category_code,
        description=description,
        title=title,
        lon=lon,
        lat=lat,
        address=address,
        severity=severity or None,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone or None,
        anonymous=anonymous,
        files=await uploads(photos),
    )
    result = service.intake(session, settings, data, actor=actor, now=utcnow())
    return intake_out(session, settings, result)


@router.post("/hotline", status_code=201, response_model=IntakeOut, summary="Receive a 12345 work order")
def hotline_order(body: HotlineOrderIn, session: DbSession, settings: AppSettings, actor: Intake) -> IntakeOut:
    """A 12345 order keeps its order number; the same order twice answers 409 with the existing case."""
    result = service.intake(session, settings, hotline_data(body), actor=actor, now=utcnow())
    return intake_out(session, settings, result)


def hotline_data(body: HotlineOrderIn) -> IntakeData:
    """A hotline order as intake data."""
    from pingan.cases.catalog import DemandType

    try:
        demand = DemandType(body.demand_type.strip())
    except ValueError:
        raise ValidationFailed(
            f"demand_type {body.demand_type!r} is not one of {', '.join(d.value for d in DemandType)}",
            code="bad_demand_type",
        ) from None
    return IntakeData(
        channel=Channel.HOTLINE,
        category_code=body.category_code,
        description=body.content,
        title=body.title,
        lon=body.lon,
        lat=body.lat,
        address=body.address,
        demand_type=demand.value,
        reporter_name=body.caller_name,
        reporter_phone=body.caller_phone,
        external_ref=body.order_no,
        reported_at=body.received_at.astimezone(UTC) if body.received_at else None,
    )


HOTLINE_COLUMNS = {
    "工单编号": "order_no",
    "诉求类型": "demand_type",
    "分类代码": "category_code",
    "诉求内容": "content",
    "标题": "title",
    "地址": "address",
    "经度": "lon",
    "纬度": "lat",
    "来电人": "caller_name",
    "来电号码": "caller_phone",
    "受理时间": "received_at",
}
DEMAND_ZH = {
    "咨询": "consult",
    "投诉": "complaint",
    "建议": "suggestion",
    "求助": "help",
    "举报": "report",
    "表扬": "praise",
}


def parse_hotline_csv(text: str) -> tuple[list[HotlineOrderIn], list[dict[str, str]]]:
    """Rows of a 12345 export (Chinese or English headers); returns the orders and the row errors."""
    from pydantic import ValidationError

    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    headers = reader.fieldnames or []
    mapping = {h: HOTLINE_COLUMNS.get(h.strip(), h.strip()) for h in headers}
    missing = {"order_no", "demand_type", "category_code", "content"} - set(mapping.values())
    if missing:
        raise ValidationFailed(f"the CSV lacks the columns {sorted(missing)}", code="bad_csv")
    orders: list[HotlineOrderIn] = []
    errors: list[dict[str, str]] = []
    for line, raw in enumerate(reader, start=2):
        row = {mapping[k]: (v or "").strip() for k, v in raw.items() if k in mapping}
        row["demand_type"] = DEMAND_ZH.get(row.get("demand_type", ""), row.get("demand_type", ""))
        clean: dict[str, Any] = {k: v for k, v in row.items() if v != "" and k in HotlineOrderIn.model_fields}
        try:
            orders.append(HotlineOrderIn.model_validate(clean))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            errors.append({"line": str(line), "order_no": row.get("order_no", ""), "error": f"{where}: {first['msg']}"})
    return orders, errors


@router.post("/hotline/import", response_model=ImportOut, summary="Import 12345 work orders from CSV")
async def hotline_import(
    session: DbSession,
    settings: AppSettings,
    actor: Intake,
    file: Annotated[UploadFile, File(description="UTF-8 CSV with the hotline's headers")],
) -> ImportOut:
    """All or nothing: any bad row stores nothing (422 with every row's error); known order numbers are skipped."""
    raw = await file.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed("the CSV must be UTF-8", code="bad_csv") from None
    orders, errors = parse_hotline_csv(text)
    if errors:
        raise ValidationFailed(
            f"{len(errors)} bad rows; nothing imported: "
            + "; ".join(f"line {e['line']}: {e['error']}" for e in errors[:10]),
            code="bad_rows",
        )
    return import_orders(session, settings, orders, actor=actor, now=utcnow())


def import_orders(
    session: Session, settings: Settings, orders: list[HotlineOrderIn], *, actor: Principal, now: datetime
) -> ImportOut:
    """Store hotline orders, skipping order numbers already known; any other failure rolls the whole batch back."""
    from pingan.errors import Conflict, PinganError

    created: list[str] = []
    skipped: list[dict[str, str]] = []
    seen: set[str] = set()
    problems: list[str] = []
    for i, order in enumerate(orders, start=2):
        if order.order_no in seen:
            skipped.append({"order_no": order.order_no, "reason": "repeated in the file"})
            continue
        seen.add(order.order_no)
        try:
            with session.begin_nested():
                result = service.intake(session, settings, hotline_data(order), actor=actor, now=now)
            created.append(result.case.number)
        except Conflict as exc:
            skipped.append({"order_no": order.order_no, "reason": exc.message})
        except PinganError as exc:
            problems.append(f"line {i} ({order.order_no}): {exc.message}")
    if problems:
        raise ValidationFailed(
            f"{len(problems)} bad rows; nothing imported: " + "; ".join(problems[:10]), code="bad_rows"
        )
    return ImportOut(created=created, skipped=skipped)


@router.post("/nonpolice", status_code=201, response_model=IntakeOut, summary="Receive a 110 non-police transfer")
def nonpolice_transfer(body: NonPoliceIn, session: DbSession, settings: AppSettings, actor: Intake) -> IntakeOut:
    """Registered and dispatched at once (接报即分流); the 30-minute response clock starts now."""
    cat = service.category_by_code(session, body.category_code)
    if cat.kind != "nonpolice":
        raise ValidationFailed(
            f"{cat.code} {cat.name} is not one of the seven non-police diversion classes", code="not_nonpolice"
        )
    data = IntakeData(
        channel=Channel.NONPOLICE,
        category_code=body.category_code,
        description=body.description,
        lon=body.lon,
        lat=body.lat,
        address=body.address,
        reporter_name=body.caller_name,
        reporter_phone=body.caller_phone,
        external_ref=body.incident_no,
        attributes={"police_unit": body.police_unit} if body.police_unit else {},
    )
    result = service.intake(session, settings, data, actor=actor, now=utcnow())
    return intake_out(session, settings, result)


def sensor_data(body: SensorEventIn) -> IntakeData:
    """A sensor message as intake data (the MQTT consumer uses the same)."""
    measured = f"（读数 {body.value:g}{body.unit or ''}）" if body.value is not None else ""
    return IntakeData(
        channel=Channel.SENSOR,
        category_code=body.category_code,
        description=f"{body.description}{measured}",
        title="",
        lon=body.lon,
        lat=body.lat,
        address=f"传感器 {body.sensor_id}",
        external_ref=body.event_id,
        severity=body.severity,
        attributes={"sensor_id": body.sensor_id, "value": body.value, "unit": body.unit},
        reported_at=body.observed_at.astimezone(UTC) if body.observed_at else None,
    )


@router.post("/sensor", status_code=201, response_model=IntakeOut, summary="Receive a sensor event over HTTP")
def sensor_event(body: SensorEventIn, session: DbSession, settings: AppSettings, actor: Intake) -> IntakeOut:
    """The HTTP twin of the MQTT topic (docs/cases.md)."""
    result = service.intake(session, settings, sensor_data(body), actor=actor, now=utcnow())
    return intake_out(session, settings, result)


@router.post("/alerts", status_code=201, response_model=IntakeOut, summary="Open a case from an internal alert")
def internal_alert(body: AlertIn, session: DbSession, settings: AppSettings, actor: Intake) -> IntakeOut:
    """Vessel alerts and other rule engines post here; the case is registered at once."""
    data = IntakeData(
        channel=Channel.ALERT,
        category_code=body.category_code,
        description=body.description,
        title=body.title,
        lon=body.lon,
        lat=body.lat,
        address=body.address,
        priority=body.priority,
        external_ref=body.alert_id,
        attributes=body.attributes,
    )
    result = service.intake(session, settings, data, actor=actor, now=utcnow())
    return intake_out(session, settings, result)


# ---------------------------------------------------------------- reading


@router.get("", response_model=CaseListOut, summary="Cases in scope, by queue or filter")
def list_cases(
    session: DbSession,
    settings: AppSettings,
    actor: Reader,
    queue: Queue | None = None,
    status: Annotated[list[CaseStatus] | None, Query()] = None,
    category: str | None = None,
    channel: Channel | None = None,
    q: Annotated[str | None, Query(max_length=60)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CaseListOut:
    """Newest first."""
    stmt = cases_query(
        actor,
        now=utcnow(),
        queue=queue,
        statuses=[s.value for s in status or []],
        category_code=category,
        channel=channel.value if channel else None,
        text=q,
    )
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(stmt.limit(limit).offset(offset)).all()
    return CaseListOut(total=total, items=[case_out(session, settings, c) for c in rows])


@router.get("/queues", summary="How many cases wait in each queue")
def queues(session: DbSession, actor: Reader) -> list[dict[str, Any]]:
    """The eight supervision queues with counts, in the caller's scope."""
    now = utcnow()
    out = []
    for queue in Queue:
        n = session.scalar(select(func.count(Case.id)).where(case_scope(actor), queue_filter(queue, now))) or 0
        out.append({"queue": queue.value, "label": QUEUE_LABELS_ZH[queue], "count": n})
    return out


@router.get("/{number}", response_model=CaseDetailOut, summary="A case with its whole timeline")
def get_case(number: str, session: DbSession, settings: AppSettings, actor: Reader) -> CaseDetailOut:
    """404 outside the caller's scope."""
    return detail_out(session, settings, service.get_case(session, number, actor=actor))


@router.get("/{number}/duplicates", response_model=list[DuplicateOut], summary="Possible duplicates (并单 candidates)")
def duplicates(number: str, session: DbSession, actor: Reader) -> list[DuplicateOut]:
    """Open cases of the same category within its radius and window, best first."""
    case = service.get_case(session, number, actor=actor)
    found = service.find_duplicates(session, case, now=utcnow(), limit=10)
    return [duplicate_out(d) for d in found]


@router.get("/{number}/files/{file_id}", summary="A photo or document of a case")
def get_file(number: str, file_id: int, session: DbSession, actor: Reader) -> Response:
    """Served with its stored content type; never sniffed."""
    case = service.get_case(session, number, actor=actor)
    row = session.get(CaseFile, file_id)
    if row is None or row.case_id != case.id:
        raise NotFound(f"no file {file_id} on {case.number}")
    return Response(
        row.data,
        media_type=row.content_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
    )


# ---------------------------------------------------------------- actions


@router.post("/{number}/actions", response_model=CaseDetailOut, summary="Act on a case (the loop)")
def act(number: str, body: ActionIn, session: DbSession, settings: AppSettings, actor: Reader) -> CaseDetailOut:
    """409 when the action does not fit the status; 403 without the duty's permission; 404 outside scope."""
    case = service.transition(
        session,
        settings,
        number,
        body.action,
        actor=actor,
        now=utcnow(),
        note=body.note,
        outcome=body.outcome,
        unit_code=body.unit_code,
        assignee=body.assignee,
        master_number=body.master_number,
    )
    return detail_out(session, settings, case)


@router.post("/{number}/actions/form", response_model=CaseDetailOut, summary="Act on a case with photos (multipart)")
async def act_form(
    request: Request,
    number: str,
    session: DbSession,
    settings: AppSettings,
    actor: Reader,
    action: Annotated[Action, Form()],
    note: Annotated[str, Form()] = "",
    outcome: Annotated[str | None, Form()] = None,
    unit_code: Annotated[str | None, Form()] = None,
    assignee: Annotated[str | None, Form()] = None,
    master_number: Annotated[str | None, Form()] = None,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> CaseDetailOut:
    """处理反馈 with photos, 自行处置 with evidence, and the rest from page forms."""
    case = service.transition(
        session,
        settings,
        number,
        action,
        actor=actor,
        now=utcnow(),
        note=note,
        outcome=outcome or None,
        unit_code=unit_code or None,
        assignee=assignee or None,
        master_number=master_number or None,
        files=await uploads(photos),
    )
    return detail_out(session, settings, case)


# ---------------------------------------------------------------- inbox


@inbox_router.get("", response_model=list[InboxOut], summary="My notifications")
def inbox(
    session: DbSession,
    actor: Reader,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[InboxOut]:
    """Newest first."""
    stmt = select(InboxMessage, Case.number).outerjoin(Case, Case.id == InboxMessage.case_id)
    stmt = stmt.where(InboxMessage.user_id == actor.user_id)
    if unread:
        stmt = stmt.where(InboxMessage.read_at.is_(None))
    rows = session.execute(stmt.order_by(InboxMessage.id.desc()).limit(limit)).all()
    return [
        InboxOut(id=m.id, case_number=n, kind=m.kind, message=m.message, created_at=m.created_at, read_at=m.read_at)
        for m, n in rows
    ]


@inbox_router.post("/{message_id}/read", status_code=204, summary="Mark a notification read")
def mark_read(message_id: int, session: DbSession, actor: Reader) -> Response:
    """Only the addressee's own messages."""
    msg = session.get(InboxMessage, message_id)
    if msg is None or msg.user_id != actor.user_id:
        raise NotFound(f"no message {message_id}")
    if msg.read_at is None:
        msg.read_at = utcnow()
    return Response(status_code=204)
