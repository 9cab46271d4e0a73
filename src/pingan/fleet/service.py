"""Vessel files (一船一档): open and change vessels, list them, and read a whole file; the fleet's shared helpers.

A vessel is keyed by its own id, never by an MMSI (terminals come and go: :mod:`pingan.fleet.terminals`). Every
read and write goes through the caller's data scope on the vessel's home unit (a record outside it is "not
found"). Services flush and never commit; every change writes an audit row without personal data. Owners and
crews are in :mod:`pingan.fleet.parties`, certificates in :mod:`pingan.fleet.certificates`, documents, events
and the timeline in :mod:`pingan.fleet.records`, the Excel lists in :mod:`pingan.fleet.exports`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.auth.repository import scope_filter, units_query
from pingan.errors import Conflict, NotFound, ValidationFailed
from pingan.fleet.models import (
    Cadre,
    CadreLink,
    Certificate,
    CrewMember,
    GroupMembership,
    Port,
    Rating,
    RatingStatus,
    Terminal,
    Vessel,
    VesselDocument,
    VesselGroup,
)
from pingan.fleet.schemas import VESSEL_FIELDS, check_vessel_fields
from pingan.kit.clock import as_utc, to_local
from pingan.org.models import OrgUnit, UnitKind

HOME_UNIT_KINDS = (UnitKind.TOWNSHIP, UnitKind.COMMUNITY)


def raise_problems(problems: list[tuple[str, str]]) -> None:
    """Raise one :class:`ValidationFailed` naming every field with a problem."""
    if problems:
        raise ValidationFailed("; ".join(message for _, message in problems), fields=[f for f, _ in problems])


def local_today(now: datetime) -> date:
    """The calendar date in Zhoushan at ``now`` (certificates expire on local dates)."""
    return to_local(now).date()


def check_instant(value: datetime | None, *, now: datetime, field: str) -> datetime:
    """An instant given by a caller (default ``now``), as UTC, and not in the future."""
    at = now if value is None else as_utc(value)
    if at > now:
        raise ValidationFailed(f"{field} must not be in the future", fields=[field])
    return at


@contextmanager
def unique_guard(session: Session, *, markers: Sequence[str], message: str, code: str) -> Iterator[None]:
    """Run the flush inside a savepoint and turn a unique violation naming one of ``markers`` into a Conflict.

    The services check first; the database's unique and partial unique indexes are the backstop when two
    requests race past the check.
    """
    try:
        with session.begin_nested():
            yield
            session.flush()
    except IntegrityError as exc:
        if any(marker in str(exc.orig) for marker in markers):
            raise Conflict(message, code=code) from exc
        raise


# ---------------------------------------------------------------- scope and lookups


def vessel_scope(actor: Principal) -> ColumnElement[bool]:
    """The data-scope condition on vessels (their home unit)."""
    return scope_filter(actor.visibility, unit_id_col=Vessel.home_unit_id)


def vessels_query(actor: Principal) -> Select[tuple[Vessel]]:
    """Vessels the caller may see."""
    return select(Vessel).where(vessel_scope(actor))


def get_vessel(session: Session, vessel_id: int, *, actor: Principal) -> Vessel:
    """A vessel inside the caller's scope, else :class:`NotFound`."""
    actor.require(Permission.FLEET_READ)
    vessel = session.scalars(vessels_query(actor).where(Vessel.id == vessel_id)).first()
    if vessel is None:
        raise NotFound(f"vessel {vessel_id} not found")
    return vessel


def visible_unit(
    session: Session, code: str, *, actor: Principal, kinds: Iterable[UnitKind] | None = None, field: str = "unit"
) -> OrgUnit:
    """An organisation unit inside the caller's scope (404 outside), optionally of the given kinds (422)."""
    unit = session.scalars(units_query(actor.visibility).where(OrgUnit.code == code.strip())).first()
    if unit is None:
        raise NotFound(f"unit {code!r} not found")
    allowed = tuple(kinds or ())
    if allowed and unit.kind not in allowed:
        names = " or ".join(str(k) for k in allowed)
        raise ValidationFailed(f"{field} must be a {names} unit, not {unit.kind}", fields=[field])
    return unit


def units_under(unit: OrgUnit) -> Select[tuple[int]]:
    """Ids of a unit and every unit below it (a prefix match on the path)."""
    return select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path, autoescape=True))


def _port(session: Session, code: str | None) -> Port | None:
    if not code:
        return None
    port = session.scalars(select(Port).where(Port.code == code.strip())).first()
    if port is None:
        raise NotFound(f"port {code!r} not found")
    return port


def audit_vessel(
    session: Session, action: str, vessel: Vessel, *, actor: Principal, now: datetime, **details: object
) -> None:
    """Write the audit row of a change to a vessel file (details never carry personal data)."""
    audit.record(
        session,
        actor=actor,
        action=action,
        now=now,
        object_type="vessel",
        object_id=vessel.id,
        details={"registration_no": vessel.registration_no, **details},
    )


# ---------------------------------------------------------------- vessels


