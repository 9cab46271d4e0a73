"""Open311 GeoReport v2 façade over the case hub: discovery, services and service requests, in JSON and XML.

The spec is small and frozen (governance.md §11). pingan keeps its richer state machine inside and shows it as
``open``/``closed`` plus mySociety's extended status (§5.4). Errors follow the spec, not pingan's own shape: 404 for
an unknown resource, 403 for a missing or bad ``api_key``, 400 for anything else, in the format of the path's suffix
(XML when the suffix itself is unknown). Handlers read the raw query and form, so FastAPI never answers for them.
Reporters' names, phones and e-mail never leave in an answer. Single jurisdiction: ``jurisdiction_id`` is ignored.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.auth.scope import Visibility
from pingan.cases import open311_keys, service
from pingan.cases.models import Case, CaseCategory, CaseStep
from pingan.cases.service import IntakeData, Upload
from pingan.cases.workflow import CLOSED_STATUSES, CaseStatus, Channel
from pingan.config import Settings
from pingan.deps import AppSettings, DbSession
from pingan.errors import PinganError
from pingan.kit.clock import as_utc, to_local, utcnow
from pingan.kit.masking import mask_id_number, mask_mobile, mask_name

router = APIRouter(prefix="/open311/v2", tags=["open311"])

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# No setting holds these yet; they are shown to client developers by discovery.
CONTACT = "平安舟山一网统管平台运维；群众诉求请拨打 12345 热线"
KEY_SERVICE = "API keys are issued by the operators: pingan cases open311-key NAME (向平台运维申请)"
MAX_SPAN = timedelta(days=90)  # the spec's widest start_date … end_date window
MAX_PAGE_SIZE = 1000  # the spec's default cap; page/page_size are the pagination extension (#16)
MAX_DESCRIPTION = 4000
HTML_TAG = re.compile(r"<\s*/?\s*[A-Za-z!?][^<>]*>")
ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# XML tag of one item in each list-valued element.
LIST_ITEMS = {
    "service_requests": "request",
    "services": "service",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
# governance.md §5.4: canonical state → mySociety extended status (the plain status is open/closed).
EXTENDED_STATUS: dict[CaseStatus, str] = {
    CaseStatus.RECEIVED: "OPEN",
    CaseStatus.REJECTED: "NOT_COUNCILS_RESPONSIBILITY",
    CaseStatus.REGISTERED: "OPEN",
    CaseStatus.DISPATCHED: "INVESTIGATING",
    CaseStatus.ACCEPTED: "ACTION_SCHEDULED",
    CaseStatus.RETURNED: "INTERNAL_REFERRAL",
    CaseStatus.IN_PROGRESS: "IN_PROGRESS",
    CaseStatus.HANDLED: "IN_PROGRESS",
    CaseStatus.REWORK: "REOPEN",
    CaseStatus.CLOSED_FIXED: "FIXED",
    CaseStatus.CLOSED_UNFIXABLE: "NO_FURTHER_ACTION",
    CaseStatus.CLOSED_DUPLICATE: "DUPLICATE",
    CaseStatus.REVISITED: "CLOSED",
}


class Fmt(StrEnum):
    """The two formats of the spec, named by the path suffix."""

    JSON = "json"
    XML = "xml"


class Open311Error(Exception):
    """An answer in the spec's error format."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# ---------------------------------------------------------------- rendering


def _xml_element(tag: str, value: Any) -> ET.Element:
    el = ET.Element(tag)
    if isinstance(value, Mapping):
        for key, item in value.items():
            el.append(_xml_element(key, item))
    elif isinstance(value, list):
        for item in value:
            el.append(_xml_element(LIST_ITEMS[tag], item))
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is not None:
        el.text = XML_INVALID.sub("", str(value))
    return el


