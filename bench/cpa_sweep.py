"""Collision-risk sweep (防碰撞) over a synthetic Zhoushan picture: pingan's screened CPA against naive all-pairs.

Builds seeded synthetic pictures around Zhoushan (maritime.md §5.5, §8.3) and times
:func:`pingan.maritime.cpa.detect_collisions` on 8,000 and 100,000 targets (median of ``--runs`` runs after one
warm-up), then, in the same process, a naive NumPy all-pairs CPA over the same 8,000 targets: full n×n matrices of
relative position and velocity, in row chunks of ``--chunk`` rows so memory stays bounded, with the same
eligibility and thresholds but none of the screening. The two must find the same alerting pairs; the run stops
with an error if they do not.

The picture (``zhoushan_picture``), one tile of 8,000 targets: 5 % net beacons (网位仪) and 1 % AtoN, never
candidates; 19 % merchant ships, a fifth under way on the five lanes into Ningbo-Zhoushan (12.5 ± 2 kn, both ways,
in traffic lanes 1.2 km either side of the axis), 30 % at anchor in five anchorages (3 km spread), the rest at
berths; the other 75 % fishing vessels, 40 % of them moored in the twelve fishing ports (5 % manoeuvring at
1–3 kn) and 60 % at sea around twelve grounds east of the islands (25 km spread). At sea, 60 % work in production
groups (half pair trawlers, the others 3–8 boats, within ~150 m of the group's centre, on one course, trawling at
2.5–4.5 kn; one group in six steaming at 7–10 kn); the others are alone, half drifting or at anchor on their gear
(≤ 0.2 kn), half under way at 3–10 kn. Within 2 km of a fishing port or a berth area counts as in port (the port
polygons). 3 % of fixes are stale (10 min) and 4 % of fishing vessels BeiDou-only. Bigger pictures are tiles of
the same recipe (own draws) on a lattice around Zhoushan, so the density stays that of Zhoushan's waters: 100,000
targets are 13 tiles, about the East China Sea. The rule's time is then half screening and CPA, half building
the observations (≈ 2 µs each, for ~4,300 alerts at 8k and ~54,000 at 100k).

Goals (maritime.md §5.5; suggested): 8k ≤ 20 ms, 100k ≤ 500 ms on the 2-core reference machine. The anchor is
the naive all-pairs sweep (§5.5: "brute force over 10,000 targets is 5×10⁷ pairs per pass, ≈0.5–1 s in NumPy").
The last line reads::

    cpa_sweep: 8k=T1 ms, 100k=T2 ms, speedup_vs_naive_8k=X
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from pingan.demo.fleet import PORTS
from pingan.maritime.cpa import METRES_PER_NM, CpaPolicy, cpa_tcpa, detect_collisions, local_plane, velocity
from pingan.maritime.rules import Observation, Picture

NOW = 1_782_000_000.0  # 2026-06-21, a fixed instant: the sweep never reads the clock
BASE_TARGETS = 8_000  # one tile: the Zhoushan waters
TILE_DEG = (2.4, 1.8)  # lon, lat extent of a tile (121.7–124.1 °E, 29.2–31.0 °N)
GROUND_BOX = (122.70, 29.40, 123.90, 30.90)  # fishing grounds east and south-east of the islands, and beyond
GROUNDS = 12
GROUND_SIGMA_M = 25_000.0
FISHING_PORTS = np.array([(p[3], p[4]) for p in PORTS if p[5] == "fishing_port"])
ANCHORAGES = np.array([(122.47, 29.67), (122.30, 29.55), (121.97, 30.08), (122.425, 29.905), (122.55, 30.55)])
BERTHS = np.array([(121.88, 29.93), (122.03, 29.88), (121.95, 29.91), (122.10, 29.98)])  # 北仑, 穿山, 大榭, 定海
# Lanes into Ningbo-Zhoushan (the demo simulator's approximate way-points), lon/lat.
LANES: tuple[tuple[tuple[float, float], ...], ...] = (
    ((123.55, 29.62), (122.90, 29.70), (122.45, 29.72), (122.27, 29.76), (122.12, 29.86)),
    ((122.40, 29.32), (122.30, 29.60), (122.18, 29.82), (122.08, 29.88)),
    ((122.62, 30.98), (122.38, 30.55), (122.10, 30.22), (121.99, 30.05), (122.00, 29.95)),
    ((123.20, 29.30), (122.97, 29.70), (122.97, 30.40), (122.80, 31.00)),
    ((122.85, 31.00), (123.02, 30.40), (123.02, 29.70), (123.25, 29.30)),
)
M_PER_DEG = 60 * METRES_PER_NM
F64 = NDArray[np.float64]
T = TypeVar("T")


def log(message: str) -> None:
    """Progress, on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _offset(lon: F64, lat: F64, east_m: F64, north_m: F64) -> tuple[F64, F64]:
    """Move points by east/north metres (equirectangular, fine at these distances)."""
    return lon + east_m / (M_PER_DEG * np.cos(np.radians(lat))), lat + north_m / M_PER_DEG


