"""The Open311 GeoReport v2 façade, driven over HTTP by a tiny spec-following client in JSON and in XML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.auth.principal import SYSTEM
from pingan.cases import open311, open311_keys
from pingan.cases import service as case_service
from pingan.config import Settings
from pingan.kit.clock import utcnow
from tests.conftest import sign_in

PREFIX = "/open311/v2"
LIST_TAGS = frozenset({"service_requests", "services", "errors", "attributes", "values", "endpoints", "formats"})
NUMBER = re.compile(r"^ZS-\d{4}-\d{6}$")
POINT = {"lat": "29.955", "long": "122.305"}  # inside the land grid made below
FORMATS = ("json", "xml")


@pytest.fixture(autouse=True)
def _wire_open311(app: FastAPI) -> None:
    """Serve the router even before the app factory includes it."""
    if not any(getattr(r, "path", "").startswith("/open311") for r in app.routes):
        app.include_router(open311.router)


@pytest.fixture
def api_key(db: Session) -> str:
    """An active client key."""
    key = open311_keys.issue(db, "test-client", now=utcnow())
    db.commit()
    return key


@pytest.fixture
def grid(db: Session, make_grid: Callable[..., object]) -> object:
    """A land grid in 渔港社区 around :data:`POINT`."""
    made = make_grid("330903001001", 1, (122.30, 29.95))
    db.commit()
    return made


# ---------------------------------------------------------------- the client


def parse_xml(content: bytes) -> Any:
    """Parse an answer of our own server (trusted: no defusedxml needed in the tests)."""
    return from_xml(ET.fromstring(content))  # noqa: S314 - our own server's answer


def from_xml(el: ET.Element) -> Any:
    """An XML answer as the JSON answer's shape (leaf values stay text)."""
    children = list(el)
    if el.tag in LIST_TAGS:
        return [from_xml(c) for c in children]
    if children:
        return {c.tag: from_xml(c) for c in children}
    return el.text or ""


class GeoReport:
    """What a third-party client does: suffix the format, post forms, parse JSON or XML."""

    def __init__(self, http: TestClient, fmt: str) -> None:
        self.http = http
        self.fmt = fmt

    def url(self, path: str) -> str:
        return f"{PREFIX}/{path}.{self.fmt}"

    def parse(self, response: Any) -> Any:
        if self.fmt == "json":
            assert response.headers["content-type"].startswith("application/json")
            return response.json()
        assert response.headers["content-type"] == "text/xml; charset=utf-8"
        return parse_xml(response.content)

    def get(self, path: str, **params: str) -> tuple[int, Any]:
        response = self.http.get(self.url(path), params=params)
        return response.status_code, self.parse(response)

    def post(self, path: str, fields: dict[str, str] | list[tuple[str, str]]) -> tuple[int, Any]:
        response = self.http.post(self.url(path), data=fields)  # type: ignore[arg-type]
        return response.status_code, self.parse(response)


@pytest.fixture(params=FORMATS)
def geo(request: pytest.FixtureRequest, client: TestClient) -> GeoReport:
    """The client in each format."""
    return GeoReport(client, request.param)


def error_of(body: Any) -> tuple[str, str]:
    """The (code, description) of a one-error answer, code as text in both formats."""
    assert isinstance(body, list) and len(body) == 1, body
    return str(body[0]["code"]), body[0]["description"]


def report(geo: GeoReport, key: str, code: str = "0102", **extra: str) -> str:
    """Post a good request; the new case number."""
    fields = {"api_key": key, "service_code": code, **POINT, "description": "路边一堆生活垃圾", **extra}
    if code == "0102":
        fields.setdefault("attribute[volume]", "small")
    status, body = geo.post("requests", fields)
    assert status == 200, body
    return str(body[0]["service_request_id"])


# ---------------------------------------------------------------- discovery and services


def test_discovery_names_the_endpoint_and_both_formats(geo: GeoReport) -> None:
    status, body = geo.get("discovery")
    assert status == 200
    assert body["changeset"]
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "https://testserver/open311/v2"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$", endpoint["changeset"])


def test_services_list_public_small_classes_with_their_group(geo: GeoReport) -> None:
    status, body = geo.get("services")
    assert status == 200
    by_code = {s["service_code"]: s for s in body}
    rubbish = by_code["0102"]
    assert rubbish["service_name"] == "暴露垃圾"
    assert rubbish["group"] == "市容环境"
    assert rubbish["type"] == "realtime"
    assert str(rubbish["metadata"]).lower() == "true"
    assert str(by_code["0104"]["metadata"]).lower() == "false"
    assert "21" not in by_code and "2107" not in by_code  # 非警务警情 is not public
    assert all(len(code) == 4 for code in by_code)


