"""The audit hash chain: each row's HMAC covers its content and the previous row's hash.

An HMAC (keyed with a secret kept outside the database) rather than a bare hash, so someone who can write the
table cannot recompute a consistent chain after tampering (security.md S14, S16).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class ChainRow:
    """The hashed fields of one audit row, as stored."""

    id: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    source_ip: str | None
    details: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainBreak:
    """The first row where the chain does not hold, and why."""

    row_id: int
    problem: str  # "altered", "inserted", "deleted_before", "reordered"
    message: str


def canonical_details(details: Mapping[str, Any]) -> str:
    """Serialise details the one way they are hashed and stored.

    >>> canonical_details({"b": 1, "a": "网格"})
    '{"a":"网格","b":1}'
    """
    return json.dumps(details, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _timestamp(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(key: bytes, row: ChainRow, prev_hash: str) -> str:
    """HMAC-SHA-256 (hex) over the row's content and ``prev_hash``; the stored ``row.hash`` is not read."""
    fields = [
        str(row.id),
        _timestamp(row.at),
        "" if row.actor_id is None else str(row.actor_id),
        row.actor,
        row.action,
        row.object_type or "",
        row.object_id or "",
        row.outcome,
        row.source_ip or "",
        row.details,
        prev_hash,
    ]
    message = "\x1f".join(fields).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def verify(key: bytes, rows: Iterable[ChainRow]) -> tuple[int, ChainBreak | None]:
    """Walk rows in id order; return (rows checked, first break or None).

    A deleted row shows as a gap in ids; an inserted one as a duplicate id or a link that does not fit; an
    altered one as a hash that does not match its content.
    """
    expected_id = 1
    prev = GENESIS
    checked = 0
    for row in rows:
        checked += 1
        if row.id < expected_id:
            return checked, ChainBreak(row.id, "inserted", f"row {row.id} repeats or precedes an earlier id")
        if row.id > expected_id:
            missing = f"{expected_id}" if row.id == expected_id + 1 else f"{expected_id}–{row.id - 1}"
            return checked, ChainBreak(row.id, "deleted_before", f"rows {missing} are missing before row {row.id}")
        if row.prev_hash != prev:
            return checked, ChainBreak(
                row.id, "inserted", f"row {row.id} does not link to row {row.id - 1} (inserted or replaced)"
            )
        if not hmac.compare_digest(row_hash(key, row, prev), row.hash):
            return checked, ChainBreak(row.id, "altered", f"row {row.id} was altered after it was written")
        prev = row.hash
        expected_id += 1
    return checked, None
