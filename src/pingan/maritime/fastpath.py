"""Vectorised batch decoder for AIS messages, field-identical to pyais 3.3.1.

:func:`decode_buffer` takes a whole buffer of NMEA lines (``\\n`` or ``\\r\\n`` separated, as read from a file or a
UDP batch) and decodes, with NumPy and without a Python loop per line, every single-sentence position report
(types 1, 2, 3, 18 and 27) and, with ``static=True``, the common static messages (types 4 and 11, 5, 21 and 24
parts A and B, see :mod:`pingan.maritime.fastpath_static`):

1. line bounds from one scan for ``\\n``; a trailing ``\\r`` is dropped;
2. an optional IEC 62320-1 tag block (``\\s:2573345,c:1662643300*5E\\``) is checked (its own checksum) and its
   ``c:`` (receiver time, unix seconds) and ``s:`` (source station) fields are read;
3. the sentence header ``!ccVDM,c,n,[seq],[channel],`` is matched against a template, byte columns at once;
4. the payload (28 characters for types 1-3 and 18, 16 for type 27) is de-armoured with one ``bytes.translate``
   to six-bit values, which are packed eight at a time into 48-bit words with shifts on 64-bit lanes (SWAR);
5. the NMEA checksum (XOR of the bytes between ``!`` and ``*``) is folded from 32/64-bit words;
6. fields are cut from the words with shifts and masks and scaled exactly as pyais does (lat/lon with pyais's
   integer rounding ``((10 v + 3) // 6) / 1e6``, speed and course ``v / 10.0``, ROT from pyais's own formula).

Static messages take the same steps on lines of any payload length, and a two-sentence message (type 5) is
joined from fragments on adjacent lines; they land in ``FastBatch.static``, a :class:`StaticTable`.

Everything else is classified, again vectorised, as *fallback* (a well-formed AIS sentence that pyais should
decode: multi-part, other message types, odd lengths or fill bits, unusual talkers or channels, long tag blocks)
or *rejected* (with a reason from :data:`REASONS`). Every line is accounted for exactly once::

    len(batch) + batch.static.n_lines + len(batch.fallback) + len(batch.rejected) + len(batch.blank) == batch.n_lines

Lines are the pieces of ``buf.split(b"\\n")``, without the empty piece after a final ``\\n``; ``line_no`` counts
from 0. Only shapes proven identical to pyais take the fast path (position reports of the standard length with
fill bits 0, static messages long enough for pyais to read every field whole, no stray ``*`` in trailing
receiver metadata such as USCG ``,d-109,S2105,...``); anything else is left to pyais. With ``static=True`` the
fallback lines, through pyais's stream (``IterMessages``), give exactly the messages that the whole input gives
minus those decoded here: the fragments that pyais's stream would drop anyway, and which could otherwise meet
once the joined pairs are out of the stream, are rejected as ``orphan_fragment``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from pingan.maritime.fastpath_static import (
    STATIC_FIELDS,
    STATIC_LAYOUTS,
    StaticCandidates,
    StaticTable,
    decode_static,
    empty_table,
    orphan_fragments,
)
from pingan.maritime.fastpath_tags import (
    MAX_LINE_BYTES,
    META_WINDOW,
    PAD,
    REASONS,
    PaddedBytes,
    bits,
    classify,
    degrees,
    flag,
    gather,
    hex_pair,
    meta_ok,
    slot_key,
    tag_blocks,
    unarmour,
    xor_rows,
)

__all__ = [
    "MAX_LINE_BYTES",
    "REASONS",
    "STATIC_FIELDS",
    "STATIC_LAYOUTS",
    "TYPE_FIELDS",
    "FastBatch",
    "StaticTable",
    "decode_buffer",
]

_CHUNK_LINES: Final = 1 << 15  # lines per fast-path chunk: keeps temporaries in cache

TYPE_FIELDS: Final[dict[int, tuple[str, ...]]] = {
    1: (
        "msg_type", "repeat", "mmsi", "status", "turn", "speed", "accuracy", "lon", "lat", "course", "heading",
        "second", "maneuver", "raim", "radio",
    ),
    18: (
        "msg_type", "repeat", "mmsi", "reserved_1", "speed", "accuracy", "lon", "lat", "course", "heading", "second",
        "reserved_2", "cs", "display", "dsc", "band", "msg22", "assigned", "raim", "radio",
    ),
    27: ("msg_type", "repeat", "mmsi", "accuracy", "raim", "status", "lon", "lat", "speed", "course", "gnss"),
}  # fmt: skip
"""The keys of pyais's ``asdict()`` for each family (2 and 3 as 1), in pyais's order."""
TYPE_FIELDS[2] = TYPE_FIELDS[3] = TYPE_FIELDS[1]

_FLOAT_FIELDS: Final = ("turn", "speed", "lon", "lat", "course")
_BOOL_FIELDS: Final = ("accuracy", "raim", "cs", "display", "dsc", "band", "msg22", "assigned", "gnss")
_INT_FIELDS: Final = {
    "msg_type": np.uint8,
    "repeat": np.uint8,
    "mmsi": np.uint32,
    "status": np.uint8,
    "heading": np.uint16,
    "second": np.uint8,
    "maneuver": np.uint8,
    "radio": np.uint32,
    "reserved_1": np.uint8,
    "reserved_2": np.uint8,
}


# ---------------------------------------------------------------- lookup tables

_CHANNEL_OK = np.zeros(256, dtype=bool)
_CHANNEL_OK[list(b"AB12")] = True
_TYPE_CLASS_A = np.zeros(256, dtype=bool)
_TYPE_CLASS_A[list(b"123")] = True


def _pyais_turn(raw: int) -> float:
    """pyais's ``to_turn`` on a signed raw ROT value: the same arithmetic, so the same floats (and -0.0)."""
    if raw == 0:
        return 0.0
    if abs(raw) in (127, 128):
        return float(-128 if raw == -128 else raw)
    return math.copysign(round((raw / 4.733) ** 2), raw)


