"""Pages of the case hub (一网办理): the supervision desk, the case page with its action forms, and the inbox.

The report forms (grid worker and public) and the category settings live in :mod:`pingan.web.case_forms`, whose
routes are included here first so that ``/cases/new`` wins over ``/cases/{number}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.cases import service
from pingan.cases.endpoints import case_out, step_out
from pingan.cases.models import Case, CaseCategory, InboxMessage
from pingan.cases.repository import QUEUE_LABELS_ZH, Queue, case_scope, cases_query, queue_filter
from pingan.cases.service import DUTY_PERMISSION
from pingan.cases.workflow import (
    ACTION_LABELS_ZH,
    CHANNEL_LABELS_ZH,
    PRIORITY_LABELS_ZH,
    SATISFACTION_LABELS_ZH,
    STATUS_LABELS_ZH,
    Action,
    CaseStatus,
    Channel,
    Duty,
    Satisfaction,
    allowed_actions,
    transition_for,
)
from pingan.config import Settings
from pingan.deps import AppSettings, DbSession, require
from pingan.errors import NotFound, PinganError
from pingan.grids.models import LandGrid
from pingan.kit.clock import to_local, utcnow
from pingan.org.models import OrgUnit
from pingan.web import case_forms
from pingan.web.case_forms import STEP_LABELS_ZH, read_form
from pingan.web.pages import redirect, render

router = APIRouter(include_in_schema=False)
router.include_router(case_forms.router)  # before /cases/{number}: /cases/new and /cases/categories are pages

Reader = Annotated[Principal, Depends(require(Permission.CASE_READ))]
PAGE_SIZE = 50
E = TypeVar("E", bound=StrEnum)
OTHER_STEP_LABELS_ZH = {"report": "上报", "warn": "即将超期预警"}
# Actions whose form takes photos (evidence of the work done or found).
PHOTO_ACTIONS = frozenset(
    {Action.HANDLE, Action.SELF_HANDLE, Action.CHECK_PASS, Action.CHECK_FAIL, Action.CLOSE_UNFIXABLE}
)


# ---------------------------------------------------------------- helpers


def clock_state(case: Case, now: datetime) -> str:
    """``overdue``, ``warn`` or ``""`` for the case's running step clock."""
    if not case.is_open or case.step_due_at is None:
        return ""
    if now >= case.step_due_at:
        return "overdue"
    if case.step_warn_at is not None and now >= case.step_warn_at:
        return "warn"
    return ""


def _unit_path(db: Session, unit_id: int | None) -> str | None:
    unit = db.get(OrgUnit, unit_id) if unit_id is not None else None
    return unit.path if unit is not None else None


def holds_case(db: Session, principal: Principal, case: Case) -> bool:
    """Whether the caller's unit (or a unit above it in scope) is the one the case is dispatched to."""
    if case.responsible_unit_id is None:
        return False
    return principal.visibility.allows(
        unit_id=case.responsible_unit_id, unit_path=_unit_path(db, case.responsible_unit_id)
    )


def available_actions(db: Session, principal: Principal, case: Case) -> list[Action]:
    """The actions the caller may take now: status, the duty's permission, and holding the case for handling."""
    out: list[Action] = []
    for action in allowed_actions(CaseStatus(case.status)):
        row = transition_for(action, Satisfaction.SATISFIED if action is Action.REVISIT else None)
        if not principal.can(DUTY_PERMISSION[row.duty]):
            continue
        if row.duty is Duty.HANDLE and not holds_case(db, principal, case):
            continue
        if action is Action.SELF_HANDLE and not (
            case.category.self_handle
            and case.severity != "serious"
            and principal.user_id is not None
            and case.reported_by_id == principal.user_id
        ):
            continue
        out.append(action)
    return out


def _unit_names(db: Session) -> dict[str, str]:
    return {code: name for code, name in db.execute(select(OrgUnit.code, OrgUnit.name))}


@dataclass(frozen=True)
class Photo:
    """A file of the case as the page links it."""

    id: int
    filename: str
    is_image: bool
    step: int


# ---------------------------------------------------------------- the desk


def _enum(kind: type[E], value: str) -> E | None:
    try:
        return kind(value) if value else None
    except ValueError:
        return None


