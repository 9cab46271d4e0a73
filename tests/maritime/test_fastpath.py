"""The vectorised AIS decoder gives pyais's values field for field, and accounts for every line exactly once."""

from __future__ import annotations

import math
from collections import Counter
from functools import reduce
from operator import xor
from pathlib import Path
from typing import Any

import numpy as np
import pyais
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from pyais.messages import NMEASentenceFactory
from pyais.stream import IterMessages

from pingan.maritime.corpus import cached_corpus, generate_corpus
from pingan.maritime.fastpath import (
    REASONS,
    STATIC_FIELDS,
    STATIC_LAYOUTS,
    TYPE_FIELDS,
    FastBatch,
    decode_buffer,
)
from tests.shared_data import VECTORS as SHARED_VECTORS

ROOT = Path(__file__).resolve().parents[2]
VECTORS = SHARED_VECTORS
CACHE = ROOT / ".cache" / "ais"
CORPUS_MESSAGES = 1_000_000
CORPUS_SEED = 20260101


# ---------------------------------------------------------------- helpers


def pyais_record(line: bytes) -> dict[str, Any]:
    """pyais's ``decode(line).asdict()``, enums as the ints they are."""
    return pyais.decode(line).asdict()


def same_value(got: Any, want: Any) -> bool:
    """Equal, of the same Python kind (None/str/bool/int/float), and for floats with the same sign bit (-0.0)."""
    if want is None or isinstance(want, str):
        return type(got) is type(want) and got == want
    if isinstance(want, bool):
        return isinstance(got, bool) and got == want
    if isinstance(want, float):
        return isinstance(got, float) and got == want and math.copysign(1, got) == math.copysign(1, want)
    return isinstance(got, int) and not isinstance(got, bool) and got == want


def assert_rows_match_pyais(batch: FastBatch, lines: list[bytes]) -> None:
    """Every decoded row equals pyais's decode of its line, with pyais's keys in pyais's order."""
    for i, line_no in enumerate(batch.line_no.tolist()):
        want = pyais_record(lines[line_no])
        got = batch.record(i)
        assert list(got) == list(want), lines[line_no]
        for key, value in want.items():
            assert same_value(got[key], value), (lines[line_no], key, got[key], value)


def assert_static_rows_match_pyais(batch: FastBatch, lines: list[bytes]) -> None:
    """Every static row equals pyais's decode of its line (or its two lines), with pyais's keys in pyais's order."""
    static = batch.static
    for i, (first, second) in enumerate(zip(static.line_no.tolist(), static.line_no2.tolist(), strict=True)):
        parts = [lines[first]] + ([lines[second]] if second >= 0 else [])
        want = pyais.decode(*parts).asdict()
        got = static.record(i)
        assert list(got) == list(want), parts
        for key, value in want.items():
            assert same_value(got[key], value), (parts, key, got[key], value)


def assert_accounted(batch: FastBatch) -> None:
    """Decoded (positions and statics), fallback, rejected and blank lines are disjoint and cover every line."""
    static = batch.static
    parts = [batch.line_no, static.line_no, static.line_no2[static.line_no2 >= 0], batch.fallback, batch.rejected]
    everything = np.concatenate([*parts, batch.blank])
    assert len(batch) + static.n_lines + len(batch.fallback) + len(batch.rejected) + len(batch.blank) == batch.n_lines
    assert len(everything) == batch.n_lines
    assert np.array_equal(np.sort(everything), np.arange(batch.n_lines))
    assert len(batch.reason) == len(batch.rejected)
    assert all(0 <= r < len(REASONS) for r in batch.reason.tolist())


def split_lines(buf: bytes) -> list[bytes]:
    """The lines as decode_buffer counts them: split on LF, one trailing CR dropped, no piece after a final LF."""
    lines = buf.split(b"\n")
    if buf.endswith(b"\n") or not buf:
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def vector_lines(name: str) -> list[bytes]:
    return [line.rstrip(b"\r\n") for line in (VECTORS / name).read_bytes().splitlines()]


def with_checksum(body: bytes) -> bytes:
    """``!...`` + ``*hh`` with the right NMEA checksum."""
    return body + f"*{reduce(xor, body[1:], 0):02X}".encode()


def tag_block(fields: bytes) -> bytes:
    return b"\\" + fields + f"*{reduce(xor, fields, 0):02X}".encode() + b"\\"


