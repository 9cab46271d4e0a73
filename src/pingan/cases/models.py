"""Tables of the case hub: categories, the working calendar, cases, their timeline, files, escalations and inbox.

A case (事件/事项) carries one number for life (一事一码, ``ZS-2026-000123``). ``unit_id`` is the territorial unit of
its place (the village of its land grid, else the township or sea-grid unit) and ``responsible_unit_id`` the unit
holding it; data scopes see a case through either, and grid workers through ``grid_id``. The reporter's phone is
stored like residents' (AES-GCM ciphertext plus a keyed blind index) and only ever shown masked.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingan.auth import models as _auth_models  # noqa: F401 - FK targets (app_user) must be registered
from pingan.db import Base, UTCDateTime
from pingan.grids import models as _grid_models
from pingan.org.models import OrgUnit


class CaseCategory(Base):
    """One node of the two-level category tree (大类 ``01`` / 小类 ``0102``) with its rules."""

    __tablename__ = "case_category"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("case_category.id", ondelete="RESTRICT"), index=True)
    level: Mapped[int] = mapped_column(Integer)  # 1 = 大类, 2 = 小类
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(16))  # catalog.CategoryKind
    register_conditions: Mapped[str] = mapped_column(Text, default="")  # 立案条件
    close_conditions: Mapped[str] = mapped_column(Text, default="")  # 结案条件
    limits: Mapped[dict] = mapped_column(JSON, default=dict)  # step -> {"value", "unit"}
    severity_limits: Mapped[dict] = mapped_column(JSON, default=dict)  # tier -> step -> limit
    routing_rule: Mapped[str] = mapped_column(String(16))  # catalog.RoutingRule
    department_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))
    duplicate_radius_m: Mapped[float] = mapped_column(Float, default=100.0)
    duplicate_window_h: Mapped[float] = mapped_column(Float, default=72.0)
    reply_templates: Mapped[dict] = mapped_column(JSON, default=dict)  # status -> text
    questions: Mapped[list] = mapped_column(JSON, default=list)  # Open311 service-definition attributes
    self_handle: Mapped[bool] = mapped_column(Boolean, default=False)
    default_priority: Mapped[str] = mapped_column(String(8), default="normal")
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    weight: Mapped[float] = mapped_column(Float, default=0.0)  # demo frequency, per mille
    keywords: Mapped[str] = mapped_column(String(200), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    parent: Mapped[CaseCategory | None] = relationship(remote_side=[id])
    department: Mapped[OrgUnit | None] = relationship(lazy="joined")


class CalendarDay(Base):
    """A day that breaks the Monday–Friday rule: a public holiday, or a swapped working day (调休)."""

    __tablename__ = "work_calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # sla.DayKind
    name: Mapped[str] = mapped_column(String(40), default="")


class CaseNumberSeq(Base):
    """The last case number issued per year (一事一码)."""

    __tablename__ = "case_number_seq"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    """One matter (事件/事项) from any channel, from intake to return visit."""

    __tablename__ = "case_item"
    __table_args__ = (
        UniqueConstraint("channel", "external_ref"),
        Index("ix_case_item_open_clock", "is_open", "step_due_at"),
        Index("ix_case_item_dup", "category_id", "is_open", "reported_at"),
        Index("ix_case_item_reported_at", "reported_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    channel: Mapped[str] = mapped_column(String(20), index=True)  # workflow.Channel
    external_ref: Mapped[str | None] = mapped_column(String(64))  # hotline order number, 110 incident, sensor msg id
    demand_type: Mapped[str | None] = mapped_column(String(12))  # catalog.DemandType
    category_id: Mapped[int] = mapped_column(ForeignKey("case_category.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(200), default="")
    where: Mapped[str] = mapped_column(String(20), default="unknown")  # land, sea, land_outside_grids, …
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("land_grid.id", ondelete="RESTRICT"), index=True)
    sea_grid_id: Mapped[int | None] = mapped_column(ForeignKey("sea_grid.id", ondelete="RESTRICT"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    reporter_name: Mapped[str] = mapped_column(String(60), default="")
    reporter_anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter_phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reporter_phone_bidx: Mapped[str | None] = mapped_column(String(32), index=True)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"), index=True)
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    severity: Mapped[str | None] = mapped_column(String(8))  # minor | general | serious
    status: Mapped[str] = mapped_column(String(20), index=True)  # workflow.CaseStatus
    sub_status: Mapped[str] = mapped_column(String(40), default="")
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    responsible_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    suggested_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"), index=True)
    master_id: Mapped[int | None] = mapped_column(ForeignKey("case_item.id", ondelete="RESTRICT"), index=True)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)  # answers to the category's questions
    # counters and flags
    redo_count: Mapped[int] = mapped_column(Integer, default=0)  # 返工 + 发回重办
    decline_count: Mapped[int] = mapped_column(Integer, default=0)  # units that returned it (退回)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)  # 提级督办 levels
    is_overdue: Mapped[bool] = mapped_column(Boolean, default=False)  # any step ran over its limit
    satisfaction: Mapped[str | None] = mapped_column(String(20))
    # the running step clock (one per step: warning at 80 %, overdue at 100 %)
    clock_step: Mapped[str | None] = mapped_column(String(10))
    clock_seq: Mapped[int] = mapped_column(Integer, default=0)  # bumps each time a clock starts
    step_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    step_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    step_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    step_supervise_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # milestones
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revisited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handle_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # 处置时限 (from first dispatch)
    closed_on_time: Mapped[bool | None] = mapped_column(Boolean)  # 按期结案
    accepted_on_time: Mapped[bool | None] = mapped_column(Boolean)  # 按时签收
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # 110: transfer + 30 min
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    category: Mapped[CaseCategory] = relationship(lazy="joined")
    unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[unit_id])
    responsible_unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[responsible_unit_id])
    suggested_unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[suggested_unit_id])
    grid: Mapped[_grid_models.LandGrid | None] = relationship(foreign_keys=[grid_id])
    sea_grid: Mapped[_grid_models.SeaGrid | None] = relationship(foreign_keys=[sea_grid_id])


class CaseStep(Base):
    """One entry of a case's timeline: who did what, when, from which status to which, and the step's clock."""

    __tablename__ = "case_step"
    __table_args__ = (
        UniqueConstraint("case_id", "seq"),
        Index("ix_case_step_action_case", "action", "case_id"),  # KPI counts of 返工 and 发回重办 steps
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_item.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # workflow.Action, or "report"
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"))
    actor_label: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))  # target unit
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    step: Mapped[str | None] = mapped_column(String(10))  # the clock this entry ended
    step_seconds: Mapped[float | None] = mapped_column(Float)  # how long that step took (natural seconds)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    met: Mapped[bool | None] = mapped_column(Boolean)  # deadline met?
    public: Mapped[bool] = mapped_column(Boolean, default=True)  # shown as status_notes / to the reporter


class CaseFile(Base):
    """A photo or document attached to a case (at report, handling or check)."""

    __tablename__ = "case_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_item.id", ondelete="CASCADE"), index=True)
    step_seq: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseEscalation(Base):
    """One timed or rule-fired escalation; the unique key makes each fire exactly once, across processes."""

    __tablename__ = "case_escalation"
    __table_args__ = (UniqueConstraint("case_id", "kind", "clock_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_item.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # warning | overdue | supervise | level_up | response
    clock_seq: Mapped[int] = mapped_column(Integer)  # which clock (or which level) it belongs to
    step: Mapped[str | None] = mapped_column(String(10))
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_by: Mapped[str] = mapped_column(String(60))  # scheduler process, or the acting user
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))


class InboxMessage(Base):
    """An in-app notification to one account (站内信)."""

    __tablename__ = "inbox_message"
    __table_args__ = (Index("ix_inbox_message_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_item.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Open311Client(Base):
    """A third-party Open311 client and the hash of its API key (POST requests need one)."""

    __tablename__ = "open311_client"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
