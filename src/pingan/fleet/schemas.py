"""API shapes of the vessel files, groups and cadres, their Chinese labels, and the checks of their fields.

Personal data of owners, operators, crews and cadres leaves only masked (the ``masked`` constructors below); the
clear values go out through the audited reveal actions of :mod:`pingan.fleet.parties`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from pingan.fleet.models import (
    Cadre,
    Certificate,
    CertificateKind,
    CrewMember,
    CrewRole,
    EventKind,
    HullMaterial,
    OperationType,
    Party,
    PartyKind,
    TerminalKind,
)
from pingan.kit.crypto import FieldCipher
from pingan.kit.idcard import birth_date_of, id_number_problem, is_mobile, normalize_id_number
from pingan.kit.masking import mask_id_number, mask_mobile, mask_name
from pingan.people.schemas import FORMULA_PREFIXES, RevealIn, RevealOut

__all__ = ["RevealIn", "RevealOut"]  # the reveal shapes are the people register's

OPERATION_TYPE_LABELS_ZH: dict[OperationType, str] = {
    OperationType.TRAWL: "拖网",
    OperationType.GILLNET: "刺网",
    OperationType.PURSE_SEINE: "围网",
    OperationType.STOW_NET: "张网",
    OperationType.DRIFT_NET: "流网",
    OperationType.SQUID_JIGGING: "鱿钓",
    OperationType.LIGHT_PURSE_SEINE: "灯光围网",
    OperationType.LONGLINE: "延绳钓",
    OperationType.CAGE: "笼壶",
    OperationType.AUXILIARY: "辅助船",
}
HULL_MATERIAL_LABELS_ZH: dict[HullMaterial, str] = {
    HullMaterial.STEEL: "钢质",
    HullMaterial.WOOD: "木质",
    HullMaterial.FRP: "玻璃钢",
    HullMaterial.ALUMINIUM: "铝合金",
}
CREW_ROLE_LABELS_ZH: dict[CrewRole, str] = {
    CrewRole.CAPTAIN: "船长",
    CrewRole.FIRST_MATE: "大副",
    CrewRole.CHIEF_ENGINEER: "轮机长",
    CrewRole.ENGINEER: "轮机员",
    CrewRole.RADIO_OPERATOR: "报务员",
    CrewRole.DECKHAND: "普通船员",
}
CERTIFICATE_KIND_LABELS_ZH: dict[CertificateKind, str] = {
    CertificateKind.NATIONALITY: "渔业船舶国籍证书",
    CertificateKind.FISHING_LICENCE: "捕捞许可证",
    CertificateKind.INSPECTION: "渔业船舶检验证书",
    CertificateKind.INSURANCE: "保险",
}
TERMINAL_KIND_LABELS_ZH: dict[TerminalKind, str] = {
    TerminalKind.AIS_A: "AIS A类",
    TerminalKind.AIS_B: "AIS B类",
    TerminalKind.BEIDOU: "北斗船载终端",
    TerminalKind.LOCATOR: "示位仪",
}
EVENT_KIND_LABELS_ZH: dict[EventKind, str] = {
    EventKind.VIOLATION: "违规",
    EventKind.INCIDENT: "事故/险情",
    EventKind.TRAINING: "安全培训",
}

# 船名号: 浙 + the port's one- or two-character abbreviation (岱, 普, 嵊, 定 …) + 渔 + five digits.
REGISTRATION_RE = re.compile(r"^浙[\u4e00-\u9fa5]{1,2}渔\d{5}$")
# A ship station MMSI (MIDXXXXXX) under one of China's maritime identification digits 412, 413, 414.
MMSI_RE = re.compile(r"^41[234]\d{6}$")
DEVICE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{2,39}$")
GROUP_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{1,19}$")
# GB 32100-2015 统一社会信用代码: 18 characters from this alphabet, the last a MOD 31 check character.
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_RE = re.compile(rf"^[{CREDIT_CODE_CHARS}]{{18}}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
StrEnumT = TypeVar("StrEnumT", bound=StrEnum)

LENGTH_M_RANGE = (3.0, 150.0)  # 船长, metres
GROSS_TONNAGE_RANGE = (0.5, 10_000.0)  # 总吨
ENGINE_POWER_KW_RANGE = (1.0, 10_000.0)  # 主机功率, kW
FIRST_BUILD_YEAR = 1950


def credit_code_check_char(first17: str) -> str:
    """The check character of the first 17 characters of a unified social credit code (GB 32100, MOD 31).

    >>> credit_code_check_char("91350100M000100Y4")
    '3'
    """
    total = sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def credit_code_problem(value: str) -> str | None:
    """Say what is wrong with a unified social credit code, or ``None`` when it is valid.

    >>> credit_code_problem("91350100M000100Y43") is None, credit_code_problem("91350100M000100Y44")
    (True, 'wrong check character (expected 3)')
    """
    if not _CREDIT_RE.match(value):
        return "must be 18 characters of digits and capital letters (no I, O, S, V, Z)"
    expected = credit_code_check_char(value[:17])
    if value[17] != expected:
        return f"wrong check character (expected {expected})"
    return None


def mmsi_problem(value: str) -> str | None:
    """Say what is wrong with a fishing vessel's MMSI, or ``None`` for a 9-digit ship MMSI under MID 412–414.

    >>> mmsi_problem("412345678") is None, mmsi_problem("41234567"), mmsi_problem("477123456")
    (True, 'MMSI must be 9 digits', 'MMSI must start with a Chinese MID (412, 413 or 414)')
    """
    if not (len(value) == 9 and value.isdigit()):
        return "MMSI must be 9 digits"
    if not MMSI_RE.match(value):
        return "MMSI must start with a Chinese MID (412, 413 or 414)"
    return None


def clean_text(value: object, *, field: str, max_length: int, problems: list[tuple[str, str]]) -> str:
    """Collapse blanks; note a problem when empty, too long, holding control characters or a formula prefix."""
    text = " ".join(str(value or "").split())
    if not 1 <= len(text) <= max_length or _CONTROL_RE.search(text):
        problems.append((field, f"{field} must be 1–{max_length} characters"))
    elif text.startswith(FORMULA_PREFIXES):
        problems.append((field, f"{field} must not start with =, +, - or @"))
    return text


def _enum_value(enum: type[StrEnumT], value: object, field: str, problems: list[tuple[str, str]]) -> StrEnumT | None:
    try:
        return enum(str(value))
    except ValueError:
        problems.append((field, f"{field} must be one of {', '.join(e.value for e in enum)}"))
        return None


def _number_in(value: object, bounds: tuple[float, float], field: str, problems: list[tuple[str, str]]) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = float("nan")
    low, high = bounds
    if not low <= number <= high:  # also refuses NaN
        problems.append((field, f"{field} must be between {low:g} and {high:g}"))
    return number


VESSEL_FIELDS = (
    "registration_no",
    "name",
    "port_of_registry",
    "hull_material",
    "length_m",
    "gross_tonnage",
    "engine_power_kw",
    "build_year",
    "operation_type",
)


def check_vessel_fields(
    values: Mapping[str, object], *, this_year: int
) -> tuple[dict[str, object], list[tuple[str, str]]]:
    """Check and normalise the given vessel fields (any subset of :data:`VESSEL_FIELDS`).

    Returns the clean values and (field, problem) pairs; a missing field is not checked, so the same function
    serves a new file (the caller checks that every field is present) and a change.
    """
    problems: list[tuple[str, str]] = []
    clean: dict[str, object] = {}
    if "registration_no" in values:
        number = str(values["registration_no"] or "").strip().replace(" ", "")
        if not REGISTRATION_RE.match(number):
            problems.append(("registration_no", "registration number must read like 浙岱渔03123"))
        clean["registration_no"] = number
    if "name" in values:
        clean["name"] = clean_text(values["name"], field="name", max_length=40, problems=problems)
    if "port_of_registry" in values:
        clean["port_of_registry"] = clean_text(
            values["port_of_registry"], field="port_of_registry", max_length=40, problems=problems
        )
    if "hull_material" in values:
        clean["hull_material"] = _enum_value(HullMaterial, values["hull_material"], "hull_material", problems)
    if "operation_type" in values:
        clean["operation_type"] = _enum_value(OperationType, values["operation_type"], "operation_type", problems)
    if "length_m" in values:
        clean["length_m"] = _number_in(values["length_m"], LENGTH_M_RANGE, "length_m", problems)
    if "gross_tonnage" in values:
        clean["gross_tonnage"] = _number_in(values["gross_tonnage"], GROSS_TONNAGE_RANGE, "gross_tonnage", problems)
    if "engine_power_kw" in values:
        clean["engine_power_kw"] = _number_in(
            values["engine_power_kw"], ENGINE_POWER_KW_RANGE, "engine_power_kw", problems
        )
    if "build_year" in values:
        year = values["build_year"]
        if not isinstance(year, int) or isinstance(year, bool) or not FIRST_BUILD_YEAR <= year <= this_year:
            problems.append(("build_year", f"build year must be between {FIRST_BUILD_YEAR} and {this_year}"))
        clean["build_year"] = year
    return clean, problems


@dataclass(frozen=True)
class PartyData:
    """An owner's or operator's fields after checking: a person (ID number) or a company (credit code)."""

    kind: PartyKind
    name: str
    id_number: str | None
    phone: str | None
    credit_code: str | None
    address: str


def clean_phone(value: object, problems: list[tuple[str, str]]) -> str | None:
    """A mainland mobile number without blanks or dashes, or None when not given."""
    if value in (None, ""):
        return None
    phone = re.sub(r"[\s-]", "", str(value))
    if not is_mobile(phone):
        problems.append(("phone", "phone must be an 11-digit mobile number starting 13–19"))
    return phone


def clean_id_number(value: object, problems: list[tuple[str, str]], *, today: date) -> str:
    """A checked 18-digit identity number (GB 11643), upper-case X."""
    number = normalize_id_number(str(value or ""))
    problem = id_number_problem(number)
    if problem:
        problems.append(("id_number", f"ID number: {problem}"))
    elif birth_date_of(number) > today:
        problems.append(("id_number", "ID number: birth date is in the future"))
    return number


def check_party(
    *,
    kind: object,
    name: object,
    id_number: object = None,
    phone: object = None,
    credit_code: object = None,
    address: object = None,
    today: date,
) -> tuple[PartyData | None, list[tuple[str, str]]]:
    """Check an owner or operator: a person needs a valid ID number, a company a valid credit code."""
    problems: list[tuple[str, str]] = []
    party_kind = _enum_value(PartyKind, kind, "kind", problems)
    clean_name = clean_text(name, field="name", max_length=100, problems=problems)
    clean_address = " ".join(str(address or "").split())
    if len(clean_address) > 200 or _CONTROL_RE.search(clean_address):
        problems.append(("address", "address must be at most 200 characters"))
    mobile = clean_phone(phone, problems)
    number: str | None = None
    code: str | None = None
    if party_kind is PartyKind.PERSON:
        number = clean_id_number(id_number, problems, today=today)
        if credit_code not in (None, ""):
            problems.append(("credit_code", "a person has an ID number, not a credit code"))
    elif party_kind is PartyKind.COMPANY:
        code = str(credit_code or "").strip().upper()
        problem = credit_code_problem(code)
        if problem:
            problems.append(("credit_code", f"credit code: {problem}"))
        if id_number not in (None, ""):
            problems.append(("id_number", "a company has a credit code, not an ID number"))
    if problems or party_kind is None:
        return None, problems
    return PartyData(party_kind, clean_name, number, mobile, code, clean_address), []


# ---------------------------------------------------------------- parties and crews


class PartyIn(BaseModel):
    """An owner or operator: a person (ID number) or a company (unified social credit code)."""

    kind: PartyKind
    name: str = Field(min_length=1, max_length=100)
    id_number: str | None = Field(default=None, max_length=20)
    phone: str | None = Field(default=None, max_length=20)
    credit_code: str | None = Field(default=None, max_length=18)
    address: str = Field(default="", max_length=200)


class PartyOut(BaseModel):
    """An owner or operator as everyone sees it: a person's name, ID number and phone masked."""

    id: int
    kind: PartyKind
    name: str
    id_number: str | None
    credit_code: str | None
    phone: str | None
    address: str

    @classmethod
    def masked(cls, party: Party, cipher: FieldCipher) -> PartyOut:
        """Mask a stored party (a company's name and credit code are public)."""
        person = party.kind == PartyKind.PERSON
        return cls(
            id=party.id,
            kind=party.kind,
            name=mask_name(party.name) if person else party.name,
            id_number=mask_id_number(cipher.decrypt(party.id_enc)) if party.id_enc else None,
            credit_code=party.credit_code,
            phone=mask_mobile(cipher.decrypt(party.phone_enc)) if party.phone_enc else None,
            address=party.address,
        )


