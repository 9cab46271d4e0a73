"""Watch duty (安全值班): rosters of shifts per unit, who is on duty now, the duty log and handover notes.

:func:`on_duty_now` answers "who is on duty for unit X" in one query: the shift of X running at that instant,
or — when X has none — the shift of the nearest unit above X in the organisation tree that has one (a village
falls back to its township, a township to its district, then the city). The maritime alerts use it to address
notifications. Shifts of one unit may not overlap, so the answer is unambiguous.

Reading a roster needs no particular permission, only the unit inside the caller's data scope; writing needs
``duty.write``. Services flush and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.auth.models import User
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.auth.repository import units_query
from pingan.errors import Conflict, NotFound, ValidationFailed
from pingan.fleet.models import DutyLogEntry, DutyShift
from pingan.org.models import OrgUnit

MAX_SHIFT = timedelta(days=7)
MAX_ROSTER_WINDOW = timedelta(days=93)


@dataclass(frozen=True)
class OnDuty:
    """The shift answering for a unit at an instant; ``unit`` is where it was found (the asked unit or above)."""

    shift: DutyShift
    unit: OrgUnit
    asked_unit_id: int

    @property
    def fallback(self) -> bool:
        """True when the shift belongs to a unit above the one asked about."""
        return self.unit.id != self.asked_unit_id


def ancestor_codes(path: str) -> list[str]:
    """Codes on a unit path, root first: ``/330900/330903/`` → ``['330900', '330903']``."""
    return [code for code in path.split("/") if code]


def on_duty_now(session: Session, unit_id: int, now: datetime) -> OnDuty | None:
    """The shift on duty for ``unit_id`` at ``now``, walking up the tree to the nearest unit that has one.

    Scope is not applied (alerts are addressed by the system); endpoints check the caller's scope first.
    """
    unit = session.get(OrgUnit, unit_id)
    if unit is None:
        return None
    stmt = (
        select(DutyShift, OrgUnit)
        .join(OrgUnit, OrgUnit.id == DutyShift.unit_id)
        .where(OrgUnit.code.in_(ancestor_codes(unit.path)), DutyShift.starts_at <= now, DutyShift.ends_at > now)
        .order_by(OrgUnit.depth.desc(), DutyShift.starts_at.desc(), DutyShift.id.desc())
        .limit(1)
    )
    row = session.execute(stmt).first()
    return None if row is None else OnDuty(shift=row[0], unit=row[1], asked_unit_id=unit.id)


def visible_unit(session: Session, unit_id: int, *, actor: Principal) -> OrgUnit:
    """A unit inside the caller's scope, else :class:`NotFound`."""
    unit = session.scalars(units_query(actor.visibility).where(OrgUnit.id == unit_id)).first()
    if unit is None:
        raise NotFound(f"organisation unit {unit_id} not found")
    return unit


def who_is_on_duty(session: Session, unit_id: int, *, actor: Principal, now: datetime) -> OnDuty | None:
    """:func:`on_duty_now` for a unit inside the caller's scope."""
    visible_unit(session, unit_id, actor=actor)
    return on_duty_now(session, unit_id, now)


def _user_exists(session: Session, user_id: int | None, field: str) -> None:
    if user_id is not None and session.get(User, user_id) is None:
        raise ValidationFailed(f"account {user_id} does not exist", code="unknown_user", fields=[field])


