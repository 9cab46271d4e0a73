"""HTTP API of sign-in, accounts, roles and integration tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from pingan.auth import repository
from pingan.auth import service as auth_service
from pingan.auth.models import User
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.auth.schemas import (
    PasswordChangeIn,
    PasswordResetIn,
    RoleOut,
    RolesIn,
    SignInIn,
    SignInOut,
    TokenIn,
    TokenIssued,
    TokenOut,
    UserCreateIn,
    UserOut,
)
from pingan.deps import (
    SESSION_COOKIE,
    AppSettings,
    CurrentPrincipal,
    DbSession,
    client_ip,
    csrf_token,
    principal_changing_password,
    require,
)
from pingan.errors import NotAuthenticated
from pingan.kit.clock import utcnow

router = APIRouter(prefix="/api", tags=["auth"])


def set_session_cookie(response: Response, token: str, *, secure: bool) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure outside development; dies with the browser."""
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure, path="/")


@router.post("/auth/login", response_model=SignInOut, summary="Sign in; sets the session cookie")
def login(body: SignInIn, request: Request, response: Response, db: DbSession, settings: AppSettings) -> SignInOut:
    result = auth_service.sign_in(
        db,
        settings,
        username=body.username,
        password=body.password,
        source_ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        now=utcnow(),
    )
    db.commit()  # failures are counted and audited even though the answer is an error
    if result.error is not None:
        raise result.error
    assert result.user is not None and result.token is not None and result.web_session is not None
    set_session_cookie(response, result.token, secure=not settings.is_development)
    request.state.principal = auth_service.principal_for_user(db, result.user, session_id=result.web_session.id)
    return SignInOut(
        user=UserOut.of(result.user),
        csrf_token=csrf_token(request),
        must_change_password=result.user.must_change_password,
    )


@router.post("/auth/logout", status_code=204, summary="Sign out; revokes the session on the server")
def logout(
    response: Response, db: DbSession, principal: Annotated[Principal, Depends(principal_changing_password)]
) -> None:
    if principal.session_id is None:
        raise NotAuthenticated("bearer tokens are revoked, not signed out", code="not_a_session")
    auth_service.sign_out(db, principal.session_id, actor=principal, now=utcnow())
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/auth/me", response_model=UserOut, summary="The signed-in account")
def me(db: DbSession, principal: Annotated[Principal, Depends(principal_changing_password)]) -> UserOut:
    if principal.user_id is None:
        raise NotAuthenticated("a token has no account", code="not_a_session")
    user = db.get(User, principal.user_id)
    assert user is not None
    return UserOut.of(user)


@router.post("/auth/password", status_code=204, summary="Change the own password")
def change_password(
    body: PasswordChangeIn,
    db: DbSession,
    settings: AppSettings,
    principal: Annotated[Principal, Depends(principal_changing_password)],
) -> None:
    user = db.get(User, principal.user_id) if principal.user_id else None
    if user is None:
        raise NotAuthenticated("a token has no password", code="not_a_session")
    auth_service.change_password(
        db, settings, user, body.current_password, body.new_password, actor=principal, now=utcnow()
    )


@router.get("/users", response_model=list[UserOut], summary="Accounts in the caller's data scope")
def list_users(
    db: DbSession,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[UserOut]:
    return [UserOut.of(u) for u in auth_service.list_users(db, actor=principal, limit=limit, offset=offset)]


@router.post("/users", response_model=UserOut, status_code=201, summary="Create an account")
def create_user(
    body: UserCreateIn,
    db: DbSession,
    settings: AppSettings,
    principal: Annotated[Principal, Depends(require(Permission.USER_WRITE))],
) -> UserOut:
    user = auth_service.create_user(
        db,
        settings,
        username=body.username,
        display_name=body.display_name,
        unit_code=body.unit_code,
        password=body.password,
        role_codes=body.roles,
        actor=principal,
        now=utcnow(),
    )
    return UserOut.of(user)


@router.get("/users/{user_id}", response_model=UserOut, summary="One account (404 outside the data scope)")
def get_user(
    user_id: int, db: DbSession, principal: Annotated[Principal, Depends(require(Permission.USER_READ))]
) -> UserOut:
    return UserOut.of(auth_service.get_user(db, user_id, actor=principal))


@router.put("/users/{user_id}/roles", response_model=UserOut, summary="Replace an account's roles")
def set_roles(
    user_id: int,
    body: RolesIn,
    db: DbSession,
    principal: Annotated[Principal, Depends(require(Permission.USER_ROLES))],
) -> UserOut:
    return UserOut.of(auth_service.set_roles(db, user_id, body.roles, actor=principal, now=utcnow()))


@router.post("/users/{user_id}/unlock", response_model=UserOut, summary="Unlock an account")
def unlock(
    user_id: int, db: DbSession, principal: Annotated[Principal, Depends(require(Permission.USER_UNLOCK))]
) -> UserOut:
    return UserOut.of(auth_service.unlock_user(db, user_id, actor=principal, now=utcnow()))


@router.post("/users/{user_id}/password", response_model=UserOut, summary="Reset an account's password")
def reset_password(
    user_id: int,
    body: PasswordResetIn,
    db: DbSession,
    settings: AppSettings,
    principal: Annotated[Principal, Depends(require(Permission.USER_RESET_PASSWORD))],
) -> UserOut:
    user = auth_service.reset_password(db, settings, user_id, body.new_password, actor=principal, now=utcnow())
    return UserOut.of(user)


@router.get("/roles", response_model=list[RoleOut], summary="All roles")
def list_roles(db: DbSession, _: Annotated[Principal, Depends(require(Permission.ROLE_READ))]) -> list[RoleOut]:
    return [RoleOut.model_validate(r) for r in repository.all_roles(db)]


@router.get("/tokens", response_model=list[TokenOut], summary="Integration tokens")
def list_tokens(db: DbSession, principal: CurrentPrincipal) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in auth_service.list_tokens(db, actor=principal)]


@router.post("/tokens", response_model=TokenIssued, status_code=201, summary="Issue an integration token")
def issue_token(body: TokenIn, db: DbSession, settings: AppSettings, principal: CurrentPrincipal) -> TokenIssued:
    token, secret = auth_service.issue_token(
        db,
        settings,
        name=body.name,
        unit_code=body.unit_code,
        permissions=body.permissions,
        days=body.days,
        actor=principal,
        now=utcnow(),
    )
    return TokenIssued(**TokenOut.model_validate(token).model_dump(), secret=secret)


@router.delete("/tokens/{token_id}", response_model=TokenOut, summary="Revoke an integration token")
def revoke_token(token_id: int, db: DbSession, principal: CurrentPrincipal) -> TokenOut:
    return TokenOut.model_validate(auth_service.revoke_token(db, token_id, actor=principal, now=utcnow()))
