"""Owners, operators and crews of vessels: personal data encrypted with a blind index, revealed only with a reason.

Like the people register (:mod:`pingan.people.service`), ID numbers and phones are stored as AES-GCM ciphertext
plus a keyed blind index; answers mask them (:mod:`pingan.fleet.schemas`) and the clear values come out only
through :func:`reveal_party` and :func:`reveal_crew_member`, which need ``people.reveal`` and a reason, and write
one audit row each (the reason and the field names, never a clear value).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.errors import Conflict, NotFound, ValidationFailed
from pingan.fleet import service
from pingan.fleet.models import CrewMember, CrewRole, Party, Vessel
from pingan.fleet.schemas import PartyData, check_party, clean_id_number, clean_phone, clean_text
from pingan.kit.crypto import FieldCipher
from pingan.people.schemas import REVEAL_FIELDS, RevealField
from pingan.people.service import check_reveal_reason as check_reason

PartyRole = Literal["owner", "operator"]
PARTY_ROLES: tuple[PartyRole, ...] = ("owner", "operator")


def _protected(cipher: FieldCipher, id_number: str | None, phone: str | None) -> dict[str, object]:
    return {
        "id_enc": cipher.encrypt(id_number) if id_number else None,
        "id_bidx": cipher.blind_index(id_number) if id_number else None,
        "phone_enc": cipher.encrypt(phone) if phone else None,
        "phone_bidx": cipher.blind_index(phone) if phone else None,
    }


def _role(role: str) -> PartyRole:
    if role not in PARTY_ROLES:
        raise NotFound(f"no party role {role!r}; use owner or operator")
    return role


def _drop_if_orphan(session: Session, party_id: int | None) -> None:
    # An owner no vessel refers to any more is personal data without a purpose: delete it.
    if party_id is None:
        return
    used = session.scalar(
        select(Vessel.id).where(or_(Vessel.owner_id == party_id, Vessel.operator_id == party_id)).limit(1)
    )
    if used is None:
        party = session.get(Party, party_id)
        if party is not None:
            session.delete(party)
            session.flush()


# ---------------------------------------------------------------- owners and operators


def set_party(
    session: Session,
    cipher: FieldCipher,
    vessel_id: int,
    role: str,
    *,
    kind: str,
    name: str,
    actor: Principal,
    now: datetime,
    id_number: str | None = None,
    phone: str | None = None,
    credit_code: str | None = None,
    address: str | None = None,
) -> Party:
    """Record the vessel's owner or operator (a person with an ID number, or a company with a credit code)."""
    actor.require(Permission.FLEET_WRITE)
    which = _role(role)
    vessel = service.get_vessel(session, vessel_id, actor=actor)
    data, problems = check_party(
        kind=kind,
        name=name,
        id_number=id_number,
        phone=phone,
        credit_code=credit_code,
        address=address,
        today=service.local_today(now),
    )
    service.raise_problems(problems)
    assert data is not None
    party = _new_party(cipher, data, now=now)
    session.add(party)
    session.flush()
    previous = getattr(vessel, f"{which}_id")
    setattr(vessel, f"{which}_id", party.id)
    setattr(vessel, which, party)
    session.flush()
    if previous != party.id:
        _drop_if_orphan(session, previous)
    service.audit_vessel(
        session, f"fleet.{which}.set", vessel, actor=actor, now=now, party=party.id, kind=str(data.kind)
    )
    return party


def _new_party(cipher: FieldCipher, data: PartyData, *, now: datetime) -> Party:
    return Party(
        kind=data.kind,
        name=data.name,
        credit_code=data.credit_code,
        address=data.address,
        created_at=now,
        **_protected(cipher, data.id_number, data.phone),
    )


def clear_party(session: Session, vessel_id: int, role: str, *, actor: Principal, now: datetime) -> None:
    """Take the owner or operator off the vessel file (the record is deleted when no vessel uses it)."""
    actor.require(Permission.FLEET_WRITE)
    which = _role(role)
    vessel = service.get_vessel(session, vessel_id, actor=actor)
    previous = getattr(vessel, f"{which}_id")
    if previous is None:
        return
    setattr(vessel, f"{which}_id", None)
    setattr(vessel, which, None)
    session.flush()
    _drop_if_orphan(session, previous)
    service.audit_vessel(session, f"fleet.{which}.clear", vessel, actor=actor, now=now)


