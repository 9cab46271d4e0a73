"""Counts of the main entities, for ``pingan stats`` and the home pages; later packages register theirs."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditEntry
from pingan.auth.models import ApiToken, Role, User, WebSession
from pingan.org.models import OrgUnit

Counter = Callable[[Session], int]
COUNTERS: dict[str, Counter] = {}
LABELS: dict[str, str] = {}  # gettext msgids shown on pages


def N_(message: str) -> str:
    """Mark a label for the catalog; it is translated when rendered."""
    return message


def register(name: str, counter: Counter, label: str) -> None:
    """Add a named count (e.g. ``grids``, ``vessels``) to the stats, with its page label."""
    COUNTERS[name] = counter
    LABELS[name] = label


def _count(column: object, *where: object) -> Counter:
    def run(session: Session) -> int:
        return int(session.scalar(select(func.count(column)).where(*where)) or 0)  # type: ignore[arg-type]

    return run


register("org_units", _count(OrgUnit.id), N_("Organisation units"))
register("users", _count(User.id), N_("Accounts"))
register("roles", _count(Role.id), N_("Roles"))
register("web_sessions_open", _count(WebSession.id, WebSession.revoked_at.is_(None)), N_("Open sessions"))
register("api_tokens_live", _count(ApiToken.id, ApiToken.revoked_at.is_(None)), N_("Live API tokens"))
register("audit_rows", _count(AuditEntry.id), N_("Audit rows"))


def collect(session: Session) -> dict[str, int]:
    """Every registered count, by name."""
    return {name: counter(session) for name, counter in COUNTERS.items()}
