"""ACCEPTANCE (issue 7): during ``pingan demo`` a scripted crossing raises a collision alarm on the alert console
of the live sea map, and the cadre answering for the fishing vessel acknowledges it (签收) in Chromium.

Who acknowledges: the demo's linked cadres (定人联船) have no platform accounts (``cadre.user_id`` is empty, so the
alert's cadre recipient has no ``user_id``), and the demo's duty rosters name officers without accounts either.
The crossing is therefore made with a fishing vessel of 沈家门街道 (330903001), and the alarm is acknowledged by
that township's cadre account ``sjm_zhao`` (township_leader, data scope 沈家门街道 and below), whom the API lets
handle the alerts of its unit's vessels. Should the alert name a cadre recipient with an account of the demo, that
account signs in instead.

Before the crossing, the test waits for the engine's start-up burst to be written: on the demo's 8,000 simulated
vessels the first passes raise several thousand collision alerts, each written (with its audit rows) in one
transaction per pass that holds SQLite's write lock for minutes on a loaded machine; until it commits no new alert
— the crossing's included — is stored and sign-ins fail. It counts the demo's alerts in its SQLite file (read-only)
until the count holds still; with a quiet start that takes 15 s.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import running_demo

pytestmark = pytest.mark.browser

TOWNSHIP = "330903001"  # 沈家门街道
TOWNSHIP_ACCOUNT = "sjm_zhao"

# The console's alert for the crossing: a collision alarm (level 3 or more) whose pair is the fishing vessel and
# the scripted merchant ship.
FIND_ALARM_JS = """(c) => {
  const S = window.pinganSea;
  if (!S || !S.alerts) return null;
  const pair = (x) => String(x.subject || "").split("|");
  const a = S.alerts().find((x) => x.kind === "collision" && x.level >= 3 &&
    pair(x).includes(String(c.subject)) && pair(x).includes(String(c.merchant)));
  return a ? a.id : null;
}"""


@pytest.fixture(scope="module")
def live_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], dict[str, str], Path]]:
    """``pingan demo`` with its fleet simulator and alert engine; yields (URL, accounts, environment, data dir)."""
    data_dir = tmp_path_factory.mktemp("alert-demo")
    with running_demo(data_dir) as (url, accounts, env):
        yield url, accounts, env, data_dir


def _wait_for_the_start_up_alerts(data_dir: Path, timeout_s: float = 360.0) -> int:
    """Wait until the number of stored alerts has held still for 15 s; return it."""
    db = data_dir / "pingan.db"
    counts: list[int] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
            counts.append(int(conn.execute("SELECT count(*) FROM alert").fetchone()[0]))
        if len(counts) >= 4 and len(set(counts[-4:])) == 1:
            return counts[-1]
        time.sleep(5)
    pytest.fail(f"the alert engine was still writing its start-up alerts after {timeout_s:g} s: {counts[-6:]}")


def _sign_in(page: Any, url: str, username: str, password: str) -> None:
    page.goto(url + "login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector("h1")
    assert "/login" not in page.url, f"{username} could not sign in"


def _township_fishing_vessels_at_sea(page: Any, url: str) -> list[dict[str, Any]]:
    """Moving fishing vessels at sea whose vessel file belongs to the township (the signed-in account's scope)."""
    ids: set[int] = set()
    for offset in range(0, 5000, 500):
        rows = page.request.get(f"{url}api/fleet/vessels?home_unit_code={TOWNSHIP}&limit=500&offset={offset}").json()
        ids |= {int(r["id"]) for r in rows}
        if len(rows) < 500:
            break
    targets = page.request.get(f"{url}api/maritime/targets?classes=vessel").json()["targets"]
    found = [
        t
        for t in targets
        if t.get("vessel_id") in ids and t["kind"] == "fishing" and t["state"] == "at_sea" and t.get("mmsi")
    ]
    return sorted(found, key=lambda t: -(t.get("sog_kn") or 0.0))


def _trigger_crossing(env: dict[str, str], candidates: list[dict[str, Any]]) -> dict[str, Any]:
    """``pingan simulate-trigger crossing`` on the first candidate with open water around it."""
    exe = Path(sys.executable).with_name("pingan")
    errors = []
    for t in candidates[:15]:
        params = ["--param", f"mmsi={t['mmsi']}", "--param", "minutes=2"]
        run = subprocess.run(
            [str(exe), "simulate-trigger", "crossing", *params, "--wait", "30"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if run.returncode == 0:
            return dict(json.loads(run.stdout))
        errors.append(run.stderr.strip()[-200:])
    pytest.fail(f"no crossing could be scripted: {errors}")


def test_a_scripted_crossing_raises_an_alarm_that_the_cadre_acknowledges(live_demo, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, accounts, env, data_dir = live_demo
    _wait_for_the_start_up_alerts(data_dir)
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    requested: list[str] = []
    errors: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, url, TOWNSHIP_ACCOUNT, accounts[TOWNSHIP_ACCOUNT])

    crossing = _trigger_crossing(env, _township_fishing_vessels_at_sea(page, url))
    subject, merchant = crossing["subject_mmsi"], crossing["merchant_mmsi"]

    # The console, narrowed to collision alarms, shows the alarm once the engine raises it (after its debounce).
    page.goto(url + "sea")
    assert page.inner_text("h1") == "海上态势"
    page.wait_for_selector("#alert-console")
    page.select_option("#alert-filters select[name=kind]", "collision")
    page.select_option("#alert-filters select[name=level]", "3")
    alert_id = page.wait_for_function(
        FIND_ALARM_JS, arg={"subject": subject, "merchant": merchant}, timeout=150_000, polling=1000
    ).json_value()
    item = page.locator(f"#alert-list [data-alert-id='{alert_id}']")
    item.wait_for()
    assert "碰撞风险" in item.inner_text() and "报警" in item.inner_text()

    # Who answers for the vessel: a cadre recipient with an account of the demo, else the township's account.
    card = page.request.get(f"{url}api/alerts/{alert_id}").json()
    assert card["vessel_id"] == crossing["subject"]["vessel_id"]
    cadres = [r for r in card["recipients"] if r["role"] == "cadre"]
    assert cadres, "the alarm was addressed to no linked cadre"
    signer = TOWNSHIP_ACCOUNT
    for r in cadres:
        if r["user_id"] is not None:
            user = page.request.get(f"{url}api/users/{r['user_id']}").json()
            if user.get("username") in accounts:
                signer = user["username"]
                break
    if signer != TOWNSHIP_ACCOUNT:
        page.click("form[action='/logout'] button[type=submit]")
        _sign_in(page, url, signer, accounts[signer])
        page.goto(url + "sea")
        page.select_option("#alert-filters select[name=kind]", "collision")
        page.locator(f"#alert-list [data-alert-id='{alert_id}']").wait_for(timeout=30_000)

    # Its card: level, state, addressees, timeline; the case link when the policy opened one.
    page.click(f"#alert-list [data-alert-id='{alert_id}']")
    page.wait_for_selector(f"#alert-card[data-id='{alert_id}'] .alert-timeline li[data-step=raised]")
    assert page.inner_text("#alert-card [data-test=alert-status]") == "待签收"
    assert "联船干部" in page.inner_text("#alert-card .alert-recipients")
    if card["case_number"]:
        assert page.get_attribute("#alert-card a.case-link", "href") == f"/cases/{card['case_number']}"
    page.screenshot(path=str(tmp_path / "alert-card.png"))

    # 签收: the state changes to 已签收 and the timeline gains the step, by the signed-in account.
    page.click("#alert-card [data-action=acknowledge]")
    page.wait_for_selector("#alert-card .alert-timeline li[data-step=acknowledged]", timeout=30_000)
    assert page.inner_text("#alert-card [data-test=alert-status]") == "已签收"
    me = page.request.get(f"{url}api/auth/me").json()
    assert me["display_name"] in page.inner_text("#alert-card .alert-timeline li[data-step=acknowledged]")
    assert page.locator("#alert-card [data-action=acknowledge]").count() == 0
    stored = page.request.get(f"{url}api/alerts/{alert_id}").json()
    # Acknowledged; once the ships have passed the engine may clear it, which closes an acknowledged alert.
    assert stored["status"] in ("acknowledged", "closed")
    assert [(s["action"], s["actor_id"]) for s in stored["timeline"] if s["action"] == "acknowledged"] == [
        ("acknowledged", me["id"])
    ]
    page.screenshot(path=str(tmp_path / "alert-acknowledged.png"))

    assert not errors, errors
    outside = [r for r in requested if not r.startswith(url)]
    assert not outside, outside
    context.close()
