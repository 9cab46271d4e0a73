"""Tables of buildings, houses, households and residents (GB/T 31000 实有人口 base data).

ID numbers and phone numbers are stored only as AES-GCM ciphertext plus a keyed blind index for exact search
(security.md S17); every row carries its grid and village so data scopes filter it in SQL.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingan.db import Base, UTCDateTime


class Gender(StrEnum):
    """性别 (GB/T 2261.1: 1 male, 2 female)."""

    MALE = "male"
    FEMALE = "female"


class Relation(StrEnum):
    """与户主关系."""

    HEAD = "head"  # 户主
    SPOUSE = "spouse"  # 配偶
    CHILD = "child"  # 子女
    PARENT = "parent"  # 父母
    GRANDCHILD = "grandchild"  # 孙子女
    SIBLING = "sibling"  # 兄弟姐妹
    OTHER = "other"  # 其他


class _Placed:
    """Where a register row sits: its land grid and (denormalised) village, for scope filters."""

    grid_id: Mapped[int] = mapped_column(ForeignKey("land_grid.id", ondelete="RESTRICT"), index=True)
    village_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)


class Building(_Placed, Base):
    """A building (楼栋), numbered 00001–99999 within its grid."""

    __tablename__ = "building"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # grid code + 5-digit sequence
    address: Mapped[str] = mapped_column(String(200))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    floors: Mapped[int] = mapped_column(Integer, default=1)
    use: Mapped[str] = mapped_column(String(20), default="residential")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class House(_Placed, Base):
    """A dwelling (房屋) in a building."""

    __tablename__ = "house"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"), index=True)
    room: Mapped[str] = mapped_column(String(20))
    area_m2: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Household(_Placed, Base):
    """A household (户) living in a house."""

    __tablename__ = "household"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    house_id: Mapped[int | None] = mapped_column(ForeignKey("house.id", ondelete="SET NULL"), index=True)
    address: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    residents: Mapped[list[Resident]] = relationship(back_populates="household", lazy="selectin")


class Resident(_Placed, Base):
    """A resident (实有人口). ``id_enc``/``phone_enc`` hold ciphertext; ``*_bidx`` the keyed blind index."""

    __tablename__ = "resident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40), index=True)
    gender: Mapped[Gender] = mapped_column(String(6))
    ethnicity: Mapped[str] = mapped_column(String(12), default="汉族")
    birth_date: Mapped[date] = mapped_column(Date)
    id_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_bidx: Mapped[str] = mapped_column(String(32), unique=True)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_bidx: Mapped[str | None] = mapped_column(String(32), index=True)
    address: Mapped[str] = mapped_column(String(200))
    relation: Mapped[Relation] = mapped_column(String(12))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    household: Mapped[Household] = relationship(back_populates="residents")