def test_service_definition_turns_questions_into_attributes(geo: GeoReport) -> None:
    status, body = geo.get("services/0101")
    assert status == 200
    assert body["service_code"] == "0101"
    first, second, third = body["attributes"]
    assert first["code"] == "structure"
    assert first["datatype"] == "singlevaluelist"
    assert str(first["required"]).lower() == "true"
    assert str(first["variable"]).lower() == "true"
    assert str(first["order"]) == "1"
    assert first["description"] == "搭建类型"
    assert {"key": "steel_shed", "name": "彩钢棚"} in first["values"]
    assert str(third["order"]) == "3" and third["datatype"] == "number" and third["values"] == []
    assert second["datatype_description"]


def test_unknown_or_private_service_definition_is_404(geo: GeoReport) -> None:
    for code in ("9999", "2107"):
        status, body = geo.get(f"services/{code}")
        assert status == 404
        assert error_of(body)[0] == "404"


def test_unknown_format_and_unknown_resource_answer_404_in_the_error_format(client: TestClient) -> None:
    response = client.get(f"{PREFIX}/services.html")
    assert response.status_code == 404
    assert parse_xml(response.content)[0]["code"] == "404"
    response = client.get(f"{PREFIX}/nothing-here.json")
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404


# ---------------------------------------------------------------- POST requests


@pytest.mark.usefixtures("grid")
def test_post_without_or_with_a_bad_key_is_403(geo: GeoReport) -> None:
    fields = {"service_code": "0102", **POINT, "attribute[volume]": "small"}
    status, body = geo.post("requests", fields)
    assert status == 403 and error_of(body)[0] == "403"
    status, body = geo.post("requests", {**fields, "api_key": "o311_not-a-key"})
    assert status == 403 and error_of(body)[0] == "403"


@pytest.mark.usefixtures("grid")
def test_post_refusals_follow_the_spec(geo: GeoReport, api_key: str) -> None:
    base = {"api_key": api_key, "service_code": "0102", **POINT, "attribute[volume]": "small"}
    cases = [
        ({**base, "service_code": "9999"}, 404, "9999"),
        ({k: v for k, v in base.items() if k != "service_code"}, 400, "service_code"),
        ({k: v for k, v in base.items() if k not in POINT}, 400, "location"),
        ({**base, "long": ""}, 400, "lat and long"),
        ({k: v for k, v in base.items() if k != "attribute[volume]"}, 400, "attribute[volume]"),
        ({**base, "attribute[volume]": "huge"}, 400, "attribute[volume]"),
        ({**base, "description": "<b>垃圾</b>"}, 400, "HTML"),
        ({**base, "description": "垃" * 4001}, 400, "4000"),
        ({**base, "lat": "north"}, 400, "lat"),
        ({**base, "media_url": "javascript:alert(1)"}, 400, "media_url"),
    ]
    for fields, expected, needle in cases:
        status, body = geo.post("requests", fields)
        code, description = error_of(body)
        assert (status, code) == (expected, str(expected)), fields
        assert needle in description, description


@pytest.mark.usefixtures("grid")
def test_post_checks_number_attributes(geo: GeoReport, api_key: str) -> None:
    fields = {"api_key": api_key, "service_code": "0101", **POINT, "attribute[structure]": "steel_shed"}
    fields |= {"attribute[stage]": "built", "attribute[area_m2]": "lots"}
    status, body = geo.post("requests", fields)
    assert status == 400 and "attribute[area_m2]" in error_of(body)[1]
    status, body = geo.post("requests", {**fields, "attribute[area_m2]": "12.5"})
    assert status == 200, body


@pytest.mark.usefixtures("grid")
def test_post_answers_the_case_number_and_a_notice(geo: GeoReport, api_key: str) -> None:
    status, body = geo.post(
        "requests",
        {"api_key": api_key, "service_code": "0102", **POINT, "attribute[volume]": "small", "account_id": "u-42"},
    )
    assert status == 200
    (created,) = body
    assert NUMBER.match(created["service_request_id"])
    assert created["service_request_id"] in created["service_notice"]
    assert created["account_id"] == "u-42"