def create_vessel(
    session: Session,
    *,
    registration_no: str,
    port_of_registry: str,
    home_unit_code: str,
    hull_material: str,
    length_m: float,
    gross_tonnage: float,
    engine_power_kw: float,
    build_year: int,
    operation_type: str,
    actor: Principal,
    now: datetime,
    name: str | None = None,
    home_port_code: str | None = None,
) -> Vessel:
    """Open a vessel file; the home unit must be a township or village inside the caller's scope."""
    actor.require(Permission.FLEET_WRITE)
    values: dict[str, object] = {
        "registration_no": registration_no,
        "name": name if name not in (None, "") else registration_no,
        "port_of_registry": port_of_registry,
        "hull_material": hull_material,
        "length_m": length_m,
        "gross_tonnage": gross_tonnage,
        "engine_power_kw": engine_power_kw,
        "build_year": build_year,
        "operation_type": operation_type,
    }
    clean, problems = check_vessel_fields(values, this_year=local_today(now).year)
    raise_problems(problems)
    unit = visible_unit(session, home_unit_code, actor=actor, kinds=HOME_UNIT_KINDS, field="home_unit_code")
    port = _port(session, home_port_code)
    number = str(clean["registration_no"])
    if session.scalar(select(Vessel.id).where(Vessel.registration_no == number)) is not None:
        raise Conflict(f"registration number {number} is already on file", code="registration_taken")
    vessel = Vessel(
        **clean,
        home_unit_id=unit.id,
        home_port_id=port.id if port else None,
        ais_snapshot={},
        is_active=True,
        created_at=now,
    )
    with unique_guard(
        session,
        markers=("uq_vessel_registration_no", "vessel.registration_no"),
        message=f"registration number {number} is already on file",
        code="registration_taken",
    ):
        session.add(vessel)
    audit_vessel(session, "fleet.vessel.create", vessel, actor=actor, now=now, home_unit=unit.code)
    return vessel


def update_vessel(
    session: Session, vessel_id: int, *, changes: Mapping[str, object], actor: Principal, now: datetime
) -> Vessel:
    """Change fields of a vessel file (any of :data:`VESSEL_FIELDS`, ``home_unit_code``, ``home_port_code``,
    ``is_active``); the audit row names the changed fields."""
    actor.require(Permission.FLEET_WRITE)
    vessel = get_vessel(session, vessel_id, actor=actor)
    known = {*VESSEL_FIELDS, "home_unit_code", "home_port_code", "is_active"}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ValidationFailed(f"unknown fields: {', '.join(unknown)}", fields=unknown)
    clean, problems = check_vessel_fields(
        {k: v for k, v in changes.items() if k in VESSEL_FIELDS}, this_year=local_today(now).year
    )
    raise_problems(problems)
    changed: list[str] = []
    number = clean.get("registration_no")
    if number is not None and number != vessel.registration_no:
        taken = session.scalar(select(Vessel.id).where(Vessel.registration_no == number, Vessel.id != vessel.id))
        if taken is not None:
            raise Conflict(f"registration number {number} is already on file", code="registration_taken")
    for field, value in clean.items():
        if getattr(vessel, field) != value:
            setattr(vessel, field, value)
            changed.append(field)
    if "home_unit_code" in changes:
        unit = visible_unit(
            session, str(changes["home_unit_code"]), actor=actor, kinds=HOME_UNIT_KINDS, field="home_unit_code"
        )
        if unit.id != vessel.home_unit_id:
            vessel.home_unit_id, vessel.home_unit = unit.id, unit
            changed.append("home_unit")
    if "home_port_code" in changes:
        port = _port(session, str(changes["home_port_code"] or "") or None)
        if (port.id if port else None) != vessel.home_port_id:
            vessel.home_port_id, vessel.home_port = (port.id if port else None), port
            changed.append("home_port")
    if "is_active" in changes and bool(changes["is_active"]) != vessel.is_active:
        vessel.is_active = bool(changes["is_active"])
        changed.append("is_active")
    if changed:
        with unique_guard(
            session,
            markers=("uq_vessel_registration_no", "vessel.registration_no"),
            message=f"registration number {vessel.registration_no} is already on file",
            code="registration_taken",
        ):
            session.flush()
        audit_vessel(session, "fleet.vessel.update", vessel, actor=actor, now=now, fields=sorted(changed))
    return vessel


def filtered_vessels(
    session: Session,
    *,
    actor: Principal,
    q: str | None,
    home_unit_code: str | None,
    operation_type: str | None,
    group_code: str | None,
) -> Select[tuple[Vessel]]:
    stmt = vessels_query(actor)
    if q and q.strip():
        text = q.strip()
        stmt = stmt.where(
            or_(Vessel.registration_no.contains(text, autoescape=True), Vessel.name.contains(text, autoescape=True))
        )
    if home_unit_code:
        unit = visible_unit(session, home_unit_code, actor=actor)
        stmt = stmt.where(Vessel.home_unit_id.in_(units_under(unit)))
    if operation_type:
        stmt = stmt.where(Vessel.operation_type == operation_type)
    if group_code:
        members = (
            select(GroupMembership.vessel_id)
            .join(VesselGroup, VesselGroup.id == GroupMembership.group_id)
            .where(VesselGroup.code == group_code.strip(), GroupMembership.left_at.is_(None))
        )
        stmt = stmt.where(Vessel.id.in_(members))
    return stmt


