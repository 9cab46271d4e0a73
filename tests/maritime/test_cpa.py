"""The collision rule: CPA/TCPA math with exact answers and invariances, presets, screening, suppressions, levels."""

from __future__ import annotations

import dataclasses
import doctest
import json
import math
import re
from dataclasses import dataclass, replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from pingan.maritime import cpa
from pingan.maritime.cpa import (
    KN_TO_MS,
    METRES_PER_NM,
    CpaPolicy,
    candidate_pairs,
    cpa_tcpa,
    detect_collisions,
    local_plane,
    velocity,
)
from pingan.maritime.rules import AlertKind, Level, Picture
from tests.shared_data import REFERENCE

MARITIME_MD = REFERENCE / "maritime.md"
NOW = 1_782_000_000.0
ORIGIN = (122.60, 30.00)  # open water east of Zhoushan
NM = METRES_PER_NM
DEG = 60 * NM  # metres per degree of latitude on OpenCPN's sheet


@dataclass(frozen=True)
class Target:
    """A target of a test picture, placed in metres east/north of ORIGIN."""

    key: int
    east_m: float = 0.0
    north_m: float = 0.0
    sog_kn: float = 0.0
    cog_deg: float = 360.0
    target_class: str = "vessel"
    kind: str = "fishing"
    group_id: int = -1
    vessel_id: int = -1
    in_port: bool = False
    age_s: float = 5.0
    source: str = "ais"


def picture(*targets: Target, now: float = NOW, origin: tuple[float, float] = ORIGIN) -> Picture:
    """A picture of `targets` (every column filled, as a live picture has them)."""
    lon0, lat0 = origin
    lat = np.array([lat0 + t.north_m / DEG for t in targets])
    lon = np.array([(lon0 + t.east_m / (DEG * math.cos(math.radians(lat0))) + 180) % 360 - 180 for t in targets])
    return Picture(
        now=now,
        key=np.array([t.key for t in targets], dtype=np.int64),
        lon=lon,
        lat=lat,
        sog_kn=np.array([t.sog_kn for t in targets], dtype=np.float64),
        cog_deg=np.array([t.cog_deg for t in targets], dtype=np.float64),
        heading_deg=np.full(len(targets), np.nan),
        nav_status=np.full(len(targets), 15, dtype=np.int16),
        observed_at=np.array([now - t.age_s for t in targets], dtype=np.float64),
        target_class=np.array([t.target_class for t in targets], dtype="<U12"),
        kind=np.array([t.kind for t in targets], dtype="<U12"),
        source=np.array([t.source for t in targets], dtype="<U12"),
        class_b=np.array([t.kind == "fishing" for t in targets], dtype=bool),
        vessel_id=np.array([t.vessel_id for t in targets], dtype=np.int64),
        group_id=np.array([t.group_id for t in targets], dtype=np.int64),
        gear=np.array(["trawl" if t.kind == "fishing" else "" for t in targets], dtype="<U12"),
        in_port=np.array([t.in_port for t in targets], dtype=bool),
    )


# The screening and geometry tests check every pair; the two suppressions that are product choices (fishing–fishing
# pairs, vessels berthed in port) are switched on here and tested on their own below.
DEFAULT = dataclasses.replace(CpaPolicy.default(), fishing_pairs=True, berthed_targets=True)
FISHER = Target(412000001, sog_kn=5.0, cog_deg=0.0)  # at ORIGIN heading north at 5 kn
# 0.2 nm ahead, heading south at 5 kn: closing, inside the distance alarm, an ALARM unless suppressed.
CLOSE = Target(477000001, north_m=0.2 * NM, sog_kn=5.0, cog_deg=180.0, kind="merchant")


def levels(*targets: Target, policy: CpaPolicy = DEFAULT, held: frozenset[str] = frozenset()) -> dict[str, Level]:
    """Subject → level of what the rule reports about `targets`."""
    return {o.subject: o.level for o in detect_collisions(picture(*targets), policy, held=held)}


# ------------------------------------------------------------------------------------------------ the math


def test_docstring_examples_run() -> None:
    result = doctest.testmod(cpa)
    assert result.failed == 0 and result.attempted >= 6


def relative(own: tuple[float, float, float, float], target: tuple[float, float, float, float]) -> tuple[float, float]:
    """DCPA and TCPA of (east_m, north_m, sog_kn, cog_deg) own and target, through velocity() and cpa_tcpa()."""
    ove, ovn = velocity(own[2], own[3])
    tve, tvn = velocity(target[2], target[3])
    dcpa, tcpa = cpa_tcpa(target[0] - own[0], target[1] - own[1], tve - ove, tvn - ovn)
    return float(dcpa), float(tcpa)


