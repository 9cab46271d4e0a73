"""Vectorised batch decoder for AIS position reports (types 1, 2, 3, 18 and 27), field-identical to pyais 3.3.1.

:func:`decode_buffer` takes a whole buffer of NMEA lines (``\\n`` or ``\\r\\n`` separated, as read from a file or a
UDP batch) and decodes every single-sentence position report with NumPy, without a Python loop per line:

1. line bounds from one scan for ``\\n``; a trailing ``\\r`` is dropped;
2. an optional IEC 62320-1 tag block (``\\s:2573345,c:1662643300*5E\\``) is checked (its own checksum) and its
   ``c:`` (receiver time, unix seconds) and ``s:`` (source station) fields are read;
3. the sentence header ``!ccVDM,1,1,[seq],[channel],`` is matched against a template, byte columns at once;
4. the payload (28 characters for types 1-3 and 18, 16 for type 27) is de-armoured with one ``bytes.translate``
   to six-bit values, which are packed eight at a time into 48-bit words with shifts on 64-bit lanes (SWAR);
5. the NMEA checksum (XOR of the bytes between ``!`` and ``*``) is folded from 32/64-bit words;
6. fields are cut from the words with shifts and masks and scaled exactly as pyais does (lat/lon with pyais's
   integer rounding ``((10 v + 3) // 6) / 1e6``, speed and course ``v / 10.0``, ROT from pyais's own formula).

Everything else is classified, again vectorised, as *fallback* (a well-formed AIS sentence that pyais should
decode: multi-part, other message types, odd lengths or fill bits, unusual talkers or channels, long tag blocks)
or *rejected* (with a reason from :data:`REASONS`). Every line is accounted for exactly once::

    len(batch) + len(batch.fallback) + len(batch.rejected) + len(batch.blank) == batch.n_lines

Lines are the pieces of ``buf.split(b"\\n")``, without the empty piece after a final ``\\n``; ``line_no`` counts
from 0. Only exact, standard shapes take the fast path (fill bits 0, no stray ``*`` in trailing receiver metadata
such as USCG ``,d-109,S2105,...``); anything the fast path does not prove identical to pyais is left to pyais.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

__all__ = [
    "MAX_LINE_BYTES",
    "REASONS",
    "TYPE_FIELDS",
    "FastBatch",
    "decode_buffer",
]

REASONS: Final = ("checksum", "malformed", "too_long", "binary", "tag_checksum", "not_ais", "unknown_type")
"""Reject reason names; ``FastBatch.reason`` holds indexes into this tuple.

