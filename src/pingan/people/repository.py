"""Queries of the people register; every list and detail query carries the caller's data scope."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from pingan.auth.repository import scope_filter
from pingan.auth.scope import Visibility
from pingan.grids.models import LandGrid
from pingan.people.models import Building, Household, Resident


def _placed_scope(
    visibility: Visibility, model: type[Building] | type[Household] | type[Resident]
) -> ColumnElement[bool]:
    return scope_filter(visibility, unit_id_col=model.village_unit_id, grid_col=model.grid_id)


def grids_query(visibility: Visibility) -> Select[tuple[LandGrid]]:
    """Land grids the caller may see (a grid worker: the own grids)."""
    return select(LandGrid).where(scope_filter(visibility, unit_id_col=LandGrid.village_unit_id, grid_col=LandGrid.id))


def grids_by_code(session: Session, visibility: Visibility, codes: Collection[str]) -> dict[str, LandGrid]:
    """Visible land grids keyed by code, for the codes that exist inside the scope."""
    if not codes:
        return {}
    stmt = grids_query(visibility).where(LandGrid.code.in_(sorted(codes)))
    return {g.code: g for g in session.scalars(stmt)}


def grid_codes(session: Session, grid_ids: Collection[int]) -> dict[int, str]:
    """Codes of land grids by id (for answers that name a record's grid)."""
    if not grid_ids:
        return {}
    stmt = select(LandGrid.id, LandGrid.code).where(LandGrid.id.in_(sorted(set(grid_ids))))
    return {int(i): str(c) for i, c in session.execute(stmt)}


def buildings_query(visibility: Visibility) -> Select[tuple[Building]]:
    """Buildings the caller may see."""
    return select(Building).where(_placed_scope(visibility, Building))


def households_query(visibility: Visibility) -> Select[tuple[Household]]:
    """Households the caller may see."""
    return select(Household).where(_placed_scope(visibility, Household))


def residents_query(visibility: Visibility) -> Select[tuple[Resident]]:
    """Residents the caller may see."""
    return select(Resident).where(_placed_scope(visibility, Resident))


def last_building_code(session: Session, grid: LandGrid) -> str | None:
    """The highest building code in a grid (codes are the grid code plus a 5-digit number)."""
    return session.scalar(select(func.max(Building.code)).where(Building.grid_id == grid.id))


def taken_id_indexes(session: Session, indexes: Collection[str]) -> set[str]:
    """Which of these ID-number blind indexes are already registered (anywhere: the number is unique)."""
    found: set[str] = set()
    ordered = sorted(indexes)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        found.update(session.scalars(select(Resident.id_bidx).where(Resident.id_bidx.in_(chunk))))
    return found


def households_by_code(session: Session, codes: Collection[str]) -> dict[str, Household]:
    """Households keyed by code (scope not applied: the caller decides what a clash may reveal)."""
    if not codes:
        return {}
    found: dict[str, Household] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), 500):
        stmt = select(Household).where(Household.code.in_(ordered[start : start + 500]))
        found.update({h.code: h for h in session.scalars(stmt)})
    return found


def household_ids_with_head(session: Session, household_ids: Collection[int]) -> set[int]:
    """Which of these households already have a head (户主)."""
    if not household_ids:
        return set()
    stmt = select(Resident.household_id).where(
        Resident.household_id.in_(sorted(household_ids)), Resident.relation == "head"
    )
    return set(session.scalars(stmt))


def max_id(session: Session, table: Table) -> int:
    """The highest primary key of a table (0 when empty), to pre-assign ids in bulk inserts."""
    return int(session.scalar(select(func.max(table.c.id))) or 0)


def ciphertext_batches(
    session: Session, table: Table, columns: Sequence[str], *, after_id: int, limit: int
) -> list[tuple[Any, ...]]:
    """Rows ``(id, *columns)`` of a table with id above ``after_id``, in id order (for key rotation)."""
    stmt = (
        select(table.c.id, *[table.c[c] for c in columns])
        .where(table.c.id > after_id)
        .order_by(table.c.id)
        .limit(limit)
    )
    return [tuple(row) for row in session.execute(stmt)]


def update_by_id(session: Session, table: Table, rows: list[dict[str, object]]) -> None:
    """Update many rows of a table by id in one executemany (rows carry ``_id`` and the new values)."""
    if not rows:
        return
    keys = [k for k in rows[0] if k != "_id"]
    stmt = update(table).where(table.c.id == bindparam("_id")).values({k: bindparam(k) for k in keys})
    session.connection().execute(stmt, rows)


def count_residents(session: Session, visibility: Visibility, *, grid_id: int | None) -> int:
    """How many residents are in the scope (of one grid, when given)."""
    stmt = select(func.count(Resident.id)).where(_placed_scope(visibility, Resident))
    if grid_id is not None:
        stmt = stmt.where(Resident.grid_id == grid_id)
    return int(session.scalar(stmt) or 0)


def export_rows(session: Session, visibility: Visibility, *, grid_id: int | None, chunk: int = 2000) -> Iterator[Any]:
    """Residents in the scope (one grid, or all) with their grid and household codes, streamed in id order."""
    columns = (
        Resident.id,
        Resident.name,
        Resident.gender,
        Resident.ethnicity,
        Resident.birth_date,
        Resident.id_enc,
        Resident.phone_enc,
        Resident.address,
        Resident.relation,
        Resident.tags,
        LandGrid.code.label("grid_code"),
        Household.code.label("household_code"),
    )
    stmt = (
        select(*columns)
        .join(LandGrid, LandGrid.id == Resident.grid_id)
        .join(Household, Household.id == Resident.household_id)
        .where(_placed_scope(visibility, Resident))
    )
    if grid_id is not None:
        stmt = stmt.where(Resident.grid_id == grid_id)
    last = 0
    while True:
        batch = session.execute(stmt.where(Resident.id > last).order_by(Resident.id).limit(chunk)).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].id
