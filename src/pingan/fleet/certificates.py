"""Vessel certificates (国籍证书, 捕捞许可证, 检验证书, insurance) and the list of expired or expiring ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.errors import NotFound, ValidationFailed
from pingan.fleet import service
from pingan.fleet.models import (
    Certificate,
    CertificateKind,
    CrewMember,
    Vessel,
)
from pingan.fleet.schemas import clean_text
from pingan.fleet.service import audit_vessel, get_vessel, local_today, raise_problems
from pingan.org.models import OrgUnit

EXPIRING_WITHIN_DAYS = 30


def _check_certificate(number: object, issued_on: date, expires_on: date) -> str:
    problems: list[tuple[str, str]] = []
    clean = clean_text(number, field="number", max_length=40, problems=problems)
    if expires_on < issued_on:
        problems.append(("expires_on", "a certificate cannot expire before it is issued"))
    raise_problems(problems)
    return clean


def list_certificates(session: Session, vessel_id: int, *, actor: Principal) -> list[Certificate]:
    """A vessel's certificates."""
    vessel = get_vessel(session, vessel_id, actor=actor)
    stmt = select(Certificate).where(Certificate.vessel_id == vessel.id).order_by(Certificate.kind, Certificate.id)
    return list(session.scalars(stmt))


def add_certificate(
    session: Session,
    vessel_id: int,
    *,
    kind: CertificateKind | str,
    number: str,
    issued_on: date,
    expires_on: date,
    actor: Principal,
    now: datetime,
) -> Certificate:
    """Record a certificate (国籍证书, 捕捞许可证, 检验证书, insurance) with its validity."""
    actor.require(Permission.FLEET_WRITE)
    vessel = get_vessel(session, vessel_id, actor=actor)
    try:
        cert_kind = CertificateKind(str(kind))
    except ValueError as exc:
        raise ValidationFailed(f"unknown certificate kind {kind!r}", fields=["kind"]) from exc
    clean = _check_certificate(number, issued_on, expires_on)
    cert = Certificate(vessel_id=vessel.id, kind=cert_kind, number=clean, issued_on=issued_on, expires_on=expires_on)
    session.add(cert)
    session.flush()
    audit_vessel(
        session,
        "fleet.certificate.add",
        vessel,
        actor=actor,
        now=now,
        certificate=cert.id,
        kind=str(cert_kind),
        expires_on=expires_on.isoformat(),
    )
    return cert


def _certificate(session: Session, vessel: Vessel, certificate_id: int) -> Certificate:
    cert = session.get(Certificate, certificate_id)
    if cert is None or cert.vessel_id != vessel.id:
        raise NotFound(f"certificate {certificate_id} not found on this vessel")
    return cert


def update_certificate(
    session: Session,
    vessel_id: int,
    certificate_id: int,
    *,
    actor: Principal,
    now: datetime,
    number: str | None = None,
    issued_on: date | None = None,
    expires_on: date | None = None,
) -> Certificate:
    """Renew or correct a certificate."""
    actor.require(Permission.FLEET_WRITE)
    vessel = get_vessel(session, vessel_id, actor=actor)
    cert = _certificate(session, vessel, certificate_id)
    issued = issued_on or cert.issued_on
    expires = expires_on or cert.expires_on
    cert.number = _check_certificate(number if number is not None else cert.number, issued, expires)
    cert.issued_on, cert.expires_on = issued, expires
    session.flush()
    audit_vessel(
        session,
        "fleet.certificate.update",
        vessel,
        actor=actor,
        now=now,
        certificate=cert.id,
        expires_on=expires.isoformat(),
    )
    return cert


def delete_certificate(
    session: Session, vessel_id: int, certificate_id: int, *, actor: Principal, now: datetime
) -> None:
    """Remove a certificate recorded in error."""
    actor.require(Permission.FLEET_WRITE)
    vessel = get_vessel(session, vessel_id, actor=actor)
    cert = _certificate(session, vessel, certificate_id)
    session.delete(cert)
    session.flush()
    audit_vessel(session, "fleet.certificate.delete", vessel, actor=actor, now=now, certificate=certificate_id)


