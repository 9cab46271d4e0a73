"""KPI queries: the raw counts of :mod:`pingan.cases.kpi` per area, grid, unit, person, category or channel.

A table is two aggregate queries, whatever the number of cases: one ``GROUP BY`` over ``case_item`` summing a
0/1 flag per count, and one over the 返工/发回重办 timeline steps joined to their cases. Both see only the cases
reported in ``[start, end)`` that the actor may see (:func:`~pingan.cases.repository.case_scope`). Areas are
grouped by the case's territorial unit in SQL and folded into townships here, from the small unit table, so the big
query never joins on path prefixes.

SQLite needs three kinds of help to count 1,000,000 cases in about a second (PostgreSQL needs none): a whole-table
period is read by a plain scan, not through the reported_at index; the per-case flags are kept in a subquery so the
GROUP BY sorts small rows; and on an engine-bound session the table is counted in two halves on two connections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Integer,
    Select,
    UnaryExpression,
    and_,
    case,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import operators

from pingan.auth.models import User
from pingan.auth.principal import Principal
from pingan.cases.kpi import Counts, indicators, total
from pingan.cases.models import Case, CaseCategory, CaseStep
from pingan.cases.repository import case_scope
from pingan.cases.workflow import CHANNEL_LABELS_ZH, Action, CaseStatus, Channel, Satisfaction
from pingan.errors import ValidationFailed
from pingan.grids.models import LandGrid
from pingan.org.models import OrgUnit, UnitKind


class GroupBy(StrEnum):
    """What one row of a KPI table stands for (the evaluation object, 评价对象)."""

    AREA = "area"  # 区域评价: the township (乡镇/街道) of the case's place
    GRID = "grid"  # the land grid
    UNIT = "unit"  # 部门评价: the unit holding the case
    PERSON = "person"  # 采集员/上报人: the account that reported it
    CATEGORY = "category"  # the small class (小类)
    CHANNEL = "channel"  # where it came from


GROUP_LABELS_ZH = {
    GroupBy.AREA: "乡镇（街道）",
    GroupBy.GRID: "网格",
    GroupBy.UNIT: "责任单位",
    GroupBy.PERSON: "采集员/上报人",
    GroupBy.CATEGORY: "事件类别",
    GroupBy.CHANNEL: "来源渠道",
}

# The label of the row of cases that have no value for the grouping column.
NONE_LABELS_ZH = {
    GroupBy.AREA: "未定位",
    GroupBy.GRID: "网格外",
    GroupBy.UNIT: "未派遣",
    GroupBy.PERSON: "非账号上报（群众、热线、系统）",
    GroupBy.CATEGORY: "未分类",
    GroupBy.CHANNEL: "未知渠道",
}

# 结案: closed by check or as unfixable, or closed and revisited; not 不予立案 and not 重复件.
CLOSED_FOR_KPI = (CaseStatus.CLOSED_FIXED.value, CaseStatus.CLOSED_UNFIXABLE.value, CaseStatus.REVISITED.value)
SATISFIED = (Satisfaction.SATISFIED.value, Satisfaction.BASICALLY.value)
SELF_HANDLED = "自行处置"  # the sub-status self-handling leaves
# From this many cases on, SQLite counts a whole-table period on two connections at once (one core each).
SQLITE_SPLIT_MIN_CASES = 200_000

Key = int | str | None
Column = ColumnElement[Any] | InstrumentedAttribute[Any]


@dataclass(frozen=True)
class KpiRow:
    """One row of a KPI table: what it stands for, its raw counts and its indicators."""

    key: Key  # unit, grid, user or category id; channel value; None for "no value"
    code: str | None  # unit or grid code, username, category code, channel
    label: str
    counts: Counts

    @property
    def values(self) -> dict[str, float | int | None]:
        """The indicators of this row (:func:`pingan.cases.kpi.indicators`)."""
        return indicators(self.counts)


def _group_column(by: GroupBy) -> InstrumentedAttribute[Any]:
    return {
        GroupBy.AREA: Case.unit_id,
        GroupBy.GRID: Case.grid_id,
        GroupBy.UNIT: Case.responsible_unit_id,
        GroupBy.PERSON: Case.reported_by_id,
        GroupBy.CATEGORY: Case.category_id,
        GroupBy.CHANNEL: Case.channel,
    }[by]


def _flag(condition: ColumnElement[bool], dialect: str) -> ColumnElement[int]:
    """1 where ``condition`` holds, else 0 or NULL (which SUM skips)."""
    if dialect == "sqlite":
        return type_coerce(condition, Integer)  # SQLite's booleans already are 1 and 0, and a CASE costs time
    return case((condition, 1), else_=0)


def _handle_seconds(dialect: str, sqlite_version: tuple[int, ...]) -> ColumnElement[Any]:
    """handled_at − dispatched_at in seconds (NULL when either is NULL)."""
    if dialect == "postgresql":
        return func.extract("epoch", Case.handled_at - Case.dispatched_at)
    # SQLite keeps UTC timestamps as ISO text; unixepoch() (3.38+, whole seconds) reads it twice as fast as julianday().
    if sqlite_version >= (3, 38):
        return func.unixepoch(Case.handled_at) - func.unixepoch(Case.dispatched_at)
    return (func.julianday(Case.handled_at) - func.julianday(Case.dispatched_at)) * 86400.0


def _row_flags(cutoff: datetime) -> dict[str, ColumnElement[bool]]:
    """The per-case condition behind each count of :class:`~pingan.cases.kpi.Counts` (cases, not steps)."""
    closed = Case.status.in_(CLOSED_FOR_KPI)
    nonpolice = Case.channel == Channel.NONPOLICE.value
    return {
        "registered": Case.registered_at.is_not(None),
        "accepted": Case.accepted_at.is_not(None),
        "accepted_on_time": and_(Case.accepted_at.is_not(None), Case.accepted_on_time.is_(True)),
        "dispatched": Case.dispatched_at.is_not(None),
        "handled": Case.handled_at.is_not(None),
        "closed": closed,
        "closed_on_time": and_(closed, Case.closed_on_time.is_(True)),
        "due_open": and_(Case.is_open.is_(True), Case.registered_at.is_not(None), Case.handle_due_at < cutoff),
        "revisited": Case.revisited_at.is_not(None),
        "satisfied": Case.satisfaction.in_(SATISFIED),
        "duplicates": Case.master_id.is_not(None),
        "overdue": Case.is_overdue.is_(True),
        "self_handled": Case.sub_status == SELF_HANDLED,
        "transferred": nonpolice,
        "responded_on_time": and_(nonpolice, Case.first_response_at <= Case.response_due_at),
    }


def area_unit(session: Session, area_code: str) -> OrgUnit:
    """The unit an ``area_code`` names; 422 when there is none."""
    unit = session.scalars(select(OrgUnit).where(OrgUnit.code == area_code.strip())).first()
    if unit is None:
        raise ValidationFailed(f"no area {area_code!r}: give an organisation unit code", code="unknown_area")
    return unit


def _no_index(column: Column) -> ColumnElement[Any]:
    """``+column``: the same value, but SQLite's planner will not choose an index for it."""
    return UnaryExpression(column.expression, operator=operators.custom_op("+"), type_=column.type)


