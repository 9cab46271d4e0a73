"""The alert engine of one process: the live picture, every rule, the debouncer, and what becomes of the events.

Each evaluation builds a :class:`~pingan.maritime.rules.Picture` from the running pipeline, runs the rules
(collision, geofences and closures, group dispersion and split, silence, distress, typhoon), debounces their
observations into raised / level-up / cleared events, and hands those to the alert service in one transaction.
Port calls are written to the fleet's port-call log; unacknowledged alerts are escalated; open recall orders'
roll calls are updated. The worker thread runs this every `PINGAN_ALERT_PERIOD_S`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.fleet.models import Alert, AlertStatus, FishingSeason, Port, PortCall, VesselGroup
from pingan.maritime import alerts as alert_service
from pingan.maritime.classify import target_kind
from pingan.maritime.cpa import CpaPolicy, detect_collisions
from pingan.maritime.distress import SafetyMessage, detect_distress
from pingan.maritime.geofence import Area, AreaKind, AreaRules, Closure, GeofenceTracker, transition_timings
from pingan.maritime.groups import GroupPolicy, detect_dispersion, detect_group_split
from pingan.maritime.models import RestrictedArea
from pingan.maritime.portcalls import PortCallTracker, PortEvent, PortEventType
from pingan.maritime.rules import AlertEvent, AlertKind, Debouncer, EventType, Level, Observation, Picture, Timing
from pingan.maritime.runtime import MaritimeRuntime, in_boxes
from pingan.maritime.silence import SilencePolicy, detect_silence
from pingan.maritime.tracks import CLASS_CODES, SOURCE_CODES

log = logging.getLogger(__name__)
LOCAL = ZoneInfo("Asia/Shanghai")
REFERENCE_REFRESH_S = 60.0


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


def load_reference(session: Session, runtime: MaritimeRuntime, *, now: datetime) -> Reference:
    """Restricted waters, closed seasons over the sea, group limits, ports and active typhoons."""
    from pingan.maritime import typhoons

    ref = Reference()
    for row in session.scalars(select(RestrictedArea).where(RestrictedArea.is_active)):
        rules = dict(row.rules or {})
        ref.areas.append(
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


def build_picture(runtime: MaritimeRuntime, now: datetime) -> Picture:
    """The live targets as the rules read them."""
    pipeline = runtime.pipeline
    with pipeline.lock:
        view = pipeline.tracks.view(now.timestamp())
        class_b = pipeline.tracks.class_b[: pipeline.tracks.size].copy()
        statics = {int(k): pipeline.statics.get(int(k), {}).get("ship_type") for k in view["key"]}
    registry = runtime.registry
    n = view["key"].size
    vessel_id = view["vessel_id"]
    class_list = [CLASS_CODES[int(c)] for c in view["target_class"]]
    classes = np.array([c.value for c in class_list], dtype="<U16")
    kind = np.empty(n, dtype="<U10")
    gear = np.empty(n, dtype="<U32")
    group = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        vid = int(vessel_id[i])
        names = registry.names.get(vid) if vid >= 0 else None
        ship_type = statics.get(int(view["key"][i]))
        kind[i] = target_kind(names is not None, ship_type, class_list[i], int(view["msg_type"][i]))
        gear[i] = names[2] if names is not None else ""
        if names is not None:
            group[i] = registry.group_of.get(vid, -1)
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
        target_class=classes,
        kind=kind,
        source=np.array([SOURCE_CODES[int(s)].value for s in view["source"]], dtype="<U10"),
        class_b=class_b.astype(bool),
        vessel_id=vessel_id.astype(np.int64),
        group_id=group,
        gear=gear,
        in_port=in_boxes(view["reported_lon"], view["reported_lat"], runtime.port_boxes),
    )


class AlertEngine:
    """Rules, debouncer and persistence over one pipeline."""

    def __init__(self, runtime: MaritimeRuntime, *, cpa: CpaPolicy | None = None) -> None:
        self.runtime = runtime
        self.cpa = cpa or CpaPolicy.default()
        self.silence = SilencePolicy()
        self.debouncer = Debouncer(default_timings())
        self.geofences = GeofenceTracker()
        self.portcalls = PortCallTracker()
        self.reference = Reference()
        self._reference_at = -1e18
        self.open_alerts: dict[tuple[str, str], int] = {}  # (kind, subject) -> alert id
        self.evaluations = 0
        self.last_duration_ms = 0.0

    def observe(self, picture: Picture, today: date) -> list[Observation]:
        """Everything every rule sees in one picture."""
        ref = self.reference
        found: list[Observation] = []
        found += detect_collisions(picture, self.cpa)
        found += self.geofences.update(picture, ref.areas, ref.closures, today)
        # Each group's own minutes decide how long a member may stray (the kind's timing is only the default).
        for obs in [*detect_dispersion(picture, ref.group_policies), *detect_group_split(picture, ref.group_policies)]:
            found.append(replace(obs, raise_after_s=float(obs.details["raise_after_s"])))
        found += detect_silence(picture, self.silence)
        with self.runtime.pipeline.lock:
            safety = [
                SafetyMessage(m.mmsi, m.msg_type, m.text, m.received_at.timestamp())
                for m in self.runtime.pipeline.safety
            ]
        found += detect_distress(picture, safety)
        if ref.typhoon_areas:
            from pingan.maritime.typhoon import detect_typhoon

            for name, area in ref.typhoon_areas:
                found += detect_typhoon(picture, area, name)
        return found

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
            self.reference = load_reference(session, self.runtime, now=now)
            self._reference_at = time.monotonic()

    def step(self, now: datetime) -> tuple[list[AlertEvent], list[PortEvent], Picture]:
        """Observe and debounce, without the database: the events and port calls of this instant."""
        picture = build_picture(self.runtime, now)
        observations = self.observe(picture, now.astimezone(LOCAL).date())
        events = self.debouncer.update(observations, picture.now)
        return events, self.portcalls.update(picture, self.runtime.ports), picture

    def apply(
        self, session: Session, events: list[AlertEvent], port_events: list[PortEvent], picture: Picture, now: datetime
    ) -> None:
        """Store the events, log port calls, escalate what is overdue and update open roll calls."""
        vessel_of = {int(k): int(v) for k, v in zip(picture.key, picture.vessel_id, strict=True) if v >= 0}
        settings = self.runtime.settings
        for event in events:
            self._store(session, settings, event, vessel_of, now)
        self._log_port_calls(session, port_events, now)
        alert_service.open_pending_cases(session, settings, now=now)
        alert_service.escalate_due(session, now=now)
        from pingan.maritime import typhoons

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


class AlertWorker:
    """Runs the engine every period in its own thread, one transaction per pass."""

    def __init__(
        self, engine: AlertEngine, write: Any, *, period_s: float, read: Any = None, max_events: int = 200
    ) -> None:
        self.engine = engine
        self.write = write
        self.read = read or write
        self.max_events = max_events
        self.pending: list[AlertEvent] = []
        self.period_s = period_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0

    def start(self) -> None:
        """Take over the open alerts, then evaluate in the background."""
        with self.read() as session:
            self.engine.resume(session, datetime.now(UTC))
        self._thread = threading.Thread(target=self._run, name="pingan-alerts", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current pass."""
        self._stop.set()
        self.engine.runtime.pipeline.urgent.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def run_once(self, now: datetime | None = None) -> list[AlertEvent]:
        """One pass: reference data read in a read session, rules without the database, writes in a short
        transaction (so the pipeline's own writes never wait behind the rules on SQLite)."""
        now = now or datetime.now(UTC)
        started = time.perf_counter()
        with self.read() as session:
            self.engine.refresh(session, now)
        events, port_events, picture = self.engine.step(now)
        # Events wait in a queue until stored: a pass whose transaction fails loses nothing, and a burst (the
        # first pass over a busy sea) is stored at most `max_events` a pass, highest level first, so no single
        # transaction holds SQLite's write lock for long.
        queue = [*self.pending, *events]
        top: dict[tuple[str, str], int] = {}
        for e in queue:
            k = (e.observation.kind.value, e.observation.subject)
            top[k] = max(top.get(k, 0), int(e.observation.level))
        # Stable: a situation's own events keep their order (raised before level-up before cleared).
        queue.sort(key=lambda e: -top[(e.observation.kind.value, e.observation.subject)])
        now_batch, later = queue[: self.max_events], queue[self.max_events :]
        try:
            with self.write() as session:
                self.engine.apply(session, now_batch, port_events, picture, now)
                session.commit()
        except Exception:
            self.pending = queue
            raise
        self.pending = later
        self.engine.evaluations += 1
        self.engine.last_duration_ms = (time.perf_counter() - started) * 1000
        return now_batch

    def _run(self) -> None:
        urgent = self.engine.runtime.pipeline.urgent
        while not self._stop.is_set():
            # A distress message or a SART wakes the engine at once; otherwise it runs every period.
            urgent.wait(self.period_s)
            urgent.clear()
            if self._stop.is_set():
                break
            try:
                self.run_once()
            except Exception:  # the next pass retries; a rule bug must not stop the watch
                self.failures += 1
                log.exception("alert evaluation failed")
