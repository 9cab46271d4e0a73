"""Account use cases: create, grant roles, sign in and out, lock and unlock, passwords, sessions, tokens.

Services flush and never commit; the request or the CLI command owns the transaction. Every change that
matters to security writes its audit row in the same transaction.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.audit.models import Outcome
from pingan.auth import lockout, passwords, repository
from pingan.auth.models import ApiToken, Role, User, UserRole, WebSession
from pingan.auth.policy import BUILTIN_ROLES, AdminKind, DataScope, Permission, admin_kind_conflicts
from pingan.auth.principal import Principal
from pingan.auth.scope import ScopeGrant, Visibility, resolve
from pingan.config import Settings
from pingan.errors import Conflict, Forbidden, Locked, NotAuthenticated, NotFound, ValidationFailed
from pingan.org.models import OrgUnit

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{2,63}$")
TOKEN_PREFIX = "pa_"  # noqa: S105 - marks our tokens, not a secret
# Permissions an integration token may carry: never the administrator verbs.
TOKEN_GRANTABLE = frozenset({Permission.ORG_READ, Permission.USER_READ, Permission.STATS_READ})


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _audit_user(
    session: Session,
    action: str,
    user_id: int,
    *,
    actor: Principal,
    now: datetime,
    outcome: Outcome = Outcome.SUCCESS,
    details: dict[str, object] | None = None,
) -> None:
    """Audit an act on an account (the object of every row written here)."""
    audit.record(
        session,
        actor=actor,
        action=action,
        now=now,
        outcome=outcome,
        object_type="user",
        object_id=user_id,
        details=details,
    )


# ---------------------------------------------------------------- roles


def sync_builtin_roles(session: Session, *, now: datetime) -> int:
    """Create or update the built-in roles to match :data:`BUILTIN_ROLES`; return how many changed."""
    existing = repository.roles_by_code(session, [r.code for r in BUILTIN_ROLES])
    changed = 0
    for spec in BUILTIN_ROLES:
        role = existing.get(spec.code)
        values = {
            "name": spec.name,
            "name_en": spec.name_en,
            "description": spec.description,
            "data_scope": spec.data_scope,
            "permissions": sorted(p.value for p in spec.permissions),
            "admin_kind": spec.admin_kind,
            "builtin": True,
        }
        if role is None:
            session.add(Role(code=spec.code, created_at=now, **values))
            changed += 1
        elif any(getattr(role, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(role, k, v)
            changed += 1
    session.flush()
    return changed


# ---------------------------------------------------------------- principals and scope


def visibility_of(session: Session, user: User) -> Visibility:
    """Resolve the data scope of all the user's roles against the user's unit (and grids, for 本人网格)."""
    grid_ids: tuple[int, ...] = ()
    grid_unit_ids: tuple[int, ...] = ()
    if any(g.role.data_scope == DataScope.GRID for g in user.grants):
        from pingan.grids.repository import grids_of_user

        pairs = grids_of_user(session, user.id)
        grid_ids = tuple(p[0] for p in pairs)
        grid_unit_ids = tuple({p[1] for p in pairs})
    grants = [
        ScopeGrant(
            scope=DataScope(g.role.data_scope),
            unit_id=user.unit_id,
            unit_path=user.unit.path,
            custom_paths=tuple(u.path for u in g.role.custom_units),
            grid_ids=grid_ids,
            grid_unit_ids=grid_unit_ids,
        )
        for g in user.grants
    ]
    return resolve(grants, user_id=user.id)


def principal_for_user(
    session: Session, user: User, *, source_ip: str | None = None, session_id: str | None = None
) -> Principal:
    """The acting principal of a signed-in user."""
    return Principal(
        label=user.username,
        user_id=user.id,
        unit_id=user.unit_id,
        session_id=session_id,
        permissions=user.permissions,
        visibility=visibility_of(session, user),
        admin_kind=user.admin_kind,
        source_ip=source_ip,
        must_change_password=user.must_change_password,
    )


# ---------------------------------------------------------------- accounts


def _check_password(settings: Settings, password: str, username: str) -> None:
    problems = passwords.password_problems(password, min_length=settings.password_min_length, username=username)
    if problems:
        raise ValidationFailed("password " + "; ".join(problems), code="weak_password", problems=problems)


def get_user(session: Session, user_id: int, *, actor: Principal) -> User:
    """An account inside the caller's scope, else :class:`NotFound` (scope never reveals existence)."""
    user = session.scalars(repository.users_query(actor.visibility).where(User.id == user_id)).first()
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def list_users(session: Session, *, actor: Principal, limit: int = 100, offset: int = 0) -> list[User]:
    """Accounts inside the caller's scope, by username."""
    actor.require(Permission.USER_READ)
    stmt = repository.users_query(actor.visibility).order_by(User.username).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def create_user(
    session: Session,
    settings: Settings,
    *,
    username: str,
    display_name: str,
    unit_code: str,
    password: str,
    role_codes: list[str],
    actor: Principal,
    now: datetime,
    must_change_password: bool = True,
) -> User:
    """Create an account in a unit with roles; the new account must change its password at first sign-in."""
    actor.require(Permission.USER_WRITE)
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise ValidationFailed(
            "username must be 3–64 characters: a lower-case letter, then letters, digits, '_', '.' or '-'",
            code="bad_username",
        )
    if username in {"admin", "root", "administrator", "system"}:
        raise ValidationFailed(f"username {username!r} is reserved (no default accounts)", code="bad_username")
    if repository.get_user_by_username(session, username) is not None:
        raise Conflict(f"username {username!r} is taken", code="username_taken")
    unit = session.scalars(select(OrgUnit).where(OrgUnit.code == unit_code)).first()
    if unit is None or not actor.visibility.allows(unit_id=unit.id, unit_path=unit.path):
        raise NotFound(f"organisation unit {unit_code!r} not found")
    _check_password(settings, password, username)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        unit_id=unit.id,
        password_hash=passwords.hash_password(password),
        must_change_password=must_change_password,
        failed_login_count=0,
        is_active=True,
        created_at=now,
        created_by_id=actor.user_id,
    )
    session.add(user)
    session.flush()
    _audit_user(
        session, "user.create", user.id, actor=actor, now=now, details={"username": username, "unit": unit.code}
    )
    if role_codes:
        # Granting roles is its own audited act, open only to holders of user.roles (the security
        # administrator, or the operator at the console), so a system administrator cannot mint admins.
        set_roles(session, user.id, role_codes, actor=actor, now=now)
    return user


