"""S17: a raw copy of the database (SQLite file and WAL, or pg_dump) holds no clear ID number or mobile number."""

from __future__ import annotations

import random
import re
import sqlite3
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from pingan.config import Settings
from pingan.db import create_db_engine
from pingan.kit.idcard import make_id_number
from pingan.people import service
from tests.conftest import BACKENDS, SEED_TIME, new_database_url
from tests.people.conftest import OPERATOR, prepare_fresh_database

ID_RE = re.compile(rb"\d{17}[\dX]")
MOBILE_RE = re.compile(rb"1[3-9]\d{9}")
PG_DUMP = "/usr/bin/pg_dump"


def _raw_copy(url: str) -> bytes:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(str(parsed.database))
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    dumped = subprocess.run([PG_DUMP, plain], capture_output=True, check=True, timeout=60)
    return dumped.stdout


@pytest.mark.parametrize("backend", BACKENDS)
def test_raw_dump_holds_no_clear_id_or_mobile_number(backend: str, tmp_path: Path) -> None:
    url, drop = new_database_url(backend, tmp_path)
    try:
        grid_code = prepare_fresh_database(url)
        cipher = Settings(env="test", database_url=url, data_dir=tmp_path).field_cipher()
        rng = random.Random(11)
        numbers: list[str] = []
        phones: list[str] = []
        engine = create_db_engine(url)
        with Session(engine) as s, s.begin():
            for h in range(4):
                household = service.create_household(
                    s, grid_code=grid_code, address=f"渔港路{h + 1}号", actor=OPERATOR, now=SEED_TIME
                )
                for k in range(3):
                    born = date(1950, 1, 1) + timedelta(days=rng.randrange(25_000))
                    number = make_id_number("330903", born, rng.randrange(1000))
                    phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
                    service.create_resident(
                        s,
                        cipher,
                        household_id=household.id,
                        name=f"张{'伟芳明'[k]}{h}",
                        id_number=number,
                        phone=phone,
                        relation="head" if k == 0 else "child",
                        actor=OPERATOR,
                        now=SEED_TIME,
                    )
                    numbers.append(number)
                    phones.append(phone)
            # Exact search still works through the blind index.
            found = service.search_residents(s, cipher, actor=OPERATOR, id_number=numbers[5])
            assert len(found) == 1
        engine.dispose()

        raw = _raw_copy(url)
        assert "张伟0".encode() in raw  # the copy really holds the register (names are not encrypted)
        seeded_ids = {n.encode() for n in numbers}
        seeded_phones = {p.encode() for p in phones}
        assert not set(ID_RE.findall(raw)) & seeded_ids
        assert not set(MOBILE_RE.findall(raw)) & seeded_phones
        for value in seeded_ids | seeded_phones:
            assert value not in raw
    finally:
        drop()
