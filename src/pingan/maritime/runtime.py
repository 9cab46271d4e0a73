"""The running pipeline of one process: registry from the database, land test, listeners, and periodic work.

Periodic work (a thread): flush history, save AIS static data to vessel files, refresh the vessel index, and
write `<data_dir>/ais-status.json` so that `pingan stats` (another process) can report live counts.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pingan.config import Settings
from pingan.maritime.gate import WriteGate
from pingan.maritime.listeners import Listeners
from pingan.maritime.pipeline import Pipeline, in_boxes
from pingan.maritime.repository import (
    PortArea,
    Registry,
    SeaArea,
    load_ports,
    load_registry,
    load_sea_grids,
    save_ais_snapshots,
)
from pingan.maritime.tracks import FilterPolicy, LandTest

log = logging.getLogger(__name__)
STATUS_FILE = "ais-status.json"
REGISTRY_REFRESH_S = 60.0
METRES_PER_DEG_LAT = 111_320.0


def near_ports(
    ports: list[PortArea], radius_m: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Port boxes grown by `radius_m` (min lon, min lat, max lon, max lat arrays)."""
    if not ports:
        empty = np.zeros(0)
        return empty, empty, empty, empty
    box = np.array([p.box for p in ports], dtype=np.float64)
    dlat = radius_m / METRES_PER_DEG_LAT
    dlon = dlat / np.cos(np.radians((box[:, 1] + box[:, 3]) / 2))
    return box[:, 0] - dlon, box[:, 1] - dlat, box[:, 2] + dlon, box[:, 3] + dlat


SWITCH_INTERVAL_S = 0.001  # the interpreter's default is 0.005


