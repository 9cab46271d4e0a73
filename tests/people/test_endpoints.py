"""The people API: masked answers, the audited reveal, data scopes (404 outside), search, no-store."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditEntry
from pingan.kit.idcard import make_id_number
from tests.conftest import sign_in
from tests.people.conftest import Register, village_code

MASKED_ID = re.compile(r"^\d\*{15}[\dX]{2}$")
MASKED_PHONE = re.compile(r"^1\d{2}\*{4}\d{4}$")
MASKED_NAME = re.compile(r"^.\*+$")


def _township_leader(make_user, client: TestClient, name: str = "sjm_leader", unit: str = "330903001") -> str:  # type: ignore[no-untyped-def]
    make_user(name, unit, ["township_leader"])
    return sign_in(client, name)


def _assert_masked(body: dict[str, object]) -> None:
    assert MASKED_NAME.match(str(body["name"])), body
    assert MASKED_ID.match(str(body["id_number"])), body
    assert body["phone"] is None or MASKED_PHONE.match(str(body["phone"])), body


def test_answers_are_masked_and_never_carry_clear_values(
    client: TestClient,
    make_user,
    register: Register,  # type: ignore[no-untyped-def]
) -> None:
    _township_leader(make_user, client)
    wang = register.residents["wang"]
    one = client.get(f"/api/people/residents/{wang.id}")
    assert one.status_code == 200, one.text
    assert one.headers["cache-control"] == "no-store"
    body = one.json()
    _assert_masked(body)
    assert body["name"] == "王**"
    assert body["id_number"] == "3" + "*" * 15 + register.id_numbers["wang"][-2:]
    assert body["phone"] == "139****1234"
    assert body["birth_year"] == 1980 and "birth_date" not in body
    assert body["grid_code"] == register.grids["yugang"].code
    listing = client.get("/api/people/residents", params={"limit": 100})
    assert listing.status_code == 200 and listing.headers["cache-control"] == "no-store"
    for item in listing.json():
        _assert_masked(item)
    household = client.get(f"/api/people/households/{register.households['yugang'].id}")
    assert household.headers["cache-control"] == "no-store"
    assert [m["name"] for m in household.json()["members"]] == ["王**", "李**"]
    everything = one.text + listing.text + household.text
    for clear in [*register.id_numbers.values(), *register.phones.values(), "王小明", "李秀英"]:
        assert clear not in everything


def test_reveal_needs_the_permission_and_a_reason_and_is_audited_once(
    app,
    client: TestClient,
    make_user,
    register: Register,
    grid_worker,
    db: Session,  # type: ignore[no-untyped-def]
) -> None:
    from tests.conftest import new_client

    wang = register.residents["wang"]
    url = f"/api/people/residents/{wang.id}/reveal"
    with new_client(app) as worker:
        csrf = sign_in(worker, "gw_yugang")
        assert worker.get(f"/api/people/residents/{wang.id}").status_code == 200
        refused = worker.post(url, json={"reason": "核查户籍信息"}, headers={"X-CSRF-Token": csrf})
        assert refused.status_code == 403

    csrf = _township_leader(make_user, client)
    before = db.scalar(select(func.count(AuditEntry.id)))
    for reason in ("", "查", "aaaa", "    ", f"核对 {register.id_numbers['wang']}", "回拨 13905801234 核实"):
        weak = client.post(url, json={"reason": reason}, headers={"X-CSRF-Token": csrf})
        assert weak.status_code == 422, reason
    assert db.scalar(select(func.count(AuditEntry.id))) == before

    shown = client.post(url, json={"reason": "核查户籍信息（工单 2026-118）"}, headers={"X-CSRF-Token": csrf})
    assert shown.status_code == 200, shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert shown.json() == {
        "id": wang.id,
        "name": "王小明",
        "id_number": register.id_numbers["wang"],
        "phone": register.phones["wang"],
    }
    rows = list(db.scalars(select(AuditEntry).where(AuditEntry.id > before)))
    assert [(r.action, r.object_type, r.object_id) for r in rows] == [
        ("people.resident.reveal", "resident", str(wang.id))
    ]
    assert json.loads(rows[0].details) == {
        "reason": "核查户籍信息（工单 2026-118）",
        "fields": ["name", "id_number", "phone"],
    }
    trail = rows[0].details + rows[0].actor
    assert register.id_numbers["wang"] not in trail and register.phones["wang"] not in trail

    only_phone = client.post(url, json={"reason": "回访联系", "fields": ["phone"]}, headers={"X-CSRF-Token": csrf})
    assert only_phone.json() == {"id": wang.id, "name": None, "id_number": None, "phone": register.phones["wang"]}


def test_grid_worker_sees_the_own_grid_only(
    client: TestClient,
    register: Register,
    grid_worker,  # type: ignore[no-untyped-def]
) -> None:
    sign_in(client, "gw_yugang")
    assert client.get(f"/api/people/residents/{register.residents['wang'].id}").status_code == 200
    for other in ("chen", "zhao"):  # 东河社区 (same street) and 桃花村
        missing = client.get(f"/api/people/residents/{register.residents[other].id}")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"
    assert client.get(f"/api/people/households/{register.households['donghe'].id}").status_code == 404
    listed = {r["id"] for r in client.get("/api/people/residents").json()}
    assert listed == {register.residents["wang"].id, register.residents["wang_wife"].id}
    by_number = client.get("/api/people/residents", params={"id_number": register.id_numbers["chen"]}).json()
    assert by_number == []
    assert client.get("/api/people/residents", params={"grid_code": register.grids["donghe"].code}).status_code == 404
    assert client.get("/api/people/export").status_code == 403  # S19: a grid worker may not export


def test_township_leader_sees_the_own_township_only(
    client: TestClient,
    make_user,
    register: Register,  # type: ignore[no-untyped-def]
) -> None:
    _township_leader(make_user, client)
    listed = {r["id"] for r in client.get("/api/people/residents").json()}
    assert listed == {register.residents[k].id for k in ("wang", "wang_wife", "chen")}
    assert client.get(f"/api/people/residents/{register.residents['zhao'].id}").status_code == 404
    assert client.get(f"/api/people/households/{register.households['taohua'].id}").status_code == 404


def test_search_by_id_number_and_by_name(client: TestClient, make_user, register: Register) -> None:  # type: ignore[no-untyped-def]
    _township_leader(make_user, client)
    exact = client.get("/api/people/residents", params={"id_number": register.id_numbers["chen"]}).json()
    assert [r["id"] for r in exact] == [register.residents["chen"].id]
    unknown = make_id_number("330902", date(1975, 11, 30), 13)
    assert client.get("/api/people/residents", params={"id_number": unknown}).json() == []
    prefix = client.get("/api/people/residents", params={"name": "王"}).json()
    assert [r["id"] for r in prefix] == [register.residents["wang"].id]
    assert [r["name"] for r in prefix] == ["王**"]
    full = client.get("/api/people/residents", params={"name": "陈建国"}).json()
    assert [r["id"] for r in full] == [register.residents["chen"].id]
    in_grid = client.get("/api/people/residents", params={"grid_code": register.grids["yugang"].code}).json()
    assert len(in_grid) == 2
    assert client.get("/api/people/residents", params={"name": "%"}).json() == []


def test_register_building_household_and_resident_through_the_api(
    client: TestClient,
    make_user,
    register: Register,  # type: ignore[no-untyped-def]
) -> None:
    csrf = _township_leader(make_user, client)
    headers = {"X-CSRF-Token": csrf}
    grid = register.grids["donghe"]
    building = client.post(
        "/api/people/buildings",
        json={"grid_code": grid.code, "address": "东河路8号", "lon": 122.325, "lat": 29.955, "floors": 6},
        headers=headers,
    )
    assert building.status_code == 201, building.text
    assert building.json()["code"] == f"{grid.code}00001"
    listed = client.get("/api/people/buildings", params={"grid_code": grid.code}).json()
    assert [b["code"] for b in listed] == [f"{grid.code}00001"]
    household = client.post(
        "/api/people/households",
        json={"grid_code": grid.code, "address": "东河路8号302室", "building_id": building.json()["id"], "room": "302"},
        headers=headers,
    )
    assert household.status_code == 201, household.text
    number = make_id_number("330903", date(1968, 3, 9), 35)
    body = {"household_id": household.json()["id"], "name": "周海峰", "id_number": number, "relation": "head"}
    created = client.post(
        "/api/people/residents", json={**body, "phone": "13857001234", "tags": ["petitioner"]}, headers=headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["id_number"] == "3" + "*" * 15 + number[-2:] and created.json()["tags"] == ["petitioner"]
    again = client.post("/api/people/residents", json={**body, "relation": "other"}, headers=headers)
    assert again.status_code == 409
    outside = client.post(
        "/api/people/households", json={"grid_code": register.grids["taohua"].code, "address": "x"}, headers=headers
    )
    assert outside.status_code == 404


@pytest.mark.parametrize("path", ["/api/people/residents", "/api/people/tags", "/api/people/export"])
def test_anonymous_callers_are_refused(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 401


def test_tag_vocabulary_has_chinese_labels(client: TestClient, make_user, register: Register) -> None:  # type: ignore[no-untyped-def]
    _township_leader(make_user, client)
    labels = {t["code"]: t["label"] for t in client.get("/api/people/tags").json()}
    assert labels["community_correction"] == "社区矫正" and labels["left_behind_child"] == "留守儿童"
    assert len(labels) == 9
    assert village_code("桃花村")  # the fixture's villages exist
