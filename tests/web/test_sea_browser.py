"""The live sea map in Chromium during ``pingan demo``: vessels move by SSE, a vessel's card opens, a track replays."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.conftest import running_demo

pytestmark = pytest.mark.browser

# Picks a moving vessel that has a vessel file, centres the map on it at zoom 13 and makes sure no other
# target is drawn within 16 px, so a click on it can only mean it.
CHOOSE_JS = """() => {
  const S = window.pinganSea, all = [...S.targets.values()];
  const moving = all.filter((t) => t.class === "vessel" && t.vessel_id && t.state === "at_sea" && (t.sog_kn || 0) >= 3)
    .sort((a, b) => b.sog_kn - a.sog_kn);
  for (const t of moving.slice(0, 60)) {
    S.map.setView([t.lat, t.lon], 13, { animate: false });
    const p = S.map.latLngToLayerPoint([t.lat, t.lon]);
    const crowded = all.some((o) => o !== t && S.map.latLngToLayerPoint([o.lat, o.lon]).distanceTo(p) < 16);
    if (!crowded) return { key: t.key, lat: t.lat, lon: t.lon, point: S.containerPoint(t.key) };
  }
  return null;
}"""
MOVED_JS = """(a) => {
  const t = window.pinganSea.targets.get(a.key);
  return !!t && (t.lat !== a.lat || t.lon !== a.lon);
}"""
# The replay marker has moved at least 3 px on screen from where it started.
MARKER_MOVED_JS = """(a) => {
  const S = window.pinganSea;
  return S.map.latLngToContainerPoint(S.replay.marker.getLatLng()).distanceTo(S.map.latLngToContainerPoint(a)) >= 3;
}"""
# Pixel distance from the replay marker to the replayed polyline.
OFF_TRACK_JS = """() => {
  const S = window.pinganSea, m = S.map, r = S.replay;
  const p = m.latLngToLayerPoint(r.marker.getLatLng());
  const pts = r.line.getLatLngs().map((ll) => m.latLngToLayerPoint(ll));
  let best = Infinity;
  for (let i = 1; i < pts.length; i += 1) {
    best = Math.min(best, L.LineUtil.pointToSegmentDistance(p, pts[i - 1], pts[i]));
  }
  return best;
}"""


@pytest.fixture(scope="module")
def live_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], float]]:
    """``pingan demo`` with its fleet simulator feeding AIVDM over UDP; yields (URL, accounts, start time)."""
    started = time.monotonic()
    with running_demo(tmp_path_factory.mktemp("sea-demo")) as (url, accounts, _):
        yield url, accounts, started


def test_live_map_moves_vessels_opens_a_card_and_replays_a_track(live_demo, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, accounts, _ = live_demo
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    requested: list[str] = []
    errors: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url + "login")
    page.fill("input[name=username]", "cmd_chen")
    page.fill("input[name=password]", accounts["cmd_chen"])
    page.click("button[type=submit]")
    page.wait_for_selector("h1")
    assert "/login" not in page.url, "cmd_chen could not sign in"

    page.goto(url + "sea")
    assert page.inner_text("h1") == "海上态势"
    # The first SSE event is the full snapshot: at least a hundred vessel arrows drawn, and the badge goes live.
    page.wait_for_function("() => window.pinganSea && window.pinganSea.drawn() >= 100", timeout=30_000)
    page.wait_for_selector("#sea-status[data-state=live]")
    assert page.inner_text("#sea-status") == "实时"
    overlays = page.locator(".leaflet-control-layers-overlays label")
    assert overlays.filter(has_text="渔船").locator("input").is_checked()
    assert not overlays.filter(has_text="网位仪").locator("input").is_checked()  # net beacons: off by default
    page.wait_for_function("() => document.querySelectorAll('#sea-by-class tbody tr').length > 0")

    # A moving vessel moves in place, by the stream alone.
    chosen = page.evaluate(CHOOSE_JS)
    assert chosen, "no moving vessel with a vessel file stands alone at zoom 13"
    page.wait_for_function(MOVED_JS, arg=chosen, timeout=30_000)
    moved_to = page.evaluate("(k) => window.pinganSea.containerPoint(k)", chosen["key"])
    assert (moved_to["x"], moved_to["y"]) != (chosen["point"]["x"], chosen["point"]["y"])
    page.screenshot(path=str(tmp_path / "sea.png"))

    # A click on its arrow opens its card with the registration number of its vessel file.
    box = page.locator("#sea-map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + moved_to["x"], box["y"] + moved_to["y"])
    page.wait_for_selector(f"#sea-card[data-key='{chosen['key']}'] .reg-no")
    card = page.request.get(f"{url}api/maritime/targets/{chosen['key']}").json()
    assert card["vessel"] is not None
    assert page.inner_text("#sea-card .reg-no") == card["vessel"]["registration_no"]
    assert page.get_attribute("#sea-card a.vessel-link", "href") == f"/fleet/vessels/{card['vessel']['id']}"
    assert str(card["target"]["mmsi"]) in page.inner_text("#sea-card .mmsi")

    # Track replay over the default last two hours: a polyline of at least two points and a marker moving on it.
    page.click("#sea-card [data-test=replay]")
    marker = page.locator("[data-test=replay-marker]")
    marker.wait_for()
    assert page.evaluate("() => window.pinganSea.replay.line.getLatLngs().length") >= 2
    page.select_option("#sea-card [data-test=replay-speed]", "10")
    if page.evaluate("() => window.pinganSea.replay.playing"):
        page.click("#sea-card [data-test=replay-toggle]")  # pause, rewind, then play from the start
    page.locator("#sea-card input[data-action=seek]").fill("0")
    start = page.evaluate("() => window.pinganSea.replay.marker.getLatLng()")
    page.click("#sea-card [data-test=replay-toggle]")
    page.wait_for_function(MARKER_MOVED_JS, arg=start, timeout=15_000)
    assert page.evaluate(OFF_TRACK_JS) < 2.0  # on the line, within two pixels

    assert not errors, errors
    outside = [r for r in requested if not r.startswith(url)]
    assert not outside, outside
    context.close()
