"""GeoJSON (RFC 7946) import and export of areas, land grids and sea grids: all features or none."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.errors import ValidationFailed
from pingan.grids.models import AdminArea, DedicatedType, GridKind, LandGrid, SeaGrid, SeaGridFamily
from pingan.grids.partition import check_village
from pingan.grids.service import footprint, geometry_of
from pingan.org.models import OrgUnit, UnitKind

LAYERS = ("admin-areas", "land-grids", "sea-grids")
GRID_CODE_RE = re.compile(r"^\d{15}$")


def _feature(geom: shapely.Geometry, fid: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "id": fid, "geometry": json.loads(shapely.to_geojson(geom)), "properties": properties}


def export_geojson(session: Session, layer: str, *, actor: Principal) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection of one layer (lon/lat WGS 84, no personal data)."""
    actor.require(Permission.GRID_READ)
    features = []
    if layer == "admin-areas":
        rows = session.execute(
            select(AdminArea, OrgUnit).join(OrgUnit, OrgUnit.id == AdminArea.unit_id).order_by(OrgUnit.path)
        )
        parents = dict(session.execute(select(OrgUnit.id, OrgUnit.code)).all())
        for area, unit in rows:
            props = {
                "code": unit.code,
                "name": unit.name,
                "name_en": unit.name_en,
                "level": str(unit.kind),
                "parent_code": parents.get(unit.parent_id) if unit.parent_id else None,
                "area_km2": round(area.area_km2, 4),
            }
            features.append(_feature(geometry_of(area), unit.code, props))
    elif layer == "land-grids":
        rows = session.execute(
            select(LandGrid, OrgUnit.code).join(OrgUnit, OrgUnit.id == LandGrid.village_unit_id).order_by(LandGrid.code)
        )
        for grid, village_code in rows:
            props = {
                "code": grid.code,
                "name": grid.name,
                "kind": str(grid.kind),
                "dedicated_type": str(grid.dedicated_type) if grid.dedicated_type else None,
                "village_code": village_code,
                "area_km2": round(grid.area_km2, 4),
            }
            features.append(_feature(geometry_of(grid), grid.code, props))
    elif layer == "sea-grids":
        for grid in session.scalars(select(SeaGrid).order_by(SeaGrid.code)):
            props = {
                "code": grid.code,
                "name": grid.name,
                "family": str(grid.family),
                "responsible_unit_code": grid.responsible_unit.code,
                "description": grid.description,
                "area_km2": round(grid.area_km2, 2),
            }
            features.append(_feature(geometry_of(grid), grid.code, props))
    else:
        raise ValidationFailed(f"unknown layer {layer!r}; choose one of {', '.join(LAYERS)}", code="bad_layer")
    return {"type": "FeatureCollection", "features": features}


@dataclass
class ImportReport:
    """What an import did, or why it did nothing."""

    layer: str
    created: int = 0
    updated: int = 0
    problems: list[str] = field(default_factory=list)


