"""Geography of the fleet simulator: units, ports and areas, the GLOBE land mask and sea routing.

The GLOBE 1 km land mask (1/120°) of lon 121.70–123.60, lat 29.30–31.00 is the routing grid. Vessels follow
shortest paths over its connected sea cells (Dijkstra, cells next to land cost more), string-pulled only where a
250 m corridor either side stays at sea, and each vessel keeps a lateral offset to starboard. Ports sit on the
coast: the leg between a berth and the first sea cell may cross a land cell of the 1 km mask.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage  # type: ignore[import-untyped]
from scipy.sparse import csr_matrix  # type: ignore[import-untyped]
from scipy.sparse.csgraph import dijkstra  # type: ignore[import-untyped]
from scipy.spatial import cKDTree  # type: ignore[import-untyped]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
BOOL = NDArray[np.bool_]

M_PER_DEG = 111_320.0
KN_MS = 1852.0 / 3600.0  # metres per second in one knot
NM_M = 1852.0
SEA_LON0, SEA_LAT0, SEA_RES, SEA_NX, SEA_NY = 121.70, 29.30, 120, 228, 204  # GLOBE cells of lon 121.70–123.60
OUTER_LON0, OUTER_LAT0, OUTER_NX, OUTER_NY = 121.40, 29.00, 360, 288  # lon 121.40–124.40, lat 29.00–31.40
DY_KM = M_PER_DEG / SEA_RES / 1000.0
DX_KM = DY_KM * math.cos(math.radians(30.15))
CORRIDOR_M = 250.0


# The lowest layer of the engine that refuses: a sea route that cannot be found, or a polygon that is no GeoJSON,
# is already a scenario that cannot start.
class ScenarioError(ValueError):
    """A scenario that cannot start: unknown name, bad parameter, or no vessel fits."""


@dataclass(frozen=True, slots=True)
class SimPort:
    """A port or anchorage box (lon/lat degrees)."""

    code: str
    name: str
    kind: str
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @property
    def centre(self) -> tuple[float, float]:
        """The middle of the box (lon, lat)."""
        return (self.min_lon + self.max_lon) / 2, (self.min_lat + self.max_lat) / 2


@dataclass(frozen=True, slots=True)
class SimArea:
    """A sea grid or any named area: polygons of rings of (lon, lat), holes included (even-odd rule)."""

    code: str
    name: str
    family: str
    polygons: list[list[list[tuple[float, float]]]]


# --------------------------------------------------------------------------------------------------- geometry


def _wrap180(deg: F64) -> F64:
    return np.asarray((deg + 180.0) % 360.0 - 180.0, dtype=np.float64)


def _bearing(de: F64, dn: F64) -> F64:
    return np.asarray(np.degrees(np.arctan2(de, dn)) % 360.0, dtype=np.float64)


def _mlon(lat: F64 | float) -> F64:
    """Metres per degree of longitude at ``lat``."""
    return np.asarray(M_PER_DEG * np.cos(np.radians(lat)), dtype=np.float64)


def points_in_area(lon: F64, lat: F64, area: SimArea) -> BOOL:
    """Which points lie inside an area (even-odd over every ring of every polygon).

    >>> square = SimArea("X", "x", "control", [[[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]]])
    >>> points_in_area(np.array([0.5, 1.5]), np.array([0.5, 0.5]), square).tolist()
    [True, False]
    """
    inside = np.zeros(len(lon), dtype=bool)
    for polygon in area.polygons:
        for ring in polygon:
            xy = np.asarray(ring, dtype=np.float64)
            x0, y0 = xy[:-1, 0], xy[:-1, 1]
            x1, y1 = xy[1:, 0], xy[1:, 1]
            for a, b, c, d in zip(x0, y0, x1, y1, strict=True):
                crosses = (b > lat) != (d > lat)
                with np.errstate(divide="ignore", invalid="ignore"):
                    x_at = a + (lat - b) * (c - a) / (d - b)
                inside ^= crosses & (lon < x_at)
    return inside


def area_from_geojson(value: Any, code: str = "custom") -> SimArea:
    """An area from GeoJSON: a Polygon/MultiPolygon geometry dict or bare coordinates (rings of [lon, lat])."""
    coords: Any = value.get("coordinates") if isinstance(value, dict) else value
    try:
        depth, probe = 0, coords
        while isinstance(probe, list | tuple) and probe:
            depth += 1
            probe = probe[0]
        if depth == 2:  # one ring
            coords = [coords]
            depth = 3
        if depth not in (3, 4):
            raise ScenarioError("polygon: expected GeoJSON Polygon or MultiPolygon coordinates")
        polygons: list[Any] = [coords] if depth == 3 else list(coords)
        out = []
        for polygon in polygons:
            rings = []
            for ring in polygon:
                pts = [(float(p[0]), float(p[1])) for p in ring]
                if len(pts) < 3:
                    raise ScenarioError("polygon: a ring needs at least 3 points")
                if pts[0] != pts[-1]:
                    pts.append(pts[0])
                rings.append(pts)
            out.append(rings)
    except (TypeError, IndexError, ValueError) as exc:
        raise ScenarioError(f"polygon: not GeoJSON coordinates ({exc})") from exc
    return SimArea(code, code, "custom", out)


# ---------------------------------------------------------------------------------------------------- sea routing


class SeaGrid:
    """The routing grid: connected sea cells of the GLOBE 1 km mask, distance to land, shortest-path trees."""

    def __init__(self) -> None:
        self.lon = SEA_LON0 + (np.arange(SEA_NX) + 0.5) / SEA_RES
        self.lat = SEA_LAT0 + (np.arange(SEA_NY) + 0.5) / SEA_RES
        # A wider box answers for points just outside the routing grid (entries at its edges).
        self._outer_lon = OUTER_LON0 + (np.arange(OUTER_NX) + 0.5) / SEA_RES
        self._outer_lat = OUTER_LAT0 + (np.arange(OUTER_NY) + 0.5) / SEA_RES
        outer = land_cells(self._outer_lon, self._outer_lat)
        self._outer_land = outer
        x0 = round((SEA_LON0 - OUTER_LON0) * SEA_RES)
        y0 = round((SEA_LAT0 - OUTER_LAT0) * SEA_RES)
        land = outer[y0 : y0 + SEA_NY, x0 : x0 + SEA_NX].copy()
        labels, _ = ndimage.label(~land, structure=np.ones((3, 3)))
        sizes = np.bincount(labels.ravel())
        sizes[0] = 0
        self.land = land
        self.sea: BOOL = labels == int(sizes.argmax())
        self.clear_km: F64 = np.asarray(ndimage.distance_transform_edt(~land, sampling=(DY_KM, DX_KM)), np.float64)
        self.graph = self._graph()
        ys, xs = np.nonzero(self.sea)
        self._sea_cells = ys * SEA_NX + xs
        self._kd = cKDTree(np.column_stack([xs * DX_KM, ys * DY_KM]))
        self._trees: dict[int, tuple[F64, I64]] = {}

    def _graph(self) -> csr_matrix:
        penalty = 1.0 + 1.5 * (self.clear_km < 1.0) + 0.6 * (self.clear_km < 2.0)
        rows, cols, weights = [], [], []
        ny, nx = self.sea.shape
        for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
            ys, xs = np.mgrid[0:ny, 0:nx]
            ys2, xs2 = ys + dy, xs + dx
            ok = (ys2 < ny) & (xs2 >= 0) & (xs2 < nx)
            ys, xs, ys2, xs2 = ys[ok], xs[ok], ys2[ok], xs2[ok]
            keep = self.sea[ys, xs] & self.sea[ys2, xs2]
            if dy and dx:  # no corner cutting between two land cells
                keep &= self.sea[ys + dy, xs] & self.sea[ys, xs + dx]
            ys, xs, ys2, xs2 = ys[keep], xs[keep], ys2[keep], xs2[keep]
            length = math.hypot(dy * DY_KM, dx * DX_KM)
            w = length * (penalty[ys, xs] + penalty[ys2, xs2]) / 2
            a, b = ys * nx + xs, ys2 * nx + xs2
            rows += [a, b]
            cols += [b, a]
            weights += [w, w]
        size = ny * nx
        return csr_matrix((np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))), shape=(size, size))

    def cell_centre(self, cell: int) -> tuple[float, float]:
        """The (lon, lat) of a cell's centre."""
        return float(self.lon[cell % SEA_NX]), float(self.lat[cell // SEA_NX])

    def is_sea(self, lon: F64, lat: F64) -> BOOL:
        """Whether points lie in connected sea cells (outside the box: the global mask says sea)."""
        x = np.floor((lon - SEA_LON0) * SEA_RES).astype(np.int64)
        y = np.floor((lat - SEA_LAT0) * SEA_RES).astype(np.int64)
        inside = (x >= 0) & (x < SEA_NX) & (y >= 0) & (y < SEA_NY)
        out = np.zeros(len(lon), dtype=bool)
        out[inside] = self.sea[y[inside], x[inside]]
        if not inside.all():
            rest = ~inside
            ox = np.floor((lon[rest] - OUTER_LON0) * SEA_RES).astype(np.int64)
            oy = np.floor((lat[rest] - OUTER_LAT0) * SEA_RES).astype(np.int64)
            known = (ox >= 0) & (ox < OUTER_NX) & (oy >= 0) & (oy < OUTER_NY)
            # Beyond the wider box: open sea to the east only.
            value = lon[rest] > 123.0
            value[known] = ~self._outer_land[oy[known], ox[known]]
            out[rest] = value
        return out

    def snap(self, lon: float, lat: float) -> int:
        """The connected sea cell holding a point, or the nearest one."""
        x, y = int((lon - SEA_LON0) * SEA_RES), int((lat - SEA_LAT0) * SEA_RES)
        if 0 <= x < SEA_NX and 0 <= y < SEA_NY and self.sea[y, x]:
            return y * SEA_NX + x
        _, k = self._kd.query([((lon - SEA_LON0) * SEA_RES - 0.5) * DX_KM, ((lat - SEA_LAT0) * SEA_RES - 0.5) * DY_KM])
        return int(self._sea_cells[int(k)])

    def tree(self, root: int) -> tuple[F64, I64]:
        """Distances (km, penalised) and predecessors of every cell on its shortest path to ``root``."""
        if root not in self._trees:
            if len(self._trees) >= 64:
                self._trees.pop(next(iter(self._trees)))
            dist, pred = dijkstra(self.graph, directed=True, indices=root, return_predecessors=True)
            self._trees[root] = (np.asarray(dist, np.float64), np.asarray(pred, np.int64))
        return self._trees[root]

    def cells_to(self, src: int, root: int) -> list[int]:
        """The cells of the shortest sea path from ``src`` to ``root`` (both included)."""
        _, pred = self.tree(root)
        path = [src]
        while path[-1] != root:
            nxt = int(pred[path[-1]])
            if nxt < 0:
                raise ScenarioError("no sea route between these points")
            path.append(nxt)
        return path

    def clear(self, a: tuple[float, float], b: tuple[float, float], margin_m: float = CORRIDOR_M) -> bool:
        """True when the segment a→b and parallels ``margin_m`` either side lie at sea."""
        mlon = float(_mlon((a[1] + b[1]) / 2))
        de, dn = (b[0] - a[0]) * mlon, (b[1] - a[1]) * M_PER_DEG
        length = math.hypot(de, dn)
        n = max(2, int(length / 60.0) + 2)
        s = np.linspace(0.0, 1.0, n)
        ue, un = (de / length, dn / length) if length > 0 else (1.0, 0.0)
        lons, lats = [], []
        for off in (0.0, margin_m, -margin_m):
            lons.append(a[0] + s * (b[0] - a[0]) + off * un / mlon)
            lats.append(a[1] + s * (b[1] - a[1]) - off * ue / M_PER_DEG)
        return bool(self.is_sea(np.concatenate(lons), np.concatenate(lats)).all())

    def pull(self, pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
        """String-pull a path: drop points while the shortcut keeps its corridor at sea."""
        n = len(pts)
        keep = [0]
        a = 0
        while a < n - 1:
            lo, k = a + 1, 2
            while a + k < n and self.clear(pts[a], pts[a + k]):
                lo = a + k
                k *= 2
            hi = min(a + k, n)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if self.clear(pts[a], pts[mid]):
                    lo = mid
                else:
                    hi = mid
            keep.append(lo)
            a = lo
        return [pts[i] for i in keep]

    def route(self, points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
        """A smoothed sea route through the given points (each snapped to connected sea)."""
        cells = [self.snap(*p) for p in points]
        path: list[int] = [cells[0]]
        for src, dst in itertools.pairwise(cells):
            if src != dst:
                path += self.cells_to(src, dst)[1:]
        return self.pull([self.cell_centre(c) for c in path])


_SEA: SeaGrid | None = None


def land_cells(lon: F64, lat: F64) -> BOOL:
    """GLOBE land flags of the grid of cell centres ``lat`` × ``lon`` (1/120° cells), read from ``global_land_mask``.

    The package keeps the whole world (0.9 GB) in memory once imported; when it is not imported yet, its data
    file is read here and only the requested cells are kept.
    """
    import sys

    globe = sys.modules.get("global_land_mask.globe")
    if globe is not None:
        glat, glon = np.meshgrid(lat, lon, indexing="ij")
        return np.asarray(globe.is_land(glat, glon), dtype=bool)
    from importlib.util import find_spec
    from pathlib import Path

    spec = find_spec("global_land_mask")  # locates the package without importing it (its import loads the world)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("global_land_mask")
    with np.load(Path(spec.origin).parent / "globe_combined_mask_compressed.npz") as data:
        world_lat, world_lon = data["lat"], data["lon"]
        # The same cell arithmetic as global_land_mask.globe.lat_to_index / lon_to_index.
        rows = ((lat - world_lat[0]) / (world_lat[1] - world_lat[0])).astype(np.int64)
        cols = ((lon - world_lon[0]) / (world_lon[1] - world_lon[0])).astype(np.int64)
        mask = data["mask"]
        window = mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        ocean = window[np.ix_(rows - rows.min(), cols - cols.min())]
        del mask, window
    return np.asarray(~ocean, dtype=bool)  # the file stores ocean flags


def sea_grid() -> SeaGrid:
    """The process-wide routing grid (built once, about a second)."""
    global _SEA
    if _SEA is None:
        _SEA = SeaGrid()
    return _SEA
