"""Excel import (all or nothing, row-by-row report) and export (masked, ID as text, formulas neutralised)."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditEntry
from pingan.errors import ValidationFailed
from pingan.kit.crypto import FieldCipher
from pingan.kit.idcard import make_id_number
from pingan.people import excel, service
from pingan.people.excel import IMPORT_HEADERS
from pingan.people.models import Household, Resident
from tests.conftest import SEED_TIME, sign_in
from tests.people.conftest import OPERATOR, Register

XLSX = excel.XLSX_MEDIA_TYPE


def _xlsx(rows: list[dict[str, object]], headers: tuple[str, ...] = IMPORT_HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(headers))
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _rows(register: Register) -> list[dict[str, object]]:
    yugang, donghe = register.grids["yugang"].code, register.grids["donghe"].code
    return [
        {
            "网格编码": yugang,
            "户号": "YG-0101",
            "地址": "渔港路12号101室",
            "姓名": "徐海波",
            "性别": "男",
            "出生日期": date(1971, 8, 15),
            "身份证号": make_id_number("330903", date(1971, 8, 15), 51),
            "手机号": "13957001111",
            "与户主关系": "户主",
        },
        {
            "网格编码": yugang,
            "户号": "YG-0101",
            "姓名": "孙美华",
            "性别": "女",
            "出生日期": "1973-04-02",
            "身份证号": make_id_number("330903", date(1973, 4, 2), 62),
            "与户主关系": "配偶",
            "标签": "残疾人",
        },
        {
            "网格编码": donghe,
            "户号": "DH-0007",
            "地址": "东河路7号",
            "姓名": "林晨",
            "身份证号": make_id_number("330902", date(2012, 9, 9), 71).lower(),
            "与户主关系": "本人",
            "标签": "留守儿童、重点青少年",
        },
    ]


def _count(db: Session, column: object) -> int:
    return int(db.scalar(select(func.count(column))) or 0)  # type: ignore[arg-type]


def test_import_is_all_or_nothing_and_reports_bad_rows(
    client: TestClient,
    make_user,
    register: Register,
    db: Session,
    cipher: FieldCipher,  # type: ignore[no-untyped-def]
) -> None:
    make_user("importer", "330903001", ["township_leader"])
    csrf = sign_in(client, "importer")
    rows = _rows(register)
    bad_check = make_id_number("330903", date(1990, 1, 1), 17)
    bad_check = bad_check[:-1] + ("0" if bad_check[-1] != "0" else "1")
    rows.append({**rows[2], "姓名": "林晨二", "身份证号": bad_check, "与户主关系": "子女"})  # row 5: check character
    rows.append({**rows[2], "姓名": "林晨三", "与户主关系": "子女"})  # row 6: same ID as row 4
    rows.append(
        {
            **rows[0],
            "户号": "TH-1",
            "网格编码": register.grids["taohua"].code,
            "身份证号": make_id_number("330903", date(1960, 1, 1), 1),
            "出生日期": None,
        }
    )  # row 7: grid outside the scope
    rows.append(
        {
            **rows[1],
            "户号": "YG-0102",
            "地址": "x",
            "身份证号": make_id_number("330903", date(1973, 4, 3), 62),
            "手机号": "12345678901",
        }
    )  # row 8: birth date disagrees, bad phone
    before = (_count(db, Resident.id), _count(db, Household.id))

    refused = client.post(
        "/api/people/import", files={"file": ("people.xlsx", _xlsx(rows), XLSX)}, headers={"X-CSRF-Token": csrf}
    )
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "import_rejected"
    found = {(p["row"], p["column"]) for p in error["problems"]}
    assert found == {(5, "身份证号"), (6, "身份证号"), (7, "网格编码"), (8, "出生日期"), (8, "手机号")}
    assert "row 4" in next(p["message"] for p in error["problems"] if p["row"] == 6)
    assert (_count(db, Resident.id), _count(db, Household.id)) == before
    failed = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert failed.action == "people.import" and failed.outcome == "failure"

    accepted = client.post(
        "/api/people/import",
        files={"file": ("people.xlsx", _xlsx(_rows(register)), XLSX)},
        headers={"X-CSRF-Token": csrf},
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"rows": 3, "households_created": 2, "residents_created": 3}
    assert (_count(db, Resident.id), _count(db, Household.id)) == (before[0] + 3, before[1] + 2)
    imported = db.scalars(select(Resident).where(Resident.name == "林晨")).one()
    assert cipher.decrypt(imported.id_enc) == make_id_number("330902", date(2012, 9, 9), 71)
    assert imported.tags == ["left_behind_child", "key_youth"] and imported.address == "东河路7号"
    wife = db.scalars(select(Resident).where(Resident.name == "孙美华")).one()
    assert wife.address == "渔港路12号101室" and wife.phone_enc is None
    entry = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert entry.action == "people.import" and entry.outcome == "success"
    assert json.loads(entry.details) == {"rows": 3, "households_created": 2, "residents_created": 3}

    # The same file again: every ID number is now registered, so nothing more is stored.
    again = excel.import_residents(db, cipher, _xlsx(_rows(register)), actor=OPERATOR, now=SEED_TIME)
    assert not again.ok
    assert {p.row for p in again.problems if p.message == "ID number is already registered"} == {2, 3, 4}
    assert {p.row for p in again.problems if p.message.endswith("already has a head")} == {2, 4}


def test_import_refuses_files_it_cannot_read(db: Session, cipher: FieldCipher, register: Register) -> None:
    not_excel = excel.import_residents(db, cipher, b"PK\x03\x04 not really", actor=OPERATOR, now=SEED_TIME)
    assert [(p.row, p.message) for p in not_excel.problems] == [(0, "not an Excel .xlsx file")]
    headerless = excel.import_residents(db, cipher, _xlsx([], headers=("姓名",)), actor=OPERATOR, now=SEED_TIME)
    assert {p.column for p in headerless.problems} == {"网格编码", "户号", "身份证号", "与户主关系"}
    empty = excel.import_residents(db, cipher, _xlsx([]), actor=OPERATOR, now=SEED_TIME)
    assert [p.message for p in empty.problems] == ["the sheet has no data rows"]


def test_import_checks_households_and_heads(db: Session, cipher: FieldCipher, register: Register) -> None:
    rows = _rows(register)
    rows[1]["与户主关系"] = "户主"  # two heads in YG-0101
    rows[2]["户号"] = register.households["yugang"].code  # an existing household of another grid…
    report = excel.import_residents(db, cipher, _xlsx(rows), actor=OPERATOR, now=SEED_TIME)
    assert {(p.row, p.column) for p in report.problems} == {(3, "与户主关系"), (4, "户号")}


def test_export_is_masked_keeps_ids_as_text_and_neutralises_formulas(
    client: TestClient,
    make_user,
    register: Register,
    db: Session,
    cipher: FieldCipher,  # type: ignore[no-untyped-def]
) -> None:
    yugang = register.grids["yugang"]
    evil = service.create_household(
        db, grid_code=yugang.code, address="=cmd|' /C calc'!A0", actor=OPERATOR, now=SEED_TIME
    )
    service.create_resident(
        db,
        cipher,
        household_id=evil.id,
        name="何-x",
        id_number=make_id_number("330903", date(1999, 9, 9), 99),
        relation="head",
        address="@SUM(1+1)",
        actor=OPERATOR,
        now=SEED_TIME,
    )
    service.create_resident(
        db,
        cipher,
        household_id=evil.id,
        name="何美",
        id_number=make_id_number("330903", date(1999, 9, 8), 98),
        relation="spouse",
        actor=OPERATOR,
        now=SEED_TIME,
    )
    db.commit()
    make_user("exporter", "330903001", ["township_leader"])
    sign_in(client, "exporter")
    response = client.get("/api/people/export", params={"grid_code": yugang.code})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert response.headers["cache-control"] == "no-store"
    assert "attachment" in response.headers["content-disposition"]

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    assert header == list(excel.EXPORT_HEADERS)
    id_col, phone_col, name_col = header.index("身份证号"), header.index("手机号"), header.index("姓名")
    address_col = header.index("地址")
    body = rows[1:]
    assert len(body) == 4  # 王小明, 李秀英 and the two new residents; nothing from other grids
    for row in body:
        assert row[id_col].data_type == "s" and row[id_col].number_format == "@"
        assert len(str(row[id_col].value)) == 18 and str(row[id_col].value)[1:16] == "*" * 15
        assert row[name_col].value in {"王**", "李**", "何**", "何*"}
        assert row[phone_col].value in {"139****1234", "158****1122", None}
        for cell in row:
            assert cell.data_type != "f"
            assert not str(cell.value or "").startswith(("=", "+", "-", "@", "\t", "\r"))
    assert {row[address_col].value for row in body} >= {"'@SUM(1+1)", "'=cmd|' /C calc'!A0"}
    text = response.content.decode("latin-1")
    for clear in [*register.id_numbers.values(), *register.phones.values()]:
        assert clear not in text
    entry = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert entry.action == "people.export"
    assert json.loads(entry.details) == {"rows": 4, "grid": yugang.code, "masked": True}


def test_cells_are_neutralised() -> None:
    for value in ("=1+1", "+1", "-1", "@x", "\tx", "\rx"):
        assert excel.neutralise(value) == "'" + value
    assert excel.neutralise("王**") == "王**"


def test_export_refuses_more_rows_than_the_cap(
    db: Session, cipher: FieldCipher, register: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(excel, "MAX_EXPORT_ROWS", 2)
    with pytest.raises(ValidationFailed) as caught:
        excel.export_residents(db, cipher, actor=OPERATOR, now=SEED_TIME)
    assert caught.value.code == "export_too_large"
    data, count = excel.export_residents(
        db, cipher, actor=OPERATOR, now=SEED_TIME, grid_code=register.grids["yugang"].code
    )
    assert count == 2 and data.startswith(b"PK")
