"""Production groups (编组): a member beyond its group's limit (脱离编组), and a group split in two.

Only registered vessels (``target_class == "vessel"``) with a ``group_id`` ≥ 0, a position, and at sea count:
members in port are left out, so a group partly in port is neither dispersed nor split. A group with fewer than
two members at sea has nothing to be dispersed from.

Dispersion, per :class:`GroupPolicy`:

- ``reference="nearest"``: a member is dispersed when its nearest other member at sea is farther than
  ``limit_m``.
- ``reference="centroid"``: a member is dispersed when it is farther than ``limit_m`` from the centroid of the
  *other* members at sea. A straggler drags that centroid towards itself, so in a group of three one member
  5 km off would make the other two look 2.5 km from "their" centroid; the stragglers are therefore peeled off
  one at a time (the farthest first, while at least three remain) and every member is measured against the
  centroid of the rest of the group's *core*. With only two members at sea and beyond the limit, both are
  dispersed.

"For longer than the group's minutes" is the debouncer's job: every observation carries the policy's hold time
as ``details["raise_after_s"]``, and :func:`timing_for` makes the :class:`~pingan.maritime.rules.Timing`. The
debouncer takes one timing per alert kind, so when groups hold for different times the caller runs one
debouncer per distinct :func:`timing_for` (or the debouncer learns to honour ``raise_after_s``).

Split: members at sea are linked when within ``limit_m`` of each other (single linkage); a group whose members
form two or more clusters of at least ``split_min_members`` (2 by default, so a lone straggler is a dispersion,
not a split) is split. Distances use an equirectangular projection about each group's mean latitude, exact to
well under 1 % over the tens of kilometres a group spans; all groups are screened at once with one k-d tree in
which each group sits on its own plane, far from every other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix  # type: ignore[import-untyped]
from scipy.sparse.csgraph import connected_components  # type: ignore[import-untyped]
from scipy.spatial import cKDTree  # type: ignore[import-untyped]

from pingan.maritime.rules import AlertKind, Level, Observation, Picture, Timing
from pingan.maritime.tracks import EARTH_RADIUS_M

M_PER_DEG = math.pi * EARTH_RADIUS_M / 180.0
_PLANE_M = 1.0e9  # distance between two groups' planes in the k-d tree: farther than any limit


class Reference(StrEnum):
    """What a member's distance to its group is measured against."""

    CENTROID = "centroid"  # the centroid of the other members at sea (stragglers peeled off)
    NEAREST = "nearest"  # the nearest other member at sea


@dataclass(frozen=True, slots=True)
class GroupPolicy:
    """How far a group's members may spread (metres), and for how long before it is an alert (minutes)."""

    limit_m: float
    reference: Reference = Reference.CENTROID
    minutes: float = 10.0
    level: Level = Level.WARNING
    split_min_members: int = 2

    def __post_init__(self) -> None:
        if not (self.limit_m > 0 and self.minutes >= 0 and self.split_min_members >= 1):
            raise ValueError("limit_m must be positive, minutes not negative, split_min_members at least 1")


def timing_for(policy: GroupPolicy, clear_after_s: float = 60.0) -> Timing:
    """The debouncer timing of a group policy: raise after the policy's minutes.

    >>> timing_for(GroupPolicy(limit_m=1852.0, minutes=15))
    Timing(raise_after_s=900.0, clear_after_s=60.0)
    """
    return Timing(raise_after_s=policy.minutes * 60.0, clear_after_s=clear_after_s)


@dataclass(frozen=True, slots=True)
class _Members:
    """The members at sea of every group with a policy, in a shared metric frame."""

    rows: NDArray[np.intp]  # picture rows
    g: NDArray[np.intp]  # dense group index of each member
    group_ids: NDArray[np.int64]  # group id of each dense index
    policies: list[GroupPolicy]  # policy of each dense index
    limit_m: NDArray[np.float64]  # limit of each member's group
    x: NDArray[np.float64]  # metres east (scaled by the group's mean latitude)
    y: NDArray[np.float64]  # metres north
    scale: NDArray[np.float64]  # metres per degree of longitude, per dense group index

    def lonlat(self, gi: int, x: float, y: float) -> tuple[float, float]:
        return x / float(self.scale[gi]), y / M_PER_DEG

    def tree(self) -> Any:
        return cKDTree(np.column_stack([self.x, self.y, self.g * _PLANE_M]))


