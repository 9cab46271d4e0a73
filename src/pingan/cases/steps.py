"""Timeline steps and domain events of a case: the two records every change leaves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.auth.principal import Principal
from pingan.cases import events
from pingan.cases.models import Case, CaseStep
from pingan.cases.workflow import (
    CaseStatus,
)


def case_event(kind: str, case: Case, actor: Principal, now: datetime, **data: Any) -> events.CaseEvent:
    unit = case.responsible_unit
    return events.CaseEvent(
        kind=kind,
        number=case.number,
        at=now,
        status=case.status,
        unit_code=unit.code if unit is not None else None,
        actor=actor.label,
        data=data,
    )


def add_step(
    session: Session,
    case: Case,
    action: str,
    from_status: CaseStatus | None,
    to_status: CaseStatus,
    actor: Principal,
    now: datetime,
    *,
    note: str = "",
    unit_id: int | None = None,
    data: dict[str, Any] | None = None,
    clock: tuple[str, float, datetime | None, bool | None] | None = None,
    public: bool = True,
    seq: int | None = None,
) -> CaseStep:
    """Append one entry to a case's timeline (``seq`` when the caller knows it: 1 for a new case)."""
    if seq is None:
        last = session.scalars(
            select(CaseStep.seq).where(CaseStep.case_id == case.id).order_by(CaseStep.seq.desc()).limit(1)
        ).first()
        seq = (last or 0) + 1
    step = CaseStep(
        case_id=case.id,
        seq=seq,
        action=action,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value,
        actor_id=actor.user_id,
        actor_label=actor.label,
        unit_id=unit_id,
        at=now,
        note=note,
        data=data or {},
        public=public,
    )
    if clock is not None:
        step.step, step.step_seconds, step.due_at, step.met = clock
    session.add(step)
    session.flush()
    return step
