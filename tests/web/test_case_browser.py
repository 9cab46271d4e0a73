"""The case loop in Chromium on a phone: a grid worker reports with a GPS pin and a photo; four accounts close it."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "zh-CN",
}


def _png(width: int, height: int) -> bytes:
    """A solid red RGB PNG, built here so the test needs no fixture file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xd0\x30\x30" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG = _png(2, 2)
GRID = "330903001001001"


class Session:
    """Browser contexts for several accounts against one demo server, watching every request and script error."""

    def __init__(self, browser, url: str, accounts: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
        self.browser, self.url, self.accounts = browser, url, accounts
        self.requested: list[str] = []
        self.errors: list[str] = []

    @contextmanager
    def as_user(self, username: str, **options: object) -> Iterator:  # type: ignore[type-arg]
        context = self.browser.new_context(**PHONE, **options)
        context.on("request", lambda request: self.requested.append(request.url))
        page = context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"{username}: {exc}"))
        page.goto(self.url + "login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", self.accounts[username])
        page.click("button[type=submit]")
        page.wait_for_selector("h1")
        assert "/login" not in page.url, f"{username} could not sign in"
        try:
            yield page
        finally:
            context.close()


def _open(page, url: str, number: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}cases/{number}")
    page.wait_for_selector("#case-status")


def _act(page, action: str, expected_status: str) -> None:  # type: ignore[no-untyped-def]
    form = page.locator(f"form.action-form[data-action={action}]")
    assert form.count() == 1, f"no {action} form"
    with page.expect_navigation():  # the page before may show an earlier flash already
        form.locator("button[type=submit]").click()
    assert page.locator("#case-error").count() == 0, page.inner_text("#case-error")
    assert f"done={action}" in page.url
    assert page.inner_text("#case-status") == expected_status


def test_grid_worker_reports_on_a_phone_and_the_case_runs_its_whole_loop(demo_server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, accounts, _ = demo_server
    s = Session(browser, url, accounts)

    # 1. 网格员上报: 市容环境 → 暴露垃圾, a pin inside the own grid, a photo.
    with s.as_user("grid_wu", permissions=["geolocation"]) as page:
        grid = page.request.get(f"{url}api/grids/{GRID}").json()
        lon, lat = grid["centroid_lon"], grid["centroid_lat"]
        page.context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 10})
        page.goto(url + "cases/new")
        page.wait_for_selector("#pin-map.leaflet-container")
        assert page.inner_text("h1") == "上报事件"
        assert page.get_attribute("#report-form input[name=photos]", "capture") == "environment"
        page.select_option("#cat-big", "01")
        assert page.locator("#cat-small optgroup:not([disabled]) option").all_inner_texts()[:2] == [
            "私搭乱建",
            "暴露垃圾",
        ]
        page.select_option("#cat-small", "0102")
        page.fill("textarea[name=description]", "渔港路菜场门口暴露垃圾约2平方米，气味较大")
        page.locator("#pin-map").tap()  # the map opens on the worker's first grid; a tap pins its centre
        expect(page.locator("#lon")).not_to_have_value("")
        assert abs(float(page.input_value("#lon")) - lon) < 5e-4
        assert abs(float(page.input_value("#lat")) - lat) < 5e-4
        page.click("#use-location")
        expect(page.locator("#lon")).to_have_value(f"{lon:.6f}")
        assert page.input_value("#lat") == f"{lat:.6f}"
        # The first point lookup builds the server's grid index, which takes a while on the demo city.
        expect(page.locator("#pin-status")).to_contain_text(GRID, timeout=60_000)
        page.fill("input[name=address]", "渔港路菜场门口")
        page.screenshot(path=str(tmp_path / "report-form.png"), full_page=True)
        page.set_input_files(
            "#report-form input[name=photos]", files=[{"name": "scene.png", "mimeType": "image/png", "buffer": PNG}]
        )
        with page.expect_navigation():
            page.click("#report-form button[type=submit]")
        page.wait_for_selector("#case-reported")
        number = page.inner_text("h1 .case-number")
        assert re.fullmatch(r"ZS-\d{4}-\d{6}", number)
        assert page.inner_text("#case-status") == "待立案"
        assert GRID in page.inner_text("#case-grid")
        photo = page.locator("#case-photos img.thumb").first
        photo.wait_for()
        page.wait_for_function("() => document.querySelector('#case-photos img.thumb').naturalWidth === 2")
        assert page.locator("#case-map.leaflet-container").count() == 1
        page.screenshot(path=str(tmp_path / "reported-case.png"), full_page=True)

    # 2. 指挥中心: 立案, then 派遣 to 沈家门街道 (the routed unit is offered first).
    with s.as_user("cmd_chen") as page:
        _open(page, url, number)
        _act(page, "register", "待派遣")
        unit = page.locator("form.action-form[data-action=dispatch] select[name=unit_code]")
        assert unit.input_value() == "330903001"
        unit.select_option("330903001")
        _act(page, "dispatch", "待签收")
        assert "沈家门街道" in page.inner_text("#case-unit")

    # 3. 街道: 签收, then 处理反馈 with a note and a photo.
    with s.as_user("sjm_zhao") as page:
        _open(page, url, number)
        _act(page, "accept", "已签收")
        form = page.locator("form.action-form[data-action=handle]")
        form.locator("textarea[name=note]").fill("已组织保洁员清运，现场清理干净")
        form.locator("input[name=photos]").set_input_files(
            files=[{"name": "after.png", "mimeType": "image/png", "buffer": PNG}]
        )
        _act(page, "handle", "待核查")
        assert page.locator("#case-photos img.thumb").count() == 2

    # 4. 网格员核查: 核查通过 → 已结案.
    with s.as_user("grid_wu") as page:
        _open(page, url, number)
        _act(page, "check_pass", "已结案")

    # 5. 回访: 满意 → 已回访; the timeline lists every step in order.
    with s.as_user("cmd_chen") as page:
        _open(page, url, number)
        form = page.locator("form.action-form[data-action=revisit]")
        form.locator("input[name=outcome][value=satisfied]").check()
        _act(page, "revisit", "已回访")
        steps = [a for a in page.locator("#timeline li.step").evaluate_all("els => els.map(e => e.dataset.action)")]
        steps = [a for a in steps if a not in ("warn", "urge", "supervise", "escalate")]
        assert steps == ["report", "register", "dispatch", "accept", "handle", "check_pass", "revisit"]
        labels = page.locator("#timeline .step-label").all_inner_texts()
        for label in ("上报", "立案", "派遣", "签收", "处理反馈", "核查通过", "回访"):
            assert label in labels
        assert "已组织保洁员清运" in page.inner_text("#timeline")
        page.screenshot(path=str(tmp_path / "revisited-case.png"), full_page=True)
        page.goto(url + "cases")
        assert number in page.inner_text("#case-table")
        page.screenshot(path=str(tmp_path / "desk.png"))

    assert not s.errors, s.errors
    outside = [r for r in s.requested if not r.startswith(url)]
    assert s.requested and not outside, outside
