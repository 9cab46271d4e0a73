"""Grid registry service and API: import validation, export, partition check, location, cards, scope, teams."""

from __future__ import annotations

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.auth.principal import cli_principal
from pingan.errors import ValidationFailed
from pingan.grids import interchange, service
from pingan.grids.models import LandGrid, TeamMember
from tests.conftest import SEED_TIME, sign_in
from tests.grids.conftest import YUGANG, SmallRegistry, collection, quarter

# The inner corner of 渔港社区's four grids, computed exactly as the fixture cuts them.
XM, YM = (YUGANG.bounds[0] + YUGANG.bounds[2]) / 2, (YUGANG.bounds[1] + YUGANG.bounds[3]) / 2


def test_overlapping_import_is_refused_naming_the_grids_and_storing_nothing(
    db: Session, small_registry: SmallRegistry
) -> None:
    before = db.scalar(select(func.count(LandGrid.id)))
    nw, ne, _, _ = quarter(YUGANG)
    bad = collection(
        [
            ({"code": "330903001001001"}, nw),
            ({"code": "330903001001002"}, ne.buffer(0.002).intersection(YUGANG)),  # swells into its neighbours
            ({"code": "330903001002003"}, shapely.box(122.33, 29.95, 122.335, 29.955)),  # on top of 东河
        ]
    )
    with pytest.raises(ValidationFailed) as refused:
        interchange.import_geojson(db, bad, "land-grids", actor=cli_principal(), now=SEED_TIME)
    problems = refused.value.details["problems"]
    assert any("330903001001002" in p and "330903001001001" in p and "overlap" in p for p in problems), problems
    assert any("330903001001002" in p and "330903001001004" in p for p in problems), problems
    assert any("330903001002003" in p for p in problems), problems
    db.rollback()
    assert db.scalar(select(func.count(LandGrid.id))) == before
    stored = db.scalars(select(LandGrid).where(LandGrid.code == "330903001001002")).one()
    assert shapely.equals(shapely.from_wkb(stored.geom_wkb), ne)


