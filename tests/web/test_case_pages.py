"""Case hub pages: the desk, the case page and its forms, the report forms, the inbox and the category settings."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pingan.cases.models import Case, CaseCategory, CaseFile
from tests.conftest import new_client
from tests.web.test_pages import _csrf, page_sign_in

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
SPOT = {"lon": "122.305", "lat": "29.955"}  # inside the test grid 330903001001001 of 渔港社区


@pytest.fixture
def grid(make_grid):  # type: ignore[no-untyped-def]
    return make_grid("330903001001", 1, (122.30, 29.95))


def _report(client: TestClient, description: str = "渔港路口垃圾堆积，气味很大", photo: bool = True) -> str:
    form = client.get("/cases/new")
    assert form.status_code == 200
    files = [("photos", ("scene.png", PNG, "image/png"))] if photo else []
    data = {"csrf_token": _csrf(form.text), "category_code": "0102", "description": description, **SPOT}
    response = client.post("/cases/new", data=data, files=files, follow_redirects=False)
    assert response.status_code == 303, response.text
    match = re.match(r"/cases/(ZS-\d{4}-\d{6})\?reported=1$", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


def _act(client: TestClient, number: str, action: str, **fields: str) -> tuple[int, str]:
    page = client.get(f"/cases/{number}")
    assert page.status_code == 200
    assert f'data-action="{action}"' in page.text, f"no {action} form for this account"
    response = client.post(
        f"/cases/{number}/act",
        data={"csrf_token": _csrf(page.text), "action": action, **fields},
        files=[("photos", ("done.png", PNG, "image/png"))] if fields.pop("_photo", None) else None,
        follow_redirects=False,
    )
    return response.status_code, response.headers.get("location", "") or response.text


def _forms(html: str) -> set[str]:
    return set(re.findall(r'<form[^>]*class="action-form[^"]*" data-action="([a-z_]+)"', html))


def _status(html: str) -> str:
    match = re.search(r'id="case-status">([^<]+)<', html)
    assert match, "no status on the case page"
    return match.group(1)


def test_grid_report_form_is_mobile_first_and_stores_the_case_with_its_photo(app, make_user, grid, db) -> None:  # type: ignore[no-untyped-def]
    make_user("cmd_page", "ZS-SZ", ["commander"])
    with new_client(app) as client:
        page_sign_in(client, "cmd_page")
        form = client.get("/cases/new")
        assert "<h1>上报事件</h1>" in form.text
        assert 'accept="image/*" capture="environment"' in form.text
        assert "使用当前位置" in form.text
        assert '<option value="0102"' in form.text and "暴露垃圾" in form.text
        number = _report(client)
        page = client.get(f"/cases/{number}?reported=1")
        assert _status(page.text) == "待立案"
        assert "一事一码" in page.text and "330903001001001" in page.text
        assert "已上报" in page.text
        case = db.scalars(select(Case).where(Case.number == number)).one()
        assert case.channel == "grid_worker"
        photo = db.scalars(select(CaseFile).where(CaseFile.case_id == case.id)).one()
        assert f'src="/api/cases/{number}/files/{photo.id}"' in page.text
        assert client.get(f"/api/cases/{number}/files/{photo.id}").content == PNG


def test_report_form_shows_a_service_refusal_instead_of_failing(app, make_user, grid) -> None:  # type: ignore[no-untyped-def]
    make_user("cmd_refused", "ZS-SZ", ["commander"])
    with new_client(app) as client:
        page_sign_in(client, "cmd_refused")
        form = client.get("/cases/new")
        data = {"csrf_token": _csrf(form.text), "category_code": "0102", "description": "垃圾"}  # no place at all
        response = client.post("/cases/new", data=data)
        assert response.status_code == 422
        assert 'id="report-error"' in response.text and "location" in response.text
        assert ">垃圾</textarea>" in response.text  # what was typed is kept


def test_desk_lists_cases_with_queue_counts_in_chinese(app, make_user, grid) -> None:  # type: ignore[no-untyped-def]
    make_user("cmd_desk", "ZS-SZ", ["commander"])
    with new_client(app) as client:
        page_sign_in(client, "cmd_desk")
        number = _report(client)
        desk = client.get("/cases")
        assert desk.status_code == 200
        assert "<h1>事件督办台</h1>" in desk.text
        for label in ("待立案", "待派遣", "待签收", "办理中", "待核查", "待回访", "即将超期", "已超期"):
            assert label in desk.text
        assert re.search(r'data-queue="to_register"[^>]*>待立案 <span class="n">[1-9]', desk.text)
        assert f'href="/cases/{number}"' in desk.text
        queue = client.get("/cases?queue=to_dispatch&status=&channel=&category=")
        assert queue.status_code == 200 and number not in queue.text
        assert number in client.get(f"/cases?q={number}").text
        assert 'data-nav="/cases"' in desk.text
        client.get("/lang/en")
        assert "<h1>Case supervision desk</h1>" in client.get("/cases").text
        assert "Timeline" in client.get(f"/cases/{number}").text


def test_the_whole_loop_through_the_page_forms(app, make_user, grid) -> None:  # type: ignore[no-untyped-def]
    make_user("cmd_loop", "ZS-SZ", ["commander"])
    make_user("town_loop", "330903001", ["township_leader"])
    with new_client(app) as commander, new_client(app) as town:
        page_sign_in(commander, "cmd_loop")
        page_sign_in(town, "town_loop")
        number = _report(commander)
        assert _act(commander, number, "register") == (303, f"/cases/{number}?done=register#timeline")
        page = commander.get(f"/cases/{number}?done=register")
        assert _status(page.text) == "待派遣" and "已完成：立案" in page.text
        assert re.search(r'<option value="330903001" selected>', page.text)  # the routed unit is preselected
        assert _act(commander, number, "dispatch", unit_code="330903001")[0] == 303
        assert "签收" not in _forms(commander.get(f"/cases/{number}").text)  # the centre does not hold it
        inbox = town.get("/inbox")
        assert number in inbox.text and "派遣" in inbox.text
        message_id = re.search(r'action="/inbox/(\d+)/read"', inbox.text).group(1)  # type: ignore[union-attr]
        town.post(f"/inbox/{message_id}/read", data={"csrf_token": _csrf(inbox.text)})
        assert f'action="/inbox/{message_id}/read"' not in town.get("/inbox").text
        assert _act(town, number, "accept")[0] == 303
        assert _act(town, number, "handle", note="已清运完毕", _photo="1")[0] == 303
        assert _act(commander, number, "check_pass")[0] == 303
        assert _status(commander.get(f"/cases/{number}").text) == "已结案"
        assert _act(commander, number, "revisit", outcome="satisfied", note="群众满意")[0] == 303
        page = commander.get(f"/cases/{number}")
        assert _status(page.text) == "已回访"
        steps = re.findall(r'<li class="step" data-action="([a-z_]+)"', page.text)
        assert steps == ["report", "register", "dispatch", "accept", "handle", "check_pass", "revisit"]
        assert "已清运完毕" in page.text and "满意" in page.text
        assert "按时" in page.text  # each finished step shows its clock badge


def test_a_refused_action_is_shown_on_the_page(app, make_user, grid) -> None:  # type: ignore[no-untyped-def]
    make_user("cmd_refuse", "ZS-SZ", ["commander"])
    with new_client(app) as client:
        page_sign_in(client, "cmd_refuse")
        number = _report(client)
        status, body = _act(client, number, "reject", note="")  # 不予立案 needs a reason
        assert status == 422
        assert 'id="case-error"' in body and "reason" in body
        assert _status(body) == "待立案"
        status, body = _act(client, number, "merge", master_number="ZS-1999-000001")  # an unknown master
        assert status == 404 and 'id="case-error"' in body
        page = client.get(f"/cases/{number}")
        token = _csrf(page.text)
        late = client.post(f"/cases/{number}/act", data={"csrf_token": token, "action": "accept"})
        assert late.status_code == 409 and "待立案" in late.text
        forged = client.post(f"/cases/{number}/act", data={"action": "register"}, headers={"accept": "text/html"})
        assert forged.status_code == 403  # no CSRF token
        assert _status(client.get(f"/cases/{number}").text) == "待立案"


def test_volunteer_sees_only_own_cases_and_no_dispatch_buttons(app, make_user, grid) -> None:  # type: ignore[no-untyped-def]
    make_user("vol_page", "330903001001", ["volunteer"])
    make_user("cmd_vol", "ZS-SZ", ["commander"])
    with new_client(app) as volunteer, new_client(app) as commander:
        page_sign_in(volunteer, "vol_page")
        page_sign_in(commander, "cmd_vol")
        own = _report(volunteer, "楼道口有人乱扔垃圾")
        other = _report(commander, "菜场门口垃圾成堆")
        page = volunteer.get(f"/cases/{own}")
        assert page.status_code == 200
        forms = _forms(page.text)
        assert not forms & {"register", "reject", "dispatch", "redispatch", "merge", "accept"}
        assert "note" in forms
        assert 'name="unit_code"' not in page.text
        denied = volunteer.get(f"/cases/{other}", headers={"accept": "text/html"})
        assert denied.status_code == 404 and "未找到" in denied.text
        assert other not in volunteer.get("/cases").text
        forged = volunteer.post(f"/cases/{own}/act", data={"csrf_token": _csrf(page.text), "action": "register"})
        assert forged.status_code == 403 and 'id="case-error"' in forged.text
        assert volunteer.get("/cases/categories", headers={"accept": "text/html"}).status_code == 403


def test_case_outside_the_township_is_not_found(app, make_user, grid) -> None:  # type: ignore[no-untyped-def]
    make_user("cmd_scope", "ZS-SZ", ["commander"])
    make_user("taohua_page", "330903102", ["township_leader"])
    with new_client(app) as commander, new_client(app) as other:
        page_sign_in(commander, "cmd_scope")
        page_sign_in(other, "taohua_page")
        number = _report(commander)
        assert other.get(f"/cases/{number}", headers={"accept": "text/html"}).status_code == 404
        page = other.get("/cases")
        assert number not in page.text
        forged = other.post(f"/cases/{number}/act", data={"csrf_token": _csrf(page.text), "action": "register"})
        assert forged.status_code == 404


def test_public_report_needs_no_sign_in_and_shows_only_public_status(client: TestClient, db, grid) -> None:  # type: ignore[no-untyped-def]
    form = client.get("/report")
    assert form.status_code == 200
    assert "<h1>我要反映问题</h1>" in form.text and 'data-nav="' not in form.text
    assert "匿名" in form.text and '<option value="0102"' in form.text
    data = {
        "csrf_token": _csrf(form.text),
        "category_code": "0102",
        "description": "小区门口垃圾三天没人清理",
        "reporter_name": "林小红",
        "reporter_phone": "13800138000",
        "address": "渔港路 18 号",
        **SPOT,
    }
    response = client.post(
        "/report", data=data, files=[("photos", ("p.png", PNG, "image/png"))], follow_redirects=False
    )
    assert response.status_code == 303, response.text
    number = re.match(r"/report/(ZS-\d{4}-\d{6})\?thanks=1$", response.headers["location"]).group(1)  # type: ignore[union-attr]
    thanks = client.get(response.headers["location"])
    assert "感谢您的反映" in thanks.text and f'href="/report/{number}"' in thanks.text
    case = db.scalars(select(Case).where(Case.number == number)).one()
    assert case.channel == "public" and case.reported_by_id is None and case.reporter_name == "林小红"
    status = client.get(f"/report/{number}")
    assert "待立案" in status.text
    for private in ("林小红", "13800138000", "138****8000", "渔港路", "三天没人清理", "122.305"):
        assert private not in status.text


def test_public_report_refuses_a_missing_csrf_token_and_hidden_categories(client: TestClient, db, grid) -> None:  # type: ignore[no-untyped-def]
    form = client.get("/report")
    data = {"category_code": "0102", "description": "路灯不亮", **SPOT}
    assert client.post("/report", data={**data, "csrf_token": "forged"}).status_code == 403
    secret = db.scalars(select(CaseCategory).where(CaseCategory.level == 2, CaseCategory.public.is_(False))).first()
    assert secret is not None  # e.g. the 110 transfers and the maritime classes
    assert f'value="{secret.code}"' not in form.text
    refused = client.post("/report", data={**data, "category_code": secret.code, "csrf_token": _csrf(form.text)})
    assert refused.status_code == 422
    assert db.scalars(select(Case)).first() is None


def test_category_settings_edit_limits_and_show_errors(app, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("cfg_page", "ZS-SZ", ["commander"])
    with new_client(app) as client:
        page_sign_in(client, "cfg_page")
        table = client.get("/cases/categories")
        assert table.status_code == 200 and "<h1>事件类别与时限</h1>" in table.text and "暴露垃圾" in table.text
        form = client.get("/cases/categories/0102")
        assert 'name="limit_handle"' in form.text and "立案条件" in form.text
        fields = dict(re.findall(r'<input name="([a-z_]+)"[^>]*value="([^"]*)"', form.text))
        units = dict(re.findall(r'<select name="(unit_[a-z]+)">.*?<option value="([a-z_]+)" selected', form.text))
        data = {
            **fields,
            **units,
            "csrf_token": _csrf(form.text),
            "limit_handle": "6",
            "unit_handle": "work_hours",
            "register_conditions": "公共区域散落垃圾",
            "close_conditions": "清理干净",
            "self_handle": "1",
            "public": "1",
            "is_active": "1",
        }
        saved = client.post("/cases/categories/0102", data=data, follow_redirects=False)
        assert saved.status_code == 303, saved.text
        assert "已保存 0102" in client.get(saved.headers["location"]).text
        assert client.get("/api/case-categories/0102").json()["limits"]["handle"] == {
            "value": 6.0,
            "unit": "work_hours",
        }
        bad = client.post("/cases/categories/0102", data={**data, "unit_handle": "fortnights"})
        assert bad.status_code == 422 and 'id="category-error"' in bad.text
        assert client.get("/api/case-categories/0102").json()["limits"]["handle"]["value"] == 6.0


def test_kpi_page_shows_the_table_and_links_the_workbook(app, make_user, grid) -> None:  # type: ignore[no-untyped-def]
    make_user("kpi_page", "ZS-SZ", ["commander"])
    make_user("vol_kpi", "330903001001", ["volunteer"])
    with new_client(app) as client, new_client(app) as volunteer:
        page_sign_in(client, "kpi_page")
        _report(client)
        home = client.get("/")
        assert 'data-nav="/cases/kpis"' in home.text and "事件考核" in home.text
        page = client.get("/cases/kpis?by=category")
        assert page.status_code == 200 and "<h1>事件考核</h1>" in page.text
        assert "上报数" in page.text and "暴露垃圾" in page.text
        link = re.search(r'id="kpi-xlsx" href="([^"]+)"|href="([^"]+)" id="kpi-xlsx"', page.text)
        assert link
        xlsx = client.get((link.group(1) or link.group(2)).replace("&amp;", "&"))
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        bad = client.get("/cases/kpis?start=2026-02-01&end=2026-01-01")
        assert bad.status_code == 422 and 'id="kpi-error"' in bad.text
        page_sign_in(volunteer, "vol_kpi")
        assert 'data-nav="/cases/kpis"' not in volunteer.get("/").text
        assert volunteer.get("/cases/kpis", headers={"accept": "text/html"}).status_code == 403
