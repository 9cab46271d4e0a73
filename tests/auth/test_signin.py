"""Sign-in, lockout, sessions and forced password change, through the HTTP API with a frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditEntry
from tests.conftest import PASSWORD, new_client, sign_in

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def _login(client: TestClient, username: str, password: str) -> int:
    return client.post("/api/auth/login", json={"username": username, "password": password}).status_code


def test_sixth_sign_in_after_five_failures_is_refused_until_fifteen_minutes_pass(
    client: TestClient, make_user, db: Session
) -> None:  # type: ignore[no-untyped-def]
    make_user("lock_probe", "330903001", ["township_leader"])
    with time_machine.travel(NOW, tick=False) as clock:
        for _ in range(4):
            assert _login(client, "lock_probe", "wrong-password-123") == 401
        assert _login(client, "lock_probe", "wrong-password-123") == 423  # the fifth failure locks
        refused = client.post("/api/auth/login", json={"username": "lock_probe", "password": PASSWORD})
        assert refused.status_code == 423
        assert refused.json()["error"]["code"] == "account_locked"
        clock.shift(timedelta(minutes=14, seconds=59))
        assert _login(client, "lock_probe", PASSWORD) == 423
        clock.shift(timedelta(seconds=1))
        assert _login(client, "lock_probe", PASSWORD) == 200
    actions = [(e.action, e.outcome) for e in db.scalars(select(AuditEntry).where(AuditEntry.actor == "lock_probe"))]
    assert actions.count(("auth.sign_in", "failure")) == 5
    assert ("auth.lockout", "success") in actions
    assert actions.count(("auth.sign_in", "denied")) == 2
    assert actions[-1] == ("auth.sign_in", "success")


def test_admin_account_stays_locked_until_a_security_administrator_unlocks_it(app, make_user) -> None:  # type: ignore[no-untyped-def]
    admin = make_user("sys_probe", "ZS-SZ", ["sys_admin"])
    make_user("sec_probe", "ZS-SZ", ["security_admin"])
    with new_client(app) as victim, new_client(app) as security, time_machine.travel(NOW, tick=False) as clock:
        for _ in range(4):
            assert _login(victim, "sys_probe", "wrong-password-123") == 401
        assert _login(victim, "sys_probe", "wrong-password-123") == 423
        clock.shift(timedelta(days=2))
        assert _login(victim, "sys_probe", PASSWORD) == 423
        csrf = sign_in(security, "sec_probe")
        unlocked = security.post(f"/api/users/{admin.id}/unlock", headers={"X-CSRF-Token": csrf})
        assert unlocked.status_code == 200, unlocked.text
        assert _login(victim, "sys_probe", PASSWORD) == 200


def test_unknown_user_and_wrong_password_look_the_same(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("known_probe")
    a = client.post("/api/auth/login", json={"username": "nobody_here", "password": "x" * 12})
    b = client.post("/api/auth/login", json={"username": "known_probe", "password": "x" * 12})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()


def test_idle_session_expires_and_activity_keeps_it_alive(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("idle_probe", "330903001", ["township_leader"])
    with time_machine.travel(NOW, tick=False) as clock:
        sign_in(client, "idle_probe")
        clock.shift(timedelta(minutes=29))
        assert client.get("/api/auth/me").status_code == 200  # activity at 29 min
        clock.shift(timedelta(minutes=29))
        assert client.get("/api/auth/me").status_code == 200  # 29 min after the last activity
        clock.shift(timedelta(minutes=30))
        expired = client.get("/api/auth/me")
        assert expired.status_code == 401
        assert expired.json()["error"]["code"] == "not_authenticated"
        clock.shift(timedelta(seconds=1))
        assert client.get("/api/auth/me").status_code == 401  # revoked on the server, not revived


def test_admin_idle_limit_is_fifteen_minutes(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("audit_probe", "ZS-SZ", ["audit_admin"])
    with time_machine.travel(NOW, tick=False) as clock:
        sign_in(client, "audit_probe")
        clock.shift(timedelta(minutes=14))
        assert client.get("/api/auth/me").status_code == 200
        clock.shift(timedelta(minutes=15))
        assert client.get("/api/auth/me").status_code == 401


def test_absolute_limit_is_twelve_hours_even_when_active(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("abs_probe", "330903001", ["township_leader"])
    with time_machine.travel(NOW, tick=False) as clock:
        sign_in(client, "abs_probe")
        elapsed = timedelta(0)
        while elapsed + timedelta(minutes=29) < timedelta(hours=12):
            clock.shift(timedelta(minutes=29))
            elapsed += timedelta(minutes=29)
            assert client.get("/api/auth/me").status_code == 200, elapsed
        clock.shift(timedelta(hours=12) - elapsed)
        assert client.get("/api/auth/me").status_code == 401


def test_logout_revokes_the_session_on_the_server(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("logout_probe", "330903001", ["township_leader"])
    csrf = sign_in(client, "logout_probe")
    cookie = client.cookies.get("pingan_session")
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.set("pingan_session", cookie)  # replaying the old cookie does not work
    assert client.get("/api/auth/me").status_code == 401


def test_session_cookie_flags(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("cookie_probe")
    response = client.post("/api/auth/login", json={"username": "cookie_probe", "password": PASSWORD})
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header
    assert "samesite=lax" in header
    assert "secure" in header  # PINGAN_ENV=test is not development


def test_unsafe_request_without_csrf_token_is_refused(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("csrf_probe", "ZS-SZ", ["security_admin"])
    sign_in(client, "csrf_probe")
    response = client.post(f"/api/users/{user.id}/unlock")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


def test_account_created_from_cli_must_change_password_first(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("fresh_probe", "330903001", ["township_leader"], must_change=True)
    csrf = sign_in(client, "fresh_probe")
    blocked = client.get("/api/users")
    assert blocked.status_code == 403
    assert blocked.json()["error"]["code"] == "password_change_required"
    weak = client.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": "password1234"},
        headers={"X-CSRF-Token": csrf},
    )
    assert weak.status_code == 422
    changed = client.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": "Zhujiajian-Beach-88"},
        headers={"X-CSRF-Token": csrf},
    )
    assert changed.status_code == 204, changed.text
    assert client.get("/api/users").status_code == 200