_TURN = np.array([_pyais_turn(r - 256 if r > 127 else r) for r in range(256)], dtype=np.float64)
# A static message's first payload character: types 4 ("4"), 5 ("5"), 11 (";"), 21 ("E"), 24 ("H").
_STATIC_FIRST = np.zeros(256, dtype=bool)
_STATIC_FIRST[list(b"45;EH")] = True


def _le_u64(data: bytes) -> int:
    return int.from_bytes(data, "little")


# Header bytes 0-7 ("!" talker talker V D M/O , count) and 8-10 (", number ,"), compared as little-endian words;
# the fragment count and number are read on their own.
_HEAD_MASK_0: Final = _le_u64(bytes([0xFF, 0, 0, 0xFF, 0xFF, 0xFD, 0xFF, 0]))
_HEAD_WANT_0: Final = _le_u64(b"!\0\0VDM,\0")  # "M" & 0xFD == "O" & 0xFD
_HEAD_MASK_1: Final = _le_u64(bytes([0xFF, 0, 0xFF, 0, 0, 0, 0, 0]))
_HEAD_WANT_1: Final = _le_u64(b",\0,\0\0\0\0\0")
# Bytes 1-12 of the header always count in the checksum; 13 and 14 only when the payload starts after them.
_HEAD_XOR_COLUMNS = np.array([0] + [1] * 12 + [0] * 3, dtype=np.uint8)
_AR16 = np.arange(16)


# ---------------------------------------------------------------- the result