def _check_fields(fields: Sequence[str]) -> list[RevealField]:
    wanted = [f for f in REVEAL_FIELDS if f in set(fields)]
    unknown = sorted(set(fields) - set(REVEAL_FIELDS))
    if unknown or not wanted:
        raise ValidationFailed(f"fields must be among {', '.join(REVEAL_FIELDS)}", code="bad_reveal_fields")
    return wanted


def reveal_party(
    session: Session,
    cipher: FieldCipher,
    vessel_id: int,
    role: str,
    *,
    reason: str,
    fields: Sequence[str] = REVEAL_FIELDS,
    actor: Principal,
    now: datetime,
) -> tuple[int, dict[str, str | None]]:
    """查看明文: the clear name, ID number and phone of a vessel's owner or operator, for a stated reason.

    Returns the party's id and the fields asked for.
    """
    actor.require(Permission.FLEET_READ)
    actor.require(Permission.PEOPLE_REVEAL)
    why = check_reason(reason)
    wanted = _check_fields(fields)
    which = _role(role)
    vessel = service.get_vessel(session, vessel_id, actor=actor)
    party: Party | None = getattr(vessel, which)
    if party is None:
        raise NotFound(f"the vessel has no {which} on file")
    clear = {
        "name": party.name,
        "id_number": cipher.decrypt(party.id_enc) if party.id_enc else None,
        "phone": cipher.decrypt(party.phone_enc) if party.phone_enc else None,
    }
    audit.record(
        session,
        actor=actor,
        action=f"fleet.{which}.reveal",
        now=now,
        object_type="fleet_party",
        object_id=party.id,
        details={"vessel": vessel.registration_no, "reason": why, "fields": wanted},
    )
    return party.id, {f: clear[f] for f in wanted}


# ---------------------------------------------------------------- crews


def list_crew(session: Session, vessel_id: int, *, actor: Principal) -> list[CrewMember]:
    """A vessel's crew, those on board first."""
    vessel = service.get_vessel(session, vessel_id, actor=actor)
    stmt = select(CrewMember).where(CrewMember.vessel_id == vessel.id)
    return list(session.scalars(stmt.order_by(CrewMember.on_board.desc(), CrewMember.id)))


def _crew_member(session: Session, vessel: Vessel, crew_id: int) -> CrewMember:
    member = session.get(CrewMember, crew_id)
    if member is None or member.vessel_id != vessel.id:
        raise NotFound(f"crew member {crew_id} not found on this vessel")
    return member


def _crew_role(role: object) -> CrewRole:
    try:
        return CrewRole(str(role))
    except ValueError as exc:
        raise ValidationFailed(f"unknown crew role {role!r}", fields=["role"]) from exc


def add_crew_member(
    session: Session,
    cipher: FieldCipher,
    vessel_id: int,
    *,
    name: str,
    role: CrewRole | str,
    id_number: str,
    actor: Principal,
    now: datetime,
    phone: str | None = None,
    certificate_no: str | None = None,
    certificate_expires_on: date | None = None,
    on_board: bool = True,
) -> CrewMember:
    """Sign a crew member onto a vessel's list; the same ID number is on a vessel's list once."""
    actor.require(Permission.FLEET_WRITE)
    vessel = service.get_vessel(session, vessel_id, actor=actor)
    problems: list[tuple[str, str]] = []
    clean_name = clean_text(name, field="name", max_length=40, problems=problems)
    number = clean_id_number(id_number, problems, today=service.local_today(now))
    mobile = clean_phone(phone, problems)
    certificate = _clean_certificate(certificate_no, problems)
    service.raise_problems(problems)
    crew_role = _crew_role(role)
    index = cipher.blind_index(number)
    taken = session.scalar(
        select(CrewMember.id).where(CrewMember.vessel_id == vessel.id, CrewMember.id_bidx == index).limit(1)
    )
    if taken is not None:
        raise Conflict("this person is already on the vessel's crew list", code="duplicate_crew_member")
    member = CrewMember(
        vessel_id=vessel.id,
        name=clean_name,
        role=crew_role,
        certificate_no=certificate,
        certificate_expires_on=certificate_expires_on,
        on_board=on_board,
        created_at=now,
        **_protected(cipher, number, mobile),
    )
    session.add(member)
    session.flush()
    service.audit_vessel(
        session, "fleet.crew.add", vessel, actor=actor, now=now, crew_member=member.id, role=str(crew_role)
    )
    return member


