"""Production groups (编组生产): the mobile grids vessels form at sea, with their members over time and a leader.

A group has 3–20 members (fewer is reported as incomplete), a leader vessel that is a current member, and a
dispersion limit the maritime alerts use. A vessel is in at most one group at a time: the service checks, and
the partial unique index on open memberships is the backstop when two requests race. Each group is registered
as a mobile grid (:class:`pingan.grids.models.MobileGrid`) with the same code, answered for by its township.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.auth.repository import scope_filter
from pingan.errors import Conflict, NotFound, ValidationFailed
from pingan.fleet import service
from pingan.fleet.models import GroupMembership, OperationType, Vessel, VesselGroup
from pingan.fleet.schemas import GROUP_CODE_RE, clean_text
from pingan.grids.models import MobileGrid
from pingan.org.models import UnitKind

MIN_MEMBERS = 3
MAX_MEMBERS = 20
MAX_DISPERSION_M = 100_000.0
MAX_DISPERSION_MINUTES = 1440
OPEN_MEMBERSHIP_MARKERS = ("uq_group_membership_one_open", "group_membership.vessel_id")


def groups_query(actor: Principal) -> Select[tuple[VesselGroup]]:
    """Groups the caller may see (by their home township)."""
    return select(VesselGroup).where(scope_filter(actor.visibility, unit_id_col=VesselGroup.home_unit_id))


def get_group(session: Session, group_id: int, *, actor: Principal) -> VesselGroup:
    """A group inside the caller's scope, else :class:`NotFound`."""
    actor.require(Permission.FLEET_READ)
    group = session.scalars(groups_query(actor).where(VesselGroup.id == group_id)).first()
    if group is None:
        raise NotFound(f"group {group_id} not found")
    return group


def member_counts(session: Session, group_ids: Collection[int]) -> dict[int, int]:
    """How many vessels each group has now."""
    if not group_ids:
        return {}
    stmt = (
        select(GroupMembership.group_id, func.count(GroupMembership.id))
        .where(GroupMembership.group_id.in_(sorted(group_ids)), GroupMembership.left_at.is_(None))
        .group_by(GroupMembership.group_id)
    )
    return {int(g): int(n) for g, n in session.execute(stmt)}


GroupStatus = Literal["complete", "incomplete", "dissolved"]


def group_status(group: VesselGroup, members: int) -> GroupStatus:
    """'dissolved', 'incomplete' (fewer than :data:`MIN_MEMBERS`) or 'complete'."""
    if not group.is_active:
        return "dissolved"
    return "incomplete" if members < MIN_MEMBERS else "complete"


