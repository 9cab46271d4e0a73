"""Real Chromium against a real ``pingan demo`` server: sign in as demo accounts and see the Chinese home page."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("username", "heading", "role_label", "nav"),
    [
        (
            "sjm_zhao",
            "首页",
            "乡镇（街道）干部",
            ["首页", "地图", "事件办理", "事件考核", "渔船", "海上态势", "组织机构", "账号管理"],
        ),
        ("audit_wang", "首页", "审计管理员", ["首页", "审计日志"]),
    ],
)
def test_demo_account_signs_in_and_sees_the_chinese_home_page_for_its_role(
    demo_server, browser, tmp_path: Path, username: str, heading: str, role_label: str, nav: list[str]
) -> None:  # type: ignore[no-untyped-def]
    url, accounts, _ = demo_server
    context = browser.new_context(locale="en-US")  # an English browser still gets Chinese
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(url)
    assert page.url.startswith(url + "login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", accounts[username])
    page.click("button[type=submit]")
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == heading
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert role_label in page.inner_text("#welcome")
    assert page.locator("header nav a").all_inner_texts() == nav
    page.screenshot(path=str(tmp_path / f"home-{username}.png"), full_page=True)
    # Nothing was fetched from outside the server, and no token sits in browser storage.
    assert requested and all(r.startswith(url) for r in requested), [r for r in requested if not r.startswith(url)]
    assert page.evaluate("Object.keys(window.localStorage).length") == 0
    assert page.evaluate("document.cookie") == ""  # session and CSRF cookies are HttpOnly
    page.click("text=退出登录")
    page.wait_for_url(url + "login")
    context.close()


def test_api_docs_render_from_the_server_alone(demo_server, browser) -> None:  # type: ignore[no-untyped-def]
    url, _, _ = demo_server
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(url + "api/docs")
    page.wait_for_selector(".swagger-ui .information-container", timeout=20_000)
    assert "/api/auth/login" in page.inner_text(".swagger-ui")
    assert all(r.startswith(url) for r in requested), [r for r in requested if not r.startswith(url)]
    page.close()
