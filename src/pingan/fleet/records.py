"""Photos and documents, events (violations, incidents, trainings) and the merged timeline of a vessel file."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.errors import NotFound, ValidationFailed
from pingan.fleet.models import (
    Alert,
    DynamicReport,
    EventKind,
    Inspection,
    Port,
    PortCall,
    VesselDocument,
    VesselEvent,
)
from pingan.fleet.schemas import clean_text
from pingan.fleet.service import audit_vessel, check_instant, get_vessel, raise_problems
from pingan.kit.clock import as_utc

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DOCUMENTS_DIR = "fleet-documents"
# Accepted uploads: content type → (file suffix, leading bytes the content must start with).
DOCUMENT_TYPES: dict[str, tuple[str, bytes]] = {
    "image/jpeg": (".jpg", b"\xff\xd8\xff"),
    "image/png": (".png", b"\x89PNG\r\n\x1a\n"),
    "application/pdf": (".pdf", b"%PDF-"),
}


def document_path(storage_root: Path, document: VesselDocument) -> Path:
    """Where the bytes of a document are kept: ``<data dir>/fleet-documents/<vessel id>/<random name>``."""
    return storage_root / DOCUMENTS_DIR / str(document.vessel_id) / document.stored_name


def add_document(
    session: Session,
    vessel_id: int,
    *,
    title: str,
    content_type: str,
    data: bytes,
    storage_root: Path,
    actor: Principal,
    now: datetime,
) -> VesselDocument:
    """Attach a photo (JPEG, PNG) or a PDF of at most 10 MB whose bytes match its declared type."""
    actor.require(Permission.FLEET_WRITE)
    vessel = get_vessel(session, vessel_id, actor=actor)
    problems: list[tuple[str, str]] = []
    clean_title = clean_text(title, field="title", max_length=100, problems=problems)
    kind = DOCUMENT_TYPES.get(content_type.split(";")[0].strip().lower())
    if kind is None:
        problems.append(("file", "only JPEG, PNG and PDF files are accepted"))
    elif not data.startswith(kind[1]):
        problems.append(("file", "the file's content does not match its type"))
    if not data:
        problems.append(("file", "the file is empty"))
    if len(data) > MAX_DOCUMENT_BYTES:
        problems.append(("file", f"the file is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB"))
    raise_problems(problems)
    assert kind is not None
    document = VesselDocument(
        vessel_id=vessel.id,
        title=clean_title,
        content_type=content_type.split(";")[0].strip().lower(),
        stored_name=secrets.token_hex(16) + kind[0],
        size_bytes=len(data),
        uploaded_at=now,
        uploaded_by_id=actor.user_id,
    )
    session.add(document)
    session.flush()
    path = document_path(storage_root, document)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    audit_vessel(
        session,
        "fleet.document.add",
        vessel,
        actor=actor,
        now=now,
        document=document.id,
        content_type=document.content_type,
        size_bytes=document.size_bytes,
    )
    return document


def list_documents(session: Session, vessel_id: int, *, actor: Principal) -> list[VesselDocument]:
    """A vessel's photos and documents."""
    vessel = get_vessel(session, vessel_id, actor=actor)
    stmt = select(VesselDocument).where(VesselDocument.vessel_id == vessel.id).order_by(VesselDocument.id)
    return list(session.scalars(stmt))


def get_document(session: Session, vessel_id: int, document_id: int, *, actor: Principal) -> VesselDocument:
    """One document of a vessel inside the caller's scope."""
    vessel = get_vessel(session, vessel_id, actor=actor)
    document = session.get(VesselDocument, document_id)
    if document is None or document.vessel_id != vessel.id:
        raise NotFound(f"document {document_id} not found on this vessel")
    return document


def delete_document(
    session: Session, vessel_id: int, document_id: int, *, storage_root: Path, actor: Principal, now: datetime
) -> None:
    """Remove a document and its bytes."""
    actor.require(Permission.FLEET_WRITE)
    document = get_document(session, vessel_id, document_id, actor=actor)
    vessel = get_vessel(session, vessel_id, actor=actor)
    path = document_path(storage_root, document)
    session.delete(document)
    session.flush()
    audit_vessel(session, "fleet.document.delete", vessel, actor=actor, now=now, document=document_id)
    path.unlink(missing_ok=True)


