"""Vectorised decoding of AIS static messages (types 4, 5, 11, 21, 24), field-identical to pyais 3.3.1.

:func:`pingan.maritime.fastpath.decode_buffer` (with ``static=True``) hands this module the lines whose tag block
and header ``!ccVDM,c,n,[seq],[channel],`` it has already checked: single sentences whose payload starts with
``4``, ``5``, ``;``, ``E`` or ``H``, and every fragment of a two-sentence message. Here each line's payload is
found (up to :data:`MAX_STATIC_CHARS` characters), its NMEA checksum and armour are checked, fragment 1 and
fragment 2 of a two-sentence message on adjacent lines (same talker, sentence type, sequence id and channel, so
the same pyais stream slot; the same tag-block station and ``g:`` group when both lines carry one) are joined,
and the fields are cut with shifts and masks, six-bit text included. Only message lengths for which pyais's
generic decoder reads every field whole are taken (type 4/11 at least 168 bits, 5 at least 424, 21 at least
272, 24 part A 160 and part B 162); anything else is left to the caller's classification (pyais or rejected).

Text fields are trimmed as pyais's ``get_str``: six-bit values to ASCII (``@`` for 0), trailing ``@`` removed,
then leading and trailing spaces. A type 21 name extension is ``None`` when the payload ends at bit 272, and
otherwise read character by character as pyais does (a last partial character is its remaining bits, right
aligned). pyais quirk kept: on a line with receiver metadata after the checksum (``...,2*25,d-109,S2105``)
pyais reads the last comma field as the checksum field and so takes 0 fill bits.

Taking a joined pair out of the pyais stream must not change how pyais assembles what is left: the fragments
pyais would drop anyway (a fragment 1 superseded by the next fragment 1 in its slot, a fragment 2 with nothing
pending) are found by :func:`orphan_fragments` and rejected, so that they cannot meet in the fallback.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from pingan.maritime.fastpath_tags import (
    AR,
    AR8,
    META_WINDOW,
    TO_SIXBIT,
    PaddedBytes,
    bits,
    degrees,
    flag,
    fold,
    hex_pair,
    meta_ok,
    pack_words,
    tag_groups,
)

__all__ = [
    "MAX_STATIC_CHARS",
    "STATIC_FIELDS",
    "STATIC_LAYOUTS",
    "StaticCandidates",
    "StaticTable",
    "decode_static",
    "empty_table",
    "orphan_fragments",
]

MAX_STATIC_CHARS: Final = 72
"""The longest payload (one sentence, or two joined) decoded here: 432 bits, enough for every static type."""
_WINDOW: Final = MAX_STATIC_CHARS + 8  # payload, ",f*hh" and the byte after

STATIC_LAYOUTS: Final = ("base_station", "static_voyage", "aid_to_navigation", "static_a", "static_b", "static_b_aux")
"""Layout names; ``StaticTable.layout`` holds indexes into this tuple. ``base_station``: types 4 and 11;
``static_voyage``: type 5; ``aid_to_navigation``: type 21; ``static_a`` / ``static_b``: type 24 part A / part B;
``static_b_aux``: a type 24 part B from an auxiliary craft (MMSI 98xxxxxxx), which carries its mothership's MMSI
instead of the dimensions."""
(_BASE, _VOYAGE, _ATON, _PART_A, _PART_B, _PART_B_AUX) = range(len(STATIC_LAYOUTS))

STATIC_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "base_station": (
        "msg_type", "repeat", "mmsi", "year", "month", "day", "hour", "minute", "second", "accuracy", "lon", "lat",
        "epfd", "raim", "radio",
    ),
    "static_voyage": (
        "msg_type", "repeat", "mmsi", "ais_version", "imo", "callsign", "shipname", "ship_type", "to_bow",
        "to_stern", "to_port", "to_starboard", "epfd", "month", "day", "hour", "minute", "draught", "destination",
        "dte",
    ),
    "aid_to_navigation": (
        "msg_type", "repeat", "mmsi", "aid_type", "name", "accuracy", "lon", "lat", "to_bow", "to_stern", "to_port",
        "to_starboard", "epfd", "second", "off_position", "reserved_1", "raim", "virtual_aid", "assigned",
        "name_ext", "full_name",
    ),
    "static_a": ("msg_type", "repeat", "mmsi", "partno", "shipname"),
    "static_b": (
        "msg_type", "repeat", "mmsi", "partno", "ship_type", "vendorid", "model", "serial", "callsign", "to_bow",
        "to_stern", "to_port", "to_starboard",
    ),
    "static_b_aux": (
        "msg_type", "repeat", "mmsi", "partno", "ship_type", "vendorid", "model", "serial", "callsign",
        "mothership_mmsi",
    ),
}  # fmt: skip
"""The keys of pyais's ``asdict()`` for each layout, in pyais's order."""

_COLUMNS: Final[dict[str, Any]] = {
    "msg_type": np.uint8, "repeat": np.uint8, "mmsi": np.uint32, "year": np.uint16, "month": np.uint8,
    "day": np.uint8, "hour": np.uint8, "minute": np.uint8, "second": np.uint8, "accuracy": np.bool_,
    "lon": np.float64, "lat": np.float64, "epfd": np.uint8, "raim": np.bool_, "radio": np.uint32,
    "ais_version": np.uint8, "imo": np.uint32, "callsign": "U7", "shipname": "U20", "ship_type": np.uint8,
    "to_bow": np.uint16, "to_stern": np.uint16, "to_port": np.uint8, "to_starboard": np.uint8,
    "draught": np.float64, "destination": "U20", "dte": np.bool_, "aid_type": np.uint8, "name": "U20",
    "off_position": np.bool_, "reserved_1": np.uint8, "virtual_aid": np.bool_, "assigned": np.bool_,
    "name_ext": "U15", "has_name_ext": np.bool_, "full_name": "U35", "partno": np.uint8, "vendorid": "U3",
    "model": np.uint8, "serial": np.uint32, "mothership_mmsi": np.uint32,
}  # fmt: skip


def _epfd(v: int) -> int:
    """pyais's ``int(EpfdType.from_value(v))``: undefined codes read as 0."""
    return v if v <= 8 or v == 15 else 0


