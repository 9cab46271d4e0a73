"""Every channel lands in the same pipeline: 12345 orders (API and CSV), 110 transfers, sensors, internal alerts."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from pingan.cases.models import Case, CaseEscalation
from pingan.cases.scheduled import tick
from pingan.config import Settings
from pingan.kit.clock import utcnow
from tests.cases.conftest import INSIDE, Hub

ORDER = {
    "order_no": "ZS12345-20261129-0001",
    "demand_type": "complaint",
    "category_code": "0102",
    "content": "小区门口垃圾三天没人清运",
    "address": "沈家门渔港路 12 号",
    "lon": INSIDE[0],
    "lat": INSIDE[1],
    "caller_name": "王先生",
    "caller_phone": "13912345678",
}


def test_hotline_order_keeps_its_number_and_is_registered_on_arrival(hub: Hub) -> None:
    r = hub.cmd.post("/api/cases/hotline", ORDER)
    assert r.status_code == 201, r.text
    case = r.json()["case"]
    assert case["channel"] == "hotline_12345" and case["external_ref"] == ORDER["order_no"]
    assert case["status"] == "registered" and case["demand_type"] == "complaint"
    assert case["reporter_phone"] == "139****5678" and case["reporter_name"] == "王**"
    again = hub.cmd.post("/api/cases/hotline", ORDER)
    assert again.status_code == 409 and case["number"] in again.json()["error"]["message"]
    bad = hub.cmd.post("/api/cases/hotline", {**ORDER, "order_no": "X2", "demand_type": "gossip"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_demand_type"
    assert hub.gw.post("/api/cases/hotline", {**ORDER, "order_no": "X3"}).status_code == 403


CSV_HEAD = "工单编号,诉求类型,分类代码,诉求内容,地址,经度,纬度,来电人,来电号码,受理时间\n"


def test_hotline_csv_import_is_all_or_nothing_and_skips_known_orders(hub: Hub) -> None:
    good = (
        CSV_HEAD
        + "H-1,投诉,0102,垃圾未清运,渔港路1号,122.305,29.955,李女士,13700000001,2026-11-28T09:00:00+08:00\n"
        + "H-2,求助,0104,路面油污,渔港路2号,122.306,29.956,,,\n"
    )
    r = hub.cmd.post("/api/cases/hotline/import", files={"file": ("orders.csv", io.BytesIO(good.encode()), "text/csv")})
    assert r.status_code == 200, r.text
    assert len(r.json()["created"]) == 2 and r.json()["skipped"] == []
    first = hub.cmd.get(f"/api/cases/{r.json()['created'][0]}").json()
    assert first["reported_at"].startswith("2026-11-28T01:00:00")  # the hotline's own 受理时间
    total = hub.cmd.get("/api/cases").json()["total"]
    mixed = good + "H-3,投诉,9999,未知分类,某地,122.3,29.9,,,\n" + "H-4,咨询,,缺分类,某地,,,,,\n"
    r = hub.cmd.post("/api/cases/hotline/import", files={"file": ("o.csv", io.BytesIO(mixed.encode()), "text/csv")})
    assert r.status_code == 422 and "nothing imported" in r.json()["error"]["message"]
    assert hub.cmd.get("/api/cases").json()["total"] == total  # nothing stored, H-1/H-2 not touched
    rerun = hub.cmd.post("/api/cases/hotline/import", files={"file": ("o.csv", io.BytesIO(good.encode()), "text/csv")})
    assert rerun.status_code == 200 and rerun.json()["created"] == [] and len(rerun.json()["skipped"]) == 2


def test_nonpolice_transfer_runs_a_30_minute_response_clock(
    hub: Hub, db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    body = {
        "incident_no": "110-20261129-0042",
        "category_code": "2107",
        "description": "车辆堵住小区消防通道，请求挪车",
        "lon": INSIDE[0],
        "lat": INSIDE[1],
        "police_unit": "沈家门派出所",
    }
    r = hub.cmd.post("/api/cases/nonpolice", body)
    assert r.status_code == 201, r.text
    slow = r.json()["case"]
    assert slow["status"] == "dispatched" and slow["channel"] == "nonpolice_110"  # 接报即分流
    reported = hub.case(slow["number"]).reported_at
    assert hub.case(slow["number"]).response_due_at == reported + timedelta(minutes=30)
    fast = hub.cmd.post("/api/cases/nonpolice", {**body, "incident_no": "110-20261129-0043"}).json()["case"]
    not_nonpolice = hub.cmd.post("/api/cases/nonpolice", {**body, "incident_no": "x", "category_code": "0102"})
    assert not_nonpolice.status_code == 422 and not_nonpolice.json()["error"]["code"] == "not_nonpolice"
    # the fast one is accepted at once by the unit it was routed to (属主: the category's department)
    fast_case = hub.case(fast["number"])
    fast_case.first_response_at = fast_case.reported_at + timedelta(minutes=12)
    db.commit()
    later = utcnow() + timedelta(minutes=31)
    first = tick(session_factory, settings, now=later, worker="t1")
    second = tick(session_factory, settings, now=later, worker="t2")
    assert first.fired["response"] == 1 and second.fired["response"] == 0
    slow_case = hub.case(slow["number"])
    assert slow_case.is_overdue
    fired = db.scalars(select(CaseEscalation.kind).where(CaseEscalation.case_id == slow_case.id)).all()
    assert "response" in fired
    assert not db.scalars(
        select(CaseEscalation).where(CaseEscalation.case_id == fast_case.id, CaseEscalation.kind == "response")
    ).all()
    timeline = hub.cmd.get(f"/api/cases/{slow['number']}").json()["timeline"]
    assert any("30 分钟内未响应" in s["note"] for s in timeline)


def test_sensor_and_internal_alert_over_http(hub: Hub, db: Session) -> None:
    sensor = {
        "event_id": "wl-0001",
        "sensor_id": "SJM-WATER-07",
        "category_code": "0105",
        "description": "河道水位传感器报警：漂浮物堆积",
        "lon": INSIDE[0],
        "lat": INSIDE[1],
        "value": 1.8,
        "unit": "m",
    }
    r = hub.cmd.post("/api/cases/sensor", sensor)
    assert r.status_code == 201, r.text
    case = r.json()["case"]
    assert case["channel"] == "sensor" and case["status"] == "received" and "1.8m" in case["description"]
    assert hub.cmd.post("/api/cases/sensor", sensor).status_code == 409  # the same event twice: one case
    alert = {
        "alert_id": "ALERT-9",
        "category_code": "3001",
        "description": "浙普渔68001 与商船存在碰撞风险",
        "lon": 122.6,
        "lat": 29.8,
        "priority": "urgent",
    }
    r = hub.cmd.post("/api/cases/alerts", alert)
    assert r.status_code == 201, r.text
    assert r.json()["case"]["status"] == "registered" and r.json()["case"]["priority"] == "urgent"
    assert db.scalar(select(func.count(Case.id)).where(Case.channel == "internal_alert")) == 1
