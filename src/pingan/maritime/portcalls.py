"""Port calls with hysteresis, after Global Fishing Watch's port visits (maritime.md §6).

A vessel *enters* a port when it comes within ``entry_m`` (3 km) of the port polygon (or inside it) and *exits*
when it is farther than ``exit_m`` (4 km); in port, a *stop* begins when its speed drops below 0.2 kn and ends
when it rises above 0.5 kn (a stop still open at exit ends with the exit). The events are written to the
port-call log by the caller; they are not alerts.

Every vessel (``target_class == "vessel"``: fishing, merchant or other) is followed. A vessel within reach of two
ports enters the nearer. A vessel first seen (or every vessel, after a restart) is placed silently: it is in a
port if within ``entry_m`` of it, with no ENTRY logged; pass ``open_visits`` to resume from the log instead. A
vessel missing from a picture keeps its state. A port that disappears from the list closes its open visits with
EXIT. Events are stamped ``picture.now`` at the picture's (dead-reckoned) position.

One update handles every vessel with two STRtree queries (entry and exit zones) and array operations, so the
thousands of departures of an opening day (开渔) cost no more than a quiet minute.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
import shapely  # type: ignore[import-untyped]
from numpy.typing import NDArray

from pingan.maritime.geofence import buffer_m
from pingan.maritime.rules import Picture


class PortLike(Protocol):
    """Anything with a port code, a name and a lon/lat polygon."""

    @property
    def code(self) -> str:
        """The port's code."""

    @property
    def name(self) -> str:
        """The port's name."""

    @property
    def geometry(self) -> Any:
        """The port polygon, lon/lat degrees."""


@dataclass(frozen=True, slots=True)
class PortArea:
    """A port or anchorage polygon (lon/lat degrees)."""

    code: str
    name: str
    geometry: Any


class PortEventType(StrEnum):
    """What happened in a port call."""

    ENTRY = "entry"
    EXIT = "exit"
    STOP_START = "stop_start"
    STOP_END = "stop_end"


@dataclass(frozen=True, slots=True)
class PortEvent:
    """One line of the port-call log."""

    key: int
    port_code: str
    type: PortEventType
    at: float  # Unix seconds
    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class PortPolicy:
    """Distances (metres) and speeds (knots) of the port-visit hysteresis (GFW's defaults)."""

    entry_m: float = 3000.0
    exit_m: float = 4000.0
    stop_below_kn: float = 0.2
    stop_above_kn: float = 0.5

    def __post_init__(self) -> None:
        if not (0 <= self.entry_m <= self.exit_m and 0 <= self.stop_below_kn <= self.stop_above_kn):
            raise ValueError("need 0 ≤ entry_m ≤ exit_m and 0 ≤ stop_below_kn ≤ stop_above_kn")


@dataclass(frozen=True, slots=True)
class _Zones:
    entry: Any
    exit: Any


