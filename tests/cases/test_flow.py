"""Scenario tests of the loop through the HTTP API, each by the role that does it in practice."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from pingan.cases.events import sms
from pingan.cases.models import CaseEscalation, InboxMessage
from tests.cases.conftest import Hub

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def actions(detail: dict) -> list[str]:
    return [s["action"] for s in detail["timeline"]]


def to_handled(hub: Hub, number: str) -> None:
    hub.cmd.act(number, "register")
    hub.cmd.act(number, "dispatch")  # routed 属地先: 暴露垃圾 goes to the township 330903001
    hub.sjm.act(number, "accept")
    hub.sjm.act(number, "handle", note="已清理完毕")


def test_normal_path_from_report_to_return_visit(hub: Hub) -> None:
    assert hub.sjm.username == "sjm_zhao"  # the township's handler has an account before the dispatch
    out = hub.gw.report()
    case = out["case"]
    number = case["number"]
    assert number.startswith("ZS-20") and len(number) == 14
    assert case["status"] == "received" and case["grid_code"] == "330903001001001"
    assert case["unit_code"] == "330903001001" and case["suggested_unit"] == "330903001"

    assert hub.cmd.act(number, "register")["status"] == "registered"
    d = hub.cmd.act(number, "dispatch")
    assert d["status"] == "dispatched" and d["responsible_unit"] == "330903001"
    assert d["handle_due_at"] is not None
    assert hub.sjm.act(number, "accept")["status"] == "accepted"
    assert hub.sjm.act(number, "start")["status"] == "in_progress"
    assert hub.sjm.act(number, "handle", note="已清理完毕")["status"] == "handled"
    assert hub.gw.act(number, "check_pass", note="现场核查已清理")["status"] == "closed_fixed"
    final = hub.cmd.act(number, "revisit", outcome="satisfied", note="群众满意")
    assert final["status"] == "revisited" and final["satisfaction"] == "satisfied" and not final["is_open"]

    assert actions(final) == [
        "report", "register", "dispatch", "accept", "start", "handle", "check_pass", "revisit",
    ]  # fmt: skip
    # every step that ended a clock says how long it took and whether it met its deadline
    timed = [s for s in final["timeline"] if s["step"] is not None]
    assert {s["step"] for s in timed} >= {"register", "dispatch", "accept", "handle", "check"}
    assert all(s["met"] is True and s["step_seconds"] >= 0 for s in timed)
    # one audit row per step, and the township's handler was told of the dispatch
    assert hub.audit_actions(number) == [
        "case.report", "case.register", "case.dispatch", "case.accept", "case.start", "case.handle",
        "case.check_pass", "case.revisit",
    ]  # fmt: skip
    inbox = hub.sjm.get("/api/inbox").json()
    assert any(m["case_number"] == number and m["kind"] == "dispatch" for m in inbox)
    assert any(m["kind"] == "closed" for m in hub.gw.get("/api/inbox").json())


def test_return_and_redispatch(hub: Hub) -> None:
    number = hub.gw.report()["case"]["number"]
    hub.cmd.act(number, "register")
    hub.cmd.act(number, "dispatch", unit_code="ZS-CG")
    refused = hub.cg.post(f"/api/cases/{number}/actions", {"action": "return"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "reason_required"
    back = hub.cg.act(number, "return", note="属地清运，不属本局职责")
    assert back["status"] == "returned" and back["decline_count"] == 1 and back["responsible_unit"] is None
    assert hub.cg.get(f"/api/cases/{number}").status_code == 404  # returned: no longer the bureau's case
    again = hub.cmd.act(number, "redispatch", unit_code="330903001")
    assert again["status"] == "dispatched" and again["responsible_unit"] == "330903001"
    assert hub.sjm.act(number, "accept")["status"] == "accepted"


def test_failed_check_sends_it_back_for_rework(hub: Hub) -> None:
    number = hub.gw.report()["case"]["number"]
    to_handled(hub, number)
    d = hub.gw.act(number, "check_fail", note="现场仍有垃圾")
    assert d["status"] == "rework" and d["redo_count"] == 1 and d["sub_status"] == "返工"
    hub.sjm.act(number, "handle", note="二次清理")
    assert hub.gw.act(number, "check_pass")["status"] == "closed_fixed"


def test_unsatisfied_return_visit_reopens_the_case(hub: Hub) -> None:
    number = hub.gw.report()["case"]["number"]
    to_handled(hub, number)
    hub.gw.act(number, "check_pass")
    refused = hub.cmd.post(f"/api/cases/{number}/actions", {"action": "revisit", "outcome": "unsatisfied"})
    assert refused.status_code == 422  # 不满意 needs the reason
    d = hub.cmd.act(number, "revisit", outcome="unsatisfied", note="清理不彻底")
    assert d["status"] == "rework" and d["sub_status"] == "发回重办" and d["is_open"]
    assert d["redo_count"] == 1 and d["closed_at"] is None
    assert hub.sjm.act(number, "handle", note="重新清理")["status"] == "handled"


def test_three_redos_escalate_one_level_exactly_once(hub: Hub) -> None:
    number = hub.gw.report()["case"]["number"]
    to_handled(hub, number)
    for i in range(4):
        d = hub.gw.act(number, "check_fail", note=f"第{i + 1}次核查不通过")
        hub.sjm.act(number, "handle", note="再次处置")
    assert d["redo_count"] == 4 and d["escalation_level"] == 1
    case = hub.case(number)
    rows = hub.db.scalars(select(CaseEscalation).where(CaseEscalation.case_id == case.id)).all()
    assert [(r.kind, r.clock_seq) for r in rows if r.kind == "level_up"] == [("level_up", 1)]
    detail = hub.cmd.get(f"/api/cases/{number}").json()
    escalations = [s for s in detail["timeline"] if s["action"] == "escalate"]
    assert len(escalations) == 1 and "提级督办" in escalations[0]["note"] and "重办 3 次" in escalations[0]["note"]
    assert escalations[0]["unit"] == "330903"  # one level above the township: 普陀区


def test_three_units_declining_escalate(hub: Hub) -> None:
    number = hub.gw.report()["case"]["number"]
    hub.cmd.act(number, "register")
    hub.cmd.act(number, "dispatch", unit_code="ZS-CG")
    hub.cg.act(number, "return", note="非本局职责")
    hub.cmd.act(number, "redispatch", unit_code="330903001")
    assert hub.sjm.act(number, "return", note="需执法部门处理")["escalation_level"] == 0
    hub.cmd.act(number, "redispatch", unit_code="ZS-CG")
    d = hub.cg.act(number, "return", note="仍非本局职责")
    assert d["decline_count"] == 3 and d["escalation_level"] == 1
    assert "3 个单位退回" in next(s for s in d["timeline"] if s["action"] == "escalate")["note"]


def test_duplicate_is_offered_merged_and_every_reporter_told_on_close(hub: Hub) -> None:
    first = hub.gw.report(text="渔港路口有暴露垃圾堆放，气味很大")["case"]["number"]
    second = hub.cmd.report(
        text="渔港路口暴露垃圾堆放气味大", at=(122.3052, 29.9551), channel="public", reporter_phone="13800138000"
    )
    offered = [d["number"] for d in second["duplicates"]]
    assert offered == [first]
    assert second["duplicates"][0]["similarity"] > 50 and second["duplicates"][0]["distance_m"] < 50
    far = hub.gw.report(text="另一处暴露垃圾", at=(122.309, 29.959))
    assert far["duplicates"] == []  # 600 m away: outside the category's 50 m radius
    dup = second["case"]["number"]
    merged = hub.cmd.act(dup, "merge", master_number=first)
    assert merged["status"] == "closed_duplicate" and merged["master_number"] == first
    hub.cmd.act(dup, "note", note="群众补充：傍晚更严重")
    master = hub.cmd.get(f"/api/cases/{first}").json()
    assert master["duplicates"] == [dup]
    assert any("傍晚更严重" in s["note"] for s in master["timeline"])  # the update was forwarded
    sent_before = len(sms().sent)  # type: ignore[attr-defined]
    to_handled(hub, first)
    hub.gw.act(first, "check_pass")
    told = hub.db.scalars(select(InboxMessage.message).where(InboxMessage.kind == "closed")).all()
    assert any(first in m for m in told) and any(dup in m for m in told)
    assert len(sms().sent) == sent_before + 1  # type: ignore[attr-defined]  # the public reporter, by SMS
    assert "138****8000" in sms().sent[-1][0]  # type: ignore[attr-defined]


def test_grid_worker_self_handles_a_minor_case_with_evidence(hub: Hub) -> None:
    files = {"photos": ("before.png", io.BytesIO(PNG), "image/png")}
    form = {"category_code": "0104", "description": "路面有散落纸屑", "lon": "122.305", "lat": "29.955"}
    r = hub.gw.post("/api/cases/form", data=form, files=files)
    assert r.status_code == 201, r.text
    number = r.json()["case"]["number"]
    no_photo = hub.gw.post(f"/api/cases/{number}/actions/form", data={"action": "self_handle", "note": "已清扫"})
    assert no_photo.status_code == 422 and no_photo.json()["error"]["code"] == "evidence_required"
    done = hub.gw.post(
        f"/api/cases/{number}/actions/form",
        data={"action": "self_handle", "note": "已清扫"},
        files={"photos": ("after.png", io.BytesIO(PNG), "image/png")},
    )
    assert done.status_code == 200, done.text
    d = done.json()
    assert d["status"] == "closed_fixed" and d["sub_status"] == "自行处置" and len(d["files"]) == 2
    photo = hub.gw.get(f"/api/cases/{number}/files/{d['files'][1]['id']}")
    assert photo.status_code == 200 and photo.content == PNG and photo.headers["content-type"] == "image/png"
    # a category that may not be self-handled
    other = hub.gw.report(code="0101", text="违章搭建彩钢棚")["case"]["number"]
    refused = hub.gw.post(
        f"/api/cases/{other}/actions/form",
        data={"action": "self_handle", "note": "x"},
        files={"photos": ("p.png", io.BytesIO(PNG), "image/png")},
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "self_handle_not_allowed"


def test_transitions_refused_outside_scope_without_permission_or_out_of_order(hub: Hub) -> None:
    number = hub.gw.report()["case"]["number"]
    # another township does not even see it
    assert hub.taohua.get(f"/api/cases/{number}").status_code == 404
    assert hub.taohua.post(f"/api/cases/{number}/actions", {"action": "register"}).status_code == 404
    # the grid worker sees it but may not register it
    r = hub.gw.post(f"/api/cases/{number}/actions", {"action": "register"})
    assert r.status_code == 403 and "case.register" in r.json()["error"]["message"]
    # out of order: accept before dispatch
    r = hub.cmd.post(f"/api/cases/{number}/actions", {"action": "check_pass"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "transition_refused"
    hub.cmd.act(number, "register")
    hub.cmd.act(number, "dispatch", unit_code="330903001")
    # the bureau holds nothing here: its officer may not accept the township's case
    assert hub.cg.post(f"/api/cases/{number}/actions", {"action": "accept"}).status_code == 404
    # a volunteer sees only own reports and holds no loop duty
    own = hub.vol.report(channel="public", text="楼道堆放杂物")["case"]["number"]
    assert hub.vol.get(f"/api/cases/{number}").status_code == 404
    assert hub.vol.post(f"/api/cases/{own}/actions", {"action": "register"}).status_code == 403
    # a bad action name and a bad unit are 422s
    assert hub.cmd.post(f"/api/cases/{number}/actions", {"action": "teleport"}).status_code == 422
    assert hub.cmd.post(f"/api/cases/{own}/actions", {"action": "register"}).status_code == 200
    r = hub.cmd.post(f"/api/cases/{own}/actions", {"action": "dispatch", "unit_code": "NOPE"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_unit"
    # 不予立案 needs its reason and ends the case
    other = hub.vol.report(channel="public", text="重复反映的旧问题")["case"]["number"]
    assert hub.cmd.post(f"/api/cases/{other}/actions", {"action": "reject"}).status_code == 422
    rejected = hub.cmd.act(other, "reject", note="已由其他渠道办结")
    assert rejected["status"] == "rejected" and not rejected["is_open"] and rejected["closed_at"] is not None


def test_bad_reports_are_refused_and_store_nothing(hub: Hub) -> None:
    before = hub.db.scalar(select(func.count()).select_from(select(InboxMessage.id).subquery()))
    cases = hub.cmd.get("/api/cases").json()["total"]
    bad = [
        ({"category_code": "9999", "description": "x", "lon": 122.3, "lat": 29.9}, "unknown_category"),
        ({"category_code": "01", "description": "x", "lon": 122.3, "lat": 29.9}, "not_small_class"),
        ({"category_code": "0102", "description": "x"}, "location_required"),
        ({"category_code": "0102", "description": "x", "lon": 222, "lat": 29.9}, "invalid_coordinates"),
        ({"category_code": "0102", "description": "x", "lon": 122.3}, "invalid_coordinates"),
        ({"category_code": "0102", "description": "   ", "address": "a"}, "description_required"),
        ({"category_code": "0102", "description": "x", "address": "a", "reporter_phone": "abc"}, "bad_phone"),
    ]
    for body, code in bad:
        r = hub.gw.post("/api/cases", body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["code"] == code
    r = hub.gw.post("/api/cases", {"category_code": "0102", "description": "x", "address": "a", "channel": "sensor"})
    assert r.status_code == 403  # machine channels need case.intake
    assert hub.cmd.get("/api/cases").json()["total"] == cases
    assert hub.db.scalar(select(func.count()).select_from(select(InboxMessage.id).subquery())) == before


def test_queues_count_cases_in_each_state(hub: Hub) -> None:
    a = hub.gw.report()["case"]["number"]
    b = hub.gw.report(text="另一处垃圾", at=(122.301, 29.951))["case"]["number"]
    hub.cmd.act(b, "register")
    counts = {q["queue"]: q["count"] for q in hub.cmd.get("/api/cases/queues").json()}
    assert counts["to_register"] == 1 and counts["to_dispatch"] == 1
    listed = hub.cmd.get("/api/cases", params={"queue": "to_register"}).json()
    assert [c["number"] for c in listed["items"]] == [a]
    assert hub.cmd.get("/api/cases", params={"queue": "nope"}).status_code == 422
