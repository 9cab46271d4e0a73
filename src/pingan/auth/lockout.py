"""Sign-in failure counting and account locks (GB/T 22239 8.1.4.1 b; security.md S5)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LockState:
    """What the account row holds about failures and locks."""

    failed_count: int = 0
    locked_at: datetime | None = None
    locked_until: datetime | None = None  # None with locked_at set: until an administrator unlocks


def is_locked(state: LockState, now: datetime) -> bool:
    """True while the account refuses every sign-in, even with the right password."""
    if state.locked_at is None:
        return False
    return state.locked_until is None or now < state.locked_until


def lock_expired(state: LockState, now: datetime) -> bool:
    """True when a timed lock has run out and the counter should start again."""
    return state.locked_at is not None and state.locked_until is not None and now >= state.locked_until


def after_failure(
    state: LockState, now: datetime, *, max_failures: int, lock_minutes: int, manual_unlock: bool
) -> LockState:
    """Count a failed password; lock on reaching ``max_failures`` consecutive failures.

    A locked account's attempts are refused before the password is checked, so they never reach here.
    """
    if lock_expired(state, now):
        state = LockState()
    count = state.failed_count + 1
    if count < max_failures:
        return replace(state, failed_count=count)
    until = None if manual_unlock else now + timedelta(minutes=lock_minutes)
    return LockState(failed_count=count, locked_at=now, locked_until=until)


def after_success() -> LockState:
    """A successful sign-in clears the counter and any expired lock."""
    return LockState()


def session_limits(
    *, is_admin: bool, idle_minutes: int, idle_minutes_admin: int, absolute_hours: int
) -> tuple[timedelta, timedelta]:
    """Return (idle, absolute) session lifetimes; administrator roles get the shorter idle limit."""
    idle = timedelta(minutes=idle_minutes_admin if is_admin else idle_minutes)
    return idle, timedelta(hours=absolute_hours)


def session_expired(
    *, created_at: datetime, last_seen_at: datetime, now: datetime, idle: timedelta, absolute: timedelta
) -> str | None:
    """Return why a session has expired ("idle" or "absolute"), or None while it is valid."""
    if now - created_at >= absolute:
        return "absolute"
    if now - last_seen_at >= idle:
        return "idle"
    return None
