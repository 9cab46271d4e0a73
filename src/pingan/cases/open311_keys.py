"""API keys of Open311 clients: issued once in clear, stored as a SHA-256 hash, checked on every POST."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.cases.models import Open311Client
from pingan.errors import Conflict, NotFound, ValidationFailed


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def issue(session: Session, name: str, *, now: datetime) -> str:
    """Create a client and return its key (shown once); 409 if the name is taken."""
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationFailed("a client name of 1–80 characters is needed")
    if session.scalars(select(Open311Client).where(Open311Client.name == name)).first() is not None:
        raise Conflict(f"an Open311 client named {name!r} exists")
    key = "o311_" + secrets.token_urlsafe(24)
    session.add(Open311Client(name=name, key_hash=_hash(key), created_at=now))
    session.flush()
    return key


def revoke(session: Session, name: str, *, now: datetime) -> None:
    """Revoke a client's key."""
    row = session.scalars(select(Open311Client).where(Open311Client.name == name.strip())).first()
    if row is None:
        raise NotFound(f"no Open311 client {name!r}")
    row.revoked_at = now


def client_for(session: Session, key: str | None) -> Open311Client | None:
    """The active client holding ``key``, else None."""
    if not key:
        return None
    row = session.scalars(select(Open311Client).where(Open311Client.key_hash == _hash(key))).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, _hash(key)):
        return None
    return row
