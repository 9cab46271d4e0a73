"""From received lines to decoded AIS messages: checking, fragment assembly per station and channel, and counting."""

from __future__ import annotations

import functools
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pyais.bit_vector import bit_vector
from pyais.messages import MSG_CLASS

from pingan.maritime.nmea import Reason, Sentence, Skip, parse_line

SAMPLES_PER_REASON = 20
EXPIRE_EVERY_S = 0.5  # partial messages are checked for timeout at most this often


@dataclass
class Counters:
    """Every line fed in is counted once: used in a message, skipped, refused with a reason, or still pending."""

    lines: int = 0
    messages: int = 0
    used: int = 0  # lines (fragments) that became part of a decoded message
    skipped: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    samples: dict[str, deque[str]] = field(default_factory=dict)  # dead-letter samples per reason
    dead_letter: Callable[[str, str], None] | None = None  # told (reason, line) of every refused line with text

    def reject(self, reason: Reason, lines: int = 1, sample: str | bytes | None = None) -> None:
        """Count `lines` refused for `reason` and keep a short sample of the first few."""
        self.rejected[reason.value] += lines
        if sample is not None:
            kept = self.samples.setdefault(reason.value, deque(maxlen=SAMPLES_PER_REASON))
            text = sample if isinstance(sample, str) else sample.decode("ascii", "backslashreplace")
            kept.append(text[:200])
            if self.dead_letter is not None:
                self.dead_letter(reason.value, text[:200])

    def accounted(self, pending: int) -> bool:
        """True when every line is accounted for, given the fragments still waiting in the assembler."""
        return self.lines == self.used + sum(self.skipped.values()) + sum(self.rejected.values()) + pending

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy of the counters."""
        return {
            "lines": self.lines,
            "messages": self.messages,
            "used_lines": self.used,
            "skipped": dict(self.skipped),
            "rejected": dict(self.rejected),
        }


@dataclass(frozen=True, slots=True)
class Assembled:
    """A whole message payload, assembled from one or more fragments."""

    payload: str
    fill_bits: int
    tags: dict[str, str]
    station: str | None
    channel: str
    talker: str
    lines: int


@dataclass(slots=True)
class _Partial:
    count: int
    parts: list[str]
    fill_bits: int
    tags: dict[str, str]
    started_at: float
    talker: str
    channel: str


def _channel(raw: str) -> str:
    # gpsd maps '1'/'2' to A/B and an empty channel to A; keep anything else as given.
    return {"1": "A", "2": "B", "": "A"}.get(raw, raw)


class Assembler:
    """Join multi-part sentences per (station, channel, sequence id), or per tag-block group when there is one.

    A fragment must follow its predecessor; fragment 1 restarts a key; partial messages older than `timeout_s`
    are dropped by `expire`. Every dropped fragment is counted.
    """

    def __init__(self, counters: Counters, *, timeout_s: float = 5.0) -> None:
        self.counters = counters
        self.timeout_s = timeout_s
        self._partials: dict[tuple[str | None, str, str], _Partial] = {}

    @property
    def pending(self) -> int:
        """Fragments held while their message is incomplete."""
        return sum(len(p.parts) for p in self._partials.values())

    def add(self, sentence: Sentence, *, station: str | None, at: float, raw: str | bytes = "") -> Assembled | None:
        """Take one fragment received at `at` (seconds); return the message when it is complete."""
        channel = _channel(sentence.channel)
        if sentence.count == 1:
            self.counters.used += 1
            return Assembled(sentence.payload, sentence.fill_bits, sentence.tags, station, channel, sentence.talker, 1)
        group = sentence.tags.get("g", "")
        group_parts = group.split("-")
        # An IEC 62320-1 sentence group links fragments across lines; otherwise key on channel and sequence id.
        key = (station, "g", group_parts[2]) if len(group_parts) == 3 else (station, channel, sentence.seq_id)
        partial = self._partials.get(key)
        if sentence.number == 1:
            if partial is not None:
                self.counters.reject(Reason.INCOMPLETE, len(partial.parts), sample=raw)
            self._partials[key] = _Partial(
                sentence.count,
                [sentence.payload],
                sentence.fill_bits,
                dict(sentence.tags),
                at,
                sentence.talker,
                channel,
            )
            return None
        if partial is None or partial.count != sentence.count or len(partial.parts) + 1 != sentence.number:
            self.counters.reject(Reason.OUT_OF_ORDER, 1, sample=raw)
            if partial is not None:
                self.counters.reject(Reason.INCOMPLETE, len(partial.parts))
                del self._partials[key]
            return None
        partial.parts.append(sentence.payload)
        partial.tags.update({k: v for k, v in sentence.tags.items() if k not in partial.tags})
        if sentence.number < sentence.count:
            return None
        del self._partials[key]
        lines = len(partial.parts)
        self.counters.used += lines
        return Assembled(
            "".join(partial.parts), sentence.fill_bits, partial.tags, station, partial.channel, partial.talker, lines
        )

    def expire(self, now: float) -> int:
        """Drop partial messages older than the timeout; return how many fragments were dropped."""
        stale = [k for k, p in self._partials.items() if now - p.started_at > self.timeout_s]
        dropped = 0
        for key in stale:
            dropped += len(self._partials.pop(key).parts)
        if dropped:
            self.counters.reject(Reason.INCOMPLETE, dropped)
        return dropped

    def flush(self) -> int:
        """Drop every partial message (end of input); return how many fragments were dropped."""
        return self.expire(float("inf"))


def message_type(payload: str) -> int:
    """The AIS message type from the first armoured character.

    >>> message_type("15N1u<PP1FJuvSRHOE6QIwwh0HQ6")
    1
    """
    value = ord(payload[0]) - 48
    return value - 8 if value > 40 else value


def decode_payload(payload: str, fill_bits: int) -> Any | Reason:
    """Decode one assembled payload with pyais; return the message object or why it could not be decoded."""
    cls = MSG_CLASS.get(message_type(payload))
    if cls is None:
        return Reason.UNKNOWN_TYPE
    try:
        return cls.from_vector(bit_vector(payload.encode("ascii"), fill_bits))
    except Exception:  # pyais raises many kinds on corrupt payloads; any of them means "cannot decode"
        return Reason.DECODE_ERROR


decode_static = functools.lru_cache(maxsize=1 << 16)(decode_payload)  # pyais messages are never mutated here


def tag_time(tags: dict[str, str]) -> datetime | None:
    """The receiver time of a tag block's `c:` field (Unix seconds, or milliseconds when it is that large).

    >>> tag_time({"c": "1325394060"}).isoformat()
    '2012-01-01T05:01:00+00:00'
    """
    raw = tags.get("c")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    if value > 1e11:
        value /= 1000.0
    if not 0 < value < 4.1e9:
        return None
    return datetime.fromtimestamp(value, UTC)


@dataclass(frozen=True, slots=True)
class Decoded:
    """One decoded AIS message with where and when it was received."""

    msg: Any  # a pyais message object (MessageType1 … MessageType28)
    msg_type: int
    payload: str
    fill_bits: int
    tags: dict[str, str]
    station: str | None
    received_at: datetime | None
    own_ship: bool = False


class Decoder:
    """Stateful line-to-message decoder for one feed: checks, assembles, decodes and counts.

    Fragment timeouts run on the arrival clock: `at` (seconds) when the feed gives it, otherwise the number of
    lines read divided by `lines_per_s` for a file. Tag-block times are not used for this: satellite and
    multi-station feeds deliver them out of order.
    """

    def __init__(
        self,
        counters: Counters | None = None,
        *,
        station: str | None = None,
        timeout_s: float = 5.0,
        lines_per_s: float = 200.0,
    ) -> None:
        self.counters = counters if counters is not None else Counters()
        self.station = station
        self.assembler = Assembler(self.counters, timeout_s=timeout_s)
        self.lines_per_s = lines_per_s
        self._clock = 0.0
        self._expired_at = 0.0

    def feed(self, raw: str | bytes, *, at: float | None = None) -> Decoded | None:
        """Take one received line (arriving at `at` seconds) and return a message if one completes."""
        counters = self.counters
        counters.lines += 1
        self._clock = at if at is not None else self._clock + 1.0 / self.lines_per_s
        parsed = parse_line(raw)
        if isinstance(parsed, Skip):
            counters.skipped[parsed.value] += 1
            return None
        if isinstance(parsed, Reason):
            counters.reject(parsed, sample=raw)
            return None
        if self.assembler._partials and self._clock - self._expired_at >= EXPIRE_EVERY_S:
            self._expired_at = self._clock
            self.assembler.expire(self._clock)
        station = parsed.tags.get("s") or self.station
        done = self.assembler.add(parsed, station=station, at=self._clock, raw=raw)
        if done is None:
            return None
        static = done.payload[:1] in ("5", "H")  # types 5 and 24 repeat unchanged every few minutes
        msg = decode_static(done.payload, done.fill_bits) if static else decode_payload(done.payload, done.fill_bits)
        if isinstance(msg, Reason):
            counters.used -= done.lines
            counters.reject(msg, done.lines, sample=done.payload)
            return None
        counters.messages += 1
        return Decoded(
            msg,
            int(msg.msg_type),
            done.payload,
            done.fill_bits,
            done.tags,
            done.station,
            tag_time(done.tags),
            done.talker.endswith("VDO"),
        )

    @property
    def pending(self) -> int:
        """Fragments waiting for the rest of their message."""
        return self.assembler.pending


def decode_lines(
    lines: Iterable[str | bytes],
    *,
    counters: Counters | None = None,
    station: str | None = None,
    timeout_s: float = 5.0,
) -> Iterator[Decoded]:
    """Decode a finite sequence of lines (a file); fragments still incomplete at the end are counted as dropped."""
    decoder = Decoder(counters, station=station, timeout_s=timeout_s)
    for line in lines:
        decoded = decoder.feed(line)
        if decoded is not None:
            yield decoded
    decoder.assembler.flush()
