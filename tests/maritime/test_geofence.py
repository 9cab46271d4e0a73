"""Geofences: hysteresis on the boundary, dwell, closures by date and gear, GeoJSON import."""

from __future__ import annotations

import ast
import doctest
import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import shapely

from pingan.maritime import geofence
from pingan.maritime.geofence import (
    ALL_GEARS,
    Area,
    AreaKind,
    AreaRules,
    Closure,
    GeofenceTracker,
    area_to_feature,
    areas_from_geojson,
    buffer_m,
    transition_timings,
)
from pingan.maritime.rules import AlertKind, Debouncer, EventType, Level, Observation, Picture
from tests.maritime.pictures import offset, picture

W, S, E, N = 122.0, 30.0, 122.1, 30.1
SQUARE = shapely.box(W, S, E, N)
MID_LAT = 30.05
ALERTING = Area("R1", "禁航区", AreaKind.RESTRICTED, SQUARE, AreaRules(alert_on_enter=True, alert_on_exit=True))
DAY = date(2026, 6, 1)


def at_west_edge(east_m: float) -> tuple[float, float]:
    """A point ``east_m`` east of the square's west edge (negative: outside)."""
    return offset(W, MID_LAT, east_m=east_m)


def one(now: float, east_m: float, **cols: object) -> Picture:
    lon, lat = at_west_edge(east_m)
    return picture(now, [413000001], [lon], [lat], **cols)


def run(tracker: GeofenceTracker, offsets: list[float], areas: list[Area], **cols: object) -> list[AlertKind]:
    return [kind for _, kind in steps(tracker, offsets, areas, **cols)]


def steps(
    tracker: GeofenceTracker, offsets: list[float], areas: list[Area], **cols: object
) -> list[tuple[float, AlertKind]]:
    """(offset, kind) of every observation while the vessel visits the offsets in turn."""
    out = []
    for t, east_m in enumerate(offsets):
        out += [(east_m, o.kind) for o in tracker.update(one(float(t * 10), east_m, **cols), areas, [], DAY)]
    return out


def test_jitter_on_the_boundary_gives_exactly_one_enter_and_no_storm() -> None:
    tracker = GeofenceTracker(hysteresis_m=50.0)
    jitter = [-500, -30, 30, -40, 40, -20, 45, 60, 30, -30, 20, -45, 10, 200]
    assert steps(tracker, jitter, [ALERTING]) == [(60, AlertKind.GEOFENCE_ENTER)]
    assert 413000001 in tracker.inside("R1")


def test_exit_needs_the_band_outside_and_reports_once() -> None:
    tracker = GeofenceTracker(hysteresis_m=50.0)
    got = steps(tracker, [-500, 200, -30, 30, -49, -60, -40, -70, -2000], [ALERTING])
    assert got == [(200, AlertKind.GEOFENCE_ENTER), (-60, AlertKind.GEOFENCE_EXIT)]
    assert tracker.inside("R1") == {}


def test_without_hysteresis_the_same_jitter_storms() -> None:
    kinds = run(GeofenceTracker(hysteresis_m=0.0), [-500, -30, 30, -40, 40, -20, 45], [ALERTING])
    assert kinds.count(AlertKind.GEOFENCE_ENTER) == 3 and kinds.count(AlertKind.GEOFENCE_EXIT) == 2


def test_enter_observation_names_area_and_vessel() -> None:
    tracker = GeofenceTracker()
    tracker.update(one(0.0, -500), [ALERTING], [], DAY)
    (obs,) = tracker.update(one(10.0, 500), [ALERTING], [], DAY)
    assert obs.subject == "413000001@R1" and obs.keys == (413000001,) and obs.level is Level.WARNING
    assert obs.details["area"] == "R1" and obs.details["entered_at"] == 10.0
    assert obs.lon == pytest.approx(at_west_edge(500)[0])


def test_first_sighting_inside_is_recorded_silently_and_a_new_area_too() -> None:
    tracker = GeofenceTracker()
    assert tracker.update(one(0.0, 500), [ALERTING], [], DAY) == []
    assert tracker.inside("R1") == {413000001: 0.0}
    other = Area("R2", "second", AreaKind.PROTECTED, SQUARE, ALERTING.rules)
    assert tracker.update(one(10.0, 500), [ALERTING, other], [], DAY) == []  # R2 is new: no storm
    assert tracker.inside("R2") == {413000001: 10.0}
    kinds = [o.kind for o in tracker.update(one(20.0, -500), [ALERTING, other], [], DAY)]
    assert kinds == [AlertKind.GEOFENCE_EXIT, AlertKind.GEOFENCE_EXIT]


