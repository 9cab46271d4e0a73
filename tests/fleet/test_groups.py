"""Production groups (编组生产): mobile grids, one group per vessel at a time, the leader, size and history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pingan.errors import Conflict, NotFound, ValidationFailed
from pingan.fleet import groups
from pingan.fleet.models import GroupMembership, Vessel, VesselGroup
from pingan.grids.models import MobileGrid
from pingan.org.models import OrgUnit
from tests.conftest import SEED_TIME, sign_in
from tests.fleet.conftest import OPERATOR, SJM, TAOHUA, YUGANG, add_vessel, fleet_actor

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _group(db: Session, code: str = "SJM-BZ-001", unit: str = SJM, **fields: object) -> VesselGroup:
    values: dict[str, object] = {"name": "沈家门拖网第1编组", "operation_type": "trawl", "home_unit_code": unit}
    values.update(fields)
    return groups.create_group(db, code=code, actor=OPERATOR, now=SEED_TIME, **values)  # type: ignore[arg-type]


def _vessels(db: Session, count: int, prefix: str = "浙普渔9", unit: str = SJM) -> list[Vessel]:
    return [add_vessel(db, f"{prefix}{n:04d}", unit) for n in range(1, count + 1)]


def test_a_group_is_a_mobile_grid_answered_for_by_its_township(db: Session) -> None:
    group = _group(db, dispersion_limit_m=3704.0, dispersion_limit_minutes=20)
    grid = db.get(MobileGrid, group.mobile_grid_id)
    sjm = db.scalars(select(OrgUnit).where(OrgUnit.code == SJM)).one()
    assert grid is not None and grid.code == group.code and grid.responsible_unit_id == sjm.id
    assert (group.dispersion_limit_m, group.dispersion_limit_minutes) == (3704.0, 20)
    # An existing mobile grid of the same code is linked, not duplicated.
    db.add(
        MobileGrid(code="SJM-BZ-002", name="旧编组", responsible_unit_id=sjm.id, is_active=False, created_at=SEED_TIME)
    )
    db.flush()
    linked = _group(db, "SJM-BZ-002", name="沈家门拖网第2编组")
    old = db.scalars(select(MobileGrid).where(MobileGrid.code == "SJM-BZ-002")).one()
    assert linked.mobile_grid_id == old.id and old.is_active and old.name == "沈家门拖网第2编组"
    with pytest.raises(Conflict):
        _group(db)
    with pytest.raises(ValidationFailed):
        _group(db, "SJM-BZ-003", unit=YUGANG)  # a village is not a township
    with pytest.raises(ValidationFailed):
        _group(db, "bad code!")
    with pytest.raises(NotFound):
        groups.create_group(
            db,
            code="TH-BZ-001",
            name="桃花编组",
            operation_type="trawl",
            home_unit_code=TAOHUA,
            actor=fleet_actor(db, SJM),
            now=NOW,
        )


def test_a_vessel_cannot_be_in_two_groups(db: Session) -> None:
    first, second = _group(db), _group(db, "SJM-BZ-009", name="第9编组")
    vessel = add_vessel(db, "浙普渔91001", SJM)
    groups.add_member(db, first.id, vessel.id, actor=OPERATOR, now=NOW)
    with pytest.raises(Conflict) as caught:
        groups.add_member(db, second.id, vessel.id, actor=OPERATOR, now=NOW)
    assert caught.value.code == "vessel_in_group" and "SJM-BZ-001" in caught.value.message
    with pytest.raises(Conflict):
        groups.add_member(db, first.id, vessel.id, actor=OPERATOR, now=NOW)
    # After leaving, the vessel may join another group.
    groups.remove_member(db, first.id, vessel.id, actor=OPERATOR, now=NOW + timedelta(hours=1))
    groups.add_member(db, second.id, vessel.id, actor=OPERATOR, now=NOW + timedelta(hours=2))
    assert [m.vessel.id for m in groups.list_members(db, second.id, actor=OPERATOR)] == [vessel.id]
    assert groups.list_members(db, first.id, actor=OPERATOR) == []


def test_the_open_membership_index_is_the_backstop(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = _group(db), _group(db, "SJM-BZ-009", name="第9编组")
    vessel = add_vessel(db, "浙普渔91101", SJM)
    groups.add_member(db, first.id, vessel.id, actor=OPERATOR, now=NOW)
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(GroupMembership(group_id=second.id, vessel_id=vessel.id, joined_at=NOW))
        db.flush()
    # A request that raced past the check meets the index and gets the same Conflict.
    monkeypatch.setattr(groups, "_open_membership", lambda session, vessel_id: None)
    with pytest.raises(Conflict) as caught:
        groups.add_member(db, second.id, vessel.id, actor=OPERATOR, now=NOW)
    assert caught.value.code == "vessel_in_group"
    monkeypatch.undo()
    assert [m.vessel.id for m in groups.list_members(db, first.id, actor=OPERATOR)] == [vessel.id]


def test_size_status_and_the_member_limit(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    group = _group(db)
    fleet = _vessels(db, 4)
    for vessel in fleet[:2]:
        groups.add_member(db, group.id, vessel.id, actor=OPERATOR, now=NOW)
    assert groups.group_status(group, groups.member_counts(db, [group.id])[group.id]) == "incomplete"
    groups.add_member(db, group.id, fleet[2].id, actor=OPERATOR, now=NOW)
    assert groups.group_status(group, groups.member_counts(db, [group.id])[group.id]) == "complete"
    monkeypatch.setattr(groups, "MAX_MEMBERS", 3)  # 20 in production; three vessels make the point faster
    with pytest.raises(Conflict) as full:
        groups.add_member(db, group.id, fleet[3].id, actor=OPERATOR, now=NOW)
    assert full.value.code == "group_full"


def test_the_leader_must_be_a_current_member(db: Session) -> None:
    group = _group(db)
    member, outsider = _vessels(db, 2)
    groups.add_member(db, group.id, member.id, actor=OPERATOR, now=NOW)
    with pytest.raises(ValidationFailed) as caught:
        groups.set_leader(db, group.id, outsider.id, actor=OPERATOR, now=NOW)
    assert caught.value.code == "leader_not_member"
    assert groups.set_leader(db, group.id, member.id, actor=OPERATOR, now=NOW).leader_vessel_id == member.id
    groups.remove_member(db, group.id, member.id, actor=OPERATOR, now=NOW)
    assert group.leader_vessel_id is None  # a leaving leader leaves the group leaderless
    with pytest.raises(ValidationFailed):
        groups.set_leader(db, group.id, member.id, actor=OPERATOR, now=NOW)


def test_history_keeps_joining_and_leaving_and_dissolving_releases_members(db: Session) -> None:
    group = _group(db)
    a, b = _vessels(db, 2)
    joined = NOW - timedelta(days=30)
    groups.add_member(db, group.id, a.id, joined_at=joined, actor=OPERATOR, now=NOW)
    groups.add_member(db, group.id, b.id, actor=OPERATOR, now=NOW)
    left = groups.remove_member(db, group.id, a.id, left_at=NOW - timedelta(days=1), actor=OPERATOR, now=NOW)
    assert (left.joined_at, left.left_at) == (joined, NOW - timedelta(days=1))
    with pytest.raises(ValidationFailed):
        groups.add_member(db, group.id, a.id, joined_at=NOW + timedelta(days=1), actor=OPERATOR, now=NOW)
    history = groups.group_history(db, group.id, actor=OPERATOR)
    assert [(m.vessel.id, m.membership.left_at is None) for m in history] == [(b.id, True), (a.id, False)]
    dissolved = groups.dissolve_group(db, group.id, actor=OPERATOR, now=NOW + timedelta(hours=1))
    assert groups.group_status(dissolved, 0) == "dissolved"
    assert all(m.membership.left_at is not None for m in groups.group_history(db, group.id, actor=OPERATOR))
    assert not db.get(MobileGrid, group.mobile_grid_id).is_active  # type: ignore[union-attr]
    assert [g.id for g in groups.list_groups(db, actor=OPERATOR)] == []
    with pytest.raises(Conflict):
        groups.add_member(db, group.id, a.id, actor=OPERATOR, now=NOW + timedelta(hours=2))


def test_groups_over_http_respect_the_township_scope(
    client: TestClient,
    db: Session,
    make_fleet_user,  # type: ignore[no-untyped-def]
) -> None:
    taohua_group = _group(db, "TH-BZ-001", unit=TAOHUA, name="桃花编组")
    taohua_vessel = add_vessel(db, "浙普渔92001", TAOHUA)
    mine = _vessels(db, 3, prefix="浙普渔8")
    db.commit()
    make_fleet_user("sjm_groups", SJM)
    headers = {"X-CSRF-Token": sign_in(client, "sjm_groups")}
    created = client.post(
        "/api/fleet/groups",
        json={"code": "SJM-BZ-100", "name": "沈家门围网编组", "operation_type": "purse_seine", "home_unit_code": SJM},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    gid = created.json()["id"]
    assert created.json()["status"] == "incomplete" and created.json()["member_count"] == 0
    for vessel in mine:
        joined = client.post(f"/api/fleet/groups/{gid}/members", json={"vessel_id": vessel.id}, headers=headers)
        assert joined.status_code == 201, joined.text
    again = client.post(f"/api/fleet/groups/{taohua_group.id}/members", json={"vessel_id": mine[0].id}, headers=headers)
    assert again.status_code == 404  # 桃花镇's group is outside the scope
    outsider = client.post(f"/api/fleet/groups/{gid}/members", json={"vessel_id": taohua_vessel.id}, headers=headers)
    assert outsider.status_code == 404
    bad_leader = client.put(f"/api/fleet/groups/{gid}/leader", json={"vessel_id": 10**9}, headers=headers)
    assert bad_leader.status_code == 404
    leader = client.put(f"/api/fleet/groups/{gid}/leader", json={"vessel_id": mine[1].id}, headers=headers)
    assert leader.status_code == 200 and leader.json()["leader_registration_no"] == mine[1].registration_no
    body = client.get(f"/api/fleet/groups/{gid}").json()
    assert (body["status"], body["member_count"]) == ("complete", 3)
    members = client.get(f"/api/fleet/groups/{gid}/members").json()
    assert [m["is_leader"] for m in members] == [False, True, False]
    detail = client.get(f"/api/fleet/vessels/{mine[1].id}").json()
    assert detail["group"]["code"] == "SJM-BZ-100" and detail["group"]["is_leader"] is True
    listed = client.get("/api/fleet/vessels", params={"group_code": "SJM-BZ-100"}).json()
    assert {v["id"] for v in listed} == {v.id for v in mine}
    assert {g["code"] for g in client.get("/api/fleet/groups").json()} == {"SJM-BZ-100"}
    assert client.get(f"/api/fleet/groups/{taohua_group.id}").status_code == 404
    left = client.delete(f"/api/fleet/groups/{gid}/members/{mine[0].id}", headers=headers)
    assert left.status_code == 200 and left.json()["left_at"] is not None
    assert client.get(f"/api/fleet/groups/{gid}").json()["status"] == "incomplete"
    assert len(client.get(f"/api/fleet/groups/{gid}/history").json()) == 3
