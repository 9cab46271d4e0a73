"""Display masks for personal data (Hutool ``DesensitizedUtil`` conventions, security.md §1)."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """Keep the surname.

    >>> mask_name("段正淳")
    '段**'
    """
    return name[:1] + "*" * (len(name) - 1) if name else name


def mask_id_number(value: str) -> str:
    """Keep the first character and the last two.

    >>> mask_id_number("51343620000320711X")
    '5***************1X'
    """
    if len(value) <= 3:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 3) + value[-2:]


def mask_mobile(value: str) -> str:
    """Keep the first three and the last four digits.

    >>> mask_mobile("18049531999")
    '180****1999'
    """
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
