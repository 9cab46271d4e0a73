"""Password hashing parameters and the staff password policy."""

from __future__ import annotations

import re

import pytest

from pingan.auth.passwords import hash_password, password_problems, verify_password


def test_hash_is_argon2id_with_at_least_the_owasp_minimum() -> None:
    stored = hash_password("Haidao-Pingan-2026!")
    match = re.match(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", stored)
    assert match, stored
    memory_kib, time_cost, _ = (int(g) for g in match.groups())
    assert memory_kib >= 19 * 1024
    assert time_cost >= 2


def test_verify_accepts_the_password_and_refuses_others() -> None:
    stored = hash_password("Haidao-Pingan-2026!")
    assert verify_password(stored, "Haidao-Pingan-2026!")
    assert not verify_password(stored, "haidao-pingan-2026!")
    assert not verify_password("not-a-hash", "anything")


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("Short-pw-11", False),  # 11 characters
        ("Shengsi-Isle", True),  # 12 characters
        ("password", False),
        ("12345678", False),
        ("Aa123456", False),
        ("Password1234", False),  # a common password with digits appended
        ("qwertyuiop123", False),
        ("海岛平安巡逻二零二六年秋", True),  # 12 Chinese characters
        ("aaaaaaaaaaaaaaa", False),  # too few distinct characters
    ],
)
def test_staff_policy(password: str, ok: bool) -> None:
    assert (password_problems(password, min_length=12) == []) is ok


def test_password_may_not_contain_the_username() -> None:
    assert "must not contain the username" in password_problems("xx-grid_wu-2026-yy", min_length=12, username="grid_wu")
