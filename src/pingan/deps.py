"""Request plumbing: database sessions, the acting principal, CSRF, and permission guards."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from pingan.auth import service as auth_service
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.config import Settings
from pingan.errors import Forbidden, NotAuthenticated
from pingan.kit.clock import utcnow
from pingan.kit.crypto import FieldCipher

SESSION_COOKIE = "pingan_session"
ANON_COOKIE = "pingan_anon"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class Database:
    """The app's session factories: ``read`` begins a plain transaction, ``write`` takes the write lock."""

    read: sessionmaker[Session]
    write: sessionmaker[Session]


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    """The app's session factories."""
    db: Database = request.app.state.db
    return db


def get_db(request: Request) -> Iterator[Session]:
    """One session per request, committed when the handler returns, rolled back when it raises."""
    db = get_database(request)
    factory = db.read if request.method in SAFE_METHODS else db.write
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def client_ip(request: Request) -> str | None:
    """The peer address (a reverse proxy's X-Forwarded-For is trusted only when configured; not yet)."""
    return request.client.host if request.client else None


def _csrf_for(settings: Settings, seed: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"csrf:{seed}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The CSRF token forms must echo: bound to the session, or to an anonymous cookie before sign-in."""
    settings = get_settings(request)
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is not None and principal.session_id:
        return _csrf_for(settings, principal.session_id)
    anon = request.cookies.get(ANON_COOKIE) or getattr(request.state, "new_anon", None)
    if anon is None:
        anon = secrets.token_urlsafe(24)
        request.state.new_anon = anon  # the page middleware sets the cookie
    return _csrf_for(settings, "anon:" + anon)


def _resolve_principal(request: Request) -> Principal | None:
    if hasattr(request.state, "principal"):
        principal: Principal | None = request.state.principal
        return principal
    settings = get_settings(request)
    db = get_database(request)
    now = utcnow()
    ip = client_ip(request)
    principal = None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        with db.read() as s:
            principal = auth_service.principal_for_token(s, header[7:].strip(), source_ip=ip, now=now)
    elif cookie := request.cookies.get(SESSION_COOKIE):
        with db.read() as s:
            check = auth_service.check_session(s, settings, cookie, now=now)
            ws = check.web_session
            if ws is not None and check.expired_reason is None:
                principal = auth_service.principal_for_user(s, ws.user, source_ip=ip, session_id=ws.id)
        if ws is not None and (check.expired_reason or check.needs_touch):
            with db.write() as s, s.begin():
                auth_service.touch_or_expire(s, ws.id, check.expired_reason, now=now)
    request.state.principal = principal
    return principal


def optional_principal(request: Request) -> Principal | None:
    """The caller if signed in (session cookie or bearer token), else None."""
    return _resolve_principal(request)


async def _check_csrf(request: Request, principal: Principal) -> None:
    if request.method in SAFE_METHODS or principal.session_id is None:
        return  # bearer tokens are not sent by browsers on their own, so they need no CSRF token
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, csrf_token(request)):
        raise Forbidden("missing or wrong CSRF token", code="csrf_failed")


async def current_principal(request: Request) -> Principal:
    """The signed-in caller; 401 without one, 403 until a forced password change is done."""
    principal = _resolve_principal(request)
    if principal is None:
        raise NotAuthenticated("sign in first")
    await _check_csrf(request, principal)
    if principal.must_change_password and not getattr(request.state, "allow_password_change_only", False):
        raise Forbidden("change your password first", code="password_change_required")
    return principal


async def principal_changing_password(request: Request) -> Principal:
    """The signed-in caller, allowed even while a password change is pending."""
    request.state.allow_password_change_only = True
    return await current_principal(request)


def require(permission: Permission) -> Callable[..., Principal]:
    """A dependency that returns the caller when it holds ``permission`` and answers 403 otherwise."""

    def guard(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        principal.require(permission)
        return principal

    return guard


def get_field_cipher(request: Request) -> FieldCipher:
    """The personal-data cipher of the app's settings."""
    return get_settings(request).field_cipher()


DbSession = Annotated[Session, Depends(get_db)]
Cipher = Annotated[FieldCipher, Depends(get_field_cipher)]
AppSettings = Annotated[Settings, Depends(get_settings)]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]
