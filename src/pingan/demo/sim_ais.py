"""AIS of the fleet simulator: ITU-R M.1371 report intervals, six-bit names, tag blocks, and the encoded reports.

Only the reports that fall due are encoded, one by one, with :func:`pyais.encode_dict`. Each sentence is preceded
by an IEC 62320-1 tag block naming the receiving station (``s:``) and the receiver time (``c:``, whole Unix
seconds); the two halves of a type 5 carry ``g:`` groups.

Reporting follows ITU-R M.1371 autonomous intervals (maritime.md §2), see :func:`report_interval_s`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from pyais import encode_dict

from pingan.demo.sim_sea import BOOL, F64, I64, M_PER_DEG, _mlon
from pingan.demo.sim_state import C_A, C_B, C_BEACON, C_SART, K_BEACON, K_SART, S_ANCHOR, S_MOORED, SimState

STATIC_INTERVAL_S = 360.0


@dataclass(frozen=True, slots=True)
class Emission:
    """One AIS message as received: its sentences, each with its tag block."""

    at: float  # receiver time, Unix seconds
    station: str
    msg_type: int
    mmsi: int
    lines: tuple[str, ...]


# --------------------------------------------------------------------------------------------- small pure helpers


def report_interval_s(cls: I64, sog_kn: F64, status: I64, turning: BOOL) -> F64:
    """Nominal autonomous reporting interval in seconds (ITU-R M.1371; maritime.md §2).

    Parameters
    ----------
    cls : int array
        0 Class A, 1 Class B "CS", 2 net-position beacon (2 min), 3 AIS-SART (1 min).
    sog_kn : float array
        Speed over ground, knots.
    status : int array
        Navigation status (1 at anchor, 5 moored; others under way); Class A only.
    turning : bool array
        Changing course (Class A reports faster).

    Returns
    -------
    float array
        Seconds between position reports.

    Examples
    --------
    >>> cls = np.array([0, 0, 0, 0, 0, 1, 1, 2, 3])
    >>> sog = np.array([0.1, 10.0, 10.0, 18.0, 25.0, 1.5, 8.0, 0.0, 0.0])
    >>> status = np.array([5, 0, 0, 0, 0, 15, 15, 15, 14])
    >>> turning = np.array([False, False, True, False, False, False, False, False, False])
    >>> report_interval_s(cls, sog, status, turning).round(2).tolist()
    [180.0, 10.0, 3.33, 6.0, 2.0, 180.0, 30.0, 120.0, 60.0]
    """
    moored = (status == S_ANCHOR) | (status == S_MOORED)
    class_a = np.where(
        sog_kn <= 14.0,
        np.where(turning, 10.0 / 3.0, 10.0),
        np.where(sog_kn <= 23.0, np.where(turning, 2.0, 6.0), 2.0),
    )
    class_a = np.where(moored & (sog_kn <= 3.0), 180.0, class_a)
    class_b = np.where(sog_kn <= 2.0, 180.0, 30.0)
    out = np.select([cls == C_A, cls == C_B, cls == C_BEACON], [class_a, class_b, np.full_like(class_a, 120.0)], 60.0)
    return np.asarray(out, dtype=np.float64)


def nmea_checksum(body: str) -> str:
    """XOR of the characters as two hex digits (NMEA sentences and tag blocks).

    >>> nmea_checksum("s:ZS-AIS-01,c:1764460800")
    '61'
    """
    value = 0
    for ch in body.encode("ascii"):
        value ^= ch
    return f"{value:02X}"


def tag_block(station: str, at_s: int, group: str | None = None) -> str:
    r"""An IEC 62320-1 tag block with the optional sentence group, the source station and the receiver time.

    >>> print(tag_block("ZS-AIS-01", 1764460800))
    \s:ZS-AIS-01,c:1764460800*61\
    >>> print(tag_block("ZS-AIS-01", 1764460800, "1-2-7"))
    \g:1-2-7,s:ZS-AIS-01,c:1764460800*24\
    """
    body = f"g:{group},s:{station},c:{at_s}" if group else f"s:{station},c:{at_s}"
    return f"\\{body}*{nmea_checksum(body)}\\"


_PINYIN = {
    "浙": "ZHE",
    "普": "PU",
    "岱": "DAI",
    "嵊": "SHENG",
    "定": "DING",
    "渔": "YU",
    "舟": "ZHOU",
    "沈": "SHEN",
    "象": "XIANG",
    "台": "TAI",
    "温": "WEN",
    "甬": "YONG",
    "奉": "FENG",
    "宁": "NING",
    "海": "HAI",
    "运": "YUN",
    "冷": "LENG",
    "鲁": "LU",
    "闽": "MIN",
    "苏": "SU",
    "沪": "HU",
    "辽": "LIAO",
    "岙": "AO",
    "山": "SHAN",
    "东": "DONG",
    "玉": "YU",
    "椒": "JIAO",
    "路": "LU",
    "临": "LIN",
    "瑞": "RUI",
    "平": "PING",
    "苍": "CANG",
}
_SIXBIT = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -./%()'&:+,<>=?!#$*;\"")


def ais_name(registration_no: str) -> str:
    """The registration number in AIS six-bit text: Chinese characters in pinyin, at most 20 characters.

    >>> ais_name("浙普渔68001")
    'ZHEPUYU68001'
    >>> ais_name("浙嵊渔12345")
    'ZHESHENGYU12345'
    """
    out = []
    for ch in registration_no.upper():
        if ch in _PINYIN:
            out.append(_PINYIN[ch])
        elif ch in _SIXBIT:
            out.append(ch)
        elif not ch.isascii():
            out.append("X")
    return "".join(out)[:20]


def _imo_number(rng: np.random.Generator) -> int:
    """A 7-digit IMO number with a valid check digit."""
    digits = [int(d) for d in str(rng.integers(100_000, 999_999))]
    check = sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10
    return int("".join(map(str, digits)) + str(check))


# ---------------------------------------------------------------------------------------------------- reports


class AisReports(SimState):
    """The reporting layer: each unit's schedule, the stations that hear a report, sentences with tag blocks."""

    def _intervals(self, idx: I64) -> F64:
        return report_interval_s(self.cls[idx], self.sog[idx], self.status[idx], np.abs(self.turn[idx]) > 20.0)

    def _stagger_reports(self) -> None:
        n = len(self.lon)
        interval = self._intervals(np.arange(n))
        self.last_at[:] = self.t - self.rng.uniform(0, 1, n) * interval
        self.last_int[:] = interval
        fresh = self.static_at == 0
        self.static_at[fresh] = self.t + self.rng.uniform(0, STATIC_INTERVAL_S, int(fresh.sum()))

    def _skip_reports(self) -> None:
        """Keep every schedule moving without encoding anything (``advance(..., emit=False)``)."""
        t = self.t
        idx = np.flatnonzero(self.active)
        interval = self._intervals(idx)
        due = t >= self.last_at[idx] + interval
        self.last_at[idx[due]] = t
        self.last_int[idx[due]] = interval[due]
        statics = idx[self.static_at[idx] <= t]
        self.static_at[statics] = t + STATIC_INTERVAL_S
        for f in self._fixed:
            while f["next"] <= t:
                f["next"] += f["every"]

    def _emit(self, out: list[Emission]) -> None:
        t = self.t
        idx = np.flatnonzero(self.active & ~self.silent)
        interval = self._intervals(idx)
        # A faster rate applies at once; a slower one after the current interval.
        due_mask = t >= self.last_at[idx] + np.minimum(interval, self.last_int[idx]) + self.jit[idx]
        due = idx[due_mask]
        due_int = interval[due_mask]
        if len(due):
            self._emit_positions(due, due_int, out)
        statics = idx[(self.static_at[idx] <= t) & (self.kind[idx] != K_SART)]
        for i in statics.tolist():
            self.static_at[i] = t + STATIC_INTERVAL_S + self.rng.uniform(-3, 3)
            self._emit_static(i, out)
        for f in self._fixed:
            if f["next"] <= t:
                f["next"] += f["every"]
                self._emit_fixed(f, out)
        self._fixed = [f for f in self._fixed if f.get("until", np.inf) >= t]

    def _stations_for(self, lon: F64, lat: F64) -> tuple[I64, I64]:
        st_lon = np.array([s.lon for s in self.stations])
        st_lat = np.array([s.lat for s in self.stations])
        d = np.hypot((lon[:, None] - st_lon[None, :]) * 0.865, lat[:, None] - st_lat[None, :])
        order = np.argsort(d, axis=1)
        return order[:, 0], order[:, 1]

    def _emit_positions(self, due: I64, interval: F64, out: list[Emission]) -> None:
        t = self.t
        rng = self.rng
        n = len(due)
        changed = np.abs(interval - self.last_int[due]) > 0.01
        self.last_at[due] = t
        self.last_int[due] = interval
        cls = self.cls[due]
        self.jit[due] = np.where(
            cls == C_B, rng.uniform(-1.0, 1.0, n), np.where(cls == C_BEACON, rng.uniform(-5, 5, n), 0.0)
        )
        noise = rng.standard_normal((5, n))
        lat = self.lat[due] + noise[0] * 4.0 / M_PER_DEG
        lon = self.lon[due] + noise[1] * 4.0 / _mlon(self.lat[due])
        sog = np.maximum(0.0, self.sog[due] + noise[2] * np.where(self.sog[due] > 0.3, 0.1, 0.03))
        slow = sog < 0.3
        cog = (self.cog[due] + noise[3] * np.where(slow, 35.0, 1.5)) % 360
        heading = np.where(self.sog[due] > 0.5, (self.cog[due] + noise[4] * 2.0) % 360, self.hdg_fixed[due])
        lost = rng.random(n) < self.options.loss_rate
        first, second = self._stations_for(lon, lat)
        dup = rng.random(n) < self.options.duplicate_rate
        second_s = int(t)
        for k in range(n):
            if lost[k]:
                continue
            i = int(due[k])
            c = int(cls[k])
            mmsi = int(self.mmsi[i])
            if c in (C_A, C_SART):
                msg_type = 3 if changed[k] and c == C_A else 1
                data: dict[str, Any] = {
                    "type": msg_type,
                    "mmsi": mmsi,
                    "status": int(self.status[i]),
                    "turn": float(max(-60, min(60, round(float(self.turn[i]))))) if c == C_A else -128.0,
                    "speed": round(float(sog[k]), 1),
                    "accuracy": 1,
                    "lon": round(float(lon[k]), 6),
                    "lat": round(float(lat[k]), 6),
                    "course": round(float(cog[k]), 1),
                    "heading": round(float(heading[k])) % 360 if c == C_A else 511,
                    "second": second_s % 60,
                    "maneuver": 0,
                }
            else:
                msg_type = 18
                data = {
                    "type": 18,
                    "mmsi": mmsi,
                    "speed": round(float(sog[k]), 1),
                    "accuracy": 0,
                    "lon": round(float(lon[k]), 6),
                    "lat": round(float(lat[k]), 6),
                    "course": round(float(cog[k]), 1),
                    "heading": 511,
                    "second": second_s % 60,
                    "cs": 1,
                    "display": 0,
                    "dsc": 1 if c == C_B else 0,
                    "band": 1,
                    "msg22": 1,
                }
            sentences = encode_dict(data, talker_id="AI", sentence_type="VDM", radio_channel="AB"[k % 2])
            self._record(out, msg_type, mmsi, sentences, int(first[k]), t)
            if dup[k]:
                self._record(out, msg_type, mmsi, sentences, int(second[k]), t)

    def _emit_static(self, i: int, out: list[Emission]) -> None:
        mmsi = int(self.mmsi[i])
        station = int(self._stations_for(self.lon[i : i + 1], self.lat[i : i + 1])[0][0])
        s = self.statics[i]
        dims = {k: int(s.get(k, 0)) for k in ("to_bow", "to_stern", "to_port", "to_starboard")}
        if self.cls[i] == C_A:
            eta = datetime.fromtimestamp(self.t, UTC) + timedelta(hours=6)
            data: dict[str, Any] = {
                "type": 5,
                "mmsi": mmsi,
                "ais_version": 2,
                "imo": int(s.get("imo", 0)),
                "callsign": self.callsigns[i],
                "shipname": self.names[i],
                "ship_type": int(s.get("ship_type", 30)),
                **dims,
                "epfd": 1,
                "month": eta.month,
                "day": eta.day,
                "hour": eta.hour,
                "minute": 0,
                "draught": float(s.get("draught", 3.0)),
                "destination": str(s.get("destination", "")),
                "dte": 0,
            }
            seq = self._seq[station]
            self._seq[station] = (seq + 1) % 10
            sentences = encode_dict(data, talker_id="AI", sentence_type="VDM", radio_channel="A", seq_id=seq)
            self._record(out, 5, mmsi, sentences, station, self.t)
            return
        part_a: dict[str, Any] = {"type": 24, "mmsi": mmsi, "partno": 0, "shipname": self.names[i]}
        self._record(
            out, 24, mmsi, encode_dict(part_a, talker_id="AI", sentence_type="VDM", radio_channel="B"), station, self.t
        )
        if self.kind[i] == K_BEACON:
            return
        part_b: dict[str, Any] = {
            "type": 24,
            "mmsi": mmsi,
            "partno": 1,
            "ship_type": int(s.get("ship_type", 30)),
            "vendorid": "ZJY",
            "model": 1,
            "serial": int(mmsi % 1_000_000),
            "callsign": self.callsigns[i],
            **dims,
        }
        self._record(
            out, 24, mmsi, encode_dict(part_b, talker_id="AI", sentence_type="VDM", radio_channel="B"), station, self.t
        )

    def _emit_fixed(self, f: dict[str, Any], out: list[Emission]) -> None:
        t = self.t
        if f["type"] == 14:
            unit = int(f["unit"])
            data14 = {"type": 14, "mmsi": f["mmsi"], "text": "SART ACTIVE"}
            station = int(self._stations_for(self.lon[unit : unit + 1], self.lat[unit : unit + 1])[0][0])
            self._record(out, 14, int(f["mmsi"]), encode_dict(data14, talker_id="AI", sentence_type="VDM"), station, t)
            return
        if f["type"] == 4:
            now = datetime.fromtimestamp(t, UTC)
            data: dict[str, Any] = {
                "type": 4,
                "mmsi": f["mmsi"],
                "year": now.year,
                "month": now.month,
                "day": now.day,
                "hour": now.hour,
                "minute": now.minute,
                "second": now.second,
                "accuracy": 1,
                "lon": f["lon"],
                "lat": f["lat"],
                "epfd": 7,
            }
            station = int(f["station"])
        else:
            data = {
                "type": 21,
                "mmsi": f["mmsi"],
                "aid_type": 28 if f.get("virtual") else 24,
                "name": f["name"],
                "accuracy": 1,
                "lon": f["lon"],
                "lat": f["lat"],
                "to_bow": 1,
                "to_stern": 1,
                "to_port": 1,
                "to_starboard": 1,
                "epfd": 7,
                "second": int(t) % 60,
                "virtual_aid": 1 if f.get("virtual") else 0,
            }
            station = int(self._stations_for(np.array([f["lon"]]), np.array([f["lat"]]))[0][0])
        self._record(
            out, int(data["type"]), int(f["mmsi"]), encode_dict(data, talker_id="AI", sentence_type="VDM"), station, t
        )

    def _record(
        self, out: list[Emission], msg_type: int, mmsi: int, sentences: list[str], station: int, t: float
    ) -> None:
        name = self.stations[station].name
        at = int(t)
        if len(sentences) == 1:
            lines: tuple[str, ...] = (tag_block(name, at) + sentences[0],)
        else:
            self._gid[station] = self._gid[station] % 9999 + 1
            gid = self._gid[station]
            count = len(sentences)
            lines = tuple(tag_block(name, at, f"{k}-{count}-{gid}") + s for k, s in enumerate(sentences, start=1))
        out.append(Emission(t, name, msg_type, mmsi, lines))
        self.sentences += len(lines)
        self.by_type[msg_type] += len(lines)
