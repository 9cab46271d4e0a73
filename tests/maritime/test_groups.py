"""Production groups: a member drifting away is dispersed, two clusters are a split, members in port are left out."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from pingan.maritime import groups
from pingan.maritime.groups import GroupPolicy, Reference, detect_dispersion, detect_group_split, timing_for
from pingan.maritime.rules import AlertKind, Debouncer, EventType, Level, Picture, Timing
from tests.maritime.pictures import offset, picture

LON, LAT = 122.6, 29.9
POLICY = GroupPolicy(limit_m=1000.0, minutes=15)
NEAREST = GroupPolicy(limit_m=1000.0, reference=Reference.NEAREST)


def fleet(now: float, members: list[tuple[float, float]], group: int = 7, **cols: object) -> Picture:
    """Members of one group at (east_m, north_m) from a fixed point; keys 1, 2, 3, …"""
    points = [offset(LON, LAT, e, n) for e, n in members]
    return picture(now, np.arange(1, len(members) + 1), [p[0] for p in points], [p[1] for p in points],
                   group_id=group, **cols)  # fmt: skip


TIGHT = [(0, 0), (200, 0), (0, 200), (200, 200)]


@pytest.mark.parametrize("policy", [POLICY, NEAREST])
def test_a_tight_group_is_not_dispersed(policy: GroupPolicy) -> None:
    assert detect_dispersion(fleet(0, TIGHT), {7: policy}) == []
    assert detect_group_split(fleet(0, TIGHT), {7: policy}) == []


@pytest.mark.parametrize("policy", [POLICY, NEAREST])
@pytest.mark.parametrize("drift_m", [1500.0, 3000.0, 20_000.0])
def test_one_member_drifting_away_is_the_only_one_dispersed(policy: GroupPolicy, drift_m: float) -> None:
    members = [*TIGHT[:3], (100 + drift_m, 100)]
    (obs,) = detect_dispersion(fleet(0, members), {7: policy})
    assert obs.kind is AlertKind.DISPERSION and obs.subject == "4" and obs.keys == (4,)
    assert obs.details["group_id"] == 7 and obs.details["limit_m"] == 1000.0
    # to the centroid (66.7, 66.7) of the other three, or to the nearest of them, (200, 0)
    expected = np.hypot(100 + drift_m - 200 / 3, 100 - 200 / 3) if policy is POLICY else np.hypot(drift_m - 100, 100)
    assert obs.details["distance_m"] == pytest.approx(expected, rel=0.02)


def test_centroid_reference_peels_stragglers_so_a_group_of_three_blames_one() -> None:
    # Naively, members 1 and 2 would be 2.5 km from the centroid of "the others" (themselves plus member 3).
    (obs,) = detect_dispersion(fleet(0, [(0, 0), (100, 0), (5000, 0)]), {7: POLICY})
    assert obs.keys == (3,)
    assert obs.details["distance_m"] == pytest.approx(4950, rel=0.01) and obs.details["core_size"] == 2
    lon, lat = obs.details["centroid"]
    assert (lon, lat) == pytest.approx(offset(LON, LAT, 50, 0), abs=1e-6)
    assert obs.details["raise_after_s"] == 900.0


def test_two_members_apart_are_both_dispersed() -> None:
    obs = detect_dispersion(fleet(0, [(0, 0), (3000, 0)]), {7: POLICY})
    assert sorted(o.keys for o in obs) == [(1,), (2,)]


def test_members_in_port_are_left_out() -> None:
    members = [(0, 0), (300, 0), (50_000, 0)]
    assert detect_dispersion(fleet(0, members, in_port=[False, False, True]), {7: POLICY}) == []
    # a group partly in port is not split either, and a lone member at sea has nothing to be dispersed from
    two_clusters = [(0, 0), (100, 0), (20_000, 0), (20_100, 0)]
    assert detect_group_split(fleet(0, two_clusters, in_port=[False, False, True, True]), {7: POLICY}) == []
    assert detect_dispersion(fleet(0, members, in_port=[False, True, True]), {7: POLICY}) == []


def test_only_registered_groups_and_vessels_count() -> None:
    members = [(0, 0), (100, 0), (5000, 0)]
    assert detect_dispersion(fleet(0, members), {8: POLICY}) == []  # group 7 has no policy
    assert len(detect_dispersion(fleet(0, members), {}, default=POLICY)) == 1
    assert detect_dispersion(fleet(0, members, group=-1), {}, default=POLICY) == []
    beacon = fleet(0, members, target_class=["vessel", "vessel", "net_beacon"])
    assert detect_dispersion(beacon, {7: POLICY}) == []


def test_two_clusters_are_a_group_split() -> None:
    members = [(0, 0), (300, 0), (0, 300), (10_000, 0), (10_300, 0)]
    (split,) = detect_group_split(fleet(0, members), {7: POLICY})
    assert split.kind is AlertKind.GROUP_SPLIT and split.subject == "group:7" and split.level is Level.WARNING
    assert split.details["clusters"] == [[1, 2, 3], [4, 5]]
    assert split.keys == (4, 5, 1, 2, 3)  # the ones that broke away first
    assert split.details["separation_m"] == pytest.approx(9700, rel=0.01)


def test_a_lone_straggler_is_a_dispersion_not_a_split_unless_asked() -> None:
    members = [(0, 0), (300, 0), (0, 300), (10_000, 0)]
    assert detect_group_split(fleet(0, members), {7: POLICY}) == []
    loose = GroupPolicy(limit_m=1000.0, split_min_members=1)
    (split,) = detect_group_split(fleet(0, members), {7: loose})
    assert split.details["clusters"] == [[1, 2, 3], [4]]


def test_a_chain_within_the_limit_is_one_cluster() -> None:
    chain = [(i * 900.0, 0) for i in range(6)]  # 4.5 km long, links of 900 m
    assert detect_group_split(fleet(0, chain), {7: POLICY}) == []


def test_other_groups_never_link_or_serve_as_reference() -> None:
    # Group 7's two halves are 1.6 km apart; a group 9 vessel halfway between must not join them.
    points = [offset(LON, LAT, e, 0) for e in (0, 100, 800, 1600, 1700)]
    pic = picture(0, [1, 2, 3, 4, 5], [p[0] for p in points], [p[1] for p in points], group_id=[7, 7, 9, 7, 7])
    (split,) = detect_group_split(pic, {7: POLICY, 9: POLICY})
    assert split.details["clusters"] == [[1, 2], [4, 5]]
    assert detect_dispersion(pic, {7: NEAREST, 9: NEAREST}) == []  # a group of one has nothing to leave
    points = [offset(LON, LAT, e, 0) for e in (0, 800, 1600)]
    pic = picture(0, [1, 2, 3], [p[0] for p in points], [p[1] for p in points], group_id=[7, 9, 7])
    obs = detect_dispersion(pic, {7: NEAREST, 9: NEAREST})
    assert sorted(o.keys for o in obs) == [(1,), (3,)] and {o.details["nearest"] for o in obs} == {1, 3}


def test_many_groups_at_once() -> None:
    rng = np.random.default_rng(3)
    n_groups, size = 800, 8
    g = np.repeat(np.arange(n_groups), size)
    centre_e, centre_n = rng.uniform(0, 80_000, n_groups), rng.uniform(0, 80_000, n_groups)
    east = centre_e[g] + rng.uniform(0, 400, g.size)
    north = centre_n[g] + rng.uniform(0, 400, g.size)
    east[::size] += 5000  # the first member of every group drifts off
    lon, lat = offset(LON, LAT, east, north)  # type: ignore[arg-type]
    pic = picture(0, np.arange(g.size) + 1, lon, lat, group_id=g)
    obs = detect_dispersion(pic, {}, default=POLICY)
    assert sorted(int(o.subject) for o in obs) == list(range(1, g.size + 1, size))
    assert detect_group_split(pic, {}, default=POLICY) == []


def test_the_group_minutes_become_the_debouncer_delay() -> None:
    assert timing_for(POLICY) == Timing(raise_after_s=900.0, clear_after_s=60.0)
    debouncer = Debouncer({AlertKind.DISPERSION: timing_for(POLICY)})
    members = [(0, 0), (100, 0), (5000, 0)]
    raised = []
    for t in range(0, 1201, 60):
        raised += debouncer.update(detect_dispersion(fleet(float(t), members), {7: POLICY}), float(t))
    assert [(e.type, e.at) for e in raised] == [(EventType.RAISED, 900.0)]


def test_policy_is_checked() -> None:
    with pytest.raises(ValueError):
        GroupPolicy(limit_m=0)


def test_examples_run() -> None:
    result = doctest.testmod(groups)
    assert result.failed == 0 and result.attempted > 0
