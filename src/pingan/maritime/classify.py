"""Target classification: vessel, aid to navigation, distress beacon, base station, SAR aircraft or net beacon.

Rules follow the MMSI formats of gpsd's AIVDM document and ITU-R M.585 (maritime.md §3.3), the message type, and,
for fishing-net position beacons (网位仪) that misuse ship MMSIs, behaviour: not in the vessel registry, a
beacon-like name, or a slow Class B target reporting at a beacon's cadence. Classification runs before anything
that counts vessels or screens collision pairs, so beacons never reach those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray


class TargetClass(StrEnum):
    """What an AIS (or BeiDou) target is."""

    VESSEL = "vessel"
    ATON = "aton"  # aid to navigation, real or virtual
    SART = "sart"
    MOB = "mob"
    EPIRB = "epirb"
    BASE_STATION = "base_station"
    SAR_AIRCRAFT = "sar_aircraft"
    NET_BEACON = "net_beacon"  # 网位仪
    UNKNOWN = "unknown"


DISTRESS = frozenset({TargetClass.SART, TargetClass.MOB, TargetClass.EPIRB})
NOT_VESSELS = frozenset(TargetClass) - {TargetClass.VESSEL}

# Beacons announce battery voltage or charge as their name ("12V", "83%"), or a net mark.
_BEACON_NAME = re.compile(r"(\d+(\.\d+)?\s*V\b)|(\d{1,3}\s*%)|\bNET\b|BUOY|网", re.IGNORECASE)


def by_mmsi(mmsi: int) -> TargetClass | None:
    """The class an MMSI's format implies, or None for an ordinary ship MMSI (MIDXXXXXX).

    >>> by_mmsi(970123456), by_mmsi(992351234), by_mmsi(3669702), by_mmsi(111232506), by_mmsi(412345678)
    (<TargetClass.SART: 'sart'>, <TargetClass.ATON: 'aton'>, <TargetClass.BASE_STATION: 'base_station'>, \
<TargetClass.SAR_AIRCRAFT: 'sar_aircraft'>, None)
    """
    text = f"{mmsi:09d}"
    if text.startswith("970"):
        return TargetClass.SART
    if text.startswith("972"):
        return TargetClass.MOB
    if text.startswith("974"):
        return TargetClass.EPIRB
    if text.startswith("979"):
        return TargetClass.NET_BEACON  # AMRD group B (ITU-R M.585-9; unconfirmed in maritime.md)
    if text.startswith("99"):
        return TargetClass.ATON
    if text.startswith("98"):
        return None  # a craft associated with a parent ship (98MIDXXXX): judged like a ship
    if text.startswith("111"):
        return TargetClass.SAR_AIRCRAFT
    if text.startswith("00"):
        return TargetClass.BASE_STATION
    if text.startswith("0"):
        return TargetClass.UNKNOWN  # a group call, never a target
    mid = int(text[:3])
    if not 201 <= mid <= 775:
        return TargetClass.UNKNOWN  # no country has this MID: a misconfigured or improvised transmitter
    return None


def by_mmsi_codes(mmsi: NDArray[np.int64]) -> NDArray[np.int8]:
    """Vectorised :func:`by_mmsi`: the index into ``tuple(TargetClass)`` of each MMSI's class, -1 for ship MMSIs.

    >>> by_mmsi_codes(np.array([970123456, 412345678, 3669702])).tolist() == [
    ...     list(TargetClass).index(TargetClass.SART), -1, list(TargetClass).index(TargetClass.BASE_STATION)]
    True
    """
    order = list(TargetClass)
    m = np.asarray(mmsi, dtype=np.int64)
    out = np.full(m.shape, -1, dtype=np.int8)

    def mark(mask: NDArray[np.bool_], cls: TargetClass) -> None:
        out[mask & (out < 0)] = order.index(cls)

    p3 = m // 1_000_000  # first three of nine digits
    p2 = m // 10_000_000
    mark(p3 == 970, TargetClass.SART)
    mark(p3 == 972, TargetClass.MOB)
    mark(p3 == 974, TargetClass.EPIRB)
    mark(p3 == 979, TargetClass.NET_BEACON)
    mark(p2 == 99, TargetClass.ATON)
    ship_like = p2 == 98  # craft associated with a parent ship: judged like a ship
    mark(p3 == 111, TargetClass.SAR_AIRCRAFT)
    mark((m < 10_000_000) & ~ship_like, TargetClass.BASE_STATION)  # 00MIDXXXX
    mark((m < 100_000_000) & ~ship_like, TargetClass.UNKNOWN)  # 0MIDXXXXX: a group call
    mark(((p3 < 201) | (p3 > 775)) & ~ship_like, TargetClass.UNKNOWN)
    return out


def by_message(msg_type: int, nav_status: int | None) -> TargetClass | None:
    """The class a message type or navigation status implies (type 21 AtoN, 4 base station, 9 SAR aircraft)."""
    if msg_type == 21:
        return TargetClass.ATON
    if msg_type == 4:
        return TargetClass.BASE_STATION  # type 11 (UTC/date response) is sent by ships too
    if msg_type == 9:
        return TargetClass.SAR_AIRCRAFT
    if nav_status == 14:
        return TargetClass.SART  # AIS-SART active (also MOB and EPIRB-AIS use status 14)
    return None


@dataclass(frozen=True, slots=True)
class Behaviour:
    """What a target has shown so far, for telling net beacons from vessels."""

    registered: bool  # its MMSI is a current AIS terminal of a vessel file (一船一档)
    class_b: bool
    reports: int
    median_interval_s: float | None
    max_sog_kn: float | None
    name: str | None


BEACON_MIN_REPORTS = 4
BEACON_MIN_INTERVAL_S = 60.0  # beacons report every 1–30 min, 2 min by default; a moving Class B every 30 s
BEACON_MAX_SOG_KN = 3.0


def by_behaviour(b: Behaviour) -> TargetClass:
    """Vessel or net beacon for a ship-format MMSI, from the registry, the name and the reporting pattern.

    >>> by_behaviour(Behaviour(False, True, 6, 120.0, 0.4, None))
    <TargetClass.NET_BEACON: 'net_beacon'>
    >>> by_behaviour(Behaviour(True, True, 6, 120.0, 0.4, None))
    <TargetClass.VESSEL: 'vessel'>
    """
    if b.registered:
        return TargetClass.VESSEL
    if b.name and _BEACON_NAME.search(b.name):
        return TargetClass.NET_BEACON
    if (
        b.class_b
        and b.reports >= BEACON_MIN_REPORTS
        and b.median_interval_s is not None
        and b.median_interval_s >= BEACON_MIN_INTERVAL_S
        and (b.max_sog_kn or 0.0) <= BEACON_MAX_SOG_KN
    ):
        return TargetClass.NET_BEACON
    return TargetClass.VESSEL


def classify(mmsi: int, msg_type: int, nav_status: int | None, behaviour: Behaviour) -> TargetClass:
    """The target class: an AtoN report first (only aids to navigation send type 21, whatever their MMSI), then the
    MMSI format, then the message type, then behaviour."""
    if msg_type == 21:
        return TargetClass.ATON
    return by_mmsi(mmsi) or by_message(msg_type, nav_status) or by_behaviour(behaviour)


FISHING_SHIP_TYPE = 30  # AIS ship type "fishing"


def target_kind(registered: bool, ship_type: object, target_class: TargetClass, msg_type: int) -> str:
    """ "fishing", "merchant" or "other": a registered vessel or AIS ship type 30 fishes; other vessels sending
    Class A positions are merchant ships.

    >>> target_kind(False, 30, TargetClass.VESSEL, 18), target_kind(False, 70, TargetClass.VESSEL, 1)
    ('fishing', 'merchant')
    """
    if registered or ship_type == FISHING_SHIP_TYPE:
        return "fishing"
    if target_class is TargetClass.VESSEL and msg_type in (1, 2, 3):
        return "merchant"
    return "other"


def target_kinds(
    registered: NDArray[np.bool_], ship_type: NDArray[np.int64], is_vessel: NDArray[np.bool_], msg_type: NDArray[Any]
) -> NDArray[np.str_]:
    """:func:`target_kind` over arrays (``ship_type`` -1 where unknown, ``is_vessel`` for class ``vessel``).

    >>> target_kinds(np.array([True, False, False, False]), np.array([-1, 30, 70, -1]),
    ...              np.array([True, True, True, False]), np.array([18, 18, 1, 1])).tolist()
    ['fishing', 'fishing', 'merchant', 'other']
    """
    fishing = registered | (ship_type == FISHING_SHIP_TYPE)
    merchant = is_vessel & np.isin(msg_type, (1, 2, 3))
    return np.where(fishing, "fishing", np.where(merchant, "merchant", "other")).astype("<U10")
