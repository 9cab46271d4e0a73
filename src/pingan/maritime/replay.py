"""Replay a recorded NMEA file through the whole pipeline as fast as it goes.

Chunks of the file go through the vectorised fast path (types 1, 2, 3, 18, 27 in NumPy) straight into the track
table's batch update and the history writer; everything else (multi-part, static, other types) goes line by
line through the full path. Lines without a tag-block time are timed as if received at 1,000 lines/s from the
start of the replay, so their order is kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

import numpy as np

from pingan.maritime import fastpath
from pingan.maritime.fastpath_static import STATIC_LAYOUTS
from pingan.maritime.nmea import Skip
from pingan.maritime.pipeline import Pipeline
from pingan.maritime.reports import static_from_ais

CHUNK_BYTES = 8 * 1024 * 1024
UNTIMED_LINE_S = 0.001
_BASE, _VOYAGE, _ATON, _PART_A, _PART_B, _PART_B_AUX = (STATIC_LAYOUTS.index(n) for n in STATIC_LAYOUTS)


@dataclass
class ReplayResult:
    """What a replay did."""

    lines: int = 0
    messages: int = 0
    fast: int = 0
    full: int = 0
    refused: Counter[str] = field(default_factory=Counter)


def _chunks(handle: IO[bytes], size: int) -> Any:
    rest = b""
    while True:
        block = handle.read(size)
        if not block:
            if rest:
                yield rest
            return
        block = rest + block
        cut = block.rfind(b"\n")
        if cut < 0:
            rest = block
            continue
        rest = block[cut + 1 :]
        yield block[: cut + 1]


def _nan_where(values: np.ndarray[Any, Any], bad: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    out = values.astype(np.float64, copy=True)
    out[bad] = np.nan
    return out


def batch_columns(batch: fastpath.FastBatch, *, base_s: float, first_line: int) -> dict[str, Any]:
    """The fast path's rows as the pipeline's batch columns, with sentinels as NaN / -1."""
    t = batch.msg_type.astype(np.int16)
    low = t == 27
    lon = _nan_where(batch.lon, batch.lon == 181.0)
    lat = _nan_where(batch.lat, batch.lat == 91.0)
    sog = _nan_where(batch.speed, np.where(low, batch.speed == 63, batch.speed >= 102.3))
    cog = _nan_where(batch.course, np.where(low, batch.course == 511, batch.course >= 360.0))
    heading = _nan_where(batch.heading, batch.heading >= 360)
    has_status = (t <= 3) | low  # type 18 carries no navigation status
    status = np.where(has_status, batch.status, -1).astype(np.int16)
    at = np.where(
        np.isnan(batch.received_at), base_s + (first_line + batch.line_no) * UNTIMED_LINE_S, batch.received_at
    )
    return {
        "mmsi": batch.mmsi.astype(np.int64),
        "at": at,
        "lon": lon,
        "lat": lat,
        "sog_kn": sog,
        "cog_deg": cog,
        "heading_deg": heading,
        "nav_status": status,
        "msg_type": t,
        "station": batch.station.astype(np.int64),
    }


def _take_statics(pipeline: Pipeline, batch: fastpath.FastBatch, *, base_s: float, first_line: int) -> int:
    """Use the fast path's static table: AIS snapshots (5, 24 A/B) and the positions of base stations and AtoN."""
    st = batch.static
    n = int(st.line_no.size)
    if not n:
        return 0
    lines = n + int((st.line_no2 >= 0).sum())
    layout = st.layout
    with pipeline.lock:
        pipeline.counters.lines += lines
        pipeline.counters.used += lines
        pipeline.counters.messages += n
        for t, count in zip(*np.unique(st.msg_type, return_counts=True), strict=True):
            pipeline.by_type[int(t)] += int(count)
        # Static data repeats every few minutes unchanged: use the last message of each (MMSI, layout) per chunk.
        named = np.isin(layout, [_VOYAGE, _PART_A, _PART_B, _PART_B_AUX])
        rows = np.flatnonzero(named)
        if rows.size:
            packed = st.mmsi[rows].astype(np.int64) * 8 + layout[rows]
            _, last = np.unique(packed[::-1], return_index=True)
            for i in rows[rows.size - 1 - last].tolist():
                static = static_from_ais(SimpleNamespace(**st.record(i)))
                if static is not None:
                    pipeline._take_static(static)
    placed = np.flatnonzero(np.isin(layout, [_BASE, _ATON]))
    if placed.size:
        t = st.msg_type[placed].astype(np.int16)
        lon = st.lon[placed].astype(np.float64)
        lat = st.lat[placed].astype(np.float64)
        nan = np.full(placed.size, np.nan)
        received = st.received_at[placed]
        pipeline.take_batch(
            {
                "mmsi": st.mmsi[placed].astype(np.int64),
                "at": np.where(
                    np.isnan(received), base_s + (first_line + st.line_no[placed]) * UNTIMED_LINE_S, received
                ),
                "lon": np.where(lon == 181.0, np.nan, lon),
                "lat": np.where(lat == 91.0, np.nan, lat),
                "sog_kn": nan,
                "cog_deg": nan,
                "heading_deg": nan,
                "nav_status": np.full(placed.size, -1, dtype=np.int16),
                "msg_type": t,
                "station": st.station[placed].astype(np.int64),
            },
            station_names=batch.stations,
            count_types=False,
        )
    return n


def replay_file(
    path: Path, pipeline: Pipeline, *, opener: Callable[[Path], IO[bytes]], chunk_bytes: int = CHUNK_BYTES
) -> ReplayResult:
    """Replay one file into `pipeline`; history is flushed at the end."""
    result = ReplayResult()
    base_s = datetime.now(UTC).timestamp()
    decoder = pipeline.decoder(f"replay:{path.name}", station=None)
    with opener(path) as handle:
        for chunk in _chunks(handle, chunk_bytes):
            batch = fastpath.decode_buffer(chunk, static=True)
            lines = chunk.split(b"\n")
            if lines and lines[-1] == b"":
                lines.pop()
            first_line = result.lines
            result.lines += len(lines)
            cols = batch_columns(batch, base_s=base_s, first_line=first_line)
            n_fast = int(batch.mmsi.size)
            with pipeline.lock:
                pipeline.counters.lines += n_fast
                pipeline.counters.used += n_fast
                pipeline.counters.messages += n_fast
                pipeline.counters.lines += int(batch.blank.size)
                pipeline.counters.skipped[Skip.BLANK.value] += int(batch.blank.size)
            pipeline.take_batch(cols, station_names=batch.stations)
            result.fast += n_fast
            result.fast += _take_statics(pipeline, batch, base_s=base_s, first_line=first_line)
            # Lines the fast path refused go through the full path too, so that live and replay count alike
            # (comments, non-AIS NMEA and odd but valid sentences are the full path's to judge).
            for line_no in np.union1d(batch.fallback, batch.rejected).tolist():
                at = base_s + (first_line + line_no) * UNTIMED_LINE_S
                with pipeline.lock:
                    message = decoder.feed(lines[line_no], at=at)
                    if message is not None:
                        pipeline.take(message, received_at=datetime.fromtimestamp(at, UTC))
                        result.full += 1
    result.refused.update(pipeline.counters.rejected)
    decoder.assembler.flush()
    result.messages = result.fast + result.full
    pipeline.flush()
    return result
