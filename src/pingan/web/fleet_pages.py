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
from pingan.fleet.models import GroupMembership, Vessel, VesselGroup
from pingan.fleet.printing import LABELS, vessel_file_context, vessel_file_pdf
from pingan.kit.clock import utcnow
from pingan.web.pages import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require(Permission.FLEET_READ))]


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
        can_inspect=principal.can(Permission.FLEET_INSPECT),
    )


def _checklist(operation_type: str) -> list[object]:
    """The inspection checklist of a vessel type (from the safety module, when present)."""
    try:
        from pingan.fleet import checklists
    except ImportError:
        return []
    return list(checklists.checklist_for(operation_type))  # type: ignore[attr-defined]


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