def set_roles(
    session: Session,
    user_id: int,
    role_codes: list[str],
    *,
    actor: Principal,
    now: datetime,
) -> User:
    """Replace the roles of an account, refusing two of the three administrator duties (三权分立)."""
    actor.require(Permission.USER_ROLES)
    user = get_user(session, user_id, actor=actor)
    codes = sorted(set(role_codes))
    roles = repository.roles_by_code(session, codes)
    unknown = [c for c in codes if c not in roles]
    if unknown:
        raise ValidationFailed(f"unknown roles: {', '.join(unknown)}", code="unknown_role")
    clash = admin_kind_conflicts(AdminKind(r.admin_kind) if r.admin_kind else None for r in roles.values())
    if clash:
        _audit_user(
            session,
            "user.roles.set",
            user.id,
            actor=actor,
            now=now,
            outcome=Outcome.DENIED,
            details={"roles": codes, "reason": "separation_of_duties"},
        )
        raise Conflict(
            "one account may hold only one of the system, security and audit administrator roles "
            f"(三权分立); asked for {', '.join(k.value for k in clash)}",
            code="separation_of_duties",
        )
    if actor.user_id is not None and actor.user_id == user.id:
        raise Forbidden("an account cannot change its own roles", code="self_grant")
    before = sorted(r.code for r in user.roles)
    user.grants = [g for g in user.grants if g.role.code in roles]
    held = {g.role.code for g in user.grants}
    for code in codes:
        if code not in held:
            role = roles[code]
            user.grants.append(
                UserRole(role=role, admin_kind=role.admin_kind, granted_at=now, granted_by_id=actor.user_id)
            )
    session.flush()
    if before != codes:
        _audit_user(
            session, "user.roles.set", user.id, actor=actor, now=now, details={"before": before, "after": codes}
        )
    return user


