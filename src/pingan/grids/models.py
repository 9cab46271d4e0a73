"""Tables of area outlines, land grids, sea grids, mobile grids and grid service teams.

Geometries are stored as WKB in EPSG:4326 (lon, lat) with a bounding box in plain columns, so both SQLite and
PostgreSQL filter by bbox in SQL without a spatial extension; exact tests run in Shapely.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingan.db import Base, UTCDateTime
from pingan.org.models import OrgUnit


class GridKind(StrEnum):
    """基础网格 or 专属网格 (Xi'an DB6101/T 3185-2024)."""

    BASIC = "basic"  # 基础网格
    DEDICATED = "dedicated"  # 专属网格


class DedicatedType(StrEnum):
    """What a 专属网格 covers."""

    PORT = "port"  # 港口码头
    INDUSTRIAL_PARK = "industrial_park"  # 工业园区
    SCHOOL = "school"  # 学校
    CONSTRUCTION_SITE = "construction_site"  # 建设工地
    SCENIC_AREA = "scenic_area"  # 景区
    MARKET = "market"  # 市场


class SeaGridFamily(StrEnum):
    """The three nets of sea grids: static (静态), control (管控) and patrol (巡查)."""

    STATIC = "static"
    CONTROL = "control"
    PATROL = "patrol"


class TeamRole(StrEnum):
    """Roles in a grid's service team (组团式服务)."""

    TOWNSHIP_CADRE = "township_cadre"  # 乡镇干部
    VILLAGE_CADRE = "village_cadre"  # 村社干部
    SOCIAL_WORKER = "social_worker"  # 社工
    POLICE = "police"  # 民警
    AUXILIARY_POLICE = "auxiliary_police"  # 辅警
    TEACHER = "teacher"  # 教师
    DOCTOR = "doctor"  # 医生
    GRID_WORKER = "grid_worker"  # 网格员
    GRID_LEADER = "grid_leader"  # 网格长
    VOLUNTEER = "volunteer"  # 志愿者


class _Footprint:
    """Geometry (WKB, EPSG:4326) with its bounding box and area."""

    geom_wkb: Mapped[bytes] = mapped_column(LargeBinary)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    area_km2: Mapped[float] = mapped_column(Float)


class AdminArea(_Footprint, Base):
    """The outline of an administrative area; the area itself is an organisation unit (so scopes follow it)."""

    __tablename__ = "admin_area"

    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="CASCADE"), primary_key=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    unit: Mapped[OrgUnit] = relationship(lazy="joined")


class Island(_Footprint, Base):
    """An island outline traced from the land mask (for the map's island layer)."""

    __tablename__ = "island"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))


class LandGrid(_Footprint, Base):
    """A land grid: code = 12-digit village code + 3-digit sequence (west→east, north→south)."""

    __tablename__ = "land_grid"
    __table_args__ = (Index("ix_land_grid_bbox", "min_lon", "max_lon", "min_lat", "max_lat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(15), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[GridKind] = mapped_column(String(12))
    dedicated_type: Mapped[DedicatedType | None] = mapped_column(String(20))
    village_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    centroid_lon: Mapped[float] = mapped_column(Float)
    centroid_lat: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    village: Mapped[OrgUnit] = relationship(lazy="joined")


class SeaGrid(_Footprint, Base):
    """A sea grid of one family, with the unit that answers for it."""

    __tablename__ = "sea_grid"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    family: Mapped[SeaGridFamily] = mapped_column(String(10), index=True)
    responsible_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    responsible_unit: Mapped[OrgUnit] = relationship(lazy="joined")


class MobileGrid(Base):
    """A mobile grid (移动网格): a vessel production group that moves across the sea grids.

    The fleet issue attaches its groups (编组) here; the registry knows the group's code, its home sea grid
    and the unit that answers for it.
    """

    __tablename__ = "mobile_grid"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    home_sea_grid_id: Mapped[int | None] = mapped_column(ForeignKey("sea_grid.id", ondelete="SET NULL"))
    responsible_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TeamMember(Base):
    """A member of a grid's service team. The phone is encrypted with a blind index, like residents'."""

    __tablename__ = "grid_team_member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("land_grid.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    role: Mapped[TeamRole] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="SET NULL"))
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_bidx: Mapped[str | None] = mapped_column(String(32), index=True)
    duties: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    unit: Mapped[OrgUnit | None] = relationship(lazy="joined")
