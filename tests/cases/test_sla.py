"""The SLA clock: deadlines in working hours, working days and natural time on the PRC holiday calendar."""

from __future__ import annotations

import ast
import doctest
import math
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pingan.cases import sla
from pingan.cases.sla import (
    BUNDLED_YEARS,
    CalendarDay,
    DayKind,
    LimitUnit,
    TimeLimit,
    WorkCalendar,
    bundled_calendar,
    parse_calendar,
    parse_spans,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
SPANS = "08:30-12:00,13:30-17:30"  # 7.5 h a day
PLAIN = WorkCalendar(parse_spans(SPANS))


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def calendar_2026() -> WorkCalendar:
    return WorkCalendar.build(SPANS, bundled_calendar(2026))


# 2026-03-06 is a Friday, 2026-03-09 the Monday after.
@pytest.mark.parametrize(
    ("start", "hours", "holidays", "workdays", "due"),
    [
        (local(2026, 3, 6, 17), 4, (), (), local(2026, 3, 9, 12)),  # 0.5 h Friday + 3.5 h Monday
        (local(2026, 3, 6, 17), 4, (date(2026, 3, 9),), (), local(2026, 3, 10, 12)),  # Monday off
        (local(2026, 3, 6, 17), 4, (), (date(2026, 3, 7),), local(2026, 3, 7, 12)),  # Saturday worked (调休)
        (local(2026, 3, 3, 22), 1, (), (), local(2026, 3, 4, 9, 30)),  # at night: from 08:30 next morning
        (local(2026, 3, 4, 7), 0.5, (), (), local(2026, 3, 4, 9)),  # before work
        (local(2026, 3, 4, 12, 30), 1, (), (), local(2026, 3, 4, 14, 30)),  # at lunch: from 13:30
        (local(2026, 3, 4, 12), 1, (), (), local(2026, 3, 4, 14, 30)),  # at a span end
        (local(2026, 3, 4, 10), 1, (date(2026, 3, 4),), (), local(2026, 3, 5, 9, 30)),  # on a holiday
        (local(2026, 3, 7, 10), 1, (), (), local(2026, 3, 9, 9, 30)),  # on a Saturday
        (local(2026, 3, 9, 8, 30), 3.5, (), (), local(2026, 3, 9, 12)),  # ends at 12:00, not 13:30
        (local(2026, 3, 9, 16), 1.5, (), (), local(2026, 3, 9, 17, 30)),  # ends at 17:30, not next 08:30
        (local(2026, 3, 9, 9), 7.5, (), (), local(2026, 3, 10, 9)),
    ],
)
def test_work_hours_count_only_working_time(
    start: datetime, hours: float, holidays: tuple[date, ...], workdays: tuple[date, ...], due: datetime
) -> None:
    cal = WorkCalendar(parse_spans(SPANS), frozenset(holidays), frozenset(workdays))
    deadline = cal.add(start, TimeLimit(hours, LimitUnit.WORK_HOURS))
    assert deadline == due
    assert deadline.tzinfo is UTC


def test_friday_evening_plus_four_work_hours_is_monday_noon_in_utc() -> None:
    deadline = PLAIN.add(local(2026, 3, 6, 17), TimeLimit.parse("4h"))
    assert deadline == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
    assert deadline.astimezone(SHANGHAI).isoformat() == "2026-03-09T12:00:00+08:00"


def test_a_start_in_another_zone_is_the_same_instant() -> None:
    start_utc = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
    assert PLAIN.add(start_utc, TimeLimit.parse("4h")) == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "limit", "due"),
    [
        (local(2026, 3, 6, 17), "1d", local(2026, 3, 9, 17)),  # 0.5 + 3.5 + 3.5 h
        (local(2026, 3, 9, 8, 30), "0.5d", local(2026, 3, 9, 13, 45)),  # 3.75 h: 3.5 before lunch + 0.25
        (local(2026, 3, 9, 8, 30), "2d", local(2026, 3, 10, 17, 30)),  # ends at a span end
        (local(2026, 3, 9, 8, 30), "1.5 work_days", local(2026, 3, 10, 13, 45)),
        (local(2026, 3, 2, 8, 30), "20d", local(2026, 3, 27, 17, 30)),  # four full weeks
        (local(2026, 3, 6, 17, 20), "30min", local(2026, 3, 6, 17, 50)),  # natural: past 17:30
        (local(2026, 3, 6, 17), "3 hours", local(2026, 3, 6, 20)),
        (local(2026, 3, 6, 17), "3 days", local(2026, 3, 9, 17)),
        (local(2026, 3, 6, 17), "1.5 days", local(2026, 3, 8, 5)),
    ],
)
def test_work_days_and_natural_units(start: datetime, limit: str, due: datetime) -> None:
    assert PLAIN.add(start, TimeLimit.parse(limit)) == due


