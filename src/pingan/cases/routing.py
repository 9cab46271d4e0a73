"""Who handles a case: the 属主/属地 routing rule over a category's department and the place's unit chain (pure).

Components route "先属主、后属地" (the owning department first); events "先属地、后属主" (the township of the place
first) — governance.md §3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pingan.cases.catalog import RoutingRule

TERRITORIAL_KINDS = ("township", "district", "city")  # the levels a territorial case may land on, nearest first


@dataclass(frozen=True)
class UnitRef:
    """A unit as routing sees it."""

    id: int
    code: str
    kind: str


@dataclass(frozen=True)
class Route:
    """The routed unit and why it was chosen."""

    unit_id: int | None
    reason: str


def territorial_unit(chain: Sequence[UnitRef]) -> UnitRef | None:
    """The township (乡镇/街道) in a place's unit chain (village first, city last), else the nearest higher level.

    >>> territorial_unit([UnitRef(3, "330903001001", "community"), UnitRef(2, "330903001", "township")]).id
    2
    """
    for kind in TERRITORIAL_KINDS:
        for unit in chain:
            if unit.kind == kind:
                return unit
    return chain[0] if chain else None


def route(rule: RoutingRule, *, department: UnitRef | None, chain: Sequence[UnitRef]) -> Route:
    """Apply a category's routing rule.

    >>> town = UnitRef(2, "330903001", "township")
    >>> route(RoutingRule.OWNER_FIRST, department=UnitRef(9, "ZS-CG", "department"), chain=[town]).unit_id
    9
    >>> route(RoutingRule.TERRITORY_FIRST, department=UnitRef(9, "ZS-CG", "department"), chain=[town]).unit_id
    2
    """
    territory = territorial_unit(chain)
    if rule is RoutingRule.OWNER_FIRST:
        if department is not None:
            return Route(department.id, f"属主: {department.code}")
        if territory is not None:
            return Route(territory.id, f"属地 (无主管部门): {territory.code}")
    else:
        if territory is not None:
            return Route(territory.id, f"属地: {territory.code}")
        if department is not None:
            return Route(department.id, f"属主 (位置不在网格内): {department.code}")
    return Route(None, "无法自动分派")