def list_groups(
    session: Session,
    *,
    actor: Principal,
    q: str | None = None,
    home_unit_code: str | None = None,
    operation_type: str | None = None,
    include_dissolved: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[VesselGroup]:
    """Groups in the scope, by code; ``q`` matches part of the code or name."""
    actor.require(Permission.FLEET_READ)
    stmt = groups_query(actor)
    if not include_dissolved:
        stmt = stmt.where(VesselGroup.is_active.is_(True))
    if q and q.strip():
        text = q.strip()
        stmt = stmt.where(
            VesselGroup.code.contains(text, autoescape=True) | VesselGroup.name.contains(text, autoescape=True)
        )
    if home_unit_code:
        stmt = stmt.where(VesselGroup.home_unit_id == service.visible_unit(session, home_unit_code, actor=actor).id)
    if operation_type:
        stmt = stmt.where(VesselGroup.operation_type == operation_type)
    return list(session.scalars(stmt.order_by(VesselGroup.code).limit(limit).offset(offset)))


def _check_limits(distance_m: object, minutes: object, problems: list[tuple[str, str]]) -> tuple[float, int]:
    """The dispersion limit (metres, minutes) when both are in range; otherwise the problems are noted."""
    metres = float(distance_m) if isinstance(distance_m, int | float) and not isinstance(distance_m, bool) else -1.0
    if not 0 < metres <= MAX_DISPERSION_M:
        problems.append(("dispersion_limit_m", f"dispersion limit must be over 0 and at most {MAX_DISPERSION_M:g} m"))
    whole = minutes if isinstance(minutes, int) and not isinstance(minutes, bool) else 0
    if not 1 <= whole <= MAX_DISPERSION_MINUTES:
        problems.append(("dispersion_limit_minutes", f"dispersion time must be 1–{MAX_DISPERSION_MINUTES} minutes"))
    return metres, whole


def _audit(
    session: Session, action: str, group: VesselGroup, *, actor: Principal, now: datetime, **details: object
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        now=now,
        object_type="vessel_group",
        object_id=group.id,
        details={"code": group.code, **details},
    )


def create_group(
    session: Session,
    *,
    code: str,
    name: str,
    operation_type: OperationType | str,
    home_unit_code: str,
    actor: Principal,
    now: datetime,
    dispersion_limit_m: float = 5_556.0,
    dispersion_limit_minutes: int = 30,
) -> VesselGroup:
    """Form a group in a township inside the caller's scope, with its mobile grid of the same code."""
    actor.require(Permission.FLEET_WRITE)
    problems: list[tuple[str, str]] = []
    clean_code = code.strip()
    if not GROUP_CODE_RE.match(clean_code):
        problems.append(("code", "code must be 2–20 letters, digits or dashes"))
    clean_name = clean_text(name, field="name", max_length=60, problems=problems)
    try:
        op_type = OperationType(str(operation_type))
    except ValueError:
        problems.append(("operation_type", f"operation type must be one of {', '.join(OperationType)}"))
    limit_m, limit_minutes = _check_limits(dispersion_limit_m, dispersion_limit_minutes, problems)
    service.raise_problems(problems)
    unit = service.visible_unit(
        session, home_unit_code, actor=actor, kinds=(UnitKind.TOWNSHIP,), field="home_unit_code"
    )
    if session.scalar(select(VesselGroup.id).where(VesselGroup.code == clean_code)) is not None:
        raise Conflict(f"group code {clean_code} is taken", code="group_code_taken")
    grid = session.scalars(select(MobileGrid).where(MobileGrid.code == clean_code)).first()
    if grid is not None:
        if session.scalar(select(VesselGroup.id).where(VesselGroup.mobile_grid_id == grid.id)) is not None:
            raise Conflict(f"mobile grid {clean_code} belongs to another group", code="mobile_grid_taken")
        grid.name, grid.responsible_unit_id, grid.is_active = clean_name, unit.id, True
    else:
        grid = MobileGrid(
            code=clean_code,
            name=clean_name,
            home_sea_grid_id=None,
            responsible_unit_id=unit.id,
            is_active=True,
            created_at=now,
        )
        session.add(grid)
    session.flush()
    group = VesselGroup(
        code=clean_code,
        name=clean_name,
        operation_type=op_type,
        home_unit_id=unit.id,
        leader_vessel_id=None,
        mobile_grid_id=grid.id,
        dispersion_limit_m=limit_m,
        dispersion_limit_minutes=limit_minutes,
        is_active=True,
        created_at=now,
    )
    with service.unique_guard(
        session,
        markers=("uq_vessel_group_code", "vessel_group.code"),
        message=f"group code {clean_code} is taken",
        code="group_code_taken",
    ):
        session.add(group)
    _audit(session, "fleet.group.create", group, actor=actor, now=now, home_unit=unit.code, mobile_grid=grid.id)
    return group


def update_group(
    session: Session, group_id: int, *, changes: Mapping[str, object], actor: Principal, now: datetime
) -> VesselGroup:
    """Rename a group, change its operation type or dispersion limit."""
    actor.require(Permission.FLEET_WRITE)
    group = get_group(session, group_id, actor=actor)
    unknown = sorted(set(changes) - {"name", "operation_type", "dispersion_limit_m", "dispersion_limit_minutes"})
    if unknown:
        raise ValidationFailed(f"unknown fields: {', '.join(unknown)}", fields=unknown)
    problems: list[tuple[str, str]] = []
    if "name" in changes:
        group.name = clean_text(changes["name"], field="name", max_length=60, problems=problems)
    if "operation_type" in changes:
        try:
            group.operation_type = OperationType(str(changes["operation_type"]))
        except ValueError:
            problems.append(("operation_type", f"operation type must be one of {', '.join(OperationType)}"))
    distance = changes.get("dispersion_limit_m", group.dispersion_limit_m)
    minutes = changes.get("dispersion_limit_minutes", group.dispersion_limit_minutes)
    limit_m, limit_minutes = _check_limits(distance, minutes, problems)
    service.raise_problems(problems)
    group.dispersion_limit_m, group.dispersion_limit_minutes = limit_m, limit_minutes
    if "name" in changes and group.mobile_grid_id is not None:
        grid = session.get(MobileGrid, group.mobile_grid_id)
        if grid is not None:
            grid.name = group.name
    session.flush()
    _audit(session, "fleet.group.update", group, actor=actor, now=now, fields=sorted(changes))
    return group


def dissolve_group(session: Session, group_id: int, *, actor: Principal, now: datetime) -> VesselGroup:
    """Dissolve a group: every open membership ends now, the leader is cleared, its mobile grid is deactivated."""
    actor.require(Permission.FLEET_WRITE)
    group = get_group(session, group_id, actor=actor)
    if not group.is_active:
        raise Conflict("the group is dissolved already", code="group_dissolved")
    open_rows = session.scalars(
        select(GroupMembership).where(GroupMembership.group_id == group.id, GroupMembership.left_at.is_(None))
    )
    ended = 0
    for membership in open_rows:
        membership.left_at = now
        ended += 1
    group.is_active, group.leader_vessel_id = False, None
    if group.mobile_grid_id is not None:
        grid = session.get(MobileGrid, group.mobile_grid_id)
        if grid is not None:
            grid.is_active = False
    session.flush()
    _audit(session, "fleet.group.dissolve", group, actor=actor, now=now, members_released=ended)
    return group


def _open_membership(session: Session, vessel_id: int) -> GroupMembership | None:
    stmt = select(GroupMembership).where(GroupMembership.vessel_id == vessel_id, GroupMembership.left_at.is_(None))
    return session.scalars(stmt).first()


def add_member(
    session: Session,
    group_id: int,
    vessel_id: int,
    *,
    actor: Principal,
    now: datetime,
    joined_at: datetime | None = None,
) -> GroupMembership:
    """A vessel joins a group; it must not be in another group, and the group must have room (20 at most)."""
    actor.require(Permission.FLEET_WRITE)
    group = get_group(session, group_id, actor=actor)
    vessel = service.get_vessel(session, vessel_id, actor=actor)
    if not group.is_active:
        raise Conflict("the group is dissolved", code="group_dissolved")
    if not vessel.is_active:
        raise Conflict(f"{vessel.registration_no} is no longer active", code="vessel_inactive")
    at = service.check_instant(joined_at, now=now, field="joined_at")
    current = _open_membership(session, vessel.id)
    if current is not None:
        other = session.get(VesselGroup, current.group_id)
        where = "this group" if current.group_id == group.id else f"group {other.code if other else current.group_id}"
        raise Conflict(f"{vessel.registration_no} is already in {where}", code="vessel_in_group")
    if member_counts(session, [group.id]).get(group.id, 0) >= MAX_MEMBERS:
        raise Conflict(f"group {group.code} has {MAX_MEMBERS} members already", code="group_full")
    membership = GroupMembership(group_id=group.id, vessel_id=vessel.id, joined_at=at, left_at=None)
    with service.unique_guard(
        session,
        markers=OPEN_MEMBERSHIP_MARKERS,
        message=f"{vessel.registration_no} is already in a group",
        code="vessel_in_group",
    ):
        session.add(membership)
    _audit(
        session,
        "fleet.group.member_add",
        group,
        actor=actor,
        now=now,
        vessel=vessel.registration_no,
        joined_at=at.isoformat(),
    )
    return membership


def remove_member(
    session: Session,
    group_id: int,
    vessel_id: int,
    *,
    actor: Principal,
    now: datetime,
    left_at: datetime | None = None,
) -> GroupMembership:
    """A vessel leaves a group (its membership keeps the dates); a leaving leader leaves the group leaderless."""
    actor.require(Permission.FLEET_WRITE)
    group = get_group(session, group_id, actor=actor)
    vessel = service.get_vessel(session, vessel_id, actor=actor)
    membership = _open_membership(session, vessel.id)
    if membership is None or membership.group_id != group.id:
        raise NotFound(f"{vessel.registration_no} is not a member of group {group.code}")
    at = service.check_instant(left_at, now=now, field="left_at")
    if at < membership.joined_at:
        raise ValidationFailed("left_at is before the vessel joined", fields=["left_at"])
    membership.left_at = at
    if group.leader_vessel_id == vessel.id:
        group.leader_vessel_id = None
    session.flush()
    _audit(
        session,
        "fleet.group.member_remove",
        group,
        actor=actor,
        now=now,
        vessel=vessel.registration_no,
        left_at=at.isoformat(),
    )
    return membership


def set_leader(session: Session, group_id: int, vessel_id: int, *, actor: Principal, now: datetime) -> VesselGroup:
    """Make a current member the group leader (编组长)."""
    actor.require(Permission.FLEET_WRITE)
    group = get_group(session, group_id, actor=actor)
    vessel = service.get_vessel(session, vessel_id, actor=actor)
    membership = _open_membership(session, vessel.id)
    if membership is None or membership.group_id != group.id:
        raise ValidationFailed(
            f"{vessel.registration_no} is not a current member of group {group.code}", code="leader_not_member"
        )
    group.leader_vessel_id = vessel.id
    session.flush()
    _audit(session, "fleet.group.leader", group, actor=actor, now=now, vessel=vessel.registration_no)
    return group


@dataclass(frozen=True)
class Member:
    """A membership with its vessel."""

    membership: GroupMembership
    vessel: Vessel


def _memberships(session: Session, group: VesselGroup, *, current_only: bool) -> list[Member]:
    stmt = (
        select(GroupMembership, Vessel)
        .join(Vessel, Vessel.id == GroupMembership.vessel_id)
        .where(GroupMembership.group_id == group.id)
    )
    if current_only:
        stmt = stmt.where(GroupMembership.left_at.is_(None)).order_by(Vessel.registration_no)
    else:
        stmt = stmt.order_by(GroupMembership.joined_at.desc(), GroupMembership.id.desc())
    return [Member(m, v) for m, v in session.execute(stmt)]


def list_members(session: Session, group_id: int, *, actor: Principal) -> list[Member]:
    """The group's current members, by registration number."""
    return _memberships(session, get_group(session, group_id, actor=actor), current_only=True)


def group_history(session: Session, group_id: int, *, actor: Principal) -> list[Member]:
    """Every membership the group has had, newest first."""
    return _memberships(session, get_group(session, group_id, actor=actor), current_only=False)


def leader_registrations(session: Session, groups: Collection[VesselGroup]) -> dict[int, str]:
    """Registration numbers of the groups' leader vessels, by vessel id."""
    ids = sorted({g.leader_vessel_id for g in groups if g.leader_vessel_id is not None})
    if not ids:
        return {}
    return {
        int(i): str(r) for i, r in session.execute(select(Vessel.id, Vessel.registration_no).where(Vessel.id.in_(ids)))
    }