def _filters(
    session: Session, actor: Principal, start: datetime, end: datetime, area_code: str | None, *, scan: bool
) -> list[ColumnElement[bool]]:
    reported = _no_index(Case.reported_at) if scan else Case.reported_at
    conditions = [reported >= start, reported < end, case_scope(actor)]
    if area_code:
        area = area_unit(session, area_code)
        under = select(OrgUnit.id).where(OrgUnit.path.startswith(area.path, autoescape=True))
        conditions.append(Case.unit_id.in_(under))
    return conditions


def _sqlite_plan(session: Session, start: datetime, end: datetime) -> tuple[bool, int]:
    """Whether SQLite should read the whole table rather than follow the reported_at index, and the last case id.

    Its planner follows the index even when the period holds nearly every case, and one random page read per case
    costs several times a sequential scan. Counting the period on that index alone is cheap.
    """
    in_period = session.scalar(
        select(func.count()).select_from(Case).where(Case.reported_at >= start, Case.reported_at < end)
    )
    last_id = session.scalar(select(func.max(Case.id))) or 0
    return (in_period or 0) * 10 > last_id > 0, last_id


def _case_counts(
    column: Column,
    flags: dict[str, ColumnElement[bool]],
    seconds: ColumnElement[Any],
    where: list[ColumnElement[bool]],
    dialect: str,
) -> Select[Any]:
    """One row of 0/1 flags per case, summed per group.

    On SQLite the per-case query is kept apart (OFFSET 0, which PostgreSQL never needs), so its GROUP BY sorts
    narrow integer rows instead of every timestamp column.
    """
    inner = select(
        column.label("k"),
        *(_flag(cond, dialect).label(name) for name, cond in flags.items()),
        seconds.label("handle_seconds"),
    ).where(*where)
    per_case = (inner.offset(0) if dialect == "sqlite" else inner).subquery("per_case")
    return select(
        per_case.c.k,
        func.count().label("reported"),
        *(func.sum(per_case.c[name]).label(name) for name in flags),
        func.sum(per_case.c.handle_seconds).label("handle_seconds"),
        func.count(per_case.c.handle_seconds).label("handle_timed"),
    ).group_by(per_case.c.k)


