"""Photos and documents of a case: checks on type, size and count, and storage with the step that added them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.cases.models import Case, CaseFile
from pingan.config import Settings
from pingan.errors import ValidationFailed

ALLOWED_FILE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf"})
MAX_FILES = 9


@dataclass(frozen=True)
class Upload:
    """A file sent with a report or an action."""

    filename: str
    content_type: str
    data: bytes


def files_of(session: Session, case: Case) -> list[CaseFile]:
    """The case's files (metadata and bytes)."""
    return list(session.scalars(select(CaseFile).where(CaseFile.case_id == case.id).order_by(CaseFile.id)))


def check_files(files: Sequence[Upload], settings: Settings) -> None:
    if len(files) > MAX_FILES:
        raise ValidationFailed(f"at most {MAX_FILES} files per step", code="too_many_files")
    for f in files:
        if f.content_type not in ALLOWED_FILE_TYPES:
            raise ValidationFailed(
                f"{f.filename}: type {f.content_type} not accepted (JPEG, PNG, WebP, GIF or PDF)", code="bad_file_type"
            )
        if not f.data:
            raise ValidationFailed(f"{f.filename}: empty file", code="empty_file")
        if len(f.data) > settings.case_max_file_bytes:
            raise ValidationFailed(
                f"{f.filename}: {len(f.data)} bytes is over the limit of {settings.case_max_file_bytes}",
                code="file_too_large",
            )


def store_files(session: Session, case: Case, step_seq: int, files: Sequence[Upload], now: datetime) -> None:
    for f in files:
        session.add(
            CaseFile(
                case_id=case.id,
                step_seq=step_seq,
                filename=f.filename[:200] or "file",
                content_type=f.content_type,
                size=len(f.data),
                sha256=hashlib.sha256(f.data).hexdigest(),
                data=f.data,
                created_at=now,
            )
        )
