"""Line-to-message decoding on the AIS vectors: message counts, fragment assembly, dead letters, and accounting."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from functools import reduce
from itertools import accumulate
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyais import encode_dict

from pingan.maritime.nmea import MAX_LINE_BYTES, Reason, Sentence, parse_line
from pingan.maritime.stream import (
    SAMPLES_PER_REASON,
    Assembler,
    Counters,
    Decoded,
    Decoder,
    decode_lines,
    message_type,
    tag_time,
)
from tests.shared_data import VECTORS as SHARED_VECTORS

VECTORS = SHARED_VECTORS
GPSD = VECTORS / "gpsd"
LIBAIS = VECTORS / "libais"


def _xor(body: str) -> int:
    return reduce(lambda acc, ch: acc ^ ord(ch), body, 0)


def sentence(body: str) -> str:
    """`body` framed as an AIS sentence with a correct checksum."""
    return f"!{body}*{_xor(body):02X}"


def tag_block(body: str) -> str:
    """`body` framed as an IEC 62320-1 tag block with a correct checksum."""
    return f"\\{body}*{_xor(body):02X}\\"


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def decode_file(path: Path) -> tuple[list[Decoded], Counters]:
    counters = Counters()
    return list(decode_lines(lines_of(path), counters=counters)), counters


def type5(mmsi: int, *, channel: str = "A", seq_id: int = 1, name: str = "ZHEPUYU 12345") -> list[str]:
    """A two-part type 5 (static and voyage data) as pyais encodes it: an independent oracle for assembly."""
    data = {"type": 5, "mmsi": mmsi, "shipname": name, "callsign": "BXYZ", "ship_type": 30, "destination": "SHENJIAMEN"}
    return encode_dict(data, talker_id="AI", sentence_type="VDM", radio_channel=channel, seq_id=seq_id)


def sixbit_bits(payload: str, fill_bits: int) -> str:
    """The bit string of an armoured payload, decoded here without pyais."""
    bits = "".join(f"{(v - 8 if (v := ord(ch) - 48) > 40 else v):06b}" for ch in payload)
    return bits[: len(bits) - fill_bits]


# Lines quoted from the vectors; test_quoted_lines_are_real checks they are still there.
THREE_PART = [  # gpsd sample.aivdm: a three-part type 8
    "!AIVDM,3,1,7,A,85Mwp=iKfGwushJ?gNlt2QU3osVGe:4?cNhQqf2VH8t,0*08",
    "!AIVDM,3,2,7,A,?A;J6b7AwuiqIGLeNiKCPDR7HQR<u;TTFufegr>kCSF,0*41",
    "!AIVDM,3,3,7,A,Uq:1Kk`e8,4*27",
]
INTERLEAVED_AB = [  # gpsd sample.aivdm: two type 5 messages interleaved on channels B and A
    "!AIVDM,2,1,6,B,542M92h00001@<7;?G0PD4i@R0<tqA8tj37>220o0h:2240Ht50000000000,0*3B",
    "!AIVDM,2,1,2,A,542M92h00001@<7;?G0PD4i@R0<tqA8tj37>220o0h:2240Ht500000000000000,0*3C",
    "!AIVDM,2,2,2,A,0000002,2*24",
    "!AIVDM,2,2,6,B,00000000000,2*21",
]
PARTNO_3 = "!AIVDM,1,1,,A,H3KLdKdT00000000?6>B0002p7250,0*42"  # gpsd ais-18-27.log: a type 24 with part number 3


def test_quoted_lines_are_real() -> None:
    sample = (GPSD / "sample.aivdm").read_text(encoding="utf-8")
    assert all(line in sample for line in THREE_PART + INTERLEAVED_AB)
    assert PARTNO_3 in (GPSD / "ais-18-27.log").read_text(encoding="utf-8")


# (file, lines, messages, used lines, skipped, rejected): the sentence and message counts of the vectors' README.
VECTOR_COUNTS = [
    ("gpsd/sample.aivdm", 1121, 102, 118, {"comment": 1001, "blank": 1}, {"malformed": 1}),
    ("gpsd/ais-18-27.log", 280, 207, 207, {"comment": 4}, {"decode_error": 69}),
    ("gpsd/ais-nmea.log", 1500, 171, 183, {"comment": 4, "not_ais": 1313}, {}),
    ("gpsd/ais-raw-messages.log", 121, 109, 114, {"comment": 7}, {}),
    ("libais/typeexamples.nmea", 26, 26, 26, {}, {}),
    ("libais/tagblock.nmea", 5, 4, 5, {}, {}),
]


@pytest.mark.parametrize(("name", "lines", "messages", "used", "skipped", "rejected"), VECTOR_COUNTS)
def test_decode_lines_gives_the_documented_counts(
    name: str, lines: int, messages: int, used: int, skipped: dict[str, int], rejected: dict[str, int]
) -> None:
    decoded, counters = decode_file(VECTORS / name)

    assert len(decoded) == counters.messages == messages
    assert counters.as_dict() == {
        "lines": lines,
        "messages": messages,
        "used_lines": used,
        "skipped": skipped,
        "rejected": rejected,
    }
    assert counters.accounted(pending=0)


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("gpsd/sample.aivdm", {1: 88, 2: 12, 3: 2}),
        ("gpsd/ais-nmea.log", {1: 159, 2: 12}),
        ("gpsd/ais-raw-messages.log", {1: 104, 2: 5}),
        ("libais/tagblock.nmea", {1: 3, 2: 1}),
    ],
)
def test_assembler_joins_the_documented_multi_part_messages(name: str, parts: dict[int, int]) -> None:
    counters = Counters()
    assembler = Assembler(counters)
    sizes: Counter[int] = Counter()
    for at, line in enumerate(lines_of(VECTORS / name)):
        parsed = parse_line(line)
        if isinstance(parsed, Sentence):
            done = assembler.add(parsed, station=parsed.tags.get("s"), at=at / 1000, raw=line)
            if done is not None:
                sizes[done.lines] += 1

    assert dict(sizes) == parts
    assert assembler.pending == 0


def _gpsd_types(chk: Path) -> Counter[int]:
    return Counter(json.loads(line)["type"] for line in chk.read_text(encoding="utf-8").splitlines())


def test_sample_aivdm_gives_gpsd_message_types_with_each_type_24_part_on_its_own() -> None:
    decoded, _ = decode_file(GPSD / "sample.aivdm")
    expected = _gpsd_types(GPSD / "sample.aivdm.js.chk")
    # gpsd merges 24A with 24B and drops orphans (2 reports); pingan returns all 7 parts and merges later.
    assert expected[24] == 2
    expected[24] = 7

    assert Counter(d.msg_type for d in decoded) == expected
    assert sum(d.own_ship for d in decoded) == 3


def test_ais_raw_messages_gives_gpsd_message_types() -> None:
    decoded, _ = decode_file(GPSD / "ais-raw-messages.log")
    expected = Counter(
        json.loads(line)["type"]
        for line in (GPSD / "ais-raw-messages.log.chk").read_text(encoding="utf-8").splitlines()
        if line.startswith("{") and '"class":"AIS"' in line
    )
    assert expected[24] == 1
    expected[24] = 2  # one 24A and one 24B, merged into one report by gpsd

    assert Counter(d.msg_type for d in decoded) == expected


def test_type_examples_give_one_message_per_type_except_19() -> None:
    decoded, _ = decode_file(LIBAIS / "typeexamples.nmea")

    assert sorted(d.msg_type for d in decoded) == [t for t in range(1, 28) if t != 19]
    assert [d.msg.mmsi for d in decoded] == [
        json.loads(line)["mmsi"] for line in (LIBAIS / "typeexamples.json").read_text(encoding="utf-8").splitlines()
    ]


def test_tag_block_messages_carry_station_and_receiver_time_from_the_tag_block() -> None:
    decoded, counters = decode_file(LIBAIS / "tagblock.nmea")
    expected = [json.loads(line) for line in (LIBAIS / "tagblock.json").read_text(encoding="utf-8").splitlines()]

    assert counters.rejected == Counter()
    assert len(decoded) == len(expected) == 4
    for got, want in zip(decoded, expected, strict=True):
        assert (got.msg_type, got.msg.mmsi) == (want["type"], want["mmsi"])
        assert got.station == want["tagblock_station"]
        assert got.received_at == datetime.strptime(want["tagblock_timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=UTC
        )


def test_a_type_5_split_by_another_stations_sentence_assembles() -> None:
    decoded, _ = decode_file(LIBAIS / "tagblock.nmea")
    static = [d for d in decoded if d.msg_type == 5]

    assert len(static) == 1
    (message,) = static
    assert (message.msg.mmsi, message.msg.shipname, message.msg.callsign) == (219005012, "ROSINANTE", "XPD5019")
    assert message.station == "rORBCOMM008"
    assert message.received_at == datetime(2014, 12, 10, 0, 0, 1, tzinfo=UTC)
    assert message.tags["g"] == "1-2-1604"


def test_decoder_station_names_messages_without_a_tag_block() -> None:
    decoder = Decoder(station="feed-7")

    message = decoder.feed("!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A")

    assert message is not None
    assert (message.station, message.received_at, message.msg.mmsi) == ("feed-7", None, 371798000)


def test_real_messages_interleaved_on_channels_a_and_b_assemble() -> None:
    counters = Counters()
    decoded = list(decode_lines(INTERLEAVED_AB, counters=counters))

    assert [d.msg.shipname for d in decoded] == ["HEALTH CONTROL 13", "HEALTH CONTROL 13"]
    assert counters.rejected == Counter()


def test_fragments_with_the_same_seq_id_on_channels_a_and_b_assemble_separately() -> None:
    a1, a2 = type5(412000001, channel="A", seq_id=3, name="ZHEDAIYU 1")
    b1, b2 = type5(412000002, channel="B", seq_id=3, name="ZHEDAIYU 2")
    counters = Counters()

    decoded = list(decode_lines([a1, b1, a2, b2], counters=counters))

    assert [(d.msg.mmsi, d.msg.shipname) for d in decoded] == [(412000001, "ZHEDAIYU 1"), (412000002, "ZHEDAIYU 2")]
    assert counters.rejected == Counter()


def test_fragments_with_the_same_key_from_two_stations_assemble_separately() -> None:
    a1, a2 = type5(412000001, seq_id=3, name="ZHEDAIYU 1")
    b1, b2 = type5(412000002, seq_id=3, name="ZHEDAIYU 2")
    s1, s2 = tag_block("s:zhoushan-1"), tag_block("s:daishan-2")

    decoded = list(decode_lines([s1 + a1, s2 + b1, s1 + a2, s2 + b2]))

    assert [(d.station, d.msg.shipname) for d in decoded] == [("zhoushan-1", "ZHEDAIYU 1"), ("daishan-2", "ZHEDAIYU 2")]


def test_numeric_channels_join_their_letter_channels() -> None:
    first, second = type5(412000001, channel="A")
    on_1 = first.replace(",A,", ",1,", 1)
    on_1 = sentence(on_1[1 : on_1.index("*")])

    decoded = list(decode_lines([on_1, second]))

    assert [d.msg.mmsi for d in decoded] == [412000001]


def _feed(decoder: Decoder, lines: list[str], ats: list[float] | None = None) -> list[Decoded]:
    out = []
    for i, line in enumerate(lines):
        message = decoder.feed(line, at=None if ats is None else ats[i])
        assert decoder.counters.accounted(decoder.pending)
        if message is not None:
            out.append(message)
    return out


def test_a_fragment_before_its_predecessor_is_out_of_order() -> None:
    first, second = type5(412000001)
    decoder = Decoder()

    assert _feed(decoder, [second, first]) == []

    assert decoder.counters.rejected == Counter({"out_of_order": 1})
    assert decoder.pending == 1
    decoder.assembler.flush()
    assert decoder.counters.rejected == Counter({"out_of_order": 1, "incomplete": 1})
    assert decoder.counters.accounted(pending=0)


def test_a_skipped_middle_fragment_drops_the_message() -> None:
    decoder = Decoder()

    assert _feed(decoder, [THREE_PART[0], THREE_PART[2]]) == []

    assert decoder.counters.rejected == Counter({"out_of_order": 1, "incomplete": 1})
    assert decoder.pending == 0


def test_a_repeated_middle_fragment_drops_the_message() -> None:
    decoder = Decoder()

    assert _feed(decoder, [THREE_PART[0], THREE_PART[1], THREE_PART[1], THREE_PART[2]]) == []

    assert decoder.counters.rejected == Counter({"out_of_order": 2, "incomplete": 2})


def test_a_three_part_message_in_order_assembles() -> None:
    decoder = Decoder()

    (message,) = _feed(decoder, THREE_PART)

    assert message.msg_type == 8
    assert decoder.counters.used == 3


def test_fragment_1_twice_restarts_and_the_first_is_incomplete() -> None:
    first, second = type5(412000001)
    decoder = Decoder()

    decoded = _feed(decoder, [first, first, second])

    assert [d.msg.mmsi for d in decoded] == [412000001]
    assert decoder.counters.rejected == Counter({"incomplete": 1})
    assert decoder.counters.used == 2


@pytest.mark.parametrize(("gap_s", "assembles"), [(4.0, True), (5.0, True), (5.01, False), (60.0, False)])
def test_fragments_further_apart_than_the_timeout_are_dropped(gap_s: float, assembles: bool) -> None:
    first, second = type5(412000001)
    decoder = Decoder(timeout_s=5.0)

    decoded = _feed(decoder, [first, second], ats=[100.0, 100.0 + gap_s])

    assert len(decoded) == (1 if assembles else 0)
    if not assembles:
        assert decoder.counters.rejected == Counter({"incomplete": 1, "out_of_order": 1})


def test_without_arrival_times_the_file_clock_counts_lines() -> None:
    first, second = type5(412000001)
    decoder = Decoder(timeout_s=2.0, lines_per_s=1.0)  # each line is a second

    assert _feed(decoder, [first, "#", "#", second]) == []  # 3 s apart
    assert decoder.counters.rejected == Counter({"incomplete": 1, "out_of_order": 1})
    assert len(_feed(Decoder(timeout_s=2.0, lines_per_s=1.0), [first, "#", second])) == 1  # 2 s apart


def test_type_24_with_part_number_3_is_a_decode_error() -> None:
    decoder = Decoder()

    assert decoder.feed(PARTNO_3) is None

    assert decoder.counters.rejected == Counter({"decode_error": 1})
    assert decoder.counters.used == 0
    assert list(decoder.counters.samples["decode_error"]) == ["H3KLdKdT00000000?6>B0002p7250"]
    assert decoder.counters.accounted(pending=0)


def test_ais_18_27_type_24_lines_decode_as_part_a_or_are_refused_for_part_number_3() -> None:
    by_part: Counter[tuple[int, int, str]] = Counter()
    for line in lines_of(GPSD / "ais-18-27.log"):
        parsed = parse_line(line)
        if not isinstance(parsed, Sentence) or message_type(parsed.payload) != 24:
            continue
        bits = sixbit_bits(parsed.payload, parsed.fill_bits)
        decoder = Decoder()
        message = decoder.feed(line)
        outcome = "decode_error" if decoder.counters.rejected["decode_error"] else type(message.msg).__name__
        by_part[(int(bits[38:40], 2), len(bits), outcome)] += 1

    # The 162-bit part A payloads (27 characters, gpsd prints nothing for them) decode; pyais refuses part number 3.
    assert by_part == Counter(
        {
            (0, 162, "MessageType24PartA"): 67,
            (0, 168, "MessageType24PartA"): 2,
            (3, 174, "decode_error"): 67,
            (3, 180, "decode_error"): 2,
        }
    )


def test_a_message_type_above_27_is_an_unknown_type() -> None:
    decoder = Decoder()

    assert decoder.feed(sentence("AIVDM,1,1,,A,M0000000000,0")) is None  # 'M' is type 29

    assert decoder.counters.rejected == Counter({"unknown_type": 1})


def test_the_reasons_only_assembly_and_decoding_give_are_each_reachable() -> None:
    first, second = type5(412000001)
    decoder = Decoder()

    for line in [second, first, PARTNO_3, sentence("AIVDM,1,1,,A,M0000000000,0")]:
        decoder.feed(line)
    decoder.assembler.flush()

    assert set(decoder.counters.rejected) == {
        Reason.OUT_OF_ORDER.value,
        Reason.INCOMPLETE.value,
        Reason.DECODE_ERROR.value,
        Reason.UNKNOWN_TYPE.value,
    }


def test_dead_letter_samples_are_few_and_short() -> None:
    decoder = Decoder()
    for i in range(SAMPLES_PER_REASON + 5):
        decoder.feed(f"!AIVDM,1,1,,A,{'0' * (250 + i)},0*00")

    kept = decoder.counters.samples["checksum"]
    assert decoder.counters.rejected["checksum"] == SAMPLES_PER_REASON + 5
    assert len(kept) == SAMPLES_PER_REASON
    assert all(len(text) == 200 for text in kept)


def test_dead_letter_samples_of_bytes_keep_undecodable_bytes_visible() -> None:
    decoder = Decoder()

    decoder.feed(b"!AIVDM\xff")

    assert list(decoder.counters.samples["not_text"]) == ["!AIVDM\\xff"]


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"c": "1418169601"}, datetime(2014, 12, 10, 0, 0, 1, tzinfo=UTC)),
        ({"c": "1418169601500"}, datetime(2014, 12, 10, 0, 0, 1, 500000, tzinfo=UTC)),  # milliseconds
        ({}, None),
        ({"c": ""}, None),
        ({"c": "soon"}, None),
        ({"c": "nan"}, None),
        ({"c": "-5"}, None),
        ({"c": "9e9"}, None),
    ],
)
def test_tag_time_reads_seconds_or_milliseconds(tags: dict[str, str], expected: datetime | None) -> None:
    assert tag_time(tags) == expected


# ---- the acceptance property: nothing escapes, every line is accounted for ------------------------------------

REAL_LINES = [
    line.decode("ascii")
    for name in ("gpsd/sample.aivdm", "libais/tagblock.nmea", "libais/typeexamples.nmea")
    for line in lines_of(VECTORS / name)
    if line.startswith((b"!", b"\\"))
]
MULTI_PART = [
    type5(412000001, channel="A", seq_id=1),
    type5(412000002, channel="B", seq_id=1),
    type5(412000003, channel="A", seq_id=1, name="SAME KEY AS THE FIRST"),
    type5(412000004, channel="A", seq_id=2),
    THREE_PART,
    INTERLEAVED_AB[::3],  # the two fragments of the channel-B message
]


def _with_wrong_checksum(line: str, value: int) -> str:
    star = line.index("*")
    given = int(line[star + 1 : star + 3], 16)
    return f"{line[: star + 1]}{(given ^ (value or 1)):02X}{line[star + 3 :]}"


def _fragments(parts: list[str]) -> st.SearchStrategy[list[str]]:
    return st.one_of(
        st.just(parts),
        st.permutations(parts),
        st.lists(st.sampled_from(parts), max_size=2 * len(parts)),  # dropped and duplicated
    )


CHUNKS: st.SearchStrategy[list[str | bytes]] = st.one_of(
    st.binary(max_size=90).map(lambda b: [b]),
    st.text(max_size=90).map(lambda t: [t]),
    st.sampled_from(REAL_LINES).map(lambda line: [line]),
    st.tuples(st.sampled_from(REAL_LINES), st.integers(0, 100)).map(lambda p: [p[0][: p[1]]]),  # truncated
    st.tuples(st.sampled_from(REAL_LINES), st.integers(0, 255)).map(lambda p: [_with_wrong_checksum(*p)]),
    st.integers(MAX_LINE_BYTES - 50, MAX_LINE_BYTES + 300).map(lambda n: [(REAL_LINES[0] + ",") * (n // 50)]),
    st.sampled_from(MULTI_PART).flatmap(_fragments),
)


@st.composite
def feeds(draw: st.DrawFn) -> tuple[list[str | bytes], list[float | None], float]:
    chunks = draw(st.lists(CHUNKS, max_size=12))
    lines: list[str | bytes] = []
    for chunk in chunks:
        for line in chunk:
            as_bytes = isinstance(line, str) and line.isascii() and draw(st.booleans())
            lines.append(line.encode("ascii") if as_bytes else line)
    steps = draw(st.lists(st.floats(0.0, 4.0), min_size=len(lines), max_size=len(lines)))
    clocked = draw(st.booleans())
    ats: list[float | None] = list(accumulate(steps)) if clocked else [None] * len(lines)
    timeout = draw(st.sampled_from([0.5, 5.0]))
    return lines, ats, timeout


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(feeds())
def test_no_line_escapes_and_every_line_is_accounted_for(
    feed: tuple[list[str | bytes], list[float | None], float],
) -> None:
    lines, ats, timeout = feed
    decoder = Decoder(timeout_s=timeout)
    decoded = 0

    for line, at in zip(lines, ats, strict=True):
        message = decoder.feed(line, at=at)
        assert message is None or isinstance(message, Decoded)
        decoded += message is not None
        assert decoder.counters.accounted(decoder.pending)

    decoder.assembler.flush()
    counters = decoder.counters
    assert decoder.pending == 0
    assert counters.accounted(pending=0)
    assert counters.lines == len(lines)
    assert counters.messages == decoded <= counters.used
