"""Real Chromium against a real ``pingan demo`` server: sign in as demo accounts and see the Chinese home page."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"pingan demo exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "healthz", timeout=1) as response:  # noqa: S310 - loopback only
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("pingan demo did not answer /healthz")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """``pingan demo`` on a free loopback port with its own data directory; yields (URL, accounts)."""
    data_dir = tmp_path_factory.mktemp("demo")
    port = _free_port()
    env = {**os.environ, "PINGAN_DATA_DIR": str(data_dir), "PINGAN_ENV": "development", "PINGAN_PORT": str(port)}
    env.pop("PINGAN_DATABASE_URL", None)
    exe = Path(sys.executable).with_name("pingan")
    proc = subprocess.Popen([str(exe), "demo"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_healthy(url, proc)
        accounts = json.loads((data_dir / "demo-accounts.json").read_text("utf-8"))
        yield url, accounts
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.mark.parametrize(
    ("username", "heading", "role_label", "nav"),
    [
        ("sjm_zhao", "首页", "乡镇（街道）干部", ["首页", "组织机构", "账号管理"]),
        ("audit_wang", "首页", "审计管理员", ["首页", "审计日志"]),
    ],
)
def test_demo_account_signs_in_and_sees_the_chinese_home_page_for_its_role(
    demo_server, browser, tmp_path: Path, username: str, heading: str, role_label: str, nav: list[str]
) -> None:  # type: ignore[no-untyped-def]
    url, accounts = demo_server
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
    url, _ = demo_server
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(url + "api/docs")
    page.wait_for_selector(".swagger-ui .information-container", timeout=20_000)
    assert "/api/auth/login" in page.inner_text(".swagger-ui")
    assert all(r.startswith(url) for r in requested), [r for r in requested if not r.startswith(url)]
    page.close()
