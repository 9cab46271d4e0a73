"""Tables of the fleet: vessel files (一船一档) and everything hung on them.

A vessel is keyed by its own id, never by an MMSI: terminals (AIS Class A/B, BeiDou, 示位仪) come and go over time
in ``vessel_terminal``, so history survives an MMSI change. Personal data of owners, operators, crews and cadres is
stored like the people register's: ID numbers and phones as AES-GCM ciphertext with a keyed blind index. Every
vessel belongs to a home township unit (``home_unit_id``), which is what data scopes filter on.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingan.db import Base, UTCDateTime
from pingan.org.models import OrgUnit


class OperationType(StrEnum):
    """作业类型 (gear)."""

    TRAWL = "trawl"  # 拖网
    GILLNET = "gillnet"  # 刺网
    PURSE_SEINE = "purse_seine"  # 围网
    STOW_NET = "stow_net"  # 张网
    DRIFT_NET = "drift_net"  # 流网
    SQUID_JIGGING = "squid_jigging"  # 鱿钓
    LIGHT_PURSE_SEINE = "light_purse_seine"  # 灯光围网
    LONGLINE = "longline"  # 延绳钓
    CAGE = "cage"  # 笼壶
    AUXILIARY = "auxiliary"  # 辅助船 (冷藏运输)


class HullMaterial(StrEnum):
    """船体材质."""

    STEEL = "steel"  # 钢质
    WOOD = "wood"  # 木质
    FRP = "frp"  # 玻璃钢
    ALUMINIUM = "aluminium"  # 铝合金


class PartyKind(StrEnum):
    """An owner or operator is a person or a company."""

    PERSON = "person"
    COMPANY = "company"


class CrewRole(StrEnum):
    """船员职务."""

    CAPTAIN = "captain"  # 船长
    FIRST_MATE = "first_mate"  # 大副
    CHIEF_ENGINEER = "chief_engineer"  # 轮机长
    ENGINEER = "engineer"  # 轮机员
    RADIO_OPERATOR = "radio_operator"  # 报务员
    DECKHAND = "deckhand"  # 普通船员


class TerminalKind(StrEnum):
    """Position terminals."""

    AIS_A = "ais_a"  # AIS Class A
    AIS_B = "ais_b"  # AIS Class B
    BEIDOU = "beidou"  # 北斗船载终端
    LOCATOR = "locator"  # 示位仪


class CertificateKind(StrEnum):
    """Vessel certificates."""

    NATIONALITY = "nationality"  # 渔业船舶国籍证书
    FISHING_LICENCE = "fishing_licence"  # 捕捞许可证
    INSPECTION = "inspection"  # 渔业船舶检验证书
    INSURANCE = "insurance"  # 保险


class EventKind(StrEnum):
    """Things on a vessel's record besides inspections and reports."""

    VIOLATION = "violation"  # 违规
    INCIDENT = "incident"  # 事故/险情
    TRAINING = "training"  # 安全培训


class InspectionResult(StrEnum):
    """Outcome of an inspection."""

    PASSED = "passed"
    FINDINGS = "findings"  # passed with findings to rectify
    FAILED = "failed"


class TaskStatus(StrEnum):
    """Rectification task status."""

    OPEN = "open"
    CLOSED = "closed"


class RatingStatus(StrEnum):
    """A computed rating is published at once unless it lowers the stars, which waits for a person."""

    PUBLISHED = "published"
    PENDING = "pending_confirmation"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class ReportKind(StrEnum):
    """动态报告."""

    DEPARTURE = "departure"  # 出港
    RETURN = "return"  # 进港
    POSITION = "position"  # 人工位置/状态报告