class CrewIn(BaseModel):
    """A crew member with the certificate of competency (职务船员证书)."""

    name: str = Field(min_length=1, max_length=40)
    role: CrewRole
    id_number: str = Field(min_length=1, max_length=20)
    phone: str | None = Field(default=None, max_length=20)
    certificate_no: str | None = Field(default=None, max_length=40)
    certificate_expires_on: date | None = None
    on_board: bool = True


class CrewPatch(BaseModel):
    """Changes to a crew member (only the fields sent)."""

    role: CrewRole | None = None
    phone: str | None = Field(default=None, max_length=20)
    certificate_no: str | None = Field(default=None, max_length=40)
    certificate_expires_on: date | None = None
    on_board: bool | None = None


class CrewOut(BaseModel):
    """A crew member, masked."""

    id: int
    vessel_id: int
    name: str
    role: CrewRole
    role_label: str
    id_number: str | None
    phone: str | None
    certificate_no: str | None
    certificate_expires_on: date | None
    on_board: bool

    @classmethod
    def masked(cls, crew: CrewMember, cipher: FieldCipher) -> CrewOut:
        """Mask a stored crew member."""
        return cls(
            id=crew.id,
            vessel_id=crew.vessel_id,
            name=mask_name(crew.name),
            role=crew.role,
            role_label=CREW_ROLE_LABELS_ZH.get(CrewRole(crew.role), crew.role),
            id_number=mask_id_number(cipher.decrypt(crew.id_enc)) if crew.id_enc else None,
            phone=mask_mobile(cipher.decrypt(crew.phone_enc)) if crew.phone_enc else None,
            certificate_no=crew.certificate_no,
            certificate_expires_on=crew.certificate_expires_on,
            on_board=crew.on_board,
        )


