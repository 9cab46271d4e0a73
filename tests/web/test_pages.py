"""Server-rendered pages: sign-in form with CSRF, navigation per role, language, errors, security headers."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, new_client


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field in the form"
    return match.group(1)


def page_sign_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    form = client.get("/login")
    assert form.status_code == 200
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": _csrf(form.text), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def _nav(html: str) -> list[str]:
    return re.findall(r'data-nav="([^"]+)"', html)


def test_unsigned_visitor_is_sent_to_the_chinese_sign_in_page(client: TestClient) -> None:
    response = client.get("/users", headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fusers"
    page = client.get("/login")
    assert '<html lang="zh-CN">' in page.text
    assert "<h1>登录</h1>" in page.text


def test_sign_in_form_without_csrf_token_is_refused(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("form_probe")
    client.get("/login")
    response = client.post("/login", data={"username": "form_probe", "password": PASSWORD, "csrf_token": "x"})
    assert response.status_code == 403
    assert "pingan_session" not in response.cookies


@pytest.mark.parametrize(
    ("role", "unit", "expected_nav", "role_label"),
    [
        ("audit_admin", "ZS-SZ", ["/", "/audit"], "审计管理员"),
        ("sys_admin", "ZS-SZ", ["/", "/map", "/org", "/users", "/api/docs"], "系统管理员"),
        (
            "township_leader",
            "330903001",
            ["/", "/map", "/cases", "/cases/kpis", "/fleet", "/sea", "/org", "/users"],
            "乡镇（街道）干部",
        ),
        ("volunteer", "330903001001", ["/", "/cases"], "平安志愿者"),
    ],
)
def test_home_page_shows_each_role_only_what_it_may_use(
    app, make_user, role: str, unit: str, expected_nav: list[str], role_label: str
) -> None:  # type: ignore[no-untyped-def]
    make_user(f"nav_{role}", unit, [role])
    with new_client(app) as client:
        page_sign_in(client, f"nav_{role}")
        home = client.get("/")
        assert home.status_code == 200
        assert "<h1>首页</h1>" in home.text
        assert role_label in home.text
        assert _nav(home.text) == expected_nav
        for hidden in {"/map", "/fleet", "/sea", "/org", "/users", "/audit"} - set(expected_nav):
            denied = client.get(hidden, headers={"accept": "text/html"})
            assert denied.status_code == 403
            assert "无权访问" in denied.text  # the friendly error page, in Chinese


def test_audit_page_lists_sign_ins_and_home_shows_the_chain_state(app, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("page_auditor", "ZS-SZ", ["audit_admin"])
    with new_client(app) as client:
        page_sign_in(client, "page_auditor")
        assert "哈希链完整" in client.get("/").text
        audit = client.get("/audit")
        assert audit.status_code == 200
        assert "auth.sign_in" in audit.text


def test_first_sign_in_goes_to_the_password_page(app, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("page_fresh", "330903001", ["township_leader"], must_change=True)
    with new_client(app) as client:
        form = client.get("/login")
        response = client.post(
            "/login",
            data={"username": "page_fresh", "password": PASSWORD, "csrf_token": _csrf(form.text)},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/account/password"
        assert client.get("/", follow_redirects=False, headers={"accept": "text/html"}).headers["location"] == (
            "/account/password"
        )
        page = client.get("/account/password")
        changed = client.post(
            "/account/password",
            data={
                "current_password": PASSWORD,
                "new_password": "Putuoshan-Ferry-9",
                "confirm_password": "Putuoshan-Ferry-9",
                "csrf_token": _csrf(page.text),
            },
            follow_redirects=False,
        )
        assert changed.status_code == 303 and changed.headers["location"] == "/"
        assert client.get("/").status_code == 200


def test_sign_out_from_the_page_revokes_the_session(app, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("page_out", "330903001", ["township_leader"])
    with new_client(app) as client:
        page_sign_in(client, "page_out")
        home = client.get("/")
        out = client.post("/logout", data={"csrf_token": _csrf(home.text)}, follow_redirects=False)
        assert out.status_code == 303
        assert client.get("/api/auth/me").status_code == 401


def test_english_is_the_second_language(app, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("page_en", "330903001", ["township_leader"])
    with new_client(app) as client:
        page_sign_in(client, "page_en")
        client.get("/lang/en?next=/", follow_redirects=False)
        home = client.get("/")
        assert '<html lang="en">' in home.text
        assert "<h1>Home</h1>" in home.text
        assert "Township cadre" in home.text
        assert client.get("/lang/fr", headers={"accept": "text/html"}).status_code == 400


def test_times_are_shown_in_shanghai_time(app, make_user) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    import time_machine

    make_user("page_tz", "330903001", ["township_leader"])
    with new_client(app) as client, time_machine.travel(datetime(2026, 11, 29, 20, 30, tzinfo=UTC), tick=False):
        page_sign_in(client, "page_tz")
        assert "2026-11-30 04:30" in client.get("/").text


def test_security_headers_and_no_store(client: TestClient) -> None:
    response = client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def test_api_errors_are_json_and_pages_get_an_error_page(client: TestClient) -> None:
    api = client.get("/api/nowhere")
    assert api.status_code == 404
    assert api.json() == {"error": {"code": "not_found", "message": "Not Found"}}
    page = client.get("/nowhere", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert "未找到" in page.text
    bad = client.post("/api/auth/login", json={"username": "x"})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "validation_failed"
    assert "password" in bad.json()["error"]["message"]


def test_unexpected_errors_never_leak_a_stack_trace(app) -> None:  # type: ignore[no-untyped-def]
    @app.get("/api/_boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False, base_url="https://testserver") as client:
        response = client.get("/api/_boom")
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal_error", "message": "internal error; the event was logged"}}
    assert "secret internals" not in response.text


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert client.get("/api/docs").status_code == 200
    assert client.get("/api/openapi.json").json()["info"]["title"].startswith("pingan")