def reason_of(batch: FastBatch, line_no: int) -> str:
    return REASONS[int(batch.reason[np.flatnonzero(batch.rejected == line_no)[0]])]


# ---------------------------------------------------------------- hand-checked sentences

TYPE_1 = b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A"
TYPE_2 = b"!AIVDM,1,1,,B,25Cjtd0Oj;Jp7ilG7=UkKBoB0<06,0*60"
TYPE_3 = b"!AIVDM,1,1,,A,38Id705000rRVJhE7cl9n;160000,0*40"
TYPE_18 = b"!AIVDM,1,1,,B,B5O6hr00<veEKmUaMFdEow`UWP06,0*4F"
TYPE_27 = b"!AIVDM,1,1,,A,KCQ9r=hrFUnH7P00,0*41"
TYPE_27_B = b"!AIVDM,1,1,,A,K3KLehP0rPTJ10Qr,0*2A"
SENTINELS = b"!AIVDM,1,1,,B,33`hBOEP?w<tSF0l4Q@>4?wv0qiP,0*15"  # gpsd ais-nmea.log, MMSI 244060797
TYPE_5 = (
    b"!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C",
    b"!AIVDM,2,2,1,A,88888888880,2*25",
)
USCG = (
    b"!AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,0*30"
    b",d-080,S2118,t050056.00,T56.4837741,r003669946,1325394060,1325394001"
)
TAGGED = b"\\s:rORBCOMM104,q:u,c:1418172113,T:2014-12-10 00.41.53*55\\!AIVDM,1,1,,B,13F?Vv700<DJuLEtvep`iToV0<00,0*78"


def test_quoted_sentences_are_real() -> None:
    sample = set(vector_lines("gpsd/sample.aivdm"))
    assert {TYPE_1, TYPE_2, TYPE_3, TYPE_18, TYPE_27, *TYPE_5, TYPE_4, TYPE_24_B} <= sample
    assert TYPE_27_B in set(vector_lines("gpsd/ais-18-27.log"))
    assert SENTINELS in set(vector_lines("gpsd/ais-nmea.log"))
    assert USCG in set(vector_lines("libais/typeexamples.nmea"))
    assert TAGGED in set(vector_lines("libais/tagblock.nmea"))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # Values from the dumps in sample.aivdm (lon/lat rounded to 6 decimals as pyais does).
        (TYPE_1, {"msg_type": 1, "mmsi": 371798000, "status": 0, "turn": -127.0, "speed": 12.3, "accuracy": True,
                  "lon": -123.395383, "lat": 48.381633, "course": 224.0, "heading": 215, "second": 33,
                  "raim": False, "radio": (2 << 14) | 1249}),
        (TYPE_2, {"msg_type": 2, "mmsi": 356302000, "turn": 127.0, "speed": 13.9, "accuracy": False,
                  "lon": -71.626143, "lat": 40.392358, "course": 87.7, "heading": 91, "second": 41,
                  "radio": (3 << 14) | 6}),
        (TYPE_3, {"msg_type": 3, "mmsi": 563808000, "status": 5, "turn": 0.0, "speed": 0.0, "accuracy": True,
                  "lon": -76.327533, "lat": 36.91, "course": 252.0, "heading": 352, "second": 35, "radio": 0}),
        (TYPE_18, {"msg_type": 18, "mmsi": 368161000, "speed": 5.1, "accuracy": True, "lon": -72.233848,
                   "lat": 39.480925, "course": 34.9, "heading": 511, "second": 17, "cs": True, "display": False,
                   "dsc": True, "band": True, "msg22": False, "assigned": False, "raim": True,
                   "radio": (1 << 19) | (3 << 17) | 6}),
        # gpsd sample.aivdm.ju.chk: lon -92521 and lat 52239 in 1/10 min.
        (TYPE_27, {"msg_type": 27, "repeat": 1, "mmsi": 236091959, "status": 3, "accuracy": False,
                   "lon": -154.201667, "lat": 87.065, "speed": 0.0, "course": 0.0, "gnss": False}),
        # gpsd ais-18-27.log.chk: lon 14978, lat 36098, speed 1, course 30.
        (TYPE_27_B, {"msg_type": 27, "mmsi": 230108610, "status": 0, "lon": 24.963333, "lat": 60.163333,
                     "speed": 1.0, "course": 30.0, "gnss": True}),
        # gpsd ais-nmea.log.chk: every "not available" value at once.
        (SENTINELS, {"msg_type": 3, "mmsi": 244060797, "turn": -128.0, "speed": 102.3, "lon": 181.0, "lat": 91.0,
                     "course": 360.0, "heading": 511, "second": 63, "radio": 236640}),
    ],
)  # fmt: skip
def test_hand_checked_position_reports(line: bytes, expected: dict[str, Any]) -> None:
    batch = decode_buffer(line + b"\n")
    assert len(batch) == 1 and batch.line_no.tolist() == [0]
    record = batch.record(0)
    for key, value in expected.items():
        assert same_value(record[key], value), (key, record[key], value)
    assert_rows_match_pyais(batch, [line])
    assert np.isnan(batch.received_at[0]) and batch.station[0] == -1


