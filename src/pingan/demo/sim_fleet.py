"""The fishing fleet of the simulator: groups, their grounds and formations, trips out and home.

Fishing grounds are cells at least 14 km from any land, and a group never leaves an 8 km disc around its ground,
so the formation and the legs to and from it stay at sea.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from pingan.demo.sim_ais import ais_name
from pingan.demo.sim_sea import F64, I64, KN_MS, M_PER_DEG, SimPort, _bearing, _mlon, _wrap180
from pingan.demo.sim_state import (
    A_GROUND,
    A_PORT,
    C_A,
    C_B,
    G_OUT,
    G_PORT,
    G_RETURNING,
    K_FISH,
    M_FISH,
    M_PORT,
    P_CIRCLE,
    P_DRIFT,
    P_TOW,
    S_FISHING,
    S_MOORED,
    SimState,
)

GROUND_BOX = (122.60, 29.45, 123.45, 30.85)  # fishing grounds east and south-east of the islands
GROUND_CLEAR_KM = 14.0
GROUND_RADIUS_M = 8_000.0
# The formation pattern of each gear (P_TOW, P_CIRCLE); any other gear drifts (P_DRIFT).
_PATTERN = {
    "trawl": P_TOW,
    "longline": P_TOW,
    "purse_seine": P_CIRCLE,
    "light_purse_seine": P_CIRCLE,
}


class FishingFleet(SimState):
    """The fishing layer: groups around their ports, grounds, formation slots, group motion, trips and recalls."""

    # ------------------------------------------------------------------ groups and grounds

    def _init_groups(self) -> None:
        w = self.world
        ports = w.ports or [SimPort("NONE", "none", "fishing_port", 122.29, 29.937, 122.31, 29.947)]
        self._ports = ports
        fishing_ports = [k for k, p in enumerate(ports) if p.kind != "anchorage"] or [0]
        self._port_cell = [self.sea.snap(*p.centre) for p in ports]
        # Vessels without a group form groups of one.
        group_of = list(w.groups)
        codes, gear, limits = list(w.group_codes), list(w.group_operation_types), list(w.group_limits_m)
        for v, g in enumerate(group_of):
            if g < 0:
                group_of[v] = len(codes)
                codes.append(f"SOLO-{w.vessel_ids[v]}")
                gear.append(w.operation_types[v])
                limits.append(5_556.0)
        self._group_of = group_of
        self.group_codes = codes
        n = len(codes)
        members: list[list[int]] = [[] for _ in range(n)]
        for v, g in enumerate(group_of):
            members[g].append(v)
        self.members = members
        g_port = np.zeros(n, dtype=np.int64)
        for g, ms in enumerate(members):
            homes = [w.home_ports[v] for v in ms if 0 <= w.home_ports[v] < len(ports)]
            g_port[g] = Counter(homes).most_common(1)[0][0] if homes else fishing_ports[g % len(fishing_ports)]
        self.g_port = g_port
        self.g_pattern = np.array([_PATTERN.get(x, P_DRIFT) for x in gear], dtype=np.int64)
        self.g_limit = np.asarray(limits, dtype=np.float64)
        self.g_phase = np.zeros(n, dtype=np.int64)
        self.g_depart_at = np.full(n, np.inf)
        self.g_return_at = np.full(n, np.inf)
        self.g_turn_at = self.t + self.rng.uniform(0, 120, n) * 60  # tows already under way
        self.g_head = self.rng.uniform(0, 360, n)
        self.g_head_to = self.g_head.copy()
        self.g_speed = np.where(self.g_pattern == P_TOW, self.rng.uniform(2.4, 3.6, n), 0.0) * KN_MS
        self.g_speed[np.asarray([x == "longline" for x in gear])] = 2.0 * KN_MS
        self.g_tide = self.rng.uniform(0.15, 0.45, n)  # m/s amplitude of the tidal drift
        self.g_tide_dir = self.rng.uniform(0, 360, n)
        self.g_tide_phase = self.rng.uniform(0, 2 * math.pi, n)
        self.g_ground_lon = np.zeros(n)
        self.g_ground_lat = np.zeros(n)
        self.g_route = np.zeros((n, 4), dtype=np.int64)  # out start, out end, back start, back end
        self._choose_grounds()
        self.g_c_lon = self.g_ground_lon.copy()
        self.g_c_lat = self.g_ground_lat.copy()
        self.g_ve = np.zeros(n)
        self.g_vn = np.zeros(n)

    def _choose_grounds(self) -> None:
        sea = self.sea
        glat, glon = np.meshgrid(sea.lat, sea.lon, indexing="ij")
        lo_lon, lo_lat, hi_lon, hi_lat = GROUND_BOX
        ok = sea.sea & (sea.clear_km >= GROUND_CLEAR_KM) & (glon >= lo_lon) & (glon <= hi_lon)
        ok &= (glat >= lo_lat) & (glat <= hi_lat)
        candidates = np.flatnonzero(ok.ravel())
        for p in sorted(set(self.g_port.tolist())):
            dist, _ = sea.tree(self._port_cell[p])
            d = dist[candidates]
            reach = np.isfinite(d)
            cand, d = candidates[reach], d[reach]
            weight = np.exp(-(d - d.min()) / 45.0)
            weight /= weight.sum()
            for g in np.flatnonzero(self.g_port == p):
                cell = int(self.rng.choice(cand, p=weight))
                lon, lat = sea.cell_centre(cell)
                self.g_ground_lon[g], self.g_ground_lat[g] = lon, lat
                key = (int(p), cell)
                if key not in self._port_routes:
                    cells = sea.cells_to(cell, self._port_cell[p])[::-1]
                    pts = sea.pull([sea.cell_centre(c) for c in cells])
                    out = self._add_route(pts, first_cap=5.0)
                    back = self._add_route(pts[::-1], last_cap=6.0)
                    self._port_routes[key] = (*out, *back)
                self.g_route[g] = self._port_routes[key]

    def _slots(self, g: int, count: int) -> tuple[F64, F64, F64]:
        """Formation offsets (m east, m north) and circle radii for a group's members."""
        limit = float(self.g_limit[g])
        pattern = int(self.g_pattern[g])
        rng = self.rng
        if pattern == P_TOW:
            pairs = (count + 1) // 2
            spacing = min(800.0, 0.75 * limit / max(pairs, 1))
            axis = math.radians(rng.uniform(0, 180))
            along = (np.arange(count) // 2 - (pairs - 1) / 2) * spacing
            across = np.where(np.arange(count) % 2 == 0, -200.0, 200.0)
            e = along * math.sin(axis) + across * math.cos(axis)
            n = along * math.cos(axis) - across * math.sin(axis)
            return e, n, np.zeros(count)
        radius = 0.33 * limit * np.sqrt(rng.uniform(0.05, 1.0, count))
        angle = rng.uniform(0, 2 * math.pi, count)
        circle = rng.uniform(180.0, 320.0, count) if pattern == P_CIRCLE else np.zeros(count)
        return radius * np.sin(angle), radius * np.cos(angle), circle

    def _init_fleet(self) -> None:
        w = self.world
        nv = len(w)
        self._grow(nv)
        rng = self.rng
        idx = np.arange(nv)
        self.kind[idx] = K_FISH
        self.vessel[idx] = idx
        self.group[idx] = np.asarray(self._group_of, dtype=np.int64)
        self.port[idx] = self.g_port[self.group[idx]]
        for v in range(nv):
            raw = w.mmsis[v]
            mmsi = int(raw) if raw and raw.isdigit() and w.ais_classes[v] in ("A", "B") else 0
            self.mmsi[v] = mmsi
            self.active[v] = mmsi > 0
            self._used_mmsi.add(mmsi)
            self.cls[v] = C_A if w.ais_classes[v] == "A" else C_B
            self.names[v] = ais_name(w.registration_nos[v])
            self.callsigns[v] = f"B{(w.vessel_ids[v] * 7919) % 10**5:05d}"
            length = max(float(w.lengths_m[v]), 8.0)
            bow = round(length * 0.6)
            beam = max(3, round(length / 5.5))
            self.statics[v] = {
                "to_bow": bow,
                "to_stern": round(length) - bow,
                "to_port": beam // 2,
                "to_starboard": beam - beam // 2,
                "ship_type": 30,
                "draught": round(length / 12.0, 1),
                "destination": "FISHING GROUND",
                "imo": 0,
            }
        self.cruise[idx] = rng.uniform(8.0, 11.0, nv)
        self.lat_off[idx] = rng.uniform(40.0, 180.0, nv)
        self.circ_w[idx] = 2 * math.pi / rng.uniform(1300.0, 2000.0, nv) * rng.choice([-1.0, 1.0], nv)
        self.phase[idx] = rng.uniform(0, 2 * math.pi, nv)
        self.hdg_fixed[idx] = rng.uniform(0, 360, nv)
        self.wander_kind[idx] = self.g_pattern[self.group[idx]]
        for v in range(nv):
            self._put_at_berth(v)
        for g, ms in enumerate(self.members):
            e, n, r = self._slots(g, len(ms))
            self.off_e[ms], self.off_n[ms], self.circ_r[ms] = e, n, r
            self._start_group(g)

    def _put_at_berth(self, i: int) -> None:
        port = self._ports[int(self.port[i])]
        self.berth_lon[i] = self.rng.uniform(port.min_lon + 0.001, port.max_lon - 0.001)
        self.berth_lat[i] = self.rng.uniform(port.min_lat + 0.001, port.max_lat - 0.001)
        self.lon[i], self.lat[i] = self.berth_lon[i], self.berth_lat[i]
        self.mode[i] = M_PORT
        self.status[i] = S_MOORED
        self.sog[i] = 0.0
        self.cog[i] = self.hdg_fixed[i]
        self.leave_at[i] = np.inf
        self.home_at[i] = np.inf

    def _put_at_berth_here(self, i: int) -> None:
        self.mode[i] = M_PORT
        self.status[i] = S_MOORED
        self.sog[i] = 0.0
        self.leave_at[i] = np.inf
        self.home_at[i] = np.inf
        self.recalled[i] = False
        self.scripted[i] = False

    def _trip_hours(self) -> float:
        return float(self.rng.uniform(6.0, 16.0))

    def _start_group(self, g: int) -> None:
        """Put a group somewhere in its cycle at the start: in port, steaming out, fishing or coming back."""
        rng = self.rng
        t = self.t
        ms = self.members[g]
        share = self.options.at_sea_share
        u = rng.random()
        out0, out1, back0, back1 = (int(x) for x in self.g_route[g])
        if u >= share:
            self.g_phase[g] = G_PORT
            self.g_depart_at[g] = t + rng.uniform(0.0, 8.0) * 3600
            return
        u /= share
        self.g_phase[g] = G_OUT
        if u < 0.2:  # steaming out
            since = rng.uniform(0.2, 3.0) * 3600
            self.g_return_at[g] = t - since + self._trip_hours() * 3600 + 4 * 3600
            for k, m in enumerate(ms):
                stagger = k * rng.uniform(60, 240)
                run = (since - stagger) * self.cruise[m] * KN_MS
                if run <= 0:
                    self.leave_at[m] = t - since + stagger
                else:
                    self._place_on_route(m, (out0, out1), run, A_GROUND)
        elif u < 0.85:  # fishing
            self.g_return_at[g] = t + rng.uniform(0.3, 14.0) * 3600
            self._wander_centre(g)
            for m in ms:
                self._place_fishing(m)
        else:  # returning
            self.g_phase[g] = G_RETURNING
            self.g_return_at[g] = t - 1.0
            back_len = self._route_length(back0, back1)
            for m in ms:
                self._place_on_route(m, (back0, back1), rng.uniform(0.0, 0.95) * back_len, A_PORT)

    def _wander_centre(self, g: int) -> None:
        r = GROUND_RADIUS_M * 0.6 * math.sqrt(self.rng.random())
        a = self.rng.uniform(0, 2 * math.pi)
        self.g_c_lat[g] = self.g_ground_lat[g] + r * math.cos(a) / M_PER_DEG
        self.g_c_lon[g] = self.g_ground_lon[g] + r * math.sin(a) / float(_mlon(self.g_ground_lat[g]))

    def _place_fishing(self, m: int) -> None:
        self.mode[m] = M_FISH
        self.status[m] = S_FISHING
        lon, lat = self._slot_pos(np.array([m]))
        self.lon[m], self.lat[m] = lon[0], lat[0]

    # ------------------------------------------------------------------ formations

    def _move_groups(self, dt: float) -> None:
        t = self.t
        tow = self.g_pattern == P_TOW
        # Tows: legs back and forth; turn at the end of a leg or when straying from the ground.
        mlon = _mlon(self.g_c_lat)
        from_e = (self.g_c_lon - self.g_ground_lon) * mlon
        from_n = (self.g_c_lat - self.g_ground_lat) * M_PER_DEG
        ahead_e = from_e + np.sin(np.radians(self.g_head)) * self.g_speed * 600
        ahead_n = from_n + np.cos(np.radians(self.g_head)) * self.g_speed * 600
        stray = np.hypot(ahead_e, ahead_n) > GROUND_RADIUS_M * 0.85
        turn = tow & ((t >= self.g_turn_at) | (stray & (np.abs(_wrap180(self.g_head_to - self.g_head)) < 1)))
        if turn.any():
            k = np.flatnonzero(turn)
            home = _bearing(-from_e[k], -from_n[k])
            back = (self.g_head[k] + 180 + self.rng.uniform(-25, 25, len(k))) % 360
            self.g_head_to[k] = np.where(stray[k], (home + self.rng.uniform(-30, 30, len(k))) % 360, back)
            self.g_turn_at[k] = t + self.rng.uniform(45, 120, len(k)) * 60
        delta = _wrap180(self.g_head_to - self.g_head)
        self.g_head = (self.g_head + np.clip(delta, -3.0 * dt, 3.0 * dt)) % 360
        tide = self.g_tide * np.cos(2 * math.pi * t / 44_712.0 + self.g_tide_phase)  # 12.42 h
        ve = np.where(tow, self.g_speed * np.sin(np.radians(self.g_head)), tide * np.sin(np.radians(self.g_tide_dir)))
        vn = np.where(tow, self.g_speed * np.cos(np.radians(self.g_head)), tide * np.cos(np.radians(self.g_tide_dir)))
        # Drifting groups are pulled back towards their ground when they stray.
        pull = ~tow & (np.hypot(from_e, from_n) > GROUND_RADIUS_M * 0.7)
        ve = np.where(pull, -from_e / np.maximum(np.hypot(from_e, from_n), 1) * 0.3, ve)
        vn = np.where(pull, -from_n / np.maximum(np.hypot(from_e, from_n), 1) * 0.3, vn)
        self.g_ve, self.g_vn = ve, vn
        self.g_c_lon = self.g_c_lon + ve * dt / mlon
        self.g_c_lat = self.g_c_lat + vn * dt / M_PER_DEG

    def _slot_pos(self, idx: I64) -> tuple[F64, F64]:
        g = self.group[idx]
        ang = self.phase[idx]
        e = self.off_e[idx] + self.wan_e[idx] + self.circ_r[idx] * np.sin(ang)
        n = self.off_n[idx] + self.wan_n[idx] + self.circ_r[idx] * np.cos(ang)
        lat = self.g_c_lat[g] + n / M_PER_DEG
        lon = self.g_c_lon[g] + e / _mlon(self.g_c_lat[g])
        return lon, lat

    # ------------------------------------------------------------------ going home

    def _recall_group(self, g: int, *, spread_s: float) -> None:
        self.g_phase[g] = G_RETURNING
        for m in self.members[g]:
            if self.scripted[m]:
                continue
            if self.mode[m] == M_PORT:
                self.leave_at[m] = np.inf
            elif self.home_at[m] == np.inf:
                self.home_at[m] = self.t + self.rng.uniform(0, spread_s)

    def _go_home(self, i: int) -> None:
        g = int(self.group[i])
        back0, back1 = int(self.g_route[g, 2]), int(self.g_route[g, 3])
        self._waypoints()
        ground = (float(self.wp_lon[back0]), float(self.wp_lat[back0]))
        # From the fishing disc the ground point is a straight run at sea; elsewhere route afresh.
        near = math.hypot((self.lon[i] - ground[0]) * float(_mlon(ground[1])), (self.lat[i] - ground[1]) * M_PER_DEG)
        if near < GROUND_RADIUS_M + 4_500 and self.g_port[g] == self.port[i]:
            self._set_route(i, (back0, back1), A_PORT)
        else:
            self._set_route(i, self._home_route(i), A_PORT)

    def _turn_back(self, i: int) -> None:
        g = int(self.group[i])
        out0, out1, back0, back1 = (int(x) for x in self.g_route[g])
        k = int(self.wp[i]) - out0  # heading for outbound waypoint k
        n = out1 - out0
        if self.wp_end[i] != out1 or not 0 < k < n:
            self._set_route(i, self._home_route(i), A_PORT)
            return
        self._set_route(i, (back0, back1), A_PORT, wp=back0 + n - k)
