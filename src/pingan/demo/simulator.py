"""The fleet simulator: fishing fleet, merchant traffic and alert scenarios as real AIVDM sentences with tag blocks.

A pure engine (NumPy, SciPy, pyais, ``global_land_mask``; no database, no clock). :class:`FleetSimulator` holds the
state of every transmitter in arrays and moves them all at once; only the reports that fall due are encoded.

The engine is split by responsibility; this module puts it together and re-exports the public names of them all:

- :mod:`pingan.demo.sim_sea`: units, ports and areas, the GLOBE land mask and sea routing;
- :mod:`pingan.demo.sim_state`: unit codes, :class:`SimWorld`, :class:`SimOptions`, the per-unit arrays, routes;
- :mod:`pingan.demo.sim_ais`: ITU-R M.1371 report intervals, AIS names, tag blocks and the encoded reports;
- :mod:`pingan.demo.sim_fleet`: fishing groups, grounds, formations, trips out and home;
- :mod:`pingan.demo.sim_traffic`: merchant lanes, net beacons, AtoN and base stations;
- :mod:`pingan.demo.sim_scenarios`: the six scripted scenarios;
- here: :class:`FleetSimulator` itself (stepping, motion, timers) and :func:`synthetic_world`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from pingan.demo.sim_ais import (
    STATIC_INTERVAL_S,
    AisReports,
    Emission,
    ais_name,
    nmea_checksum,
    report_interval_s,
    tag_block,
)
from pingan.demo.sim_fleet import (
    GROUND_BOX,
    GROUND_CLEAR_KM,
    GROUND_RADIUS_M,
)
from pingan.demo.sim_scenarios import (
    SCENARIOS,
    Scenarios,
)
from pingan.demo.sim_sea import (
    BOOL,
    CORRIDOR_M,
    DX_KM,
    DY_KM,
    F64,
    I64,
    KN_MS,
    M_PER_DEG,
    NM_M,
    OUTER_LAT0,
    OUTER_LON0,
    OUTER_NX,
    OUTER_NY,
    SEA_LAT0,
    SEA_LON0,
    SEA_NX,
    SEA_NY,
    SEA_RES,
    ScenarioError,
    SeaGrid,
    SimArea,
    SimPort,
    _bearing,
    _mlon,
    _wrap180,
    area_from_geojson,
    land_cells,
    points_in_area,
    sea_grid,
)
from pingan.demo.sim_state import (
    A_ANCHOR,
    A_DWELL,
    A_EXIT,
    A_GROUND,
    A_MOOR,
    A_PORT,
    C_A,
    C_B,
    C_BEACON,
    C_SART,
    G_OUT,
    G_PORT,
    G_RETURNING,
    K_BEACON,
    K_FISH,
    K_MERCHANT,
    K_SART,
    M_BERTH,
    M_FISH,
    M_HOLD,
    M_JOIN,
    M_OFF,
    M_PORT,
    M_ROUTE,
    M_VECTOR,
    MODE_NAMES,
    N_DEPART,
    N_EXIT_NEAREST,
    N_HOME,
    N_NONE,
    N_OFF,
    N_REJOIN,
    N_TO_BERTH,
    P_CIRCLE,
    P_DRIFT,
    P_TOW,
    S_ANCHOR,
    S_FISHING,
    S_MOORED,
    S_NUC,
    S_SART,
    S_UNDERWAY,
    STATIONS,
    SimOptions,
    SimWorld,
    Station,
)

# Every public name of the engine stays importable from here.
__all__ = [
    "A_ANCHOR",
    "A_DWELL",
    "A_EXIT",
    "A_GROUND",
    "A_MOOR",
    "A_PORT",
    "BOOL",
    "CORRIDOR_M",
    "C_A",
    "C_B",
    "C_BEACON",
    "C_SART",
    "DX_KM",
    "DY_KM",
    "F64",
    "GROUND_BOX",
    "GROUND_CLEAR_KM",
    "GROUND_RADIUS_M",
    "G_OUT",
    "G_PORT",
    "G_RETURNING",
    "I64",
    "KN_MS",
    "K_BEACON",
    "K_FISH",
    "K_MERCHANT",
    "K_SART",
    "MODE_NAMES",
    "M_BERTH",
    "M_FISH",
    "M_HOLD",
    "M_JOIN",
    "M_OFF",
    "M_PER_DEG",
    "M_PORT",
    "M_ROUTE",
    "M_VECTOR",
    "NM_M",
    "N_DEPART",
    "N_EXIT_NEAREST",
    "N_HOME",
    "N_NONE",
    "N_OFF",
    "N_REJOIN",
    "N_TO_BERTH",
    "OUTER_LAT0",
    "OUTER_LON0",
    "OUTER_NX",
    "OUTER_NY",
    "P_CIRCLE",
    "P_DRIFT",
    "P_TOW",
    "SCENARIOS",
    "SEA_LAT0",
    "SEA_LON0",
    "SEA_NX",
    "SEA_NY",
    "SEA_RES",
    "STATIC_INTERVAL_S",
    "STATIONS",
    "S_ANCHOR",
    "S_FISHING",
    "S_MOORED",
    "S_NUC",
    "S_SART",
    "S_UNDERWAY",
    "TURN_SMOOTHING_S",
    "Emission",
    "FleetSimulator",
    "ScenarioError",
    "SeaGrid",
    "SimArea",
    "SimOptions",
    "SimPort",
    "SimWorld",
    "Station",
    "ais_name",
    "area_from_geojson",
    "land_cells",
    "nmea_checksum",
    "points_in_area",
    "report_interval_s",
    "sea_grid",
    "synthetic_world",
    "tag_block",
]

TURN_SMOOTHING_S = 30.0


class FleetSimulator(Scenarios, AisReports):
    """The whole simulated traffic: fishing groups, merchants, net beacons, AtoN, base stations and scenarios."""

    def __init__(
        self, world: SimWorld, *, start: datetime | float, seed: int = 0, options: SimOptions | None = None
    ) -> None:
        self.world = world
        self.options = options or SimOptions()
        self.rng = np.random.default_rng(seed)
        self.t = _seconds(start)
        self.sea = sea_grid()
        self.stations = self.options.stations
        self.sentences = 0
        self.by_type = Counter()
        self.scenarios = []
        self.typhoon = None
        self._typhoon_check_at = 0.0
        self._seq = [0] * len(self.stations)
        self._gid = [0] * len(self.stations)
        self._used_mmsi = set()
        self._wp_chunks = []
        self._wp_len = 0
        self._wp_dirty = True
        self.wp_lon = self.wp_lat = self.wp_cap = self.wp_me = self.wp_mn = np.zeros(0)
        self._port_routes = {}
        self.names = []
        self.callsigns = []
        self.statics = []
        self.dwell_s = {}
        self._settled = False
        self._init_units()
        self._init_groups()
        self._init_fleet()
        self._init_merchants()
        self._init_beacons()
        self._fixed = self._init_fixed()
        self._stagger_reports()

    # ------------------------------------------------------------------ stepping

    def advance(self, until: datetime | float, *, emit: bool = True) -> list[Emission]:
        """Move everything to ``until`` in steps of at most ``max_step_s`` and return the messages that fell due."""
        end = _seconds(until)
        out: list[Emission] = []
        while self.t < end - 1e-9:
            dt = min(self.options.max_step_s, end - self.t)
            self.t += dt
            self._step(dt)
            if emit:
                self._emit(out)
            else:
                self._skip_reports()
        return out

    def _step(self, dt: float) -> None:
        self._move_groups(dt)
        self._timers()
        prev_cog = self.cog.copy()
        self._move_routes(dt)
        self._move_slots(dt)
        self._move_hold(dt)
        self._move_vectors(dt)
        self._move_berthing(dt)
        # Rate of turn (deg/min) smoothed over ~30 s whatever the step, so that course noise does not count as
        # "changing course"; only under way (slow drifters wander).
        moving = self.sog > 2.0
        rate = _wrap180(self.cog - prev_cog) / dt * 60.0
        self.turn = np.where(moving, self.turn + (rate - self.turn) * min(1.0, dt / TURN_SMOOTHING_S), 0.0)
        if not self._settled:  # the first step only sets every course; it is no turn
            self.turn[:] = 0.0
            self._settled = True

    def _wander(self, idx: I64, dt: float, sigma: F64, spring: float, tau: float) -> None:
        noise = self.rng.standard_normal((2, len(idx))) * sigma * math.sqrt(dt)
        self.wv_e[idx] += (-self.wv_e[idx] / tau - spring * self.wan_e[idx]) * dt + noise[0]
        self.wv_n[idx] += (-self.wv_n[idx] / tau - spring * self.wan_n[idx]) * dt + noise[1]
        self.wan_e[idx] += self.wv_e[idx] * dt
        self.wan_n[idx] += self.wv_n[idx] * dt

    def _move_slots(self, dt: float) -> None:
        fish = np.flatnonzero(self.mode == M_FISH)
        if len(fish):
            drift = self.wander_kind[fish] == P_DRIFT
            self._wander(fish, dt, np.where(drift, 0.01, 0.004), 2e-5, 400.0)
            self.phase[fish] += self.circ_w[fish] * dt
            lon, lat = self._slot_pos(fish)
            self._set_motion(fish, lon, lat, dt)
        join = np.flatnonzero(self.mode == M_JOIN)
        if len(join):
            lon, lat = self._slot_pos(join)
            arrived = self._head_for(join, lon, lat, self.cruise[join] * KN_MS, dt)
            done = join[arrived]
            self.mode[done] = M_FISH
            self.status[done] = S_FISHING

    def _set_motion(self, idx: I64, lon: F64, lat: F64, dt: float) -> None:
        de = (lon - self.lon[idx]) * _mlon(lat)
        dn = (lat - self.lat[idx]) * M_PER_DEG
        self.sog[idx] = np.hypot(de, dn) / dt / KN_MS
        self.cog[idx] = np.where(self.sog[idx] > 0.05, _bearing(de, dn), self.cog[idx])
        self.lon[idx], self.lat[idx] = lon, lat

    def _head_for(self, idx: I64, lon: F64, lat: F64, speed_ms: F64, dt: float) -> BOOL:
        """Move units towards targets at a speed; return which arrived (they are put on the target)."""
        mlon = _mlon(self.lat[idx])
        de = (lon - self.lon[idx]) * mlon
        dn = (lat - self.lat[idx]) * M_PER_DEG
        dist = np.hypot(de, dn)
        step = speed_ms * dt
        arrived = dist <= np.maximum(step, 1.0)
        f = np.where(arrived, 1.0, step / np.maximum(dist, 1e-9))
        self.lon[idx] += de * f / mlon
        self.lat[idx] += dn * f / M_PER_DEG
        self.sog[idx] = np.where(arrived & (dist < step), dist / dt, speed_ms) / KN_MS
        self.cog[idx] = np.where(dist > 0.5, _bearing(de, dn), self.cog[idx])
        return arrived

    def _move_routes(self, dt: float) -> None:
        idx = np.flatnonzero(self.mode == M_ROUTE)
        if not len(idx):
            return
        self._waypoints()
        wp = self.wp[idx]
        lat0 = self.wp_lat[wp]
        off = self.lat_off[idx]
        tlon = self.wp_lon[wp] + off * self.wp_me[wp] / _mlon(lat0)
        tlat = lat0 + off * self.wp_mn[wp] / M_PER_DEG
        cap = self.wp_cap[wp]
        speed = np.where(cap > 0, np.minimum(cap, self.cruise[idx]), self.cruise[idx]) * KN_MS
        arrived = self._head_for(idx, tlon, tlat, speed, dt)
        self.sog[idx] = speed / KN_MS
        if arrived.any():
            hit = idx[arrived]
            self.wp[hit] += 1
            done = hit[self.wp[hit] >= self.wp_end[hit]]
            for i in done.tolist():
                self._route_done(i)

    def _route_done(self, i: int) -> None:
        after = int(self.after[i])
        if after == A_GROUND:
            g = int(self.group[i])
            if self.g_phase[g] == G_OUT and not self.scripted[i]:
                self.mode[i] = M_JOIN
                self.status[i] = S_FISHING
            else:
                self._go_home(i)
        elif after == A_PORT:
            self.mode[i] = M_BERTH
            self.status[i] = S_UNDERWAY
        elif after == A_ANCHOR:
            self._hold(
                i, (float(self.lon[i]), float(self.lat[i])), S_ANCHOR, self.rng.uniform(1, 10) * 3600, N_TO_BERTH, 400.0
            )
        elif after == A_MOOR:
            self._hold(
                i, (float(self.lon[i]), float(self.lat[i])), S_MOORED, self.rng.uniform(4, 24) * 3600, N_DEPART, 150.0
            )
        elif after == A_EXIT:
            self._respawn_merchant(i)
        elif after == A_DWELL:
            here = (float(self.lon[i]), float(self.lat[i]))
            self._hold(i, here, S_FISHING, self.dwell_s.pop(i, 3600.0), N_HOME, 0.0)

    def _move_berthing(self, dt: float) -> None:
        idx = np.flatnonzero(self.mode == M_BERTH)
        if not len(idx):
            return
        arrived = self._head_for(idx, self.berth_lon[idx], self.berth_lat[idx], np.full(len(idx), 4.0 * KN_MS), dt)
        for i in idx[arrived].tolist():
            self._put_at_berth_here(i)

    def _move_hold(self, dt: float) -> None:
        idx = np.flatnonzero(self.mode == M_HOLD)
        if not len(idx):
            return
        self._wander(idx, dt, np.where(self.kind[idx] == K_BEACON, 0.0015, 0.003), 4e-5, 300.0)
        lat = self.berth_lat[idx] + self.wan_n[idx] / M_PER_DEG
        lon = self.berth_lon[idx] + self.wan_e[idx] / _mlon(self.berth_lat[idx])
        self._set_motion(idx, lon, lat, dt)

    def _move_vectors(self, dt: float) -> None:
        idx = np.flatnonzero(self.mode == M_VECTOR)
        if not len(idx):
            return
        lon = self.lon[idx] + self.vec_e[idx] * dt / _mlon(self.lat[idx])
        lat = self.lat[idx] + self.vec_n[idx] * dt / M_PER_DEG
        self.sog[idx] = np.hypot(self.vec_e[idx], self.vec_n[idx]) / KN_MS
        self.cog[idx] = np.where(self.sog[idx] > 0.05, _bearing(self.vec_e[idx], self.vec_n[idx]), self.cog[idx])
        self.lon[idx], self.lat[idx] = lon, lat

    # ------------------------------------------------------------------ timers

    def _timers(self) -> None:
        t = self.t
        free = ~self.scripted
        # Groups: departures and returns.
        due = np.flatnonzero((self.g_phase == G_PORT) & (self.g_depart_at <= t))
        for g in due.tolist():
            if self._typhoon_blocks():
                self.g_depart_at[g] = t + 3600.0
                continue
            self.g_phase[g] = G_OUT
            self.g_return_at[g] = t + self._trip_hours() * 3600 + 4 * 3600
            self._wander_centre(g)
            for k, m in enumerate(self.members[g]):
                if self.mode[m] == M_PORT and not self.scripted[m]:
                    self.leave_at[m] = t + k * self.rng.uniform(60, 300)
        due = np.flatnonzero((self.g_phase == G_OUT) & (self.g_return_at <= t))
        for g in due.tolist():
            self._recall_group(g, spread_s=1800.0)
        # Vessels: leave port, go home.
        leave = np.flatnonzero((self.mode == M_PORT) & (self.leave_at <= t) & free)
        for i in leave.tolist():
            g = int(self.group[i])
            out0, out1 = int(self.g_route[g, 0]), int(self.g_route[g, 1])
            self._set_route(i, (out0, out1), A_GROUND)
            self.leave_at[i] = np.inf
        home = np.flatnonzero((self.home_at <= t) & free)
        for i in home.tolist():
            self.home_at[i] = np.inf
            mode = int(self.mode[i])
            if mode in (M_FISH, M_JOIN):
                self._go_home(i)
            elif mode == M_ROUTE and self.after[i] == A_GROUND:
                self._turn_back(i)
            elif mode == M_PORT:
                self.leave_at[i] = np.inf
        # Returning groups are back in port when every member is.
        if (self.t % 60.0) < self.options.max_step_s:
            for g in np.flatnonzero(self.g_phase == G_RETURNING).tolist():
                ms = self.members[g]
                if all(self.mode[m] == M_PORT or self.scripted[m] for m in ms):
                    self.g_phase[g] = G_PORT
                    self.g_depart_at[g] = t + self.rng.uniform(3.0, 10.0) * 3600
        # Holds and scripted vectors that end.
        ends = np.flatnonzero(((self.mode == M_HOLD) | (self.mode == M_VECTOR)) & (self.until <= t))
        for i in ends.tolist():
            self._next_action(i)
        back_on = np.flatnonzero(self.silent & (self.silent_until <= t))
        self.silent[back_on] = False
        if self.typhoon is not None and t >= self._typhoon_check_at:
            self._typhoon_check_at = t + 60.0
            self._typhoon_recall()

    def _next_action(self, i: int) -> None:
        action = int(self.next_action[i])
        self.until[i] = np.inf
        if action == N_TO_BERTH:
            self._set_route(i, self._lane_routes[int(self.lane[i])]["from_anchor"], A_MOOR)
        elif action == N_DEPART:
            self._set_route(i, self._lane_routes[int(self.lane[i])]["out"], A_EXIT)
        elif action == N_HOME:
            self._set_route(i, self._home_route(i), A_PORT)
        elif action == N_REJOIN:
            self.scripted[i] = False
            g = int(self.group[i])
            self.status[i] = S_FISHING
            if self.g_phase[g] == G_OUT:
                self.mode[i] = M_JOIN
            else:
                self._set_route(i, self._home_route(i), A_PORT)
        elif action == N_EXIT_NEAREST:
            self._exit_nearest(i)
        elif action == N_OFF:
            self.mode[i] = M_OFF
            self.active[i] = False
        else:
            self.mode[i] = M_HOLD


def _seconds(value: datetime | float) -> float:
    """Unix seconds of an aware datetime, or the number itself."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    return float(value)


