"""Tables of accounts, roles, grants, browser sessions and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingan.auth.policy import AdminKind, DataScope
from pingan.db import Base, UTCDateTime
from pingan.org.models import OrgUnit


class Role(Base):
    """A named bundle of permissions with one data scope."""

    __tablename__ = "role"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str | None] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(400), default="")
    data_scope: Mapped[DataScope] = mapped_column(String(20))
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    admin_kind: Mapped[AdminKind | None] = mapped_column(String(10))
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    custom_units: Mapped[list[OrgUnit]] = relationship(secondary="role_scope_unit", lazy="selectin")


class RoleScopeUnit(Base):
    """The units of a role with the 自定义 (custom) data scope."""

    __tablename__ = "role_scope_unit"

    role_id: Mapped[int] = mapped_column(ForeignKey("role.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), primary_key=True)


class User(Base):
    """A staff account. ``unit_id`` places it in the tree and anchors its data scope."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))

    unit: Mapped[OrgUnit] = relationship(lazy="joined", foreign_keys=[unit_id])
    grants: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", foreign_keys="UserRole.user_id"
    )

    @property
    def roles(self) -> list[Role]:
        """The roles this account holds."""
        return [g.role for g in self.grants]

    @property
    def admin_kind(self) -> AdminKind | None:
        """The administrator duty this account holds, if any (at most one, enforced)."""
        kinds = [g.role.admin_kind for g in self.grants if g.role.admin_kind]
        return AdminKind(kinds[0]) if kinds else None

    @property
    def permissions(self) -> frozenset[str]:
        """Union of its roles' permissions."""
        return frozenset(p for g in self.grants for p in g.role.permissions)


class UserRole(Base):
    """A role held by a user. ``admin_kind`` copies the role's so the database itself refuses a second one."""

    __tablename__ = "user_role"
    __table_args__ = (
        # 三权分立 at the storage level: one administrator duty per account.
        Index(
            "uq_user_role_one_admin_kind",
            "user_id",
            unique=True,
            sqlite_where=text("admin_kind IS NOT NULL"),
            postgresql_where=text("admin_kind IS NOT NULL"),
        ),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id", ondelete="RESTRICT"), primary_key=True)
    admin_kind: Mapped[AdminKind | None] = mapped_column(String(10))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="grants", foreign_keys=[user_id])
    role: Mapped[Role] = relationship(lazy="joined")


class WebSession(Base):
    """A server-side browser session; the cookie carries a random token whose SHA-256 is ``id``."""

    __tablename__ = "web_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoke_reason: Mapped[str | None] = mapped_column(String(20))
    source_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token for an integration: hashed, bound to a unit and a permission list, expiring."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[OrgUnit] = relationship(lazy="joined")
