"""Collision risk (防碰撞): CPA/TCPA and distance alarms between live vessels, screened with a KD-tree.

The math follows maritime.md §5.1 and OpenCPN's ``AisDecoder::UpdateOneCPA`` (§5.2): relative motion in a local
east/north plane, ``TCPA = −(r·v)/|v|²``, ``DCPA = |r + v·TCPA|``; a pair closing (TCPA > 0) under both limits
of a level alerts, as ``UpdateAllAlarms`` does. On top, the fishing-vessel scheme of §5.3 (two levels and a
distance alarm that ignores TCPA), the suppressions of §5.4–5.5 (same production group, both moored or both in
port, not a vessel, stale fix) and distance hysteresis for situations already held.

Screening (§5.5) never forms all pairs. A pair further apart than ``R = D + v_rel·T`` cannot come within ``D``
in the next ``T`` seconds: :func:`candidate_pairs` is that test over ``cKDTree.query_pairs`` (default policy:
D = 1 nm, T = 15 min, two 20-knot ships, R = 11 nm). :func:`detect_collisions` tightens it. It compares each
vessel's *mid-horizon* position ``p + v·T/2``: a pair that will pass within ``D`` is then at most ``√(D² + w²)``
apart, with ``w = |v_i − v_j|·T/2``, and a pair within the distance alarm ``d`` now at most ``d + w``. And it
searches speed bands apart, so two trawlers at up to 5 kn are searched within √(1² + 1.25²) = 1.6 nm, not 11 nm.
Vessels that may never alert together (both moored, both in port) are never searched against each other, so a
crowded fishing port costs nothing.

Pure: NumPy and SciPy only; the instant is the picture's ``now``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Set
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree  # type: ignore[import-untyped]

from pingan.maritime.classify import TargetClass
from pingan.maritime.reports import Source
from pingan.maritime.rules import AlertKind, Level, Observation, Picture

F64 = NDArray[np.float64]
METRES_PER_NM = 1852.0
KN_TO_MS = METRES_PER_NM / 3600.0  # metres per second in one knot
M_PER_DEG = 60.0 * METRES_PER_NM  # OpenCPN's metres per degree of latitude (one minute = one nautical mile)
# The sphere on which one minute of arc is one nautical mile, as on OpenCPN's sheet: its chords are never longer
# than the sheet's distances, so a KD-tree over it misses no pair.
SPHERE_RADIUS_M = M_PER_DEG * 180.0 / np.pi
PARALLEL_EPS_M2S2 = 1e-6  # |v_rel|² below this (1 mm/s) counts as parallel at the same speed: TCPA = 0
MIN_SOG_KN = 0.01  # OpenCPN: below this a target has no course (COG may read 360)
SOG_NOT_AVAILABLE_KN = 102.2  # OpenCPN: above this SOG means "not available" (AIS 1023)
SPEED_BANDS_KN = (5.0, 10.0)  # screening bands: trawling (≤ 5 kn), fishing vessels steaming, merchant ships
SCREEN_SLACK_M = 1.0  # rounding room on every screening radius


@dataclass(frozen=True, slots=True)
class CpaPolicy:
    """Thresholds of the collision rule (a policy row or settings; defaults from maritime.md §5.3).

    A level is off when its DCPA limit is 0; the distance alarm is off when ``distance_alarm_nm`` is 0.
    """

    warning_dcpa_nm: float = 1.0
    warning_tcpa_min: float = 15.0
    alarm_dcpa_nm: float = 0.5
    alarm_tcpa_min: float = 6.0
    distance_alarm_nm: float = 0.3  # ALARM under this range whatever the TCPA (catches stale or unknown COG)
    moored_kn: float = 0.2  # at or under this SOG a vessel counts as moored (OpenCPN MooredTargetMaxSpeedKnots)
    max_range_nm: float = 20.0  # no alert beyond this range (OpenCPN NoCPAMaxNMi)
    stale_after_s: float = 180.0  # a fix older than this is skipped (AIS Class B moving is late after 3 min, §4)
    beidou_stale_after_s: float = 660.0  # BeiDou reports every 10 min (§4): one cycle plus a minute
    clear_factor: float = 1.4  # a held situation persists until its distances exceed 1.4 × the raise limits (§5.4)
    fishing_pairs: bool = False  # fishing–fishing pairs: off by default (商渔船防碰撞 is fishing–merchant; see below)
    berthed_targets: bool = False  # a vessel moored in port never alerts (it cannot manoeuvre; quays line channels)

    def __post_init__(self) -> None:
        """Refuse negative limits and a hysteresis that would clear before it raises."""
        numbers = [getattr(self, name) for name in self.__slots__ if not isinstance(getattr(self, name), bool)]
        if any(not x >= 0.0 for x in numbers) or self.clear_factor < 1.0:
            raise ValueError(f"a CPA policy takes non-negative limits and a clear_factor of at least 1: {self}")

    @staticmethod
    def default() -> CpaPolicy:
        """pingan's two-level scheme for fishing waters: warning 1 nm / 15 min, alarm 0.5 nm / 6 min, 0.3 nm."""
        return CpaPolicy()

    @staticmethod
    def opencpn() -> CpaPolicy:
        """OpenCPN's defaults as a reference profile: one level at CPA 2 nm, TCPA 30 min, range 20 nm, 0.2 kn.

        Thresholds only: OpenCPN silences a moored *target* for its own ship, while a fleet-wide pair here is
        silenced only when both are moored.
        """
        return CpaPolicy(
            warning_dcpa_nm=0.0,
            warning_tcpa_min=0.0,
            alarm_dcpa_nm=2.0,  # CPAWarnNMi
            alarm_tcpa_min=30.0,  # TCPAMaxMinutes
            distance_alarm_nm=0.0,  # OpenCPN has no distance-only alarm
            moored_kn=0.2,  # MooredTargetMaxSpeedKnots
            max_range_nm=20.0,  # NoCPAMaxNMi
            stale_after_s=480.0,  # MarkLost_Minutes = 8: a lost target no longer alerts
            beidou_stale_after_s=660.0,
            clear_factor=1.0,  # OpenCPN clears as soon as the condition fails (after AISAlertDelay)
            fishing_pairs=True,  # OpenCPN knows no fishing vessels: every pair counts
            berthed_targets=True,
        )

    @property
    def horizon_s(self) -> float:
        """The longest TCPA window of an enabled level, in seconds."""
        windows = [self.alarm_tcpa_min * 60.0 if self.alarm_dcpa_nm > 0 else 0.0]
        windows.append(self.warning_tcpa_min * 60.0 if self.warning_dcpa_nm > 0 else 0.0)
        return max(windows)


