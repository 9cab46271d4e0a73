"""The alert engine of one process: the live picture, every rule, the debouncer, and what becomes of the events.

Each evaluation builds a :class:`~pingan.maritime.rules.Picture` from the running pipeline, runs the rules
(collision, geofences and closures, group dispersion and split, silence, distress, typhoon), debounces their
observations into raised / level-up / cleared events, and hands those to the alert service in one transaction.
Port calls are written to the fleet's port-call log; unacknowledged alerts are escalated; open recall orders'
roll calls are updated.

A running server splits the rules into two lanes (:class:`Lane`), each a worker thread with its own debouncer:

- the **fast lane** (快速通道) watches distress and restricted waters (enter, exit, dwell) — situations that need
  no hold and must reach the duty officer within a fraction of a second. The pipeline wakes it on the report
  that may show one (a safety message, a SART/MOB/EPIRB, a position inside a watched area's box); otherwise it
  runs every `PINGAN_ALERT_FAST_PERIOD_S`. Its transactions are a few rows long;
- the **full lane** runs every other rule, the port-call log and the housekeeping (cases for raised alerts,
  escalation, roll calls, overdue dynamic reports of vessels in manual reporting mode) every
  `PINGAN_ALERT_PERIOD_S`. Its writes can be long (a burst of collision alerts
  after a restart). While a fast pass runs, the full lane stops at its next checkpoint — between two rules, or
  after an alert, a case or an escalation, committing first (:class:`~pingan.maritime.gate.WriteGate`) — so a
  distress alert queues neither behind a burst on SQLite (one writer at a time) nor behind the rules' CPU.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.fleet.models import Alert, AlertStatus, FishingSeason, Port, PortCall, VesselGroup
from pingan.fleet.reports import check_overdue_reports
from pingan.maritime import alerts as alert_service
from pingan.maritime.classify import TargetClass, target_kinds
from pingan.maritime.cpa import CpaPolicy, detect_collisions
from pingan.maritime.distress import SafetyMessage, detect_distress
from pingan.maritime.gate import WriteGate
from pingan.maritime.geofence import (
    M_PER_DEG,
    Area,
    AreaKind,
    AreaRules,
    Closure,
    GeofenceTracker,
    transition_timings,
)
from pingan.maritime.groups import GroupPolicy, detect_dispersion, detect_group_split
from pingan.maritime.models import RestrictedArea
from pingan.maritime.pipeline import in_boxes
from pingan.maritime.portcalls import PortCallTracker, PortEvent, PortEventType
from pingan.maritime.rules import AlertEvent, AlertKind, Debouncer, EventType, Level, Observation, Picture, Timing
from pingan.maritime.runtime import MaritimeRuntime
from pingan.maritime.silence import SilencePolicy, detect_silence
from pingan.maritime.tracks import CLASS_CODES, SOURCE_CODES

log = logging.getLogger(__name__)
LOCAL = ZoneInfo("Asia/Shanghai")
REFERENCE_REFRESH_S = 60.0
# Vessels reporting near a busy watched area (a channel) would wake the fast lane for every datagram: at most one
# pass per this many seconds then (a pass is ~5–15 ms for 9,000 targets), distress traffic excepted.
FAST_MIN_GAP_S = 0.05
OVERDUE_CHECK_S = 60.0  # the full lane checks manual-mode vessels' dynamic reports this often
WATCH_MARGIN_M = 1000.0  # a watched area's box reaches this far beyond it, so a report leaving it still wakes


class Lane(StrEnum):
    """Which rules an engine runs."""

    FAST = "fast"  # 快速通道: distress and restricted waters, on the report that shows them
    FULL = "full"  # everything else, the port-call log and the housekeeping, every period
    ALL = "all"  # every rule in one pass (tests and tools)


FAST_KINDS = frozenset(
    {AlertKind.DISTRESS, AlertKind.GEOFENCE_ENTER, AlertKind.GEOFENCE_EXIT, AlertKind.GEOFENCE_DWELL}
)


def lane_kinds(lane: Lane) -> frozenset[AlertKind]:
    """The alert kinds an engine of `lane` raises.

    >>> sorted(k.value for k in lane_kinds(Lane.FAST))
    ['distress', 'geofence_dwell', 'geofence_enter', 'geofence_exit']
    >>> AlertKind.COLLISION in lane_kinds(Lane.FULL), len(lane_kinds(Lane.ALL)) == len(AlertKind)
    (True, True)
    """
    if lane is Lane.FAST:
        return FAST_KINDS
    if lane is Lane.FULL:
        return frozenset(AlertKind) - FAST_KINDS
    return frozenset(AlertKind)


def default_timings() -> dict[AlertKind, Timing]:
    """How long each kind must hold before it is raised, and be gone before it is cleared."""
    return {
        AlertKind.COLLISION: Timing(raise_after_s=20.0, clear_after_s=120.0),  # OpenCPN's 20 s alert delay
        AlertKind.SILENCE: Timing(raise_after_s=0.0, clear_after_s=60.0),  # the rule already waited its threshold
        AlertKind.TYPHOON: Timing(raise_after_s=0.0, clear_after_s=600.0),
        AlertKind.CLOSURE: Timing(raise_after_s=120.0, clear_after_s=600.0),
        AlertKind.DISPERSION: Timing(raise_after_s=600.0, clear_after_s=300.0),
        AlertKind.GROUP_SPLIT: Timing(raise_after_s=600.0, clear_after_s=300.0),
        **transition_timings(),
    }


@dataclass
class Reference:
    """What the rules need from the database, refreshed every minute."""

    areas: list[Area] = field(default_factory=list)
    closures: list[Closure] = field(default_factory=list)
    group_policies: dict[int, GroupPolicy] = field(default_factory=dict)
    port_ids: dict[str, int] = field(default_factory=dict)
    typhoon_areas: list[tuple[str, Any]] = field(default_factory=list)  # (name, warning area)


def load_reference(session: Session, runtime: MaritimeRuntime, *, now: datetime, lane: Lane = Lane.ALL) -> Reference:
    """What the rules of `lane` read: restricted waters (fast lane); closed seasons over the sea, group limits,
    ports and active typhoons (full lane)."""
    from pingan.maritime import typhoons

    ref = Reference()
    if lane is not Lane.FULL:
        ref.areas = _restricted_waters(session)
    if lane is Lane.FAST:
        return ref  # in a few milliseconds: the fast lane refreshes inside a pass
    sea = shapely.union_all([g.geometry for g in runtime.sea_grids]) if runtime.sea_grids else None
    if sea is not None:
        today = now.astimezone(LOCAL).date()
        seasons = session.scalars(select(FishingSeason).where(FishingSeason.year == today.year))
        for season in seasons:
            ref.closures.append(
                Closure(
                    f"SEASON-{season.year}-{season.operation_type}",
                    f"{season.year} 伏季休渔（{season.operation_type}）",
                    sea,
                    frozenset({str(season.operation_type)}),
                    season.closed_from,
                    season.closed_until,
                )
            )
    for group in session.scalars(select(VesselGroup).where(VesselGroup.is_active)):
        ref.group_policies[group.id] = GroupPolicy(
            limit_m=float(group.dispersion_limit_m), minutes=float(group.dispersion_limit_minutes)
        )
    ref.port_ids = {code: pid for pid, code in session.execute(select(Port.id, Port.code))}
    ref.typhoon_areas = typhoons.active_warning_areas(session, now=now)
    return ref


def _restricted_waters(session: Session) -> list[Area]:
    areas = []
    for row in session.scalars(select(RestrictedArea).where(RestrictedArea.is_active)):
        rules = dict(row.rules or {})
        areas.append(
            Area(
                row.code,
                row.name,
                AreaKind(row.kind),
                shapely.from_wkb(row.geom_wkb),
                AreaRules(
                    alert_on_enter=bool(rules.get("alert_on_enter", True)),
                    alert_on_exit=bool(rules.get("alert_on_exit", False)),
                    max_dwell_s=rules.get("max_dwell_s"),
                    applies_to=frozenset(rules.get("applies_to") or ("fishing", "merchant", "other")),
                    level=alert_service.Level(int(rules.get("level", 3))),
                ),
            )
        )
    return areas


_CLASS_VALUES = np.array([c.value for c in CLASS_CODES], dtype="<U16")
_SOURCE_VALUES = np.array([c.value for c in SOURCE_CODES], dtype="<U10")
_VESSEL = CLASS_CODES.index(TargetClass.VESSEL)


def build_picture(runtime: MaritimeRuntime, now: datetime) -> Picture:
    """The live targets as the rules read them (vectorised: a few milliseconds for 10,000 targets)."""
    pipeline = runtime.pipeline
    with pipeline.lock:
        view = pipeline.tracks.view(now.timestamp())
        class_b = pipeline.tracks.class_b[: pipeline.tracks.size].copy()
        ids, gears, groups = runtime.registry.columns
        vessel_id = view["vessel_id"].astype(np.int64)
        at = np.minimum(np.searchsorted(ids, vessel_id), max(ids.size - 1, 0))
        registered = (vessel_id >= 0) & (ids[at] == vessel_id) if ids.size else np.zeros(vessel_id.size, bool)
        # The AIS ship type matters only for targets without a vessel file: look those up alone.
        ship_type = np.full(vessel_id.size, -1, dtype=np.int64)
        statics = pipeline.statics
        for i in np.flatnonzero(~registered).tolist():
            found = statics.get(int(view["key"][i]))
            value = found.get("ship_type") if found else None
            if isinstance(value, int):
                ship_type[i] = value
    codes = view["target_class"].astype(np.intp)
    return Picture(
        now=now.timestamp(),
        key=view["key"].astype(np.int64),
        lon=view["lon"].astype(np.float64),
        lat=view["lat"].astype(np.float64),
        sog_kn=view["sog_kn"].astype(np.float64),
        cog_deg=view["cog_deg"].astype(np.float64),
        heading_deg=view["heading_deg"].astype(np.float64),
        nav_status=view["nav_status"].astype(np.int16),
        observed_at=view["observed_at"].astype(np.float64),
        target_class=_CLASS_VALUES[codes],
        kind=target_kinds(registered, ship_type, codes == _VESSEL, view["msg_type"]),
        source=_SOURCE_VALUES[view["source"].astype(np.intp)],
        class_b=class_b.astype(bool),
        vessel_id=vessel_id,
        group_id=np.where(registered, groups[at] if ids.size else -1, -1).astype(np.int64),
        gear=np.where(registered, gears[at] if ids.size else "", "").astype("<U32"),
        in_port=in_boxes(view["reported_lon"], view["reported_lat"], runtime.port_boxes),
    )


class AlertEngine:
    """Rules, debouncer and persistence over one pipeline."""

    def __init__(self, runtime: MaritimeRuntime, *, cpa: CpaPolicy | None = None, lane: Lane = Lane.ALL) -> None:
        self.runtime = runtime
        self.lane = lane
        self.kinds = lane_kinds(lane)
        self.cpa = cpa or CpaPolicy.default()
        self.silence = SilencePolicy()
        self.debouncer = Debouncer(default_timings())
        self.geofences = GeofenceTracker()
        self.portcalls = PortCallTracker()
        self.reference = Reference()
        self._reference_at = -1e18
        self.open_alerts: dict[tuple[str, str], int] = {}  # (kind, subject) -> alert id
        self.checkpoint: Callable[[], None] = _no_checkpoint  # between two rules (WriteGate.wait_for_fast)
        self.watched: list[Area] = []  # restricted waters with an alert rule
        self._watched_boxes = (np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))  # theirs, as in_boxes reads them
        self._overdue_checked_at = -math.inf
        self.evaluations = 0
        self.last_duration_ms = 0.0

    def observe(self, picture: Picture, today: date, safety: list[SafetyMessage] | None = None) -> list[Observation]:
        """Everything every rule sees in one picture; `safety` are the safety messages read with it (under the
        same hold of the pipeline's lock, so a SART's text is never seen without the position that came first)."""
        ref = self.reference
        fast, full = self.lane is not Lane.FULL, self.lane is not Lane.FAST
        found: list[Observation] = []
        checkpoint = self.checkpoint
        if full:
            found += detect_collisions(picture, self.cpa)
            checkpoint()
        if fast:
            found += self.geofences.update(self._near_watched_areas(picture), self.watched, [], today)
            self.geofences.see(picture)
        if full:
            found += self.geofences.closures(picture, ref.closures, today)
            checkpoint()
            # Each group's own minutes decide how long a member may stray (the kind's timing is only the default).
            groups = ref.group_policies
            for obs in [*detect_dispersion(picture, groups), *detect_group_split(picture, groups)]:
                found.append(replace(obs, raise_after_s=float(obs.details["raise_after_s"])))
            checkpoint()
            found += detect_silence(picture, self.silence)
        if fast:
            found += detect_distress(picture, self.safety_messages() if safety is None else safety)
        if full and ref.typhoon_areas:
            from pingan.maritime.typhoon import detect_typhoon

            for name, area in ref.typhoon_areas:
                found += detect_typhoon(picture, area, name)
        return found

    def _near_watched_areas(self, picture: Picture) -> Picture:
        """The targets within the watched areas' boxes or inside one of them: all the area rules need (the
        tracker keeps the state of a target missing from a picture, and a target reaches a box before its area)."""
        if not self.watched:
            return Picture.empty(picture.now)
        near = in_boxes(picture.lon, picture.lat, self._watched_boxes) | np.isin(
            picture.key, self.geofences.inside_keys()
        )
        return picture.take(near)

    def safety_messages(self) -> list[SafetyMessage]:
        """The AIS safety messages the pipeline keeps, as the distress rule reads them."""
        with self.runtime.pipeline.lock:
            return [
                SafetyMessage(m.mmsi, m.msg_type, m.text, m.received_at.timestamp())
                for m in self.runtime.pipeline.safety
            ]

    def resume(self, session: Session, now: datetime) -> int:
        """Take over the situations still open in the database (after a restart), so they are neither raised
        again nor left open forever; return how many."""
        from pingan.maritime.rules import _State

        rows = session.scalars(
            select(Alert).where(
                Alert.subject.is_not(None), Alert.status != AlertStatus.CLOSED, Alert.cleared_at.is_(None)
            )
        )
        count = 0
        for alert in rows:
            try:
                kind = AlertKind(alert.kind)
            except ValueError:
                continue
            if kind not in self.kinds:
                continue  # the other lane's
            details = dict(alert.details or {})
            keys = tuple(int(k) for k in details.get("keys", []) or ([alert.target_key] if alert.target_key else []))
            obs = Observation(
                kind, alert.subject or "", Level(alert.level), keys, alert.lon or 0.0, alert.lat or 0.0, details
            )
            self.debouncer.states[(kind, obs.subject)] = _State(now.timestamp(), now.timestamp(), True, obs.level, obs)
            self.open_alerts[(kind.value, obs.subject)] = alert.id
            count += 1
        return count

    def refresh(self, session: Session, now: datetime, *, force: bool = False) -> None:
        """Reload restricted waters, closures, group limits, ports and typhoons when due (reads only)."""
        if force or time.monotonic() - self._reference_at > REFERENCE_REFRESH_S:
            self.reference = load_reference(session, self.runtime, now=now, lane=self.lane)
            self._reference_at = time.monotonic()
            self.watched = [a for a in self.reference.areas if alerting(a)]
            boxes = np.array(watch_boxes(self.watched), dtype=np.float64).reshape(-1, 4).T
            self._watched_boxes = (boxes[0], boxes[1], boxes[2], boxes[3])
            if self.lane is Lane.FAST:
                # Only an entry or an exit needs the report that shows it; a dwell is found on the period.
                self.runtime.pipeline.watch_boxes = watch_boxes(
                    [a for a in self.watched if a.rules.alert_on_enter or a.rules.alert_on_exit]
                )

    def step(self, now: datetime) -> tuple[list[AlertEvent], list[PortEvent], Picture]:
        """Observe and debounce, without the database: the events and port calls of this instant."""
        self.checkpoint()
        with self.runtime.pipeline.lock:
            picture = build_picture(self.runtime, now)
            safety = self.safety_messages() if self.lane is not Lane.FULL else []
        self.checkpoint()
        observations = self.observe(picture, now.astimezone(LOCAL).date(), safety)
        events = self.debouncer.update(observations, picture.now)
        port_events = self.portcalls.update(picture, self.runtime.ports) if self.lane is not Lane.FAST else []
        return events, port_events, picture

    def apply(
        self,
        session: Session,
        events: list[AlertEvent],
        port_events: list[PortEvent],
        picture: Picture,
        now: datetime,
        *,
        between: Callable[[Session], None] | None = None,
    ) -> None:
        """Store the events; outside the fast lane also log port calls, open the cases raised alerts are due,
        escalate what is overdue and update open roll calls. `between` is called after each of these steps (and
        after each event): :meth:`WriteGate.pause` commits there and waits while a fast pass runs."""
        vessel_of = {int(k): int(v) for k, v in zip(picture.key, picture.vessel_id, strict=True) if v >= 0}
        settings = self.runtime.settings
        pause = between or (lambda _session: None)
        for event in events:
            self._store(session, settings, event, vessel_of, now)
            pause(session)
        if self.lane is Lane.FAST:
            session.flush()
            return
        from pingan.maritime import typhoons

        self._log_port_calls(session, port_events, now)
        pause(session)
        alert_service.open_pending_cases(session, settings, now=now, between=lambda: pause(session))
        alert_service.escalate_due(session, now=now, between=lambda: pause(session))
        if now.timestamp() - self._overdue_checked_at >= OVERDUE_CHECK_S:
            check_overdue_reports(session, now=now)  # manual reporting mode (fleet): one alert per late period
            self._overdue_checked_at = now.timestamp()
            pause(session)
        typhoons.update_roll_calls(session, picture, now=now)
        session.flush()

    def evaluate(self, session: Session, now: datetime) -> list[AlertEvent]:
        """One whole pass in one session (tests and tools; the worker splits reading from writing)."""
        started = time.perf_counter()
        self.refresh(session, now)
        events, port_events, picture = self.step(now)
        self.apply(session, events, port_events, picture, now)
        self.evaluations += 1
        self.last_duration_ms = (time.perf_counter() - started) * 1000
        return events

    def _sea_grid(self, lon: float, lat: float) -> str | None:
        for grid in self.runtime.sea_grids:
            if shapely.contains_xy(grid.geometry, lon, lat):
                return grid.code
        return None

    def _store(
        self, session: Session, settings: Any, event: AlertEvent, vessel_of: dict[int, int], now: datetime
    ) -> None:
        obs = event.observation
        key = (obs.kind.value, obs.subject)
        if event.type is EventType.RAISED:
            vessel_id = next((vessel_of[k] for k in obs.keys if k in vessel_of), None)
            alert = alert_service.raise_alert(
                session,
                settings,
                obs,
                vessel_id=vessel_id,
                sea_grid_code=self._sea_grid(obs.lon, obs.lat),
                now=now,
                episode=str(int(event.at)),
                open_case=False,  # opened after the pass's alerts, a few a pass (open_pending_cases)
            )
            if alert is not None:
                self.open_alerts[key] = alert.id
            return
        alert_id = self.open_alerts.get(key)
        alert = session.get(Alert, alert_id) if alert_id is not None else None
        if alert is None:
            return
        if event.type is EventType.ESCALATED:
            alert_service.level_up(session, settings, alert, obs, now=now)
        else:
            alert_service.clear_alert(session, alert, now=now)
            del self.open_alerts[key]

    def _log_port_calls(self, session: Session, events: list[PortEvent], now: datetime) -> None:
        if not events:
            return
        vessel_of = {int(k): v for v, k in self.runtime.registry.index.mmsi_of.items()}
        for event in events:
            vessel_id = vessel_of.get(int(event.key)) if event.key > 0 else -int(event.key)
            port_id = self.reference.port_ids.get(event.port_code)
            if vessel_id is None or port_id is None:
                continue
            at = datetime.fromtimestamp(event.at, UTC)
            if event.type is PortEventType.ENTRY:
                session.add(PortCall(vessel_id=vessel_id, port_id=port_id, entered_at=at))
            elif event.type is PortEventType.EXIT:
                call = session.scalar(
                    select(PortCall)
                    .where(PortCall.vessel_id == vessel_id, PortCall.port_id == port_id, PortCall.exited_at.is_(None))
                    .order_by(PortCall.entered_at.desc())
                    .limit(1)
                )
                if call is not None:
                    call.exited_at = at


def alerting(area: Area) -> bool:
    """True for an area with a rule that alerts (enter, exit or dwell)."""
    return area.rules.alert_on_enter or area.rules.alert_on_exit or area.rules.max_dwell_s is not None


def watch_boxes(areas: list[Area]) -> list[tuple[float, float, float, float]]:
    """The boxes (west, south, east, north) around alerting areas, grown by :data:`WATCH_MARGIN_M`: the fast lane's
    area rules look at the targets inside them, and a position in the box of an entry or exit rule wakes it.

    >>> area = Area("R1", "禁入", AreaKind.RESTRICTED, shapely.box(122.0, 30.0, 122.1, 30.1), AreaRules(True))
    >>> [round(v, 3) for v in watch_boxes([area])[0]]
    [121.99, 29.991, 122.11, 30.109]
    >>> watch_boxes([Area("G1", "网格", AreaKind.CONTROL, shapely.box(122.0, 30.0, 122.1, 30.1))])
    []
    """
    out = []
    for area in areas:
        if not alerting(area):
            continue
        west, south, east, north = shapely.bounds(area.geometry).tolist()
        dlat = WATCH_MARGIN_M / M_PER_DEG
        dlon = dlat / max(math.cos(math.radians(max(abs(south), abs(north)))), 0.01)
        out.append((west - dlon, south - dlat, east + dlon, north + dlat))
    return out


@dataclass(frozen=True, slots=True)
class PassRecord:
    """Wall-clock marks (Unix seconds) of one worker pass, its thread's CPU seconds, and what it stored."""

    started: float
    picture: float  # reference data refreshed; the picture is read now
    rules: float  # rules and debouncer done
    turn: float  # the write gate let this pass write
    stored: float  # events, port calls and housekeeping flushed
    committed: float
    cpu_s: float
    targets: int
    raised: tuple[str, ...]  # "kind|subject" of the raised events stored in this pass