@dataclass(frozen=True, eq=False)
class FastBatch:
    """Columns of the decoded position reports, one row per message, plus the lines left for pyais or rejected.

    Values are pyais 3.3.1's, field for field: ``speed`` in knots, ``course`` in degrees, ``lon``/``lat`` in
    degrees (sentinels 181/91 kept), ``turn`` as pyais's ROT (deg/min, or the raw -128/±127 markers), ``heading``
    in degrees (511 = n/a). A field that a row's message type does not carry holds 0, ``False`` or NaN; see
    :meth:`applies`. ``received_at`` is the tag-block receiver time ``c:`` in unix seconds (NaN when absent or not
    an integer; a value of 12 or more digits is taken as milliseconds); ``station`` indexes ``stations``, the
    tag-block ``s:`` names (-1 when the line has none). Rows are in line order; ``line_start``/``line_end`` are
    the byte offsets of every line (end excluding the line break), for :meth:`lines`. ``static`` holds the
    static messages decoded with ``decode_buffer(..., static=True)`` (empty otherwise), in a table of their own
    with its own ``line_no`` (and ``line_no2`` for the second line of a two-sentence message).
    """

    n_lines: int
    line_no: NDArray[np.int64]
    msg_type: NDArray[np.uint8]
    repeat: NDArray[np.uint8]
    mmsi: NDArray[np.uint32]
    status: NDArray[np.uint8]
    turn: NDArray[np.float64]
    speed: NDArray[np.float64]
    accuracy: NDArray[np.bool_]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    course: NDArray[np.float64]
    heading: NDArray[np.uint16]
    second: NDArray[np.uint8]
    maneuver: NDArray[np.uint8]
    raim: NDArray[np.bool_]
    radio: NDArray[np.uint32]
    reserved_1: NDArray[np.uint8]
    reserved_2: NDArray[np.uint8]
    cs: NDArray[np.bool_]
    display: NDArray[np.bool_]
    dsc: NDArray[np.bool_]
    band: NDArray[np.bool_]
    msg22: NDArray[np.bool_]
    assigned: NDArray[np.bool_]
    gnss: NDArray[np.bool_]
    received_at: NDArray[np.float64]
    station: NDArray[np.int32]
    stations: list[str]
    static: StaticTable
    fallback: NDArray[np.int64]
    rejected: NDArray[np.int64]
    reason: NDArray[np.uint8]
    blank: NDArray[np.int64]
    line_start: NDArray[np.int64]
    line_end: NDArray[np.int64]

    def __len__(self) -> int:
        """Number of decoded messages."""
        return len(self.line_no)

    def applies(self, name: str) -> NDArray[np.bool_]:
        """Rows whose message type carries field ``name`` (``received_at`` and ``station`` apply to all rows)."""
        if name in ("line_no", "received_at", "station"):
            return np.ones(len(self), dtype=bool)
        types = [t for t, names in TYPE_FIELDS.items() if name in names]
        if not types:
            raise KeyError(name)
        return np.isin(self.msg_type, types)

    def record(self, i: int) -> dict[str, int | float | bool]:
        """Row ``i`` as the dict pyais's ``decode(line).asdict()`` gives (plain ints instead of its int enums)."""
        out: dict[str, int | float | bool] = {}
        for name in TYPE_FIELDS[int(self.msg_type[i])]:
            value = getattr(self, name)[i]
            out[name] = value.item()
        return out

    def lines(self, buf: bytes, line_nos: NDArray[np.int64]) -> list[bytes]:
        """The raw bytes of the given lines of ``buf`` (without the line break), e.g. ``batch.fallback``."""
        starts, ends = self.line_start[line_nos].tolist(), self.line_end[line_nos].tolist()
        return [buf[s:e] for s, e in zip(starts, ends, strict=True)]


# ---------------------------------------------------------------- the fast path