# ---------------------------------------------------------------- vessels


class VesselIn(BaseModel):
    """A new vessel file (一船一档); the name defaults to the registration number."""

    registration_no: str = Field(min_length=1, max_length=20, examples=["浙岱渔03123"])
    name: str | None = Field(default=None, max_length=40)
    port_of_registry: str = Field(min_length=1, max_length=40, examples=["舟山"])
    home_unit_code: str = Field(min_length=1, max_length=32, description="township or village unit")
    home_port_code: str | None = Field(default=None, max_length=20)
    hull_material: HullMaterial
    length_m: float
    gross_tonnage: float
    engine_power_kw: float
    build_year: int
    operation_type: OperationType
    owner: PartyIn | None = None
    operator: PartyIn | None = None


class VesselPatch(BaseModel):
    """Changes to a vessel file (only the fields sent)."""

    registration_no: str | None = Field(default=None, max_length=20)
    name: str | None = Field(default=None, max_length=40)
    port_of_registry: str | None = Field(default=None, max_length=40)
    home_unit_code: str | None = Field(default=None, max_length=32)
    home_port_code: str | None = Field(default=None, max_length=20)
    hull_material: HullMaterial | None = None
    length_m: float | None = None
    gross_tonnage: float | None = None
    engine_power_kw: float | None = None
    build_year: int | None = None
    operation_type: OperationType | None = None
    is_active: bool | None = None