def create_shift(
    session: Session,
    *,
    unit_id: int,
    starts_at: datetime,
    ends_at: datetime,
    officer_name: str,
    actor: Principal,
    now: datetime,
    officer_user_id: int | None = None,
    deputy_name: str = "",
    deputy_user_id: int | None = None,
    handover_note: str = "",
) -> DutyShift:
    """Add a shift (on-duty officer and deputy, optionally linked to accounts) to a unit's roster."""
    actor.require(Permission.DUTY_WRITE)
    unit = visible_unit(session, unit_id, actor=actor)
    if ends_at <= starts_at or ends_at - starts_at > MAX_SHIFT:
        raise ValidationFailed("a shift ends after it starts and lasts at most 7 days", code="bad_shift_times")
    officer = " ".join(officer_name.split())
    if not officer:
        raise ValidationFailed("name the on-duty officer", code="officer_required", fields=["officer_name"])
    _user_exists(session, officer_user_id, "officer_user_id")
    _user_exists(session, deputy_user_id, "deputy_user_id")
    clash = session.scalars(
        select(DutyShift.id).where(
            DutyShift.unit_id == unit.id, DutyShift.starts_at < ends_at, DutyShift.ends_at > starts_at
        )
    ).first()
    if clash is not None:
        raise Conflict(f"the shift overlaps shift {clash} of the same unit", code="shift_overlap", shift_id=clash)
    shift = DutyShift(
        unit_id=unit.id,
        starts_at=starts_at,
        ends_at=ends_at,
        officer_name=officer,
        officer_user_id=officer_user_id,
        deputy_name=" ".join(deputy_name.split()),
        deputy_user_id=deputy_user_id,
        handover_note=handover_note.strip(),
    )
    session.add(shift)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="duty.shift.create",
        now=now,
        object_type="duty_shift",
        object_id=shift.id,
        details={"unit": unit.code, "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
    )
    return shift


def list_roster(session: Session, unit_id: int, *, actor: Principal, start: datetime, end: datetime) -> list[DutyShift]:
    """The unit's shifts that overlap ``[start, end)``, in time order."""
    unit = visible_unit(session, unit_id, actor=actor)
    if end <= start or end - start > MAX_ROSTER_WINDOW:
        raise ValidationFailed("ask for a window of up to 93 days", code="bad_window")
    stmt = select(DutyShift).where(DutyShift.unit_id == unit.id, DutyShift.starts_at < end, DutyShift.ends_at > start)
    return list(session.scalars(stmt.order_by(DutyShift.starts_at)))


def get_shift(session: Session, shift_id: int, *, actor: Principal) -> DutyShift:
    """A shift of a unit inside the caller's scope, else :class:`NotFound`."""
    shift = session.get(DutyShift, shift_id)
    if shift is None:
        raise NotFound(f"shift {shift_id} not found")
    try:
        visible_unit(session, shift.unit_id, actor=actor)
    except NotFound:
        raise NotFound(f"shift {shift_id} not found") from None
    return shift


def add_log_entry(session: Session, shift_id: int, text: str, *, actor: Principal, now: datetime) -> DutyLogEntry:
    """Append an entry to a shift's duty log (值班日志)."""
    actor.require(Permission.DUTY_WRITE)
    shift = get_shift(session, shift_id, actor=actor)
    body = text.strip()
    if not body:
        raise ValidationFailed("the log entry is empty", code="empty_entry", fields=["text"])
    entry = DutyLogEntry(shift_id=shift.id, at=now, author_id=actor.user_id, text=body)
    session.add(entry)
    session.flush()
    return entry


def list_log(session: Session, shift_id: int, *, actor: Principal) -> list[DutyLogEntry]:
    """A shift's duty log in time order."""
    shift = get_shift(session, shift_id, actor=actor)
    stmt = select(DutyLogEntry).where(DutyLogEntry.shift_id == shift.id)
    return list(session.scalars(stmt.order_by(DutyLogEntry.at, DutyLogEntry.id)))


def set_handover_note(session: Session, shift_id: int, note: str, *, actor: Principal, now: datetime) -> DutyShift:
    """Write the handover note (交接班记录) of a shift for the next one."""
    actor.require(Permission.DUTY_WRITE)
    shift = get_shift(session, shift_id, actor=actor)
    shift.handover_note = note.strip()
    session.flush()
    audit.record(
        session, actor=actor, action="duty.shift.handover", now=now, object_type="duty_shift", object_id=shift.id
    )
    return shift