def _decode_class_a(w: list[NDArray[np.uint64]], out: dict[str, NDArray[Any]], at: NDArray[np.int64]) -> None:
    """Types 1, 2, 3: 168 bits, as pyais's ``MessageType1._fast_path``."""
    out["status"][at] = bits(w, 38, 4)
    out["turn"][at] = _TURN[bits(w, 42, 8)]
    out["speed"][at] = bits(w, 50, 10) / 10.0
    out["accuracy"][at] = flag(w, 60)
    out["lon"][at] = degrees(w, 61, 28, 10)
    out["lat"][at] = degrees(w, 89, 27, 10)
    out["course"][at] = bits(w, 116, 12) / 10.0
    out["heading"][at] = bits(w, 128, 9)
    out["second"][at] = bits(w, 137, 6)
    out["maneuver"][at] = bits(w, 143, 2)
    out["raim"][at] = flag(w, 148)
    out["radio"][at] = bits(w, 149, 19)


def _decode_class_b(w: list[NDArray[np.uint64]], out: dict[str, NDArray[Any]], at: NDArray[np.int64]) -> None:
    """Type 18: 168 bits, as pyais's ``MessageType18._fast_path``."""
    out["reserved_1"][at] = bits(w, 38, 8)
    out["speed"][at] = bits(w, 46, 10) / 10.0
    out["accuracy"][at] = flag(w, 56)
    out["lon"][at] = degrees(w, 57, 28, 10)
    out["lat"][at] = degrees(w, 85, 27, 10)
    out["course"][at] = bits(w, 112, 12) / 10.0
    out["heading"][at] = bits(w, 124, 9)
    out["second"][at] = bits(w, 133, 6)
    out["reserved_2"][at] = bits(w, 139, 2)
    for bit, name in enumerate(("cs", "display", "dsc", "band", "msg22", "assigned", "raim"), start=141):
        out[name][at] = flag(w, bit)
    out["radio"][at] = bits(w, 148, 20)


def _decode_long_range(w: list[NDArray[np.uint64]], out: dict[str, NDArray[Any]], at: NDArray[np.int64]) -> None:
    """Type 27: 96 bits, as pyais's generic decoder (speed and course are plain floats of the raw values)."""
    out["accuracy"][at] = flag(w, 38)
    out["raim"][at] = flag(w, 39)
    out["status"][at] = bits(w, 40, 4)
    out["lon"][at] = degrees(w, 44, 18, 10000)
    out["lat"][at] = degrees(w, 62, 17, 10000)
    out["speed"][at] = bits(w, 79, 6).astype(np.float64)
    out["course"][at] = bits(w, 85, 9).astype(np.float64)
    out["gnss"][at] = flag(w, 94)


def _empty_columns(m: int) -> dict[str, NDArray[Any]]:
    """Decoded columns of ``m`` rows, filled with the value of a field that does not apply (0, NaN, False)."""
    columns: dict[str, NDArray[Any]] = {name: np.zeros(m, dtype=dtype) for name, dtype in _INT_FIELDS.items()}
    columns.update({name: np.full(m, np.nan) for name in _FLOAT_FIELDS})
    columns.update({name: np.zeros(m, dtype=bool) for name in _BOOL_FIELDS})
    columns["received_at"] = np.full(m, np.nan)
    columns["station"] = np.full(m, -1, dtype=np.int32)
    return columns


@dataclass
class _Chunk:
    """One chunk of non-blank lines: where its bytes are read from, and where they sit in the whole buffer."""

    a: NDArray[np.uint8]  # the buffer, or the zero-padded copy of its tail
    shift: int  # byte offset of ``a`` in the buffer
    lines: NDArray[np.int64]  # line numbers
    first_order: int  # index of the first line among the non-blank lines
    starts: NDArray[np.int64]  # line bounds in ``a``
    ends: NDArray[np.int64]


