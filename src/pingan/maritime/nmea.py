"""NMEA 0183 AIS sentences: IEC 62320-1 tag blocks, checksums, fields, and the reasons a line is refused."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MAX_LINE_BYTES = 1024  # an NMEA sentence is at most 82 chars; tag blocks and receiver metadata add a few hundred
_ARMOUR = re.compile(r"[0-W`-w]*")  # the AIS six-bit armour alphabet: '0'..'W' and '`'..'w'
_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")


class Reason(StrEnum):
    """Why a line, or a fragment it carried, did not become a message."""

    TOO_LONG = "too_long"
    NOT_TEXT = "not_text"  # bytes that are not ASCII
    MALFORMED = "malformed"  # not a well-formed !..VDM/VDO sentence
    CHECKSUM = "checksum"
    TAG_CHECKSUM = "tag_checksum"
    BAD_FRAGMENT = "bad_fragment"  # fragment number outside 1..count, count outside 1..9, fill bits above 5
    OUT_OF_ORDER = "out_of_order"  # a fragment that does not follow its predecessor
    INCOMPLETE = "incomplete"  # fragments dropped because their message never completed (restart or timeout)
    DECODE_ERROR = "decode_error"  # the assembled payload does not decode as its message type
    UNKNOWN_TYPE = "unknown_type"


class Skip(StrEnum):
    """Lines that are not AIS and are passed over without counting as errors."""

    BLANK = "blank"
    COMMENT = "comment"  # '#' lines in recorded files
    NOT_AIS = "not_ais"  # other NMEA talkers ($GPGGA …)


@dataclass(frozen=True, slots=True)
class Sentence:
    """One checked AIS sentence (a fragment of a message)."""

    talker: str  # "AIVDM", "AIVDO", "BSVDM" …
    count: int
    number: int
    seq_id: str
    channel: str
    payload: str
    fill_bits: int
    tags: dict[str, str]

    @property
    def own_ship(self) -> bool:
        """True for VDO sentences (the receiver's own vessel)."""
        return self.talker.endswith("VDO")


def checksum(body: str) -> int:
    """XOR of the characters between the start delimiter and '*'.

    >>> f"{checksum('AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,0'):02X}"
    '30'
    """
    value = 0
    for ch in body.encode("ascii"):
        value ^= ch
    return value


def parse_tag_block(block: str) -> dict[str, str] | Reason:
    """Parse `c:1325394060,s:r003669946*hh` (without the backslashes) into its fields, checking its checksum."""
    body, star, given = block.rpartition("*")
    if not star or not _HEX2.fullmatch(given):
        return Reason.MALFORMED
    if checksum(body) != int(given, 16):
        return Reason.TAG_CHECKSUM
    tags: dict[str, str] = {}
    for field in body.split(","):
        key, colon, value = field.partition(":")
        if not colon or not key:
            return Reason.MALFORMED
        tags[key] = value
    return tags


def parse_line(raw: bytes | str) -> Sentence | Reason | Skip:
    """Check one received line and return its sentence, the reason it is refused, or why it is skipped.

    Trailing receiver metadata after the checksum (USCG `,d-109,S2105,…`) is accepted and ignored.

    >>> parse_line("!AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,0*30").payload
    '15N1u<PP1FJuvSRHOE6QIwwh0HQ6'
    >>> parse_line("!AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,0*31")
    <Reason.CHECKSUM: 'checksum'>
    """
    if len(raw) > MAX_LINE_BYTES:
        return Reason.TOO_LONG
    if raw[:1] in (b"#", "#"):
        return Skip.COMMENT  # recorded files annotate sentences with comments, in any encoding
    if isinstance(raw, bytes):
        try:
            line = raw.decode("ascii")
        except UnicodeDecodeError:
            return Reason.NOT_TEXT
    else:
        line = raw
        if not line.isascii():
            return Reason.NOT_TEXT
    line = line.strip()
    if not line:
        return Skip.BLANK
    if line[0] == "#":
        return Skip.COMMENT
    tags: dict[str, str] = {}
    if line[0] == "\\":
        end = line.find("\\", 1)
        if end < 0:
            return Reason.MALFORMED
        parsed = parse_tag_block(line[1:end])
        if isinstance(parsed, Reason):
            return parsed
        tags = parsed
        line = line[end + 1 :]
    if not line.startswith("!"):
        return Skip.NOT_AIS if line.startswith("$") else Reason.MALFORMED
    star = line.find("*")
    if star < 0 or not _HEX2.fullmatch(line[star + 1 : star + 3]):
        return Reason.MALFORMED
    body = line[1:star]
    fields = body.split(",")
    if len(fields) < 7 or len(fields[0]) != 5:
        return Reason.MALFORMED
    if fields[0][2:] not in ("VDM", "VDO"):
        return Skip.NOT_AIS
    if checksum(body) != int(line[star + 1 : star + 3], 16):
        return Reason.CHECKSUM
    talker, count_s, number_s, seq_id, channel, payload, fill_s = fields[:7]
    if not (count_s.isdigit() and number_s.isdigit() and fill_s.isdigit() and _ARMOUR.fullmatch(payload)):
        return Reason.MALFORMED
    count, number, fill = int(count_s), int(number_s), int(fill_s)
    if not (1 <= count <= 9 and 1 <= number <= count) or fill > 5 or len(seq_id) > 1:
        return Reason.BAD_FRAGMENT
    if not payload:
        return Reason.MALFORMED
    return Sentence(talker, count, number, seq_id, channel, payload, fill, tags)