def test_natural_minutes_ignore_holidays() -> None:
    cal = calendar_2026()
    start = local(2026, 10, 1, 23, 50)  # National Day, at night
    assert cal.add(start, TimeLimit.parse("30min")) == local(2026, 10, 2, 0, 20)


@pytest.mark.parametrize("start", [local(2026, 3, 6, 17), local(2026, 3, 9, 10, 15), local(2026, 3, 7, 3)])
@pytest.mark.parametrize("days", [0.25, 1, 2.5, 20])
def test_work_hours_and_work_days_agree(start: datetime, days: float) -> None:
    assert PLAIN.add(start, TimeLimit(days, LimitUnit.WORK_DAYS)) == PLAIN.add(
        start, TimeLimit(days * 7.5, LimitUnit.WORK_HOURS)
    )


def test_working_seconds_between_inverts_add_working_seconds() -> None:
    cal = calendar_2026()
    rng = random.Random(20260101)
    year_start = datetime(2025, 12, 20, tzinfo=UTC)
    for _ in range(500):
        start = year_start + timedelta(seconds=rng.uniform(0, 360 * 86400))
        seconds = rng.choice([rng.uniform(0, 4 * 3600), rng.uniform(0, 30 * cal.seconds_per_day)])
        deadline = cal.add_working_seconds(start, seconds)
        assert deadline >= start
        assert cal.working_seconds_between(start, deadline) == pytest.approx(seconds, abs=1e-6)
        later = deadline + timedelta(seconds=rng.uniform(0, 10 * 86400))
        assert cal.add_working_seconds(start, cal.working_seconds_between(start, later)) <= later


@pytest.mark.parametrize(
    ("a", "b", "hours"),
    [
        (local(2026, 3, 6, 17), local(2026, 3, 9, 12), 4.0),
        (local(2026, 3, 9, 12), local(2026, 3, 9, 11), 0.0),  # b before a
        (local(2026, 3, 9, 12, 10), local(2026, 3, 9, 13, 20), 0.0),  # inside lunch
        (local(2026, 3, 2), local(2026, 3, 9), 37.5),  # one week
    ],
)
def test_working_seconds_between(a: datetime, b: datetime, hours: float) -> None:
    assert PLAIN.working_seconds_between(a, b) == hours * 3600


def test_zero_working_seconds_is_the_start() -> None:
    start = local(2026, 3, 7, 3)  # Saturday night
    assert PLAIN.add_working_seconds(start, 0) == start


@pytest.mark.parametrize(
    ("limit", "now", "fraction"),
    [
        ("4h", local(2026, 3, 6, 16), 0.0),  # before the start
        ("4h", local(2026, 3, 9, 11, 12), 0.8),  # 0.5 h + 2.7 h
        ("4h", local(2026, 3, 9, 12), 1.0),
        ("4h", local(2026, 3, 9, 13, 30), 1.0),  # lunch does not count
        ("4h", local(2026, 3, 9, 14, 30), 1.25),
        ("1d", local(2026, 3, 9, 15, 30), 0.8),  # 6 of 7.5 h
        ("30min", local(2026, 3, 6, 17, 24), 0.8),
        ("30min", local(2026, 3, 6, 17, 30), 1.0),
        ("2 days", local(2026, 3, 8, 17), 1.0),
    ],
)
def test_elapsed_fraction(limit: str, now: datetime, fraction: float) -> None:
    start = local(2026, 3, 6, 17)
    assert PLAIN.elapsed_fraction(start, now, TimeLimit.parse(limit)) == pytest.approx(fraction)


def test_the_warning_point_is_the_scaled_limit() -> None:
    start, limit = local(2026, 3, 6, 17), TimeLimit.parse("4h")
    warn_at = PLAIN.add(start, limit.scaled(0.8))
    assert warn_at == local(2026, 3, 9, 11, 12)
    assert PLAIN.elapsed_fraction(start, warn_at, limit) == pytest.approx(0.8)


