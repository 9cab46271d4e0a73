"""Current state of every target, kept in NumPy columns, with sanity filters and dead reckoning to "now".

One row per target key (the MMSI, or a negative key for a BeiDou terminal without one). A report updates the
row only if it passes the sanity filters; each refusal is counted by reason:

- ``no_position``: lon 181 / lat 91 (already None after normalising) or NaN;
- ``out_of_range``: lon outside ±180 or lat outside ±90;
- ``on_land``: the point is on land by the injected land test (the GLOBE 1 km mask less port areas);
- ``jump``: the implied speed from the last accepted fix exceeds ``max_speed_kn`` (50 kn by default: faster
  than any fishing or merchant vessel here; maritime.md §3.2) over more than ``min_jump_m``. After
  ``jump_reset`` refusals in a row the new position is accepted, so one bad first fix cannot freeze a target;
- ``stale``: older than the row's last fix (a late duplicate from a second station);
- ``duplicate``: the same time and position as the last fix;
- ``low_res_redundant``: a type 27 report within an hour of a full-resolution one (GFW's rule);
- ``unknown_terminal``: a terminal report whose device id belongs to no vessel file.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from pingan.maritime.classify import TargetClass
from pingan.maritime.reports import PositionReport, Source

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_NM = 1852.0
KN_TO_MS = METRES_PER_NM / 3600.0
CLASS_CODES: tuple[TargetClass, ...] = tuple(TargetClass)
SOURCE_CODES: tuple[Source, ...] = tuple(Source)

LandTest = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.bool_]]  # (lon, lat) -> on land


class Refusal(StrEnum):
    """Why a position report did not update its target."""

    NO_POSITION = "no_position"
    OUT_OF_RANGE = "out_of_range"
    ON_LAND = "on_land"
    JUMP = "jump"
    STALE = "stale"
    DUPLICATE = "duplicate"
    LOW_RES_REDUNDANT = "low_res_redundant"
    UNKNOWN_TERMINAL = "unknown_terminal"  # a BeiDou/terminal id no vessel file holds


@dataclass(frozen=True, slots=True)
class FilterPolicy:
    """Thresholds of the sanity filters (settings, not literals in the engine)."""

    max_speed_kn: float = 50.0
    min_jump_m: float = 500.0
    jump_reset: int = 3
    low_res_window_s: float = 3600.0
    max_dead_reckon_s: float = 600.0  # beyond this a position is shown where it was last seen, not projected


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres.

    >>> round(haversine_m(122.0, 30.0, 122.0, 30.0 + 1 / 60))
    1853
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def dead_reckon(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    sog_kn: NDArray[np.float64],
    cog_deg: NDArray[np.float64],
    elapsed_s: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Project positions along course at speed for the elapsed seconds (flat-earth, fine over minutes).

    Rows with no speed or course stay where they are.

    >>> lon, lat = dead_reckon(np.array([122.0]), np.array([30.0]), np.array([10.0]), np.array([0.0]),
    ...                        np.array([360.0]))
    >>> round(float((lat[0] - 30.0) * 60), 2)  # 10 kn for 6 minutes = 1 nm north, about 1 arc-minute
    1.0
    """
    moving = np.isfinite(sog_kn) & np.isfinite(cog_deg) & (elapsed_s > 0)
    dist_m = np.where(moving, np.nan_to_num(sog_kn) * KN_TO_MS * np.maximum(elapsed_s, 0.0), 0.0)
    course = np.radians(np.nan_to_num(cog_deg))
    dlat = dist_m * np.cos(course) / (EARTH_RADIUS_M * math.pi / 180.0)
    dlon = dist_m * np.sin(course) / (EARTH_RADIUS_M * math.pi / 180.0 * np.cos(np.radians(lat)))
    return lon + dlon, lat + dlat