def test_negative_longitude_and_latitude_keep_pyais_rounding() -> None:
    lines = [
        encoded.encode()
        for lon, lat in [(-70.123456, -33.987654), (-0.000001, -0.000001), (-179.999999, -89.999999)]
        for encoded in pyais.encode_dict({"type": 1, "mmsi": 412000001, "lon": lon, "lat": lat}, sentence_type="VDM")
    ]
    batch = decode_buffer(b"\n".join(lines))
    assert len(batch) == 3
    assert (batch.lon < 0).all() and (batch.lat < 0).all()
    assert_rows_match_pyais(batch, lines)


def test_small_negative_rate_of_turn_is_negative_zero_as_in_pyais() -> None:
    line = pyais.encode_dict({"type": 1, "mmsi": 412000001, "turn": -0.045}, sentence_type="VDM")[0].encode()
    batch = decode_buffer(line)
    assert pyais_record(line)["turn"] == 0.0 and math.copysign(1, pyais_record(line)["turn"]) == -1
    assert math.copysign(1, batch.turn[0]) == -1
    assert_rows_match_pyais(batch, [line])


def test_fields_apply_only_to_their_message_types() -> None:
    batch = decode_buffer(b"\n".join([TYPE_1, TYPE_18, TYPE_27]))
    assert batch.applies("turn").tolist() == [True, False, False]
    assert batch.applies("cs").tolist() == [False, True, False]
    assert batch.applies("gnss").tolist() == [False, False, True]
    assert batch.applies("status").tolist() == [True, False, True]
    assert batch.applies("received_at").all()
    assert np.isnan(batch.turn[1:]).all()
    with pytest.raises(KeyError):
        batch.applies("shipname")


def test_tag_block_gives_receiver_time_and_station() -> None:
    other = tag_block(b"c:1662643300,s:2573345") + TYPE_18
    batch = decode_buffer(b"\n".join([TAGGED, TYPE_1, other]))
    assert len(batch) == 3
    assert batch.received_at[0] == 1418172113.0 and np.isnan(batch.received_at[1])
    assert batch.received_at[2] == 1662643300.0
    assert [batch.stations[s] if s >= 0 else None for s in batch.station.tolist()] == ["rORBCOMM104", None, "2573345"]
    assert_rows_match_pyais(batch, [TAGGED, TYPE_1, other])


def test_tag_block_in_milliseconds_is_read_as_seconds() -> None:
    batch = decode_buffer(tag_block(b"s:A,c:1662643300123") + TYPE_1)
    assert batch.received_at[0] == 1662643300.123


def test_tag_block_with_a_bad_checksum_is_rejected() -> None:
    good = tag_block(b"s:2573345,c:1662643300")
    bad = good[:-3] + (b"00" if good[-3:-1] != b"00" else b"01") + b"\\"
    batch = decode_buffer(bad + TYPE_1)
    assert batch.rejected.tolist() == [0] and reason_of(batch, 0) == "tag_checksum"


def test_long_tag_block_goes_to_pyais() -> None:
    line = tag_block(b"s:" + b"X" * 40 + b",c:1662643300") + TYPE_1
    batch = decode_buffer(line)
    assert batch.fallback.tolist() == [0]
    assert pyais_record(line)["mmsi"] == 371798000


def test_bad_checksum_is_rejected() -> None:
    batch = decode_buffer(TYPE_1[:-2] + b"4B\n" + TYPE_18[:-2] + b"00")
    assert batch.rejected.tolist() == [0, 1]
    assert [REASONS[r] for r in batch.reason] == ["checksum", "checksum"]


