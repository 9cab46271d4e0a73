"""Write and verify the audit trail. ``record`` joins the caller's transaction: the row commits with the change."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pingan.audit.chain import GENESIS, ChainBreak, ChainRow, canonical_details, row_hash, verify
from pingan.audit.models import AuditEntry, Outcome
from pingan.auth.principal import Principal
from pingan.config import get_settings

# Keys that must never reach the trail (no secrets in audit details, security.md S13).
_FORBIDDEN_KEYS = frozenset({"password", "new_password", "token", "secret", "password_hash", "token_hash"})
_PG_AUDIT_LOCK = 0x70696E67  # "ping": one advisory lock serialises appends to the chain


def audit_key() -> bytes:
    """The HMAC key of the chain: PINGAN_AUDIT_KEY, or one derived from the secret key."""
    settings = get_settings()
    if settings.audit_key:
        return settings.audit_key.encode("utf-8")
    return hmac.new(settings.secret_key.encode("utf-8"), b"pingan-audit-chain", hashlib.sha256).digest()


def record(
    session: Session,
    *,
    actor: Principal,
    action: str,
    now: datetime,
    outcome: Outcome = Outcome.SUCCESS,
    object_type: str | None = None,
    object_id: str | int | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one row to the trail inside the current transaction and return it."""
    details = dict(details or {})
    leaked = _FORBIDDEN_KEYS & set(details)
    if leaked:
        raise ValueError(f"audit details must not carry secrets: {sorted(leaked)}")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    last = session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    prev_id, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
    entry = AuditEntry(
        id=prev_id + 1,
        at=now,
        actor_id=actor.user_id,
        actor=actor.label,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        outcome=outcome,
        source_ip=actor.source_ip,
        details=canonical_details(details),
        prev_hash=prev_hash,
        hash="",
    )
    entry.hash = row_hash(audit_key(), _as_chain_row(entry), prev_hash)
    session.add(entry)
    session.flush()
    return entry


def _as_chain_row(e: AuditEntry) -> ChainRow:
    return ChainRow(
        e.id,
        e.at,
        e.actor_id,
        e.actor,
        e.action,
        e.object_type,
        e.object_id,
        str(e.outcome),
        e.source_ip,
        e.details,
        e.prev_hash,
        e.hash,
    )


def _iter_rows(session: Session, batch: int = 5000) -> Iterator[ChainRow]:
    table = AuditEntry.__table__
    columns = [table.c[name] for name in ChainRow.__dataclass_fields__]
    last = 0
    while True:
        chunk = [
            ChainRow(**row._mapping)
            for row in session.execute(select(*columns).where(table.c.id > last).order_by(table.c.id).limit(batch))
        ]
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].id


def verify_chain(session: Session) -> tuple[int, ChainBreak | None]:
    """Check the whole trail; return (rows checked, first break or None)."""
    return verify(audit_key(), _iter_rows(session))
