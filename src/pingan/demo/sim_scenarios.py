"""Six scripted scenarios, each staged to raise alerts: crossing, drift, silence, closed waters, distress, typhoon."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np

from pingan.demo.sim_sea import (
    KN_MS,
    M_PER_DEG,
    NM_M,
    SEA_NX,
    SEA_NY,
    ScenarioError,
    _bearing,
    _mlon,
    area_from_geojson,
    points_in_area,
)
from pingan.demo.sim_state import (
    A_DWELL,
    A_PORT,
    C_SART,
    G_OUT,
    G_RETURNING,
    K_FISH,
    K_MERCHANT,
    K_SART,
    M_FISH,
    M_JOIN,
    M_OFF,
    M_PORT,
    M_ROUTE,
    M_VECTOR,
    N_EXIT_NEAREST,
    N_HOME,
    N_OFF,
    N_REJOIN,
    P_TOW,
    S_FISHING,
    S_NUC,
    S_SART,
    S_UNDERWAY,
)
from pingan.demo.sim_traffic import Traffic

SCENARIOS = ("crossing", "drift", "silence", "closed_waters", "distress", "typhoon")


class Scenarios(Traffic):
    """The scenario layer: pick a subject, script its motion, add the other ships, and say what to expect."""

    def start_scenario(self, name: str, **params: Any) -> dict[str, Any]:
        """Start a scenario now (at the engine's time) and return what it involves (MMSIs, area, times)."""
        handlers = {
            "crossing": (self._crossing, {"mmsi", "registration_no", "merchant_kn", "cpa_nm", "minutes"}),
            "drift": (self._drift, {"mmsi", "registration_no", "group", "drift_kn", "duration_s"}),
            "silence": (self._silence, {"mmsi", "registration_no", "control_mmsi", "duration_s"}),
            "closed_waters": (
                self._closed_waters,
                {"mmsi", "registration_no", "polygon", "grid", "dwell_s", "speed_kn"},
            ),
            "distress": (self._distress, {"mmsi", "registration_no", "duration_s"}),
            "typhoon": (
                self._typhoon,
                {"name", "distance_km", "speed_kmh", "warning_radius_km", "late_share", "hours"},
            ),
        }
        if name not in handlers:
            raise ScenarioError(f"unknown scenario {name!r}: choose from {', '.join(SCENARIOS)}")
        handler, allowed = handlers[name]
        unknown = set(params) - allowed
        if unknown:
            raise ScenarioError(
                f"{name}: unknown parameter(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(allowed))}"
            )
        result = handler(params)
        result = {"scenario": name, "started_at": _iso(self.t), **result}
        self.scenarios.append(result)
        return result

    def _subject(self, params: dict[str, Any], *, at_sea: bool = True, modes: Iterable[int] = (M_FISH,)) -> int:
        if params.get("mmsi") not in (None, ""):
            i = self.index_of(params["mmsi"])
            if self.kind[i] != K_FISH:
                raise ScenarioError(f"MMSI {params['mmsi']} is not a fishing vessel")
            return i
        if params.get("registration_no"):
            try:
                v = self.world.registration_nos.index(str(params["registration_no"]))
            except ValueError as exc:
                raise ScenarioError(f"no vessel {params['registration_no']}") from exc
            return v
        base = (self.kind == K_FISH) & self.active & ~self.scripted & ~self.silent
        for mode in [*modes, M_JOIN, M_ROUTE]:
            cand = (
                np.flatnonzero(base & (self.mode == mode)) if at_sea else np.flatnonzero(base & (self.mode == M_PORT))
            )
            if len(cand):
                return int(self.rng.choice(cand))
        raise ScenarioError("no fishing vessel fits this scenario right now")

    def _describe(self, i: int) -> dict[str, Any]:
        v = int(self.vessel[i])
        return {
            "mmsi": int(self.mmsi[i]),
            "vessel_id": self.world.vessel_ids[v] if v >= 0 else None,
            "registration_no": self.world.registration_nos[v] if v >= 0 else None,
            "name": self.names[i],
            "lon": round(float(self.lon[i]), 5),
            "lat": round(float(self.lat[i]), 5),
        }

    def _script_vector(self, i: int, sog_kn: float, cog_deg: float, seconds: float, then: int, status: int) -> None:
        self.scripted[i] = True
        self.mode[i] = M_VECTOR
        self.vec_e[i] = sog_kn * KN_MS * math.sin(math.radians(cog_deg))
        self.vec_n[i] = sog_kn * KN_MS * math.cos(math.radians(cog_deg))
        self.until[i] = self.t + seconds
        self.next_action[i] = then
        self.status[i] = status
        self.home_at[i] = np.inf
        self.leave_at[i] = np.inf

    def _run_clear(self, lon: float, lat: float, sog_kn: float, cog_deg: float, seconds: float) -> float:
        """How long (s, up to ``seconds``) a straight run stays in sea with a corridor."""
        step = 300.0
        t = 0.0
        here = (lon, lat)
        ve, vn = sog_kn * KN_MS * math.sin(math.radians(cog_deg)), sog_kn * KN_MS * math.cos(math.radians(cog_deg))
        while t < seconds:
            nxt = (here[0] + ve * step / float(_mlon(here[1])), here[1] + vn * step / M_PER_DEG)
            if not self.sea.clear(here, nxt, 300.0):
                return t
            here, t = nxt, t + step
        return seconds

    def _new_unit(self, kind: int) -> int:
        spare = np.flatnonzero(~self.active & (self.kind == kind) & (self.mode == M_OFF) & (self.vessel < 0))
        i = int(spare[0]) if len(spare) else self._grow(1)
        self.kind[i] = kind
        return i

    def _crossing(self, params: dict[str, Any]) -> dict[str, Any]:
        merchant_kn = float(params.get("merchant_kn", 12.0))
        cpa_m = float(params.get("cpa_nm", 0.1)) * NM_M
        lead_s = float(params.get("minutes", 10.0)) * 60
        tried: set[int] = set()
        for _ in range(40):
            i = self._subject(params)
            if i in tried and "mmsi" not in params:
                continue
            tried.add(i)
            sog = float(np.clip(self.sog[i], 0.3, 4.0))
            cog = float(self.cog[i])
            if self._run_clear(float(self.lon[i]), float(self.lat[i]), sog, cog, 1800) < 1800:
                if params.get("mmsi"):
                    raise ScenarioError("the chosen vessel is too close to land for a crossing")
                continue
            mlon = float(_mlon(self.lat[i]))
            meet_e, meet_n = (
                sog * KN_MS * math.sin(math.radians(cog)) * lead_s,
                sog * KN_MS * math.cos(math.radians(cog)) * lead_s,
            )
            for rel in (90, -90, 70, -70, 110, -110, 50, -50, 130, -130):
                mc = (cog + rel) % 360
                ue, un = math.sin(math.radians(mc)), math.cos(math.radians(mc))
                run = merchant_kn * KN_MS * lead_s
                # Aim a little to one side of the meeting point so the CPA is ``cpa_m`` rather than zero.
                pe, pn = meet_e + un * cpa_m, meet_n - ue * cpa_m
                start = (float(self.lon[i]) + (pe - ue * run) / mlon, float(self.lat[i]) + (pn - un * run) / M_PER_DEG)
                if self._run_clear(*start, merchant_kn, mc, lead_s + 1800) < lead_s + 1800:
                    continue
                shift = 3.0 * NM_M
                control = None
                for side in (1, -1):
                    c = (start[0] + side * un * shift / mlon, start[1] - side * ue * shift / M_PER_DEG)
                    if self._run_clear(*c, merchant_kn, mc, lead_s + 1800) >= lead_s + 1800:
                        control = c
                        break
                if control is None:
                    continue
                self._script_vector(i, sog, cog, lead_s + 900, N_REJOIN, int(self.status[i]))
                ships = []
                for pos in (start, control):
                    m = self._new_unit(K_MERCHANT)
                    self._merchant_identity(m)
                    self.lane[m] = -1
                    self.lon[m], self.lat[m] = pos
                    self.cruise[m] = merchant_kn
                    self._script_vector(m, merchant_kn, mc, lead_s + 1800, N_EXIT_NEAREST, S_UNDERWAY)
                    self.sog[m], self.cog[m] = merchant_kn, mc
                    self.last_at[m] = -np.inf
                    self.last_int[m] = 10.0
                    ships.append(m)
                return {
                    "subject_mmsi": int(self.mmsi[i]),
                    "merchant_mmsi": int(self.mmsi[ships[0]]),
                    "control_mmsi": int(self.mmsi[ships[1]]),
                    "subject": self._describe(i),
                    "merchant": self._describe(ships[0]),
                    "control": self._describe(ships[1]),
                    "meet_at": _iso(self.t + lead_s),
                    "planned_cpa_nm": round(cpa_m / NM_M, 2),
                    "control_cpa_nm": 3.0,
                }
            if params.get("mmsi"):
                break
        raise ScenarioError("no open water for a crossing near a fishing vessel at sea")

    def _drift(self, params: dict[str, Any]) -> dict[str, Any]:
        drift_kn = float(params.get("drift_kn", 1.5))
        if not 0.2 <= drift_kn <= 5:
            raise ScenarioError("drift_kn must lie between 0.2 and 5")
        duration = float(params.get("duration_s", 4 * 3600))
        if params.get("group"):
            try:
                g = self.group_codes.index(str(params["group"]))
            except ValueError as exc:
                raise ScenarioError(f"no group {params['group']}") from exc
            cands = [m for m in self.members[g] if self.mode[m] == M_FISH and not self.scripted[m]]
            if not cands:
                raise ScenarioError(f"group {params['group']} is not fishing now")
            subjects = [cands[0]]
        elif params.get("mmsi") or params.get("registration_no"):
            subjects = [self._subject(params)]
        else:
            fishing = [
                g
                for g in range(len(self.members))
                if sum(self.mode[m] == M_FISH and not self.scripted[m] for m in self.members[g]) >= 3
            ]
            if not fishing:
                raise ScenarioError("no group of three or more is fishing now")
            # Prefer drifting gear (their centre barely moves) and the tighter limits.
            fishing.sort(key=lambda g: (self.g_pattern[g] == P_TOW, self.g_limit[g]))
            subjects = [next(m for m in self.members[fishing[0]] if self.mode[m] == M_FISH and not self.scripted[m])]
        i = subjects[0]
        g = int(self.group[i])
        if self.mode[i] not in (M_FISH, M_JOIN):
            raise ScenarioError("the vessel is not fishing with its group")
        mates = [m for m in self.members[g] if m != i and self.mode[m] == M_FISH]
        cx = float(np.mean(self.lon[mates])) if mates else float(self.g_c_lon[g])
        cy = float(np.mean(self.lat[mates])) if mates else float(self.g_c_lat[g])
        away = float(
            _bearing(np.array([(self.lon[i] - cx) * _mlon(cy)]), np.array([(self.lat[i] - cy) * M_PER_DEG]))[0]
        )
        limit = float(self.g_limit[g])
        need = limit * 1.6 / (drift_kn * KN_MS)
        best, best_run = away, -1.0
        head = float(self.g_head[g]) if self.g_pattern[g] == P_TOW else away
        for rel in (0, 30, -30, 60, -60, 90, -90, 120, -120, 180):
            c = (away + rel) % 360
            if self.g_pattern[g] == P_TOW:
                c = (head + 90 + rel) % 360  # across the tow, so the trawl legs do not follow it
            run = self._run_clear(float(self.lon[i]), float(self.lat[i]), drift_kn, c, min(duration, need * 2))
            if run > best_run:
                best, best_run = c, run
            if run >= need:
                break
        self._script_vector(i, drift_kn, best, min(duration, best_run), N_REJOIN, S_FISHING)
        return {
            "subject_mmsi": int(self.mmsi[i]),
            "subject": self._describe(i),
            "group": self.group_codes[g],
            "limit_m": limit,
            "member_mmsis": [int(self.mmsi[m]) for m in self.members[g] if m != i and self.active[m]],
            "drift_kn": drift_kn,
            "drift_cog_deg": round(best, 1),
            "beyond_limit_after_s": round(limit / (drift_kn * KN_MS)),
            "ends_at": _iso(self.t + min(duration, best_run)),
        }

    def _silence(self, params: dict[str, Any]) -> dict[str, Any]:
        duration = float(params.get("duration_s", 2 * 3600))
        i = self._subject(params)
        if params.get("control_mmsi"):
            c = self.index_of(params["control_mmsi"])
        else:
            try:
                c = self._subject({}, at_sea=False)
            except ScenarioError:  # nobody in port: a vessel of another group at sea is the control
                others = (self.kind == K_FISH) & self.active & ~self.silent & (self.group != self.group[i])
                if not others.any():
                    raise
                c = int(self.rng.choice(np.flatnonzero(others)))
        until = self.t + duration if duration > 0 else np.inf
        for k in (i, c):
            self.silent[k] = True
            self.silent_until[k] = until
        return {
            "subject_mmsi": int(self.mmsi[i]),
            "control_mmsi": int(self.mmsi[c]),
            "subject": self._describe(i),
            "control": self._describe(c),
            "control_in_port": bool(self.mode[c] == M_PORT),
            "until": _iso(until) if np.isfinite(until) else None,
        }

    def _closed_waters(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("polygon") is not None:
            area = area_from_geojson(params["polygon"])
        else:
            code = params.get("grid")
            areas = self.world.areas
            pick = (
                [a for a in areas if a.code == code]
                if code
                else sorted((a for a in areas if a.family == "control"), key=lambda a: a.code)
            )
            if not pick:
                raise ScenarioError(
                    f"no sea grid {code}" if code else "no control sea grid in the world: pass a polygon"
                )
            area = pick[0]
        sea = self.sea
        inside = points_in_area(
            np.repeat(sea.lon[None, :], SEA_NY, 0).ravel(), np.repeat(sea.lat[:, None], SEA_NX, 1).ravel(), area
        )
        inside = inside.reshape(SEA_NY, SEA_NX)
        core = inside & sea.sea & (sea.clear_km >= 1.0)
        core &= np.roll(inside, 1, 0) & np.roll(inside, -1, 0) & np.roll(inside, 1, 1) & np.roll(inside, -1, 1)
        targets = np.flatnonzero(core.ravel())
        if not len(targets):
            raise ScenarioError(f"area {area.code} has no open sea inside the simulated box")
        tx, ty = sea.lon[targets % SEA_NX], sea.lat[targets // SEA_NX]
        if params.get("mmsi") or params.get("registration_no"):
            i = self._subject(params)
        else:
            cand = np.flatnonzero(
                (self.kind == K_FISH)
                & self.active
                & ~self.scripted
                & ~self.silent
                & np.isin(self.mode, [M_FISH, M_JOIN, M_ROUTE])
            )
            if not len(cand):
                raise ScenarioError("no fishing vessel at sea")
            cand = cand[~points_in_area(self.lon[cand], self.lat[cand], area)]
            if not len(cand):
                raise ScenarioError("every vessel at sea is already inside the area")
            d = np.hypot((self.lon[cand, None] - tx[None, :]) * 0.865, self.lat[cand, None] - ty[None, :]).min(axis=1)
            i = int(cand[np.argmin(d)])
        src = sea.snap(float(self.lon[i]), float(self.lat[i]))
        dist, _ = sea.tree(src)
        target = int(targets[np.argmin(dist[targets])])
        if not np.isfinite(dist[target]):
            raise ScenarioError("the area cannot be reached by sea")
        cells = sea.cells_to(target, src)[::-1]
        here = (float(self.lon[i]), float(self.lat[i]))
        pts = sea.pull([here] + [sea.cell_centre(c) for c in cells])
        span = self._add_route(pts)
        speed = float(params.get("speed_kn", 9.0))
        self.scripted[i] = True
        self.cruise[i] = speed
        self.home_at[i] = np.inf
        self._set_route(i, span, A_DWELL)
        self.dwell_s[i] = float(params.get("dwell_s", 3600.0))
        eta = self.t + self._route_length(*span) / (speed * KN_MS)
        return {
            "subject_mmsi": int(self.mmsi[i]),
            "subject": self._describe(i),
            "area": area.code,
            "target": [round(pts[-1][0], 5), round(pts[-1][1], 5)],
            "eta": _iso(eta),
        }

    def _distress(self, params: dict[str, Any]) -> dict[str, Any]:
        duration = float(params.get("duration_s", 2 * 3600))
        for _ in range(20):
            i = self._subject(params)
            cog = float(self.rng.uniform(0, 360))
            if self._run_clear(float(self.lon[i]), float(self.lat[i]), 0.4, cog, duration) >= duration or params.get(
                "mmsi"
            ):
                break
        self._script_vector(i, 0.4, cog, duration, N_HOME, S_NUC)
        s = self._new_unit(K_SART)
        self.mmsi[s] = self._new_mmsi(970_413_000)
        self.cls[s] = C_SART
        self.active[s] = True
        self.silent[s] = False
        self.names[s] = "SART"
        self.lon[s] = self.lon[i] + 15.0 / float(_mlon(self.lat[i]))
        self.lat[s] = self.lat[i]
        self._script_vector(s, 0.4, cog, duration, N_OFF, S_SART)
        self.last_at[s] = -np.inf
        self.last_int[s] = 60.0
        self.static_at[s] = np.inf
        self._fixed.append(
            {
                "type": 14,
                "mmsi": int(self.mmsi[s]),
                "unit": s,
                "every": 240.0,
                "next": self.t,
                "until": self.t + duration,
                "k": len(self._fixed),
            }
        )
        return {
            "subject_mmsi": int(self.mmsi[i]),
            "sart_mmsi": int(self.mmsi[s]),
            "subject": self._describe(i),
            "position": [round(float(self.lon[s]), 5), round(float(self.lat[s]), 5)],
            "until": _iso(self.t + duration),
        }

    # ------------------------------------------------------------------ typhoon

    def _typhoon(self, params: dict[str, Any]) -> dict[str, Any]:
        name = str(params.get("name", "DEMO"))
        distance_km = float(params.get("distance_km", 520.0))
        speed_kmh = float(params.get("speed_kmh", 20.0))
        warn_km = float(params.get("warning_radius_km", 500.0))
        late = float(params.get("late_share", 0.05))
        hours = int(params.get("hours", 72))
        if not (0 < speed_kmh < 80 and 0 < warn_km < 2000 and 0 <= late <= 1 and 1 <= hours <= 240):
            raise ScenarioError("typhoon: speed_kmh, warning_radius_km, late_share or hours out of range")
        ref_lon, ref_lat = 122.5, 30.0
        lon = ref_lon + distance_km * 1000 * math.sin(math.radians(135)) / float(_mlon(ref_lat))
        lat = ref_lat + distance_km * 1000 * math.cos(math.radians(135)) / M_PER_DEG
        track = []
        for h in range(hours + 1):
            heading = 315.0 + 30.0 * min(h / 48.0, 1.0)  # recurving northwards
            r7 = 300.0 + h * 0.8
            track.append(
                {
                    "at": _iso(self.t + h * 3600),
                    "lon": round(lon, 3),
                    "lat": round(lat, 3),
                    "r7_km": round(r7),
                    "r10_km": round(r7 * 0.5),
                    "r12_km": round(r7 * 0.25),
                    "max_wind_ms": 45 if h < 36 else 38,
                    "pressure_hpa": 950 if h < 36 else 965,
                }
            )
            step = speed_kmh * 1000
            lat_next = lat + step * math.cos(math.radians(heading)) / M_PER_DEG
            lon += step * math.sin(math.radians(heading)) / float(_mlon(lat))
            lat = lat_next
        self.typhoon = {
            "name": name,
            "t0": self.t,
            "lon": np.array([p["lon"] for p in track]),
            "lat": np.array([p["lat"] for p in track]),
            "warn_m": warn_km * 1000,
            "late": late,
            "ends": self.t + hours * 3600,
        }
        self._typhoon_check_at = self.t
        before = int((self.at_sea() & (self.kind == K_FISH)).sum())
        self._typhoon_recall()
        return {
            "name": name,
            "warning_radius_km": warn_km,
            "speed_kmh": speed_kmh,
            "track": track,
            "at_sea": before,
            "recalled": int(self.recalled.sum()),
        }

    def typhoon_centre(self) -> tuple[float, float] | None:
        """The typhoon's centre now (lon, lat), if one is active."""
        ty = self.typhoon
        if ty is None or self.t > ty["ends"]:
            return None
        h = (self.t - ty["t0"]) / 3600.0
        return float(np.interp(h, np.arange(len(ty["lon"])), ty["lon"])), float(
            np.interp(h, np.arange(len(ty["lat"])), ty["lat"])
        )

    def _typhoon_blocks(self) -> bool:
        centre = self.typhoon_centre()
        if centre is None or self.typhoon is None:
            return False
        ref = self._ports[0].centre
        d = math.hypot((centre[0] - ref[0]) * float(_mlon(ref[1])), (centre[1] - ref[1]) * M_PER_DEG)
        return d < float(self.typhoon["warn_m"]) * 1.2

    def _typhoon_recall(self) -> None:
        centre = self.typhoon_centre()
        if centre is None:
            self.typhoon = None
            return
        assert self.typhoon is not None
        if self._typhoon_blocks():  # nobody sails while it threatens: outbound groups turn home at their ground
            for g in np.flatnonzero(self.g_phase == G_OUT).tolist():
                self.g_phase[g] = G_RETURNING
                self.leave_at[self.members[g]] = np.where(
                    self.mode[self.members[g]] == M_PORT, np.inf, self.leave_at[self.members[g]]
                )
        fish = np.flatnonzero(
            (self.kind == K_FISH) & self.active & ~self.recalled & np.isin(self.mode, [M_FISH, M_JOIN, M_ROUTE])
        )
        if not len(fish):
            return
        d = np.hypot((self.lon[fish] - centre[0]) * _mlon(self.lat[fish]), (self.lat[fish] - centre[1]) * M_PER_DEG)
        hit = fish[d <= self.typhoon["warn_m"]]
        late = self.rng.random(len(hit)) < self.typhoon["late"]
        for i, is_late in zip(hit.tolist(), late.tolist(), strict=True):
            self.recalled[i] = True
            if self.mode[i] == M_ROUTE and self.after[i] == A_PORT:
                continue
            if self.mode[i] == M_ROUTE:  # steaming out: turn back at once
                delay = self.rng.uniform(0, 0.3) * 3600
            else:  # fishing: hauling takes a while, and a few stay out late
                delay = self.rng.uniform(5, 9) * 3600 if is_late else self.rng.uniform(0, 2) * 3600
            g = int(self.group[i])
            if self.g_phase[g] == G_OUT:
                self.g_phase[g] = G_RETURNING
                for m in self.members[g]:
                    if self.mode[m] == M_PORT:
                        self.leave_at[m] = np.inf
            if not self.scripted[i]:
                self.home_at[i] = self.t + delay


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")