def _ship_type(v: int) -> int:
    """pyais's ``int(ShipType.from_value(v))``: a reserved code reads as the first of its block, others as 0."""
    for low, high in ((25, 28), (45, 48), (56, 57), (65, 68), (75, 78), (85, 88), (95, 98)):
        if low <= v <= high:
            return low
    return v if 20 <= v <= 99 and v not in (38, 39) else 0


_ASCII = np.zeros(256, dtype=np.uint8)  # six-bit value -> pyais's character: "@A-Z[\\]^_ !"#...?"
_ASCII[:64] = [v + 64 if v < 32 else v for v in range(64)]
_EPFD = np.array([_epfd(v) for v in range(16)], dtype=np.uint8)
_SHIP_TYPE = np.array([_ship_type(v) for v in range(256)], dtype=np.uint8)
_AUX_MMSI: Final = (980_000_000, 989_999_999)  # pyais's is_auxiliary_craft
# Fewest payload bits by (message type, type 24 part number) for the static pass; 10_000 = not here.
_MIN_BITS = np.full((64, 4), 10_000, dtype=np.int64)
_MIN_BITS[[4, 11, 5, 21]] = np.array([[168], [168], [424], [272]])
_MIN_BITS[24, :2] = (160, 162)
# (message types, payload characters their fields reach (a multiple of 8), layout) for the field decoders.
_GROUPS: Final = (((4, 11), 32, _BASE), ((5,), 72, _VOYAGE), ((21,), 64, _ATON), ((24,), 32, _PART_A))


