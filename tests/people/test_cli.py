"""``pingan people import`` and ``pingan people rotate-key``, run as an operator runs them."""

from __future__ import annotations

import base64
import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.config import Settings
from pingan.db import create_db_engine
from pingan.kit.idcard import make_id_number
from pingan.people.excel import IMPORT_HEADERS
from pingan.people.models import Resident
from tests.conftest import BACKENDS, new_database_url, run_cli
from tests.people.conftest import prepare_fresh_database

K1 = base64.b64encode(bytes(range(32))).decode()
K2 = base64.b64encode(bytes(range(64, 96))).decode()


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(IMPORT_HEADERS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


@pytest.mark.parametrize("command", [["people"], ["people", "import"], ["people", "rotate-key"]])
def test_people_commands_explain_themselves(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    description = result.stdout.split("\n\n")[1].strip()
    assert description.splitlines()[0].endswith(".")


@pytest.mark.parametrize("backend", BACKENDS)
def test_import_then_rotate_the_key(backend: str, tmp_path: Path) -> None:
    url, drop = new_database_url(backend, tmp_path)
    try:
        grid = prepare_fresh_database(url)
        env = {"PINGAN_DATABASE_URL": url, "PINGAN_DATA_DIR": str(tmp_path), "PINGAN_FIELD_ENCRYPTION_KEY": f"1:{K1}"}
        head = make_id_number("330903", date(1966, 6, 6), 7)
        child = make_id_number("330903", date(1995, 5, 5), 8)
        good = [
            [grid, "YG-1", "渔港路1号", "胡海", "男", "汉族", None, head, "13957002222", "户主", None],
            [grid, "YG-1", None, "胡倩", "女", "汉族", None, child, "15057003333", "子女", "信访"],
        ]
        bad = [*good, [grid, "YG-1", None, "胡三", None, None, None, head[:-1] + "0", None, "子女", None]]
        if head.endswith("0"):
            bad[-1][7] = head[:-1] + "1"

        refused = run_cli(
            "people", "import", str(_workbook(tmp_path / "bad.xlsx", bad)), "--unit", "330903001", env=env
        )
        assert refused.returncode == 2, refused.stderr
        assert "row      4  身份证号: ID number: wrong check character" in refused.stdout
        assert "nothing was imported" in refused.stderr and "Traceback" not in refused.stderr
        elsewhere = run_cli(
            "people", "import", str(_workbook(tmp_path / "good.xlsx", good)), "--unit", "330903102", env=env
        )
        assert elsewhere.returncode == 2 and "not found in your scope" in elsewhere.stdout
        imported = run_cli("people", "import", str(tmp_path / "good.xlsx"), "--unit", "330903001", env=env)
        assert imported.returncode == 0, imported.stderr
        assert "imported 2 rows: 1 new households, 2 residents" in imported.stdout

        rotated = run_cli(
            "people", "rotate-key", "--batch", "1", env={**env, "PINGAN_FIELD_ENCRYPTION_KEY": f"2:{K2},1:{K1}"}
        )
        assert rotated.returncode == 0, rotated.stderr
        assert "resident           rows         2  ciphertexts re-encrypted         4" in rotated.stdout

        new = Settings(env="test", field_encryption_key=f"2:{K2},1:{K1}").field_cipher()
        engine = create_db_engine(url)
        with Session(engine) as s:
            stored = list(s.scalars(select(Resident).order_by(Resident.id)))
        engine.dispose()
        assert [new.key_id_of(r.id_enc) for r in stored] == [2, 2]
        assert [new.decrypt(r.id_enc) for r in stored] == [head, child]
        assert [new.decrypt(r.phone_enc or b"") for r in stored] == ["13957002222", "15057003333"]
        again = run_cli("people", "rotate-key", env={**env, "PINGAN_FIELD_ENCRYPTION_KEY": f"2:{K2},1:{K1}"})
        assert "re-encrypted         0" in again.stdout
    finally:
        drop()
