"""Pages of the fleet: vessel list, vessel file (with inspections and rating), printable PDF, group page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, or_, select

from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.auth.repository import scope_filter
from pingan.deps import AppSettings, DbSession, require
from pingan.errors import NotFound
from pingan.fleet.checklists import ChecklistItem, checklist_for
from pingan.fleet.models import DynamicReport, GroupMembership, Rating, RatingStatus, Vessel, VesselGroup
from pingan.fleet.printing import LABELS, vessel_file_context, vessel_file_pdf
from pingan.fleet.records import vessel_timeline
from pingan.kit.clock import utcnow
from pingan.web.pages import redirect, render

router = APIRouter(include_in_schema=False)
REPORT_LABELS = {"departure": "出港报告", "return": "进港报告", "position": "位置/状态报告"}
Reader = Annotated[Principal, Depends(require(Permission.FLEET_READ))]
Inspector = Annotated[Principal, Depends(require(Permission.FLEET_INSPECT))]


@router.get("/fleet", response_class=HTMLResponse)
def vessel_list(
    request: Request,
    db: DbSession,
    principal: Reader,
    q: Annotated[str, Query(max_length=40)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    scope = scope_filter(principal.visibility, unit_id_col=Vessel.home_unit_id)
    stmt = select(Vessel).where(scope)
    if q.strip():
        stmt = stmt.where(or_(Vessel.registration_no.contains(q.strip()), Vessel.name.contains(q.strip())))
    total = int(db.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    vessels = db.scalars(stmt.order_by(Vessel.registration_no).limit(50).offset((page - 1) * 50)).all()
    return render(request, "fleet/list.html", vessels=vessels, total=total, q=q, page=page, labels=LABELS)


@router.get("/fleet/vessels/{vessel_id}", response_class=HTMLResponse)
def vessel_page(vessel_id: int, request: Request, db: DbSession, settings: AppSettings, principal: Reader) -> Response:
    context = vessel_file_context(db, settings, vessel_id, actor=principal, now=utcnow())
    return render(
        request,
        "fleet/vessel.html",
        **{k: v for k, v in context.items() if k != "localtime"},
        checklist=_checklist(context["vessel"].operation_type),
        report_labels=REPORT_LABELS,
        pending_rating=db.scalars(
            select(Rating)
            .where(Rating.vessel_id == vessel_id, Rating.status == RatingStatus.PENDING)
            .order_by(Rating.computed_at.desc())
        ).first(),
        can_confirm=principal.can(Permission.RATING_CONFIRM),
        can_report=principal.can(Permission.FLEET_REPORT),
        reports=db.scalars(
            select(DynamicReport)
            .where(DynamicReport.vessel_id == vessel_id)
            .order_by(DynamicReport.reported_at.desc())
            .limit(5)
        ).all(),
        report_error=request.query_params.get("report_error"),
        timeline=vessel_timeline(db, vessel_id, actor=principal, limit=30),
        can_inspect=principal.can(Permission.FLEET_INSPECT),
    )


def _checklist(operation_type: str) -> list[ChecklistItem]:
    """The inspection checklist of a vessel type."""
    return list(checklist_for(operation_type))


@router.post("/fleet/vessels/{vessel_id}/inspections")
async def inspection_submit(vessel_id: int, request: Request, db: DbSession, principal: Inspector) -> Response:
    from pingan.fleet.inspections import record_inspection

    form = await request.form()
    passed = {str(v) for v in form.getlist("ok")}
    vessel = db.get(Vessel, vessel_id)
    if vessel is None:
        raise NotFound(f"vessel {vessel_id} not found")
    items = [
        {"code": item.code, "ok": item.code in passed, "note": str(form.get(f"note_{item.code}") or "")[:200]}
        for item in _checklist(vessel.operation_type)
    ]
    record_inspection(db, vessel_id, items, actor=principal, now=utcnow())
    return redirect(f"/fleet/vessels/{vessel_id}#tasks")


@router.post("/fleet/vessels/{vessel_id}/reports", response_class=HTMLResponse)
async def report_submit(
    vessel_id: int,
    request: Request,
    db: DbSession,
    principal: Annotated[Principal, Depends(require(Permission.FLEET_REPORT))],
) -> Response:
    """The mobile form for 动态报告 (departure, return, manual position/status)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from pingan.errors import PinganError, ValidationFailed
    from pingan.fleet.models import ReportKind
    from pingan.fleet.reports import submit_report

    form = await request.form()

    def text(name: str) -> str:
        return str(form.get(name) or "").strip()

    try:
        kind = ReportKind(text("kind"))
        crew = int(text("crew_on_board")) if text("crew_on_board") else None
        lon = float(text("lon")) if text("lon") else None
        lat = float(text("lat")) if text("lat") else None
        back = text("expected_return")
        expected = (
            datetime.fromisoformat(back).replace(tzinfo=ZoneInfo(request.app.state.settings.display_timezone))
            if back
            else None
        )
        submit_report(
            db,
            vessel_id,
            kind=kind,
            actor=principal,
            now=utcnow(),
            crew_on_board=crew,
            destination=text("destination"),
            expected_return_at=expected,
            lon=lon,
            lat=lat,
            status_note=text("note"),
            source="form",
        )
    except ValueError as exc:
        db.rollback()
        return redirect(f"/fleet/vessels/{vessel_id}?report_error={ValidationFailed(str(exc)).message}#reports")
    except PinganError as exc:
        if exc.status_code in (403, 404):
            raise
        db.rollback()
        return redirect(f"/fleet/vessels/{vessel_id}?report_error={exc.message}#reports")
    return redirect(f"/fleet/vessels/{vessel_id}?reported=1#reports")


