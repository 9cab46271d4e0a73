"""Geofences: sea grids and restricted waters (enter, exit, dwell) and seasonal closures (伏季休渔) by gear.

An :class:`Area` is a polygon with rules; a :class:`Closure` closes a polygon to some gears between two local
(Asia/Shanghai) dates, both included. :class:`GeofenceTracker` keeps, per (target, area), whether the target is
inside and since when, with a boundary band of ``hysteresis_m``: a target enters when it is at least that far
inside and leaves when it is at least that far outside, so position jitter on the line raises nothing.

What the tracker reports (only targets of class ``vessel``; beacons, AtoN and the like are never watched):

- ``GEOFENCE_ENTER`` / ``GEOFENCE_EXIT``: the *transition*, once, in the update where it happens, for areas whose
  rules ask for it. These are one-shot observations, already debounced in space, so give them
  :func:`transition_timings` (raise at once) in the :class:`~pingan.maritime.rules.Debouncer`; with the default
  20 s delay a one-shot observation would be debounced away.
- ``GEOFENCE_DWELL``: every update while a vessel has been inside longer than the area's ``max_dwell_s``.
- ``CLOSURE``: every update while a vessel whose gear is closed today is inside the closure, at sea (not in
  port), at any speed. A speed at or below ``fishing_max_sog_kn`` (5 kn) looks like fishing and is an ALARM;
  a faster vessel is transiting (often heading home on the first day, which is allowed until 12:00) and is a
  WARNING. An unknown speed counts as transiting.

The first time the tracker sees a target, or the first update that carries an area, it records which areas the
target is in without reporting ENTER: a restart or a newly drawn area must not raise a storm of entries (dwell
is then counted from that first sighting). A target missing from a picture keeps its state (its position is
unknown, so it has neither entered nor left); call :meth:`GeofenceTracker.forget` for targets that expire.

Distances use an equirectangular projection about each polygon's centre (:func:`buffer_m`), exact to well under
a metre for a 50 m band on areas of a few tens of kilometres.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped]
import shapely.errors  # type: ignore[import-untyped]
import shapely.geometry  # type: ignore[import-untyped]
from numpy.typing import NDArray

from pingan.maritime.rules import AlertKind, Level, Observation, Picture, Timing
from pingan.maritime.tracks import EARTH_RADIUS_M

M_PER_DEG = math.pi * EARTH_RADIUS_M / 180.0  # metres per degree of latitude (and of longitude at the equator)
TARGET_KINDS: frozenset[str] = frozenset({"fishing", "merchant", "other"})
ALL_GEARS = "*"  # in Closure.gears: the closure applies to every gear


class AreaKind(StrEnum):
    """What a geofenced area is."""

    STATIC = "static"  # 静态网格
    CONTROL = "control"  # 管控网格
    PATROL = "patrol"  # 巡查网格
    CHANNEL = "channel"  # 航道
    ANCHORAGE = "anchorage"  # 锚地
    PROTECTED = "protected"  # 保护区
    RESTRICTED = "restricted"  # other restricted waters


@dataclass(frozen=True, slots=True)
class AreaRules:
    """What an area alerts on, and for which kinds of vessel (``Picture.kind`` values)."""

    alert_on_enter: bool = False
    alert_on_exit: bool = False
    max_dwell_s: float | None = None
    applies_to: frozenset[str] = TARGET_KINDS
    level: Level = Level.WARNING


@dataclass(frozen=True, slots=True)
class Area:
    """A control sea grid or restricted waters: a polygon in lon/lat degrees, with its rules."""

    code: str
    name: str
    kind: AreaKind
    geometry: Any  # shapely Polygon or MultiPolygon
    rules: AreaRules = field(default_factory=AreaRules)


@dataclass(frozen=True, slots=True)
class Closure:
    """A seasonal closure: ``gears`` may not fish inside ``geometry`` from ``start`` to ``end`` (local dates).

    ``gears`` holds operation types ("trawl", "gillnet", …) or :data:`ALL_GEARS`.
    """

    code: str
    name: str
    geometry: Any  # shapely Polygon or MultiPolygon
    gears: frozenset[str]
    start: date
    end: date

    def active_on(self, day: date) -> bool:
        """True when ``day`` (a local Asia/Shanghai date) is closed; both ends count.

        >>> c = Closure("C1", "伏休", shapely.box(0, 0, 1, 1), frozenset({"trawl"}), date(2026, 5, 1),
        ...             date(2026, 9, 16))
        >>> c.active_on(date(2026, 4, 30)), c.active_on(date(2026, 5, 1)), c.active_on(date(2026, 9, 16))
        (False, True, True)
        """
        return self.start <= day <= self.end

    def closes(self, gears: NDArray[np.str_]) -> NDArray[np.bool_]:
        """Which of ``gears`` this closure closes (an empty gear is never closed)."""
        if ALL_GEARS in self.gears:
            return np.asarray(gears != "", dtype=bool)
        return np.isin(gears, sorted(self.gears))


def transition_timings(clear_after_s: float = 60.0) -> dict[AlertKind, Timing]:
    """Debouncer timings for the one-shot ENTER/EXIT observations: raise at once, clear after ``clear_after_s``."""
    return {
        AlertKind.GEOFENCE_ENTER: Timing(0.0, clear_after_s),
        AlertKind.GEOFENCE_EXIT: Timing(0.0, clear_after_s),
    }


# ------------------------------------------------------------------------------------------------ geometry


def _transform(geom: Any, fn: Callable[[NDArray[np.float64]], NDArray[np.float64]]) -> Any:
    return shapely.transform(geom, fn)


def buffer_m(geom: Any, distance_m: float, *, quad_segs: int = 8) -> Any:
    """Buffer a lon/lat geometry by a distance in metres (negative shrinks it).

    Parameters
    ----------
    geom : shapely geometry, lon/lat degrees
    distance_m : float
        Buffer distance, metres; negative erodes a polygon (and may leave it empty).
    quad_segs : int
        Segments per quarter circle at convex corners.

    Returns
    -------
    shapely geometry, lon/lat degrees
        Computed in an equirectangular projection about the centre of ``geom``'s bounding box: good to a few
        metres per kilometre of buffer over areas a few tens of kilometres across.

    Examples
    --------
    >>> grown = buffer_m(shapely.box(122.0, 30.0, 122.1, 30.1), 1000.0)
    >>> round((grown.bounds[3] - 30.1) * M_PER_DEG)
    1000
    """
    if shapely.is_empty(geom):
        return geom
    x0, y0, x1, y1 = shapely.bounds(geom)
    lon0, lat0 = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    scale = np.array([M_PER_DEG * math.cos(math.radians(lat0)), M_PER_DEG])
    origin = np.array([lon0, lat0])
    metric = _transform(geom, lambda c: (c - origin) * scale)
    grown = shapely.buffer(metric, distance_m, quad_segs=quad_segs)
    return _transform(grown, lambda c: c / scale + origin)


@dataclass(frozen=True, slots=True)
class _Band:
    inner: Any  # entered when inside this (the area shrunk by the hysteresis band)
    outer: Any  # left when outside this (the area grown by the band)


def _band(geom: Any, hysteresis_m: float) -> _Band:
    inner = buffer_m(geom, -hysteresis_m) if hysteresis_m > 0 else geom
    if shapely.is_empty(inner):  # an area narrower than the band: enter on the line itself
        inner = geom
    outer = buffer_m(geom, hysteresis_m) if hysteresis_m > 0 else geom
    shapely.prepare(inner)
    shapely.prepare(outer)
    return _Band(inner, outer)


class _Lookup:
    """Position of keys in an array of unique keys."""

    def __init__(self, keys: NDArray[np.int64]) -> None:
        self.order = np.argsort(keys, kind="stable")
        self.sorted = keys[self.order]

    def __call__(self, wanted: NDArray[np.int64]) -> NDArray[np.intp]:
        return np.asarray(self.order[np.searchsorted(self.sorted, wanted)], dtype=np.intp)


# ------------------------------------------------------------------------------------------------ tracker


class GeofenceTracker:
    """Per-(target, area) inside/outside state with a hysteresis band, turned into observations each update."""

    def __init__(self, *, hysteresis_m: float = 50.0, fishing_max_sog_kn: float = 5.0) -> None:
        if hysteresis_m < 0:
            raise ValueError("hysteresis_m must not be negative")
        self.hysteresis_m = hysteresis_m
        self.fishing_max_sog_kn = fishing_max_sog_kn
        self._inside: dict[str, dict[int, float]] = {}  # area code -> {key: entered_at}
        self._seen: NDArray[np.int64] = np.zeros(0, np.int64)  # sorted keys seen at least once
        self._bands: dict[tuple[str, Any], _Band] = {}

    def inside(self, code: str) -> dict[int, float]:
        """The targets inside an area now, with the time each entered (Unix seconds)."""
        return dict(self._inside.get(code, {}))

    def see(self, picture: Picture) -> None:
        """Count the vessels of `picture` as seen, without judging any area: an engine that passes :meth:`update`
        only the targets near its areas calls this with the whole picture, so a vessel whose first report near an
        area is already inside it (a BeiDou fix every 10 minutes) enters like any other, not as first seen."""
        keys = picture.key[picture.target_class == "vessel"]
        new = keys[~np.isin(keys, self._seen)]
        if new.size:
            self._seen = np.union1d(self._seen, new)

    def inside_keys(self) -> NDArray[np.int64]:
        """Every target inside some area now (sorted, unique)."""
        keys = [k for state in self._inside.values() for k in state]
        return np.unique(np.array(keys, dtype=np.int64))

    def closures(self, picture: Picture, closures: Sequence[Closure], today: date) -> list[Observation]:
        """The CLOSURE observations alone (closures keep no state: this is what :meth:`update` adds)."""
        rows = np.flatnonzero((picture.target_class == "vessel") & np.isfinite(picture.lon) & np.isfinite(picture.lat))
        return self._closures(picture, rows, closures, today)

    def forget(self, keys: Iterable[int]) -> None:
        """Drop all state of targets that have expired (they count as first seen if they come back)."""
        gone = np.fromiter(keys, dtype=np.int64)
        for state in self._inside.values():
            for k in gone.tolist():
                state.pop(k, None)
        self._seen = self._seen[~np.isin(self._seen, gone)]

    def _band_of(self, area: Area) -> _Band:
        band = self._bands.get((area.code, area.geometry))
        if band is None:
            band = self._bands[(area.code, area.geometry)] = _band(area.geometry, self.hysteresis_m)
        return band

    def update(
        self, picture: Picture, areas: Sequence[Area], closures: Sequence[Closure], today: date
    ) -> list[Observation]:
        """Advance every (vessel, area) state to ``picture.now``; return ENTER/EXIT, DWELL and CLOSURE observations.

        ``today`` is the local (Asia/Shanghai) date of ``picture.now``, which the caller computes.
        """
        now = picture.now
        rows = np.flatnonzero((picture.target_class == "vessel") & np.isfinite(picture.lon) & np.isfinite(picture.lat))
        keys = picture.key[rows]
        lon, lat = picture.lon[rows], picture.lat[rows]
        first_sight = ~np.isin(keys, self._seen)
        row_of = _Lookup(keys)
        observations: list[Observation] = []

        codes = [a.code for a in areas]
        if len(set(codes)) != len(codes):
            raise ValueError("area codes must be unique")
        for code in list(self._inside):
            if code not in codes:
                del self._inside[code]
        bands = [self._band_of(a) for a in areas]
        live = {(a.code, a.geometry) for a in areas}
        self._bands = {k: v for k, v in self._bands.items() if k in live}

        # Which vessels are within each area's outer band: one STRtree query over all vessels and areas.
        if areas and rows.size:
            tree = shapely.STRtree([b.outer for b in bands])
            pairs = tree.query(shapely.points(lon, lat), predicate="intersects")
            order = np.argsort(pairs[1], kind="stable")
            pt, ar = pairs[0][order], pairs[1][order]
            splits = np.searchsorted(ar, np.arange(len(areas) + 1))
        else:
            pt = np.zeros(0, np.intp)
            splits = np.zeros(len(areas) + 1, np.intp)

        for j, area in enumerate(areas):
            new_area = area.code not in self._inside
            state = self._inside.setdefault(area.code, {})
            near = pt[splits[j] : splits[j + 1]]  # positions in `rows` within the outer band
            in_inner = near[shapely.contains_xy(bands[j].inner, lon[near], lat[near])]
            prev = np.fromiter(state.keys(), dtype=np.int64, count=len(state))
            # Leave: was inside, is in the picture, and is no longer within the outer band.
            present = prev[np.isin(prev, keys)]
            left = present[~np.isin(present, keys[near])]
            # Enter: within the inner area and not inside before.
            entered = in_inner[~np.isin(keys[in_inner], prev)]
            for k, r in zip(left.tolist(), row_of(left).tolist(), strict=True):
                since = state.pop(k)
                if area.rules.alert_on_exit:
                    observations.extend(
                        self._observe(AlertKind.GEOFENCE_EXIT, area, picture, rows[r], since, now - since)
                    )
            for r in entered.tolist():
                k = int(keys[r])
                state[k] = now
                if area.rules.alert_on_enter and not (new_area or first_sight[r]):
                    observations.extend(self._observe(AlertKind.GEOFENCE_ENTER, area, picture, rows[r], now, 0.0))
            if area.rules.max_dwell_s is not None and state:
                inside = np.fromiter(state.keys(), dtype=np.int64, count=len(state))
                since_at = np.fromiter(state.values(), dtype=np.float64, count=len(state))
                over = np.isin(inside, keys) & (now - since_at > area.rules.max_dwell_s)
                for r, since in zip(row_of(inside[over]).tolist(), since_at[over].tolist(), strict=True):
                    observations.extend(
                        self._observe(AlertKind.GEOFENCE_DWELL, area, picture, rows[r], since, now - since)
                    )

        self._seen = np.union1d(self._seen, keys)
        observations.extend(self._closures(picture, rows, closures, today))
        return observations

    def _observe(
        self, kind: AlertKind, area: Area, picture: Picture, row: int, entered_at: float, dwell_s: float
    ) -> list[Observation]:
        if str(picture.kind[row]) not in area.rules.applies_to:
            return []
        key = int(picture.key[row])
        details: dict[str, Any] = {
            "area": area.code,
            "area_name": area.name,
            "area_kind": str(area.kind),
            "entered_at": entered_at,
        }
        if kind is not AlertKind.GEOFENCE_ENTER:
            details["dwell_s"] = dwell_s
        if kind is AlertKind.GEOFENCE_DWELL:
            details["max_dwell_s"] = area.rules.max_dwell_s
        return [
            Observation(
                kind,
                f"{key}@{area.code}",
                area.rules.level,
                (key,),
                float(picture.lon[row]),
                float(picture.lat[row]),
                details,
            )
        ]

    def _closures(
        self, picture: Picture, rows: NDArray[np.intp], closures: Sequence[Closure], today: date
    ) -> list[Observation]:
        observations: list[Observation] = []
        at_sea = rows[~picture.in_port[rows]]
        for closure in closures:
            if not closure.active_on(today) or not at_sea.size:
                continue
            cand = at_sea[closure.closes(picture.gear[at_sea])]
            hit = cand[shapely.contains_xy(closure.geometry, picture.lon[cand], picture.lat[cand])]
            for r in hit.tolist():
                sog = float(picture.sog_kn[r])
                fishing_like = bool(sog <= self.fishing_max_sog_kn)  # NaN compares False: transiting
                key = int(picture.key[r])
                observations.append(
                    Observation(
                        AlertKind.CLOSURE,
                        f"{key}@{closure.code}",
                        Level.ALARM if fishing_like else Level.WARNING,
                        (key,),
                        float(picture.lon[r]),
                        float(picture.lat[r]),
                        {
                            "closure": closure.code,
                            "closure_name": closure.name,
                            "gear": str(picture.gear[r]),
                            "sog_kn": sog,
                            "fishing_like": fishing_like,
                            "start": closure.start.isoformat(),
                            "end": closure.end.isoformat(),
                        },
                    )
                )
        return observations


# ------------------------------------------------------------------------------------------------ GeoJSON


def _level(value: object, where: str) -> Level:
    if isinstance(value, str) and value.upper() in Level.__members__:
        return Level[value.upper()]
    if isinstance(value, int) and not isinstance(value, bool) and value in {lv.value for lv in Level}:
        return Level(value)
    raise ValueError(f"{where}: level must be one of {', '.join(m.lower() for m in Level.__members__)}")


def _rules(props: Mapping[str, Any], where: str) -> AreaRules:
    kwargs: dict[str, Any] = {}
    for name in ("alert_on_enter", "alert_on_exit"):
        if name in props:
            if not isinstance(props[name], bool):
                raise ValueError(f"{where}: {name} must be true or false")
            kwargs[name] = props[name]
    if props.get("max_dwell_s") is not None:
        dwell = props["max_dwell_s"]
        if isinstance(dwell, bool) or not isinstance(dwell, int | float) or not math.isfinite(dwell) or dwell <= 0:
            raise ValueError(f"{where}: max_dwell_s must be a positive number of seconds")
        kwargs["max_dwell_s"] = float(dwell)
    if "applies_to" in props:
        kinds = props["applies_to"]
        if not isinstance(kinds, list) or not kinds or not all(k in TARGET_KINDS for k in kinds):
            raise ValueError(f"{where}: applies_to must be a non-empty list of {', '.join(sorted(TARGET_KINDS))}")
        kwargs["applies_to"] = frozenset(kinds)
    if "level" in props:
        kwargs["level"] = _level(props["level"], where)
    return AreaRules(**kwargs)


def _polygon(geometry: object, where: str) -> Any:
    if not isinstance(geometry, Mapping) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"{where}: geometry must be a Polygon or MultiPolygon")
    try:
        geom = shapely.geometry.shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.GEOSException) as exc:
        raise ValueError(f"{where}: geometry coordinates are malformed ({exc})") from exc
    if shapely.is_empty(geom):
        raise ValueError(f"{where}: geometry is empty")
    x0, y0, x1, y1 = shapely.bounds(geom)
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise ValueError(f"{where}: coordinates must be longitude, latitude in degrees")
    if not shapely.is_valid(geom):
        raise ValueError(f"{where}: geometry is invalid ({shapely.is_valid_reason(geom)})")
    return geom


def areas_from_geojson(obj: object) -> list[Area]:
    """Areas from a GeoJSON FeatureCollection (the map editor's import); raises ValueError saying what is wrong.

    Each feature needs a Polygon or MultiPolygon in lon/lat and the properties ``code``, ``name`` and ``kind``
    (an :class:`AreaKind` value); ``alert_on_enter``, ``alert_on_exit``, ``max_dwell_s`` (seconds),
    ``applies_to`` (list of "fishing", "merchant", "other") and ``level`` ("info", "warning", "alarm") are optional.

    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature",
    ...       "geometry": {"type": "Polygon", "coordinates": [[[122, 30], [122.1, 30], [122.1, 30.1], [122, 30]]]},
    ...       "properties": {"code": "G1", "name": "一号", "kind": "control", "max_dwell_s": 3600}}]}
    >>> [(a.code, a.kind, a.rules.max_dwell_s) for a in areas_from_geojson(fc)]
    [('G1', <AreaKind.CONTROL: 'control'>, 3600.0)]
    """
    if not isinstance(obj, Mapping) or obj.get("type") != "FeatureCollection":
        raise ValueError("expected a GeoJSON FeatureCollection")
    features = obj.get("features")
    if not isinstance(features, list):
        raise ValueError("the FeatureCollection has no 'features' list")
    areas: list[Area] = []
    seen: set[str] = set()
    for i, feature in enumerate(features):
        where = f"feature {i}"
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            raise ValueError(f"{where}: not a GeoJSON Feature")
        props = feature.get("properties")
        if not isinstance(props, Mapping):
            raise ValueError(f"{where}: has no properties")
        for name in ("code", "name", "kind"):
            if not isinstance(props.get(name), str) or not props[name].strip():
                raise ValueError(f"{where}: property '{name}' is missing or empty")
        code = props["code"].strip()
        where = f"feature {i} ({code})"
        if code in seen:
            raise ValueError(f"{where}: code is used twice")
        seen.add(code)
        try:
            kind = AreaKind(props["kind"])
        except ValueError:
            raise ValueError(f"{where}: kind must be one of {', '.join(k.value for k in AreaKind)}") from None
        areas.append(Area(code, props["name"].strip(), kind, _polygon(feature.get("geometry"), where),
                          _rules(props, where)))  # fmt: skip
    return areas


def area_to_feature(area: Area) -> dict[str, Any]:
    """One area as a GeoJSON Feature in the shape :func:`areas_from_geojson` reads."""
    rules = area.rules
    props: dict[str, Any] = {
        "code": area.code,
        "name": area.name,
        "kind": str(area.kind),
        "alert_on_enter": rules.alert_on_enter,
        "alert_on_exit": rules.alert_on_exit,
        "max_dwell_s": rules.max_dwell_s,
        "applies_to": sorted(rules.applies_to),
        "level": rules.level.name.lower(),
    }
    return {"type": "Feature", "geometry": shapely.geometry.mapping(area.geometry), "properties": props}
