"""A synthetic NMEA corpus of Zhoushan AIS traffic, encoded with pyais and deterministic from a seed.

Valid messages come from pyais's own encoder (``pyais.encode_dict``), so pyais is an independent oracle for any
decoder tested on the corpus. Encoding is slow (measured with pyais 3.3.1 on CPython 3.11: about 23,000 type-1 and
12,000 two-sentence type-5 messages a second), so a million distinct messages would take close to a minute:
:func:`generate_corpus` therefore encodes a *pool* of at most :data:`POOL_SIZE` distinct messages and draws the
corpus from it at random, each line with its own tag block (or none), line ending and position in the stream
(about 9 s for 1,000,000 items). :func:`cached_corpus` keeps the result in a file keyed by (size, seed,
:data:`VERSION`) so that tests and benchmarks pay once; pingan keeps it under ``.cache/ais/`` (git-ignored).

The mix (per item; an item is one message, which may span two lines, or one junk line) follows a coastal feed
dominated by fishing boats: Class A positions (types 1, 2, 3) 47 %, Class B (18) 38 %, long-range (27) 3 %,
static and voyage data (5, two sentences) 3 %, Class B static (24 A/B) 4 %, base stations (4) 1.5 %, AtoN (21)
0.5 %, junk 3 % (bad checksum, truncated line, random bytes, a fragment whose partner is missing). Positions lie
around Zhoushan (121.5-123.5 E, 29.3-31.0 N); 2 % are anywhere on Earth (negative lon/lat), and the "not
available" sentinels (lon 181, lat 91, heading 511, speed 102.3 kn, course 360) appear a few percent of the time.
About 30 % of lines carry an IEC 62320-1 tag block with ``s:`` (station) and ``c:`` (unix seconds), in either
order, sometimes with a ``g:`` group or ``n:`` line count; 5 % of lines end in ``\\r\\n`` and 0.1 % are blank.
"""

from __future__ import annotations

import functools
import math
import operator
import os
import random
from pathlib import Path
from typing import Any, Final

from pyais import encode_dict

__all__ = ["POOL_SIZE", "VERSION", "cached_corpus", "generate_corpus"]

VERSION: Final = 3
"""Bumped whenever the generator changes, so that cached corpora are rebuilt."""
POOL_SIZE: Final = 120_000
"""Most distinct messages encoded with pyais for one corpus."""

_KINDS: Final = (
    ("type1", 36.0),
    ("type2", 2.0),
    ("type3", 9.0),
    ("type18", 38.0),
    ("type27", 3.0),
    ("type5", 3.0),
    ("type24", 4.0),
    ("type4", 1.5),
    ("type21", 0.5),
)
_JUNK_SHARE: Final = 0.03
_TAG_SHARE: Final = 0.30
_CRLF_SHARE: Final = 0.05
_BLANK_SHARE: Final = 0.001
_START_AT: Final = 1_767_225_600  # 2026-01-01T00:00:00Z, unix seconds
_STATIONS: Final = (
    "2573345", "2573485", "ZS-DSH01", "ZS-SJM02", "ZS-DJ03", "ZS-ZJJ04", "rORBCOMM000", "rORBCOMM001", "412000001",
    "412000002", "NB-BL05", "TZ-JJ06",
)  # fmt: skip
_NOT_NEWLINE: Final = bytes(b for b in range(256) if b != ord("\n"))
_NAMES: Final = ("ZHEPUYU", "ZHEDAIYU", "ZHELINGYU", "MINSHIYU", "SULIANYU", "HAIXUN", "ZHOUSHAN", "XIN HAI")


def _checksum(data: bytes) -> int:
    return functools.reduce(operator.xor, data, 0)


def _tag_block(rng: random.Random, station: str, at: int, group: str | None) -> bytes:
    """An IEC 62320-1 tag block ``\\...*hh\\`` with station and receiver time in a random order."""
    fields = [f"s:{station}", f"c:{at}"]
    rng.shuffle(fields)
    if group is not None:
        fields.insert(0, f"g:{group}")
    elif rng.random() < 0.1:
        fields.append(f"n:{rng.randrange(1, 10000)}")
    body = ",".join(fields).encode()
    return b"\\" + body + f"*{_checksum(body):02X}".encode() + b"\\"


class _Fleet:
    """MMSIs and static data for the synthetic targets."""

    def __init__(self, rng: random.Random) -> None:
        self.class_a = [rng.choice((412, 413, 414, 477, 563, 636, 352, 538)) * 1_000_000 + rng.randrange(10**6)
                        for _ in range(1500)]  # fmt: skip
        self.class_b = [rng.choice((412, 413)) * 1_000_000 + rng.randrange(400_000, 10**6) for _ in range(4000)]
        self.bases = [4_120_000 + i for i in range(1, 11)]  # 00412xxxx: coast stations
        self.atons = [994_120_000 + i for i in range(1, 31)]


