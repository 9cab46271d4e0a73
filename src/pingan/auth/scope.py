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


@dataclass(frozen=True)
class Visibility:
    """The union of a caller's grants.

    ``everything`` wins over the rest; otherwise a record is visible when its unit's path starts with one of
    ``subtree_paths``, its unit id is in ``unit_ids``, or it belongs to ``user_id`` (仅本人).
    """

    everything: bool = False
    subtree_paths: frozenset[str] = frozenset()
    unit_ids: frozenset[int] = frozenset()
    user_id: int | None = None

    @property
    def nothing(self) -> bool:
        """True when no record at all is visible."""
        return not (self.everything or self.subtree_paths or self.unit_ids or self.user_id is not None)

    def allows(self, *, unit_id: int | None, unit_path: str | None, owner_id: int | None = None) -> bool:
        """Decide visibility of one record in memory (the SQL filter says the same)."""
        if self.everything:
            return True
        if unit_id is not None and unit_id in self.unit_ids:
            return True
        if unit_path is not None and any(unit_path.startswith(p) for p in self.subtree_paths):
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
    # A path already under another granted path adds nothing.
    minimal = {p for p in paths if not any(p != q and p.startswith(q) for q in paths)}
    return Visibility(everything, frozenset(minimal), frozenset(units), own)
