"""A received AIS payload as gpsd's decoder sees it: bit fields, six-bit text, hex dumps, printf rounding.

The gpsd-json renderers (:mod:`pingan.maritime.gpsd_messages`, :mod:`pingan.maritime.gpsd_asm`) read
fields at the absolute bit offsets of gpsd's ``drivers/driver_ais.c`` through :class:`AisBits`, and
round scaled values with :func:`printf_round` so that they equal what gpsd prints.
"""

from __future__ import annotations

Record = dict[str, object]
"""One gpsd JSON object (or a fragment of one), keys in gpsd's print order."""

_SIXBIT = "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ !\"#$%&'()*+,-./0123456789:;<=>?"


class AisBits:
    """A message as gpsd holds it: every payload bit including the fill bits, and ``bitlen`` without them.

    gpsd reads fields past ``bitlen`` from the same buffer (fill bits, then zeros) and dumps binary
    payloads in whole bytes, so the fill bits are kept rather than shifted out.

    >>> bits = AisBits("15RTgt0PAso;90TKcjM8h6g208CQ", 0)
    >>> bits.bitlen, bits.ubits(0, 6), bits.ubits(8, 30), bits.sbits(42, 8)
    (168, 1, 371798000, -127)
    """

    __slots__ = ("_total", "_value", "bitlen")

    def __init__(self, payload: str, fill_bits: int) -> None:
        """Unarmour ``payload`` (the six-bit characters of all fragments) with ``fill_bits`` pad bits."""
        value = 0
        for char in payload:
            code = ord(char) - 48
            if code >= 40:
                code -= 8
            value = (value << 6) | (code & 0x3F)
        self._value = value
        self._total = 6 * len(payload)
        self.bitlen = self._total - fill_bits

    def length_in(self, low: int, high: int) -> bool:
        """True when ``bitlen`` lies in gpsd's accepted range for the message type (inclusive)."""
        return low <= self.bitlen <= high

    def ubits(self, start: int, width: int) -> int:
        """Unsigned field at bit ``start``; bits beyond the received payload read as zero."""
        if width <= 0:
            return 0
        end = start + width
        if end <= self._total:
            return (self._value >> (self._total - end)) & ((1 << width) - 1)
        return (self._value << (end - self._total)) & ((1 << width) - 1)

    def sbits(self, start: int, width: int) -> int:
        """Two's-complement field at bit ``start``."""
        raw = self.ubits(start, width)
        return raw - (1 << width) if raw >> (width - 1) else raw

    def flag(self, start: int) -> bool:
        """One-bit field as a boolean."""
        return bool(self.ubits(start, 1))

    def chars(self, start: int, count: int) -> str:
        """Six-bit text cut at the first ``@`` and right-trimmed of spaces (gpsd ``UCHARS``)."""
        return self.untrimmed(start, count).rstrip(" @")

    def untrimmed(self, start: int, count: int) -> str:
        """Six-bit text cut at the first ``@``, trailing spaces kept (gpsd ``from_sixbit_untrimmed``)."""
        out = []
        for i in range(count):
            char = _SIXBIT[self.ubits(start + 6 * i, 6)]
            if char == "@":
                break
            out.append(char)
        return "".join(out)

    def endchars(self, start: int, max_chars: int) -> str:
        """Six-bit text from ``start`` to ``bitlen`` (gpsd ``endchars``), at most ``max_chars`` long."""
        if self.bitlen <= start:
            return ""
        return self.chars(start, min((self.bitlen - start) // 6, max_chars))

    def hexdata(self, start: int, nbits: int, *, mask_tail: bool = False) -> str:
        """gpsd's ``"<bits>:<hex>"`` dump of ``nbits`` from ``start``, padded to whole bytes.

        gpsd copies whole bytes, so the last byte carries whatever follows the field (fill bits, the
        radio status of type 26); only type 8 masks those bits off (``mask_tail``).
        """
        nbytes = (nbits + 7) // 8
        raw = self.ubits(start, 8 * nbytes)
        if mask_tail and nbits % 8:
            raw &= ~((1 << (8 - nbits % 8)) - 1)
        return f"{nbits}:{raw:0{2 * nbytes}x}" if nbytes else f"{nbits}:"


def printf_round(value: float, places: int) -> float:
    """Round ``value`` exactly as C ``printf("%.<places>f")`` does, returned as a float.

    >>> printf_round(274 * 0.05, 2), printf_round(30.01, 1), printf_round(-92521 / 600, 4)
    (13.7, 30.0, -154.2017)
    """
    return float(f"{value:.{places}f}")


def scale(raw: int, divisor: float, places: int, scaled: bool) -> float | int:
    """``raw / divisor`` printed to ``places`` decimals in scaled mode, else the raw integer (``-u``)."""
    return printf_round(raw / divisor, places) if scaled else raw


def tenths(raw: int, scaled: bool) -> float | int:
    """A value in tenths (speed, course, draught …), scaled to one decimal or left raw."""
    return scale(raw, 10.0, 1, scaled)
