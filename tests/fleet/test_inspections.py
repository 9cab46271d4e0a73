"""Inspections against checklists, rectification tasks with deadlines, overdue lists, escalation and data scope."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditEntry
from pingan.auth.principal import cli_principal
from pingan.errors import Conflict, ValidationFailed
from pingan.fleet import checklists, inspections
from pingan.fleet.models import (
    HullMaterial,
    InspectionResult,
    OperationType,
    RatingStatus,
    TaskStatus,
    Vessel,
)
from pingan.org.models import OrgUnit
from tests.conftest import SEED_TIME, sign_in

OPERATOR = cli_principal("test")
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 09:00 on 2 November in Zhoushan


def add_vessel(
    db: Session, reg: str, unit_code: str = "330903001", operation_type: OperationType = OperationType.TRAWL
) -> Vessel:
    """A vessel row of a home township (the vessel-file service is another module's)."""
    unit = db.scalars(select(OrgUnit).where(OrgUnit.code == unit_code)).one()
    vessel = Vessel(
        registration_no=reg,
        name=reg,
        port_of_registry="舟山",
        home_unit_id=unit.id,
        hull_material=HullMaterial.STEEL,
        length_m=30.0,
        gross_tonnage=120.0,
        engine_power_kw=250.0,
        build_year=2015,
        operation_type=operation_type,
        created_at=SEED_TIME,
    )
    db.add(vessel)
    db.flush()
    return vessel


def answers(operation_type: OperationType, failed: dict[str, str] | None = None) -> list[dict[str, object]]:
    """Answers to every item of the gear's checklist; ``failed`` maps codes to notes."""
    failed = failed or {}
    return [
        {"code": i.code, "ok": i.code not in failed, "note": failed.get(i.code, "")}
        for i in checklists.checklist_for(operation_type.value)
    ]


def test_every_operation_type_has_a_checklist_with_unique_codes() -> None:
    for gear in OperationType:
        items = checklists.checklist_for(gear.value)
        codes = [i.code for i in items]
        assert len(codes) == len(set(codes)), gear
        assert {i.category for i in items} >= {"life_saving", "fire", "communication", "positioning", "crew"}
        assert all(i.rectify_days > 0 and i.label for i in items)
    assert "gear.lights" in checklists.item_map("light_purse_seine")
    assert "gear.winch" in checklists.item_map("trawl")


def test_a_failed_item_becomes_a_task_due_the_items_days_after_the_inspection_day(db: Session) -> None:
    vessel = add_vessel(db, "浙普渔10001")
    outcome = inspections.record_inspection(
        db, vessel.id, answers(OperationType.TRAWL, {"ls.lifebuoys": "缺2只救生圈"}), actor=OPERATOR, now=NOW
    )
    assert outcome.inspection.result == InspectionResult.FINDINGS
    assert outcome.inspection.checklist == "2026.1:trawl"
    [task] = outcome.tasks
    assert task.item_code == "ls.lifebuoys" and task.status == TaskStatus.OPEN
    assert task.deadline == date(2026, 11, 5)  # 2 November + 3 days
    assert "缺2只救生圈" in task.description
    assert outcome.rating.status == RatingStatus.PUBLISHED
    assert {f["name"]: f["value"] for f in outcome.rating.factors}["open_rectifications"] == "1"


def test_deadlines_count_from_the_local_day(db: Session) -> None:
    vessel = add_vessel(db, "浙普渔10002")
    late_evening_utc = datetime(2026, 11, 1, 17, 0, tzinfo=UTC)  # already 01:00 on 2 November in Zhoushan
    outcome = inspections.record_inspection(
        db, vessel.id, answers(OperationType.TRAWL, {"ls.liferaft": ""}), actor=OPERATOR, now=late_evening_utc
    )
    assert outcome.inspection.result == InspectionResult.FAILED  # the liferaft is critical
    assert outcome.tasks[0].deadline == date(2026, 11, 9)


def test_all_items_ok_passes_without_tasks(db: Session) -> None:
    vessel = add_vessel(db, "浙普渔10003", operation_type=OperationType.LIGHT_PURSE_SEINE)
    outcome = inspections.record_inspection(
        db, vessel.id, answers(OperationType.LIGHT_PURSE_SEINE), actor=OPERATOR, now=NOW
    )
    assert outcome.inspection.result == InspectionResult.PASSED and outcome.tasks == []


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda items: items[1:], "checklist_mismatch"),  # an item left out
        (lambda items: [*items, {"code": "gear.lights", "ok": True}], "checklist_mismatch"),  # another gear's item
        (lambda items: [*items, items[0]], "duplicate_item"),
        (lambda items: [{**items[0], "ok": "yes"}, *items[1:]], "bad_item"),
    ],
)
def test_answers_must_match_the_checklist_exactly(db: Session, change, code: str) -> None:  # type: ignore[no-untyped-def]
    vessel = add_vessel(db, "浙普渔10004")
    with pytest.raises(ValidationFailed) as caught:
        inspections.record_inspection(db, vessel.id, change(answers(OperationType.TRAWL)), actor=OPERATOR, now=NOW)
    assert caught.value.code == code


def test_closing_a_task_needs_a_note_and_recomputes_the_rating(db: Session) -> None:
    vessel = add_vessel(db, "浙普渔10005")
    outcome = inspections.record_inspection(
        db, vessel.id, answers(OperationType.TRAWL, {"fire.pump_hose": "水带破损"}), actor=OPERATOR, now=NOW
    )
    task = outcome.tasks[0]
    with pytest.raises(ValidationFailed):
        inspections.close_task(db, task.id, note="  ", actor=OPERATOR, now=NOW)
    closed, rating = inspections.close_task(
        db, task.id, note="已更换消防水带", actor=OPERATOR, now=NOW + timedelta(days=1)
    )
    assert closed.status == TaskStatus.CLOSED and closed.closing_note == "已更换消防水带"
    assert rating.id != outcome.rating.id
    assert {f["name"]: f["value"] for f in rating.factors}["open_rectifications"] == "0"
    with pytest.raises(Conflict):
        inspections.close_task(db, task.id, note="again", actor=OPERATOR, now=NOW)


