"""Cadre links (定人联船): links over time, cadres of a vessel and vessels of a cadre, the coverage report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan import stats
from pingan.errors import Conflict, NotFound, ValidationFailed
from pingan.fleet import cadres
from pingan.kit.crypto import FieldCipher
from tests.conftest import sign_in
from tests.fleet.conftest import GAOTING, OPERATOR, SJM, TAOHUA, YUGANG, add_cadre, add_vessel, fleet_actor

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def test_links_over_time_answer_cadres_of_and_vessels_of(db: Session, cipher: FieldCipher) -> None:
    a, b = add_vessel(db, "浙普渔11001", YUGANG), add_vessel(db, "浙普渔11002", SJM)
    li = add_cadre(db, "李海", YUGANG, vessels=[a, b], phone="13600001111")
    wang = add_cadre(db, "王平", SJM, vessels=[a])
    assert cipher.decrypt(li.phone_enc or b"") == "13600001111" and li.phone_bidx == cipher.blind_index("13600001111")
    assert [c.name for c, _ in cadres.cadres_of(db, a.id, actor=OPERATOR)] == ["李海", "王平"]
    assert [v.registration_no for v, _ in cadres.vessels_of(db, li.id, actor=OPERATOR)] == [
        "浙普渔11001",
        "浙普渔11002",
    ]
    with pytest.raises(Conflict):
        cadres.link_cadre(db, li.id, a.id, actor=OPERATOR, now=NOW)

    ended = cadres.unlink_cadre(db, wang.id, a.id, actor=OPERATOR, now=NOW)
    assert ended.until == NOW and [c.name for c, _ in cadres.cadres_of(db, a.id, actor=OPERATOR)] == ["李海"]
    with pytest.raises(NotFound):
        cadres.unlink_cadre(db, wang.id, a.id, actor=OPERATOR, now=NOW)
    with pytest.raises(ValidationFailed):  # a new link cannot start inside the old one
        cadres.link_cadre(db, wang.id, a.id, since=NOW - timedelta(days=1), actor=OPERATOR, now=NOW)
    again = cadres.link_cadre(db, wang.id, a.id, since=NOW, actor=OPERATOR, now=NOW + timedelta(hours=1))
    assert again.since == NOW and cadres.loads(db, [li.id, wang.id]) == {li.id: 2, wang.id: 1}


def test_cadres_and_their_links_follow_the_scope(db: Session) -> None:
    mine = add_vessel(db, "浙普渔12001", SJM)
    theirs = add_vessel(db, "浙普渔12002", TAOHUA)
    sjm = fleet_actor(db, SJM)
    cadre = add_cadre(db, "周洋", SJM, actor=sjm)
    with pytest.raises(NotFound):
        add_cadre(db, "孙强", TAOHUA, actor=sjm)
    with pytest.raises(NotFound):
        cadres.link_cadre(db, cadre.id, theirs.id, actor=sjm, now=NOW)
    taohua_cadre = add_cadre(db, "孙强", TAOHUA)
    with pytest.raises(NotFound):
        cadres.get_cadre(db, taohua_cadre.id, actor=sjm)
    cadres.link_cadre(db, cadre.id, mine.id, actor=sjm, now=NOW)
    assert [c.name for c in cadres.list_cadres(db, actor=sjm)] == ["周洋"]
    with pytest.raises(ValidationFailed):
        add_cadre(db, "赵六", SJM, phone="12345")


def test_coverage_lists_a_vessel_without_a_cadre_and_an_overloaded_cadre(db: Session) -> None:
    covered = [add_vessel(db, f"浙普渔130{n:02d}", SJM) for n in range(1, 5)]
    bare = add_vessel(db, "浙普渔13099", YUGANG)
    left = add_vessel(db, "浙普渔13098", SJM)
    elsewhere = add_vessel(db, "浙岱渔13097", GAOTING)  # outside 沈家门's scope, also without a cadre
    busy = add_cadre(db, "忙碌", SJM, vessels=covered[:3])
    add_cadre(db, "轻松", YUGANG, vessels=covered[3:])
    gone = add_cadre(db, "离任", SJM, vessels=[left])
    cadres.unlink_cadre(db, gone.id, left.id, actor=OPERATOR, now=NOW)
    add_cadre(db, "岱山干部", GAOTING, vessels=covered)  # heavy, but outside the scope

    report = cadres.coverage_report(db, actor=fleet_actor(db, SJM), limit=2)
    assert report.vessels_total == 6 and report.limit == 2
    assert report.without_cadre_count == 2
    assert [v.registration_no for v in report.without_cadre] == ["浙普渔13098", "浙普渔13099"]
    assert [(c.id, n) for c, n in report.overloaded] == [(busy.id, 3)]
    assert bare.id in {v.id for v in report.without_cadre}
    assert elsewhere.id not in {v.id for v in report.without_cadre}
    city = cadres.coverage_report(db, actor=OPERATOR, limit=2)
    assert {v.registration_no for v in city.without_cadre} >= {"浙普渔13098", "浙普渔13099", "浙岱渔13097"}
    assert [(c.name, n) for c, n in city.overloaded][:2] == [("岱山干部", 4), ("忙碌", 3)]
    assert cadres.coverage_report(db, actor=OPERATOR).limit == cadres.CADRE_MAX_VESSELS
    counts = stats.collect(db)
    assert counts["vessels_without_cadre"] >= 3 and counts["cadres"] >= 4 and counts["vessels"] >= 7


def test_cadres_over_http_masked_and_scoped(
    client: TestClient,
    db: Session,
    make_fleet_user,  # type: ignore[no-untyped-def]
) -> None:
    vessel = add_vessel(db, "浙普渔14001", YUGANG)
    bare = add_vessel(db, "浙普渔14002", SJM)
    taohua = add_cadre(db, "孙强", TAOHUA)
    db.commit()
    make_fleet_user("sjm_cadres", SJM)
    headers = {"X-CSRF-Token": sign_in(client, "sjm_cadres")}
    created = client.post(
        "/api/fleet/cadres",
        json={
            "name": "李海",
            "unit_code": YUGANG,
            "title": "村联船干部",
            "phone": "13600001111",
            "username": "sjm_cadres",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    cadre = created.json()
    assert cadre["phone"] == "136****1111" and cadre["user_id"] is not None and "13600001111" not in created.text
    linked = client.post(f"/api/fleet/cadres/{cadre['id']}/links", json={"vessel_id": vessel.id}, headers=headers)
    assert linked.status_code == 201, linked.text
    assert client.get(f"/api/fleet/vessels/{vessel.id}/cadres").json()[0]["name"] == "李海"
    assert client.get(f"/api/fleet/vessels/{vessel.id}").json()["cadres"][0]["phone"] == "136****1111"
    assert [v["registration_no"] for v in client.get(f"/api/fleet/cadres/{cadre['id']}/vessels").json()] == [
        "浙普渔14001"
    ]
    coverage = client.get("/api/fleet/cadres/coverage", params={"limit": 1}).json()
    assert bare.id in {v["id"] for v in coverage["vessels_without_cadre"]}
    assert vessel.id not in {v["id"] for v in coverage["vessels_without_cadre"]}
    assert coverage["cadre_limit"] == 1 and coverage["overloaded_cadres"] == []
    assert client.get(f"/api/fleet/cadres/{taohua.id}").status_code == 404
    assert taohua.id not in {c["id"] for c in client.get("/api/fleet/cadres").json()}
    unlinked = client.delete(f"/api/fleet/cadres/{cadre['id']}/links/{vessel.id}", headers=headers)
    assert unlinked.status_code == 200 and unlinked.json()["until"] is not None
    assert client.get(f"/api/fleet/cadres/{cadre['id']}").json()["vessel_count"] == 0
