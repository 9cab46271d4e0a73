"""The audit table in both databases: append-only by trigger, written with the change, verified by the CLI."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy.exc
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from pingan import migrate
from pingan.audit import service as audit
from pingan.audit.models import AuditEntry
from pingan.auth.principal import cli_principal
from tests.conftest import BACKENDS, run_cli

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"])
def test_database_refuses_update_and_delete(db: Session, statement: str) -> None:
    audit.record(db, actor=cli_principal(), action="probe", now=NOW)
    db.flush()
    with pytest.raises(sqlalchemy.exc.DBAPIError) as caught, db.begin_nested():
        db.execute(text(statement))
    assert "append-only" in str(caught.value)


def test_emptying_the_table_is_refused(db: Session, backend: str) -> None:
    # PostgreSQL has TRUNCATE (a statement trigger refuses it); SQLite's equivalent is an unqualified DELETE,
    # whose truncate optimisation SQLite skips when the table has a DELETE trigger.
    audit.record(db, actor=cli_principal(), action="probe", now=NOW)
    statement = "TRUNCATE audit_log" if backend == "postgresql" else "DELETE FROM audit_log"
    with pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text(statement))


def test_rows_chain_and_roll_back_with_the_change(db: Session) -> None:
    before = db.scalar(select(func.count(AuditEntry.id)))
    with db.begin_nested() as nested:
        audit.record(db, actor=cli_principal(), action="probe.rolled_back", now=NOW)
        nested.rollback()
    assert db.scalar(select(func.count(AuditEntry.id))) == before
    first = audit.record(db, actor=cli_principal(), action="probe.one", now=NOW)
    second = audit.record(db, actor=cli_principal(), action="probe.two", now=NOW)
    assert second.id == first.id + 1
    assert second.prev_hash == first.hash
    assert audit.verify_chain(db) == (second.id, None)


def test_secrets_are_refused_in_details(db: Session) -> None:
    with pytest.raises(ValueError, match="secrets"):
        audit.record(db, actor=cli_principal(), action="probe", now=NOW, details={"password": "x"})


@pytest.fixture(params=BACKENDS)
def seeded_database(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A committed database with a real audit trail, made by ``pingan demo --no-serve``."""
    from tests.conftest import new_database_url

    url, drop = new_database_url(request.param, tmp_path)
    env = {"PINGAN_DATABASE_URL": url, "PINGAN_DATA_DIR": str(tmp_path / "data")}
    done = run_cli("demo", "--no-serve", env=env)
    assert done.returncode == 0, done.stderr
    yield request.param, url, env
    drop()


def _drop_triggers(conn, backend: str) -> None:  # type: ignore[no-untyped-def]
    if backend == "sqlite":
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("DROP TRIGGER audit_log_no_delete"))
    else:
        conn.execute(text("DROP TRIGGER audit_log_no_update_delete ON audit_log"))


@pytest.mark.parametrize(
    ("tamper", "row", "problem"),
    [
        ('UPDATE audit_log SET details = \'{"reason":"forged"}\' WHERE id = 7', 7, "altered"),
        ("DELETE FROM audit_log WHERE id = 12", 13, "deleted_before"),
        ("UPDATE audit_log SET actor = 'mallory', hash = prev_hash WHERE id = 20", 20, "altered"),
    ],
)
def test_audit_verify_names_the_tampered_row_and_fails(seeded_database, tamper: str, row: int, problem: str) -> None:  # type: ignore[no-untyped-def]
    backend, url, env = seeded_database
    ok = run_cli("audit", "verify", env=env)
    assert ok.returncode == 0, ok.stderr
    assert "intact" in ok.stdout
    engine = create_engine(url)
    with engine.begin() as conn:
        _drop_triggers(conn, backend)
        conn.execute(text(tamper))
    engine.dispose()
    broken = run_cli("audit", "verify", env=env)
    assert broken.returncode == 1
    assert f"row {row} ({problem})" in broken.stderr, broken.stderr


def test_migration_keeps_head_and_triggers(seeded_database) -> None:  # type: ignore[no-untyped-def]
    backend, url, _ = seeded_database
    engine = create_engine(url)
    assert migrate.current_revision(engine) == migrate.head_revision(url)
    with engine.connect() as conn:
        if backend == "sqlite":
            names = set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
        else:
            names = set(conn.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
    engine.dispose()
    assert {n for n in names if n.startswith("audit_log_")}
