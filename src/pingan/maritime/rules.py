"""Shared vocabulary of the maritime alert rules: the picture they read, what they observe, and debouncing.

Every rule is a pure function (or a small stateful detector with an explicit ``now``) over a :class:`Picture` —
the live targets as NumPy columns — and its policy. A rule reports *observations*: "this situation holds now".
The :class:`Debouncer` turns observations into alert *events* with hysteresis in time: a situation must hold for
``raise_after_s`` before it is raised, and be absent for ``clear_after_s`` before it is cleared, so a situation
raises one alert, not a storm.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import IntEnum, StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray


class AlertKind(StrEnum):
    """What an alert is about."""

    COLLISION = "collision"  # 防碰撞: CPA/TCPA or distance
    GEOFENCE_ENTER = "geofence_enter"  # entered a control grid or restricted waters
    GEOFENCE_EXIT = "geofence_exit"
    GEOFENCE_DWELL = "geofence_dwell"  # stayed longer than allowed
    CLOSURE = "closure"  # fishing in closed waters or season (伏季休渔) for its gear
    DISPERSION = "dispersion"  # a member beyond its group's limit (脱离编组)
    GROUP_SPLIT = "group_split"  # a group split in two
    SILENCE = "silence"  # transponder silent (AIS/BeiDou) at sea
    REPORT_OVERDUE = "report_overdue"  # dynamic report overdue (fleet issue)
    PORT_ENTRY = "port_entry"  # port calls are logged, not alerted, unless policy says so
    PORT_EXIT = "port_exit"
    DISTRESS = "distress"  # SART / MOB / EPIRB / safety message
    TYPHOON = "typhoon"  # at sea inside a typhoon warning area (防台)


class Level(IntEnum):
    """Alert levels; distress is always the top."""

    INFO = 1
    WARNING = 2  # 预警
    ALARM = 3  # 报警
    DISTRESS = 4  # 遇险


@dataclass(frozen=True, slots=True)
class Picture:
    """The live targets at one instant, as equal-length columns (one row per target).

    Positions are dead-reckoned to ``now``. Missing numbers are NaN; missing integers are -1.
    """

    now: float  # Unix seconds
    key: NDArray[np.int64]  # MMSI, or -(vessel id) for a vessel with BeiDou only
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    sog_kn: NDArray[np.float64]
    cog_deg: NDArray[np.float64]
    heading_deg: NDArray[np.float64]
    nav_status: NDArray[np.int16]
    observed_at: NDArray[np.float64]  # Unix seconds of the last fix
    target_class: NDArray[np.str_]  # TargetClass values: "vessel", "net_beacon", "sart", …
    kind: NDArray[np.str_]  # "fishing" | "merchant" | "other"
    source: NDArray[np.str_]  # "ais" | "beidou" | "manual" | "terminal"
    class_b: NDArray[np.bool_]
    vessel_id: NDArray[np.int64]  # -1 when not a registered vessel
    group_id: NDArray[np.int64]  # -1 when in no production group
    gear: NDArray[np.str_]  # operation type of a registered vessel ("trawl", "gillnet", …) or ""
    in_port: NDArray[np.bool_]

    @property
    def size(self) -> int:
        """Number of targets."""
        return int(self.key.size)

    def take(self, rows: NDArray[np.intp] | NDArray[np.bool_]) -> Picture:
        """The picture of some targets only (row indices or a mask), at the same instant."""
        return Picture(self.now, *(getattr(self, f.name)[rows] for f in fields(self)[1:]))

    @staticmethod
    def empty(now: float = 0.0) -> Picture:
        """A picture with no targets."""
        f = np.zeros(0, dtype=np.float64)
        i = np.zeros(0, dtype=np.int64)
        s = np.zeros(0, dtype="<U32")
        return Picture(now, i, f, f, f, f, f, np.zeros(0, np.int16), f, s, s, s, np.zeros(0, bool), i, i, s,
                       np.zeros(0, bool))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Observation:
    """A situation a rule sees now.

    ``subject`` identifies the situation across evaluations ("413000001", "413000001|477123456",
    "group:17", "413000001@CTRL-03"): the debouncer keys on (kind, subject).
    """

    kind: AlertKind
    subject: str
    level: Level
    keys: tuple[int, ...]  # the targets involved (first = the one the alert is addressed for)
    lon: float
    lat: float
    details: dict[str, Any] = field(default_factory=dict)
    raise_after_s: float | None = None  # overrides the kind's timing (a group's own minutes, say)


class EventType(StrEnum):
    """What the debouncer says about a situation."""

    RAISED = "raised"
    ESCALATED = "escalated"  # the level went up while raised
    CLEARED = "cleared"


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """A past-tense change of a situation's alert state."""

    type: EventType
    observation: Observation
    at: float


@dataclass(frozen=True, slots=True)
class Timing:
    """How long a situation must hold before it is raised, and be gone before it is cleared (seconds)."""

    raise_after_s: float = 20.0  # OpenCPN's AISAlertDelay
    clear_after_s: float = 60.0


@dataclass(slots=True)
class _State:
    first_seen: float
    last_seen: float
    raised: bool
    level: Level
    observation: Observation


class Debouncer:
    """Turns repeated observations into raised / escalated / cleared events, one alert per situation.

    ``timing`` maps a kind to its :class:`Timing`; distress is raised at once whatever the timing says.
    """

    def __init__(self, timing: dict[AlertKind, Timing] | None = None, default: Timing | None = None) -> None:
        self.timing = timing or {}
        self.default = default or Timing()
        self.states: dict[tuple[AlertKind, str], _State] = {}

    def _timing(self, kind: AlertKind) -> Timing:
        if kind is AlertKind.DISTRESS:
            return Timing(0.0, self.timing.get(kind, self.default).clear_after_s)
        return self.timing.get(kind, self.default)

    def update(
        self, observations: list[Observation], now: float, *, kinds: set[AlertKind] | None = None
    ) -> list[AlertEvent]:
        """Feed everything the rules see at `now`; return the events. Situations of `kinds` (default: every kind
        observed or known) that were not observed start counting towards being cleared."""
        events: list[AlertEvent] = []
        seen: set[tuple[AlertKind, str]] = set()
        for obs in observations:
            k = (obs.kind, obs.subject)
            seen.add(k)
            state = self.states.get(k)
            if state is None:
                state = self.states[k] = _State(now, now, False, obs.level, obs)
            state.last_seen = now
            state.observation = obs
            timing = self._timing(obs.kind)
            hold = timing.raise_after_s if obs.raise_after_s is None else obs.raise_after_s
            if not state.raised and now - state.first_seen >= hold:
                state.raised = True
                state.level = obs.level
                events.append(AlertEvent(EventType.RAISED, obs, now))
            elif state.raised and obs.level > state.level:
                state.level = obs.level
                events.append(AlertEvent(EventType.ESCALATED, obs, now))
        for k, state in list(self.states.items()):
            if k in seen or (kinds is not None and k[0] not in kinds):
                continue
            if not state.raised:
                del self.states[k]  # it did not hold long enough: debounced away
            elif now - state.last_seen >= self._timing(k[0]).clear_after_s:
                events.append(AlertEvent(EventType.CLEARED, state.observation, now))
                del self.states[k]
        return events

    def active(self) -> list[Observation]:
        """The situations currently raised."""
        return [s.observation for s in self.states.values() if s.raised]
