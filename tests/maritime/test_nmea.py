"""NMEA sentence checks on real AIS captures: fields, tag blocks, trailing metadata, and every refusal reason."""

from __future__ import annotations

from functools import reduce
from pathlib import Path

import pytest

from pingan.maritime.nmea import MAX_LINE_BYTES, Reason, Sentence, Skip, checksum, parse_line, parse_tag_block
from tests.shared_data import VECTORS as SHARED_VECTORS

VECTORS = SHARED_VECTORS
SAMPLE = VECTORS / "gpsd" / "sample.aivdm"
TYPE_EXAMPLES = VECTORS / "libais" / "typeexamples.nmea"
TAG_BLOCKS = VECTORS / "libais" / "tagblock.nmea"

# Real sentences, quoted from the vector files (each test below checks that they are still there).
TYPE1 = "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A"  # gpsd sample.aivdm, MMSI 371798000
NO_START = "AIVDM,2,2,1,B,00000000000,2*26"  # gpsd sample.aivdm's "invalid packet" test: the '!' is missing
GPS_LINE = "$GPRMC,213950.00,A,5250.53669,N,00542.34920,E,0.020,,070420,,,A*7D"  # a GPS sentence from gpsd ais-nmea.log

# Reasons that only assembly and decoding can give (tested in test_stream.py).
STREAM_REASONS = {Reason.OUT_OF_ORDER, Reason.INCOMPLETE, Reason.DECODE_ERROR, Reason.UNKNOWN_TYPE}


def _xor(body: str) -> int:
    """An independent NMEA checksum, to build test sentences without trusting the module under test."""
    return reduce(lambda acc, ch: acc ^ ord(ch), body, 0)


def sentence(body: str, start: str = "!") -> str:
    """`body` framed as a sentence with a correct checksum."""
    return f"{start}{body}*{_xor(body):02X}"


def tag_block(body: str) -> str:
    """`body` framed as an IEC 62320-1 tag block with a correct checksum."""
    return f"\\{body}*{_xor(body):02X}\\"


def sentence_lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith(("!", "\\"))]


def test_checksum_matches_every_sentence_of_sample_aivdm() -> None:
    lines = sentence_lines(SAMPLE)
    for line in lines:
        body, _, rest = line[1:].partition("*")
        assert checksum(body) == int(rest[:2], 16) == _xor(body), line


def test_every_sentence_of_sample_aivdm_parses() -> None:
    sentences = [parse_line(line) for line in sentence_lines(SAMPLE)]

    assert all(isinstance(s, Sentence) for s in sentences)
    assert len(sentences) == 118  # 115 !AIVDM + 3 !AIVDO, per the vectors' README
    parts = [(s.count, s.number) for s in sentences if isinstance(s, Sentence)]
    assert sum(1 for count, _ in parts if count == 1) == 88
    assert sum(1 for count, _ in parts if count == 2) == 24  # 12 two-part messages
    assert sum(1 for count, _ in parts if count == 3) == 6  # 2 three-part messages
    own = [s for s in sentences if isinstance(s, Sentence) and s.own_ship]
    assert len(own) == 3
    assert {s.talker for s in own} == {"AIVDO"}


def test_a_type_1_sentence_gives_its_fields() -> None:
    assert TYPE1 in SAMPLE.read_text(encoding="utf-8")

    parsed = parse_line(TYPE1)

    assert parsed == Sentence("AIVDM", 1, 1, "", "A", "15RTgt0PAso;90TKcjM8h6g208CQ", 0, {})
    assert parsed == parse_line(TYPE1.encode("ascii"))
    assert not parsed.own_ship


def test_bytes_with_line_ending_and_padding_parse_like_the_text() -> None:
    assert parse_line(f"  {TYPE1}\r\n".encode("ascii")) == parse_line(TYPE1)


def test_uscg_trailing_metadata_is_ignored() -> None:
    lines = TYPE_EXAMPLES.read_text(encoding="utf-8").splitlines()

    parsed = [parse_line(line) for line in lines]

    assert len(parsed) == 26
    for line, result in zip(lines, parsed, strict=True):
        assert isinstance(result, Sentence), line
        fields = line.split(",")
        assert (result.talker, result.channel, result.payload) == (fields[0][1:], fields[4], fields[5])
        assert result.fill_bits == int(fields[6][0])
        assert result.tags == {}
    first = parsed[0]
    assert isinstance(first, Sentence)
    assert first.payload == "403Ovl@000Htt<tSF0l4Q@100`Pq"  # ",d-109,S2105,t050056.00,…" follows its checksum


def test_metadata_after_the_checksum_is_ignored_in_sample_aivdm() -> None:
    line = "!AIVDM,2,2,6,A,3OLc=UCRp,0*4A,b003660465"
    assert line in SAMPLE.read_text(encoding="utf-8")

    parsed = parse_line(line)

    assert isinstance(parsed, Sentence)
    assert (parsed.count, parsed.number, parsed.seq_id, parsed.payload) == (2, 2, "6", "3OLc=UCRp")


