"""KPI formulas over raw counts: each rate's numerator and denominator, zero denominators, folding rows."""

from __future__ import annotations

import doctest
import math

import pytest

from pingan.cases import kpi
from pingan.cases.kpi import INDICATORS, Counts, Kind, format_value, indicators, rate, total

FULL = Counts(
    reported=20,
    registered=16,
    accepted=12,
    accepted_on_time=9,
    dispatched=15,
    handled=12,
    closed=10,
    closed_on_time=7,
    due_open=4,
    rework_steps=3,
    revisited=8,
    satisfied=6,
    sent_back=2,
    duplicates=1,
    handle_seconds=12 * 5400.0,
    handle_timed=12,
    overdue=5,
    self_handled=2,
    transferred=4,
    responded_on_time=3,
)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("register_rate", 16 / 20),  # 立案数 ÷ 上报数
        ("accept_on_time_rate", 9 / 12),  # 按时签收数 ÷ 签收数
        ("handle_rate", 12 / 15),  # 处置数 ÷ 应处置数
        ("close_rate", 10 / 16),  # 结案数 ÷ 立案数
        ("close_on_time_rate", 7 / 14),  # 按期结案数 ÷ 应结案数 (结案数 + 到期未结)
        ("rework_rate", 3 / 12),  # 返工数 ÷ 处置数
        ("revisit_rate", 8 / 10),  # 回访数 ÷ 结案数
        ("satisfaction_rate", 6 / 8),  # 满意数 ÷ 回访数
        ("sent_back_rate", 2 / 8),  # 发回重办数 ÷ 回访数
        ("duplicate_rate", 1 / 20),  # 重复诉求数 ÷ 上报数
        ("response_rate", 3 / 4),  # 30 分钟响应达标数 ÷ 分流数
        ("avg_handle_hours", 1.5),  # Σ(处置 − 派遣) ÷ 处置数, hours
    ],
)
def test_each_rate_divides_its_own_numerator_by_its_own_denominator(key: str, expected: float) -> None:
    value = indicators(FULL)[key]
    assert value is not None and math.isclose(value, expected)


def test_counts_pass_through_and_due_cases_add_the_open_overdue_ones() -> None:
    values = indicators(FULL)
    assert values["reported"] == 20
    assert values["due_handle"] == 15  # 应处置数 = dispatched
    assert values["due_close"] == 14  # 应结案数 = 10 closed + 4 registered, open and past their deadline
    assert values["rework"] == 3
    assert values["sent_back"] == 2
    assert values["self_handled"] == 2
    assert values["transferred"] == 4
    assert values["overdue"] == 5


def test_every_indicator_is_computed_and_keys_match_the_published_list() -> None:
    assert set(indicators(FULL)) == {i.key for i in INDICATORS}
    assert len({i.label for i in INDICATORS}) == len(INDICATORS)


def test_a_rate_with_a_zero_denominator_is_none_not_zero() -> None:
    values = indicators(Counts())
    for i in INDICATORS:
        if i.kind is Kind.COUNT:
            assert values[i.key] == 0, i.key
        else:
            assert values[i.key] is None, i.key


def test_a_zero_numerator_over_cases_is_a_real_zero() -> None:
    values = indicators(Counts(reported=5, transferred=2))
    assert values["register_rate"] == 0.0
    assert values["response_rate"] == 0.0
    assert values["close_rate"] is None  # nothing registered


def test_rows_fold_by_adding_every_count() -> None:
    a = Counts(reported=3, handled=2, handle_seconds=7200.0, handle_timed=2)
    b = Counts(reported=1, handled=1, handle_seconds=3600.0, handle_timed=1)
    folded = total([a, b])
    assert folded == Counts(reported=4, handled=3, handle_seconds=10800.0, handle_timed=3)
    assert indicators(folded)["avg_handle_hours"] == 1.0  # a weighted mean, not the mean of the means


def test_rate_and_format() -> None:
    assert rate(1, 3) == pytest.approx(0.3333, abs=1e-4)
    assert rate(5, 0) is None
    assert format_value(None, Kind.RATE) == "—"
    assert format_value(0.5, Kind.RATE) == "50.0%"
    assert format_value(3, Kind.COUNT) == "3"


def test_docstring_examples_run() -> None:
    result = doctest.testmod(kpi)
    assert result.failed == 0 and result.attempted > 0


def test_kpi_module_stays_pure() -> None:
    import ast
    from pathlib import Path

    tree = ast.parse(Path(kpi.__file__).read_text("utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert all(not m.startswith(("sqlalchemy", "fastapi", "pingan")) for m in imported), imported
