"""Typhoon defence: the warning area grows along the track, who is at sea inside it, the recall roll call."""

from __future__ import annotations

import doctest
import math
from datetime import UTC, datetime

import numpy as np
import pyproj
import pytest
import shapely

from pingan.maritime import typhoon
from pingan.maritime.rules import AlertKind, Level, Picture
from pingan.maritime.typhoon import (
    RollCall,
    RollStatus,
    Tally,
    TrackPoint,
    Typhoon,
    detect_typhoon,
    geodesic_circle,
    typhoon_from_json,
    vessels_at_sea_inside,
    warning_area,
)
from tests.maritime.pictures import picture

H = 3600.0
T0 = datetime(2026, 8, 1, tzinfo=UTC).timestamp()
GEOD = pyproj.Geod(ellps="WGS84")
# Heading north-west towards Zhoushan, force-7 radius growing from 200 to 300 km.
TRACK = Typhoon(
    "MEARI",
    (
        TrackPoint(T0, 126.0, 26.0, 200_000.0, 80_000.0),
        TrackPoint(T0 + 12 * H, 125.0, 27.5, 250_000.0, 100_000.0),
        TrackPoint(T0 + 24 * H, 123.5, 29.0, 300_000.0, 120_000.0),
    ),
)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def test_geodesic_circle_vertices_lie_on_the_radius() -> None:
    circle = geodesic_circle(122.0, 30.0, 150_000.0, vertices=36)
    lons, lats = np.asarray(circle.exterior.coords).T
    d = GEOD.inv(np.full(lons.size, 122.0), np.full(lons.size, 30.0), lons, lats)[2]
    assert np.allclose(d, 150_000.0, rtol=1e-9)
    assert geodesic_circle(122.0, 30.0, 0.0).is_empty and geodesic_circle(122.0, 30.0, math.nan).is_empty


def test_the_warning_area_grows_along_the_track() -> None:
    now, half, day = (warning_area(TRACK, T0, lead) for lead in (0.0, 12 * H, 24 * H))
    assert now.area < half.area < day.area
    assert half.buffer(1e-9).contains(now) and day.buffer(1e-9).contains(half)
    # The first circle is the force-7 circle at the first point, the last one the circle at the end.
    assert now.symmetric_difference(geodesic_circle(126.0, 26.0, 200_000.0)).area < 1e-9
    assert shapely.contains_xy(day, 123.5, 31.6) and not shapely.contains_xy(half, 123.5, 31.6)


def test_interpolation_between_forecast_points() -> None:
    mid = TRACK.position_at(T0 + 6 * H)
    assert (mid.lon, mid.lat, mid.radius_7_m) == pytest.approx((125.5, 26.75, 225_000.0))
    area = warning_area(TRACK, T0 + 6 * H, 0.0)
    assert area.symmetric_difference(geodesic_circle(125.5, 26.75, 225_000.0)).area < 1e-9
    # points on the path between two forecast circles are covered (the sweep, not just the circles)
    sweep = warning_area(TRACK, T0, 24 * H)
    for frac in np.linspace(0, 1, 25):
        p = TRACK.position_at(T0 + frac * 24 * H)
        lon, lat, _ = GEOD.fwd(p.lon, p.lat, 45.0, p.radius_7_m * 0.98)
        assert shapely.contains_xy(sweep, lon, lat)


def test_window_is_clipped_to_the_track_and_a_missed_window_is_empty() -> None:
    assert warning_area(TRACK, T0 - 48 * H, 12 * H).is_empty
    assert warning_area(TRACK, T0 + 30 * H, 12 * H).is_empty
    early = warning_area(TRACK, T0 - 12 * H, 24 * H)
    assert early.symmetric_difference(warning_area(TRACK, T0, 12 * H)).area < 1e-9


def test_force_10_area_is_inside_the_force_7_area() -> None:
    seven, ten = warning_area(TRACK, T0, 24 * H), warning_area(TRACK, T0, 24 * H, wind=10)
    assert ten.area < seven.area and seven.buffer(1e-9).contains(ten)
    unknown = Typhoon("X", (TrackPoint(T0, 126.0, 26.0, 200_000.0),))
    assert warning_area(unknown, T0, 0, wind=10).is_empty
    with pytest.raises(ValueError):
        warning_area(TRACK, T0, 0, wind=12)