# ------------------------------------------------------------------------------------------- a synthetic world


def synthetic_world(
    ports: Sequence[SimPort],
    *,
    vessels: int = 8_200,
    groups: int = 770,
    class_a_share: float = 0.75,
    seed: int = 1,
    areas: Sequence[SimArea] = (),
) -> SimWorld:
    """A registry-shaped world without a database: vessels split into groups of one gear around the given ports."""
    rng = np.random.default_rng(seed)
    gears = ("trawl", "gillnet", "stow_net", "purse_seine", "light_purse_seine", "squid_jigging", "cage", "longline")
    weights = np.array([0.44, 0.18, 0.10, 0.05, 0.05, 0.05, 0.06, 0.04])
    fishing_ports = [k for k, p in enumerate(ports) if p.kind != "anchorage"] or list(range(len(ports)))
    group_gear = [str(g) for g in rng.choice(gears, groups, p=weights / weights.sum())]
    group_port = [int(fishing_ports[k % len(fishing_ports)]) for k in range(groups)]
    membership = np.sort(np.concatenate([np.arange(groups), rng.integers(0, groups, max(0, vessels - groups))]))[
        :vessels
    ]
    mmsis = rng.choice(np.arange(412_000_000, 415_000_000), vessels, replace=False)
    return SimWorld(
        vessel_ids=list(range(1, vessels + 1)),
        registration_nos=[f"浙普渔{10000 + k}" for k in range(vessels)],
        mmsis=[str(int(m)) for m in mmsis],
        ais_classes=["A" if rng.random() < class_a_share else "B" for _ in range(vessels)],
        lengths_m=[float(x) for x in rng.uniform(14, 50, vessels).round(1)],
        operation_types=[group_gear[int(g)] for g in membership],
        home_ports=[group_port[int(g)] for g in membership],
        groups=[int(g) for g in membership],
        beidou_ids=[f"BD{k + 1:07d}" for k in range(vessels)],
        group_codes=[f"BZ{k:04d}" for k in range(groups)],
        group_operation_types=group_gear,
        group_limits_m=[float(x) for x in rng.choice([3_704.0, 5_556.0, 9_260.0], groups)],
        ports=list(ports),
        areas=list(areas),
    )


# The examples live with their functions in sim_ais and sim_sea; ``doctest.testmod(simulator)`` still runs them.
__test__: dict[str, object] = {
    "report_interval_s": report_interval_s,
    "nmea_checksum": nmea_checksum,
    "tag_block": tag_block,
    "ais_name": ais_name,
    "points_in_area": points_in_area,
}