def test_tag_blocks_of_libais_parse_with_their_fields() -> None:
    lines = TAG_BLOCKS.read_text(encoding="utf-8").splitlines()

    parsed = [parse_line(line) for line in lines]

    assert all(isinstance(p, Sentence) for p in parsed)
    first = parsed[0]
    assert isinstance(first, Sentence)
    assert first.tags == {"g": "1-2-1604", "s": "rORBCOMM008", "c": "1418169601", "T": "2014-12-10 00.00.01"}
    assert (first.count, first.number, first.seq_id, first.channel) == (2, 1, "6", "A")
    second = parsed[1]
    assert isinstance(second, Sentence)
    assert second.tags == {"s": "rORBCOMM104", "q": "u", "c": "1418172113", "T": "2014-12-10 00.41.53"}


@pytest.mark.parametrize("index", range(5))
def test_a_tag_block_with_a_wrong_checksum_is_refused(index: int) -> None:
    line = TAG_BLOCKS.read_text(encoding="utf-8").splitlines()[index]
    block, _, rest = line[1:].partition("\\")
    given = int(block[-2:], 16)
    wrong = f"\\{block[:-2]}{(given ^ 0x01):02X}\\{rest}"

    assert parse_line(wrong) is Reason.TAG_CHECKSUM


def test_a_tag_block_with_an_altered_field_is_refused() -> None:
    line = TAG_BLOCKS.read_text(encoding="utf-8").splitlines()[0]
    altered = line.replace("rORBCOMM008", "rORBCOMM009")

    assert parse_line(altered) is Reason.TAG_CHECKSUM


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("c:1325394060,s:r003669946*" + f"{_xor('c:1325394060,s:r003669946'):02X}", None),
        ("c:1325394060,s:r003669946", Reason.MALFORMED),  # no checksum
        ("c:1325394060*ZZ", Reason.MALFORMED),  # checksum is not hex
        ("c:1325394060*00", Reason.TAG_CHECKSUM),
        ("c1325394060*" + f"{_xor('c1325394060'):02X}", Reason.MALFORMED),  # field without a colon
        (":1325394060*" + f"{_xor(':1325394060'):02X}", Reason.MALFORMED),  # field without a key
    ],
)
def test_parse_tag_block_checks_checksum_and_fields(block: str, expected: Reason | None) -> None:
    parsed = parse_tag_block(block)
    if expected is None:
        assert parsed == {"c": "1325394060", "s": "r003669946"}
    else:
        assert parsed is expected


# One minimal input per refusal reason of parse_line.
REFUSALS = [
    pytest.param("!" + "A" * MAX_LINE_BYTES, Reason.TOO_LONG, id="too_long"),
    pytest.param(b"!AIVDM,1,1,,A,15N1u\xff,0*00", Reason.NOT_TEXT, id="not_text-bytes"),
    pytest.param(sentence("AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQé,0"), Reason.NOT_TEXT, id="not_text-str"),
    pytest.param(NO_START, Reason.MALFORMED, id="malformed-no-start"),
    pytest.param("!AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,0", Reason.MALFORMED, id="malformed-no-checksum"),
    pytest.param("!AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,0*G0", Reason.MALFORMED, id="malformed-checksum-not-hex"),
    pytest.param(sentence("AIVDM,1,1,,A"), Reason.MALFORMED, id="malformed-too-few-fields"),
    pytest.param(sentence("AIVDMX,1,1,,A,15N1u,0"), Reason.MALFORMED, id="malformed-long-address"),
    pytest.param(sentence("AIVDM,x,1,,A,15N1u,0"), Reason.MALFORMED, id="malformed-count-not-a-number"),
    pytest.param(sentence("AIVDM,1,1,,A,15N1u,"), Reason.MALFORMED, id="malformed-no-fill-bits"),
    pytest.param(sentence("AIVDM,1,1,,A,15N1uX,0"), Reason.MALFORMED, id="malformed-not-six-bit-armour"),
    pytest.param(sentence("AIVDM,1,1,,A,,0"), Reason.MALFORMED, id="malformed-empty-payload"),
    pytest.param("\\s:r1*00!AIVDM,1,1,,A,15N1u,0*00", Reason.MALFORMED, id="malformed-unclosed-tag-block"),
    pytest.param(tag_block("s:r1") + "AIVDM,1,1,,A,15N1u,0*00", Reason.MALFORMED, id="malformed-no-start-after-tags"),
    pytest.param(TYPE1[:-1] + "B", Reason.CHECKSUM, id="checksum"),
    pytest.param(TYPE1.replace("15RTgt", "15RTgu"), Reason.CHECKSUM, id="checksum-altered-payload"),
    pytest.param(tag_block("s:r1")[:-3] + "00\\" + TYPE1, Reason.TAG_CHECKSUM, id="tag_checksum"),
    pytest.param(sentence("AIVDM,2,0,1,A,15N1u,0"), Reason.BAD_FRAGMENT, id="bad_fragment-number-0"),
    pytest.param(sentence("AAVDM,0,1,1,A,15N1u,0"), Reason.BAD_FRAGMENT, id="bad_fragment-count-0-pyais177"),
    pytest.param(sentence("AIVDM,2,3,1,A,15N1u,0"), Reason.BAD_FRAGMENT, id="bad_fragment-number-above-count"),
    pytest.param(sentence("AIVDM,10,1,1,A,15N1u,0"), Reason.BAD_FRAGMENT, id="bad_fragment-count-10"),
    pytest.param(sentence("AIVDM,2,1,12,A,15N1u,0"), Reason.BAD_FRAGMENT, id="bad_fragment-two-char-seq-id"),
    pytest.param(sentence("AIVDM,1,1,,A,15N1u,6"), Reason.BAD_FRAGMENT, id="bad_fragment-fill-bits-6"),
]