def test_lower_case_checksum_is_accepted() -> None:
    lower = TYPE_18[:-2] + TYPE_18[-2:].lower()
    assert lower != TYPE_18
    assert len(decode_buffer(lower)) == 1


def test_crlf_and_blank_lines() -> None:
    buf = b"\r\n" + TYPE_1 + b"\r\n\n" + TYPE_2 + b"\r\n\r\n"
    batch = decode_buffer(buf)
    assert batch.n_lines == 5
    assert batch.line_no.tolist() == [1, 3] and batch.blank.tolist() == [0, 2, 4]
    assert batch.lines(buf, batch.line_no) == [TYPE_1, TYPE_2]
    assert_rows_match_pyais(batch, [b"", TYPE_1, b"", TYPE_2, b""])


def test_last_line_without_newline_counts() -> None:
    assert decode_buffer(TYPE_1).n_lines == 1
    assert decode_buffer(TYPE_1 + b"\n").n_lines == 1
    assert decode_buffer(TYPE_1 + b"\n\n").n_lines == 2
    empty = decode_buffer(b"")
    assert empty.n_lines == 0 and len(empty) == 0
    assert_accounted(empty)


def test_uscg_receiver_metadata_after_the_checksum_is_allowed() -> None:
    batch = decode_buffer(USCG)
    assert len(batch) == 1
    assert_rows_match_pyais(batch, [USCG])


def test_aivdo_and_other_talkers_are_decoded() -> None:
    lines = [with_checksum(b"!" + tag + TYPE_1[6:-3]) for tag in (b"AIVDO", b"ABVDM", b"BSVDM")]
    batch = decode_buffer(b"\n".join(lines))
    assert len(batch) == 3
    assert_rows_match_pyais(batch, lines)


def test_two_part_type_5_goes_to_fallback_without_static() -> None:
    batch = decode_buffer(b"\n".join([TYPE_1, *TYPE_5, TYPE_18]))
    assert batch.line_no.tolist() == [0, 3] and batch.fallback.tolist() == [1, 2]
    assert [pyais.decode(*TYPE_5).msg_type] == [5]


