"""Restricted waters over HTTP (the map editor's calls): import GeoJSON, read it back, replace, retire — commanders
only, every bad input a 4xx that stores nothing, every change audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditEntry
from pingan.auth.models import User
from pingan.maritime.models import RestrictedArea
from tests.conftest import new_client, sign_in

SQUARE = [[[123.00, 30.00], [123.05, 30.00], [123.05, 30.05], [123.00, 30.05], [123.00, 30.00]]]


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def feature(code: str, **props: Any) -> dict[str, Any]:
    properties = {"code": code, "name": "禁航区", "kind": "restricted", "alert_on_enter": True, **props}
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": SQUARE}, "properties": properties}


def commander(app: Any, make_user: Callable[..., User]) -> tuple[Any, dict[str, str]]:
    make_user("areas_cmd", "ZS-SZ", ["commander"])
    client = new_client(app)
    return client, {"X-CSRF-Token": sign_in(client, "areas_cmd")}


def test_an_imported_area_is_read_back_replaced_and_retired(app: Any, make_user: Any, db: Session) -> None:
    client, csrf = commander(app, make_user)
    stored = client.post("/api/restricted-areas", json=collection(feature("NG-1", level="alarm")), headers=csrf)
    assert stored.status_code == 201, stored.text
    assert stored.json() == {"stored": 1}
    (read,) = client.get("/api/restricted-areas").json()["features"]
    assert read["properties"]["code"] == "NG-1" and read["properties"]["level"] == 3
    assert read["geometry"]["coordinates"][0][0] == [123.0, 30.0]

    replaced = client.post("/api/restricted-areas", json=collection(feature("NG-1", name="新禁航区")), headers=csrf)
    assert replaced.status_code == 201
    rows = db.scalars(select(RestrictedArea).where(RestrictedArea.code == "NG-1")).all()
    assert len(rows) == 1 and rows[0].name == "新禁航区" and rows[0].rules["level"] == 2  # warning by default
    assert (rows[0].min_lon, rows[0].max_lat) == (123.0, 30.05)

    retired = client.delete("/api/restricted-areas/NG-1", headers=csrf)
    assert retired.status_code == 200 and retired.json() == {"code": "NG-1", "is_active": False}
    assert client.get("/api/restricted-areas").json()["features"] == []
    assert client.delete("/api/restricted-areas/NG-1", headers=csrf).status_code == 404
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("restricted_area.%"))).all()
    assert sorted(actions) == ["restricted_area.import", "restricted_area.import", "restricted_area.retire"]


def test_bad_geojson_is_refused_with_the_reason_and_nothing_is_stored(app: Any, make_user: Any, db: Session) -> None:
    client, csrf = commander(app, make_user)
    cases = [
        ({"type": "Feature"}, "FeatureCollection"),
        (collection(feature("NG-2"), {"type": "Feature", "properties": {"code": "X"}}), "'name' is missing"),
        (collection({**feature("NG-7"), "geometry": {"type": "Point", "coordinates": [123, 30]}}), "Polygon"),
        (collection(feature("NG-3", applies_to=["submarines"])), "applies_to"),
        (collection(feature("NG-4", max_dwell_s=-5)), "max_dwell_s"),
        (collection(feature("NG-5"), feature("NG-5")), "NG-5"),
    ]
    for body, reason in cases:
        response = client.post("/api/restricted-areas", json=body, headers=csrf)
        assert response.status_code in (400, 422), response.text
        assert reason in response.text, response.text
    assert db.scalar(select(func.count(RestrictedArea.id))) == 0


def test_only_a_commander_may_change_restricted_waters(app: Any, make_user: Any, db: Session) -> None:
    make_user("areas_town", "330903001", ["township_leader"])
    client = new_client(app)
    csrf = {"X-CSRF-Token": sign_in(client, "areas_town")}
    assert client.get("/api/restricted-areas").status_code == 200
    refused = client.post("/api/restricted-areas", json=collection(feature("NG-6")), headers=csrf)
    assert refused.status_code == 403, refused.text
    assert db.scalar(select(func.count(RestrictedArea.id))) == 0