def unlock_user(session: Session, user_id: int, *, actor: Principal, now: datetime) -> User:
    """Clear a lock and the failure counter."""
    actor.require(Permission.USER_UNLOCK)
    user = get_user(session, user_id, actor=actor)
    was_locked = user.locked_at is not None
    _apply_lock_state(user, lockout.after_success())
    _audit_user(session, "user.unlock", user.id, actor=actor, now=now, details={"was_locked": was_locked})
    return user


def reset_password(
    session: Session, settings: Settings, user_id: int, new_password: str, *, actor: Principal, now: datetime
) -> User:
    """Set a temporary password that must be changed at the next sign-in; ends the account's sessions."""
    actor.require(Permission.USER_RESET_PASSWORD)
    user = get_user(session, user_id, actor=actor)
    _check_password(settings, new_password, user.username)
    user.password_hash = passwords.hash_password(new_password)
    user.must_change_password = True
    user.password_changed_at = now
    revoked = _revoke_user_sessions(session, user, now=now, reason="password_reset")
    _audit_user(session, "user.password.reset", user.id, actor=actor, now=now, details={"sessions_revoked": revoked})
    return user


def change_password(
    session: Session,
    settings: Settings,
    user: User,
    current_password: str,
    new_password: str,
    *,
    actor: Principal,
    now: datetime,
) -> User:
    """The account holder changes the own password, proving the current one."""
    if not passwords.verify_password(user.password_hash, current_password):
        _audit_user(
            session,
            "user.password.change",
            user.id,
            actor=actor,
            now=now,
            outcome=Outcome.FAILURE,
            details={"reason": "wrong_current_password"},
        )
        raise ValidationFailed("the current password is wrong", code="wrong_password")
    if new_password == current_password:
        raise ValidationFailed("the new password must differ from the current one", code="password_reused")
    _check_password(settings, new_password, user.username)
    user.password_hash = passwords.hash_password(new_password)
    user.must_change_password = False
    user.password_changed_at = now
    _audit_user(session, "user.password.change", user.id, actor=actor, now=now)
    return user


def _apply_lock_state(user: User, state: lockout.LockState) -> None:
    user.failed_login_count = state.failed_count
    user.locked_at = state.locked_at
    user.locked_until = state.locked_until


def _lock_state(user: User) -> lockout.LockState:
    return lockout.LockState(user.failed_login_count, user.locked_at, user.locked_until)


# ---------------------------------------------------------------- sign-in and sessions


@dataclass(frozen=True)
class SignIn:
    """The result of a sign-in attempt; the caller commits in both cases (failures are counted and audited)."""

    user: User | None
    token: str | None  # the cookie value, on success
    web_session: WebSession | None
    error: NotAuthenticated | Locked | None