@pytest.mark.parametrize(
    "line",
    [
        b"!AIVDM,1,1,,A,13aIkM@P00PJ@qPNL=e@0?wJ28JO,5*63",  # fill bits on a 168-bit payload (ais-raw-messages)
        b"!AIVDM,1,1,,B,KC5E2b@U19PFdLbMuc5=ROv62<7m,0*16",  # a 168-bit type 27 (sample.aivdm)
        b"!AIVDM,1,1,,A,403Ovl@000Htt<tSF0l4Q@100`Pq,0*28",  # type 4
        with_checksum(b"!aivdm,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0"),  # lower-case talker
        with_checksum(b"!AIVDM,1,1,,C,15RTgt0PAso;90TKcjM8h6g208CQ,0"),  # channel C
        with_checksum(b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CX,0"),  # "X" is outside the six-bit alphabet
        with_checksum(b"!AIVDM,1,1,12,A,15RTgt0PAso;90TKcjM8h6g208CQ,0"),  # two-digit sequence id
    ],
)
def test_unusual_but_valid_sentences_go_to_pyais(line: bytes) -> None:
    batch = decode_buffer(line)
    assert batch.fallback.tolist() == [0]
    pyais.decode(line)  # and pyais takes them


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47", "not_ais"),
        (b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ", "malformed"),  # truncated: no checksum
        (b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4", "malformed"),
        (b"# a comment", "malformed"),
        (b"!AIVDM,1,1,,A,15RTgt0P\xffso;90TKcjM8h6g208CQ,0*4A", "binary"),
        (with_checksum(b"!AIVDM,0,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0"), "malformed"),  # fragment count 0
        (with_checksum(b"!AIVDM,1,2,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0"), "malformed"),  # fragment 2 of 1
        (with_checksum(b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,7"), "malformed"),  # 7 fill bits
        (with_checksum(b"!AIVDM,1,1,,A,,0"), "malformed"),  # no payload
        (with_checksum(b"!AIVDM,1,1,,A," + b"1" * 201 + b",0"), "too_long"),
        (with_checksum(b"!AIVDM,1,1,,A,w5RTgt0PAso;90TKcjM8h6g208CQ,0"), "unknown_type"),  # type 63
        (b"!AIVDM,1,1,,A,H3KLehdt00000000?6ekkjm000000,0*2C", "unknown_type"),  # type 24 part 3 (ais-18-27.log)
        (b"!AIVDM," + b"x" * 600, "too_long"),
    ],
)
def test_rejected_lines_carry_a_reason(line: bytes, reason: str) -> None:
    batch = decode_buffer(line)
    assert batch.rejected.tolist() == [0] and reason_of(batch, 0) == reason


@pytest.mark.parametrize(
    "name",
    [
        "gpsd/sample.aivdm",
        "gpsd/ais-18-27.log",
        "gpsd/ais-nmea.log",
        "gpsd/ais-raw-messages.log",
        "libais/typeexamples.nmea",
        "libais/tagblock.nmea",
    ],
)
@pytest.mark.parametrize("static", [False, True])
def test_vector_files_match_pyais_and_fallback_is_pyais_work(name: str, static: bool) -> None:
    buf = (VECTORS / name).read_bytes()
    batch = decode_buffer(buf, static=static)
    lines = split_lines(buf)
    assert batch.n_lines == len(lines)
    assert_accounted(batch)
    assert_rows_match_pyais(batch, lines)
    assert_static_rows_match_pyais(batch, lines)
    assert (len(batch.static) > 0) == (static and name != "libais/tagblock.nmea")
    for line in batch.lines(buf, batch.fallback):
        sentence = NMEASentenceFactory.produce(line)
        if sentence.frag_cnt == 1:
            pyais.decode(line)
    assert len(batch) > 0


def test_vector_position_reports_are_all_decoded_where_standard() -> None:
    """Every single-sentence standard-length type 1/2/3/18/27 report in the vectors takes the fast path."""
    for name in ("gpsd/sample.aivdm", "gpsd/ais-18-27.log", "gpsd/ais-nmea.log", "gpsd/ais-raw-messages.log"):
        buf = (VECTORS / name).read_bytes()
        batch = decode_buffer(buf)
        lines = split_lines(buf)
        for line_no in batch.fallback.tolist():
            line = lines[line_no]
            sentence = NMEASentenceFactory.produce(line)
            if sentence.frag_cnt == 1 and sentence.fill_bits == 0:
                expected = {1: 28, 2: 28, 3: 28, 18: 28, 27: 16}.get(pyais.decode(line).msg_type)
                assert len(sentence.payload) != expected, line


# ---------------------------------------------------------------- property tests

TYPE_4 = b"!AIVDM,1,1,,A,403OviQuMGCqWrRO9>E6fE700@GO,0*4D"  # sample.aivdm
TYPE_24_B = b"!AIVDM,1,1,,A,H42O55lti4hhhilD3nink000?050,0*40"  # sample.aivdm
BASES = [TYPE_1, TYPE_2, TYPE_3, TYPE_18, TYPE_27, TYPE_27_B, SENTINELS, USCG, TAGGED, *TYPE_5, TYPE_4, TYPE_24_B]


@st.composite
def mutated_lines(draw: st.DrawFn) -> bytes:
    """A real sentence with a byte replaced, inserted or deleted, the checksum sometimes repaired, a tag block
    sometimes added, and a CR sometimes appended."""
    line = bytearray(draw(st.sampled_from(BASES)))
    at = draw(st.integers(0, len(line) - 1))
    action = draw(st.sampled_from(["replace", "insert", "delete", "none"]))
    byte = draw(st.sampled_from(b"0123456789:;<=>?@ABCHKOPWXw`,*!\\$ \x00\xff"))
    if action == "replace":
        line[at] = byte
    elif action == "insert":
        line.insert(at, byte)
    elif action == "delete":
        del line[at]
    text = bytes(line)
    star = text.rfind(b"*", 0, text.find(b",", text.find(b"*") + 1) if b",d-" in text else len(text))
    if draw(st.booleans()) and text.startswith(b"!") and star > 0 and star + 3 <= len(text):
        text = with_checksum(text[:star]) + text[star + 3 :]
    if draw(st.booleans()):
        text = tag_block(draw(st.sampled_from([b"s:2573345,c:1662643300", b"c:1,s:X", b"g:1-2-3,s:B", b"n:7"]))) + text
    if draw(st.booleans()):
        text += b"\r"
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=120).map(lambda b: b.replace(b"\n", b"")), max_size=12), st.booleans())
def test_random_bytes_never_raise_and_every_line_is_accounted(lines: list[bytes], final_newline: bool) -> None:
    buf = b"\n".join(lines) + (b"\n" if final_newline else b"")
    for static in (False, True):
        batch = decode_buffer(buf, static=static)
        assert batch.n_lines == len(split_lines(buf))
        assert_accounted(batch)
        assert_rows_match_pyais(batch, split_lines(buf))
        assert_static_rows_match_pyais(batch, split_lines(buf))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutated_lines(), min_size=1, max_size=8))
