"""The vectorised static-message decoder (types 4, 5, 11, 21, 24) gives pyais's values field for field, joins
two-sentence messages only where pyais's stream would, and keeps every line accounted for."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import numpy as np
import pyais
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyais.constants import EpfdType, ShipType
from pyais.stream import IterMessages

from pingan.maritime import fastpath_static
from pingan.maritime.fastpath import REASONS, STATIC_LAYOUTS, FastBatch, decode_buffer
from tests.maritime.test_fastpath import (
    TYPE_1,
    assert_accounted,
    assert_rows_match_pyais,
    assert_static_rows_match_pyais,
    reason_of,
    same_value,
    split_lines,
    tag_block,
    vector_lines,
    with_checksum,
)

# ---------------------------------------------------------------- real sentences

TYPE_4 = b"!AIVDM,1,1,,A,403OviQuMGCqWrRO9>E6fE700@GO,0*4D"  # sample.aivdm
TYPE_5 = (  # sample.aivdm: 60 + 11 characters
    b"!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C",
    b"!AIVDM,2,2,1,A,88888888880,2*25",
)
TYPE_5_56 = (  # ais-nmea.log: 56 + 15 characters
    b"!AIVDM,2,1,9,B,55R3Vn82=ILTQ3KKS>1<D60Dq@E918U<F222221J1`?164vc03S1CCAD,0*2A",
    b"!AIVDM,2,2,9,B,`88888888888880,2*76",
)
TYPE_5_SINGLE = (  # typeexamples.nmea: one 71-character sentence, USCG metadata (pyais then reads 0 fill bits)
    b"!AIVDM,1,1,1,B,53eaFL02?;fwTPm7V219E@R1@PE8E<622222221@9hG1A7?@NCPSlm3kc5DhH8888888880,2*7F"
    b",d-108,S0097,t050102.00,T02.59044034,r003669946,1325394065,1325394006"
)
TYPE_21 = b"!AIVDM,1,1,,B,E>jKuN@1:WdhHP0000000000000@ln4;:n:6p30HHHgfR?,4*3A"  # ais-raw-messages: 272 bits
TYPE_21_EXT = (  # sample.aivdm: two sentences, a name extension
    b"!AIVDM,2,1,5,B,E1mg=5J1T4W0h97aRh6ba84<h2d;W:Te=eLvH50```q,0*46",
    b"!AIVDM,2,2,5,B,:D44QDlp0C1DU00,2*36",
)
TYPE_21_ODD_NAME = (  # sample.aivdm (without a trailing literal "\\x0d\\x0a"): "@" and "?" inside the name
    b"!AIVDM,2,1,8,B,E03l90w4Q1h3h1:WdPOwwwwwwwwlQdn`:e55020@@@gP0000000000000000,0*47",
    b"!AIVDM,2,2,8,B,00,4*19",
)
TYPE_21_METADATA = (  # typeexamples.nmea: 46 characters, 4 fill bits that pyais does not see
    b"!AIVDM,1,1,5,B,E<eNSpRtjkGoqmIsgm`>ekv92?KN9R<Man9UV;cwLhuFLh,4*62"
    b",d-127,S0024,t105100.00,T00.66517959,r003669946,1325587861,1325587812"
)
TYPE_24_A = b"!AIVDM,1,1,,A,H42O55i18tMET00000000000000,2*6D"  # sample.aivdm: 160 bits
TYPE_24_B = b"!AIVDM,1,1,,A,H42O55lti4hhhilD3nink000?050,0*40"
TYPE_24_A_162 = b"!AIVDM,1,1,,A,H3KLehQ=DtddT00000000000000,0*5F"  # ais-18-27.log
TYPE_11 = (  # sample.aivdm, with receiver metadata
    b"!AIVDM,1,1,,B,;4R33:1uUK2F`q?mOt@@GoQ00000,0*5D,s28089,d-103,T39.44353985,x147521,r08TPHI1,1242958962"
)
MULTIPLEXED = (  # sample.aivdm "channel multiplexing": two type 5 messages interleaved
    b"!AIVDM,2,1,6,B,542M92h00001@<7;?G0PD4i@R0<tqA8tj37>220o0h:2240Ht50000000000,0*3B",
    b"!AIVDM,2,1,2,A,542M92h00001@<7;?G0PD4i@R0<tqA8tj37>220o0h:2240Ht500000000000000,0*3C",
    b"!AIVDM,2,2,2,A,0000002,2*24",
    b"!AIVDM,2,2,6,B,00000000000,2*21",
)


def test_quoted_static_sentences_are_real() -> None:
    # Two sample.aivdm lines end in a literal "\\x0d\\x0a" (an escaped CR LF) after the checksum.
    sample = {line.removesuffix(b"\\x0d\\x0a") for line in vector_lines("gpsd/sample.aivdm")}
    assert {TYPE_4, *TYPE_5, *TYPE_21_EXT, *TYPE_21_ODD_NAME, TYPE_24_A, TYPE_24_B, TYPE_11, *MULTIPLEXED} <= sample
    assert set(TYPE_5_56) <= set(vector_lines("gpsd/ais-nmea.log"))
    assert TYPE_21 in set(vector_lines("gpsd/ais-raw-messages.log"))
    assert TYPE_24_A_162 in set(vector_lines("gpsd/ais-18-27.log"))
    assert {TYPE_5_SINGLE, TYPE_21_METADATA} <= set(vector_lines("libais/typeexamples.nmea"))


def static_batch(*lines: bytes) -> tuple[FastBatch, list[bytes]]:
    """decode_buffer(static=True) on the lines, checked against pyais and for accounting."""
    buf = b"\n".join(lines) + b"\n"
    batch = decode_buffer(buf, static=True)
    assert_accounted(batch)
    assert_rows_match_pyais(batch, split_lines(buf))
    assert_static_rows_match_pyais(batch, split_lines(buf))
    return batch, split_lines(buf)


# ---------------------------------------------------------------- hand-checked values


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # Values from gpsd's sample.aivdm.js.chk (lon/lat to pyais's 6 decimals).
        ((TYPE_4,), {"msg_type": 4, "mmsi": 3669702, "year": 2007, "month": 5, "day": 14, "hour": 19,
                     "minute": 57, "second": 39, "accuracy": True, "lon": -76.352362, "lat": 36.883767, "epfd": 7,
                     "raim": False, "radio": 67039}),
        (TYPE_5, {"msg_type": 5, "mmsi": 351759000, "imo": 9134270, "callsign": "3FOF8", "shipname": "EVER DIADEM",
                  "ship_type": 70, "to_bow": 225, "to_stern": 70, "to_port": 1, "to_starboard": 31, "epfd": 1,
                  "month": 5, "day": 15, "hour": 14, "minute": 0, "draught": 12.2, "destination": "NEW YORK",
                  "dte": False}),
        (TYPE_21_EXT, {"msg_type": 21, "mmsi": 123456789, "aid_type": 20, "name": "CHINA ROSE MURPHY EX",
                       "name_ext": "PRESS ALERT", "full_name": "CHINA ROSE MURPHY EXPRESS ALERT", "to_bow": 5,
                       "second": 50, "reserved_1": 165, "lon": -122.698592, "lat": 47.920618}),
        ((TYPE_24_A,), {"msg_type": 24, "mmsi": 271041815, "partno": 0, "shipname": "PROGUY"}),
        ((TYPE_24_B,), {"msg_type": 24, "mmsi": 271041815, "partno": 1, "ship_type": 60, "vendorid": "1D0",
                        "model": 12, "serial": 199796, "callsign": "TC6163", "to_bow": 0, "to_stern": 15,
                        "to_port": 0, "to_starboard": 5}),
        # pyais reads 88 name-extension bits as 15 characters; here the payload ends at bit 272: None.
        ((TYPE_21,), {"msg_type": 21, "name_ext": None}),
        # pyais trims only trailing "@" and surrounding spaces: inner "@" and "?" stay.
        (TYPE_21_ODD_NAME, {"name": "IBC G BUOY@?????????", "name_ext": "", "full_name": "IBC G BUOY@?????????"}),
    ],
)  # fmt: skip
def test_hand_checked_static_messages(lines: tuple[bytes, ...], expected: dict[str, Any]) -> None:
    batch, _ = static_batch(*lines)
    assert len(batch.static) == 1 and len(batch) == 0 and len(batch.fallback) == 0
    record = batch.static.record(0)
    for key, value in expected.items():
        assert same_value(record[key], value), (key, record[key], value)
    assert batch.static.line_no2.tolist() == ([1] if len(lines) == 2 else [-1])


@pytest.mark.parametrize(
    "lines",
    [TYPE_5_56, (TYPE_5_SINGLE,), (TYPE_21_METADATA,), (TYPE_24_A_162,), (TYPE_11,)],
    ids=["type5-56+15", "type5-single-metadata", "type21-metadata", "type24a-162-bits", "type11-metadata"],
)
def test_unusual_static_shapes_match_pyais(lines: tuple[bytes, ...]) -> None:
    batch, _ = static_batch(*lines)
    assert len(batch.static) == 1


def test_static_layouts_name_the_fields_that_apply() -> None:
    batch, _ = static_batch(TYPE_4, *TYPE_5, TYPE_21, TYPE_24_A, TYPE_24_B)
    static = batch.static
    assert [STATIC_LAYOUTS[i] for i in static.layout] == [
        "base_station", "static_voyage", "aid_to_navigation", "static_a", "static_b",
    ]  # fmt: skip
    assert static.line_no.tolist() == [0, 1, 3, 4, 5] and static.line_no2.tolist() == [-1, 2, -1, -1, -1]
    assert static.n_lines == 6
    assert static.applies("shipname").tolist() == [False, True, False, True, False]
    assert static.applies("epfd").tolist() == [True, True, True, False, False]
    assert static.applies("name_ext").tolist() == [False, False, True, False, False]
    assert np.isnan(static.lon[[1, 3, 4]]).all() and static.shipname[0] == ""
    with pytest.raises(KeyError):
        static.applies("turn")


def test_auxiliary_craft_part_b_carries_its_mothership() -> None:
    body = {"type": 24, "partno": 1, "mmsi": 981234567, "mothership_mmsi": 412000001, "vendorid": "HSD"}
    line = pyais.encode_dict(body, sentence_type="VDM")[0].encode()
    batch, _ = static_batch(line)
    assert STATIC_LAYOUTS[batch.static.layout[0]] == "static_b_aux"
    assert batch.static.record(0)["mothership_mmsi"] == 412000001 and "to_bow" not in batch.static.record(0)


def test_enum_tables_match_pyais() -> None:
    assert fastpath_static._EPFD.tolist() == [int(EpfdType.from_value(v)) for v in range(16)]
    assert fastpath_static._SHIP_TYPE.tolist() == [int(ShipType.from_value(v)) for v in range(256)]


def test_tag_block_time_and_station_reach_the_static_table() -> None:
    first = tag_block(b"g:1-2-4711,s:ZS-DSH01,c:1767225600") + TYPE_5[0]
    second = tag_block(b"g:2-2-4711,c:1767225600") + TYPE_5[1]
    batch, _ = static_batch(first, second, tag_block(b"s:2573345") + TYPE_24_A)
    static = batch.static
    assert static.line_no2.tolist() == [1, -1]
    assert static.received_at[0] == 1767225600.0 and np.isnan(static.received_at[1])
    assert [batch.stations[s] for s in static.station] == ["ZS-DSH01", "2573345"]


def test_tag_block_without_a_time_or_station_reads_none() -> None:
    batch = decode_buffer(b"\n".join([tag_block(b"s:2573345") + TYPE_1, tag_block(b"c:1662643300,n:7") + TYPE_1]))
    assert np.isnan(batch.received_at[0]) and batch.received_at[1] == 1662643300.0
    assert batch.station[1] == -1 and batch.stations == ["2573345"]


# ---------------------------------------------------------------- joining fragments


def test_fragments_join_across_a_blank_line() -> None:
    batch, _ = static_batch(TYPE_5[0], b"", TYPE_5[1])
    assert batch.static.line_no2.tolist() == [2] and batch.blank.tolist() == [1]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (TYPE_5[0], with_checksum(TYPE_5[1][:-3].replace(b",1,A,", b",2,A,"))),  # another sequence id
        (TYPE_5[0], with_checksum(TYPE_5[1][:-3].replace(b",1,A,", b",1,B,"))),  # another channel
        (TYPE_5[0], with_checksum(TYPE_5[1][:-3].replace(b"!AIVDM", b"!ABVDM"))),  # another talker
        (tag_block(b"s:A") + TYPE_5[0], tag_block(b"s:B") + TYPE_5[1]),  # another station
        (tag_block(b"g:1-2-7") + TYPE_5[0], tag_block(b"g:2-2-8") + TYPE_5[1]),  # another group
    ],
    ids=["seq", "channel", "talker", "station", "group"],
)
def test_fragments_that_may_not_belong_together_go_to_pyais(first: bytes, second: bytes) -> None:
    batch, _ = static_batch(first, second)
    assert len(batch.static) == 0 and batch.fallback.tolist() == [0, 1]


def test_interleaved_fragments_go_to_pyais() -> None:
    batch, lines = static_batch(*MULTIPLEXED)
    assert batch.static.line_no.tolist() == [1] and batch.static.line_no2.tolist() == [2]  # the adjacent pair
    assert batch.fallback.tolist() == [0, 3]
    assert [m.decode().msg_type for m in IterMessages(batch.lines(b"\n".join(lines), batch.fallback))] == [5]


@pytest.mark.parametrize("n_chars", [72, 73, 76, 79, 80, 81, 120, 201])
def test_long_fragments_and_payloads_never_raise(n_chars: int) -> None:
    first = sentence(b"5" * n_chars, 0, count=2, number=1, seq=b"3")
    batch, _ = static_batch(first, sentence(b"00", 2, count=2, number=2, seq=b"3"), sentence(b"4" * n_chars, 0))
    assert batch.static.line_no.tolist() == ([2] if n_chars <= 72 else [])  # a type 4 of up to 432 bits


def test_without_static_everything_static_is_left_to_pyais() -> None:
    lines = [TYPE_1, TYPE_4, *TYPE_5, TYPE_24_B]
    plain, with_static = decode_buffer(b"\n".join(lines)), decode_buffer(b"\n".join(lines), static=True)
    assert len(plain.static) == 0 and plain.fallback.tolist() == [1, 2, 3, 4]
    assert with_static.static.line_no.tolist() == [1, 2, 4] and len(with_static.fallback) == 0
    assert plain.line_no.tolist() == with_static.line_no.tolist() == [0]


@pytest.mark.parametrize(
    ("line", "outcome"),
    [
        (with_checksum(TYPE_4[:-5] + b",2"), "fallback"),  # 166 bits: pyais's fields would be cut
        (with_checksum(TYPE_24_A[:-5] + b",5"), "fallback"),  # 157 bits
        (b"!AIVDM,1,1,,A,H3KLehdt00000000?6ekkjm000000,0*2C", "unknown_type"),  # type 24 part 3
        (TYPE_4[:-2] + b"4E", "checksum"),
        (with_checksum(TYPE_4[:-20] + b"x" + TYPE_4[-19:-3]), "fallback"),  # "x" is outside the armour
    ],
)
def test_static_shapes_the_fast_path_does_not_prove_go_elsewhere(line: bytes, outcome: str) -> None:
    batch, _ = static_batch(line)
    assert len(batch.static) == 0
    if outcome == "fallback":
        assert batch.fallback.tolist() == [0]
    else:
        assert reason_of(batch, 0) == outcome


# ---------------------------------------------------------------- pyais's stream


def stream_messages(batch: FastBatch, buf: bytes) -> tuple[Counter[bytes], Counter[bytes]]:
    """pyais's stream over every line it would read (all but the non-orphan rejects), and the fast path's
    messages plus pyais's stream over the fallback: the multisets of assembled sentences."""
    lines = split_lines(buf)
    static = batch.static
    orphans = batch.rejected[batch.reason == REASONS.index("orphan_fragment")]
    used = [batch.line_no, static.line_no, static.line_no2[static.line_no2 >= 0], batch.fallback, orphans]
    whole = Counter(m.raw for m in IterMessages([lines[i] for i in np.sort(np.concatenate(used)).tolist()]))
    ours = Counter(m.raw for m in IterMessages([lines[i] for i in batch.fallback.tolist()]))
    sentence = [line.rsplit(b"\\", 1)[1] if line.startswith(b"\\") else line for line in lines]  # no tag block
    ours.update(sentence[i] for i in batch.line_no.tolist())
    for a, b in zip(static.line_no.tolist(), static.line_no2.tolist(), strict=True):
        ours[sentence[a] + (b"\n" + sentence[b] if b >= 0 else b"")] += 1
    return whole, ours


