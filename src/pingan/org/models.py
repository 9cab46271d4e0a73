"""Organisation units (组织机构) as a tree with a materialised code path for subtree queries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingan.db import Base, UTCDateTime


class UnitKind(StrEnum):
    """What an organisation unit is."""

    CITY = "city"  # 市
    DISTRICT = "district"  # 区/县
    TOWNSHIP = "township"  # 乡镇/街道
    COMMUNITY = "community"  # 社区/村
    DEPARTMENT = "department"  # 部门 (公安, 司法, 城管 …)
    STATION = "station"  # 站所 (派出所, 司法所, 渔业站 …)
    CENTRE = "centre"  # 中心 (12345 热线, 社会治理中心)


UNIT_KIND_LABELS_ZH = {
    UnitKind.CITY: "市",
    UnitKind.DISTRICT: "区/县",
    UnitKind.TOWNSHIP: "乡镇/街道",
    UnitKind.COMMUNITY: "社区/村",
    UnitKind.DEPARTMENT: "部门",
    UnitKind.STATION: "站所",
    UnitKind.CENTRE: "中心",
}


class OrgUnit(Base):
    """One unit of the tree. ``path`` is ``/<root code>/…/<own code>/`` so a subtree is a prefix match."""

    __tablename__ = "org_unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[UnitKind] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    path: Mapped[str] = mapped_column(String(400), unique=True)
    depth: Mapped[int] = mapped_column(Integer)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id])
