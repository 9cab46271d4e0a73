"""Page routes (Jinja2 + htmx): sign-in, home per role, accounts, organisation, audit, password change."""

from __future__ import annotations

import secrets
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from babel.support import NullTranslations
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from pingan import __version__
from pingan import stats as stats_module
from pingan.audit.models import AuditEntry
from pingan.audit.service import verify_chain
from pingan.auth import service as auth_service
from pingan.auth.endpoints import set_session_cookie
from pingan.auth.models import User
from pingan.auth.policy import DATA_SCOPE_LABELS_ZH, DataScope, Permission
from pingan.auth.principal import Principal
from pingan.config import Settings
from pingan.deps import (
    ANON_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    AppSettings,
    DbSession,
    client_ip,
    csrf_token,
    current_principal,
    get_settings,
    optional_principal,
    principal_changing_password,
    require,
)
from pingan.errors import Forbidden, PinganError
from pingan.kit.clock import to_local, utcnow
from pingan.org import service as org_service
from pingan.org.models import UNIT_KIND_LABELS_ZH
from pingan.web.i18n import LANG_COOKIE, LOCALE_LABELS, LOCALES, pick_locale, translations

TEMPLATES_DIR = Path(__file__).with_name("templates")
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
    )
)
_current_translations: ContextVar[NullTranslations] = ContextVar("translations")


def _gettext(message: str) -> str:
    return _current_translations.get().gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _current_translations.get().ngettext(singular, plural, n)


# Callables, not a fixed catalog: each render sets the caller's language in a context variable, so
# concurrent requests in different languages never see each other's catalog.
templates.env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["ops"])

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation; shown only to holders of ``permission`` (None: everyone signed in)."""

    path: str
    label: str  # gettext msgid
    permission: Permission | None


def N_(message: str) -> str:
    """Mark a string for the catalog without translating it here (it is translated when rendered)."""
    return message


NAV: tuple[NavItem, ...] = (
    NavItem("/", N_("Home"), None),
    NavItem("/map", N_("Map"), Permission.GRID_READ),
    NavItem("/cases", N_("Cases"), Permission.CASE_READ),
    NavItem("/cases/kpis", N_("Case KPIs"), Permission.CASE_KPI),
    NavItem("/fleet", N_("Vessels"), Permission.FLEET_READ),
    NavItem("/sea", N_("Sea situation"), Permission.MARITIME_READ),
    NavItem("/org", N_("Organisation"), Permission.ORG_READ),
    NavItem("/users", N_("Accounts"), Permission.USER_READ),
    NavItem("/audit", N_("Audit trail"), Permission.AUDIT_READ),
    NavItem("/api/docs", N_("API docs"), Permission.ROLE_READ),
)


def nav_for(principal: Principal | None) -> list[NavItem]:
    """The navigation entries a principal may use."""
    if principal is None:
        return []
    return [n for n in NAV if n.permission is None or principal.can(n.permission)]


def page_locale(request: Request) -> str:
    """The language of the page for this request."""
    settings: Settings = get_settings(request)
    return pick_locale(request.cookies.get(LANG_COOKIE), settings.default_locale)


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page in the caller's language with the shared layout context."""
    settings: Settings = get_settings(request)
    locale = page_locale(request)
    _current_translations.set(translations(locale))
    principal = getattr(request.state, "principal", None)

    def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return "" if value is None else to_local(value, settings.display_timezone).strftime(fmt)

    context.update(
        localtime=localtime,
        request=request,
        principal=principal,
        nav=nav_for(principal),
        csrf_token=csrf_token(request),
        csrf_field=CSRF_FIELD,
        locale=locale,
        html_lang="zh-CN" if locale.startswith("zh") else "en",
        locales=[(code, LOCALE_LABELS[code]) for code in LOCALES],
        version=__version__,
        current_path=request.url.path,
    )
    return templates.TemplateResponse(request, name, context, status_code=status)


def render_error(request: Request, status: int, code: str, message: str) -> Response:
    """A friendly error page (the API gets JSON instead)."""
    return render(request, "error.html", status=status, status_code=status, code=code, message=message)


def redirect(path: str) -> RedirectResponse:
    """A 303 redirect (after a form post or to a page)."""
    return RedirectResponse(path, status_code=303)


