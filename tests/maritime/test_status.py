"""`pingan stats` reads the alert lanes' health from a running pipeline's status file, and nothing from a stale one."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pingan.config import Settings
from pingan.maritime.runtime import STATUS_FILE
from pingan.stats import live_positions

LANES = {
    "fast": {"passes": 218, "failures": 0, "pending": 0, "period_s": 1.0, "pass_ms_p50": 17.2, "pass_ms_max": 75.0},
    "full": {"passes": 26, "failures": 1, "pending": 12, "period_s": 2.0, "pass_ms_p50": 261.0, "pass_ms_max": None},
}


def write_status(directory: Path, *, age: timedelta) -> Settings:
    body = {"updated_at": (datetime.now(UTC) - age).isoformat(), "targets": {"total": 3}, "alert_lanes": LANES}
    (directory / STATUS_FILE).write_text(json.dumps(body), "utf-8")
    return Settings(env="test", data_dir=directory)


def test_a_fresh_status_file_gives_each_lanes_figures(tmp_path: Path) -> None:
    figures = live_positions(write_status(tmp_path, age=timedelta(seconds=3)))
    assert figures["ais_live"] is True and figures["ais_targets"] == 3
    assert (figures["alert_fast_passes"], figures["alert_fast_pass_ms_p50"], figures["alert_fast_pass_ms_max"]) == (
        218,
        17.2,
        75.0,
    )
    assert (figures["alert_full_failures"], figures["alert_full_pending"], figures["alert_full_pass_ms_max"]) == (
        1,
        12,
        0.0,
    )


def test_a_stale_status_file_gives_zeros(tmp_path: Path) -> None:
    figures = live_positions(write_status(tmp_path, age=timedelta(minutes=5)))
    assert figures["ais_live"] is False
    assert figures["alert_fast_passes"] == figures["alert_full_pending"] == 0
