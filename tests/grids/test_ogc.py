"""OGC API – Features (Part 1: Core) over the grid registry: documents, paging, exact bbox filter, errors, and GDAL."""

from __future__ import annotations

import doctest
import itertools
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session

from pingan import migrate
from pingan.auth.principal import cli_principal
from pingan.demo.seed import DEMO_UNITS
from pingan.grids import ogc
from pingan.grids.models import AdminArea, DedicatedType, GridKind, LandGrid, SeaGrid, SeaGridFamily
from pingan.org import service as org_service
from pingan.org.models import OrgUnit, UnitKind
from tests.conftest import free_port, new_database_url, wait_healthy

OGRINFO = "/usr/bin/ogrinfo"
NOW = datetime(2026, 11, 2, tzinfo=UTC)
BASE = "https://testserver/ogc"
MODELS = {"admin-areas": AdminArea, "land-grids": LandGrid, "sea-grids": SeaGrid}
# The query box of the bbox tests: it holds some grids whole, cuts others, and overlaps the bounding box of a
# triangle without touching the triangle itself.
BOX = (122.305, 29.915, 122.41, 29.965)
# Communities of the demo organisation (村社区), which land grids belong to; names by code.
VILLAGES = [code for code, _, _, kind, _ in DEMO_UNITS if kind is UnitKind.COMMUNITY]
UNIT_NAMES = {code: name for code, name, *_ in DEMO_UNITS}
UNIT_NAMES_EN = {code: name_en for code, _, name_en, *_ in DEMO_UNITS}


def _footprint(polygon: shapely.Polygon) -> dict[str, Any]:
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    return {
        "geom_wkb": shapely.to_wkb(polygon),
        "min_lon": min_lon,
        "min_lat": min_lat,
        "max_lon": max_lon,
        "max_lat": max_lat,
        "area_km2": round(polygon.area * 111.0 * 96.0, 3),  # near 30° N; exactness is not under test
    }


def _unit_id(session: Session, code: str) -> int:
    return int(session.scalars(select(OrgUnit.id).where(OrgUnit.code == code)).one())


def _land_grid(session: Session, village: str, sequence: int, polygon: shapely.Polygon, **extra: Any) -> LandGrid:
    centroid = polygon.centroid
    grid = LandGrid(
        code=f"{village}{sequence:03d}",
        name=f"测试网格{sequence}",
        kind=extra.pop("kind", GridKind.BASIC),
        dedicated_type=extra.pop("dedicated_type", None),
        village_unit_id=_unit_id(session, village),
        centroid_lon=centroid.x,
        centroid_lat=centroid.y,
        created_at=NOW,
        **_footprint(polygon),
    )
    session.add(grid)
    return grid


def _add_areas_and_sea_grids(session: Session) -> None:
    areas = {
        "330900": shapely.box(121.5, 29.5, 123.0, 31.0),
        "330903": shapely.box(122.0, 29.6, 122.6, 30.1),
        "330903001": shapely.box(122.25, 29.88, 122.45, 30.0),
        "330903001001": shapely.box(122.30, 29.94, 122.35, 29.99),
    }
    for code, polygon in areas.items():
        session.add(AdminArea(unit_id=_unit_id(session, code), updated_at=NOW, **_footprint(polygon)))
    fisheries = _unit_id(session, "ZS-HY")
    for i, family in enumerate(SeaGridFamily):
        polygon = shapely.box(122.6 + 0.1 * i, 29.7, 122.7 + 0.1 * i, 29.8)
        session.add(
            SeaGrid(
                code=f"HY-T-{i + 1:02d}",
                name=f"测试海域{i + 1}",
                family=family,
                responsible_unit_id=fisheries,
                description="沈家门渔港外侧",
                created_at=NOW,
                **_footprint(polygon),
            )
        )
    session.flush()


