"""Pages of the grid registry: the city map with drill-down, and a grid's page with its service team."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.deps import AppSettings, DbSession, require
from pingan.errors import PinganError
from pingan.grids import service, teams
from pingan.grids.endpoints import member_out
from pingan.grids.models import TeamRole
from pingan.grids.repository import land_bounds
from pingan.kit.clock import utcnow
from pingan.people.models import Building, Household, Resident
from pingan.web.i18n import translations
from pingan.web.pages import N_, page_locale, redirect, render

router = APIRouter(include_in_schema=False)

# Strings map.js shows, translated on the server and handed over as JSON (CSP forbids inline scripts).
MAP_STRINGS = {
    "islands": N_("Islands"),
    "areas": N_("Administrative areas"),
    "land_grids": N_("Land grids"),
    "sea_static": N_("Static sea grids"),
    "sea_control": N_("Control sea grids"),
    "sea_patrol": N_("Patrol sea grids"),
    "all_city": N_("Whole city"),
    "households": N_("Households"),
    "residents": N_("Residents"),
    "buildings": N_("Buildings"),
    "team": N_("Service team"),
    "open_grid": N_("Open the grid page"),
    "no_results": N_("No results."),
    "searching": N_("Searching…"),
    "kind_basic": N_("Basic grid"),
    "kind_dedicated": N_("Dedicated grid"),
    "area": N_("Area"),
}


@router.get("/map", response_class=HTMLResponse)
def map_page(
    request: Request, db: DbSession, principal: Annotated[Principal, Depends(require(Permission.GRID_READ))]
) -> Response:
    bounds = land_bounds(db)
    catalog = translations(page_locale(request))
    strings = {key: catalog.gettext(msgid) for key, msgid in MAP_STRINGS.items()}
    return render(
        request,
        "map.html",
        bounds=json.dumps([None if v is None else float(v) for v in bounds]),
        can_search_people=principal.can(Permission.PEOPLE_READ),
        strings=json.dumps(strings, ensure_ascii=False),
    )


@router.get("/grids/{code}", response_class=HTMLResponse)
def grid_page(
    code: str,
    request: Request,
    db: DbSession,
    settings: AppSettings,
    principal: Annotated[Principal, Depends(require(Permission.GRID_READ))],
    error: str | None = None,
) -> Response:
    grid = service.get_grid(db, code, actor=principal)
    chain = [*service.ancestors(db, grid.village), grid.village]
    counts = {
        name: int(db.scalar(select(func.count(model.id)).where(model.grid_id == grid.id)) or 0)
        for name, model in (("buildings", Building), ("households", Household), ("residents", Resident))
    }
    return render(
        request,
        "grid.html",
        grid=grid,
        chain=chain,
        counts=counts,
        team=[member_out(settings, m) for m in teams.team_of(db, grid)],
        roles=[(r.value, teams.ROLE_LABELS[r]) for r in TeamRole],
        can_edit=principal.can(Permission.TEAM_WRITE),
        error=error,
    )


def _back(code: str, error: PinganError | None = None) -> Response:
    if error is None:
        return redirect(f"/grids/{code}")
    from urllib.parse import quote

    return redirect(f"/grids/{code}?error={quote(error.message)}")


@router.post("/grids/{code}/team")
def team_add(
    code: str,
    db: DbSession,
    settings: AppSettings,
    principal: Annotated[Principal, Depends(require(Permission.TEAM_WRITE))],
    name: Annotated[str, Form(max_length=40)] = "",
    role: Annotated[str, Form()] = "",
    phone: Annotated[str, Form(max_length=20)] = "",
    duties: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        role_value = TeamRole(role)
    except ValueError:
        return _back(code, PinganError(f"unknown role {role!r}"))
    try:
        teams.add_member(
            db,
            settings,
            code,
            name=name,
            role=role_value,
            unit_code=None,
            phone=phone or None,
            duties=duties,
            actor=principal,
            now=utcnow(),
        )
    except PinganError as exc:
        if exc.status_code == 404:
            raise
        db.rollback()
        return _back(code, exc)
    return _back(code)


@router.post("/grids/{code}/team/{member_id}/delete")
def team_remove(
    code: str,
    member_id: int,
    db: DbSession,
    principal: Annotated[Principal, Depends(require(Permission.TEAM_WRITE))],
) -> Response:
    teams.remove_member(db, code, member_id, actor=principal, now=utcnow())
    return _back(code)
