"""Rule-fired escalation (提级督办) and the exactly-once insert every escalation goes through."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.policy import Permission
from pingan.auth.principal import SYSTEM, Principal
from pingan.cases import events
from pingan.cases.models import Case, CaseEscalation
from pingan.cases.notify import notify, users_with
from pingan.cases.repository import unit_chain
from pingan.cases.steps import add_step, case_event
from pingan.cases.workflow import (
    Action,
    CaseStatus,
    needs_level_up,
)
from pingan.config import Settings


def fire_once(
    session: Session, case: Case, kind: str, clock_seq: int, *, now: datetime, fired_by: str, unit_id: int | None = None
) -> bool:
    """Insert the escalation row unless it exists; True only for the caller that inserted it (exactly once)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(CaseEscalation)
        .values(
            case_id=case.id,
            kind=kind,
            clock_seq=clock_seq,
            step=case.clock_step,
            fired_at=now,
            fired_by=fired_by,
            unit_id=unit_id,
        )
        .on_conflict_do_nothing(index_elements=["case_id", "kind", "clock_seq"])
        .returning(CaseEscalation.id)
    )
    return session.execute(stmt).first() is not None


def maybe_level_up(session: Session, settings: Settings, case: Case, *, actor: Principal, now: datetime) -> None:
    if not needs_level_up(
        redo_count=case.redo_count,
        decline_count=case.decline_count,
        redo_limit=settings.case_redo_limit,
        decline_limit=settings.case_decline_limit,
    ):
        return
    level = max(case.redo_count // settings.case_redo_limit, case.decline_count // settings.case_decline_limit)
    while case.escalation_level < level:
        next_level = case.escalation_level + 1
        base = case.responsible_unit_id or case.suggested_unit_id or case.unit_id
        chain = unit_chain(session, base)
        up = chain[min(next_level, len(chain) - 1)] if chain else None
        if not fire_once(
            session, case, "level_up", next_level, now=now, fired_by=actor.label, unit_id=up.id if up else None
        ):
            case.escalation_level = next_level
            continue
        case.escalation_level = next_level
        reason = (
            f"重办 {case.redo_count} 次"
            if case.redo_count >= settings.case_redo_limit
            else f"{case.decline_count} 个单位退回"
        )
        note = f"提级督办至{up.name if up else '上级'}（{reason}）"
        add_step(
            session,
            case,
            Action.ESCALATE.value,
            CaseStatus(case.status),
            CaseStatus(case.status),
            SYSTEM,
            now,
            note=note,
            unit_id=up.id if up else None,
            data={"level": next_level, "reason": reason},
        )
        record(
            session,
            actor=SYSTEM,
            action="case.escalate",
            now=now,
            object_type="case",
            object_id=case.number,
            details={"level": next_level, "unit": up.code if up else None, "reason": reason},
        )
        if up is not None:
            notify(
                session,
                users_with(session, up.id, Permission.CASE_SUPERVISE),
                case,
                "escalate",
                f"{case.number} {note}",
                now,
            )
        events.publish(session, case_event("case.escalated", case, SYSTEM, now, level=next_level))
