"""Organisation-unit use cases: add units to the tree, read them within the caller's scope."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.auth import repository
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.errors import Conflict, NotFound, ValidationFailed
from pingan.org.models import OrgUnit, UnitKind

CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,31}$")


def create_unit(
    session: Session,
    *,
    code: str,
    name: str,
    kind: UnitKind,
    parent_code: str | None,
    actor: Principal,
    now: datetime,
    name_en: str | None = None,
    sort_order: int = 0,
) -> OrgUnit:
    """Add a unit under ``parent_code`` (or as a root); codes are unique and make the subtree path."""
    actor.require(Permission.ORG_WRITE)
    if not CODE_RE.match(code):
        raise ValidationFailed("unit code must be 1–32 letters, digits or '-'", code="bad_unit_code")
    if not name.strip():
        raise ValidationFailed("unit name must not be empty", code="bad_unit_name")
    if session.scalars(select(OrgUnit.id).where(OrgUnit.code == code)).first() is not None:
        raise Conflict(f"unit code {code!r} exists", code="unit_code_taken")
    parent = None
    if parent_code is not None:
        parent = session.scalars(repository.units_query(actor.visibility).where(OrgUnit.code == parent_code)).first()
        if parent is None:
            raise NotFound(f"parent unit {parent_code!r} not found")
    elif not actor.visibility.everything:
        raise NotFound("only a caller who sees everything may add a root unit")
    unit = OrgUnit(
        code=code,
        name=name.strip(),
        name_en=name_en,
        kind=kind,
        parent_id=parent.id if parent else None,
        path=(parent.path if parent else "/") + code + "/",
        depth=(parent.depth + 1) if parent else 0,
        sort_order=sort_order,
        is_active=True,
        created_at=now,
    )
    session.add(unit)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="org.unit.create",
        now=now,
        object_type="org_unit",
        object_id=unit.id,
        details={"code": code, "parent": parent_code},
    )
    return unit


def get_unit(session: Session, unit_id: int, *, actor: Principal) -> OrgUnit:
    """A unit inside the caller's scope, else :class:`NotFound`."""
    actor.require(Permission.ORG_READ)
    unit = session.scalars(repository.units_query(actor.visibility).where(OrgUnit.id == unit_id)).first()
    if unit is None:
        raise NotFound(f"organisation unit {unit_id} not found")
    return unit


def list_units(session: Session, *, actor: Principal, limit: int = 500, offset: int = 0) -> list[OrgUnit]:
    """Units inside the caller's scope in tree order."""
    actor.require(Permission.ORG_READ)
    stmt = repository.units_query(actor.visibility).order_by(OrgUnit.path).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def unit_by_code(session: Session, code: str) -> OrgUnit | None:
    """A unit by code, scope not applied (CLI and seeding)."""
    return session.scalars(select(OrgUnit).where(OrgUnit.code == code)).first()