@dataclass(frozen=True, eq=False)
class StaticTable:
    """Columns of decoded static messages (types 4, 5, 11, 21, 24), one row per message, in line order.

    Values are pyais 3.3.1's, field for field (its enums ``epfd``, ``ship_type`` of type 5 and ``aid_type`` as
    the ints they are equal to; type 24's ``ship_type`` is a plain int in pyais too). ``layout`` says which of
    :data:`STATIC_LAYOUTS` a row has, so which fields apply (:meth:`applies`); a field that does not apply holds
    0, NaN, ``False`` or ``""``. Text fields are trimmed as pyais trims them. ``name_ext`` is ``None`` in pyais
    when ``has_name_ext`` is false. ``line_no`` is the (first) line of each message, ``line_no2`` the second line
    of a two-sentence message (-1 otherwise). ``received_at`` and ``station`` are as in ``FastBatch`` (from the
    first line's tag block, else the second's).
    """

    line_no: NDArray[np.int64]
    line_no2: NDArray[np.int64]
    layout: NDArray[np.uint8]
    msg_type: NDArray[np.uint8]
    repeat: NDArray[np.uint8]
    mmsi: NDArray[np.uint32]
    year: NDArray[np.uint16]
    month: NDArray[np.uint8]
    day: NDArray[np.uint8]
    hour: NDArray[np.uint8]
    minute: NDArray[np.uint8]
    second: NDArray[np.uint8]
    accuracy: NDArray[np.bool_]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    epfd: NDArray[np.uint8]
    raim: NDArray[np.bool_]
    radio: NDArray[np.uint32]
    ais_version: NDArray[np.uint8]
    imo: NDArray[np.uint32]
    callsign: NDArray[np.str_]
    shipname: NDArray[np.str_]
    ship_type: NDArray[np.uint8]
    to_bow: NDArray[np.uint16]
    to_stern: NDArray[np.uint16]
    to_port: NDArray[np.uint8]
    to_starboard: NDArray[np.uint8]
    draught: NDArray[np.float64]
    destination: NDArray[np.str_]
    dte: NDArray[np.bool_]
    aid_type: NDArray[np.uint8]
    name: NDArray[np.str_]
    off_position: NDArray[np.bool_]
    reserved_1: NDArray[np.uint8]
    virtual_aid: NDArray[np.bool_]
    assigned: NDArray[np.bool_]
    name_ext: NDArray[np.str_]
    has_name_ext: NDArray[np.bool_]
    full_name: NDArray[np.str_]
    partno: NDArray[np.uint8]
    vendorid: NDArray[np.str_]
    model: NDArray[np.uint8]
    serial: NDArray[np.uint32]
    mothership_mmsi: NDArray[np.uint32]
    received_at: NDArray[np.float64]
    station: NDArray[np.int32]

    def __len__(self) -> int:
        """Number of decoded messages."""
        return len(self.line_no)

    @property
    def n_lines(self) -> int:
        """Lines these messages were decoded from (a two-sentence message counts two)."""
        return len(self.line_no) + int((self.line_no2 >= 0).sum())

    def applies(self, name: str) -> NDArray[np.bool_]:
        """Rows whose layout carries field ``name`` (``line_no``, ``received_at``, ``station`` apply to all rows).

        ``name_ext`` applies to every type 21 row; pyais gives ``None`` where ``has_name_ext`` is false.
        """
        if name in ("line_no", "line_no2", "layout", "received_at", "station"):
            return np.ones(len(self), dtype=bool)
        layouts = [i for i, layout in enumerate(STATIC_LAYOUTS) if name in STATIC_FIELDS[layout]]
        if not layouts:
            raise KeyError(name)
        return np.isin(self.layout, layouts)

    def record(self, i: int) -> dict[str, int | float | bool | str | None]:
        """Row ``i`` as the dict pyais's ``decode(*lines).asdict()`` gives (plain ints instead of its int enums)."""
        out: dict[str, int | float | bool | str | None] = {}
        for name in STATIC_FIELDS[STATIC_LAYOUTS[int(self.layout[i])]]:
            if name == "name_ext" and not self.has_name_ext[i]:
                out[name] = None
            else:
                out[name] = getattr(self, name)[i].item()
        return out

    def take(self, rows: NDArray[np.bool_] | NDArray[np.int64]) -> StaticTable:
        """The table with only ``rows`` (a mask or indexes)."""
        return StaticTable(**{f.name: getattr(self, f.name)[rows] for f in dataclasses.fields(self)})


def empty_table() -> StaticTable:
    """A table with no rows."""
    return _table(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), _columns(0))


def _columns(m: int) -> dict[str, NDArray[Any]]:
    columns: dict[str, NDArray[Any]] = {name: np.zeros(m, dtype=dtype) for name, dtype in _COLUMNS.items()}
    columns["lon"][:] = columns["lat"][:] = columns["draught"][:] = np.nan
    columns["layout"] = np.zeros(m, dtype=np.uint8)
    columns["received_at"] = np.full(m, np.nan)
    columns["station"] = np.full(m, -1, dtype=np.int32)
    return columns


def _table(line_no: NDArray[np.int64], line_no2: NDArray[np.int64], columns: dict[str, NDArray[Any]]) -> StaticTable:
    return StaticTable(line_no=line_no, line_no2=line_no2, **columns)


# ---------------------------------------------------------------- six-bit text