def tune_server_process() -> int:
    """Tune this interpreter for the alert lanes' latency, once a long-running process has started; return how
    many objects were frozen.

    - **Garbage collector.** A started server holds a few hundred thousand long-lived objects (modules, mappers,
      the registry), and a full collection walks all of them: 150–250 ms here with every thread stopped. They are
      collected once and frozen (:func:`gc.freeze`), which brings full collections under the live stream to
      ~30 ms. Frozen objects are still freed by reference counting; only a reference cycle among them would stay.
    - **Thread switch interval.** The UDP listener, the two alert lanes and the web server share one GIL; a thread
      that wants it waits up to the switch interval each time. At 1 ms instead of 5 ms the fast lane's p99 in
      ``bench/ais_live.py`` fell from ~200 ms to ~140 ms, for no throughput loss visible in that run.

    The server (after its start-up) and ``pingan ais listen`` call this; tests and tools do not.
    """
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def land_test(ports: list[PortArea], *, port_margin_m: float = 5000.0) -> LandTest:
    """On land by the GLOBE 1 km mask (`global-land-mask`), except within 5 km of a port box: quays, berths and
    harbour channels the 1 km mask draws as land (金塘 lies 3.8 km from the nearest sea cell of the mask)."""
    from global_land_mask import globe

    boxes = near_ports(ports, port_margin_m)
    cells: dict[tuple[int, int], bool] = {}  # single points, by 1/240° cell: the mask's own cells are 1/120°

    def on_land(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
        if lon.size == 1:
            key = (int(lon[0] * 240), int(lat[0] * 240))
            hit = cells.get(key)
            if hit is None:
                hit = bool(globe.is_land(lat, lon)[0]) and not bool(in_boxes(lon, lat, boxes)[0])
                if len(cells) < 1_000_000:
                    cells[key] = hit
            return np.array([hit])
        land = np.asarray(globe.is_land(lat, lon), dtype=np.bool_)
        if land.any():
            land &= ~in_boxes(lon, lat, boxes)
        return land

    return on_land


class DeadLetterLog:
    """Refused lines sampled to `<data_dir>/ais-deadletter.log`: at most `per_minute` lines per reason a minute,
    so a sender flooding garbage cannot fill the disk."""

    def __init__(self, path: Path, *, per_minute: int = 30) -> None:
        self.path = path
        self.per_minute = per_minute
        self._window: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self.written = 0

    def __call__(self, reason: str, line: str) -> None:
        now = time.monotonic()
        with self._lock:
            start, count = self._window.get(reason, (now, 0))
            if now - start >= 60.0:
                start, count = now, 0
            if count >= self.per_minute:
                self._window[reason] = (start, count)
                return
            self._window[reason] = (start, count + 1)
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as out:
                    out.write(f"{stamp}\t{reason}\t{line.rstrip()}\n")
                self.written += 1
            except OSError as exc:  # a full or read-only disk must not stop ingest
                log.warning("dead-letter log unavailable: %s", exc)


class MaritimeRuntime:
    """The pipeline and everything that keeps it fed and saved, for one process."""

    def __init__(
        self, settings: Settings, write: sessionmaker[Session], read: sessionmaker[Session] | None = None
    ) -> None:
        self.settings = settings
        self.write = write
        self.read = read or write
        self.registry = Registry()
        self.ports: list[PortArea] = []
        self.sea_grids: list[SeaArea] = []
        self.port_boxes = near_ports([], 0)
        self.pipeline = Pipeline(
            history_root=settings.ais_history_dir,
            policy=FilterPolicy(max_speed_kn=settings.ais_max_speed_kn),
            fragment_timeout_s=settings.ais_fragment_timeout_s,
        )
        self.pipeline.counters.dead_letter = DeadLetterLog(Path(settings.data_dir) / "ais-deadletter.log")
        self.listeners: Listeners | None = None
        self.mqtt: Any = None
        self.alerts: Any = None  # engine.AlertLanes when the alert rules run here
        self.gate = WriteGate()  # the alert engine's fast lane writes first (save_statics steps aside)
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._loaded_at = 0.0
        self.rate_per_s = 0.0
        self._last_rate = (time.monotonic(), 0)
        self.started = False

    # ---- reference data ------------------------------------------------------------------------------------

    def load(self) -> None:
        """Read the registry, ports and sea grids from the database (again)."""
        with self.write() as session:
            registry = load_registry(session)
            ports = load_ports(session)
            grids = load_sea_grids(session)
        with self.pipeline.lock:
            self.registry = registry
            self.pipeline.index = registry.index
            if ports != self.ports or self.pipeline.tracks.land is None:
                self.ports = ports
                self.port_boxes = near_ports(ports, self.settings.ais_port_radius_m)
                self.pipeline.tracks.land = land_test(ports)
        self.sea_grids = grids
        self._loaded_at = time.monotonic()

    # ---- lifecycle -----------------------------------------------------------------------------------------

    def start(self, *, listen: bool = True) -> None:
        """Load reference data, bind the feeds and start the periodic work."""
        self.load()
        self.started = True
        self._stop = threading.Event()
        s = self.settings
        if listen and (s.ais_udp_port is not None or s.ais_tcp_port is not None or s.ais_tcp_sources):
            self.listeners = Listeners(
                self.pipeline,
                host=s.ais_host,
                udp_port=s.ais_udp_port,
                tcp_port=s.ais_tcp_port,
                tcp_sources=s.ais_tcp_sources,
            )
            self.listeners.start()
            log.info("AIS ingest listening: %s", self.listeners.bound)
        if listen and s.mqtt_url:
            from pingan.maritime.terminals import TerminalConsumer

            self.mqtt = TerminalConsumer(s.mqtt_url, s.ais_mqtt_topic, self.pipeline)
            self.mqtt.start()
        self._worker = threading.Thread(target=self._periodic, name="pingan-ais-periodic", daemon=True)
        self._worker.start()
        if listen and s.alert_engine:
            self.start_alerts()

    def start_alerts(self) -> Any:
        """Run the alert rules in their two lanes (the default policies are written first)."""
        from pingan.maritime.alerts import ensure_policies
        from pingan.maritime.engine import AlertLanes

        with self.write() as session:
            ensure_policies(session, now=datetime.now(UTC))
            session.commit()
        self.alerts = AlertLanes(self, self.write, self.read)
        self.alerts.start()
        return self.alerts

    def stop(self) -> None:
        """Stop the feeds and the periodic work, then write what is buffered (a second call does nothing)."""
        if not self.started:
            return
        self.started = False
        self._stop.set()
        if self.listeners is not None:
            self.listeners.stop()
            self.listeners = None
        if self.mqtt is not None:
            self.mqtt.stop()
        if self.alerts is not None:
            self.alerts.stop()
            self.alerts = None
        if self._worker is not None:
            self._worker.join(timeout=10)
        self.tick()

    def _periodic(self) -> None:
        while not self._stop.wait(self.settings.ais_flush_seconds):
            try:
                self.tick()
            except OperationalError as exc:  # SQLite busy: the next tick retries
                log.warning("maritime periodic work postponed: %s", str(exc).splitlines()[0])
            except Exception:  # keep ingesting; the next tick retries
                log.exception("maritime periodic work failed")

    def tick(self) -> None:
        """Flush history, save static data, refresh the registry when due, and write the status file."""
        self.pipeline.flush()
        self.save_statics()
        if time.monotonic() - self._loaded_at > REGISTRY_REFRESH_S:
            self.load()
        self.write_status()

    def save_statics(self) -> int:
        """Write changed AIS static data of registered vessels into their files."""
        with self.pipeline.lock:
            dirty, self.pipeline.static_dirty = self.pipeline.static_dirty, set()
            snapshots = {
                self.registry.index.by_mmsi[m]: dict(self.pipeline.statics[m])
                for m in dirty
                if m in self.registry.index.by_mmsi
            }
        if not snapshots:
            return 0
        with self.gate.slow(), self.write() as session:
            changed = save_ais_snapshots(session, snapshots, between=self.gate.pause)
            session.commit()
        return changed

    # ---- status --------------------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Counters, live target counts, the message rate and, when the alert rules run here, their lanes."""
        counts = self.pipeline.counts()
        now = time.monotonic()
        then, messages = self._last_rate
        total = counts["ingest"]["messages"]
        if now - then >= 1.0:
            self.rate_per_s = (total - messages) / (now - then)
            self._last_rate = (now, total)
        counts["ingest"]["rate_per_s"] = round(self.rate_per_s, 1)
        counts["listening"] = self.listeners.bound if self.listeners else {}
        if self.alerts is not None:
            counts["alert_lanes"] = self.alerts.summary()
        return counts

    def write_status(self) -> None:
        """Write the status file atomically for other processes."""
        data_dir = Path(self.settings.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        body = {"updated_at": datetime.now(UTC).isoformat(), "pid": os.getpid(), **self.status()}
        tmp = data_dir / f".{STATUS_FILE}.{os.getpid()}"
        tmp.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
        tmp.replace(data_dir / STATUS_FILE)


def read_status(data_dir: Path, *, max_age_s: float = 60.0) -> dict[str, Any] | None:
    """The status a running pipeline last wrote, or None when there is none or it is older than `max_age_s`."""
    path = Path(data_dir) / STATUS_FILE
    try:
        body: dict[str, Any] = json.loads(path.read_text("utf-8"))
        updated = datetime.fromisoformat(body["updated_at"])
    except (OSError, ValueError, KeyError):
        return None
    body["age_s"] = round((datetime.now(UTC) - updated).total_seconds(), 1)
    body["live"] = body["age_s"] <= max_age_s
    return body
