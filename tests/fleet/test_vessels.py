"""Vessel files: field checks, terminals over time (one history through an MMSI change), certificates, documents,
the timeline, masking and the audited reveal, data scopes and the Excel exports."""

from __future__ import annotations

import doctest
import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import shapely
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pingan.audit.models import AuditEntry
from pingan.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pingan.fleet import certificates, parties, records, schemas, service, terminals
from pingan.fleet.models import (
    Alert,
    AlertStatus,
    Certificate,
    DynamicReport,
    Inspection,
    Party,
    Port,
    PortCall,
    ReportKind,
    Terminal,
)
from pingan.fleet.schemas import check_vessel_fields, credit_code_check_char
from pingan.kit.clock import utcnow
from pingan.kit.crypto import FieldCipher
from pingan.kit.idcard import make_id_number
from tests.conftest import SEED_TIME, new_client, sign_in
from tests.fleet.conftest import GAOTING, OPERATOR, SJM, TAOHUA, YUGANG, add_vessel, fleet_actor

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Zhoushan
OWNER_ID = make_id_number("330903", date(1968, 4, 12), 31)
CREW_ID = make_id_number("330902", date(1990, 8, 8), 57)
MASKED_ID = re.compile(r"^\d\*{15}[\dX]{2}$")


def _company_code() -> str:
    first17 = "91330903MA2A0B1C2"
    return first17 + credit_code_check_char(first17)


def _wrong_check(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


# ---------------------------------------------------------------- the file itself


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("registration_no", "浙岱渔0312"),
        ("registration_no", "沪岱渔03123"),
        ("registration_no", "浙岱03123"),
        ("length_m", 0.5),
        ("length_m", float("nan")),
        ("gross_tonnage", 20_000),
        ("engine_power_kw", 0),
        ("build_year", 1920),
        ("build_year", 2027),
        ("hull_material", "concrete"),
        ("operation_type", "whaling"),
        ("name", "=HYPERLINK(1)"),
    ],
)
def test_vessel_fields_are_checked_by_name(field: str, value: object) -> None:
    _, problems = check_vessel_fields({field: value}, this_year=2026)
    assert [f for f, _ in problems] == [field]


def test_schema_examples_hold() -> None:
    assert doctest.testmod(schemas).failed == 0


def test_good_fields_pass_and_are_normalised() -> None:
    clean, problems = check_vessel_fields(
        {"registration_no": " 浙普渔 12345", "length_m": 3, "build_year": 2026, "name": " 浙普渔12345 "}, this_year=2026
    )
    assert problems == [] and clean["registration_no"] == "浙普渔12345" and clean["name"] == "浙普渔12345"


def test_vessel_is_filed_in_a_township_or_village_inside_the_scope(db: Session) -> None:
    vessel = add_vessel(db, "浙普渔10001", YUGANG, "gillnet", name="海丰1号")
    assert vessel.home_unit.code == YUGANG and vessel.name == "海丰1号" and vessel.operation_type == "gillnet"
    entry = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert entry.action == "fleet.vessel.create" and entry.object_id == str(vessel.id)
    with pytest.raises(Conflict) as taken:
        add_vessel(db, "浙普渔10001")
    assert taken.value.code == "registration_taken"
    with pytest.raises(ValidationFailed) as district:
        add_vessel(db, "浙普渔10002", "330903")  # 普陀区: not a township or village
    assert district.value.details["fields"] == ["home_unit_code"]
    sjm = fleet_actor(db, SJM)
    with pytest.raises(NotFound):
        add_vessel(db, "浙普渔10003", TAOHUA, actor=sjm)  # 桃花镇 is outside 沈家门街道's scope
    changed = service.update_vessel(
        db, vessel.id, changes={"length_m": 40.0, "home_unit_code": SJM}, actor=sjm, now=NOW
    )
    assert changed.length_m == 40.0 and changed.home_unit.code == SJM
    with pytest.raises(NotFound):
        service.update_vessel(db, vessel.id, changes={"home_unit_code": TAOHUA}, actor=sjm, now=NOW)


# ---------------------------------------------------------------- terminals over time


