"""Who is told what: inbox messages to assignees and checkers, and the reporters of a closed case (inbox or SMS)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.auth.models import User
from pingan.auth.policy import Permission
from pingan.cases import events
from pingan.cases.models import Case, InboxMessage
from pingan.cases.repository import duplicates_of
from pingan.cases.workflow import (
    ACTION_LABELS_ZH,
    Action,
    CaseStatus,
)
from pingan.config import Settings
from pingan.org.models import OrgUnit

log = logging.getLogger(__name__)


def users_with(session: Session, unit_id: int | None, permission: Permission, *, below: bool = False) -> list[User]:
    """Active accounts of a unit (or its subtree) holding a permission."""
    if unit_id is None:
        return []
    unit = session.get(OrgUnit, unit_id)
    if unit is None:
        return []
    stmt = select(User)
    stmt = stmt.join(OrgUnit, OrgUnit.id == User.unit_id).where(User.is_active.is_(True))
    stmt = stmt.where(OrgUnit.path.startswith(unit.path, autoescape=True) if below else User.unit_id == unit_id)
    return [user for user in session.scalars(stmt) if permission.value in user.permissions]


def notify(session: Session, users: Sequence[User], case: Case, kind: str, message: str, now: datetime) -> int:
    """Write one inbox message per account."""
    for user in users:
        session.add(InboxMessage(user_id=user.id, case_id=case.id, kind=kind, message=message[:400], created_at=now))
    return len(users)


def notify_after(session: Session, settings: Settings, case: Case, action: Action, now: datetime) -> None:
    """Tell whoever the action concerns: the unit's handlers, who registers, the checkers, or the reporters."""
    label = ACTION_LABELS_ZH[action]
    text = f"{case.number} {case.title}：{label}"
    if action in (Action.DISPATCH, Action.REDISPATCH, Action.CHECK_FAIL, Action.URGE, Action.SUPERVISE) or (
        action is Action.REVISIT and case.status == CaseStatus.REWORK
    ):
        targets = users_with(session, case.responsible_unit_id, Permission.CASE_HANDLE)
        if case.assignee_id is not None:
            assignee = session.get(User, case.assignee_id)
            if assignee is not None and assignee not in targets:
                targets.append(assignee)
        notify(session, targets, case, action.value, text, now)
    elif action is Action.RETURN:
        notify(
            session,
            users_with(session, case.suggested_unit_id or case.unit_id, Permission.CASE_REGISTER),
            case,
            "return",
            text,
            now,
        )
    elif action is Action.HANDLE:
        reporter = session.get(User, case.reported_by_id) if case.reported_by_id else None
        checkers = [reporter] if reporter is not None and Permission.CASE_CHECK.value in reporter.permissions else []
        checkers = checkers or users_with(session, case.unit_id, Permission.CASE_CHECK)
        notify(session, checkers, case, "to_check", text, now)
    if action in (Action.CHECK_PASS, Action.CLOSE_UNFIXABLE, Action.SELF_HANDLE):
        inform_reporters(session, settings, case, now)


def inform_reporters(session: Session, settings: Settings, case: Case, now: datetime) -> None:
    """Tell the reporter of the case and of every merged duplicate that it is closed (inbox or SMS)."""
    template = (case.category.reply_templates or {}).get(case.status) or "您反映的问题（{number}）已办结。"
    for c in [case, *duplicates_of(session, case)]:
        text = _fill(template, c, case)
        if c.reported_by_id is not None:
            session.add(
                InboxMessage(user_id=c.reported_by_id, case_id=c.id, kind="closed", message=text, created_at=now)
            )
        if c.reporter_phone_enc is not None and settings.case_sms_adapter != "none":
            try:
                phone = settings.field_cipher().decrypt(c.reporter_phone_enc)
            except Exception as exc:  # a key-ring problem must not block closing the case
                log.warning("cannot decrypt the reporter phone of %s: %s", c.number, exc)
                continue
            events.sms().send(phone, text)


def _fill(template: str, case: Case, master: Case) -> str:
    unit = master.responsible_unit
    values = {
        "number": case.number,
        "category": master.category.name,
        "unit": unit.name if unit is not None else "",
        "due": "",
    }
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template
