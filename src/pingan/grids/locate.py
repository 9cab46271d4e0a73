"""Exact point-to-polygon location, vectorised and accelerated by a lattice.

A :class:`PolygonIndex` covers its polygons' bounding box with a lattice. A cell whose (slightly shrunk) square
meets no polygon boundary lies wholly inside one polygon or wholly outside all, so every point in it is answered
by one array lookup. Points in the other cells, and points within 1e-7 cell of a cell edge, are answered exactly
with Shapely.

Edge rule: a point on the boundary shared by two polygons belongs to the polygon that contains the point moved
an infinitesimal step north-east (concretely 1e-9° east and 1e-9° north); if none does (a corner where the
north-eastern neighbour is outside every polygon), the lowest index among the polygons whose boundary holds the
point. For lattice cells this is the half-open rule ``[west, east) × [south, north)``, so the fast path and the
exact path agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

NONE = -1
_MIXED = -2
NUDGE_DEG = 1e-9
_EDGE_EPS = 1e-7


class InvalidCoordinates(ValueError):
    """Longitude or latitude missing, not finite, or out of range."""


def check_coordinates(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> None:
    """Raise :class:`InvalidCoordinates` naming the first bad point.

    >>> check_coordinates(np.array([122.1]), np.array([30.0]))
    >>> check_coordinates(np.array([122.1]), np.array([91.0]))  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    pingan.grids.locate.InvalidCoordinates: point 0: latitude 91.0 is outside [-90, 90]
    """
    if lon.shape != lat.shape:
        raise InvalidCoordinates("longitude and latitude arrays differ in length")
    bad_lon = ~np.isfinite(lon) | (lon < -180) | (lon > 180)
    bad_lat = ~np.isfinite(lat) | (lat < -90) | (lat > 90)
    if bad_lon.any():
        i = int(np.flatnonzero(bad_lon)[0])
        raise InvalidCoordinates(f"point {i}: longitude {lon[i]} is outside [-180, 180]")
    if bad_lat.any():
        i = int(np.flatnonzero(bad_lat)[0])
        raise InvalidCoordinates(f"point {i}: latitude {lat[i]} is outside [-90, 90]")


class PolygonIndex:
    """Locate points among polygons (a partition or any set); answers are indexes into ``geoms`` or -1.

    Parameters
    ----------
    geoms : sequence of Polygon or MultiPolygon, lon/lat degrees
    cells_per_polygon : int
        Lattice size relative to the number of polygons; more cells, more points on the fast path.

    Examples
    --------
    >>> west, east = shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)
    >>> index = PolygonIndex([west, east])
    >>> index.locate_many([0.5, 1.0, 1.5, 3.0], [0.5, 0.5, 0.5, 0.5]).tolist()
    [0, 1, 1, -1]
    """

    def __init__(self, geoms: Sequence[shapely.Geometry], cells_per_polygon: int = 4096) -> None:
        self.geoms = np.asarray(list(geoms), dtype=object)
        self.tree = shapely.STRtree(self.geoms)
        for g in self.geoms:
            shapely.prepare(g)
        if len(self.geoms) == 0:
            self.bounds = (0.0, 0.0, 0.0, 0.0)
            self.cells = np.full((1, 1), NONE, dtype=np.int32)
            self.step = 1.0
            return
        bounds = shapely.total_bounds(self.geoms)
        width, height = max(bounds[2] - bounds[0], 1e-9), max(bounds[3] - bounds[1], 1e-9)
        self.step = math.sqrt(width * height / (cells_per_polygon * len(self.geoms)))
        nx, ny = math.ceil(width / self.step) + 1, math.ceil(height / self.step) + 1
        self.bounds = (
            float(bounds[0]),
            float(bounds[1]),
            float(bounds[0] + nx * self.step),
            float(bounds[1] + ny * self.step),
        )
        self.cells = self._rasterise(nx, ny)

    def _rasterise(self, nx: int, ny: int) -> NDArray[np.int32]:
        x0, y0, step = self.bounds[0], self.bounds[1], self.step
        cells = np.full((ny, nx), NONE, dtype=np.int32)
        shrink = step * 1e-6
        for i, geom in enumerate(self.geoms):
            gx0, gy0, gx1, gy1 = shapely.bounds(geom)
            ix0, ix1 = int((gx0 - x0) // step), min(int((gx1 - x0) // step) + 1, nx)
            iy0, iy1 = int((gy0 - y0) // step), min(int((gy1 - y0) // step) + 1, ny)
            xs, ys = np.meshgrid(np.arange(ix0, ix1), np.arange(iy0, iy1))
            xs, ys = xs.ravel(), ys.ravel()
            left, bottom = x0 + xs * step, y0 + ys * step
            squares = shapely.box(left + shrink, bottom + shrink, left + step - shrink, bottom + step - shrink)
            boundary = shapely.boundary(geom)
            shapely.prepare(boundary)
            crossed = shapely.intersects(boundary, squares)
            inside = ~crossed & shapely.contains_xy(geom, left + step / 2, bottom + step / 2)
            cells[ys[crossed], xs[crossed]] = _MIXED
            target = cells[ys[inside], xs[inside]]
            # A cell claimed twice means overlapping polygons: leave it to the exact path.
            cells[ys[inside], xs[inside]] = np.where(target == NONE, i, _MIXED)
        return cells

    def locate(self, lon: float, lat: float) -> int:
        """Index of the polygon holding the point, or -1."""
        return int(self.locate_many([lon], [lat])[0])

    def locate_many(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.int32]:
        """Vectorised :meth:`locate`; raises :class:`InvalidCoordinates` for any bad point."""
        x = np.asarray(lon, dtype=np.float64)
        y = np.asarray(lat, dtype=np.float64)
        check_coordinates(x, y)
        out = np.full(x.shape, NONE, dtype=np.int32)
        if len(self.geoms) == 0 or x.size == 0:
            return out
        fx = (x - self.bounds[0]) / self.step
        fy = (y - self.bounds[1]) / self.step
        ny, nx = self.cells.shape
        within = (fx >= 0) & (fy >= 0) & (fx < nx) & (fy < ny)
        ix = np.where(within, fx, 0).astype(np.intp)
        iy = np.where(within, fy, 0).astype(np.intp)
        answer = np.where(within, self.cells[iy, ix], NONE)
        near_edge = within & ((np.abs(fx - np.round(fx)) < _EDGE_EPS) | (np.abs(fy - np.round(fy)) < _EDGE_EPS))
        slow = (answer == _MIXED) | near_edge
        out[:] = np.where(slow, NONE, answer)
        if slow.any():
            idx = np.flatnonzero(slow)
            out[idx] = self._exact(x[idx], y[idx])
        return out

    def _exact(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.int32]:
        result = np.full(x.shape, NONE, dtype=np.int32)
        points = shapely.points(x, y)
        pairs = self.tree.query(points, predicate="intersects")
        if pairs.shape[1] == 0:
            return result
        point_idx, poly_idx = pairs
        counts = np.bincount(point_idx, minlength=len(x))
        single = counts[point_idx] == 1
        result[point_idx[single]] = poly_idx[single]
        for p in np.unique(point_idx[~single]):
            candidates = np.sort(poly_idx[point_idx == p])
            nudged_x, nudged_y = x[p] + NUDGE_DEG, y[p] + NUDGE_DEG
            winner = next(
                (int(c) for c in candidates if shapely.contains_xy(self.geoms[c], nudged_x, nudged_y)),
                int(candidates[0]),
            )
            result[p] = winner
        return result
