"""The case loop as data: statuses, actions, and the one table of allowed transitions (pure).

The states follow governance.md §5.4 (the canonical state table) and merge the seven-step 数字城管 loop with the
12345 loop: 受理 → 立案 (or 注销) → 派遣 → 签收 (or 退回 → 改派) → 处置 → 处理反馈 → 核查 → 结案 (or 返工) → 回访
(不满意 → 发回重办). Escalations (催办, 督办, 提级督办) are flags and timeline entries, not states.

Nothing here touches the database or the clock: :func:`plan` takes the current status and an action and answers
the next status (or raises :class:`TransitionRefused`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CaseStatus(StrEnum):
    """Canonical case states."""

    RECEIVED = "received"  # 受理 / 待立案
    REJECTED = "rejected"  # 不予立案 (注销)
    REGISTERED = "registered"  # 立案 / 待派遣
    DISPATCHED = "dispatched"  # 已派遣 / 待签收
    RETURNED = "returned"  # 退回 / 待改派
    ACCEPTED = "accepted"  # 已签收
    IN_PROGRESS = "in_progress"  # 处置中
    HANDLED = "handled"  # 处理反馈 / 待核查
    REWORK = "rework"  # 返工 / 发回重办
    CLOSED_FIXED = "closed_fixed"  # 结案 (已解决)
    CLOSED_UNFIXABLE = "closed_unfixable"  # 结案 (无法处置)
    CLOSED_DUPLICATE = "closed_duplicate"  # 结案 (重复件, 并单)
    REVISITED = "revisited"  # 已回访


STATUS_LABELS_ZH: dict[CaseStatus, str] = {
    CaseStatus.RECEIVED: "待立案",
    CaseStatus.REJECTED: "不予立案",
    CaseStatus.REGISTERED: "待派遣",
    CaseStatus.DISPATCHED: "待签收",
    CaseStatus.RETURNED: "已退回",
    CaseStatus.ACCEPTED: "已签收",
    CaseStatus.IN_PROGRESS: "处置中",
    CaseStatus.HANDLED: "待核查",
    CaseStatus.REWORK: "返工",
    CaseStatus.CLOSED_FIXED: "已结案",
    CaseStatus.CLOSED_UNFIXABLE: "结案（无法处置）",
    CaseStatus.CLOSED_DUPLICATE: "结案（重复件）",
    CaseStatus.REVISITED: "已回访",
}

CLOSED_STATUSES = frozenset(
    {
        CaseStatus.REJECTED,
        CaseStatus.CLOSED_FIXED,
        CaseStatus.CLOSED_UNFIXABLE,
        CaseStatus.CLOSED_DUPLICATE,
        CaseStatus.REVISITED,
    }
)
OPEN_STATUSES = frozenset(CaseStatus) - CLOSED_STATUSES
# Statuses in which a department holds the case (签收后、处理反馈前).
WITH_HANDLER = frozenset({CaseStatus.DISPATCHED, CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.REWORK})


class Action(StrEnum):
    """Everything that can be done to a case; each is one row (or a few) of :data:`TRANSITIONS`."""

    REGISTER = "register"  # 立案
    REJECT = "reject"  # 不予立案
    DISPATCH = "dispatch"  # 派遣
    REDISPATCH = "redispatch"  # 改派
    ACCEPT = "accept"  # 签收
    RETURN = "return"  # 退回
    START = "start"  # 到场 / 开始处置
    HANDLE = "handle"  # 处理反馈
    CHECK_PASS = "check_pass"  # noqa: S105 - 核查通过 → 结案
    CHECK_FAIL = "check_fail"  # 核查不通过 → 返工
    CLOSE_UNFIXABLE = "close_unfixable"  # 结案 (无法处置)
    MERGE = "merge"  # 并单 (this case is a duplicate of another)
    SELF_HANDLE = "self_handle"  # 网格员自行处置
    REVISIT = "revisit"  # 回访 (满意 / 基本满意 / 不满意)
    NOTE = "note"  # 备注 (forwarded to the master of a merged case)
    URGE = "urge"  # 催办
    SUPERVISE = "supervise"  # 督办
    ESCALATE = "escalate"  # 提级督办


ACTION_LABELS_ZH: dict[Action, str] = {
    Action.REGISTER: "立案",
    Action.REJECT: "不予立案",
    Action.DISPATCH: "派遣",
    Action.REDISPATCH: "改派",
    Action.ACCEPT: "签收",
    Action.RETURN: "退回",
    Action.START: "开始处置",
    Action.HANDLE: "处理反馈",
    Action.CHECK_PASS: "核查通过",
    Action.CHECK_FAIL: "核查不通过（返工）",
    Action.CLOSE_UNFIXABLE: "结案（无法处置）",
    Action.MERGE: "并单",
    Action.SELF_HANDLE: "自行处置",
    Action.REVISIT: "回访",
    Action.NOTE: "备注",
    Action.URGE: "催办",
    Action.SUPERVISE: "督办",
    Action.ESCALATE: "提级督办",
}


class Satisfaction(StrEnum):
    """回访 result."""

    SATISFIED = "satisfied"  # 满意
    BASICALLY = "basically_satisfied"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意 → 发回重办


SATISFACTION_LABELS_ZH = {
    Satisfaction.SATISFIED: "满意",
    Satisfaction.BASICALLY: "基本满意",
    Satisfaction.UNSATISFIED: "不满意",
}


class Duty(StrEnum):
    """Which duty an action needs; :mod:`pingan.auth.policy` maps each to a permission."""

    REPORT = "report"  # 上报 (grid workers, public, machine channels)
    REGISTER = "register"  # 受理、立案、派遣 (command centre, township)
    HANDLE = "handle"  # 签收、处置 (the responsible unit)
    CHECK = "check"  # 核查、结案
    VISIT = "visit"  # 回访
    SUPERVISE = "supervise"  # 催办、督办、提级
    READ = "read"  # notes


class Step(StrEnum):
    """The step whose clock runs while a case sits in a status (category limits are set per step)."""

    REGISTER = "register"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    HANDLE = "handle"
    CHECK = "check"
    VISIT = "visit"


# Which step's clock runs in each open status; a closed case runs the return-visit clock until revisited.
CLOCK_OF: dict[CaseStatus, Step] = {
    CaseStatus.RECEIVED: Step.REGISTER,
    CaseStatus.REGISTERED: Step.DISPATCH,
    CaseStatus.RETURNED: Step.DISPATCH,
    CaseStatus.DISPATCHED: Step.ACCEPT,
    CaseStatus.ACCEPTED: Step.HANDLE,
    CaseStatus.IN_PROGRESS: Step.HANDLE,
    CaseStatus.REWORK: Step.HANDLE,
    CaseStatus.HANDLED: Step.CHECK,
    CaseStatus.CLOSED_FIXED: Step.VISIT,
    CaseStatus.CLOSED_UNFIXABLE: Step.VISIT,
}


@dataclass(frozen=True)
class Transition:
    """One allowed move: ``action`` from any of ``sources`` to ``target`` (None keeps the status)."""

    action: Action
    sources: frozenset[CaseStatus]
    target: CaseStatus | None
    duty: Duty
    needs_reason: bool = False
    outcome: str | None = None  # a variant of the action (回访 result)


S = CaseStatus
_OPEN = frozenset(OPEN_STATUSES)
_HANDLING = frozenset({S.ACCEPTED, S.IN_PROGRESS, S.REWORK})

TRANSITIONS: tuple[Transition, ...] = (
    Transition(Action.REGISTER, frozenset({S.RECEIVED}), S.REGISTERED, Duty.REGISTER),
    Transition(Action.REJECT, frozenset({S.RECEIVED}), S.REJECTED, Duty.REGISTER, needs_reason=True),
    Transition(Action.DISPATCH, frozenset({S.REGISTERED}), S.DISPATCHED, Duty.REGISTER),
    Transition(Action.REDISPATCH, frozenset({S.RETURNED, S.DISPATCHED}), S.DISPATCHED, Duty.REGISTER),
    Transition(Action.ACCEPT, frozenset({S.DISPATCHED}), S.ACCEPTED, Duty.HANDLE),
    Transition(Action.RETURN, frozenset({S.DISPATCHED}), S.RETURNED, Duty.HANDLE, needs_reason=True),
    Transition(Action.START, frozenset({S.ACCEPTED, S.REWORK}), S.IN_PROGRESS, Duty.HANDLE),
    Transition(Action.HANDLE, _HANDLING, S.HANDLED, Duty.HANDLE, needs_reason=True),
    Transition(Action.CHECK_PASS, frozenset({S.HANDLED}), S.CLOSED_FIXED, Duty.CHECK),
    Transition(Action.CHECK_FAIL, frozenset({S.HANDLED}), S.REWORK, Duty.CHECK, needs_reason=True),
    Transition(Action.CLOSE_UNFIXABLE, frozenset({S.HANDLED}), S.CLOSED_UNFIXABLE, Duty.CHECK, needs_reason=True),
    Transition(Action.MERGE, _OPEN - {S.HANDLED}, S.CLOSED_DUPLICATE, Duty.REGISTER),
    Transition(Action.SELF_HANDLE, frozenset({S.RECEIVED}), S.CLOSED_FIXED, Duty.REPORT, needs_reason=True),
    Transition(
        Action.REVISIT,
        frozenset({S.CLOSED_FIXED, S.CLOSED_UNFIXABLE}),
        S.REVISITED,
        Duty.VISIT,
        outcome=Satisfaction.SATISFIED,
    ),
    Transition(
        Action.REVISIT,
        frozenset({S.CLOSED_FIXED, S.CLOSED_UNFIXABLE}),
        S.REVISITED,
        Duty.VISIT,
        outcome=Satisfaction.BASICALLY,
    ),
    Transition(
        Action.REVISIT,
        frozenset({S.CLOSED_FIXED, S.CLOSED_UNFIXABLE}),
        S.REWORK,
        Duty.VISIT,
        needs_reason=True,
        outcome=Satisfaction.UNSATISFIED,
    ),
    Transition(Action.NOTE, frozenset(CaseStatus), None, Duty.READ, needs_reason=True),
    Transition(Action.URGE, _OPEN - {S.RECEIVED}, None, Duty.SUPERVISE),
    Transition(Action.SUPERVISE, _OPEN - {S.RECEIVED}, None, Duty.SUPERVISE),
    Transition(Action.ESCALATE, _OPEN - {S.RECEIVED}, None, Duty.SUPERVISE),
)

_BY_KEY: dict[tuple[Action, str | None], Transition] = {(t.action, t.outcome): t for t in TRANSITIONS}


class TransitionRefused(ValueError):
    """The action is not allowed from the current status (or lacks what it needs)."""

    def __init__(self, message: str, *, code: str = "transition_refused") -> None:
        super().__init__(message)
        self.code = code


def transition_for(action: Action, outcome: str | None = None) -> Transition:
    """The table row for an action (and its outcome, for 回访); ValueError for an unknown combination."""
    row = _BY_KEY.get((action, outcome))
    if row is None:
        if action is Action.REVISIT:
            raise TransitionRefused("a return visit needs satisfaction: satisfied, basically_satisfied or unsatisfied")
        row = _BY_KEY.get((action, None))
    if row is None:
        raise TransitionRefused(f"unknown action {action!r}")
    return row


def plan(status: CaseStatus, action: Action, *, outcome: str | None = None, reason: str = "") -> Transition:
    """Check one move against the table and return its row.

    >>> plan(CaseStatus.RECEIVED, Action.REGISTER).target
    <CaseStatus.REGISTERED: 'registered'>
    >>> plan(CaseStatus.CLOSED_FIXED, Action.REVISIT, outcome="unsatisfied", reason="没修好").target
    <CaseStatus.REWORK: 'rework'>
    """
    row = transition_for(action, outcome)
    if status not in row.sources:
        raise TransitionRefused(
            f"cannot {ACTION_LABELS_ZH[action]} ({action.value}) a case that is "
            f"{STATUS_LABELS_ZH[status]} ({status.value})"
        )
    if row.needs_reason and not reason.strip():
        raise TransitionRefused(f"{action.value} needs a reason or notes", code="reason_required")
    return row


def allowed_actions(status: CaseStatus) -> list[Action]:
    """The actions the table allows from ``status`` (each once, in table order)."""
    seen: list[Action] = []
    for t in TRANSITIONS:
        if status in t.sources and t.action not in seen:
            seen.append(t.action)
    return seen


# ---------------------------------------------------------------- escalation rules (提级督办)

REDO_LIMIT = 3  # 重办 ≥ 3 次未解决 → 提级督办 (governance.md §5.2)
DECLINE_LIMIT = 3  # 转办 ≥ 3 个部门均不牵头 → 提级督办


def needs_level_up(
    *, redo_count: int, decline_count: int, redo_limit: int = REDO_LIMIT, decline_limit: int = DECLINE_LIMIT
) -> bool:
    """Whether a case must go one level up (提级督办).

    >>> needs_level_up(redo_count=3, decline_count=0)
    True
    >>> needs_level_up(redo_count=2, decline_count=2)
    False
    """
    return redo_count >= redo_limit or decline_count >= decline_limit


# ---------------------------------------------------------------- channels


class Channel(StrEnum):
    """Where a case came from; every channel lands in the same intake."""

    GRID_WORKER = "grid_worker"  # 网格员上报
    PUBLIC = "public"  # 群众上报 (web form)
    HOTLINE = "hotline_12345"  # 12345 工单
    NONPOLICE = "nonpolice_110"  # 110 非警务转办
    COMPLAINT = "complaint"  # 投诉
    SENSOR = "sensor"  # 物联感知 (MQTT)
    ALERT = "internal_alert"  # 内部预警 (海上、渔船)
    OPEN311 = "open311"  # Open311 clients
    SUPERIOR = "superior"  # 上级交办


CHANNEL_LABELS_ZH = {
    Channel.GRID_WORKER: "网格员上报",
    Channel.PUBLIC: "群众上报",
    Channel.HOTLINE: "12345热线",
    Channel.NONPOLICE: "110非警务转办",
    Channel.COMPLAINT: "投诉",
    Channel.SENSOR: "物联感知",
    Channel.ALERT: "内部预警",
    Channel.OPEN311: "Open311",
    Channel.SUPERIOR: "上级交办",
}

# Channels whose orders were already accepted upstream (the hotline's 受理, police triage, our own alert rules):
# they are registered on arrival; a 110 transfer is also dispatched at once (接报即分流).
AUTO_REGISTER = frozenset({Channel.HOTLINE, Channel.NONPOLICE, Channel.ALERT, Channel.SUPERIOR})
AUTO_DISPATCH = frozenset({Channel.NONPOLICE})


class Priority(StrEnum):
    """Priority (紧急程度)."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


PRIORITY_LABELS_ZH = {Priority.LOW: "低", Priority.NORMAL: "一般", Priority.HIGH: "高", Priority.URGENT: "紧急"}
