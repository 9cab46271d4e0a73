"""A vessel file in real Chromium: record an inspection with a finding, see the task and the recomputed rating."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_inspection_with_a_finding_creates_a_task_and_rerates(demo_server, browser) -> None:  # type: ignore[no-untyped-def]
    url, accounts, _ = demo_server
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url + "login")
    page.fill("input[name=username]", "sjm_zhao")
    page.fill("input[name=password]", accounts["sjm_zhao"])
    page.click("button[type=submit]")
    page.wait_for_selector("h1")
    page.goto(url + "fleet")
    page.click("table.grid a >> nth=0")
    page.wait_for_selector("#vessel-title")
    registration = page.inner_text("#vessel-title").split()[0]
    stars_before = int(page.inner_text("#rating .n-stars"))

    first = page.locator("#inspection-form input[type=checkbox]").first
    code = first.get_attribute("data-item")
    first.uncheck()
    page.fill(f"input[name='note_{code}']", "救生衣数量不足，缺3件")
    with page.expect_navigation(timeout=90_000):  # the form posts and redirects back to the vessel page
        page.click("#inspection-form button[type=submit]")
    page.wait_for_selector("#tasks .task")
    assert "救生衣数量不足，缺3件" in page.inner_text("#tasks")
    assert registration in page.inner_text("#vessel-title")

    if page.locator("#pending-rating").count():  # a downgrade waits for a person, then is published
        pending = int(page.inner_text("#pending-rating .n-pending-stars"))
        assert pending < stars_before
        assert int(page.inner_text("#rating .n-stars")) == stars_before
        page.click("#pending-rating button[value=approve]")
        page.wait_for_selector("#rating .n-stars")
        assert int(page.inner_text("#rating .n-stars")) == pending
        assert page.locator("#pending-rating").count() == 0
    else:  # the new rating did not lower the stars, so it was published at once
        assert int(page.inner_text("#rating .n-stars")) >= stars_before
    assert page.locator("#rating table.grid tr").count() >= 5  # the factors that produced the rating are shown

    # The task is on the rectification list too.
    page.goto(url + "fleet/rectifications")
    assert registration in page.inner_text("table.grid")
    assert not errors, errors
    page.close()
