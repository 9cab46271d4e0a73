"""Traffic around the fishing fleet: merchants on the lanes into Ningbo-Zhoushan, net beacons, AtoN, base stations."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from pingan.demo.sim_ais import STATIC_INTERVAL_S, _imo_number
from pingan.demo.sim_fleet import GROUND_RADIUS_M, FishingFleet
from pingan.demo.sim_sea import DX_KM, DY_KM, M_PER_DEG, SEA_LAT0, SEA_LON0, SEA_NX, SEA_RES, _mlon
from pingan.demo.sim_state import (
    A_ANCHOR,
    A_EXIT,
    A_MOOR,
    C_A,
    C_BEACON,
    G_PORT,
    K_BEACON,
    K_MERCHANT,
    M_HOLD,
    M_OFF,
    N_DEPART,
    N_NONE,
    N_TO_BERTH,
    P_DRIFT,
    S_ANCHOR,
    S_MOORED,
)

# Lanes into Ningbo-Zhoushan port (approximate positions): entry, gates, berth, anchorage, anchorage after key k.
_LANES: tuple[
    tuple[str, float, tuple[tuple[float, float], ...], tuple[float, float] | None, tuple[float, float] | None, int], ...
] = (
    (
        "xiazhimen",  # 虾峙门
        0.34,
        ((123.55, 29.62), (122.90, 29.70), (122.45, 29.72), (122.27, 29.76), (122.12, 29.86)),
        (121.88, 29.93),  # 北仑
        (122.47, 29.67),
        2,
    ),
    (
        "tiaomaomen",  # 条帽门
        0.16,
        ((122.40, 29.32), (122.30, 29.60), (122.18, 29.82), (122.08, 29.88)),  # via 七里峙 (approximate)
        (122.03, 29.88),  # 穿山
        (122.30, 29.55),
        1,
    ),
    (
        "luotou",  # 螺头水道 from the north
        0.18,
        ((122.62, 30.98), (122.38, 30.55), (122.10, 30.22), (121.99, 30.05), (122.00, 29.95)),
        (121.95, 29.91),  # 大榭
        (121.97, 30.08),  # 金塘锚地
        3,
    ),
    ("outer_north", 0.16, ((123.20, 29.30), (122.97, 29.70), (122.97, 30.40), (122.80, 31.00)), None, None, 0),
    ("outer_south", 0.16, ((122.85, 31.00), (123.02, 30.40), (123.02, 29.70), (123.25, 29.30)), None, None, 0),
)
_MIDS = (
    (477, 8),
    (413, 10),
    (414, 4),
    (352, 4),
    (353, 3),
    (355, 3),
    (356, 3),
    (370, 3),
    (636, 7),
    (538, 6),
    (563, 3),
    (564, 2),
    (566, 2),
    (440, 3),
    (431, 3),
    (248, 2),
    (256, 2),
    (209, 2),
    (311, 2),
    (533, 1),
    (574, 2),
    (548, 1),
)
_MERCHANT_WORDS = (
    ("OCEAN", "PACIFIC", "ORIENT", "GOLDEN", "GREAT", "SEA", "STAR", "NEW", "GLORY", "EASTERN", "BLUE", "SUN"),
    ("PIONEER", "HARMONY", "TRADER", "VENTURE", "SPIRIT", "FORTUNE", "EXPRESS", "HOPE", "CARRIER", "DRAGON"),
)
_BEACON_NAMES = ("NET {v:.0f}V", "{p}%", "NET {v:.1f}V", "WLY-{n:02d}", "{p}% NET", "BUOY {n}")


class Traffic(FishingFleet):
    """The traffic layer: merchants that come, berth, anchor and leave; beacons on the grounds; fixed stations."""

    # ------------------------------------------------------------------ merchants

    def _new_mmsi(self, prefix: int | None = None) -> int:
        while True:
            if prefix is None:
                mids = [m for m, _ in _MIDS]
                weights = np.array([w for _, w in _MIDS], dtype=np.float64)
                mid = int(self.rng.choice(mids, p=weights / weights.sum()))
                value = mid * 1_000_000 + int(self.rng.integers(0, 1_000_000))
            else:
                value = prefix + int(self.rng.integers(0, 1000))
            if value not in self._used_mmsi:
                self._used_mmsi.add(value)
                return value

    def _merchant_identity(self, i: int) -> None:
        rng = self.rng
        self.mmsi[i] = self._new_mmsi()
        words = _MERCHANT_WORDS
        number = "" if rng.random() < 0.5 else f" {rng.integers(1, 30)}"
        self.names[i] = f"{rng.choice(words[0])} {rng.choice(words[1])}{number}"
        self.callsigns[i] = "".join(rng.choice(list("ABCDEFGHJKLMNPRSTVWXYZ23456789"), 5))
        length = float(rng.choice([95, 120, 150, 180, 190, 225, 260, 294, 330]))
        bow = int(length * 0.55)
        beam = int(max(14.0, length / 6.5))
        self.statics[i] = {
            "to_bow": bow,
            "to_stern": int(length) - bow,
            "to_port": beam // 2,
            "to_starboard": beam - beam // 2,
            "ship_type": int(rng.choice([70, 70, 71, 79, 80, 80, 84, 60])),
            "draught": round(float(rng.uniform(6.0, 15.5)), 1),
            "destination": str(rng.choice(["CNNGB", "CN NGB", "NINGBO", "CNZOS", "ZHOUSHAN", "CNSHA"])),
            "imo": _imo_number(rng),
        }
        self.cruise[i] = rng.uniform(10.0, 16.0)
        self.lat_off[i] = rng.uniform(60.0, 200.0)
        self.cls[i] = C_A
        self.kind[i] = K_MERCHANT
        self.active[i] = True
        self.silent[i] = False
        self.scripted[i] = False
        self.static_at[i] = self.t
        self.last_at[i] = -np.inf

    def _init_merchants(self) -> None:
        count = self.options.merchants
        self._lane_routes: list[dict[str, tuple[int, int]]] = []
        self._lane_points: list[dict[str, tuple[float, float]]] = []
        sea = self.sea
        for _, _, keys, berth, anchor, after_k in _LANES:
            routes: dict[str, tuple[int, int]] = {}
            points: dict[str, tuple[float, float]] = {}
            if berth is None:
                pts = sea.route(keys)
                routes["through"] = self._add_route(pts)
            else:
                berth_cell = self._quiet_cell(berth, 1.0)
                berth_pt = sea.cell_centre(berth_cell)
                anchor_pt = sea.cell_centre(self._quiet_cell(anchor, 1.5)) if anchor else None
                direct = sea.route([*keys, berth_pt])
                routes["in"] = self._add_route(direct, last_cap=6.0)
                routes["out"] = self._add_route(direct[::-1], first_cap=6.0)
                if anchor_pt is not None:
                    routes["to_anchor"] = self._add_route(sea.route([*keys[: after_k + 1], anchor_pt]), last_cap=6.0)
                    routes["from_anchor"] = self._add_route(
                        sea.route([anchor_pt, *keys[after_k + 1 :], berth_pt]), last_cap=6.0
                    )
                    points["anchor"] = anchor_pt
                points["berth"] = berth_pt
            self._lane_routes.append(routes)
            self._lane_points.append(points)
        if count <= 0:
            return
        first = self._grow(count)
        weights = np.array([lane[1] for lane in _LANES])
        for i in range(first, first + count):
            self._merchant_identity(i)
            lane = int(self.rng.choice(len(_LANES), p=weights / weights.sum()))
            self.lane[i] = lane
            self.static_at[i] = self.t + self.rng.uniform(0, STATIC_INTERVAL_S)
            routes = self._lane_routes[lane]
            u = self.rng.random()
            if "through" in routes:
                span = routes["through"]
                self._place_on_route(i, span, self.rng.uniform(0, 1) * self._route_length(*span), A_EXIT)
            elif u < 0.3:
                self._hold(
                    i, self._lane_points[lane]["berth"], S_MOORED, self.rng.uniform(0.5, 20) * 3600, N_DEPART, 300.0
                )
            elif u < 0.45 and "anchor" in self._lane_points[lane]:
                self._hold(
                    i, self._lane_points[lane]["anchor"], S_ANCHOR, self.rng.uniform(0.5, 10) * 3600, N_TO_BERTH, 700.0
                )
            else:
                key = "in" if self.rng.random() < 0.5 else "out"
                span = routes[key]
                self._place_on_route(
                    i, span, self.rng.uniform(0, 1) * self._route_length(*span), A_MOOR if key == "in" else A_EXIT
                )

    def _quiet_cell(self, point: tuple[float, float], clear_km: float) -> int:
        """The sea cell nearest a point that is at least ``clear_km`` from land."""
        sea = self.sea
        ok = np.flatnonzero((sea.sea & (sea.clear_km >= clear_km)).ravel())
        xs, ys = ok % SEA_NX, ok // SEA_NX
        px, py = (point[0] - SEA_LON0) * SEA_RES - 0.5, (point[1] - SEA_LAT0) * SEA_RES - 0.5
        return int(ok[np.argmin(((xs - px) * DX_KM) ** 2 + ((ys - py) * DY_KM) ** 2)])

    def _respawn_merchant(self, i: int) -> None:
        if self.scripted[i] or self.lane[i] < 0:
            self.active[i] = False
            self.mode[i] = M_OFF
            return
        self._merchant_identity(i)
        lane = int(self.rng.choice(len(_LANES), p=np.array([x[1] for x in _LANES]) / sum(x[1] for x in _LANES)))
        self.lane[i] = lane
        routes = self._lane_routes[lane]
        if "through" in routes:
            span, after = routes["through"], A_EXIT
        elif "to_anchor" in routes and self.rng.random() < 0.4:
            span, after = routes["to_anchor"], A_ANCHOR
        else:
            span, after = routes["in"], A_MOOR
        self._place_on_route(i, span, 0.0, after)

    def _exit_nearest(self, i: int) -> None:
        exits = [keys[0] for _, _, keys, _, _, _ in _LANES]
        here = (float(self.lon[i]), float(self.lat[i]))
        target = min(exits, key=lambda p: (p[0] - here[0]) ** 2 + (p[1] - here[1]) ** 2)
        self._set_route(i, self._add_route(self.sea.route([here, target])), A_EXIT)
        self.scripted[i] = False
        self.lane[i] = -1  # a scenario ship leaves for good

    # ------------------------------------------------------------------ net beacons, AtoN and base stations

    def _init_beacons(self) -> None:
        count = self.options.beacons
        if count <= 0:
            return
        first = self._grow(count)
        rng = self.rng
        at_sea = [g for g in range(len(self.members)) if self.g_phase[g] != G_PORT] or list(range(len(self.members)))
        for i in range(first, first + count):
            g = int(rng.choice(at_sea))
            roll = rng.random()
            if roll < 0.6:
                mmsi = self._new_mmsi(413_000_000 + int(rng.integers(0, 100)) * 1000)
            elif roll < 0.8:
                mmsi = self._new_mmsi(int(rng.integers(1_000, 9_999)) * 1000)  # 7 digits: "00" + … when padded
            else:
                mmsi = self._new_mmsi(int(rng.integers(100_000, 199_999)) * 1000)  # no such MID
            self.mmsi[i] = mmsi
            self.kind[i] = K_BEACON
            self.cls[i] = C_BEACON
            self.active[i] = True
            self.mode[i] = M_HOLD
            self.status[i] = 15
            self.next_action[i] = N_NONE
            self.until[i] = np.inf
            self.wander_kind[i] = P_DRIFT
            r = 0.8 * GROUND_RADIUS_M * math.sqrt(rng.random())
            a = rng.uniform(0, 2 * math.pi)
            self.berth_lat[i] = self.g_ground_lat[g] + r * math.cos(a) / M_PER_DEG
            self.berth_lon[i] = self.g_ground_lon[g] + r * math.sin(a) / float(_mlon(self.g_ground_lat[g]))
            self.lon[i], self.lat[i] = self.berth_lon[i], self.berth_lat[i]
            template = str(rng.choice(_BEACON_NAMES))
            self.names[i] = template.format(
                v=rng.uniform(10.5, 13.5), p=int(rng.integers(20, 100)), n=int(rng.integers(1, 99))
            )
            self.statics[i] = {"ship_type": 0}

    def _init_fixed(self) -> list[dict[str, Any]]:
        fixed: list[dict[str, Any]] = []
        for k, st in enumerate(self.stations):
            fixed.append({"type": 4, "mmsi": st.base_mmsi, "lon": st.lon, "lat": st.lat, "station": k, "every": 10.0})
        if self.options.atons:
            marks = [
                ("XIAZHIMEN NO1", 122.30, 29.745),
                ("XIAZHIMEN NO2", 122.36, 29.725),
                ("TIAOMAOMEN NO1", 122.21, 29.80),
                ("LUOTOU NO3", 122.01, 29.965),
                ("OUTER APPROACH E", 122.90, 29.70),
                ("HIGH RISK ZONE N", 122.97, 30.40),
                ("HIGH RISK ZONE S", 122.97, 29.95),
                ("SHENGSHAN E", 122.95, 30.72),
            ]
            for n, (name, lon, lat) in enumerate(marks):
                cell = self.sea.snap(lon, lat)
                clon, clat = self.sea.cell_centre(cell)
                virtual = name.startswith("HIGH RISK")
                fixed.append(
                    {
                        "type": 21,
                        "mmsi": 994_131_000 + n + 1,
                        "lon": clon,
                        "lat": clat,
                        "name": name,
                        "every": 180.0,
                        "virtual": virtual,
                    }
                )
        for k, f in enumerate(fixed):
            f["next"] = self.t + self.rng.uniform(0, f["every"])
            f.setdefault("station", -1)
            f["k"] = k
        return fixed
