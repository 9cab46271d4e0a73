"""Report forms of the case hub (the grid worker's mobile form and the public form) and the category settings."""

from __future__ import annotations

import json
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.cases import config, service
from pingan.cases.catalog import LIMIT_UNITS
from pingan.cases.models import Case, CaseCategory, CaseStep
from pingan.cases.service import IntakeData, Upload
from pingan.cases.workflow import ACTION_LABELS_ZH, STATUS_LABELS_ZH, CaseStatus, Channel, Step
from pingan.deps import ANON_COOKIE, CSRF_FIELD, AppSettings, DbSession, csrf_token, require
from pingan.errors import NotFound, PinganError, ValidationFailed
from pingan.grids.models import LandGrid
from pingan.grids.repository import land_bounds
from pingan.kit.clock import utcnow
from pingan.web.pages import redirect, render

router = APIRouter(include_in_schema=False)
Reporter = Annotated[Principal, Depends(require(Permission.CASE_REPORT))]
Configurer = Annotated[Principal, Depends(require(Permission.CASE_CONFIG))]
# The web form's caller: may report, nothing else, sees nothing.
PUBLIC = Principal(label="public", permissions=frozenset({Permission.CASE_REPORT.value}))
LIMIT_UNIT_LABELS_ZH = {
    "work_hours": "工作时",
    "work_days": "工作日",
    "minutes": "分钟",
    "hours": "小时",
    "days": "自然日",
}
STEP_LABELS_ZH = {
    "register": "立案",
    "dispatch": "派遣",
    "accept": "签收",
    "handle": "处置",
    "check": "核查",
    "visit": "回访",
}


async def read_form(request: Request) -> tuple[dict[str, str], list[Upload]]:
    """The text fields (last value wins) and the non-empty uploaded ``photos`` of a posted form."""
    form = await request.form()
    fields = {k: v.strip() for k, v in form.multi_items() if isinstance(v, str)}
    files = []
    for item in form.getlist("photos"):
        if isinstance(item, UploadFile) and item.filename:
            data = await item.read()
            if data:
                files.append(Upload(item.filename, item.content_type or "application/octet-stream", data))
    return fields, files


def category_tree(db: Session, *, public_only: bool = False) -> list[tuple[CaseCategory, list[CaseCategory]]]:
    """Active 大类 with their active 小类 (only those offered to the public when ``public_only``)."""
    rows = db.scalars(
        select(CaseCategory).where(CaseCategory.is_active.is_(True)).order_by(CaseCategory.level, CaseCategory.code)
    ).all()
    tree = [(big, [c for c in rows if c.parent_id == big.id]) for big in rows if big.level == 1]
    if public_only:
        tree = [(big, [c for c in small if c.public]) for big, small in tree]
    return [(big, small) for big, small in tree if small]


def _coordinate(fields: dict[str, str], name: str) -> float | None:
    raw = fields.get(name, "")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be a number of degrees", code="invalid_coordinates") from None


def _intake(fields: dict[str, str], files: list[Upload], channel: Channel) -> IntakeData:
    public = channel is Channel.PUBLIC
    return IntakeData(
        channel=channel,
        category_code=fields.get("category_code", ""),
        description=fields.get("description", ""),
        lon=_coordinate(fields, "lon"),
        lat=_coordinate(fields, "lat"),
        address=fields.get("address", "")[:200],
        reporter_name=fields.get("reporter_name", "")[:60] if public else "",
        reporter_phone=(fields.get("reporter_phone") or None) if public else None,
        anonymous=public and fields.get("anonymous") == "1",
        files=files,
    )