def test_a_calendar_without_working_days_raises_instead_of_looping() -> None:
    every_day = frozenset(date(2026, 1, 1) + timedelta(days=n) for n in range(800))
    cal = WorkCalendar(parse_spans(SPANS), holidays=every_day)
    with pytest.raises(ValueError, match="no working day for more than 366 days"):
        cal.add(local(2026, 1, 1, 9), TimeLimit.parse("1h"))


def test_daylight_saving_is_applied_on_the_deadline_day() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # summer time from Sunday 2026-03-29 02:00
    cal = WorkCalendar(parse_spans("08:00-12:00"), tz=berlin)
    start = datetime(2026, 3, 27, 11, 0, tzinfo=berlin)  # Friday, UTC+1
    assert cal.add(start, TimeLimit.parse("2h")) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # Monday 09:00 UTC+2
    saturday_noon = datetime(2026, 3, 28, 12, 0, tzinfo=berlin)
    assert cal.add(saturday_noon, TimeLimit.parse("1 days")) == datetime(2026, 3, 29, 10, 0, tzinfo=UTC)


# --- time limits ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "value", "unit"),
    [
        ("4h", 4, LimitUnit.WORK_HOURS),
        ("4 work_hours", 4, LimitUnit.WORK_HOURS),
        (" 2d ", 2, LimitUnit.WORK_DAYS),
        ("0.5 work_days", 0.5, LimitUnit.WORK_DAYS),
        ("30min", 30, LimitUnit.MINUTES),
        ("2 hours", 2, LimitUnit.HOURS),
        ("3 DAYS", 3, LimitUnit.DAYS),
        ("4 工作时", 4, LimitUnit.WORK_HOURS),
        ("2工作日", 2, LimitUnit.WORK_DAYS),
        ({"value": 4, "unit": "work_hours"}, 4, LimitUnit.WORK_HOURS),
        ({"value": "1.5", "unit": "days"}, 1.5, LimitUnit.DAYS),
    ],
)
def test_parse_time_limit(data: str | dict[str, object], value: float, unit: LimitUnit) -> None:
    assert TimeLimit.parse(data) == TimeLimit(value, unit)


@pytest.mark.parametrize(
    ("limit", "label"),
    [("4h", "4 工作时"), ("2d", "2 工作日"), ("30min", "30 分钟"), ("1.5 hours", "1.5 小时"), ("3 days", "3 自然日")],
)
def test_label_and_dict_round_trip(limit: str, label: str) -> None:
    parsed = TimeLimit.parse(limit)
    assert parsed.label_zh() == label
    assert TimeLimit.parse(parsed.to_dict()) == parsed
    assert TimeLimit.parse(parsed.label_zh()) == parsed


def test_to_dict_keeps_whole_numbers_whole() -> None:
    assert TimeLimit.parse("4h").to_dict() == {"value": 4, "unit": "work_hours"}
    assert isinstance(TimeLimit.parse("4h").to_dict()["value"], int)
    assert TimeLimit.parse("2d").scaled(0.25) == TimeLimit(0.5, LimitUnit.WORK_DAYS)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "cannot read the time limit"),
        ("4", "cannot read the time limit"),
        ("h", "cannot read the time limit"),
        ("4 weeks", "unknown time-limit unit 'weeks'"),
        ("4 hrs", "unknown time-limit unit"),
        ("-4h", "positive finite number"),
        ("0h", "positive finite number"),
        ("nan h", "positive finite number"),
        ("inf d", "positive finite number"),
        ({"value": 4}, "exactly the keys 'value' and 'unit'"),
        ({"value": 4, "unit": "work_hours", "units": "x"}, "exactly the keys"),
        ({"value": "four", "unit": "work_hours"}, "must be a number"),
        ({"value": True, "unit": "work_hours"}, "must be a number"),
        ({"value": -1, "unit": "work_hours"}, "positive finite number"),
        ({"value": 4, "unit": "fortnights"}, "unknown time-limit unit 'fortnights'"),
        ({"value": 4, "unit": None}, "unknown time-limit unit"),
        (42, "cannot read a time limit from int"),
    ],
)
def test_bad_time_limits_are_refused(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TimeLimit.parse(data)  # type: ignore[arg-type]


@pytest.mark.parametrize("factor", [0, -1, math.nan, math.inf])
def test_bad_scale_factors_are_refused(factor: float) -> None:
    with pytest.raises(ValueError, match="scale factor"):
        TimeLimit.parse("4h").scaled(factor)


# --- spans, inputs, calendars --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no working spans"),
        ("08:30", "is not HH:MM-HH:MM"),
        ("8h-12h", "is not a clock time"),
        ("25:00-26:00", "is not a clock time"),
        ("12:00-08:30", "does not end after it starts"),
        ("08:30-08:30", "does not end after it starts"),
        ("08:30-12:00,11:00-17:30", "must not overlap: 11:00 is before 12:00"),
        ("13:30-17:30,08:30-12:00", "must be in order"),
    ],
)
def test_bad_spans_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_spans(text)


