"""Gettext catalogs (Babel): Simplified Chinese by default, English second; dates shown in Asia/Shanghai.

Catalogs are kept as ``.po`` files and compiled in memory at start-up, so no stale ``.mo`` can ship.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).with_name("locale")
LOCALES = ("zh_Hans_CN", "en")
LOCALE_LABELS = {"zh_Hans_CN": "简体中文", "en": "English"}
LANG_COOKIE = "pingan_lang"


@lru_cache(maxsize=8)
def translations(locale: str) -> NullTranslations:
    """The compiled catalog of ``locale`` (English msgids pass through for ``en``)."""
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def pick_locale(cookie: str | None, default: str) -> str:
    """The language chosen with the switch (a cookie); otherwise the configured default, Chinese.

    The browser's Accept-Language is deliberately not consulted: staff machines often run English-language
    systems, and the platform speaks Chinese first.
    """
    if cookie in LOCALES:
        return cookie
    return default if default in LOCALES else LOCALES[0]