def _in_halves(engine: Engine, query: Callable[[ColumnElement[bool]], Select[Any]], last_id: int) -> list[Any]:
    """Run ``query`` over each half of the case ids on its own SQLite connection, at the same time.

    SQLite answers one query on one core; the halves are consecutive id ranges, which it reads sequentially, and
    their counts simply add up.
    """

    def run(half: ColumnElement[bool]) -> list[Any]:
        with engine.connect() as conn:
            return list(conn.execute(query(half)).mappings())

    middle = last_id // 2
    with ThreadPoolExecutor(max_workers=2) as pool:
        low, high = pool.map(run, [Case.id <= middle, Case.id > middle])
    return low + high


def count_groups(
    session: Session,
    *,
    actor: Principal,
    by: GroupBy,
    start: datetime,
    end: datetime,
    area_code: str | None = None,
    now: datetime | None = None,
) -> dict[Key, Counts]:
    """The raw counts per value of the grouping column (for ``by="area"``: per territorial unit, not folded).

    ``now`` (when given and before ``end``) is the cut-off for "past its handling deadline" in 应结案数, so a
    current period counts only deadlines already missed; otherwise ``end`` is.
    """
    if end <= start:
        raise ValidationFailed("the period must end after it starts", code="bad_period")
    cutoff = min(end, now) if now is not None else end
    column = _group_column(by)
    bind = session.get_bind()
    dialect = bind.dialect.name
    scan, last_id = _sqlite_plan(session, start, end) if dialect == "sqlite" else (False, 0)
    where = _filters(session, actor, start, end, area_code, scan=scan)
    flags = _row_flags(cutoff)
    seconds = _handle_seconds(dialect, tuple(int(v) for v in bind.dialect.server_version_info or ()))
    if scan and isinstance(bind, Engine) and last_id >= SQLITE_SPLIT_MIN_CASES:
        rows = _in_halves(bind, lambda half: _case_counts(column, flags, seconds, [*where, half], dialect), last_id)
    else:
        rows = list(session.execute(_case_counts(column, flags, seconds, where, dialect)).mappings())
    counts: dict[Key, dict[str, Any]] = {}
    for row in rows:
        into = counts.setdefault(row["k"], {})
        for name in ("reported", "handle_timed", *flags):
            into[name] = into.get(name, 0) + int(row[name] or 0)
        into["handle_seconds"] = into.get("handle_seconds", 0.0) + float(row["handle_seconds"] or 0.0)
    if counts:
        # When scanning, the steps lead: SQLite then reads them once and finds each case by its id.
        key = (_no_index(column) if scan else column).label("k")
        rework = CaseStep.action == Action.CHECK_FAIL.value
        sent_back = and_(CaseStep.action == Action.REVISIT.value, CaseStep.to_status == CaseStatus.REWORK.value)
        steps = (
            select(key, func.sum(_flag(rework, dialect)), func.sum(_flag(sent_back, dialect)))
            .select_from(CaseStep)
            .join(Case, Case.id == CaseStep.case_id)
            .where(CaseStep.action.in_([Action.CHECK_FAIL.value, Action.REVISIT.value]), *where)
            .group_by(key)
        )
        for k, n_rework, n_sent_back in session.execute(steps):
            if k in counts:
                counts[k]["rework_steps"] = int(n_rework or 0)
                counts[k]["sent_back"] = int(n_sent_back or 0)
    return {k: Counts(**v) for k, v in counts.items()}


# ---------------------------------------------------------------- labels and folding