def test_spans_and_seconds_per_day() -> None:
    assert parse_spans("8:00-12:00,12:00-13:00:30") == ((time(8), time(12)), (time(12), time(13, 0, 30)))
    assert PLAIN.seconds_per_day == 7.5 * 3600


@pytest.mark.parametrize(
    "call",
    [
        lambda: PLAIN.add(datetime(2026, 3, 6, 17), TimeLimit.parse("4h")),  # noqa: DTZ001
        lambda: PLAIN.add(datetime(2026, 3, 6, 17), TimeLimit.parse("30min")),  # noqa: DTZ001
        lambda: PLAIN.add_working_seconds(datetime(2026, 3, 6, 17), 60),  # noqa: DTZ001
        lambda: PLAIN.working_seconds_between(local(2026, 3, 6), datetime(2026, 3, 9)),  # noqa: DTZ001
        lambda: PLAIN.elapsed_fraction(local(2026, 3, 6), datetime(2026, 3, 9), TimeLimit.parse("1 hours")),  # noqa: DTZ001
    ],
)
def test_naive_datetimes_are_refused(call: object) -> None:
    with pytest.raises(ValueError, match="must be timezone-aware"):
        call()  # type: ignore[operator]


@pytest.mark.parametrize("seconds", [-1, math.nan, math.inf])
def test_bad_working_seconds_are_refused(seconds: float) -> None:
    with pytest.raises(ValueError, match="working seconds"):
        PLAIN.add_working_seconds(local(2026, 3, 6, 17), seconds)


def test_parse_calendar_csv_and_json() -> None:
    csv_text = "\ufeffdate,kind,name\n2026-10-10,班,国庆节调休上班\n\n2026-10-01,休,国庆节\n2026-10-01,holiday,国庆节\n"
    json_text = (
        '[{"date": "2026-10-01", "kind": "holiday", "name": "国庆节"},\n {"date": "2026-10-10", "kind": "workday"}]'
    )
    expected = [
        CalendarDay(date(2026, 10, 1), DayKind.HOLIDAY, "国庆节"),
        CalendarDay(date(2026, 10, 10), DayKind.WORKDAY, "国庆节调休上班"),
    ]
    assert parse_calendar(csv_text) == expected
    assert parse_calendar(json_text, fmt="json") == [expected[0], CalendarDay(date(2026, 10, 10), DayKind.WORKDAY, "")]


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("day,kind,name\n", "csv", "line 1: expected the header date,kind,name, got day,kind,name"),
        ("date,kind,name\n2026-10-01,holiday,x\n2026-13-01,holiday,x\n", "csv", "line 3: '2026-13-01' is not a date"),
        ("date,kind,name\n2026-10-01,vacation,x\n", "csv", "line 2: kind 'vacation' is not holiday"),
        ("date,kind,name\n2026-10-01,holiday\n", "csv", "line 2: expected 3 fields"),
        ("date,kind,name\n2026-10-01,holiday,x,y\n", "csv", "line 2: expected 3 fields"),
        (
            "date,kind,name\n2026-10-01,holiday,x\n2026-10-02,holiday,x\n2026-10-01,班,x\n",
            "csv",
            "line 4: 2026-10-01 is listed as a workday but line 2 lists it as a holiday",
        ),
        ('{"date": "2026-10-01"}', "json", "a JSON calendar is a list"),
        ('[{"date": "2026-10-01"}]', "json", "entry 1: expected an object with date, kind and name"),
        ('[{"date": 20261001, "kind": "holiday"}]', "json", "entry 1: 20261001 is not a date"),
        (
            '[{"date": "2026-10-01", "kind": "休"},\n {"date": "2026-10-01", "kind": "班"}]',
            "json",
            "entry 2: 2026-10-01 is listed as a workday but entry 1 lists it as a holiday",
        ),
        ("[", "json", "line 1: not JSON"),
        ("", "xml", "unknown calendar format 'xml'"),
    ],
)
def test_bad_calendars_name_the_line(text: str, fmt: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_calendar(text, fmt=fmt)


def test_build_refuses_a_day_that_is_both_holiday_and_workday() -> None:
    days = [CalendarDay(date(2026, 10, 1), DayKind.HOLIDAY, "a"), CalendarDay(date(2026, 10, 1), DayKind.WORKDAY, "b")]
    with pytest.raises(ValueError, match="2026-10-01 is listed both"):
        WorkCalendar.build(SPANS, days)
    with pytest.raises(ValueError, match="unknown time zone"):
        WorkCalendar.build(SPANS, [], tz="Asia/Zhoushan")


# --- the bundled State Council calendars ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        *[(date(2026, 10, d), False) for d in range(1, 8)],  # 国庆节 Oct 1–7
        (date(2026, 10, 8), True),
        (date(2026, 9, 20), True),  # Sunday, 调休
        (date(2026, 10, 10), True),  # Saturday, 调休
        (date(2026, 10, 11), False),
        (date(2026, 2, 14), True),  # Saturday before 春节, 调休
        (date(2026, 2, 15), False),
        (date(2026, 2, 23), False),
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),
        (date(2026, 1, 4), True),
        (date(2026, 5, 9), True),
        (date(2026, 6, 19), False),  # 端午节 (Friday)
        (date(2026, 9, 25), False),  # 中秋节 (Friday)
        (date(2026, 3, 6), True),
        (date(2026, 3, 7), False),
    ],
)
def test_bundled_2026_calendar(day: date, working: bool) -> None:
    assert calendar_2026().is_workday(day) is working


