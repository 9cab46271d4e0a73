"""Data scopes: the pure resolution and the SQL filter agree, and scoped reads answer 404 outside the scope."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.auth import repository
from pingan.auth.policy import DataScope
from pingan.auth.scope import ScopeGrant, Visibility, resolve
from pingan.org.models import OrgUnit


def test_union_of_grants_keeps_only_the_widest_paths() -> None:
    grants = [
        ScopeGrant(DataScope.UNIT_AND_BELOW, 2, "/330900/330903/"),
        ScopeGrant(DataScope.CUSTOM, 3, "/x/", custom_paths=("/330900/330903/330903001/", "/330900/330902/")),
        ScopeGrant(DataScope.UNIT, 9, "/330900/ZS-SZ/"),
    ]
    vis = resolve(grants, user_id=5)
    assert vis.subtree_paths == {"/330900/330903/", "/330900/330902/"}
    assert vis.unit_ids == {9}
    assert vis.user_id is None
    assert not vis.everything


def test_all_scope_sees_everything_and_self_scope_sees_only_the_owner() -> None:
    assert resolve([ScopeGrant(DataScope.ALL, 1, "/a/")], user_id=1).everything
    own = resolve([ScopeGrant(DataScope.SELF, 1, "/a/")], user_id=7)
    assert own.allows(unit_id=1, unit_path="/a/", owner_id=7)
    assert not own.allows(unit_id=1, unit_path="/a/", owner_id=8)
    assert resolve([], user_id=1).nothing


def _visibilities(units: list[OrgUnit]) -> list[Visibility]:
    paths = [u.path for u in units]
    ids = [u.id for u in units]
    out = [Visibility(everything=True), Visibility()]
    for p, i in itertools.product(paths[::4], ids[::5]):
        out.append(Visibility(subtree_paths=frozenset({p}), unit_ids=frozenset({i})))
    return out


def test_sql_filter_equals_the_in_memory_rule(db: Session) -> None:
    units = list(db.scalars(select(OrgUnit).order_by(OrgUnit.id)))
    assert len(units) >= 20
    for vis in _visibilities(units):
        in_sql = {u.id for u in db.scalars(repository.units_query(vis))}
        in_memory = {u.id for u in units if vis.allows(unit_id=u.id, unit_path=u.path)}
        assert in_sql == in_memory, vis


@pytest.mark.parametrize(
    ("scope", "unit", "visible_codes"),
    [
        (DataScope.UNIT_AND_BELOW, "330903001", {"330903001", "330903001001", "330903001002", "PT-SF-SJM"}),
        (DataScope.UNIT, "330903001", {"330903001"}),
    ],
)
def test_scope_of_a_township_account(
    db: Session, make_user, scope: DataScope, unit: str, visible_codes: set[str]
) -> None:  # type: ignore[no-untyped-def]
    from pingan.auth import service

    role = "township_leader" if scope is DataScope.UNIT_AND_BELOW else "dept_officer"
    user = make_user("scope_probe", unit, [role])
    vis = service.visibility_of(db, user)
    assert {u.code for u in db.scalars(repository.units_query(vis))} == visible_codes
