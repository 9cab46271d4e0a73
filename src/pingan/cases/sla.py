"""Working calendar and SLA clock (办理时限): deadlines and elapsed shares in working or natural time.

A :class:`TimeLimit` is a positive amount of one :class:`LimitUnit`; a :class:`WorkCalendar` holds the daily working
spans (local wall time, e.g. 08:30–12:00 and 13:30–17:30), the public holidays and the 调休 weekend workdays.

- A day is a working day when it is listed as a 调休 workday, or when it is Monday to Friday and not a listed holiday.
- ``WORK_HOURS`` (工作时) counts only time inside the spans of working days. The deadline is the *earliest* instant
  at which that much working time has passed since the start, so a start at night, at lunch or on a holiday begins
  counting at the next working moment, and a count that ends exactly at the end of a span falls due at that span
  end (12:00), not at the start of the next one (13:30).
- ``WORK_DAYS`` (工作日) are a length, not a date boundary: N working days are N × :attr:`WorkCalendar.seconds_per_day`
  of working time, so fractions work and hours and days agree. With 7.5 h a day, Friday 17:00 + 1 working day is
  Friday 17:00–17:30 (0.5 h), then Monday 08:30–12:00 (3.5 h) and 13:30–17:00 (3.5 h): Monday 17:00.
- ``MINUTES`` and ``HOURS`` (自然分钟, 自然小时) are elapsed time; ``DAYS`` (自然日) is the same local clock time N
  calendar days later (fractions allowed). The calendar is ignored for all three.

Times: inputs may be in any zone but must be timezone-aware (a naive value is a ``ValueError``); results are UTC.
The arithmetic walks local wall time day by day and converts each result with :mod:`zoneinfo`, so a deadline on
the other side of a daylight-saving change carries that day's offset; working time is measured on the wall clock
(08:30–12:00 is 3.5 h even on a changeover day). Asia/Shanghai has had no daylight saving since 1991. The cost is one
step per calendar day, never per minute; a calendar with no working day for more than 366 consecutive days raises
``ValueError`` rather than looping for ever.

Holidays are data. :func:`bundled_calendar` reads the files shipped in ``cases/data``, each a transcription of one
State Council notice (see :data:`SOURCES`). The notice for the next year appears around November: operators must
import it each year, because past the last imported year the calendar knows only weekends.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SHANGHAI = ZoneInfo("Asia/Shanghai")
BUNDLED_YEARS: tuple[int, ...] = (2025, 2026)
SOURCES: dict[int, str] = {
    2025: "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）",
    2026: "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）",
}
MAX_IDLE_DAYS = 366  # consecutive days without work before a deadline is declared unreachable


class LimitUnit(StrEnum):
    """The unit of a time limit: working time on the calendar, or natural time."""

    WORK_HOURS = "work_hours"  # 工作时
    WORK_DAYS = "work_days"  # 工作日
    MINUTES = "minutes"  # 自然分钟 (natural minutes, calendar ignored)
    HOURS = "hours"  # 自然小时
    DAYS = "days"  # 自然日


LIMIT_UNIT_LABELS_ZH: dict[LimitUnit, str] = {
    LimitUnit.WORK_HOURS: "工作时",
    LimitUnit.WORK_DAYS: "工作日",
    LimitUnit.MINUTES: "分钟",
    LimitUnit.HOURS: "小时",
    LimitUnit.DAYS: "自然日",
}
_UNIT_ALIASES: dict[str, LimitUnit] = {
    **{unit.value: unit for unit in LimitUnit},
    **{label: unit for unit, label in LIMIT_UNIT_LABELS_ZH.items()},
    "h": LimitUnit.WORK_HOURS,
    "d": LimitUnit.WORK_DAYS,
    "min": LimitUnit.MINUTES,
}
_NATURAL_SECONDS = {LimitUnit.MINUTES: 60.0, LimitUnit.HOURS: 3600.0}
_LIMIT_TEXT = re.compile(
    r"\s*(?P<value>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf))\s*(?P<unit>\S*?)\s*", re.IGNORECASE
)
_LIMIT_HINT = "write a number and a unit, e.g. '4 work_hours', '4h', '2d' or '30min'"


def _number(value: object, what: str) -> float:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"{what} must be a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, got {value!r}")
    return float(value)


def _unit(value: object) -> LimitUnit:
    unit = _UNIT_ALIASES.get(value.strip().lower()) if isinstance(value, str) else None
    if unit is None:
        raise ValueError(f"unknown time-limit unit {value!r}; use one of {', '.join(sorted(_UNIT_ALIASES))}")
    return unit


def _plain(value: float) -> float:
    return int(value) if value.is_integer() else value


@dataclass(frozen=True)
class TimeLimit:
    """A time limit (办理时限): a positive, finite amount of one unit."""

    value: float
    unit: LimitUnit

    def __post_init__(self) -> None:
        if isinstance(self.value, str):  # text belongs in parse(); a str here is a caller's slip
            raise ValueError(f"a time limit's value must be a number, got {self.value!r}")
        value = _number(self.value, "a time limit's value")
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"a time limit must be a positive finite number, got {self.value!r}")
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "unit", _unit(self.unit))

    @classmethod
    def parse(cls, data: Mapping[str, object] | str) -> TimeLimit:
        """Read a limit from ``{"value": 4, "unit": "work_hours"}`` or text such as ``"4 work_hours"`` or ``"4h"``.

        Parameters
        ----------
        data : mapping or str
            A mapping with exactly the keys ``value`` and ``unit``, or a number followed by a unit: a
            :class:`LimitUnit` value, its Chinese label, or the short forms ``h`` (working hours), ``d`` (working
            days) and ``min`` (natural minutes).

        Returns
        -------
        TimeLimit

        Raises
        ------
        ValueError
            If the text or mapping is not a limit, or the value is not positive and finite.

        Examples
        --------
        >>> TimeLimit.parse("4h"), TimeLimit.parse("30min").label_zh()
        (TimeLimit(value=4.0, unit=<LimitUnit.WORK_HOURS: 'work_hours'>), '30 分钟')
        >>> TimeLimit.parse({"value": 1.5, "unit": "work_days"}).to_dict()
        {'value': 1.5, 'unit': 'work_days'}
        >>> TimeLimit.parse("-2d")
        Traceback (most recent call last):
        ...
        ValueError: a time limit must be a positive finite number, got -2.0
        """
        if isinstance(data, str):
            match = _LIMIT_TEXT.fullmatch(data)
            if match is None or not match["unit"]:
                raise ValueError(f"cannot read the time limit {data!r}: {_LIMIT_HINT}")
            return cls(float(match["value"]), _unit(match["unit"]))
        if isinstance(data, Mapping):
            keys = set(data)
            if keys != {"value", "unit"}:
                raise ValueError(f"a time limit needs exactly the keys 'value' and 'unit', got {sorted(keys)}")
            return cls(_number(data["value"], "a time limit's value"), _unit(data["unit"]))
        raise ValueError(f"cannot read a time limit from {type(data).__name__}: {_LIMIT_HINT}")

    def to_dict(self) -> dict[str, float | str]:
        """The JSON form that :meth:`parse` reads back."""
        return {"value": _plain(self.value), "unit": self.unit.value}

    def label_zh(self) -> str:
        """A display label such as ``4 工作时``, ``2 工作日`` or ``30 分钟``."""
        return f"{_plain(self.value):g} {LIMIT_UNIT_LABELS_ZH[self.unit]}"

    def scaled(self, factor: float) -> TimeLimit:
        """The same limit multiplied by ``factor`` (e.g. 0.8 for the warning point)."""
        factor = _number(factor, "a scale factor")
        if not math.isfinite(factor) or factor <= 0:
            raise ValueError(f"a scale factor must be a positive finite number, got {factor!r}")
        return TimeLimit(self.value * factor, self.unit)


class DayKind(StrEnum):
    """How a calendar entry changes a day."""

    HOLIDAY = "holiday"  # 法定节假日 (休)
    WORKDAY = "workday"  # 调休上班日 (班)


_KIND_ALIASES = {"holiday": DayKind.HOLIDAY, "休": DayKind.HOLIDAY, "workday": DayKind.WORKDAY, "班": DayKind.WORKDAY}


@dataclass(frozen=True)
class CalendarDay:
    """One entry of a holiday notice: a day off, or a weekend day that is worked (调休)."""

    day: date
    kind: DayKind
    name: str


def _clock(text: str, span: str) -> time:
    parts = text.strip().split(":")
    if len(parts) in (2, 3) and all(p.isascii() and p.isdigit() for p in parts):
        try:
            hour, minute, second = (int(p) for p in [*parts, "0"][:3])
            return time(hour, minute, second)
        except ValueError:
            pass
    raise ValueError(f"span {span.strip()!r}: {text.strip()!r} is not a clock time HH:MM")


def _check_spans(spans: tuple[tuple[time, time], ...]) -> tuple[tuple[time, time], ...]:
    if not spans:
        raise ValueError("no working spans: give at least one, e.g. '08:30-12:00,13:30-17:30'")
    previous_end: time | None = None
    for start, end in spans:
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("working spans are local wall times and carry no time zone")
        if start >= end:
            raise ValueError(
                f"span {start:%H:%M}-{end:%H:%M} does not end after it starts (spans cannot cross midnight)"
            )
        if previous_end is not None and start < previous_end:
            raise ValueError(
                f"spans must be in order and must not overlap: {start:%H:%M} is before {previous_end:%H:%M}"
            )
        previous_end = end
    return spans


def parse_spans(text: str) -> tuple[tuple[time, time], ...]:
    """Read daily working spans such as ``"08:30-12:00,13:30-17:30"`` (local wall time, in order, not overlapping).

    Examples
    --------
    >>> [f"{a:%H:%M}-{b:%H:%M}" for a, b in parse_spans("08:30-12:00, 13:30-17:30")]
    ['08:30-12:00', '13:30-17:30']
    >>> parse_spans("13:30-17:30,08:30-12:00")
    Traceback (most recent call last):
    ...
    ValueError: spans must be in order and must not overlap: 08:30 is before 17:30
    """
    spans = []
    for part in text.split(",") if text.strip() else []:
        start, dash, end = part.partition("-")
        if not dash:
            raise ValueError(f"span {part.strip()!r} is not HH:MM-HH:MM")
        spans.append((_clock(start, part), _clock(end, part)))
    return _check_spans(tuple(spans))


def _calendar_entry(where: str, raw_day: object, raw_kind: object, raw_name: object) -> CalendarDay:
    try:
        day = date.fromisoformat(raw_day) if isinstance(raw_day, str) else None
    except ValueError:
        day = None
    if day is None:
        raise ValueError(f"{where}: {raw_day!r} is not a date YYYY-MM-DD")
    kind = _KIND_ALIASES.get(raw_kind.strip().lower()) if isinstance(raw_kind, str) else None
    if kind is None:
        raise ValueError(f"{where}: kind {raw_kind!r} is not holiday/休 or workday/班")
    if raw_name is not None and not isinstance(raw_name, str):
        raise ValueError(f"{where}: name {raw_name!r} is not text")
    return CalendarDay(day, kind, (raw_name or "").strip())


def parse_calendar(text: str, *, fmt: str = "csv") -> list[CalendarDay]:
    """Read holiday and 调休 rows (``date,kind,name``) from CSV or a JSON list, sorted by day.

    ``kind`` is ``holiday`` or ``workday`` (also ``休`` / ``班``). A day listed twice with the same kind counts once;
    with different kinds it is an error. Errors name the CSV line, or the 1-based entry of the JSON list.

    Examples
    --------
    >>> parse_calendar("date,kind,name\\n2026-10-10,班,国庆节调休上班\\n2026-10-01,休,国庆节\\n")[0]
    CalendarDay(day=datetime.date(2026, 10, 1), kind=<DayKind.HOLIDAY: 'holiday'>, name='国庆节')
    >>> parse_calendar("date,kind,name\\n2026-10-01,holiday,\\n2026-10-01,workday,\\n")
    Traceback (most recent call last):
    ...
    ValueError: line 3: 2026-10-01 is listed as a workday but line 2 lists it as a holiday
    """
    rows: list[tuple[str, CalendarDay]] = []
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
        header = [(name or "").strip().lower() for name in reader.fieldnames or []]
        if header != ["date", "kind", "name"]:
            raise ValueError(f"line 1: expected the header date,kind,name, got {','.join(header) or 'nothing'}")
        reader.fieldnames = header
        for row in reader:
            where = f"line {reader.line_num}"
            if None in row or None in row.values():
                raise ValueError(f"{where}: expected 3 fields date,kind,name")
            rows.append((where, _calendar_entry(where, row["date"], row["kind"], row["name"])))
    elif fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {exc.lineno}: not JSON ({exc.msg})") from None
        if not isinstance(data, list):
            raise ValueError("a JSON calendar is a list of {date, kind, name} objects")
        for number, item in enumerate(data, start=1):
            where = f"entry {number}"
            if not isinstance(item, dict) or "date" not in item or "kind" not in item:
                raise ValueError(f"{where}: expected an object with date, kind and name")
            rows.append((where, _calendar_entry(where, item["date"], item["kind"], item.get("name"))))
    else:
        raise ValueError(f"unknown calendar format {fmt!r}: use 'csv' or 'json'")
    seen: dict[date, tuple[str, CalendarDay]] = {}
    for where, entry in rows:
        first_where, first = seen.setdefault(entry.day, (where, entry))
        if first.kind is not entry.kind:
            raise ValueError(
                f"{where}: {entry.day} is listed as a {entry.kind} but {first_where} lists it as a {first.kind}"
            )
    return sorted((entry for _, entry in seen.values()), key=lambda entry: entry.day)


def bundled_calendar(year: int) -> list[CalendarDay]:
    """The holidays and 调休 workdays of ``year`` as shipped with pingan (one State Council notice, see SOURCES).

    Examples
    --------
    >>> [d.day.isoformat() for d in bundled_calendar(2026) if d.kind is DayKind.WORKDAY][-2:]
    ['2026-09-20', '2026-10-10']
    """
    if year not in BUNDLED_YEARS:
        raise ValueError(f"no bundled holiday calendar for {year}: import that year's State Council notice")
    data = resources.files("pingan.cases") / "data" / f"calendar_{year}.csv"
    return parse_calendar(data.read_text(encoding="utf-8"))


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got the naive {value.isoformat()}")


@dataclass(frozen=True)
class WorkCalendar:
    """Working spans, holidays and 调休 workdays in one zone, with the deadline arithmetic over them.

    Examples
    --------
    >>> cal = WorkCalendar(parse_spans("08:30-12:00,13:30-17:30"))
    >>> friday_5pm = datetime(2026, 3, 6, 17, 0, tzinfo=SHANGHAI)
    >>> cal.add(friday_5pm, TimeLimit.parse("4h")).isoformat()  # 0.5 h on Friday, 3.5 h on Monday
    '2026-03-09T04:00:00+00:00'
    >>> cal.add(friday_5pm, TimeLimit.parse("1d")).astimezone(SHANGHAI).isoformat()
    '2026-03-09T17:00:00+08:00'
    """

    spans: tuple[tuple[time, time], ...]  # working hours in local wall time
    holidays: frozenset[date] = frozenset()  # days off (a listed holiday on a weekend is harmless)
    extra_workdays: frozenset[date] = frozenset()  # 调休: weekend days that are worked
    tz: ZoneInfo = SHANGHAI

    def __post_init__(self) -> None:
        object.__setattr__(self, "spans", _check_spans(tuple((start, end) for start, end in self.spans)))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "extra_workdays", frozenset(self.extra_workdays))

    @classmethod
    def build(cls, spans: str, days: Iterable[CalendarDay], tz: str = "Asia/Shanghai") -> WorkCalendar:
        """A calendar from span text, holiday-notice entries (of any number of years) and a zone name."""
        kinds: dict[date, DayKind] = {}
        for entry in days:
            if kinds.setdefault(entry.day, entry.kind) is not entry.kind:
                raise ValueError(f"{entry.day} is listed both as a holiday and as a workday")
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {tz!r}") from None
        holidays = frozenset(day for day, kind in kinds.items() if kind is DayKind.HOLIDAY)
        return cls(parse_spans(spans), holidays, frozenset(kinds) - holidays, zone)

    def is_workday(self, d: date) -> bool:
        """True on a 调休 workday, else on Monday to Friday unless it is a holiday."""
        if d in self.extra_workdays:
            return True
        return d.weekday() < 5 and d not in self.holidays

    @property
    def seconds_per_day(self) -> float:
        """Working seconds in one working day (the sum of the span lengths)."""
        return sum((self._seconds(end) - self._seconds(start) for start, end in self.spans), 0.0)

    @staticmethod
    def _seconds(t: time) -> float:
        return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6

    def _wall(self, value: datetime, name: str) -> datetime:
        _require_aware(value, name)
        return value.astimezone(self.tz).replace(tzinfo=None)

    def _instant(self, wall: datetime) -> datetime:
        return wall.replace(tzinfo=self.tz).astimezone(UTC)

    def _day_spans(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        for start, end in self.spans:
            yield datetime.combine(day, start), datetime.combine(day, end)

    def _working_seconds(self, limit: TimeLimit) -> float:
        if limit.unit is LimitUnit.WORK_DAYS:
            return limit.value * self.seconds_per_day
        return limit.value * 3600.0

    def add(self, start: datetime, limit: TimeLimit) -> datetime:
        """The deadline (UTC) of ``limit`` counted from ``start``.

        Parameters
        ----------
        start : datetime
            When the clock starts; timezone-aware, any zone.
        limit : TimeLimit
            Working hours or days on this calendar, or natural minutes, hours or days.

        Returns
        -------
        datetime
            The deadline in UTC: for working time the earliest instant by which the limit has elapsed.

        Examples
        --------
        >>> cal = WorkCalendar(parse_spans("08:30-12:00,13:30-17:30"), holidays=frozenset({date(2026, 3, 9)}))
        >>> friday_5pm = datetime(2026, 3, 6, 17, 0, tzinfo=SHANGHAI)
        >>> cal.add(friday_5pm, TimeLimit(4, LimitUnit.WORK_HOURS)).astimezone(SHANGHAI).isoformat()
        '2026-03-10T12:00:00+08:00'
        >>> cal.add(friday_5pm, TimeLimit(30, LimitUnit.MINUTES)).astimezone(SHANGHAI).isoformat()
        '2026-03-06T17:30:00+08:00'
        """
        if limit.unit in (LimitUnit.WORK_HOURS, LimitUnit.WORK_DAYS):
            return self.add_working_seconds(start, self._working_seconds(limit))
        wall = self._wall(start, "start")
        try:
            if limit.unit is LimitUnit.DAYS:
                return self._instant(wall + timedelta(days=limit.value))
            return start.astimezone(UTC) + timedelta(seconds=limit.value * _NATURAL_SECONDS[limit.unit])
        except OverflowError:
            raise ValueError(f"{limit.label_zh()} from {start.isoformat()} is beyond the calendar") from None

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The earliest instant (UTC) by which ``seconds`` of working time have passed since ``start``.

        Examples
        --------
        >>> cal = WorkCalendar(parse_spans("08:30-12:00,13:30-17:30"))
        >>> lunch = datetime(2026, 3, 4, 12, 30, tzinfo=SHANGHAI)  # a Wednesday
        >>> cal.add_working_seconds(lunch, 3600).astimezone(SHANGHAI).isoformat()
        '2026-03-04T14:30:00+08:00'
        """
        seconds = _number(seconds, "working seconds")
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"working seconds must be finite and not negative, got {seconds!r}")
        cursor = self._wall(start, "start")
        if seconds == 0:
            return start.astimezone(UTC)
        try:
            remaining = timedelta(seconds=seconds)
            day, idle_days = cursor.date(), 0
            while True:
                if self.is_workday(day):
                    idle_days = 0
                    for span_start, span_end in self._day_spans(day):
                        begin = max(cursor, span_start)
                        if begin >= span_end:
                            continue
                        if remaining <= span_end - begin:
                            return self._instant(begin + remaining)
                        remaining -= span_end - begin
                else:
                    idle_days += 1
                    if idle_days > MAX_IDLE_DAYS:
                        raise ValueError(f"no working day for more than {MAX_IDLE_DAYS} days before {day}")
                day += timedelta(days=1)
        except OverflowError:
            raise ValueError(f"{seconds} working seconds from {start.isoformat()} is beyond the calendar") from None

    def working_seconds_between(self, a: datetime, b: datetime) -> float:
        """Working seconds from ``a`` to ``b`` (0 when ``b`` is not after ``a``).

        Examples
        --------
        >>> cal = WorkCalendar(parse_spans("08:30-12:00,13:30-17:30"))
        >>> friday_5pm = datetime(2026, 3, 6, 17, 0, tzinfo=SHANGHAI)
        >>> cal.working_seconds_between(friday_5pm, datetime(2026, 3, 9, 4, 0, tzinfo=UTC)) / 3600
        4.0
        """
        a_wall, b_wall = self._wall(a, "a"), self._wall(b, "b")
        if b <= a:
            return 0.0
        total = timedelta()
        day = a_wall.date()
        while day <= b_wall.date():
            if self.is_workday(day):
                for span_start, span_end in self._day_spans(day):
                    low, high = max(a_wall, span_start), min(b_wall, span_end)
                    if high > low:
                        total += high - low
            day += timedelta(days=1)
        return total.total_seconds()

    def elapsed_fraction(self, start: datetime, now: datetime, limit: TimeLimit) -> float:
        """The share of ``limit`` used between ``start`` and ``now``: 0 before the start, 1 at the deadline, then more.

        Working limits compare working seconds, natural limits natural seconds.

        Examples
        --------
        >>> cal = WorkCalendar(parse_spans("08:30-12:00,13:30-17:30"))
        >>> friday_5pm = datetime(2026, 3, 6, 17, 0, tzinfo=SHANGHAI)
        >>> monday = datetime(2026, 3, 9, 11, 12, tzinfo=SHANGHAI)
        >>> round(cal.elapsed_fraction(friday_5pm, monday, TimeLimit.parse("4h")), 6)
        0.8
        """
        if limit.unit in (LimitUnit.WORK_HOURS, LimitUnit.WORK_DAYS):
            return self.working_seconds_between(start, now) / self._working_seconds(limit)
        _require_aware(now, "now")
        length = (self.add(start, limit) - start).total_seconds()
        return max(0.0, (now - start).total_seconds()) / length
