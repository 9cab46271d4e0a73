"""The demo's geography: Zhoushan's islands traced from a real land mask, partitioned into areas and grids.

Island outlines come from the GLOBE 1 km land mask shipped in the ``global-land-mask`` package. Land connected to
the edge of the study box is the mainland (Ningbo, Shanghai) and is left out. Every Zhoushan land cell of the mask
is split into a fine lattice (1/1200°, about 100 m); each fine cell goes to the nearest of the 43 township seeds
(real names, approximate real positions), then to a village by k-means inside its township, then to a grid by
k-means inside its village. Polygons are unions of lattice cells built in integer lattice coordinates and mapped
to degrees by one formula, so neighbouring polygons share their edges exactly: the partition has no gap and no
overlap by construction, and ``pingan grids check`` verifies it independently.

Sea grids partition the sea of the study box (the box less all land, mainland included) into 15 static,
12 control and 3 patrol grids.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy import ndimage
from scipy.cluster.vq import kmeans2
from scipy.spatial import cKDTree

from pingan.grids.models import DedicatedType, GridKind, SeaGridFamily
from pingan.org.models import UnitKind

# Study box in lattice units of the mask (1/120°): lon 121.70–123.15, lat 29.45–30.98.
COARSE = 120
FINE = 1200
SCALE = FINE // COARSE
LON0, LAT0 = 121.70, 29.45
COARSE_NX, COARSE_NY = 174, 184
TOTAL_GRIDS = 2360
TOTAL_VILLAGES = 390

# (code, name, English, district code, lon, lat)
TOWNSHIPS: tuple[tuple[str, str, str, str, float, float], ...] = (
    ("330902001", "解放街道", "Jiefang Street", "330902", 122.105, 30.015),
    ("330902002", "昌国街道", "Changguo Street", "330902", 122.085, 30.030),
    ("330902003", "环南街道", "Huannan Street", "330902", 122.115, 29.995),
    ("330902004", "城东街道", "Chengdong Street", "330902", 122.135, 30.020),
    ("330902005", "盐仓街道", "Yancang Street", "330902", 122.060, 30.035),
    ("330902006", "临城街道", "Lincheng Street", "330902", 122.200, 29.995),
    ("330902007", "千岛街道", "Qiandao Street", "330902", 122.170, 30.040),
    ("330902008", "岑港街道", "Cengang Street", "330902", 121.990, 30.080),
    ("330902009", "马岙街道", "Ma'ao Street", "330902", 122.060, 30.110),
    ("330902010", "双桥街道", "Shuangqiao Street", "330902", 122.030, 30.055),
    ("330902011", "小沙街道", "Xiaosha Street", "330902", 122.020, 30.130),
    ("330902101", "白泉镇", "Baiquan Town", "330902", 122.190, 30.085),
    ("330902102", "金塘镇", "Jintang Town", "330902", 121.880, 30.030),
    ("330902103", "干览镇", "Ganlan Town", "330902", 122.235, 30.110),
    ("330902201", "北蝉乡", "Beichan Township", "330902", 122.280, 30.070),
    ("330902202", "长白乡", "Changbai Township", "330902", 122.080, 30.170),
    ("330903001", "沈家门街道", "Shenjiamen Street", "330903", 122.300, 29.950),
    ("330903002", "东港街道", "Donggang Street", "330903", 122.335, 29.965),
    ("330903003", "朱家尖街道", "Zhujiajian Street", "330903", 122.390, 29.900),
    ("330903004", "展茅街道", "Zhanmao Street", "330903", 122.330, 30.040),
    ("330903005", "勾山街道", "Goushan Street", "330903", 122.265, 29.975),
    ("330903101", "六横镇", "Liuheng Town", "330903", 122.130, 29.730),
    ("330903102", "桃花镇", "Taohua Town", "330903", 122.270, 29.810),
    ("330903103", "虾峙镇", "Xiazhi Town", "330903", 122.270, 29.750),
    ("330903104", "东极镇", "Dongji Town", "330903", 122.680, 30.180),
    ("330903105", "普陀山镇", "Putuoshan Town", "330903", 122.385, 30.005),
    ("330903201", "白沙乡", "Baisha Township", "330903", 122.480, 29.950),
    ("330903202", "登步乡", "Dengbu Township", "330903", 122.330, 29.880),
    ("330903203", "蚂蚁岛乡", "Mayidao Township", "330903", 122.245, 29.870),
    ("330921101", "高亭镇", "Gaoting Town", "330921", 122.200, 30.245),
    ("330921102", "东沙镇", "Dongsha Town", "330921", 122.120, 30.300),
    ("330921103", "岱西镇", "Daixi Town", "330921", 122.070, 30.280),
    ("330921104", "岱东镇", "Daidong Town", "330921", 122.250, 30.300),
    ("330921105", "长涂镇", "Changtu Town", "330921", 122.300, 30.250),
    ("330921106", "衢山镇", "Qushan Town", "330921", 122.330, 30.440),
    ("330921201", "秀山乡", "Xiushan Township", "330921", 122.170, 30.165),
    ("330922101", "菜园镇", "Caiyuan Town", "330922", 122.450, 30.725),
    ("330922102", "嵊山镇", "Shengshan Town", "330922", 122.810, 30.720),
    ("330922103", "洋山镇", "Yangshan Town", "330922", 122.060, 30.620),
    ("330922201", "五龙乡", "Wulong Township", "330922", 122.520, 30.735),
    ("330922202", "黄龙乡", "Huanglong Township", "330922", 122.610, 30.690),
    ("330922203", "枸杞乡", "Gouqi Township", "330922", 122.770, 30.715),
    ("330922204", "花鸟乡", "Huaniao Township", "330922", 122.680, 30.845),
)
DISTRICTS = {"330902": "定海区", "330903": "普陀区", "330921": "岱山县", "330922": "嵊泗县"}
# Community (社区) names for streets and village (村) names elsewhere; combined with a prefix for uniqueness.
_PLACE = [
    "东港",
    "海滨",
    "新城",
    "渔港",
    "南岙",
    "北岙",
    "石礁",
    "沙湾",
    "山前",
    "后岸",
    "大岙",
    "小岙",
    "东岙",
    "西岙",
    "南峰",
    "北峰",
    "金沙",
    "银沙",
    "长峙",
    "双塘",
    "螺门",
    "岙山",
    "鲁家",
    "涨次",
    "蒲湾",
    "墩头",
    "茅岭",
    "竹山",
    "泥螺",
    "盐场",
    "青岭",
    "白峰",
    "龙潭",
    "凤凰",
    "鸭蛋",
    "黄沙",
    "乌沙",
    "马峙",
    "桥头",
    "中街",
]
# The villages already in the foundation's demo organisation keep their codes and names.
KNOWN_VILLAGES = {"330903001001": "渔港社区", "330903001002": "东河社区", "330903102201": "桃花村"}
DENSITY = {UnitKind.TOWNSHIP: 1.0}  # grids per area weight below
_WEIGHT_BY_SUFFIX = {"街道": 3.0, "镇": 1.0, "乡": 0.8}


@dataclass
class AreaSpec:
    """An administrative area with its outline (lon/lat)."""

    code: str
    name: str
    name_en: str | None
    kind: UnitKind
    parent_code: str | None
    polygon: shapely.Geometry


@dataclass
class GridSpec:
    """A land grid to create."""

    code: str
    name: str
    kind: GridKind
    dedicated_type: DedicatedType | None
    village_code: str
    polygon: shapely.Geometry


@dataclass
class SeaGridSpec:
    """A sea grid to create."""

    code: str
    name: str
    family: SeaGridFamily
    responsible_unit_code: str
    description: str
    polygon: shapely.Geometry


@dataclass
class Geography:
    """Everything the demo registry holds about places."""

    areas: list[AreaSpec] = field(default_factory=list)
    grids: list[GridSpec] = field(default_factory=list)
    sea_grids: list[SeaGridSpec] = field(default_factory=list)
    islands: list[tuple[str, shapely.Geometry]] = field(default_factory=list)


def _to_degrees(geom: shapely.Geometry) -> shapely.Geometry:
    """Map integer fine-lattice coordinates to lon/lat with one formula (shared vertices stay identical)."""
    return shapely.transform(geom, lambda xy: np.column_stack([LON0 + xy[:, 0] / FINE, LAT0 + xy[:, 1] / FINE]))


def _coarse_centres() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    lons = LON0 + (np.arange(COARSE_NX) + 0.5) / COARSE
    lats = LAT0 + (np.arange(COARSE_NY) + 0.5) / COARSE
    return np.meshgrid(lons, lats)


def land_masks() -> tuple[NDArray[np.bool_], NDArray[np.int32]]:
    """(all land, Zhoushan island labels) on the coarse lattice; labels are 0 at sea and on the mainland."""
    from global_land_mask import globe

    lon, lat = _coarse_centres()
    land = globe.is_land(lat, lon)
    labels, _ = ndimage.label(land)
    touching = np.unique(np.concatenate([labels[0, :], labels[-1, :], labels[:, 0], labels[:, -1]]))
    islands = np.where(np.isin(labels, touching), 0, labels).astype(np.int32)
    return land, islands


def _runs_to_polygons(raster: NDArray[np.int32], scale: int) -> dict[int, shapely.Geometry]:
    """Union the cells of each non-negative value into one polygon, in integer fine-lattice units."""
    ny, nx = raster.shape
    boxes: dict[int, list[tuple[int, int, int, int]]] = {}
    for y in range(ny):
        row = raster[y]
        change = np.flatnonzero(np.diff(row)) + 1
        starts = np.concatenate([[0], change])
        ends = np.concatenate([change, [nx]])
        for s, e in zip(starts, ends, strict=True):
            value = int(row[s])
            if value >= 0:
                boxes.setdefault(value, []).append((s * scale, y * scale, e * scale, (y + 1) * scale))
    out = {}
    for value, rects in boxes.items():
        arr = np.array(rects, dtype=np.float64)
        out[value] = shapely.union_all(shapely.box(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]))
    return out


def _split_to(points: NDArray[np.float64], k: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """Cluster points into exactly ``k`` non-empty groups (k-means, then split the largest to fill gaps)."""
    if k <= 1 or len(points) <= 1:
        return np.zeros(len(points), dtype=np.int64)
    k = min(k, len(points))
    _, labels = kmeans2(points, k, minit="++", iter=8, seed=rng)
    _, labels = np.unique(labels, return_inverse=True)
    while labels.max() + 1 < k:
        sizes = np.bincount(labels)
        big = int(sizes.argmax())
        members = np.flatnonzero(labels == big)
        spread = points[members].max(axis=0) - points[members].min(axis=0)
        axis = int(spread.argmax())
        order = members[np.argsort(points[members, axis], kind="stable")]
        labels[order[len(order) // 2 :]] = labels.max() + 1
    return labels


def _allocate(weights: NDArray[np.float64], total: int, floor: NDArray[np.int64], cap: NDArray[np.int64]) -> list[int]:
    """Largest-remainder allocation of ``total`` by ``weights`` with per-item floor and cap."""
    share = weights / weights.sum() * total
    counts = np.clip(np.floor(share).astype(np.int64), floor, cap)
    order = np.argsort(-(share - np.floor(share)))
    i = 0
    while counts.sum() < total:
        j = order[i % len(order)]
        if counts[j] < cap[j]:
            counts[j] += 1
        i += 1
    while counts.sum() > total:
        j = int(np.argmax(counts - floor))
        counts[j] -= 1
    return [int(c) for c in counts]


def build_geography(seed: int = 20261129) -> Geography:
    """Build the demo's areas, 2,360 land grids, 30 sea grids and island outlines (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    land, islands = land_masks()
    fine_zs = np.kron(islands > 0, np.ones((SCALE, SCALE), dtype=bool))
    fy, fx = np.nonzero(fine_zs)
    cos_lat = math.cos(math.radians(30.0))
    xy = np.column_stack([(fx + 0.5) / FINE * cos_lat, (fy + 0.5) / FINE])

    # Townships: nearest seed, each seed first snapped to a distinct land cell.
    cell_tree = cKDTree(xy)
    seeds = []
    taken: set[int] = set()
    for _, _, _, _, lon, lat in TOWNSHIPS:
        target = [(lon - LON0) * cos_lat, lat - LAT0]
        _, candidates = cell_tree.query(target, k=64)
        pick = next(int(c) for c in candidates if int(c) not in taken)
        taken.add(pick)
        seeds.append(xy[pick])
    township_of = cKDTree(np.array(seeds)).query(xy)[1]

    # Villages per township, then grids per village.
    t_cells = np.bincount(township_of, minlength=len(TOWNSHIPS)).astype(np.float64)
    village_counts = _allocate(
        t_cells, TOTAL_VILLAGES, np.full(len(TOWNSHIPS), 2), np.maximum(2, (t_cells // 40).astype(np.int64))
    )
    village_of = np.full(len(xy), -1, dtype=np.int64)
    village_meta: list[tuple[int, str]] = []  # (township index, village code)
    for t, (tcode, tname, *_rest) in enumerate(TOWNSHIPS):
        members = np.flatnonzero(township_of == t)
        labels = _split_to(xy[members], village_counts[t], rng)
        order = _reading_order(xy[members], labels)
        community = tname.endswith("街道")
        for rank, label in enumerate(order):
            number = rank + 1 if community else 200 + rank + 1
            village_of[members[labels == label]] = len(village_meta)
            village_meta.append((t, f"{tcode}{number:03d}"))

    v_cells = np.bincount(village_of, minlength=len(village_meta)).astype(np.float64)
    weight = np.array([_WEIGHT_BY_SUFFIX[_suffix(TOWNSHIPS[t][1])] for t, _ in village_meta]) * v_cells
    grid_counts = _allocate(
        weight, TOTAL_GRIDS, np.ones(len(village_meta), dtype=np.int64), (v_cells // 6).astype(np.int64)
    )
    grid_of = np.full(len(xy), -1, dtype=np.int64)
    grid_meta: list[tuple[int, int]] = []  # (village index, sequence)
    for v in range(len(village_meta)):
        members = np.flatnonzero(village_of == v)
        labels = _split_to(xy[members], grid_counts[v], rng)
        for rank, label in enumerate(_reading_order(xy[members], labels)):
            grid_of[members[labels == label]] = len(grid_meta)
            grid_meta.append((v, rank + 1))

    raster = np.full(fine_zs.shape, -1, dtype=np.int32)
    raster[fy, fx] = grid_of
    grid_polys = _runs_to_polygons(raster, 1)

    geo = Geography()
    village_polys: dict[int, list[shapely.Geometry]] = {}
    names = _village_names(village_meta, rng)
    for g, (v, seq) in enumerate(grid_meta):
        village_polys.setdefault(v, []).append(grid_polys[g])
        vcode = village_meta[v][1]
        dedicated = _dedicated(v, seq, grid_counts[v])
        kind = GridKind.DEDICATED if dedicated else GridKind.BASIC
        label = f"{names[v]}{_DEDICATED_LABEL[dedicated]}专属网格" if dedicated else f"{names[v]}第{seq}网格"
        geo.grids.append(GridSpec(f"{vcode}{seq:03d}", label, kind, dedicated, vcode, _to_degrees(grid_polys[g])))

    township_polys: dict[int, list[shapely.Geometry]] = {}
    for v, (t, vcode) in enumerate(village_meta):
        poly = shapely.union_all(village_polys[v])
        township_polys.setdefault(t, []).append(poly)
        kind = UnitKind.COMMUNITY
        geo.areas.append(AreaSpec(vcode, names[v], None, kind, TOWNSHIPS[t][0], _to_degrees(poly)))
    district_polys: dict[str, list[shapely.Geometry]] = {}
    for t, (tcode, tname, ten, dcode, *_r) in enumerate(TOWNSHIPS):
        poly = shapely.union_all(township_polys[t])
        district_polys.setdefault(dcode, []).append(poly)
        geo.areas.append(AreaSpec(tcode, tname, ten, UnitKind.TOWNSHIP, dcode, _to_degrees(poly)))
    city_parts = []
    for dcode, dname in DISTRICTS.items():
        poly = shapely.union_all(district_polys[dcode])
        city_parts.append(poly)
        geo.areas.append(AreaSpec(dcode, dname, None, UnitKind.DISTRICT, "330900", _to_degrees(poly)))
    geo.areas.append(
        AreaSpec("330900", "舟山市", "Zhoushan", UnitKind.CITY, None, _to_degrees(shapely.union_all(city_parts)))
    )
    geo.areas.reverse()  # parents before children

    island_polys = _runs_to_polygons(np.where(islands > 0, islands, -1).astype(np.int32), SCALE)
    ranked = sorted(island_polys.items(), key=lambda kv: -kv[1].area)
    for rank, (_, poly) in enumerate(ranked):
        name = _ISLAND_NAMES[rank] if rank < len(_ISLAND_NAMES) else f"无名岛{rank + 1:03d}"
        geo.islands.append((name, _to_degrees(poly)))

    geo.sea_grids = _sea_grids(land)
    return geo


def _suffix(name: str) -> str:
    return "街道" if name.endswith("街道") else name[-1]


def _reading_order(points: NDArray[np.float64], labels: NDArray[np.int64]) -> list[int]:
    """Labels ordered west→east within bands running north→south (the grid-numbering rule)."""
    count = int(labels.max()) + 1
    cx = np.bincount(labels, weights=points[:, 0], minlength=count) / np.bincount(labels, minlength=count)
    cy = np.bincount(labels, weights=points[:, 1], minlength=count) / np.bincount(labels, minlength=count)
    bands = max(1, round(math.sqrt(count)))
    top, height = cy.max(), max(cy.max() - cy.min(), 1e-9)
    band = np.minimum(((top - cy) / height * bands).astype(int), bands - 1)
    return sorted(range(count), key=lambda i: (band[i], cx[i]))


def _village_names(meta: list[tuple[int, str]], rng: np.random.Generator) -> list[str]:
    names = []
    used: set[str] = set()
    for t, code in meta:
        if code in KNOWN_VILLAGES:
            names.append(KNOWN_VILLAGES[code])
            used.add(KNOWN_VILLAGES[code])
            continue
        community = TOWNSHIPS[t][1].endswith("街道")
        suffix = "社区" if community else "村"
        while True:
            name = str(rng.choice(_PLACE)) + suffix
            if name in used:
                name = TOWNSHIPS[t][1][:2] + name
            if name not in used:
                break
        used.add(name)
        names.append(name)
    return names


_DEDICATED_CYCLE = list(DedicatedType)
_DEDICATED_LABEL = {
    None: "",
    DedicatedType.PORT: "渔港码头",
    DedicatedType.INDUSTRIAL_PARK: "工业园区",
    DedicatedType.SCHOOL: "学校",
    DedicatedType.CONSTRUCTION_SITE: "建设工地",
    DedicatedType.SCENIC_AREA: "景区",
    DedicatedType.MARKET: "市场",
}


def _dedicated(village: int, sequence: int, grids_in_village: int) -> DedicatedType | None:
    """Every seventh village with three or more grids has its last grid as a 专属网格."""
    if grids_in_village >= 3 and village % 7 == 0 and sequence == grids_in_village:
        return _DEDICATED_CYCLE[(village // 7) % len(_DEDICATED_CYCLE)]
    return None


# Largest islands of the mask in size order, named after the real islands they trace.
_ISLAND_NAMES = ("舟山岛", "岱山岛", "六横岛", "金塘岛", "朱家尖岛", "衢山岛", "长涂岛", "桃花岛", "泗礁山岛")


def _sea_grids(land: NDArray[np.bool_]) -> list[SeaGridSpec]:
    """Partition the study box's sea into 15 static, 12 control and 3 patrol grids (lattice-aligned)."""
    land_polys = _runs_to_polygons(np.where(land, 0, -1).astype(np.int32), SCALE)
    box = shapely.box(0, 0, COARSE_NX * SCALE, COARSE_NY * SCALE)
    sea = shapely.difference(box, land_polys[0]) if land_polys else box
    out: list[SeaGridSpec] = []

    def cut(nx: int, ny: int) -> list[tuple[int, int, shapely.Geometry]]:
        xs = np.linspace(0, COARSE_NX, nx + 1).round().astype(int) * SCALE
        ys = np.linspace(0, COARSE_NY, ny + 1).round().astype(int) * SCALE
        cells = []
        for j in range(ny - 1, -1, -1):  # north first
            for i in range(nx):
                piece = shapely.intersection(sea, shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]))
                cells.append((i, ny - 1 - j, piece))
        return cells

    districts = {"330922": (30.55, 99.0), "330921": (30.15, 30.55), "330903": (-99.0, 30.0)}
    for n, (i, j, piece) in enumerate(cut(5, 3), start=1):
        centre = _to_degrees(piece).centroid
        owner = next((d for d, (lo, hi) in districts.items() if lo <= centre.y < hi), "330902")
        out.append(
            SeaGridSpec(
                f"ZS-S{n:02d}",
                f"静态海域网格{n:02d}（{'北中南'[j]}{i + 1}）",
                SeaGridFamily.STATIC,
                owner,
                "Static sea grid: fixed waters answered for by the district whose coast is nearest.",
                _to_degrees(piece),
            )
        )
    for n, (_, _, piece) in enumerate(cut(4, 3), start=1):
        out.append(
            SeaGridSpec(
                f"ZS-C{n:02d}",
                f"管控海域网格{n:02d}",
                SeaGridFamily.CONTROL,
                "ZS-HY",
                "Control sea grid: fishing-vessel control area of the Ocean and Fisheries Bureau.",
                _to_degrees(piece),
            )
        )
    for n, (_, _, piece) in enumerate(cut(1, 3), start=1):
        out.append(
            SeaGridSpec(
                f"ZS-P{n}",
                f"巡查海域网格{n}（{'北中南'[n - 1]}部）",
                SeaGridFamily.PATROL,
                "ZS-HYZF",
                "Patrol sea grid: a zone of the fisheries law-enforcement patrol.",
                _to_degrees(piece),
            )
        )
    return out