def _text(six: NDArray[np.uint8], n_bits: NDArray[np.int64], start: int, n_chars: int) -> NDArray[np.str_]:
    """Text field of ``n_chars`` characters from bit ``start``, as pyais's ``get_str``: each character the six
    bits there (a last partial character its remaining bits, right aligned; past the end 0), values under 32 as
    ``@A-Z[\\]^_``, then ``.rstrip("@").strip()``."""
    q, r = divmod(start, 6)
    v = six[:, q : q + n_chars]
    if r:
        v = ((v << np.uint8(r)) | (six[:, q + 1 : q + n_chars + 1] >> np.uint8(6 - r))) & np.uint8(63)
    if len(n_bits) and int(n_bits.min()) < start + 6 * n_chars:  # only a type 21 name extension reaches the end
        avail = np.clip(n_bits[:, None] - (start + 6 * AR[:n_chars]), 0, 6)
        v = v >> (6 - avail).astype(np.uint8)
    raw = _ASCII[v].view(f"S{n_chars}").reshape(-1)
    trimmed = np.strings.strip(np.strings.rstrip(raw, b"@"), b" ").astype(f"S{n_chars}")
    # Widening the ASCII bytes to UCS-4 is several times faster than astype("U").
    text: NDArray[np.str_] = trimmed.view(np.uint8).reshape(-1, n_chars).astype(np.uint32).view(f"U{n_chars}")
    return text.reshape(-1)


# ---------------------------------------------------------------- field layouts


def _decode_base_station(w: list[NDArray[np.uint64]], out: dict[str, NDArray[Any]], at: NDArray[np.int64]) -> None:
    """Types 4 and 11 (168 bits, as pyais's ``MessageType4._fast_path``)."""
    for name, start, width in (("year", 38, 14), ("month", 52, 4), ("day", 56, 5), ("hour", 61, 5),
                               ("minute", 66, 6), ("second", 72, 6), ("radio", 149, 19)):  # fmt: skip
        out[name][at] = bits(w, start, width)
    out["accuracy"][at] = flag(w, 78)
    out["lon"][at] = degrees(w, 79, 28, 10)
    out["lat"][at] = degrees(w, 107, 27, 10)
    out["epfd"][at] = _EPFD[bits(w, 134, 4)]
    out["raim"][at] = flag(w, 148)


def _decode_voyage(
    w: list[NDArray[np.uint64]], six: NDArray[np.uint8], n_bits: NDArray[np.int64], out: dict[str, NDArray[Any]],
    at: NDArray[np.int64],
) -> None:  # fmt: skip
    """Type 5 (424 bits)."""
    for name, start, width in (("ais_version", 38, 2), ("imo", 40, 30), ("to_bow", 240, 9), ("to_stern", 249, 9),
                               ("to_port", 258, 6), ("to_starboard", 264, 6), ("month", 274, 4), ("day", 278, 5),
                               ("hour", 283, 5), ("minute", 288, 6)):  # fmt: skip
        out[name][at] = bits(w, start, width)
    out["callsign"][at] = _text(six, n_bits, 70, 7)
    out["shipname"][at] = _text(six, n_bits, 112, 20)
    out["ship_type"][at] = _SHIP_TYPE[bits(w, 232, 8)]
    out["epfd"][at] = _EPFD[bits(w, 270, 4)]
    out["draught"][at] = bits(w, 294, 8) / 10.0
    out["destination"][at] = _text(six, n_bits, 302, 20)
    out["dte"][at] = flag(w, 422)


def _decode_aton(
    w: list[NDArray[np.uint64]], six: NDArray[np.uint8], n_bits: NDArray[np.int64], out: dict[str, NDArray[Any]],
    at: NDArray[np.int64],
) -> None:  # fmt: skip
    """Type 21 (272 bits, then up to 88 bits of name extension)."""
    for name, start, width in (("aid_type", 38, 5), ("to_bow", 219, 9), ("to_stern", 228, 9), ("to_port", 237, 6),
                               ("to_starboard", 243, 6), ("second", 253, 6), ("reserved_1", 260, 8)):  # fmt: skip
        out[name][at] = bits(w, start, width)
    for name, bit in (("accuracy", 163), ("off_position", 259), ("raim", 268), ("virtual_aid", 269),
                      ("assigned", 270)):  # fmt: skip
        out[name][at] = flag(w, bit)
    out["lon"][at] = degrees(w, 164, 28, 10)
    out["lat"][at] = degrees(w, 192, 27, 10)
    out["epfd"][at] = _EPFD[bits(w, 249, 4)]
    text = _text(six, n_bits, 43, 20)
    # pyais's get_str reads 88 bits as 15 characters (range(272, 360, 6)), the last reaching bit 361.
    has_ext = n_bits > 272
    ext = np.where(has_ext, _text(six, n_bits, 272, 15), "")
    out["name"][at] = text
    out["name_ext"][at] = ext
    out["has_name_ext"][at] = has_ext
    out["full_name"][at] = np.where((text != "") & (ext != ""), np.strings.add(text, ext), text)


