"""The maritime command pages: the alert console on the live map, the typhoon board (防台) and the restricted-waters
editor (限制水域) — served in Chinese to holders of alert.read, with the buttons each account may use, refused to
everyone else."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.fleet.models import Alert, AlertStatus, Cadre
from pingan.maritime.alerts import KIND_LABELS, LEVEL_LABELS
from pingan.maritime.models import AlertAction, AlertRecipient, AlertStep, RecipientRole
from pingan.org import service as org_service
from pingan.web.sea_pages import ALERT_KIND_MSGIDS, ALERT_LEVEL_MSGIDS
from tests.conftest import new_client
from tests.web.test_pages import page_sign_in

NOW = datetime(2026, 11, 2, 3, 4, tzinfo=UTC)


def _json_script(html: str, element_id: str) -> dict[str, object]:
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert match, f"no #{element_id} in the page"
    return dict(json.loads(match.group(1)))


def _page(app, make_user, username: str, role: str, path: str, unit: str = "ZS-SZ") -> str:  # type: ignore[no-untyped-def]
    make_user(username, unit, [role])
    with new_client(app) as client:
        page_sign_in(client, username)
        response = client.get(path)
    assert response.status_code == 200, response.text
    return response.text


def test_the_live_map_carries_the_alert_console_in_chinese_for_a_commander(app, make_user) -> None:  # type: ignore[no-untyped-def]
    html = _page(app, make_user, "sea_cmd", "commander", "/sea")
    assert 'id="alert-console"' in html and "告警台" in html
    assert 'src="/static/sea_command.js"' in html and 'src="/static/sea_kit.js"' in html
    assert '<option value="collision">碰撞风险</option>' in html
    assert '<option value="3">报警及以上</option>' in html
    assert '<option value="acknowledged">已签收</option>' in html
    assert 'href="/sea/typhoons"' in html and 'href="/sea/areas"' in html
    config = _json_script(html, "sea-config")
    assert config["can"] == {"read_alerts": True, "handle": True, "command": True}
    strings = _json_script(html, "sea-strings")
    assert strings["acknowledge"] == "签收" and strings["resolve"] == "处置完毕"
    assert strings["status_acknowledged"] == "已签收" and strings["near"] == "附近船舶"
    assert strings["alert_kind_distress"] == "遇险报警" and strings["alert_level_4"] == "遇险"


def test_a_township_cadre_may_handle_alerts_but_not_command(app, make_user) -> None:  # type: ignore[no-untyped-def]
    html = _page(app, make_user, "sea_town", "township_leader", "/sea", unit="330903001")
    assert _json_script(html, "sea-config")["can"] == {"read_alerts": True, "handle": True, "command": False}


def test_the_chinese_alert_labels_are_those_of_the_alert_service(app, make_user) -> None:  # type: ignore[no-untyped-def]
    strings = _json_script(_page(app, make_user, "sea_labels", "commander", "/sea"), "sea-strings")
    assert set(ALERT_KIND_MSGIDS) == {k.value for k in KIND_LABELS}
    for kind, label in KIND_LABELS.items():
        assert strings[f"alert_kind_{kind.value}"] == label
    assert set(ALERT_LEVEL_MSGIDS) == {int(level) for level in LEVEL_LABELS}
    for level, label in LEVEL_LABELS.items():
        assert strings[f"alert_level_{int(level)}"] == label


@pytest.mark.parametrize("role", ["commander", "fishery_officer"])
def test_commanders_get_the_typhoon_board_with_entry_and_recall(app, make_user, role: str) -> None:  # type: ignore[no-untyped-def]
    html = _page(app, make_user, f"ty_{role}", role, "/sea/typhoons")
    assert "<h1>防台</h1>" in html
    assert 'id="ty-map"' in html and 'aria-label="台风预警区及区内船舶地图"' in html
    for asset in ("/static/vendor/leaflet/leaflet.js", "/static/vendor/echarts/echarts.min.js", "/static/typhoons.js"):
        assert f'src="{asset}"' in html
    assert 'id="ty-form"' in html and "录入台风" in html and "七级风圈半径（公里）" in html
    assert 'id="ty-upload"' in html and 'accept=".json,application/json"' in html
    assert 'data-test="recall"' in html and "下达撤离令" in html
    assert "动态点验" in html and "按乡镇（街道）" in html and "按编组" in html and "仍在海上" in html
    assert _json_script(html, "sea-config")["can"]["command"] is True
    assert _json_script(html, "sea-strings")["done_of"] == "%(total)s 艘中已有 %(done)s 艘回港或避风"


def test_a_township_cadre_sees_the_typhoon_board_without_the_commands(app, make_user) -> None:  # type: ignore[no-untyped-def]
    html = _page(app, make_user, "ty_town", "township_leader", "/sea/typhoons", unit="330903001")
    assert "<h1>防台</h1>" in html and 'id="ty-board"' in html
    assert 'id="ty-form"' not in html and 'data-test="recall"' not in html


def test_commanders_get_the_restricted_waters_editor(app, make_user) -> None:  # type: ignore[no-untyped-def]
    html = _page(app, make_user, "ra_cmd", "commander", "/sea/areas")
    assert "<h1>限制水域</h1>" in html
    assert 'id="area-map"' in html and 'src="/static/areas.js"' in html
    assert 'data-test="draw"' in html and "绘制区域" in html and 'id="area-import"' in html
    for value, label in [
        ("channel", "航道"),
        ("anchorage", "锚地"),
        ("protected", "保护区"),
        ("restricted", "其他限制水域"),
    ]:
        assert f'<option value="{value}">{label}</option>' in html
    assert 'value="static"' not in html  # sea grids have their own editor
    assert "驶入告警" in html and "最长停留（分钟，留空不限）" in html


def test_a_township_cadre_sees_the_restricted_waters_without_the_editor(app, make_user) -> None:  # type: ignore[no-untyped-def]
    html = _page(app, make_user, "ra_town", "township_leader", "/sea/areas", unit="330903001")
    assert "<h1>限制水域</h1>" in html and 'id="area-table"' in html
    assert 'data-test="draw"' not in html and 'id="area-import"' not in html


@pytest.mark.parametrize("role", ["grid_worker", "dept_officer", "audit_admin"])
@pytest.mark.parametrize("path", ["/sea/typhoons", "/sea/areas"])
def test_accounts_without_alert_read_are_refused_the_command_pages(app, make_user, role: str, path: str) -> None:  # type: ignore[no-untyped-def]
    make_user(f"cmd_no_{role}", "330903001001" if role == "grid_worker" else "ZS-SZ", [role])
    with new_client(app) as client:
        page_sign_in(client, f"cmd_no_{role}")
        denied = client.get(path, headers={"accept": "text/html"})
    assert denied.status_code == 403
    assert "无权访问" in denied.text
    assert "ty-map" not in denied.text and "area-map" not in denied.text


@pytest.mark.parametrize("path", ["/sea/typhoons", "/sea/areas"])
def test_an_anonymous_visitor_is_sent_to_sign_in(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=" + path.replace("/", "%2F")


def test_the_command_pages_speak_english_after_the_language_switch(app, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("cmd_english", "ZS-SZ", ["commander"])
    with new_client(app) as client:
        page_sign_in(client, "cmd_english")
        client.cookies.set("pingan_lang", "en")
        typhoons = client.get("/sea/typhoons").text
        areas = client.get("/sea/areas").text
        live = client.get("/sea").text
    assert "<h1>Typhoon board</h1>" in typhoons and "Issue a recall order" in typhoons
    assert "<h1>Restricted waters</h1>" in areas and "Draw an area" in areas
    assert _json_script(live, "sea-strings")["acknowledge"] == "Acknowledge"


@pytest.mark.parametrize("script", ["sea_kit.js", "sea_command.js", "typhoons.js", "areas.js"])
def test_the_command_scripts_are_served_and_use_only_this_server(client: TestClient, script: str) -> None:
    response = client.get(f"/static/{script}")
    assert response.status_code == 200
    assert "http://" not in response.text and "https://" not in response.text


def test_an_alert_card_names_its_addressees_and_who_did_each_step(app, make_user, db: Session) -> None:  # type: ignore[no-untyped-def]
    """The console's card shows names, so GET /api/alerts/{id} carries them (cadre and account display names)."""
    officer = make_user("card_cmd", "ZS-SZ", ["commander"])
    unit = org_service.unit_by_code(db, "330903001")
    assert unit is not None
    cadre = Cadre(name="王海", unit_id=unit.id, user_id=None, title="镇联船干部", created_at=NOW)
    alert = Alert(
        kind="collision",
        unit_id=unit.id,
        dedupe_key="collision:test-card",
        raised_at=NOW,
        status=AlertStatus.ACKNOWLEDGED,
        severity=3,
        level=3,
        subject="412000001|413000002",
        target_key=412000001,
        lon=122.4,
        lat=29.9,
        message="【报警】测试碰撞风险",
        details={},
        acknowledged_at=NOW,
    )
    db.add_all([cadre, alert])
    db.flush()
    db.add_all(
        [
            AlertStep(alert_id=alert.id, at=NOW, action=AlertAction.RAISED, actor_id=None, note="", details={}),
            AlertStep(alert_id=alert.id, at=NOW, action=AlertAction.ACKNOWLEDGED, actor_id=officer.id, note="已联系"),
            AlertRecipient(
                alert_id=alert.id, user_id=None, cadre_id=cadre.id, role=RecipientRole.CADRE, notified_at=NOW
            ),
        ]
    )
    db.flush()
    with new_client(app) as client:
        page_sign_in(client, "card_cmd")
        card = client.get(f"/api/alerts/{alert.id}").json()
    assert [r["cadre_name"] for r in card["recipients"]] == ["王海"]
    assert card["recipients"][0]["user_name"] is None
    assert [(s["action"], s["actor_name"]) for s in card["timeline"]] == [
        ("raised", None),
        ("acknowledged", "card_cmd"),
    ]