def test_a_circle_is_valid_at_any_time() -> None:
    circle = Typhoon.circle("C", 123.0, 29.0, 100_000.0)
    assert warning_area(circle, T0 + 1e6, 0).equals(warning_area(circle, 0, 24 * H))
    assert shapely.contains_xy(warning_area(circle, T0, 0), 123.5, 29.0)


def fleet() -> Picture:
    """1: at sea near the end of the track, 2: same place in port, 3: a beacon there, 4: far north at sea."""
    return picture(
        T0,
        [1, 2, 3, 4],
        [123.5, 123.5, 123.5, 121.0],
        [30.5, 30.5, 30.5, 38.0],
        in_port=[False, True, False, False],
        target_class=["vessel", "vessel", "net_beacon", "vessel"],
        group_id=[5, 5, -1, -1],
    )


def test_vessels_at_sea_inside_the_area_are_listed() -> None:
    assert distance_m(126.0, 26.0, 123.5, 30.5) > 300_000  # outside the circle now …
    assert vessels_at_sea_inside(fleet(), warning_area(TRACK, T0, 0)).tolist() == []
    assert vessels_at_sea_inside(fleet(), warning_area(TRACK, T0, 24 * H)).tolist() == [1]  # … inside in a day
    assert vessels_at_sea_inside(Picture.empty(T0), warning_area(TRACK, T0, 24 * H)).tolist() == []
    (obs,) = detect_typhoon(fleet(), warning_area(TRACK, T0, 24 * H), "MEARI")
    assert (obs.kind, obs.subject, obs.level, obs.keys) == (AlertKind.TYPHOON, "1@typhoon:MEARI", Level.ALARM, (1,))


def test_track_must_be_in_time_order() -> None:
    with pytest.raises(ValueError, match="order"):
        Typhoon("X", (TrackPoint(10, 0, 0, 1), TrackPoint(10, 0, 0, 1)))
    with pytest.raises(ValueError, match="at least one"):
        Typhoon("X", ())


# ------------------------------------------------------------------------------------------------ roll call

SHELTER = shapely.box(122.30, 29.90, 122.40, 30.00)  # a 避风锚地


def at(now: float, rows: dict[int, tuple[float, float, bool]]) -> Picture:
    keys = list(rows)
    return picture(now, keys, [rows[k][0] for k in keys], [rows[k][1] for k in keys],
                   in_port=[rows[k][2] for k in keys])  # fmt: skip


def test_roll_call_reaches_100_percent_with_a_timeline_and_breakdowns() -> None:
    call = RollCall([SHELTER], group_of={1: 5, 2: 5, 3: 6}, township_of={1: "沈家门", 2: "沈家门", 3: "虾峙"})
    call.start([1, 2, 3, 4], T0)
    assert call.tally == Tally(0, 4) and not call.complete and call.outstanding() == [1, 2, 3, 4]
    sea, shelter, port = (123.0, 30.0, False), (122.35, 29.95, False), (122.1, 30.0, True)
    call.update(at(T0 + H, {1: sea, 2: sea, 3: sea}))
    assert call.status == {1: RollStatus.AT_SEA, 2: RollStatus.AT_SEA, 3: RollStatus.AT_SEA, 4: RollStatus.UNKNOWN}
    call.update(at(T0 + 2 * H, {1: port, 2: shelter, 3: sea, 4: sea}))
    assert call.by_group() == {5: Tally(2, 2), 6: Tally(0, 1), None: Tally(0, 1)}
    assert call.by_township()["沈家门"].share == 1.0
    call.update(at(T0 + 3 * H, {3: port}))  # 1, 2 and 4 are not in this picture: they keep their status
    assert call.outstanding() == [4] and call.completed_at is None
    point = call.update(at(T0 + 4 * H, {4: shelter, 9: sea}))  # 9 was not recalled
    assert call.complete and call.completed_at == T0 + 4 * H and point.tally == Tally(4, 4)
    assert [(p.at - T0) / H for p in call.timeline] == [0, 1, 2, 3, 4]
    assert [p.tally.share for p in call.timeline] == [0.0, 0.0, 0.5, 0.75, 1.0]
    assert call.timeline[2].counts == {"in_port": 1, "sheltered": 1, "at_sea": 2, "unknown": 0}
    assert 9 not in call.status