def local_plane(lon: ArrayLike, lat: ArrayLike, lon0: ArrayLike, lat0: ArrayLike) -> tuple[F64, F64]:
    """East and north offsets in metres of (lon, lat) from (lon0, lat0), on OpenCPN's equirectangular sheet.

    ``east = Δlon · 60 · 1852 · cos(lat0)``, ``north = Δlat · 60 · 1852`` (one minute of latitude is one nautical
    mile); Δlon is wrapped into [−180°, 180°). Good to a fraction of a percent over the 20 nm of a CPA picture.

    Parameters
    ----------
    lon, lat : array_like
        Points, in degrees.
    lon0, lat0 : array_like
        Origins, in degrees (broadcast against the points).

    Returns
    -------
    east_m, north_m : ndarray
        Offsets in metres.

    Examples
    --------
    >>> east, north = local_plane(122.0 + 1 / 60, 30.0 + 1 / 60, 122.0, 30.0)
    >>> round(float(east), 1), round(float(north), 1)
    (1603.9, 1852.0)
    """
    origin_lon, origin_lat = np.asarray(lon0, dtype=np.float64), np.asarray(lat0, dtype=np.float64)
    dlon = (np.asarray(lon, dtype=np.float64) - origin_lon + 180.0) % 360.0 - 180.0
    east = dlon * M_PER_DEG * np.cos(np.radians(origin_lat))
    north = (np.asarray(lat, dtype=np.float64) - origin_lat) * M_PER_DEG
    return np.asarray(east, dtype=np.float64), np.asarray(north, dtype=np.float64)