class AlertStatus(StrEnum):
    """Alert lifecycle (the maritime issue extends the kinds)."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


class _Protected:
    """Personal identifiers stored as ciphertext plus blind index."""

    id_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_bidx: Mapped[str | None] = mapped_column(String(32), index=True)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_bidx: Mapped[str | None] = mapped_column(String(32), index=True)


class Port(Base):
    """A fishing port or anchorage (渔港/锚地) with its outline."""

    __tablename__ = "port"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20), default="fishing_port")  # fishing_port | anchorage
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="SET NULL"))
    geom_wkb: Mapped[bytes] = mapped_column(LargeBinary)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)


class Party(_Protected, Base):
    """An owner or operator: a person (ID number, phone protected) or a company (credit code)."""

    __tablename__ = "fleet_party"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[PartyKind] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100))
    credit_code: Mapped[str | None] = mapped_column(String(18))  # 统一社会信用代码 (companies; public)
    address: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Vessel(Base):
    """一船一档: the file of one fishing vessel."""

    __tablename__ = "vessel"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_no: Mapped[str] = mapped_column(String(20), unique=True)  # 船名号, e.g. 浙岱渔03123
    name: Mapped[str] = mapped_column(String(40))
    port_of_registry: Mapped[str] = mapped_column(String(40))  # 船籍港
    home_port_id: Mapped[int | None] = mapped_column(ForeignKey("port.id", ondelete="SET NULL"))
    home_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    hull_material: Mapped[HullMaterial] = mapped_column(String(12))
    length_m: Mapped[float] = mapped_column(Float)
    gross_tonnage: Mapped[float] = mapped_column(Float)
    engine_power_kw: Mapped[float] = mapped_column(Float)
    build_year: Mapped[int] = mapped_column(Integer)
    operation_type: Mapped[OperationType] = mapped_column(String(20), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("fleet_party.id", ondelete="SET NULL"))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("fleet_party.id", ondelete="SET NULL"))
    ais_snapshot: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)  # filled by AIS types 5/24
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    home_unit: Mapped[OrgUnit] = relationship(lazy="joined")
    home_port: Mapped[Port | None] = relationship(lazy="joined")
    owner: Mapped[Party | None] = relationship(foreign_keys=[owner_id])
    operator: Mapped[Party | None] = relationship(foreign_keys=[operator_id])


class CrewMember(_Protected, Base):
    """A crew member of a vessel, with the certificate of competency (职务船员证书) and its expiry."""

    __tablename__ = "crew_member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessel.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    role: Mapped[CrewRole] = mapped_column(String(20))
    certificate_no: Mapped[str | None] = mapped_column(String(40))
    certificate_expires_on: Mapped[date | None] = mapped_column(Date)
    on_board: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Terminal(Base):
    """A position terminal fitted to a vessel for a period; an MMSI is unique among fitted terminals."""

    __tablename__ = "vessel_terminal"
    __table_args__ = (
        Index(
            "uq_vessel_terminal_live_mmsi",
            "mmsi",
            unique=True,
            sqlite_where=text("removed_at IS NULL AND mmsi IS NOT NULL"),
            postgresql_where=text("removed_at IS NULL AND mmsi IS NOT NULL"),
        ),
        Index(
            "uq_vessel_terminal_live_device",
            "device_id",
            unique=True,
            sqlite_where=text("removed_at IS NULL AND device_id IS NOT NULL"),
            postgresql_where=text("removed_at IS NULL AND device_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessel.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TerminalKind] = mapped_column(String(10))
    mmsi: Mapped[str | None] = mapped_column(String(9), index=True)
    device_id: Mapped[str | None] = mapped_column(String(40), index=True)  # BeiDou terminal id, locator serial
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Certificate(Base):
    """A vessel certificate with its validity."""

    __tablename__ = "vessel_certificate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessel.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CertificateKind] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(40))
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date, index=True)


class VesselDocument(Base):
    """A photo or document attached to a vessel file (bytes kept in the data directory, path here)."""

    __tablename__ = "vessel_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessel.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    content_type: Mapped[str] = mapped_column(String(60))
    stored_name: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))


class VesselEvent(Base):
    """A violation, incident or training on a vessel's record."""

    __tablename__ = "vessel_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessel.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EventKind] = mapped_column(String(12))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    severity: Mapped[int] = mapped_column(Integer, default=1)  # 1 minor … 3 serious
    description: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))


class Inspection(Base):
    """An inspection (隐患排查) against the checklist of the vessel's type."""

    __tablename__ = "vessel_inspection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessel.id", ondelete="CASCADE"), index=True)
    inspected_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    checklist: Mapped[str] = mapped_column(String(40))
    items: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)  # [{code, ok, note}]
    result: Mapped[InspectionResult] = mapped_column(String(10))
    notes: Mapped[str] = mapped_column(Text, default="")


