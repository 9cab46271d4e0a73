"""Migrations build empty SQLite and PostgreSQL databases to head, and ``pingan db check`` finds no drift."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text

from pingan import migrate
from pingan.models import Base
from tests.conftest import BACKENDS, run_cli


@pytest.mark.parametrize("fresh_database", BACKENDS, indirect=True)
def test_empty_database_upgrades_to_head_and_db_check_passes(fresh_database: str) -> None:
    env = {"PINGAN_DATABASE_URL": fresh_database}
    not_yet = run_cli("db", "check", env=env)
    assert not_yet.returncode != 0
    assert "pingan db upgrade" in not_yet.stderr
    upgraded = run_cli("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    engine = create_engine(fresh_database)
    assert migrate.current_revision(engine) == migrate.head_revision(fresh_database)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()
    checked = run_cli("db", "check", env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "agree" in checked.stdout


@pytest.mark.parametrize("fresh_database", BACKENDS, indirect=True)
def test_db_check_fails_when_the_schema_drifts(fresh_database: str) -> None:
    migrate.upgrade(fresh_database)
    engine = create_engine(fresh_database)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE org_unit ADD COLUMN stray_note VARCHAR(20)"))
    engine.dispose()
    drifted = run_cli("db", "check", env={"PINGAN_DATABASE_URL": fresh_database})
    assert drifted.returncode == 1
    assert "disagree" in drifted.stderr


def test_constraints_are_named() -> None:
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            assert constraint.name, (table.name, constraint)
        for index in table.indexes:
            assert index.name, (table.name, index)


def test_revision_files_are_date_named() -> None:
    import re

    files = sorted(p.name for p in migrate.MIGRATIONS_DIR.joinpath("versions").glob("*.py"))
    assert files
    assert all(re.match(r"^20\d{6}_", name) for name in files), files


@pytest.mark.parametrize("fresh_database", ["sqlite"], indirect=True)
def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(fresh_database: str) -> None:
    from pingan.db import create_db_engine

    migrate.upgrade(fresh_database)
    engine = create_db_engine(fresh_database, busy_timeout_ms=4321)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 4321
    engine.dispose()