def test_mmsi_change_keeps_one_vessel_history_and_vessel_by_mmsi_answers_by_time(db: Session) -> None:
    vessel = add_vessel(db, "浙岱渔03123", SJM, mmsi="412345678")  # fitted at SEED_TIME
    changed_at = SEED_TIME + timedelta(days=10)
    new = terminals.change_mmsi(db, vessel.id, mmsi="413000001", at=changed_at, actor=OPERATOR, now=NOW)
    assert new.kind == "ais_b" and new.installed_at == changed_at

    history = terminals.list_terminals(db, vessel.id, actor=OPERATOR)
    assert [(t.mmsi, t.installed_at, t.removed_at) for t in history] == [
        ("413000001", changed_at, None),
        ("412345678", SEED_TIME, changed_at),
    ]
    assert {t.vessel_id for t in history} == {vessel.id}  # one vessel, one history
    before, after = changed_at - timedelta(seconds=1), changed_at + timedelta(seconds=1)
    assert terminals.vessel_by_mmsi(db, "412345678", before).id == vessel.id  # type: ignore[union-attr]
    assert terminals.vessel_by_mmsi(db, "412345678", changed_at) is None
    assert terminals.vessel_by_mmsi(db, "412345678", after) is None
    assert terminals.vessel_by_mmsi(db, "413000001", before) is None
    assert terminals.vessel_by_mmsi(db, "413000001", changed_at).id == vessel.id  # type: ignore[union-attr]
    assert terminals.vessel_by_mmsi(db, "413000001", NOW).id == vessel.id  # type: ignore[union-attr]
    assert terminals.vessel_by_mmsi(db, "412345678", SEED_TIME - timedelta(days=1)) is None
    assert service.live_mmsis(db, [vessel.id]) == {vessel.id: "413000001"}
    entry = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert entry.action == "fleet.terminal.change_mmsi"
    assert json.loads(entry.details)["old_mmsi"] == "412345678"

    # The freed MMSI may go to another vessel from the change on, not before it.
    other = add_vessel(db, "浙岱渔03124", SJM)
    with pytest.raises(Conflict) as overlap:
        terminals.fit_terminal(
            db, other.id, kind="ais_a", mmsi="412345678", installed_at=before, actor=OPERATOR, now=NOW
        )
    assert overlap.value.code == "mmsi_history_overlap"
    terminals.fit_terminal(db, other.id, kind="ais_a", mmsi="412345678", installed_at=after, actor=OPERATOR, now=NOW)
    assert terminals.vessel_by_mmsi(db, "412345678", before).id == vessel.id  # type: ignore[union-attr]
    assert terminals.vessel_by_mmsi(db, "412345678", NOW).id == other.id  # type: ignore[union-attr]