def record_event(
    session: Session,
    vessel_id: int,
    *,
    kind: EventKind | str,
    occurred_at: datetime,
    actor: Principal,
    now: datetime,
    severity: int = 1,
    description: str = "",
) -> VesselEvent:
    """Put a violation, incident or training on the vessel's record."""
    actor.require(Permission.FLEET_WRITE)
    vessel = get_vessel(session, vessel_id, actor=actor)
    try:
        event_kind = EventKind(str(kind))
    except ValueError as exc:
        raise ValidationFailed(f"unknown event kind {kind!r}", fields=["kind"]) from exc
    if not 1 <= severity <= 3:
        raise ValidationFailed("severity must be 1 (minor) to 3 (serious)", fields=["severity"])
    at = check_instant(occurred_at, now=now, field="occurred_at")
    event = VesselEvent(
        vessel_id=vessel.id,
        kind=event_kind,
        occurred_at=at,
        severity=severity,
        description=description.strip()[:2000],
        recorded_by_id=actor.user_id,
    )
    session.add(event)
    session.flush()
    audit_vessel(session, "fleet.event.record", vessel, actor=actor, now=now, event=event.id, kind=str(event_kind))
    return event


def list_events(session: Session, vessel_id: int, *, actor: Principal, limit: int = 100) -> list[VesselEvent]:
    """A vessel's events, newest first."""
    vessel = get_vessel(session, vessel_id, actor=actor)
    stmt = select(VesselEvent).where(VesselEvent.vessel_id == vessel.id)
    return list(session.scalars(stmt.order_by(VesselEvent.occurred_at.desc(), VesselEvent.id.desc()).limit(limit)))


# ---------------------------------------------------------------- timeline


@dataclass(frozen=True)
class TimelineItem:
    """One entry of a vessel's timeline."""

    at: datetime
    source: str  # inspection | event | port_call | alert | report
    kind: str
    ref_id: int
    summary: str
    details: dict[str, object]


def vessel_timeline(
    session: Session, vessel_id: int, *, actor: Principal, limit: int = 100, before: datetime | None = None
) -> list[TimelineItem]:
    """Inspections, events, port calls, alerts and dynamic reports of a vessel merged, newest first.

    ``before`` pages back: only entries strictly older than it.
    """
    vessel = get_vessel(session, vessel_id, actor=actor)
    cut = as_utc(before) if before is not None else None

    def newest(stmt: Select[Any], column: Any) -> Select[Any]:
        if cut is not None:
            stmt = stmt.where(column < cut)
        return stmt.order_by(column.desc()).limit(limit)

    items: list[TimelineItem] = []
    for i in session.scalars(
        newest(select(Inspection).where(Inspection.vessel_id == vessel.id), Inspection.inspected_at)
    ):
        items.append(
            TimelineItem(
                i.inspected_at,
                "inspection",
                str(i.result),
                i.id,
                f"{i.checklist}: {i.result}",
                {"checklist": i.checklist, "result": str(i.result), "notes": i.notes},
            )
        )
    for e in session.scalars(
        newest(select(VesselEvent).where(VesselEvent.vessel_id == vessel.id), VesselEvent.occurred_at)
    ):
        items.append(TimelineItem(e.occurred_at, "event", str(e.kind), e.id, e.description, {"severity": e.severity}))
    calls = newest(
        select(PortCall, Port.code, Port.name)
        .join(Port, Port.id == PortCall.port_id)
        .where(PortCall.vessel_id == vessel.id),
        PortCall.entered_at,
    )
    for call, port_code, port_name in session.execute(calls):
        items.append(
            TimelineItem(
                call.entered_at,
                "port_call",
                "port_call",
                call.id,
                port_name,
                {"port": port_code, "exited_at": call.exited_at.isoformat() if call.exited_at else None},
            )
        )
    for a in session.scalars(newest(select(Alert).where(Alert.vessel_id == vessel.id), Alert.raised_at)):
        items.append(
            TimelineItem(
                a.raised_at, "alert", a.kind, a.id, a.message, {"status": str(a.status), "severity": a.severity}
            )
        )
    for r in session.scalars(
        newest(select(DynamicReport).where(DynamicReport.vessel_id == vessel.id), DynamicReport.reported_at)
    ):
        items.append(
            TimelineItem(
                r.reported_at,
                "report",
                str(r.kind),
                r.id,
                r.destination or r.status_note,
                {
                    "crew_on_board": r.crew_on_board,
                    "destination": r.destination,
                    "expected_return_at": r.expected_return_at.isoformat() if r.expected_return_at else None,
                    "source": r.source,
                },
            )
        )
    items.sort(key=lambda t: (t.at, t.source, t.ref_id), reverse=True)
    return items[:limit]
