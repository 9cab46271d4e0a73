"""The live sea map page (海上态势): served in Chinese to holders of maritime.read, refused to everyone else."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import new_client
from tests.web.test_pages import page_sign_in


def _json_script(html: str, element_id: str) -> dict[str, object]:
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert match, f"no #{element_id} in the page"
    return dict(json.loads(match.group(1)))


@pytest.mark.parametrize("role", ["commander", "fishery_officer"])
def test_maritime_readers_get_the_live_sea_map_in_chinese(app, make_user, role: str) -> None:  # type: ignore[no-untyped-def]
    make_user(f"sea_{role}", "ZS-SZ", [role])
    with new_client(app) as client:
        page_sign_in(client, f"sea_{role}")
        page = client.get("/sea")
    assert page.status_code == 200
    html = page.text
    assert "<h1>海上态势</h1>" in html
    assert 'id="sea-map"' in html and 'aria-label="舟山海域实时态势图"' in html
    assert 'id="sea-status"' in html and 'role="status"' in html
    for asset in ("/static/vendor/leaflet/leaflet.js", "/static/vendor/echarts/echarts.min.js", "/static/sea.js"):
        assert f'src="{asset}"' in html
    strings = _json_script(html, "sea-strings")
    assert strings["live"] == "实时" and strings["reconnecting"] == "重连中"
    assert strings["replay"] == "轨迹回放" and strings["net_beacons"] == "网位仪"
    assert strings["op_trawl"] == "拖网"
    config = _json_script(html, "sea-config")
    assert config["timezone"] == "Asia/Shanghai"
    assert config["stale_minutes"] == 10


def test_the_sea_map_speaks_english_after_the_language_switch(app, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("sea_english", "ZS-SZ", ["commander"])
    with new_client(app) as client:
        page_sign_in(client, "sea_english")
        client.cookies.set("pingan_lang", "en")
        html = client.get("/sea").text
    assert "<h1>Sea situation</h1>" in html
    assert _json_script(html, "sea-strings")["live"] == "Live"


@pytest.mark.parametrize("role", ["grid_worker", "dept_officer", "audit_admin"])
def test_accounts_without_maritime_read_are_refused_the_sea_map(app, make_user, role: str) -> None:  # type: ignore[no-untyped-def]
    make_user(f"sea_no_{role}", "330903001001" if role == "grid_worker" else "ZS-SZ", [role])
    with new_client(app) as client:
        page_sign_in(client, f"sea_no_{role}")
        denied = client.get("/sea", headers={"accept": "text/html"})
        api = client.get("/sea")
    assert denied.status_code == 403
    assert "无权访问" in denied.text
    assert "sea-map" not in denied.text
    assert api.status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/sea", headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fsea"


def test_the_sea_script_and_styles_are_served(client: TestClient) -> None:
    script = client.get("/static/sea.js")
    assert script.status_code == 200
    assert 'EventSource("/api/maritime/stream")' in script.text
    assert client.get("/static/sea.css").status_code == 200
