"""Queries of accounts, roles and units, with the one data-scope filter every scoped query uses."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import Session, aliased

from pingan.auth.models import ApiToken, Role, User, UserRole, WebSession
from pingan.auth.scope import Visibility
from pingan.org.models import OrgUnit


def scope_filter(
    visibility: Visibility,
    *,
    unit_id_col: ColumnElement[int] | ColumnElement[int | None],
    owner_col: ColumnElement[int] | ColumnElement[int | None] | None = None,
    grid_col: ColumnElement[int] | ColumnElement[int | None] | None = None,
) -> ColumnElement[bool]:
    """The SQL condition equivalent to :meth:`Visibility.allows` for rows with a unit, owner and grid column.

    Pass ``grid_col`` for record kinds placed in land grids (buildings, households, residents, cases …).
    """
    if visibility.everything:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if visibility.unit_ids:
        conditions.append(unit_id_col.in_(sorted(visibility.unit_ids)))
    if visibility.subtree_paths:
        unit = aliased(OrgUnit)
        under = select(unit.id).where(
            or_(*[unit.path.startswith(p, autoescape=True) for p in sorted(visibility.subtree_paths)])
        )
        conditions.append(unit_id_col.in_(under))
    if grid_col is not None and visibility.grid_ids:
        conditions.append(grid_col.in_(sorted(visibility.grid_ids)))
    if grid_col is None and visibility.grid_unit_ids:
        conditions.append(unit_id_col.in_(sorted(visibility.grid_unit_ids)))
    if visibility.user_id is not None and owner_col is not None:
        conditions.append(owner_col == visibility.user_id)
    return or_(*conditions) if conditions else false()


def users_query(visibility: Visibility) -> Select[tuple[User]]:
    """Accounts the caller may see (an account always sees itself)."""
    return select(User).where(scope_filter(visibility, unit_id_col=User.unit_id, owner_col=User.id))


def units_query(visibility: Visibility) -> Select[tuple[OrgUnit]]:
    """Organisation units the caller may see."""
    return select(OrgUnit).where(scope_filter(visibility, unit_id_col=OrgUnit.id))


def get_user_by_username(session: Session, username: str) -> User | None:
    """The account with this username (case-insensitive), scope not applied: for sign-in and the CLI."""
    return session.scalars(select(User).where(User.username == username.strip().lower())).first()


def roles_by_code(session: Session, codes: Sequence[str]) -> dict[str, Role]:
    """Roles keyed by code, for the codes that exist."""
    if not codes:
        return {}
    return {r.code: r for r in session.scalars(select(Role).where(Role.code.in_(list(codes))))}


def all_roles(session: Session) -> list[Role]:
    """Every role, built-in first."""
    return list(session.scalars(select(Role).order_by(Role.builtin.desc(), Role.id)))


def admin_holders(session: Session) -> list[UserRole]:
    """Grants of the three administrator roles."""
    return list(session.scalars(select(UserRole).where(UserRole.admin_kind.is_not(None))))


def session_by_id(session: Session, session_id: str) -> WebSession | None:
    """A browser session by the hash of its cookie token."""
    return session.get(WebSession, session_id)


def token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    """An API token by the hash of its secret."""
    return session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash)).first()