@router.post("/fleet/ratings/{rating_id}/confirm")
async def rating_confirm(
    rating_id: int,
    request: Request,
    db: DbSession,
    principal: Annotated[Principal, Depends(require(Permission.RATING_CONFIRM))],
) -> Response:
    from pingan.fleet.inspections import confirm_rating

    form = await request.form()
    rating = confirm_rating(db, rating_id, approve=form.get("decision") == "approve", actor=principal, now=utcnow())
    return redirect(f"/fleet/vessels/{rating.vessel_id}#rating")


@router.get("/fleet/vessels/{vessel_id}/file.pdf")
def vessel_pdf(vessel_id: int, db: DbSession, settings: AppSettings, principal: Reader) -> Response:
    pdf = vessel_file_pdf(db, settings, vessel_id, actor=principal, now=utcnow())
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="vessel-{vessel_id}.pdf"'},
    )


@router.get("/fleet/groups/{code}", response_class=HTMLResponse)
def group_page(code: str, request: Request, db: DbSession, principal: Reader) -> Response:
    group = db.scalars(
        select(VesselGroup).where(
            VesselGroup.code == code, scope_filter(principal.visibility, unit_id_col=VesselGroup.home_unit_id)
        )
    ).first()
    if group is None:
        raise NotFound(f"group {code} not found")
    members = db.execute(
        select(Vessel, GroupMembership.joined_at)
        .join(GroupMembership, GroupMembership.vessel_id == Vessel.id)
        .where(GroupMembership.group_id == group.id, GroupMembership.left_at.is_(None))
        .order_by(Vessel.registration_no)
    ).all()
    history = db.execute(
        select(Vessel.registration_no, GroupMembership.joined_at, GroupMembership.left_at)
        .join(GroupMembership, GroupMembership.vessel_id == Vessel.id)
        .where(GroupMembership.group_id == group.id, GroupMembership.left_at.is_not(None))
        .order_by(GroupMembership.left_at.desc())
    ).all()
    return render(request, "fleet/group.html", group=group, members=members, history=history, labels=LABELS)


@router.get("/fleet/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, db: DbSession, principal: Reader) -> Response:
    from pingan.fleet.cadres import coverage_report

    return render(request, "fleet/coverage.html", report=coverage_report(db, actor=principal))


@router.get("/fleet/certificates", response_class=HTMLResponse)
def certificates_page(
    request: Request, db: DbSession, principal: Reader, days: Annotated[int, Query(ge=0, le=365)] = 30
) -> Response:
    from pingan.fleet.certificates import expiring_certificates

    rows = expiring_certificates(db, actor=principal, now=utcnow(), within_days=days)
    return render(request, "fleet/certificates.html", rows=rows, days=days, labels=LABELS)


@router.get("/fleet/rectifications", response_class=HTMLResponse)
def rectifications_page(request: Request, db: DbSession, principal: Reader, overdue: bool = False) -> Response:
    from pingan.fleet.inspections import is_overdue, list_tasks, local_day

    now = utcnow()
    tasks = list_tasks(db, actor=principal, now=now, overdue_only=overdue, limit=500)
    registration = dict(
        db.execute(select(Vessel.id, Vessel.registration_no).where(Vessel.id.in_({t.vessel_id for t in tasks}))).all()
    )
    today = local_day(now)
    rows = [(t, registration.get(t.vessel_id, ""), is_overdue(t, today)) for t in tasks]
    return render(request, "fleet/rectifications.html", rows=rows, overdue=overdue)


@router.get("/fleet/duty", response_class=HTMLResponse)
def duty_page(request: Request, db: DbSession, principal: Reader) -> Response:
    from pingan.fleet.duty import on_duty_now
    from pingan.fleet.models import DutyShift
    from pingan.org.models import OrgUnit

    now = utcnow()
    units = db.scalars(
        select(OrgUnit)
        .where(OrgUnit.id.in_(select(DutyShift.unit_id)), scope_filter(principal.visibility, unit_id_col=OrgUnit.id))
        .order_by(OrgUnit.path)
    ).all()
    rows = [(u, on_duty_now(db, u.id, now)) for u in units]
    return render(request, "fleet/duty.html", rows=rows)
