"""Resident identity numbers (GB 11643-1999, 18 digits) and mainland mobile numbers: check, read, make.

An identity number is a 6-digit area code (GB/T 2260), an 8-digit birth date ``YYYYMMDD``, a 3-digit sequence
whose last digit is odd for men and even for women, and a check character: the ISO 7064 MOD 11-2 sum of the
first 17 digits under the weights below, mapped through ``"10X98765432"``.
"""

from __future__ import annotations

import re
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_ID_RE = re.compile(r"^[1-9]\d{16}[\dX]$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalize_id_number(value: str) -> str:
    """Strip blanks and upper-case a trailing ``x``.

    >>> normalize_id_number(" 11010519491231002x ")
    '11010519491231002X'
    """
    return value.strip().replace(" ", "").upper()


def check_char(first17: str) -> str:
    """The check character of the first 17 digits of an identity number.

    >>> check_char("11010519491231002")
    'X'
    """
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def id_number_problem(value: str) -> str | None:
    """Say what is wrong with an identity number, or ``None`` when it is valid (format, date, check character).

    >>> id_number_problem("11010519491231002X") is None
    True
    >>> id_number_problem("110105194912310021")
    'wrong check character (expected X)'
    """
    if not _ID_RE.match(value):
        return "must be 17 digits and a digit or X"
    try:
        born = birth_date_of(value)
    except ValueError:
        return "birth date is not a real date"
    if born.year < 1900:
        return "birth date is before 1900"
    expected = check_char(value[:17])
    if value[17] != expected:
        return f"wrong check character (expected {expected})"
    return None


def is_valid_id_number(value: str) -> bool:
    """True when the (normalised) value is a well-formed 18-digit identity number with the right check character.

    >>> is_valid_id_number("11010519491231002X"), is_valid_id_number("110105194912310021")
    (True, False)
    """
    return id_number_problem(value) is None


def birth_date_of(value: str) -> date:
    """The birth date written in digits 7–14 of an identity number.

    >>> birth_date_of("11010519491231002X")
    datetime.date(1949, 12, 31)
    """
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def gender_of(value: str) -> str:
    """``"male"`` when the 17th digit is odd, ``"female"`` when it is even.

    >>> gender_of("11010519491231002X")
    'female'
    """
    return "male" if int(value[16]) % 2 else "female"


def make_id_number(area_code: str, born: date, sequence: int) -> str:
    """A valid identity number from a 6-digit area code, a birth date and a sequence 0–999 (odd: male).

    >>> make_id_number("110105", date(1949, 12, 31), 2)
    '11010519491231002X'
    """
    if len(area_code) != 6 or not area_code.isdigit() or area_code[0] == "0":
        raise ValueError("area code must be 6 digits, not starting with 0")
    if not 0 <= sequence <= 999:
        raise ValueError("sequence must be 0–999")
    first17 = f"{area_code}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


def is_mobile(value: str) -> bool:
    """True for an 11-digit mainland mobile number ``1[3-9]xxxxxxxxx``.

    >>> is_mobile("13905801234"), is_mobile("12905801234"), is_mobile("1390580123")
    (True, False, False)
    """
    return bool(_MOBILE_RE.match(value))