def _decode_static_data(
    w: list[NDArray[np.uint64]], six: NDArray[np.uint8], n_bits: NDArray[np.int64], out: dict[str, NDArray[Any]],
    at: NDArray[np.int64], part_b: NDArray[np.bool_], aux: NDArray[np.bool_],
) -> None:  # fmt: skip
    """Type 24: part A (160 bits) or part B (162 bits; an auxiliary craft's with its mothership's MMSI)."""
    out["partno"][at] = bits(w, 38, 2)
    a, b = np.flatnonzero(~part_b), np.flatnonzero(part_b)
    out["shipname"][at[a]] = _text(six[a], n_bits[a], 40, 20)
    wb = [x[b] for x in w]
    for name, start, width in (("ship_type", 40, 8), ("model", 66, 4), ("serial", 70, 20)):
        out[name][at[b]] = bits(wb, start, width)
    out["vendorid"][at[b]] = _text(six[b], n_bits[b], 48, 3)
    out["callsign"][at[b]] = _text(six[b], n_bits[b], 90, 7)
    dims, mothers = np.flatnonzero(~aux[b]), np.flatnonzero(aux[b])
    wd = [x[dims] for x in wb]
    for name, start, width in (("to_bow", 132, 9), ("to_stern", 141, 9), ("to_port", 150, 6),
                               ("to_starboard", 156, 6)):  # fmt: skip
        out[name][at[b][dims]] = bits(wd, start, width)
    out["mothership_mmsi"][at[b][mothers]] = bits([x[mothers] for x in wb], 132, 30)


# ---------------------------------------------------------------- the static pass


@dataclass
class StaticCandidates:
    """Lines whose tag block and header the fast path has checked, for :func:`decode_static` (positions are byte
    offsets into the whole buffer; ``order`` is the index among non-blank lines, for adjacency)."""

    line: NDArray[np.int64]
    order: NDArray[np.int64]
    start: NDArray[np.int64]
    sentence: NDArray[np.int64]
    payload: NDArray[np.int64]
    end: NDArray[np.int64]
    count: NDArray[np.uint8]
    number: NDArray[np.uint8]
    received_at: NDArray[np.float64]
    station: NDArray[np.int32]
    slot: NDArray[np.int64]
    head_xor: NDArray[np.uint8]  # XOR of the header bytes between "!" and the payload

    @staticmethod
    def concat(parts: list[StaticCandidates]) -> StaticCandidates:
        """The candidates of several chunks, in order."""
        names = [f.name for f in dataclasses.fields(StaticCandidates)]
        if not parts:
            empty: dict[str, Any] = {name: np.zeros(0, dtype=np.int64) for name in names}
            return StaticCandidates(**empty)
        return StaticCandidates(**{name: np.concatenate([getattr(p, name) for p in parts]) for name in names})


@dataclass
class _Sentences:
    """Each candidate line's payload as six-bit values, and what the joining of fragments needs."""

    ok: NDArray[np.bool_]
    six: NDArray[np.uint8]  # MAX_STATIC_CHARS wide, zero after the payload
    chars: NDArray[np.int64]
    fill: NDArray[np.int64]  # as pyais reads it (0 on a line with receiver metadata)


