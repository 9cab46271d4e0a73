"""The position pipeline: lines and terminal reports in; classified, filtered targets, history and counters out.

decode (per feed: check, assemble, pyais) → normalise → link to the vessel file → classify → sanity filters and
the track table → history (Parquet, batched) and the last reports of each target. It holds no database session:
the vessel index and the land test are given to it, and the runtime saves AIS static data to vessel files.
Thread-safe: listeners on several threads feed it under one lock.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pingan.maritime.classify import Behaviour, TargetClass, by_behaviour, by_message, by_mmsi, by_mmsi_codes
from pingan.maritime.history import HistoryWriter
from pingan.maritime.reports import PositionReport, Source, StaticData, position_from_ais, static_from_ais
from pingan.maritime.stream import Counters, Decoded, Decoder
from pingan.maritime.tracks import CLASS_CODES, SOURCE_CODES, FilterPolicy, LandTest, Refusal, TrackTable

LAST_REPORTS = 20
_ATON, _BASE, _SAR, _SART = (
    CLASS_CODES.index(c)
    for c in (TargetClass.ATON, TargetClass.BASE_STATION, TargetClass.SAR_AIRCRAFT, TargetClass.SART)
)
SAFETY_KEPT = 200


@dataclass
class VesselIndex:
    """Who is who: current AIS MMSIs and BeiDou device ids of vessel files (from the terminal history)."""

    by_mmsi: dict[int, int] = field(default_factory=dict)  # MMSI -> vessel id
    by_device: dict[str, int] = field(default_factory=dict)  # BeiDou device id -> vessel id
    mmsi_of: dict[int, int] = field(default_factory=dict)  # vessel id -> current MMSI

    def key_for_vessel(self, vessel_id: int) -> int:
        """The track key of a vessel: its AIS MMSI, so AIS and BeiDou fuse into one target, else -(vessel id)."""
        return self.mmsi_of.get(vessel_id, -vessel_id)


@dataclass
class SafetyMessage:
    """An AIS safety-related message (types 12 and 14), kept for the distress rules."""

    mmsi: int
    msg_type: int
    text: str
    received_at: datetime
    station: str | None


class Pipeline:
    """One pipeline per process: feeds, the track table, static data, history and counters."""

    def __init__(
        self,
        *,
        history_root: Path | None,
        index: VesselIndex | None = None,
        land: LandTest | None = None,
        policy: FilterPolicy | None = None,
        fragment_timeout_s: float = 5.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.index = index or VesselIndex()
        self.tracks = TrackTable(policy=policy, land=land)
        self.counters = Counters()
        self.fragment_timeout_s = fragment_timeout_s
        self.history = HistoryWriter(history_root) if history_root is not None else None
        self.statics: dict[int, dict[str, Any]] = {}
        self.static_dirty: set[int] = set()
        self.last_reports: dict[int, deque[dict[str, Any]]] = {}
        self.safety: deque[SafetyMessage] = deque(maxlen=SAFETY_KEPT)
        self.by_type: Counter[int] = Counter()
        self.by_source: Counter[str] = Counter()
        self.started_at = (clock or (lambda: datetime.now(UTC)))()
        self._decoders: dict[str, Decoder] = {}
        self._clock = clock or (lambda: datetime.now(UTC))
        # Set on distress traffic and on positions inside `watch_boxes`: the alert engine's fast lane runs at once
        # (`distress` too on distress traffic, which no rate limit may hold back).
        self.urgent = threading.Event()
        self.distress = threading.Event()
        self.watch_boxes: list[tuple[float, float, float, float]] = []  # (west, south, east, north) degrees

    # ---- lines ---------------------------------------------------------------------------------------------

    def decoder(self, feed: str, station: str | None = None) -> Decoder:
        """The decoder (fragment assembler) of one feed: a connection, a UDP port, a file."""
        found = self._decoders.get(feed)
        if found is None:
            found = self._decoders[feed] = Decoder(
                self.counters, station=station or feed, timeout_s=self.fragment_timeout_s
            )
        return found

    def feed_lines(self, lines: Iterable[str | bytes], *, feed: str, at: float | None = None) -> int:
        """Feed received lines from one feed (arriving at monotonic `at` seconds); return messages decoded."""
        decoded = 0
        with self.lock:
            decoder = self.decoder(feed)
            for line in lines:
                message = decoder.feed(line, at=at)
                if message is not None:
                    decoded += 1
                    self.take(message)
        return decoded

    def take(self, message: Decoded, *, received_at: datetime | None = None) -> None:
        """Use one decoded AIS message: a position, static data or a safety message."""
        self.by_type[message.msg_type] += 1
        if message.own_ship:
            return  # VDO is the receiving station's own vessel, not a target of the net
        when = message.received_at or received_at or self._clock()
        msg = message.msg
        if message.msg_type in (12, 14):
            text = str(getattr(msg, "text", "") or "")
            self.safety.append(SafetyMessage(int(msg.mmsi), message.msg_type, text, when, message.station))
            self.distress.set()
            self.urgent.set()
            return
        static = static_from_ais(msg)
        if static is not None:
            self._take_static(static)
        report = position_from_ais(msg, observed_at=when, station=message.station)
        if report is not None:
            self.take_position(report)
            if report.nav_status == 14 or 970_000_000 <= (report.mmsi or 0) < 975_000_000:
                self.distress.set()  # SART, MOB or EPIRB
                self.urgent.set()

    def _take_static(self, static: StaticData) -> None:
        snapshot = self.statics.setdefault(static.mmsi, {})
        before = dict(snapshot)
        snapshot.update(static.fields)  # 24A and 24B merge here by MMSI
        if snapshot != before:
            self.static_dirty.add(static.mmsi)
            name = snapshot.get("shipname")
            if name and static.mmsi in self.tracks.index and static.mmsi not in self.index.by_mmsi:
                self.tracks.reclassify(
                    static.mmsi, self._class_for(static.mmsi, 18, None, self.tracks.index[static.mmsi])
                )

    # ---- positions -----------------------------------------------------------------------------------------

    def _class_for(self, mmsi: int, msg_type: int, nav_status: int | None, row: int | None) -> TargetClass:
        fixed = TargetClass.ATON if msg_type == 21 else by_mmsi(mmsi) or by_message(msg_type, nav_status)
        if fixed is not None:
            return fixed
        t = self.tracks
        behaviour = Behaviour(
            registered=mmsi in self.index.by_mmsi,
            class_b=msg_type in (18, 19) or (row is not None and bool(t.class_b[row])),
            reports=int(t.reports[row]) + 1 if row is not None else 1,
            median_interval_s=None if row is None or np.isnan(t.interval_s[row]) else float(t.interval_s[row]),
            max_sog_kn=None if row is None else float(t.max_sog_kn[row]),
            name=self.statics.get(mmsi, {}).get("shipname"),
        )
        return by_behaviour(behaviour)

    def take_position(self, report: PositionReport) -> Refusal | None:
        """Link, classify and apply one normalised position; return its refusal, if any."""
        with self.lock:
            self.by_source[report.source.value] += 1
            if report.mmsi is not None:
                key = report.mmsi
                vessel_id = self.index.by_mmsi.get(key)
            else:
                vessel_id = self.index.by_device.get(report.device_id or "")
                if vessel_id is None:
                    self.tracks.refused[Refusal.UNKNOWN_TERMINAL.value] += 1
                    return Refusal.UNKNOWN_TERMINAL
                key = self.index.key_for_vessel(vessel_id)
            if vessel_id is not None and report.vessel_id is None:
                report = _with_vessel(report, vessel_id)
            row = self.tracks.index.get(key)
            if report.source is Source.AIS:
                target_class = self._class_for(key, report.msg_type, report.nav_status, row)
            else:
                target_class = TargetClass.VESSEL
            refusal = self.tracks.update(report, key, target_class)
            if refusal is None:
                self._remember(key, report, target_class)
                if self.watch_boxes and self._watched(report.lon, report.lat):
                    self.urgent.set()
            return refusal

    def _watched(self, lon: float, lat: float) -> bool:
        return any(w <= lon <= e and s <= lat <= n for w, s, e, n in self.watch_boxes)

    def _remember(self, key: int, report: PositionReport, target_class: TargetClass) -> None:
        row = {
            "observed_at": report.observed_at,
            "lon": report.lon,
            "lat": report.lat,
            "sog_kn": report.sog_kn,
            "cog_deg": report.cog_deg,
            "heading_deg": report.heading_deg,
            "nav_status": report.nav_status,
            "source": report.source.value,
            "station": report.station,
            "msg_type": report.msg_type,
        }
        kept = self.last_reports.get(key)
        if kept is None:
            kept = self.last_reports[key] = deque(maxlen=LAST_REPORTS)
        kept.append(row)
        if self.history is not None:
            self.history.append_row(
                (
                    key,
                    report.mmsi,
                    report.vessel_id,
                    report.observed_at.timestamp(),
                    report.lon,
                    report.lat,
                    report.sog_kn,
                    report.cog_deg,
                    report.heading_deg,
                    report.nav_status,
                    report.msg_type,
                    report.source.value,
                    report.station,
                    target_class.value,
                )
            )

    # ---- batches (replay) ----------------------------------------------------------------------------------

    def take_batch(
        self, cols: dict[str, NDArray[Any]], *, station_names: list[str] | None = None, count_types: bool = True
    ) -> int:
        """Apply a batch of AIS positions given as columns (the fast path's output); return reports accepted.

        Columns: ``mmsi, at, lon, lat, sog_kn, cog_deg, heading_deg, nav_status, msg_type, station`` (codes into
        `station_names`, -1 = none), already with sentinels as NaN / -1.
        """
        with self.lock:
            mmsi = np.asarray(cols["mmsi"], dtype=np.int64)
            msg_type = np.asarray(cols["msg_type"], dtype=np.int16)
            status = np.asarray(cols["nav_status"], dtype=np.int16)
            classes = self._classify_batch(mmsi, msg_type, status)
            unique = np.unique(mmsi)
            linked = np.array([self.index.by_mmsi.get(int(m), -1) for m in unique], dtype=np.int64)
            vessel_id = linked[np.searchsorted(unique, mmsi)]
            low_res = msg_type == 27
            batch = {
                "key": mmsi,
                "at": np.asarray(cols["at"], dtype=np.float64),
                "lon": cols["lon"],
                "lat": cols["lat"],
                "sog_kn": cols["sog_kn"],
                "cog_deg": cols["cog_deg"],
                "heading_deg": cols["heading_deg"],
                "nav_status": status,
                "msg_type": msg_type,
                "source": np.full(mmsi.size, SOURCE_CODES.index(Source.AIS), dtype=np.int8),
                "target_class": classes,
                "low_res": low_res,
                "class_b": (msg_type == 18) | (msg_type == 19),
                "vessel_id": vessel_id,
            }
            self.by_source[Source.AIS.value] += int(mmsi.size)
            if count_types:
                for t, n in zip(*np.unique(msg_type, return_counts=True), strict=True):
                    self.by_type[int(t)] += int(n)
            accepted = self.tracks.update_batch(batch)
            if self.watch_boxes and accepted.any():
                boxes = np.array(self.watch_boxes, dtype=np.float64).T
                lon = np.asarray(cols["lon"], dtype=np.float64)[accepted]
                lat = np.asarray(cols["lat"], dtype=np.float64)[accepted]
                if in_boxes(lon, lat, (boxes[0], boxes[1], boxes[2], boxes[3])).any():
                    self.urgent.set()
            if self.history is not None and accepted.any():
                idx = np.nonzero(accepted)[0]
                names = np.array([*(station_names or []), None], dtype=object)
                station = np.asarray(cols["station"], dtype=np.int64)[idx]
                class_names = np.array([c.value for c in CLASS_CODES], dtype=object)
                self.history.append(
                    {
                        "key": mmsi[idx],
                        "mmsi": mmsi[idx],
                        "vessel_id": vessel_id[idx],
                        "observed_at": batch["at"][idx],
                        "lon": np.asarray(cols["lon"], dtype=np.float64)[idx],
                        "lat": np.asarray(cols["lat"], dtype=np.float64)[idx],
                        "sog_kn": np.asarray(cols["sog_kn"], dtype=np.float64)[idx],
                        "cog_deg": np.asarray(cols["cog_deg"], dtype=np.float64)[idx],
                        "heading_deg": np.asarray(cols["heading_deg"], dtype=np.float64)[idx],
                        "nav_status": status[idx],
                        "msg_type": msg_type[idx],
                        "source": np.full(idx.size, Source.AIS.value, dtype=object),
                        "station": names[np.where(station >= 0, station, len(names) - 1)],
                        "target_class": class_names[classes[idx]],
                    }
                )
            return int(accepted.sum())

    def _classify_batch(
        self, mmsi: NDArray[np.int64], msg_type: NDArray[np.int16], status: NDArray[np.int16]
    ) -> NDArray[np.int8]:
        """Target class codes for a batch: MMSI format and message type vectorised, behaviour once per MMSI."""
        codes = by_mmsi_codes(mmsi)
        codes[msg_type == 21] = _ATON  # only aids to navigation send type 21, whatever their MMSI
        for mask, code in ((msg_type == 4, _BASE), (msg_type == 9, _SAR), (status == 14, _SART)):
            codes[mask & (codes < 0)] = code
        rest = codes < 0
        if rest.any():
            ships = mmsi[rest]
            unique, inverse = np.unique(ships, return_inverse=True)
            class_b = set(ships[(msg_type[rest] == 18) | (msg_type[rest] == 19)].tolist())
            per_ship = np.empty(unique.size, dtype=np.int8)
            for i, m in enumerate(unique.tolist()):
                row = self.tracks.index.get(m)
                per_ship[i] = CLASS_CODES.index(self._class_for(m, 18 if m in class_b else 1, None, row))
            codes[rest] = per_ship[inverse]
        return codes

    # ---- reading -------------------------------------------------------------------------------------------

    def flush(self) -> int:
        """Write buffered history now; return rows written."""
        return self.history.flush() if self.history is not None else 0

    def counts(self) -> dict[str, Any]:
        """Ingest counters and live target counts, JSON-ready."""
        with self.lock:
            t = self.tracks
            classes = Counter(CLASS_CODES[int(c)].value for c in t.target_class[: t.size])
            decoders_pending = sum(d.pending for d in self._decoders.values())
            return {
                "ingest": {
                    **self.counters.as_dict(),
                    "pending_fragments": decoders_pending,
                    "by_type": {str(k): v for k, v in sorted(self.by_type.items())},
                    "by_source": dict(self.by_source),
                    "positions_accepted": t.accepted,
                    "positions_refused": dict(t.refused),
                    "history_rows": self.history.written_rows if self.history else 0,
                    "history_pending": self.history.pending if self.history else 0,
                },
                "targets": {"total": t.size, **dict(classes)},
            }

    def target_class_of(self, key: int) -> TargetClass | None:
        """The current class of a target, or None if it was never seen."""
        row = self.tracks.index.get(key)
        return None if row is None else CLASS_CODES[int(self.tracks.target_class[row])]

    def is_known(self, key: int) -> bool:
        """True when the target has a row."""
        return key in self.tracks.index


def in_boxes(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    boxes: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
) -> NDArray[np.bool_]:
    """True where a point lies in any of the boxes."""
    x0, y0, x1, y1 = boxes
    if not x0.size or not lon.size:
        return np.zeros(lon.shape, dtype=np.bool_)
    inside = (lon[:, None] >= x0) & (lon[:, None] <= x1) & (lat[:, None] >= y0) & (lat[:, None] <= y1)
    return np.asarray(inside.any(axis=1))


def _with_vessel(report: PositionReport, vessel_id: int) -> PositionReport:
    from dataclasses import replace

    return replace(report, vessel_id=vessel_id)