class HomeUnitRef(BaseModel):
    """An organisation unit named in an answer."""

    id: int
    code: str
    name: str


class VesselSummaryOut(BaseModel):
    """A vessel in a list."""

    id: int
    registration_no: str
    name: str
    home_unit: HomeUnitRef
    operation_type: OperationType
    operation_type_label: str
    hull_material: HullMaterial
    length_m: float
    gross_tonnage: float
    engine_power_kw: float
    build_year: int
    is_active: bool
    mmsi: str | None
    group_code: str | None


class TerminalIn(BaseModel):
    """Fit a terminal: AIS Class A/B with an MMSI, BeiDou or a locator with its device id."""

    kind: TerminalKind
    mmsi: str | None = Field(default=None, max_length=9)
    device_id: str | None = Field(default=None, max_length=40)
    installed_at: datetime | None = Field(default=None, description="default: now")


class TerminalRemoveIn(BaseModel):
    """Remove a fitted terminal."""

    removed_at: datetime | None = Field(default=None, description="default: now")


class MmsiChangeIn(BaseModel):
    """Replace the vessel's live AIS terminal by one with a new MMSI (one step, one history)."""

    mmsi: str = Field(min_length=9, max_length=9)
    kind: Literal["ais_a", "ais_b"] | None = Field(default=None, description="default: the old terminal's kind")
    at: datetime | None = Field(default=None, description="default: now")