class PortCallTracker:
    """Per-vessel port state (which port, stopped or not), advanced one picture at a time."""

    def __init__(self, policy: PortPolicy | None = None, open_visits: Mapping[int, str] | None = None) -> None:
        self.policy = policy or PortPolicy()
        visits = dict(open_visits or {})
        self._keys = np.array(sorted(visits), dtype=np.int64)  # every key seen, sorted
        self._port = np.array([visits[k] for k in self._keys.tolist()], dtype=object)  # "" when at sea
        self._stopped = np.zeros(self._keys.size, dtype=bool)
        self._zones: dict[tuple[str, Any], _Zones] = {}

    def open_visits(self) -> dict[int, str]:
        """The vessels in a port now, with its code."""
        inside = self._port != ""
        return dict(zip(self._keys[inside].tolist(), self._port[inside].tolist(), strict=True))

    def port_of(self, key: int) -> str | None:
        """The port a vessel is in, or None."""
        i = int(np.searchsorted(self._keys, key))
        if i < self._keys.size and self._keys[i] == key and self._port[i]:
            return str(self._port[i])
        return None

    def in_port(self, picture: Picture) -> NDArray[np.bool_]:
        """For every row of a picture: is the target in a port by this tracker's state."""
        i = np.minimum(np.searchsorted(self._keys, picture.key), max(self._keys.size - 1, 0))
        if not self._keys.size:
            return np.zeros(picture.size, dtype=bool)
        return np.asarray((self._keys[i] == picture.key) & (self._port[i] != ""), dtype=bool)

    def forget(self, keys: Iterable[int]) -> None:
        """Drop the state of expired targets."""
        keep = ~np.isin(self._keys, np.fromiter(keys, dtype=np.int64))
        self._keys, self._port, self._stopped = self._keys[keep], self._port[keep], self._stopped[keep]

    def _zones_of(self, port: PortLike) -> _Zones:
        z = self._zones.get((port.code, port.geometry))
        if z is None:
            entry = buffer_m(port.geometry, self.policy.entry_m) if self.policy.entry_m else port.geometry
            exit_ = buffer_m(port.geometry, self.policy.exit_m) if self.policy.exit_m else port.geometry
            z = self._zones[(port.code, port.geometry)] = _Zones(entry, exit_)
        return z

    def update(self, picture: Picture, ports: Sequence[PortLike]) -> list[PortEvent]:
        """Advance every vessel to ``picture.now``; return the port events, stop ends and exits before entries."""
        pol = self.policy
        rows = np.flatnonzero((picture.target_class == "vessel") & np.isfinite(picture.lon) & np.isfinite(picture.lat))
        keys, lon, lat, sog = picture.key[rows], picture.lon[rows], picture.lat[rows], picture.sog_kn[rows]
        n = rows.size
        codes = [p.code for p in ports]
        if len(set(codes)) != len(codes) or "" in codes:
            raise ValueError("port codes must be unique and not empty")
        zones = [self._zones_of(p) for p in ports]
        live = {(p.code, p.geometry) for p in ports}
        self._zones = {k: v for k, v in self._zones.items() if k in live}

        # State of each row: merge new keys in (first sighting), then look the rows up.
        new = np.setdiff1d(keys, self._keys)
        if new.size:
            self._keys = np.concatenate([self._keys, new])
            self._port = np.concatenate([self._port, np.full(new.size, "", dtype=object)])
            self._stopped = np.concatenate([self._stopped, np.zeros(new.size, dtype=bool)])
            order = np.argsort(self._keys, kind="stable")
            self._keys, self._port, self._stopped = self._keys[order], self._port[order], self._stopped[order]
        slot = np.searchsorted(self._keys, keys)
        first = np.isin(keys, new)
        index = {code: i for i, code in enumerate(codes)}
        was_code = self._port[slot]
        cur = np.fromiter((index.get(c, -2) if c else -1 for c in was_code), dtype=np.intp, count=n)  # -2: unlisted
        stopped = self._stopped[slot].copy()

        if ports and n:
            pts = shapely.points(lon, lat)
            near_pt, near_port = shapely.STRtree([z.entry for z in zones]).query(pts, predicate="intersects")
            keep_pt, keep_port = shapely.STRtree([z.exit for z in zones]).query(pts, predicate="intersects")
        else:
            near_pt = near_port = keep_pt = keep_port = np.zeros(0, np.intp)
        events: list[tuple[int, PortEventType, str]] = []  # (row, type, port code)

        # Exits: in a port and no longer within its exit zone (a port no longer listed has no zone).
        width = len(ports) + 1
        still = np.isin(np.arange(n) * width + cur, keep_pt * width + keep_port) & (cur >= 0)
        left = np.flatnonzero((cur != -1) & ~still)
        for r, was_stopped in zip(left.tolist(), stopped[left].tolist(), strict=True):
            if not first[r]:
                if was_stopped:
                    events.append((r, PortEventType.STOP_END, str(was_code[r])))
                events.append((r, PortEventType.EXIT, str(was_code[r])))
        cur[left] = -1
        stopped[left] = False

        # Entries: at sea and within some port's entry zone; the nearest port wins.
        cand = cur[near_pt] == -1
        cp, cq = near_pt[cand], near_port[cand]
        if cp.size:
            dist = shapely.distance(pts[cp], np.array([p.geometry for p in ports], dtype=object)[cq])
            order = np.lexsort((dist, cp))
            firsts = order[np.r_[True, cp[order][1:] != cp[order][:-1]]]
            entering, port_idx = cp[firsts], cq[firsts]
            cur[entering] = port_idx
            for r, c in zip(entering.tolist(), port_idx.tolist(), strict=True):
                if not first[r]:
                    events.append((r, PortEventType.ENTRY, codes[c]))

        # Stops, in port only; an unknown speed changes nothing.
        in_port = cur >= 0
        stop_end = np.flatnonzero(in_port & stopped & (sog > pol.stop_above_kn))
        stop_start = np.flatnonzero(in_port & ~stopped & (sog < pol.stop_below_kn))
        stopped[stop_end] = False
        stopped[stop_start] = True
        events.extend((r, PortEventType.STOP_END, codes[cur[r]]) for r in stop_end.tolist() if not first[r])
        events.extend((r, PortEventType.STOP_START, codes[cur[r]]) for r in stop_start.tolist() if not first[r])

        port_codes = np.array([*codes, ""], dtype=object)
        self._port[slot] = port_codes[np.where(cur >= 0, cur, len(codes))]
        self._stopped[slot] = stopped
        now = picture.now
        return [PortEvent(int(keys[r]), code, typ, now, float(lon[r]), float(lat[r])) for r, typ, code in events]