``checksum``: the NMEA checksum does not match. ``malformed``: not the shape of an NMEA/AIS sentence (no ``!`` or
``$``, no ``*hh``, not six fields, fragment count/number out of range, fill bits over 5, empty payload, a broken
tag block). ``too_long``: the line exceeds :data:`MAX_LINE_BYTES` or the payload 200 characters (pyais's limit).
``binary``: a byte outside printable ASCII. ``tag_checksum``: the tag block's own checksum does not match.
``not_ais``: a valid NMEA sentence other than VDM/VDO (e.g. GPS ``$GPGGA``). ``unknown_type``: an AIS message
pyais cannot decode (types 29-63, type 24 with part number 2 or 3).
"""
_R_CHECKSUM, _R_MALFORMED, _R_TOO_LONG, _R_BINARY, _R_TAG_CHECKSUM, _R_NOT_AIS, _R_UNKNOWN_TYPE = range(len(REASONS))

MAX_LINE_BYTES: Final = 512
"""Longer lines are rejected as ``too_long`` (an NMEA sentence is at most 82 characters; tag block and receiver
metadata add well under 200)."""
_MAX_PAYLOAD_CHARS: Final = 200  # pyais refuses longer payloads
_MAX_TYPE: Final = 28  # pyais knows types 0-28
_TAG_WINDOW: Final = 64  # tag blocks longer than this go to the fallback path
_META_WINDOW: Final = 128  # trailing receiver metadata longer than this goes to the fallback path
_VALUE_WINDOW: Final = 16  # the longest tag-block c: or s: value read on the fast path
_CHUNK_LINES: Final = 1 << 15  # lines per fast-path chunk: keeps temporaries in cache
_PAD: Final = 1024  # fixed-width reads stay within this many bytes of a line's start

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


def _byte_table(pairs: dict[int, int], default: int) -> NDArray[np.uint8]:
    table = np.full(256, default, dtype=np.uint8)
    for k, v in pairs.items():
        table[k] = v
    return table


_HEX = _byte_table({**{c: int(chr(c), 16) for c in b"0123456789abcdefABCDEF"}}, 255)
# Six-bit armour: '0'..'W' -> 0..39, '`'..'w' -> 40..63; pyais reads any other byte as 0.
_ARMOUR_OK = np.zeros(256, dtype=bool)
_ARMOUR_OK[48:88] = True
_ARMOUR_OK[96:120] = True
_SIXBIT = _byte_table({c: (c - 48 if c < 88 else c - 56) for c in range(256) if _ARMOUR_OK[c]}, 0)
# Byte -> six-bit value, 0xFF outside the armour alphabet (for bytes.translate).
_TO_SIXBIT = bytes(int(_SIXBIT[c]) if _ARMOUR_OK[c] else 0xFF for c in range(256))
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
_POW10 = 10 ** np.arange(19, dtype=np.int64)
_POW10_DESC = _POW10[_VALUE_WINDOW - 1 :: -1].copy()

_AR = np.arange(max(_TAG_WINDOW, _META_WINDOW, 28), dtype=np.int64)
_AR8 = _AR.astype(np.uint8)
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)], dtype=np.uint64)  # the first k bytes of a word


def _le_u64(data: bytes) -> int:
    return int.from_bytes(data, "little")


# Header bytes 0-7 ("!" talker talker V D M/O , 1) and 8-10 (", 1 ,"), compared as little-endian words.
_HEAD_MASK_0: Final = _le_u64(bytes([0xFF, 0, 0, 0xFF, 0xFF, 0xFD, 0xFF, 0xFF]))
_HEAD_WANT_0: Final = _le_u64(b"!\0\0VDM,1")  # "M" & 0xFD == "O" & 0xFD
_HEAD_MASK_1: Final = _le_u64(bytes([0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0]))
_HEAD_WANT_1: Final = _le_u64(b",1,\0\0\0\0\0")
# Bytes 1-12 of the header always count in the checksum; 13 and 14 only when the payload starts after them.
_HEAD_XOR_COLUMNS = np.array([0] + [1] * 12 + [0] * 3, dtype=np.uint8)


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
    the byte offsets of every line (end excluding the line break), for :meth:`lines`.
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


# ---------------------------------------------------------------- helpers


def _gather(a: NDArray[np.uint8], pos: NDArray[np.int64], width: int) -> NDArray[np.uint8]:
    """Bytes ``a[pos[i] : pos[i] + width]`` as rows of a C-contiguous 2-D array.

    Indexing rows of a sliding-window view copies each window with one contiguous copy; it is about ten times
    faster than indexing with a 2-D array of byte positions.
    """
    out: NDArray[np.uint8] = sliding_window_view(a, width)[pos]
    return out


def _fold(x: NDArray[np.uint64] | NDArray[np.uint32], width: int) -> NDArray[np.uint8]:
    """XOR of the bytes of each ``width``-bit word."""
    shift = width // 2
    while shift >= 8:
        x = x ^ (x >> x.dtype.type(shift))
        shift //= 2
    return (x & x.dtype.type(0xFF)).astype(np.uint8)


def _xor_rows(rows: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """XOR of each row's bytes; the row width must be a multiple of 4."""
    if rows.shape[1] % 8 == 0:
        words: NDArray[np.uint64] | NDArray[np.uint32] = rows.view(np.uint64)
    else:
        words = rows.view(np.uint32)
    acc = words[:, 0].copy()
    for j in range(1, words.shape[1]):
        acc ^= words[:, j]
    return _fold(acc, 8 * acc.itemsize)


def _hex_pair(hi: NDArray[np.uint8], lo: NDArray[np.uint8]) -> tuple[NDArray[np.bool_], NDArray[np.uint8]]:
    """Two hex digits (either case) to a byte, and whether both were hex."""
    h, low = _HEX[hi], _HEX[lo]
    return (h < 16) & (low < 16), ((h << 4) | low).astype(np.uint8)


_M8, _M16, _M32 = np.uint64(0x00FF00FF00FF00FF), np.uint64(0x0000FFFF0000FFFF), np.uint64(0xFFFFFFFF)


def _unarmour(rows: NDArray[np.uint8]) -> tuple[list[NDArray[np.uint64]], NDArray[np.bool_]]:
    """Payload rows (width a multiple of 8) as 48-bit words (eight characters each), and which rows were valid.

    ``bytes.translate`` maps the armour to six-bit values in C; each 64-bit lane of eight values is then packed
    in three shift-and-mask steps (pairs into 12 bits, pairs of those into 24, then 48). Rows with a byte outside
    the armour alphabet are marked invalid.
    """
    m, width = rows.shape
    six = np.frombuffer(rows.tobytes().translate(_TO_SIXBIT), dtype=np.uint8).reshape(m, width)
    valid: NDArray[np.bool_] = np.ones(m, dtype=bool)
    if m and six.max() > 63:
        valid = np.all(six < 64, axis=1)
    lanes = six.view(np.uint64)  # little-endian: character 8j+i in byte i of lane j
    pairs = ((lanes & _M8) << np.uint64(6)) | ((lanes >> np.uint64(8)) & _M8)
    quads = ((pairs & _M16) << np.uint64(12)) | ((pairs >> np.uint64(16)) & _M16)
    words = ((quads & _M32) << np.uint64(24)) | (quads >> np.uint64(32))
    return [np.ascontiguousarray(words[:, j]) for j in range(width // 8)], valid


def _bits(words: list[NDArray[np.uint64]], start: int, width: int) -> NDArray[np.uint64]:
    """Unsigned bit field ``[start, start + width)`` of the payload (bit 0 = first bit sent) from 48-bit words."""
    k, off = divmod(start, 48)
    if off + width <= 48:
        return (words[k] >> np.uint64(48 - off - width)) & np.uint64((1 << width) - 1)
    low = off + width - 48
    high = (words[k] & np.uint64((1 << (48 - off)) - 1)) << np.uint64(low)
    return high | (words[k + 1] >> np.uint64(48 - low))


def _flag(words: list[NDArray[np.uint64]], bit: int) -> NDArray[np.bool_]:
    return ((words[bit // 48] >> np.uint64(47 - bit % 48)) & np.uint64(1)).astype(bool)


def _degrees(words: list[NDArray[np.uint64]], start: int, width: int, numerator: int) -> NDArray[np.float64]:
    """A signed lon/lat field in degrees, rounded exactly as pyais: 1/10000 min (``numerator`` 10), 1/10 min (10000).

    pyais computes ``((numerator * v + 3) // 6) / 1e6`` on Python ints; int64 floor division and IEEE division
    give the same floats.
    """
    v = _bits(words, start, width).astype(np.int64)
    v -= (v >> (width - 1)) << width
    out: NDArray[np.float64] = ((numerator * v + 3) // 6) / 1e6
    return out


def _first_at_or_after(
    positions: NDArray[np.int64], query: NDArray[np.int64], limit: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """For each query, the first of the sorted ``positions`` at or after it, and whether that is before ``limit``."""
    if len(positions) == 0:
        return np.zeros_like(query), np.zeros(len(query), dtype=bool)
    k = np.searchsorted(positions, query)
    p = positions[np.minimum(k, len(positions) - 1)]
    return p, (k < len(positions)) & (p < limit)


# ---------------------------------------------------------------- tag blocks


@dataclass
class _Tags:
    ok: NDArray[np.bool_]  # structure and checksum good, short enough for the fast path
    sentence: NDArray[np.int64]  # where the sentence starts
    received_at: NDArray[np.float64]
    station: NDArray[np.int32]


def _tag_value(
    a: NDArray[np.uint8], at: NDArray[np.int64]
) -> tuple[NDArray[np.bool_], NDArray[np.uint8], NDArray[np.uint8]]:
    """The tag-field values starting at ``at``: whether each ends within the value window, its bytes (zeroed after
    its end) and its length."""
    value = _gather(a, at, _VALUE_WINDOW + 1)
    stop = (value == ord(",")) | (value == ord("*"))
    length = stop.argmax(axis=1).astype(np.uint8)
    fits = stop[np.arange(len(at)), length]
    value = value[:, :_VALUE_WINDOW] * (_AR8[:_VALUE_WINDOW] < length[:, None])
    return fits, value, length


def _tag_blocks(
    a: NDArray[np.uint8], starts: NDArray[np.int64], ends: NDArray[np.int64], stations: dict[bytes, int]
) -> _Tags:
    """Check and read the tag blocks of lines that start with a backslash; new station names join ``stations``."""
    n = len(starts)
    rows = np.arange(n)
    window = _gather(a, starts + 1, _TAG_WINDOW)
    text = window.view(f"S{_TAG_WINDOW}").reshape(n)  # the same bytes, for numpy's C string search
    close = np.strings.find(text, b"\\")
    star = np.strings.find(text, b"*")
    ok = (close >= 3) & (starts + 1 + close < ends) & (star == close - 3)
    hex_ok, expected = _hex_pair(window[rows, close - 2], window[rows, close - 1])
    ok &= hex_ok
    # Checksum: XOR of the bytes before "*", as whole 64-bit words and a masked last word.
    words = window.view(np.uint64)
    whole = np.maximum(star, 0) // 8
    acc = words[rows, whole] & _LOW_BYTES[np.maximum(star, 0) % 8]
    for j in range(_TAG_WINDOW // 8 - 1):
        acc ^= words[:, j] * (j < whole)
    ok &= _fold(acc, 64) == expected

    # A field "k:value" starts the block or follows a comma.
    found: dict[bytes, tuple[NDArray[np.bool_], NDArray[np.int64]]] = {}
    for key in (b"c:", b"s:"):
        pos = np.where(np.strings.startswith(text, key), 0, np.strings.find(text, b"," + key) + 1)
        found[key] = (pos >= 0) & (pos < star - 1), starts + 1 + pos + 2

    has_c, c_at = found[b"c:"]
    fits, digits, n_digits = _tag_value(a, c_at)
    d = digits - np.uint8(ord("0")) * (_AR8[:_VALUE_WINDOW] < n_digits[:, None])
    good = has_c & fits & (n_digits > 0) & (d < 10).all(axis=1)
    value = d.astype(np.int64) @ _POW10_DESC // _POW10[_VALUE_WINDOW - n_digits]
    # Some receivers write milliseconds: more than 11 digits cannot be seconds (that would be after year 5000).
    seconds = np.where(value >= 100_000_000_000, value / 1000.0, value.astype(np.float64))
    received_at = np.where(good, seconds, np.nan)

    has_s, s_at = found[b"s:"]
    fits, name, n_chars = _tag_value(a, s_at)
    fits &= ((name - np.uint8(0x20) < 0x5F) | (name == 0)).all(axis=1)  # printable ASCII
    ok &= ~has_s | fits  # a longer or odd station name: leave the line to pyais
    station = np.full(n, -1, dtype=np.int32)
    named = np.flatnonzero(ok & has_s & fits & (n_chars > 0))
    if len(named):
        keys = np.ascontiguousarray(name[named]).view(np.uint64)
        # One 64-bit hash per name; np.unique(axis=0) on the two words would be much slower.
        hashed = keys[:, 0] ^ (keys[:, 1] * np.uint64(0x9E3779B97F4A7C15))
        _, first_of, code = np.unique(hashed, return_index=True, return_inverse=True)
        code = code.reshape(-1)
        if not (keys[first_of[code]] == keys).all():  # a hash collision: fall back to the exact method
            _, first_of, code = np.unique(keys, axis=0, return_index=True, return_inverse=True)
            code = code.reshape(-1)
        table = [stations.setdefault(keys[i].tobytes().rstrip(b"\0"), len(stations)) for i in first_of]
        station[named] = np.asarray(table, dtype=np.int32)[code]
    return _Tags(ok=ok, sentence=starts + close + 2, received_at=received_at, station=station)


# ---------------------------------------------------------------- the fast path


def _decode_class_a(w: list[NDArray[np.uint64]], out: dict[str, NDArray[Any]], at: NDArray[np.int64]) -> None:
    """Types 1, 2, 3: 168 bits, as pyais's ``MessageType1._fast_path``."""
    out["status"][at] = _bits(w, 38, 4)
    out["turn"][at] = _TURN[_bits(w, 42, 8)]
    out["speed"][at] = _bits(w, 50, 10) / 10.0
    out["accuracy"][at] = _flag(w, 60)
    out["lon"][at] = _degrees(w, 61, 28, 10)
    out["lat"][at] = _degrees(w, 89, 27, 10)
    out["course"][at] = _bits(w, 116, 12) / 10.0
    out["heading"][at] = _bits(w, 128, 9)
    out["second"][at] = _bits(w, 137, 6)
    out["maneuver"][at] = _bits(w, 143, 2)
    out["raim"][at] = _flag(w, 148)
    out["radio"][at] = _bits(w, 149, 19)


def _decode_class_b(w: list[NDArray[np.uint64]], out: dict[str, NDArray[Any]], at: NDArray[np.int64]) -> None:
    """Type 18: 168 bits, as pyais's ``MessageType18._fast_path``."""
    out["reserved_1"][at] = _bits(w, 38, 8)
    out["speed"][at] = _bits(w, 46, 10) / 10.0
    out["accuracy"][at] = _flag(w, 56)
    out["lon"][at] = _degrees(w, 57, 28, 10)
    out["lat"][at] = _degrees(w, 85, 27, 10)
    out["course"][at] = _bits(w, 112, 12) / 10.0
    out["heading"][at] = _bits(w, 124, 9)
    out["second"][at] = _bits(w, 133, 6)
    out["reserved_2"][at] = _bits(w, 139, 2)
    for bit, name in enumerate(("cs", "display", "dsc", "band", "msg22", "assigned", "raim"), start=141):
        out[name][at] = _flag(w, bit)
    out["radio"][at] = _bits(w, 148, 20)


def _decode_long_range(w: list[NDArray[np.uint64]], out: dict[str, NDArray[Any]], at: NDArray[np.int64]) -> None:
    """Type 27: 96 bits, as pyais's generic decoder (speed and course are plain floats of the raw values)."""
    out["accuracy"][at] = _flag(w, 38)
    out["raim"][at] = _flag(w, 39)
    out["status"][at] = _bits(w, 40, 4)
    out["lon"][at] = _degrees(w, 44, 18, 10000)
    out["lat"][at] = _degrees(w, 62, 17, 10000)
    out["speed"][at] = _bits(w, 79, 6).astype(np.float64)
    out["course"][at] = _bits(w, 85, 9).astype(np.float64)
    out["gnss"][at] = _flag(w, 94)


def _empty_columns(m: int) -> dict[str, NDArray[Any]]:
    """Decoded columns of ``m`` rows, filled with the value of a field that does not apply (0, NaN, False)."""
    columns: dict[str, NDArray[Any]] = {name: np.zeros(m, dtype=dtype) for name, dtype in _INT_FIELDS.items()}
    columns.update({name: np.full(m, np.nan) for name in _FLOAT_FIELDS})
    columns.update({name: np.zeros(m, dtype=bool) for name in _BOOL_FIELDS})
    columns["received_at"] = np.full(m, np.nan)
    columns["station"] = np.full(m, -1, dtype=np.int32)
    return columns


def _fast_chunk(
    a: NDArray[np.uint8],
    starts: NDArray[np.int64],
    ends: NDArray[np.int64],
    stations: dict[bytes, int],
    out: dict[str, NDArray[Any]],
    first_row: int,
) -> NDArray[np.bool_]:
    """Decode the lines of one chunk that have the standard single-sentence shape into ``out`` from row
    ``first_row`` on; return which lines were decoded."""
    n = len(starts)
    ok = np.ones(n, dtype=bool)
    sentence = starts.copy()
    received_at = np.full(n, np.nan)
    station = np.full(n, -1, dtype=np.int32)
    tagged = np.flatnonzero(a[starts] == ord("\\"))
    if len(tagged):
        tags = _tag_blocks(a, starts[tagged], ends[tagged], stations)
        ok[tagged] = tags.ok
        sentence[tagged] = tags.sentence
        received_at[tagged] = tags.received_at
        station[tagged] = tags.station

    # Header "!ccVDM,1,1,[digit],[A|B|1|2]," against a template, eight bytes at a time.
    head = _gather(a, sentence, 16)
    hw = head.view(np.uint64)
    ok &= (hw[:, 0] & np.uint64(_HEAD_MASK_0)) == np.uint64(_HEAD_WANT_0)
    ok &= (hw[:, 1] & np.uint64(_HEAD_MASK_1)) == np.uint64(_HEAD_WANT_1)
    ok &= (head[:, 1] - np.uint8(65) < 26) & (head[:, 2] - np.uint8(65) < 26)  # talker: two capitals
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
    pstart = sentence + offset
    first = a[pstart]
    long_range = first == ord("K")
    ok &= _TYPE_CLASS_A[first] | (first == ord("B")) | long_range
    length = np.where(long_range, 16, 28)

    # Tail: ",0*hh", then the end of the line or receiver metadata after a comma.
    tail_at = pstart + length
    tail = _gather(a, tail_at, 6)
    ok &= (tail[:, 0] == ord(",")) & (tail[:, 1] == ord("0")) & (tail[:, 2] == ord("*"))
    hex_ok, expected = _hex_pair(tail[:, 3], tail[:, 4])
    ok &= hex_ok
    after = tail_at + 5
    with_meta = (after < ends) & (tail[:, 5] == ord(","))
    ok &= (after == ends) | with_meta
    meta = np.flatnonzero(ok & with_meta)
    if len(meta):
        meta_len = ends[meta] - after[meta] - 1
        text = _gather(a, after[meta] + 1, _META_WINDOW)
        inside = _AR[:_META_WINDOW] < meta_len[:, None]
        fine = (~inside | ((text - np.uint8(0x20) < 0x5F) & (text != ord("*")))).all(axis=1)
        ok[meta] = fine & (meta_len < _META_WINDOW)

    # Checksum: the header bytes after "!" (13 to 15 of them), the payload, and ",0".
    check = _xor_rows(head * _HEAD_XOR_COLUMNS) ^ np.uint8(ord(",") ^ ord("0"))
    check ^= np.where(offset >= 14, b13, 0).astype(np.uint8) ^ np.where(offset >= 15, b14, 0).astype(np.uint8)

    decoded = np.zeros(n, dtype=bool)
    groups = []
    candidates = np.flatnonzero(ok)
    for width, of_width in ((28, ~long_range), (16, long_range)):
        idx = candidates[of_width[candidates]]
        rows = _gather(a, pstart[idx], width)
        if width % 8:  # whole 64-bit lanes: pad with "0", the armour for six zero bits (XOR of four "0"s is 0)
            rows = np.concatenate([rows, np.full((len(idx), 8 - width % 8), ord("0"), dtype=np.uint8)], axis=1)
        words, valid = _unarmour(rows)
        good = valid & ((check[idx] ^ _xor_rows(rows)) == expected[idx])
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
        out["repeat"][at] = _bits(w, 6, 2)
        out["mmsi"][at] = _bits(w, 8, 30)
        kind = first[idx]
        for in_group, decoder in (
            (_TYPE_CLASS_A[kind], _decode_class_a),
            (kind == ord("B"), _decode_class_b),
            (kind == ord("K"), _decode_long_range),
        ):
            sub = np.flatnonzero(in_group)
            if len(sub):
                decoder([x[sub] for x in w], out, at[sub])
    return decoded


# ---------------------------------------------------------------- everything else


def _classify(buf: bytes, starts: NDArray[np.int64], ends: NDArray[np.int64]) -> NDArray[np.int16]:
    """Reason code for each non-blank line the fast path did not decode, or -1 for a line pyais should decode."""
    n = len(starts)
    reason = np.full(n, -1, dtype=np.int16)
    lens = ends - starts
    long = lens > MAX_LINE_BYTES
    reason[long] = _R_TOO_LONG
    keep = np.flatnonzero(~long)
    if len(keep) == 0:
        return reason
    lens_k = lens[keep]
    offs = np.cumsum(lens_k) - lens_k  # where each line starts in the flat copy
    total = int(lens_k.sum())
    # The lines end to end, plus zero padding. A join of slices needs far less memory than a flat index array,
    # and these lines are few (they go to pyais or are rejected).
    joined = b"".join([buf[s:e] for s, e in zip(starts[keep].tolist(), ends[keep].tolist(), strict=True)])
    sub = np.zeros(total + 8, dtype=np.uint8)
    sub[:total] = np.frombuffer(joined, dtype=np.uint8)
    stop = offs + lens_k
    r = np.full(len(keep), -1, dtype=np.int16)

    def mark(mask: NDArray[np.bool_], code: int) -> None:
        r[mask & (r < 0)] = code

    nonprint = np.flatnonzero(sub[:total] - np.uint8(0x20) > 0x5E)
    binary = np.zeros(len(keep), dtype=bool)
    binary[np.searchsorted(offs, nonprint, side="right") - 1] = True
    mark(binary, _R_BINARY)
    cx = np.bitwise_xor.accumulate(sub)

    def xor_range(lo: NDArray[np.int64], hi: NDArray[np.int64]) -> NDArray[np.uint8]:
        """XOR of sub[lo:hi] (lo >= 1)."""
        out: NDArray[np.uint8] = np.where(hi > lo, cx[np.maximum(hi - 1, 0)] ^ cx[np.maximum(lo - 1, 0)], 0)
        return out.astype(np.uint8)

    backslashes = np.flatnonzero(sub == ord("\\"))
    stars = np.flatnonzero(sub == ord("*"))
    commas = np.flatnonzero(sub == ord(","))

    # Tag block.
    tagged = sub[offs] == ord("\\")
    close, has_close = _first_at_or_after(backslashes, offs + 1, stop)
    mark(tagged & ~has_close, _R_MALFORMED)
    tstar, has_tstar = _first_at_or_after(stars, offs + 1, np.where(has_close, close, 0))
    hex_ok, expected = _hex_pair(sub[tstar + 1], sub[tstar + 2])
    mark(tagged & has_close & ~(has_tstar & (tstar + 3 == close) & hex_ok), _R_MALFORMED)
    mark(tagged & (xor_range(offs + 1, tstar) != expected), _R_TAG_CHECKSUM)

    # Sentence: "!" or "$", fields, "*hh", then the end or ",metadata" without another "*".
    s0 = np.where(tagged, close + 1, offs)
    mark(s0 >= stop, _R_MALFORMED)
    s0 = np.minimum(s0, total)
    mark((sub[s0] != ord("!")) & (sub[s0] != ord("$")), _R_MALFORMED)
    star, has_star = _first_at_or_after(stars, s0, stop)
    hex_ok, expected = _hex_pair(sub[star + 1], sub[star + 2])
    after = star + 3
    tail_ok = (after == stop) | ((after < stop) & (sub[np.minimum(after, total)] == ord(",")))
    _, extra_star = _first_at_or_after(stars, star + 1, stop)
    mark(~(has_star & hex_ok & tail_ok) | extra_star, _R_MALFORMED)
    mark(xor_range(s0 + 1, star) != expected, _R_CHECKSUM)

    # AIS: first field "?ccVDM"/"?ccVDO" (any case, as pyais), then exactly five more fields before "*".
    k = np.searchsorted(commas, s0)
    n_fields = np.searchsorted(commas, star) - k
    c = [commas[np.minimum(k + j, len(commas) - 1)] if len(commas) else s0 for j in range(6)]
    code = sub[np.minimum(s0[:, None] + np.arange(3, 6), total)] & np.uint8(0xDF)
    is_ais = (n_fields >= 1) & (c[0] - s0 == 6) & (code[:, 0] == ord("V")) & (code[:, 1] == ord("D"))
    is_ais &= (code[:, 2] == ord("M")) | (code[:, 2] == ord("O"))
    mark(~is_ais, _R_NOT_AIS)
    mark(n_fields != 6, _R_MALFORMED)
    count = sub[c[0] + 1] - np.int64(48)
    number = sub[c[1] + 1] - np.int64(48)
    good = (c[1] - c[0] == 2) & (count >= 1) & (count <= 9)
    good &= (c[2] - c[1] == 2) & (number >= 1) & (number <= count)
    seq_len = c[3] - c[2] - 1
    seq_a, seq_b = sub[c[2] + 1] - np.int64(48), sub[c[2] + 2] - np.int64(48)
    good &= (seq_len == 0) | ((seq_len >= 1) & (seq_a >= 0) & (seq_a <= 9))
    good &= (seq_len <= 1) | ((seq_len == 2) & (seq_b >= 0) & (seq_b <= 9))
    good &= c[4] - c[3] - 1 <= 2  # channel
    payload_len = c[5] - c[4] - 1
    fill = sub[c[5] + 1] - np.int64(48)
    good &= (payload_len >= 1) & (star - c[5] == 2) & (fill >= 0) & (fill <= 5)
    mark(~good, _R_MALFORMED)
    mark(payload_len > _MAX_PAYLOAD_CHARS, _R_TOO_LONG)
    msg_type = _SIXBIT[sub[c[4] + 1]]
    mark((number == 1) & (msg_type > _MAX_TYPE), _R_UNKNOWN_TYPE)
    # Type 24 has parts A (0) and B (1) only; pyais raises on part numbers 2 and 3 (bits 38-39).
    part = (_SIXBIT[sub[c[4] + 7]] >> 2) & 3
    bits = 6 * payload_len - np.where(count == 1, fill, 0)
    mark((number == 1) & (msg_type == 24) & (payload_len >= 7) & (bits >= 40) & (part >= 2), _R_UNKNOWN_TYPE)
    reason[keep] = r
    return reason


# ---------------------------------------------------------------- the entry point


def decode_buffer(buf: bytes) -> FastBatch:
    """Decode every single-sentence AIS position report (types 1, 2, 3, 18, 27) in a buffer of NMEA lines.

    Parameters
    ----------
    buf : bytes
        NMEA lines separated by ``\\n`` or ``\\r\\n``, optionally with IEC 62320-1 tag blocks and trailing
        receiver metadata.

    Returns
    -------
    FastBatch
        The decoded columns (one row per message, in line order; values identical to pyais 3.3.1), the lines
        to decode with pyais (``fallback``), the rejected lines with a reason each, and the blank lines.

    Examples
    --------
    >>> batch = decode_buffer(b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\\r\\n\\n!AIVDM,1,1,,A,15RTgt,0*00\\n")
    >>> batch.record(0)["mmsi"], batch.record(0)["lon"], batch.record(0)["speed"], batch.record(0)["turn"]
    (371798000, -123.395383, 12.3, -127.0)
    >>> batch.blank.tolist(), batch.rejected.tolist(), [REASONS[r] for r in batch.reason]
    ([1], [2], ['checksum'])
    """
    n_bytes = len(buf)
    a = np.frombuffer(buf, dtype=np.uint8)
    breaks = np.flatnonzero(a == ord("\n"))
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
    n_rows = 0
    # Fixed-width reads reach a few hundred bytes past a line's start: the lines near the end of the buffer are
    # read from a zero-padded copy of the tail, so that the whole buffer need not be copied.
    near_end = int(np.searchsorted(line_start[nonblank], n_bytes - _PAD))
    base = int(line_start[nonblank[near_end]]) if near_end < len(nonblank) else n_bytes
    tail = np.zeros(n_bytes - base + _PAD, dtype=np.uint8)
    tail[: n_bytes - base] = a[base:]
    for lo, hi, source, shift in ((0, near_end, a, 0), (near_end, len(nonblank), tail, base)):
        for i in range(lo, hi, _CHUNK_LINES):
            part = nonblank[i : min(i + _CHUNK_LINES, hi)]
            done = _fast_chunk(source, line_start[part] - shift, line_end[part] - shift, stations, columns, n_rows)
            decoded[i : i + len(part)] = done
            n_rows += int(done.sum())
    columns = {name: column[:n_rows] for name, column in columns.items()}
    rest = nonblank[~decoded]
    reason = _classify(buf, line_start[rest], line_end[rest])
    return FastBatch(
        n_lines=len(line_start),
        line_no=nonblank[decoded],
        **columns,
        stations=[name.decode("ascii") for name in stations],
        fallback=rest[reason < 0],
        rejected=rest[reason >= 0],
        reason=reason[reason >= 0].astype(np.uint8),
        blank=np.flatnonzero(line_end == line_start),
        line_start=line_start,
        line_end=line_end,
    )