def velocity(sog_kn: ArrayLike, cog_deg: ArrayLike) -> tuple[F64, F64]:
    """East and north velocity in m/s from speed and course over ground.

    As OpenCPN, a target has no velocity when its SOG is under 0.01 kn or not available (NaN, ≥ 102.2 kn), or when
    its COG is not available (NaN or 360). Where OpenCPN then drops the CPA altogether, pingan keeps the target
    as standing still, so the other vessel's motion and the distance alarm still count.

    Parameters
    ----------
    sog_kn : array_like
        Speed over ground, in knots.
    cog_deg : array_like
        Course over ground, in degrees true (0 = north, 90 = east).

    Returns
    -------
    v_east_ms, v_north_ms : ndarray
        Velocity components, in metres per second.

    Examples
    --------
    >>> ve, vn = velocity([10.0, 10.0, 5.0], [90.0, 360.0, float("nan")])
    >>> ve.round(3).tolist(), vn.round(3).tolist()
    ([5.144, 0.0, 0.0], [0.0, 0.0, 0.0])
    """
    sog = np.asarray(sog_kn, dtype=np.float64)
    cog = np.asarray(cog_deg, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        moving = (sog >= MIN_SOG_KN) & (sog < SOG_NOT_AVAILABLE_KN) & (cog >= 0.0) & (cog < 360.0)
    speed = np.where(moving, sog, 0.0) * KN_TO_MS
    rad = np.radians(np.where(moving, cog, 0.0))
    return np.asarray(speed * np.sin(rad), dtype=np.float64), np.asarray(speed * np.cos(rad), dtype=np.float64)


def cpa_tcpa(
    rel_east_m: ArrayLike, rel_north_m: ArrayLike, v_east_ms: ArrayLike, v_north_ms: ArrayLike
) -> tuple[F64, F64]:
    """Distance and time to the closest point of approach, from relative position and velocity (vectorised).

    With ``r`` = target − own position and ``v`` = target − own velocity (maritime.md §5.1):
    ``TCPA = −(r·v)/|v|²`` and ``DCPA = |r + v·TCPA|``. When ``|v|² < 1e-6 m²/s²`` (parallel courses at the same
    speed) TCPA is 0; when TCPA < 0 the pair is diverging, the closest point is now and DCPA is the current
    range. TCPA is returned as computed (negative when diverging). Swapping own and target gives the same answer.

    Parameters
    ----------
    rel_east_m, rel_north_m : array_like
        Position of the target relative to own ship, in metres.
    v_east_ms, v_north_ms : array_like
        Velocity of the target relative to own ship, in metres per second.

    Returns
    -------
    dcpa_m : ndarray
        Distance at the closest point of approach, in metres.
    tcpa_s : ndarray
        Time to the closest point of approach, in seconds (negative: diverging; 0: not closing at all).

    Examples
    --------
    Head-on, 2,000 m apart, closing at 10 m/s, offset 100 m to the side:

    >>> dcpa, tcpa = cpa_tcpa(100.0, 2000.0, 0.0, -10.0)
    >>> float(dcpa), float(tcpa)
    (100.0, 200.0)

    Diverging: the closest point was in the past, DCPA is the range now.

    >>> dcpa, tcpa = cpa_tcpa([300.0], [400.0], [3.0], [4.0])
    >>> dcpa.tolist(), tcpa.tolist()
    ([500.0], [-100.0])
    """
    re = np.asarray(rel_east_m, dtype=np.float64)
    rn = np.asarray(rel_north_m, dtype=np.float64)
    ve = np.asarray(v_east_ms, dtype=np.float64)
    vn = np.asarray(v_north_ms, dtype=np.float64)
    vv = ve * ve + vn * vn
    closing = vv >= PARALLEL_EPS_M2S2
    tcpa = np.where(closing, -(re * ve + rn * vn) / np.where(closing, vv, 1.0), 0.0)
    t = np.maximum(tcpa, 0.0)
    dx, dy = re + ve * t, rn + vn * t
    return np.asarray(np.sqrt(dx * dx + dy * dy), dtype=np.float64), np.asarray(tcpa, dtype=np.float64)


def candidate_pairs(east_m: ArrayLike, north_m: ArrayLike, radius_m: float) -> NDArray[np.intp]:
    """All pairs ``(i, j)``, ``i < j``, of points within `radius_m` of each other, through a KD-tree.

    The screening step of §5.5 (never all pairs): SciPy's ``cKDTree.query_pairs(r, output_type="ndarray")``.
    For a CPA sweep the radius is ``R = D + v_rel_max · T``: a pair further apart than ``R`` cannot come within
    ``D`` in the next ``T`` seconds. With maritime.md's numbers (D = 1 nm, v_rel_max = 30 kn, T = 6 min) R = 4 nm
    ≈ 7.4 km; for the default warning window (T = 15 min) and two 20-knot ships, R = 11 nm.

    Parameters
    ----------
    east_m, north_m : array_like
        Positions on a plane, in metres.
    radius_m : float
        Search radius, in metres (pairs at exactly this distance are included).

    Returns
    -------
    ndarray of shape (k, 2)
        Index pairs, each with ``i < j``, in no particular order.

    Examples
    --------
    >>> candidate_pairs([0.0, 500.0, 5000.0], [0.0, 0.0, 0.0], 1000.0).tolist()
    [[0, 1]]
    """
    points = np.column_stack([np.asarray(east_m, dtype=np.float64), np.asarray(north_m, dtype=np.float64)])
    if len(points) < 2:
        return np.zeros((0, 2), dtype=np.intp)
    pairs = cKDTree(points).query_pairs(float(radius_m), output_type="ndarray")
    return np.asarray(pairs, dtype=np.intp).reshape(-1, 2)


def detect_collisions(picture: Picture, policy: CpaPolicy, *, held: Set[str] = frozenset()) -> list[Observation]:
    """Collision-risk observations between the picture's vessels, fishing–merchant pairs first.

    Candidates are vessels only (``target_class == "vessel"``: never net beacons, AtoN, base stations; SART and
    other distress targets belong to the distress rule) with a position and a fresh fix (``stale_after_s``, or
    ``beidou_stale_after_s`` for BeiDou). A pair is never reported when both belong to the same production group
    (``group_id`` ≥ 0), when both are moored (SOG ≤ ``moored_kn``) or both in port, when they are one vessel
    (``vessel_id`` ≥ 0) seen through two transmitters, or when they are more than ``max_range_nm`` apart.

    Levels: ALARM when the range is under ``distance_alarm_nm``, or when the pair is closing (TCPA > 0) with
    DCPA < ``alarm_dcpa_nm`` and TCPA < ``alarm_tcpa_min``; WARNING when closing with DCPA < ``warning_dcpa_nm``
    and TCPA < ``warning_tcpa_min``. A parallel pair (TCPA 0) or a diverging one alerts only on distance. For a
    situation in `held` (the subjects of the collision alerts now raised, e.g. from :meth:`Debouncer.active`)
    the distance limits are multiplied by ``clear_factor``: an alarm raised at 0.5 nm holds until 0.7 nm (§5.4).

    Each observation's ``subject`` is ``"min_key|max_key"``; ``keys`` puts the fishing vessel first when exactly
    one of the two fishes, else the smaller key; lon/lat are the first vessel's. ``details`` holds ``dcpa_m``,
    ``tcpa_s``, ``range_m``, ``bearing_deg`` (from the first vessel to the second), ``sog_kn``, ``cog_deg`` and
    ``kind`` of the first vessel, ``other_sog_kn``, ``other_cog_deg`` and ``other_kind`` of the second, and
    ``trigger`` (``"distance"`` or ``"cpa"``). Order: fishing–non-fishing pairs, then pairs without a fishing
    vessel, then fishing–fishing; within each, ALARM before WARNING, then the sooner, then the closer.

    The plane is OpenCPN's (:func:`local_plane`) about each pair's mid-latitude; the motion is :func:`cpa_tcpa`.
    """
    scale = METRES_PER_NM * (policy.clear_factor if held else 1.0)  # held situations reach further
    cpa_m, distance_m = max(policy.warning_dcpa_nm, policy.alarm_dcpa_nm) * scale, policy.distance_alarm_nm * scale
    rows = _eligible(picture, policy)
    if rows.size < 2 or max(cpa_m, distance_m) <= 0.0:
        return []
    lon, lat, sog = picture.lon[rows], picture.lat[rows], picture.sog_kn[rows]
    ve, vn = velocity(sog, picture.cog_deg[rows])
    moored, in_port = sog <= policy.moored_kn, picture.in_port[rows]
    i, j = _screen(lon, lat, ve, vn, moored, in_port, cpa_m, distance_m, policy.horizon_s)
    group, vessel = picture.group_id[rows], picture.vessel_id[rows]
    gi, vi = group[i], vessel[i]
    same = ((gi == group[j]) & (gi >= 0)) | ((vi == vessel[j]) & (vi >= 0))
    if not policy.fishing_pairs:
        # Fishing vessels on the grounds work close to each other by design and talk on VHF; the platform's
        # anti-collision duty (商渔船防碰撞, maritime.md §5.3) is fishing–merchant and merchant–merchant. Their
        # formation is watched by the group rules instead.
        kind = picture.kind[rows]
        same |= (kind[i] == "fishing") & (kind[j] == "fishing")
    if not policy.berthed_targets:
        berthed = moored & in_port
        same |= berthed[i] | berthed[j]
    i, j = i[~same], j[~same]

    # Exact CPA for every candidate at once, on the sheet about the pair's mid-latitude. (cos a + cos b)/2 is
    # cos((a+b)/2)·cos((a−b)/2): the mid-latitude's cosine to 4e-6 at 20 nm, without a cosine per pair.
    dlon = lon[j] - lon[i]
    dlon = np.where(dlon >= 180.0, dlon - 360.0, np.where(dlon < -180.0, dlon + 360.0, dlon))
    coslat = np.cos(np.radians(lat))
    east = dlon * (M_PER_DEG * 0.5) * (coslat[i] + coslat[j])
    north = (lat[j] - lat[i]) * M_PER_DEG
    dcpa, tcpa = cpa_tcpa(east, north, ve[j] - ve[i], vn[j] - vn[i])
    range_m = np.sqrt(east * east + north * north)

    factor = np.ones(i.size)  # each pair's scale of the distance limits: clear_factor once held
    level = _levels(policy, dcpa, tcpa, range_m, factor)
    if held and policy.clear_factor > 1.0:
        level_held = _levels(policy, dcpa, tcpa, range_m, factor * policy.clear_factor)
        pick = np.flatnonzero(level_held > level)
        key = picture.key[rows]
        pairs = zip(key[i[pick]].tolist(), key[j[pick]].tolist(), strict=True)
        pick = pick[np.fromiter(((f"{a}|{b}" if a < b else f"{b}|{a}") in held for a, b in pairs), bool, pick.size)]
        level[pick], factor[pick] = level_held[pick], policy.clear_factor
    hit = np.flatnonzero(level > 0)
    i, j, level, dcpa, tcpa, range_m = i[hit], j[hit], level[hit], dcpa[hit], tcpa[hit], range_m[hit]
    distance = range_m < policy.distance_alarm_nm * METRES_PER_NM * factor[hit]

    fishing = picture.kind[rows] == "fishing"
    fish_i, fish_j = fishing[i], fishing[j]
    rank = np.array([1, 0, 2], dtype=np.int8)[fish_i.astype(np.int8) + fish_j]  # fishing–other, neither, both
    order = np.lexsort((dcpa, np.maximum(tcpa, 0.0), -level, rank))
    i, j, fish_i, fish_j = i[order], j[order], fish_i[order], fish_j[order]
    key = picture.key[rows]
    swap = np.where(fish_i != fish_j, fish_j, key[j] < key[i])  # the fishing vessel first, else the smaller key
    bearing = np.degrees(np.arctan2(east[hit][order], north[hit][order])) + np.where(swap, 180.0, 0.0)
    numbers = {
        "dcpa_m": np.round(dcpa[order], 1),
        "tcpa_s": np.round(tcpa[order], 1),
        "range_m": np.round(range_m[order], 1),
        "bearing_deg": np.round(bearing % 360.0, 1),
    }
    first, second = rows[np.where(swap, j, i)], rows[np.where(swap, i, j)]
    return _observations(picture, first, second, level[order], distance[order], numbers)


def _observations(
    picture: Picture,
    first: NDArray[np.intp],
    second: NDArray[np.intp],
    level: NDArray[np.int8],
    distance: NDArray[np.bool_],
    numbers: dict[str, F64],
) -> list[Observation]:
    """The observations of the alerting pairs (already in order), built column by column.

    The details hold numbers and strings only: such a dict is never tracked by the garbage collector, which
    keeps a sweep of tens of thousands of observations from paying for repeated collections.
    """
    k1, k2 = picture.key[first].tolist(), picture.key[second].tolist()
    subjects = [f"{a}|{b}" if a < b else f"{b}|{a}" for a, b in zip(k1, k2, strict=True)]
    by_code = [Level.WARNING] * (int(Level.ALARM) + 1)
    by_code[Level.ALARM] = Level.ALARM
    levels = [by_code[x] for x in level.tolist()]
    triggers = [("cpa", "distance")[d] for d in distance.tolist()]
    columns = zip(
        subjects,
        levels,
        zip(k1, k2, strict=True),
        picture.lon[first].tolist(),
        picture.lat[first].tolist(),
        numbers["dcpa_m"].tolist(),
        numbers["tcpa_s"].tolist(),
        numbers["range_m"].tolist(),
        numbers["bearing_deg"].tolist(),
        _json_numbers(picture.sog_kn[first], 2),
        _json_numbers(picture.cog_deg[first], 1),
        picture.kind[first].tolist(),
        _json_numbers(picture.sog_kn[second], 2),
        _json_numbers(picture.cog_deg[second], 1),
        picture.kind[second].tolist(),
        triggers,
        strict=True,
    )
    collision = AlertKind.COLLISION
    return [
        Observation(
            collision,
            subject,
            lvl,
            keys,
            lon,
            lat,
            {
                "dcpa_m": dcpa_m,
                "tcpa_s": tcpa_s,
                "range_m": range_m,
                "bearing_deg": bearing_deg,
                "sog_kn": sog_kn,
                "cog_deg": cog_deg,
                "kind": kind,
                "other_sog_kn": other_sog_kn,
                "other_cog_deg": other_cog_deg,
                "other_kind": other_kind,
                "trigger": trigger,
            },
        )
        for (
            subject,
            lvl,
            keys,
            lon,
            lat,
            dcpa_m,
            tcpa_s,
            range_m,
            bearing_deg,
            sog_kn,
            cog_deg,
            kind,
            other_sog_kn,
            other_cog_deg,
            other_kind,
            trigger,
        ) in columns
    ]


def _json_numbers(values: F64, decimals: int) -> list[float | None]:
    """Rounded floats for the details, None where unknown (JSON has no NaN)."""
    rounded: list[float | None] = np.round(values, decimals).tolist()
    if np.isnan(values).any():
        rounded = [None if x != x else x for x in rounded]
    return rounded


def _eligible(picture: Picture, policy: CpaPolicy) -> NDArray[np.intp]:
    """Rows that may take part: vessels with a position and a fresh fix."""
    rows = np.flatnonzero(picture.target_class == TargetClass.VESSEL.value)
    age_s = picture.now - picture.observed_at[rows]
    limit_s = np.where(picture.source[rows] == Source.BEIDOU.value, policy.beidou_stale_after_s, policy.stale_after_s)
    with np.errstate(invalid="ignore"):
        fresh = age_s <= limit_s  # an unknown fix time (NaN) is not fresh
    ok = fresh & np.isfinite(picture.lon[rows]) & np.isfinite(picture.lat[rows])
    return rows[ok]


def _levels(policy: CpaPolicy, dcpa: F64, tcpa: F64, range_m: F64, factor: F64) -> NDArray[np.int8]:
    """The level of each pair (0 = none), with each pair's distance limits scaled by its `factor`."""
    nm = METRES_PER_NM * factor
    closing = tcpa > 0.0
    alarm = (range_m < policy.distance_alarm_nm * nm) | (
        closing & (dcpa < policy.alarm_dcpa_nm * nm) & (tcpa < policy.alarm_tcpa_min * 60.0)
    )
    warning = closing & (dcpa < policy.warning_dcpa_nm * nm) & (tcpa < policy.warning_tcpa_min * 60.0)
    level = np.where(alarm, np.int8(Level.ALARM), np.where(warning, np.int8(Level.WARNING), np.int8(0)))
    level[range_m > policy.max_range_nm * METRES_PER_NM] = 0
    return level.astype(np.int8, copy=False)


def _screen(
    lon: F64,
    lat: F64,
    ve: F64,
    vn: F64,
    moored: NDArray[np.bool_],
    in_port: NDArray[np.bool_],
    cpa_m: float,
    distance_m: float,
    horizon_s: float,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Candidate pairs ``(i, j)``: every pair that could pass within `cpa_m` in the next `horizon_s` seconds or is
    within `distance_m` now, and few others.

    Each vessel stands at its mid-horizon position ``c = p + v·T/2``, in 3-D on the sphere of OpenCPN's sheet
    (right across the picture, antimeridian included). With ``w = |v_i − v_j|·T/2``: a pair passing within ``D``
    at a TCPA τ in (0, T) has ``Δc = Δp(τ) + Δv·(T/2 − τ)`` with ``Δp(τ) ⊥ Δv``, so ``|Δc| ≤ √(D² + w²)``; a pair
    within ``d`` now has ``|Δc| ≤ d + w``. Vessels fall into blocks: at sea, one per speed band
    (:data:`SPEED_BANDS_KN`); moving in port; moored at sea; moored in port. Each pair of blocks is searched once,
    ``w`` taken at its fastest members, and never when both blocks are moored or both in port.
    """
    half_s = horizon_s / 2.0
    lam, phi = np.radians(lon), np.radians(lat)
    cos_lam, sin_lam, cos_phi, sin_phi = np.cos(lam), np.sin(lam), np.cos(phi), np.sin(phi)
    east_m, north_m = ve * half_s, vn * half_s  # to the mid-horizon position, in the local tangent plane
    points = np.empty((lon.size, 3))
    points[:, 0] = SPHERE_RADIUS_M * cos_phi * cos_lam - east_m * sin_lam - north_m * sin_phi * cos_lam
    points[:, 1] = SPHERE_RADIUS_M * cos_phi * sin_lam + east_m * cos_lam - north_m * sin_phi * sin_lam
    points[:, 2] = SPHERE_RADIUS_M * sin_phi + north_m * cos_phi
    points = points @ _facing(points)  # KD-tree boxes hug a patch of sphere better when it faces an axis
    speed = np.sqrt(ve * ve + vn * vn)

    bands = len(SPEED_BANDS_KN) + 1  # labels 0..bands-1: at sea by speed; then in port, moored, moored in port
    label = np.searchsorted(np.asarray(SPEED_BANDS_KN) * KN_TO_MS, speed)
    label = np.where(in_port, bands, label)
    label = np.where(moored, bands + 1 + in_port, label)
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(bands + 4))  # where each code starts, and the end
    blocks = [
        _Block.of(order[start:stop], points, speed, code > bands, code in (bands, bands + 2))
        for code, (start, stop) in enumerate(itertools.pairwise(bounds))
        if stop > start
    ]
    found_i: list[NDArray[np.intp]] = [np.zeros(0, np.intp)]
    found_j: list[NDArray[np.intp]] = [np.zeros(0, np.intp)]
    for n, one in enumerate(blocks):
        for other in blocks[n:]:
            if (one.moored and other.moored) or (one.in_port and other.in_port):
                continue
            sweep = (one.top_speed + other.top_speed) * half_s
            radius = max(math.hypot(cpa_m, sweep), distance_m + sweep)
            # A chord is never longer than the sheet's distance, but the sheet and the tangent planes of the two
            # offsets turn by about separation / R across a radius: widen by 4·r/R (0.3 % for two trawlers).
            radius = radius * (1.0 + 4.0 * radius / SPHERE_RADIUS_M) + SCREEN_SLACK_M
            if one is other:
                pairs = one.tree.query_pairs(radius, output_type="ndarray")
                found_i.append(one.members[pairs[:, 0]])
                found_j.append(one.members[pairs[:, 1]])
            else:
                near = one.tree.sparse_distance_matrix(other.tree, radius, output_type="ndarray")
                found_i.append(one.members[near["i"]])
                found_j.append(other.members[near["j"]])
    return np.concatenate(found_i), np.concatenate(found_j)


def _facing(points: F64) -> F64:
    """A rotation (3×3, applied as ``points @ R``) that turns the points' mean direction onto the z axis."""
    centre = points.mean(axis=0)
    norm = float(np.linalg.norm(centre))
    if norm < 1e-6 * SPHERE_RADIUS_M:  # points all round the globe: no direction to face
        return np.eye(3)
    z = centre / norm
    x = np.cross((0.0, 0.0, 1.0), z) if abs(z[2]) < 0.9 else np.cross((1.0, 0.0, 0.0), z)
    x /= np.linalg.norm(x)
    return np.column_stack([x, np.cross(z, x), z])


@dataclass(frozen=True, slots=True)
class _Block:
    """Vessels of one screening block and the KD-tree of their points."""

    members: NDArray[np.intp]
    top_speed: float  # m/s
    moored: bool
    in_port: bool
    tree: Any  # scipy.spatial.cKDTree

    @staticmethod
    def of(members: NDArray[np.intp], points: F64, speed: F64, moored: bool, in_port: bool) -> _Block:
        """The block of `members`, with its tree."""
        tree = cKDTree(points[members], balanced_tree=False, compact_nodes=False)  # quicker to build, as quick
        return _Block(members, float(speed[members].max()), moored, in_port, tree)
