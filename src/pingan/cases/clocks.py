"""Step clocks on the working calendar: which limit applies, when a step warns, falls due and goes to 督办."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.cases.models import CalendarDay, Case, CaseCategory
from pingan.cases.sla import CalendarDay as CalendarDayValue
from pingan.cases.sla import DayKind, TimeLimit, WorkCalendar
from pingan.cases.workflow import Step
from pingan.config import Settings
from pingan.errors import ValidationFailed

_cache_lock = threading.Lock()
_cache: dict[tuple[str, str], tuple[float, WorkCalendar]] = {}
CALENDAR_TTL_S = 60.0  # another process's calendar import is seen within a minute; this process's at once


def work_calendar(session: Session, settings: Settings) -> WorkCalendar:
    """The working calendar from the stored holidays and the configured working hours.

    Built once and kept for :data:`CALENDAR_TTL_S` seconds per database; :func:`import_calendar` drops it.
    """
    key = (str(session.get_bind().engine.url), settings.case_work_hours)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < CALENDAR_TTL_S:
        return hit[1]
    days = [CalendarDayValue(row.day, DayKind(row.kind), row.name) for row in session.scalars(select(CalendarDay))]
    cal = WorkCalendar.build(settings.case_work_hours, days, tz=settings.display_timezone)
    with _cache_lock:
        _cache[key] = (time.monotonic(), cal)
    return cal


def forget_calendars() -> None:
    """Drop the cached calendars (after an import)."""
    with _cache_lock:
        _cache.clear()


def import_calendar(session: Session, days: list[CalendarDayValue], *, replace_years: bool = True) -> int:
    """Store holiday and swapped-workday rows; a year present in ``days`` replaces that year's rows."""
    years = {d.day.year for d in days}
    if replace_years:
        for year in years:
            for row in session.scalars(
                select(CalendarDay)
                .where(CalendarDay.day >= date(year, 1, 1))
                .where(CalendarDay.day <= date(year, 12, 31))
            ):
                session.delete(row)
        session.flush()
    for d in days:
        session.merge(CalendarDay(day=d.day, kind=d.kind.value, name=d.name))
    session.flush()
    forget_calendars()
    return len(days)


def limit_for(category: CaseCategory, step: Step, severity: str | None, settings: Settings) -> TimeLimit:
    """The time limit of one step: the category's severity tier, else its own, else the configured default."""
    if severity and step.value in (category.severity_limits or {}).get(severity, {}):
        return TimeLimit.parse(category.severity_limits[severity][step.value])
    if step.value in (category.limits or {}):
        return TimeLimit.parse(category.limits[step.value])
    default = settings.case_default_limits.get(step.value)
    if default is None:
        raise ValidationFailed(f"no time limit for step {step.value}", code="no_time_limit")
    return TimeLimit.parse(default)


def start_clock(case: Case, step: Step, *, now: datetime, calendar: WorkCalendar, settings: Settings) -> None:
    """Start the clock of ``step`` on ``case`` (a new clock sequence: escalations fire once per clock)."""
    limit = limit_for(case.category, step, case.severity, settings)
    case.clock_step = step.value
    case.clock_seq = (case.clock_seq or 0) + 1
    case.step_started_at = now
    case.step_due_at = calendar.add(now, limit)
    case.step_warn_at = calendar.add(now, limit.scaled(settings.case_warn_ratio))
    case.step_supervise_at = calendar.add(now, limit.scaled(settings.case_supervise_ratio))


def stop_clock(case: Case) -> None:
    """No step clock runs (closed and revisited, rejected, merged)."""
    case.clock_step = None
    case.step_started_at = case.step_due_at = case.step_warn_at = case.step_supervise_at = None