def test_a_live_mmsi_cannot_be_fitted_to_a_second_vessel(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    first = add_vessel(db, "浙普渔20001", SJM, mmsi="414000001")
    second = add_vessel(db, "浙普渔20002", SJM)
    with pytest.raises(Conflict) as caught:
        terminals.fit_terminal(db, second.id, kind="ais_b", mmsi="414000001", actor=OPERATOR, now=NOW)
    assert caught.value.code == "mmsi_in_use" and "414000001" in caught.value.message

    # The partial unique index refuses it too, and the service turns that into the same Conflict.
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(Terminal(vessel_id=second.id, kind="ais_b", mmsi="414000001", installed_at=NOW))
        db.flush()
    monkeypatch.setattr(terminals, "_check_free", lambda *a, **k: None)
    with pytest.raises(Conflict) as backstop:
        terminals.fit_terminal(db, second.id, kind="ais_b", mmsi="414000001", actor=OPERATOR, now=NOW)
    assert backstop.value.code == "mmsi_in_use"
    monkeypatch.undo()

    live = service.live_mmsis(db, [first.id])[first.id]
    terminal = db.scalars(select(Terminal).where(Terminal.mmsi == live)).one()
    terminals.remove_terminal(db, first.id, terminal.id, actor=OPERATOR, now=NOW)
    fitted = terminals.fit_terminal(db, second.id, kind="ais_b", mmsi="414000001", actor=OPERATOR, now=NOW)
    assert fitted.vessel_id == second.id


@pytest.mark.parametrize(
    ("kind", "mmsi", "device_id", "field"),
    [
        ("ais_b", None, None, "mmsi"),
        ("ais_a", "41200001", None, "mmsi"),  # 8 digits
        ("ais_b", "477123456", None, "mmsi"),  # Hong Kong's MID
        ("ais_b", "041200001", None, "mmsi"),  # a group MMSI
        ("beidou", None, None, "device_id"),
        ("beidou", "412000002", "BD-1", "mmsi"),
        ("locator", None, "../etc", "device_id"),
    ],
)
def test_terminal_identities_are_checked(
    db: Session, kind: str, mmsi: str | None, device_id: str | None, field: str
) -> None:
    vessel = add_vessel(db, "浙普渔20101", SJM)
    with pytest.raises(ValidationFailed) as caught:
        terminals.fit_terminal(db, vessel.id, kind=kind, mmsi=mmsi, device_id=device_id, actor=OPERATOR, now=NOW)
    assert field in caught.value.details["fields"]


def test_one_live_ais_terminal_per_vessel_beside_a_beidou_terminal(db: Session) -> None:
    vessel = add_vessel(db, "浙普渔20201", SJM, mmsi="412000201")
    beidou = terminals.fit_terminal(db, vessel.id, kind="beidou", device_id="BD-330903-0001", actor=OPERATOR, now=NOW)
    assert beidou.mmsi is None
    with pytest.raises(Conflict) as second_ais:
        terminals.fit_terminal(db, vessel.id, kind="ais_a", mmsi="412000202", actor=OPERATOR, now=NOW)
    assert second_ais.value.code == "terminal_already_fitted"
    with pytest.raises(ValidationFailed):
        terminals.change_mmsi(db, vessel.id, mmsi="412000201", actor=OPERATOR, now=NOW)  # the same MMSI
    with pytest.raises(ValidationFailed):
        terminals.fit_terminal(
            db,
            vessel.id,
            kind="locator",
            device_id="LOC-1",
            installed_at=NOW + timedelta(hours=1),
            actor=OPERATOR,
            now=NOW,
        )


# ---------------------------------------------------------------- owners, crews, reveal


def test_owner_and_crew_are_stored_encrypted_with_a_blind_index(db: Session, cipher: FieldCipher) -> None:
    vessel = add_vessel(db, "浙普渔30001", SJM)
    owner = parties.set_party(
        db,
        cipher,
        vessel.id,
        "owner",
        kind="person",
        name="林海生",
        id_number=OWNER_ID,
        phone="13905801234",
        actor=OPERATOR,
        now=NOW,
    )
    assert OWNER_ID.encode() not in (owner.id_enc or b"") and cipher.decrypt(owner.id_enc or b"") == OWNER_ID
    assert owner.id_bidx == cipher.blind_index(OWNER_ID) and owner.phone_bidx == cipher.blind_index("13905801234")
    company = parties.set_party(
        db,
        cipher,
        vessel.id,
        "operator",
        kind="company",
        name="舟山海丰渔业有限公司",
        credit_code=_company_code(),
        actor=OPERATOR,
        now=NOW,
    )
    assert company.id_enc is None and company.credit_code == _company_code()
    member = parties.add_crew_member(
        db,
        cipher,
        vessel.id,
        name="陈大海",
        role="captain",
        id_number=CREW_ID,
        phone="15857001122",
        certificate_no="ZS2026-001",
        certificate_expires_on=date(2027, 3, 1),
        actor=OPERATOR,
        now=NOW,
    )
    assert cipher.decrypt(member.id_enc or b"") == CREW_ID
    with pytest.raises(Conflict):
        parties.add_crew_member(
            db, cipher, vessel.id, name="陈大海", role="deckhand", id_number=CREW_ID, actor=OPERATOR, now=NOW
        )
    with pytest.raises(ValidationFailed) as bad:
        parties.set_party(
            db,
            cipher,
            vessel.id,
            "owner",
            kind="company",
            name="x",
            credit_code=_wrong_check(_company_code()),
            actor=OPERATOR,
            now=NOW,
        )
    assert bad.value.details["fields"] == ["credit_code"]
    # Replacing the owner deletes the old record: no personal data stays without a purpose.
    parties.set_party(
        db,
        cipher,
        vessel.id,
        "owner",
        kind="company",
        name="舟山海丰渔业有限公司",
        credit_code=_company_code(),
        actor=OPERATOR,
        now=NOW,
    )
    assert db.get(Party, owner.id) is None
    details = [e.details for e in db.scalars(select(AuditEntry).where(AuditEntry.object_id == str(vessel.id)))]
    for clear in (OWNER_ID, CREW_ID, "13905801234", "15857001122", "林海生", "陈大海"):
        assert all(clear not in d for d in details)


def test_reveal_needs_people_reveal_and_a_reason(db: Session, cipher: FieldCipher) -> None:
    vessel = add_vessel(db, "浙普渔30101", SJM)
    parties.set_party(
        db, cipher, vessel.id, "owner", kind="person", name="林海生", id_number=OWNER_ID, actor=OPERATOR, now=NOW
    )
    member = parties.add_crew_member(
        db, cipher, vessel.id, name="陈大海", role="captain", id_number=CREW_ID, actor=OPERATOR, now=NOW
    )
    without = fleet_actor(db, SJM, reveal=False)
    with pytest.raises(Forbidden):
        parties.reveal_party(db, cipher, vessel.id, "owner", reason="核查船东信息", actor=without, now=NOW)
    with pytest.raises(NotFound):  # 高亭镇 cannot see a 沈家门 vessel
        parties.reveal_crew_member(
            db, cipher, vessel.id, member.id, reason="核查船员", actor=fleet_actor(db, GAOTING), now=NOW
        )
    with pytest.raises(ValidationFailed):
        parties.reveal_party(db, cipher, vessel.id, "owner", reason="查", actor=fleet_actor(db, SJM), now=NOW)
    party_id, clear = parties.reveal_party(
        db, cipher, vessel.id, "owner", reason="核查船东信息", fields=["id_number"], actor=fleet_actor(db, SJM), now=NOW
    )
    assert clear == {"id_number": OWNER_ID}
    entry = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert (entry.action, entry.object_type, entry.object_id) == ("fleet.owner.reveal", "fleet_party", str(party_id))
    assert json.loads(entry.details) == {"vessel": "浙普渔30101", "reason": "核查船东信息", "fields": ["id_number"]}


# ---------------------------------------------------------------- certificates


def test_expiring_certificates_list_expired_and_soon_expiring_ones_in_the_scope(
    db: Session, cipher: FieldCipher
) -> None:
    today = service.local_today(NOW)  # 2026-11-20
    mine = add_vessel(db, "浙普渔40001", YUGANG)
    theirs = add_vessel(db, "浙岱渔40002", GAOTING)

    def cert(vessel_id: int, kind: str, expires: date, number: str) -> None:
        certificates.add_certificate(
            db,
            vessel_id,
            kind=kind,
            number=number,
            issued_on=date(2021, 1, 1),
            expires_on=expires,
            actor=OPERATOR,
            now=NOW,
        )

    cert(mine.id, "fishing_licence", today + timedelta(days=10), "LIC-SOON")
    cert(mine.id, "insurance", today - timedelta(days=3), "INS-OLD")
    cert(mine.id, "inspection", today + timedelta(days=200), "INSP-FAR")
    cert(mine.id, "nationality", date(2025, 1, 1), "NAT-OLD")  # expired, but renewed below
    cert(mine.id, "nationality", date(2030, 1, 1), "NAT-NEW")
    cert(theirs.id, "insurance", today + timedelta(days=1), "INS-DS")
    parties.add_crew_member(
        db,
        cipher,
        mine.id,
        name="王建",
        role="chief_engineer",
        id_number=CREW_ID,
        certificate_no="C-1",
        certificate_expires_on=today + timedelta(days=30),
        actor=OPERATOR,
        now=NOW,
    )
    with pytest.raises(ValidationFailed):
        cert(mine.id, "insurance", date(2020, 1, 1), "BACKWARDS")  # expires before issued (2021)

    sjm = fleet_actor(db, SJM)
    found = certificates.expiring_certificates(db, actor=sjm, now=NOW)
    assert [(e.number, e.source) for e in found] == [("INS-OLD", "vessel"), ("LIC-SOON", "vessel"), ("C-1", "crew")]
    assert found[2].holder_name == "王建" and found[2].kind == "chief_engineer"
    assert [e.number for e in certificates.expiring_certificates(db, actor=sjm, now=NOW, within_days=0)] == ["INS-OLD"]
    everyone = certificates.expiring_certificates(db, actor=OPERATOR, now=NOW, within_days=5)
    assert {e.number for e in everyone} >= {"INS-OLD", "INS-DS"}
    assert "INS-DS" not in {e.number for e in found}


# ---------------------------------------------------------------- documents, events, timeline


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_documents_are_kept_under_the_data_dir_and_checked(db: Session, tmp_path: Path) -> None:
    vessel = add_vessel(db, "浙普渔50001", SJM)
    doc = records.add_document(
        db,
        vessel.id,
        title="船舶照片",
        content_type="image/png",
        data=PNG,
        storage_root=tmp_path,
        actor=OPERATOR,
        now=NOW,
    )
    path = records.document_path(tmp_path, doc)
    assert path.parent == tmp_path / "fleet-documents" / str(vessel.id) and path.suffix == ".png"
    assert path.read_bytes() == PNG and doc.size_bytes == len(PNG)
    for content_type, data in (("image/gif", b"GIF89a"), ("image/jpeg", PNG), ("application/pdf", b"")):
        with pytest.raises(ValidationFailed):
            records.add_document(
                db,
                vessel.id,
                title="x",
                content_type=content_type,
                data=data,
                storage_root=tmp_path,
                actor=OPERATOR,
                now=NOW,
            )
    big = b"%PDF-" + b"0" * records.MAX_DOCUMENT_BYTES
    with pytest.raises(ValidationFailed):
        records.add_document(
            db,
            vessel.id,
            title="x",
            content_type="application/pdf",
            data=big,
            storage_root=tmp_path,
            actor=OPERATOR,
            now=NOW,
        )
    records.delete_document(db, vessel.id, doc.id, storage_root=tmp_path, actor=OPERATOR, now=NOW)
    assert not path.exists()


def test_timeline_merges_the_vessel_record_newest_first(db: Session) -> None:
    vessel = add_vessel(db, "浙普渔60001", SJM)
    other = add_vessel(db, "浙普渔60002", SJM)
    t0 = datetime(2026, 10, 1, tzinfo=UTC)
    port = Port(
        code="SJM",
        name="沈家门渔港",
        kind="fishing_port",
        unit_id=None,
        geom_wkb=shapely.to_wkb(shapely.box(122.29, 29.94, 122.31, 29.96)),
        min_lon=122.29,
        min_lat=29.94,
        max_lon=122.31,
        max_lat=29.96,
    )
    db.add(port)
    db.flush()
    db.add_all(
        [
            Inspection(vessel_id=vessel.id, inspected_at=t0, checklist="trawl", items=[], result="passed", notes=""),
            PortCall(vessel_id=vessel.id, port_id=port.id, entered_at=t0 + timedelta(days=1), exited_at=None),
            Alert(
                kind="report_overdue",
                vessel_id=vessel.id,
                dedupe_key="t-1",
                raised_at=t0 + timedelta(days=3),
                status=AlertStatus.OPEN,
                severity=2,
                message="动态报告超时",
                details={},
            ),
            DynamicReport(
                vessel_id=vessel.id,
                kind=ReportKind.DEPARTURE,
                reported_at=t0 + timedelta(days=4),
                crew_on_board=8,
                destination="舟山渔场",
                source="api",
            ),
            DynamicReport(vessel_id=other.id, kind=ReportKind.RETURN, reported_at=t0 + timedelta(days=5), source="api"),
        ]
    )
    db.flush()
    records.record_event(
        db,
        vessel.id,
        kind="violation",
        occurred_at=t0 + timedelta(days=2),
        severity=2,
        description="未开启AIS",
        actor=OPERATOR,
        now=NOW,
    )
    timeline = records.vessel_timeline(db, vessel.id, actor=OPERATOR)
    assert [(t.source, t.kind) for t in timeline] == [
        ("report", "departure"),
        ("alert", "report_overdue"),
        ("event", "violation"),
        ("port_call", "port_call"),
        ("inspection", "passed"),
    ]
    assert timeline[3].summary == "沈家门渔港"
    older = records.vessel_timeline(db, vessel.id, actor=OPERATOR, before=t0 + timedelta(days=2), limit=1)
    assert [t.source for t in older] == ["port_call"]
    with pytest.raises(NotFound):
        records.vessel_timeline(db, vessel.id, actor=fleet_actor(db, TAOHUA))


# ---------------------------------------------------------------- the API: scope, masking, reveal, exports


def _seed_two_townships(db: Session, cipher: FieldCipher) -> tuple[int, int]:
    mine = add_vessel(db, "浙普渔70001", YUGANG, "trawl", mmsi="412700001")
    theirs = add_vessel(db, "浙普渔70002", TAOHUA, "gillnet", mmsi="412700002")
    parties.set_party(
        db,
        cipher,
        mine.id,
        "owner",
        kind="person",
        name="林海生",
        id_number=OWNER_ID,
        phone="13905801234",
        actor=OPERATOR,
        now=SEED_TIME,
    )
    parties.add_crew_member(
        db,
        cipher,
        mine.id,
        name="陈大海",
        role="captain",
        id_number=CREW_ID,
        phone="15857001122",
        actor=OPERATOR,
        now=SEED_TIME,
    )
    today = service.local_today(utcnow())
    # Formula text cannot come in through the service; an imported row might carry it (the export neutralises it).
    db.add(
        Certificate(
            vessel_id=mine.id,
            kind="insurance",
            number="=cmd|' /C calc'!A0",
            issued_on=today - timedelta(days=300),
            expires_on=today + timedelta(days=5),
        )
    )
    certificates.add_certificate(
        db,
        theirs.id,
        kind="insurance",
        number="TH-INS",
        issued_on=today - timedelta(days=300),
        expires_on=today + timedelta(days=5),
        actor=OPERATOR,
        now=SEED_TIME,
    )
    db.commit()
    return mine.id, theirs.id


def test_township_sees_only_its_vessels_masked_and_reveals_with_an_audited_reason(
    client: TestClient,
    db: Session,
    cipher: FieldCipher,
    make_fleet_user,  # type: ignore[no-untyped-def]
) -> None:
    mine, theirs = _seed_two_townships(db, cipher)
    make_fleet_user("sjm_fleet", SJM)
    csrf = sign_in(client, "sjm_fleet")
    headers = {"X-CSRF-Token": csrf}

    listing = client.get("/api/fleet/vessels", params={"limit": 500})
    assert listing.status_code == 200, listing.text
    ids = {v["id"] for v in listing.json()}
    assert mine in ids and theirs not in ids
    assert client.get("/api/fleet/vessels", params={"q": "70002"}).json() == []
    assert client.get(f"/api/fleet/vessels/{theirs}").status_code == 404
    assert client.get(f"/api/fleet/vessels/{theirs}/timeline").status_code == 404
    assert client.get("/api/fleet/mmsi/412700002").status_code == 404
    assert client.get("/api/fleet/mmsi/412700001").json()["id"] == mine

    detail = client.get(f"/api/fleet/vessels/{mine}")
    assert detail.status_code == 200 and detail.headers["cache-control"] == "no-store"
    body = detail.json()
    assert body["owner"]["name"] == "林**" and MASKED_ID.match(body["owner"]["id_number"])
    assert body["owner"]["phone"] == "139****1234"
    assert body["crew"][0]["name"] == "陈**" and body["crew"][0]["phone"] == "158****1122"
    assert body["mmsi"] == "412700001" and body["terminals"][0]["mmsi"] == "412700001"
    assert body["certificates"][0]["status"] == "expiring" and body["home_unit"]["code"] == YUGANG
    assert body["group"] is None and body["cadres"] == [] and body["rating"] is None
    for clear in (OWNER_ID, CREW_ID, "13905801234", "15857001122", "林海生", "陈大海"):
        assert clear not in detail.text

    expiring = client.get("/api/fleet/certificates/expiring").json()
    assert {e["vessel_id"] for e in expiring} == {mine}

    url = f"/api/fleet/vessels/{mine}/parties/owner/reveal"
    before = db.scalar(select(func.count(AuditEntry.id)))
    assert client.post(url, json={"reason": "查"}, headers=headers).status_code == 422
    assert client.post(url, json={"reason": f"核对 {OWNER_ID}"}, headers=headers).status_code == 422
    assert db.scalar(select(func.count(AuditEntry.id))) == before
    shown = client.post(url, json={"reason": "核查船东身份（工单 88）"}, headers=headers)
    assert shown.status_code == 200, shown.text
    assert shown.json()["id_number"] == OWNER_ID and shown.json()["phone"] == "13905801234"
    crew_id = body["crew"][0]["id"]
    crew = client.post(
        f"/api/fleet/vessels/{mine}/crew/{crew_id}/reveal",
        json={"reason": "联系船长", "fields": ["phone"]},
        headers=headers,
    )
    assert crew.json() == {"id": crew_id, "name": None, "id_number": None, "phone": "15857001122"}
    rows = list(db.scalars(select(AuditEntry).where(AuditEntry.id > before).order_by(AuditEntry.id)))
    assert [r.action for r in rows] == ["fleet.owner.reveal", "fleet.crew.reveal"]
    assert all(OWNER_ID not in r.details and "15857001122" not in r.details for r in rows)
    outside = client.post(
        f"/api/fleet/vessels/{theirs}/parties/owner/reveal", json={"reason": "核查船东身份"}, headers=headers
    )
    assert outside.status_code == 404


def test_fishery_officer_without_people_reveal_cannot_reveal(
    client: TestClient,
    db: Session,
    cipher: FieldCipher,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    mine, _ = _seed_two_townships(db, cipher)
    make_user("fish_officer", "ZS-HY", ["fishery_officer"])
    csrf = sign_in(client, "fish_officer")
    assert client.get(f"/api/fleet/vessels/{mine}").status_code == 200
    refused = client.post(
        f"/api/fleet/vessels/{mine}/parties/owner/reveal",
        json={"reason": "核查船东身份"},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 403


def test_excel_exports_are_masked_keep_ids_as_text_and_are_audited(
    client: TestClient,
    db: Session,
    cipher: FieldCipher,
    make_fleet_user,  # type: ignore[no-untyped-def]
) -> None:
    _seed_two_townships(db, cipher)
    make_fleet_user("sjm_export", SJM)
    sign_in(client, "sjm_export")

    response = client.get("/api/fleet/vessels/export")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [[c for c in row] for row in sheet.iter_rows()]
    header = [c.value for c in rows[0]]
    body = rows[1:]
    assert [r[0].value for r in body] == ["浙普渔70001"]  # 桃花镇's vessel is outside the scope
    row = {h: c for h, c in zip(header, body[0], strict=True)}
    assert row["所有人"].value == "林**" and MASKED_ID.match(str(row["所有人证件号"].value))
    assert row["所有人证件号"].data_type == "s" and row["所有人证件号"].number_format == "@"
    assert row["MMSI"].value == "412700001" and row["MMSI"].data_type == "s"
    assert row["所有人电话"].value == "139****1234" and row["作业类型"].value == "拖网"
    text = response.content.decode("latin-1")
    for clear in (OWNER_ID, "13905801234"):
        assert clear not in text
    entry = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert entry.action == "fleet.export"
    assert json.loads(entry.details) == {"list": "vessels", "rows": 1, "masked": True}

    certs = client.get("/api/fleet/certificates/expiring/export")
    assert certs.status_code == 200, certs.text
    cert_sheet = load_workbook(io.BytesIO(certs.content)).active
    assert cert_sheet is not None
    cert_rows = list(cert_sheet.iter_rows(values_only=True))
    assert [r[0] for r in cert_rows[1:]] == ["浙普渔70001"]
    assert cert_rows[1][5] == "'=cmd|' /C calc'!A0"  # a formula prefix is neutralised
    assert cert_rows[1][9] == "即将到期"
    entry = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert json.loads(entry.details)["list"] == "expiring_certificates"

    with new_client(client.app) as anonymous:
        assert anonymous.get("/api/fleet/vessels/export").status_code == 401


def test_vessel_api_round_trip(
    client: TestClient,
    make_fleet_user,  # type: ignore[no-untyped-def]
) -> None:
    make_fleet_user("sjm_writer", SJM)
    headers = {"X-CSRF-Token": sign_in(client, "sjm_writer")}
    new_vessel = {
        "registration_no": "浙普渔80001",
        "port_of_registry": "舟山",
        "home_unit_code": YUGANG,
        "hull_material": "steel",
        "length_m": 38.2,
        "gross_tonnage": 220,
        "engine_power_kw": 441,
        "build_year": 2015,
        "operation_type": "light_purse_seine",
        "owner": {"kind": "company", "name": "舟山海丰渔业有限公司", "credit_code": _company_code()},
    }
    created = client.post("/api/fleet/vessels", json=new_vessel, headers=headers)
    assert created.status_code == 201, created.text
    vessel = created.json()
    assert vessel["name"] == "浙普渔80001" and vessel["owner"]["name"] == "舟山海丰渔业有限公司"
    assert vessel["operation_type_label"] == "灯光围网"
    vid = vessel["id"]
    outside = client.post(
        "/api/fleet/vessels",
        json={**new_vessel, "registration_no": "浙普渔80002", "home_unit_code": TAOHUA},
        headers=headers,
    )
    assert outside.status_code == 404
    fitted = client.post(
        f"/api/fleet/vessels/{vid}/terminals", json={"kind": "ais_a", "mmsi": "413800001"}, headers=headers
    )
    assert fitted.status_code == 201, fitted.text
    changed = client.post(f"/api/fleet/vessels/{vid}/mmsi", json={"mmsi": "413800002"}, headers=headers)
    assert changed.status_code == 201 and changed.json()["kind"] == "ais_a"
    history = client.get(f"/api/fleet/vessels/{vid}/terminals").json()
    assert [t["mmsi"] for t in history] == ["413800002", "413800001"] and history[1]["removed_at"] is not None
    cert = client.post(
        f"/api/fleet/vessels/{vid}/certificates",
        json={
            "kind": "fishing_licence",
            "number": "(浙普)船捕(2026)HY-001",
            "issued_on": "2026-01-01",
            "expires_on": "2030-12-31",
        },
        headers=headers,
    )
    assert cert.status_code == 201 and cert.json()["status"] == "valid"
    event = client.post(
        f"/api/fleet/vessels/{vid}/events",
        json={"kind": "training", "occurred_at": "2026-11-02T01:00:00Z", "description": "消防演练"},
        headers=headers,
    )
    assert event.status_code == 201
    upload = client.post(
        f"/api/fleet/vessels/{vid}/documents",
        data={"title": "检验证书扫描件"},
        files={"file": ("cert.pdf", b"%PDF-1.4 test", "application/pdf")},
        headers=headers,
    )
    assert upload.status_code == 201, upload.text
    download = client.get(upload.json()["url"])
    assert download.status_code == 200 and download.content == b"%PDF-1.4 test"
    assert download.headers["content-type"] == "application/pdf"
    refused = client.post(
        f"/api/fleet/vessels/{vid}/documents",
        data={"title": "x"},
        files={"file": ("x.html", b"<script>", "text/html")},
        headers=headers,
    )
    assert refused.status_code == 422
    patched = client.patch(f"/api/fleet/vessels/{vid}", json={"name": "海丰8号"}, headers=headers)
    assert patched.status_code == 200 and patched.json()["name"] == "海丰8号"
    timeline = client.get(f"/api/fleet/vessels/{vid}/timeline").json()
    assert [t["source"] for t in timeline] == ["event"]