def _members(picture: Picture, limits: Mapping[int, GroupPolicy], default: GroupPolicy | None) -> _Members:
    ok = (
        (picture.target_class == "vessel")
        & (picture.group_id >= 0)
        & ~picture.in_port
        & np.isfinite(picture.lon)
        & np.isfinite(picture.lat)
    )
    if default is None:
        ok &= np.isin(picture.group_id, np.fromiter(limits.keys(), np.int64, len(limits)))
    rows = np.flatnonzero(ok)
    group_ids, g = np.unique(picture.group_id[rows], return_inverse=True)
    g = g.astype(np.intp)
    policies: list[GroupPolicy] = []
    for gid in group_ids.tolist():
        policy = limits.get(int(gid), default)
        assert policy is not None  # groups without a policy were left out above
        policies.append(policy)
    limit_by_group = np.array([p.limit_m for p in policies], dtype=np.float64)
    lat = picture.lat[rows]
    count = np.bincount(g, minlength=len(group_ids))
    mean_lat = np.bincount(g, weights=lat, minlength=len(group_ids)) / np.maximum(count, 1)
    scale = M_PER_DEG * np.cos(np.radians(mean_lat))
    return _Members(
        rows,
        g,
        group_ids,
        policies,
        limit_by_group[g],
        picture.lon[rows] * scale[g],
        lat * M_PER_DEG,
        scale,
    )


def _dispersion_observation(
    picture: Picture,
    m: _Members,
    i: int,
    distance_m: float,
    ref: tuple[float, float],
    extra: dict[str, Any],
) -> Observation:
    gi = int(m.g[i])
    policy = m.policies[gi]
    row = int(m.rows[i])
    key = int(picture.key[row])
    details = {
        "group_id": int(m.group_ids[gi]),
        "distance_m": distance_m,
        "limit_m": policy.limit_m,
        "reference": str(policy.reference),
        "centroid": ref,
        "raise_after_s": policy.minutes * 60.0,
        **extra,
    }
    return Observation(
        AlertKind.DISPERSION,
        str(key),
        policy.level,
        (key,),
        float(picture.lon[row]),
        float(picture.lat[row]),
        details,
    )


def detect_dispersion(
    picture: Picture, limits: Mapping[int, GroupPolicy], default: GroupPolicy | None = None
) -> list[Observation]:
    """Members at sea farther than their group's limit from the group (subject: the member's key).

    ``limits`` maps a group id to its policy; groups without one use ``default``, or are skipped when it is None.
    Details: ``group_id``, ``distance_m``, ``limit_m``, ``reference``, ``centroid`` (lon, lat of the point
    measured against), ``raise_after_s``, and ``nearest`` (its key) for ``reference="nearest"``.
    """
    m = _members(picture, limits, default)
    if m.rows.size < 2:
        return []
    n_groups = len(m.group_ids)
    count = np.bincount(m.g, minlength=n_groups)
    out: list[Observation] = []

    nearest_groups = np.array([p.reference is Reference.NEAREST for p in m.policies], dtype=bool)
    near = nearest_groups[m.g] & (count[m.g] >= 2)
    if near.any():
        dist, idx = m.tree().query(np.column_stack([m.x, m.y, m.g * _PLANE_M])[near], k=2)
        for i, d, j in zip(np.flatnonzero(near).tolist(), dist[:, 1].tolist(), idx[:, 1].tolist(), strict=True):
            if d > m.limit_m[i]:
                ref = (float(picture.lon[m.rows[j]]), float(picture.lat[m.rows[j]]))
                extra = {"nearest": int(picture.key[m.rows[j]])}
                out.append(_dispersion_observation(picture, m, i, float(d), ref, extra))

    cent = ~nearest_groups[m.g] & (count[m.g] >= 2)
    core = cent.copy()
    while True:  # peel the farthest straggler of each group, while at least three remain in its core
        n = np.bincount(m.g[core], minlength=n_groups)
        sx = np.bincount(m.g[core], weights=m.x[core], minlength=n_groups)
        sy = np.bincount(m.g[core], weights=m.y[core], minlength=n_groups)
        idx = np.flatnonzero(core & (n[m.g] >= 3))
        if not idx.size:
            break
        gs = m.g[idx]
        others = n[gs] - 1
        d = np.hypot(m.x[idx] - (sx[gs] - m.x[idx]) / others, m.y[idx] - (sy[gs] - m.y[idx]) / others)
        beyond = d > m.limit_m[idx]
        if not beyond.any():
            break
        sel, dd, gg = idx[beyond], d[beyond], gs[beyond]
        order = np.lexsort((-dd, gg))
        first = order[np.r_[True, gg[order][1:] != gg[order][:-1]]]
        core[sel[first]] = False

    for i in np.flatnonzero(cent).tolist():
        gi = int(m.g[i])
        if core[i]:  # measured against the rest of the core
            k = int(n[gi]) - 1
            cx, cy = (sx[gi] - m.x[i]) / k, (sy[gi] - m.y[i]) / k
        else:  # a straggler: measured against the whole core
            cx, cy = sx[gi] / n[gi], sy[gi] / n[gi]
        dist = math.hypot(m.x[i] - cx, m.y[i] - cy)
        if dist > m.limit_m[i]:
            ref = m.lonlat(gi, float(cx), float(cy))
            out.append(_dispersion_observation(picture, m, i, dist, ref, {"core_size": int(n[gi])}))
    return out