def list_vessels(
    session: Session,
    *,
    actor: Principal,
    q: str | None = None,
    home_unit_code: str | None = None,
    operation_type: str | None = None,
    group_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Vessel]:
    """Vessels in the scope, by registration number; ``q`` matches part of the registration number or name."""
    actor.require(Permission.FLEET_READ)
    stmt = filtered_vessels(
        session, actor=actor, q=q, home_unit_code=home_unit_code, operation_type=operation_type, group_code=group_code
    )
    return list(session.scalars(stmt.order_by(Vessel.registration_no).limit(limit).offset(offset)))


def live_mmsis(session: Session, vessel_ids: Collection[int]) -> dict[int, str]:
    """The MMSI each vessel carries now (its live AIS terminal), by vessel id."""
    if not vessel_ids:
        return {}
    stmt = select(Terminal.vessel_id, Terminal.mmsi).where(
        Terminal.vessel_id.in_(sorted(vessel_ids)), Terminal.removed_at.is_(None), Terminal.mmsi.is_not(None)
    )
    return {int(v): str(m) for v, m in session.execute(stmt)}


def current_groups(session: Session, vessel_ids: Collection[int]) -> dict[int, tuple[VesselGroup, GroupMembership]]:
    """The group each vessel is in now, with the open membership, by vessel id."""
    if not vessel_ids:
        return {}
    stmt = (
        select(VesselGroup, GroupMembership)
        .join(GroupMembership, GroupMembership.group_id == VesselGroup.id)
        .where(GroupMembership.vessel_id.in_(sorted(vessel_ids)), GroupMembership.left_at.is_(None))
    )
    return {m.vessel_id: (g, m) for g, m in session.execute(stmt)}


def current_cadre_links(session: Session, vessel_ids: Collection[int]) -> list[tuple[Cadre, CadreLink]]:
    """The cadres answering now for these vessels, with their links, oldest link first."""
    if not vessel_ids:
        return []
    stmt = (
        select(Cadre, CadreLink)
        .join(CadreLink, CadreLink.cadre_id == Cadre.id)
        .where(CadreLink.vessel_id.in_(sorted(vessel_ids)), CadreLink.until.is_(None))
        .order_by(CadreLink.since, CadreLink.id)
    )
    return [(a, b) for a, b in session.execute(stmt)]


def published_rating(session: Session, vessel_id: int) -> Rating | None:
    """The newest published star rating of a vessel, if any."""
    stmt = (
        select(Rating)
        .where(Rating.vessel_id == vessel_id, Rating.status == RatingStatus.PUBLISHED)
        .order_by(Rating.computed_at.desc(), Rating.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


@dataclass
class VesselFile:
    """Everything on one vessel's file, for the detail answer and the vessel page."""

    vessel: Vessel
    crew: list[CrewMember]
    terminals: list[Terminal]
    certificates: list[Certificate]
    documents: list[VesselDocument]
    group: tuple[VesselGroup, GroupMembership] | None
    cadres: list[tuple[Cadre, CadreLink]]
    rating: Rating | None

    @property
    def mmsi(self) -> str | None:
        """The MMSI the vessel carries now."""
        return next((t.mmsi for t in self.terminals if t.removed_at is None and t.mmsi), None)


def terminal_history(session: Session, vessel_id: int) -> list[Terminal]:
    """A vessel's terminals, newest first, removed ones included."""
    stmt = select(Terminal).where(Terminal.vessel_id == vessel_id)
    return list(session.scalars(stmt.order_by(Terminal.installed_at.desc(), Terminal.id.desc())))


def vessel_file(session: Session, vessel_id: int, *, actor: Principal) -> VesselFile:
    """The whole file of a vessel inside the caller's scope."""
    vessel = get_vessel(session, vessel_id, actor=actor)
    crew = session.scalars(
        select(CrewMember).where(CrewMember.vessel_id == vessel.id).order_by(CrewMember.on_board.desc(), CrewMember.id)
    )
    certificates = session.scalars(
        select(Certificate).where(Certificate.vessel_id == vessel.id).order_by(Certificate.kind, Certificate.id)
    )
    documents = session.scalars(
        select(VesselDocument).where(VesselDocument.vessel_id == vessel.id).order_by(VesselDocument.id)
    )
    return VesselFile(
        vessel=vessel,
        crew=list(crew),
        terminals=terminal_history(session, vessel.id),
        certificates=list(certificates),
        documents=list(documents),
        group=current_groups(session, [vessel.id]).get(vessel.id),
        cadres=current_cadre_links(session, [vessel.id]),
        rating=published_rating(session, vessel.id),
    )
