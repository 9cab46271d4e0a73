"""Queries of areas, grids and teams."""

from __future__ import annotations

from sqlalchemy import select
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
