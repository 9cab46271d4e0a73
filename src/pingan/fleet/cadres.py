"""Cadre links (定人联船): every vessel has town or village cadres who answer for it, over time.

A cadre belongs to a unit (the one that answers for them), may have a user account, and has a phone stored
encrypted with a blind index. Links carry ``since``/``until``; a link is current while ``until`` is empty. The
coverage report lists vessels in the scope without a current cadre and cadres over the load limit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.auth.models import User
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.auth.repository import get_user_by_username, scope_filter
from pingan.errors import Conflict, NotFound, ValidationFailed
from pingan.fleet import service
from pingan.fleet.models import Cadre, CadreLink, Vessel
from pingan.fleet.schemas import clean_phone, clean_text
from pingan.kit.crypto import FieldCipher
from pingan.org.models import UnitKind

# The most vessels one cadre should answer for; the coverage report lists cadres above it. To become a setting.
CADRE_MAX_VESSELS = 15
CADRE_UNIT_KINDS = (UnitKind.TOWNSHIP, UnitKind.COMMUNITY, UnitKind.STATION, UnitKind.DEPARTMENT)


def cadres_query(actor: Principal) -> Select[tuple[Cadre]]:
    """Cadres the caller may see (by their unit)."""
    return select(Cadre).where(scope_filter(actor.visibility, unit_id_col=Cadre.unit_id))


def get_cadre(session: Session, cadre_id: int, *, actor: Principal) -> Cadre:
    """A cadre inside the caller's scope, else :class:`NotFound`."""
    actor.require(Permission.FLEET_READ)
    cadre = session.scalars(cadres_query(actor).where(Cadre.id == cadre_id)).first()
    if cadre is None:
        raise NotFound(f"cadre {cadre_id} not found")
    return cadre


def loads(session: Session, cadre_ids: Collection[int]) -> dict[int, int]:
    """How many vessels each cadre answers for now."""
    if not cadre_ids:
        return {}
    stmt = (
        select(CadreLink.cadre_id, func.count(CadreLink.id))
        .where(CadreLink.cadre_id.in_(sorted(cadre_ids)), CadreLink.until.is_(None))
        .group_by(CadreLink.cadre_id)
    )
    return {int(c): int(n) for c, n in session.execute(stmt)}


def list_cadres(
    session: Session,
    *,
    actor: Principal,
    unit_code: str | None = None,
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Cadre]:
    """Cadres in the scope (of one unit and the units under it, when given), by name."""
    actor.require(Permission.FLEET_READ)
    stmt = cadres_query(actor)
    if unit_code:
        unit = service.visible_unit(session, unit_code, actor=actor)
        stmt = stmt.where(Cadre.unit_id.in_(service.units_under(unit)))
    if q and q.strip():
        stmt = stmt.where(Cadre.name.contains(q.strip(), autoescape=True))
    return list(session.scalars(stmt.order_by(Cadre.name, Cadre.id).limit(limit).offset(offset)))


def _audit(session: Session, action: str, cadre: Cadre, *, actor: Principal, now: datetime, **details: object) -> None:
    audit.record(session, actor=actor, action=action, now=now, object_type="cadre", object_id=cadre.id, details=details)


def _user(session: Session, username: str | None, *, actor: Principal) -> User | None:
    if not username:
        return None
    user = get_user_by_username(session, username)
    visible = user is not None and (
        actor.visibility.everything
        or session.scalar(
            select(User.id).where(User.id == user.id, scope_filter(actor.visibility, unit_id_col=User.unit_id))
        )
        is not None
    )
    if user is None or not visible:
        raise NotFound(f"account {username!r} not found")
    if session.scalar(select(Cadre.id).where(Cadre.user_id == user.id)) is not None:
        raise Conflict(f"account {username!r} is linked to another cadre", code="account_taken")
    return user


