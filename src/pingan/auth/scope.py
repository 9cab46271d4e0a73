"""Data scopes resolved to one plain value the repositories turn into a single SQL filter."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pingan.auth.policy import DataScope


@dataclass(frozen=True)
class ScopeGrant:
    """One role's data scope, resolved against the holder's unit."""

    scope: DataScope
    unit_id: int | None
    unit_path: str | None
    custom_paths: tuple[str, ...] = ()
    grid_ids: tuple[int, ...] = ()  # for DataScope.GRID: the account's grids
    grid_unit_ids: tuple[int, ...] = ()  # … and their villages


@dataclass(frozen=True)
class Visibility:
    """The union of a caller's grants.

    ``everything`` wins over the rest; otherwise a record is visible when its unit's path starts with one of
    ``subtree_paths``, its unit id is in ``unit_ids``, or it belongs to ``user_id`` (仅本人). A record placed in a
    land grid is also visible when its grid is in ``grid_ids`` (本人网格); a record with a unit but no grid is
    visible when its unit is one of ``grid_unit_ids`` (the villages of those grids).
    """

    everything: bool = False
    subtree_paths: frozenset[str] = frozenset()
    unit_ids: frozenset[int] = frozenset()
    user_id: int | None = None
    grid_ids: frozenset[int] = frozenset()
    grid_unit_ids: frozenset[int] = frozenset()

    @property
    def nothing(self) -> bool:
        """True when no record at all is visible."""
        return not (self.everything or self.subtree_paths or self.unit_ids or self.user_id is not None or self.grid_ids)

    def allows(
        self,
        *,
        unit_id: int | None,
        unit_path: str | None,
        owner_id: int | None = None,
        grid_id: int | None = None,
        has_grid: bool = False,
    ) -> bool:
        """Decide visibility of one record in memory (the SQL filter says the same).

        ``has_grid`` says the record kind is placed in grids, so grid visibility applies by grid, not village.
        """
        if self.everything:
            return True
        if unit_id is not None and unit_id in self.unit_ids:
            return True
        if unit_path is not None and any(unit_path.startswith(p) for p in self.subtree_paths):
            return True
        if has_grid and grid_id is not None and grid_id in self.grid_ids:
            return True
        if not has_grid and unit_id is not None and unit_id in self.grid_unit_ids:
            return True
        return self.user_id is not None and owner_id == self.user_id


def resolve(grants: Iterable[ScopeGrant], *, user_id: int | None) -> Visibility:
    """Combine role grants into one :class:`Visibility` (union of what each grant shows).

    >>> g = ScopeGrant(DataScope.UNIT_AND_BELOW, 7, "/330900/330902/")
    >>> sorted(resolve([g], user_id=1).subtree_paths)
    ['/330900/330902/']
    """
    everything = False
    paths: set[str] = set()
    units: set[int] = set()
    grids: set[int] = set()
    grid_units: set[int] = set()
    own: int | None = None
    for g in grants:
        if g.scope is DataScope.ALL:
            everything = True
        elif g.scope is DataScope.UNIT_AND_BELOW and g.unit_path:
            paths.add(g.unit_path)
        elif g.scope is DataScope.UNIT and g.unit_id is not None:
            units.add(g.unit_id)
        elif g.scope is DataScope.CUSTOM:
            paths.update(g.custom_paths)
        elif g.scope is DataScope.SELF:
            own = user_id
        elif g.scope is DataScope.GRID:
            grids.update(g.grid_ids)
            grid_units.update(g.grid_unit_ids)
            own = user_id  # a grid worker also sees what the account itself owns
    # A path already under another granted path adds nothing.
    minimal = {p for p in paths if not any(p != q and p.startswith(q) for q in paths)}
    return Visibility(everything, frozenset(minimal), frozenset(units), own, frozenset(grids), frozenset(grid_units))