@pytest.mark.parametrize(
    ("own", "target", "dcpa_m", "tcpa_s"),
    [
        # head-on, 2 nm apart at 10 kn each: they meet after 1 nm each, 6 minutes
        pytest.param((0, 0, 10, 0), (0, 2 * NM, 10, 180), 0.0, 360.0, id="head_on"),
        # crossing at right angles, the target coming from starboard 1 nm out and 500 m further north: both at
        # 10 kn, closest when the relative track passes nearest, 500/√2 m
        pytest.param(
            (0, 0, 10, 0), (NM, NM + 500, 10, 270), 500 / math.sqrt(2), (2 * NM + 500) / (20 * KN_TO_MS), id="crossing"
        ),
        # overtaking from 1 nm astern, 200 m to the east, 12 kn against 6 kn: 1 nm at 6 kn relative is 10 minutes
        pytest.param((0, 0, 6, 0), (200, -NM, 12, 0), 200.0, 600.0, id="overtaking"),
        # parallel courses at the same speed: never closer, TCPA 0 and DCPA the range
        pytest.param((0, 0, 8, 45), (0.4 * NM, 0, 8, 45), 0.4 * NM, 0.0, id="parallel_same_speed"),
        # both stopped
        pytest.param((0, 0, 0, 360), (300, 400, 0, 360), 500.0, 0.0, id="both_stopped"),
        # diverging: the target is ahead and faster on the same course; closest was in the past, DCPA = range
        pytest.param((0, 0, 5, 0), (0, 1000, 10, 0), 1000.0, -1000 / (5 * KN_TO_MS), id="diverging"),
    ],
)
def test_cpa_tcpa_exact_answers(
    own: tuple[float, float, float, float], target: tuple[float, float, float, float], dcpa_m: float, tcpa_s: float
) -> None:
    dcpa, tcpa = relative(own, target)
    assert dcpa == pytest.approx(dcpa_m, abs=1e-6)
    assert tcpa == pytest.approx(tcpa_s, abs=1e-6)


def test_cpa_tcpa_is_vectorised_and_returns_float_arrays() -> None:
    dcpa, tcpa = cpa_tcpa([100.0, 0.0, 300.0], [2000.0, 1.0, 400.0], [0.0, 0.0, 3.0], [-10.0, 0.0, 4.0])
    assert dcpa.dtype == tcpa.dtype == np.float64
    assert dcpa.tolist() == pytest.approx([100.0, 1.0, 500.0])
    assert tcpa.tolist() == pytest.approx([200.0, 0.0, -100.0])