class TerminalOut(BaseModel):
    """A terminal's time on the vessel."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    vessel_id: int
    kind: TerminalKind
    mmsi: str | None
    device_id: str | None
    installed_at: datetime
    removed_at: datetime | None


class CertificateIn(BaseModel):
    """A vessel certificate with its validity."""

    kind: CertificateKind
    number: str = Field(min_length=1, max_length=40)
    issued_on: date
    expires_on: date


class CertificatePatch(BaseModel):
    """A renewal or correction of a certificate (only the fields sent)."""

    number: str | None = Field(default=None, max_length=40)
    issued_on: date | None = None
    expires_on: date | None = None


CertificateStatus = Literal["valid", "expiring", "expired"]


def certificate_status(expires_on: date, today: date, within_days: int = 30) -> tuple[CertificateStatus, int]:
    """(status, days left) of a validity ending on ``expires_on`` (inclusive).

    >>> certificate_status(date(2026, 1, 31), date(2026, 1, 1))
    ('expiring', 30)
    >>> certificate_status(date(2025, 12, 31), date(2026, 1, 1))
    ('expired', -1)
    """
    days = (expires_on - today).days
    if days < 0:
        return "expired", days
    return ("expiring" if days <= within_days else "valid"), days


class CertificateOut(BaseModel):
    """A certificate with its status today."""

    id: int
    vessel_id: int
    kind: CertificateKind
    kind_label: str
    number: str
    issued_on: date
    expires_on: date
    status: CertificateStatus
    days_left: int

    @classmethod
    def of(cls, cert: Certificate, today: date) -> CertificateOut:
        """A stored certificate with its status on ``today``."""
        status, days = certificate_status(cert.expires_on, today)
        return cls(
            id=cert.id,
            vessel_id=cert.vessel_id,
            kind=cert.kind,
            kind_label=CERTIFICATE_KIND_LABELS_ZH.get(CertificateKind(cert.kind), cert.kind),
            number=cert.number,
            issued_on=cert.issued_on,
            expires_on=cert.expires_on,
            status=status,
            days_left=days,
        )


class ExpiringOut(BaseModel):
    """A vessel certificate or crew certificate that has expired or expires soon."""

    source: Literal["vessel", "crew"]
    certificate_id: int | None
    crew_member_id: int | None
    vessel_id: int
    registration_no: str
    vessel_name: str
    home_unit_code: str
    home_unit_name: str
    kind: str
    kind_label: str
    number: str | None
    holder: str | None  # a crew member's masked name
    expires_on: date
    days_left: int
    status: CertificateStatus


class DocumentOut(BaseModel):
    """A photo or document of a vessel file (download it from its ``url``)."""

    id: int
    vessel_id: int
    title: str
    content_type: str
    size_bytes: int
    uploaded_at: datetime
    url: str


class EventIn(BaseModel):
    """A violation, incident or training on the vessel's record."""

    kind: EventKind
    occurred_at: datetime
    severity: int = Field(default=1, ge=1, le=3)
    description: str = Field(default="", max_length=2000)


class EventOut(BaseModel):
    """An event on the vessel's record."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    vessel_id: int
    kind: EventKind
    occurred_at: datetime
    severity: int
    description: str


class TimelineItemOut(BaseModel):
    """One entry of a vessel's timeline (inspections, events, port calls, alerts, dynamic reports)."""

    at: datetime
    source: Literal["inspection", "event", "port_call", "alert", "report"]
    kind: str
    ref_id: int
    summary: str
    details: dict[str, object]


class GroupRef(BaseModel):
    """The group a vessel is in now."""

    id: int
    code: str
    name: str
    joined_at: datetime
    is_leader: bool


class CadreRef(BaseModel):
    """A cadre answering for the vessel now."""

    id: int
    name: str
    title: str
    unit: HomeUnitRef
    phone: str | None
    since: datetime


class PublishedRatingOut(BaseModel):
    """The vessel's published safety star rating (平安星级船)."""

    stars: int
    score: float
    rules_version: str
    computed_at: datetime


class VesselDetailOut(VesselSummaryOut):
    """The whole vessel file, with personal data masked."""

    port_of_registry: str
    home_port: str | None
    created_at: datetime
    owner: PartyOut | None
    operator: PartyOut | None
    crew: list[CrewOut]
    terminals: list[TerminalOut]
    certificates: list[CertificateOut]
    documents: list[DocumentOut]
    group: GroupRef | None
    cadres: list[CadreRef]
    rating: PublishedRatingOut | None


