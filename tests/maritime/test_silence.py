"""Source-aware silence: thresholds per source, escalation at twice the gap, silence in port is normal."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from pingan.maritime import silence
from pingan.maritime.rules import AlertKind, Level, Picture
from pingan.maritime.silence import SilencePolicy, Staleness, detect_silence, staleness, thresholds_s
from tests.maritime.pictures import picture

NOW = 1_800_000_000.0
MIN = 60.0
POLICY = SilencePolicy()


def silent_for(seconds: float, **cols: object) -> Picture:
    cols.setdefault("vessel_id", 12)
    return picture(NOW, [413000001], [122.5], [30.0], observed_at=NOW - seconds, **cols)


def level_of(seconds: float, **cols: object) -> Level | None:
    obs = detect_silence(silent_for(seconds, **cols), POLICY)
    assert len(obs) <= 1
    return obs[0].level if obs else None


SOURCES = {
    "ais_b_moving": {"source": "ais", "class_b": True, "sog_kn": 8.0},
    "ais_b_slow": {"source": "ais", "class_b": True, "sog_kn": 1.0},
    "ais_a_moving": {"source": "ais", "class_b": False, "sog_kn": 12.0, "nav_status": 0},
    "ais_a_anchored": {"source": "ais", "class_b": False, "sog_kn": 0.1, "nav_status": 1},
    "beidou": {"source": "beidou", "class_b": False},
    "terminal": {"source": "terminal", "class_b": False},
    "manual": {"source": "manual", "class_b": False},
}
GAP_MIN = {"ais_b_moving": 30, "ais_b_slow": 30, "ais_a_moving": 30, "ais_a_anchored": 30, "beidou": 30,
           "terminal": 30, "manual": 65}  # fmt: skip
LATE_MIN = {"ais_b_moving": 3, "ais_b_slow": 10, "ais_a_moving": 1, "ais_a_anchored": 10, "beidou": 20,
            "terminal": 20, "manual": 65}  # fmt: skip


@pytest.mark.parametrize("name", SOURCES)
def test_silence_thresholds_per_source(name: str) -> None:
    cols = SOURCES[name]
    gap = GAP_MIN[name] * MIN
    assert level_of(gap - 1, **cols) is None
    assert level_of(gap, **cols) is Level.WARNING
    assert level_of(2 * gap - 1, **cols) is Level.WARNING
    assert level_of(2 * gap, **cols) is Level.ALARM


@pytest.mark.parametrize("name", SOURCES)
def test_late_thresholds_per_source(name: str) -> None:
    late, gap = thresholds_s(silent_for(0, **SOURCES[name]), POLICY)
    assert (late[0], gap[0]) == (LATE_MIN[name] * MIN, GAP_MIN[name] * MIN)
    assert staleness(silent_for(late[0] - 1, **SOURCES[name]), POLICY)[0] == Staleness.FRESH
    assert staleness(silent_for(late[0], **SOURCES[name]), POLICY)[0] in (Staleness.LATE, Staleness.SILENT)


def test_class_b_at_four_minutes_is_late_when_moving_and_fresh_when_slow() -> None:
    pic = picture(NOW, [1, 2, 3], [122.5] * 3, [30.0] * 3, observed_at=NOW - 4 * MIN, sog_kn=[8.0, 2.0, np.nan])
    assert staleness(pic, POLICY).tolist() == [Staleness.LATE, Staleness.FRESH, Staleness.FRESH]
    no_fix = picture(NOW, [1], [np.nan], [np.nan], observed_at=np.nan)
    assert staleness(no_fix, POLICY).tolist() == [Staleness.SILENT]


def test_class_a_moored_but_moving_reports_at_the_under_way_rate() -> None:
    late, _ = thresholds_s(silent_for(0, source="ais", class_b=False, nav_status=5, sog_kn=6.0), POLICY)
    assert late[0] == 60.0


def test_silence_in_port_is_normal_unless_asked_for() -> None:
    assert level_of(10 * 3600, in_port=True) is None
    (obs,) = detect_silence(silent_for(10 * 3600, in_port=True), SilencePolicy(in_port_level=Level.INFO))
    assert obs.level is Level.INFO and obs.details["in_port"] is True


def test_only_registered_vessels_are_watched() -> None:
    assert level_of(3600, vessel_id=-1) is None
    assert level_of(3600, target_class="net_beacon") is None
    assert level_of(3600, target_class="aton") is None


def test_observation_carries_source_silence_and_last_position() -> None:
    (obs,) = detect_silence(silent_for(45 * MIN, source="beidou", class_b=False), POLICY)
    assert obs.kind is AlertKind.SILENCE and obs.subject == "413000001" and obs.keys == (413000001,)
    d = obs.details
    assert (d["source"], d["silent_s"], d["gap_s"], d["vessel_id"]) == ("beidou", 2700.0, 1800.0, 12)
    assert (d["last_lon"], d["last_lat"], d["observed_at"]) == (122.5, 30.0, NOW - 2700)


def test_many_vessels_are_judged_in_one_pass() -> None:
    n = 10_000
    ages = np.arange(n, dtype=float)  # 0 … 9999 s
    pic = picture(NOW, np.arange(n) + 1, np.full(n, 122.5), np.full(n, 30.0), observed_at=NOW - ages, vessel_id=1)
    obs = detect_silence(pic, POLICY)
    assert len(obs) == n - 1800
    assert sum(o.level is Level.ALARM for o in obs) == n - 3600


def test_examples_run() -> None:
    result = doctest.testmod(silence)
    assert result.failed == 0 and result.attempted > 0
