"""Tables of the maritime alert engine: alert timeline and recipients, policies, restricted waters, typhoons,
recall orders and their roll call (动态点验). Alerts themselves live in the fleet's `alert` table."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from pingan.db import Base, UTCDateTime


class AlertAction(StrEnum):
    """Steps on an alert's timeline (全链监督)."""

    RAISED = "raised"
    NOTIFIED = "notified"
    LEVEL_UP = "level_up"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"  # not acknowledged in time: told to the next level
    CASE_OPENED = "case_opened"
    CLEARED = "cleared"  # the situation ended by itself
    RESOLVED = "resolved"


class RecipientRole(StrEnum):
    """Why someone was told of an alert."""

    CADRE = "cadre"  # 定人联船: the cadre linked to the vessel
    DUTY = "duty"  # the officer on watch of the vessel's unit (安全值班)
    ESCALATION = "escalation"  # the command centre's duty chief, after no acknowledgement


class AlertStep(Base):
    """One step on an alert's timeline."""

    __tablename__ = "alert_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[AlertAction] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AlertRecipient(Base):
    """Someone an alert was addressed to."""

    __tablename__ = "alert_recipient"
    __table_args__ = (UniqueConstraint("alert_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadre.id", ondelete="SET NULL"))
    role: Mapped[RecipientRole] = mapped_column(String(12))
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AlertPolicy(Base):
    """Per kind: thresholds, how long before an unacknowledged alert escalates, and whether it opens a case."""

    __tablename__ = "alert_policy"

    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    opens_case: Mapped[bool] = mapped_column(Boolean, default=False)
    case_category: Mapped[str | None] = mapped_column(String(8))  # small class on the hub, e.g. 3001
    case_min_level: Mapped[int] = mapped_column(Integer, default=3)
    ack_minutes: Mapped[int] = mapped_column(Integer, default=10)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RestrictedArea(Base):
    """Restricted waters drawn or imported in the map editor: channels, anchorages, protected areas, closures."""

    __tablename__ = "restricted_area"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(12))  # geofence.AreaKind
    geom_wkb: Mapped[bytes] = mapped_column(LargeBinary)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # geofence.AreaRules as JSON
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))


class Typhoon(Base):
    """A typhoon entered by an operator or loaded from a file (防台): its forecast track with wind radii."""

    __tablename__ = "typhoon"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    track: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{at, lon, lat, radius_7_km, radius_10_km}]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RecallOrder(Base):
    """A recall (防台撤离) of the vessels at sea inside a typhoon's warning area; its roll call runs to 100 %."""

    __tablename__ = "recall_order"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    typhoon_id: Mapped[int] = mapped_column(ForeignKey("typhoon.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    area_wkb: Mapped[bytes] = mapped_column(LargeBinary)
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | complete | cancelled
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RollCallEntry(Base):
    """One recalled vessel on the roll-call board (动态点验)."""

    __tablename__ = "rollcall_entry"
    __table_args__ = (UniqueConstraint("order_id", "vessel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("recall_order.id", ondelete="CASCADE"), index=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessel.id", ondelete="CASCADE"), index=True)
    target_key: Mapped[int] = mapped_column(BigInteger)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)  # township
    group_id: Mapped[int | None] = mapped_column(ForeignKey("vessel_group.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="at_sea")  # at_sea | in_port | sheltered
    status_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RollCallPoint(Base):
    """The roll call's completion at one instant (the board's timeline)."""

    __tablename__ = "rollcall_point"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("recall_order.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    total: Mapped[int] = mapped_column(Integer)
    in_port: Mapped[int] = mapped_column(Integer)
    sheltered: Mapped[int] = mapped_column(Integer)
    at_sea: Mapped[int] = mapped_column(Integer)