@pytest.mark.parametrize(
    ("year", "holidays", "workdays"),
    [
        (2025, 28, ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"]),
        (2026, 33, ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]),
    ],
)
def test_bundled_calendars_transcribe_the_notices(year: int, holidays: int, workdays: list[str]) -> None:
    days = bundled_calendar(year)
    assert all(d.day.year == year and d.name for d in days)
    assert sum(d.kind is DayKind.HOLIDAY for d in days) == holidays
    assert [d.day.isoformat() for d in days if d.kind is DayKind.WORKDAY] == workdays
    assert all(d.day.weekday() >= 5 for d in days if d.kind is DayKind.WORKDAY)  # 调休 days are weekend days
    assert year in BUNDLED_YEARS and year in sla.SOURCES


def test_years_without_a_bundled_notice_are_refused() -> None:
    with pytest.raises(ValueError, match="no bundled holiday calendar for 2027"):
        bundled_calendar(2027)


@pytest.mark.parametrize(
    ("limit", "hours", "due"),
    [
        ("2d", 15, local(2026, 10, 9, 16)),  # 1.5 h on Sep 30, Oct 1–7 off, 7.5 h on Oct 8, 6 h on Oct 9
        ("3d", 22.5, local(2026, 10, 10, 16)),  # and the 调休 Saturday Oct 10 is worked
        ("4h", 4, local(2026, 10, 8, 11)),
    ],
)
def test_a_case_due_across_the_2026_national_day_week(limit: str, hours: float, due: datetime) -> None:
    cal = calendar_2026()
    start = local(2026, 9, 30, 16)
    assert cal.add(start, TimeLimit.parse(limit)) == due
    assert cal.elapsed_fraction(start, local(2026, 10, 7, 23), TimeLimit.parse(limit)) == pytest.approx(1.5 / hours)


def test_across_the_mid_autumn_weekend_of_2026() -> None:
    cal = calendar_2026()
    assert cal.add(local(2026, 9, 24, 17), TimeLimit.parse("4h")) == local(2026, 9, 28, 12)


# --- the module stays pure and its examples run --------------------------------------------------------------------


def test_docstring_examples_run() -> None:
    result = doctest.testmod(sla)
    assert result.failed == 0 and result.attempted > 0


def test_module_imports_only_the_standard_library_and_reads_no_clock() -> None:
    tree = ast.parse(Path(sla.__file__).read_text("utf-8"))
    allowed = {"__future__", "csv", "io", "json", "math", "re", "collections", "dataclasses", "datetime", "enum"}
    allowed |= {"importlib", "zoneinfo"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert {a.name.split(".")[0] for a in node.names} <= allowed
        elif isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] in allowed
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in {"now", "utcnow", "today", "time", "monotonic"}