def create_cadre(
    session: Session,
    cipher: FieldCipher,
    *,
    name: str,
    unit_code: str,
    actor: Principal,
    now: datetime,
    title: str = "",
    phone: str | None = None,
    username: str | None = None,
) -> Cadre:
    """Register a cadre of a unit inside the caller's scope, optionally tied to a user account."""
    actor.require(Permission.FLEET_WRITE)
    problems: list[tuple[str, str]] = []
    clean_name = clean_text(name, field="name", max_length=40, problems=problems)
    clean_title = " ".join(title.split())[:40]
    mobile = clean_phone(phone, problems)
    service.raise_problems(problems)
    unit = service.visible_unit(session, unit_code, actor=actor, kinds=CADRE_UNIT_KINDS, field="unit_code")
    user = _user(session, username, actor=actor)
    cadre = Cadre(
        name=clean_name,
        unit_id=unit.id,
        user_id=user.id if user else None,
        title=clean_title,
        phone_enc=cipher.encrypt(mobile) if mobile else None,
        phone_bidx=cipher.blind_index(mobile) if mobile else None,
        created_at=now,
    )
    session.add(cadre)
    session.flush()
    _audit(session, "fleet.cadre.create", cadre, actor=actor, now=now, unit=unit.code, user_id=cadre.user_id)
    return cadre


def update_cadre(
    session: Session,
    cipher: FieldCipher,
    cadre_id: int,
    *,
    changes: Mapping[str, object],
    actor: Principal,
    now: datetime,
) -> Cadre:
    """Change a cadre's name, title or phone (``phone: None`` clears it)."""
    actor.require(Permission.FLEET_WRITE)
    cadre = get_cadre(session, cadre_id, actor=actor)
    unknown = sorted(set(changes) - {"name", "title", "phone"})
    if unknown:
        raise ValidationFailed(f"unknown fields: {', '.join(unknown)}", fields=unknown)
    problems: list[tuple[str, str]] = []
    if "name" in changes:
        cadre.name = clean_text(changes["name"], field="name", max_length=40, problems=problems)
    if "title" in changes:
        cadre.title = " ".join(str(changes["title"] or "").split())[:40]
    if "phone" in changes:
        mobile = clean_phone(changes["phone"], problems)
        cadre.phone_enc = cipher.encrypt(mobile) if mobile else None
        cadre.phone_bidx = cipher.blind_index(mobile) if mobile else None
    service.raise_problems(problems)
    session.flush()
    _audit(session, "fleet.cadre.update", cadre, actor=actor, now=now, fields=sorted(changes))
    return cadre


def link_cadre(
    session: Session,
    cadre_id: int,
    vessel_id: int,
    *,
    actor: Principal,
    now: datetime,
    since: datetime | None = None,
) -> CadreLink:
    """Make a cadre answer for a vessel from ``since`` (default now); a pair has one current link."""
    actor.require(Permission.FLEET_WRITE)
    cadre = get_cadre(session, cadre_id, actor=actor)
    vessel = service.get_vessel(session, vessel_id, actor=actor)
    at = service.check_instant(since, now=now, field="since")
    current = session.scalar(
        select(CadreLink.id).where(
            CadreLink.cadre_id == cadre.id, CadreLink.vessel_id == vessel.id, CadreLink.until.is_(None)
        )
    )
    if current is not None:
        raise Conflict(f"{cadre.name} already answers for {vessel.registration_no}", code="already_linked")
    last_end = session.scalar(
        select(func.max(CadreLink.until)).where(CadreLink.cadre_id == cadre.id, CadreLink.vessel_id == vessel.id)
    )
    if last_end is not None and at < last_end:
        raise ValidationFailed("the new link starts before the previous one ended", fields=["since"])
    link = CadreLink(cadre_id=cadre.id, vessel_id=vessel.id, since=at, until=None)
    with service.unique_guard(
        session,
        markers=("uq_cadre_link_cadre_id_vessel_id_since", "cadre_link.cadre_id"),
        message=f"{cadre.name} already answers for {vessel.registration_no} from that instant",
        code="already_linked",
    ):
        session.add(link)
    _audit(
        session, "fleet.cadre.link", cadre, actor=actor, now=now, vessel=vessel.registration_no, since=at.isoformat()
    )
    return link


