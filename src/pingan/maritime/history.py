"""Position history: an append-only store of Parquet files partitioned by day, read back with DuckDB.

Layout: ``<root>/day=YYYY-MM-DD/part-<first unix ms>-<seq>.parquet``, written by ``HistoryWriter`` in batches
(one file per batch and day, rows sorted by key and time), merged per finished day by ``compact_day``. Files are
written to a temporary name and renamed, so a reader never sees half a file and a crash loses at most the
unflushed batch. Why Parquet and not a partitioned database table: the replay goal (≥ 200,000 reports/s through
the whole pipeline) is out of reach of row inserts on either database, SQLite has no partitions, and per-day
files are dropped, archived or copied by moving a folder. See docs/maritime.md.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

SCHEMA = pa.schema(
    [
        ("key", pa.int64()),  # MMSI, or -(vessel id) for a BeiDou terminal without one
        ("mmsi", pa.int64()),
        ("vessel_id", pa.int64()),
        ("observed_at", pa.timestamp("ms", tz="UTC")),
        ("lon", pa.float64()),
        ("lat", pa.float64()),
        ("sog_kn", pa.float32()),
        ("cog_deg", pa.float32()),
        ("heading_deg", pa.float32()),
        ("nav_status", pa.int16()),
        ("msg_type", pa.int16()),
        ("source", pa.string()),
        ("station", pa.string()),
        ("target_class", pa.string()),
    ]
)
COLUMNS = tuple(SCHEMA.names)
_seq = itertools.count()


class HistoryWriter:
    """Buffers accepted reports and writes them, per day, as Parquet files."""

    def __init__(self, root: Path, *, max_rows: int = 200_000) -> None:
        self.root = Path(root)
        self.max_rows = max_rows
        self.written_rows = 0
        self.written_files = 0
        self._lock = threading.Lock()
        self._buffer: dict[str, list[Any]] = {name: [] for name in COLUMNS}
        # Single reports wait as tuples in COLUMNS order: a tuple of plain values leaves the garbage collector's
        # watch, where a column of one-item lists per report kept ~150,000 objects in it at 5,000 reports/s.
        self._single: list[tuple[Any, ...]] = []
        self._rows = 0

    @property
    def pending(self) -> int:
        """Rows buffered and not yet on disk."""
        return self._rows

    def append(self, columns: dict[str, NDArray[Any] | Sequence[Any]]) -> None:
        """Add rows given as equal-length columns (``observed_at`` in Unix seconds); flush when the buffer is full."""
        n = len(columns["key"])
        if not n:
            return
        with self._lock:
            for name in COLUMNS:
                self._buffer[name].append(columns[name])
            self._rows += n
            full = self._rows >= self.max_rows
        if full:
            self.flush()

    def append_row(self, row: tuple[Any, ...]) -> None:
        """Add one report as a tuple in :data:`COLUMNS` order (``observed_at`` in Unix seconds, None for missing)."""
        if len(row) != len(COLUMNS):
            raise ValueError(f"a history row has {len(COLUMNS)} values, not {len(row)}")
        with self._lock:
            self._single.append(row)
            self._rows += 1
            full = self._rows >= self.max_rows
        if full:
            self.flush()

    def flush(self) -> int:
        """Write what is buffered (one file per day); return the number of rows written."""
        with self._lock:
            if not self._rows:
                return 0
            buffer, self._buffer = self._buffer, {name: [] for name in COLUMNS}
            single, self._single = self._single, []
            self._rows = 0
        if single:
            for name, values in zip(COLUMNS, zip(*single, strict=True), strict=True):
                buffer[name].append(list(values))
        arrays = {name: _concat(parts) for name, parts in buffer.items()}
        seconds = np.asarray(arrays["observed_at"], dtype=np.float64)
        days = (seconds // 86400).astype(np.int64)
        written = 0
        for day in np.unique(days):
            idx = np.nonzero(days == day)[0]
            idx = idx[np.lexsort((seconds[idx], np.asarray(arrays["key"])[idx]))]
            table = _table({name: _take(values, idx) for name, values in arrays.items()})
            folder = self.root / f"day={_day_name(int(day))}"
            folder.mkdir(parents=True, exist_ok=True)
            name = f"part-{int(seconds[idx[0]] * 1000)}-{os.getpid()}-{next(_seq)}.parquet"
            tmp = folder / f".{name}.tmp"
            pq.write_table(table, tmp, compression="zstd")
            tmp.rename(folder / name)
            written += len(idx)
            self.written_files += 1
        self.written_rows += written
        return written


_NUMERIC = {"key", "mmsi", "vessel_id", "observed_at", "lon", "lat", "sog_kn", "cog_deg", "heading_deg", "nav_status"}
_NUMERIC |= {"msg_type"}
_NULL_BELOW_ZERO = ("mmsi", "vessel_id", "nav_status")


def _concat(parts: list[Any]) -> NDArray[Any] | list[Any]:
    """Join one column's parts; NumPy arrays and lists of single rows (None for missing) may be mixed."""
    if all(isinstance(p, np.ndarray) for p in parts):
        return np.concatenate(parts) if parts else np.array([])
    out: list[Any] = []
    for p in parts:
        out.extend(p.tolist() if isinstance(p, np.ndarray) else p)
    return out


