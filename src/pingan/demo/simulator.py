"""The fleet simulator: fishing fleet, merchant traffic and alert scenarios as real AIVDM sentences with tag blocks.

A pure engine (NumPy, SciPy, pyais, ``global_land_mask``; no database, no clock). :class:`FleetSimulator` holds the
state of every transmitter in arrays and moves them all at once; only the reports that fall due are encoded, one
by one, with :func:`pyais.encode_dict`. Each sentence is preceded by an IEC 62320-1 tag block naming the receiving
station (``s:``) and the receiver time (``c:``, whole Unix seconds); the two halves of a type 5 carry ``g:`` groups.

Geography: the GLOBE 1 km land mask (1/120°) of lon 121.70–123.60, lat 29.30–31.00 is the routing grid. Vessels
follow shortest paths over its connected sea cells (Dijkstra, cells next to land cost more), string-pulled only
where a 250 m corridor either side stays at sea, and each vessel keeps a lateral offset to starboard. Fishing
grounds are cells at least 14 km from any land, and a group never leaves an 8 km disc around its ground, so the
formation and the legs to and from it stay at sea. Ports sit on the coast: the leg between a berth and the first
sea cell may cross a land cell of the 1 km mask.

Reporting follows ITU-R M.1371 autonomous intervals (maritime.md §2), see :func:`report_interval_s`.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyais import encode_dict
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
GROUND_BOX = (122.60, 29.45, 123.45, 30.85)  # fishing grounds east and south-east of the islands
GROUND_CLEAR_KM = 14.0
GROUND_RADIUS_M = 8_000.0
CORRIDOR_M = 250.0
STATIC_INTERVAL_S = 360.0
TURN_SMOOTHING_S = 30.0
SCENARIOS = ("crossing", "drift", "silence", "closed_waters", "distress", "typhoon")

# Units (transmitters).
K_FISH, K_MERCHANT, K_BEACON, K_SART = 0, 1, 2, 3
C_A, C_B, C_BEACON, C_SART = 0, 1, 2, 3
# Motion modes.
M_PORT, M_ROUTE, M_JOIN, M_FISH, M_HOLD, M_VECTOR, M_BERTH, M_OFF = range(8)
MODE_NAMES = ("in_port", "route", "joining", "fishing", "holding", "scripted", "berthing", "off")
# What a route ends in.
A_GROUND, A_PORT, A_ANCHOR, A_MOOR, A_EXIT, A_DWELL = range(6)
# What ends a hold or a scripted vector.
N_NONE, N_TO_BERTH, N_DEPART, N_HOME, N_REJOIN, N_EXIT_NEAREST, N_OFF = range(7)
# Group phases and patterns.
G_PORT, G_OUT, G_RETURNING = 0, 1, 2
P_TOW, P_DRIFT, P_CIRCLE = 0, 1, 2
_PATTERN = {
    "trawl": P_TOW,
    "longline": P_TOW,
    "purse_seine": P_CIRCLE,
    "light_purse_seine": P_CIRCLE,
}
# Navigation status (ITU-R M.1371 table 45).
S_UNDERWAY, S_ANCHOR, S_NUC, S_MOORED, S_FISHING, S_SART = 0, 1, 2, 5, 7, 14


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


@dataclass
class SimWorld:
    """The engine's input: the registry as plain lists (one entry per vessel, group, port, area)."""

    vessel_ids: list[int]
    registration_nos: list[str]
    mmsis: list[str | None]  # current AIS MMSI (9 digits) or None
    ais_classes: list[str]  # "A", "B", or "" without AIS
    lengths_m: list[float]
    operation_types: list[str]
    home_ports: list[int]  # index into ports, -1 when unknown
    groups: list[int]  # index into group_codes, -1 when in no group
    beidou_ids: list[str | None]
    group_codes: list[str]
    group_operation_types: list[str]
    group_limits_m: list[float]
    ports: list[SimPort]
    areas: list[SimArea] = field(default_factory=list)

    def __len__(self) -> int:
        """Number of vessels."""
        return len(self.vessel_ids)


@dataclass(frozen=True, slots=True)
class Station:
    """A shore AIS receiving station with its base-station MMSI."""

    name: str
    lon: float
    lat: float
    base_mmsi: int


STATIONS = (
    Station("ZS-AIS-01", 122.10, 30.02, 4_131_001),  # 定海
    Station("ZS-AIS-02", 122.40, 29.90, 4_131_002),  # 朱家尖
    Station("ZS-AIS-03", 122.20, 30.26, 4_131_003),  # 岱山
    Station("ZS-AIS-04", 122.45, 30.72, 4_131_004),  # 嵊泗
    Station("ZS-AIS-05", 122.68, 30.18, 4_131_005),  # 东极
    Station("ZS-AIS-06", 122.14, 29.72, 4_131_006),  # 六横
)


@dataclass(frozen=True)
class SimOptions:
    """Knobs of the simulation (defaults give the demo's traffic)."""

    merchants: int = 200
    beacons: int = 200
    at_sea_share: float = 0.6
    duplicate_rate: float = 0.08  # share of messages also heard by a second station
    loss_rate: float = 0.005  # share of messages lost
    max_step_s: float = 1.0
    atons: bool = True
    stations: tuple[Station, ...] = STATIONS


@dataclass(frozen=True, slots=True)
class Emission:
    """One AIS message as received: its sentences, each with its tag block."""

    at: float  # receiver time, Unix seconds
    station: str
    msg_type: int
    mmsi: int
    lines: tuple[str, ...]


# --------------------------------------------------------------------------------------------- small pure helpers


def report_interval_s(cls: I64, sog_kn: F64, status: I64, turning: BOOL) -> F64:
    """Nominal autonomous reporting interval in seconds (ITU-R M.1371; maritime.md §2).

    Parameters
    ----------
    cls : int array
        0 Class A, 1 Class B "CS", 2 net-position beacon (2 min), 3 AIS-SART (1 min).
    sog_kn : float array
        Speed over ground, knots.
    status : int array
        Navigation status (1 at anchor, 5 moored; others under way); Class A only.
    turning : bool array
        Changing course (Class A reports faster).

    Returns
    -------
    float array
        Seconds between position reports.

    Examples
    --------
    >>> cls = np.array([0, 0, 0, 0, 0, 1, 1, 2, 3])
    >>> sog = np.array([0.1, 10.0, 10.0, 18.0, 25.0, 1.5, 8.0, 0.0, 0.0])
    >>> status = np.array([5, 0, 0, 0, 0, 15, 15, 15, 14])
    >>> turning = np.array([False, False, True, False, False, False, False, False, False])
    >>> report_interval_s(cls, sog, status, turning).round(2).tolist()
    [180.0, 10.0, 3.33, 6.0, 2.0, 180.0, 30.0, 120.0, 60.0]
    """
    moored = (status == S_ANCHOR) | (status == S_MOORED)
    class_a = np.where(
        sog_kn <= 14.0,
        np.where(turning, 10.0 / 3.0, 10.0),
        np.where(sog_kn <= 23.0, np.where(turning, 2.0, 6.0), 2.0),
    )
    class_a = np.where(moored & (sog_kn <= 3.0), 180.0, class_a)
    class_b = np.where(sog_kn <= 2.0, 180.0, 30.0)
    out = np.select([cls == C_A, cls == C_B, cls == C_BEACON], [class_a, class_b, np.full_like(class_a, 120.0)], 60.0)
    return np.asarray(out, dtype=np.float64)


def nmea_checksum(body: str) -> str:
    """XOR of the characters as two hex digits (NMEA sentences and tag blocks).

    >>> nmea_checksum("s:ZS-AIS-01,c:1764460800")
    '61'
    """
    value = 0
    for ch in body.encode("ascii"):
        value ^= ch
    return f"{value:02X}"


def tag_block(station: str, at_s: int, group: str | None = None) -> str:
    r"""An IEC 62320-1 tag block with the optional sentence group, the source station and the receiver time.

    >>> print(tag_block("ZS-AIS-01", 1764460800))
    \s:ZS-AIS-01,c:1764460800*61\
    >>> print(tag_block("ZS-AIS-01", 1764460800, "1-2-7"))
    \g:1-2-7,s:ZS-AIS-01,c:1764460800*24\
    """
    body = f"g:{group},s:{station},c:{at_s}" if group else f"s:{station},c:{at_s}"
    return f"\\{body}*{nmea_checksum(body)}\\"


_PINYIN = {
    "浙": "ZHE",
    "普": "PU",
    "岱": "DAI",
    "嵊": "SHENG",
    "定": "DING",
    "渔": "YU",
    "舟": "ZHOU",
    "沈": "SHEN",
    "象": "XIANG",
    "台": "TAI",
    "温": "WEN",
    "甬": "YONG",
    "奉": "FENG",
    "宁": "NING",
    "海": "HAI",
    "运": "YUN",
    "冷": "LENG",
    "鲁": "LU",
    "闽": "MIN",
    "苏": "SU",
    "沪": "HU",
    "辽": "LIAO",
    "岙": "AO",
    "山": "SHAN",
    "东": "DONG",
    "玉": "YU",
    "椒": "JIAO",
    "路": "LU",
    "临": "LIN",
    "瑞": "RUI",
    "平": "PING",
    "苍": "CANG",
}
_SIXBIT = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -./%()'&:+,<>=?!#$*;\"")


def ais_name(registration_no: str) -> str:
    """The registration number in AIS six-bit text: Chinese characters in pinyin, at most 20 characters.

    >>> ais_name("浙普渔68001")
    'ZHEPUYU68001'
    >>> ais_name("浙嵊渔12345")
    'ZHESHENGYU12345'
    """
    out = []
    for ch in registration_no.upper():
        if ch in _PINYIN:
            out.append(_PINYIN[ch])
        elif ch in _SIXBIT:
            out.append(ch)
        elif not ch.isascii():
            out.append("X")
    return "".join(out)[:20]


def _imo_number(rng: np.random.Generator) -> int:
    """A 7-digit IMO number with a valid check digit."""
    digits = [int(d) for d in str(rng.integers(100_000, 999_999))]
    check = sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10
    return int("".join(map(str, digits)) + str(check))


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


# ------------------------------------------------------------------------------------------------ merchant lanes

# Lanes into Ningbo-Zhoushan port (approximate positions): entry, gates, berth, anchorage, anchorage after key k.
_LANES: tuple[
    tuple[str, float, tuple[tuple[float, float], ...], tuple[float, float] | None, tuple[float, float] | None, int], ...
] = (
    (
        "xiazhimen",  # 虾峙门
        0.34,
        ((123.55, 29.62), (122.90, 29.70), (122.45, 29.72), (122.27, 29.76), (122.12, 29.86)),
        (121.88, 29.93),  # 北仑
        (122.47, 29.67),
        2,
    ),
    (
        "tiaomaomen",  # 条帽门
        0.16,
        ((122.40, 29.32), (122.30, 29.60), (122.18, 29.82), (122.08, 29.88)),  # via 七里峙 (approximate)
        (122.03, 29.88),  # 穿山
        (122.30, 29.55),
        1,
    ),
    (
        "luotou",  # 螺头水道 from the north
        0.18,
        ((122.62, 30.98), (122.38, 30.55), (122.10, 30.22), (121.99, 30.05), (122.00, 29.95)),
        (121.95, 29.91),  # 大榭
        (121.97, 30.08),  # 金塘锚地
        3,
    ),
    ("outer_north", 0.16, ((123.20, 29.30), (122.97, 29.70), (122.97, 30.40), (122.80, 31.00)), None, None, 0),
    ("outer_south", 0.16, ((122.85, 31.00), (123.02, 30.40), (123.02, 29.70), (123.25, 29.30)), None, None, 0),
)
_MIDS = (
    (477, 8),
    (413, 10),
    (414, 4),
    (352, 4),
    (353, 3),
    (355, 3),
    (356, 3),
    (370, 3),
    (636, 7),
    (538, 6),
    (563, 3),
    (564, 2),
    (566, 2),
    (440, 3),
    (431, 3),
    (248, 2),
    (256, 2),
    (209, 2),
    (311, 2),
    (533, 1),
    (574, 2),
    (548, 1),
)
_MERCHANT_WORDS = (
    ("OCEAN", "PACIFIC", "ORIENT", "GOLDEN", "GREAT", "SEA", "STAR", "NEW", "GLORY", "EASTERN", "BLUE", "SUN"),
    ("PIONEER", "HARMONY", "TRADER", "VENTURE", "SPIRIT", "FORTUNE", "EXPRESS", "HOPE", "CARRIER", "DRAGON"),
)
_BEACON_NAMES = ("NET {v:.0f}V", "{p}%", "NET {v:.1f}V", "WLY-{n:02d}", "{p}% NET", "BUOY {n}")