def _townships(session: Session, unit_ids: Iterable[int]) -> dict[int, OrgUnit]:
    """Each unit's township (乡镇/街道): the nearest township on its path, else the unit itself."""
    wanted = set(unit_ids)
    if not wanted:
        return {}
    units = list(session.scalars(select(OrgUnit)))
    by_id = {u.id: u for u in units}
    by_code = {u.code: u for u in units}
    out: dict[int, OrgUnit] = {}
    for unit_id in wanted:
        unit = by_id.get(unit_id)
        if unit is None:
            continue
        chain = [by_code[c] for c in unit.path.strip("/").split("/") if c in by_code]
        out[unit_id] = next((u for u in reversed(chain) if u.kind == UnitKind.TOWNSHIP), unit)
    return out


def _fold_areas(session: Session, groups: dict[Key, Counts]) -> dict[Key, Counts]:
    townships = _townships(session, (k for k in groups if isinstance(k, int)))
    folded: dict[Key, list[Counts]] = {}
    for unit_id, counts in groups.items():
        town = townships.get(unit_id) if isinstance(unit_id, int) else None
        folded.setdefault(town.id if town is not None else None, []).append(counts)
    return {k: total(v) for k, v in folded.items()}


def _labels(session: Session, by: GroupBy, keys: list[Key]) -> dict[Key, tuple[str, str]]:
    """``key → (code, label)`` for the non-None keys."""
    ids = [k for k in keys if k is not None]
    if not ids:
        return {}
    if by is GroupBy.CHANNEL:
        names = {c.value: label for c, label in CHANNEL_LABELS_ZH.items()}
        return {k: (str(k), names.get(str(k), str(k))) for k in ids}
    id_col, code_col, name_col = {
        GroupBy.AREA: (OrgUnit.id, OrgUnit.code, OrgUnit.name),
        GroupBy.UNIT: (OrgUnit.id, OrgUnit.code, OrgUnit.name),
        GroupBy.GRID: (LandGrid.id, LandGrid.code, LandGrid.name),
        GroupBy.PERSON: (User.id, User.username, User.display_name),
        GroupBy.CATEGORY: (CaseCategory.id, CaseCategory.code, CaseCategory.name),
    }[by]
    rows = session.execute(select(id_col, code_col, name_col).where(id_col.in_(ids)))
    return {r[0]: (r[1], r[2]) for r in rows}


def _sort_key(by: GroupBy, row: KpiRow) -> tuple[bool, int, str]:
    if by is GroupBy.CHANNEL:
        order = [c.value for c in Channel]
        return (row.key is None, order.index(row.code) if row.code in order else len(order), row.code or "")
    return (row.key is None, 0, row.code or "")


def kpi_table(
    session: Session,
    *,
    actor: Principal,
    by: GroupBy | str,
    start: datetime,
    end: datetime,
    area_code: str | None = None,
    now: datetime | None = None,
) -> list[KpiRow]:
    """The KPI rows of the cases reported in ``[start, end)`` that ``actor`` may see, one per ``by`` value.

    ``area_code`` keeps only the cases placed under that unit (a district, township or village). Rows come in code
    order; the row of cases without a value (no place, not dispatched, not reported by an account …) comes last.
    """
    by = GroupBy(by)
    groups = count_groups(session, actor=actor, by=by, start=start, end=end, area_code=area_code, now=now)
    if by is GroupBy.AREA:
        groups = _fold_areas(session, groups)
    labels = _labels(session, by, list(groups))
    rows = []
    for key, counts in groups.items():
        if key is None:
            code, label = None, NONE_LABELS_ZH[by]
        else:
            code, label = labels.get(key, (str(key), str(key)))
        rows.append(KpiRow(key=key, code=code, label=label, counts=counts))
    return sorted(rows, key=lambda r: _sort_key(by, r))


def scope_label(session: Session, actor: Principal) -> str:
    """The actor's data scope in words, for a report's title: "全部", or the units, grids or own cases it covers."""
    vis = actor.visibility
    if vis.everything:
        return "全部"
    parts: list[str] = []
    if vis.subtree_paths:
        stmt = select(OrgUnit.name).where(OrgUnit.path.in_(sorted(vis.subtree_paths))).order_by(OrgUnit.path)
        parts += [f"{name}及下级" for name in session.scalars(stmt)]
    if vis.unit_ids:
        parts += list(session.scalars(select(OrgUnit.name).where(OrgUnit.id.in_(sorted(vis.unit_ids)))))
    if vis.grid_ids:
        parts.append(f"本人网格（{len(vis.grid_ids)} 个）")
    if vis.user_id is not None:
        parts.append("本人上报")
    return "、".join(parts) or "无"