metres = st.floats(-30_000, 30_000, allow_nan=False)
speeds = st.floats(-15, 15, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(metres, metres, speeds, speeds)
def test_swapping_own_and_target_gives_the_same_answer(re_m: float, rn_m: float, ve: float, vn: float) -> None:
    assert cpa_tcpa(re_m, rn_m, ve, vn) == cpa_tcpa(-re_m, -rn_m, -ve, -vn)


def moving(ve: float, vn: float) -> bool:
    return ve * ve + vn * vn > 0.01  # well clear of the parallel threshold, where TCPA is ill-conditioned


@settings(max_examples=200, deadline=None)
@given(metres, metres, speeds, speeds, metres, metres, speeds, speeds)
def test_translating_both_ships_changes_nothing(
    re_m: float, rn_m: float, ve: float, vn: float, shift_e: float, shift_n: float, drift_e: float, drift_n: float
) -> None:
    """Own ship and target both moved by the same offset and given the same extra velocity (a current)."""
    if not moving(ve, vn):
        return
    own = np.array([shift_e, shift_n]), np.array([drift_e, drift_n])
    target = own[0] + (re_m, rn_m), own[1] + (ve, vn)
    d0, t0 = cpa_tcpa(re_m, rn_m, ve, vn)
    d1, t1 = cpa_tcpa(*(target[0] - own[0]), *(target[1] - own[1]))
    assert float(d1) == pytest.approx(float(d0), rel=1e-6, abs=1e-3)
    assert float(t1) == pytest.approx(float(t0), rel=1e-6, abs=1e-3)


@settings(max_examples=200, deadline=None)
@given(metres, metres, speeds, speeds, st.floats(0, 2 * math.pi))
def test_rotating_the_picture_changes_nothing(re_m: float, rn_m: float, ve: float, vn: float, angle: float) -> None:
    if not moving(ve, vn):
        return
    c, s = math.cos(angle), math.sin(angle)
    d0, t0 = cpa_tcpa(re_m, rn_m, ve, vn)
    d1, t1 = cpa_tcpa(c * re_m - s * rn_m, s * re_m + c * rn_m, c * ve - s * vn, s * ve + c * vn)
    assert float(d1) == pytest.approx(float(d0), rel=1e-6, abs=1e-3)
    assert float(t1) == pytest.approx(float(t0), rel=1e-6, abs=1e-3)


@pytest.mark.parametrize(
    ("sog_kn", "cog_deg", "expected"),
    [
        (10.0, 90.0, (10 * KN_TO_MS, 0.0)),
        (10.0, 180.0, (0.0, -10 * KN_TO_MS)),
        (10.0, 360.0, (0.0, 0.0)),  # COG not available
        (10.0, float("nan"), (0.0, 0.0)),
        (0.005, 90.0, (0.0, 0.0)),  # under 0.01 kn: no course (OpenCPN)
        (float("nan"), 90.0, (0.0, 0.0)),
        (102.3, 90.0, (0.0, 0.0)),  # AIS "not available"
    ],
)
def test_velocity_follows_opencpns_rules(sog_kn: float, cog_deg: float, expected: tuple[float, float]) -> None:
    ve, vn = velocity(sog_kn, cog_deg)
    assert (float(ve), float(vn)) == pytest.approx(expected, abs=1e-12)


def test_local_plane_is_opencpns_sheet_and_wraps_the_antimeridian() -> None:
    east, north = local_plane(123.0, 31.0, 122.0, 30.0)
    assert float(east) == pytest.approx(60 * 1852 * math.cos(math.radians(30.0)))
    assert float(north) == pytest.approx(60 * 1852)
    east, _ = local_plane(-179.99, 0.0, 179.99, 0.0)
    assert float(east) == pytest.approx(0.02 * 60 * 1852)


# ------------------------------------------------------------------------------------------------ presets


def reference_text() -> str:
    return MARITIME_MD.read_text("utf-8")


def number(pattern: str, text: str, group: int = 1) -> float:
    found = re.search(pattern, text)
    assert found, f"maritime.md no longer says {pattern!r}"
    return float(found.group(group))


def test_default_preset_is_maritime_md_two_level_scheme() -> None:
    text = reference_text()
    scheme = r"\*\*warning\*\* at DCPA < ([\d.]+) nm and TCPA < ([\d.]+) min; \*\*alarm\*\* at DCPA < ([\d.]+) nm and TCPA < ([\d.]+) min; \*\*distance alarm\*\* under ([\d.]+) nm"  # noqa: E501
    policy = DEFAULT
    assert policy.warning_dcpa_nm == number(scheme, text, 1) == 1.0
    assert policy.warning_tcpa_min == number(scheme, text, 2) == 15.0
    assert policy.alarm_dcpa_nm == number(scheme, text, 3) == 0.5
    assert policy.alarm_tcpa_min == number(scheme, text, 4) == 6.0
    assert policy.distance_alarm_nm == number(scheme, text, 5) == 0.3
    assert policy.moored_kn == number(r"`MooredTargetMaxSpeedKnots` \| \*\*([\d.]+) kn\*\*", text)
    assert policy.max_range_nm == number(r"`NoCPAMaxNMi` \| [^|]*\*\*([\d.]+) nm\*\*", text)
    assert policy.stale_after_s == 60 * number(r"stale fix \(> ([\d.]+) min for Class B moving\)", text)
    raise_nm = number(r"raise at ([\d.]+) nm, clear at ([\d.]+) nm", text, 1)
    clear_nm = number(r"raise at ([\d.]+) nm, clear at ([\d.]+) nm", text, 2)
    assert policy.clear_factor == pytest.approx(clear_nm / raise_nm) == 1.4


def test_opencpn_preset_is_opencpns_defaults() -> None:
    text = reference_text()
    policy = CpaPolicy.opencpn()
    assert policy.alarm_dcpa_nm == number(r"`CPAWarnNMi` \| [^|]*\*\*([\d.]+) nm\*\*", text) == 2.0
    assert policy.alarm_tcpa_min == number(r"`TCPAMaxMinutes` \| [^|]*\*\*([\d.]+) min\*\*", text) == 30.0
    assert policy.max_range_nm == number(r"`NoCPAMaxNMi` \| [^|]*\*\*([\d.]+) nm\*\*", text) == 20.0
    assert policy.moored_kn == number(r"`MooredTargetMaxSpeedKnots` \| \*\*([\d.]+) kn\*\*", text) == 0.2
    assert policy.stale_after_s == 60 * number(r"`MarkLost_Minutes` \| [^|]*\*\*([\d.]+) min\*\*", text)
    assert (policy.warning_dcpa_nm, policy.distance_alarm_nm, policy.clear_factor) == (0.0, 0.0, 1.0)  # one level


def test_a_policy_refuses_negative_limits_and_a_shrinking_hysteresis() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        CpaPolicy(alarm_dcpa_nm=-0.5)
    with pytest.raises(ValueError, match="clear_factor"):
        CpaPolicy(clear_factor=0.9)


# ------------------------------------------------------------------------------------------------ levels


def head_on(offset_nm: float, ahead_nm: float, kind: str = "merchant", key: int = 477000001) -> Target:
    """A ship `ahead_nm` north of ORIGIN and `offset_nm` east, heading south at 10 kn (meeting FISHER's 5 kn)."""
    return Target(key, east_m=offset_nm * NM, north_m=ahead_nm * NM, sog_kn=10.0, cog_deg=180.0, kind=kind)


@pytest.mark.parametrize(
    ("offset_nm", "ahead_nm", "expected"),
    [
        (0.0, 1.0, Level.ALARM),  # closing at 15 kn: TCPA 4 min, DCPA 0
        (0.0, 2.5, Level.WARNING),  # TCPA 10 min: past the 6-minute alarm window, inside the 15-minute warning one
        (0.0, 4.0, None),  # TCPA 16 min
        (0.7, 1.0, Level.WARNING),  # TCPA 4 min, DCPA 0.7 nm: between the alarm and the warning limits
        (1.2, 1.0, None),  # DCPA 1.2 nm
    ],
)
def test_levels_follow_dcpa_and_tcpa(offset_nm: float, ahead_nm: float, expected: Level | None) -> None:
    found = levels(FISHER, head_on(offset_nm, ahead_nm))
    assert found == ({} if expected is None else {"412000001|477000001": expected})


def test_details_carry_the_numbers_the_console_shows() -> None:
    (obs,) = detect_collisions(picture(FISHER, head_on(0.0, 1.0)), DEFAULT)
    assert obs.kind is AlertKind.COLLISION
    assert obs.keys == (412000001, 477000001)
    assert obs.details["dcpa_m"] == pytest.approx(0.0, abs=0.1)
    assert obs.details["tcpa_s"] == pytest.approx(NM / (15 * KN_TO_MS), abs=0.5)
    assert obs.details["range_m"] == pytest.approx(NM, abs=1.0)
    assert obs.details["bearing_deg"] == pytest.approx(0.0, abs=0.1)
    assert (obs.details["sog_kn"], obs.details["cog_deg"], obs.details["kind"]) == (5.0, 0.0, "fishing")
    assert (obs.details["other_sog_kn"], obs.details["other_cog_deg"], obs.details["other_kind"]) == (
        10.0,
        180.0,
        "merchant",
    )
    assert obs.details["trigger"] == "cpa"
    assert (obs.lon, obs.lat) == pytest.approx(ORIGIN)


def test_details_are_json_even_when_speed_and_course_are_unknown() -> None:
    unknown = replace(CLOSE, sog_kn=float("nan"), cog_deg=float("nan"))  # no velocity, not moored: distance counts
    (obs,) = detect_collisions(picture(FISHER, unknown), DEFAULT)
    assert (obs.details["other_sog_kn"], obs.details["other_cog_deg"]) == (None, None)
    assert json.loads(json.dumps(obs.details, allow_nan=False)) == obs.details


def test_the_distance_alarm_ignores_tcpa() -> None:
    ahead = Target(477000001, north_m=0.2 * NM, sog_kn=8.0, cog_deg=0.0, kind="merchant")  # faster, pulling away
    (obs,) = detect_collisions(picture(FISHER, ahead), DEFAULT)
    assert obs.level is Level.ALARM and obs.details["trigger"] == "distance" and obs.details["tcpa_s"] < 0
    assert levels(FISHER, replace(ahead, north_m=0.4 * NM)) == {}


def test_parallel_at_the_same_speed_alerts_only_on_distance() -> None:
    abeam = Target(477000001, east_m=0.4 * NM, sog_kn=5.0, cog_deg=0.0, kind="merchant")
    assert levels(FISHER, abeam) == {}
    assert levels(FISHER, replace(abeam, east_m=0.25 * NM)) == {"412000001|477000001": Level.ALARM}


def test_a_held_situation_clears_only_past_the_wider_limits() -> None:
    subject = "412000001|477000001"
    passing = head_on(0.6, 1.0)  # DCPA 0.6 nm: a warning when new, still an alarm while held (0.5 → 0.7 nm)
    assert levels(FISHER, passing) == {subject: Level.WARNING}
    assert levels(FISHER, passing, held=frozenset({subject})) == {subject: Level.ALARM}
    assert levels(FISHER, passing, held=frozenset({"1|2"})) == {subject: Level.WARNING}
    away = Target(477000001, north_m=0.35 * NM, sog_kn=8.0, cog_deg=0.0, kind="merchant")  # 0.3 nm → 0.42 nm held
    assert levels(FISHER, away) == {}
    (obs,) = detect_collisions(picture(FISHER, away), DEFAULT, held=frozenset({subject}))
    assert obs.level is Level.ALARM and obs.details["trigger"] == "distance"
    assert levels(FISHER, away, policy=CpaPolicy.opencpn(), held=frozenset({subject})) == {}


def test_opencpn_profile_one_level_wider_window_and_a_range_limit() -> None:
    opencpn = CpaPolicy.opencpn()
    wide = head_on(1.5, 4.0)  # DCPA 1.5 nm, TCPA 16 min
    assert levels(FISHER, wide, policy=opencpn) == {"412000001|477000001": Level.ALARM}
    assert levels(FISHER, wide) == {}
    fast = Target(412000001, sog_kn=25.0, cog_deg=0.0)
    for ahead_nm, expected in ((19.0, {"412000001|477000001": Level.ALARM}), (21.0, {})):  # TCPA 23 and 25 min
        oncoming = Target(477000001, north_m=ahead_nm * NM, sog_kn=25.0, cog_deg=180.0, kind="merchant")
        assert levels(fast, oncoming, policy=opencpn) == expected


# ------------------------------------------------------------------------------------------------ suppressions


def test_the_close_pair_alarms_on_its_own() -> None:
    assert levels(FISHER, CLOSE) == {"412000001|477000001": Level.ALARM}


@pytest.mark.parametrize(
    ("fisher", "other"),
    [
        pytest.param(replace(FISHER, group_id=7), replace(CLOSE, group_id=7), id="same_group"),
        pytest.param(FISHER, replace(CLOSE, target_class="net_beacon"), id="net_beacon"),
        pytest.param(FISHER, replace(CLOSE, target_class="aton"), id="aton"),
        pytest.param(FISHER, replace(CLOSE, target_class="base_station"), id="base_station"),
        pytest.param(FISHER, replace(CLOSE, target_class="sart"), id="sart_is_the_distress_rule"),
        pytest.param(FISHER, replace(CLOSE, age_s=181.0), id="stale_ais"),
        pytest.param(FISHER, replace(CLOSE, age_s=700.0, source="beidou"), id="stale_beidou"),
        pytest.param(FISHER, replace(CLOSE, age_s=float("nan")), id="unknown_fix_time"),
        pytest.param(FISHER, replace(CLOSE, east_m=float("nan")), id="no_position"),
        pytest.param(replace(FISHER, in_port=True), replace(CLOSE, in_port=True), id="both_in_port"),
        pytest.param(replace(FISHER, sog_kn=0.0), replace(CLOSE, sog_kn=0.2), id="both_moored"),
        pytest.param(
            replace(FISHER, sog_kn=0.1, in_port=True), replace(CLOSE, sog_kn=0.0), id="moored_in_port_and_at_sea"
        ),
        pytest.param(replace(FISHER, vessel_id=5), replace(CLOSE, vessel_id=5), id="one_vessel_two_transmitters"),
    ],
)
def test_suppressed_pairs_raise_nothing(fisher: Target, other: Target) -> None:
    assert levels(fisher, other) == {}


@pytest.mark.parametrize(
    ("fisher", "other"),
    [
        pytest.param(replace(FISHER, group_id=7), replace(CLOSE, group_id=8), id="different_groups"),
        pytest.param(replace(FISHER, group_id=-1), replace(CLOSE, group_id=-1), id="no_group_is_not_a_group"),
        pytest.param(FISHER, replace(CLOSE, age_s=300.0, source="beidou"), id="beidou_within_its_cycle"),
        pytest.param(replace(FISHER, in_port=True), CLOSE, id="one_in_port"),
        pytest.param(replace(FISHER, sog_kn=0.0, in_port=True), CLOSE, id="moored_in_port_against_moving"),
        pytest.param(replace(FISHER, sog_kn=0.0), CLOSE, id="moored_at_sea_against_moving"),
        pytest.param(replace(FISHER, in_port=True), replace(CLOSE, sog_kn=0.0), id="moving_in_port_against_moored"),
        pytest.param(replace(FISHER, cog_deg=360.0), CLOSE, id="unknown_course_still_counts"),
    ],
)
def test_pairs_that_still_alert(fisher: Target, other: Target) -> None:
    assert levels(fisher, other) == {"412000001|477000001": Level.ALARM}


def test_nothing_to_compare() -> None:
    assert detect_collisions(Picture.empty(NOW), DEFAULT) == []
    assert detect_collisions(picture(FISHER), DEFAULT) == []
    every_limit_off = replace(DEFAULT, warning_dcpa_nm=0, alarm_dcpa_nm=0, distance_alarm_nm=0)
    assert detect_collisions(picture(FISHER, CLOSE), every_limit_off) == []


# ------------------------------------------------------------------------------------------------ order and keys


def test_fishing_merchant_pairs_come_first_then_merchant_merchant_then_fishing_fishing() -> None:
    def pair(east_nm: float, a: Target, b: Target) -> tuple[Target, Target]:
        return replace(a, east_m=east_nm * NM), replace(b, east_m=east_nm * NM + b.east_m)

    closing = Target(0, north_m=0.2 * NM, sog_kn=5.0, cog_deg=180.0)  # ALARM against FISHER
    passing = Target(0, east_m=0.7 * NM, north_m=1.0 * NM, sog_kn=10.0, cog_deg=180.0)  # WARNING against FISHER
    targets = (
        *pair(0, FISHER, replace(closing, key=412000002)),  # fishing–fishing, ALARM
        *pair(30, replace(FISHER, key=477000002, kind="merchant"), replace(closing, key=477000003, kind="merchant")),
        *pair(60, replace(FISHER, key=412000003), replace(passing, key=100000001, kind="merchant")),  # WARNING
        *pair(90, replace(FISHER, key=412000004), replace(closing, key=477000004, kind="merchant")),  # ALARM
    )
    found = detect_collisions(picture(*targets), DEFAULT)
    assert [(o.subject, o.level) for o in found] == [
        ("412000004|477000004", Level.ALARM),
        ("100000001|412000003", Level.WARNING),
        ("477000002|477000003", Level.ALARM),
        ("412000001|412000002", Level.ALARM),
    ]
    assert [o.keys for o in found] == [
        (412000004, 477000004),
        (412000003, 100000001),  # the fishing vessel first, though its key is the larger
        (477000002, 477000003),
        (412000001, 412000002),
    ]


def test_bearing_is_from_the_first_key_to_the_second() -> None:
    merchant = Target(100000001, sog_kn=5.0, cog_deg=0.0, kind="merchant")
    fisher = Target(412000001, east_m=0.2 * NM, sog_kn=5.0, cog_deg=0.0)
    (obs,) = detect_collisions(picture(merchant, fisher), DEFAULT)
    assert obs.keys == (412000001, 100000001)
    assert obs.details["bearing_deg"] == pytest.approx(270.0, abs=0.1)
    assert (obs.lon, obs.lat) == pytest.approx((picture(fisher).lon[0], ORIGIN[1]))


# ------------------------------------------------------------------------------------------------ screening


def clustered_points(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    """Pair-trawl clusters: pairs 300–600 m apart, in groups of up to 8 pairs, groups scattered over 40 km."""
    groups = rng.uniform(0, 40_000, (max(1, n // 16), 2))
    centres = groups[rng.integers(0, len(groups), n // 2)] + rng.normal(0, 1_500, (n // 2, 2))
    angle = rng.uniform(0, 2 * np.pi, n // 2)
    half = rng.uniform(150, 300, n // 2)[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return np.vstack([centres - half, centres + half])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(200, 8_000))
def test_candidate_pairs_equal_brute_force_on_clustered_fleets(seed: int, radius_m: float) -> None:
    points = clustered_points(np.random.default_rng(seed), 400)
    found = candidate_pairs(points[:, 0], points[:, 1], radius_m)
    assert found.shape[1] == 2 and (found[:, 0] < found[:, 1]).all()
    i, j = np.triu_indices(len(points), 1)
    near = np.hypot(*(points[i] - points[j]).T) <= radius_m
    assert {tuple(p) for p in found.tolist()} == set(zip(i[near].tolist(), j[near].tolist(), strict=True))


FAST = Target(412000001, sog_kn=25.0, cog_deg=0.0)


@pytest.mark.parametrize("origin", [ORIGIN, (179.999, 60.0), (-70.0, -55.0)], ids=["zhoushan", "antimeridian", "55S"])
@pytest.mark.parametrize(
    ("own", "other", "held", "expected"),
    [
        # Passing 0.95 nm off, 1 s before the closest point, at 5 kn each: the mid-horizon points are
        # √(D² + w²) − 0.04 nm apart (w = 10 kn × 7.5 min), where that term sets the radius.
        pytest.param(
            FISHER,
            Target(2, east_m=0.95 * NM, north_m=10 * KN_TO_MS, sog_kn=5.0, cog_deg=180.0),
            False,
            Level.WARNING,
            id="cpa_now",
        ),
        # the same, 14.9 minutes before the closest point
        pytest.param(
            FISHER,
            Target(2, east_m=0.95 * NM, north_m=10 * KN_TO_MS * 894, sog_kn=5.0, cog_deg=180.0),
            False,
            Level.WARNING,
            id="cpa_at_the_horizon",
        ),
        # a held warning passing 1.35 nm off (1 nm × 1.4): beyond the radius of a situation not held
        pytest.param(
            FISHER,
            Target(2, east_m=1.35 * NM, north_m=10 * KN_TO_MS, sog_kn=5.0, cog_deg=180.0),
            True,
            Level.WARNING,
            id="held_cpa",
        ),
        # 0.29 nm apart, running away from each other at 25 kn: d + w apart, where that term sets the radius
        pytest.param(
            FAST, Target(2, north_m=-0.29 * NM, sog_kn=25.0, cog_deg=180.0), False, Level.ALARM, id="distance"
        ),
    ],
)
def test_screening_keeps_pairs_at_the_edge_of_its_reach(
    origin: tuple[float, float], own: Target, other: Target, held: bool, expected: Level
) -> None:
    subject = "2|412000001"
    pic = picture(own, other, origin=origin)
    found = detect_collisions(pic, DEFAULT, held=frozenset({subject} if held else ()))
    assert [(o.subject, o.level) for o in found] == [(subject, expected)]


def test_candidate_pairs_of_fewer_than_two_points() -> None:
    assert candidate_pairs([], [], 100.0).shape == (0, 2)
    assert candidate_pairs([1.0], [2.0], 100.0).shape == (0, 2)


def random_picture(rng: np.random.Generator, n: int, lon0: float, lat0: float) -> Picture:
    """Clustered fleets near (lon0, lat0): groups, moored and in-port boats, fast ships, unknown courses."""
    centres = rng.normal(0, 15_000, (6, 2))
    at = centres[rng.integers(0, 6, n)] + rng.normal(0, 2_500, (n, 2))
    lat = lat0 + at[:, 1] / DEG
    lon = (lon0 + at[:, 0] / (DEG * np.cos(np.radians(lat0))) + 180.0) % 360.0 - 180.0
    sog = rng.choice([0.0, 0.1, 0.3, 3.0, 4.0, 8.0, 12.0, 16.0, 25.0], n) * rng.uniform(0.8, 1.2, n)
    cog = np.where(rng.random(n) < 0.05, 360.0, rng.uniform(0, 360, n))
    kind = rng.choice(["fishing", "fishing", "merchant", "other"], n)
    return Picture(
        now=NOW,
        key=rng.permutation(np.arange(412_000_000, 412_000_000 + 3 * n))[:n].astype(np.int64),
        lon=lon,
        lat=lat,
        sog_kn=sog,
        cog_deg=cog,
        heading_deg=np.full(n, np.nan),
        nav_status=np.full(n, 15, dtype=np.int16),
        observed_at=NOW - rng.choice([5.0, 60.0, 200.0, 500.0], n, p=[0.6, 0.3, 0.05, 0.05]),
        target_class=rng.choice(["vessel"] * 8 + ["net_beacon", "aton"], n).astype("<U12"),
        kind=kind.astype("<U12"),
        source=rng.choice(["ais", "ais", "ais", "beidou"], n).astype("<U12"),
        class_b=kind == "fishing",
        vessel_id=np.where(rng.random(n) < 0.5, rng.integers(0, n, n), -1).astype(np.int64),
        group_id=np.where(rng.random(n) < 0.5, rng.integers(0, n // 4, n), -1).astype(np.int64),
        gear=np.full(n, "", dtype="<U12"),
        in_port=rng.random(n) < 0.1,
    )


def brute_force(picture: Picture, policy: CpaPolicy) -> tuple[set[tuple[str, int]], set[str]]:
    """Every pair, on local_plane about the pair's mid-latitude: (subject, level) found, and the subjects too close
    to a limit to call either way (within half a metre or half a second: the rule's sheet differs by < 4e-6)."""
    limit_s = np.where(picture.source == "beidou", policy.beidou_stale_after_s, policy.stale_after_s)
    rows = np.flatnonzero((picture.target_class == "vessel") & (picture.now - picture.observed_at <= limit_s))
    i, j = (rows[x] for x in np.triu_indices(rows.size, 1))
    east, _ = local_plane(picture.lon[j], picture.lat[j], picture.lon[i], (picture.lat[i] + picture.lat[j]) / 2)
    north = (picture.lat[j] - picture.lat[i]) * DEG
    vei, vni = velocity(picture.sog_kn[i], picture.cog_deg[i])
    vej, vnj = velocity(picture.sog_kn[j], picture.cog_deg[j])
    dcpa, tcpa = cpa_tcpa(east, north, vej - vei, vnj - vni)
    rng = np.hypot(east, north)
    moored = picture.sog_kn <= policy.moored_kn
    allowed = ~(moored[i] & moored[j]) & ~(picture.in_port[i] & picture.in_port[j])
    allowed &= ~((picture.group_id[i] == picture.group_id[j]) & (picture.group_id[i] >= 0))
    allowed &= ~((picture.vessel_id[i] == picture.vessel_id[j]) & (picture.vessel_id[i] >= 0))
    allowed &= rng <= policy.max_range_nm * NM
    closing = tcpa > 0
    alarm = (rng < policy.distance_alarm_nm * NM) | (
        closing & (dcpa < policy.alarm_dcpa_nm * NM) & (tcpa < policy.alarm_tcpa_min * 60)
    )
    warning = closing & (dcpa < policy.warning_dcpa_nm * NM) & (tcpa < policy.warning_tcpa_min * 60)
    limits_m = np.array([policy.distance_alarm_nm, policy.alarm_dcpa_nm, policy.warning_dcpa_nm]) * NM
    limits_s = np.array([0.0, policy.alarm_tcpa_min, policy.warning_tcpa_min]) * 60
    limits_m = np.append(limits_m, policy.max_range_nm * NM)
    edge = (np.abs(rng[:, None] - limits_m).min(1) < 0.5) | (np.abs(dcpa[:, None] - limits_m).min(1) < 0.5)
    edge |= np.abs(tcpa[:, None] - limits_s).min(1) < 0.5
    keys = picture.key
    subject = [f"{min(a, b)}|{max(a, b)}" for a, b in zip(keys[i].tolist(), keys[j].tolist(), strict=True)]
    found = {(subject[x], 3 if alarm[x] else 2) for x in np.flatnonzero(allowed & (alarm | warning))}
    return found, {subject[x] for x in np.flatnonzero(edge)}


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.sampled_from([(122.6, 30.0), (179.9, 10.0), (-70.0, -55.0), (5.0, 62.0)]),
    st.sampled_from([DEFAULT, CpaPolicy.opencpn()]),
)
def test_the_screened_rule_finds_exactly_what_all_pairs_find(
    seed: int, origin: tuple[float, float], policy: CpaPolicy
) -> None:
    """Around Zhoushan, across the antimeridian, far south and far north, with both presets."""
    pic = random_picture(np.random.default_rng(seed), 240, *origin)
    expected, undecidable = brute_force(pic, policy)
    found = {(o.subject, int(o.level)) for o in detect_collisions(pic, policy)}
    assert {x for x in found if x[0] not in undecidable} == {x for x in expected if x[0] not in undecidable}
    assert len(found) == len({s for s, _ in found})  # one observation per pair


def test_the_rule_and_local_plane_agree_on_the_numbers() -> None:
    pic = random_picture(np.random.default_rng(3), 240, 122.6, 30.0)
    row = {k: r for r, k in enumerate(pic.key.tolist())}
    observations = detect_collisions(pic, DEFAULT)
    assert len(observations) > 10
    for obs in observations:
        a, b = row[obs.keys[0]], row[obs.keys[1]]
        mid = (pic.lat[a] + pic.lat[b]) / 2
        east, north = local_plane(pic.lon[b], pic.lat[b], pic.lon[a], mid)
        north = (pic.lat[b] - pic.lat[a]) * DEG
        va, vb = velocity(pic.sog_kn[a], pic.cog_deg[a]), velocity(pic.sog_kn[b], pic.cog_deg[b])
        dcpa, tcpa = cpa_tcpa(east, north, vb[0] - va[0], vb[1] - va[1])
        assert obs.details["dcpa_m"] == pytest.approx(float(dcpa), abs=0.1)
        assert obs.details["tcpa_s"] == pytest.approx(float(tcpa), abs=0.1)
        assert obs.details["range_m"] == pytest.approx(math.hypot(east, north), abs=0.1)
        bearing = math.degrees(math.atan2(east, north)) % 360
        assert obs.details["bearing_deg"] == pytest.approx(bearing, abs=0.1)


# ------------------------------------------------------------------------------------------------ product defaults


def test_by_default_fishing_vessels_do_not_alert_against_each_other_but_do_against_a_merchant() -> None:
    policy = CpaPolicy.default()
    fisher = Target(412000001)
    other_fisher = Target(412000002, north_m=0.2 * NM, sog_kn=5.0, cog_deg=180.0)  # closing fast: an ALARM pair
    merchant = replace(other_fisher, key=477000001, kind="merchant")
    assert detect_collisions(picture(fisher, other_fisher), policy) == []
    found = detect_collisions(picture(fisher, merchant), policy)
    assert [(o.subject, o.level) for o in found] == [("412000001|477000001", Level.ALARM)]
    assert detect_collisions(picture(fisher, other_fisher), replace(policy, fishing_pairs=True))


def test_by_default_a_vessel_berthed_in_port_never_alerts() -> None:
    policy = CpaPolicy.default()
    berthed = Target(412000001, in_port=True)  # moored (0 kn) in port
    passing = Target(477000001, kind="merchant", north_m=0.2 * NM, sog_kn=10.0, cog_deg=180.0)
    assert detect_collisions(picture(berthed, passing), policy) == []
    moving_in_port = replace(berthed, sog_kn=3.0, cog_deg=0.0)
    assert detect_collisions(picture(moving_in_port, passing), policy)
    assert detect_collisions(picture(berthed, passing), replace(policy, berthed_targets=True))