def _fast_chunk(
    chunk: _Chunk, stations: dict[bytes, int], out: dict[str, NDArray[Any]], first_row: int, *, static: bool
) -> tuple[NDArray[np.bool_], StaticCandidates | None]:
    """Decode the lines of one chunk that are standard single-sentence position reports into ``out`` from row
    ``first_row`` on; return which lines were decoded and (with ``static``) the lines for the static pass."""
    a, starts, ends = chunk.a, chunk.starts, chunk.ends
    n = len(starts)
    ok = np.ones(n, dtype=bool)
    sentence = starts.copy()
    received_at = np.full(n, np.nan)
    station = np.full(n, -1, dtype=np.int32)
    tagged = np.flatnonzero(a[starts] == ord("\\"))
    if len(tagged):
        tags = tag_blocks(a, starts[tagged], ends[tagged], stations)
        ok[tagged] = tags.ok
        sentence[tagged] = tags.sentence
        received_at[tagged] = tags.received_at
        station[tagged] = tags.station

    # Header "!ccVDM,c,n,[digit],[A|B|1|2]," against a template, eight bytes at a time.
    head = gather(a, sentence, 16)
    hw = head.view(np.uint64)
    ok &= (hw[:, 0] & np.uint64(_HEAD_MASK_0)) == np.uint64(_HEAD_WANT_0)
    ok &= (hw[:, 1] & np.uint64(_HEAD_MASK_1)) == np.uint64(_HEAD_WANT_1)
    ok &= (head[:, 1] - np.uint8(65) < 26) & (head[:, 2] - np.uint8(65) < 26)  # talker: two capitals
    count, number = head[:, 7], head[:, 9]
    single = (count == ord("1")) & (number == ord("1"))
    two = (count == ord("2")) & ((number == ord("1")) | (number == ord("2")))
    b11, b12, b13, b14 = head[:, 11], head[:, 12], head[:, 13], head[:, 14]
    seq_empty = b11 == ord(",")
    seq_digit = (b11 - np.uint8(48) < 10) & (b12 == ord(","))
    offset = np.select(
        [
            seq_empty & (b12 == ord(",")),
            seq_empty & _CHANNEL_OK[b12] & (b13 == ord(",")),
            seq_digit & (b13 == ord(",")),
            seq_digit & _CHANNEL_OK[b13] & (b14 == ord(",")),
        ],
        [13, 14, 14, 15],
        0,
    )
    ok &= offset > 0
    head_ok = ok & (single | two)
    pstart = sentence + offset
    first = a[pstart]
    long_range = first == ord("K")
    ok &= single & (_TYPE_CLASS_A[first] | (first == ord("B")) | long_range)
    length = np.where(long_range, 16, 28)

    # Tail: ",0*hh", then the end of the line or receiver metadata after a comma.
    tail_at = pstart + length
    tail = gather(a, tail_at, 6)
    ok &= (tail[:, 0] == ord(",")) & (tail[:, 1] == ord("0")) & (tail[:, 2] == ord("*"))
    hex_ok, expected = hex_pair(tail[:, 3], tail[:, 4])
    ok &= hex_ok
    after = tail_at + 5
    with_meta = (after < ends) & (tail[:, 5] == ord(","))
    ok &= (after == ends) | with_meta
    meta = np.flatnonzero(ok & with_meta)
    if len(meta):
        ok[meta] = meta_ok(gather(a, after[meta] + 1, META_WINDOW), ends[meta] - after[meta] - 1)

    # Checksum: the header bytes after "!" (13 to 15 of them), the payload, and ",0".
    check = xor_rows(head * _HEAD_XOR_COLUMNS) ^ np.uint8(ord(",") ^ ord("0"))
    check ^= np.where(offset >= 14, b13, 0).astype(np.uint8) ^ np.where(offset >= 15, b14, 0).astype(np.uint8)

    decoded = np.zeros(n, dtype=bool)
    groups = []
    candidates = np.flatnonzero(ok)
    for width, of_width in ((28, ~long_range), (16, long_range)):
        idx = candidates[of_width[candidates]]
        rows = gather(a, pstart[idx], width)
        if width % 8:  # whole 64-bit lanes: pad with "0", the armour for six zero bits (XOR of four "0"s is 0)
            rows = np.concatenate([rows, np.full((len(idx), 8 - width % 8), ord("0"), dtype=np.uint8)], axis=1)
        words, valid = unarmour(rows)
        good = valid & ((check[idx] ^ xor_rows(rows)) == expected[idx])
        decoded[idx[good]] = True
        groups.append((idx[good], [w[good] for w in words]))

    rank = first_row + np.cumsum(decoded) - 1
    rows_at = np.flatnonzero(decoded)
    span = slice(first_row, first_row + len(rows_at))
    out["received_at"][span] = received_at[rows_at]
    out["station"][span] = station[rows_at]
    for idx, w in groups:
        at = rank[idx]
        out["msg_type"][at] = w[0] >> np.uint64(42)
        out["repeat"][at] = bits(w, 6, 2)
        out["mmsi"][at] = bits(w, 8, 30)
        kind = first[idx]
        for in_group, decoder in (
            (_TYPE_CLASS_A[kind], _decode_class_a),
            (kind == ord("B"), _decode_class_b),
            (kind == ord("K"), _decode_long_range),
        ):
            sub = np.flatnonzero(in_group)
            if len(sub):
                decoder([x[sub] for x in w], out, at[sub])
    if not static:
        return decoded, None

    idx = np.flatnonzero(head_ok & ~decoded & ((single & _STATIC_FIRST[first]) | two))
    h = head[idx]
    seq_digit = (h[:, 11] != ord(",")).astype(np.int64)
    channel = np.where(offset[idx] - seq_digit == 14, h[np.arange(len(idx)), 12 + seq_digit], 0).astype(np.int64)
    return decoded, StaticCandidates(
        line=chunk.lines[idx],
        order=chunk.first_order + idx,
        start=starts[idx] + chunk.shift,
        sentence=sentence[idx] + chunk.shift,
        payload=pstart[idx] + chunk.shift,
        end=ends[idx] + chunk.shift,
        count=count[idx] - np.uint8(ord("0")),
        number=number[idx] - np.uint8(ord("0")),
        received_at=received_at[idx],
        station=station[idx],
        slot=slot_key(
            (hw[idx, 0] >> np.uint64(8)) & np.uint64((1 << 40) - 1),
            np.where(seq_digit == 1, h[:, 11].astype(np.int64) - ord("0") + 1, 0),
            channel << 8,
        ),
        head_xor=xor_rows(h * ((_AR16 >= 1) & (offset[idx, None] > _AR16))),
    )


