"""The city map in real Chromium: layers switch, a grid card opens, and a resident search shows masked results."""

from __future__ import annotations

import re
import sqlite3

import pytest

from pingan.config import Settings

pytestmark = pytest.mark.browser
# Counts the map's features whose property ``a[0]`` equals ``a[1]``.
COUNT_JS = """(a) => { let n = 0; window.pinganMap.map.eachLayer((l) => {
  if (l.feature && l.feature.properties[a[0]] === a[1]) n += 1; }); return n; }"""


def _sign_in(page, url: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url + "login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector("h1")


def _a_resident(data_dir) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    """(name, clear ID number, grid code) of one demo resident, read from the demo's own database."""
    with sqlite3.connect(data_dir / "pingan.db") as conn:
        name, id_enc, code = conn.execute(
            "SELECT r.name, r.id_enc, g.code FROM resident r JOIN land_grid g ON g.id = r.grid_id "
            "WHERE g.code LIKE '330903001%' ORDER BY r.id LIMIT 1"
        ).fetchone()
    return name, Settings(_env_file=None, data_dir=data_dir).field_cipher().decrypt(id_enc), code


def test_map_layers_grid_card_and_masked_resident_search(demo_server, browser) -> None:  # type: ignore[no-untyped-def]
    url, accounts, data_dir = demo_server
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, url, "cmd_chen", accounts["cmd_chen"])
    page.goto(url + "map")
    page.wait_for_function("window.pinganMap && window.pinganMap.map")
    page.wait_for_function("document.querySelectorAll('.leaflet-control-layers-overlays label').length === 6")

    def count(prop: str, value: str) -> int:
        return int(page.evaluate(COUNT_JS, [prop, value]))

    def wait_count(prop: str, value: str, n: int) -> None:
        page.wait_for_function(f"(a) => ({COUNT_JS})(a) === {n}", arg=[prop, value])

    wait_count("family", "static", 15)
    assert count("family", "control") == 0
    page.click(".leaflet-control-layers-overlays label:has-text('管控海域网格') input")
    wait_count("family", "control", 12)
    page.click(".leaflet-control-layers-overlays label:has-text('静态海域网格') input")
    assert count("family", "static") == 0 and count("family", "control") == 12
    wait_count("level", "district", 4)  # the drill-down starts at the districts

    # A grid card from the grid search.
    page.fill("#grid-search input[name=q]", "330903001001001")
    page.click("#grid-search button")
    page.click("#grid-results a[data-grid='330903001001001']")
    page.wait_for_selector("#grid-card .grid-code")
    assert page.inner_text("#grid-card .grid-code") == "330903001001001"
    assert "沈家门街道" in page.inner_text("#grid-card")
    assert int(page.inner_text("#grid-card .n-residents")) > 0
    assert re.search(r"1\d\d\*{4}\d{4}", page.inner_text("#grid-card .team"))  # team phones masked

    # A resident by exact ID number: the result is masked, and the clear ID never reaches the page.
    name, id_number, grid_code = _a_resident(data_dir)
    page.fill("#person-search input[name=q]", id_number)
    page.click("#person-search button")
    page.wait_for_selector("#person-results li")
    shown = page.inner_text("#person-results")
    assert re.search(re.escape(name[0]) + r"\*+", shown), shown
    assert re.search(re.escape(id_number[0]) + r"\*{15}" + re.escape(id_number[-2:]), shown), shown
    assert id_number not in page.content() and (len(name) < 2 or name not in shown)
    page.click(f"#person-results a[data-grid='{grid_code}']")
    page.wait_for_function(f"document.querySelector('#grid-card .grid-code')?.textContent === '{grid_code}'")

    assert not errors, errors
    assert all(r.startswith(url) for r in requested), [r for r in requested if not r.startswith(url)]
    page.close()
