"""Grid registry use cases: locate points, read grids within scope, import/export GeoJSON, check partitions."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.auth import repository as auth_repository
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.errors import NotFound, ValidationFailed
from pingan.grids.locate import InvalidCoordinates, PolygonIndex
from pingan.grids.models import (
    AdminArea,
    DedicatedType,
    GridKind,
    LandGrid,
    SeaGrid,
    SeaGridFamily,
)
from pingan.grids.partition import Violation, check_village
from pingan.org.models import OrgUnit, UnitKind

LAYERS = ("admin-areas", "land-grids", "sea-grids")
GRID_CODE_RE = re.compile(r"^\d{15}$")
_GEOD = Geod(ellps="WGS84")


def area_km2(geom: shapely.Geometry) -> float:
    """Geodesic area on the WGS 84 ellipsoid, km²."""
    return abs(_GEOD.geometry_area_perimeter(geom)[0]) / 1e6


def footprint(geom: shapely.Geometry) -> dict[str, Any]:
    """The stored columns of a geometry: WKB, bounding box and area."""
    x0, y0, x1, y1 = geom.bounds
    return {
        "geom_wkb": shapely.to_wkb(geom),
        "min_lon": x0,
        "min_lat": y0,
        "max_lon": x1,
        "max_lat": y1,
        "area_km2": area_km2(geom),
    }


def geometry_of(row: LandGrid | SeaGrid | AdminArea) -> shapely.Geometry:
    """The shapely geometry of a stored row."""
    return shapely.from_wkb(row.geom_wkb)


def grid_scope(actor: Principal) -> Any:
    """The data-scope condition for land grids (a grid is placed in itself and its village)."""
    return auth_repository.scope_filter(actor.visibility, unit_id_col=LandGrid.village_unit_id, grid_col=LandGrid.id)


# ---------------------------------------------------------------- location


@dataclass(frozen=True)
class Location:
    """Where a point lies: a land grid, or the three sea grids, or neither."""

    lon: float
    lat: float
    where: str  # "land", "sea", "land_outside_grids", "outside_area"
    land_grid: str | None = None
    village: str | None = None
    sea_static: str | None = None
    sea_control: str | None = None
    sea_patrol: str | None = None


@dataclass
class GridLocator:
    """In-memory indexes of the land grids and of each sea-grid family."""

    land_codes: list[str]
    land_villages: list[str]
    land: PolygonIndex
    sea_codes: dict[SeaGridFamily, list[str]]
    sea: dict[SeaGridFamily, PolygonIndex]
    area_bounds: tuple[float, float, float, float]
    fingerprint: str = ""

    def locate_many(self, lon: Sequence[float] | np.ndarray, lat: Sequence[float] | np.ndarray) -> list[Location]:
        """Locate many points at once (vectorised); raises :class:`ValidationFailed` for bad coordinates."""
        x = np.asarray(lon, dtype=np.float64)
        y = np.asarray(lat, dtype=np.float64)
        try:
            land = self.land.locate_many(x, y)
        except InvalidCoordinates as exc:
            raise ValidationFailed(str(exc), code="invalid_coordinates") from exc
        sea = {family: index.locate_many(x, y) for family, index in self.sea.items()}
        x0, y0, x1, y1 = self.area_bounds
        inside = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
        out = []
        for i in range(x.size):
            if land[i] >= 0:
                out.append(
                    Location(float(x[i]), float(y[i]), "land", self.land_codes[land[i]], self.land_villages[land[i]])
                )
                continue
            codes = {f: (self.sea_codes[f][sea[f][i]] if sea[f][i] >= 0 else None) for f in self.sea}
            if any(codes.values()):
                out.append(
                    Location(
                        float(x[i]),
                        float(y[i]),
                        "sea",
                        sea_static=codes.get(SeaGridFamily.STATIC),
                        sea_control=codes.get(SeaGridFamily.CONTROL),
                        sea_patrol=codes.get(SeaGridFamily.PATROL),
                    )
                )
            else:
                where = "land_outside_grids" if inside[i] else "outside_area"
                out.append(Location(float(x[i]), float(y[i]), where))
        return out

    def locate(self, lon: float, lat: float) -> Location:
        """Locate one point."""
        return self.locate_many([lon], [lat])[0]


_locator_lock = threading.Lock()
_locators: dict[str, GridLocator] = {}


def _fingerprint(session: Session) -> str:
    digest = hashlib.sha256()
    for model in (LandGrid, SeaGrid):
        stmt = select(
            func.count(model.id),
            func.coalesce(func.sum(model.id), 0),
            func.coalesce(func.sum(model.min_lon + model.max_lat), 0.0),
            func.coalesce(func.sum(model.area_km2), 0.0),
        )
        digest.update(repr(tuple(session.execute(stmt).one())).encode())
    return digest.hexdigest()


def locator(session: Session) -> GridLocator:
    """The locator for the stored registry, rebuilt only when the grids changed (checked by fingerprint)."""
    key = f"{session.get_bind().engine.url}:{_fingerprint(session)}"
    with _locator_lock:
        cached = _locators.get(key)
        if cached is not None:
            return cached
    rows = session.execute(
        select(LandGrid.code, OrgUnit.code, LandGrid.geom_wkb)
        .join(OrgUnit, OrgUnit.id == LandGrid.village_unit_id)
        .order_by(LandGrid.code)
    ).all()
    land_codes = [r[0] for r in rows]
    land_villages = [r[1] for r in rows]
    land_index = PolygonIndex(shapely.from_wkb([r[2] for r in rows]))
    sea_codes: dict[SeaGridFamily, list[str]] = {}
    sea_index: dict[SeaGridFamily, PolygonIndex] = {}
    all_sea = []
    for family in SeaGridFamily:
        sea_rows = session.execute(
            select(SeaGrid.code, SeaGrid.geom_wkb).where(SeaGrid.family == family).order_by(SeaGrid.code)
        ).all()
        geoms = shapely.from_wkb([r[1] for r in sea_rows]) if sea_rows else []
        all_sea.extend(geoms)
        sea_codes[family] = [r[0] for r in sea_rows]
        sea_index[family] = PolygonIndex(geoms, cells_per_polygon=65536)
    everything = [*land_index.geoms, *all_sea]
    bounds = tuple(float(v) for v in shapely.total_bounds(everything)) if everything else (0.0, 0.0, 0.0, 0.0)
    built = GridLocator(land_codes, land_villages, land_index, sea_codes, sea_index, bounds, key)  # type: ignore[arg-type]
    with _locator_lock:
        _locators.clear()  # one registry per process is the norm; keep memory bounded
        _locators[key] = built
    return built


# ---------------------------------------------------------------- reading


def get_grid(session: Session, code: str, *, actor: Principal) -> LandGrid:
    """A land grid inside the caller's scope, else :class:`NotFound`."""
    actor.require(Permission.GRID_READ)
    grid = session.scalars(select(LandGrid).where(LandGrid.code == code, grid_scope(actor))).first()
    if grid is None:
        raise NotFound(f"grid {code} not found")
    return grid