def test_post_with_an_address_only_is_accepted(geo: GeoReport, api_key: str) -> None:
    fields = {"api_key": api_key, "service_code": "0104", "address_string": "沈家门渔港路 1 号"}
    status, body = geo.post("requests", fields)
    assert status == 200, body
    status, body = geo.get(f"requests/{body[0]['service_request_id']}")
    assert body[0]["address"] == "沈家门渔港路 1 号"
    assert body[0]["description"] == "道路不洁"  # no description: the service name stands in


@pytest.mark.usefixtures("grid")
def test_post_accepts_multipart(client: TestClient, api_key: str) -> None:
    fields = {"api_key": api_key, "service_code": "0102", **POINT, "attribute[volume]": "large"}
    response = client.post(
        f"{PREFIX}/requests.json", data=fields, files={"media": ("a.png", b"\x89PNG-ish", "image/png")}
    )
    assert response.status_code == 200, response.text
    assert NUMBER.match(response.json()[0]["service_request_id"])


# ---------------------------------------------------------------- reading requests


@pytest.mark.usefixtures("grid")
def test_a_request_follows_the_case_through_the_loop(
    geo: GeoReport, api_key: str, db: Session, settings: Settings
) -> None:
    number = report(geo, api_key, media_url="https://example.org/p/1.jpg")
    status, body = geo.get(f"requests/{number}")
    assert status == 200
    (req,) = body
    assert req["service_request_id"] == number
    assert req["status"] == "open"
    assert req["extended_attributes"]["status"] == "OPEN"
    assert req["service_code"] == "0102" and req["service_name"] == "暴露垃圾"
    assert req["expected_datetime"].endswith("+08:00")
    assert req["requested_datetime"].endswith("+08:00")
    assert req["agency_responsible"] == ""
    assert req["media_url"] == "https://example.org/p/1.jpg"
    assert float(req["lat"]) == pytest.approx(29.955) and float(req["long"]) == pytest.approx(122.305)
    assert number in req["status_notes"]

    now = utcnow()
    case_service.transition(db, settings, number, "register", actor=SYSTEM, now=now)
    case = case_service.transition(db, settings, number, "dispatch", actor=SYSTEM, now=now)
    db.commit()
    unit = case.responsible_unit
    assert unit is not None
    (req,) = geo.get(f"requests/{number}")[1]
    assert req["status"] == "open"
    assert req["extended_attributes"]["status"] == "INVESTIGATING"
    assert req["agency_responsible"] == unit.name
    assert unit.name in req["status_notes"]

    later = now + timedelta(minutes=30)
    case_service.transition(db, settings, number, "accept", actor=SYSTEM, now=later)
    db.commit()
    (req,) = geo.get(f"requests/{number}")[1]
    assert req["extended_attributes"]["status"] == "ACTION_SCHEDULED"
    case_service.transition(db, settings, number, "handle", actor=SYSTEM, now=later, note="垃圾已清运")
    db.commit()
    (req,) = geo.get(f"requests/{number}")[1]
    assert req["status_notes"] == "垃圾已清运"
    case_service.transition(db, settings, number, "check_pass", actor=SYSTEM, now=later + timedelta(minutes=5))
    db.commit()
    (req,) = geo.get(f"requests/{number}")[1]
    assert req["status"] == "closed"
    assert req["extended_attributes"]["status"] == "FIXED"
    assert "已处理完毕" in req["status_notes"]
    closed_at = datetime.fromisoformat(req["updated_datetime"])
    assert closed_at == (later + timedelta(minutes=5)).replace(microsecond=0)
    assert req["agency_responsible"] == unit.name


def test_unknown_request_and_token_are_404(geo: GeoReport) -> None:
    for path in ("requests/ZS-1999-000001", "tokens/ZS-1999-000001"):
        status, body = geo.get(path)
        assert status == 404 and error_of(body)[0] == "404"


@pytest.mark.usefixtures("grid")
def test_a_token_is_the_case_number(geo: GeoReport, api_key: str) -> None:
    number = report(geo, api_key)
    status, body = geo.get(f"tokens/{number}")
    assert status == 200
    assert body == [{"service_request_id": number, "token": number}]