@pytest.mark.parametrize(
    ("props", "geometry", "fragment"),
    [
        ({"code": "12345"}, shapely.box(0, 0, 1, 1), "15 digits"),
        ({"code": "999999999999001"}, shapely.box(0, 0, 1, 1), "not a known community"),
        ({"code": "330903001001009"}, shapely.Point(122.3, 29.95), "Polygon"),
        ({"code": "330903001001009"}, shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)]), "invalid"),
        ({"code": "330903001001009", "kind": "dedicated"}, shapely.box(0, 0, 1, 1), "dedicated_type"),
        ({"code": "330903001001009"}, shapely.box(500, 0, 501, 1), "longitude/latitude"),
    ],
)
def test_bad_features_are_reported(db: Session, props: dict, geometry: shapely.Geometry, fragment: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        interchange.import_geojson(
            db, collection([(props, geometry)]), "land-grids", actor=cli_principal(), now=SEED_TIME
        )
    assert fragment in refused.value.message


def test_gap_in_a_village_is_a_violation(db: Session, small_registry: SmallRegistry) -> None:
    nw = quarter(YUGANG)[0]
    shrunk = collection([({"code": small_registry.yugang_grids[0]}, nw.buffer(-0.001))])
    with pytest.raises(ValidationFailed, match="in no grid"):
        interchange.import_geojson(db, shrunk, "land-grids", actor=cli_principal(), now=SEED_TIME)


def test_check_partitions_is_clean_and_export_round_trips(db: Session, small_registry: SmallRegistry) -> None:
    checked, violations = service.check_partitions(db)
    assert checked == 2 and violations == []
    exported = interchange.export_geojson(db, "land-grids", actor=cli_principal())
    codes = [f["properties"]["code"] for f in exported["features"]]
    assert codes == small_registry.yugang_grids + small_registry.donghe_grids
    assert exported["features"][0]["geometry"]["type"] == "Polygon"
    report = interchange.import_geojson(db, exported, "land-grids", actor=cli_principal(), now=SEED_TIME)
    assert (report.created, report.updated) == (0, 6)


@pytest.mark.parametrize(
    ("lon", "lat", "where", "grid"),
    [
        (122.305, 29.955, "land", "330903001001001"),
        (XM, 29.955, "land", "330903001001002"),  # shared edge: the eastern grid
        (XM, YM, "land", "330903001001002"),  # corner of four: the north-eastern grid
        (XM, 29.945, "land", "330903001001004"),  # shared edge in the south row: the eastern grid
        (122.32, 29.945, "land", "330903001002001"),  # village boundary: the eastern village's grid
        (122.40, 29.95, "sea", None),
        (122.215, 29.915, "land_outside_grids", None),
        (121.0, 29.0, "outside_area", None),
    ],
)
def test_locate_through_the_api(
    client: TestClient, make_user, small_registry: SmallRegistry, lon: float, lat: float, where: str, grid: str | None
) -> None:  # type: ignore[no-untyped-def]
    make_user("locate_probe", "ZS-SZ", ["commander"])
    sign_in(client, "locate_probe")
    found = client.get("/api/grids/locate", params={"lon": lon, "lat": lat}).json()
    assert found["where"] == where
    assert found["land_grid"] == grid
    if where == "sea":
        assert (found["sea_static"], found["sea_control"], found["sea_patrol"]) == ("T-S01", "T-C01", "T-P1")


def test_invalid_coordinates_get_a_clear_422(client: TestClient, make_user, small_registry: SmallRegistry) -> None:  # type: ignore[no-untyped-def]
    make_user("locate_bad", "ZS-SZ", ["commander"])
    csrf = sign_in(client, "locate_bad")
    response = client.get("/api/grids/locate", params={"lon": 200, "lat": 30})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_coordinates"
    assert "longitude" in response.json()["error"]["message"]
    batch = client.post(
        "/api/grids/locate", json={"points": [[122.305, 29.955], [122.4, 29.95]]}, headers={"X-CSRF-Token": csrf}
    )
    assert [p["where"] for p in batch.json()] == ["land", "sea"]


def test_grid_card_scope_and_team(client: TestClient, make_user, db: Session, small_registry: SmallRegistry) -> None:  # type: ignore[no-untyped-def]
    make_user("card_leader", "330903001", ["township_leader"])
    make_user("card_other", "330903102", ["township_leader"])
    worker = make_user("card_worker", "330903001001", ["grid_worker"])
    grid = db.scalars(select(LandGrid).where(LandGrid.code == small_registry.yugang_grids[0])).one()
    db.add(
        TeamMember(
            grid_id=grid.id,
            name="吴静",
            role="grid_worker",
            duties="巡查",
            user_id=worker.id,
            sort_order=0,
            created_at=SEED_TIME,
        )
    )
    db.commit()

    csrf = sign_in(client, "card_leader")
    code = small_registry.yugang_grids[0]
    added = client.post(
        f"/api/grids/{code}/team",
        json={"name": "陈医生", "role": "doctor", "phone": "13957201234", "duties": "健康随访"},
        headers={"X-CSRF-Token": csrf},
    )
    assert added.status_code == 201, added.text
    assert added.json()["phone"] == "139****1234"
    card = client.get(f"/api/grids/{code}").json()
    assert [m["role_label"] for m in card["team"]] == ["网格员", "医生"]
    assert [a["code"] for a in card["areas"]][-2:] == ["330903001", "330903001001"]
    assert "13957201234" not in str(card)
    bad = client.post(
        f"/api/grids/{code}/team",
        json={"name": "x", "role": "doctor", "phone": "12345"},
        headers={"X-CSRF-Token": csrf},
    )
    assert bad.status_code == 422

    with TestClient(client.app, base_url="https://testserver") as other:
        sign_in(other, "card_other")
        assert other.get(f"/api/grids/{code}").status_code == 404
        assert other.get("/api/grids/search", params={"q": "330903001"}).json() == []
    with TestClient(client.app, base_url="https://testserver") as mine:
        sign_in(mine, "card_worker")
        assert mine.get(f"/api/grids/{code}").status_code == 200
        assert mine.get(f"/api/grids/{small_registry.yugang_grids[1]}").status_code == 404
        assert [g["code"] for g in mine.get("/api/grids/search", params={"q": "渔港"}).json()] == [code]


def test_map_layers_are_geojson(client: TestClient, make_user, small_registry: SmallRegistry) -> None:  # type: ignore[no-untyped-def]
    make_user("layer_probe", "ZS-SZ", ["commander"])
    sign_in(client, "layer_probe")
    grids = client.get("/api/grids/layers/land-grids", params={"area": "330903001"})
    assert grids.headers["content-type"].startswith("application/geo+json")
    assert len(grids.json()["features"]) == 6
    villages = client.get("/api/grids/layers/areas", params={"level": "community", "parent": "330903001"}).json()
    assert {f["properties"]["code"] for f in villages["features"]} == {"330903001001", "330903001002"}
    sea = client.get("/api/grids/layers/sea-grids", params={"family": "patrol"}).json()
    assert [f["properties"]["code"] for f in sea["features"]] == ["T-P1"]