def _position(rng: random.Random) -> dict[str, Any]:
    """Longitude, latitude, speed, course, heading: near Zhoushan, anywhere, or "not available"."""
    r = rng.random()
    if r < 0.02:
        lon, lat = 181.0, 91.0
    elif r < 0.04:
        lon, lat = rng.uniform(-180, 180), rng.uniform(-90, 90)
    else:
        lon, lat = rng.uniform(121.5, 123.5), rng.uniform(29.3, 31.0)
    speed = 102.3 if rng.random() < 0.02 else round(rng.choice((0.0, rng.uniform(0, 3), rng.uniform(3, 25))), 1)
    course = 360.0 if rng.random() < 0.03 else round(rng.uniform(0, 359.9), 1)
    heading = 511 if rng.random() < 0.05 else rng.randrange(360)
    return {"lon": lon, "lat": lat, "speed": speed, "course": course, "heading": heading}


def _turn(rng: random.Random) -> float:
    r = rng.random()
    if r < 0.35:
        return -128.0  # no turn information
    if r < 0.65:
        return 0.0
    if r < 0.75:
        return rng.choice((127.0, -127.0))
    return math.copysign(rng.uniform(0.1, 700.0), rng.random() - 0.5)


def _message(kind: str, rng: random.Random, fleet: _Fleet) -> dict[str, Any]:
    """The data of one message of ``kind``, for ``encode_dict``."""
    common = {"repeat": rng.choice((0, 0, 0, 1, 2, 3)), "second": rng.choice((*range(60), 60, 61, 62, 63))}
    if kind in ("type1", "type2", "type3"):
        return {
            "type": int(kind[4:]),
            "msg_type": int(kind[4:]),  # pyais's MessageType2/3 inherit type 1 as the default msg_type
            "mmsi": rng.choice(fleet.class_a),
            "status": rng.choice((0, 0, 0, 1, 5, 7, 7, 8, 15, rng.randrange(16))),
            "turn": _turn(rng),
            "accuracy": rng.random() < 0.5,
            "maneuver": rng.choice((0, 0, 1, 2)),
            "raim": rng.random() < 0.2,
            "radio": rng.randrange(1 << 19),
            **_position(rng),
            **common,
        }
    if kind == "type18":
        return {
            "type": 18,
            "mmsi": rng.choice(fleet.class_b),
            "reserved_1": rng.choice((0, 0, 0, rng.randrange(256))),
            "accuracy": rng.random() < 0.3,
            "reserved_2": rng.choice((0, 0, rng.randrange(4))),
            "cs": rng.random() < 0.8,
            "display": rng.random() < 0.1,
            "dsc": rng.random() < 0.5,
            "band": rng.random() < 0.6,
            "msg22": rng.random() < 0.6,
            "assigned": rng.random() < 0.05,
            "raim": rng.random() < 0.2,
            "radio": rng.randrange(1 << 20),
            **_position(rng),
            **common,
        }
    if kind == "type27":
        pos = _position(rng)
        return {
            "type": 27,
            "mmsi": rng.choice(fleet.class_a + fleet.class_b),
            "repeat": common["repeat"],
            "accuracy": rng.random() < 0.5,
            "raim": rng.random() < 0.2,
            "status": rng.randrange(16),
            "lon": pos["lon"],
            "lat": pos["lat"],
            "speed": float(rng.choice((rng.randrange(64), 63))),
            "course": float(rng.choice((rng.randrange(360), 511))),
            "gnss": rng.random() < 0.8,
        }
    if kind == "type5":
        return {
            "type": 5,
            "mmsi": rng.choice(fleet.class_a),
            "imo": rng.randrange(9_000_000, 9_999_999),
            "callsign": f"B{rng.randrange(10**5):05d}",
            "shipname": f"{rng.choice(_NAMES)} {rng.randrange(1, 99999)}",
            "ship_type": rng.choice((30, 30, 70, 80, 52)),
            "to_bow": rng.randrange(5, 200),
            "to_stern": rng.randrange(5, 100),
            "to_port": rng.randrange(1, 30),
            "to_starboard": rng.randrange(1, 30),
            "epfd": 1,
            "month": rng.randrange(1, 13),
            "day": rng.randrange(1, 29),
            "hour": rng.randrange(24),
            "minute": rng.randrange(60),
            "draught": round(rng.uniform(1, 15), 1),
            "destination": rng.choice(("SHENJIAMEN", "ZHOUSHAN", "NINGBO", "SHANGHAI", "DAISHAN")),
        }
    if kind == "type24":
        mmsi = rng.choice(fleet.class_b)
        if rng.random() < 0.5:
            return {"type": 24, "mmsi": mmsi, "partno": 0, "shipname": f"{rng.choice(_NAMES)} {rng.randrange(99999)}"}
        return {
            "type": 24,
            "mmsi": mmsi,
            "partno": 1,
            "ship_type": 30,
            "vendorid": "HSD",
            "callsign": f"BZ{rng.randrange(10**4):04d}",
            "to_bow": rng.randrange(3, 30),
            "to_stern": rng.randrange(3, 20),
            "to_port": rng.randrange(1, 5),
            "to_starboard": rng.randrange(1, 5),
        }
    if kind == "type4":
        return {
            "type": 4,
            "mmsi": rng.choice(fleet.bases),
            "year": 2026,
            "month": rng.randrange(1, 13),
            "day": rng.randrange(1, 29),
            "hour": rng.randrange(24),
            "minute": rng.randrange(60),
            "second": rng.randrange(60),
            "lon": rng.uniform(121.5, 123.5),
            "lat": rng.uniform(29.3, 31.0),
            "epfd": 7,
            "radio": rng.randrange(1 << 19),
        }
    if kind == "type21":
        pos = _position(rng)
        return {
            "type": 21,
            "mmsi": rng.choice(fleet.atons),
            "aid_type": rng.choice((1, 14, 20, 30)),
            "name": f"ZHOUSHAN BUOY {rng.randrange(100)}",
            "lon": pos["lon"],
            "lat": pos["lat"],
            "virtual_aid": rng.random() < 0.3,
        }
    raise ValueError(kind)


