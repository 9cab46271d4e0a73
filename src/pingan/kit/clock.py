"""The one clock: services take ``now``; edges call :func:`utcnow` once per request."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Treat a naive value as UTC and convert an aware one to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_local(value: datetime, zone: str = "Asia/Shanghai") -> datetime:
    """Convert an instant to a display zone (Asia/Shanghai by default).

    >>> to_local(datetime(2026, 1, 1, 0, 0, tzinfo=UTC)).hour
    8
    """
    return as_utc(value).astimezone(ZoneInfo(zone))