@dataclass(frozen=True)
class Expiring:
    """A certificate of a vessel, or of one of its crew, that has expired or expires soon."""

    source: str  # "vessel" | "crew"
    certificate_id: int | None
    crew_member_id: int | None
    vessel_id: int
    registration_no: str
    vessel_name: str
    home_unit_code: str
    home_unit_name: str
    kind: str  # a CertificateKind, or the crew member's CrewRole
    number: str | None
    holder_name: str | None  # clear: mask before answering
    expires_on: date


def expiring_certificates(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    within_days: int = EXPIRING_WITHIN_DAYS,
    home_unit_code: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[Expiring]:
    """Certificates in the scope that have expired or expire within ``within_days``, soonest first.

    Vessel certificates count only when no newer certificate of the same kind replaced them; crew certificates
    count for crew on board. Active vessels only.
    """
    actor.require(Permission.FLEET_READ)
    if not 0 <= within_days <= 3660:
        raise ValidationFailed("within_days must be 0–3660", fields=["within_days"])
    horizon = local_today(now) + timedelta(days=within_days)
    vessels = select(Vessel.id).where(service.vessel_scope(actor), Vessel.is_active.is_(True))
    if home_unit_code:
        unit = service.visible_unit(session, home_unit_code, actor=actor)
        vessels = vessels.where(Vessel.home_unit_id.in_(service.units_under(unit)))
    newer = aliased(Certificate)
    superseded = exists().where(
        newer.vessel_id == Certificate.vessel_id,
        newer.kind == Certificate.kind,
        newer.expires_on > Certificate.expires_on,
    )
    head = limit + offset
    cert_rows = session.execute(
        select(Certificate, Vessel.registration_no, Vessel.name, OrgUnit.code, OrgUnit.name)
        .join(Vessel, Vessel.id == Certificate.vessel_id)
        .join(OrgUnit, OrgUnit.id == Vessel.home_unit_id)
        .where(Certificate.vessel_id.in_(vessels), Certificate.expires_on <= horizon, ~superseded)
        .order_by(Certificate.expires_on, Certificate.id)
        .limit(head)
    )
    items = [
        Expiring(
            source="vessel",
            certificate_id=c.id,
            crew_member_id=None,
            vessel_id=c.vessel_id,
            registration_no=reg,
            vessel_name=name,
            home_unit_code=unit_code,
            home_unit_name=unit_name,
            kind=str(c.kind),
            number=c.number,
            holder_name=None,
            expires_on=c.expires_on,
        )
        for c, reg, name, unit_code, unit_name in cert_rows
    ]
    crew_rows = session.execute(
        select(CrewMember, Vessel.registration_no, Vessel.name, OrgUnit.code, OrgUnit.name)
        .join(Vessel, Vessel.id == CrewMember.vessel_id)
        .join(OrgUnit, OrgUnit.id == Vessel.home_unit_id)
        .where(
            CrewMember.vessel_id.in_(vessels),
            CrewMember.on_board.is_(True),
            CrewMember.certificate_expires_on.is_not(None),
            CrewMember.certificate_expires_on <= horizon,
        )
        .order_by(CrewMember.certificate_expires_on, CrewMember.id)
        .limit(head)
    )
    items.extend(
        Expiring(
            source="crew",
            certificate_id=None,
            crew_member_id=m.id,
            vessel_id=m.vessel_id,
            registration_no=reg,
            vessel_name=name,
            home_unit_code=unit_code,
            home_unit_name=unit_name,
            kind=str(m.role),
            number=m.certificate_no,
            holder_name=m.name,
            expires_on=m.certificate_expires_on,
        )
        for m, reg, name, unit_code, unit_name in crew_rows
    )
    items.sort(key=lambda e: (e.expires_on, e.registration_no, e.source, e.certificate_id or e.crew_member_id or 0))
    return items[offset:head]
