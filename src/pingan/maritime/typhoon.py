"""Typhoon defence (防台): the warning area along a forecast track, who is still at sea in it, and the roll call.

A :class:`Typhoon` is a forecast track of :class:`TrackPoint` (time, centre, radius of force-7 and force-10
winds), or a single point, which is a stationary circle valid at every time. :func:`warning_area` is the union of
the wind circles swept from ``at`` to ``at + lead_s``: centres and radii are interpolated linearly in time
between forecast points, each circle is geodesic (WGS 84, :class:`pyproj.Geod`, 72 vertices), and the area swept
between two consecutive points is the convex hull of their two circles — exact for a circle moving at constant
speed with a linearly changing radius, up to the hull being taken in lon/lat degrees (well under 1 % of a
300 km radius at Zhoushan's latitude). Longitudes are not unwrapped: tracks must not cross ±180°.

:class:`RollCall` is the bookkeeping of a recall order (动态点验): each recalled vessel is ``in_port`` (the
picture says so), ``sheltered`` (inside one of the shelter areas, e.g. a 避风锚地), ``at_sea``, or ``unknown``
(not seen since the order); done means in port or sheltered, and the timeline records the done share at every
update, overall and per group and township.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import numpy as np
import pyproj
import shapely  # type: ignore[import-untyped]
from numpy.typing import NDArray

from pingan.maritime.rules import AlertKind, Level, Observation, Picture

_GEOD = pyproj.Geod(ellps="WGS84")


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """A forecast (or observed) typhoon position with its wind radii (metres; NaN when not given)."""

    at: float  # Unix seconds
    lon: float
    lat: float
    radius_7_m: float
    radius_10_m: float = math.nan


@dataclass(frozen=True, slots=True)
class Typhoon:
    """A named typhoon and its track, in time order (one point: a stationary circle)."""

    name: str
    points: tuple[TrackPoint, ...]

    def __post_init__(self) -> None:
        if not self.points:
            raise ValueError("a typhoon needs at least one track point")
        times = [p.at for p in self.points]
        if any(b <= a for a, b in itertools.pairwise(times)):
            raise ValueError("track points must be in strictly increasing time order")

    @staticmethod
    def circle(name: str, lon: float, lat: float, radius_7_m: float, radius_10_m: float = math.nan) -> Typhoon:
        """A stationary warning circle."""
        return Typhoon(name, (TrackPoint(0.0, lon, lat, radius_7_m, radius_10_m),))

    def position_at(self, at: float) -> TrackPoint:
        """The centre and radii at ``at``, interpolated linearly (held at the ends of the track)."""
        t = np.array([p.at for p in self.points])

        def interp(values: list[float]) -> float:
            return float(np.interp(at, t, values))

        pts = self.points
        return TrackPoint(
            at,
            interp([p.lon for p in pts]),
            interp([p.lat for p in pts]),
            interp([p.radius_7_m for p in pts]),
            interp([p.radius_10_m for p in pts]),
        )


def geodesic_circle(lon: float, lat: float, radius_m: float, vertices: int = 72) -> Any:
    """The geodesic circle of ``radius_m`` about a point, as a lon/lat polygon.

    Parameters
    ----------
    lon, lat : float
        Centre, degrees.
    radius_m : float
        Radius, metres (WGS 84 geodesic distance).
    vertices : int
        Number of vertices of the polygon.

    Returns
    -------
    shapely.Polygon, lon/lat degrees (empty when the radius is not positive)

    Examples
    --------
    >>> c = geodesic_circle(122.0, 30.0, 100_000.0)
    >>> round((c.bounds[3] - 30.0) * 111.0)  # km north of the centre
    100
    """
    if not radius_m > 0:
        return shapely.Polygon()
    az = np.linspace(0.0, 360.0, vertices, endpoint=False)
    lons, lats, _ = _GEOD.fwd(np.full(vertices, lon), np.full(vertices, lat), az, np.full(vertices, radius_m))
    return shapely.Polygon(np.column_stack([lons, lats]))


def warning_area(typhoon: Typhoon, at: float, lead_s: float, *, wind: int = 7, vertices: int = 72) -> Any:
    """The area the force-``wind`` circle (7 or 10) sweeps from ``at`` to ``at + lead_s``.

    Parameters
    ----------
    typhoon : Typhoon
    at : float
        Start of the window, Unix seconds (clipped to the track).
    lead_s : float
        Length of the window, seconds (0: the circle at ``at``).
    wind : int
        7 for the force-7 radius, 10 for the force-10 radius.
    vertices : int
        Vertices per circle.

    Returns
    -------
    shapely geometry, lon/lat degrees
        Empty when the window misses the track or the radius is unknown.

    Examples
    --------
    >>> t = Typhoon("T", (TrackPoint(0, 125.0, 27.0, 200_000.0), TrackPoint(86_400, 123.0, 29.0, 300_000.0)))
    >>> now, later = warning_area(t, 0, 0), warning_area(t, 0, 86_400)
    >>> later.area > now.area and later.contains(now)
    True
    """
    if wind not in (7, 10):
        raise ValueError("wind must be 7 or 10")
    if lead_s < 0:
        raise ValueError("lead_s must not be negative")

    def radius(p: TrackPoint) -> float:
        return p.radius_7_m if wind == 7 else p.radius_10_m

    pts = typhoon.points
    if len(pts) == 1:
        return geodesic_circle(pts[0].lon, pts[0].lat, radius(pts[0]), vertices)
    start, end = max(at, pts[0].at), min(at + lead_s, pts[-1].at)
    if start > end:
        return shapely.Polygon()
    times = [start, *(p.at for p in pts if start < p.at < end), end] if end > start else [start]
    circles = [geodesic_circle(c.lon, c.lat, radius(c), vertices) for c in map(typhoon.position_at, times)]
    pieces = [circles[0]]
    pieces += [shapely.convex_hull(shapely.union(a, b)) for a, b in itertools.pairwise(circles)]
    return shapely.union_all([p for p in pieces if not p.is_empty])


def vessels_at_sea_inside(picture: Picture, area: Any) -> NDArray[np.int64]:
    """Keys of the vessels at sea (not in port) inside ``area`` (lon/lat)."""
    ok = (picture.target_class == "vessel") & ~picture.in_port & np.isfinite(picture.lon) & np.isfinite(picture.lat)
    rows = np.flatnonzero(ok)
    if not rows.size or shapely.is_empty(area):
        return np.zeros(0, dtype=np.int64)
    inside = shapely.contains_xy(area, picture.lon[rows], picture.lat[rows])
    return np.asarray(picture.key[rows[inside]], dtype=np.int64)


def detect_typhoon(picture: Picture, area: Any, name: str, level: Level = Level.ALARM) -> list[Observation]:
    """A TYPHOON observation for every vessel at sea inside a warning area (subject "key@typhoon:<name>")."""
    keys = vessels_at_sea_inside(picture, area)
    rows = np.flatnonzero(np.isin(picture.key, keys) & (picture.target_class == "vessel"))
    return [
        Observation(
            AlertKind.TYPHOON,
            f"{int(picture.key[r])}@typhoon:{name}",
            level,
            (int(picture.key[r]),),
            float(picture.lon[r]),
            float(picture.lat[r]),
            {"typhoon": name, "group_id": int(picture.group_id[r]), "vessel_id": int(picture.vessel_id[r])},
        )
        for r in rows.tolist()
    ]


# ------------------------------------------------------------------------------------------------ roll call


class RollStatus(StrEnum):
    """Where a recalled vessel is."""

    IN_PORT = "in_port"
    SHELTERED = "sheltered"
    AT_SEA = "at_sea"
    UNKNOWN = "unknown"  # not seen since the recall order

    @property
    def done(self) -> bool:
        """In port or sheltered."""
        return self in (RollStatus.IN_PORT, RollStatus.SHELTERED)


@dataclass(frozen=True, slots=True)
class Tally:
    """How many recalled vessels are done (in port or sheltered) out of how many."""

    done: int
    total: int

    @property
    def share(self) -> float:
        """Done share, 0–1 (1 for an empty recall)."""
        return self.done / self.total if self.total else 1.0


@dataclass(frozen=True, slots=True)
class RollCallPoint:
    """The roll call at one instant: overall tally and per status counts."""

    at: float
    tally: Tally
    counts: dict[str, int] = field(default_factory=dict)


class RollCall:
    """Bookkeeping of one recall order (动态点验): status of each recalled vessel and the completion timeline."""

    def __init__(
        self,
        shelters: Sequence[Any] = (),
        *,
        group_of: Mapping[int, int] | None = None,
        township_of: Mapping[int, str] | None = None,
    ) -> None:
        self.shelter = shapely.union_all(list(shelters)) if shelters else None
        if self.shelter is not None:
            shapely.prepare(self.shelter)
        self.group_of = dict(group_of or {})
        self.township_of = dict(township_of or {})
        self.status: dict[int, RollStatus] = {}
        self.timeline: list[RollCallPoint] = []
        self.started_at: float | None = None
        self.completed_at: float | None = None

    def start(self, keys: Iterable[int], at: float) -> None:
        """Recall these vessels at ``at`` (calling again adds vessels to the same order)."""
        for k in keys:
            self.status.setdefault(int(k), RollStatus.UNKNOWN)
        if self.started_at is None:
            self.started_at = at
        self._record(at)

    def update(self, picture: Picture, at: float | None = None) -> RollCallPoint:
        """Mark every recalled vessel in the picture; a vessel missing from it keeps its last status."""
        at = picture.now if at is None else at
        recalled = np.fromiter(self.status.keys(), dtype=np.int64, count=len(self.status))
        rows = np.flatnonzero(np.isin(picture.key, recalled))
        in_port = picture.in_port[rows]
        lon, lat = picture.lon[rows], picture.lat[rows]
        placed = np.isfinite(lon) & np.isfinite(lat)
        sheltered = np.zeros(rows.size, dtype=bool)
        if self.shelter is not None and rows.size:
            sheltered[placed] = shapely.contains_xy(self.shelter, lon[placed], lat[placed])
        for k, port, shelter, known in zip(
            picture.key[rows].tolist(), in_port.tolist(), sheltered.tolist(), placed.tolist(), strict=True
        ):
            if port:
                self.status[k] = RollStatus.IN_PORT
            elif shelter:
                self.status[k] = RollStatus.SHELTERED
            elif known:
                self.status[k] = RollStatus.AT_SEA
        return self._record(at)

    def _record(self, at: float) -> RollCallPoint:
        counts = {s.value: 0 for s in RollStatus}
        for s in self.status.values():
            counts[s.value] += 1
        done = counts[RollStatus.IN_PORT] + counts[RollStatus.SHELTERED]
        point = RollCallPoint(at, Tally(done, len(self.status)), counts)
        self.timeline.append(point)
        if self.completed_at is None and self.complete:
            self.completed_at = at
        return point

    @property
    def tally(self) -> Tally:
        """The overall tally now."""
        return Tally(sum(s.done for s in self.status.values()), len(self.status))

    @property
    def complete(self) -> bool:
        """True when every recalled vessel is in port or sheltered (100 %)."""
        return all(s.done for s in self.status.values())

    def outstanding(self) -> list[int]:
        """Recalled vessels not yet in port or sheltered (at sea or unknown), by key."""
        return sorted(k for k, s in self.status.items() if not s.done)

    def _by(self, label: Mapping[int, Any]) -> dict[Any, Tally]:
        done: dict[Any, int] = {}
        total: dict[Any, int] = {}
        for k, s in self.status.items():
            g = label.get(k)
            total[g] = total.get(g, 0) + 1
            done[g] = done.get(g, 0) + int(s.done)
        return {g: Tally(done[g], total[g]) for g in total}

    def by_group(self) -> dict[int | None, Tally]:
        """Tally per production group (None: vessels in no group)."""
        return self._by(self.group_of)

    def by_township(self) -> dict[str | None, Tally]:
        """Tally per township (None: vessels with no township)."""
        return self._by(self.township_of)


# ------------------------------------------------------------------------------------------------ JSON


def _time(value: object, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{where}: 'at' is not an ISO 8601 time: {value!r}") from None
        if parsed.tzinfo is None:
            raise ValueError(f"{where}: 'at' needs a UTC offset (e.g. 2026-08-01T06:00:00Z)")
        return parsed.timestamp()
    raise ValueError(f"{where}: 'at' must be an ISO 8601 time or Unix seconds")


def _number(p: Mapping[str, Any], names: Sequence[tuple[str, float]], where: str, required: bool) -> float:
    for name, factor in names:
        value = p.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{where}: '{name}' must be a number")
        return float(value) * factor
    if required:
        raise ValueError(f"{where}: needs {' or '.join(repr(n) for n, _ in names)}")
    return math.nan


_R7 = (("radius_7_m", 1.0), ("radius_7_km", 1000.0), ("r7_km", 1000.0))
_R10 = (("radius_10_m", 1.0), ("radius_10_km", 1000.0), ("r10_km", 1000.0))


def _point(p: object, where: str, *, timed: bool = True) -> TrackPoint:
    if not isinstance(p, Mapping):
        raise ValueError(f"{where}: must be an object")
    lon = _number(p, (("lon", 1.0),), where, True)
    lat = _number(p, (("lat", 1.0),), where, True)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"{where}: lon/lat out of range")
    at = _time(p.get("at"), where) if timed else 0.0
    return TrackPoint(at, lon, lat, _number(p, _R7, where, True), _number(p, _R10, where, False))


def typhoon_from_json(obj: object) -> Typhoon:
    """A typhoon from parsed JSON: a track, or a single stationary circle.

    Accepted shapes (radii in metres as ``radius_7_m`` / ``radius_10_m``, or kilometres as ``radius_7_km`` /
    ``radius_10_km`` or the fleet simulator's ``r7_km`` / ``r10_km``; the force-10 radius is optional; ``at`` is an
    ISO 8601 time with an offset, "Z" included, or Unix seconds):

    - ``{"name": ..., "points": [{"at", "lon", "lat", "radius_7_km", "radius_10_km"}, ...]}``;
    - the fleet simulator's ``typhoon.json``: ``{"name": ..., "track": [{"at", "lon", "lat", "r7_km", "r10_km",
      ...}, ...], ...}`` (other keys are ignored);
    - a circle: ``{"name": ..., "lon", "lat", "radius_7_km"}``.

    The simulator's ``warning_radius_km`` (it recalls boats within that distance of the *current* centre) is not
    part of a :class:`Typhoon`; ``Typhoon.circle(name, lon, lat, warning_radius_km * 1000)`` at
    :meth:`Typhoon.position_at` reproduces it.

    >>> t = typhoon_from_json({"name": "DEMO", "track": [
    ...     {"at": "2026-08-01T00:00:00Z", "lon": 125.1, "lat": 26.4, "r7_km": 300, "r10_km": 150}]})
    >>> t.name, t.points[0].radius_7_m, t.points[0].at
    ('DEMO', 300000.0, 1785542400.0)
    """
    if not isinstance(obj, Mapping):
        raise ValueError("a typhoon must be a JSON object")
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("the typhoon needs a 'name'")
    raw = obj.get("points", obj.get("track"))
    if raw is None:
        return Typhoon(name.strip(), (_point(obj, "circle", timed=False),))
    if not isinstance(raw, list) or not raw:
        raise ValueError("'points' (or 'track') must be a non-empty list")
    points = sorted((_point(p, f"point {i}") for i, p in enumerate(raw)), key=lambda p: p.at)
    return Typhoon(name.strip(), tuple(points))