# ---------------------------------------------------------------- groups


class GroupIn(BaseModel):
    """A new production group (编组生产); its mobile grid gets the same code."""

    code: str = Field(min_length=2, max_length=20)
    name: str = Field(min_length=1, max_length=60)
    operation_type: OperationType
    home_unit_code: str = Field(min_length=1, max_length=32, description="the home township")
    dispersion_limit_m: float = Field(default=5_556.0, gt=0, le=100_000)
    dispersion_limit_minutes: int = Field(default=30, ge=1, le=1440)


class GroupPatch(BaseModel):
    """Changes to a group (only the fields sent)."""

    name: str | None = Field(default=None, max_length=60)
    operation_type: OperationType | None = None
    dispersion_limit_m: float | None = Field(default=None, gt=0, le=100_000)
    dispersion_limit_minutes: int | None = Field(default=None, ge=1, le=1440)


class GroupOut(BaseModel):
    """A group with its size; fewer than the minimum members makes it 'incomplete'."""

    id: int
    code: str
    name: str
    operation_type: OperationType
    operation_type_label: str
    home_unit: HomeUnitRef
    leader_vessel_id: int | None
    leader_registration_no: str | None
    mobile_grid_id: int | None
    dispersion_limit_m: float
    dispersion_limit_minutes: int
    is_active: bool
    member_count: int
    status: Literal["complete", "incomplete", "dissolved"]


class MemberIn(BaseModel):
    """A vessel joining a group."""

    vessel_id: int
    joined_at: datetime | None = Field(default=None, description="default: now")


class LeaderIn(BaseModel):
    """The group leader vessel (编组长), a current member."""

    vessel_id: int


class MembershipOut(BaseModel):
    """A vessel's time in a group."""

    id: int
    group_id: int
    vessel_id: int
    registration_no: str
    vessel_name: str
    joined_at: datetime
    left_at: datetime | None
    is_leader: bool


# ---------------------------------------------------------------- cadres


class CadreIn(BaseModel):
    """A town or village cadre (定人联船), optionally with a user account."""

    name: str = Field(min_length=1, max_length=40)
    unit_code: str = Field(min_length=1, max_length=32)
    title: str = Field(default="", max_length=40)
    phone: str | None = Field(default=None, max_length=20)
    username: str | None = Field(default=None, max_length=64)


class CadrePatch(BaseModel):
    """Changes to a cadre (only the fields sent)."""

    name: str | None = Field(default=None, max_length=40)
    title: str | None = Field(default=None, max_length=40)
    phone: str | None = Field(default=None, max_length=20)


class CadreOut(BaseModel):
    """A cadre, phone masked, with the current load (vessels answered for now)."""

    id: int
    name: str
    title: str
    unit: HomeUnitRef
    user_id: int | None
    phone: str | None
    vessel_count: int

    @classmethod
    def masked(cls, cadre: Cadre, cipher: FieldCipher, vessel_count: int) -> CadreOut:
        """Mask a stored cadre's phone (a cadre's name is public: it is posted on the vessel)."""
        return cls(
            id=cadre.id,
            name=cadre.name,
            title=cadre.title,
            unit=HomeUnitRef(id=cadre.unit.id, code=cadre.unit.code, name=cadre.unit.name),
            user_id=cadre.user_id,
            phone=mask_mobile(cipher.decrypt(cadre.phone_enc)) if cadre.phone_enc else None,
            vessel_count=vessel_count,
        )


class CadreLinkIn(BaseModel):
    """Link a cadre to a vessel."""

    vessel_id: int
    since: datetime | None = Field(default=None, description="default: now")


class CadreLinkOut(BaseModel):
    """A cadre answering for a vessel over a period."""

    id: int
    cadre_id: int
    cadre_name: str
    vessel_id: int
    registration_no: str
    since: datetime
    until: datetime | None


class OverloadedCadreOut(BaseModel):
    """A cadre answering for more vessels than the limit."""

    id: int
    name: str
    unit: HomeUnitRef
    vessel_count: int


class CoverageOut(BaseModel):
    """定人联船 coverage in the caller's scope."""

    vessels_total: int
    vessels_without_cadre_count: int
    vessels_without_cadre: list[VesselSummaryOut]
    cadre_limit: int
    overloaded_cadres: list[OverloadedCadreOut]