def test_a_vessel_missing_from_the_picture_keeps_its_state_until_forgotten() -> None:
    tracker = GeofenceTracker()
    tracker.update(one(0.0, -500), [ALERTING], [], DAY)
    tracker.update(one(10.0, 500), [ALERTING], [], DAY)
    assert tracker.update(Picture.empty(20.0), [ALERTING], [], DAY) == []
    assert 413000001 in tracker.inside("R1")
    nan = picture(30.0, [413000001], [np.nan], [np.nan])
    assert tracker.update(nan, [ALERTING], [], DAY) == []
    tracker.forget([413000001])
    assert tracker.inside("R1") == {}
    assert tracker.update(one(40.0, 500), [ALERTING], [], DAY) == []  # first sighting again


def test_dwell_is_observed_every_update_once_over_the_limit() -> None:
    area = Area("A1", "锚地", AreaKind.ANCHORAGE, SQUARE, AreaRules(max_dwell_s=3600.0, level=Level.ALARM))
    tracker = GeofenceTracker()
    tracker.update(one(0.0, -500), [area], [], DAY)
    assert tracker.update(one(100.0, 500), [area], [], DAY) == []  # entered, but no enter alert asked
    assert tracker.update(one(3700.0, 500), [area], [], DAY) == []  # 3600 s: not yet over
    (obs,) = tracker.update(one(3701.0, 500), [area], [], DAY)
    assert obs.kind is AlertKind.GEOFENCE_DWELL and obs.level is Level.ALARM
    assert obs.details["dwell_s"] == 3601.0 and obs.details["max_dwell_s"] == 3600.0
    assert len(tracker.update(one(3800.0, 500), [area], [], DAY)) == 1
    assert tracker.update(one(3900.0, -500), [area], [], DAY) == []  # left: no exit alert asked, no dwell


def test_rules_apply_only_to_their_kinds_and_only_vessels_are_watched() -> None:
    merchant_only = Area("CH", "航道", AreaKind.CHANNEL, SQUARE, AreaRules(alert_on_enter=True,
                         applies_to=frozenset({"merchant"})))  # fmt: skip
    tracker = GeofenceTracker()
    lon_out, lat = at_west_edge(-500)
    lon_in, _ = at_west_edge(500)
    keys = [1, 2, 3]
    cols = {"kind": ["fishing", "merchant", "other"], "target_class": ["vessel", "vessel", "net_beacon"]}
    tracker.update(picture(0.0, keys, [lon_out] * 3, [lat] * 3, **cols), [merchant_only], [], DAY)
    obs = tracker.update(picture(10.0, keys, [lon_in] * 3, [lat] * 3, **cols), [merchant_only], [], DAY)
    assert [o.keys for o in obs] == [(2,)]
    assert set(tracker.inside("CH")) == {1, 2}  # the fishing vessel is tracked (counts), not alerted


def test_enter_is_raised_at_once_with_transition_timings() -> None:
    debouncer = Debouncer(transition_timings())
    tracker = GeofenceTracker()
    debouncer.update(tracker.update(one(0.0, -500), [ALERTING], [], DAY), 0.0)
    events = debouncer.update(tracker.update(one(10.0, 500), [ALERTING], [], DAY), 10.0)
    assert [(e.type, e.observation.kind) for e in events] == [(EventType.RAISED, AlertKind.GEOFENCE_ENTER)]


def test_duplicate_area_codes_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        GeofenceTracker().update(one(0.0, 0.0), [ALERTING, ALERTING], [], DAY)


def test_many_vessels_crossing_are_handled_in_one_vectorised_update() -> None:
    n = 5000
    rng = np.random.default_rng(1)
    north = rng.uniform(100, 10_000, n)
    keys = np.arange(n) + 413_000_000
    lat = S + north / geofence.M_PER_DEG
    outside = np.full(n, at_west_edge(-300)[0])
    inside = np.full(n, at_west_edge(300)[0])
    tracker = GeofenceTracker()
    tracker.update(picture(0.0, keys, outside, lat), [ALERTING], [], DAY)
    started = time.perf_counter()
    obs = tracker.update(picture(10.0, keys, inside, lat), [ALERTING], [], DAY)
    assert time.perf_counter() - started < 2.0
    assert len(obs) == n and {o.kind for o in obs} == {AlertKind.GEOFENCE_ENTER}