@dataclass
class Dataset:
    """Codes of the rows the test built, by role in the bbox tests."""

    squares: dict[tuple[int, int], str]  # (column, row) → code of a 0.01° square
    triangle: str
    far: str
    expected_in_box: set[str]


@pytest.fixture
def dataset(db: Session, make_grid: Callable[..., LandGrid]) -> Dataset:
    """Four admin areas, three sea grids and 14 land grids: a 4×3 block of squares, a triangle and a far grid."""
    _add_areas_and_sea_grids(db)
    squares = {}
    for row in range(3):
        for col in range(4):
            grid = make_grid("330903001001", row * 4 + col + 1, (122.30 + 0.01 * col, 29.95 + 0.01 * row))
            squares[(col, row)] = grid.code
    triangle = _land_grid(db, VILLAGES[1], 1, shapely.Polygon([(122.40, 29.90), (122.42, 29.90), (122.42, 29.92)]))
    far = _land_grid(
        db,
        VILLAGES[2],
        1,
        shapely.box(122.50, 29.80, 122.52, 29.82),
        kind=GridKind.DEDICATED,
        dedicated_type=DedicatedType.PORT,
    )
    db.flush()
    # Rows 0 and 1 reach into the box (column 0 and row 1 only in part); row 2 lies north of it.
    expected = {code for (_, row), code in squares.items() if row < 2}
    return Dataset(squares=squares, triangle=triangle.code, far=far.code, expected_in_box=expected)


def _all_codes(db: Session, collection: str) -> list[str]:
    model = MODELS[collection]
    if model is AdminArea:
        stmt = select(OrgUnit.code).join(AdminArea, AdminArea.unit_id == OrgUnit.id).order_by(OrgUnit.code)
    else:
        stmt = select(model.code).order_by(model.code)
    return list(db.scalars(stmt))


def _oracle(db: Session, box: tuple[float, float, float, float]) -> set[str]:
    """Brute force: every land grid in the database tested exactly against the box."""
    rows = db.execute(select(LandGrid.code, LandGrid.geom_wkb)).all()
    return {code for code, wkb in rows if shapely.intersects(shapely.from_wkb(wkb), shapely.box(*box))}


