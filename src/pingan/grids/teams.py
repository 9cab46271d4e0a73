"""Grid service teams (组团式服务): read with masked phones, add, change and remove members."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.config import Settings
from pingan.errors import NotFound, ValidationFailed
from pingan.grids import service
from pingan.grids.models import LandGrid, TeamMember, TeamRole
from pingan.kit.masking import mask_mobile
from pingan.org.models import OrgUnit

ROLE_LABELS = {
    TeamRole.TOWNSHIP_CADRE: "乡镇干部",
    TeamRole.VILLAGE_CADRE: "村社干部",
    TeamRole.SOCIAL_WORKER: "社工",
    TeamRole.POLICE: "民警",
    TeamRole.AUXILIARY_POLICE: "辅警",
    TeamRole.TEACHER: "教师",
    TeamRole.DOCTOR: "医生",
    TeamRole.GRID_WORKER: "网格员",
    TeamRole.GRID_LEADER: "网格长",
    TeamRole.VOLUNTEER: "志愿者",
}
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def team_of(session: Session, grid: LandGrid) -> list[TeamMember]:
    """Members of a grid's team in display order."""
    stmt = select(TeamMember).where(TeamMember.grid_id == grid.id).order_by(TeamMember.sort_order, TeamMember.id)
    return list(session.scalars(stmt))


def masked_phone(settings: Settings, member: TeamMember) -> str | None:
    """The member's phone, masked (first 3 and last 4 digits)."""
    if member.phone_enc is None:
        return None
    return mask_mobile(settings.field_cipher().decrypt(member.phone_enc))


def _check(settings: Settings, session: Session, name: str, phone: str | None, unit_code: str | None) -> int | None:
    if phone is not None and phone.strip() and not PHONE_RE.match(phone.strip()):
        raise ValidationFailed(
            "phone must be an 11-digit mobile number or a fixed line like 0580-2021234", code="bad_phone"
        )
    if not name.strip():
        raise ValidationFailed("name must not be empty", code="bad_name")
    if unit_code:
        unit_id = session.scalar(select(OrgUnit.id).where(OrgUnit.code == unit_code))
        if unit_id is None:
            raise ValidationFailed(f"unit {unit_code} not found", code="bad_unit")
        return int(unit_id)
    return None


def add_member(
    session: Session,
    settings: Settings,
    grid_code: str,
    *,
    name: str,
    role: TeamRole,
    unit_code: str | None,
    phone: str | None,
    duties: str,
    actor: Principal,
    now: datetime,
) -> TeamMember:
    """Add a member to a grid's team (team.write, inside the caller's scope)."""
    actor.require(Permission.TEAM_WRITE)
    grid = service.get_grid(session, grid_code, actor=actor)
    unit_id = _check(settings, session, name, phone, unit_code)
    cipher = settings.field_cipher()
    clean = phone.strip() if phone and phone.strip() else None
    member = TeamMember(
        grid_id=grid.id,
        name=name.strip(),
        role=role,
        unit_id=unit_id if unit_id is not None else grid.village_unit_id,
        phone_enc=cipher.encrypt(clean) if clean else None,
        phone_bidx=cipher.blind_index(clean) if clean else None,
        duties=duties.strip(),
        sort_order=len(team_of(session, grid)),
        created_at=now,
    )
    session.add(member)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="grid.team.add",
        now=now,
        object_type="grid",
        object_id=grid.code,
        details={"member_id": member.id, "role": role.value},
    )
    return member


def update_member(
    session: Session,
    settings: Settings,
    grid_code: str,
    member_id: int,
    *,
    name: str,
    role: TeamRole,
    unit_code: str | None,
    phone: str | None,
    duties: str,
    actor: Principal,
    now: datetime,
) -> TeamMember:
    """Change a member; a phone left empty keeps the stored one."""
    actor.require(Permission.TEAM_WRITE)
    grid = service.get_grid(session, grid_code, actor=actor)
    member = session.get(TeamMember, member_id)
    if member is None or member.grid_id != grid.id:
        raise NotFound(f"team member {member_id} not found in grid {grid_code}")
    unit_id = _check(settings, session, name, phone, unit_code)
    member.name, member.role, member.duties = name.strip(), role, duties.strip()
    if unit_id is not None:
        member.unit_id = unit_id
    if phone and phone.strip():
        cipher = settings.field_cipher()
        member.phone_enc, member.phone_bidx = cipher.encrypt(phone.strip()), cipher.blind_index(phone.strip())
    audit.record(
        session,
        actor=actor,
        action="grid.team.update",
        now=now,
        object_type="grid",
        object_id=grid.code,
        details={"member_id": member.id},
    )
    return member


def remove_member(session: Session, grid_code: str, member_id: int, *, actor: Principal, now: datetime) -> None:
    """Remove a member from a grid's team."""
    actor.require(Permission.TEAM_WRITE)
    grid = service.get_grid(session, grid_code, actor=actor)
    member = session.get(TeamMember, member_id)
    if member is None or member.grid_id != grid.id:
        raise NotFound(f"team member {member_id} not found in grid {grid_code}")
    session.delete(member)
    audit.record(
        session,
        actor=actor,
        action="grid.team.remove",
        now=now,
        object_type="grid",
        object_id=grid.code,
        details={"member_id": member_id},
    )