def _respond(fmt: Fmt, payload: Any, *, root: str, status: int = 200) -> Response:
    if fmt is Fmt.JSON:
        return JSONResponse(payload, status_code=status, media_type="application/json; charset=utf-8")
    body = ET.tostring(_xml_element(root, payload), encoding="utf-8", xml_declaration=True)
    return Response(body, status_code=status, media_type="text/xml; charset=utf-8")


def _error(fmt: Fmt, status: int, description: str) -> Response:
    return _respond(fmt, [{"code": status, "description": description}], root="errors", status=status)


def _format(text: str) -> Fmt:
    try:
        return Fmt(text.lower())
    except ValueError:
        raise Open311Error(404, f"unknown format {text!r}: use .xml or .json") from None


def _run(fmt_text: str, build: Callable[[Fmt], Response]) -> Response:
    try:
        fmt = _format(fmt_text)
    except Open311Error as exc:
        return _error(Fmt.XML, exc.status, exc.description)
    try:
        return build(fmt)
    except Open311Error as exc:
        return _error(fmt, exc.status, exc.description)


def _w3c(value: datetime | None, settings: Settings) -> str | None:
    return to_local(value, settings.display_timezone).isoformat(timespec="seconds") if value is not None else None


def _redact(text: str, case: Case | None = None) -> str:
    """Mask mobile and ID numbers (and the reporter's own name) in free text shown to the public."""
    text = MOBILE.sub(lambda m: mask_mobile(m.group(0)), text)
    text = ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    name = case.reporter_name.strip() if case is not None else ""
    return text.replace(name, mask_name(name)) if len(name) >= 2 else text


# ---------------------------------------------------------------- categories as services


def _public_categories(session: Session, *, active_only: bool = True) -> dict[str, CaseCategory]:
    """Small classes offered to Open311 (their 大类 public too), by code."""
    stmt = select(CaseCategory).where(CaseCategory.level == 2, CaseCategory.public.is_(True))
    if active_only:
        stmt = stmt.where(CaseCategory.is_active.is_(True))
    out = {}
    for cat in session.scalars(stmt.order_by(CaseCategory.code)):
        parent = cat.parent
        if parent is None or (parent.public and (parent.is_active or not active_only)):
            out[cat.code] = cat
    return out


def _service_out(cat: CaseCategory) -> dict[str, Any]:
    return {
        "service_code": cat.code,
        "service_name": cat.name,
        "description": cat.register_conditions or cat.name,
        "metadata": bool(cat.questions),
        "type": "realtime",
        "keywords": cat.keywords or "",
        "group": cat.parent.name if cat.parent is not None else "",
    }


def _definition_out(cat: CaseCategory) -> dict[str, Any]:
    return {
        "service_code": cat.code,
        "attributes": [
            {
                "variable": True,
                "code": q["code"],
                "datatype": q["datatype"],
                "required": bool(q.get("required")),
                "datatype_description": q.get("description") or "",
                "order": order,
                "description": q["label"],
                "values": [{"key": v["key"], "name": v["name"]} for v in q.get("values") or []],
            }
            for order, q in enumerate(cat.questions or [], start=1)
        ],
    }


# ---------------------------------------------------------------- cases as service requests


def _fill(template: str, case: Case, settings: Settings, expected: datetime | None) -> str:
    unit = case.responsible_unit
    due = to_local(expected, settings.display_timezone).strftime("%Y-%m-%d %H:%M") if expected else ""
    values = {"number": case.number, "category": case.category.name, "unit": unit.name if unit else "", "due": due}
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def _expected(case: Case, closed: bool) -> datetime | None:
    return case.handle_due_at if closed else (case.handle_due_at or case.step_due_at)


def _status_notes(case: Case, steps: list[CaseStep], settings: Settings, expected: datetime | None) -> str:
    """The latest public note written since the case entered its status, else the status's reply template."""
    entered = max((s.seq for s in steps if s.to_status == case.status and s.from_status != s.to_status), default=0)
    for step in reversed(steps):
        if step.seq < entered:
            break
        if step.public and step.action != "report" and step.note.strip():
            return _redact(step.note.strip(), case)
    template = (case.category.reply_templates or {}).get(case.status, "")
    return _fill(template, case, settings, expected)