def unlink_cadre(
    session: Session,
    cadre_id: int,
    vessel_id: int,
    *,
    actor: Principal,
    now: datetime,
    until: datetime | None = None,
) -> CadreLink:
    """End a cadre's current link to a vessel at ``until`` (default now)."""
    actor.require(Permission.FLEET_WRITE)
    cadre = get_cadre(session, cadre_id, actor=actor)
    vessel = service.get_vessel(session, vessel_id, actor=actor)
    link = session.scalars(
        select(CadreLink).where(
            CadreLink.cadre_id == cadre.id, CadreLink.vessel_id == vessel.id, CadreLink.until.is_(None)
        )
    ).first()
    if link is None:
        raise NotFound(f"{cadre.name} does not answer for {vessel.registration_no}")
    at = service.check_instant(until, now=now, field="until")
    if at < link.since:
        raise ValidationFailed("until is before the link began", fields=["until"])
    link.until = at
    session.flush()
    _audit(
        session,
        "fleet.cadre.unlink",
        cadre,
        actor=actor,
        now=now,
        vessel=vessel.registration_no,
        until=at.isoformat(),
    )
    return link


def cadres_of(session: Session, vessel_id: int, *, actor: Principal) -> list[tuple[Cadre, CadreLink]]:
    """The cadres answering now for a vessel inside the caller's scope, with their links."""
    vessel = service.get_vessel(session, vessel_id, actor=actor)
    return service.current_cadre_links(session, [vessel.id])


def vessels_of(session: Session, cadre_id: int, *, actor: Principal) -> list[tuple[Vessel, CadreLink]]:
    """The vessels a cadre answers for now (those inside the caller's scope), by registration number."""
    cadre = get_cadre(session, cadre_id, actor=actor)
    stmt = (
        select(Vessel, CadreLink)
        .join(CadreLink, CadreLink.vessel_id == Vessel.id)
        .where(CadreLink.cadre_id == cadre.id, CadreLink.until.is_(None), service.vessel_scope(actor))
        .order_by(Vessel.registration_no)
    )
    return [(a, b) for a, b in session.execute(stmt)]


@dataclass(frozen=True)
class Coverage:
    """定人联船 coverage in a scope."""

    vessels_total: int
    without_cadre_count: int
    without_cadre: list[Vessel]
    limit: int
    overloaded: list[tuple[Cadre, int]]


def coverage_report(
    session: Session, *, actor: Principal, limit: int = CADRE_MAX_VESSELS, max_listed: int = 500
) -> Coverage:
    """Active vessels in the scope without a current cadre, and cadres in the scope answering for more than
    ``limit`` vessels (most loaded first)."""
    actor.require(Permission.FLEET_READ)
    in_scope = (service.vessel_scope(actor), Vessel.is_active.is_(True))
    linked = select(CadreLink.vessel_id).where(CadreLink.until.is_(None))
    total = int(session.scalar(select(func.count(Vessel.id)).where(*in_scope)) or 0)
    missing = select(Vessel).where(*in_scope, Vessel.id.not_in(linked))
    missing_count = int(session.scalar(select(func.count()).select_from(missing.subquery())) or 0)
    without = list(session.scalars(missing.order_by(Vessel.registration_no).limit(max_listed)))
    load = func.count(CadreLink.id)
    heavy = (
        select(CadreLink.cadre_id, load.label("vessels"))
        .where(CadreLink.until.is_(None))
        .group_by(CadreLink.cadre_id)
        .having(load > limit)
        .subquery()
    )
    stmt = (
        select(Cadre, heavy.c.vessels)
        .join(heavy, heavy.c.cadre_id == Cadre.id)
        .where(scope_filter(actor.visibility, unit_id_col=Cadre.unit_id))
        .order_by(heavy.c.vessels.desc(), Cadre.id)
    )
    overloaded = [(c, int(n)) for c, n in session.execute(stmt)]
    return Coverage(total, missing_count, without, limit, overloaded)