def test_fragments_pyais_drops_are_rejected_so_that_they_cannot_meet() -> None:
    # Fragments of another message, in the same slot as TYPE_5 (sequence id 1, channel A).
    orphan_1, orphan_2 = (sentence(s.split(b",")[5], int(s.split(b",")[6][:1]), count=2, number=n, seq=b"1")
                          for n, s in enumerate(TYPE_5_56, start=1))  # fmt: skip
    lines = [orphan_1, *TYPE_5, orphan_2, orphan_1]
    buf = b"\n".join(lines)
    batch, _ = static_batch(*lines)
    assert batch.static.line_no.tolist() == [1]
    assert batch.rejected.tolist() == [0, 3] and {reason_of(batch, 0), reason_of(batch, 3)} == {"orphan_fragment"}
    assert batch.fallback.tolist() == [4]  # the last fragment 1 may be completed by the next chunk
    whole, ours = stream_messages(batch, buf)
    assert whole == ours and sum(ours.values()) == 1
    # Without the rejections the two orphans would have met in the fallback and made a message of their own.
    assert sum(1 for _ in IterMessages([orphan_1, orphan_2])) == 1


@st.composite
def fragment_streams(draw: st.DrawFn) -> list[bytes]:
    """Lines of whole two-sentence messages, lone fragments, single sentences and blanks, in a few shared slots."""
    lines: list[bytes] = []
    for _ in range(draw(st.integers(1, 14))):
        seq, channel = draw(st.sampled_from([b"1", b"2", b""])), draw(st.sampled_from([b"A", b"B"]))
        message = draw(st.sampled_from([TYPE_5, TYPE_5_56, TYPE_21_EXT, TYPE_21_ODD_NAME]))
        parts = []
        for number, line in enumerate(message, start=1):
            fields = line.split(b",")
            parts.append(sentence(fields[5], int(fields[6][:1]), count=2, number=number, seq=seq, channel=channel))
        kind = draw(st.sampled_from(["pair", "pair", "first", "second", "single", "blank"]))
        lines += {"pair": parts, "first": parts[:1], "second": parts[1:], "single": [TYPE_24_B], "blank": [b""]}[kind]
    return lines


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragment_streams())
def test_fast_path_and_fallback_give_pyais_stream_messages(lines: list[bytes]) -> None:
    buf = b"\n".join(lines) + b"\n"
    batch = decode_buffer(buf, static=True)
    assert_accounted(batch)
    assert_static_rows_match_pyais(batch, split_lines(buf))
    whole, ours = stream_messages(batch, buf)
    assert whole == ours


