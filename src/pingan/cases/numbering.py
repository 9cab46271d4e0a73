"""Case numbers (一事一码): ``ZS-2026-000123``, one counter row per local year.

Unlike the services, this module commits — but only its own short transaction on its own connection (PostgreSQL),
never the caller's: see :func:`next_number`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from pingan.cases.models import CaseNumberSeq
from pingan.config import Settings
from pingan.kit.clock import to_local

NUMBER_LOCK_TIMEOUT = "500ms"


def next_number(session: Session, settings: Settings, now: datetime) -> str:
    """The next 一事一码 of the local year: ``ZS-2026-000123``.

    On PostgreSQL the counter moves in its own short transaction, so concurrent reports do not queue behind each
    other's row lock until commit; a report that is then rolled back leaves a gap in the numbers (as sequences
    do). If the caller's own transaction already holds the counter row (a bulk load that set it), that short
    transaction would wait for us forever: after :data:`NUMBER_LOCK_TIMEOUT` it gives up and the counter moves
    inside the caller's transaction instead. On SQLite the write lock already serialises writers, and the
    counter always moves inside the transaction.
    """
    year = to_local(now, settings.display_timezone).year
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(CaseNumberSeq)
        .values(year=year, last=1)
        .on_conflict_do_update(index_elements=["year"], set_={"last": CaseNumberSeq.last + 1})
        .returning(CaseNumberSeq.last)
    )
    seq: int | None = None
    if dialect == "postgresql":
        try:
            with session.get_bind().engine.connect() as conn:
                conn.execute(text(f"SET LOCAL lock_timeout = '{NUMBER_LOCK_TIMEOUT}'"))
                seq = conn.execute(stmt).scalar_one()
                conn.commit()
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
                raise
    if seq is None:
        seq = session.execute(stmt).scalar_one()
    return f"{settings.case_number_prefix}-{year}-{seq:06d}"
