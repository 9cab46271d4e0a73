"""The normalised position report every source becomes, and AIS static data, with sentinels turned into None."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

POSITION_TYPES = frozenset({1, 2, 3, 4, 9, 11, 18, 19, 21, 27})
STATIC_TYPES = frozenset({5, 19, 24})


class Source(StrEnum):
    """Where a position came from."""

    AIS = "ais"
    BEIDOU = "beidou"  # 北斗 terminal reports (JSON over HTTP or MQTT)
    MANUAL = "manual"  # a dynamic report typed in when the terminal fails
    TERMINAL = "terminal"  # any other terminal speaking our JSON


@dataclass(frozen=True, slots=True)
class PositionReport:
    """One normalised position: the unit of everything downstream (tracks, history, alerts)."""

    observed_at: datetime
    lon: float | None
    lat: float | None
    source: Source
    mmsi: int | None = None
    device_id: str | None = None  # BeiDou terminal id when there is no MMSI
    sog_kn: float | None = None
    cog_deg: float | None = None
    heading_deg: float | None = None
    nav_status: int | None = None
    station: str | None = None
    msg_type: int = 0  # AIS message type, 0 for non-AIS sources
    low_res: bool = False  # type 27: 1/10 minute positions, whole knots and degrees
    class_b: bool = False
    vessel_id: int | None = None  # linked through the terminal history


def _clean(value: float | None, sentinel: float) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == sentinel:
        return None
    return float(value)


def position_from_ais(msg: Any, *, observed_at: datetime, station: str | None) -> PositionReport | None:
    """Normalise a decoded pyais position message; None for message types that carry no position.

    Sentinels (lon 181, lat 91, speed 102.3 kn, course 360, heading 511; for type 27 speed 63 and course 511)
    become None; positions outside ±180/±90 are kept as given and refused later by the sanity filter.
    """
    msg_type = int(msg.msg_type)
    if msg_type not in POSITION_TYPES:
        return None
    low_res = msg_type == 27
    lon = _clean(getattr(msg, "lon", None), 181.0)
    lat = _clean(getattr(msg, "lat", None), 91.0)
    speed = getattr(msg, "speed", None)
    course = getattr(msg, "course", None)
    heading = getattr(msg, "heading", None)
    status = getattr(msg, "status", None)
    sog = _clean(speed, 63.0 if low_res else 102.3)
    if msg_type == 9 and sog is not None and sog >= 1023:  # SAR aircraft speed is in whole knots, 1023 = n/a
        sog = None
    cog = _clean(course, 511.0 if low_res else 360.0)
    if cog is not None and not 0 <= cog < 360:
        cog = None
    head = _clean(heading, 511.0)
    if head is not None and not 0 <= head < 360:
        head = None
    return PositionReport(
        observed_at=observed_at,
        lon=lon,
        lat=lat,
        source=Source.AIS,
        mmsi=int(msg.mmsi),
        sog_kn=sog,
        cog_deg=cog,
        heading_deg=head,
        nav_status=int(status) if status is not None else None,
        station=station,
        msg_type=msg_type,
        low_res=low_res,
        class_b=msg_type in (18, 19),
    )


@dataclass(frozen=True, slots=True)
class StaticData:
    """AIS static and voyage data (types 5, 19, 24 A/B) as it fills the vessel's AIS snapshot."""

    mmsi: int
    fields: dict[str, Any]


_STATIC_FIELDS = (
    "shipname",
    "callsign",
    "imo",
    "ship_type",
    "to_bow",
    "to_stern",
    "to_port",
    "to_starboard",
    "draught",
    "destination",
    "vendorid",
    "model",
    "serial",
    "epfd",
)


def static_from_ais(msg: Any) -> StaticData | None:
    """The static fields of a type 5, 19 or 24 message (part A gives the name, part B the rest)."""
    msg_type = int(msg.msg_type)
    if msg_type not in STATIC_TYPES:
        return None
    fields: dict[str, Any] = {}
    for name in _STATIC_FIELDS:
        value = getattr(msg, name, None)
        if value is None or value == "":
            continue
        if hasattr(value, "value"):  # pyais enums
            value = int(value.value)
        if name == "imo" and value == 0:
            continue  # IMO 0 = not available
        if isinstance(value, str):
            value = value.strip().rstrip("@").strip()
            if not value:
                continue
        fields[name] = value
    month: Any = getattr(msg, "month", 0)
    day, hour, minute = (int(getattr(msg, n, 0) or 0) for n in ("day", "hour", "minute"))
    if msg_type == 5 and month and day and hour < 24 and minute < 60:  # 0 / 24 / 60 mean "not available"
        fields["eta"] = f"{int(msg.month):02d}-{int(msg.day):02d} {int(msg.hour):02d}:{int(msg.minute):02d}"
    if not fields:
        return None
    return StaticData(int(msg.mmsi), fields)