def _read_sentences(src: PaddedBytes, c: StaticCandidates) -> _Sentences:
    """Find each candidate's payload and ``,f*hh`` tail; check the checksum, the armour and receiver metadata."""
    m = len(c.line)
    rows = src.gather(c.payload, _WINDOW)
    r = np.arange(m)
    found = (rows == ord(",")).argmax(axis=1).astype(np.int64)
    ok = (rows[r, found] == ord(",")) & (found >= 1) & (found <= MAX_STATIC_CHARS)
    chars = np.minimum(found, MAX_STATIC_CHARS)  # so that the tail's bytes are in the window
    fill = rows[r, chars + 1].astype(np.int64) - ord("0")
    ok &= (fill >= 0) & (fill <= 5) & (rows[r, chars + 2] == ord("*"))
    hex_ok, expected = hex_pair(rows[r, chars + 3], rows[r, chars + 4])
    ok &= hex_ok
    after = c.payload + chars + 5
    with_meta = (after < c.end) & (rows[r, chars + 5] == ord(","))
    ok &= (after == c.end) | with_meta
    meta = np.flatnonzero(ok & with_meta)
    if len(meta):
        ok[meta] = meta_ok(src.gather(after[meta] + 1, META_WINDOW), c.end[meta] - after[meta] - 1)

    # Checksum: the header's bytes after "!" (from the fast path), then the payload and ",f", as 64-bit words.
    chars8 = chars.astype(np.uint8)
    body = rows * (AR8[:_WINDOW] < chars8[:, None] + np.uint8(2))
    ok &= (c.head_xor ^ fold(np.bitwise_xor.reduce(body.view(np.uint64), axis=1), 64)) == expected

    armour = np.frombuffer(rows.tobytes().translate(TO_SIXBIT), dtype=np.uint8).reshape(m, _WINDOW)
    six = armour[:, :MAX_STATIC_CHARS] * (AR8[:MAX_STATIC_CHARS] < chars8[:, None])  # zero after the payload
    ok &= six.max(axis=1, initial=0) < 64  # 0xFF: a byte outside the armour alphabet
    return _Sentences(ok=ok, six=six, chars=chars, fill=np.where(with_meta, 0, fill))


def _pairs(src: PaddedBytes, c: StaticCandidates, s: _Sentences) -> NDArray[np.bool_]:
    """Candidates that are fragment 1 of a two-sentence message whose fragment 2 is on the next non-blank line."""
    first = s.ok[:-1] & (c.count[:-1] == 2) & (c.number[:-1] == 1)
    second = s.ok[1:] & (c.count[1:] == 2) & (c.number[1:] == 2)
    pair = first & second & (c.order[1:] == c.order[:-1] + 1) & (c.slot[1:] == c.slot[:-1])
    pair &= s.chars[:-1] + s.chars[1:] <= MAX_STATIC_CHARS
    st1, st2 = c.station[:-1], c.station[1:]
    pair &= (st1 == st2) | (st1 < 0) | (st2 < 0)
    both_tagged = np.flatnonzero(pair & (c.sentence[:-1] > c.start[:-1]) & (c.sentence[1:] > c.start[1:]))
    if len(both_tagged):
        has1, g1 = tag_groups(src, c.start[both_tagged])
        has2, g2 = tag_groups(src, c.start[both_tagged + 1])
        same = (g1[:, :4].view(np.uint32)[:, 0] == np.frombuffer(b"1-2-", np.uint32)[0]) & (
            g2[:, :4].view(np.uint32)[:, 0] == np.frombuffer(b"2-2-", np.uint32)[0]
        )
        same &= (g1[:, 4:] == g2[:, 4:]).all(axis=1)
        pair[both_tagged] = ~(has1 & has2) | same
    out = np.zeros(len(c.line), dtype=bool)
    out[:-1] = pair
    return out


