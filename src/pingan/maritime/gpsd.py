"""gpsd-compatible JSON for received AIS messages (``gpsdecode -j`` and ``gpsdecode -u -j``).

pingan decodes AIS with pyais; this module renders the same messages the way gpsd does, so that
``pingan ais decode --format gpsd-json`` can be diffed against gpsd's regression files and against
any tool that consumes gpsd's AIS JSON.  Field names, key order, scaling, text legends, length checks
and the type-24 pairing follow gpsd's ``drivers/driver_ais.c`` and ``gpsd/gpsd_json.c``; where the
gpsd release that wrote ``shared/vectors/ais/gpsd/*.chk`` differs from the indexed gpsd source (rate
of turn ``"n/a"``/``"0.00"``, 7-decimal positions, type-27 ``status_text``, EPFD 9-15 legends), the
vector files win.  See ``docs/ais-conformance.md``.

Layout: :mod:`gpsd_bits` reads the payload the way gpsd does, :mod:`gpsd_messages` renders the
non-binary message types, :mod:`gpsd_asm` the binary ones (6, 8 with their DAC/FID decodes, 17, 25,
26); this module dispatches, pairs type-24 halves and maps tag blocks.

Why this reads bits rather than pyais's fields: a decoded pyais payload does not keep its bit vector,
converts rate of turn lossily (raw 1 becomes 0.0), and re-encoding it reproduces the received bits for
only 61 of the 102 messages in gpsd's ``sample.aivdm`` (variable-length fields are byte-padded).  gpsd
gates on exact bit lengths and prints binary payloads with their bit count, so every function here
takes a record that still carries the armoured payload: a :class:`pingan.maritime.stream.Decoded` (it
wraps the pyais message) or a pyais ``NMEAMessage``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Protocol

from pingan.maritime import gpsd_asm, gpsd_messages
from pingan.maritime.gpsd_bits import AisBits, Record
from pingan.maritime.stream import tag_time

__all__ = ["Type24Joiner", "gpsd_records", "tagblock_fields", "to_gpsd"]

_RENDERERS: dict[int, Callable[[AisBits, bool], Record | None]] = {**gpsd_messages.RENDERERS, **gpsd_asm.RENDERERS}


class _ArmouredPayload(Protocol):
    """What the functions here need from a received message: its six-bit payload and fill bits."""

    @property
    def payload(self) -> str | bytes: ...

    @property
    def fill_bits(self) -> int: ...


def _bits_of(msg: object) -> AisBits:
    """The exact received bits of ``msg`` (a ``Decoded`` or a pyais ``NMEAMessage``)."""
    payload = getattr(msg, "payload", None)
    fill_bits = getattr(msg, "fill_bits", None)
    if payload is None or not isinstance(fill_bits, int):
        raise TypeError(
            f"{type(msg).__name__} carries no armoured payload; pass the stream's Decoded record "
            "(or a pyais NMEAMessage), not the decoded pyais payload object"
        )
    text = payload.decode("ascii") if isinstance(payload, bytes) else str(payload)
    return AisBits(text, fill_bits)


def to_gpsd(msg: _ArmouredPayload, *, scaled: bool = True, device: str = "stdin") -> Record | None:
    """Render one received AIS message as gpsd's JSON object, or None where gpsd prints nothing.

    ``msg`` is a ``Decoded`` record from :func:`pingan.maritime.stream.decode_lines` (or a pyais
    ``NMEAMessage``); its armoured payload and fill bits are decoded exactly as gpsd does.  ``scaled``
    selects ``gpsdecode -j`` (degrees, knots, legends) over ``-u -j`` (raw integers).  Messages that
    gpsd rejects (wrong length for the type, type-24 part number 2 or 3, unknown types) give None.
    Type 24 comes back as one half with a ``"part"`` key; :class:`Type24Joiner` (used by
    :func:`gpsd_records`) merges halves the way gpsd does.

    >>> from pyais import NMEAMessage
    >>> nmea = NMEAMessage(b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A")
    >>> rec = to_gpsd(nmea)
    >>> rec["type"], rec["mmsi"], rec["speed"], rec["lon"], rec["lat"]
    (1, 371798000, 12.3, -123.3953833, 48.3816333)
    >>> to_gpsd(nmea, scaled=False)["lon"]
    -74037230
    """
    bits = _bits_of(msg)
    if bits.bitlen < 38:
        return None
    msg_type = bits.ubits(0, 6)
    body = _RENDERERS.get(msg_type)
    fields = body(bits, scaled) if body is not None else None
    if fields is None:
        return None
    header: Record = {"class": "AIS"}
    if device:
        header["device"] = device
    header.update(type=msg_type, repeat=bits.ubits(6, 2), mmsi=bits.ubits(8, 30), scaled=scaled)
    return {**header, **fields}


class Type24Joiner:
    """Pair type-24 halves into gpsd's single report, per MMSI.

    A part A is held until a part B from the same MMSI arrives; the pair is reported once, with the
    part B's header, and the held A is released so a repeated B cannot match it again.  A part B with
    no held A is discarded (gpsd's "24B sentence without 24A"), and a newer part A from an MMSI
    replaces the one held for it.  Like gpsd's ``MAX_TYPE24_INTERLEAVE`` queue, at most ``capacity``
    MMSIs are held; the one held longest is dropped first.

    gpsd keys its queue on the slot, not the MMSI, so with two pending part As from one MMSI gpsd may
    pair the older one; pingan always pairs the newest.  Nothing in gpsd's vectors distinguishes them.

    Only gpsd's own part-A length window (160-168 bits) reaches the joiner, so the 162-bit part As of
    ``ais-18-27.log`` are held too; they never print because that capture's companions have part
    number 3, which gpsd (and :func:`to_gpsd`) reject.
    """

    def __init__(self, capacity: int = 8) -> None:
        """Hold at most ``capacity`` pending part As (gpsd holds 8)."""
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._pending: OrderedDict[int, str] = OrderedDict()

    def __len__(self) -> int:
        """Number of part As waiting for their part B."""
        return len(self._pending)

    def push(self, record: Mapping[str, object]) -> Record | None:
        """Feed one :func:`to_gpsd` record; return the joined report when a pair completes, else None.

        Records of other types pass through unchanged.
        """
        if record.get("type") != 24:
            return dict(record)
        mmsi = record.get("mmsi")
        if not isinstance(mmsi, int):
            return None
        if record.get("part") == "A":
            self._pending.pop(mmsi, None)
            self._pending[mmsi] = str(record.get("shipname", ""))
            while len(self._pending) > self._capacity:
                self._pending.popitem(last=False)
            return None
        if record.get("part") != "B" or mmsi not in self._pending:
            return None
        shipname = self._pending.pop(mmsi)
        joined: Record = {}
        for key, value in record.items():
            if key == "part":
                continue
            if key == "shiptype":
                joined["shipname"] = shipname
            joined[key] = value
        return joined


def gpsd_records(
    decoded_iter: Iterable[_ArmouredPayload], *, scaled: bool = True, device: str = "stdin"
) -> Iterator[Record]:
    """Yield gpsd's JSON objects for messages in arrival order, type-24 halves joined as gpsd joins them.

    This is what ``gpsdecode -j`` (``scaled=False``: ``-u -j``) prints for the same input: messages
    gpsd rejects are skipped, and a type-24 report appears only when its part B completes a pair.
    """
    joiner = Type24Joiner()
    for msg in decoded_iter:
        record = to_gpsd(msg, scaled=scaled, device=device)
        if record is None:
            continue
        out = joiner.push(record)
        if out is not None:
            yield out


_TAG_NAMES = {
    "c": "tagblock_timestamp",
    "d": "tagblock_destination",
    "n": "tagblock_line_count",
    "r": "tagblock_relative_time",
    "s": "tagblock_station",
    "t": "tagblock_text",
}


def tagblock_fields(tags: Mapping[str, str]) -> Record:
    """Map an IEC 62320-1 tag block (``{"c": "1418169601", "g": "1-2-1604", ...}``) to libais's keys.

    libais's gpsd-compatible output names the receiver time ``tagblock_timestamp`` (ISO 8601 UTC with
    microseconds), splits the group ``g:<sentence>-<groupsize>-<id>`` into ``tagblock_group``, and
    prefixes every other key with ``tagblock_`` (``T`` → ``tagblock_T``, ``q`` → ``tagblock_q``).
    Values that do not parse are passed through as text rather than dropped.

    >>> tagblock_fields({"s": "rORBCOMM008", "c": "1418169601", "g": "1-2-1604"})
    {'tagblock_station': 'rORBCOMM008', 'tagblock_timestamp': '2014-12-10T00:00:01.000000Z', \
'tagblock_group': {'sentence': 1, 'groupsize': 2, 'id': 1604}}
    """
    out: Record = {}
    for key, value in tags.items():
        if key == "g":
            out["tagblock_group"] = _tag_group(value)
        elif key == "c":
            out["tagblock_timestamp"] = _tag_time(value)
        elif key in ("n", "r"):
            out[_TAG_NAMES[key]] = int(value) if value.lstrip("-").isdigit() else value
        else:
            out[_TAG_NAMES.get(key, f"tagblock_{key}")] = value
    return out


def _tag_group(value: str) -> Record | str:
    parts = value.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return value
    sentence, groupsize, group_id = (int(p) for p in parts)
    return {"sentence": sentence, "groupsize": groupsize, "id": group_id}


def _tag_time(value: str) -> str:
    """Receiver time ``c:`` as ISO 8601 UTC with microseconds; an unreadable value is passed through."""
    received_at = tag_time({"c": value})
    return received_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if received_at is not None else value
