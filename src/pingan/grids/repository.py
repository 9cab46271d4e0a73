"""Queries of areas, grids and teams."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.grids.models import LandGrid, TeamMember


def grids_of_user(session: Session, user_id: int) -> list[tuple[int, int]]:
    """(grid id, village unit id) of every grid whose service team lists the account."""
    stmt = (
        select(LandGrid.id, LandGrid.village_unit_id)
        .join(TeamMember, TeamMember.grid_id == LandGrid.id)
        .where(TeamMember.user_id == user_id)
        .distinct()
    )
    return [(int(a), int(b)) for a, b in session.execute(stmt)]


def land_bounds(session: Session) -> tuple[float | None, float | None, float | None, float | None]:
    """Total bounds of the land grids (west, south, east, north); all None when there are none."""
    row = session.execute(
        select(
            func.min(LandGrid.min_lon),
            func.min(LandGrid.min_lat),
            func.max(LandGrid.max_lon),
            func.max(LandGrid.max_lat),
        )
    ).one()
    return tuple(None if v is None else float(v) for v in row)  # type: ignore[return-value]