def _lane_points(
    rng: np.random.Generator, lane: tuple[tuple[float, float], ...], count: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """`count` points spread along a polyline lane with their course along it (either way)."""
    pts = np.asarray(lane)
    east, north = local_plane(pts[1:, 0], pts[1:, 1], pts[:-1, 0], pts[:-1, 1])
    length = np.hypot(east, north)
    leg = rng.choice(len(length), size=count, p=length / length.sum())
    f = rng.uniform(0, 1, count)
    lon = pts[leg, 0] + f * (pts[leg + 1, 0] - pts[leg, 0])
    lat = pts[leg, 1] + f * (pts[leg + 1, 1] - pts[leg, 1])
    cog = np.degrees(np.arctan2(east[leg], north[leg])) % 360
    back = rng.random(count) < 0.5
    cog = np.where(back, (cog + 180) % 360, cog)
    # keep to starboard of the lane's axis: two traffic lanes ~1.2 km either side of a separation zone
    side = np.where(back, -1.0, 1.0) * np.abs(rng.normal(1_200, 300, count))
    rad = np.radians(cog + 90)
    lon, lat = _offset(lon, lat, side * np.sin(rad), side * np.cos(rad))
    return lon, lat, cog


def _tile(rng: np.random.Generator, n: int, shift: tuple[float, float]) -> dict[str, NDArray[Any]]:
    """The columns of `n` targets of one Zhoushan-sized tile, moved by `shift` degrees (lon, lat)."""
    n_beacon, n_aton = round(0.05 * n), round(0.01 * n)
    n_merchant = round(0.19 * n)
    n_fishing = n - n_beacon - n_aton - n_merchant
    n_port = round(0.40 * n_fishing)
    n_sea = n_fishing - n_port
    cols: dict[str, list[NDArray[Any]]] = {k: [] for k in ("lon", "lat", "sog", "cog", "cls", "kind", "group", "port")}

    def add(
        lon: F64,
        lat: F64,
        sog: F64,
        cog: F64,
        cls: str,
        kind: str,
        group: NDArray[np.int64] | None = None,
        port: bool = False,
    ) -> None:
        m = lon.size
        cols["lon"].append(lon + shift[0])
        cols["lat"].append(lat + shift[1])
        cols["sog"].append(np.round(sog, 1))
        cols["cog"].append(np.round(cog % 360, 1))
        cols["cls"].append(np.full(m, cls, dtype="<U12"))
        cols["kind"].append(np.full(m, kind, dtype="<U12"))
        cols["group"].append(np.full(m, -1, np.int64) if group is None else group)
        cols["port"].append(np.full(m, port))

    def around(points: F64, count: int, sigma_m: float) -> tuple[F64, F64]:
        which = rng.integers(0, len(points), count)
        return _offset(points[which, 0], points[which, 1], rng.normal(0, sigma_m, count), rng.normal(0, sigma_m, count))

    # Fishing ports: the twelve real ones; boats moored within a few hundred metres, a few manoeuvring.
    lon, lat = around(FISHING_PORTS, n_port, 200.0)
    manoeuvring = rng.random(n_port) < 0.05
    sog = np.where(manoeuvring, rng.uniform(1, 3, n_port), rng.choice([0.0, 0.0, 0.1], n_port))
    add(lon, lat, sog, rng.uniform(0, 360, n_port), "vessel", "fishing", port=True)

    # Production groups on the grounds: pair trawlers and groups of 3–8 on one course.
    grounds = np.column_stack(
        [rng.uniform(GROUND_BOX[0], GROUND_BOX[2], GROUNDS), rng.uniform(GROUND_BOX[1], GROUND_BOX[3], GROUNDS)]
    )
    n_grouped = round(0.60 * n_sea)
    sizes: list[int] = []
    while sum(sizes) < n_grouped:
        sizes.append(2 if rng.random() < 0.5 else int(rng.integers(3, 9)))
    sizes[-1] -= sum(sizes) - n_grouped
    sizes = [s for s in sizes if s > 0]
    n_groups = len(sizes)
    glon, glat = around(grounds, n_groups, GROUND_SIGMA_M)
    gcog = rng.uniform(0, 360, n_groups)
    steaming = rng.random(n_groups) < 1 / 6
    gsog = np.where(steaming, rng.uniform(7, 10, n_groups), rng.uniform(2.5, 4.5, n_groups))
    member = np.repeat(np.arange(n_groups), sizes)
    m = member.size
    lon, lat = _offset(glon[member], glat[member], rng.normal(0, 150, m), rng.normal(0, 150, m))
    sog = np.maximum(gsog[member] + rng.normal(0, 0.2, m), 0.3)
    add(lon, lat, sog, gcog[member] + rng.normal(0, 4, m), "vessel", "fishing", group=member.astype(np.int64))

    # Fishing vessels alone: drifting gillnetters, or under way.
    n_alone = n_sea - n_grouped
    lon, lat = around(grounds, n_alone, GROUND_SIGMA_M * 1.3)
    drifting = rng.random(n_alone) < 0.5
    sog = np.where(drifting, rng.uniform(0, 0.2, n_alone), rng.uniform(3, 10, n_alone))
    add(lon, lat, sog, rng.uniform(0, 360, n_alone), "vessel", "fishing")

    # Merchant ships: under way on the lanes, at anchor, at a berth.
    n_lane = round(0.20 * n_merchant)
    n_anchor = round(0.30 * n_merchant)
    n_berth = n_merchant - n_lane - n_anchor
    per_lane = np.bincount(rng.integers(0, len(LANES), n_lane), minlength=len(LANES))
    for lane, count in zip(LANES, per_lane, strict=True):
        lon, lat, cog = _lane_points(rng, lane, int(count))
        add(lon, lat, np.clip(rng.normal(12.5, 2.0, count), 8, 18), cog, "vessel", "merchant")
    lon, lat = around(ANCHORAGES, n_anchor, 3_000.0)  # ships at anchor keep ~0.5 nm of swinging room
    add(lon, lat, rng.choice([0.0, 0.0, 0.1], n_anchor), rng.uniform(0, 360, n_anchor), "vessel", "merchant")
    lon, lat = around(BERTHS, n_berth, 400.0)
    add(lon, lat, np.zeros(n_berth), np.full(n_berth, 360.0), "vessel", "merchant", port=True)

    # Net beacons on the grounds and AtoN along the lanes: never candidates.
    lon, lat = around(grounds, n_beacon, GROUND_SIGMA_M)
    add(lon, lat, rng.uniform(0, 1.5, n_beacon), rng.uniform(0, 360, n_beacon), "net_beacon", "other")
    lon, lat = around(np.asarray([p for lane in LANES for p in lane]), n_aton, 2_000.0)
    add(lon, lat, np.zeros(n_aton), np.full(n_aton, 360.0), "aton", "other")
    out = {k: np.concatenate(v) for k, v in cols.items()}
    # Port polygons: anything within 2 km of a fishing port or a berth area counts as in port.
    harbours = np.vstack([FISHING_PORTS, BERTHS]) + shift
    east, north = local_plane(out["lon"][:, None], out["lat"][:, None], harbours[None, :, 0], harbours[None, :, 1])
    out["port"] |= (np.hypot(east, north) < 2_000.0).any(axis=1)
    return out


def zhoushan_picture(n: int, seed: int = 7) -> Picture:
    """A seeded synthetic picture of `n` targets around Zhoushan (see the module docstring)."""
    rng = np.random.default_rng(seed)
    tiles = max(1, math.ceil(n / BASE_TARGETS))
    side = math.ceil(math.sqrt(tiles))
    # Tile positions on a square lattice around the Zhoushan tile, nearest first.
    lattice = sorted(
        ((i - side // 2, j - side // 2) for i in range(side + 1) for j in range(side + 1)),
        key=lambda ij: (ij[0] ** 2 + ij[1] ** 2, ij),
    )[:tiles]
    counts = np.full(tiles, n // tiles)
    counts[: n % tiles] += 1
    parts = [_tile(rng, int(c), (i * TILE_DEG[0], j * TILE_DEG[1])) for c, (i, j) in zip(counts, lattice, strict=True)]
    group_base = np.cumsum([0] + [int(p["group"].max()) + 1 for p in parts[:-1]])
    col = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    col["group"] = np.concatenate(
        [np.where(p["group"] >= 0, p["group"] + b, -1) for p, b in zip(parts, group_base, strict=True)]
    )
    fishing = col["kind"] == "fishing"
    beidou = fishing & (rng.random(n) < 0.04)
    vessel_id = np.where(fishing, np.arange(n) + 1, -1).astype(np.int64)
    key = np.where(fishing, 412_000_000, 477_000_000) + rng.permutation(n)
    key = np.where(beidou, -vessel_id, key).astype(np.int64)
    stale = rng.random(n) < 0.03
    sog = col["sog"]
    return Picture(
        now=NOW,
        key=key,
        lon=col["lon"],
        lat=col["lat"],
        sog_kn=sog,
        cog_deg=np.where(sog > 0, col["cog"], 360.0),
        heading_deg=np.full(n, np.nan),
        nav_status=np.full(n, 15, np.int16),
        observed_at=NOW - np.where(stale, 600.0, rng.uniform(0, 30, n)),
        target_class=col["cls"],
        kind=col["kind"],
        source=np.where(beidou, "beidou", "ais").astype("<U12"),
        class_b=fishing.copy(),
        vessel_id=vessel_id,
        group_id=col["group"].astype(np.int64),
        gear=np.where(fishing, "trawl", "").astype("<U12"),
        in_port=col["port"],
    )


def naive_all_pairs(picture: Picture, policy: CpaPolicy, chunk: int) -> set[tuple[str, int]]:
    """The anchor: CPA over every pair of eligible vessels as full n×n matrices (row chunks), no screening.

    Same eligibility, plane, suppressions and thresholds as the rule; returns (subject, level) of each alerting
    pair. It stops at the pairs: building observation objects, which the timed rule does, is not counted here.
    """
    target = picture.target_class == "vessel"
    age = picture.now - picture.observed_at
    limit = np.where(picture.source == "beidou", policy.beidou_stale_after_s, policy.stale_after_s)
    rows = np.flatnonzero(target & (age <= limit) & np.isfinite(picture.lon) & np.isfinite(picture.lat))
    lon, lat, sog = picture.lon[rows], picture.lat[rows], picture.sog_kn[rows]
    ve, vn = velocity(sog, picture.cog_deg[rows])
    slow, port = sog <= policy.moored_kn, picture.in_port[rows]
    group, vessel, key = picture.group_id[rows], picture.vessel_id[rows], picture.key[rows]
    coslat = np.cos(np.radians(lat))
    nm = METRES_PER_NM
    n = rows.size
    found: set[tuple[str, int]] = set()
    for start in range(0, n, chunk):
        a = slice(start, min(n, start + chunk))
        east = (lon[None, :] - lon[a, None]) * (M_PER_DEG * 0.5) * (coslat[a, None] + coslat[None, :])
        north = (lat[None, :] - lat[a, None]) * M_PER_DEG
        dcpa, tcpa = cpa_tcpa(east, north, ve[None, :] - ve[a, None], vn[None, :] - vn[a, None])
        range_m = np.sqrt(east * east + north * north)
        closing = tcpa > 0
        alarm = (range_m < policy.distance_alarm_nm * nm) | (
            closing & (dcpa < policy.alarm_dcpa_nm * nm) & (tcpa < policy.alarm_tcpa_min * 60)
        )
        warning = closing & (dcpa < policy.warning_dcpa_nm * nm) & (tcpa < policy.warning_tcpa_min * 60)
        upper = np.arange(a.start, a.stop)[:, None] < np.arange(n)[None, :]
        allowed = (
            upper
            & (alarm | warning)
            & (range_m <= policy.max_range_nm * nm)
            & ~(slow[a, None] & slow[None, :])
            & ~(port[a, None] & port[None, :])
            & ~((group[a, None] == group[None, :]) & (group[a, None] >= 0))
            & ~((vessel[a, None] == vessel[None, :]) & (vessel[a, None] >= 0))
        )
        ii, jj = np.nonzero(allowed)
        level = np.where(alarm[ii, jj], 3, 2)
        for k1, k2, lv in zip(key[ii + a.start].tolist(), key[jj].tolist(), level.tolist(), strict=True):
            found.add((f"{min(k1, k2)}|{max(k1, k2)}", lv))
    return found


def timed(fn: Callable[[], T], runs: int) -> tuple[float, float, T]:
    """Median wall and CPU (this process) seconds of `runs` calls after one warm-up call, and the last result.

    The CPU time is reported on stderr: on a shared machine it shows what the wall time would be without
    neighbours.
    """
    result = fn()
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu), result


def describe(picture: Picture, observations: list[Observation]) -> str:
    """A one-line summary of a picture and what the rule found in it."""
    vessels = int((picture.target_class == "vessel").sum())
    levels = Counter(o.level.name for o in observations)
    pairs = Counter("-".join(sorted((o.details["kind"], o.details["other_kind"]))) for o in observations)
    return f"{picture.size} targets, {vessels} vessels: {len(observations)} alerts {dict(levels)} {dict(pairs)}"


def main() -> None:
    """Build the pictures, time the rule and the naive sweep, check they agree, print the result line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of the rule per picture (median)")
    parser.add_argument("--naive-runs", type=int, default=3, help="timed runs of the naive sweep (median)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=500, help="rows per chunk of the naive n×n sweep")
    args = parser.parse_args()
    # Every pair is screened, fishing–fishing and berthed vessels included: the sweep measures the geometry at
    # its heaviest, and the naive all-pairs reference knows no product suppressions.
    policy = dataclasses.replace(CpaPolicy.default(), fishing_pairs=True, berthed_targets=True)

    small, large = zhoushan_picture(8_000, args.seed), zhoushan_picture(100_000, args.seed)
    t_small, cpu_small, obs_small = timed(lambda: detect_collisions(small, policy), args.runs)
    log(f"8k: {t_small * 1e3:.1f} ms (cpu {cpu_small * 1e3:.1f} ms); {describe(small, obs_small)}")
    t_large, cpu_large, obs_large = timed(lambda: detect_collisions(large, policy), args.runs)
    log(f"100k: {t_large * 1e3:.1f} ms (cpu {cpu_large * 1e3:.1f} ms); {describe(large, obs_large)}")
    t_naive, cpu_naive, naive = timed(lambda: naive_all_pairs(small, policy, args.chunk), args.naive_runs)
    log(f"naive 8k: {t_naive * 1e3:.1f} ms (cpu {cpu_naive * 1e3:.1f} ms), {len(naive)} alerting pairs")
    ours = {(o.subject, int(o.level)) for o in obs_small}
    if ours != naive:
        sys.exit(
            f"cpa_sweep: the rule and the naive sweep disagree: {len(ours - naive)} extra, {len(naive - ours)} missed"
        )
    speedup = t_naive / t_small
    print(f"cpa_sweep: 8k={t_small * 1e3:.1f} ms, 100k={t_large * 1e3:.1f} ms, speedup_vs_naive_8k={speedup:.1f}")


if __name__ == "__main__":
    main()