def pin_map(db: Session, principal: Principal | None) -> dict[str, Any]:
    """Where the report map opens (the worker's own grids, else the city) and which outlines it may draw."""
    grids: list[LandGrid] = []
    if principal is not None and principal.visibility.grid_ids:
        ids = sorted(principal.visibility.grid_ids)
        grids = list(db.scalars(select(LandGrid).where(LandGrid.id.in_(ids)).order_by(LandGrid.code)))
    layers: list[str] = []
    locate = ""
    if principal is not None and principal.can(Permission.GRID_READ):
        layers.append("/api/grids/layers/islands")
        layers += sorted({f"/api/grids/layers/land-grids?area={g.village.code}" for g in grids})
        locate = "/api/grids/locate"
    if grids:
        bounds = [
            min(g.min_lon for g in grids),
            min(g.min_lat for g in grids),
            max(g.max_lon for g in grids),
            max(g.max_lat for g in grids),
        ]
        center = [grids[0].centroid_lon, grids[0].centroid_lat]
    else:
        bounds = list(land_bounds(db))
        center = None
    return {
        "bounds": json.dumps(bounds),
        "center": json.dumps(center),
        "layers": json.dumps(layers),
        "locate": locate,
        "own_grids": [g.code for g in grids],
    }


# ---------------------------------------------------------------- grid worker (一网办理 上报)


def _new_case_form(
    request: Request,
    db: Session,
    principal: Principal,
    *,
    fields: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "cases/new.html",
        status=status,
        tree=category_tree(db),
        pin=pin_map(db, principal),
        form=fields or {},
        error=error,
    )


@router.get("/cases/new", response_class=HTMLResponse)
def new_case(request: Request, db: DbSession, principal: Reporter) -> Response:
    return _new_case_form(request, db, principal)


@router.post("/cases/new", response_class=HTMLResponse)
async def new_case_submit(request: Request, db: DbSession, settings: AppSettings, principal: Reporter) -> Response:
    fields, files = await read_form(request)
    try:
        result = service.intake(
            db, settings, _intake(fields, files, Channel.GRID_WORKER), actor=principal, now=utcnow()
        )
    except PinganError as exc:
        db.rollback()
        return _new_case_form(request, db, principal, fields=fields, error=exc.message, status=exc.status_code)
    return redirect(f"/cases/{result.case.number}?reported=1")


# ---------------------------------------------------------------- the public (群众上报)


def _public_form(
    request: Request, db: Session, *, fields: dict[str, str] | None = None, error: str | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "cases/report.html",
        status=status,
        tree=category_tree(db, public_only=True),
        pin=pin_map(db, None),
        form=fields or {},
        error=error,
    )


@router.get("/report", response_class=HTMLResponse)
def public_form(request: Request, db: DbSession) -> Response:
    request.state.principal = None  # a public page: no navigation, CSRF bound to the anonymous cookie
    return _public_form(request, db)


@router.post("/report", response_class=HTMLResponse)
async def public_submit(request: Request, db: DbSession, settings: AppSettings) -> Response:
    request.state.principal = None
    fields, files = await read_form(request)
    sent = fields.get(CSRF_FIELD, "")
    if not request.cookies.get(ANON_COOKIE) or not secrets.compare_digest(sent, csrf_token(request)):
        return _public_form(request, db, fields=fields, error="csrf", status=403)
    try:
        code = fields.get("category_code", "")
        cat = db.scalars(select(CaseCategory).where(CaseCategory.code == code, CaseCategory.public.is_(True))).first()
        if cat is None:
            raise ValidationFailed("choose one of the listed categories", code="unknown_category")
        result = service.intake(db, settings, _intake(fields, files, Channel.PUBLIC), actor=PUBLIC, now=utcnow())
    except PinganError as exc:
        db.rollback()
        return _public_form(request, db, fields=fields, error=exc.message, status=exc.status_code)
    return redirect(f"/report/{result.case.number}?thanks=1")