class AlertWorker:
    """Runs one engine every period (or when `wake` is set) in its own thread, one transaction per pass."""

    def __init__(
        self,
        engine: AlertEngine,
        write: Any,
        *,
        period_s: float,
        read: Any = None,
        max_events: int = 200,
        wake: threading.Event | None = None,
        priority: threading.Event | None = None,
        min_gap_s: float = 0.0,
        gate: WriteGate | None = None,
        kept_passes: int = 10_000,
        warm_up: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.write = write
        self.read = read or write
        self.max_events = max_events
        self.pending: list[AlertEvent] = []
        self.period_s = period_s
        self.wake = wake
        self.priority = priority  # a wake that no minimum gap holds back
        self.min_gap_s = min_gap_s
        self.gate = gate
        self.warm_up = warm_up  # run once in the thread before the first pass
        self.passes: deque[PassRecord] = deque(maxlen=kept_passes)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0

    def start(self) -> None:
        """Take over the open alerts and load the reference data (the fast lane's watched boxes with it), then
        evaluate in the background."""
        now = datetime.now(UTC)
        with self.read() as session:
            self.engine.resume(session, now)
            self.engine.refresh(session, now, force=True)
        name = f"pingan-alerts-{self.engine.lane.value}"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current pass."""
        self._stop.set()
        for event in (self.wake, self.priority):
            if event is not None:
                event.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def run_once(self, now: datetime | None = None) -> list[AlertEvent]:
        """One pass: reference data read in a read session, rules without the database, writes in a short
        transaction (so the pipeline's own writes never wait behind the rules on SQLite)."""
        if self.gate is not None and self.engine.lane is Lane.FAST:
            with self.gate.fast():
                return self._pass(now)
        return self._pass(now)

    def _pass(self, now: datetime | None) -> list[AlertEvent]:
        now = now or datetime.now(UTC)
        started, cpu = time.time(), time.thread_time()
        engine = self.engine
        with self.read() as session:
            engine.refresh(session, now)
        at_picture = time.time()
        events, port_events, picture = engine.step(now)
        at_rules = time.time()
        # Events wait in a queue until stored: a pass whose transaction fails loses nothing, and a burst (the
        # first pass over a busy sea) is stored at most `max_events` a pass, highest level first, so no single
        # pass runs long.
        queue = [*self.pending, *events]
        top: dict[tuple[str, str], int] = {}
        for e in queue:
            k = (e.observation.kind.value, e.observation.subject)
            top[k] = max(top.get(k, 0), int(e.observation.level))
        # Stable: a situation's own events keep their order (raised before level-up before cleared).
        queue.sort(key=lambda e: -top[(e.observation.kind.value, e.observation.subject)])
        now_batch, later = queue[: self.max_events], queue[self.max_events :]
        turn, pause = self._turn()
        try:
            with turn:
                at_turn = time.time()
                with self.write() as session:
                    engine.apply(session, now_batch, port_events, picture, now, between=pause)
                    at_stored = time.time()
                    session.commit()
        except Exception:
            self.pending = queue
            raise
        committed = time.time()
        self.pending = later
        engine.evaluations += 1
        engine.last_duration_ms = (committed - started) * 1000
        raised = tuple(
            f"{e.observation.kind.value}|{e.observation.subject}" for e in now_batch if e.type is EventType.RAISED
        )
        cpu_s = time.thread_time() - cpu
        self.passes.append(
            PassRecord(started, at_picture, at_rules, at_turn, at_stored, committed, cpu_s, picture.size, raised)
        )
        return now_batch

    def _turn(self) -> tuple[Any, Callable[[Session], None] | None]:
        """The gate's context for this lane's write, and the checkpoint between its steps (full lane only)."""
        if self.gate is None:
            return nullcontext(), None
        if self.engine.lane is Lane.FAST:
            return self.gate.fast_write(), None
        return self.gate.slow(), self.gate.pause

    def _run(self) -> None:
        if self.warm_up is not None:
            try:
                self.warm_up()
            except Exception:  # a cold cache only costs the first pass that needs it
                log.exception("alert lane warm-up failed (%s lane)", self.engine.lane.value)
        last = -math.inf
        while not self._stop.is_set():
            if self.wake is not None:
                # The pipeline wakes the fast lane on a report that may show its situations; else every period.
                # Positions near a busy watched area wake it at most once per `min_gap_s`; distress at once.
                if self.wake.wait(self.period_s) and (gap := self.min_gap_s - (time.monotonic() - last)) > 0:
                    if self.priority is not None:
                        self.priority.wait(gap)
                    else:
                        self._stop.wait(gap)
                self.wake.clear()
                if self.priority is not None:
                    self.priority.clear()
            else:
                self._stop.wait(self.period_s)
            if self._stop.is_set():
                break
            last = time.monotonic()
            try:
                self.run_once()
            except Exception:  # the next pass retries; a rule bug must not stop the watch
                self.failures += 1
                log.exception("alert evaluation failed (%s lane)", self.engine.lane.value)


def _no_checkpoint() -> None:
    pass


def _warm_locator(read: Any) -> None:
    from pingan.grids import service as grids

    with read() as session:
        grids.locator(session)


class AlertLanes:
    """The fast and the full lane of a running server, sharing one write gate."""

    def __init__(self, runtime: MaritimeRuntime, write: Any, read: Any) -> None:
        settings = runtime.settings
        self.gate = runtime.gate
        self.fast = AlertWorker(
            AlertEngine(runtime, lane=Lane.FAST),
            write,
            read=read,
            period_s=settings.alert_fast_period_s,
            wake=runtime.pipeline.urgent,
            priority=runtime.pipeline.distress,
            min_gap_s=FAST_MIN_GAP_S,
            gate=self.gate,
        )
        self.full = AlertWorker(
            AlertEngine(runtime, lane=Lane.FULL), write, read=read, period_s=settings.alert_period_s, gate=self.gate
        )
        self.full.engine.checkpoint = self.gate.wait_for_fast
        # The hub places a case with the grid locator (7–15 s to build for the demo's 2,360 grids): build it before
        # the first case is due rather than inside the pass that opens it.
        self.full.warm_up = lambda: _warm_locator(read)

    @property
    def workers(self) -> tuple[AlertWorker, AlertWorker]:
        """Both workers, fast first."""
        return self.fast, self.full

    @property
    def failures(self) -> int:
        """Failed passes of both lanes."""
        return self.fast.failures + self.full.failures

    def summary(self, last: int = 100) -> dict[str, dict[str, Any]]:
        """Each lane's health for the status file: passes, failures, events waiting, and the duration of its
        last `last` passes (milliseconds, p50 and max)."""
        out: dict[str, dict[str, Any]] = {}
        for worker in self.workers:
            recent = list(worker.passes)[-last:]
            took = np.array([p.committed - p.started for p in recent]) * 1000.0
            out[worker.engine.lane.value] = {
                "passes": worker.engine.evaluations,
                "failures": worker.failures,
                "pending": len(worker.pending),
                "period_s": worker.period_s,
                "pass_ms_p50": round(float(np.median(took)), 1) if took.size else None,
                "pass_ms_max": round(float(took.max()), 1) if took.size else None,
            }
        return out

    def start(self) -> None:
        """Start both lanes."""
        for worker in self.workers:
            worker.start()

    def stop(self) -> None:
        """Stop both lanes after their current passes."""
        for worker in self.workers:
            worker.stop()
