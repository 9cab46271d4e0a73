"""Test fixtures: every database test runs on SQLite and on PostgreSQL, built by the real migrations.

Each backend gets a fresh database for the session, migrated to head and seeded with the built-in roles and the
demo organisation; each test then runs inside a transaction that is rolled back, with the app's own commits
turned into savepoints.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

# Settings for the whole test process, before pingan reads them (get_settings is cached).
os.environ.setdefault("PINGAN_ENV", "test")
os.environ["PINGAN_SECRET_KEY"] = "test-secret-key-for-pingan-tests-0123456789"
os.environ.pop("PINGAN_DATABASE_URL", None)

from fastapi.testclient import TestClient
from sqlalchemy import Connection, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from pingan import migrate
from pingan.app import create_app
from pingan.auth import service as auth_service
from pingan.auth.models import User
from pingan.auth.principal import cli_principal
from pingan.cases import config as case_config
from pingan.config import Settings
from pingan.db import create_db_engine
from pingan.demo.seed import DEMO_UNITS
from pingan.deps import Database
from pingan.org import service as org_service
from pingan.org.models import OrgUnit

PG_ADMIN_URL = os.environ.get("PINGAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")
PASSWORD = "Haidao-Pingan-2026!"  # a test password that satisfies the staff policy
SEED_TIME = datetime(2026, 11, 1, tzinfo=UTC)


def _pg_admin_engine():  # type: ignore[no-untyped-def]
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def new_database_url(backend: str, directory: Path) -> tuple[str, Callable[[], None]]:
    """A brand-new empty database of ``backend``; returns its URL and a function that drops it."""
    if backend == "sqlite":
        path = directory / f"pingan-{secrets.token_hex(4)}.db"
        return f"sqlite:///{path}", lambda: None
    name = f"pingan_t_{secrets.token_hex(6)}"
    admin = _pg_admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is required for the PostgreSQL half of the suite: {exc}")
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (never migrated) on the backend named by the test's ``backend`` parameter."""
    backend = getattr(request, "param", "sqlite")
    url, drop = new_database_url(backend, tmp_path)
    yield url
    drop()


def test_settings(url: str, data_dir: Path) -> Settings:
    """Settings for a test app or command on ``url``."""
    return Settings(env="test", database_url=url, data_dir=data_dir)


@dataclass
class MigratedDatabase:
    """A database at head with the built-in roles and the demo organisation, shared by a session."""

    backend: str
    url: str
    settings: Settings


@pytest.fixture(scope="session", params=BACKENDS)
def migrated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedDatabase]:
    """Each backend once per session: fresh database, real migrations, base data committed."""
    backend = request.param
    directory = tmp_path_factory.mktemp(backend)
    url, drop = new_database_url(backend, directory)
    migrate.upgrade(url)
    settings = test_settings(url, directory)
    engine = create_db_engine(url)
    actor = cli_principal("test-seed")
    with Session(engine) as s, s.begin():
        auth_service.sync_builtin_roles(s, now=SEED_TIME)
        for code, name, name_en, kind, parent in DEMO_UNITS:
            org_service.create_unit(
                s, code=code, name=name, name_en=name_en, kind=kind, parent_code=parent, actor=actor, now=SEED_TIME
            )
        case_config.ensure_defaults(s, now=SEED_TIME)  # the bundled categories and holiday calendars
    engine.dispose()
    yield MigratedDatabase(backend, url, settings)
    drop()


@pytest.fixture
def backend(migrated: MigratedDatabase) -> str:
    """The backend of the current test run ("sqlite" or "postgresql")."""
    return migrated.backend


@pytest.fixture
def connection(migrated: MigratedDatabase) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    engine = create_db_engine(migrated.url)
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    if trans.is_active:
        trans.rollback()
    conn.close()
    engine.dispose()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions on the test connection whose commits only release savepoints."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for service-level tests (rolled back with the test)."""
    with session_factory() as session:
        yield session


@pytest.fixture
def settings(migrated: MigratedDatabase) -> Settings:
    """Settings pointing at the session's database."""
    return migrated.settings


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    """The real app, with its sessions bound to the test transaction."""
    application = create_app(settings)
    application.state.db = Database(read=session_factory, write=session_factory)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """An HTTP client for the app (no cookies shared between clients)."""
    with new_client(app) as c:
        yield c


def new_client(app) -> TestClient:  # type: ignore[no-untyped-def]
    """A client over https, as in production: the session cookie is Secure outside development."""
    return TestClient(app, base_url="https://testserver")


@pytest.fixture
def make_user(db: Session, settings: Settings) -> Callable[..., User]:
    """Create an account in the test transaction: ``make_user("name", "330903001", ["township_leader"])``."""

    def make(
        username: str, unit_code: str = "ZS-SZ", roles: list[str] | None = None, *, must_change: bool = False
    ) -> User:
        user = auth_service.create_user(
            db,
            settings,
            username=username,
            display_name=username,
            unit_code=unit_code,
            password=PASSWORD,
            role_codes=roles or [],
            actor=cli_principal("test"),
            now=SEED_TIME,
            must_change_password=must_change,
        )
        db.commit()
        return user

    return make


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the API; return the CSRF token for unsafe requests."""
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed ``pingan`` console script the way an operator would."""
    full_env = {**os.environ, **(env or {})}
    exe = Path(sys.executable).with_name("pingan")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=full_env, timeout=timeout, check=False)


@pytest.fixture
def make_grid(db: Session) -> Callable[..., object]:
    """Create a square land grid in a village: ``make_grid("330903001001", 1, (122.30, 29.95), size=0.01)``."""
    import shapely

    from pingan.grids.models import GridKind, LandGrid

    def make(village_code: str, sequence: int, south_west: tuple[float, float], size: float = 0.01) -> LandGrid:
        village = db.scalars(select(OrgUnit).where(OrgUnit.code == village_code)).one()
        lon, lat = south_west
        polygon = shapely.box(lon, lat, lon + size, lat + size)
        grid = LandGrid(
            code=f"{village_code}{sequence:03d}",
            name=f"{village.name}第{sequence}网格",
            kind=GridKind.BASIC,
            dedicated_type=None,
            village_unit_id=village.id,
            geom_wkb=shapely.to_wkb(polygon),
            min_lon=lon,
            min_lat=lat,
            max_lon=lon + size,
            max_lat=lat + size,
            area_km2=1.0,
            centroid_lon=lon + size / 2,
            centroid_lat=lat + size / 2,
            created_at=SEED_TIME,
        )
        db.add(grid)
        db.flush()
        return grid

    return make


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    """Wait until a server started as ``proc`` answers ``url`` + ``healthz``; fail if it exits or times out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/healthz", timeout=1) as response:  # noqa: S310 - loopback only
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("the server did not answer /healthz")