def _parse_features(data: Any) -> list[tuple[int, dict[str, Any], shapely.Geometry | None, str | None]]:
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise ValidationFailed("expected a GeoJSON FeatureCollection", code="bad_geojson")
    parsed = []
    for n, feature in enumerate(data["features"], start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            parsed.append((n, {}, None, "not a Feature"))
            continue
        props = feature.get("properties") or {}
        try:
            geom = shapely.from_geojson(json.dumps(feature.get("geometry")))
        except Exception as exc:  # shapely raises GEOSException for malformed geometry
            parsed.append((n, props, None, f"unreadable geometry ({exc.__class__.__name__})"))
            continue
        parsed.append((n, props, geom, None))
    return parsed


def _readable(
    features: list[tuple[int, dict[str, Any], shapely.Geometry | None, str | None]], report: ImportReport
) -> Iterator[tuple[str, str, dict[str, Any], shapely.Geometry | None]]:
    """(label for messages, code, properties, geometry) of each parsed feature; parse problems go to the report."""
    for n, props, geom, problem in features:
        code = str(props.get("code", "")).strip()
        where = f"feature {n}" + (f" ({code})" if code else "")
        if problem:
            report.problems.append(f"{where}: {problem}")
            continue
        yield where, code, props, geom


def _geometry_problem(geom: shapely.Geometry | None) -> str | None:
    if geom is None or geom.is_empty:
        return "geometry is empty"
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return f"geometry must be a Polygon or MultiPolygon, not {geom.geom_type}"
    if not geom.is_valid:
        return f"geometry is invalid: {shapely.is_valid_reason(geom)}"
    x0, y0, x1, y1 = geom.bounds
    if x0 < -180 or x1 > 180 or y0 < -90 or y1 > 90:
        return "coordinates must be longitude/latitude in degrees (RFC 7946)"
    return None


def import_geojson(session: Session, data: Any, layer: str, *, actor: Principal, now: datetime) -> ImportReport:
    """Validate every feature and the partition rule first; then store all of them, or raise and store nothing."""
    actor.require(Permission.GRID_WRITE)
    if layer not in LAYERS:
        raise ValidationFailed(f"unknown layer {layer!r}; choose one of {', '.join(LAYERS)}", code="bad_layer")
    features = _parse_features(data)
    report = ImportReport(layer)
    if layer == "land-grids":
        _import_land_grids(session, features, report, now=now)
    elif layer == "admin-areas":
        _import_areas(session, features, report, now=now)
    else:
        _import_sea_grids(session, features, report, now=now)
    if report.problems:
        raise ValidationFailed(
            f"import refused, nothing stored: {len(report.problems)} problem(s): " + "; ".join(report.problems[:20]),
            code="import_refused",
            problems=report.problems,
        )
    audit.record(
        session,
        actor=actor,
        action="grids.import",
        now=now,
        object_type="layer",
        object_id=layer,
        details={"created": report.created, "updated": report.updated},
    )
    return report


def _import_land_grids(
    session: Session,
    features: list[tuple[int, dict[str, Any], shapely.Geometry | None, str | None]],
    report: ImportReport,
    *,
    now: datetime,
) -> None:
    villages = {u.code: u for u in session.scalars(select(OrgUnit).where(OrgUnit.kind == UnitKind.COMMUNITY))}
    incoming: dict[str, tuple[dict[str, Any], shapely.Geometry, OrgUnit]] = {}
    for where, code, props, geom in _readable(features, report):
        if not GRID_CODE_RE.match(code):
            report.problems.append(f"{where}: code must be 15 digits (12-digit village code + 3-digit sequence)")
            continue
        village = villages.get(code[:12])
        if village is None:
            report.problems.append(f"{where}: village {code[:12]} is not a known community/village")
            continue
        if props.get("village_code") and props["village_code"] != code[:12]:
            report.problems.append(f"{where}: village_code {props['village_code']} differs from the code's prefix")
            continue
        try:
            kind = GridKind(props.get("kind", GridKind.BASIC))
            dedicated = DedicatedType(props["dedicated_type"]) if props.get("dedicated_type") else None
        except ValueError as exc:
            report.problems.append(f"{where}: {exc}")
            continue
        if (kind is GridKind.DEDICATED) != (dedicated is not None):
            report.problems.append(f"{where}: a dedicated grid needs dedicated_type, a basic grid must not have one")
            continue
        geom_problem = _geometry_problem(geom)
        if geom_problem:
            report.problems.append(f"{where}: {geom_problem}")
            continue
        if code in incoming:
            report.problems.append(f"{where}: code {code} appears twice in the file")
            continue
        assert geom is not None
        incoming[code] = (props, geom, village)
    if report.problems:
        return
    # The partition rule per affected village: incoming grids plus the stored ones they do not replace.
    outlines = {
        a.unit_id: shapely.from_wkb(a.geom_wkb)
        for a in session.scalars(
            select(AdminArea).where(AdminArea.unit_id.in_([v.id for _, _, v in incoming.values()]))
        )
    }
    existing = {g.code: g for g in session.scalars(select(LandGrid).where(LandGrid.code.in_(list(incoming))))}
    by_village: dict[str, list[tuple[str, shapely.Geometry]]] = {}
    for code, (_, geom, village) in incoming.items():
        by_village.setdefault(village.code, []).append((code, geom))
    for village_code, grids in by_village.items():
        village = villages[village_code]
        stored = session.execute(
            select(LandGrid.code, LandGrid.geom_wkb).where(
                LandGrid.village_unit_id == village.id, LandGrid.code.not_in([c for c, _ in grids])
            )
        ).all()
        everything = grids + [(c, shapely.from_wkb(w)) for c, w in stored]
        for v in check_village(village_code, outlines.get(village.id), everything):
            report.problems.append(v.message)
    if report.problems:
        return
    for code, (props, geom, village) in incoming.items():
        centroid = geom.representative_point() if not geom.centroid.within(geom) else geom.centroid
        values = {
            "name": str(props.get("name") or f"{village.name}{code[-3:]}网格")[:100],
            "kind": GridKind(props.get("kind", GridKind.BASIC)),
            "dedicated_type": DedicatedType(props["dedicated_type"]) if props.get("dedicated_type") else None,
            "village_unit_id": village.id,
            "centroid_lon": centroid.x,
            "centroid_lat": centroid.y,
            **footprint(geom),
        }
        grid = existing.get(code)
        if grid is None:
            session.add(LandGrid(code=code, created_at=now, **values))
            report.created += 1
        else:
            for key, value in values.items():
                setattr(grid, key, value)
            report.updated += 1
    session.flush()


def _import_areas(
    session: Session,
    features: list[tuple[int, dict[str, Any], shapely.Geometry | None, str | None]],
    report: ImportReport,
    *,
    now: datetime,
) -> None:
    units = {u.code: u for u in session.scalars(select(OrgUnit))}
    rows = []
    for where, code, _props, geom in _readable(features, report):
        unit = units.get(code)
        if unit is None or unit.kind not in (UnitKind.CITY, UnitKind.DISTRICT, UnitKind.TOWNSHIP, UnitKind.COMMUNITY):
            report.problems.append(f"{where}: {code or '(no code)'} is not a known administrative area unit")
            continue
        geom_problem = _geometry_problem(geom)
        if geom_problem:
            report.problems.append(f"{where}: {geom_problem}")
            continue
        rows.append((unit, geom))
    if report.problems:
        return
    stored = {
        a.unit_id: a for a in session.scalars(select(AdminArea).where(AdminArea.unit_id.in_([u.id for u, _ in rows])))
    }
    for unit, geom in rows:
        area = stored.get(unit.id)
        if area is None:
            session.add(AdminArea(unit_id=unit.id, updated_at=now, **footprint(geom)))
            report.created += 1
        else:
            for key, value in footprint(geom).items():
                setattr(area, key, value)
            area.updated_at = now
            report.updated += 1
    session.flush()


def _import_sea_grids(
    session: Session,
    features: list[tuple[int, dict[str, Any], shapely.Geometry | None, str | None]],
    report: ImportReport,
    *,
    now: datetime,
) -> None:
    units = {u.code: u for u in session.scalars(select(OrgUnit))}
    rows = []
    for where, code, props, geom in _readable(features, report):
        if not code or len(code) > 20:
            report.problems.append(f"{where}: code must be 1–20 characters")
            continue
        try:
            family = SeaGridFamily(props.get("family"))
        except ValueError:
            report.problems.append(f"{where}: family must be one of {', '.join(f.value for f in SeaGridFamily)}")
            continue
        unit = units.get(str(props.get("responsible_unit_code", "")))
        if unit is None:
            report.problems.append(f"{where}: responsible_unit_code {props.get('responsible_unit_code')!r} is unknown")
            continue
        geom_problem = _geometry_problem(geom)
        if geom_problem:
            report.problems.append(f"{where}: {geom_problem}")
            continue
        assert geom is not None
        rows.append((code, props, family, unit, geom))
    # Grids of one family must not overlap each other.
    for family in SeaGridFamily:
        same = [(c, g) for c, _, f, _, g in rows if f is family]
        stored = session.execute(
            select(SeaGrid.code, SeaGrid.geom_wkb).where(
                SeaGrid.family == family, SeaGrid.code.not_in([c for c, _ in same])
            )
        ).all()
        for v in check_village(f"sea:{family.value}", None, same + [(c, shapely.from_wkb(w)) for c, w in stored]):
            report.problems.append(v.message)
    if report.problems:
        return
    existing = {g.code: g for g in session.scalars(select(SeaGrid).where(SeaGrid.code.in_([r[0] for r in rows])))}
    for code, props, family, unit, geom in rows:
        values = {
            "name": str(props.get("name") or code)[:100],
            "family": family,
            "responsible_unit_id": unit.id,
            "description": str(props.get("description") or ""),
            **footprint(geom),
        }
        grid = existing.get(code)
        if grid is None:
            session.add(SeaGrid(code=code, created_at=now, **values))
            report.created += 1
        else:
            for key, value in values.items():
                setattr(grid, key, value)
            report.updated += 1
    session.flush()


def feature_from_wkb(wkb: bytes, fid: str, properties: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON Feature from stored WKB."""
    return _feature(shapely.from_wkb(wkb), fid, properties)
