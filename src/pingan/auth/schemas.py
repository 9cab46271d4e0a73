"""API shapes of accounts, roles and tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class SignInIn(BaseModel):
    """Credentials for a browser or script sign-in."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class UnitRef(BaseModel):
    """A unit as other records show it."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str


class RoleOut(BaseModel):
    """A role with its permissions and data scope."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    name_en: str | None
    data_scope: str
    permissions: list[str]
    admin_kind: str | None
    builtin: bool


class UserOut(BaseModel):
    """An account as administrators and the holder see it (never the password hash)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    display_name: str
    unit: UnitRef
    roles: list[str]
    is_active: bool
    must_change_password: bool
    locked: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, user: object) -> UserOut:
        """Build from a :class:`pingan.auth.models.User`."""
        from pingan.auth.models import User

        assert isinstance(user, User)
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            unit=UnitRef.model_validate(user.unit),
            roles=sorted(r.code for r in user.roles),
            is_active=user.is_active,
            must_change_password=user.must_change_password,
            locked=user.locked_at is not None,
            locked_until=user.locked_until,
            last_login_at=user.last_login_at,
            created_at=user.created_at,
        )


class SignInOut(BaseModel):
    """A successful sign-in: the account and the CSRF token to send with unsafe requests."""

    user: UserOut
    csrf_token: str
    must_change_password: bool


class UserCreateIn(BaseModel):
    """A new account."""

    username: str = Field(min_length=3, max_length=64)
    display_name: str = Field(min_length=1, max_length=64)
    unit_code: str = Field(min_length=1, max_length=32)
    password: str = Field(min_length=1, max_length=256)
    roles: list[str] = Field(default_factory=list)


class RolesIn(BaseModel):
    """The complete new set of an account's roles."""

    roles: list[str]


class PasswordResetIn(BaseModel):
    """A temporary password set by a security administrator."""

    new_password: str = Field(min_length=1, max_length=256)


class PasswordChangeIn(BaseModel):
    """The holder's own password change."""

    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class TokenIn(BaseModel):
    """An integration token request."""

    name: str = Field(min_length=1, max_length=80)
    unit_code: str
    permissions: list[str]
    days: int = Field(default=90, ge=1)


class TokenOut(BaseModel):
    """A token as listed (no secret)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    unit: UnitRef
    permissions: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class TokenIssued(TokenOut):
    """A freshly issued token: ``secret`` is shown this once."""

    secret: str
