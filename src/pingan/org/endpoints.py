"""HTTP API of organisation units."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.deps import CurrentPrincipal, DbSession, require
from pingan.kit.clock import utcnow
from pingan.org import service
from pingan.org.schemas import UnitIn, UnitOut

router = APIRouter(prefix="/api/org-units", tags=["organisation"])


@router.get("", response_model=list[UnitOut], summary="Units in the caller's data scope, in tree order")
def list_units(
    db: DbSession,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[UnitOut]:
    return [UnitOut.model_validate(u) for u in service.list_units(db, actor=principal, limit=limit, offset=offset)]


@router.get("/{unit_id}", response_model=UnitOut, summary="One unit (404 outside the data scope)")
def get_unit(unit_id: int, db: DbSession, principal: CurrentPrincipal) -> UnitOut:
    return UnitOut.model_validate(service.get_unit(db, unit_id, actor=principal))


@router.post("", response_model=UnitOut, status_code=201, summary="Add a unit to the tree")
def create_unit(
    body: UnitIn, db: DbSession, principal: Annotated[Principal, Depends(require(Permission.ORG_WRITE))]
) -> UnitOut:
    unit = service.create_unit(
        db,
        code=body.code,
        name=body.name,
        name_en=body.name_en,
        kind=body.kind,
        parent_code=body.parent_code,
        actor=principal,
        now=utcnow(),
    )
    return UnitOut.model_validate(unit)
