"""The FastAPI app factory: routers, error handling, health checks, static files and pages."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from pingan import __version__, migrate
from pingan.audit.endpoints import router as audit_router
from pingan.auth.endpoints import router as auth_router
from pingan.cases import config_endpoints as case_config_endpoints
from pingan.cases import endpoints as case_endpoints
from pingan.cases import kpi_endpoints as case_kpi_endpoints
from pingan.cases import open311
from pingan.cases.scheduled import Scheduler
from pingan.config import Environment, Settings, get_settings
from pingan.db import create_db_engine, make_sessionmakers
from pingan.deps import Database
from pingan.errors import PinganError
from pingan.fleet.endpoints import router as fleet_router
from pingan.fleet.safety_endpoints import router as fleet_safety_router
from pingan.grids.endpoints import router as grids_router
from pingan.grids.ogc import router as ogc_router
from pingan.maritime import alert_endpoints as maritime_alert_endpoints
from pingan.maritime import endpoints as maritime_endpoints
from pingan.maritime.runtime import MaritimeRuntime, tune_server_process
from pingan.org.endpoints import router as org_router
from pingan.people.endpoints import router as people_router
from pingan.web import case_pages, fleet_pages, grid_pages, pages, sea_pages

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "web" / "static"


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/ogc")) and "text/html" in request.headers.get("accept", "")


def _error_response(request: Request, status: int, code: str, message: str) -> Response:
    if _wants_html(request):
        return pages.render_error(request, status, code, message)
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    """One handler per kind of error; no stack trace ever reaches the client."""

    @app.exception_handler(PinganError)
    async def pingan_error(request: Request, exc: PinganError) -> Response:
        if exc.status_code == 401 and _wants_html(request):
            return pages.redirect_to_login(request)
        if exc.code == "password_change_required" and _wants_html(request):
            return pages.redirect("/account/password")
        return _error_response(request, exc.status_code, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return _error_response(request, 422, "validation_failed", "; ".join(parts) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error_response(request, exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error_response(request, 500, "internal_error", "internal error; the event was logged")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: the process settings); refuses bad production settings."""
    settings = settings or get_settings()
    settings.check_production()
    engine = create_db_engine(settings.url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    read, write = make_sessionmakers(engine)
    app = FastAPI(
        title="pingan 平安",
        version=__version__,
        docs_url=None,  # served below from the vendored Swagger UI, not a CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=background(settings, write),
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.db = Database(read=read, write=write)
    app.state.maritime = MaritimeRuntime(settings, write, read)
    install_error_handlers(app)

    @app.get("/healthz", tags=["ops"], summary="The process is up")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", tags=["ops"], summary="The database is reachable and migrated to head")
    def readyz() -> Response:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            current = migrate.current_revision(engine)
        except Exception as exc:  # any database failure means not ready
            log.warning("readiness check failed: %s", exc)
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        head = migrate.head_revision(settings.url)
        if current != head:
            body = {"status": "unavailable", "database": "not migrated", "current": current, "head": head}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ready", "revision": current})

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> Response:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="pingan 平安 — API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
            swagger_ui_parameters={"validatorUrl": None},
        )

    app.include_router(auth_router)
    app.include_router(org_router)
    app.include_router(people_router)
    app.include_router(audit_router)
    app.include_router(grids_router)
    app.include_router(ogc_router)
    app.include_router(fleet_router)
    app.include_router(fleet_safety_router)
    app.include_router(case_kpi_endpoints.router)  # before /api/cases/{number}
    app.include_router(case_endpoints.router)
    app.include_router(open311.router)
    app.include_router(case_endpoints.inbox_router)
    app.include_router(case_config_endpoints.router)
    app.include_router(maritime_endpoints.router)
    app.include_router(maritime_alert_endpoints.router)
    app.include_router(pages.api_router)
    app.include_router(pages.router)
    app.include_router(grid_pages.router)
    app.include_router(fleet_pages.router)
    app.include_router(case_pages.router)
    app.include_router(sea_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.middleware("http")(pages.page_middleware)
    return app


def background(settings: Settings, write: sessionmaker[Session]) -> Callable[[FastAPI], Any]:
    """The app's lifespan: the case-clock scheduler, the position pipeline and the outside notifiers (not in tests)."""
    from pingan.cases import events

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = Scheduler(write, settings)
        app.state.case_scheduler = scheduler
        undo: list[Callable[[], None]] = []
        if settings.case_webhook_url:
            undo.append(events.subscribe(events.WebhookNotifier(settings.case_webhook_url)))
        maritime: MaritimeRuntime = app.state.maritime
        if settings.env != Environment.TEST:
            scheduler.start()
            if settings.ais_ingest:
                maritime.start()
            tune_server_process()
        try:
            yield
        finally:
            scheduler.stop()
            if maritime.started:
                maritime.stop()
            for fn in undo:
                fn()

    return lifespan
