"""Grid registry use cases: locate points, read grids within scope, import/export GeoJSON, check partitions."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.auth import repository as auth_repository
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.errors import NotFound, ValidationFailed
from pingan.grids.locate import InvalidCoordinates, PolygonIndex
from pingan.grids.models import (
    AdminArea,
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
    """A digest of the stored grids (counts, id sums, extents, areas), read in one statement."""
    parts = []
    for model in (LandGrid, SeaGrid):
        parts += [
            select(func.count(model.id)).scalar_subquery(),
            select(func.coalesce(func.sum(model.id), 0)).scalar_subquery(),
            select(func.coalesce(func.sum(model.min_lon + model.max_lat), 0.0)).scalar_subquery(),
            select(func.coalesce(func.sum(model.area_km2), 0.0)).scalar_subquery(),
        ]
    row = session.execute(select(*parts)).one()
    return hashlib.sha256(repr(tuple(row)).encode()).hexdigest()


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