def search_grids(session: Session, query: str, *, actor: Principal, limit: int = 20) -> list[LandGrid]:
    """Grids whose code starts with ``query`` or whose name contains it, inside the caller's scope."""
    actor.require(Permission.GRID_READ)
    q = query.strip()
    if not q:
        return []
    condition = LandGrid.code.startswith(q, autoescape=True) | LandGrid.name.contains(q, autoescape=True)
    stmt = select(LandGrid).where(condition, grid_scope(actor)).order_by(LandGrid.code).limit(limit)
    return list(session.scalars(stmt))


def ancestors(session: Session, unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors from the root down (from its code path)."""
    codes = [c for c in unit.path.strip("/").split("/")[:-1]]
    if not codes:
        return []
    found = {u.code: u for u in session.scalars(select(OrgUnit).where(OrgUnit.code.in_(codes)))}
    return [found[c] for c in codes if c in found]


# ---------------------------------------------------------------- GeoJSON interchange


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
    for n, props, geom, problem in features:
        code = str(props.get("code", "")).strip()
        where = f"feature {n}" + (f" ({code})" if code else "")
        if problem:
            report.problems.append(f"{where}: {problem}")
            continue
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
    for n, props, geom, problem in features:
        code = str(props.get("code", "")).strip()
        where = f"feature {n}" + (f" ({code})" if code else "")
        if problem:
            report.problems.append(f"{where}: {problem}")
            continue
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
    for n, props, geom, problem in features:
        code = str(props.get("code", "")).strip()
        where = f"feature {n}" + (f" ({code})" if code else "")
        if problem:
            report.problems.append(f"{where}: {problem}")
            continue
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


# ---------------------------------------------------------------- partition check


def check_partitions(session: Session) -> tuple[int, list[Violation]]:
    """Check every village that has grids; return (villages checked, violations)."""
    outlines = {
        unit_id: shapely.from_wkb(wkb)
        for unit_id, wkb in session.execute(
            select(AdminArea.unit_id, AdminArea.geom_wkb)
            .join(OrgUnit, OrgUnit.id == AdminArea.unit_id)
            .where(OrgUnit.kind == UnitKind.COMMUNITY)
        )
    }
    codes = dict(session.execute(select(OrgUnit.id, OrgUnit.code).where(OrgUnit.kind == UnitKind.COMMUNITY)).all())
    grouped: dict[int, list[tuple[str, shapely.Geometry]]] = {}
    for village_id, code, wkb in session.execute(
        select(LandGrid.village_unit_id, LandGrid.code, LandGrid.geom_wkb).order_by(LandGrid.code)
    ):
        grouped.setdefault(village_id, []).append((code, shapely.from_wkb(wkb)))
    violations: list[Violation] = []
    for village_id in sorted(set(grouped) | set(outlines)):
        grids = grouped.get(village_id, [])
        if not grids:
            code = codes.get(village_id, str(village_id))
            violations.append(Violation(code, "empty", (), 0.0, f"village {code} has an outline but no grid"))
            continue
        violations.extend(check_village(codes.get(village_id, str(village_id)), outlines.get(village_id), grids))
    return len(set(grouped) | set(outlines)), violations


def counts(session: Session, models: Iterable[type]) -> dict[str, int]:
    """Row counts of the given models, by table name."""
    return {m.__tablename__: int(session.scalar(select(func.count()).select_from(m)) or 0) for m in models}  # type: ignore[attr-defined]


def feature_from_wkb(wkb: bytes, fid: str, properties: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON Feature from stored WKB."""
    return _feature(shapely.from_wkb(wkb), fid, properties)