@router.get("/report/{number}", response_class=HTMLResponse)
def public_status(number: str, request: Request, db: DbSession) -> Response:
    """Only what the public may know: category, status and the public notes (no names, no places, no actors)."""
    request.state.principal = None
    case = db.scalars(select(Case).where(Case.number == number.strip().upper())).first()
    if case is None or not case.category.public:
        raise NotFound(f"no case {number}")
    steps = db.scalars(
        select(CaseStep).where(CaseStep.case_id == case.id, CaseStep.public.is_(True)).order_by(CaseStep.seq)
    ).all()
    labels = {a.value: label for a, label in ACTION_LABELS_ZH.items()} | {"report": "已受理"}
    timeline = [
        (s.at, labels.get(s.action, ""), "" if s.action == "report" else s.note) for s in steps if s.action in labels
    ]
    return render(
        request,
        "cases/public_status.html",
        case=case,
        status_label=STATUS_LABELS_ZH[CaseStatus(case.status)],
        timeline=timeline,
        thanks=request.query_params.get("thanks") == "1",
    )


# ---------------------------------------------------------------- category settings


@router.get("/cases/categories", response_class=HTMLResponse)
def categories_page(request: Request, db: DbSession, principal: Configurer) -> Response:
    rows = db.scalars(select(CaseCategory).order_by(CaseCategory.code)).all()
    return render(
        request,
        "cases/categories.html",
        rows=rows,
        steps=[s.value for s in Step],
        step_labels=STEP_LABELS_ZH,
        unit_labels=LIMIT_UNIT_LABELS_ZH,
        saved=request.query_params.get("saved", ""),
    )


def _category_form(
    request: Request,
    db: Session,
    code: str,
    *,
    error: str | None = None,
    status: int = 200,
    fields: dict[str, str] | None = None,
) -> Response:
    row = db.scalars(select(CaseCategory).where(CaseCategory.code == code)).first()
    if row is None or row.level != 2:
        raise NotFound(f"no small class {code}")
    return render(
        request,
        "cases/category_edit.html",
        status=status,
        row=row,
        steps=[s.value for s in Step],
        step_labels=STEP_LABELS_ZH,
        units=list(LIMIT_UNITS),
        unit_labels=LIMIT_UNIT_LABELS_ZH,
        error=error,
        form=fields,
    )


@router.get("/cases/categories/{code}", response_class=HTMLResponse)
def category_edit(code: str, request: Request, db: DbSession, principal: Configurer) -> Response:
    return _category_form(request, db, code)


def _number(fields: dict[str, str], name: str) -> float:
    try:
        return float(fields.get(name, ""))
    except ValueError:
        raise ValidationFailed(f"{name}: {fields.get(name)!r} is not a number", code="bad_category") from None


def category_changes(fields: dict[str, str]) -> dict[str, Any]:
    """The form as a change set for :func:`pingan.cases.config.update_category`."""
    limits = {}
    for step in Step:
        value = fields.get(f"limit_{step.value}", "")
        if value:
            limits[step.value] = {
                "value": _number(fields, f"limit_{step.value}"),
                "unit": fields.get(f"unit_{step.value}", ""),
            }
    return {
        "limits": limits,
        "register_conditions": fields.get("register_conditions", ""),
        "close_conditions": fields.get("close_conditions", ""),
        "duplicate_radius_m": _number(fields, "duplicate_radius_m"),
        "duplicate_window_h": _number(fields, "duplicate_window_h"),
        "self_handle": fields.get("self_handle") == "1",
        "public": fields.get("public") == "1",
        "is_active": fields.get("is_active") == "1",
    }


@router.post("/cases/categories/{code}", response_class=HTMLResponse)
async def category_save(code: str, request: Request, db: DbSession, principal: Configurer) -> Response:
    fields, _ = await read_form(request)
    try:
        config.update_category(db, code, category_changes(fields), actor=principal, now=utcnow())
    except PinganError as exc:
        if exc.status_code == 404:
            raise
        db.rollback()
        return _category_form(request, db, code, error=exc.message, status=exc.status_code, fields=fields)
    return redirect(f"/cases/categories?saved={code}")