class RectificationTask(Base):
    """A finding to put right by a deadline (整改), tracked to closure; may open a case on the hub."""

    __tablename__ = "rectification_task"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("vessel_inspection.id", ondelete="CASCADE"), index=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessel.id", ondelete="CASCADE"), index=True)
    item_code: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[TaskStatus] = mapped_column(String(8), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closing_note: Mapped[str] = mapped_column(Text, default="")
    case_number: Mapped[str | None] = mapped_column(String(20))  # 一事一码 on the case hub, when escalated


class Rating(Base):
    """A computed safety star rating (平安星级船) with the factors that produced it."""

    __tablename__ = "vessel_rating"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessel.id", ondelete="CASCADE"), index=True)
    stars: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    factors: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    rules_version: Mapped[str] = mapped_column(String(20))
    status: Mapped[RatingStatus] = mapped_column(String(24), index=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class VesselGroup(Base):
    """编组生产: a production group, the mobile grid (移动网格) its vessels form at sea."""

    __tablename__ = "vessel_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    operation_type: Mapped[OperationType] = mapped_column(String(20))
    home_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    leader_vessel_id: Mapped[int | None] = mapped_column(ForeignKey("vessel.id", ondelete="SET NULL"))
    mobile_grid_id: Mapped[int | None] = mapped_column(ForeignKey("mobile_grid.id", ondelete="SET NULL"))
    dispersion_limit_m: Mapped[float] = mapped_column(Float, default=5_556.0)  # 3 nm
    dispersion_limit_minutes: Mapped[int] = mapped_column(Integer, default=30)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    home_unit: Mapped[OrgUnit] = relationship(lazy="joined")


class GroupMembership(Base):
    """A vessel's time in a group; at most one open membership per vessel (enforced by a partial index)."""

    __tablename__ = "group_membership"
    __table_args__ = (
        Index(
            "uq_group_membership_one_open",
            "vessel_id",
            unique=True,
            sqlite_where=text("left_at IS NULL"),
            postgresql_where=text("left_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("vessel_group.id", ondelete="CASCADE"), index=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessel.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Cadre(_Protected, Base):
    """A town or village cadre who answers for vessels (定人联船), with the unit that answers for them."""

    __tablename__ = "cadre"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    unit: Mapped[OrgUnit] = relationship(lazy="joined")


class CadreLink(Base):
    """A cadre answering for a vessel over a period."""

    __tablename__ = "cadre_link"
    __table_args__ = (UniqueConstraint("cadre_id", "vessel_id", "since"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id", ondelete="CASCADE"), index=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessel.id", ondelete="CASCADE"), index=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DutyShift(Base):
    """A watch-duty shift (安全值班) of a unit: officer and deputy, with the handover note."""

    __tablename__ = "duty_shift"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    officer_name: Mapped[str] = mapped_column(String(40))
    officer_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    deputy_name: Mapped[str] = mapped_column(String(40), default="")
    deputy_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    handover_note: Mapped[str] = mapped_column(Text, default="")


class DutyLogEntry(Base):
    """An entry of a unit's duty log."""

    __tablename__ = "duty_log_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("duty_shift.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)


class DynamicReport(Base):
    """动态报告: departure, return, or a manual position/status report."""

    __tablename__ = "dynamic_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessel.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ReportKind] = mapped_column(String(10))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    crew_on_board: Mapped[int | None] = mapped_column(Integer)
    destination: Mapped[str | None] = mapped_column(String(100))  # fishing ground
    expected_return_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    status_note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(10), default="api")  # api | form
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))


class ManualReporting(Base):
    """A vessel in manual reporting mode (terminal down): reports are due every ``interval_minutes``."""

    __tablename__ = "manual_reporting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessel.id", ondelete="CASCADE"), index=True)
    interval_minutes: Mapped[int] = mapped_column(Integer, default=65)  # UnionVMS MAX_DELAY_BETWEEN_MANUAL_POSITIONS
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(200), default="")


class FishingSeason(Base):
    """A closed season (伏季休渔) for one gear in one year: vessels of that gear should be in port."""

    __tablename__ = "fishing_season"
    __table_args__ = (UniqueConstraint("year", "operation_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    operation_type: Mapped[OperationType] = mapped_column(String(20))
    closed_from: Mapped[date] = mapped_column(Date)
    closed_until: Mapped[date] = mapped_column(Date)  # inclusive
    note: Mapped[str] = mapped_column(String(200), default="")


class PortCall(Base):
    """A vessel's stay in a port: entry and (once it leaves) exit; filled from positions by the maritime issue."""

    __tablename__ = "port_call"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessel.id", ondelete="CASCADE"), index=True)
    port_id: Mapped[int] = mapped_column(ForeignKey("port.id", ondelete="CASCADE"), index=True)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    exited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Alert(Base):
    """An alert addressed to the cadre linked to a vessel (the maritime issue adds its kinds and engine)."""

    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)  # e.g. report_overdue
    vessel_id: Mapped[int | None] = mapped_column(ForeignKey("vessel.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="SET NULL"), index=True)
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadre.id", ondelete="SET NULL"))
    dedupe_key: Mapped[str] = mapped_column(String(80), unique=True)  # one alert per situation
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[AlertStatus] = mapped_column(String(14), index=True)
    severity: Mapped[int] = mapped_column(Integer, default=2)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The maritime alert engine's columns (issue 7): level 1 info … 4 distress, the situation it is about,
    # where, who acknowledged it, its escalation, and the case it opened on the hub.
    level: Mapped[int] = mapped_column(Integer, default=2, server_default="2", index=True)
    subject: Mapped[str | None] = mapped_column(String(80))
    target_key: Mapped[int | None] = mapped_column(BigInteger, index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    sea_grid_code: Mapped[str | None] = mapped_column(String(20), index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalations: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the situation ended (not yet resolved)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    resolution: Mapped[str] = mapped_column(Text, default="", server_default="")
    case_number: Mapped[str | None] = mapped_column(String(20))