# ---------------------------------------------------------------- the entry point


def decode_buffer(buf: bytes, *, static: bool = False) -> FastBatch:
    """Decode every single-sentence AIS position report (types 1, 2, 3, 18, 27) in a buffer of NMEA lines, and
    with ``static`` the common static messages (types 4, 5, 11, 21, 24) too.

    Parameters
    ----------
    buf : bytes
        NMEA lines separated by ``\\n`` or ``\\r\\n``, optionally with IEC 62320-1 tag blocks and trailing
        receiver metadata.
    static : bool
        Also decode static messages into ``FastBatch.static`` (a :class:`StaticTable`); without it their lines
        are left in ``fallback`` for pyais, as callers that read only the position columns expect.

    Returns
    -------
    FastBatch
        The decoded columns (one row per message, in line order; values identical to pyais 3.3.1), the static
        table, the lines to decode with pyais (``fallback``), the rejected lines with a reason each, and the
        blank lines.

    Examples
    --------
    >>> batch = decode_buffer(b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\\r\\n\\n!AIVDM,1,1,,A,15RTgt,0*00\\n")
    >>> batch.record(0)["mmsi"], batch.record(0)["lon"], batch.record(0)["speed"], batch.record(0)["turn"]
    (371798000, -123.395383, 12.3, -127.0)
    >>> batch.blank.tolist(), batch.rejected.tolist(), [REASONS[r] for r in batch.reason]
    ([1], [2], ['checksum'])
    >>> both = decode_buffer(
    ...     b"!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C\\n"
    ...     b"!AIVDM,2,2,1,A,88888888880,2*25\\n",
    ...     static=True,
    ... )
    >>> both.static.record(0)["shipname"], both.static.record(0)["destination"], both.static.line_no2.tolist()
    ('EVER DIADEM', 'NEW YORK', [1])
    """
    n_bytes = len(buf)
    a = np.frombuffer(buf, dtype=np.uint8)
    # Line breaks a megabyte at a time: the comparison's temporary stays in cache.
    step = 1 << 20
    pieces = [np.flatnonzero(a[i : i + step] == ord("\n")) + i for i in range(0, n_bytes, step)]
    breaks = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
    line_start = np.concatenate(([0], breaks + 1)).astype(np.int64)
    line_end = np.concatenate((breaks, [n_bytes])).astype(np.int64)
    if n_bytes == 0 or buf[-1:] == b"\n":
        line_start, line_end = line_start[:-1], line_end[:-1]
    has_cr = (line_end > line_start) & (a[np.maximum(line_end - 1, 0)] == ord("\r"))
    line_end = line_end - has_cr

    nonblank = np.flatnonzero(line_end > line_start)
    stations: dict[bytes, int] = {}
    columns = _empty_columns(len(nonblank))  # trimmed to the decoded rows below
    decoded = np.zeros(len(nonblank), dtype=bool)
    candidates: list[StaticCandidates] = []
    n_rows = 0
    # Fixed-width reads reach a few hundred bytes past a line's start: the lines near the end of the buffer are
    # read from a zero-padded copy of the tail, so that the whole buffer need not be copied.
    near_end = int(np.searchsorted(line_start[nonblank], n_bytes - PAD))
    base = int(line_start[nonblank[near_end]]) if near_end < len(nonblank) else n_bytes
    tail = np.zeros(n_bytes - base + PAD, dtype=np.uint8)
    tail[: n_bytes - base] = a[base:]
    for lo, hi, source, shift in ((0, near_end, a, 0), (near_end, len(nonblank), tail, base)):
        for i in range(lo, hi, _CHUNK_LINES):
            part = nonblank[i : min(i + _CHUNK_LINES, hi)]
            chunk = _Chunk(source, shift, part, i, line_start[part] - shift, line_end[part] - shift)
            done, found = _fast_chunk(chunk, stations, columns, n_rows, static=static)
            decoded[i : i + len(part)] = done
            n_rows += int(done.sum())
            if found is not None:
                candidates.append(found)
    columns = {name: column[:n_rows] for name, column in columns.items()}

    table, slot = empty_table(), np.zeros(0, dtype=np.int64)
    if static:
        table, slot = decode_static(PaddedBytes(a), StaticCandidates.concat(candidates))
    used = np.zeros(len(line_start), dtype=bool)
    used[nonblank[decoded]] = True
    used[table.line_no] = True
    used[table.line_no2[table.line_no2 >= 0]] = True
    rest = nonblank[~used[nonblank]]
    framing = classify(buf, line_start[rest], line_end[rest])
    reason = framing.reason
    if static:  # fragments that pyais drops, which could otherwise meet in the fallback once the pairs are out
        take = np.flatnonzero(reason < 0)
        dead = orphan_fragments(
            table, slot, rest[take], framing.frag_cnt[take], framing.frag_num[take], framing.slot[take]
        )
        reason[take[dead]] = REASONS.index("orphan_fragment")
    return FastBatch(
        n_lines=len(line_start),
        line_no=nonblank[decoded],
        **columns,
        stations=[name.decode("ascii") for name in stations],
        static=table,
        fallback=rest[reason < 0],
        rejected=rest[reason >= 0],
        reason=reason[reason >= 0].astype(np.uint8),
        blank=np.flatnonzero(line_end == line_start),
        line_start=line_start,
        line_end=line_end,
    )