# ---------------------------------------------------------------- random payloads

_TEXT_AT = {4: (), 5: ((70, 7), (112, 20), (302, 20)), 11: (), 21: ((43, 20), (272, 15)), 24: ((40, 20), (90, 7))}
"""(first bit, characters) of each type's text fields (type 24: part A's name, part B's callsign)."""


def sentence(
    payload: bytes, fill: int, *, count: int = 1, number: int = 1, seq: bytes = b"", channel: bytes = b"A"
) -> bytes:
    """An ``!AIVDM`` sentence with the right checksum."""
    return with_checksum(b"!AIVDM,%d,%d,%s,%s,%s,%d" % (count, number, seq, channel, payload, fill))


def armour(bits: str, rng: random.Random) -> tuple[bytes, int]:
    """A bit string as six-bit armour; the fill bits are random (pyais shifts them out)."""
    fill = -len(bits) % 6
    bits += "".join(rng.choice("01") for _ in range(fill))
    chars = [int(bits[i : i + 6], 2) for i in range(0, len(bits), 6)]
    return bytes(c + 48 if c < 40 else c + 56 for c in chars), fill


@st.composite
def static_messages(draw: st.DrawFn) -> list[bytes]:
    """One static message of random content and length (a few lengths too short for the fast path), as one or
    two sentences, maybe with tag blocks or receiver metadata; text fields often full of "@" and spaces."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    msg_type = draw(st.sampled_from([4, 5, 11, 21, 24]))
    lengths = {4: [168, 170, 166], 5: [424, 426, 432, 420], 11: [168], 21: [272, 276, 300, 356, 358, 362, 270],
               24: [160, 162, 168, 158]}[msg_type]  # fmt: skip
    bits = list(f"{msg_type:06b}" + "".join(rng.choice("01") for _ in range(draw(st.sampled_from(lengths)) - 6)))
    if msg_type == 24:
        bits[38:40] = draw(st.sampled_from(["00", "00", "01", "10"]))
    for start, n_chars in _TEXT_AT[msg_type]:
        if draw(st.booleans()):
            text = "".join(f"{rng.choice((0, 0, 32, 32, 1, rng.randrange(64))):06b}" for _ in range(n_chars))
            bits[start : start + 6 * n_chars] = text[: max(0, len(bits) - start)]
    payload, fill = armour("".join(bits), rng)
    split = draw(st.sampled_from([0, 0, 10, 60, len(payload) - 1]))
    if 0 < split < len(payload):
        seq = draw(st.sampled_from([b"", b"7"]))
        lines = [sentence(payload[:split], 0, count=2, number=1, seq=seq),
                 sentence(payload[split:], fill, count=2, number=2, seq=seq)]  # fmt: skip
    else:
        lines = [sentence(payload, fill, seq=draw(st.sampled_from([b"", b"3"])), channel=b"B")]
    if draw(st.booleans()):
        lines[-1] += b",d-109,S2105,1325394001"  # pyais then reads 0 fill bits
    if draw(st.booleans()):
        lines = [tag_block(b"s:ZS-DSH01,c:1767225600") + line for line in lines]
    return lines


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(static_messages(), min_size=1, max_size=6))
def test_random_static_messages_decode_as_pyais(messages: list[list[bytes]]) -> None:
    lines = [line for message in messages for line in message]
    buf = b"\n".join(lines)
    batch = decode_buffer(buf, static=True)
    assert_accounted(batch)
    assert_static_rows_match_pyais(batch, split_lines(buf))
    whole, ours = stream_messages(batch, buf)
    assert whole == ours
