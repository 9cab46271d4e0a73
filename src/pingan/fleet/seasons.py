"""Closed fishing seasons (伏季休渔) by gear, as plain values, and the 2026 defaults for the East China Sea.

The national rule since 2023 (农业农村部《关于调整海洋伏季休渔制度的通告》, 13 March 2023) closes the Yellow
and East China Seas between 35°N and 26°30′N — Zhoushan's waters — to every gear except hook-and-line (钓具)
from 1 May 12:00 to 16 September 12:00, and to the fishing auxiliaries that serve the fleet. Four gear types
(桁杆拖虾, 笼壶类, 刺网, 灯光围(敷)网) are closed as long but may fish earlier under a special permit (专项捕捞
许可) for shrimp, crab and pelagic species: Zhejiang's opened on 1 August 12:00 in 2024 and 5 August 12:00 in
2025. The year's dates come from the ``fishing_season`` table (one row per year and gear), so a new notice is a
data change; :data:`DEFAULT_SEASONS` are the 2026 defaults used until rows are stored.

Days are whole local (Asia/Shanghai) days and both ends count as closed: vessels must be in port by 12:00 on the
first day and may leave from 12:00 on the last, so on both boundary days they are expected in port at some time.
Gears with no season (鱿钓, 延绳钓: hook and line) are never closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

SOURCE = (
    "农业农村部《关于调整海洋伏季休渔制度的通告》(2023-03-13): 北纬35度至26度30分黄海、东海海域除钓具外"
    "所有作业类型 5月1日12时至9月16日12时；桁杆拖虾、笼壶类、刺网、灯光围(敷)网可申请专项捕捞许可提前作业"
    "（浙江 2024 年 8月1日12时、2025 年 8月5日12时开捕）。2026 年专项捕捞开捕日期未公布（unconfirmed），暂按 8月1日。"
)


@dataclass(frozen=True)
class ClosedSeason:
    """A closed season of one gear in one year; ``closed_until`` is inclusive."""

    year: int
    operation_type: str
    closed_from: date
    closed_until: date
    note: str = ""

    def check(self) -> None:
        """Raise ``ValueError`` unless both days are in ``year`` and in order.

        >>> ClosedSeason(2026, "trawl", date(2026, 9, 16), date(2026, 5, 1)).check()
        Traceback (most recent call last):
        ...
        ValueError: the season ends before it starts
        """
        if self.closed_from.year != self.year or self.closed_until.year != self.year:
            raise ValueError(f"a {self.year} season must start and end in {self.year}")
        if self.closed_until < self.closed_from:
            raise ValueError("the season ends before it starts")

    def covers(self, day: date) -> bool:
        """True when ``day`` is a closed day (both ends included).

        >>> s = ClosedSeason(2026, "trawl", date(2026, 5, 1), date(2026, 9, 16))
        >>> s.covers(date(2026, 4, 30)), s.covers(date(2026, 5, 1)), s.covers(date(2026, 9, 16))
        (False, True, True)
        """
        return self.closed_from <= day <= self.closed_until


_NATIONAL_NOTE = "东海伏季休渔 5月1日12时至9月16日12时"
_SPECIAL_NOTE = "专项捕捞许可提前开捕（2026 年日期未公布，按 2024 年 8月1日12时）"


def _season(year: int, gear: str, until: date, note: str) -> ClosedSeason:
    return ClosedSeason(year, gear, date(year, 5, 1), until, note)


DEFAULT_SEASONS: tuple[ClosedSeason, ...] = (
    _season(2026, "trawl", date(2026, 9, 16), _NATIONAL_NOTE),  # 拖网 (桁杆拖虾 is trawl but may open early)
    _season(2026, "purse_seine", date(2026, 9, 16), _NATIONAL_NOTE),  # 围网
    _season(2026, "stow_net", date(2026, 9, 16), _NATIONAL_NOTE),  # 张网 (帆式张网; small stow nets see docs)
    _season(2026, "auxiliary", date(2026, 9, 16), _NATIONAL_NOTE),  # 捕捞辅助船
    _season(2026, "gillnet", date(2026, 8, 1), _SPECIAL_NOTE),  # 刺网
    _season(2026, "drift_net", date(2026, 8, 1), _SPECIAL_NOTE),  # 流网 = 流刺网, a gillnet
    _season(2026, "cage", date(2026, 8, 1), _SPECIAL_NOTE),  # 笼壶
    _season(2026, "light_purse_seine", date(2026, 8, 1), _SPECIAL_NOTE),  # 灯光围(敷)网
)
NEVER_CLOSED: frozenset[str] = frozenset({"squid_jigging", "longline"})  # 钓具


def defaults_for_year(year: int) -> tuple[ClosedSeason, ...]:
    """The built-in seasons of ``year`` (empty when none are shipped for it).

    >>> len(defaults_for_year(2026)), defaults_for_year(2031)
    (8, ())
    """
    return tuple(s for s in DEFAULT_SEASONS if s.year == year)


def season_for(gear: str, day: date, seasons: Iterable[ClosedSeason]) -> ClosedSeason | None:
    """The season of ``gear`` in ``day``'s year among ``seasons``, if any.

    >>> season_for("gillnet", date(2026, 6, 1), DEFAULT_SEASONS).closed_until
    datetime.date(2026, 8, 1)
    """
    return next((s for s in seasons if s.operation_type == gear and s.year == day.year), None)


def in_closed_season(gear: str, day: date, seasons: Iterable[ClosedSeason]) -> bool:
    """True when vessels of ``gear`` should be in port on ``day`` (a local Asia/Shanghai day).

    Parameters
    ----------
    gear : str
        An operation type (``OperationType`` value), e.g. ``"trawl"``.
    day : datetime.date
        The local day asked about.
    seasons : iterable of ClosedSeason
        The seasons in force (normally one year's rows of ``fishing_season``).

    Returns
    -------
    bool
        True on closed days, boundary days included.

    Examples
    --------
    >>> in_closed_season("trawl", date(2026, 8, 20), DEFAULT_SEASONS)
    True
    >>> in_closed_season("gillnet", date(2026, 8, 20), DEFAULT_SEASONS)
    False
    >>> in_closed_season("squid_jigging", date(2026, 6, 1), DEFAULT_SEASONS)
    False
    """
    season = season_for(gear, day, seasons)
    return season is not None and season.covers(day)


def closed_gears(day: date, seasons: Iterable[ClosedSeason]) -> list[str]:
    """The gears closed on ``day``, sorted.

    >>> closed_gears(date(2026, 9, 1), DEFAULT_SEASONS)
    ['auxiliary', 'purse_seine', 'stow_net', 'trawl']
    """
    return sorted({s.operation_type for s in seasons if s.year == day.year and s.covers(day)})