def detect_group_split(
    picture: Picture, limits: Mapping[int, GroupPolicy], default: GroupPolicy | None = None
) -> list[Observation]:
    """Groups whose members at sea form two or more clusters farther apart than the limit (subject "group:<id>").

    Details: ``group_id``, ``limit_m``, ``clusters`` (lists of keys, largest first), ``separation_m`` (the
    shortest distance between two members of different clusters), ``raise_after_s``. Keys: the members of the
    smaller clusters first (the ones that broke away), then the largest cluster.
    """
    m = _members(picture, limits, default)
    if m.rows.size < 2:
        return []
    points = np.column_stack([m.x, m.y, m.g * _PLANE_M])
    pairs = m.tree().query_pairs(r=float(m.limit_m.max()), output_type="ndarray")
    if pairs.size:
        d = np.hypot(m.x[pairs[:, 0]] - m.x[pairs[:, 1]], m.y[pairs[:, 0]] - m.y[pairs[:, 1]])
        pairs = pairs[d <= m.limit_m[pairs[:, 0]]]
    n = m.rows.size
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n)).tocsr()
    _, label = connected_components(graph, directed=False)
    out: list[Observation] = []
    order = np.argsort(m.g, kind="stable")
    bounds = np.searchsorted(m.g[order], np.arange(len(m.group_ids) + 1))
    for gi in range(len(m.group_ids)):
        members = order[bounds[gi] : bounds[gi + 1]]
        policy = m.policies[gi]
        labels, size = np.unique(label[members], return_counts=True)
        big = labels[size >= policy.split_min_members]
        if big.size < 2:
            continue
        clusters = sorted((members[label[members] == lb] for lb in big.tolist()), key=lambda c: (-len(c), c[0]))
        separation = min(
            float(np.min(np.linalg.norm(points[a][:, None, :2] - points[b][None, :, :2], axis=2)))
            for ai, a in enumerate(clusters)
            for b in clusters[ai + 1 :]
        )
        key_lists = [[int(picture.key[m.rows[i]]) for i in c] for c in clusters]
        keys = tuple(k for c in key_lists[1:] for k in c) + tuple(key_lists[0])
        gid = int(m.group_ids[gi])
        cx, cy = float(m.x[members].mean()), float(m.y[members].mean())
        lon, lat = m.lonlat(gi, cx, cy)
        details = {
            "group_id": gid,
            "limit_m": policy.limit_m,
            "clusters": key_lists,
            "separation_m": separation,
            "raise_after_s": policy.minutes * 60.0,
        }
        out.append(Observation(AlertKind.GROUP_SPLIT, f"group:{gid}", policy.level, keys, lon, lat, details))
    return out