def test_a_vessel_that_sails_again_is_no_longer_done() -> None:
    call = RollCall()
    call.start([1], T0)
    call.update(at(T0 + H, {1: (122.1, 30.0, True)}))
    assert call.complete and call.completed_at == T0 + H
    call.update(at(T0 + 2 * H, {1: (123.0, 30.0, False)}))
    assert not call.complete and call.completed_at == T0 + H  # the first completion is kept
    assert call.status[1] is RollStatus.AT_SEA


def test_an_empty_recall_is_complete() -> None:
    call = RollCall()
    call.start([], T0)
    assert call.complete and call.tally.share == 1.0


# ------------------------------------------------------------------------------------------------ JSON

# The shape the fleet simulator writes to <data_dir>/sim/typhoon.json (pingan.demo.simulator._typhoon, as written
# by sim_runner.trigger), two points of a real run.
SIMULATOR_JSON = {
    "scenario": "typhoon",
    "started_at": "2026-08-01T00:00:00Z",
    "name": "DEMO",
    "warning_radius_km": 500.0,
    "speed_kmh": 20.0,
    "track": [
        {"at": "2026-08-01T00:00:00Z", "lon": 126.314, "lat": 26.697, "r7_km": 300, "r10_km": 150, "r12_km": 75,
         "max_wind_ms": 45, "pressure_hpa": 950},
        {"at": "2026-08-01T01:00:00Z", "lon": 126.172, "lat": 26.824, "r7_km": 301, "r10_km": 150, "r12_km": 75,
         "max_wind_ms": 45, "pressure_hpa": 950},
    ],
    "at_sea": 120,
    "recalled": 80,
}  # fmt: skip


def test_typhoon_from_the_simulator_file() -> None:
    t = typhoon_from_json(SIMULATOR_JSON)
    assert t.name == "DEMO" and len(t.points) == 2
    assert t.points[1] == TrackPoint(T0 + H, 126.172, 26.824, 301_000.0, 150_000.0)


def test_typhoon_from_points_and_from_a_circle() -> None:
    t = typhoon_from_json({"name": "P", "points": [
        {"at": "2026-08-01T09:00:00+08:00", "lon": 125, "lat": 27, "radius_7_km": 250, "radius_10_km": 90},
        {"at": T0 - H, "lon": 126, "lat": 26, "radius_7_m": 200_000},
    ]})  # fmt: skip
    assert [p.at for p in t.points] == [T0 - H, T0 + H]  # sorted; +08:00 is UTC 01:00
    assert math.isnan(t.points[0].radius_10_m) and t.points[1].radius_10_m == 90_000.0
    c = typhoon_from_json({"name": "C", "lon": 123, "lat": 29, "radius_7_km": 100})
    assert len(c.points) == 1 and c.points[0].radius_7_m == 100_000.0


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([], "JSON object"),
        ({"points": []}, "'name'"),
        ({"name": "X", "points": []}, "non-empty list"),
        ({"name": "X", "points": [{"at": "2026-08-01T00:00:00", "lon": 1, "lat": 1, "r7_km": 1}]}, "UTC offset"),
        ({"name": "X", "points": [{"at": "yesterday", "lon": 1, "lat": 1, "r7_km": 1}]}, "ISO 8601"),
        ({"name": "X", "points": [{"at": 0, "lon": 1, "lat": 1}]}, "point 0: needs 'radius_7_m'"),
        ({"name": "X", "points": [{"at": 0, "lon": 1, "lat": 1, "r7_km": "big"}]}, "'r7_km' must be a number"),
        ({"name": "X", "points": [{"at": 0, "lon": 200, "lat": 1, "r7_km": 1}]}, "out of range"),
        ({"name": "X", "points": [{"at": 0, "lon": 1, "lat": 1, "r7_km": 1}] * 2}, "order"),
    ],
)
def test_typhoon_from_json_says_what_is_wrong(obj: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        typhoon_from_json(obj)


def test_examples_run() -> None:
    result = doctest.testmod(typhoon)
    assert result.failed == 0 and result.attempted > 0