def _clean_certificate(value: str | None, problems: list[tuple[str, str]]) -> str | None:
    if value is None or not value.strip():
        return None
    return clean_text(value, field="certificate_no", max_length=40, problems=problems)


_UNSET: object = object()


def update_crew_member(
    session: Session,
    cipher: FieldCipher,
    vessel_id: int,
    crew_id: int,
    *,
    actor: Principal,
    now: datetime,
    role: CrewRole | str | None = None,
    phone: object = _UNSET,
    certificate_no: object = _UNSET,
    certificate_expires_on: object = _UNSET,
    on_board: bool | None = None,
) -> CrewMember:
    """Change a crew member's role, phone, certificate or whether on board (``None`` clears phone/certificate)."""
    actor.require(Permission.FLEET_WRITE)
    vessel = service.get_vessel(session, vessel_id, actor=actor)
    member = _crew_member(session, vessel, crew_id)
    problems: list[tuple[str, str]] = []
    changed: list[str] = []
    if role is not None:
        member.role = _crew_role(role)
        changed.append("role")
    if phone is not _UNSET:
        mobile = clean_phone(phone, problems)
        member.phone_enc = cipher.encrypt(mobile) if mobile else None
        member.phone_bidx = cipher.blind_index(mobile) if mobile else None
        changed.append("phone")
    if certificate_no is not _UNSET:
        member.certificate_no = _clean_certificate(
            certificate_no if isinstance(certificate_no, str) else None, problems
        )
        changed.append("certificate_no")
    if certificate_expires_on is not _UNSET:
        if certificate_expires_on is not None and not isinstance(certificate_expires_on, date):
            problems.append(("certificate_expires_on", "certificate_expires_on must be a date"))
        else:
            member.certificate_expires_on = certificate_expires_on
            changed.append("certificate_expires_on")
    if on_board is not None:
        member.on_board = on_board
        changed.append("on_board")
    service.raise_problems(problems)
    session.flush()
    if changed:
        service.audit_vessel(
            session, "fleet.crew.update", vessel, actor=actor, now=now, crew_member=member.id, fields=changed
        )
    return member


def remove_crew_member(session: Session, vessel_id: int, crew_id: int, *, actor: Principal, now: datetime) -> None:
    """Delete a crew member from the vessel's list (personal data goes with the row)."""
    actor.require(Permission.FLEET_WRITE)
    vessel = service.get_vessel(session, vessel_id, actor=actor)
    member = _crew_member(session, vessel, crew_id)
    session.delete(member)
    session.flush()
    service.audit_vessel(session, "fleet.crew.remove", vessel, actor=actor, now=now, crew_member=crew_id)


def reveal_crew_member(
    session: Session,
    cipher: FieldCipher,
    vessel_id: int,
    crew_id: int,
    *,
    reason: str,
    fields: Sequence[str] = REVEAL_FIELDS,
    actor: Principal,
    now: datetime,
) -> dict[str, str | None]:
    """查看明文: the clear name, ID number and phone of one crew member, for a stated reason."""
    actor.require(Permission.FLEET_READ)
    actor.require(Permission.PEOPLE_REVEAL)
    why = check_reason(reason)
    wanted = _check_fields(fields)
    vessel = service.get_vessel(session, vessel_id, actor=actor)
    member = _crew_member(session, vessel, crew_id)
    clear = {
        "name": member.name,
        "id_number": cipher.decrypt(member.id_enc) if member.id_enc else None,
        "phone": cipher.decrypt(member.phone_enc) if member.phone_enc else None,
    }
    audit.record(
        session,
        actor=actor,
        action="fleet.crew.reveal",
        now=now,
        object_type="crew_member",
        object_id=member.id,
        details={"vessel": vessel.registration_no, "reason": why, "fields": wanted},
    )
    return {f: clear[f] for f in wanted}
