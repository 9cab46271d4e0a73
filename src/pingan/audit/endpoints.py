"""HTTP API of the audit trail: read and verify only; there is no way to change it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from pingan.audit.models import AuditEntry
from pingan.audit.service import verify_chain
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.deps import DbSession, require

router = APIRouter(prefix="/api/audit", tags=["audit"])
Auditor = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]


class AuditOut(BaseModel):
    """One audit row."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    source_ip: str | None
    details: str
    hash: str


class VerifyOut(BaseModel):
    """The result of walking the chain."""

    ok: bool
    rows_checked: int
    first_bad_row: int | None
    problem: str | None


@router.get("", response_model=list[AuditOut], summary="Audit rows, newest first")
def list_audit(
    db: DbSession,
    _: Auditor,
    action: str | None = None,
    actor: str | None = None,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditOut]:
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if before_id:
        stmt = stmt.where(AuditEntry.id < before_id)
    return [AuditOut.model_validate(e) for e in db.scalars(stmt)]


@router.get("/verify", response_model=VerifyOut, summary="Verify the hash chain")
def verify(db: DbSession, _: Auditor) -> VerifyOut:
    checked, brk = verify_chain(db)
    return VerifyOut(
        ok=brk is None,
        rows_checked=checked,
        first_bad_row=brk.row_id if brk else None,
        problem=brk.message if brk else None,
    )
