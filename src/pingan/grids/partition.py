"""Check that the grids of one village partition its land: valid shapes, no overlap, no gap, nothing outside.

Areas are compared in square metres (degrees² scaled at the village's latitude); differences below
``tolerance_m2`` (default 1 m²) are floating-point noise, not violations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import shapely

M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class Violation:
    """One problem found in a village's grids."""

    village_code: str
    kind: str  # "invalid", "overlap", "gap", "outside", "empty"
    grid_codes: tuple[str, ...]
    area_m2: float
    message: str


def _m2(area_deg2: float, lat: float) -> float:
    return area_deg2 * M_PER_DEG * M_PER_DEG * math.cos(math.radians(lat))


def check_village(
    village_code: str,
    village: shapely.Geometry | None,
    grids: Sequence[tuple[str, shapely.Geometry]],
    *,
    tolerance_m2: float = 1.0,
) -> list[Violation]:
    """Every violation of the partition rule among ``grids`` (code, polygon) of one village.

    >>> a, b = shapely.box(0, 0, 0.01, 0.01), shapely.box(0.005, 0, 0.015, 0.01)
    >>> [v.kind for v in check_village("330903001001", shapely.box(0, 0, 0.015, 0.01), [("x1", a), ("x2", b)])]
    ['overlap']
    """
    found: list[Violation] = []
    lat = village.centroid.y if village is not None and not village.is_empty else 30.0
    good = []
    for code, geom in grids:
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            found.append(Violation(village_code, "invalid", (code,), 0.0, f"grid {code} is not a polygon"))
        elif not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            found.append(Violation(village_code, "invalid", (code,), 0.0, f"grid {code} is invalid: {reason}"))
        else:
            good.append((code, geom))
    if not good:
        return found
    geoms = [g for _, g in good]
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        area = _m2(shapely.area(shapely.intersection(geoms[i], geoms[j])), lat)
        if area > tolerance_m2:
            codes = (good[i][0], good[j][0])
            message = f"grids {codes[0]} and {codes[1]} overlap by {area:,.0f} m²"
            found.append(Violation(village_code, "overlap", codes, area, message))
    if village is not None and not village.is_empty:
        union = shapely.union_all(geoms)
        gap = _m2(shapely.area(shapely.difference(village, union)), lat)
        if gap > tolerance_m2:
            found.append(
                Violation(village_code, "gap", (), gap, f"village {village_code} has {gap:,.0f} m² in no grid")
            )
        for code, geom in good:
            outside = _m2(shapely.area(shapely.difference(geom, village)), lat)
            if outside > tolerance_m2:
                message = f"grid {code} reaches {outside:,.0f} m² outside village {village_code}"
                found.append(Violation(village_code, "outside", (code,), outside, message))
    return found
