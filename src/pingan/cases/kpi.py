"""Case KPIs (考核指标) from raw counts: one documented formula per indicator (pure).

The formulas follow governance.md §6 (区域/部门/岗位/采集员 evaluation; 12345 KPIs) and §7 (110 非警务分流 and its
30-minute response). The queries in :mod:`pingan.cases.kpis` fill one :class:`Counts` per row (area, grid, unit,
person, category or channel); :func:`indicators` turns it into the published values. Every count is additive, so
rows fold into totals with ``+``. A rate whose denominator is zero is ``None`` (shown as "—"), never 0: no cases
is not a bad score.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from enum import StrEnum


@dataclass(frozen=True)
class Counts:
    """The raw counts of one KPI row: the cases reported in the period, in the caller's scope, in one group.

    ``handle_seconds`` is the sum, over ``handle_timed`` cases, of handled_at − dispatched_at in natural seconds.
    ``due_open`` counts the registered cases still open whose handling deadline has passed (part of 应结案数).
    """

    reported: int = 0  # 上报数: every case reported in the period
    registered: int = 0  # 立案数: registered_at set (self-handled cases included)
    accepted: int = 0  # 签收数: accepted_at set
    accepted_on_time: int = 0  # 按时签收数
    dispatched: int = 0  # 应处置数: dispatched_at set
    handled: int = 0  # 处置数: handled_at set
    closed: int = 0  # 结案数: closed_fixed, closed_unfixable or revisited (not rejected, not duplicates)
    closed_on_time: int = 0  # 按期结案数: closed and closed_on_time
    due_open: int = 0  # registered, still open, handle_due_at before the cut-off
    rework_steps: int = 0  # 返工数: 核查不通过 (check_fail) timeline steps
    revisited: int = 0  # 回访数: revisited_at set
    satisfied: int = 0  # 满意数: satisfied or basically satisfied
    sent_back: int = 0  # 发回重办数: 回访不满意 steps (revisit → rework)
    duplicates: int = 0  # 重复诉求数: merged into another case (master_id set)
    handle_seconds: float = 0.0  # Σ (handled_at − dispatched_at), s
    handle_timed: int = 0  # cases with both handled_at and dispatched_at
    overdue: int = 0  # 超期数: any step ran over its limit
    self_handled: int = 0  # 自行处置数
    transferred: int = 0  # 分流数: 110 non-police transfers
    responded_on_time: int = 0  # 30 分钟响应达标数: first response at or before response_due_at

    def __add__(self, other: Counts) -> Counts:
        """Field-wise sum (folding villages into a township, rows into a total).

        >>> (Counts(reported=2, handle_seconds=60.0) + Counts(reported=3)).reported
        5
        """
        if not isinstance(other, Counts):
            return NotImplemented
        return Counts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})


def total(rows: Iterable[Counts]) -> Counts:
    """The sum of many rows (an empty sum is all zeros).

    >>> total([Counts(closed=1), Counts(closed=2)]).closed
    3
    >>> total([]) == Counts()
    True
    """
    out = Counts()
    for row in rows:
        out = out + row
    return out


class Kind(StrEnum):
    """How an indicator is shown."""

    COUNT = "count"  # 件
    RATE = "rate"  # a fraction 0–1, shown as a percentage
    HOURS = "hours"  # natural hours


@dataclass(frozen=True)
class Indicator:
    """One published indicator: key, Chinese label, kind and its formula in words."""

    key: str
    label: str
    kind: Kind
    formula: str


C, R, H = Kind.COUNT, Kind.RATE, Kind.HOURS

# In display order (the columns of the table and of the Excel export).
INDICATORS: tuple[Indicator, ...] = (
    Indicator("reported", "上报数", C, "期内上报的全部事件"),
    Indicator("registered", "立案数", C, "已立案（含自行处置）"),
    Indicator("register_rate", "立案率", R, "立案数 ÷ 上报数"),
    Indicator("accepted", "签收数", C, "已签收"),
    Indicator("accepted_on_time", "按时签收数", C, "签收时未超过签收时限"),
    Indicator("accept_on_time_rate", "按时签收率", R, "按时签收数 ÷ 签收数"),
    Indicator("due_handle", "应处置数", C, "已派遣"),
    Indicator("handled", "处置数", C, "已处理反馈"),
    Indicator("handle_rate", "处置率", R, "处置数 ÷ 应处置数"),
    Indicator("avg_handle_hours", "平均处置用时(小时)", H, "Σ(处理反馈 − 派遣) ÷ 处置数，自然小时"),
    Indicator("closed", "结案数", C, "已结案（已解决、无法处置、已回访；不含不予立案和重复件）"),
    Indicator("due_close", "应结案数", C, "结案数 + 已立案未结案且处置时限已过"),
    Indicator("closed_on_time", "按期结案数", C, "结案且按期"),
    Indicator("close_rate", "结案率", R, "结案数 ÷ 立案数"),
    Indicator("close_on_time_rate", "按期结案率", R, "按期结案数 ÷ 应结案数"),
    Indicator("rework", "返工数", C, "核查不通过（返工）次数"),
    Indicator("rework_rate", "返工率", R, "返工数 ÷ 处置数"),
    Indicator("revisited", "回访数", C, "已回访"),
    Indicator("revisit_rate", "回访率", R, "回访数 ÷ 结案数"),
    Indicator("satisfied", "满意数", C, "满意 + 基本满意"),
    Indicator("satisfaction_rate", "满意率", R, "满意数 ÷ 回访数"),
    Indicator("sent_back", "发回重办数", C, "回访不满意发回重办次数"),
    Indicator("sent_back_rate", "发回重办率", R, "发回重办数 ÷ 回访数"),
    Indicator("duplicates", "重复诉求数", C, "并入其他事件的重复件"),
    Indicator("duplicate_rate", "重复诉求率", R, "重复诉求数 ÷ 上报数"),
    Indicator("overdue", "超期数", C, "任一环节超过时限"),
    Indicator("self_handled", "自行处置数", C, "网格员自行处置"),
    Indicator("transferred", "分流数", C, "110 非警务转办"),
    Indicator("responded_on_time", "30分钟响应达标数", C, "首次响应不晚于转办后 30 分钟"),
    Indicator("response_rate", "30分钟响应达标率", R, "30分钟响应达标数 ÷ 分流数"),
)
INDICATOR_BY_KEY = {i.key: i for i in INDICATORS}


def rate(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, or None when the denominator is zero.

    >>> rate(3, 4)
    0.75
    >>> rate(0, 0) is None
    True
    """
    return numerator / denominator if denominator else None