def test_mutated_sentences_decode_as_pyais_or_are_set_aside(lines: list[bytes]) -> None:
    buf = b"\n".join(lines)
    for static in (False, True):
        batch = decode_buffer(buf, static=static)
        assert_accounted(batch)
        assert_rows_match_pyais(batch, split_lines(buf))
        assert_static_rows_match_pyais(batch, split_lines(buf))


# ---------------------------------------------------------------- the corpus


def test_corpus_is_deterministic_and_mixed() -> None:
    corpus = generate_corpus(3000, seed=7)
    assert corpus == generate_corpus(3000, seed=7)
    assert corpus != generate_corpus(3000, seed=8)
    batch = decode_buffer(corpus)
    assert_accounted(batch)
    types = Counter(batch.msg_type.tolist())
    assert {1, 2, 3, 18, 27} <= set(types)
    assert types[1] + types[2] + types[3] + types[18] > 0.7 * len(batch)
    assert len(batch.fallback) > 0.05 * batch.n_lines
    assert set(REASONS[r] for r in batch.reason) >= {"checksum", "malformed", "binary"}
    assert (batch.station >= 0).mean() > 0.2
    assert (batch.lon == 181.0).any() and (batch.lat < 0).any() and (batch.heading == 511).any()


def _sentence(line: bytes) -> bytes:
    """A line without its tag block."""
    return line[line.index(b"\\", 1) + 1 :] if line.startswith(b"\\") else line


def _tag_reference(lines: list[bytes]) -> tuple[NDArray[np.float64], list[str | None]]:
    """The receiver time and station pyais reads from each line's tag block (NaN / None without one)."""
    cache: dict[bytes, tuple[float, str | None]] = {}
    for line in set(lines):
        head = line[: line.index(b"\\", 1) + 1] if line.startswith(b"\\") else b""
        if head in cache:
            continue
        received, station = math.nan, None
        if head:
            tb = NMEASentenceFactory.produce(line).tag_block
            assert tb is not None
            tb.init()
            if tb.receiver_timestamp is not None:
                received = float(int(tb.receiver_timestamp))
            station = tb.source_station
        cache[head] = (received, station)
    refs = [cache[line[: line.index(b"\\", 1) + 1] if line.startswith(b"\\") else b""] for line in lines]
    return np.array([r for r, _ in refs]), [s for _, s in refs]


def _assert_columns(table: Any, applies: Any, names: set[str], records: list[dict[str, Any]]) -> None:
    """Each column equals pyais's values on the rows it applies to: floats bit for bit, bools and strings exactly."""
    for name in sorted(names):
        rows = np.flatnonzero(applies(name))
        want_values = [records[i][name] for i in rows.tolist()]
        got = getattr(table, name)[rows]
        if name == "name_ext":  # None in pyais when the payload ends before the extension
            assert np.array_equal(table.has_name_ext[rows], [v is not None for v in want_values])
            got, want_values = got[table.has_name_ext[rows]], [v for v in want_values if v is not None]
        if got.dtype == np.float64:
            want = np.array(want_values, dtype=np.float64)
            assert np.array_equal(got.view(np.uint64), want.view(np.uint64)), name  # bit for bit, -0.0 included
        elif got.dtype == bool:
            assert {type(v) for v in want_values} <= {bool}, name
            assert np.array_equal(got, np.array(want_values, dtype=bool)), name
        elif got.dtype.kind == "U":
            assert {type(v) for v in want_values} <= {str}, name
            assert got.tolist() == want_values, name
        else:
            assert np.array_equal(got.astype(np.int64), np.array(want_values, dtype=np.int64)), name


