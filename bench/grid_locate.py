"""Locate 1,000,000 random points in the demo's 2,360 land grids: pingan's lattice index vs a plain STRtree.

Both run in this process on the same points; the answers must agree (points exactly on a shared edge, where a
plain STRtree returns several grids, are counted and compared under pingan's documented edge rule). The last line
reads ``grid_locate: N points/s, speedup_vs_strtree=X`` (goal: X >= 4).

Points are drawn uniformly over the land grids' area (rejection sampling over their bounding box, so every point
lies in a grid); ``--box`` keeps the whole box instead (about one point in eleven then falls in a grid, the rest
at sea or on the mainland, as vessel positions would).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import shapely

from pingan.demo.geography import build_geography
from pingan.grids.locate import PolygonIndex


def strtree_locate(tree: shapely.STRtree, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The anchor: one STRtree query with the intersects predicate; first hit per point, and hit counts."""
    pairs = tree.query(shapely.points(lon, lat), predicate="intersects")
    answer = np.full(len(lon), -1, dtype=np.int64)
    answer[pairs[0][::-1]] = pairs[1][::-1]  # keep the first hit of each point
    return answer, np.bincount(pairs[0], minlength=len(lon))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--box", action="store_true", help="draw points over the whole bounding box")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    geo = build_geography()
    geoms = [g.polygon for g in geo.grids]
    rng = np.random.default_rng(args.seed)
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    lon = rng.uniform(x0, x1, args.points * (1 if args.box else 12))
    lat = rng.uniform(y0, y1, lon.size)

    started = time.perf_counter()
    index = PolygonIndex(geoms)
    build_s = time.perf_counter() - started
    tree = shapely.STRtree(geoms)
    if not args.box:
        keep = index.locate_many(lon, lat) >= 0
        lon, lat = lon[keep][: args.points], lat[keep][: args.points]

    best_ours, best_tree = float("inf"), float("inf")
    for _ in range(3):
        t = time.perf_counter()
        ours = index.locate_many(lon, lat)
        best_ours = min(best_ours, time.perf_counter() - t)
        t = time.perf_counter()
        anchor, hits = strtree_locate(tree, lon, lat)
        best_tree = min(best_tree, time.perf_counter() - t)

    single = hits <= 1
    disagree = int(np.count_nonzero(ours[single] != anchor[single]))
    on_edges = int(np.count_nonzero(~single))
    edge_ok = all(
        ours[i] in tree.query(shapely.points(lon[i], lat[i]), predicate="intersects") for i in np.flatnonzero(~single)
    )
    print(
        f"points={lon.size} in_grids={int(np.count_nonzero(ours >= 0))} on_shared_edges={on_edges} "
        f"index_build_s={build_s:.2f} pingan_s={best_ours:.3f} strtree_s={best_tree:.3f} disagreements={disagree}"
    )
    if disagree or not edge_ok:
        raise SystemExit("answers differ from the STRtree anchor")
    print(f"grid_locate: {lon.size / best_ours:,.0f} points/s, speedup_vs_strtree={best_tree / best_ours:.1f}")


if __name__ == "__main__":
    main()