def test_escalation_opens_a_case_on_the_hub_and_keeps_its_number(db: Session) -> None:
    from pingan.cases.models import Case

    vessel = add_vessel(db, "浙普渔10006")
    task = inspections.record_inspection(
        db, vessel.id, answers(OperationType.TRAWL, {"pos.ais": "AIS关机"}), actor=OPERATOR, now=NOW
    ).tasks[0]
    inspections.escalate_task(db, task.id, reason="多次关闭AIS", actor=OPERATOR, now=NOW)
    assert task.case_number is not None and inspections.is_escalated(task)
    assert "多次关闭AIS" in task.description and task.case_number in task.description
    case = db.scalars(select(Case).where(Case.number == task.case_number)).one()
    assert case.channel == "internal_alert" and case.category.code == "3011" and case.status == "registered"
    assert case.external_ref == f"rectification-{task.id}" and "浙普渔10006" in case.description
    assert case.suggested_unit_id is not None  # routed 属主: the fisheries enforcement detachment
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "fleet.rectification.escalate")).one()
    assert entry.object_id == str(task.id) and json.loads(entry.details)["case_number"] == task.case_number
    with pytest.raises(Conflict):
        inspections.escalate_task(db, task.id, reason="再次", actor=OPERATOR, now=NOW)


def test_an_overdue_task_shows_in_the_overdue_list(db: Session, make_user, client) -> None:  # type: ignore[no-untyped-def]
    vessel = add_vessel(db, "浙普渔10007")
    db.commit()
    make_user("fish_insp", "ZS-HY", ["fishery_officer"])
    items = answers(OperationType.TRAWL, {"ls.lifebuoys": "缺救生圈", "crew.ordinary": "2人无证"})
    with time_machine.travel(NOW, tick=False) as clock:
        csrf = sign_in(client, "fish_insp")
        response = client.post(
            f"/api/fleet/vessels/{vessel.id}/inspections", json={"items": items}, headers={"X-CSRF-Token": csrf}
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["inspection"]["result"] == "findings"
        deadlines = {t["item_code"]: t["deadline"] for t in body["tasks"]}
        assert deadlines == {"ls.lifebuoys": "2026-11-05", "crew.ordinary": "2026-11-17"}

        # On the deadline day (5 November, local) the task is still in time.
        clock.move_to(datetime(2026, 11, 5, 15, 59, tzinfo=UTC))  # 23:59 local
        sign_in(client, "fish_insp")  # the earlier session has gone idle
        assert client.get("/api/fleet/rectifications", params={"overdue": True}).json() == []
        # From 6 November (local) it is overdue; the other task is not.
        clock.move_to(datetime(2026, 11, 5, 16, 1, tzinfo=UTC))  # 00:01 on 6 November local
        sign_in(client, "fish_insp")
        overdue = client.get("/api/fleet/rectifications", params={"overdue": True}).json()
        assert [(t["item_code"], t["overdue"]) for t in overdue] == [("ls.lifebuoys", True)]
        open_tasks = client.get("/api/fleet/rectifications").json()
        assert [(t["item_code"], t["overdue"]) for t in open_tasks] == [
            ("ls.lifebuoys", True),
            ("crew.ordinary", False),
        ]


def test_a_township_officer_sees_only_its_own_vessels(db: Session, make_user, client) -> None:  # type: ignore[no-untyped-def]
    ours = add_vessel(db, "浙普渔10008", unit_code="330903102")  # 桃花镇
    theirs = add_vessel(db, "浙普渔10009", unit_code="330903001")  # 沈家门街道
    for vessel in (ours, theirs):
        inspections.record_inspection(
            db, vessel.id, answers(OperationType.TRAWL, {"ls.lifebuoys": ""}), actor=OPERATOR, now=NOW
        )
    db.commit()
    make_user("taohua_officer", "330903102", ["township_leader"])
    csrf = sign_in(client, "taohua_officer")
    tasks = client.get("/api/fleet/rectifications").json()
    assert {t["vessel_id"] for t in tasks} == {ours.id}
    assert client.get(f"/api/fleet/vessels/{theirs.id}/inspections").status_code == 404
    assert client.get(f"/api/fleet/vessels/{theirs.id}/ratings").status_code == 404
    assert client.get(f"/api/fleet/vessels/{ours.id}/ratings").status_code == 200
    other_task = inspections.list_tasks(db, actor=OPERATOR, now=NOW, vessel_id=theirs.id)[0]
    response = client.post(
        f"/api/fleet/rectifications/{other_task.id}/close", json={"note": "x"}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 404
    response = client.post(
        f"/api/fleet/vessels/{theirs.id}/inspections",
        json={"items": answers(OperationType.TRAWL)},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 404


def test_checklist_endpoint(db: Session, make_user, client) -> None:  # type: ignore[no-untyped-def]
    make_user("fish_list", "ZS-HY", ["fishery_officer"])
    sign_in(client, "fish_list")
    body = client.get("/api/fleet/checklists/light_purse_seine").json()
    assert body["name"] == "2026.1:light_purse_seine"
    lights = next(i for i in body["items"] if i["code"] == "gear.lights")
    assert lights["category_label"] == "作业设备" and lights["critical"] is True
    assert client.get("/api/fleet/checklists/whaling").status_code == 422
