"""The pure hash-chain rules: every kind of tampering is found at the right row."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from pingan.audit.chain import GENESIS, ChainRow, canonical_details, row_hash, verify

KEY = b"k" * 32
T0 = datetime(2026, 11, 29, tzinfo=UTC)


def build(n: int) -> list[ChainRow]:
    rows, prev = [], GENESIS
    for i in range(1, n + 1):
        draft = ChainRow(
            i,
            T0 + timedelta(seconds=i),
            1,
            "sec_li",
            "user.unlock",
            "user",
            str(i),
            "success",
            "127.0.0.1",
            canonical_details({"n": i}),
            prev,
            "",
        )
        row = replace(draft, hash=row_hash(KEY, draft, prev))
        rows.append(row)
        prev = row.hash
    return rows


def test_intact_chain_verifies() -> None:
    assert verify(KEY, build(10)) == (10, None)
    assert verify(KEY, []) == (0, None)


@pytest.mark.parametrize("field", ["actor", "action", "outcome", "details", "object_id", "source_ip"])
def test_altered_field_is_reported_at_its_row(field: str) -> None:
    rows = build(10)
    rows[6] = replace(rows[6], **{field: "tampered"})
    _, brk = verify(KEY, rows)
    assert brk is not None and brk.row_id == 7 and brk.problem == "altered"


def test_altered_time_is_reported() -> None:
    rows = build(5)
    rows[2] = replace(rows[2], at=rows[2].at + timedelta(microseconds=1))
    assert verify(KEY, rows)[1].row_id == 3  # type: ignore[union-attr]


def test_deleted_row_shows_as_a_gap() -> None:
    rows = build(10)
    del rows[3]
    _, brk = verify(KEY, rows)
    assert brk is not None and brk.row_id == 5 and brk.problem == "deleted_before"
    assert "4" in brk.message


def test_deleted_tail_row_is_not_detectable_by_the_chain_alone() -> None:
    # Documented limit: truncating the newest rows leaves a valid shorter chain; the row count kept in
    # backups is what catches that.
    assert verify(KEY, build(10)[:-1])[1] is None


def test_inserted_row_with_recomputed_ids_breaks_the_link() -> None:
    rows = build(6)
    forged = replace(rows[2], action="auth.sign_in", hash="f" * 64)
    shifted = [replace(r, id=r.id + 1) for r in rows[3:]]
    tampered = [*rows[:3], replace(forged, id=4, prev_hash=rows[2].hash), *shifted]
    _, brk = verify(KEY, tampered)
    assert brk is not None and brk.row_id == 4


def test_hash_needs_the_key() -> None:
    rows = build(3)
    assert verify(b"another-key", rows)[1].row_id == 1  # type: ignore[union-attr]


def test_details_are_canonical() -> None:
    assert canonical_details({"b": 2, "a": "沈家门"}) == '{"a":"沈家门","b":2}'