def sign_in(
    session: Session,
    settings: Settings,
    *,
    username: str,
    password: str,
    source_ip: str | None,
    user_agent: str | None,
    now: datetime,
) -> SignIn:
    """Check a password, counting failures and locking after too many; open a server-side session."""
    anonymous = Principal(label=username.strip().lower()[:64] or "-", source_ip=source_ip)
    user = repository.get_user_by_username(session, username)
    if user is None or not user.is_active:
        passwords.verify_password(passwords.DUMMY_HASH, password)  # same time as a real check
        audit.record(
            session,
            actor=anonymous,
            action="auth.sign_in",
            now=now,
            outcome=Outcome.FAILURE,
            details={"reason": "unknown_user" if user is None else "inactive"},
        )
        return SignIn(None, None, None, NotAuthenticated("wrong username or password", code="bad_credentials"))
    actor = Principal(label=user.username, user_id=user.id, source_ip=source_ip)
    state = _lock_state(user)
    if lockout.is_locked(state, now):
        _audit_user(
            session, "auth.sign_in", user.id, actor=actor, now=now, outcome=Outcome.DENIED, details={"reason": "locked"}
        )
        return SignIn(user, None, None, _locked_error(user))
    if not passwords.verify_password(user.password_hash, password):
        new_state = lockout.after_failure(
            state,
            now,
            max_failures=settings.login_max_failures,
            lock_minutes=settings.login_lock_minutes,
            manual_unlock=user.admin_kind is not None,
        )
        _apply_lock_state(user, new_state)
        _audit_user(
            session,
            "auth.sign_in",
            user.id,
            actor=actor,
            now=now,
            outcome=Outcome.FAILURE,
            details={"reason": "bad_password", "consecutive_failures": new_state.failed_count},
        )
        if lockout.is_locked(new_state, now):
            _audit_user(
                session,
                "auth.lockout",
                user.id,
                actor=actor,
                now=now,
                details={
                    "until": new_state.locked_until.isoformat() if new_state.locked_until else "manual_unlock",
                    "failures": new_state.failed_count,
                },
            )
            return SignIn(user, None, None, _locked_error(user))
        return SignIn(user, None, None, NotAuthenticated("wrong username or password", code="bad_credentials"))
    _apply_lock_state(user, lockout.after_success())
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = now
    token = secrets.token_urlsafe(32)
    web_session = WebSession(
        id=_sha256(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        source_ip=source_ip,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(web_session)
    session.flush()
    _audit_user(
        session,
        "auth.sign_in",
        user.id,
        actor=actor,
        now=now,
        details={"must_change_password": user.must_change_password},
    )
    return SignIn(user, token, web_session, None)


def _locked_error(user: User) -> Locked:
    if user.locked_until is None:
        return Locked("the account is locked; a security administrator must unlock it", manual=True)
    return Locked(
        "the account is locked after too many failed sign-ins; try again later",
        until=user.locked_until.isoformat(),
    )


@dataclass(frozen=True)
class SessionCheck:
    """What a session lookup found; ``needs_write`` when the row must be touched or expired."""

    web_session: WebSession | None
    expired_reason: str | None
    needs_touch: bool


def check_session(session: Session, settings: Settings, token: str, *, now: datetime) -> SessionCheck:
    """Look up a session cookie without writing; say whether it is valid, expired, or due a touch."""
    ws = repository.session_by_id(session, _sha256(token))
    if ws is None or ws.revoked_at is not None or not ws.user.is_active:
        return SessionCheck(None, None, False)
    idle, absolute = lockout.session_limits(
        is_admin=ws.user.admin_kind is not None,
        idle_minutes=settings.session_idle_minutes,
        idle_minutes_admin=settings.session_idle_minutes_admin,
        absolute_hours=settings.session_absolute_hours,
    )
    reason = lockout.session_expired(
        created_at=ws.created_at, last_seen_at=ws.last_seen_at, now=now, idle=idle, absolute=absolute
    )
    if reason:
        return SessionCheck(ws, reason, False)
    touch = (now - ws.last_seen_at) >= timedelta(seconds=settings.session_touch_seconds)
    return SessionCheck(ws, None, touch)


def touch_or_expire(session: Session, session_id: str, expired_reason: str | None, *, now: datetime) -> None:
    """Record activity on a session, or end it (with an audit row) when it has expired."""
    ws = repository.session_by_id(session, session_id)
    if ws is None or ws.revoked_at is not None:
        return
    if expired_reason:
        ws.revoked_at = now
        ws.revoke_reason = expired_reason
        _audit_user(
            session,
            "auth.session_expired",
            ws.user_id,
            actor=Principal(label=ws.user.username, user_id=ws.user_id),
            now=now,
            details={"reason": expired_reason},
        )
    else:
        ws.last_seen_at = now
    session.flush()


def sign_out(session: Session, session_id: str, *, actor: Principal, now: datetime) -> None:
    """Revoke a browser session on the server."""
    ws = repository.session_by_id(session, session_id)
    if ws is None or ws.revoked_at is not None:
        return
    ws.revoked_at = now
    ws.revoke_reason = "sign_out"
    _audit_user(session, "auth.sign_out", ws.user_id, actor=actor, now=now)


def _revoke_user_sessions(session: Session, user: User, *, now: datetime, reason: str) -> int:
    live = session.scalars(
        select(WebSession).where(WebSession.user_id == user.id, WebSession.revoked_at.is_(None))
    ).all()
    for ws in live:
        ws.revoked_at = now
        ws.revoke_reason = reason
    return len(live)


# ---------------------------------------------------------------- API tokens


def issue_token(
    session: Session,
    settings: Settings,
    *,
    name: str,
    unit_code: str,
    permissions: list[str],
    days: int,
    actor: Principal,
    now: datetime,
) -> tuple[ApiToken, str]:
    """Issue an integration token; the secret is returned once and only its SHA-256 is stored."""
    actor.require(Permission.TOKEN_MANAGE)
    if not name.strip():
        raise ValidationFailed("a token needs a name", code="bad_token")
    if not 1 <= days <= settings.api_token_max_days:
        raise ValidationFailed(f"expiry must be 1–{settings.api_token_max_days} days", code="bad_token")
    wanted = sorted(set(permissions))
    allowed = {p.value for p in TOKEN_GRANTABLE}
    refused = [p for p in wanted if p not in allowed]
    if refused or not wanted:
        raise ValidationFailed(
            f"tokens may carry only {', '.join(sorted(allowed))}; refused: {', '.join(refused) or '(none given)'}",
            code="bad_token",
        )
    unit = session.scalars(select(OrgUnit).where(OrgUnit.code == unit_code)).first()
    if unit is None or not actor.visibility.allows(unit_id=unit.id, unit_path=unit.path):
        raise NotFound(f"organisation unit {unit_code!r} not found")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name.strip()[:80],
        prefix=secret[:10],
        token_hash=_sha256(secret),
        unit_id=unit.id,
        permissions=wanted,
        created_by_id=actor.user_id,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="token.issue",
        now=now,
        object_type="api_token",
        object_id=token.id,
        details={"name": token.name, "unit": unit.code, "permissions": wanted, "days": days},
    )
    return token, secret


def revoke_token(session: Session, token_id: int, *, actor: Principal, now: datetime) -> ApiToken:
    """Revoke an integration token at once."""
    actor.require(Permission.TOKEN_MANAGE)
    token = session.get(ApiToken, token_id)
    if token is None or not actor.visibility.allows(unit_id=token.unit_id, unit_path=token.unit.path):
        raise NotFound(f"token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = now
        audit.record(session, actor=actor, action="token.revoke", now=now, object_type="api_token", object_id=token.id)
    return token


def list_tokens(session: Session, *, actor: Principal) -> list[ApiToken]:
    """Integration tokens inside the caller's scope, newest first."""
    actor.require(Permission.TOKEN_MANAGE)
    stmt = (
        select(ApiToken)
        .where(repository.scope_filter(actor.visibility, unit_id_col=ApiToken.unit_id))
        .order_by(ApiToken.id.desc())
    )
    return list(session.scalars(stmt))


def principal_for_token(session: Session, secret: str, *, source_ip: str | None, now: datetime) -> Principal:
    """Authenticate a bearer token; refuses unknown, revoked and expired tokens alike."""
    token = repository.token_by_hash(session, _sha256(secret)) if secret.startswith(TOKEN_PREFIX) else None
    if token is None or token.revoked_at is not None or now >= token.expires_at:
        raise NotAuthenticated("invalid, expired or revoked token", code="bad_token")
    return Principal(
        label=f"token:{token.prefix}",
        token_id=token.id,
        unit_id=token.unit_id,
        permissions=frozenset(token.permissions),
        visibility=Visibility(subtree_paths=frozenset({token.unit.path})),
        source_ip=source_ip,
    )