def _service_notice(case: Case, closed: bool, settings: Settings, expected: datetime | None) -> str:
    if closed:
        return ""
    if case.is_overdue:
        return "处置已超过时限，已启动督办"
    return _fill("预计 {due} 前处置完毕", case, settings, expected) if expected else ""


def _request_out(case: Case, steps: list[CaseStep], settings: Settings) -> dict[str, Any]:
    status = CaseStatus(case.status)
    closed = status in CLOSED_STATUSES
    expected = _expected(case, closed)
    unit = case.responsible_unit
    media = str((case.attributes or {}).get("media_url") or "")
    return {
        "service_request_id": case.number,
        "status": "closed" if closed else "open",
        "status_notes": _status_notes(case, steps, settings, expected),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": _redact(case.description, case),
        "agency_responsible": unit.name if unit is not None else "",
        "service_notice": _service_notice(case, closed, settings, expected),
        "requested_datetime": _w3c(case.reported_at, settings),
        "updated_datetime": _w3c((case.closed_at or case.updated_at) if closed else case.updated_at, settings),
        "expected_datetime": _w3c(expected, settings),
        "address": case.address,
        "address_id": "",
        "zipcode": "",
        "lat": case.lat,
        "long": case.lon,
        "media_url": media if media.startswith(("https://", "http://")) else "",
        "extended_attributes": {"status": EXTENDED_STATUS[status]},
    }


def _requests_out(session: Session, settings: Settings, cases: list[Case]) -> list[dict[str, Any]]:
    by_case: dict[int, list[CaseStep]] = {c.id: [] for c in cases}
    if cases:
        stmt = select(CaseStep).where(CaseStep.case_id.in_(list(by_case))).order_by(CaseStep.case_id, CaseStep.seq)
        for step in session.scalars(stmt):
            by_case[step.case_id].append(step)
    return [_request_out(c, by_case[c.id], settings) for c in cases]


def _public_case(session: Session, number: str) -> Case:
    ids = [c.id for c in _public_categories(session, active_only=False).values()]
    case = session.scalars(select(Case).where(Case.number == number.strip().upper(), Case.category_id.in_(ids))).first()
    if case is None:
        raise Open311Error(404, f"no service request {number}")
    return case


# ---------------------------------------------------------------- query parsing


