"""`pingan ais replay|listen|compact` and the live figures of `pingan stats --json`, run as an operator would."""

from __future__ import annotations

import gzip
import json
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyais import encode_dict

from pingan import migrate
from pingan.maritime import history
from tests.conftest import free_port, run_cli
from tests.shared_data import VECTORS as SHARED_VECTORS

VECTORS = SHARED_VECTORS
SAMPLE = VECTORS / "gpsd" / "sample.aivdm"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A migrated SQLite database of its own (the replay links targets to vessel files when there are some)."""
    url = f"sqlite:///{(tmp_path / 'pingan.db').as_posix()}"
    migrate.upgrade(url)
    return {"PINGAN_DATA_DIR": str(tmp_path), "PINGAN_DATABASE_URL": url, "PINGAN_ENV": "test"}


def test_replay_runs_a_file_through_the_pipeline_and_prints_its_rate(env: dict[str, str], tmp_path: Path) -> None:
    result = run_cli("ais", "replay", str(SAMPLE), "--json", env=env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["messages"] == 102 and summary["lines"] == 1121  # the README's count: 102 messages
    assert summary["msgs_per_s"] > 0 and summary["history_rows"] == summary["positions_accepted"] > 0
    assert summary["lines_refused"] == {"malformed": 1}  # the deliberately broken 'AIVDM,2,2,…' line
    days = list((tmp_path / "tracks").glob("day=*/*.parquet"))
    assert days, "history was not written"

    text = run_cli("ais", "replay", str(SAMPLE), env=env)
    assert text.returncode == 0 and text.stdout.strip().splitlines()[-1].startswith("ais_replay: ")


def test_replay_reads_gzip_and_refuses_what_is_not_there(env: dict[str, str], tmp_path: Path) -> None:
    packed = tmp_path / "sample.nmea.gz"
    with gzip.open(packed, "wb") as out:
        out.write(SAMPLE.read_bytes())
    result = run_cli("ais", "replay", str(packed), "--json", env=env)
    assert result.returncode == 0 and json.loads(result.stdout)["messages"] == 102
    missing = run_cli("ais", "replay", str(tmp_path / "nope.nmea"), env=env)
    assert missing.returncode != 0 and "no such file" in missing.stderr


def test_replayed_history_reads_back_by_target_and_compacts(env: dict[str, str], tmp_path: Path) -> None:
    recording = tmp_path / "rec.nmea"
    start = int(datetime(2026, 11, 28, 23, 58, tzinfo=UTC).timestamp())
    lines = []
    for i in range(8):  # a Class B vessel steaming east across UTC midnight, one report a minute
        body = {"msg_type": 18, "mmsi": 413555001, "lon": 122.6 + 0.005 * i, "lat": 30.0, "speed": 9.0, "course": 90}
        sentence = encode_dict(body, talker_id="AI", sentence_type="VDM")[0]
        tag = f"s:ZS-AIS-01,c:{start + 60 * i}"
        lines.append(f"\\{tag}*{_xor(tag):02X}\\{sentence}")
    recording.write_text("\n".join(lines) + "\n")
    assert run_cli("ais", "replay", str(recording), env=env).returncode == 0
    root = tmp_path / "tracks"
    assert sorted(p.name for p in root.iterdir()) == ["day=2026-11-28", "day=2026-11-29"]
    rows = history.read_track(
        root, key=413555001, start=datetime.fromtimestamp(start, UTC), end=datetime.fromtimestamp(start + 3600, UTC)
    )
    assert [round(r["lon"], 3) for r in rows] == [round(122.6 + 0.005 * i, 3) for i in range(8)]
    compacted = run_cli("ais", "compact", "--day", "2026-11-28", env=env)
    assert compacted.returncode == 0 and "2026-11-28: 2 rows" in compacted.stdout
    assert run_cli("ais", "compact", "--day", "yesterday", env=env).returncode != 0


def _xor(text: str) -> int:
    value = 0
    for ch in text.encode():
        value ^= ch
    return value


def test_listen_ingests_udp_and_stats_reports_live_counts(env: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    exe = shutil.which("pingan", path=str(Path(sys.executable).parent))
    assert exe
    import os

    proc = subprocess.Popen(
        [exe, "ais", "listen", "--udp", str(port), "--duration", "30"],
        env={**os.environ, **env, "PINGAN_AIS_FLUSH_SECONDS": "0.2"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        sentence = encode_dict(
            {"msg_type": 1, "mmsi": 477000111, "lon": 122.7, "lat": 29.8, "speed": 12.0, "course": 270},
            talker_id="AI",
            sentence_type="VDM",
        )[0]
        figures: dict[str, object] = {}
        while time.monotonic() < deadline:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                sender.sendto(sentence.encode() + b"\r\n", ("127.0.0.1", port))
            stats = run_cli("stats", "--json", env=env)
            figures = json.loads(stats.stdout) if stats.returncode == 0 else {}
            if figures.get("ais_live") and figures.get("ais_targets") == 1:
                break
            time.sleep(0.3)
        assert figures.get("ais_live") is True, figures
        assert figures["ais_targets"] == 1 and figures["ais_vessels"] == 1 and figures["ais_messages"] >= 1
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err.decode()
    assert b"pingan ais listen" in out


def test_stats_without_a_running_pipeline_says_so(env: dict[str, str]) -> None:
    figures = json.loads(run_cli("stats", "--json", env=env).stdout)
    assert figures["ais_live"] is False and figures["ais_targets"] == 0


def test_listen_refuses_a_bad_receiver_address(env: dict[str, str]) -> None:
    result = run_cli("ais", "listen", "--connect", "nowhere", "--duration", "0", env=env)
    assert result.returncode != 0 and "host:port" in result.stderr


def test_a_stale_status_file_is_not_live(env: dict[str, str], tmp_path: Path) -> None:
    old = datetime.now(UTC) - timedelta(minutes=5)
    (tmp_path / "ais-status.json").write_text(
        json.dumps({"updated_at": old.isoformat(), "targets": {"total": 9}, "ingest": {}})
    )
    figures = json.loads(run_cli("stats", "--json", env=env).stdout)
    assert figures["ais_live"] is False and figures["ais_targets"] == 0