class TrackTable:
    """Columnar current state of every target, grown by doubling; row order is arrival order."""

    COLUMNS_F8 = ("lon", "lat", "sog_kn", "cog_deg", "heading_deg", "observed_at", "last_full_at", "first_seen_at")

    def __init__(self, *, policy: FilterPolicy | None = None, land: LandTest | None = None, capacity: int = 1024):
        self.policy = policy or FilterPolicy()
        self.land = land
        self.index: dict[int, int] = {}
        self.size = 0
        self.refused: Counter[str] = Counter()
        self.accepted = 0
        self.seq = 0  # bumped on every accepted update; rows remember theirs for change feeds
        self._batch_streaks: dict[int, int] = {}  # key -> jumps refused in a row at the end of the last batch
        self._alloc(capacity)

    def _alloc(self, capacity: int) -> None:
        def grow(name: str, dtype: type | np.dtype[np.generic], fill: object) -> None:
            old = getattr(self, name, None)
            new = np.full(capacity, fill, dtype=dtype)
            if old is not None:
                new[: self.size] = old[: self.size]
            setattr(self, name, new)

        for name in self.COLUMNS_F8:
            grow(name, np.float64, np.nan)
        grow("key", np.int64, 0)
        grow("nav_status", np.int16, -1)
        grow("msg_type", np.int16, 0)
        grow("source", np.int8, 0)
        grow("target_class", np.int8, CLASS_CODES.index(TargetClass.UNKNOWN))
        grow("vessel_id", np.int64, -1)
        grow("reports", np.int64, 0)
        grow("jumps", np.int16, 0)
        grow("updated_seq", np.int64, 0)
        grow("class_b", np.bool_, False)
        grow("max_sog_kn", np.float64, 0.0)
        grow("interval_s", np.float64, np.nan)  # median-like running estimate of the reporting interval
        self.capacity = capacity

    # Columns are created by _alloc; these annotations are for readers and type checkers.
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    sog_kn: NDArray[np.float64]
    cog_deg: NDArray[np.float64]
    heading_deg: NDArray[np.float64]
    observed_at: NDArray[np.float64]
    last_full_at: NDArray[np.float64]
    first_seen_at: NDArray[np.float64]
    key: NDArray[np.int64]
    nav_status: NDArray[np.int16]
    msg_type: NDArray[np.int16]
    source: NDArray[np.int8]
    target_class: NDArray[np.int8]
    vessel_id: NDArray[np.int64]
    reports: NDArray[np.int64]
    jumps: NDArray[np.int16]
    updated_seq: NDArray[np.int64]
    class_b: NDArray[np.bool_]
    max_sog_kn: NDArray[np.float64]
    interval_s: NDArray[np.float64]

    def row(self, key: int) -> int:
        """The row of a target key, created on first sight."""
        found = self.index.get(key)
        if found is not None:
            return found
        if self.size == self.capacity:
            self._alloc(self.capacity * 2)
        row = self.size
        self.size += 1
        self.index[key] = row
        self.key[row] = key
        return row

    def check(self, report: PositionReport, row: int | None, at: float) -> Refusal | None:
        """The first sanity filter a report fails against its target's row, or None if it passes."""
        lon, lat = report.lon, report.lat
        if lon is None or lat is None or math.isnan(lon) or math.isnan(lat):
            return Refusal.NO_POSITION
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            return Refusal.OUT_OF_RANGE
        if self.land is not None and bool(self.land(np.array([lon]), np.array([lat]))[0]):
            return Refusal.ON_LAND
        if row is None or math.isnan(self.observed_at[row]):
            return None
        last_at = float(self.observed_at[row])
        if at < last_at:
            return Refusal.STALE
        if report.low_res and at - float(self.last_full_at[row]) < self.policy.low_res_window_s:
            return Refusal.LOW_RES_REDUNDANT
        dist = haversine_m(float(self.lon[row]), float(self.lat[row]), lon, lat)
        if at == last_at and dist < 1.0:
            return Refusal.DUPLICATE
        if dist > self.policy.min_jump_m:
            speed_kn = dist / max(at - last_at, 1.0) / KN_TO_MS
            if speed_kn > self.policy.max_speed_kn and self.jumps[row] < self.policy.jump_reset:
                return Refusal.JUMP
        return None

    def update(self, report: PositionReport, key: int, target_class: TargetClass) -> Refusal | None:
        """Apply one report to its target; return the refusal (counted) or None when the state moved."""
        at = report.observed_at.timestamp()
        row = self.index.get(key)
        refusal = self.check(report, row, at)
        if refusal is not None:
            self.refused[refusal.value] += 1
            if refusal is Refusal.JUMP and row is not None:
                self.jumps[row] += 1
            return refusal
        row = self.row(key) if row is None else row
        previous = self.observed_at[row]
        if not math.isnan(previous) and at > previous:
            gap = at - previous
            est = self.interval_s[row]
            self.interval_s[row] = gap if math.isnan(est) else 0.7 * est + 0.3 * gap
        if math.isnan(self.first_seen_at[row]):
            self.first_seen_at[row] = at
        self.lon[row] = report.lon
        self.lat[row] = report.lat
        self.sog_kn[row] = np.nan if report.sog_kn is None else report.sog_kn
        self.cog_deg[row] = np.nan if report.cog_deg is None else report.cog_deg
        self.heading_deg[row] = np.nan if report.heading_deg is None else report.heading_deg
        self.nav_status[row] = -1 if report.nav_status is None else report.nav_status
        self.observed_at[row] = at
        if not report.low_res:
            self.last_full_at[row] = at
        self.msg_type[row] = report.msg_type
        self.source[row] = SOURCE_CODES.index(report.source)
        self.target_class[row] = CLASS_CODES.index(target_class)
        self.class_b[row] = report.class_b
        if report.vessel_id is not None:
            self.vessel_id[row] = report.vessel_id
        if report.sog_kn is not None:
            self.max_sog_kn[row] = max(float(self.max_sog_kn[row]), report.sog_kn)
        self.reports[row] += 1
        self.jumps[row] = 0
        self.seq += 1
        self.updated_seq[row] = self.seq
        self.accepted += 1
        return None

    def view(self, now: float, *, since_seq: int = 0) -> dict[str, NDArray[np.generic]]:
        """Copies of the live columns (rows changed after `since_seq`), with positions dead-reckoned to `now`."""
        n = self.size
        rows = np.nonzero(self.updated_seq[:n] > since_seq)[0] if since_seq else np.arange(n)
        elapsed = now - self.observed_at[rows]
        project = elapsed <= self.policy.max_dead_reckon_s
        lon, lat = dead_reckon(
            self.lon[rows],
            self.lat[rows],
            np.where(project, self.sog_kn[rows], np.nan),
            self.cog_deg[rows],
            elapsed,
        )
        return {
            "key": self.key[rows].copy(),
            "lon": lon,
            "lat": lat,
            "reported_lon": self.lon[rows].copy(),
            "reported_lat": self.lat[rows].copy(),
            "sog_kn": self.sog_kn[rows].copy(),
            "cog_deg": self.cog_deg[rows].copy(),
            "heading_deg": self.heading_deg[rows].copy(),
            "nav_status": self.nav_status[rows].copy(),
            "observed_at": self.observed_at[rows].copy(),
            "msg_type": self.msg_type[rows].copy(),
            "source": self.source[rows].copy(),
            "target_class": self.target_class[rows].copy(),
            "vessel_id": self.vessel_id[rows].copy(),
            "reports": self.reports[rows].copy(),
            "updated_seq": self.updated_seq[rows].copy(),
        }

    def reclassify(self, key: int, target_class: TargetClass) -> None:
        """Change a target's class (a name or behaviour seen later tells a beacon from a vessel)."""
        row = self.index.get(key)
        if row is not None and self.target_class[row] != CLASS_CODES.index(target_class):
            self.target_class[row] = CLASS_CODES.index(target_class)
            self.seq += 1
            self.updated_seq[row] = self.seq

    def update_batch(self, cols: dict[str, NDArray[np.generic]]) -> NDArray[np.bool_]:
        """Apply a batch of reports (column arrays, any order) and return which were accepted.

        Columns: ``key, at`` (Unix s), ``lon, lat, sog_kn, cog_deg, heading_deg`` (NaN = none), ``nav_status``
        (-1 = none), ``msg_type, source, target_class`` (codes), ``low_res, class_b`` (bool), ``vessel_id`` (-1).
        The batch form sorts by target and time and judges jumps as spikes: a fix is refused when the implied
        speed both from the previous fix and to the next exceeds the limit, so one outlier costs one report
        (the one-at-a-time form compares with the last accepted fix instead).
        """
        key = np.asarray(cols["key"], dtype=np.int64)
        at = np.asarray(cols["at"], dtype=np.float64)
        lon = np.asarray(cols["lon"], dtype=np.float64)
        lat = np.asarray(cols["lat"], dtype=np.float64)
        low_res = np.asarray(cols["low_res"], dtype=np.bool_)
        n = key.size
        ok = np.ones(n, dtype=np.bool_)
        refused = self.refused

        def refuse(mask: NDArray[np.bool_], reason: Refusal) -> None:
            hit = mask & ok
            count = int(hit.sum())
            if count:
                refused[reason.value] += count
                ok[hit] = False

        refuse(~(np.isfinite(lon) & np.isfinite(lat)), Refusal.NO_POSITION)
        refuse((np.abs(lon) > 180.0) | (np.abs(lat) > 90.0), Refusal.OUT_OF_RANGE)
        if self.land is not None and ok.any():
            idx = np.nonzero(ok)[0]
            on_land = np.zeros(n, dtype=np.bool_)
            on_land[idx] = self.land(lon[idx], lat[idx])
            refuse(on_land, Refusal.ON_LAND)

        order = np.nonzero(ok)[0]
        order = order[np.lexsort((at[order], key[order]))]
        k, t, x, y = key[order], at[order], lon[order], lat[order]
        m = order.size
        if m:
            verdict = self._judge_batch(k, t, x, y, low_res[order])
            for code, reason in enumerate(
                (Refusal.STALE, Refusal.DUPLICATE, Refusal.LOW_RES_REDUNDANT, Refusal.JUMP), start=1
            ):
                count = int((verdict == code).sum())
                if count:
                    refused[reason.value] += count
            ok[order[verdict != 0]] = False
            self._apply_latest(cols, key, at, ok)
        return ok

    def _judge_batch(
        self,
        k: NDArray[np.int64],
        t: NDArray[np.float64],
        x: NDArray[np.float64],
        y: NDArray[np.float64],
        low_res: NDArray[np.bool_],
    ) -> NDArray[np.int8]:
        """Verdicts for reports sorted by target and time: 0 accept, 1 stale, 2 duplicate, 3 low-res, 4 jump."""
        m = k.size
        policy = self.policy
        first = np.ones(m, dtype=np.bool_)
        first[1:] = k[1:] != k[:-1]
        group = np.cumsum(first) - 1
        known = np.array([self.index.get(int(v), -1) for v in k[first]], dtype=np.int64)
        row = np.maximum(known, 0)
        has_row = known >= 0
        seed_t = np.where(has_row, self.observed_at[row], np.nan)
        seed_x = np.where(has_row, self.lon[row], np.nan)
        seed_y = np.where(has_row, self.lat[row], np.nan)
        seed_full = np.where(has_row, np.nan_to_num(self.last_full_at[row], nan=-np.inf), -np.inf)
        seed_jumps = np.where(has_row, self.jumps[row], 0)
        prev_t, prev_x, prev_y = np.roll(t, 1), np.roll(x, 1), np.roll(y, 1)
        prev_t[first], prev_x[first], prev_y[first] = seed_t, seed_x, seed_y
        dist_prev = _haversine_v(prev_x, prev_y, x, y)
        dt_prev = t - prev_t
        has_prev = np.isfinite(prev_t)
        stale = has_prev & (dt_prev < 0)
        dup = has_prev & (dt_prev == 0) & (dist_prev < 1.0)
        limit = policy.max_speed_kn * KN_TO_MS

        def too_fast(dist: NDArray[np.float64], dt: NDArray[np.float64]) -> NDArray[np.bool_]:
            return np.asarray((dist > policy.min_jump_m) & (dist > limit * np.maximum(dt, 1.0)))

        fast_in = has_prev & too_fast(dist_prev, dt_prev)
        has_next = np.zeros(m, dtype=np.bool_)
        has_next[:-1] = ~first[1:]
        fast_out = np.zeros(m, dtype=np.bool_)
        fast_out[:-1] = has_next[:-1] & too_fast(_haversine_v(x[:-1], y[:-1], x[1:], y[1:]), t[1:] - t[:-1])
        jump = fast_in & fast_out  # a spike: far from both neighbours
        # The last report of a target has no next one: judge it against the last fix that was not a spike.
        last = np.nonzero(fast_in & ~has_next)[0]
        after_spike = np.zeros(last.size, dtype=np.bool_)
        inner = last > 0
        after_spike[inner] = ~first[last[inner]] & jump[last[inner] - 1]
        jump[last[~after_spike]] = True
        c = last[after_spike]
        if c.size:
            j = c - 2
            same = (j >= 0) & (group[np.maximum(j, 0)] == group[c])
            g = group[c]
            jj = np.maximum(j, 0)
            ref_x = np.where(same, x[jj], seed_x[g])
            ref_y = np.where(same, y[jj], seed_y[g])
            ref_t = np.where(same, t[jj], seed_t[g])
            valid = np.isfinite(ref_t)
            jump[c] = valid & too_fast(_haversine_v(ref_x, ref_y, x[c], y[c]), t[c] - ref_t)
        # After `jump_reset` refusals in a row (counting the table's) the next far fix is believed.
        streak_at: dict[int, int] = {}
        for i in np.nonzero(jump)[0].tolist():
            if first[i]:
                streak = int(seed_jumps[group[i]])
            elif jump[i - 1]:
                streak = streak_at.get(i - 1, 0)
            else:
                streak = 0
            if streak >= policy.jump_reset:
                jump[i] = False
            else:
                streak_at[i] = streak + 1
        self._batch_streaks = {int(k[i]): n for i, n in streak_at.items() if not has_next[i]}
        # Latest full-resolution time at or before each report, per target (running max with group offsets).
        full_t = np.where(~low_res, t, -np.inf)
        base = float(np.nanmin(t)) - 1.0
        span = float(np.nanmax(t)) - base + 2.0
        shifted = np.where(np.isfinite(full_t), full_t - base, 0.0) + group * span
        running = np.maximum.accumulate(shifted) - group * span
        last_full = np.where(running > 0, running + base, -np.inf)
        prev_full = np.full(m, -np.inf)
        prev_full[1:] = last_full[:-1]
        prev_full[first] = seed_full
        redundant = low_res & (t - prev_full < policy.low_res_window_s)
        verdict = np.zeros(m, dtype=np.int8)
        for code, mask in enumerate((stale, dup, redundant, jump), start=1):
            verdict[(verdict == 0) & mask] = code
        return verdict

    def _apply_latest(
        self,
        cols: dict[str, NDArray[np.generic]],
        key: NDArray[np.int64],
        at: NDArray[np.float64],
        ok: NDArray[np.bool_],
    ) -> None:
        """Write each target's latest accepted report of a batch into its row, with first sight, top speed,
        reporting interval, last full-resolution time and jump streak learnt from the whole batch."""
        idx = np.nonzero(ok)[0]
        if idx.size:
            self._write_rows(cols, key, at, idx)
        for k_jump, n in self._batch_streaks.items():  # targets whose batch ended on refused jumps keep counting
            row = self.index.get(k_jump)
            if row is not None:
                self.jumps[row] = n

    def _write_rows(
        self,
        cols: dict[str, NDArray[np.generic]],
        key: NDArray[np.int64],
        at: NDArray[np.float64],
        idx: NDArray[np.intp],
    ) -> None:
        idx = idx[np.lexsort((at[idx], key[idx]))]
        k = key[idx]
        t = at[idx]
        starts = np.nonzero(np.concatenate(([True], k[1:] != k[:-1])))[0]
        ends = np.concatenate((starts[1:], [idx.size])) - 1
        counts = ends - starts + 1
        chosen = idx[ends]
        rows = np.array([self.row(int(v)) for v in key[chosen]], dtype=np.int64)
        for name in ("lon", "lat", "sog_kn", "cog_deg", "heading_deg"):
            getattr(self, name)[rows] = np.asarray(cols[name], dtype=np.float64)[chosen]
        previous = self.observed_at[rows].copy()
        self.observed_at[rows] = at[chosen]
        self.nav_status[rows] = np.asarray(cols["nav_status"])[chosen]
        self.msg_type[rows] = np.asarray(cols["msg_type"])[chosen]
        self.source[rows] = np.asarray(cols["source"])[chosen]
        self.target_class[rows] = np.asarray(cols["target_class"])[chosen]
        self.class_b[rows] = np.asarray(cols["class_b"])[chosen]
        full_t = np.where(np.asarray(cols["low_res"], dtype=np.bool_)[idx], -np.inf, t)
        last_full = np.maximum.reduceat(full_t, starts)
        has_full = np.isfinite(last_full)
        self.last_full_at[rows[has_full]] = last_full[has_full]
        vid = np.asarray(cols["vessel_id"], dtype=np.int64)[chosen]
        self.vessel_id[rows] = np.where(vid >= 0, vid, self.vessel_id[rows])
        first_t = t[starts]
        self.first_seen_at[rows] = np.where(np.isnan(self.first_seen_at[rows]), first_t, self.first_seen_at[rows])
        sog = np.nan_to_num(np.asarray(cols["sog_kn"], dtype=np.float64)[idx], nan=0.0)
        self.max_sog_kn[rows] = np.maximum(self.max_sog_kn[rows], np.maximum.reduceat(sog, starts))
        # Mean interval over the batch, counting the gap from the row's previous fix; blended like one at a time.
        span_start = np.where(np.isfinite(previous), previous, first_t)
        gaps = counts - np.isnan(previous).astype(np.int64)
        batch_interval = np.where(gaps > 0, (t[ends] - span_start) / np.maximum(gaps, 1), np.nan)
        old = self.interval_s[rows]
        self.interval_s[rows] = np.where(
            np.isnan(batch_interval), old, np.where(np.isnan(old), batch_interval, 0.7 * old + 0.3 * batch_interval)
        )
        self.reports[rows] += counts
        self.jumps[rows] = 0
        self.seq += 1
        self.updated_seq[rows] = self.seq
        self.accepted += int(idx.size)


def _haversine_v(
    lon1: NDArray[np.float64], lat1: NDArray[np.float64], lon2: NDArray[np.float64], lat2: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Vectorised great-circle distance in metres (NaN where an end is missing)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    distance: NDArray[np.float64] = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    return distance
