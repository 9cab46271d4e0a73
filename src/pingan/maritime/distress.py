"""Distress: SART, MOB and EPIRB beacons, AIS-SART status, and safety messages — always the top level.

A distress situation comes from either

- a target of class ``sart``, ``mob`` or ``epirb`` (MMSI 970/972/974…), or any target reporting navigational
  status 14 (AIS-SART active), or
- an AIS safety-related broadcast (type 14) received within ``max_age_s`` whose text names SART, MOB, EPIRB or
  MAYDAY (as whole words, any case), or that comes from a 970/972/974 MMSI whatever it says.

Test transmissions are not distress: IEC 61097-14 devices send "SART TEST" / "MOB TEST" / "EPIRB TEST" (in
place of "… ACTIVE") when tested, so a message with the word TEST and no MAYDAY is ignored, and so is a beacon
target from whose MMSI such a test message was received within ``max_age_s``.

Every situation is :attr:`~pingan.maritime.rules.Level.DISTRESS` (the debouncer raises it at once and nothing
suppresses it), one per MMSI (subject: the key; the target and its messages merge). For a beacon, the nearest
vessel at sea is probably the casualty (the beacon's mother ship or the boat its man fell from): it is the second
key when within ``casualty_max_m``, and its distance is in the details either way. A vessel in distress is its
own casualty. The details also list the ``nearby`` nearest other vessels at sea, for dispatching help (快响).
Distances are great-circle on a sphere of radius 6,371 km (k-d tree over unit vectors).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree  # type: ignore[import-untyped]

from pingan.maritime.rules import AlertKind, Level, Observation, Picture
from pingan.maritime.tracks import EARTH_RADIUS_M

BEACON_CLASSES = ("sart", "mob", "epirb")
BEACON_PREFIXES = ("970", "972", "974")
SART_ACTIVE = 14  # AIS navigational status: AIS-SART (active)
SAFETY_BROADCAST = 14  # AIS message type
_DISTRESS_WORDS = re.compile(r"\b(SART|MOB|EPIRB|MAYDAY)\b", re.IGNORECASE)
_TEST_WORD = re.compile(r"\bTEST\b", re.IGNORECASE)
_MAYDAY = re.compile(r"\bMAYDAY\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SafetyMessage:
    """An AIS safety-related message as received (type 14 broadcast, or 12 addressed)."""

    mmsi: int
    msg_type: int
    text: str
    received_at: float  # Unix seconds


def is_beacon_mmsi(mmsi: int) -> bool:
    """True for an AIS-SART (970), MOB (972) or EPIRB-AIS (974) MMSI.

    >>> is_beacon_mmsi(970123456), is_beacon_mmsi(972000001), is_beacon_mmsi(413000001)
    (True, True, False)
    """
    return f"{mmsi:09d}".startswith(BEACON_PREFIXES)


def is_test_message(msg: SafetyMessage) -> bool:
    """True for a device test ("SART TEST", "MOB TEST", …) that is no MAYDAY.

    >>> is_test_message(SafetyMessage(970123456, 14, "SART TEST", 0.0))
    True
    """
    return bool(_TEST_WORD.search(msg.text)) and not _MAYDAY.search(msg.text)


def is_distress_message(msg: SafetyMessage) -> bool:
    """True for a type 14 broadcast naming SART/MOB/EPIRB/MAYDAY, or any type 14 from a beacon MMSI; never a test.

    >>> is_distress_message(SafetyMessage(970123456, 14, "SART ACTIVE", 0.0))
    True
    >>> is_distress_message(SafetyMessage(413000001, 14, "MAYDAY FIRE ON BOARD", 0.0))
    True
    >>> is_distress_message(SafetyMessage(413000001, 14, "MOBILE CRANE WORKING", 0.0))
    False
    """
    if msg.msg_type != SAFETY_BROADCAST or is_test_message(msg):
        return False
    return is_beacon_mmsi(msg.mmsi) or bool(_DISTRESS_WORDS.search(msg.text))


def _unit_xyz(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    lo, la = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _arc_m(chord: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(2.0 * EARTH_RADIUS_M * np.arcsin(np.minimum(chord / 2.0, 1.0)), dtype=np.float64)


@dataclass(slots=True)
class _Case:
    key: int
    row: int | None = None
    messages: list[SafetyMessage] | None = None


def detect_distress(
    picture: Picture,
    safety_messages: Sequence[SafetyMessage],
    *,
    max_age_s: float = 900.0,
    casualty_max_m: float = 18_520.0,
    nearby: int = 5,
) -> list[Observation]:
    """Every distress situation now, at :attr:`Level.DISTRESS` (subject: the beacon's or vessel's key).

    ``safety_messages`` are those received lately (older than ``max_age_s`` before ``picture.now`` are ignored).
    Details: ``target_class``, ``nav_status``, ``messages`` (text, received_at), ``position_known``,
    ``casualty_key`` and ``casualty_distance_m`` (None when no vessel at sea is within ``casualty_max_m`` of a
    beacon), ``nearest_vessel_key`` and ``nearest_vessel_distance_m`` (beacons), and ``nearby``
    ([key, distance_m] of up to ``nearby`` other vessels at sea, nearest first).
    """
    now = picture.now
    # A minute of grace for a receiver clock ahead of ours; older than max_age_s has aged out.
    recent = [m for m in safety_messages if now - max_age_s <= m.received_at <= now + 60.0]
    testing = {m.mmsi for m in recent if m.msg_type == SAFETY_BROADCAST and is_test_message(m)}
    beacon_row = np.isin(picture.target_class, BEACON_CLASSES)
    flagged = np.flatnonzero((beacon_row | (picture.nav_status == SART_ACTIVE)) & ~np.isin(picture.key, list(testing)))
    cases: dict[int, _Case] = {int(picture.key[r]): _Case(int(picture.key[r]), int(r)) for r in flagged.tolist()}
    messages = [m for m in recent if is_distress_message(m)]
    if messages:
        wanted = np.array([m.mmsi for m in messages], dtype=np.int64)
        order = np.argsort(picture.key, kind="stable")
        at = np.minimum(np.searchsorted(picture.key, wanted, sorter=order), max(picture.size - 1, 0))
        found = order[at] if picture.size else at
        for m, r in zip(messages, found.tolist(), strict=True):
            row = r if picture.size and int(picture.key[r]) == m.mmsi else None
            case = cases.setdefault(m.mmsi, _Case(m.mmsi, row))
            case.messages = [*(case.messages or []), m]
    if not cases:
        return []

    # Every located case's nearest vessels at sea, in one query of a k-d tree over them.
    ordered = sorted(cases.items())
    rows = np.array([-1 if c.row is None else c.row for _, c in ordered], dtype=np.intp)
    located = rows >= 0
    located[located] = np.isfinite(picture.lon[rows[located]]) & np.isfinite(picture.lat[rows[located]])
    at_sea = np.flatnonzero(
        (picture.target_class == "vessel") & ~picture.in_port & np.isfinite(picture.lon) & np.isfinite(picture.lat)
    )
    near: dict[int, list[tuple[int, float]]] = {}
    if at_sea.size and located.any():
        tree = cKDTree(_unit_xyz(picture.lon[at_sea], picture.lat[at_sea]))
        k = min(nearby + 2, at_sea.size)
        chord, idx = tree.query(_unit_xyz(picture.lon[rows[located]], picture.lat[rows[located]]), k=k)
        chord, idx = chord.reshape(-1, k), idx.reshape(-1, k)
        for j, c in enumerate(np.flatnonzero(located).tolist()):
            key = ordered[c][0]
            others = picture.key[at_sea[idx[j]]].tolist()
            near[key] = [(o, d) for o, d in zip(others, _arc_m(chord[j]).tolist(), strict=True) if o != key]
    out: list[Observation] = []
    for key, case in ordered:
        r = case.row
        lon = float(picture.lon[r]) if r is not None else math.nan
        lat = float(picture.lat[r]) if r is not None else math.nan
        is_beacon = is_beacon_mmsi(key) or (r is not None and bool(beacon_row[r]))
        neighbours = near.get(key, [])
        keys: tuple[int, ...] = (key,)
        details: dict[str, Any] = {
            "target_class": str(picture.target_class[r]) if r is not None else None,
            "nav_status": int(picture.nav_status[r]) if r is not None else None,
            "messages": [{"text": m.text, "received_at": m.received_at} for m in case.messages or []],
            "position_known": math.isfinite(lon) and math.isfinite(lat),
        }
        if is_beacon:
            nearest = neighbours[0] if neighbours else None
            details["nearest_vessel_key"] = nearest[0] if nearest else None
            details["nearest_vessel_distance_m"] = nearest[1] if nearest else None
            if nearest is not None and nearest[1] <= casualty_max_m:
                keys = (key, nearest[0])
                details["casualty_key"], details["casualty_distance_m"] = nearest
                neighbours = neighbours[1:]
            else:  # too far to say whose beacon it is
                details["casualty_key"] = details["casualty_distance_m"] = None
        else:
            details["casualty_key"], details["casualty_distance_m"] = key, 0.0
        details["nearby"] = [[k2, d2] for k2, d2 in neighbours[:nearby]]
        out.append(Observation(AlertKind.DISTRESS, str(key), Level.DISTRESS, keys, lon, lat, details))
    return out
