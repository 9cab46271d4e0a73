"""Source-aware silence: a registered vessel at sea whose position source has gone quiet for too long.

How long is too long depends on what the vessel reports through (maritime.md §2, §4, §7). Each source has two
thresholds, both in :class:`SilencePolicy`:

========================  =========================  ==========  =========
source                    expected report            late        gap
========================  =========================  ==========  =========
AIS Class B, > 2 kn       30 s (ITU-R M.1371)        3 min       30 min
AIS Class B, ≤ 2 kn       3 min                      10 min      30 min
AIS Class A, under way    2–10 s                     1 min       30 min
AIS Class A, at anchor    3 min (moored, ≤ 3 kn)     10 min      30 min
BeiDou / other terminal   10 min                     20 min      30 min
manual dynamic report     ≤ 65 min (UnionVMS)        65 min      65 min
========================  =========================  ==========  =========

*Late* marks a stale fix (the map greys it, collision screening distrusts it) and is never an alert. A vessel
silent for the *gap* is a ``SILENCE`` WARNING, and an ALARM once silent for ``alarm_factor`` (2) × the gap.
The AIS gap is the coastal 30 min of §4 (GFW's 6 h / 12 h are for satellite AIS); the BeiDou gap is three
missed 10-min reports, the manual one the UnionVMS ``MAX_DELAY_BETWEEN_MANUAL_POSITIONS_IN_MINUTES`` (65).
The thresholds follow the source and speed of the vessel's *latest* fix (the picture holds one fused row per
vessel). Silence in port is normal (vessels switch off alongside): nothing is observed there unless
``in_port_level`` asks for it.

The reported position is the picture's, which for a silent vessel is its last reported one: the track store
stops dead reckoning after ``max_dead_reckon_s`` (10 min), shorter than every gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from pingan.maritime.rules import AlertKind, Level, Observation, Picture

AT_ANCHOR, MOORED = 1, 5  # AIS navigational status codes


class Staleness(IntEnum):
    """How old a target's fix is for its source."""

    FRESH = 0
    LATE = 1
    SILENT = 2  # beyond the gap threshold


@dataclass(frozen=True, slots=True)
class SilencePolicy:
    """Late and gap thresholds per source (seconds), speeds that make a report rate slow (knots), alarm factor."""

    ais_b_moving_late_s: float = 180.0
    ais_b_slow_late_s: float = 600.0
    ais_b_slow_max_sog_kn: float = 2.0
    ais_a_moving_late_s: float = 60.0
    ais_a_anchored_late_s: float = 600.0
    ais_a_anchored_max_sog_kn: float = 3.0
    ais_gap_s: float = 1800.0
    beidou_late_s: float = 1200.0
    beidou_gap_s: float = 1800.0
    manual_late_s: float = 3900.0
    manual_gap_s: float = 3900.0
    alarm_factor: float = 2.0
    in_port_level: Level | None = None  # None: a silent vessel in port is not observed at all


def thresholds_s(picture: Picture, policy: SilencePolicy) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The late and gap thresholds (seconds) of every target, by its source, AIS class, speed and status.

    Sources other than "ais" and "manual" ("beidou", "terminal", …) use the BeiDou thresholds. An unknown speed
    counts as slow, the longer interval, so a missing SOG never makes a fix late early.

    >>> from pingan.maritime.rules import Picture
    >>> p = Picture.empty(0.0)
    >>> [a.size for a in thresholds_s(p, SilencePolicy())]
    [0, 0]
    """
    src = picture.source
    sog = picture.sog_kn
    b_slow = ~(sog > policy.ais_b_slow_max_sog_kn)
    anchored = np.isin(picture.nav_status, (AT_ANCHOR, MOORED)) & ~(sog > policy.ais_a_anchored_max_sog_kn)
    ais_late = np.where(
        picture.class_b,
        np.where(b_slow, policy.ais_b_slow_late_s, policy.ais_b_moving_late_s),
        np.where(anchored, policy.ais_a_anchored_late_s, policy.ais_a_moving_late_s),
    )
    is_ais, is_manual = src == "ais", src == "manual"
    late = np.where(is_ais, ais_late, np.where(is_manual, policy.manual_late_s, policy.beidou_late_s))
    gap = np.where(is_ais, policy.ais_gap_s, np.where(is_manual, policy.manual_gap_s, policy.beidou_gap_s))
    return late.astype(np.float64), gap.astype(np.float64)


def staleness(picture: Picture, policy: SilencePolicy) -> NDArray[np.int8]:
    """:class:`Staleness` of every target's fix at ``picture.now`` (a target with no fix time is SILENT)."""
    late, gap = thresholds_s(picture, policy)
    age = picture.now - picture.observed_at
    out = np.full(picture.size, Staleness.FRESH, dtype=np.int8)
    out[age >= late] = Staleness.LATE
    out[(age >= gap) | ~np.isfinite(age)] = Staleness.SILENT
    return out


def detect_silence(picture: Picture, policy: SilencePolicy) -> list[Observation]:
    """Registered vessels silent for their source's gap: WARNING at sea, ALARM at twice the gap (subject: key).

    Details: ``source``, ``class_b``, ``silent_s``, ``gap_s``, ``observed_at``, ``last_lon``, ``last_lat``,
    ``vessel_id``, ``in_port``.
    """
    _, gap = thresholds_s(picture, policy)
    silent_s = picture.now - picture.observed_at
    watched = (picture.target_class == "vessel") & (picture.vessel_id >= 0) & (silent_s >= gap)
    if policy.in_port_level is None:
        watched &= ~picture.in_port
    out: list[Observation] = []
    for r in np.flatnonzero(watched).tolist():
        key = int(picture.key[r])
        in_port = bool(picture.in_port[r])
        s = float(silent_s[r])
        if in_port:
            assert policy.in_port_level is not None
            level = policy.in_port_level
        else:
            level = Level.ALARM if s >= policy.alarm_factor * gap[r] else Level.WARNING
        lon, lat = float(picture.lon[r]), float(picture.lat[r])
        details = {
            "source": str(picture.source[r]),
            "class_b": bool(picture.class_b[r]),
            "silent_s": s,
            "gap_s": float(gap[r]),
            "observed_at": float(picture.observed_at[r]),
            "last_lon": lon,
            "last_lat": lat,
            "vessel_id": int(picture.vessel_id[r]),
            "in_port": in_port,
        }
        out.append(Observation(AlertKind.SILENCE, str(key), level, (key,), lon, lat, details))
    return out
