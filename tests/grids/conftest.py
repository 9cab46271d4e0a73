"""A small registry for grid tests: two villages with outlines and grids, a sea with one grid per family."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.auth.principal import cli_principal
from pingan.grids import interchange
from pingan.org.models import OrgUnit
from tests.conftest import SEED_TIME

YUGANG = shapely.box(122.30, 29.94, 122.32, 29.96)  # 渔港社区, four grids 2×2
DONGHE = shapely.box(122.32, 29.94, 122.34, 29.96)  # 东河社区, two grids side by side
MAINLAND = shapely.box(122.21, 29.91, 122.22, 29.92)  # land that no grid covers
SEA_BOX = shapely.box(122.20, 29.90, 122.45, 30.00)


def quarter(box: shapely.Geometry) -> list[shapely.Geometry]:
    """A box cut in four: NW, NE, SW, SE (reading order)."""
    x0, y0, x1, y1 = box.bounds
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    return [
        shapely.box(x0, ym, xm, y1),
        shapely.box(xm, ym, x1, y1),
        shapely.box(x0, y0, xm, ym),
        shapely.box(xm, y0, x1, ym),
    ]


def collection(features: list[tuple[dict, shapely.Geometry]]) -> dict:
    import json

    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": json.loads(shapely.to_geojson(geom))}
            for props, geom in features
        ],
    }


@dataclass
class SmallRegistry:
    """Codes of what the fixture stored."""

    yugang_grids: list[str]
    donghe_grids: list[str]


@pytest.fixture
def small_registry(db: Session) -> SmallRegistry:
    actor = cli_principal("test")
    areas = collection(
        [
            ({"code": "330903001001"}, YUGANG),
            ({"code": "330903001002"}, DONGHE),
            ({"code": "330903001"}, YUGANG | DONGHE),
        ]
    )
    interchange.import_geojson(db, areas, "admin-areas", actor=actor, now=SEED_TIME)
    yugang = [f"330903001001{n:03d}" for n in range(1, 5)]
    donghe = ["330903001002001", "330903001002002"]
    x0, y0, x1, y1 = DONGHE.bounds
    halves = [shapely.box(x0, y0, (x0 + x1) / 2, y1), shapely.box((x0 + x1) / 2, y0, x1, y1)]
    grids = collection(
        [
            ({"code": c, "name": f"渔港第{i + 1}网格"}, g)
            for i, (c, g) in enumerate(zip(yugang, quarter(YUGANG), strict=True))
        ]
        + [({"code": c, "name": f"东河第{i + 1}网格"}, g) for i, (c, g) in enumerate(zip(donghe, halves, strict=True))]
    )
    interchange.import_geojson(db, grids, "land-grids", actor=actor, now=SEED_TIME)
    sea = SEA_BOX - YUGANG - DONGHE - MAINLAND
    seas = collection(
        [
            ({"code": "T-S01", "family": "static", "responsible_unit_code": "330903", "name": "静态1"}, sea),
            ({"code": "T-C01", "family": "control", "responsible_unit_code": "ZS-HY", "name": "管控1"}, sea),
            ({"code": "T-P1", "family": "patrol", "responsible_unit_code": "ZS-HYZF", "name": "巡查1"}, sea),
        ]
    )
    interchange.import_geojson(db, seas, "sea-grids", actor=actor, now=SEED_TIME)
    db.commit()
    assert db.scalars(select(OrgUnit).where(OrgUnit.code == "ZS-HYZF")).first() is not None
    return SmallRegistry(yugang, donghe)
