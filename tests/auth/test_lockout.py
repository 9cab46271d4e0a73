"""Pure rules of failure counting, locks and session lifetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pingan.auth.lockout import LockState, after_failure, is_locked, session_expired, session_limits

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def fail(state: LockState, now: datetime, *, manual: bool = False) -> LockState:
    return after_failure(state, now, max_failures=5, lock_minutes=15, manual_unlock=manual)


def test_four_failures_do_not_lock_and_the_fifth_does() -> None:
    state = LockState()
    for _ in range(4):
        state = fail(state, T0)
        assert not is_locked(state, T0)
    state = fail(state, T0)
    assert is_locked(state, T0)
    assert state.locked_until == T0 + timedelta(minutes=15)


@pytest.mark.parametrize(("minutes", "locked"), [(0, True), (14, True), (15, False), (60, False)])
def test_timed_lock_lasts_fifteen_minutes(minutes: int, locked: bool) -> None:
    state = LockState()
    for _ in range(5):
        state = fail(state, T0)
    assert is_locked(state, T0 + timedelta(minutes=minutes)) is locked


def test_admin_lock_never_expires_by_itself() -> None:
    state = LockState()
    for _ in range(5):
        state = fail(state, T0, manual=True)
    assert state.locked_until is None
    assert is_locked(state, T0 + timedelta(days=365))


def test_counting_starts_again_after_a_lock_runs_out() -> None:
    state = LockState()
    for _ in range(5):
        state = fail(state, T0)
    later = T0 + timedelta(minutes=16)
    state = fail(state, later)
    assert state.failed_count == 1
    assert not is_locked(state, later)


@pytest.mark.parametrize(
    ("admin", "idle_minutes", "expected"),
    [(False, 29, None), (False, 30, "idle"), (True, 14, None), (True, 15, "idle")],
)
def test_idle_limit_is_shorter_for_admin_roles(admin: bool, idle_minutes: int, expected: str | None) -> None:
    idle, absolute = session_limits(is_admin=admin, idle_minutes=30, idle_minutes_admin=15, absolute_hours=12)
    now = T0 + timedelta(minutes=idle_minutes)
    assert session_expired(created_at=T0, last_seen_at=T0, now=now, idle=idle, absolute=absolute) == expected


def test_absolute_limit_ends_an_active_session() -> None:
    idle, absolute = session_limits(is_admin=False, idle_minutes=30, idle_minutes_admin=15, absolute_hours=12)
    now = T0 + timedelta(hours=12)
    last_seen = now - timedelta(minutes=1)
    assert session_expired(created_at=T0, last_seen_at=last_seen, now=now, idle=idle, absolute=absolute) == "absolute"
