"""Sentence framing for the vectorised AIS decoder: byte gathers, six-bit armour, tag blocks, line classification.

The pieces :mod:`pingan.maritime.fastpath` and :mod:`pingan.maritime.fastpath_static` share: fixed-width byte
reads (:func:`gather`), XOR folds for NMEA checksums, the six-bit armour and bit fields cut from 48-bit words, the
IEC 62320-1 tag block (``\\s:2573345,c:1662643300*5E\\``), the key pyais 3.3.1 assembles fragments by, and
:func:`classify`, which sorts the lines the fast path did not decode into pyais's work and rejects.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

REASONS: Final = (
    "checksum", "malformed", "too_long", "binary", "tag_checksum", "not_ais", "unknown_type", "orphan_fragment",
)  # fmt: skip
"""Reject reason names; ``FastBatch.reason`` holds indexes into this tuple.

``checksum``: the NMEA checksum does not match. ``malformed``: not the shape of an NMEA/AIS sentence (no ``!`` or
``$``, no ``*hh``, not six fields, fragment count/number out of range, fill bits over 5, empty payload, a broken
tag block). ``too_long``: the line exceeds :data:`MAX_LINE_BYTES` or the payload 200 characters (pyais's limit).
``binary``: a byte outside printable ASCII. ``tag_checksum``: the tag block's own checksum does not match.
``not_ais``: a valid NMEA sentence other than VDM/VDO (e.g. GPS ``$GPGGA``). ``unknown_type``: an AIS message
pyais cannot decode (types 29-63, type 24 with part number 2 or 3). ``orphan_fragment`` (only with
``decode_buffer(..., static=True)``): a fragment of a two-sentence message that pyais's stream drops, a fragment
1 superseded in its slot by the next fragment 1 or a fragment 2 with no fragment 1 pending (see
:func:`pingan.maritime.fastpath_static.orphan_fragments`).
"""
_R_CHECKSUM, _R_MALFORMED, _R_TOO_LONG, _R_BINARY, _R_TAG_CHECKSUM, _R_NOT_AIS, _R_UNKNOWN_TYPE, _ = range(len(REASONS))

MAX_LINE_BYTES: Final = 512
"""Longer lines are rejected as ``too_long`` (an NMEA sentence is at most 82 characters; tag block and receiver
metadata add well under 200)."""
MAX_PAYLOAD_CHARS: Final = 200  # pyais refuses longer payloads
_MAX_TYPE: Final = 28  # pyais knows types 0-28
TAG_WINDOW: Final = 64  # tag blocks longer than this go to the fallback path
META_WINDOW: Final = 128  # trailing receiver metadata longer than this goes to the fallback path
_VALUE_WINDOW: Final = 16  # the longest tag-block c:, s: or g: value read on the fast path
PAD: Final = 1024  # fixed-width reads stay within this many bytes of a line's start


# ---------------------------------------------------------------- lookup tables


def _byte_table(pairs: dict[int, int], default: int) -> NDArray[np.uint8]:
    table = np.full(256, default, dtype=np.uint8)
    for k, v in pairs.items():
        table[k] = v
    return table


HEX = _byte_table({c: int(chr(c), 16) for c in b"0123456789abcdefABCDEF"}, 255)
# Six-bit armour: '0'..'W' -> 0..39, '`'..'w' -> 40..63; pyais reads any other byte as 0.
_ARMOUR_OK = np.zeros(256, dtype=bool)
_ARMOUR_OK[48:88] = True
_ARMOUR_OK[96:120] = True
SIXBIT = _byte_table({c: (c - 48 if c < 88 else c - 56) for c in range(256) if _ARMOUR_OK[c]}, 0)
# Byte -> six-bit value, 0xFF outside the armour alphabet (for bytes.translate).
TO_SIXBIT: Final = bytes(int(SIXBIT[c]) if _ARMOUR_OK[c] else 0xFF for c in range(256))

_POW10 = 10 ** np.arange(19, dtype=np.int64)
_POW10_DESC = _POW10[_VALUE_WINDOW - 1 :: -1].copy()
AR = np.arange(max(TAG_WINDOW, META_WINDOW, 128), dtype=np.int64)
AR8 = AR.astype(np.uint8)
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)], dtype=np.uint64)  # the first k bytes of a word


# ---------------------------------------------------------------- byte helpers


def gather(a: NDArray[np.uint8], pos: NDArray[np.int64], width: int) -> NDArray[np.uint8]:
    """Bytes ``a[pos[i] : pos[i] + width]`` as rows of a C-contiguous 2-D array.

    Indexing rows of a sliding-window view copies each window with one contiguous copy; it is about ten times
    faster than indexing with a 2-D array of byte positions.
    """
    out: NDArray[np.uint8] = sliding_window_view(a, width)[pos]
    return out


class PaddedBytes:
    """A buffer for fixed-width reads anywhere in it: bytes past its end read as zeros, without copying it whole."""

    def __init__(self, a: NDArray[np.uint8]) -> None:
        self.a = a
        self.n = len(a)
        self.base = max(0, self.n - 2 * PAD)
        self.tail = np.zeros(self.n - self.base + PAD, dtype=np.uint8)
        self.tail[: self.n - self.base] = a[self.base :]

    def gather(self, pos: NDArray[np.int64], width: int) -> NDArray[np.uint8]:
        """Rows of ``width`` bytes from each of ``pos`` (``width`` at most :data:`PAD`)."""
        near_end = pos + width > self.n
        if not near_end.any():
            return gather(self.a, pos, width)
        if self.n < width:
            return gather(self.tail, pos - self.base, width)
        out = np.empty((len(pos), width), dtype=np.uint8)
        out[~near_end] = gather(self.a, pos[~near_end], width)
        out[near_end] = gather(self.tail, pos[near_end] - self.base, width)
        return out


def fold(x: NDArray[np.uint64] | NDArray[np.uint32], width: int) -> NDArray[np.uint8]:
    """XOR of the bytes of each ``width``-bit word."""
    shift = width // 2
    while shift >= 8:
        x = x ^ (x >> x.dtype.type(shift))
        shift //= 2
    return (x & x.dtype.type(0xFF)).astype(np.uint8)


def xor_rows(rows: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """XOR of each row's bytes; the row width must be a multiple of 4."""
    if rows.shape[1] % 8 == 0:
        words: NDArray[np.uint64] | NDArray[np.uint32] = rows.view(np.uint64)
    else:
        words = rows.view(np.uint32)
    acc = words[:, 0].copy()
    for j in range(1, words.shape[1]):
        acc ^= words[:, j]
    return fold(acc, 8 * acc.itemsize)


def hex_pair(hi: NDArray[np.uint8], lo: NDArray[np.uint8]) -> tuple[NDArray[np.bool_], NDArray[np.uint8]]:
    """Two hex digits (either case) to a byte, and whether both were hex."""
    h, low = HEX[hi], HEX[lo]
    return (h < 16) & (low < 16), ((h << 4) | low).astype(np.uint8)


def meta_ok(text: NDArray[np.uint8], length: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Whether receiver metadata (``META_WINDOW`` bytes from just after its comma, ``length`` of them) is printable
    ASCII without a ``*`` and short enough for the fast path (pyais reads the last comma field as the checksum)."""
    inside = AR[:META_WINDOW] < length[:, None]
    fine: NDArray[np.bool_] = (~inside | ((text - np.uint8(0x20) < 0x5F) & (text != ord("*")))).all(axis=1)
    return fine & (length < META_WINDOW)


_M8, _M16, _M32 = np.uint64(0x00FF00FF00FF00FF), np.uint64(0x0000FFFF0000FFFF), np.uint64(0xFFFFFFFF)


def to_sixbit(rows: NDArray[np.uint8]) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """Armoured payload bytes to six-bit values (``bytes.translate`` in C), and which rows were all armour."""
    m, width = rows.shape
    six = np.frombuffer(rows.tobytes().translate(TO_SIXBIT), dtype=np.uint8).reshape(m, width)
    valid: NDArray[np.bool_] = np.ones(m, dtype=bool)
    if m and six.max() > 63:
        valid = np.all(six < 64, axis=1)
    return six, valid


def pack_words(six: NDArray[np.uint8]) -> list[NDArray[np.uint64]]:
    """Six-bit values (rows of a width that is a multiple of 8, each value < 64) as 48-bit words, eight each.

    Each 64-bit lane of eight values is packed in three shift-and-mask steps (pairs into 12 bits, pairs of those
    into 24, then 48).
    """
    lanes = np.ascontiguousarray(six).view(np.uint64)  # little-endian: character 8j+i in byte i of lane j
    pairs = ((lanes & _M8) << np.uint64(6)) | ((lanes >> np.uint64(8)) & _M8)
    quads = ((pairs & _M16) << np.uint64(12)) | ((pairs >> np.uint64(16)) & _M16)
    words = ((quads & _M32) << np.uint64(24)) | (quads >> np.uint64(32))
    return [np.ascontiguousarray(words[:, j]) for j in range(six.shape[1] // 8)]


def unarmour(rows: NDArray[np.uint8]) -> tuple[list[NDArray[np.uint64]], NDArray[np.bool_]]:
    """Payload rows (width a multiple of 8) as 48-bit words (eight characters each), and which rows were valid."""
    six, valid = to_sixbit(rows)
    return pack_words(six), valid


def bits(words: list[NDArray[np.uint64]], start: int, width: int) -> NDArray[np.uint64]:
    """Unsigned bit field ``[start, start + width)`` of the payload (bit 0 = first bit sent) from 48-bit words."""
    k, off = divmod(start, 48)
    if off + width <= 48:
        return (words[k] >> np.uint64(48 - off - width)) & np.uint64((1 << width) - 1)
    low = off + width - 48
    high = (words[k] & np.uint64((1 << (48 - off)) - 1)) << np.uint64(low)
    return high | (words[k + 1] >> np.uint64(48 - low))


def flag(words: list[NDArray[np.uint64]], bit: int) -> NDArray[np.bool_]:
    """One payload bit as a bool."""
    return ((words[bit // 48] >> np.uint64(47 - bit % 48)) & np.uint64(1)).astype(bool)


def degrees(words: list[NDArray[np.uint64]], start: int, width: int, numerator: int) -> NDArray[np.float64]:
    """A signed lon/lat field in degrees, rounded exactly as pyais: 1/10000 min (``numerator`` 10), 1/10 min (10000).

    pyais computes ``((numerator * v + 3) // 6) / 1e6`` on Python ints; int64 floor division and IEEE division
    give the same floats.
    """
    v = bits(words, start, width).astype(np.int64)
    v -= (v >> (width - 1)) << width
    out: NDArray[np.float64] = ((numerator * v + 3) // 6) / 1e6
    return out


def first_at_or_after(
    positions: NDArray[np.int64], query: NDArray[np.int64], limit: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """For each query, the first of the sorted ``positions`` at or after it, and whether that is before ``limit``."""
    if len(positions) == 0:
        return np.zeros_like(query), np.zeros(len(query), dtype=bool)
    k = np.searchsorted(positions, query)
    p = positions[np.minimum(k, len(positions) - 1)]
    return p, (k < len(positions)) & (p < limit)


def slot_key(
    talker_type: NDArray[np.uint64], seq_code: NDArray[np.int64], channel: NDArray[np.int64]
) -> NDArray[np.int64]:
    """The stream slot pyais assembles fragments in, as one int (the fragment count aside).

    pyais 3.3.1's ``AssembleMessages`` keys pending fragments by (sequence id, channel, talker, sentence type,
    fragment count). ``talker_type`` holds the five bytes after ``!`` little-endian (``AIVDM``), ``seq_code`` is
    0 for no sequence id or the id plus one (ids 0-99), ``channel`` the channel field's (up to two) bytes, the
    first in the high byte.
    """
    key: NDArray[np.int64] = (talker_type.astype(np.int64) << 23) | (seq_code << 16) | channel
    return key


# ---------------------------------------------------------------- tag blocks


@dataclass
class Tags:
    """What the fast path reads from the tag blocks of lines that start with a backslash."""

    ok: NDArray[np.bool_]  # structure and checksum good, short enough for the fast path
    sentence: NDArray[np.int64]  # where the sentence starts
    received_at: NDArray[np.float64]
    station: NDArray[np.int32]


def _tag_field(
    text: NDArray[np.bytes_], star: NDArray[np.int64], starts: NDArray[np.int64], key: bytes
) -> tuple[NDArray[np.bool_], NDArray[np.int64], NDArray[np.int64]]:
    """Whether each tag block (``text``, the bytes after its backslash, ``*`` at ``star``) has field ``key``
    (``b"c:"``), where its value starts in the buffer, and the value's length. A field starts the block or follows
    a comma; its value ends at the next comma or the ``*``."""
    after_comma = np.strings.find(text, b"," + key)
    pos = np.where(np.strings.startswith(text, key), 0, np.where(after_comma >= 0, after_comma + 1, -1))
    has = (pos >= 0) & (pos < star - 1)
    value = np.maximum(pos, 0) + 2
    comma = np.strings.find(text, b",", value)
    end = np.where((comma >= 0) & (comma < star), comma, star)
    return has, starts + 1 + value, np.maximum(end - value, 0)


def _tag_value(
    read: Callable[[NDArray[np.int64], int], NDArray[np.uint8]], at: NDArray[np.int64], length: NDArray[np.int64]
) -> tuple[NDArray[np.bool_], NDArray[np.uint8]]:
    """Tag-field values (bytes from ``read(positions, width)``): whether each fits the value window, and its bytes,
    zeroed after its end."""
    value = read(at, _VALUE_WINDOW)
    return length <= _VALUE_WINDOW, value * (AR8[:_VALUE_WINDOW] < length[:, None].astype(np.uint8))


def tag_blocks(
    a: NDArray[np.uint8], starts: NDArray[np.int64], ends: NDArray[np.int64], stations: dict[bytes, int]
) -> Tags:
    """Check and read the tag blocks of lines that start with a backslash; new station names join ``stations``."""
    n = len(starts)
    rows = np.arange(n)
    window = gather(a, starts + 1, TAG_WINDOW)
    text = window.view(f"S{TAG_WINDOW}").reshape(n)  # the same bytes, for numpy's C string search
    close = np.strings.find(text, b"\\")
    star = np.strings.find(text, b"*")
    ok = (close >= 3) & (starts + 1 + close < ends) & (star == close - 3)
    hex_ok, expected = hex_pair(window[rows, close - 2], window[rows, close - 1])
    ok &= hex_ok
    # Checksum: XOR of the bytes before "*", as whole 64-bit words and a masked last word.
    words = window.view(np.uint64)
    whole = np.maximum(star, 0) // 8
    acc = words[rows, whole] & _LOW_BYTES[np.maximum(star, 0) % 8]
    for j in range(TAG_WINDOW // 8 - 1):
        acc ^= words[:, j] * (j < whole)
    ok &= fold(acc, 64) == expected

    has_c, c_at, n_digits = _tag_field(text, star, starts, b"c:")
    read = functools.partial(gather, a)
    fits, digits = _tag_value(read, c_at, n_digits)
    n_digits = np.minimum(n_digits, _VALUE_WINDOW)
    d = digits - np.uint8(ord("0")) * (AR8[:_VALUE_WINDOW] < n_digits[:, None])
    good = has_c & fits & (n_digits > 0) & (d < 10).all(axis=1)
    value = d.astype(np.int64) @ _POW10_DESC // _POW10[_VALUE_WINDOW - n_digits]
    # Some receivers write milliseconds: more than 11 digits cannot be seconds (that would be after year 5000).
    seconds = np.where(value >= 100_000_000_000, value / 1000.0, value.astype(np.float64))
    received_at = np.where(good, seconds, np.nan)

    has_s, s_at, n_chars = _tag_field(text, star, starts, b"s:")
    fits, name = _tag_value(read, s_at, n_chars)
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
    return Tags(ok=ok, sentence=starts + close + 2, received_at=received_at, station=station)


def tag_groups(src: PaddedBytes, starts: NDArray[np.int64]) -> tuple[NDArray[np.bool_], NDArray[np.uint8]]:
    """The ``g:`` (sentence group) field of tag blocks already checked by :func:`tag_blocks`: whether each has one
    that fits the value window, and its value bytes (``1-2-4711``, zero-padded to 16 bytes)."""
    text = src.gather(starts + 1, TAG_WINDOW).view(f"S{TAG_WINDOW}").reshape(len(starts))
    has_g, g_at, length = _tag_field(text, np.strings.find(text, b"*"), starts, b"g:")
    fits, value = _tag_value(src.gather, g_at, length)
    return has_g & fits, value


# ---------------------------------------------------------------- lines the fast path did not decode


@dataclass
class Framing:
    """For each line :func:`classify` saw: a reason code (-1 for a line pyais should decode) and, for those, the
    fragment count and number and the :func:`slot_key` pyais would assemble a fragment in."""

    reason: NDArray[np.int16]
    frag_cnt: NDArray[np.int64]
    frag_num: NDArray[np.int64]
    slot: NDArray[np.int64]


def classify(buf: bytes, starts: NDArray[np.int64], ends: NDArray[np.int64]) -> Framing:
    """Reason code for each non-blank line the fast path did not decode, or -1 for a line pyais should decode."""
    n = len(starts)
    framing = Framing(
        reason=np.full(n, -1, dtype=np.int16),
        frag_cnt=np.zeros(n, dtype=np.int64),
        frag_num=np.zeros(n, dtype=np.int64),
        slot=np.zeros(n, dtype=np.int64),
    )
    lens = ends - starts
    long = lens > MAX_LINE_BYTES
    framing.reason[long] = _R_TOO_LONG
    keep = np.flatnonzero(~long)
    if len(keep) == 0:
        return framing
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
    close, has_close = first_at_or_after(backslashes, offs + 1, stop)
    mark(tagged & ~has_close, _R_MALFORMED)
    tstar, has_tstar = first_at_or_after(stars, offs + 1, np.where(has_close, close, 0))
    hex_ok, expected = hex_pair(sub[tstar + 1], sub[tstar + 2])
    mark(tagged & has_close & ~(has_tstar & (tstar + 3 == close) & hex_ok), _R_MALFORMED)
    mark(tagged & (xor_range(offs + 1, tstar) != expected), _R_TAG_CHECKSUM)

    # Sentence: "!" or "$", fields, "*hh", then the end or ",metadata" without another "*".
    s0 = np.where(tagged, close + 1, offs)
    mark(s0 >= stop, _R_MALFORMED)
    s0 = np.minimum(s0, total)
    mark((sub[s0] != ord("!")) & (sub[s0] != ord("$")), _R_MALFORMED)
    star, has_star = first_at_or_after(stars, s0, stop)
    hex_ok, expected = hex_pair(sub[star + 1], sub[star + 2])
    after = star + 3
    tail_ok = (after == stop) | ((after < stop) & (sub[np.minimum(after, total)] == ord(",")))
    _, extra_star = first_at_or_after(stars, star + 1, stop)
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
    channel_len = c[4] - c[3] - 1
    good &= channel_len <= 2
    payload_len = c[5] - c[4] - 1
    fill = sub[c[5] + 1] - np.int64(48)
    good &= (payload_len >= 1) & (star - c[5] == 2) & (fill >= 0) & (fill <= 5)
    mark(~good, _R_MALFORMED)
    mark(payload_len > MAX_PAYLOAD_CHARS, _R_TOO_LONG)
    msg_type = SIXBIT[sub[c[4] + 1]]
    mark((number == 1) & (msg_type > _MAX_TYPE), _R_UNKNOWN_TYPE)
    # Type 24 has parts A (0) and B (1) only; pyais raises on part numbers 2 and 3 (bits 38-39).
    part = (SIXBIT[sub[c[4] + 7]] >> 2) & 3
    n_bits = 6 * payload_len - np.where(count == 1, fill, 0)
    mark((number == 1) & (msg_type == 24) & (payload_len >= 7) & (n_bits >= 40) & (part >= 2), _R_UNKNOWN_TYPE)

    # Where pyais would buffer a fragment (only read for lines it decodes).
    five = sub[np.minimum(s0[:, None] + np.arange(1, 6), total)].astype(np.uint64) << (np.arange(5) * 8).astype(
        np.uint64
    )
    seq_code = np.select([seq_len == 1, seq_len == 2], [seq_a + 1, 10 * seq_a + seq_b + 1], 0)
    channel = np.select(
        [channel_len == 1, channel_len == 2],
        [sub[c[3] + 1].astype(np.int64) << 8, (sub[c[3] + 1].astype(np.int64) << 8) | sub[c[3] + 2]],
        0,
    )
    framing.reason[keep] = r
    framing.frag_cnt[keep] = count
    framing.frag_num[keep] = number
    framing.slot[keep] = slot_key(np.bitwise_or.reduce(five, axis=1), seq_code, channel)
    return framing
