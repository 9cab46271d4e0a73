"""Queries of the case hub: the scope filter, queues, duplicate candidates and lookups."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from pingan.auth.principal import Principal
from pingan.auth.repository import scope_filter
from pingan.cases.models import Case, CaseCategory
from pingan.cases.workflow import CaseStatus
from pingan.org.models import OrgUnit


def case_scope(actor: Principal) -> ColumnElement[bool]:
    """Cases the caller may see: by place (unit or grid), by the unit holding it, or by having reported it."""
    vis = actor.visibility
    if vis.everything:
        return scope_filter(vis, unit_id_col=Case.unit_id)
    by_place = scope_filter(vis, unit_id_col=Case.unit_id, owner_col=Case.reported_by_id, grid_col=Case.grid_id)
    by_holder = scope_filter(vis, unit_id_col=Case.responsible_unit_id)
    return or_(by_place, by_holder)


class Queue(StrEnum):
    """Work queues (待办) shown per role."""

    TO_REGISTER = "to_register"  # 待立案
    TO_DISPATCH = "to_dispatch"  # 待派遣 (registered or returned)
    TO_ACCEPT = "to_accept"  # 待签收
    IN_PROGRESS = "in_progress"  # 办理中
    TO_CHECK = "to_check"  # 待核查
    TO_VISIT = "to_visit"  # 待回访
    DUE_SOON = "due_soon"  # 即将超期 (past the warning point)
    OVERDUE = "overdue"  # 已超期


QUEUE_LABELS_ZH = {
    Queue.TO_REGISTER: "待立案",
    Queue.TO_DISPATCH: "待派遣",
    Queue.TO_ACCEPT: "待签收",
    Queue.IN_PROGRESS: "办理中",
    Queue.TO_CHECK: "待核查",
    Queue.TO_VISIT: "待回访",
    Queue.DUE_SOON: "即将超期",
    Queue.OVERDUE: "已超期",
}


def queue_filter(queue: Queue, now: datetime) -> ColumnElement[bool]:
    """The condition of one queue."""
    s = CaseStatus
    match queue:
        case Queue.TO_REGISTER:
            return Case.status == s.RECEIVED
        case Queue.TO_DISPATCH:
            return Case.status.in_([s.REGISTERED, s.RETURNED])
        case Queue.TO_ACCEPT:
            return Case.status == s.DISPATCHED
        case Queue.IN_PROGRESS:
            return Case.status.in_([s.ACCEPTED, s.IN_PROGRESS, s.REWORK])
        case Queue.TO_CHECK:
            return Case.status == s.HANDLED
        case Queue.TO_VISIT:
            return Case.status.in_([s.CLOSED_FIXED, s.CLOSED_UNFIXABLE]) & Case.satisfaction.is_(None)
        case Queue.DUE_SOON:
            return and_(Case.step_warn_at <= now, Case.step_due_at > now)
        case Queue.OVERDUE:
            return Case.step_due_at <= now


def cases_query(
    actor: Principal,
    *,
    now: datetime,
    queue: Queue | None = None,
    statuses: Sequence[str] = (),
    category_code: str | None = None,
    channel: str | None = None,
    text: str | None = None,
    unit_id: int | None = None,
) -> Select[tuple[Case]]:
    """Cases in scope, filtered; newest first."""
    stmt = select(Case).where(case_scope(actor))
    if queue is not None:
        stmt = stmt.where(queue_filter(queue, now))
    if statuses:
        stmt = stmt.where(Case.status.in_(list(statuses)))
    if category_code:
        cat_ids = select(CaseCategory.id).where(
            or_(CaseCategory.code == category_code, CaseCategory.code.startswith(category_code, autoescape=True))
        )
        stmt = stmt.where(Case.category_id.in_(cat_ids))
    if channel:
        stmt = stmt.where(Case.channel == channel)
    if unit_id is not None:
        stmt = stmt.where(Case.responsible_unit_id == unit_id)
    if text:
        like = f"%{text.strip()}%"
        stmt = stmt.where(or_(Case.number == text.strip(), Case.title.like(like), Case.address.like(like)))
    return stmt.order_by(Case.reported_at.desc(), Case.id.desc())


def nearby_open_cases(
    session: Session,
    *,
    category_id: int,
    lon: float,
    lat: float,
    radius_m: float,
    since: datetime,
    exclude_id: int | None = None,
    limit: int = 200,
) -> list[Case]:
    """Open cases of one category reported since ``since`` inside the bounding box of a radius (refine after)."""
    dlat = radius_m / 111_320.0
    dlon = radius_m / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    stmt = (
        select(Case)
        .where(
            Case.category_id == category_id,
            Case.is_open.is_(True),
            Case.master_id.is_(None),
            Case.reported_at >= since,
            Case.lon.between(lon - dlon, lon + dlon),
            Case.lat.between(lat - dlat, lat + dlat),
        )
        .order_by(Case.reported_at.desc())
        .limit(limit)
    )
    if exclude_id is not None:
        stmt = stmt.where(Case.id != exclude_id)
    return list(session.scalars(stmt))


def unit_chain(session: Session, unit_id: int | None) -> list[OrgUnit]:
    """A unit and its ancestors, nearest first (one query over the unit's path prefixes)."""
    if unit_id is None:
        return []
    unit = session.get(OrgUnit, unit_id)
    if unit is None:
        return []
    parts = [p for p in unit.path.split("/") if p]
    prefixes = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts))]
    above = list(session.scalars(select(OrgUnit).where(OrgUnit.path.in_(prefixes)))) if prefixes else []
    return [unit, *sorted(above, key=lambda u: -len(u.path))]


def window_start(now: datetime, hours: float) -> datetime:
    """``now`` minus a window in hours."""
    return now - timedelta(hours=hours)


def duplicates_of(session: Session, case: Case) -> list[Case]:
    """Cases merged into ``case``."""
    return list(session.scalars(select(Case).where(Case.master_id == case.id).order_by(Case.id)))
