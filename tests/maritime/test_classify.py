"""Target classification: the MMSI formats of maritime.md §3.3, message types, and net-beacon behaviour."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pingan.maritime.classify import (
    BEACON_MAX_SOG_KN,
    BEACON_MIN_INTERVAL_S,
    BEACON_MIN_REPORTS,
    DISTRESS,
    NOT_VESSELS,
    Behaviour,
    TargetClass,
    by_behaviour,
    by_message,
    by_mmsi,
    classify,
)

# A slow Class B that nobody registered, reporting every 2 minutes: a net beacon's default cadence (maritime.md §1).
BEACON = Behaviour(registered=False, class_b=True, reports=6, median_interval_s=120.0, max_sog_kn=0.4, name=None)
# A Class B fishing boat under way, reporting every 30 s.
MOVING = Behaviour(registered=False, class_b=True, reports=6, median_interval_s=30.0, max_sog_kn=8.5, name="ZHEPUYU 1")


@pytest.mark.parametrize(
    ("mmsi", "expected"),
    [
        pytest.param(412345678, None, id="MIDXXXXXX-ship-china"),
        pytest.param(371798000, None, id="MIDXXXXXX-ship-sample-aivdm"),
        pytest.param(41234567, TargetClass.UNKNOWN, id="0MIDXXXXX-group-call"),
        pytest.param(4123456, TargetClass.BASE_STATION, id="00MIDXXXX-coast-station"),
        pytest.param(3669702, TargetClass.BASE_STATION, id="00MIDXXXX-coast-station-sample-aivdm"),
        pytest.param(111412345, TargetClass.SAR_AIRCRAFT, id="111MIDXXX-sar-aircraft"),
        pytest.param(111265591, TargetClass.SAR_AIRCRAFT, id="111MIDXXX-sar-aircraft-sample-aivdm"),
        pytest.param(994121234, TargetClass.ATON, id="99MIDXXXX-aton"),
        pytest.param(992411001, TargetClass.ATON, id="99MIDXXXX-aton-ais-raw-messages"),
        pytest.param(970412345, TargetClass.SART, id="970MIDXXX-sart"),
        pytest.param(972123456, TargetClass.MOB, id="972XXXXXX-mob"),
        pytest.param(974123456, TargetClass.EPIRB, id="974XXXXXX-epirb"),
        pytest.param(974291422, TargetClass.EPIRB, id="974XXXXXX-epirb-typeexamples"),
        pytest.param(979412345, TargetClass.NET_BEACON, id="979-amrd-group-b"),
        pytest.param(123456789, TargetClass.UNKNOWN, id="no-country-has-mid-123"),
        pytest.param(800000000, TargetClass.UNKNOWN, id="no-country-has-mid-800"),
    ],
)
def test_by_mmsi_follows_the_mmsi_formats(mmsi: int, expected: TargetClass | None) -> None:
    assert by_mmsi(mmsi) is expected


@pytest.mark.parametrize(
    ("mmsi", "expected"),
    [(200999999, TargetClass.UNKNOWN), (201000000, None), (775999999, None), (776000000, TargetClass.UNKNOWN)],
)
def test_ship_mids_run_from_201_to_775(mmsi: int, expected: TargetClass | None) -> None:
    assert by_mmsi(mmsi) is expected


def test_a_craft_associated_with_a_parent_ship_is_not_unknown() -> None:
    assert by_mmsi(984123456) is not TargetClass.UNKNOWN


@pytest.mark.parametrize(
    ("msg_type", "nav_status", "expected"),
    [
        pytest.param(21, None, TargetClass.ATON, id="type-21-aton"),
        pytest.param(4, None, TargetClass.BASE_STATION, id="type-4-base-station"),
        pytest.param(9, None, TargetClass.SAR_AIRCRAFT, id="type-9-sar-aircraft"),
        pytest.param(1, 14, TargetClass.SART, id="nav-status-14-sart-active"),
        pytest.param(27, 14, TargetClass.SART, id="nav-status-14-long-range"),
        pytest.param(1, 0, None, id="type-1-under-way"),
        pytest.param(3, 5, None, id="type-3-moored"),
        pytest.param(18, None, None, id="type-18-class-b"),
        pytest.param(1, 15, None, id="nav-status-15-undefined"),
    ],
)
def test_by_message_follows_the_message_type_and_nav_status(
    msg_type: int, nav_status: int | None, expected: TargetClass | None
) -> None:
    assert by_message(msg_type, nav_status) is expected


def test_a_utc_date_response_does_not_make_a_ship_a_base_station() -> None:
    assert by_message(11, None) is None


@pytest.mark.parametrize(
    ("mmsi", "msg_type", "nav_status", "expected"),
    [
        pytest.param(974123456, 1, 14, TargetClass.EPIRB, id="mmsi-format-before-nav-status"),
        pytest.param(992411001, 21, None, TargetClass.ATON, id="aton-by-mmsi-and-type"),
        pytest.param(412345678, 21, None, TargetClass.ATON, id="ship-format-sending-type-21"),
        pytest.param(412345678, 9, None, TargetClass.SAR_AIRCRAFT, id="ship-format-sending-type-9"),
        pytest.param(412345678, 1, 14, TargetClass.SART, id="ship-format-with-nav-status-14"),
        pytest.param(2242115, 4, None, TargetClass.BASE_STATION, id="coast-station-type-4"),
    ],
)
def test_classify_takes_the_mmsi_then_the_message(
    mmsi: int, msg_type: int, nav_status: int | None, expected: TargetClass
) -> None:
    assert classify(mmsi, msg_type, nav_status, MOVING) is expected


def test_a_type_21_from_an_odd_mmsi_is_still_an_aton() -> None:
    assert classify(123456789, 21, None, MOVING) is TargetClass.ATON


def test_a_ship_mmsi_under_way_is_a_vessel() -> None:
    assert classify(412345678, 18, None, MOVING) is TargetClass.VESSEL


@pytest.mark.parametrize(
    "name",
    ["12V", "12.6V", "13.2 V", "BAT 83%", "100 %", "NET 7", "ZHE NET", "buoy 3", "BUOY", "浙岱渔网位", "11.8v"],
)
def test_a_beacon_like_name_makes_a_net_beacon(name: str) -> None:
    assert by_behaviour(replace(MOVING, name=name)) is TargetClass.NET_BEACON


@pytest.mark.parametrize("name", ["ZHEPUYU 12345", "EVER DIADEM", "HEALTH CONTROL 13", "NETWORK 1", "VOLGA", None])
def test_an_ordinary_name_does_not_make_a_beacon(name: str | None) -> None:
    assert by_behaviour(replace(MOVING, name=name)) is TargetClass.VESSEL


def test_a_slow_class_b_at_a_two_minute_cadence_is_a_net_beacon() -> None:
    assert by_behaviour(BEACON) is TargetClass.NET_BEACON
    assert classify(412345678, 18, None, BEACON) is TargetClass.NET_BEACON


def test_the_beacon_thresholds_are_inclusive() -> None:
    edge = replace(
        BEACON,
        reports=BEACON_MIN_REPORTS,
        median_interval_s=BEACON_MIN_INTERVAL_S,
        max_sog_kn=BEACON_MAX_SOG_KN,
    )

    assert by_behaviour(edge) is TargetClass.NET_BEACON


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"class_b": False}, id="class-a"),
        pytest.param({"reports": BEACON_MIN_REPORTS - 1}, id="too-few-reports"),
        pytest.param({"median_interval_s": 30.0}, id="class-b-cadence-under-way"),
        pytest.param({"median_interval_s": BEACON_MIN_INTERVAL_S - 0.1}, id="just-under-a-minute"),
        pytest.param({"median_interval_s": None}, id="no-interval-yet"),
        pytest.param({"max_sog_kn": BEACON_MAX_SOG_KN + 0.1}, id="has-moved-faster"),
    ],
)
def test_a_target_that_does_not_behave_like_a_beacon_is_a_vessel(change: dict[str, object]) -> None:
    assert by_behaviour(replace(BEACON, **change)) is TargetClass.VESSEL  # type: ignore[arg-type]


def test_unknown_speed_does_not_prevent_a_beacon() -> None:
    assert by_behaviour(replace(BEACON, max_sog_kn=None)) is TargetClass.NET_BEACON


@pytest.mark.parametrize(
    "behaviour",
    [BEACON, replace(MOVING, name="12.5V"), replace(BEACON, name="NET 3 83%")],
    ids=["beacon-cadence", "beacon-name", "both"],
)
def test_a_registered_vessel_is_never_a_beacon(behaviour: Behaviour) -> None:
    registered = replace(behaviour, registered=True)

    assert by_behaviour(registered) is TargetClass.VESSEL
    assert classify(412345678, 18, None, registered) is TargetClass.VESSEL


def test_distress_classes_are_not_vessels() -> None:
    assert {TargetClass.SART, TargetClass.MOB, TargetClass.EPIRB} == DISTRESS
    assert DISTRESS < NOT_VESSELS
    assert TargetClass.VESSEL not in NOT_VESSELS
    assert TargetClass.NET_BEACON in NOT_VESSELS
