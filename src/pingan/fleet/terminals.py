"""Terminals over time: AIS Class A/B with an MMSI, BeiDou terminals and locators with a device id.

A vessel keeps one history through an MMSI change: terminals are fitted and removed with instants, a live MMSI or
device id is on one vessel only (the service checks; partial unique indexes are the backstop), and
:func:`vessel_by_mmsi` answers who carried an MMSI at a given instant for the position pipeline.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.errors import Conflict, NotFound, ValidationFailed
from pingan.fleet import service
from pingan.fleet.models import (
    Terminal,
    TerminalKind,
    Vessel,
)
from pingan.fleet.schemas import DEVICE_ID_RE, mmsi_problem
from pingan.fleet.service import audit_vessel, check_instant, get_vessel, raise_problems, unique_guard
from pingan.kit.clock import as_utc

AIS_KINDS = (TerminalKind.AIS_A, TerminalKind.AIS_B)


def list_terminals(session: Session, vessel_id: int, *, actor: Principal) -> list[Terminal]:
    """A vessel's terminals, newest first, removed ones included (its one history)."""
    return service.terminal_history(session, get_vessel(session, vessel_id, actor=actor).id)


def vessel_by_mmsi(session: Session, mmsi: str, at: datetime) -> Vessel | None:
    """The vessel that carried ``mmsi`` at instant ``at`` (installed at or before, not yet removed), if any.

    Not scoped: the position pipeline resolves every report with it. Callers answering people use
    :func:`find_vessel_by_mmsi`.
    """
    when = as_utc(at)
    stmt = (
        select(Vessel)
        .join(Terminal, Terminal.vessel_id == Vessel.id)
        .where(
            Terminal.mmsi == mmsi,
            Terminal.installed_at <= when,
            or_(Terminal.removed_at.is_(None), Terminal.removed_at > when),
        )
        .order_by(Terminal.installed_at.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def find_vessel_by_mmsi(session: Session, mmsi: str, *, at: datetime, actor: Principal) -> Vessel:
    """The vessel that carried ``mmsi`` at ``at``, when inside the caller's scope; else :class:`NotFound`."""
    actor.require(Permission.FLEET_READ)
    vessel = vessel_by_mmsi(session, mmsi, at)
    if vessel is None:
        raise NotFound(f"no vessel carried MMSI {mmsi} then")
    return get_vessel(session, vessel.id, actor=actor)


def _check_terminal(kind: TerminalKind, mmsi: str | None, device_id: str | None) -> tuple[str | None, str | None]:
    problems: list[tuple[str, str]] = []
    mmsi = (mmsi or "").strip() or None
    device_id = (device_id or "").strip() or None
    if kind in AIS_KINDS:
        if mmsi is None:
            problems.append(("mmsi", "an AIS terminal needs its MMSI"))
        elif problem := mmsi_problem(mmsi):
            problems.append(("mmsi", problem))
    else:
        if mmsi is not None:
            problems.append(("mmsi", f"a {kind} terminal has no MMSI"))
        if device_id is None:
            problems.append(("device_id", f"a {kind} terminal needs its device id"))
    if device_id is not None and not DEVICE_ID_RE.match(device_id):
        problems.append(("device_id", "device id must be 3–40 letters, digits or _ . : -"))
    raise_problems(problems)
    return mmsi, device_id


def _check_free(
    session: Session,
    vessel: Vessel,
    *,
    kind: TerminalKind,
    mmsi: str | None,
    device_id: str | None,
    installed_at: datetime,
) -> None:
    """Refuse a fitting that would overlap, from ``installed_at`` on, the vessel's own terminal of the same
    family or another terminal with the same MMSI or device id (live, or removed only later)."""
    family = AIS_KINDS if kind in AIS_KINDS else (kind,)
    overlapping = or_(Terminal.removed_at.is_(None), Terminal.removed_at > installed_at)
    fitted = session.scalars(
        select(Terminal).where(Terminal.vessel_id == vessel.id, Terminal.kind.in_(family), overlapping)
    ).first()
    if fitted is not None:
        what = f"an AIS terminal (MMSI {fitted.mmsi})" if kind in AIS_KINDS else f"a {kind} terminal"
        when = "" if fitted.removed_at is None else " at that time"
        raise Conflict(
            f"{vessel.registration_no} already has {what}{when}; change or remove it first",
            code="terminal_already_fitted",
        )
    for column, value, code in ((Terminal.mmsi, mmsi, "mmsi"), (Terminal.device_id, device_id, "device")):
        if value is None:
            continue
        clash = session.scalars(select(Terminal).where(column == value, overlapping)).first()
        label = "MMSI" if code == "mmsi" else "device"
        if clash is not None and clash.removed_at is None:
            raise Conflict(f"{label} {value} is live on another vessel; remove it there first", code=f"{code}_in_use")
        if clash is not None and clash.removed_at is not None:
            raise Conflict(
                f"{label} {value} was still on another vessel then (removed {clash.removed_at:%Y-%m-%d %H:%M} UTC)",
                code=f"{code}_history_overlap",
            )


def _fit(
    session: Session,
    vessel: Vessel,
    *,
    kind: TerminalKind,
    mmsi: str | None,
    device_id: str | None,
    installed_at: datetime,
) -> Terminal:
    if not vessel.is_active:
        raise Conflict(f"{vessel.registration_no} is no longer active", code="vessel_inactive")
    _check_free(session, vessel, kind=kind, mmsi=mmsi, device_id=device_id, installed_at=installed_at)
    terminal = Terminal(
        vessel_id=vessel.id, kind=kind, mmsi=mmsi, device_id=device_id, installed_at=installed_at, removed_at=None
    )
    with unique_guard(
        session,
        markers=(
            "uq_vessel_terminal_live_mmsi",
            "uq_vessel_terminal_live_device",
            "vessel_terminal.mmsi",
            "vessel_terminal.device_id",
        ),
        message=f"{mmsi or device_id} is live on another vessel",
        code="mmsi_in_use" if mmsi else "device_in_use",
    ):
        session.add(terminal)
    return terminal


def fit_terminal(
    session: Session,
    vessel_id: int,
    *,
    kind: TerminalKind | str,
    actor: Principal,
    now: datetime,
    mmsi: str | None = None,
    device_id: str | None = None,
    installed_at: datetime | None = None,
) -> Terminal:
    """Fit a terminal: AIS Class A/B with a Chinese ship MMSI, BeiDou or a locator with its device id.

    A vessel carries one live AIS terminal and one live terminal of each other kind; a live MMSI or device id
    is on one vessel only (checked here, and by the partial unique indexes when requests race).
    """
    actor.require(Permission.FLEET_WRITE)
    vessel = get_vessel(session, vessel_id, actor=actor)
    try:
        terminal_kind = TerminalKind(str(kind))
    except ValueError as exc:
        raise ValidationFailed(f"unknown terminal kind {kind!r}", fields=["kind"]) from exc
    clean_mmsi, clean_device = _check_terminal(terminal_kind, mmsi, device_id)
    at = check_instant(installed_at, now=now, field="installed_at")
    terminal = _fit(session, vessel, kind=terminal_kind, mmsi=clean_mmsi, device_id=clean_device, installed_at=at)
    audit_vessel(
        session,
        "fleet.terminal.fit",
        vessel,
        actor=actor,
        now=now,
        terminal=terminal.id,
        kind=str(terminal_kind),
        mmsi=clean_mmsi,
        device_id=clean_device,
    )
    return terminal


def remove_terminal(
    session: Session,
    vessel_id: int,
    terminal_id: int,
    *,
    actor: Principal,
    now: datetime,
    removed_at: datetime | None = None,
) -> Terminal:
    """Take a live terminal off a vessel; it stays in the vessel's history."""
    actor.require(Permission.FLEET_WRITE)
    vessel = get_vessel(session, vessel_id, actor=actor)
    terminal = session.get(Terminal, terminal_id)
    if terminal is None or terminal.vessel_id != vessel.id:
        raise NotFound(f"terminal {terminal_id} not found on this vessel")
    if terminal.removed_at is not None:
        raise Conflict("the terminal was removed already", code="terminal_removed")
    at = check_instant(removed_at, now=now, field="removed_at")
    if at < terminal.installed_at:
        raise ValidationFailed("removed_at is before the terminal was fitted", fields=["removed_at"])
    terminal.removed_at = at
    session.flush()
    audit_vessel(
        session,
        "fleet.terminal.remove",
        vessel,
        actor=actor,
        now=now,
        terminal=terminal.id,
        kind=str(terminal.kind),
        mmsi=terminal.mmsi,
    )
    return terminal


def change_mmsi(
    session: Session,
    vessel_id: int,
    *,
    mmsi: str,
    actor: Principal,
    now: datetime,
    kind: TerminalKind | str | None = None,
    at: datetime | None = None,
) -> Terminal:
    """Replace the vessel's live AIS terminal by one with a new MMSI at one instant, all or nothing.

    The old terminal is removed and the new one fitted at ``at``, so the vessel keeps one history and
    :func:`vessel_by_mmsi` answers the old MMSI before ``at`` and the new one from ``at`` on.
    """
    actor.require(Permission.FLEET_WRITE)
    vessel = get_vessel(session, vessel_id, actor=actor)
    old = session.scalars(
        select(Terminal).where(
            Terminal.vessel_id == vessel.id, Terminal.kind.in_(AIS_KINDS), Terminal.removed_at.is_(None)
        )
    ).first()
    if old is None:
        raise ValidationFailed("the vessel has no live AIS terminal; fit one instead", code="no_live_ais")
    new_kind = TerminalKind(str(kind)) if kind else TerminalKind(old.kind)
    if new_kind not in AIS_KINDS:
        raise ValidationFailed("an MMSI belongs on an AIS terminal", fields=["kind"])
    clean_mmsi, _ = _check_terminal(new_kind, mmsi, None)
    if clean_mmsi == old.mmsi:
        raise ValidationFailed(f"the vessel already carries MMSI {clean_mmsi}", code="same_mmsi")
    when = check_instant(at, now=now, field="at")
    if when < old.installed_at:
        raise ValidationFailed("the change is dated before the old terminal was fitted", fields=["at"])
    with session.begin_nested():
        old.removed_at = when
        session.flush()
        new = _fit(session, vessel, kind=new_kind, mmsi=clean_mmsi, device_id=None, installed_at=when)
    audit_vessel(
        session,
        "fleet.terminal.change_mmsi",
        vessel,
        actor=actor,
        now=now,
        old_mmsi=old.mmsi,
        new_mmsi=clean_mmsi,
        at=when.isoformat(),
    )
    return new