def test_million_message_corpus_matches_pyais_column_by_column() -> None:
    """The acceptance check: ≥ 1,000,000 messages, every decoded row (position and static) equal to pyais, every
    other line accounted for, and the fallback lines giving pyais's remaining messages exactly."""
    path = cached_corpus(CORPUS_MESSAGES, seed=CORPUS_SEED, directory=CACHE)
    buf = path.read_bytes()
    batch = decode_buffer(buf, static=True)
    lines = split_lines(buf)
    assert batch.n_lines == len(lines) >= CORPUS_MESSAGES
    assert_accounted(batch)

    # Position reports, against pyais's decode of each distinct sentence.
    decoded = [_sentence(lines[i]) for i in batch.line_no.tolist()]
    reference = {sentence: pyais.decode(sentence).asdict() for sentence in set(decoded)}
    records = [reference[sentence] for sentence in decoded]
    for msg_type in np.unique(batch.msg_type).tolist():
        assert tuple(records[int(np.flatnonzero(batch.msg_type == msg_type)[0])]) == TYPE_FIELDS[msg_type]
    _assert_columns(batch, batch.applies, {n for names in TYPE_FIELDS.values() for n in names}, records)
    received, stations = _tag_reference([lines[i] for i in batch.line_no.tolist()])
    assert np.array_equal(batch.received_at, received, equal_nan=True)
    assert [batch.stations[s] if s >= 0 else None for s in batch.station.tolist()] == stations

    # Static messages (two-sentence type 5 joined), against pyais's decode of their sentences.
    static = batch.static
    assert set(np.unique(static.msg_type).tolist()) == {4, 5, 21, 24}
    assert (static.line_no2 >= 0).sum() == (static.msg_type == 5).sum() > 20_000
    groups = [
        (_sentence(lines[a]),) if b < 0 else (_sentence(lines[a]), _sentence(lines[b]))
        for a, b in zip(static.line_no.tolist(), static.line_no2.tolist(), strict=True)
    ]
    static_reference = {group: pyais.decode(*group).asdict() for group in set(groups)}
    static_records = [static_reference[group] for group in groups]
    for layout in np.unique(static.layout).tolist():
        sample = static_records[int(np.flatnonzero(static.layout == layout)[0])]
        assert tuple(sample) == STATIC_FIELDS[STATIC_LAYOUTS[layout]]
    _assert_columns(static, static.applies, {n for names in STATIC_FIELDS.values() for n in names}, static_records)
    received, stations = _tag_reference([lines[i] for i in static.line_no.tolist()])
    assert np.array_equal(static.received_at, received, equal_nan=True)
    assert [batch.stations[s] if s >= 0 else None for s in static.station.tolist()] == stations

    # The fallback lines through pyais's stream give exactly the messages that the fast path's lines took out of
    # it: the same multiset of assembled sentences (fragments that pyais drops are rejected as orphans).
    fallback = batch.lines(buf, batch.fallback)
    for line in set(fallback):
        if NMEASentenceFactory.produce(line).frag_cnt == 1:
            pyais.decode(line)
    orphans = batch.rejected[batch.reason == REASONS.index("orphan_fragment")]
    assert all(NMEASentenceFactory.produce(lines[i]).frag_cnt == 2 for i in orphans.tolist())
    kept = np.sort(np.concatenate([batch.line_no, static.line_no, static.line_no2[static.line_no2 >= 0]]))
    whole = np.sort(np.concatenate([kept, batch.fallback, orphans]))
    from_whole = Counter(message.raw for message in IterMessages(batch.lines(buf, whole)))
    fast = Counter(decoded) + Counter(b"\n".join(group) for group in groups)
    assert from_whole == fast + Counter(message.raw for message in IterMessages(fallback))

    # A checksum rejection is a real one (pyais does not check by default, so ask it explicitly).
    for line_no in batch.rejected[batch.reason == REASONS.index("checksum")].tolist():
        assert not NMEASentenceFactory.produce(lines[line_no]).is_valid, lines[line_no]


def test_corpus_cache_is_reused(tmp_path: Path) -> None:
    first = cached_corpus(200, seed=3, directory=tmp_path)
    stamp = first.stat().st_mtime_ns
    assert cached_corpus(200, seed=3, directory=tmp_path) == first
    assert first.stat().st_mtime_ns == stamp
    assert first.read_bytes() == generate_corpus(200, seed=3)
