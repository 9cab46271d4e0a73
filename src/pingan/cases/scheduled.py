"""Timed work of the case hub: warnings at 80 %, overdue flags and 催办 at 100 %, 督办 past the supervise point,
and the 110 30-minute response clock — each fired exactly once, however many processes run the scheduler.

Exactly-once rests on the unique key of ``case_escalation`` (case, kind, clock sequence): every process may find
the same due case, but only the transaction whose ``INSERT … ON CONFLICT DO NOTHING`` returns a row applies the
escalation, and it does so in the same transaction (on PostgreSQL a competing insert waits for that commit, then
does nothing). Each case is handled in its own short transaction so one failure does not hold up the rest.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from pingan.audit.service import record
from pingan.auth.policy import Permission
from pingan.auth.principal import SYSTEM
from pingan.cases import events
from pingan.cases.escalation import fire_once
from pingan.cases.models import Case, CaseEscalation
from pingan.cases.notify import notify, users_with
from pingan.cases.steps import add_step, case_event
from pingan.cases.workflow import CaseStatus
from pingan.config import Settings
from pingan.kit.clock import utcnow
from pingan.org.models import OrgUnit

log = logging.getLogger(__name__)

# kind → (the Case column of its moment, timeline action, label)
KINDS: dict[str, tuple[str, str, str]] = {
    "warning": ("step_warn_at", "warn", "即将超期预警"),
    "overdue": ("step_due_at", "urge", "已超期，自动催办"),
    "supervise": ("step_supervise_at", "supervise", "严重超期，自动督办"),
}


@dataclass
class TickResult:
    """What one scan fired."""

    fired: dict[str, int] = field(default_factory=lambda: {k: 0 for k in [*KINDS, "response"]})
    skipped: int = 0  # found due but another process (or an earlier scan) had fired it

    @property
    def total(self) -> int:
        """All escalations fired by this scan."""
        return sum(self.fired.values())


def worker_name() -> str:
    """A label for this scheduler process (host and pid)."""
    return f"scheduler@{socket.gethostname()}:{os.getpid()}"


def _due(session: Session, kind: str, now: datetime, limit: int) -> list[tuple[int, int]]:
    column = getattr(Case, KINDS[kind][0])
    esc = aliased(CaseEscalation)
    fired = exists().where(and_(esc.case_id == Case.id, esc.kind == kind, esc.clock_seq == Case.clock_seq))
    stmt = (
        select(Case.id, Case.clock_seq).where(column.is_not(None), column <= now, ~fired).order_by(column).limit(limit)
    )
    return [(r[0], r[1]) for r in session.execute(stmt)]


def _due_responses(session: Session, now: datetime, limit: int) -> list[tuple[int, int]]:
    esc = aliased(CaseEscalation)
    fired = exists().where(and_(esc.case_id == Case.id, esc.kind == "response"))
    stmt = (
        select(Case.id, Case.clock_seq)
        .where(Case.response_due_at.is_not(None), Case.response_due_at <= now, Case.first_response_at.is_(None))
        .where(Case.is_open.is_(True), ~fired)
        .limit(limit)
    )
    return [(r[0], r[1]) for r in session.execute(stmt)]


def _apply(session: Session, case: Case, kind: str, now: datetime, worker: str) -> None:
    status = CaseStatus(case.status)
    if kind == "response":
        action, label = "urge", "110 转办 30 分钟内未响应，自动催办"
    else:
        _, action, label = KINDS[kind]
    if kind in ("overdue", "response"):
        case.is_overdue = True
    unit = session.get(OrgUnit, case.responsible_unit_id) if case.responsible_unit_id else None
    targets = users_with(session, case.responsible_unit_id, Permission.CASE_HANDLE)
    if kind == "supervise" and unit is not None and unit.parent_id is not None:
        targets += users_with(session, unit.parent_id, Permission.CASE_SUPERVISE)
    if case.responsible_unit_id is None:  # waiting for 立案/派遣: tell who registers
        targets = users_with(session, case.suggested_unit_id or case.unit_id, Permission.CASE_REGISTER)
    step_note = f"{label}（{case.clock_step or ''}）"
    add_step(
        session,
        case,
        action,
        status,
        status,
        SYSTEM,
        now,
        note=step_note,
        data={"kind": kind, "by": worker},
        public=False,
    )
    notify(session, targets, case, kind, f"{case.number} {case.title}：{label}", now)
    record(
        session,
        actor=SYSTEM,
        action=f"case.{kind}",
        now=now,
        object_type="case",
        object_id=case.number,
        details={"step": case.clock_step, "clock_seq": case.clock_seq, "worker": worker},
    )
    events.publish(session, case_event(f"case.{kind}", case, SYSTEM, now, step=case.clock_step))
    case.updated_at = now


def tick(
    write: sessionmaker[Session], settings: Settings, *, now: datetime, worker: str | None = None, batch: int = 500
) -> TickResult:
    """One scan: fire every due escalation once. Safe to run concurrently from many processes."""
    worker = worker or worker_name()
    result = TickResult()
    for kind in [*KINDS, "response"]:
        with write() as session:
            due = _due_responses(session, now, batch) if kind == "response" else _due(session, kind, now, batch)
            session.rollback()
        for case_id, clock_seq in due:
            with write() as session, session.begin():
                case = session.get(Case, case_id)
                if case is None or case.clock_seq != clock_seq:
                    result.skipped += 1
                    continue
                seq = 0 if kind == "response" else clock_seq
                if not fire_once(session, case, kind, seq, now=now, fired_by=worker, unit_id=case.responsible_unit_id):
                    result.skipped += 1
                    continue
                _apply(session, case, kind, now, worker)
                result.fired[kind] += 1
    return result


class Scheduler:
    """Runs :func:`tick` every ``settings.case_scheduler_seconds`` in a daemon thread."""

    def __init__(
        self, write: sessionmaker[Session], settings: Settings, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.write = write
        self.settings = settings
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.worker = worker_name()

    def start(self) -> None:
        """Start the thread (no-op when the period is 0)."""
        if self.settings.case_scheduler_seconds <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="case-scheduler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                result = tick(self.write, self.settings, now=self.clock(), worker=self.worker)
                if result.total:
                    log.info("case scheduler fired %s", result.fired)
            except Exception:  # keep the loop alive; the next scan retries
                log.exception("case scheduler scan failed")
            self._stop.wait(self.settings.case_scheduler_seconds)

    def stop(self) -> None:
        """Stop the thread and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