# ------------------------------------------------------------------------------------------------ closures

MORATORIUM = Closure("FX-2026", "伏季休渔", SQUARE, frozenset({"trawl"}), date(2026, 5, 1), date(2026, 9, 16))


def closure_obs(day: date, closures: tuple[Closure, ...] = (MORATORIUM,), **cols: object) -> list[Observation]:
    cols.setdefault("gear", "trawl")
    cols.setdefault("sog_kn", 3.0)
    return GeofenceTracker().update(one(0.0, 500, **cols), [], closures, day)


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2026, 4, 30), 0), (date(2026, 5, 1), 1), (date(2026, 7, 1), 1), (date(2026, 9, 16), 1),
     (date(2026, 9, 17), 0)],
)  # fmt: skip
def test_closure_is_active_only_on_its_dates(day: date, expected: int) -> None:
    assert len(closure_obs(day)) == expected


def test_closure_applies_only_to_its_gears_at_sea_and_inside() -> None:
    (obs,) = closure_obs(DAY)
    assert obs.kind is AlertKind.CLOSURE and obs.subject == "413000001@FX-2026"
    assert closure_obs(DAY, gear="longline") == []
    assert closure_obs(DAY, gear="") == []
    assert closure_obs(DAY, in_port=True) == []
    assert closure_obs(DAY, target_class="net_beacon") == []
    outside = GeofenceTracker().update(one(0.0, -500, gear="trawl", sog_kn=3.0), [], [MORATORIUM], DAY)
    assert outside == []
    every_gear = Closure("ALL", "全封", SQUARE, frozenset({ALL_GEARS}), DAY, DAY)
    assert len(closure_obs(DAY, (every_gear,), gear="longline")) == 1
    assert closure_obs(DAY, (every_gear,), gear="") == []


@pytest.mark.parametrize(
    ("sog_kn", "level"), [(0.5, Level.ALARM), (5.0, Level.ALARM), (5.1, Level.WARNING), (np.nan, Level.WARNING)]
)
def test_closure_level_says_whether_the_speed_looks_like_fishing(sog_kn: float, level: Level) -> None:
    (obs,) = closure_obs(DAY, sog_kn=sog_kn)
    assert obs.level is level
    assert obs.details["fishing_like"] is (level is Level.ALARM)


# ------------------------------------------------------------------------------------------------ geometry


def test_buffer_m_grows_and_shrinks_by_metres_in_both_directions() -> None:
    grown, shrunk = buffer_m(SQUARE, 1000.0), buffer_m(SQUARE, -1000.0)
    assert shapely.contains_xy(grown, *offset(W, MID_LAT, east_m=-990))
    assert not shapely.contains_xy(grown, *offset(W, MID_LAT, east_m=-1010))
    assert shapely.contains_xy(grown, *offset(122.05, N, north_m=990))
    assert not shapely.contains_xy(shrunk, *offset(W, MID_LAT, east_m=990))
    assert shapely.contains_xy(shrunk, *offset(W, MID_LAT, east_m=1010))
    assert buffer_m(shapely.box(W, S, W + 0.0001, S + 0.0001), -50.0).is_empty


# ------------------------------------------------------------------------------------------------ GeoJSON

RING = [[122, 30], [122.1, 30], [122.1, 30.1], [122, 30.1], [122, 30]]


def fc(*features: object) -> dict[str, object]:
    return {"type": "FeatureCollection", "features": list(features)}


def feature(geometry: object = None, **props: object) -> dict[str, object]:
    base: dict[str, object] = {"code": "G1", "name": "一号网格", "kind": "control"}
    base.update(props)
    return {"type": "Feature", "geometry": geometry or {"type": "Polygon", "coordinates": [RING]}, "properties": base}


def test_areas_from_geojson_reads_rules_and_round_trips() -> None:
    obj = fc(
        feature(alert_on_enter=True, max_dwell_s=7200, applies_to=["fishing"], level="alarm"),
        feature(code="P1", kind="protected",
                geometry={"type": "MultiPolygon", "coordinates": [[RING], [[[123, 30], [123.1, 30], [123, 30.1],
                                                                               [123, 30]]]]}),
    )  # fmt: skip
    grid, protected = areas_from_geojson(obj)
    assert grid.rules == AreaRules(True, False, 7200.0, frozenset({"fishing"}), Level.ALARM)
    assert protected.kind is AreaKind.PROTECTED and protected.geometry.geom_type == "MultiPolygon"
    again = areas_from_geojson(fc(*(area_to_feature(a) for a in (grid, protected))))
    assert [(a.code, a.rules, a.geometry.equals(b.geometry)) for a, b in zip(again, (grid, protected), strict=True)] \
        == [("G1", grid.rules, True), ("P1", protected.rules, True)]  # fmt: skip