@pytest.mark.parametrize(("line", "reason"), REFUSALS)
def test_parse_line_refuses_with_its_reason(line: str | bytes, reason: Reason) -> None:
    assert parse_line(line) is reason


def test_every_reason_is_reachable() -> None:
    reached = {param.values[1] for param in REFUSALS}

    assert reached | STREAM_REASONS == set(Reason)


@pytest.mark.parametrize(
    ("line", "skip"),
    [
        pytest.param("", Skip.BLANK, id="blank-empty"),
        pytest.param(b" \t\r\n", Skip.BLANK, id="blank-whitespace"),
        pytest.param("# Type 1:", Skip.COMMENT, id="comment"),
        pytest.param(b"   # indented", Skip.COMMENT, id="comment-indented"),
        pytest.param(GPS_LINE, Skip.NOT_AIS, id="not_ais-gps"),
        pytest.param(sentence("AIABK,1,1,,A,15N1u,0"), Skip.NOT_AIS, id="not_ais-other-encapsulated"),
    ],
)
def test_parse_line_skips_lines_that_are_not_ais(line: str | bytes, skip: Skip) -> None:
    assert parse_line(line) is skip


def test_every_skip_is_reachable_and_the_gps_line_is_real() -> None:
    assert GPS_LINE in (VECTORS / "gpsd" / "ais-nmea.log").read_text(encoding="utf-8")
    assert {parse_line(""), parse_line("#"), parse_line(GPS_LINE)} == set(Skip)


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "gb18030", "latin-1", "cp1251", "utf-16-le", "shift_jis"])
def test_comments_are_skipped_in_any_encoding(encoding: str) -> None:
    comment = "# 网位仪 — Владимир Калачихин, Ærøskøbing".encode(encoding, errors="replace")

    assert parse_line(comment) is Skip.COMMENT


def test_the_utf8_comment_of_ais_18_27_is_skipped() -> None:
    first = (VECTORS / "gpsd" / "ais-18-27.log").read_bytes().splitlines()[0]
    assert not first.isascii()

    assert parse_line(first) is Skip.COMMENT
    assert parse_line(first.decode("utf-8")) is Skip.COMMENT


def test_a_line_of_exactly_max_bytes_is_accepted_and_one_more_is_too_long() -> None:
    padded = TYPE1 + "," + "x" * (MAX_LINE_BYTES - len(TYPE1) - 1)
    assert len(padded) == MAX_LINE_BYTES

    assert isinstance(parse_line(padded), Sentence)
    assert isinstance(parse_line(padded.encode("ascii")), Sentence)
    assert parse_line(padded + "x") is Reason.TOO_LONG
    assert parse_line((padded + "x").encode("ascii")) is Reason.TOO_LONG


def test_an_over_long_comment_is_refused_before_it_is_read() -> None:
    assert parse_line(b"#" + b"\xff" * (10 * MAX_LINE_BYTES)) is Reason.TOO_LONG


@pytest.mark.parametrize("fill", range(6))
def test_fill_bits_0_to_5_are_accepted(fill: int) -> None:
    parsed = parse_line(sentence(f"AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,{fill}"))

    assert isinstance(parsed, Sentence)
    assert parsed.fill_bits == fill


@pytest.mark.parametrize("fill", [6, 7, 9, 42])
def test_fill_bits_above_5_are_refused(fill: int) -> None:
    assert parse_line(sentence(f"AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,{fill}")) is Reason.BAD_FRAGMENT


@pytest.mark.parametrize("talker", ["AIVDM", "BSVDM", "ABVDM", "ANVDM", "AIVDO"])
def test_other_ais_talkers_are_accepted(talker: str) -> None:
    parsed = parse_line(sentence(f"{talker},1,1,,B,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,0"))

    assert isinstance(parsed, Sentence)
    assert parsed.talker == talker
    assert parsed.own_ship is talker.endswith("VDO")
