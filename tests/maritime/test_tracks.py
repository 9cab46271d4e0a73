"""The track table: each sanity filter, jump recovery, dead reckoning, change feeds, and the batch form."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from pingan.maritime.classify import TargetClass
from pingan.maritime.reports import PositionReport, Source
from pingan.maritime.tracks import (
    CLASS_CODES,
    EARTH_RADIUS_M,
    SOURCE_CODES,
    FilterPolicy,
    Refusal,
    TrackTable,
    dead_reckon,
    haversine_m,
)

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
MMSI = 412345678
SEA = (122.60, 30.00)  # east of Zhoushan island, open water
ZHOUSHAN = (122.20, 30.02)  # on Zhoushan island
DEG_M = EARTH_RADIUS_M * math.pi / 180.0  # metres per degree of latitude on the model sphere
NM = 1852.0


def fix(
    seconds: float,
    lon: float | None = SEA[0],
    lat: float | None = SEA[1],
    *,
    mmsi: int = MMSI,
    sog_kn: float | None = 1.0,
    cog_deg: float | None = 90.0,
    msg_type: int = 1,
    low_res: bool = False,
    **extra: Any,
) -> PositionReport:
    """A constructed position report `seconds` after T0."""
    return PositionReport(
        observed_at=T0 + timedelta(seconds=seconds),
        lon=lon,
        lat=lat,
        source=extra.pop("source", Source.AIS),
        mmsi=mmsi,
        sog_kn=sog_kn,
        cog_deg=cog_deg,
        msg_type=msg_type,
        low_res=low_res,
        **extra,
    )


@pytest.fixture(scope="module")
def land() -> Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.bool_]]:
    """The GLOBE 1 km land mask as the track table's land test (lon, lat order)."""
    from global_land_mask import globe

    def is_land(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
        return np.asarray(globe.is_land(lat, lon), dtype=np.bool_)

    return is_land


def test_the_land_mask_puts_zhoushan_on_land_and_the_sea_east_of_it_at_sea(land: Any) -> None:
    got = land(np.array([ZHOUSHAN[0], SEA[0]]), np.array([ZHOUSHAN[1], SEA[1]]))

    assert got.tolist() == [True, False]


def test_a_first_report_creates_the_row() -> None:
    table = TrackTable()

    assert (
        table.update(fix(0, sog_kn=4.5, cog_deg=45.0, heading_deg=44.0, nav_status=7), MMSI, TargetClass.VESSEL) is None
    )

    row = table.index[MMSI]
    assert (table.size, table.accepted, table.seq, int(table.updated_seq[row])) == (1, 1, 1, 1)
    assert (float(table.lon[row]), float(table.lat[row])) == SEA
    assert (float(table.sog_kn[row]), float(table.cog_deg[row]), float(table.heading_deg[row])) == (4.5, 45.0, 44.0)
    assert int(table.nav_status[row]) == 7
    assert float(table.observed_at[row]) == float(table.first_seen_at[row]) == T0.timestamp()
    assert CLASS_CODES[int(table.target_class[row])] is TargetClass.VESSEL
    assert SOURCE_CODES[int(table.source[row])] is Source.AIS


def test_missing_values_are_nan_and_minus_one() -> None:
    table = TrackTable()

    table.update(fix(0, sog_kn=None, cog_deg=None), MMSI, TargetClass.VESSEL)

    row = table.index[MMSI]
    assert math.isnan(table.sog_kn[row]) and math.isnan(table.cog_deg[row]) and math.isnan(table.heading_deg[row])
    assert int(table.nav_status[row]) == -1 and int(table.vessel_id[row]) == -1


# Each refusal: (reason, the reports before it, the refused report); the table's land test is the GLOBE mask.
REFUSALS = [
    (Refusal.NO_POSITION, [], fix(0, lon=None, lat=None)),
    (Refusal.NO_POSITION, [], fix(0, lat=math.nan)),
    (Refusal.OUT_OF_RANGE, [], fix(0, lon=200.231667)),
    (Refusal.OUT_OF_RANGE, [], fix(0, lat=-91.5)),
    (Refusal.ON_LAND, [], fix(0, *ZHOUSHAN)),
    (Refusal.JUMP, [fix(0)], fix(10, lon=SEA[0] + 1.0)),  # about 96 km in 10 s
    (Refusal.STALE, [fix(60)], fix(30)),
    (Refusal.DUPLICATE, [fix(60)], fix(60)),
    (Refusal.LOW_RES_REDUNDANT, [fix(0)], fix(1800, msg_type=27, low_res=True)),
]


@pytest.mark.parametrize(
    ("reason", "before", "report"), REFUSALS, ids=[f"{r[0].value}-{i}" for i, r in enumerate(REFUSALS)]
)
def test_each_filter_refuses_and_counts_its_reason(
    land: Any, reason: Refusal, before: list[PositionReport], report: PositionReport
) -> None:
    table = TrackTable(land=land)
    for earlier in before:
        assert table.update(earlier, MMSI, TargetClass.VESSEL) is None
    state = (table.seq, table.size, table.accepted)

    assert table.update(report, MMSI, TargetClass.VESSEL) is reason

    assert table.refused == {reason.value: 1}
    assert (table.seq, table.size, table.accepted) == state  # nothing moved


def test_every_refusal_reason_is_tested() -> None:
    # unknown_terminal comes from the pipeline, which owns the vessel index (test_pipeline.py).
    assert {r[0] for r in REFUSALS} | {Refusal.UNKNOWN_TERMINAL} == set(Refusal)


def test_a_point_at_sea_passes_the_land_test(land: Any) -> None:
    table = TrackTable(land=land)

    assert table.update(fix(0, *SEA), MMSI, TargetClass.VESSEL) is None


def test_a_type_27_after_an_hour_without_a_full_report_is_accepted() -> None:
    table = TrackTable()
    table.update(fix(0), MMSI, TargetClass.VESSEL)

    assert table.update(fix(3600, msg_type=27, low_res=True), MMSI, TargetClass.VESSEL) is None
    assert table.update(fix(3700, msg_type=27, low_res=True), MMSI, TargetClass.VESSEL) is None  # still an hour since
    assert table.last_full_at[table.index[MMSI]] == T0.timestamp()


def test_a_target_known_only_by_type_27_keeps_its_type_27_reports() -> None:
    table = TrackTable()

    assert table.update(fix(0, msg_type=27, low_res=True), MMSI, TargetClass.VESSEL) is None
    assert table.update(fix(180, lon=SEA[0] + 0.01, msg_type=27, low_res=True), MMSI, TargetClass.VESSEL) is None


def test_the_same_time_at_another_place_is_not_a_duplicate() -> None:
    table = TrackTable()
    table.update(fix(60), MMSI, TargetClass.VESSEL)

    assert table.update(fix(60, lon=SEA[0] + 0.001), MMSI, TargetClass.VESSEL) is None  # about 96 m


def test_a_fast_move_shorter_than_min_jump_is_accepted() -> None:
    table = TrackTable()
    table.update(fix(0), MMSI, TargetClass.VESSEL)

    east_400_m = SEA[0] + 400 / (DEG_M * math.cos(math.radians(SEA[1])))

    # 400 m in 1 s is 777 kn, but a GNSS wobble under min_jump_m (500 m) is not a jump.
    assert table.update(fix(1, lon=east_400_m), MMSI, TargetClass.VESSEL) is None


def test_a_move_at_50_knots_is_accepted_and_at_60_knots_is_a_jump() -> None:
    table = TrackTable()
    table.update(fix(0), MMSI, TargetClass.VESSEL)
    step_lat = 10 * NM / DEG_M  # 10 nm north

    assert table.update(fix(3600 * 10 / 60, lat=SEA[1] + step_lat), MMSI, TargetClass.VESSEL) is Refusal.JUMP
    assert table.update(fix(3600 * 10 / 49.9, lat=SEA[1] + step_lat), MMSI, TargetClass.VESSEL) is None


def test_repeated_jumps_are_accepted_before_the_target_freezes() -> None:
    policy = FilterPolicy()
    table = TrackTable(policy=policy)
    table.update(fix(0), MMSI, TargetClass.VESSEL)
    far = SEA[0] + 1.0

    results = [table.update(fix(10 * i, lon=far), MMSI, TargetClass.VESSEL) for i in range(1, policy.jump_reset + 2)]

    assert results[0] is Refusal.JUMP
    assert None in results  # one bad first fix cannot freeze a target
    accepted_at = results.index(None)
    assert all(r is Refusal.JUMP for r in results[:accepted_at])
    row = table.index[MMSI]
    assert float(table.lon[row]) == far
    assert int(table.jumps[row]) == 0


def test_a_jump_is_accepted_after_jump_reset_refusals_in_a_row() -> None:
    policy = FilterPolicy(jump_reset=3)
    table = TrackTable(policy=policy)
    table.update(fix(0), MMSI, TargetClass.VESSEL)

    results = [table.update(fix(10 * i, lon=SEA[0] + 1.0), MMSI, TargetClass.VESSEL) for i in range(1, 5)]

    assert results == [Refusal.JUMP, Refusal.JUMP, Refusal.JUMP, None]


def test_an_accepted_fix_resets_the_jump_count() -> None:
    table = TrackTable(policy=FilterPolicy(jump_reset=3))
    table.update(fix(0), MMSI, TargetClass.VESSEL)

    assert table.update(fix(10, lon=SEA[0] + 1.0), MMSI, TargetClass.VESSEL) is Refusal.JUMP
    assert table.update(fix(20, lon=SEA[0] + 0.0001), MMSI, TargetClass.VESSEL) is None
    assert table.update(fix(30, lon=SEA[0] + 1.0), MMSI, TargetClass.VESSEL) is Refusal.JUMP


def test_reporting_interval_and_top_speed_are_learned() -> None:
    table = TrackTable()
    for i in range(5):
        table.update(fix(120 * i, lon=SEA[0] + 0.0005 * i, sog_kn=0.2 * i), MMSI, TargetClass.VESSEL)

    row = table.index[MMSI]
    assert float(table.interval_s[row]) == pytest.approx(120.0)
    assert float(table.max_sog_kn[row]) == pytest.approx(0.8)
    assert int(table.reports[row]) == 5
    assert float(table.first_seen_at[row]) == T0.timestamp()


# ---- dead reckoning ------------------------------------------------------------------------------------------


def _one(x: float) -> NDArray[np.float64]:
    return np.array([x], dtype=np.float64)


def test_dead_reckon_north_moves_latitude_by_distance_over_the_earth_radius() -> None:
    lon, lat = dead_reckon(_one(122.6), _one(30.0), _one(10.0), _one(0.0), _one(3600.0))

    assert float(lon[0]) == pytest.approx(122.6, abs=1e-12)
    assert float(lat[0]) == pytest.approx(30.0 + 10 * NM / DEG_M, rel=1e-12)
    assert haversine_m(122.6, 30.0, float(lon[0]), float(lat[0])) == pytest.approx(10 * NM, rel=1e-9)


def test_dead_reckon_east_widens_longitude_by_one_over_cos_latitude() -> None:
    lon, lat = dead_reckon(_one(122.6), _one(60.0), _one(10.0), _one(90.0), _one(3600.0))

    assert float(lat[0]) == pytest.approx(60.0, abs=1e-12)
    assert float(lon[0]) == pytest.approx(122.6 + 10 * NM / (DEG_M * 0.5), rel=1e-12)  # cos 60° = 1/2
    assert haversine_m(122.6, 60.0, float(lon[0]), float(lat[0])) == pytest.approx(10 * NM, rel=1e-3)


@pytest.mark.parametrize(("cog", "dlon_sign", "dlat_sign"), [(180.0, 0, -1), (270.0, -1, 0), (45.0, 1, 1)])
def test_dead_reckon_follows_the_course(cog: float, dlon_sign: int, dlat_sign: int) -> None:
    lon, lat = dead_reckon(_one(122.6), _one(30.0), _one(12.0), _one(cog), _one(600.0))

    assert np.sign(round(float(lon[0]) - 122.6, 9)) == dlon_sign
    assert np.sign(round(float(lat[0]) - 30.0, 9)) == dlat_sign
    assert haversine_m(122.6, 30.0, float(lon[0]), float(lat[0])) == pytest.approx(2 * NM, rel=1e-3)


@pytest.mark.parametrize(
    ("sog", "cog", "elapsed"),
    [(0.0, 90.0, 600.0), (math.nan, 90.0, 600.0), (10.0, math.nan, 600.0), (10.0, 90.0, 0.0), (10.0, 90.0, -60.0)],
    ids=["zero-speed", "no-speed", "no-course", "no-time", "future-fix"],
)
def test_dead_reckon_leaves_a_position_where_it_is(sog: float, cog: float, elapsed: float) -> None:
    lon, lat = dead_reckon(_one(122.6), _one(30.0), _one(sog), _one(cog), _one(elapsed))

    assert (float(lon[0]), float(lat[0])) == (122.6, 30.0)


def test_haversine_of_one_arc_minute_of_latitude() -> None:
    assert haversine_m(122.0, 30.0, 122.0, 30.0 + 1 / 60) == pytest.approx(DEG_M / 60, rel=1e-9)


# ---- views -----------------------------------------------------------------------------------------------------


def test_view_dead_reckons_to_now_and_keeps_the_reported_position() -> None:
    table = TrackTable()
    table.update(fix(0, sog_kn=10.0, cog_deg=0.0), MMSI, TargetClass.VESSEL)

    view = table.view(T0.timestamp() + 360.0)

    assert view["key"].tolist() == [MMSI]
    assert float(view["reported_lat"][0]) == SEA[1]
    assert float(view["lat"][0]) == pytest.approx(SEA[1] + NM / DEG_M, rel=1e-12)


def test_view_does_not_project_a_fix_older_than_the_dead_reckoning_limit() -> None:
    table = TrackTable(policy=FilterPolicy(max_dead_reckon_s=600.0))
    table.update(fix(0, sog_kn=10.0, cog_deg=0.0), MMSI, TargetClass.VESSEL)

    view = table.view(T0.timestamp() + 601.0)

    assert (float(view["lon"][0]), float(view["lat"][0])) == SEA


def test_view_since_seq_returns_only_rows_changed_after_it() -> None:
    table = TrackTable()
    for i, mmsi in enumerate((412000001, 412000002, 412000003)):
        table.update(fix(i, mmsi=mmsi), mmsi, TargetClass.VESSEL)
    seen = table.seq

    table.update(fix(60, mmsi=412000002, lon=SEA[0] + 0.001), 412000002, TargetClass.VESSEL)
    table.update(fix(-30, mmsi=412000003), 412000003, TargetClass.VESSEL)  # stale: refused, so unchanged

    changed = table.view(T0.timestamp() + 60, since_seq=seen)
    assert changed["key"].tolist() == [412000002]
    assert changed["updated_seq"].tolist() == [seen + 1]
    assert table.view(T0.timestamp() + 60, since_seq=table.seq)["key"].tolist() == []
    assert table.view(T0.timestamp() + 60)["key"].tolist() == [412000001, 412000002, 412000003]


def test_reclassify_bumps_the_change_feed_only_on_a_change() -> None:
    table = TrackTable()
    table.update(fix(0), MMSI, TargetClass.VESSEL)
    seen = table.seq

    table.reclassify(MMSI, TargetClass.VESSEL)
    assert table.seq == seen
    table.reclassify(MMSI, TargetClass.NET_BEACON)

    view = table.view(T0.timestamp(), since_seq=seen)
    assert view["key"].tolist() == [MMSI]
    assert CLASS_CODES[int(view["target_class"][0])] is TargetClass.NET_BEACON


def test_the_table_grows_past_its_capacity_one_at_a_time() -> None:
    table = TrackTable(capacity=2)

    for i in range(9):
        table.update(fix(i, mmsi=412000000 + i, lon=SEA[0] + 0.01 * i), 412000000 + i, TargetClass.VESSEL)

    assert table.size == 9 and table.capacity >= 9
    assert table.view(T0.timestamp() + 10)["reported_lon"].tolist() == pytest.approx(
        [SEA[0] + 0.01 * i for i in range(9)]
    )


# ---- the batch form --------------------------------------------------------------------------------------------


def as_columns(reports: list[PositionReport], classes: TargetClass = TargetClass.VESSEL) -> dict[str, NDArray[Any]]:
    """Reports as the columns update_batch takes."""

    def floats(values: list[float | None]) -> NDArray[np.float64]:
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

    return {
        "key": np.array([r.mmsi for r in reports], dtype=np.int64),
        "at": np.array([r.observed_at.timestamp() for r in reports], dtype=np.float64),
        "lon": floats([r.lon for r in reports]),
        "lat": floats([r.lat for r in reports]),
        "sog_kn": floats([r.sog_kn for r in reports]),
        "cog_deg": floats([r.cog_deg for r in reports]),
        "heading_deg": floats([r.heading_deg for r in reports]),
        "nav_status": np.array([-1 if r.nav_status is None else r.nav_status for r in reports], dtype=np.int16),
        "msg_type": np.array([r.msg_type for r in reports], dtype=np.int16),
        "source": np.array([SOURCE_CODES.index(r.source) for r in reports], dtype=np.int8),
        "target_class": np.full(len(reports), CLASS_CODES.index(classes), dtype=np.int8),
        "low_res": np.array([r.low_res for r in reports], dtype=np.bool_),
        "class_b": np.array([r.class_b for r in reports], dtype=np.bool_),
        "vessel_id": np.array([-1 if r.vessel_id is None else r.vessel_id for r in reports], dtype=np.int64),
    }


def clean_sequence() -> list[PositionReport]:
    """Five targets steaming east, one report each every 2 minutes, speeds rising, in arrival order."""
    reports = []
    for i in range(6):
        for k in range(5):
            reports.append(
                fix(
                    120 * i + k,
                    lon=SEA[0] + 0.001 * i + 0.01 * k,
                    lat=SEA[1] + 0.01 * k,
                    mmsi=412000000 + k,
                    sog_kn=1.0 + 0.1 * i,
                    heading_deg=float(10 * k),
                    nav_status=0,
                    vessel_id=100 + k if k % 2 else None,
                )
            )
    return reports


STATE = (
    "key",
    "lon",
    "lat",
    "sog_kn",
    "cog_deg",
    "heading_deg",
    "observed_at",
    "last_full_at",
    "nav_status",
    "msg_type",
    "source",
    "target_class",
    "vessel_id",
    "reports",
    "jumps",
    "class_b",
)


def _one_at_a_time(reports: list[PositionReport]) -> TrackTable:
    table = TrackTable()
    for r in reports:
        table.update(r, r.mmsi or 0, TargetClass.VESSEL)
    return table


def test_update_batch_gives_the_same_state_as_one_at_a_time() -> None:
    reports = clean_sequence()
    single = _one_at_a_time(reports)
    batch = TrackTable()

    accepted = batch.update_batch(as_columns(reports))

    assert accepted.all()
    assert (batch.size, batch.accepted, batch.refused) == (single.size, single.accepted, single.refused)
    assert batch.index == single.index
    for name in STATE:
        np.testing.assert_array_equal(getattr(batch, name)[: batch.size], getattr(single, name)[: single.size], name)


@pytest.mark.parametrize("column", ["first_seen_at", "max_sog_kn", "interval_s"])
def test_update_batch_learns_first_sight_top_speed_and_interval_like_one_at_a_time(column: str) -> None:
    reports = clean_sequence()
    single = _one_at_a_time(reports)
    batch = TrackTable()

    batch.update_batch(as_columns(reports))

    np.testing.assert_allclose(
        getattr(batch, column)[: batch.size], getattr(single, column)[: single.size], rtol=0, atol=1e-6
    )


def test_update_batch_takes_reports_in_any_order() -> None:
    reports = clean_sequence()
    shuffled = [reports[i] for i in np.random.default_rng(7).permutation(len(reports))]
    in_order, any_order = TrackTable(), TrackTable()

    in_order.update_batch(as_columns(reports))
    any_order.update_batch(as_columns(shuffled))

    for name in STATE:
        assert sorted(getattr(in_order, name)[: in_order.size].tolist()) == sorted(
            getattr(any_order, name)[: any_order.size].tolist()
        ), name


def _spike_track(tail: int) -> list[PositionReport]:
    """A target at sea every 10 s with one fix 1° east (about 96 km) after the first, then `tail` good fixes."""
    track = [fix(0), fix(10, lon=SEA[0] + 1.0)]
    track += [fix(20 + 10 * i, lon=SEA[0] + 0.0001 * (i + 1)) for i in range(tail)]
    return track


def test_update_batch_refuses_a_single_spike_once() -> None:
    table = TrackTable()

    accepted = table.update_batch(as_columns(_spike_track(tail=2)))

    assert accepted.tolist() == [True, False, True, True]
    assert table.refused == {"jump": 1}
    assert float(table.lon[table.index[MMSI]]) == pytest.approx(SEA[0] + 0.0002)


def test_update_batch_does_not_refuse_the_neighbour_of_a_spike_at_the_end_of_a_batch() -> None:
    table = TrackTable()

    accepted = table.update_batch(as_columns(_spike_track(tail=1)))

    assert accepted.tolist() == [True, False, True]


def test_update_batch_refuses_a_spike_against_the_tables_last_fix() -> None:
    table = TrackTable()
    table.update(fix(0), MMSI, TargetClass.VESSEL)

    batch = [fix(10, lon=SEA[0] + 1.0), fix(20, lon=SEA[0] + 0.0001), fix(30, lon=SEA[0] + 0.0002)]

    accepted = table.update_batch(as_columns(batch))

    assert accepted.tolist() == [False, True, True]
    assert table.refused == {"jump": 1}


def test_update_batch_does_not_freeze_a_target_behind_one_bad_fix() -> None:
    table = TrackTable(policy=FilterPolicy(jump_reset=3))
    table.update(fix(0), MMSI, TargetClass.VESSEL)

    accepted = [bool(table.update_batch(as_columns([fix(10 * i, lon=SEA[0] + 1.0)]))[0]) for i in range(1, 8)]

    assert any(accepted)


def test_update_batch_counts_stale_duplicate_and_low_res_redundant() -> None:
    table = TrackTable()
    table.update(fix(100), MMSI, TargetClass.VESSEL)
    batch = [
        fix(50),  # older than the table's fix
        fix(200),
        fix(200),  # the same time and place as the previous
        fix(1900, lon=SEA[0] + 0.01, msg_type=27, low_res=True),  # 28 min after a full report
        fix(3900, lon=SEA[0] + 0.02, msg_type=27, low_res=True),  # an hour after it: kept
    ]

    accepted = table.update_batch(as_columns(batch))

    assert accepted.tolist() == [False, True, False, False, True]
    assert table.refused == {"stale": 1, "duplicate": 1, "low_res_redundant": 1}
    assert float(table.observed_at[table.index[MMSI]]) == T0.timestamp() + 3900


def test_update_batch_counts_no_position_out_of_range_and_on_land(land: Any) -> None:
    table = TrackTable(land=land)
    batch = [fix(0, lon=None), fix(1, lat=95.0), fix(2, *ZHOUSHAN), fix(3, *SEA)]

    accepted = table.update_batch(as_columns(batch))

    assert accepted.tolist() == [False, False, False, True]
    assert table.refused == {"no_position": 1, "out_of_range": 1, "on_land": 1}


def test_update_batch_grows_the_table_past_its_initial_capacity() -> None:
    table = TrackTable(capacity=4)
    reports = [fix(k, lon=SEA[0] + 0.01 * k, mmsi=412000000 + k) for k in range(37)]

    accepted = table.update_batch(as_columns(reports))

    assert accepted.all()
    assert table.size == 37 and table.capacity >= 37
    for k in range(37):
        assert float(table.lon[table.index[412000000 + k]]) == pytest.approx(SEA[0] + 0.01 * k)


def test_update_batch_bumps_the_change_feed_for_changed_rows_only() -> None:
    table = TrackTable()
    table.update_batch(as_columns([fix(0, mmsi=412000001), fix(0, mmsi=412000002)]))
    seen = table.seq

    table.update_batch(as_columns([fix(60, mmsi=412000002, lon=SEA[0] + 0.001)]))

    assert table.view(T0.timestamp() + 60, since_seq=seen)["key"].tolist() == [412000002]