@pytest.mark.usefixtures("grid")
def test_request_filters(geo: GeoReport, api_key: str, db: Session, settings: Settings) -> None:
    rubbish = report(geo, api_key)
    road = report(geo, api_key, code="0104")
    closed = report(geo, api_key, code="0104")
    now = utcnow()
    case_service.transition(db, settings, closed, "reject", actor=SYSTEM, now=now, note="现场未发现")
    db.commit()

    def numbers(**params: str) -> list[str]:
        status, body = geo.get("requests", **params)
        assert status == 200, body
        return [r["service_request_id"] for r in body]

    assert {rubbish, road, closed} <= set(numbers())
    only_road = numbers(service_code="0104")
    assert road in only_road and closed in only_road and rubbish not in only_road
    assert set(numbers(service_code="0102,0104")) >= {rubbish, road, closed}
    assert closed not in numbers(status="open") and road in numbers(status="open")
    assert numbers(status="closed", service_code="0104") == [closed]
    assert set(numbers(service_request_id=f"{rubbish},{closed}", service_code="0101")) == {rubbish, closed}
    body = geo.get(f"requests/{closed}")[1]
    assert body[0]["status"] == "closed"
    assert body[0]["extended_attributes"]["status"] == "NOT_COUNCILS_RESPONSIBILITY"
    assert body[0]["status_notes"] == "现场未发现"
    assert len(numbers(page_size="1")) == 1
    assert numbers(page_size="1", page="2") == numbers(page_size="2")[1:]
    assert rubbish in numbers(
        start_date=(now - timedelta(days=1)).isoformat(), end_date=(now + timedelta(hours=1)).isoformat()
    )
    assert numbers(start_date="2020-01-01T00:00:00+08:00", end_date="2020-01-02T00:00:00+08:00") == []
    # a plain date is a valid start_date too
    assert rubbish in numbers(start_date=(now - timedelta(days=2)).date().isoformat())


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-06-01T00:00:00+08:00"}, "90 days"),
        ({"start_date": "2026-06-01T00:00:00+08:00", "end_date": "2026-01-01T00:00:00+08:00"}, "before"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"status": "pending"}, "status"),
        ({"page_size": "1001"}, "page_size"),
        ({"page": "zero"}, "page"),
    ],
)
def test_bad_request_queries_are_400(geo: GeoReport, params: dict[str, str], needle: str) -> None:
    status, body = geo.get("requests", **params)
    assert status == 400
    code, description = error_of(body)
    assert code == "400" and needle in description


@pytest.mark.usefixtures("grid")
def test_no_reporter_details_ever_leave(client: TestClient, api_key: str) -> None:
    fields = {
        "api_key": api_key,
        "service_code": "0102",
        **POINT,
        "attribute[volume]": "medium",
        "phone": "13800138000",
        "first_name": "三丰",
        "last_name": "张",
        "email": "zhang@example.org",
        "description": "张三丰报告：垃圾很多，联系 13800138000",
    }
    bodies = []
    for fmt in FORMATS:
        geo = GeoReport(client, fmt)
        response = client.post(geo.url("requests"), data=fields)
        assert response.status_code == 200, response.text
        bodies.append(response.text)
        number = geo.parse(response)[0]["service_request_id"]
        for path in (f"requests/{number}", "requests"):
            bodies.append(client.get(geo.url(path)).text)
        bodies.append(client.get(geo.url("requests"), params={"service_request_id": number}).text)
    for text in bodies:
        for secret in ("13800138000", "张三丰", "zhang@example.org"):
            assert secret not in text
    assert "138****8000" in bodies[1]  # the description is shown, masked


@pytest.mark.usefixtures("grid")
def test_post_needs_no_session_or_csrf_and_gets_need_no_sign_in(
    client: TestClient, api_key: str, make_user: Callable[..., object]
) -> None:
    make_user("o311_staff", "ZS-SZ", ["township_leader"])
    sign_in(client, "o311_staff")  # a session cookie without the CSRF header must not matter here
    fields = {"api_key": api_key, "service_code": "0102", **POINT, "attribute[volume]": "small"}
    response = client.post(f"{PREFIX}/requests.json", data=fields)
    assert response.status_code == 200, response.text
    client.cookies.clear()
    assert client.get(f"{PREFIX}/requests.json").status_code == 200


def test_revoked_key_is_refused(geo: GeoReport, db: Session) -> None:
    key = open311_keys.issue(db, "old-client", now=utcnow())
    open311_keys.revoke(db, "old-client", now=utcnow())
    db.commit()
    fields = {"api_key": key, "service_code": "0104", "address_string": "渔港路"}
    status, body = geo.post("requests", fields)
    assert status == 403 and error_of(body)[0] == "403"
