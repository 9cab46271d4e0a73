"""HTTP API for the hub's configuration: categories (``/api/case-categories``) and the working calendar."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Query, UploadFile
from sqlalchemy import select

from pingan.audit.service import record
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.cases import clocks, config, sla
from pingan.cases.models import CalendarDay, CaseCategory
from pingan.deps import AppSettings, CurrentPrincipal, DbSession, require
from pingan.errors import NotFound, ValidationFailed
from pingan.kit.clock import utcnow

router = APIRouter(tags=["cases"])
Configurer = Annotated[Principal, Depends(require(Permission.CASE_CONFIG))]


@router.get("/api/case-categories", summary="The category tree (大类/小类) with rules")
def list_categories(
    session: DbSession, actor: CurrentPrincipal, include_inactive: bool = False
) -> list[dict[str, Any]]:
    """Every category a signed-in account may report under (parents before children)."""
    stmt = select(CaseCategory).order_by(CaseCategory.level, CaseCategory.code)
    if not include_inactive:
        stmt = stmt.where(CaseCategory.is_active.is_(True))
    return [config.category_dict(c) for c in session.scalars(stmt)]


@router.get("/api/case-categories/{code}", summary="One category")
def get_category(code: str, session: DbSession, actor: CurrentPrincipal) -> dict[str, Any]:
    """404 for an unknown code."""
    row = session.scalars(select(CaseCategory).where(CaseCategory.code == code)).first()
    if row is None:
        raise NotFound(f"no category {code}")
    return config.category_dict(row)


@router.patch("/api/case-categories/{code}", summary="Edit a category's rules")
def patch_category(
    code: str, session: DbSession, actor: Configurer, changes: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Limits, conditions, routing, duplicate radius, templates, questions; validated like the bundled catalogue."""
    return config.category_dict(config.update_category(session, code, changes, actor=actor, now=utcnow()))


@router.get("/api/work-calendar", summary="Holidays and swapped working days of a year")
def get_calendar(
    session: DbSession,
    settings: AppSettings,
    actor: CurrentPrincipal,
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> dict[str, Any]:
    """The stored exceptions and the working hours."""
    rows = session.scalars(
        select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    ).all()
    return {
        "year": year,
        "work_hours": settings.case_work_hours,
        "days": [
            {"date": r.day.isoformat(), "kind": r.kind, "name": r.name} for r in sorted(rows, key=lambda r: r.day)
        ],
    }


@router.post("/api/work-calendar/import", summary="Import a year's holidays and swapped days (CSV or JSON)")
async def import_calendar(
    session: DbSession,
    actor: Configurer,
    file: Annotated[UploadFile, File(description="CSV date,kind,name or a JSON list")],
) -> dict[str, Any]:
    """Each year present in the file replaces that year's stored days; a bad line stores nothing."""
    raw = await file.read()
    fmt = "json" if (file.filename or "").lower().endswith(".json") else "csv"
    try:
        days = sla.parse_calendar(raw.decode("utf-8-sig"), fmt=fmt)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(str(exc), code="bad_calendar") from None
    if not days:
        raise ValidationFailed("the file holds no days", code="bad_calendar")
    n = clocks.import_calendar(session, days)
    years = sorted({d.day.year for d in days})
    record(
        session,
        actor=actor,
        action="case.calendar.import",
        now=utcnow(),
        object_type="work_calendar",
        object_id=",".join(map(str, years)),
        details={"days": n},
    )
    return {"imported": n, "years": years}
