"""ID numbers (GB 11643-1999) and mobile numbers: the check-character table, reading, making, purity."""

from __future__ import annotations

import ast
import doctest
from datetime import date
from pathlib import Path

import pytest

import pingan.kit.idcard as idcard
from pingan.kit.idcard import (
    birth_date_of,
    check_char,
    gender_of,
    id_number_problem,
    is_mobile,
    is_valid_id_number,
    make_id_number,
    normalize_id_number,
)


@pytest.mark.parametrize(
    ("weighted_sum_mod_11", "expected"),
    [(0, "1"), (1, "0"), (2, "X"), (3, "9"), (4, "8"), (5, "7"), (6, "6"), (7, "5"), (8, "4"), (9, "3"), (10, "2")],
)
def test_check_character_follows_the_mod_11_table(weighted_sum_mod_11: int, expected: str) -> None:
    # Vary the last two digits (weights 4 and 2) after a leading 1 (weight 7) to reach every residue.
    for n in range(100):
        if (7 + 4 * (n // 10) + 2 * (n % 10)) % 11 == weighted_sum_mod_11:
            assert check_char(f"1{'0' * 14}{n:02d}") == expected
            return
    pytest.fail("no digits reach this residue")


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",  # the standard's own example
        "51343620000320711X",  # Hutool's masking example
    ],
)
def test_published_numbers_are_valid(number: str) -> None:
    assert is_valid_id_number(number), id_number_problem(number)


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("110105194912310021", "wrong check character (expected X)"),
        ("11010519491231002", "must be 17 digits and a digit or X"),
        ("01010519491231002X", "must be 17 digits and a digit or X"),
        ("11010519490231002X", "birth date is not a real date"),
        ("11010518991231002X", "birth date is before 1900"),
        ("1101051949123100 X", "must be 17 digits and a digit or X"),
    ],
)
def test_bad_numbers_say_what_is_wrong(number: str, problem: str) -> None:
    assert id_number_problem(number) == problem


def test_birth_date_and_gender_are_read_from_the_number() -> None:
    assert birth_date_of("11010519491231002X") == date(1949, 12, 31)
    assert gender_of("11010519491231002X") == "female"
    assert gender_of("110105194912310019") == "male"
    assert normalize_id_number(" 11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize("sequence", [0, 1, 2, 500, 998, 999])
def test_made_numbers_are_valid_and_carry_their_inputs(sequence: int) -> None:
    number = make_id_number("330921", date(2001, 2, 28), sequence)
    assert is_valid_id_number(number)
    assert number.startswith("33092120010228")
    assert birth_date_of(number) == date(2001, 2, 28)
    assert gender_of(number) == ("male" if sequence % 2 else "female")


@pytest.mark.parametrize(("area", "sequence"), [("33090", 1), ("033090", 1), ("330902", 1000), ("330902", -1)])
def test_making_refuses_bad_inputs(area: str, sequence: int) -> None:
    with pytest.raises(ValueError):
        make_id_number(area, date(2000, 1, 1), sequence)


@pytest.mark.parametrize(
    ("phone", "ok"),
    [
        ("13905801234", True),
        ("19912345678", True),
        ("12905801234", False),
        ("1390580123", False),
        ("139058012345", False),
    ],
)
def test_mobile_numbers(phone: str, ok: bool) -> None:
    assert is_mobile(phone) is ok


def test_docstring_examples_run() -> None:
    result = doctest.testmod(idcard)
    assert result.failed == 0 and result.attempted >= 8


def test_idcard_is_pure() -> None:
    tree = ast.parse(Path(idcard.__file__).read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            assert not node.module.startswith(("sqlalchemy", "fastapi", "pingan")), node.module
        if isinstance(node, ast.Import):
            assert not any(a.name.startswith(("sqlalchemy", "fastapi", "pingan")) for a in node.names)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in {"now", "utcnow", "today", "time"}, node.func.attr