def decode_static(src: PaddedBytes, c: StaticCandidates) -> tuple[StaticTable, NDArray[np.int64]]:
    """Decode the candidates that are whole static messages; return the table and each row's pyais stream slot."""
    if len(c.line) == 0:
        return empty_table(), np.zeros(0, dtype=np.int64)
    s = _read_sentences(src, c)
    pair = _pairs(src, c, s)
    single = s.ok & (c.count == 1)
    anchor = np.flatnonzero(single | pair)
    joined = pair[anchor]
    nxt = np.minimum(anchor + 1, len(c.line) - 1)
    six = s.six[anchor]
    first_chars = s.chars[anchor]
    j = np.flatnonzero(joined)
    for k in np.unique(first_chars[j]).tolist():  # fragment 2's characters after fragment 1's (few lengths)
        at = j[first_chars[j] == k]
        six[at, k:] = s.six[nxt[at], : MAX_STATIC_CHARS - k]
    n_chars = first_chars + np.where(joined, s.chars[nxt], 0)
    n_bits = 6 * n_chars - np.where(joined, s.fill[nxt], s.fill[anchor])

    # The shortest payload of each layout whose every field pyais reads whole (type 24: by part number).
    need = _MIN_BITS[six[:, 0], (six[:, 6] >> 2) & 3]
    keep = np.flatnonzero(n_bits >= need)
    anchor, joined, nxt, six, n_bits = anchor[keep], joined[keep], nxt[keep], six[keep], n_bits[keep]
    msg_type = six[:, 0]
    out = _columns(len(anchor))
    out["msg_type"][:] = msg_type
    part_b = (msg_type == 24) & ((six[:, 6] >> 2) & 3 == 1)
    for types, n_chars_read, layout in _GROUPS:
        rows = np.flatnonzero(np.isin(msg_type, types))
        if not len(rows):
            continue
        six_g = six[rows, :n_chars_read]  # only the words this layout's fields reach
        w = pack_words(six_g)
        out["repeat"][rows] = bits(w, 6, 2)
        out["mmsi"][rows] = mmsi = bits(w, 8, 30)
        out["layout"][rows] = layout
        if layout == _BASE:
            _decode_base_station(w, out, rows)
        elif layout == _VOYAGE:
            _decode_voyage(w, six_g, n_bits[rows], out, rows)
        elif layout == _ATON:
            _decode_aton(w, six_g, n_bits[rows], out, rows)
        else:
            aux = part_b[rows] & (mmsi >= _AUX_MMSI[0]) & (mmsi <= _AUX_MMSI[1])
            out["layout"][rows] = np.select([aux, part_b[rows]], [_PART_B_AUX, _PART_B], _PART_A)
            _decode_static_data(w, six_g, n_bits[rows], out, rows, part_b[rows], aux)

    received_at, station = c.received_at[anchor], c.station[anchor]
    out["received_at"][:] = np.where(joined & np.isnan(received_at), c.received_at[nxt], received_at)
    out["station"][:] = np.where(joined & (station < 0), c.station[nxt], station)
    line_no2 = np.where(joined, c.line[nxt], -1)
    return _table(c.line[anchor], line_no2, out), c.slot[anchor]


def orphan_fragments(
    table: StaticTable,
    slot: NDArray[np.int64],
    fallback: NDArray[np.int64],
    frag_cnt: NDArray[np.int64],
    frag_num: NDArray[np.int64],
    fallback_slot: NDArray[np.int64],
) -> NDArray[np.bool_]:
    """Which fallback lines are fragments pyais's stream would drop, given the pairs joined here.

    pyais 3.3.1 keeps one pending fragment list per slot (:func:`~pingan.maritime.fastpath_tags.slot_key`): a
    fragment 1 replaces whatever is pending, a fragment 2 completes a pending fragment 1 and empties the slot,
    and a fragment 2 with nothing pending is dropped. Among the fragments of two-sentence messages in one slot,
    in line order (the ``fallback`` lines, described by ``frag_cnt``, ``frag_num`` and ``fallback_slot``, and
    the pairs of ``table``, whose slots are ``slot``), a fallback fragment 1 followed by another fragment 1 is
    superseded, and a fallback fragment 2 that follows a fragment 2 or a joined pair is an orphan. Neither ever
    yields a message; left in the fallback they could, once the pairs are out of the stream, join each other.
    A fragment 1 last in its slot and a fragment 2 first in it are kept: the buffer may be one chunk of a stream.
    """
    frags = np.flatnonzero(frag_cnt == 2)
    dead = np.zeros(len(fallback), dtype=bool)
    if not len(frags):
        return dead
    pairs = np.flatnonzero(table.line_no2 >= 0)
    n_frags = len(frags)
    line = np.concatenate([fallback[frags], table.line_no[pairs]])
    key = np.concatenate([fallback_slot[frags], slot[pairs]])
    order = np.lexsort((line, key))
    key = key[order]
    is_pair = order >= n_frags
    first = is_pair | (frag_num[frags[np.minimum(order, n_frags - 1)]] == 1)
    same = key[1:] == key[:-1]  # event j + 1 in event j's slot
    gone = np.zeros(len(order), dtype=bool)
    gone[:-1] |= ~is_pair[:-1] & first[:-1] & same & first[1:]  # superseded
    gone[1:] |= ~first[1:] & same & (~first[:-1] | is_pair[:-1])  # nothing pending
    dead[frags[order[gone]]] = True
    return dead