BOWTIE = {"type": "Polygon", "coordinates": [[[122, 30], [122.1, 30.1], [122.1, 30], [122, 30.1], [122, 30]]]}


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"type": "Feature"}, "FeatureCollection"),
        ({"type": "FeatureCollection"}, "'features' list"),
        (fc({"type": "Feature", "geometry": None}), "feature 0: has no properties"),
        (fc(feature(code="")), "property 'code' is missing"),
        (fc(feature(name=None)), "property 'name' is missing"),
        (fc(feature(kind="harbour")), r"feature 0 \(G1\): kind must be one of"),
        (fc(feature(), feature()), r"feature 1 \(G1\): code is used twice"),
        (fc(feature({"type": "Point", "coordinates": [122, 30]})), "Polygon or MultiPolygon"),
        (fc(feature(BOWTIE)), "invalid .*Self-intersection"),
        (fc(feature({"type": "Polygon", "coordinates": [[[30, 122], [30.1, 122], [30.1, 122.1], [30, 122]]]})),
         "longitude, latitude"),
        (fc(feature({"type": "Polygon", "coordinates": [[[122, 30], [122.1]]]})), "malformed"),
        (fc(feature({"type": "Polygon", "coordinates": []})), "empty"),
        (fc(feature(max_dwell_s=-5)), "max_dwell_s must be a positive"),
        (fc(feature(alert_on_enter="yes")), "alert_on_enter must be true or false"),
        (fc(feature(applies_to=["tanker"])), "applies_to must be"),
        (fc(feature(level="severe")), "level must be one of"),
    ],
)  # fmt: skip
def test_areas_from_geojson_says_what_is_wrong(obj: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        areas_from_geojson(obj)


# ------------------------------------------------------------------------------------------------ house rules


def test_module_is_pure_and_its_examples_run() -> None:
    tree = ast.parse(Path(geofence.__file__).read_text("utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not {m for m in imported if m.startswith(("fastapi", "sqlalchemy", "pingan.db", "pingan.config"))}
    result = doctest.testmod(geofence)
    assert result.failed == 0 and result.attempted > 0


def test_a_vessel_seen_far_off_enters_on_its_first_report_near_the_area() -> None:
    # An engine that passes update() only the targets near its areas: the vessel is 5 km out (seen, not passed),
    # then its next fix (BeiDou, 10 minutes on) is already inside.
    tracker = GeofenceTracker()
    tracker.see(one(0.0, -5000.0))
    assert tracker.update(Picture.empty(0.0), [ALERTING], [], DAY) == []
    (entered,) = tracker.update(one(600.0, 500.0), [ALERTING], [], DAY)
    assert entered.kind is AlertKind.GEOFENCE_ENTER


def test_a_vessel_never_seen_before_that_appears_inside_is_first_seen_not_entering() -> None:
    tracker = GeofenceTracker()
    tracker.update(Picture.empty(0.0), [ALERTING], [], DAY)
    assert tracker.update(one(600.0, 500.0), [ALERTING], [], DAY) == []
    assert 413000001 in tracker.inside("R1") and tracker.inside_keys().tolist() == [413000001]


def test_closures_alone_match_what_update_adds() -> None:
    closure = Closure("C1", "伏休", SQUARE, frozenset({ALL_GEARS}), date(2026, 5, 1), date(2026, 9, 16))
    pic = one(0.0, 500.0, gear=["trawl"], sog_kn=[2.0])
    via_update = GeofenceTracker().update(pic, [], [closure], DAY)
    assert GeofenceTracker().closures(pic, [closure], DAY) == via_update and len(via_update) == 1


def test_a_picture_of_some_targets_keeps_their_rows_and_the_instant() -> None:
    both = picture(5.0, [1, 2], [122.0, 122.5], [30.0, 30.5])
    second = both.take(np.array([False, True]))
    assert second.now == 5.0 and second.key.tolist() == [2] and second.lon.tolist() == [122.5]
    assert second.take(np.array([0], dtype=np.intp)).size == 1
