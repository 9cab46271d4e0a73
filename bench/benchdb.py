"""Fresh databases for the benchmarks: a SQLite file, or a new PostgreSQL database dropped afterwards."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

# The local server every machine of the project runs (trust auth); PINGAN_BENCH_POSTGRES_URL points elsewhere.
PG_ADMIN_URL = os.environ.get("PINGAN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


def new_database(backend: str, directory: Path) -> tuple[str, Callable[[], None]]:
    """A fresh empty database of `backend` ("sqlite": a file in `directory`) and a function that drops it."""
    if backend == "sqlite":
        return f"sqlite:///{directory / 'bench.db'}", lambda: None
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend!r}: {', '.join(BACKENDS)}")
    name = f"pingan_bench_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False), drop