def indicators(c: Counts) -> dict[str, float | int | None]:
    """Every indicator of :data:`INDICATORS` for one row of counts; rates are fractions (0.95 = 95 %).

    >>> row = indicators(Counts(reported=10, registered=8, dispatched=8, handled=6, closed=5, closed_on_time=4,
    ...                          due_open=1, rework_steps=3, revisited=4, satisfied=3, sent_back=1, duplicates=1,
    ...                          handle_seconds=6 * 7200.0, handle_timed=6))
    >>> row["register_rate"], row["close_rate"], row["close_on_time_rate"], row["due_close"]
    (0.8, 0.625, 0.6666666666666666, 6)
    >>> row["rework_rate"], row["satisfaction_rate"], row["sent_back_rate"], row["avg_handle_hours"]
    (0.5, 0.75, 0.25, 2.0)
    >>> indicators(Counts())["register_rate"] is None
    True
    """
    due_close = c.closed + c.due_open
    avg_s = rate(c.handle_seconds, c.handle_timed)
    return {
        "reported": c.reported,
        "registered": c.registered,
        "register_rate": rate(c.registered, c.reported),
        "accepted": c.accepted,
        "accepted_on_time": c.accepted_on_time,
        "accept_on_time_rate": rate(c.accepted_on_time, c.accepted),
        "due_handle": c.dispatched,
        "handled": c.handled,
        "handle_rate": rate(c.handled, c.dispatched),
        "avg_handle_hours": None if avg_s is None else avg_s / 3600.0,
        "closed": c.closed,
        "due_close": due_close,
        "closed_on_time": c.closed_on_time,
        "close_rate": rate(c.closed, c.registered),
        "close_on_time_rate": rate(c.closed_on_time, due_close),
        "rework": c.rework_steps,
        "rework_rate": rate(c.rework_steps, c.handled),
        "revisited": c.revisited,
        "revisit_rate": rate(c.revisited, c.closed),
        "satisfied": c.satisfied,
        "satisfaction_rate": rate(c.satisfied, c.revisited),
        "sent_back": c.sent_back,
        "sent_back_rate": rate(c.sent_back, c.revisited),
        "duplicates": c.duplicates,
        "duplicate_rate": rate(c.duplicates, c.reported),
        "overdue": c.overdue,
        "self_handled": c.self_handled,
        "transferred": c.transferred,
        "responded_on_time": c.responded_on_time,
        "response_rate": rate(c.responded_on_time, c.transferred),
    }


def format_value(value: float | int | None, kind: Kind) -> str:
    """A value as shown in a table: "—" for no value, a percentage with one decimal, hours with one decimal.

    >>> format_value(None, Kind.RATE), format_value(0.9876, Kind.RATE), format_value(2.54, Kind.HOURS)
    ('—', '98.8%', '2.5')
    >>> format_value(12, Kind.COUNT)
    '12'
    """
    if value is None:
        return "—"
    if kind is Kind.RATE:
        return f"{value * 100:.1f}%"
    if kind is Kind.HOURS:
        return f"{value:.1f}"
    return str(value)