# ------------------------------------------------------------------------------------------------------ the engine

# Per-unit state arrays by dtype (float, int, bool); declared on the class below for type checkers.
_FLOAT_FIELDS = (
    "lon lat sog cog turn berth_lon berth_lat off_e off_n wan_e wan_n wv_e wv_n phase circ_r circ_w lat_off vec_e "
    "vec_n cruise leave_at home_at until silent_until last_at jit last_int static_at hdg_fixed"
)
_INT_FIELDS = "kind cls mmsi vessel group port mode wp wp_end after next_action status lane wander_kind"
_STATE_F = _FLOAT_FIELDS.split()
_STATE_I = _INT_FIELDS.split()
_STATE_B = ["silent", "scripted", "active", "recalled"]


class FleetSimulator:
    """The whole simulated traffic: fishing groups, merchants, net beacons, AtoN, base stations and scenarios."""

    def __init__(
        self, world: SimWorld, *, start: datetime | float, seed: int = 0, options: SimOptions | None = None
    ) -> None:
        self.world = world
        self.options = options or SimOptions()
        self.rng = np.random.default_rng(seed)
        self.t = _seconds(start)
        self.sea = sea_grid()
        self.stations = self.options.stations
        self.sentences = 0
        self.by_type: Counter[int] = Counter()
        self.scenarios: list[dict[str, Any]] = []
        self.typhoon: dict[str, Any] | None = None
        self._typhoon_check_at = 0.0
        self._seq = [0] * len(self.stations)
        self._gid = [0] * len(self.stations)
        self._used_mmsi: set[int] = set()
        self._wp_chunks: list[tuple[F64, F64, F64, F64, F64]] = []
        self._wp_len = 0
        self._wp_dirty = True
        self.wp_lon = self.wp_lat = self.wp_cap = self.wp_me = self.wp_mn = np.zeros(0)
        self._port_routes: dict[tuple[int, int], tuple[int, int, int, int]] = {}
        self.names: list[str] = []
        self.callsigns: list[str] = []
        self.statics: list[dict[str, Any]] = []
        self.dwell_s: dict[int, float] = {}
        self._settled = False
        self._init_units()
        self._init_groups()
        self._init_fleet()
        self._init_merchants()
        self._init_beacons()
        self._fixed = self._init_fixed()
        self._stagger_reports()

    # ------------------------------------------------------------------ state arrays

    def _init_units(self) -> None:
        for name in _STATE_F:
            setattr(self, name, np.zeros(0, dtype=np.float64))
        for name in _STATE_I:
            setattr(self, name, np.zeros(0, dtype=np.int64))
        for name in _STATE_B:
            setattr(self, name, np.zeros(0, dtype=bool))

    def _grow(self, count: int) -> int:
        """Add ``count`` unit slots; return the first new index."""
        first = len(self.lon)
        for name in _STATE_F + _STATE_I + _STATE_B:
            arr = getattr(self, name)
            fill = np.inf if name in ("leave_at", "home_at", "until", "silent_until") else 0
            extra = np.full(count, fill, dtype=arr.dtype)
            setattr(self, name, np.concatenate([arr, extra]))
        self.vessel[first:] = -1
        self.group[first:] = -1
        self.port[first:] = -1
        self.lane[first:] = -1
        self.mode[first:] = M_OFF
        self.status[first:] = 15
        self.names += [""] * count
        self.callsigns += [""] * count
        self.statics += [{} for _ in range(count)]
        return first

    # Declarations for type checkers (filled by _init_units/_grow).
    lon: F64
    lat: F64
    sog: F64
    cog: F64
    turn: F64
    berth_lon: F64
    berth_lat: F64
    off_e: F64
    off_n: F64
    wan_e: F64
    wan_n: F64
    wv_e: F64
    wv_n: F64
    phase: F64
    circ_r: F64
    circ_w: F64
    lat_off: F64
    vec_e: F64
    vec_n: F64
    cruise: F64
    leave_at: F64
    home_at: F64
    until: F64
    silent_until: F64
    last_at: F64
    jit: F64
    last_int: F64
    static_at: F64
    hdg_fixed: F64
    kind: I64
    cls: I64
    mmsi: I64
    vessel: I64
    group: I64
    port: I64
    mode: I64
    wp: I64
    wp_end: I64
    after: I64
    next_action: I64
    status: I64
    lane: I64
    wander_kind: I64
    silent: BOOL
    scripted: BOOL
    active: BOOL
    recalled: BOOL

    # ------------------------------------------------------------------ routes

    def _add_route(
        self, pts: Sequence[tuple[float, float]], *, first_cap: float = 0.0, last_cap: float = 0.0
    ) -> tuple[int, int]:
        """Store a waypoint list; return its (start, end) indices. Miter vectors give each vessel its lane offset."""
        xy = np.asarray(pts, dtype=np.float64)
        if len(xy) == 1:
            xy = np.vstack([xy, xy])
        n = len(xy)
        mlon = _mlon(xy[:, 1])
        de = np.diff(xy[:, 0]) * (mlon[:-1] + mlon[1:]) / 2
        dn = np.diff(xy[:, 1]) * M_PER_DEG
        length = np.hypot(de, dn)
        length[length == 0] = 1.0
        ne, nn = dn / length, -de / length  # starboard normal of each segment
        me, mn = np.zeros(n), np.zeros(n)
        if n > 2:
            se, sn = ne[:-1] + ne[1:], nn[:-1] + nn[1:]
            sq = se**2 + sn**2
            scale = np.where(sq > 1e-9, 2.0 / np.maximum(sq, 1e-9), 0.0)
            mag = np.sqrt(sq) * scale
            scale = np.where(mag > 1.33, scale * 1.33 / np.maximum(mag, 1e-9), scale)
            me[1:-1], mn[1:-1] = se * scale, sn * scale
        cap = np.zeros(n)
        if first_cap:
            cap[0] = first_cap
        if last_cap:
            cap[-1] = last_cap
        start = self._wp_len
        self._wp_chunks.append((xy[:, 0].copy(), xy[:, 1].copy(), cap, me, mn))
        self._wp_len += n
        self._wp_dirty = True
        return start, start + n

    def _waypoints(self) -> None:
        if self._wp_dirty:
            parts = list(zip(*self._wp_chunks, strict=True))
            self.wp_lon, self.wp_lat, self.wp_cap, self.wp_me, self.wp_mn = (np.concatenate(p) for p in parts)
            self._wp_dirty = False

    def _set_route(self, i: int, span: tuple[int, int], after: int, *, wp: int | None = None) -> None:
        self.mode[i] = M_ROUTE
        self.wp[i] = span[0] if wp is None else wp
        self.wp_end[i] = span[1]
        self.after[i] = after
        self.status[i] = S_UNDERWAY

    def _home_route(self, i: int) -> tuple[int, int]:
        """A fresh route from a unit's position to its port's sea cell."""
        port = int(self.port[i])
        root = self._port_cell[port]
        src = self.sea.snap(float(self.lon[i]), float(self.lat[i]))
        cells = self.sea.cells_to(src, root)
        pts = [(float(self.lon[i]), float(self.lat[i]))] + [self.sea.cell_centre(c) for c in cells]
        return self._add_route(self.sea.pull(pts), last_cap=6.0)

    # ------------------------------------------------------------------ fishing fleet

    def _init_groups(self) -> None:
        w = self.world
        ports = w.ports or [SimPort("NONE", "none", "fishing_port", 122.29, 29.937, 122.31, 29.947)]
        self._ports = ports
        fishing_ports = [k for k, p in enumerate(ports) if p.kind != "anchorage"] or [0]
        self._port_cell = [self.sea.snap(*p.centre) for p in ports]
        # Vessels without a group form groups of one.
        group_of = list(w.groups)
        codes, gear, limits = list(w.group_codes), list(w.group_operation_types), list(w.group_limits_m)
        for v, g in enumerate(group_of):
            if g < 0:
                group_of[v] = len(codes)
                codes.append(f"SOLO-{w.vessel_ids[v]}")
                gear.append(w.operation_types[v])
                limits.append(5_556.0)
        self._group_of = group_of
        self.group_codes = codes
        n = len(codes)
        members: list[list[int]] = [[] for _ in range(n)]
        for v, g in enumerate(group_of):
            members[g].append(v)
        self.members = members
        g_port = np.zeros(n, dtype=np.int64)
        for g, ms in enumerate(members):
            homes = [w.home_ports[v] for v in ms if 0 <= w.home_ports[v] < len(ports)]
            g_port[g] = Counter(homes).most_common(1)[0][0] if homes else fishing_ports[g % len(fishing_ports)]
        self.g_port = g_port
        self.g_pattern = np.array([_PATTERN.get(x, P_DRIFT) for x in gear], dtype=np.int64)
        self.g_limit = np.asarray(limits, dtype=np.float64)
        self.g_phase = np.zeros(n, dtype=np.int64)
        self.g_depart_at = np.full(n, np.inf)
        self.g_return_at = np.full(n, np.inf)
        self.g_turn_at = self.t + self.rng.uniform(0, 120, n) * 60  # tows already under way
        self.g_head = self.rng.uniform(0, 360, n)
        self.g_head_to = self.g_head.copy()
        self.g_speed = np.where(self.g_pattern == P_TOW, self.rng.uniform(2.4, 3.6, n), 0.0) * KN_MS
        self.g_speed[np.asarray([x == "longline" for x in gear])] = 2.0 * KN_MS
        self.g_tide = self.rng.uniform(0.15, 0.45, n)  # m/s amplitude of the tidal drift
        self.g_tide_dir = self.rng.uniform(0, 360, n)
        self.g_tide_phase = self.rng.uniform(0, 2 * math.pi, n)
        self.g_ground_lon = np.zeros(n)
        self.g_ground_lat = np.zeros(n)
        self.g_route = np.zeros((n, 4), dtype=np.int64)  # out start, out end, back start, back end
        self._choose_grounds()
        self.g_c_lon = self.g_ground_lon.copy()
        self.g_c_lat = self.g_ground_lat.copy()
        self.g_ve = np.zeros(n)
        self.g_vn = np.zeros(n)

    def _choose_grounds(self) -> None:
        sea = self.sea
        glat, glon = np.meshgrid(sea.lat, sea.lon, indexing="ij")
        lo_lon, lo_lat, hi_lon, hi_lat = GROUND_BOX
        ok = sea.sea & (sea.clear_km >= GROUND_CLEAR_KM) & (glon >= lo_lon) & (glon <= hi_lon)
        ok &= (glat >= lo_lat) & (glat <= hi_lat)
        candidates = np.flatnonzero(ok.ravel())
        for p in sorted(set(self.g_port.tolist())):
            dist, _ = sea.tree(self._port_cell[p])
            d = dist[candidates]
            reach = np.isfinite(d)
            cand, d = candidates[reach], d[reach]
            weight = np.exp(-(d - d.min()) / 45.0)
            weight /= weight.sum()
            for g in np.flatnonzero(self.g_port == p):
                cell = int(self.rng.choice(cand, p=weight))
                lon, lat = sea.cell_centre(cell)
                self.g_ground_lon[g], self.g_ground_lat[g] = lon, lat
                key = (int(p), cell)
                if key not in self._port_routes:
                    cells = sea.cells_to(cell, self._port_cell[p])[::-1]
                    pts = sea.pull([sea.cell_centre(c) for c in cells])
                    out = self._add_route(pts, first_cap=5.0)
                    back = self._add_route(pts[::-1], last_cap=6.0)
                    self._port_routes[key] = (*out, *back)
                self.g_route[g] = self._port_routes[key]

    def _slots(self, g: int, count: int) -> tuple[F64, F64, F64]:
        """Formation offsets (m east, m north) and circle radii for a group's members."""
        limit = float(self.g_limit[g])
        pattern = int(self.g_pattern[g])
        rng = self.rng
        if pattern == P_TOW:
            pairs = (count + 1) // 2
            spacing = min(800.0, 0.75 * limit / max(pairs, 1))
            axis = math.radians(rng.uniform(0, 180))
            along = (np.arange(count) // 2 - (pairs - 1) / 2) * spacing
            across = np.where(np.arange(count) % 2 == 0, -200.0, 200.0)
            e = along * math.sin(axis) + across * math.cos(axis)
            n = along * math.cos(axis) - across * math.sin(axis)
            return e, n, np.zeros(count)
        radius = 0.33 * limit * np.sqrt(rng.uniform(0.05, 1.0, count))
        angle = rng.uniform(0, 2 * math.pi, count)
        circle = rng.uniform(180.0, 320.0, count) if pattern == P_CIRCLE else np.zeros(count)
        return radius * np.sin(angle), radius * np.cos(angle), circle

    def _init_fleet(self) -> None:
        w = self.world
        nv = len(w)
        self._grow(nv)
        rng = self.rng
        idx = np.arange(nv)
        self.kind[idx] = K_FISH
        self.vessel[idx] = idx
        self.group[idx] = np.asarray(self._group_of, dtype=np.int64)
        self.port[idx] = self.g_port[self.group[idx]]
        for v in range(nv):
            raw = w.mmsis[v]
            mmsi = int(raw) if raw and raw.isdigit() and w.ais_classes[v] in ("A", "B") else 0
            self.mmsi[v] = mmsi
            self.active[v] = mmsi > 0
            self._used_mmsi.add(mmsi)
            self.cls[v] = C_A if w.ais_classes[v] == "A" else C_B
            self.names[v] = ais_name(w.registration_nos[v])
            self.callsigns[v] = f"B{(w.vessel_ids[v] * 7919) % 10**5:05d}"
            length = max(float(w.lengths_m[v]), 8.0)
            bow = round(length * 0.6)
            beam = max(3, round(length / 5.5))
            self.statics[v] = {
                "to_bow": bow,
                "to_stern": round(length) - bow,
                "to_port": beam // 2,
                "to_starboard": beam - beam // 2,
                "ship_type": 30,
                "draught": round(length / 12.0, 1),
                "destination": "FISHING GROUND",
                "imo": 0,
            }
        self.cruise[idx] = rng.uniform(8.0, 11.0, nv)
        self.lat_off[idx] = rng.uniform(40.0, 180.0, nv)
        self.circ_w[idx] = 2 * math.pi / rng.uniform(1300.0, 2000.0, nv) * rng.choice([-1.0, 1.0], nv)
        self.phase[idx] = rng.uniform(0, 2 * math.pi, nv)
        self.hdg_fixed[idx] = rng.uniform(0, 360, nv)
        self.wander_kind[idx] = self.g_pattern[self.group[idx]]
        for v in range(nv):
            self._put_at_berth(v)
        for g, ms in enumerate(self.members):
            e, n, r = self._slots(g, len(ms))
            self.off_e[ms], self.off_n[ms], self.circ_r[ms] = e, n, r
            self._start_group(g)

    def _put_at_berth(self, i: int) -> None:
        port = self._ports[int(self.port[i])]
        self.berth_lon[i] = self.rng.uniform(port.min_lon + 0.001, port.max_lon - 0.001)
        self.berth_lat[i] = self.rng.uniform(port.min_lat + 0.001, port.max_lat - 0.001)
        self.lon[i], self.lat[i] = self.berth_lon[i], self.berth_lat[i]
        self.mode[i] = M_PORT
        self.status[i] = S_MOORED
        self.sog[i] = 0.0
        self.cog[i] = self.hdg_fixed[i]
        self.leave_at[i] = np.inf
        self.home_at[i] = np.inf

    def _trip_hours(self) -> float:
        return float(self.rng.uniform(6.0, 16.0))

    def _start_group(self, g: int) -> None:
        """Put a group somewhere in its cycle at the start: in port, steaming out, fishing or coming back."""
        rng = self.rng
        t = self.t
        ms = self.members[g]
        share = self.options.at_sea_share
        u = rng.random()
        out0, out1, back0, back1 = (int(x) for x in self.g_route[g])
        if u >= share:
            self.g_phase[g] = G_PORT
            self.g_depart_at[g] = t + rng.uniform(0.0, 8.0) * 3600
            return
        u /= share
        self.g_phase[g] = G_OUT
        if u < 0.2:  # steaming out
            since = rng.uniform(0.2, 3.0) * 3600
            self.g_return_at[g] = t - since + self._trip_hours() * 3600 + 4 * 3600
            for k, m in enumerate(ms):
                stagger = k * rng.uniform(60, 240)
                run = (since - stagger) * self.cruise[m] * KN_MS
                if run <= 0:
                    self.leave_at[m] = t - since + stagger
                else:
                    self._place_on_route(m, (out0, out1), run, A_GROUND)
        elif u < 0.85:  # fishing
            self.g_return_at[g] = t + rng.uniform(0.3, 14.0) * 3600
            self._wander_centre(g)
            for m in ms:
                self._place_fishing(m)
        else:  # returning
            self.g_phase[g] = G_RETURNING
            self.g_return_at[g] = t - 1.0
            back_len = self._route_length(back0, back1)
            for m in ms:
                self._place_on_route(m, (back0, back1), rng.uniform(0.0, 0.95) * back_len, A_PORT)

    def _wander_centre(self, g: int) -> None:
        r = GROUND_RADIUS_M * 0.6 * math.sqrt(self.rng.random())
        a = self.rng.uniform(0, 2 * math.pi)
        self.g_c_lat[g] = self.g_ground_lat[g] + r * math.cos(a) / M_PER_DEG
        self.g_c_lon[g] = self.g_ground_lon[g] + r * math.sin(a) / float(_mlon(self.g_ground_lat[g]))

    def _place_fishing(self, m: int) -> None:
        self.mode[m] = M_FISH
        self.status[m] = S_FISHING
        lon, lat = self._slot_pos(np.array([m]))
        self.lon[m], self.lat[m] = lon[0], lat[0]

    def _route_length(self, start: int, end: int) -> float:
        self._waypoints()
        lon, lat = self.wp_lon[start:end], self.wp_lat[start:end]
        return float(np.hypot(np.diff(lon) * _mlon(lat[:-1]), np.diff(lat) * M_PER_DEG).sum())

    def _place_on_route(self, i: int, span: tuple[int, int], run_m: float, after: int) -> None:
        """Put a unit ``run_m`` metres along a route (or at its end), heading for the next waypoint."""
        self._waypoints()
        start, end = span
        lon, lat = self.wp_lon[start:end], self.wp_lat[start:end]
        seg = np.hypot(np.diff(lon) * _mlon(lat[:-1]), np.diff(lat) * M_PER_DEG)
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        if run_m >= cum[-1]:
            k = len(seg) - 1
            f = 0.999
        else:
            k = int(np.searchsorted(cum, run_m, side="right") - 1)
            f = (run_m - cum[k]) / max(seg[k], 1e-9)
        self.lon[i] = lon[k] + f * (lon[k + 1] - lon[k])
        self.lat[i] = lat[k] + f * (lat[k + 1] - lat[k])
        self._set_route(i, span, after, wp=start + k + 1)
        self.cog[i] = float(
            _bearing(np.array([(lon[k + 1] - lon[k]) * _mlon(lat[k])]), np.array([(lat[k + 1] - lat[k]) * M_PER_DEG]))[
                0
            ]
        )
        self.sog[i] = self.cruise[i]

    # ------------------------------------------------------------------ merchants, beacons, AtoN

    def _new_mmsi(self, prefix: int | None = None) -> int:
        while True:
            if prefix is None:
                mids = [m for m, _ in _MIDS]
                weights = np.array([w for _, w in _MIDS], dtype=np.float64)
                mid = int(self.rng.choice(mids, p=weights / weights.sum()))
                value = mid * 1_000_000 + int(self.rng.integers(0, 1_000_000))
            else:
                value = prefix + int(self.rng.integers(0, 1000))
            if value not in self._used_mmsi:
                self._used_mmsi.add(value)
                return value

    def _merchant_identity(self, i: int) -> None:
        rng = self.rng
        self.mmsi[i] = self._new_mmsi()
        words = _MERCHANT_WORDS
        number = "" if rng.random() < 0.5 else f" {rng.integers(1, 30)}"
        self.names[i] = f"{rng.choice(words[0])} {rng.choice(words[1])}{number}"
        self.callsigns[i] = "".join(rng.choice(list("ABCDEFGHJKLMNPRSTVWXYZ23456789"), 5))
        length = float(rng.choice([95, 120, 150, 180, 190, 225, 260, 294, 330]))
        bow = int(length * 0.55)
        beam = int(max(14.0, length / 6.5))
        self.statics[i] = {
            "to_bow": bow,
            "to_stern": int(length) - bow,
            "to_port": beam // 2,
            "to_starboard": beam - beam // 2,
            "ship_type": int(rng.choice([70, 70, 71, 79, 80, 80, 84, 60])),
            "draught": round(float(rng.uniform(6.0, 15.5)), 1),
            "destination": str(rng.choice(["CNNGB", "CN NGB", "NINGBO", "CNZOS", "ZHOUSHAN", "CNSHA"])),
            "imo": _imo_number(rng),
        }
        self.cruise[i] = rng.uniform(10.0, 16.0)
        self.lat_off[i] = rng.uniform(60.0, 200.0)
        self.cls[i] = C_A
        self.kind[i] = K_MERCHANT
        self.active[i] = True
        self.silent[i] = False
        self.scripted[i] = False
        self.static_at[i] = self.t
        self.last_at[i] = -np.inf

    def _init_merchants(self) -> None:
        count = self.options.merchants
        self._lane_routes: list[dict[str, tuple[int, int]]] = []
        self._lane_points: list[dict[str, tuple[float, float]]] = []
        sea = self.sea
        for _, _, keys, berth, anchor, after_k in _LANES:
            routes: dict[str, tuple[int, int]] = {}
            points: dict[str, tuple[float, float]] = {}
            if berth is None:
                pts = sea.route(keys)
                routes["through"] = self._add_route(pts)
            else:
                berth_cell = self._quiet_cell(berth, 1.0)
                berth_pt = sea.cell_centre(berth_cell)
                anchor_pt = sea.cell_centre(self._quiet_cell(anchor, 1.5)) if anchor else None
                direct = sea.route([*keys, berth_pt])
                routes["in"] = self._add_route(direct, last_cap=6.0)
                routes["out"] = self._add_route(direct[::-1], first_cap=6.0)
                if anchor_pt is not None:
                    routes["to_anchor"] = self._add_route(sea.route([*keys[: after_k + 1], anchor_pt]), last_cap=6.0)
                    routes["from_anchor"] = self._add_route(
                        sea.route([anchor_pt, *keys[after_k + 1 :], berth_pt]), last_cap=6.0
                    )
                    points["anchor"] = anchor_pt
                points["berth"] = berth_pt
            self._lane_routes.append(routes)
            self._lane_points.append(points)
        if count <= 0:
            return
        first = self._grow(count)
        weights = np.array([lane[1] for lane in _LANES])
        for i in range(first, first + count):
            self._merchant_identity(i)
            lane = int(self.rng.choice(len(_LANES), p=weights / weights.sum()))
            self.lane[i] = lane
            self.static_at[i] = self.t + self.rng.uniform(0, STATIC_INTERVAL_S)
            routes = self._lane_routes[lane]
            u = self.rng.random()
            if "through" in routes:
                span = routes["through"]
                self._place_on_route(i, span, self.rng.uniform(0, 1) * self._route_length(*span), A_EXIT)
            elif u < 0.3:
                self._hold(
                    i, self._lane_points[lane]["berth"], S_MOORED, self.rng.uniform(0.5, 20) * 3600, N_DEPART, 300.0
                )
            elif u < 0.45 and "anchor" in self._lane_points[lane]:
                self._hold(
                    i, self._lane_points[lane]["anchor"], S_ANCHOR, self.rng.uniform(0.5, 10) * 3600, N_TO_BERTH, 700.0
                )
            else:
                key = "in" if self.rng.random() < 0.5 else "out"
                span = routes[key]
                self._place_on_route(
                    i, span, self.rng.uniform(0, 1) * self._route_length(*span), A_MOOR if key == "in" else A_EXIT
                )

    def _quiet_cell(self, point: tuple[float, float], clear_km: float) -> int:
        """The sea cell nearest a point that is at least ``clear_km`` from land."""
        sea = self.sea
        ok = np.flatnonzero((sea.sea & (sea.clear_km >= clear_km)).ravel())
        xs, ys = ok % SEA_NX, ok // SEA_NX
        px, py = (point[0] - SEA_LON0) * SEA_RES - 0.5, (point[1] - SEA_LAT0) * SEA_RES - 0.5
        return int(ok[np.argmin(((xs - px) * DX_KM) ** 2 + ((ys - py) * DY_KM) ** 2)])

    def _hold(self, i: int, at: tuple[float, float], status: int, seconds: float, then: int, scatter_m: float) -> None:
        r = scatter_m * math.sqrt(self.rng.random())
        a = self.rng.uniform(0, 2 * math.pi)
        self.berth_lat[i] = at[1] + r * math.cos(a) / M_PER_DEG
        self.berth_lon[i] = at[0] + r * math.sin(a) / float(_mlon(at[1]))
        self.lon[i], self.lat[i] = self.berth_lon[i], self.berth_lat[i]
        self.wan_e[i] = self.wan_n[i] = self.wv_e[i] = self.wv_n[i] = 0.0
        self.mode[i] = M_HOLD
        self.status[i] = status
        self.until[i] = self.t + seconds
        self.next_action[i] = then
        self.sog[i] = 0.0

    def _init_beacons(self) -> None:
        count = self.options.beacons
        if count <= 0:
            return
        first = self._grow(count)
        rng = self.rng
        at_sea = [g for g in range(len(self.members)) if self.g_phase[g] != G_PORT] or list(range(len(self.members)))
        for i in range(first, first + count):
            g = int(rng.choice(at_sea))
            roll = rng.random()
            if roll < 0.6:
                mmsi = self._new_mmsi(413_000_000 + int(rng.integers(0, 100)) * 1000)
            elif roll < 0.8:
                mmsi = self._new_mmsi(int(rng.integers(1_000, 9_999)) * 1000)  # 7 digits: "00" + … when padded
            else:
                mmsi = self._new_mmsi(int(rng.integers(100_000, 199_999)) * 1000)  # no such MID
            self.mmsi[i] = mmsi
            self.kind[i] = K_BEACON
            self.cls[i] = C_BEACON
            self.active[i] = True
            self.mode[i] = M_HOLD
            self.status[i] = 15
            self.next_action[i] = N_NONE
            self.until[i] = np.inf
            self.wander_kind[i] = P_DRIFT
            r = 0.8 * GROUND_RADIUS_M * math.sqrt(rng.random())
            a = rng.uniform(0, 2 * math.pi)
            self.berth_lat[i] = self.g_ground_lat[g] + r * math.cos(a) / M_PER_DEG
            self.berth_lon[i] = self.g_ground_lon[g] + r * math.sin(a) / float(_mlon(self.g_ground_lat[g]))
            self.lon[i], self.lat[i] = self.berth_lon[i], self.berth_lat[i]
            template = str(rng.choice(_BEACON_NAMES))
            self.names[i] = template.format(
                v=rng.uniform(10.5, 13.5), p=int(rng.integers(20, 100)), n=int(rng.integers(1, 99))
            )
            self.statics[i] = {"ship_type": 0}

    def _init_fixed(self) -> list[dict[str, Any]]:
        fixed: list[dict[str, Any]] = []
        for k, st in enumerate(self.stations):
            fixed.append({"type": 4, "mmsi": st.base_mmsi, "lon": st.lon, "lat": st.lat, "station": k, "every": 10.0})
        if self.options.atons:
            marks = [
                ("XIAZHIMEN NO1", 122.30, 29.745),
                ("XIAZHIMEN NO2", 122.36, 29.725),
                ("TIAOMAOMEN NO1", 122.21, 29.80),
                ("LUOTOU NO3", 122.01, 29.965),
                ("OUTER APPROACH E", 122.90, 29.70),
                ("HIGH RISK ZONE N", 122.97, 30.40),
                ("HIGH RISK ZONE S", 122.97, 29.95),
                ("SHENGSHAN E", 122.95, 30.72),
            ]
            for n, (name, lon, lat) in enumerate(marks):
                cell = self.sea.snap(lon, lat)
                clon, clat = self.sea.cell_centre(cell)
                virtual = name.startswith("HIGH RISK")
                fixed.append(
                    {
                        "type": 21,
                        "mmsi": 994_131_000 + n + 1,
                        "lon": clon,
                        "lat": clat,
                        "name": name,
                        "every": 180.0,
                        "virtual": virtual,
                    }
                )
        for k, f in enumerate(fixed):
            f["next"] = self.t + self.rng.uniform(0, f["every"])
            f.setdefault("station", -1)
            f["k"] = k
        return fixed

    def _stagger_reports(self) -> None:
        n = len(self.lon)
        interval = self._intervals(np.arange(n))
        self.last_at[:] = self.t - self.rng.uniform(0, 1, n) * interval
        self.last_int[:] = interval
        fresh = self.static_at == 0
        self.static_at[fresh] = self.t + self.rng.uniform(0, STATIC_INTERVAL_S, int(fresh.sum()))

    # ------------------------------------------------------------------ stepping

    def _intervals(self, idx: I64) -> F64:
        return report_interval_s(self.cls[idx], self.sog[idx], self.status[idx], np.abs(self.turn[idx]) > 20.0)

    def advance(self, until: datetime | float, *, emit: bool = True) -> list[Emission]:
        """Move everything to ``until`` in steps of at most ``max_step_s`` and return the messages that fell due."""
        end = _seconds(until)
        out: list[Emission] = []
        while self.t < end - 1e-9:
            dt = min(self.options.max_step_s, end - self.t)
            self.t += dt
            self._step(dt)
            if emit:
                self._emit(out)
            else:
                self._skip_reports()
        return out

    def _step(self, dt: float) -> None:
        self._move_groups(dt)
        self._timers()
        prev_cog = self.cog.copy()
        self._move_routes(dt)
        self._move_slots(dt)
        self._move_hold(dt)
        self._move_vectors(dt)
        self._move_berthing(dt)
        # Rate of turn (deg/min) smoothed over ~30 s whatever the step, so that course noise does not count as
        # "changing course"; only under way (slow drifters wander).
        moving = self.sog > 2.0
        rate = _wrap180(self.cog - prev_cog) / dt * 60.0
        self.turn = np.where(moving, self.turn + (rate - self.turn) * min(1.0, dt / TURN_SMOOTHING_S), 0.0)
        if not self._settled:  # the first step only sets every course; it is no turn
            self.turn[:] = 0.0
            self._settled = True

    def _move_groups(self, dt: float) -> None:
        t = self.t
        tow = self.g_pattern == P_TOW
        # Tows: legs back and forth; turn at the end of a leg or when straying from the ground.
        mlon = _mlon(self.g_c_lat)
        from_e = (self.g_c_lon - self.g_ground_lon) * mlon
        from_n = (self.g_c_lat - self.g_ground_lat) * M_PER_DEG
        ahead_e = from_e + np.sin(np.radians(self.g_head)) * self.g_speed * 600
        ahead_n = from_n + np.cos(np.radians(self.g_head)) * self.g_speed * 600
        stray = np.hypot(ahead_e, ahead_n) > GROUND_RADIUS_M * 0.85
        turn = tow & ((t >= self.g_turn_at) | (stray & (np.abs(_wrap180(self.g_head_to - self.g_head)) < 1)))
        if turn.any():
            k = np.flatnonzero(turn)
            home = _bearing(-from_e[k], -from_n[k])
            back = (self.g_head[k] + 180 + self.rng.uniform(-25, 25, len(k))) % 360
            self.g_head_to[k] = np.where(stray[k], (home + self.rng.uniform(-30, 30, len(k))) % 360, back)
            self.g_turn_at[k] = t + self.rng.uniform(45, 120, len(k)) * 60
        delta = _wrap180(self.g_head_to - self.g_head)
        self.g_head = (self.g_head + np.clip(delta, -3.0 * dt, 3.0 * dt)) % 360
        tide = self.g_tide * np.cos(2 * math.pi * t / 44_712.0 + self.g_tide_phase)  # 12.42 h
        ve = np.where(tow, self.g_speed * np.sin(np.radians(self.g_head)), tide * np.sin(np.radians(self.g_tide_dir)))
        vn = np.where(tow, self.g_speed * np.cos(np.radians(self.g_head)), tide * np.cos(np.radians(self.g_tide_dir)))
        # Drifting groups are pulled back towards their ground when they stray.
        pull = ~tow & (np.hypot(from_e, from_n) > GROUND_RADIUS_M * 0.7)
        ve = np.where(pull, -from_e / np.maximum(np.hypot(from_e, from_n), 1) * 0.3, ve)
        vn = np.where(pull, -from_n / np.maximum(np.hypot(from_e, from_n), 1) * 0.3, vn)
        self.g_ve, self.g_vn = ve, vn
        self.g_c_lon = self.g_c_lon + ve * dt / mlon
        self.g_c_lat = self.g_c_lat + vn * dt / M_PER_DEG

    def _slot_pos(self, idx: I64) -> tuple[F64, F64]:
        g = self.group[idx]
        ang = self.phase[idx]
        e = self.off_e[idx] + self.wan_e[idx] + self.circ_r[idx] * np.sin(ang)
        n = self.off_n[idx] + self.wan_n[idx] + self.circ_r[idx] * np.cos(ang)
        lat = self.g_c_lat[g] + n / M_PER_DEG
        lon = self.g_c_lon[g] + e / _mlon(self.g_c_lat[g])
        return lon, lat

    def _wander(self, idx: I64, dt: float, sigma: F64, spring: float, tau: float) -> None:
        noise = self.rng.standard_normal((2, len(idx))) * sigma * math.sqrt(dt)
        self.wv_e[idx] += (-self.wv_e[idx] / tau - spring * self.wan_e[idx]) * dt + noise[0]
        self.wv_n[idx] += (-self.wv_n[idx] / tau - spring * self.wan_n[idx]) * dt + noise[1]
        self.wan_e[idx] += self.wv_e[idx] * dt
        self.wan_n[idx] += self.wv_n[idx] * dt

    def _move_slots(self, dt: float) -> None:
        fish = np.flatnonzero(self.mode == M_FISH)
        if len(fish):
            drift = self.wander_kind[fish] == P_DRIFT
            self._wander(fish, dt, np.where(drift, 0.01, 0.004), 2e-5, 400.0)
            self.phase[fish] += self.circ_w[fish] * dt
            lon, lat = self._slot_pos(fish)
            self._set_motion(fish, lon, lat, dt)
        join = np.flatnonzero(self.mode == M_JOIN)
        if len(join):
            lon, lat = self._slot_pos(join)
            arrived = self._head_for(join, lon, lat, self.cruise[join] * KN_MS, dt)
            done = join[arrived]
            self.mode[done] = M_FISH
            self.status[done] = S_FISHING

    def _set_motion(self, idx: I64, lon: F64, lat: F64, dt: float) -> None:
        de = (lon - self.lon[idx]) * _mlon(lat)
        dn = (lat - self.lat[idx]) * M_PER_DEG
        self.sog[idx] = np.hypot(de, dn) / dt / KN_MS
        self.cog[idx] = np.where(self.sog[idx] > 0.05, _bearing(de, dn), self.cog[idx])
        self.lon[idx], self.lat[idx] = lon, lat

    def _head_for(self, idx: I64, lon: F64, lat: F64, speed_ms: F64, dt: float) -> BOOL:
        """Move units towards targets at a speed; return which arrived (they are put on the target)."""
        mlon = _mlon(self.lat[idx])
        de = (lon - self.lon[idx]) * mlon
        dn = (lat - self.lat[idx]) * M_PER_DEG
        dist = np.hypot(de, dn)
        step = speed_ms * dt
        arrived = dist <= np.maximum(step, 1.0)
        f = np.where(arrived, 1.0, step / np.maximum(dist, 1e-9))
        self.lon[idx] += de * f / mlon
        self.lat[idx] += dn * f / M_PER_DEG
        self.sog[idx] = np.where(arrived & (dist < step), dist / dt, speed_ms) / KN_MS
        self.cog[idx] = np.where(dist > 0.5, _bearing(de, dn), self.cog[idx])
        return arrived

    def _move_routes(self, dt: float) -> None:
        idx = np.flatnonzero(self.mode == M_ROUTE)
        if not len(idx):
            return
        self._waypoints()
        wp = self.wp[idx]
        lat0 = self.wp_lat[wp]
        off = self.lat_off[idx]
        tlon = self.wp_lon[wp] + off * self.wp_me[wp] / _mlon(lat0)
        tlat = lat0 + off * self.wp_mn[wp] / M_PER_DEG
        cap = self.wp_cap[wp]
        speed = np.where(cap > 0, np.minimum(cap, self.cruise[idx]), self.cruise[idx]) * KN_MS
        arrived = self._head_for(idx, tlon, tlat, speed, dt)
        self.sog[idx] = speed / KN_MS
        if arrived.any():
            hit = idx[arrived]
            self.wp[hit] += 1
            done = hit[self.wp[hit] >= self.wp_end[hit]]
            for i in done.tolist():
                self._route_done(i)

    def _route_done(self, i: int) -> None:
        after = int(self.after[i])
        if after == A_GROUND:
            g = int(self.group[i])
            if self.g_phase[g] == G_OUT and not self.scripted[i]:
                self.mode[i] = M_JOIN
                self.status[i] = S_FISHING
            else:
                self._go_home(i)
        elif after == A_PORT:
            self.mode[i] = M_BERTH
            self.status[i] = S_UNDERWAY
        elif after == A_ANCHOR:
            self._hold(
                i, (float(self.lon[i]), float(self.lat[i])), S_ANCHOR, self.rng.uniform(1, 10) * 3600, N_TO_BERTH, 400.0
            )
        elif after == A_MOOR:
            self._hold(
                i, (float(self.lon[i]), float(self.lat[i])), S_MOORED, self.rng.uniform(4, 24) * 3600, N_DEPART, 150.0
            )
        elif after == A_EXIT:
            self._respawn_merchant(i)
        elif after == A_DWELL:
            here = (float(self.lon[i]), float(self.lat[i]))
            self._hold(i, here, S_FISHING, self.dwell_s.pop(i, 3600.0), N_HOME, 0.0)

    def _respawn_merchant(self, i: int) -> None:
        if self.scripted[i] or self.lane[i] < 0:
            self.active[i] = False
            self.mode[i] = M_OFF
            return
        self._merchant_identity(i)
        lane = int(self.rng.choice(len(_LANES), p=np.array([x[1] for x in _LANES]) / sum(x[1] for x in _LANES)))
        self.lane[i] = lane
        routes = self._lane_routes[lane]
        if "through" in routes:
            span, after = routes["through"], A_EXIT
        elif "to_anchor" in routes and self.rng.random() < 0.4:
            span, after = routes["to_anchor"], A_ANCHOR
        else:
            span, after = routes["in"], A_MOOR
        self._place_on_route(i, span, 0.0, after)

    def _move_berthing(self, dt: float) -> None:
        idx = np.flatnonzero(self.mode == M_BERTH)
        if not len(idx):
            return
        arrived = self._head_for(idx, self.berth_lon[idx], self.berth_lat[idx], np.full(len(idx), 4.0 * KN_MS), dt)
        for i in idx[arrived].tolist():
            self._put_at_berth_here(i)

    def _put_at_berth_here(self, i: int) -> None:
        self.mode[i] = M_PORT
        self.status[i] = S_MOORED
        self.sog[i] = 0.0
        self.leave_at[i] = np.inf
        self.home_at[i] = np.inf
        self.recalled[i] = False
        self.scripted[i] = False

    def _move_hold(self, dt: float) -> None:
        idx = np.flatnonzero(self.mode == M_HOLD)
        if not len(idx):
            return
        self._wander(idx, dt, np.where(self.kind[idx] == K_BEACON, 0.0015, 0.003), 4e-5, 300.0)
        lat = self.berth_lat[idx] + self.wan_n[idx] / M_PER_DEG
        lon = self.berth_lon[idx] + self.wan_e[idx] / _mlon(self.berth_lat[idx])
        self._set_motion(idx, lon, lat, dt)

    def _move_vectors(self, dt: float) -> None:
        idx = np.flatnonzero(self.mode == M_VECTOR)
        if not len(idx):
            return
        lon = self.lon[idx] + self.vec_e[idx] * dt / _mlon(self.lat[idx])
        lat = self.lat[idx] + self.vec_n[idx] * dt / M_PER_DEG
        self.sog[idx] = np.hypot(self.vec_e[idx], self.vec_n[idx]) / KN_MS
        self.cog[idx] = np.where(self.sog[idx] > 0.05, _bearing(self.vec_e[idx], self.vec_n[idx]), self.cog[idx])
        self.lon[idx], self.lat[idx] = lon, lat

    # ------------------------------------------------------------------ timers

    def _timers(self) -> None:
        t = self.t
        free = ~self.scripted
        # Groups: departures and returns.
        due = np.flatnonzero((self.g_phase == G_PORT) & (self.g_depart_at <= t))
        for g in due.tolist():
            if self._typhoon_blocks():
                self.g_depart_at[g] = t + 3600.0
                continue
            self.g_phase[g] = G_OUT
            self.g_return_at[g] = t + self._trip_hours() * 3600 + 4 * 3600
            self._wander_centre(g)
            for k, m in enumerate(self.members[g]):
                if self.mode[m] == M_PORT and not self.scripted[m]:
                    self.leave_at[m] = t + k * self.rng.uniform(60, 300)
        due = np.flatnonzero((self.g_phase == G_OUT) & (self.g_return_at <= t))
        for g in due.tolist():
            self._recall_group(g, spread_s=1800.0)
        # Vessels: leave port, go home.
        leave = np.flatnonzero((self.mode == M_PORT) & (self.leave_at <= t) & free)
        for i in leave.tolist():
            g = int(self.group[i])
            out0, out1 = int(self.g_route[g, 0]), int(self.g_route[g, 1])
            self._set_route(i, (out0, out1), A_GROUND)
            self.leave_at[i] = np.inf
        home = np.flatnonzero((self.home_at <= t) & free)
        for i in home.tolist():
            self.home_at[i] = np.inf
            mode = int(self.mode[i])
            if mode in (M_FISH, M_JOIN):
                self._go_home(i)
            elif mode == M_ROUTE and self.after[i] == A_GROUND:
                self._turn_back(i)
            elif mode == M_PORT:
                self.leave_at[i] = np.inf
        # Returning groups are back in port when every member is.
        if (self.t % 60.0) < self.options.max_step_s:
            for g in np.flatnonzero(self.g_phase == G_RETURNING).tolist():
                ms = self.members[g]
                if all(self.mode[m] == M_PORT or self.scripted[m] for m in ms):
                    self.g_phase[g] = G_PORT
                    self.g_depart_at[g] = t + self.rng.uniform(3.0, 10.0) * 3600
        # Holds and scripted vectors that end.
        ends = np.flatnonzero(((self.mode == M_HOLD) | (self.mode == M_VECTOR)) & (self.until <= t))
        for i in ends.tolist():
            self._next_action(i)
        back_on = np.flatnonzero(self.silent & (self.silent_until <= t))
        self.silent[back_on] = False
        if self.typhoon is not None and t >= self._typhoon_check_at:
            self._typhoon_check_at = t + 60.0
            self._typhoon_recall()

    def _recall_group(self, g: int, *, spread_s: float) -> None:
        self.g_phase[g] = G_RETURNING
        for m in self.members[g]:
            if self.scripted[m]:
                continue
            if self.mode[m] == M_PORT:
                self.leave_at[m] = np.inf
            elif self.home_at[m] == np.inf:
                self.home_at[m] = self.t + self.rng.uniform(0, spread_s)

    def _go_home(self, i: int) -> None:
        g = int(self.group[i])
        back0, back1 = int(self.g_route[g, 2]), int(self.g_route[g, 3])
        self._waypoints()
        ground = (float(self.wp_lon[back0]), float(self.wp_lat[back0]))
        # From the fishing disc the ground point is a straight run at sea; elsewhere route afresh.
        near = math.hypot((self.lon[i] - ground[0]) * float(_mlon(ground[1])), (self.lat[i] - ground[1]) * M_PER_DEG)
        if near < GROUND_RADIUS_M + 4_500 and self.g_port[g] == self.port[i]:
            self._set_route(i, (back0, back1), A_PORT)
        else:
            self._set_route(i, self._home_route(i), A_PORT)

    def _turn_back(self, i: int) -> None:
        g = int(self.group[i])
        out0, out1, back0, back1 = (int(x) for x in self.g_route[g])
        k = int(self.wp[i]) - out0  # heading for outbound waypoint k
        n = out1 - out0
        if self.wp_end[i] != out1 or not 0 < k < n:
            self._set_route(i, self._home_route(i), A_PORT)
            return
        self._set_route(i, (back0, back1), A_PORT, wp=back0 + n - k)

    def _next_action(self, i: int) -> None:
        action = int(self.next_action[i])
        self.until[i] = np.inf
        if action == N_TO_BERTH:
            self._set_route(i, self._lane_routes[int(self.lane[i])]["from_anchor"], A_MOOR)
        elif action == N_DEPART:
            self._set_route(i, self._lane_routes[int(self.lane[i])]["out"], A_EXIT)
        elif action == N_HOME:
            self._set_route(i, self._home_route(i), A_PORT)
        elif action == N_REJOIN:
            self.scripted[i] = False
            g = int(self.group[i])
            self.status[i] = S_FISHING
            if self.g_phase[g] == G_OUT:
                self.mode[i] = M_JOIN
            else:
                self._set_route(i, self._home_route(i), A_PORT)
        elif action == N_EXIT_NEAREST:
            self._exit_nearest(i)
        elif action == N_OFF:
            self.mode[i] = M_OFF
            self.active[i] = False
        else:
            self.mode[i] = M_HOLD

    def _exit_nearest(self, i: int) -> None:
        exits = [keys[0] for _, _, keys, _, _, _ in _LANES]
        here = (float(self.lon[i]), float(self.lat[i]))
        target = min(exits, key=lambda p: (p[0] - here[0]) ** 2 + (p[1] - here[1]) ** 2)
        self._set_route(i, self._add_route(self.sea.route([here, target])), A_EXIT)
        self.scripted[i] = False
        self.lane[i] = -1  # a scenario ship leaves for good

    # ------------------------------------------------------------------ reports

    def _skip_reports(self) -> None:
        """Keep every schedule moving without encoding anything (``advance(..., emit=False)``)."""
        t = self.t
        idx = np.flatnonzero(self.active)
        interval = self._intervals(idx)
        due = t >= self.last_at[idx] + interval
        self.last_at[idx[due]] = t
        self.last_int[idx[due]] = interval[due]
        statics = idx[self.static_at[idx] <= t]
        self.static_at[statics] = t + STATIC_INTERVAL_S
        for f in self._fixed:
            while f["next"] <= t:
                f["next"] += f["every"]

    def _emit(self, out: list[Emission]) -> None:
        t = self.t
        idx = np.flatnonzero(self.active & ~self.silent)
        interval = self._intervals(idx)
        # A faster rate applies at once; a slower one after the current interval.
        due_mask = t >= self.last_at[idx] + np.minimum(interval, self.last_int[idx]) + self.jit[idx]
        due = idx[due_mask]
        due_int = interval[due_mask]
        if len(due):
            self._emit_positions(due, due_int, out)
        statics = idx[(self.static_at[idx] <= t) & (self.kind[idx] != K_SART)]
        for i in statics.tolist():
            self.static_at[i] = t + STATIC_INTERVAL_S + self.rng.uniform(-3, 3)
            self._emit_static(i, out)
        for f in self._fixed:
            if f["next"] <= t:
                f["next"] += f["every"]
                self._emit_fixed(f, out)
        self._fixed = [f for f in self._fixed if f.get("until", np.inf) >= t]

    def _stations_for(self, lon: F64, lat: F64) -> tuple[I64, I64]:
        st_lon = np.array([s.lon for s in self.stations])
        st_lat = np.array([s.lat for s in self.stations])
        d = np.hypot((lon[:, None] - st_lon[None, :]) * 0.865, lat[:, None] - st_lat[None, :])
        order = np.argsort(d, axis=1)
        return order[:, 0], order[:, 1]

    def _emit_positions(self, due: I64, interval: F64, out: list[Emission]) -> None:
        t = self.t
        rng = self.rng
        n = len(due)
        changed = np.abs(interval - self.last_int[due]) > 0.01
        self.last_at[due] = t
        self.last_int[due] = interval
        cls = self.cls[due]
        self.jit[due] = np.where(
            cls == C_B, rng.uniform(-1.0, 1.0, n), np.where(cls == C_BEACON, rng.uniform(-5, 5, n), 0.0)
        )
        noise = rng.standard_normal((5, n))
        lat = self.lat[due] + noise[0] * 4.0 / M_PER_DEG
        lon = self.lon[due] + noise[1] * 4.0 / _mlon(self.lat[due])
        sog = np.maximum(0.0, self.sog[due] + noise[2] * np.where(self.sog[due] > 0.3, 0.1, 0.03))
        slow = sog < 0.3
        cog = (self.cog[due] + noise[3] * np.where(slow, 35.0, 1.5)) % 360
        heading = np.where(self.sog[due] > 0.5, (self.cog[due] + noise[4] * 2.0) % 360, self.hdg_fixed[due])
        lost = rng.random(n) < self.options.loss_rate
        first, second = self._stations_for(lon, lat)
        dup = rng.random(n) < self.options.duplicate_rate
        second_s = int(t)
        for k in range(n):
            if lost[k]:
                continue
            i = int(due[k])
            c = int(cls[k])
            mmsi = int(self.mmsi[i])
            if c in (C_A, C_SART):
                msg_type = 3 if changed[k] and c == C_A else 1
                data: dict[str, Any] = {
                    "type": msg_type,
                    "mmsi": mmsi,
                    "status": int(self.status[i]),
                    "turn": float(max(-60, min(60, round(float(self.turn[i]))))) if c == C_A else -128.0,
                    "speed": round(float(sog[k]), 1),
                    "accuracy": 1,
                    "lon": round(float(lon[k]), 6),
                    "lat": round(float(lat[k]), 6),
                    "course": round(float(cog[k]), 1),
                    "heading": round(float(heading[k])) % 360 if c == C_A else 511,
                    "second": second_s % 60,
                    "maneuver": 0,
                }
            else:
                msg_type = 18
                data = {
                    "type": 18,
                    "mmsi": mmsi,
                    "speed": round(float(sog[k]), 1),
                    "accuracy": 0,
                    "lon": round(float(lon[k]), 6),
                    "lat": round(float(lat[k]), 6),
                    "course": round(float(cog[k]), 1),
                    "heading": 511,
                    "second": second_s % 60,
                    "cs": 1,
                    "display": 0,
                    "dsc": 1 if c == C_B else 0,
                    "band": 1,
                    "msg22": 1,
                }
            sentences = encode_dict(data, talker_id="AI", sentence_type="VDM", radio_channel="AB"[k % 2])
            self._record(out, msg_type, mmsi, sentences, int(first[k]), t)
            if dup[k]:
                self._record(out, msg_type, mmsi, sentences, int(second[k]), t)

    def _emit_static(self, i: int, out: list[Emission]) -> None:
        mmsi = int(self.mmsi[i])
        station = int(self._stations_for(self.lon[i : i + 1], self.lat[i : i + 1])[0][0])
        s = self.statics[i]
        dims = {k: int(s.get(k, 0)) for k in ("to_bow", "to_stern", "to_port", "to_starboard")}
        if self.cls[i] == C_A:
            eta = datetime.fromtimestamp(self.t, UTC) + timedelta(hours=6)
            data: dict[str, Any] = {
                "type": 5,
                "mmsi": mmsi,
                "ais_version": 2,
                "imo": int(s.get("imo", 0)),
                "callsign": self.callsigns[i],
                "shipname": self.names[i],
                "ship_type": int(s.get("ship_type", 30)),
                **dims,
                "epfd": 1,
                "month": eta.month,
                "day": eta.day,
                "hour": eta.hour,
                "minute": 0,
                "draught": float(s.get("draught", 3.0)),
                "destination": str(s.get("destination", "")),
                "dte": 0,
            }
            seq = self._seq[station]
            self._seq[station] = (seq + 1) % 10
            sentences = encode_dict(data, talker_id="AI", sentence_type="VDM", radio_channel="A", seq_id=seq)
            self._record(out, 5, mmsi, sentences, station, self.t)
            return
        part_a: dict[str, Any] = {"type": 24, "mmsi": mmsi, "partno": 0, "shipname": self.names[i]}
        self._record(
            out, 24, mmsi, encode_dict(part_a, talker_id="AI", sentence_type="VDM", radio_channel="B"), station, self.t
        )
        if self.kind[i] == K_BEACON:
            return
        part_b: dict[str, Any] = {
            "type": 24,
            "mmsi": mmsi,
            "partno": 1,
            "ship_type": int(s.get("ship_type", 30)),
            "vendorid": "ZJY",
            "model": 1,
            "serial": int(mmsi % 1_000_000),
            "callsign": self.callsigns[i],
            **dims,
        }
        self._record(
            out, 24, mmsi, encode_dict(part_b, talker_id="AI", sentence_type="VDM", radio_channel="B"), station, self.t
        )

    def _emit_fixed(self, f: dict[str, Any], out: list[Emission]) -> None:
        t = self.t
        if f["type"] == 14:
            unit = int(f["unit"])
            data14 = {"type": 14, "mmsi": f["mmsi"], "text": "SART ACTIVE"}
            station = int(self._stations_for(self.lon[unit : unit + 1], self.lat[unit : unit + 1])[0][0])
            self._record(out, 14, int(f["mmsi"]), encode_dict(data14, talker_id="AI", sentence_type="VDM"), station, t)
            return
        if f["type"] == 4:
            now = datetime.fromtimestamp(t, UTC)
            data: dict[str, Any] = {
                "type": 4,
                "mmsi": f["mmsi"],
                "year": now.year,
                "month": now.month,
                "day": now.day,
                "hour": now.hour,
                "minute": now.minute,
                "second": now.second,
                "accuracy": 1,
                "lon": f["lon"],
                "lat": f["lat"],
                "epfd": 7,
            }
            station = int(f["station"])
        else:
            data = {
                "type": 21,
                "mmsi": f["mmsi"],
                "aid_type": 28 if f.get("virtual") else 24,
                "name": f["name"],
                "accuracy": 1,
                "lon": f["lon"],
                "lat": f["lat"],
                "to_bow": 1,
                "to_stern": 1,
                "to_port": 1,
                "to_starboard": 1,
                "epfd": 7,
                "second": int(t) % 60,
                "virtual_aid": 1 if f.get("virtual") else 0,
            }
            station = int(self._stations_for(np.array([f["lon"]]), np.array([f["lat"]]))[0][0])
        self._record(
            out, int(data["type"]), int(f["mmsi"]), encode_dict(data, talker_id="AI", sentence_type="VDM"), station, t
        )

    def _record(
        self, out: list[Emission], msg_type: int, mmsi: int, sentences: list[str], station: int, t: float
    ) -> None:
        name = self.stations[station].name
        at = int(t)
        if len(sentences) == 1:
            lines: tuple[str, ...] = (tag_block(name, at) + sentences[0],)
        else:
            self._gid[station] = self._gid[station] % 9999 + 1
            gid = self._gid[station]
            count = len(sentences)
            lines = tuple(tag_block(name, at, f"{k}-{count}-{gid}") + s for k, s in enumerate(sentences, start=1))
        out.append(Emission(t, name, msg_type, mmsi, lines))
        self.sentences += len(lines)
        self.by_type[msg_type] += len(lines)

    # ------------------------------------------------------------------ queries

    def index_of(self, mmsi: int | str) -> int:
        """The unit index of an MMSI (raises ScenarioError when unknown)."""
        hits = np.flatnonzero((self.mmsi == int(mmsi)) & self.active)
        if not len(hits):
            raise ScenarioError(f"no simulated transmitter has MMSI {mmsi}")
        return int(hits[0])

    def positions(self) -> dict[str, Any]:
        """The true state of every active unit (for maps and tests): arrays keyed by field."""
        idx = np.flatnonzero(self.active)
        return {
            "mmsi": self.mmsi[idx].copy(),
            "kind": self.kind[idx].copy(),
            "lon": self.lon[idx].copy(),
            "lat": self.lat[idx].copy(),
            "sog_kn": self.sog[idx].copy(),
            "cog_deg": self.cog[idx].copy(),
            "mode": self.mode[idx].copy(),
            "group": self.group[idx].copy(),
            "silent": self.silent[idx].copy(),
        }

    def at_sea(self) -> BOOL:
        """Which units are at sea (fishing vessels not in port nor berthing; others when active)."""
        return np.asarray(self.active & ~np.isin(self.mode, [M_PORT, M_BERTH, M_OFF]), dtype=bool)

    def port_centres(self) -> list[tuple[float, float]]:
        """The centres of the ports vessels use (for port tolerances)."""
        return [p.centre for p in self._ports]

    # ------------------------------------------------------------------ scenarios

    def start_scenario(self, name: str, **params: Any) -> dict[str, Any]:
        """Start a scenario now (at the engine's time) and return what it involves (MMSIs, area, times)."""
        handlers = {
            "crossing": (self._crossing, {"mmsi", "registration_no", "merchant_kn", "cpa_nm", "minutes"}),
            "drift": (self._drift, {"mmsi", "registration_no", "group", "drift_kn", "duration_s"}),
            "silence": (self._silence, {"mmsi", "registration_no", "control_mmsi", "duration_s"}),
            "closed_waters": (
                self._closed_waters,
                {"mmsi", "registration_no", "polygon", "grid", "dwell_s", "speed_kn"},
            ),
            "distress": (self._distress, {"mmsi", "registration_no", "duration_s"}),
            "typhoon": (
                self._typhoon,
                {"name", "distance_km", "speed_kmh", "warning_radius_km", "late_share", "hours"},
            ),
        }
        if name not in handlers:
            raise ScenarioError(f"unknown scenario {name!r}: choose from {', '.join(SCENARIOS)}")
        handler, allowed = handlers[name]
        unknown = set(params) - allowed
        if unknown:
            raise ScenarioError(
                f"{name}: unknown parameter(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(allowed))}"
            )
        result = handler(params)
        result = {"scenario": name, "started_at": _iso(self.t), **result}
        self.scenarios.append(result)
        return result

    def _subject(self, params: dict[str, Any], *, at_sea: bool = True, modes: Iterable[int] = (M_FISH,)) -> int:
        if params.get("mmsi") not in (None, ""):
            i = self.index_of(params["mmsi"])
            if self.kind[i] != K_FISH:
                raise ScenarioError(f"MMSI {params['mmsi']} is not a fishing vessel")
            return i
        if params.get("registration_no"):
            try:
                v = self.world.registration_nos.index(str(params["registration_no"]))
            except ValueError as exc:
                raise ScenarioError(f"no vessel {params['registration_no']}") from exc
            return v
        base = (self.kind == K_FISH) & self.active & ~self.scripted & ~self.silent
        for mode in [*modes, M_JOIN, M_ROUTE]:
            cand = (
                np.flatnonzero(base & (self.mode == mode)) if at_sea else np.flatnonzero(base & (self.mode == M_PORT))
            )
            if len(cand):
                return int(self.rng.choice(cand))
        raise ScenarioError("no fishing vessel fits this scenario right now")

    def _describe(self, i: int) -> dict[str, Any]:
        v = int(self.vessel[i])
        return {
            "mmsi": int(self.mmsi[i]),
            "vessel_id": self.world.vessel_ids[v] if v >= 0 else None,
            "registration_no": self.world.registration_nos[v] if v >= 0 else None,
            "name": self.names[i],
            "lon": round(float(self.lon[i]), 5),
            "lat": round(float(self.lat[i]), 5),
        }

    def _script_vector(self, i: int, sog_kn: float, cog_deg: float, seconds: float, then: int, status: int) -> None:
        self.scripted[i] = True
        self.mode[i] = M_VECTOR
        self.vec_e[i] = sog_kn * KN_MS * math.sin(math.radians(cog_deg))
        self.vec_n[i] = sog_kn * KN_MS * math.cos(math.radians(cog_deg))
        self.until[i] = self.t + seconds
        self.next_action[i] = then
        self.status[i] = status
        self.home_at[i] = np.inf
        self.leave_at[i] = np.inf

    def _run_clear(self, lon: float, lat: float, sog_kn: float, cog_deg: float, seconds: float) -> float:
        """How long (s, up to ``seconds``) a straight run stays in sea with a corridor."""
        step = 300.0
        t = 0.0
        here = (lon, lat)
        ve, vn = sog_kn * KN_MS * math.sin(math.radians(cog_deg)), sog_kn * KN_MS * math.cos(math.radians(cog_deg))
        while t < seconds:
            nxt = (here[0] + ve * step / float(_mlon(here[1])), here[1] + vn * step / M_PER_DEG)
            if not self.sea.clear(here, nxt, 300.0):
                return t
            here, t = nxt, t + step
        return seconds

    def _new_unit(self, kind: int) -> int:
        spare = np.flatnonzero(~self.active & (self.kind == kind) & (self.mode == M_OFF) & (self.vessel < 0))
        i = int(spare[0]) if len(spare) else self._grow(1)
        self.kind[i] = kind
        return i

    def _crossing(self, params: dict[str, Any]) -> dict[str, Any]:
        merchant_kn = float(params.get("merchant_kn", 12.0))
        cpa_m = float(params.get("cpa_nm", 0.1)) * NM_M
        lead_s = float(params.get("minutes", 10.0)) * 60
        tried: set[int] = set()
        for _ in range(40):
            i = self._subject(params)
            if i in tried and "mmsi" not in params:
                continue
            tried.add(i)
            sog = float(np.clip(self.sog[i], 0.3, 4.0))
            cog = float(self.cog[i])
            if self._run_clear(float(self.lon[i]), float(self.lat[i]), sog, cog, 1800) < 1800:
                if params.get("mmsi"):
                    raise ScenarioError("the chosen vessel is too close to land for a crossing")
                continue
            mlon = float(_mlon(self.lat[i]))
            meet_e, meet_n = (
                sog * KN_MS * math.sin(math.radians(cog)) * lead_s,
                sog * KN_MS * math.cos(math.radians(cog)) * lead_s,
            )
            for rel in (90, -90, 70, -70, 110, -110, 50, -50, 130, -130):
                mc = (cog + rel) % 360
                ue, un = math.sin(math.radians(mc)), math.cos(math.radians(mc))
                run = merchant_kn * KN_MS * lead_s
                # Aim a little to one side of the meeting point so the CPA is ``cpa_m`` rather than zero.
                pe, pn = meet_e + un * cpa_m, meet_n - ue * cpa_m
                start = (float(self.lon[i]) + (pe - ue * run) / mlon, float(self.lat[i]) + (pn - un * run) / M_PER_DEG)
                if self._run_clear(*start, merchant_kn, mc, lead_s + 1800) < lead_s + 1800:
                    continue
                shift = 3.0 * NM_M
                control = None
                for side in (1, -1):
                    c = (start[0] + side * un * shift / mlon, start[1] - side * ue * shift / M_PER_DEG)
                    if self._run_clear(*c, merchant_kn, mc, lead_s + 1800) >= lead_s + 1800:
                        control = c
                        break
                if control is None:
                    continue
                self._script_vector(i, sog, cog, lead_s + 900, N_REJOIN, int(self.status[i]))
                ships = []
                for pos in (start, control):
                    m = self._new_unit(K_MERCHANT)
                    self._merchant_identity(m)
                    self.lane[m] = -1
                    self.lon[m], self.lat[m] = pos
                    self.cruise[m] = merchant_kn
                    self._script_vector(m, merchant_kn, mc, lead_s + 1800, N_EXIT_NEAREST, S_UNDERWAY)
                    self.sog[m], self.cog[m] = merchant_kn, mc
                    self.last_at[m] = -np.inf
                    self.last_int[m] = 10.0
                    ships.append(m)
                return {
                    "subject_mmsi": int(self.mmsi[i]),
                    "merchant_mmsi": int(self.mmsi[ships[0]]),
                    "control_mmsi": int(self.mmsi[ships[1]]),
                    "subject": self._describe(i),
                    "merchant": self._describe(ships[0]),
                    "control": self._describe(ships[1]),
                    "meet_at": _iso(self.t + lead_s),
                    "planned_cpa_nm": round(cpa_m / NM_M, 2),
                    "control_cpa_nm": 3.0,
                }
            if params.get("mmsi"):
                break
        raise ScenarioError("no open water for a crossing near a fishing vessel at sea")

    def _drift(self, params: dict[str, Any]) -> dict[str, Any]:
        drift_kn = float(params.get("drift_kn", 1.5))
        if not 0.2 <= drift_kn <= 5:
            raise ScenarioError("drift_kn must lie between 0.2 and 5")
        duration = float(params.get("duration_s", 4 * 3600))
        if params.get("group"):
            try:
                g = self.group_codes.index(str(params["group"]))
            except ValueError as exc:
                raise ScenarioError(f"no group {params['group']}") from exc
            cands = [m for m in self.members[g] if self.mode[m] == M_FISH and not self.scripted[m]]
            if not cands:
                raise ScenarioError(f"group {params['group']} is not fishing now")
            subjects = [cands[0]]
        elif params.get("mmsi") or params.get("registration_no"):
            subjects = [self._subject(params)]
        else:
            fishing = [
                g
                for g in range(len(self.members))
                if sum(self.mode[m] == M_FISH and not self.scripted[m] for m in self.members[g]) >= 3
            ]
            if not fishing:
                raise ScenarioError("no group of three or more is fishing now")
            # Prefer drifting gear (their centre barely moves) and the tighter limits.
            fishing.sort(key=lambda g: (self.g_pattern[g] == P_TOW, self.g_limit[g]))
            subjects = [next(m for m in self.members[fishing[0]] if self.mode[m] == M_FISH and not self.scripted[m])]
        i = subjects[0]
        g = int(self.group[i])
        if self.mode[i] not in (M_FISH, M_JOIN):
            raise ScenarioError("the vessel is not fishing with its group")
        mates = [m for m in self.members[g] if m != i and self.mode[m] == M_FISH]
        cx = float(np.mean(self.lon[mates])) if mates else float(self.g_c_lon[g])
        cy = float(np.mean(self.lat[mates])) if mates else float(self.g_c_lat[g])
        away = float(
            _bearing(np.array([(self.lon[i] - cx) * _mlon(cy)]), np.array([(self.lat[i] - cy) * M_PER_DEG]))[0]
        )
        limit = float(self.g_limit[g])
        need = limit * 1.6 / (drift_kn * KN_MS)
        best, best_run = away, -1.0
        head = float(self.g_head[g]) if self.g_pattern[g] == P_TOW else away
        for rel in (0, 30, -30, 60, -60, 90, -90, 120, -120, 180):
            c = (away + rel) % 360
            if self.g_pattern[g] == P_TOW:
                c = (head + 90 + rel) % 360  # across the tow, so the trawl legs do not follow it
            run = self._run_clear(float(self.lon[i]), float(self.lat[i]), drift_kn, c, min(duration, need * 2))
            if run > best_run:
                best, best_run = c, run
            if run >= need:
                break
        self._script_vector(i, drift_kn, best, min(duration, best_run), N_REJOIN, S_FISHING)
        return {
            "subject_mmsi": int(self.mmsi[i]),
            "subject": self._describe(i),
            "group": self.group_codes[g],
            "limit_m": limit,
            "member_mmsis": [int(self.mmsi[m]) for m in self.members[g] if m != i and self.active[m]],
            "drift_kn": drift_kn,
            "drift_cog_deg": round(best, 1),
            "beyond_limit_after_s": round(limit / (drift_kn * KN_MS)),
            "ends_at": _iso(self.t + min(duration, best_run)),
        }

    def _silence(self, params: dict[str, Any]) -> dict[str, Any]:
        duration = float(params.get("duration_s", 2 * 3600))
        i = self._subject(params)
        if params.get("control_mmsi"):
            c = self.index_of(params["control_mmsi"])
        else:
            try:
                c = self._subject({}, at_sea=False)
            except ScenarioError:  # nobody in port: a vessel of another group at sea is the control
                others = (self.kind == K_FISH) & self.active & ~self.silent & (self.group != self.group[i])
                if not others.any():
                    raise
                c = int(self.rng.choice(np.flatnonzero(others)))
        until = self.t + duration if duration > 0 else np.inf
        for k in (i, c):
            self.silent[k] = True
            self.silent_until[k] = until
        return {
            "subject_mmsi": int(self.mmsi[i]),
            "control_mmsi": int(self.mmsi[c]),
            "subject": self._describe(i),
            "control": self._describe(c),
            "control_in_port": bool(self.mode[c] == M_PORT),
            "until": _iso(until) if np.isfinite(until) else None,
        }

    def _closed_waters(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("polygon") is not None:
            area = area_from_geojson(params["polygon"])
        else:
            code = params.get("grid")
            areas = self.world.areas
            pick = (
                [a for a in areas if a.code == code]
                if code
                else sorted((a for a in areas if a.family == "control"), key=lambda a: a.code)
            )
            if not pick:
                raise ScenarioError(
                    f"no sea grid {code}" if code else "no control sea grid in the world: pass a polygon"
                )
            area = pick[0]
        sea = self.sea
        inside = points_in_area(
            np.repeat(sea.lon[None, :], SEA_NY, 0).ravel(), np.repeat(sea.lat[:, None], SEA_NX, 1).ravel(), area
        )
        inside = inside.reshape(SEA_NY, SEA_NX)
        core = inside & sea.sea & (sea.clear_km >= 1.0)
        core &= np.roll(inside, 1, 0) & np.roll(inside, -1, 0) & np.roll(inside, 1, 1) & np.roll(inside, -1, 1)
        targets = np.flatnonzero(core.ravel())
        if not len(targets):
            raise ScenarioError(f"area {area.code} has no open sea inside the simulated box")
        tx, ty = sea.lon[targets % SEA_NX], sea.lat[targets // SEA_NX]
        if params.get("mmsi") or params.get("registration_no"):
            i = self._subject(params)
        else:
            cand = np.flatnonzero(
                (self.kind == K_FISH)
                & self.active
                & ~self.scripted
                & ~self.silent
                & np.isin(self.mode, [M_FISH, M_JOIN, M_ROUTE])
            )
            if not len(cand):
                raise ScenarioError("no fishing vessel at sea")
            cand = cand[~points_in_area(self.lon[cand], self.lat[cand], area)]
            if not len(cand):
                raise ScenarioError("every vessel at sea is already inside the area")
            d = np.hypot((self.lon[cand, None] - tx[None, :]) * 0.865, self.lat[cand, None] - ty[None, :]).min(axis=1)
            i = int(cand[np.argmin(d)])
        src = sea.snap(float(self.lon[i]), float(self.lat[i]))
        dist, _ = sea.tree(src)
        target = int(targets[np.argmin(dist[targets])])
        if not np.isfinite(dist[target]):
            raise ScenarioError("the area cannot be reached by sea")
        cells = sea.cells_to(target, src)[::-1]
        here = (float(self.lon[i]), float(self.lat[i]))
        pts = sea.pull([here] + [sea.cell_centre(c) for c in cells])
        span = self._add_route(pts)
        speed = float(params.get("speed_kn", 9.0))
        self.scripted[i] = True
        self.cruise[i] = speed
        self.home_at[i] = np.inf
        self._set_route(i, span, A_DWELL)
        self.dwell_s[i] = float(params.get("dwell_s", 3600.0))
        eta = self.t + self._route_length(*span) / (speed * KN_MS)
        return {
            "subject_mmsi": int(self.mmsi[i]),
            "subject": self._describe(i),
            "area": area.code,
            "target": [round(pts[-1][0], 5), round(pts[-1][1], 5)],
            "eta": _iso(eta),
        }

    def _distress(self, params: dict[str, Any]) -> dict[str, Any]:
        duration = float(params.get("duration_s", 2 * 3600))
        for _ in range(20):
            i = self._subject(params)
            cog = float(self.rng.uniform(0, 360))
            if self._run_clear(float(self.lon[i]), float(self.lat[i]), 0.4, cog, duration) >= duration or params.get(
                "mmsi"
            ):
                break
        self._script_vector(i, 0.4, cog, duration, N_HOME, S_NUC)
        s = self._new_unit(K_SART)
        self.mmsi[s] = self._new_mmsi(970_413_000)
        self.cls[s] = C_SART
        self.active[s] = True
        self.silent[s] = False
        self.names[s] = "SART"
        self.lon[s] = self.lon[i] + 15.0 / float(_mlon(self.lat[i]))
        self.lat[s] = self.lat[i]
        self._script_vector(s, 0.4, cog, duration, N_OFF, S_SART)
        self.last_at[s] = -np.inf
        self.last_int[s] = 60.0
        self.static_at[s] = np.inf
        self._fixed.append(
            {
                "type": 14,
                "mmsi": int(self.mmsi[s]),
                "unit": s,
                "every": 240.0,
                "next": self.t,
                "until": self.t + duration,
                "k": len(self._fixed),
            }
        )
        return {
            "subject_mmsi": int(self.mmsi[i]),
            "sart_mmsi": int(self.mmsi[s]),
            "subject": self._describe(i),
            "position": [round(float(self.lon[s]), 5), round(float(self.lat[s]), 5)],
            "until": _iso(self.t + duration),
        }

    # ------------------------------------------------------------------ typhoon

    def _typhoon(self, params: dict[str, Any]) -> dict[str, Any]:
        name = str(params.get("name", "DEMO"))
        distance_km = float(params.get("distance_km", 520.0))
        speed_kmh = float(params.get("speed_kmh", 20.0))
        warn_km = float(params.get("warning_radius_km", 500.0))
        late = float(params.get("late_share", 0.05))
        hours = int(params.get("hours", 72))
        if not (0 < speed_kmh < 80 and 0 < warn_km < 2000 and 0 <= late <= 1 and 1 <= hours <= 240):
            raise ScenarioError("typhoon: speed_kmh, warning_radius_km, late_share or hours out of range")
        ref_lon, ref_lat = 122.5, 30.0
        lon = ref_lon + distance_km * 1000 * math.sin(math.radians(135)) / float(_mlon(ref_lat))
        lat = ref_lat + distance_km * 1000 * math.cos(math.radians(135)) / M_PER_DEG
        track = []
        for h in range(hours + 1):
            heading = 315.0 + 30.0 * min(h / 48.0, 1.0)  # recurving northwards
            r7 = 300.0 + h * 0.8
            track.append(
                {
                    "at": _iso(self.t + h * 3600),
                    "lon": round(lon, 3),
                    "lat": round(lat, 3),
                    "r7_km": round(r7),
                    "r10_km": round(r7 * 0.5),
                    "r12_km": round(r7 * 0.25),
                    "max_wind_ms": 45 if h < 36 else 38,
                    "pressure_hpa": 950 if h < 36 else 965,
                }
            )
            step = speed_kmh * 1000
            lat_next = lat + step * math.cos(math.radians(heading)) / M_PER_DEG
            lon += step * math.sin(math.radians(heading)) / float(_mlon(lat))
            lat = lat_next
        self.typhoon = {
            "name": name,
            "t0": self.t,
            "lon": np.array([p["lon"] for p in track]),
            "lat": np.array([p["lat"] for p in track]),
            "warn_m": warn_km * 1000,
            "late": late,
            "ends": self.t + hours * 3600,
        }
        self._typhoon_check_at = self.t
        before = int((self.at_sea() & (self.kind == K_FISH)).sum())
        self._typhoon_recall()
        return {
            "name": name,
            "warning_radius_km": warn_km,
            "speed_kmh": speed_kmh,
            "track": track,
            "at_sea": before,
            "recalled": int(self.recalled.sum()),
        }

    def typhoon_centre(self) -> tuple[float, float] | None:
        """The typhoon's centre now (lon, lat), if one is active."""
        ty = self.typhoon
        if ty is None or self.t > ty["ends"]:
            return None
        h = (self.t - ty["t0"]) / 3600.0
        return float(np.interp(h, np.arange(len(ty["lon"])), ty["lon"])), float(
            np.interp(h, np.arange(len(ty["lat"])), ty["lat"])
        )

    def _typhoon_blocks(self) -> bool:
        centre = self.typhoon_centre()
        if centre is None or self.typhoon is None:
            return False
        ref = self._ports[0].centre
        d = math.hypot((centre[0] - ref[0]) * float(_mlon(ref[1])), (centre[1] - ref[1]) * M_PER_DEG)
        return d < float(self.typhoon["warn_m"]) * 1.2

    def _typhoon_recall(self) -> None:
        centre = self.typhoon_centre()
        if centre is None:
            self.typhoon = None
            return
        assert self.typhoon is not None
        if self._typhoon_blocks():  # nobody sails while it threatens: outbound groups turn home at their ground
            for g in np.flatnonzero(self.g_phase == G_OUT).tolist():
                self.g_phase[g] = G_RETURNING
                self.leave_at[self.members[g]] = np.where(
                    self.mode[self.members[g]] == M_PORT, np.inf, self.leave_at[self.members[g]]
                )
        fish = np.flatnonzero(
            (self.kind == K_FISH) & self.active & ~self.recalled & np.isin(self.mode, [M_FISH, M_JOIN, M_ROUTE])
        )
        if not len(fish):
            return
        d = np.hypot((self.lon[fish] - centre[0]) * _mlon(self.lat[fish]), (self.lat[fish] - centre[1]) * M_PER_DEG)
        hit = fish[d <= self.typhoon["warn_m"]]
        late = self.rng.random(len(hit)) < self.typhoon["late"]
        for i, is_late in zip(hit.tolist(), late.tolist(), strict=True):
            self.recalled[i] = True
            if self.mode[i] == M_ROUTE and self.after[i] == A_PORT:
                continue
            if self.mode[i] == M_ROUTE:  # steaming out: turn back at once
                delay = self.rng.uniform(0, 0.3) * 3600
            else:  # fishing: hauling takes a while, and a few stay out late
                delay = self.rng.uniform(5, 9) * 3600 if is_late else self.rng.uniform(0, 2) * 3600
            g = int(self.group[i])
            if self.g_phase[g] == G_OUT:
                self.g_phase[g] = G_RETURNING
                for m in self.members[g]:
                    if self.mode[m] == M_PORT:
                        self.leave_at[m] = np.inf
            if not self.scripted[i]:
                self.home_at[i] = self.t + delay


def _seconds(value: datetime | float) -> float:
    """Unix seconds of an aware datetime, or the number itself."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    return float(value)


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


# ------------------------------------------------------------------------------------------- a synthetic world


def synthetic_world(
    ports: Sequence[SimPort],
    *,
    vessels: int = 8_200,
    groups: int = 770,
    class_a_share: float = 0.75,
    seed: int = 1,
    areas: Sequence[SimArea] = (),
) -> SimWorld:
    """A registry-shaped world without a database: vessels split into groups of one gear around the given ports."""
    rng = np.random.default_rng(seed)
    gears = ("trawl", "gillnet", "stow_net", "purse_seine", "light_purse_seine", "squid_jigging", "cage", "longline")
    weights = np.array([0.44, 0.18, 0.10, 0.05, 0.05, 0.05, 0.06, 0.04])
    fishing_ports = [k for k, p in enumerate(ports) if p.kind != "anchorage"] or list(range(len(ports)))
    group_gear = [str(g) for g in rng.choice(gears, groups, p=weights / weights.sum())]
    group_port = [int(fishing_ports[k % len(fishing_ports)]) for k in range(groups)]
    membership = np.sort(np.concatenate([np.arange(groups), rng.integers(0, groups, max(0, vessels - groups))]))[
        :vessels
    ]
    mmsis = rng.choice(np.arange(412_000_000, 415_000_000), vessels, replace=False)
    return SimWorld(
        vessel_ids=list(range(1, vessels + 1)),
        registration_nos=[f"浙普渔{10000 + k}" for k in range(vessels)],
        mmsis=[str(int(m)) for m in mmsis],
        ais_classes=["A" if rng.random() < class_a_share else "B" for _ in range(vessels)],
        lengths_m=[float(x) for x in rng.uniform(14, 50, vessels).round(1)],
        operation_types=[group_gear[int(g)] for g in membership],
        home_ports=[group_port[int(g)] for g in membership],
        groups=[int(g) for g in membership],
        beidou_ids=[f"BD{k + 1:07d}" for k in range(vessels)],
        group_codes=[f"BZ{k:04d}" for k in range(groups)],
        group_operation_types=group_gear,
        group_limits_m=[float(x) for x in rng.choice([3_704.0, 5_556.0, 9_260.0], groups)],
        ports=list(ports),
        areas=list(areas),
    )
