"""The fleet simulator's vocabulary, inputs and state: unit codes, the world, options and per-unit arrays.

Every transmitter (fishing vessel, merchant, net beacon, AIS-SART) is a unit: one index into the parallel NumPy
arrays of :class:`SimState`. The engine's layers are mixins over that state: :mod:`pingan.demo.sim_fleet`,
:mod:`pingan.demo.sim_traffic`, :mod:`pingan.demo.sim_ais` and :mod:`pingan.demo.sim_scenarios`;
:class:`pingan.demo.simulator.FleetSimulator` puts them together.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pingan.demo.sim_sea import (
    BOOL,
    F64,
    I64,
    M_PER_DEG,
    ScenarioError,
    SeaGrid,
    SimArea,
    SimPort,
    _bearing,
    _mlon,
)

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
# Navigation status (ITU-R M.1371 table 45).
S_UNDERWAY, S_ANCHOR, S_NUC, S_MOORED, S_FISHING, S_SART = 0, 1, 2, 5, 7, 14


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


# ------------------------------------------------------------------------------------------------------ unit state

# Per-unit state arrays by dtype (float, int, bool); declared on the class below for type checkers.
_FLOAT_FIELDS = (
    "lon lat sog cog turn berth_lon berth_lat off_e off_n wan_e wan_n wv_e wv_n phase circ_r circ_w lat_off vec_e "
    "vec_n cruise leave_at home_at until silent_until last_at jit last_int static_at hdg_fixed"
)
_INT_FIELDS = "kind cls mmsi vessel group port mode wp wp_end after next_action status lane wander_kind"
_STATE_F = _FLOAT_FIELDS.split()
_STATE_I = _INT_FIELDS.split()
_STATE_B = ["silent", "scripted", "active", "recalled"]


class SimState:
    """The state of every unit in arrays: growth, stored routes, holds, and the queries over them."""

    # Set by FleetSimulator.__init__ and the layers' _init_* methods; declared here for every layer that reads them.
    world: SimWorld
    options: SimOptions
    rng: np.random.Generator
    t: float  # engine time, Unix seconds
    sea: SeaGrid
    stations: tuple[Station, ...]
    sentences: int
    by_type: Counter[int]
    scenarios: list[dict[str, Any]]
    typhoon: dict[str, Any] | None
    _typhoon_check_at: float
    _seq: list[int]
    _gid: list[int]
    _used_mmsi: set[int]
    _wp_chunks: list[tuple[F64, F64, F64, F64, F64]]
    _wp_len: int
    _wp_dirty: bool
    wp_lon: F64
    wp_lat: F64
    wp_cap: F64
    wp_me: F64
    wp_mn: F64
    _port_routes: dict[tuple[int, int], tuple[int, int, int, int]]
    names: list[str]
    callsigns: list[str]
    statics: list[dict[str, Any]]
    dwell_s: dict[int, float]
    _settled: bool
    _fixed: list[dict[str, Any]]
    _ports: list[SimPort]
    _port_cell: list[int]

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

    # ------------------------------------------------------------------ routes and holds

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
