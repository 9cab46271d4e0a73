"""Distress: beacons, AIS-SART status and safety messages are always the top level, with the probable casualty."""

from __future__ import annotations

import doctest
import math

import pytest

from pingan.maritime import distress
from pingan.maritime.distress import SafetyMessage, detect_distress, is_distress_message
from pingan.maritime.rules import AlertKind, Debouncer, EventType, Level, Picture, Timing
from tests.maritime.pictures import offset, picture

NOW = 1_800_000_000.0
LON, LAT = 122.8, 29.8
SART, MOB = 970_123_456, 972_000_777
SHIP, NEAR, FAR, MOORED = 413_000_001, 413_000_002, 413_000_003, 413_000_004


def scene(beacon_class: str = "sart", beacon_key: int = SART, **beacon: object) -> Picture:
    """A beacon, a vessel 300 m from it, one 5 km off, and one in port 100 m away."""
    points = [(0, 0), (300, 0), (5000, 0), (0, 100)]
    lonlat = [offset(LON, LAT, e, n) for e, n in points]
    nav = beacon.get("nav_status", 14)
    return picture(
        NOW,
        [beacon_key, NEAR, FAR, MOORED],
        [p[0] for p in lonlat],
        [p[1] for p in lonlat],
        target_class=[beacon_class, "vessel", "vessel", "vessel"],
        nav_status=[nav, 0, 0, 5],
        in_port=[False, False, False, True],
    )


def test_a_sart_is_distress_with_the_nearest_vessel_at_sea_as_casualty() -> None:
    (obs,) = detect_distress(scene(), [])
    assert obs.kind is AlertKind.DISTRESS and obs.level is Level.DISTRESS
    assert obs.subject == str(SART) and obs.keys == (SART, NEAR)
    assert obs.details["casualty_key"] == NEAR
    assert obs.details["casualty_distance_m"] == pytest.approx(300, rel=0.01)
    assert [k for k, _ in obs.details["nearby"]] == [FAR]  # the moored vessel is not at sea
    assert obs.details["nearby"][0][1] == pytest.approx(5000, rel=0.01)


@pytest.mark.parametrize("cls", ["sart", "mob", "epirb"])
def test_every_beacon_class_is_distress_whatever_its_status(cls: str) -> None:
    (obs,) = detect_distress(scene(cls, nav_status=15), [])
    assert obs.level is Level.DISTRESS and obs.details["target_class"] == cls


def test_a_beacon_far_from_everyone_has_no_casualty_but_says_who_is_nearest() -> None:
    far = picture(NOW, [MOB, SHIP], [LON, LON + 1.0], [LAT, LAT], target_class=["mob", "vessel"])
    (obs,) = detect_distress(far, [])
    assert obs.keys == (MOB,) and obs.details["casualty_key"] is None
    assert obs.details["nearest_vessel_key"] == SHIP
    assert obs.details["nearest_vessel_distance_m"] == pytest.approx(96_600, rel=0.01)


def test_a_vessel_with_sart_status_is_its_own_casualty() -> None:
    pic = picture(NOW, [SHIP, NEAR], [LON, LON + 0.01], [LAT, LAT], nav_status=[14, 0])
    (obs,) = detect_distress(pic, [])
    assert obs.keys == (SHIP,) and obs.details["casualty_key"] == SHIP
    assert [k for k, _ in obs.details["nearby"]] == [NEAR]


def msg(mmsi: int, text: str, age_s: float = 30.0, msg_type: int = 14) -> SafetyMessage:
    return SafetyMessage(mmsi, msg_type, text, NOW - age_s)


@pytest.mark.parametrize(
    ("message", "distress_"),
    [
        (msg(SHIP, "MAYDAY MAYDAY FIRE"), True),
        (msg(SHIP, "mayday taking water"), True),
        (msg(SART, "SART ACTIVE"), True),
        (msg(MOB, "HELP"), True),  # anything from a 972 MMSI
        (msg(974_000_001, ""), True),
        (msg(SHIP, "AIS-SART SIGHTED 2NM N"), True),
        (msg(SHIP, "MOBILE CRANE WORKING"), False),
        (msg(SHIP, "SECURITE NAV WARNING"), False),
        (msg(SART, "SART TEST"), False),
        (msg(MOB, "MOB TEST"), False),
        (msg(SHIP, "MAYDAY THIS IS NOT A TEST"), True),
        (msg(SHIP, "MAYDAY", msg_type=12), False),  # only broadcasts (type 14)
    ],
)
def test_safety_messages(message: SafetyMessage, distress_: bool) -> None:
    assert is_distress_message(message) is distress_
    pic = picture(NOW, [SHIP], [LON], [LAT])
    obs = detect_distress(pic, [message])
    assert len(obs) == int(distress_)
    if obs:
        assert obs[0].level is Level.DISTRESS and obs[0].subject == str(message.mmsi)


def test_a_message_from_a_sender_not_in_the_picture_has_no_position() -> None:
    (obs,) = detect_distress(Picture.empty(NOW), [msg(SART, "SART ACTIVE")])
    assert obs.keys == (SART,) and math.isnan(obs.lon) and obs.details["position_known"] is False


def test_old_messages_age_out() -> None:
    assert detect_distress(Picture.empty(NOW), [msg(SHIP, "MAYDAY", age_s=901)]) == []
    assert len(detect_distress(Picture.empty(NOW), [msg(SHIP, "MAYDAY", age_s=899)])) == 1


def test_a_beacon_in_test_mode_is_not_distress() -> None:
    assert detect_distress(scene(nav_status=15), [msg(SART, "SART TEST")]) == []


def test_target_and_messages_of_one_mmsi_make_one_situation() -> None:
    (obs,) = detect_distress(scene(), [msg(SART, "SART ACTIVE", 60), msg(SART, "SART ACTIVE", 10)])
    assert obs.keys == (SART, NEAR) and len(obs.details["messages"]) == 2


def test_distress_is_raised_at_once_whatever_the_timing() -> None:
    debouncer = Debouncer(default=Timing(raise_after_s=600.0))
    events = debouncer.update(detect_distress(scene(), []), NOW)
    assert [(e.type, e.observation.level) for e in events] == [(EventType.RAISED, Level.DISTRESS)]


def test_ordinary_targets_are_not_distress() -> None:
    assert detect_distress(scene("vessel", SHIP, nav_status=0), []) == []
    assert detect_distress(Picture.empty(NOW), []) == []


def test_examples_run() -> None:
    result = doctest.testmod(distress)
    assert result.failed == 0 and result.attempted > 0
