"""Who is acting: a signed-in user, an API token or the system itself."""

from __future__ import annotations

from dataclasses import dataclass, field

from pingan.auth.policy import AdminKind, Permission
from pingan.auth.scope import Visibility
from pingan.errors import Forbidden


@dataclass(frozen=True)
class Principal:
    """The caller of a service: identity, permissions, data scope and where the request came from."""

    label: str
    user_id: int | None = None
    unit_id: int | None = None
    token_id: int | None = None
    session_id: str | None = None
    permissions: frozenset[str] = frozenset()
    visibility: Visibility = field(default_factory=Visibility)
    admin_kind: AdminKind | None = None
    source_ip: str | None = None
    must_change_password: bool = False

    def can(self, permission: Permission | str) -> bool:
        """True when the principal holds ``permission``."""
        return str(permission) in self.permissions

    def require(self, permission: Permission | str) -> None:
        """Raise :class:`Forbidden` unless the principal holds ``permission``."""
        if not self.can(permission):
            raise Forbidden(f"permission {permission} is required", permission=str(permission))


SYSTEM = Principal(
    label="system",
    permissions=frozenset(p.value for p in Permission if p is not Permission.AUDIT_READ),
    visibility=Visibility(everything=True),
)


def cli_principal(source: str = "cli") -> Principal:
    """The operator at the server's console: acts as the system, labelled by the command run."""
    return Principal(
        label=source,
        permissions=SYSTEM.permissions | {Permission.AUDIT_READ.value},
        visibility=Visibility(everything=True),
    )