def _param(params: Mapping[str, str], name: str) -> str | None:
    value = (params.get(name) or "").strip()
    return value or None


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _when(text: str, name: str, settings: Settings) -> datetime:
    """A W3C datetime; a naive one is local time. A '+' sent unencoded arrives as a space, so take it back."""
    text = text.strip()
    if "T" in text and " " in text:
        text = text.replace(" ", "+")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(400, f"{name} {text!r} is not a W3C datetime such as 2026-11-01T08:00:00+08:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(settings.display_timezone))
    return as_utc(value)


def _positive(text: str | None, name: str, default: int, maximum: int | None = None) -> int:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise Open311Error(400, f"{name} must be a whole number") from None
    if value < 1 or (maximum is not None and value > maximum):
        raise Open311Error(400, f"{name} must be between 1 and {maximum}" if maximum else f"{name} must be ≥ 1")
    return value


def _window(params: Mapping[str, str], settings: Settings) -> tuple[datetime, datetime]:
    """start_date … end_date: at most 90 days; one missing bound lies 90 days from the other (default: until now)."""
    start_text, end_text = _param(params, "start_date"), _param(params, "end_date")
    start = _when(start_text, "start_date", settings) if start_text else None
    end = _when(end_text, "end_date", settings) if end_text else None
    if start is None:
        end = end or utcnow()
        return end - MAX_SPAN, end
    if end is None:
        return start, start + MAX_SPAN
    if end < start:
        raise Open311Error(400, "end_date is before start_date")
    if end - start > MAX_SPAN:
        raise Open311Error(400, "start_date and end_date may be at most 90 days apart")
    return start, end


def _query_requests(session: Session, settings: Settings, params: Mapping[str, str]) -> list[Case]:
    public = _public_categories(session, active_only=False)
    page = _positive(_param(params, "page"), "page", 1)
    size = _positive(_param(params, "page_size"), "page_size", MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    stmt = select(Case).where(Case.category_id.in_([c.id for c in public.values()]))
    numbers = [n.upper() for n in _split(_param(params, "service_request_id"))]
    if numbers:  # the spec: service_request_id overrides every other filter
        if len(numbers) > MAX_PAGE_SIZE:
            raise Open311Error(400, f"at most {MAX_PAGE_SIZE} service_request_id values")
        stmt = stmt.where(Case.number.in_(numbers))
    else:
        codes = _split(_param(params, "service_code"))
        if codes:
            stmt = stmt.where(Case.category_id.in_([public[c].id for c in codes if c in public]))
        start, end = _window(params, settings)
        stmt = stmt.where(Case.reported_at >= start, Case.reported_at <= end)
        wanted = set(_split(_param(params, "status")))
        if wanted - {"open", "closed"}:
            raise Open311Error(400, "status is open, closed or open,closed")
        closed = [s.value for s in CLOSED_STATUSES]
        if wanted == {"open"}:
            stmt = stmt.where(Case.status.not_in(closed))
        elif wanted == {"closed"}:
            stmt = stmt.where(Case.status.in_(closed))
    stmt = stmt.order_by(Case.reported_at.desc(), Case.id.desc()).limit(size).offset((page - 1) * size)
    return list(session.scalars(stmt))


# ---------------------------------------------------------------- POST requests


def _answers(questions: list[dict[str, Any]], raw: dict[str, list[str]], settings: Settings) -> dict[str, Any]:
    """Check ``attribute[code]`` values against the service definition; unknown codes are ignored."""
    out: dict[str, Any] = {}
    for q in questions:
        code, label, datatype = q["code"], q["label"], q["datatype"]
        name = f"attribute[{code}] ({label})"
        given = [v.strip() for v in raw.get(code, []) if v.strip()]
        if not given:
            if q.get("required"):
                raise Open311Error(400, f"{name} is required")
            continue
        keys = [str(v["key"]) for v in q.get("values") or []]
        if datatype in ("singlevaluelist", "multivaluelist"):
            bad = [v for v in given if v not in keys]
            if bad:
                raise Open311Error(400, f"{name}: {bad[0]!r} is not one of {', '.join(keys)}")
            if datatype == "singlevaluelist" and len(set(given)) > 1:
                raise Open311Error(400, f"{name} takes one value")
            out[code] = given[0] if datatype == "singlevaluelist" else list(dict.fromkeys(given))
        elif datatype == "number":
            try:
                number = float(given[0])
            except ValueError:
                raise Open311Error(400, f"{name}: {given[0]!r} is not a number") from None
            if not math.isfinite(number):
                raise Open311Error(400, f"{name}: {given[0]!r} is not a number")
            out[code] = int(number) if number.is_integer() and abs(number) < 2**53 else number
        elif datatype == "datetime":
            out[code] = _w3c(_when(given[0], name, settings), settings)
        else:
            limit = 200 if datatype == "string" else MAX_DESCRIPTION
            if len(given[0]) > limit:
                raise Open311Error(400, f"{name} is limited to {limit} characters")
            out[code] = given[0]
    return out


def _coordinate(text: str | None, name: str) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise Open311Error(400, f"{name} {text!r} is not a decimal degree") from None


def _reporter_name(first: str, last: str) -> str:
    # Chinese names put the family name first and take no space.
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"
    return " ".join(p for p in (first, last) if p)


def _status_of(exc: PinganError) -> int:
    return 404 if exc.status_code == 404 else 403 if exc.status_code in (401, 403) else 400


def _create(
    session: Session, settings: Settings, fields: list[tuple[str, str]], files: list[Upload], query: Mapping[str, str]
) -> list[dict[str, Any]]:
    form: dict[str, str] = {}
    raw: dict[str, list[str]] = {}
    for name, text in fields:
        if match := ATTRIBUTE_KEY.match(name):
            raw.setdefault(match.group(1), []).append(text)
        else:
            form.setdefault(name, text)
    client = open311_keys.client_for(session, _param(form, "api_key") or _param(query, "api_key"))
    if client is None:
        raise Open311Error(403, "a valid api_key is required to post a service request")
    code = _param(form, "service_code")
    if code is None:
        raise Open311Error(400, "service_code is required")
    cat = _public_categories(session).get(code)
    if cat is None:
        raise Open311Error(404, f"no service {code!r}")
    lat, lon = _coordinate(_param(form, "lat"), "lat"), _coordinate(_param(form, "long"), "long")
    address, address_id = _param(form, "address_string") or "", _param(form, "address_id")
    if (lat is None) != (lon is None):
        raise Open311Error(400, "give both lat and long")
    if lat is None and not address and address_id is None:
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    if not address and address_id is not None:
        address = f"地址编号 {address_id}"
    attributes = _answers(cat.questions or [], raw, settings)
    description = _param(form, "description") or ""
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description is limited to {MAX_DESCRIPTION} characters")
    if HTML_TAG.search(description):
        raise Open311Error(400, "description may not contain HTML")
    media_url = _param(form, "media_url")
    if media_url is not None:
        if not media_url.startswith(("https://", "http://")) or len(media_url) > 500 or HTML_TAG.search(media_url):
            raise Open311Error(400, "media_url must be an http(s) URL of at most 500 characters")
        attributes["media_url"] = media_url
    account_id = _param(form, "account_id")
    attributes["open311_client"] = client.name
    for key in ("account_id", "device_id"):
        if value := _param(form, key):
            attributes[f"open311_{key}"] = value[:100]
    # e-mail is not kept: the hub stores reporters' contact details only encrypted, and only the phone has a column.
    data = IntakeData(
        channel=Channel.OPEN311,
        category_code=cat.code,
        description=description or cat.name,
        lon=lon,
        lat=lat,
        address=address,
        reporter_name=_reporter_name(_param(form, "first_name") or "", _param(form, "last_name") or ""),
        reporter_phone=_param(form, "phone"),
        attributes=attributes,
        files=files,
    )
    actor = Principal(
        label=f"open311:{client.name}",
        permissions=frozenset({Permission.CASE_REPORT.value}),
        visibility=Visibility(),
    )
    try:
        with session.begin_nested():  # a refused report leaves nothing behind when the request commits
            case = service.intake(session, settings, data, actor=actor, now=utcnow()).case
    except PinganError as exc:
        raise Open311Error(_status_of(exc), exc.message) from None
    notice = _fill((cat.reply_templates or {}).get(case.status, ""), case, settings, _expected(case, False))
    return [{"service_request_id": case.number, "service_notice": notice, "account_id": account_id}]


async def _read_form(request: Request) -> tuple[list[tuple[str, str]], list[Upload]]:
    """Form fields and uploaded ``media`` files (media-upload extension #9) of a form-encoded or multipart body."""
    try:
        form = await request.form()
    except (MultiPartException, StarletteHTTPException, ValueError) as exc:
        raise Open311Error(400, f"unreadable form body: {getattr(exc, 'detail', exc)}") from None
    fields: list[tuple[str, str]] = []
    files: list[Upload] = []
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key != "media" or not value.filename:
                raise Open311Error(400, f"{key} must be a text field")
            files.append(Upload(value.filename, value.content_type or "application/octet-stream", await value.read()))
        else:
            fields.append((key, value))
    return fields, files


# ---------------------------------------------------------------- endpoints


@router.get("/discovery.{fmt}", summary="Service discovery")
def discovery(fmt: str, request: Request, session: DbSession, settings: AppSettings) -> Response:
    """Where the endpoint lives, which formats it speaks, and when its services last changed."""

    def build(f: Fmt) -> Response:
        changeset = _w3c(session.scalar(select(func.max(CaseCategory.updated_at))), settings)
        endpoint = {
            "specification": SPECIFICATION,
            "url": str(request.base_url).rstrip("/") + router.prefix,
            "changeset": changeset,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }
        body = {"changeset": changeset, "contact": CONTACT, "key_service": KEY_SERVICE, "endpoints": [endpoint]}
        return _respond(f, body, root="discovery")

    return _run(fmt, build)


@router.get("/services.{fmt}", summary="Service list (the public 小类)")
def services(fmt: str, session: DbSession) -> Response:
    """Each public, active small class with its 大类 as ``group``."""

    def build(f: Fmt) -> Response:
        return _respond(f, [_service_out(c) for c in _public_categories(session).values()], root="services")

    return _run(fmt, build)


@router.get("/services/{service_code}.{fmt}", summary="Service definition (the category's questions)")
def service_definition(service_code: str, fmt: str, session: DbSession) -> Response:
    """The questions of a small class as attributes; 404 for an unknown or non-public code."""

    def build(f: Fmt) -> Response:
        cat = _public_categories(session).get(service_code.strip())
        if cat is None:
            raise Open311Error(404, f"no service {service_code!r}")
        return _respond(f, _definition_out(cat), root="service_definition")

    return _run(fmt, build)


@router.post("/requests.{fmt}", summary="Create a service request (needs api_key)")
async def create_request(fmt: str, request: Request, session: DbSession, settings: AppSettings) -> Response:
    """Form-encoded (or multipart) POST; answers the case number at once (realtime)."""
    try:
        f = _format(fmt)
    except Open311Error as exc:
        return _error(Fmt.XML, exc.status, exc.description)
    try:
        fields, files = await _read_form(request)
        payload = _create(session, settings, fields, files, request.query_params)
    except Open311Error as exc:
        return _error(f, exc.status, exc.description)
    return _respond(f, payload, root="service_requests")


@router.get("/tokens/{token}.{fmt}", summary="Token → service request id")
def token(token: str, fmt: str, session: DbSession) -> Response:
    """Requests are realtime here, so a token is the case number itself."""

    def build(f: Fmt) -> Response:
        case = _public_case(session, token)
        return _respond(f, [{"service_request_id": case.number, "token": token}], root="service_requests")

    return _run(fmt, build)


@router.get("/requests.{fmt}", summary="Query service requests")
def list_requests(fmt: str, request: Request, session: DbSession, settings: AppSettings) -> Response:
    """Filters: service_request_id, service_code, start_date, end_date (≤ 90 days), status; page and page_size."""

    def build(f: Fmt) -> Response:
        cases = _query_requests(session, settings, request.query_params)
        return _respond(f, _requests_out(session, settings, cases), root="service_requests")

    return _run(fmt, build)


@router.get("/requests/{service_request_id}.{fmt}", summary="One service request")
def get_request(service_request_id: str, fmt: str, session: DbSession, settings: AppSettings) -> Response:
    """A list holding the one request; 404 for an unknown number or a non-public category."""

    def build(f: Fmt) -> Response:
        case = _public_case(session, service_request_id)
        return _respond(f, _requests_out(session, settings, [case]), root="service_requests")

    return _run(fmt, build)


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def unknown(rest: str) -> Response:
    """Anything else under the prefix: 404 in the spec's format (JSON for a .json path, else XML)."""
    fmt = Fmt.JSON if rest.lower().endswith(".json") else Fmt.XML
    return _error(fmt, 404, f"no resource {rest!r}")
