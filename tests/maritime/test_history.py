"""Position history on disk: per-day Parquet parts, reading a track back with DuckDB, nulls, and compaction."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from pingan.maritime.history import COLUMNS, HistoryWriter, compact_day, day_folders, day_summary, read_track

MIDNIGHT = datetime(2026, 7, 2, tzinfo=UTC)  # between day=2026-07-01 and day=2026-07-02
A, B, C = 412000001, 412000002, 412000003


def columns(keys: list[int], times: list[datetime], **overrides: Any) -> dict[str, Any]:
    """Rows as NumPy columns, the form the batch path appends."""
    n = len(keys)
    cols: dict[str, Any] = {
        "key": np.array(keys, dtype=np.int64),
        "mmsi": np.array(keys, dtype=np.int64),
        "vessel_id": np.full(n, -1, dtype=np.int64),
        "observed_at": np.array([t.timestamp() for t in times], dtype=np.float64),
        "lon": np.linspace(122.60, 122.70, n),
        "lat": np.full(n, 30.0),
        "sog_kn": np.full(n, 6.5),
        "cog_deg": np.full(n, 90.0),
        "heading_deg": np.full(n, np.nan),
        "nav_status": np.full(n, 7, dtype=np.int16),
        "msg_type": np.full(n, 1, dtype=np.int16),
        "source": np.array(["ais"] * n, dtype=object),
        "station": np.array(["zhoushan-1"] * n, dtype=object),
        "target_class": np.array(["vessel"] * n, dtype=object),
    }
    cols.update(overrides)
    return cols


def one_row(key: int, at: datetime, **values: Any) -> dict[str, list[Any]]:
    """One row as lists of Python values, the form the one-at-a-time path appends."""
    row: dict[str, Any] = {
        "key": key,
        "mmsi": key,
        "vessel_id": None,
        "observed_at": at.timestamp(),
        "lon": 122.6,
        "lat": 30.0,
        "sog_kn": None,
        "cog_deg": None,
        "heading_deg": None,
        "nav_status": None,
        "msg_type": 1,
        "source": "ais",
        "station": None,
        "target_class": "vessel",
    }
    row.update(values)
    return {name: [row[name]] for name in COLUMNS}


def parquet_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.parquet"))


def test_reports_on_both_sides_of_utc_midnight_land_in_two_day_folders(tmp_path: Path) -> None:
    writer = HistoryWriter(tmp_path)
    writer.append(columns([A, A], [MIDNIGHT - timedelta(seconds=1), MIDNIGHT]))

    assert writer.flush() == 2

    assert sorted(p.name for p in tmp_path.iterdir()) == ["day=2026-07-01", "day=2026-07-02"]
    assert [len(list((tmp_path / d).glob("part-*.parquet"))) for d in ("day=2026-07-01", "day=2026-07-02")] == [1, 1]
    assert (writer.written_rows, writer.written_files, writer.pending) == (2, 2, 0)
    assert list(tmp_path.rglob("*.tmp")) == []


def test_a_part_file_has_the_schema_and_rows_sorted_by_key_and_time(tmp_path: Path) -> None:
    writer = HistoryWriter(tmp_path)
    t = MIDNIGHT + timedelta(hours=3)
    writer.append(columns([B, A, B, A], [t + timedelta(seconds=s) for s in (30, 20, 10, 0)]))
    writer.flush()

    (path,) = parquet_files(tmp_path)
    table = pq.read_table(path)

    assert tuple(table.schema.names) == COLUMNS
    assert table.column("key").to_pylist() == [A, A, B, B]
    assert [v.timestamp() for v in table.column("observed_at").to_pylist()] == [
        (t + timedelta(seconds=s)).timestamp() for s in (0, 20, 10, 30)
    ]
    assert path.name.startswith(f"part-{int(t.timestamp() * 1000)}-")


def test_nan_and_minus_one_are_written_as_null(tmp_path: Path) -> None:
    writer = HistoryWriter(tmp_path)
    t = MIDNIGHT + timedelta(hours=1)
    writer.append(columns([A, B], [t, t], sog_kn=np.array([np.nan, 4.0]), nav_status=np.array([-1, 0], dtype=np.int16)))
    writer.flush()

    rows = pq.read_table(parquet_files(tmp_path)[0]).to_pylist()

    assert [r["sog_kn"] for r in rows] == [None, 4.0]
    assert [r["heading_deg"] for r in rows] == [None, None]
    assert [r["nav_status"] for r in rows] == [None, 0]
    assert [r["vessel_id"] for r in rows] == [None, None]


def test_none_in_list_columns_is_written_as_null(tmp_path: Path) -> None:
    writer = HistoryWriter(tmp_path)
    writer.append(one_row(A, MIDNIGHT + timedelta(hours=1)))
    writer.flush()

    (row,) = pq.read_table(parquet_files(tmp_path)[0]).to_pylist()

    assert (row["sog_kn"], row["vessel_id"], row["nav_status"], row["station"]) == (None, None, None, None)


def test_nan_and_minus_one_are_null_when_batches_and_single_rows_share_a_flush(tmp_path: Path) -> None:
    writer = HistoryWriter(tmp_path)
    t = MIDNIGHT + timedelta(hours=1)
    writer.append(columns([A], [t], sog_kn=np.array([np.nan]), nav_status=np.array([-1], dtype=np.int16)))
    writer.append(one_row(B, t))
    writer.flush()

    rows = pq.read_table(parquet_files(tmp_path)[0]).to_pylist()

    assert [r["sog_kn"] for r in rows] == [None, None]
    assert [r["vessel_id"] for r in rows] == [None, None]
    assert [r["nav_status"] for r in rows] == [None, None]


def test_read_track_returns_one_targets_rows_in_time_order_across_days(tmp_path: Path) -> None:
    writer = HistoryWriter(tmp_path)
    times = [MIDNIGHT + timedelta(minutes=m) for m in (30, -30, 10, -10, 50, -50)]
    writer.append(columns([A, B, A, C, A, A], times))
    writer.flush()
    writer.append(columns([A, B], [MIDNIGHT + timedelta(minutes=20), MIDNIGHT + timedelta(minutes=20)]))
    writer.flush()

    rows = read_track(tmp_path, key=A, start=MIDNIGHT - timedelta(hours=1), end=MIDNIGHT + timedelta(hours=1))

    assert {r["key"] for r in rows} == {A}
    assert [r["observed_at"] for r in rows] == [MIDNIGHT + timedelta(minutes=m) for m in (-50, 10, 20, 30, 50)]
    assert all(r["observed_at"].tzinfo is not None for r in rows)
    assert rows[0]["station"] == "zhoushan-1" and rows[0]["source"] == "ais"


def test_read_track_keeps_to_the_instants_inclusive(tmp_path: Path) -> None:
    writer = HistoryWriter(tmp_path)
    writer.append(columns([A] * 5, [MIDNIGHT + timedelta(minutes=m) for m in range(5)]))
    writer.flush()

    rows = read_track(tmp_path, key=A, start=MIDNIGHT + timedelta(minutes=1), end=MIDNIGHT + timedelta(minutes=3))

    assert [r["observed_at"] for r in rows] == [MIDNIGHT + timedelta(minutes=m) for m in (1, 2, 3)]


def test_read_track_of_an_unknown_target_or_an_empty_day_is_empty(tmp_path: Path) -> None:
    writer = HistoryWriter(tmp_path)
    writer.append(columns([A], [MIDNIGHT]))
    writer.flush()

    assert read_track(tmp_path, key=C, start=MIDNIGHT, end=MIDNIGHT + timedelta(hours=1)) == []
    assert read_track(tmp_path, key=A, start=MIDNIGHT + timedelta(days=3), end=MIDNIGHT + timedelta(days=4)) == []


def test_day_folders_lists_only_days_that_hold_parts(tmp_path: Path) -> None:
    writer = HistoryWriter(tmp_path)
    writer.append(columns([A, A], [MIDNIGHT - timedelta(days=2), MIDNIGHT]))
    writer.flush()

    folders = day_folders(tmp_path, MIDNIGHT - timedelta(days=3), MIDNIGHT + timedelta(days=1))

    assert [f.name for f in folders] == ["day=2026-06-30", "day=2026-07-02"]


def test_a_full_buffer_flushes_itself(tmp_path: Path) -> None:
    writer = HistoryWriter(tmp_path, max_rows=3)
    t = MIDNIGHT + timedelta(hours=2)

    writer.append(columns([A, B], [t, t]))
    assert writer.pending == 2 and parquet_files(tmp_path) == []
    writer.append(columns([C], [t]))

    assert writer.pending == 0
    assert writer.written_rows == 3


def test_an_empty_append_and_an_empty_flush_write_nothing(tmp_path: Path) -> None:
    writer = HistoryWriter(tmp_path)

    writer.append(columns([], []))

    assert writer.flush() == 0
    assert list(tmp_path.iterdir()) == []


def test_compact_day_merges_parts_and_keeps_every_row(tmp_path: Path) -> None:
    writer = HistoryWriter(tmp_path)
    day = date(2026, 7, 2)
    for batch in range(3):
        t = MIDNIGHT + timedelta(hours=batch)
        writer.append(columns([C, A, B, A], [t + timedelta(seconds=s) for s in (0, 5, 10, 15)]))
        writer.flush()
    folder = tmp_path / "day=2026-07-02"
    assert len(list(folder.glob("part-*.parquet"))) == 3

    assert compact_day(tmp_path, day) == 12

    (merged,) = list(folder.iterdir())
    assert merged.name == f"part-{int(MIDNIGHT.timestamp() * 1000)}-compact.parquet"
    table = pq.read_table(merged)
    keys = table.column("key").to_pylist()
    times = [v.timestamp() for v in table.column("observed_at").to_pylist()]
    assert keys == sorted(keys)
    assert list(zip(keys, times, strict=True)) == sorted(zip(keys, times, strict=True))
    assert day_summary(tmp_path, day) == {"rows": 12, "targets": 3, "files": 1}
    assert list(tmp_path.rglob("*.tmp")) == []
    assert len(read_track(tmp_path, key=A, start=MIDNIGHT, end=MIDNIGHT + timedelta(days=1))) == 6


def test_compact_day_again_after_new_parts_keeps_every_row(tmp_path: Path) -> None:
    writer = HistoryWriter(tmp_path)
    day = date(2026, 7, 2)
    for hour in range(2):
        writer.append(columns([A, B], [MIDNIGHT + timedelta(hours=hour)] * 2))
        writer.flush()
    compact_day(tmp_path, day)
    writer.append(columns([A], [MIDNIGHT + timedelta(hours=5)]))
    writer.flush()

    assert compact_day(tmp_path, day) == 5

    assert day_summary(tmp_path, day) == {"rows": 5, "targets": 2, "files": 1}
    assert list(tmp_path.rglob("*.tmp")) == []


def test_compact_day_of_a_single_part_leaves_it_alone(tmp_path: Path) -> None:
    writer = HistoryWriter(tmp_path)
    writer.append(columns([A, B], [MIDNIGHT, MIDNIGHT]))
    writer.flush()
    before = parquet_files(tmp_path)

    assert compact_day(tmp_path, date(2026, 7, 2)) == 2

    assert parquet_files(tmp_path) == before
    assert compact_day(tmp_path, date(2026, 7, 9)) == 0


def test_a_row_tuple_is_written_like_the_same_row_as_columns(tmp_path: Path) -> None:
    t = MIDNIGHT + timedelta(hours=3)
    as_columns, as_tuple = tmp_path / "columns", tmp_path / "tuple"
    writer = HistoryWriter(as_columns)
    writer.append(one_row(A, t, sog_kn=3.5, station="ZS-AIS-01"))
    writer.append(columns([B], [t]))
    writer.flush()
    writer = HistoryWriter(as_tuple)
    row = one_row(A, t, sog_kn=3.5, station="ZS-AIS-01")
    writer.append_row(tuple(row[name][0] for name in COLUMNS))
    writer.append(columns([B], [t]))
    assert writer.pending == 2
    writer.flush()

    def read(root: Path) -> list[dict[str, Any]]:
        return pq.read_table(parquet_files(root)[0]).to_pylist()

    assert read(as_tuple) == read(as_columns)
    assert [r["key"] for r in read(as_tuple)] == sorted([A, B])


def test_a_row_of_the_wrong_length_is_refused_and_nothing_is_buffered(tmp_path: Path) -> None:
    writer = HistoryWriter(tmp_path)
    with pytest.raises(ValueError, match="14 values, not 3"):
        writer.append_row((A, A, None))
    assert writer.pending == 0 and writer.flush() == 0


def test_a_full_buffer_of_row_tuples_flushes_itself(tmp_path: Path) -> None:
    writer = HistoryWriter(tmp_path, max_rows=2)
    row = one_row(A, MIDNIGHT + timedelta(hours=2))
    values = tuple(row[name][0] for name in COLUMNS)
    writer.append_row(values)
    writer.append_row(values)
    assert writer.pending == 0 and writer.written_rows == 2