def _walk(client: TestClient, url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Follow next links from ``url``; return every feature and every page document."""
    features, pages = [], []
    next_url: str | None = url
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        features += page["features"]
        assert page["numberReturned"] == len(page["features"])
        next_url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
        assert len(pages) < 1000, "next links do not end"
    return features, pages


# ---------------------------------------------------------------- documents


def test_landing_page_links_conformance_collections_and_the_openapi_document(client: TestClient) -> None:
    response = client.get("/ogc")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] and body["description"]
    links = {link["rel"]: link for link in body["links"]}
    assert links["self"]["href"] == BASE
    assert links["conformance"]["href"] == BASE + "/conformance"
    assert links["data"]["href"] == BASE + "/collections"
    assert links["service-desc"]["href"] == "https://testserver/api/openapi.json"
    assert links["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    api = client.get(links["service-desc"]["href"]).json()
    items_params = {p["name"] for p in api["paths"]["/ogc/collections/{collectionId}/items"]["get"]["parameters"]}
    assert {"collectionId", "bbox", "limit", "offset"} <= items_params


def test_conformance_declares_core_geojson_and_oas30(client: TestClient) -> None:
    body = client.get("/ogc/conformance").json()
    assert body["conformsTo"] == [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    ]


def test_collections_list_three_collections_with_extents_computed_from_the_data(
    client: TestClient, db: Session, dataset: Dataset
) -> None:
    body = client.get("/ogc/collections").json()
    assert [c["id"] for c in body["collections"]] == ["admin-areas", "land-grids", "sea-grids"]
    for c in body["collections"]:
        model = MODELS[c["id"]]
        rows = db.execute(select(model.min_lon, model.min_lat, model.max_lon, model.max_lat)).all()
        expected = [min(r[0] for r in rows), min(r[1] for r in rows), max(r[2] for r in rows), max(r[3] for r in rows)]
        assert c["extent"]["spatial"]["bbox"] == [pytest.approx(expected)]
        assert c["extent"]["spatial"]["crs"] == ogc.CRS84
        assert c["crs"] == [ogc.CRS84]
        assert c["itemType"] == "feature"
        assert re.search(r"[\u4e00-\u9fff]", c["title"]) and re.search(r"[A-Za-z]", c["title"])
        links = {link["rel"]: link for link in c["links"]}
        assert links["self"]["href"] == f"{BASE}/collections/{c['id']}"
        assert links["items"] == {**links["items"], "href": f"{BASE}/collections/{c['id']}/items"}
        assert links["items"]["type"] == "application/geo+json"
        assert client.get(links["self"]["href"]).json() == c


def test_an_unknown_collection_or_feature_answers_404_in_json(client: TestClient, dataset: Dataset) -> None:
    for url in (
        "/ogc/collections/residents",
        "/ogc/collections/residents/items",
        "/ogc/collections/residents/items/1",
        "/ogc/collections/land-grids/items/999999999999999",
        f"/ogc/collections/sea-grids/items/{dataset.far}",  # a land grid's code is no sea grid
    ):
        response = client.get(url, headers={"Accept": "text/html"})
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] in {"collection_not_found", "feature_not_found"}


# ---------------------------------------------------------------- items


def test_items_are_geojson_ordered_by_code_with_counts_and_a_utc_timestamp(
    client: TestClient, db: Session, dataset: Dataset
) -> None:
    response = client.get("/ogc/collections/land-grids/items")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    codes = _all_codes(db, "land-grids")
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == len(codes)
    assert body["numberReturned"] == len(body["features"]) == min(10, len(codes))
    assert [f["id"] for f in body["features"]] == codes[:10]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["timeStamp"])
    rels = [link["rel"] for link in body["links"]]
    assert "self" in rels and "next" in rels and "prev" not in rels


def test_each_collection_carries_its_documented_properties(client: TestClient, dataset: Dataset) -> None:
    community = client.get("/ogc/collections/admin-areas/items/330903001001").json()
    assert community["properties"] == {
        "code": "330903001001",
        "name": UNIT_NAMES["330903001001"],
        "name_en": UNIT_NAMES_EN["330903001001"],
        "level": "community",
        "parent_code": "330903001",
        "area_km2": pytest.approx(community["properties"]["area_km2"]),
    }
    city = client.get("/ogc/collections/admin-areas/items/330900").json()
    assert city["properties"]["parent_code"] is None and city["properties"]["level"] == "city"

    port = client.get(f"/ogc/collections/land-grids/items/{dataset.far}").json()
    assert port["properties"] == {
        "code": dataset.far,
        "name": "测试网格1",
        "kind": "dedicated",
        "dedicated_type": "port",
        "village_code": VILLAGES[2],
        "village_name": UNIT_NAMES[VILLAGES[2]],
        "area_km2": pytest.approx(port["properties"]["area_km2"]),
    }
    sea = client.get("/ogc/collections/sea-grids/items/HY-T-02").json()
    assert sea["properties"]["family"] == "control"
    assert sea["properties"]["responsible_unit_code"] == "ZS-HY"
    assert sea["properties"]["responsible_unit_name"] == "舟山市海洋与渔业局"
    assert sea["properties"]["description"] == "沈家门渔港外侧"
    assert set(sea["properties"]) == {
        "code",
        "name",
        "family",
        "responsible_unit_code",
        "responsible_unit_name",
        "area_km2",
        "description",
    }


def test_a_single_feature_has_its_geometry_and_self_and_collection_links(client: TestClient, dataset: Dataset) -> None:
    response = client.get(f"/ogc/collections/land-grids/items/{dataset.triangle}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    feature = response.json()
    assert feature["type"] == "Feature" and feature["id"] == dataset.triangle
    assert feature["geometry"]["type"] == "Polygon"
    assert shapely.geometry.shape(feature["geometry"]).equals(
        shapely.Polygon([(122.40, 29.90), (122.42, 29.90), (122.42, 29.92)])
    )
    links = {link["rel"]: link["href"] for link in feature["links"]}
    assert links == {
        "self": f"{BASE}/collections/land-grids/items/{dataset.triangle}",
        "collection": f"{BASE}/collections/land-grids",
    }


@pytest.mark.parametrize("collection", ["admin-areas", "land-grids", "sea-grids"])
def test_following_next_links_returns_every_feature_once_in_code_order(
    client: TestClient, db: Session, dataset: Dataset, collection: str
) -> None:
    features, pages = _walk(client, f"/ogc/collections/{collection}/items?limit=3")
    codes = _all_codes(db, collection)
    assert [f["id"] for f in features] == codes
    assert all(page["numberMatched"] == len(codes) for page in pages)
    assert len(pages) == max(1, -(-len(codes) // 3))
    # Every page after the first points back to the one before it.
    for before, after in itertools.pairwise(pages):
        prev = next(link["href"] for link in after["links"] if link["rel"] == "prev")
        assert [f["id"] for f in client.get(prev).json()["features"]] == [f["id"] for f in before["features"]]


def test_bbox_keeps_exactly_the_features_whose_geometry_intersects_the_box(
    client: TestClient, db: Session, dataset: Dataset
) -> None:
    bbox = ",".join(str(v) for v in BOX)
    features, pages = _walk(client, f"/ogc/collections/land-grids/items?bbox={bbox}&limit=2")
    found = [f["id"] for f in features]
    assert set(found) == _oracle(db, BOX)
    assert dataset.expected_in_box <= set(found)
    assert dataset.triangle not in found  # its bounding box overlaps the box; the triangle does not
    assert dataset.far not in found
    assert not {code for (_, row), code in dataset.squares.items() if row == 2} & set(found)
    assert found == sorted(found, key=_all_codes(db, "land-grids").index)
    assert {page["numberMatched"] for page in pages} == {len(found)}
    for page in pages:
        for link in page["links"]:
            if link["rel"] in {"next", "prev"}:
                assert f"bbox={bbox}" in link["href"] and "limit=2" in link["href"]


def test_a_box_that_only_touches_a_grid_edge_includes_it(client: TestClient, dataset: Dataset) -> None:
    # The square (1, 0) spans 122.31–122.32 × 29.95–29.96; this degenerate box is its eastern edge.
    body = client.get("/ogc/collections/land-grids/items?bbox=122.32,29.952,122.32,29.953").json()
    assert {dataset.squares[(1, 0)], dataset.squares[(2, 0)]} <= {f["id"] for f in body["features"]}


@pytest.mark.parametrize("offset", [500, 10**20])
@pytest.mark.parametrize("bbox", ["", "&bbox=-180,-90,180,90"])
def test_offset_past_the_end_returns_no_features_and_no_next_link(
    client: TestClient, dataset: Dataset, offset: int, bbox: str
) -> None:
    response = client.get(f"/ogc/collections/sea-grids/items?offset={offset}&limit=5{bbox}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["features"] == [] and body["numberReturned"] == 0
    rels = {link["rel"] for link in body["links"]}
    assert "next" not in rels and "prev" in rels


def test_parse_bbox_examples_hold() -> None:
    assert doctest.testmod(ogc).failed == 0


def test_limit_over_the_maximum_is_clamped_to_10000(client: TestClient, dataset: Dataset) -> None:
    body = client.get("/ogc/collections/land-grids/items?limit=50000&f=json").json()
    assert body["numberReturned"] == body["numberMatched"]
    body = client.get("/ogc/collections/land-grids/items?limit=50000&offset=0").json()
    assert body["numberReturned"] == body["numberMatched"]
    clamped = client.get("/ogc/collections/land-grids/items?limit=50000&offset=1").json()
    prev = next(link["href"] for link in clamped["links"] if link["rel"] == "prev")
    assert "limit=10000" in prev


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("bbox=122,29,123", "four numbers"),
        ("bbox=122,29,123,30,1", "four numbers"),
        ("bbox=a,b,c,d", "four numbers"),
        ("bbox=122,29,nan,30", "finite"),
        ("bbox=123,29,122,30", "minimum exceeds maximum"),
        ("bbox=122,30,123,29", "minimum exceeds maximum"),
        ("bbox=-200,29,123,30", "outside longitude"),
        ("bbox=122,29,123,95", "outside longitude"),
        ("limit=0", "limit must be at least 1"),
        ("limit=-3", "limit must be at least 1"),
        ("limit=ten", "limit must be an integer"),
        ("offset=-1", "offset must be at least 0"),
        ("limit=5&limit=6", "limit given 2 times"),
        ("f=html", "f='html' is not offered"),
        ("colour=red", "unknown query parameter(s): colour"),
    ],
)
def test_malformed_item_parameters_answer_400_with_a_clear_message(
    client: TestClient, query: str, fragment: str
) -> None:
    response = client.get(f"/ogc/collections/land-grids/items?{query}")
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter"
    assert fragment in error["message"]


@pytest.mark.parametrize("path", ["/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/land-grids"])
def test_documents_accept_f_json_and_refuse_other_formats(client: TestClient, path: str) -> None:
    assert client.get(path + "?f=json").status_code == 200
    response = client.get(path + "?f=html")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_parameter"


def test_the_endpoint_is_public_and_carries_no_personal_data(client: TestClient, dataset: Dataset) -> None:
    id_number = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
    mobile = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
    personal_names = re.compile(r"phone|mobile|tel|id_?(number|card|no)|identity|sfz|resident|person|email|user")
    seen = 0
    for collection in MODELS:
        response = client.get(f"/ogc/collections/{collection}/items?limit=10000")  # no cookie, no token
        assert response.status_code == 200
        for feature in response.json()["features"]:
            seen += 1
            for name, value in feature["properties"].items():
                assert not personal_names.search(name), name
                text = str(value)
                assert not id_number.search(text) and not mobile.search(text), (name, text)
    assert seen >= 21


def test_a_page_of_2360_land_grids_decodes_only_the_page_geometries(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    villages = VILLAGES[:3]
    rows = []
    for n in range(2360):
        village, sequence = villages[n // 999], n % 999 + 1
        lon, lat = 122.0 + 0.005 * (n % 60), 29.7 + 0.005 * (n // 60)
        polygon = shapely.box(lon, lat, lon + 0.004, lat + 0.004)
        rows.append(
            {
                "code": f"{village}{sequence:03d}",
                "name": f"网格{n}",
                "kind": GridKind.BASIC,
                "village_unit_id": _unit_id(db, village),
                "centroid_lon": lon + 0.002,
                "centroid_lat": lat + 0.002,
                "created_at": NOW,
                **_footprint(polygon),
            }
        )
    db.execute(insert(LandGrid), rows)
    total = len(_all_codes(db, "land-grids"))
    decoded: list[int] = []
    real_from_wkb = shapely.from_wkb

    def counting_from_wkb(data: Any, *args: Any, **kwargs: Any) -> Any:
        decoded.append(len(data) if isinstance(data, list) else 1)
        return real_from_wkb(data, *args, **kwargs)

    monkeypatch.setattr(shapely, "from_wkb", counting_from_wkb)
    for query in ("limit=10&offset=2000", "limit=10&offset=2000&bbox=121,29,123,31"):
        decoded.clear()
        started = time.perf_counter()
        body = client.get(f"/ogc/collections/land-grids/items?{query}").json()
        elapsed_s = time.perf_counter() - started
        assert body["numberMatched"] == total and body["numberReturned"] == 10
        assert sum(decoded) == 10, query  # grids wholly inside the box need no exact test
        assert elapsed_s < 3.0, (query, elapsed_s)


# ---------------------------------------------------------------- GDAL as a real client

N_LAND_GRIDS = 23  # more than two of GDAL's default pages of 10


@pytest.fixture(scope="module")
def ogc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``pingan serve`` on a committed SQLite database holding the demo units and 23 land grids; yields its URL."""
    if not Path(OGRINFO).exists():
        pytest.fail(f"{OGRINFO} is missing: install Debian's gdal-bin (scripts/test.sh does)")
    directory = tmp_path_factory.mktemp("ogc")
    url, _ = new_database_url("sqlite", directory)
    migrate.upgrade(url)
    engine = create_engine(url)
    actor = cli_principal("test-ogc")
    with Session(engine) as s, s.begin():
        for code, name, name_en, kind, parent in DEMO_UNITS:
            org_service.create_unit(
                s, code=code, name=name, name_en=name_en, kind=kind, parent_code=parent, actor=actor, now=NOW
            )
        _add_areas_and_sea_grids(s)
        for n in range(N_LAND_GRIDS):
            lon, lat = 122.30 + 0.01 * (n % 5), 29.95 + 0.01 * (n // 5)
            _land_grid(s, "330903001001", n + 1, shapely.box(lon, lat, lon + 0.01, lat + 0.01))
    engine.dispose()
    port = free_port()
    env = {
        **os.environ,
        "PINGAN_DATABASE_URL": url,
        "PINGAN_DATA_DIR": str(directory),
        "PINGAN_ENV": "development",
    }
    exe = Path(sys.executable).with_name("pingan")
    log = (directory / "serve.log").open("wb")
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        yield base + "/ogc"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _ogrinfo(*args: str) -> str:
    env = {**os.environ, "GDAL_HTTP_TIMEOUT": "10", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    result = subprocess.run([OGRINFO, *args], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR" not in result.stderr, result.stderr
    return result.stdout


def test_ogrinfo_lists_the_three_collections_as_layers(ogc_server: str) -> None:
    out = _ogrinfo("-ro", "-so", f"OAPIF:{ogc_server}")
    layers = re.findall(r"^\d+: ([\w-]+)", out, flags=re.MULTILINE)
    assert layers == ["admin-areas", "land-grids", "sea-grids"], out


def test_ogrinfo_reports_the_land_grid_count_and_fields(ogc_server: str) -> None:
    out = _ogrinfo("-ro", "-so", f"OAPIF:{ogc_server}", "land-grids")
    assert f"Feature Count: {N_LAND_GRIDS}" in out, out
    assert "Geometry: Polygon" in out, out
    for field in ("village_code", "village_name", "kind", "area_km2"):
        assert re.search(rf"^{field}: ", out, flags=re.MULTILINE), (field, out)


def test_ogrinfo_reads_every_land_grid_across_pages(ogc_server: str) -> None:
    out = _ogrinfo("-ro", "-al", "-q", f"OAPIF:{ogc_server}", "land-grids")
    codes = re.findall(r"^\s+code \(String\) = (\d+)$", out, flags=re.MULTILINE)
    assert sorted(codes) == [f"330903001001{n + 1:03d}" for n in range(N_LAND_GRIDS)]


def test_ogrinfo_spatial_filter_is_answered_by_the_bbox_parameter(ogc_server: str) -> None:
    # The first row of five squares spans 122.30–122.35 × 29.95–29.96; this box straddles the edge between
    # squares 2 and 3 and touches no other.
    spat = ("-spat", "122.315", "29.952", "122.325", "29.958")
    out = _ogrinfo("-ro", "-al", "-q", *spat, f"OAPIF:{ogc_server}", "land-grids")
    codes = re.findall(r"^\s+code \(String\) = (\d+)$", out, flags=re.MULTILINE)
    assert sorted(codes) == ["330903001001002", "330903001001003"], out