def _encode_pool(size: int, rng: random.Random) -> list[list[bytes]]:
    """``size`` messages encoded with pyais: each a list of its sentences (two for type 5)."""
    fleet = _Fleet(rng)
    names = [k for k, _ in _KINDS]
    weights = [w for _, w in _KINDS]
    pool = []
    for kind in rng.choices(names, weights, k=size):
        talker = rng.choice(("AI", "AI", "AI", "AB", "BS"))
        sentences = encode_dict(
            _message(kind, rng, fleet),
            talker_id=talker,
            sentence_type="VDM" if rng.random() < 0.98 else "VDO",
            radio_channel=rng.choice("AB"),
            seq_id=rng.randrange(10) if kind == "type5" else None,
        )
        pool.append([s.encode() for s in sentences])
    return pool


def _junk(rng: random.Random, pool: list[list[bytes]]) -> bytes:
    """One bad line: bad checksum, truncated, random bytes, or a fragment whose partner is missing."""
    r = rng.random()
    if r < 0.35:
        line = rng.choice(pool)[0]
        good = int(line[-2:], 16)
        return line[:-2] + f"{(good + rng.randrange(1, 256)) % 256:02X}".encode()
    if r < 0.6:
        line = rng.choice(pool)[0]
        return line[: rng.randrange(1, len(line) - 1)]
    if r < 0.8:
        return bytes(rng.choice(_NOT_NEWLINE) for _ in range(rng.randrange(1, 90)))
    while True:
        parts = rng.choice(pool)
        if len(parts) > 1:
            return rng.choice(parts)


def generate_corpus(n_messages: int, *, seed: int) -> bytes:
    """A corpus of ``n_messages`` items (a message of one or two lines, or one junk line), newline-terminated.

    Parameters
    ----------
    n_messages : int
        Items to draw; the corpus has about 3 % more lines (two-line type 5, blank lines).
    seed : int
        Seed of the random generator: the same (n, seed) gives the same bytes.

    Examples
    --------
    >>> corpus = generate_corpus(50, seed=1)
    >>> corpus == generate_corpus(50, seed=1), corpus.endswith(b"\\n")
    (True, True)
    """
    rng = random.Random(seed)  # noqa: S311 - synthetic test data, not secrets
    pool = _encode_pool(min(n_messages, POOL_SIZE), rng)
    out: list[bytes] = []
    append = out.append
    step = max(1, 86_400 // max(n_messages, 1))
    at = _START_AT
    for _ in range(n_messages):
        at += rng.randrange(step + 1)
        if rng.random() < _BLANK_SHARE:
            append(b"\n")
        sentences = [_junk(rng, pool)] if rng.random() < _JUNK_SHARE else rng.choice(pool)
        tagged = rng.random() < _TAG_SHARE
        station = rng.choice(_STATIONS)  # both fragments of a message come from the same receiver
        group = rng.randrange(1, 100_000) if len(sentences) > 1 and rng.random() < 0.5 else None
        end = b"\r\n" if rng.random() < _CRLF_SHARE else b"\n"
        for i, sentence in enumerate(sentences, start=1):
            prefix = b""
            if tagged:
                prefix = _tag_block(rng, station, at, None if group is None else f"{i}-{len(sentences)}-{group}")
            append(prefix + sentence + end)
    return b"".join(out)


def cached_corpus(n_messages: int, *, seed: int, directory: Path) -> Path:
    """The file holding ``generate_corpus(n_messages, seed=seed)`` under ``directory``; written on first use."""
    path = directory / f"corpus-v{VERSION}-n{n_messages}-s{seed}.nmea"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(generate_corpus(n_messages, seed=seed))
        tmp.replace(path)  # atomic: a concurrent reader sees the whole file or none
    return path