@router.get("/cases", response_class=HTMLResponse)
def desk(
    request: Request,
    db: DbSession,
    principal: Reader,
    queue: Annotated[str, Query(max_length=20)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    category: Annotated[str, Query(max_length=8)] = "",
    channel: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=60)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    # The filter form sends empty values for "any"; unknown values are ignored rather than refused.
    queue_f = _enum(Queue, queue)
    status_f = _enum(CaseStatus, status)
    channel_f = _enum(Channel, channel)
    now = utcnow()
    counts = {
        qu: int(db.scalar(select(func.count(Case.id)).where(case_scope(principal), queue_filter(qu, now))) or 0)
        for qu in Queue
    }
    stmt = cases_query(
        principal,
        now=now,
        queue=queue_f,
        statuses=[status_f.value] if status_f else [],
        category_code=category.strip() or None,
        channel=channel_f.value if channel_f else None,
        text=q.strip() or None,
    )
    total = int(db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    rows = db.scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    big = db.scalars(select(CaseCategory).where(CaseCategory.level == 1).order_by(CaseCategory.code)).all()
    unread = db.scalar(
        select(func.count(InboxMessage.id)).where(
            InboxMessage.user_id == principal.user_id, InboxMessage.read_at.is_(None)
        )
    )
    return render(
        request,
        "cases/desk.html",
        queues=[(qu.value, QUEUE_LABELS_ZH[qu], counts[qu]) for qu in Queue],
        queue=queue_f.value if queue_f else "",
        rows=[(c, clock_state(c, now)) for c in rows],
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        filters={
            "status": status_f.value if status_f else "",
            "category": category,
            "channel": channel_f.value if channel_f else "",
            "q": q,
        },
        statuses=list(STATUS_LABELS_ZH.items()),
        channels=list(CHANNEL_LABELS_ZH.items()),
        big_categories=big,
        status_labels=STATUS_LABELS_ZH,
        unread=unread or 0,
        can_report=principal.can(Permission.CASE_REPORT),
        can_config=principal.can(Permission.CASE_CONFIG),
    )


# ---------------------------------------------------------------- KPIs (before /cases/{number})


@router.get("/cases/kpis", response_class=HTMLResponse)
def kpi_page(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    principal: Annotated[Principal, Depends(require(Permission.CASE_KPI))],
    by: Annotated[str, Query(max_length=20)] = "area",
    start: Annotated[str, Query(max_length=10)] = "",
    end: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The KPI table of ``GET /api/cases/kpis`` for a period (default: this month), with its Excel link."""
    from pingan.cases.kpi import INDICATORS
    from pingan.cases.kpi_endpoints import build_report, parse_period, report_json
    from pingan.cases.kpis import GROUP_LABELS_ZH, GroupBy

    today = to_local(utcnow(), settings.display_timezone).date()
    first = today.replace(day=1)
    start = start or first.isoformat()
    end = end or (first + timedelta(days=32)).replace(day=1).isoformat()
    group = _enum(GroupBy, by) or GroupBy.AREA
    error = None
    report = None
    try:
        period = parse_period(start, end, settings.display_timezone)
        built = build_report(db, actor=principal, by=group, period=period, area_code=None, now=utcnow())
        report = report_json(built, settings.display_timezone)
    except PinganError as exc:
        error = exc.message
    query = urlencode({"by": group.value, "start": start, "end": end})
    return render(
        request,
        "cases/kpis.html",
        status=422 if error else 200,
        report=report,
        error=error,
        indicators=INDICATORS,
        groups=list(GROUP_LABELS_ZH.items()),
        by=group.value,
        start=start,
        end=end,
        xlsx=f"/api/cases/kpis.xlsx?{query}",
    )


# ---------------------------------------------------------------- the case page


def case_page(
    request: Request,
    db: Session,
    settings: Settings,
    principal: Principal,
    number: str,
    *,
    error: str | None = None,
    status: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    """Render one case with its timeline, photos, duplicates and the caller's action forms."""
    now = utcnow()
    case = service.get_case(db, number, actor=principal)
    view = case_out(db, settings, case)
    files = service.files_of(db, case)
    by_step: dict[int, list[int]] = {}
    for f in files:
        by_step.setdefault(f.step_seq, []).append(f.id)
    photos = {f.id: Photo(f.id, f.filename, f.content_type.startswith("image/"), f.step_seq) for f in files}
    steps = [step_out(db, s, by_step) for s in service.timeline(db, case)]
    actions = available_actions(db, principal, case)
    candidates = []
    if case.is_open and case.master_id is None:
        candidates = service.find_duplicates(db, case, now=now, limit=10)
    units = []
    if Action.DISPATCH in actions or Action.REDISPATCH in actions:
        units = db.scalars(select(OrgUnit).where(OrgUnit.is_active.is_(True)).order_by(OrgUnit.path)).all()
    grid = db.get(LandGrid, case.grid_id) if case.grid_id else None
    done = request.query_params.get("done", "")
    return render(
        request,
        "cases/case.html",
        status=status,
        case=case,
        view=view,
        parent=case.category.parent,
        clock=clock_state(case, now),
        steps=steps,
        photos=photos,
        duplicates=service.duplicates_of(db, case),
        candidates=candidates,
        actions=[a.value for a in actions],
        action_labels={a.value: label for a, label in ACTION_LABELS_ZH.items()},
        photo_actions={a.value for a in PHOTO_ACTIONS},
        satisfaction=list(SATISFACTION_LABELS_ZH.items()),
        units=units,
        unit_names=_unit_names(db),
        status_labels={s.value: label for s, label in STATUS_LABELS_ZH.items()},
        step_labels=STEP_LABELS_ZH,
        other_step_labels=OTHER_STEP_LABELS_ZH,
        priority_label=PRIORITY_LABELS_ZH.get(case.priority, case.priority),
        channel_label=CHANNEL_LABELS_ZH.get(case.channel, case.channel),
        grid=grid,
        grids_url=(
            f"/api/grids/layers/land-grids?area={grid.village.code}"
            if grid is not None and principal.can(Permission.GRID_READ)
            else ""
        ),
        error=error,
        done=ACTION_LABELS_ZH.get(Action(done)) if done in {a.value for a in Action} else None,
        reported=request.query_params.get("reported") == "1",
        form=form or {},
    )


@router.get("/cases/{number}", response_class=HTMLResponse)
def case_view(number: str, request: Request, db: DbSession, settings: AppSettings, principal: Reader) -> Response:
    return case_page(request, db, settings, principal, number)


@router.post("/cases/{number}/act", response_class=HTMLResponse)
async def case_act(number: str, request: Request, db: DbSession, settings: AppSettings, principal: Reader) -> Response:
    """One form for every action; the service decides, a refusal is shown on the page (PRG on success)."""
    fields, files = await read_form(request)
    case = service.get_case(db, number, actor=principal, for_update=True)  # 404 outside scope stays a 404
    action = fields.get("action", "")
    try:
        service.transition(
            db,
            settings,
            case,
            action,
            actor=principal,
            now=utcnow(),
            note=fields.get("note", ""),
            outcome=fields.get("outcome") or None,
            unit_code=fields.get("unit_code") or None,
            master_number=fields.get("master_number") or None,
            files=files,
        )
    except PinganError as exc:
        db.rollback()
        return case_page(
            request, db, settings, principal, number, error=exc.message, status=exc.status_code, form=fields
        )
    return redirect(f"/cases/{case.number}?done={action}#timeline")


# ---------------------------------------------------------------- inbox


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, db: DbSession, principal: Reader, unread: bool = False) -> Response:
    stmt = select(InboxMessage, Case.number).outerjoin(Case, Case.id == InboxMessage.case_id)
    stmt = stmt.where(InboxMessage.user_id == principal.user_id)
    if unread:
        stmt = stmt.where(InboxMessage.read_at.is_(None))
    rows = db.execute(stmt.order_by(InboxMessage.id.desc()).limit(200)).all()
    return render(request, "cases/inbox.html", rows=rows, unread=unread)


def _mark_read(db: Session, principal: Principal, message_id: int | None) -> None:
    stmt = select(InboxMessage).where(InboxMessage.user_id == principal.user_id, InboxMessage.read_at.is_(None))
    if message_id is not None:
        stmt = stmt.where(InboxMessage.id == message_id)
    now = utcnow()
    found = False
    for msg in db.scalars(stmt):
        msg.read_at = now
        found = True
    if message_id is not None and not found:
        exists = db.scalar(
            select(InboxMessage.id).where(InboxMessage.id == message_id, InboxMessage.user_id == principal.user_id)
        )
        if exists is None:
            raise NotFound(f"no message {message_id}")


@router.post("/inbox/{message_id}/read")
def inbox_read(message_id: int, db: DbSession, principal: Reader) -> Response:
    _mark_read(db, principal, message_id)
    return redirect("/inbox")


@router.post("/inbox/read-all")
def inbox_read_all(db: DbSession, principal: Reader) -> Response:
    _mark_read(db, principal, None)
    return redirect("/inbox")