def redirect_to_login(request: Request) -> RedirectResponse:
    """Send the browser to the sign-in page, remembering where it wanted to go."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(f"/login?next={quote(target, safe='')}")


async def page_middleware(request: Request, call_next: Any) -> Response:
    """Security headers on every response; an anonymous CSRF cookie for sign-in forms."""
    response: Response = await call_next(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if not request.url.path.startswith(("/static/", "/api/docs")):
        response.headers.setdefault("Content-Security-Policy", CSP)
    if not request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    new_anon = getattr(request.state, "new_anon", None)
    if new_anon:
        settings: Settings = get_settings(request)
        response.set_cookie(
            ANON_COOKIE, new_anon, httponly=True, samesite="lax", secure=not settings.is_development, path="/"
        )
    return response


def _safe_next(target: str | None) -> str:
    # Only local paths: never an open redirect to another site.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


# ---------------------------------------------------------------- sign-in


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]) -> Response:
    if principal is not None and principal.session_id:
        return redirect("/")
    return render(request, "login.html", next=_safe_next(request.query_params.get("next")), error=None)


@router.post("/login", response_class=HTMLResponse)
async def login_submit(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next_path: Annotated[str, Form(alias="next")] = "/",
    csrf: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    request.state.principal = None
    if not request.cookies.get(ANON_COOKIE) or not secrets.compare_digest(csrf, csrf_token(request)):
        return render(request, "login.html", status=403, next=_safe_next(next_path), error="csrf")
    if not username or not password:
        return render(request, "login.html", status=422, next=_safe_next(next_path), error="empty")
    result = auth_service.sign_in(
        db,
        settings,
        username=username,
        password=password,
        source_ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        now=utcnow(),
    )
    db.commit()
    if result.error is not None:
        status = result.error.status_code
        return render(request, "login.html", status=status, next=_safe_next(next_path), error=result.error.code)
    assert result.user is not None and result.token is not None
    target = "/account/password" if result.user.must_change_password else _safe_next(next_path)
    response = redirect(target)
    set_session_cookie(response, result.token, secure=not settings.is_development)
    response.delete_cookie(ANON_COOKIE, path="/")
    return response


@router.post("/logout")
def logout_submit(db: DbSession, principal: Annotated[Principal, Depends(principal_changing_password)]) -> Response:
    if principal.session_id:
        auth_service.sign_out(db, principal.session_id, actor=principal, now=utcnow())
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{locale}")
def set_language(locale: str, request: Request) -> Response:
    if locale not in LOCALES:
        raise PinganError(f"unknown language {locale!r}", code="bad_locale")
    response = redirect(_safe_next(request.query_params.get("next")))
    response.set_cookie(LANG_COOKIE, locale, samesite="lax", max_age=365 * 86400, path="/")
    return response


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, principal: Annotated[Principal, Depends(principal_changing_password)]) -> Response:
    return render(request, "password.html", error=None, forced=principal.must_change_password)


@router.post("/account/password", response_class=HTMLResponse)
def password_submit(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    principal: Annotated[Principal, Depends(principal_changing_password)],
    current_password: Annotated[str, Form(max_length=256)] = "",
    new_password: Annotated[str, Form(max_length=256)] = "",
    confirm_password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    user = db.get(User, principal.user_id) if principal.user_id else None
    if user is None:
        raise Forbidden("tokens have no password")
    if new_password != confirm_password:
        return render(request, "password.html", status=422, error=N_("The two new passwords differ."), forced=True)
    try:
        auth_service.change_password(db, settings, user, current_password, new_password, actor=principal, now=utcnow())
    except PinganError as exc:
        db.rollback()
        return render(request, "password.html", status=exc.status_code, error=exc.message, forced=True)
    return redirect("/")


# ---------------------------------------------------------------- pages


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DbSession, principal: Annotated[Principal, Depends(current_principal)]) -> Response:
    user = db.get(User, principal.user_id) if principal.user_id else None
    roles = user.roles if user else []
    scopes = sorted({DATA_SCOPE_LABELS_ZH[DataScope(r.data_scope)] for r in roles})
    counts = stats_module.collect(db) if principal.can(Permission.STATS_READ) else None
    audit_state = None
    if principal.can(Permission.AUDIT_READ):
        checked, brk = verify_chain(db)
        audit_state = {"rows": checked, "break": brk}
    return render(
        request,
        "home.html",
        user=user,
        roles=roles,
        scopes=scopes,
        counts=counts,
        stat_labels=stats_module.LABELS,
        audit_state=audit_state,
    )


@router.get("/users", response_class=HTMLResponse)
def users_page(
    request: Request, db: DbSession, principal: Annotated[Principal, Depends(require(Permission.USER_READ))]
) -> Response:
    return render(request, "users.html", users=auth_service.list_users(db, actor=principal, limit=500))


@router.get("/org", response_class=HTMLResponse)
def org_page(
    request: Request, db: DbSession, principal: Annotated[Principal, Depends(require(Permission.ORG_READ))]
) -> Response:
    units = org_service.list_units(db, actor=principal, limit=5000)
    return render(request, "org.html", units=units, kind_labels=UNIT_KIND_LABELS_ZH)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, db: DbSession, _: Annotated[Principal, Depends(require(Permission.AUDIT_READ))]
) -> Response:
    rows = list(db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200)))
    return render(request, "audit.html", rows=rows)


# ---------------------------------------------------------------- small API


@api_router.get("/stats", summary="Counts of the main entities")
def stats(db: DbSession, _: Annotated[Principal, Depends(require(Permission.STATS_READ))]) -> dict[str, int]:
    return stats_module.collect(db)