def _take(values: NDArray[Any] | list[Any], idx: NDArray[np.int64]) -> NDArray[Any] | list[Any]:
    if isinstance(values, np.ndarray):
        return values[idx]
    return [values[i] for i in idx]


def _numeric(values: NDArray[Any] | list[Any]) -> NDArray[np.float64]:
    """A numeric column as float64 with NaN for missing (None in row lists)."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
        return values.astype(np.float64)
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _table(columns: dict[str, Any]) -> pa.Table:
    seconds = _numeric(columns["observed_at"])
    arrays = []
    for field in SCHEMA:
        values = columns[field.name]
        if field.name == "observed_at":
            arrays.append(pa.array((seconds * 1000).astype("int64"), type=pa.int64()).cast(field.type))
        elif field.name in _NUMERIC:
            number = _numeric(values)
            missing = np.isnan(number)
            if field.name in _NULL_BELOW_ZERO:
                missing |= number < 0  # -1 marks "none" in the batch columns
            if pa.types.is_floating(field.type):
                arrays.append(pa.array(number, type=field.type, mask=missing))
            else:
                arrays.append(pa.array(np.where(missing, 0, number).astype(np.int64), mask=missing).cast(field.type))
        else:
            arrays.append(pa.array(list(values) if isinstance(values, np.ndarray) else values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def _day_name(day_number: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=day_number)).isoformat()


def day_folders(root: Path, start: datetime, end: datetime) -> list[Path]:
    """The day partitions that hold reports between `start` and `end` (inclusive), existing ones only."""
    folders = []
    day = start.astimezone(UTC).date()
    while day <= end.astimezone(UTC).date():
        folder = Path(root) / f"day={day.isoformat()}"
        if folder.is_dir() and any(folder.glob("*.parquet")):
            folders.append(folder)
        day += timedelta(days=1)
    return folders


def read_track(root: Path, *, key: int, start: datetime, end: datetime, limit: int = 50_000) -> list[dict[str, Any]]:
    """Reports of one target between two instants, oldest first, read with DuckDB from the day partitions."""
    folders = day_folders(root, start, end)
    if not folders:
        return []
    files = [str(f / "*.parquet") for f in folders]
    sql = (
        "SELECT key, mmsi, vessel_id, epoch_ms(observed_at) AS observed_ms, lon, lat, sog_kn, cog_deg, heading_deg,"
        " nav_status, msg_type, source, station, target_class FROM read_parquet(?)"
        " WHERE key = ? AND observed_at BETWEEN ? AND ? ORDER BY observed_at LIMIT ?"
    )
    with duckdb.connect() as con:
        cur = con.execute(sql, [files, key, start, end, limit])
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    for row in rows:
        row["observed_at"] = datetime.fromtimestamp(row.pop("observed_ms") / 1000.0, UTC)
    return rows


def day_summary(root: Path, day: date) -> dict[str, int]:
    """Rows, targets and files in one day's partition."""
    folder = Path(root) / f"day={day.isoformat()}"
    files = sorted(folder.glob("*.parquet"))
    if not files:
        return {"rows": 0, "targets": 0, "files": 0}
    with duckdb.connect() as con:
        rows, targets = con.execute(
            "SELECT count(*), count(DISTINCT key) FROM read_parquet(?)", [[str(f) for f in files]]
        ).fetchone() or (0, 0)
    return {"rows": int(rows), "targets": int(targets), "files": len(files)}


def compact_day(root: Path, day: date) -> int:
    """Merge a finished day's part files into one, sorted by target and time; return the rows kept."""
    folder = Path(root) / f"day={day.isoformat()}"
    parts = sorted(folder.glob("part-*.parquet"))
    if len(parts) <= 1:
        return day_summary(root, day)["rows"]
    tmp = folder / ".compact.parquet.tmp"
    merged = pa.concat_tables([pq.read_table(p, schema=SCHEMA) for p in parts])
    merged = merged.sort_by([("key", "ascending"), ("observed_at", "ascending")])
    pq.write_table(merged, tmp, compression="zstd")
    target = folder / f"part-{int(datetime.combine(day, datetime.min.time(), UTC).timestamp() * 1000)}-compact.parquet"
    tmp.rename(target)
    for part in parts:
        if part != target:
            part.unlink()
    return day_summary(root, day)["rows"]
