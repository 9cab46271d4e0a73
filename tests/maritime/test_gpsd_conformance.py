"""gpsd-json conformance: pingan's rendering of decoded AIS against gpsd's and libais's own regression files.

Every conformance expectation comes from the vector files in ``shared/vectors/ais`` (see its README); nothing
here restates a decoded field by hand (only the type-24 joiner's unit test uses synthetic records).  Input
goes through the real line decoder (``stream.decode_lines``), so checksum, tag block, USCG metadata and
fragment handling are exercised together with the rendering.
"""

from __future__ import annotations

import ast
import doctest
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from pingan.maritime import gpsd, gpsd_asm, gpsd_bits, gpsd_messages
from pingan.maritime.gpsd import Type24Joiner, gpsd_records, tagblock_fields, to_gpsd
from pingan.maritime.stream import Counters, Decoded, decode_lines
from tests.shared_data import VECTORS as SHARED_VECTORS

VECTORS = SHARED_VECTORS
GPSD_DIR = VECTORS / "gpsd"
LIBAIS_DIR = VECTORS / "libais"

POSITION_TOLERANCE_DEG = 1e-6  # gpsd prints 6 or 7 decimals depending on release (vectors README)
LIBAIS_TOLERANCE = 1e-4  # libais stores floats as float32 (35.900001525878906)


def _decoded(path: Path, counters: Counters | None = None) -> list[Decoded]:
    return list(decode_lines(path.read_bytes().splitlines(), counters=counters))


def _expected_ais(path: Path) -> list[dict[str, object]]:
    """The AIS objects of a gpsd .chk file, which may interleave echoed input and TPV/SKY reports."""
    records = []
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("class") == "AIS":
                records.append(record)
    return records


def _collapse(records: Iterable[dict[str, object]]) -> list[dict[str, object]]:
    """Drop consecutive duplicates: gpsd's daemon re-emits its latest AIS report after GPS sentences."""
    out: list[dict[str, object]] = []
    for record in records:
        if not out or out[-1] != record:
            out.append(record)
    return out


def _differences(ours: object, theirs: object, where: str = "") -> list[str]:
    """Every way two gpsd objects differ: key sets and order, positions beyond tolerance, any other value."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        problems = []
        if list(ours) != list(theirs):
            problems.append(f"{where}: keys {list(ours)} != {list(theirs)}")
        for key in ours.keys() & theirs.keys():
            problems += _differences(ours[key], theirs[key], f"{where}.{key}")
        return problems
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return [f"{where}: {len(ours)} items != {len(theirs)}"]
        return [
            p for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) for p in _differences(a, b, f"{where}[{i}]")
        ]
    if where.endswith((".lon", ".lat")) and type(ours) is float and type(theirs) is float:
        return [] if abs(ours - theirs) <= POSITION_TOLERANCE_DEG else [f"{where}: {ours!r} != {theirs!r}"]
    # Exact, including the JSON type: 0 and 0.0 and false are different gpsd outputs.
    if type(ours) is not type(theirs) or ours != theirs:
        return [f"{where}: {ours!r} != {theirs!r}"]
    return []


def _assert_reproduces(ours: Sequence[dict[str, object]], theirs: Sequence[dict[str, object]]) -> None:
    assert len(ours) == len(theirs)
    problems = [f"#{i} {p}" for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) for p in _differences(a, b)]
    assert not problems, "\n".join(problems[:40])


def test_sample_scaled_reproduces_all_97_gpsdecode_j_objects() -> None:
    expected = _expected_ais(GPSD_DIR / "sample.aivdm.js.chk")
    assert len(expected) == 97  # the vector file itself is intact

    ours = list(gpsd_records(_decoded(GPSD_DIR / "sample.aivdm"), scaled=True))

    _assert_reproduces(ours, expected)


def test_sample_unscaled_reproduces_gpsdecode_u_j_exactly() -> None:
    expected = _expected_ais(GPSD_DIR / "sample.aivdm.ju.chk")

    ours = list(gpsd_records(_decoded(GPSD_DIR / "sample.aivdm"), scaled=False))

    assert not any(isinstance(v, float) for record in ours for v in record.values())
    _assert_reproduces(ours, expected)


def test_sample_type24_collisions_pair_only_matching_halves() -> None:
    # sample.aivdm's "Type 24 collisions" block: 7 halves in, 2 reports out (the gpsd file's comments).
    decoded = _decoded(GPSD_DIR / "sample.aivdm")
    halves = [d for d in decoded if d.msg_type == 24]
    expected = [r for r in _expected_ais(GPSD_DIR / "sample.aivdm.js.chk") if r["type"] == 24]

    reports = [r for r in gpsd_records(decoded) if r["type"] == 24]

    assert len(halves) == 7
    assert [r["mmsi"] for r in reports] == [r["mmsi"] for r in expected]
    assert all("part" not in r for r in reports)


def test_class_b_capture_matches_the_daemon_json() -> None:
    expected = _expected_ais(GPSD_DIR / "ais-18-27.log.chk")
    counters = Counters()

    ours = list(gpsd_records(_decoded(GPSD_DIR / "ais-18-27.log", counters), scaled=False, device=""))

    _assert_reproduces(ours, expected)
    assert {r["type"] for r in ours} == {18, 27}


def _part_number(payload: str) -> int:
    """Type-24 part number: bits 38-39, i.e. the middle of the seventh armoured character."""
    code = ord(payload[6]) - 48
    return ((code - 8 if code > 40 else code) >> 2) & 0b11


def test_162_bit_type24_part_a_gives_no_gpsd_report_but_pyais_reads_the_name() -> None:
    """Document the odd type 24s of ais-18-27.log (see docs/ais-conformance.md).

    Their part As are 162 bits (27 characters, fill 0) instead of 168; gpsd's 160-168 window accepts
    and holds them, but their companions carry part number 3, which neither gpsd nor pyais decode, so
    gpsd prints nothing for the pair.  pyais decodes each part A's name from the first 160 bits, and
    so does to_gpsd; gpsd-json mode still prints nothing, mirroring gpsd.
    """
    counters = Counters()
    decoded = _decoded(GPSD_DIR / "ais-18-27.log", counters)
    part_as = [d for d in decoded if d.msg_type == 24]
    lines = (GPSD_DIR / "ais-18-27.log").read_text("utf-8").splitlines()
    payloads = [line.split(",")[5] for line in lines if line.startswith("!")]
    type24_payloads = [p for p in payloads if p[0] == "H"]
    part3 = [p for p in type24_payloads if _part_number(p) == 3]

    assert part_as and len(part_as) + len(part3) == len(type24_payloads)
    assert {6 * len(d.payload) - d.fill_bits for d in part_as} <= {162, 168}
    assert any(6 * len(d.payload) - d.fill_bits == 162 for d in part_as)
    for d in part_as:
        half = to_gpsd(d, scaled=False)
        assert half is not None and half["part"] == "A"
        assert half["shipname"] == d.msg.shipname
    # A few vessels send a blank name; most send a real one.
    assert sum(bool(d.msg.shipname) for d in part_as) > len(part_as) / 2
    # The part-3 companions are refused as undecodable, one line each.
    assert counters.rejected["decode_error"] == len(part3)
    assert not [r for r in gpsd_records(decoded) if r["type"] == 24]


@pytest.mark.parametrize("name", ["ais-raw-messages.log", "ais-nmea.log"])
def test_live_captures_match_the_daemon_json_after_collapsing_repeats(name: str) -> None:
    expected = _collapse(_expected_ais(GPSD_DIR / f"{name}.chk"))
    counters = Counters()

    ours = _collapse(gpsd_records(_decoded(GPSD_DIR / name, counters), scaled=False, device=""))

    _assert_reproduces(ours, expected)
    assert not counters.rejected  # GPS sentences are skipped, not refused
    if name == "ais-nmea.log":
        assert counters.skipped["not_ais"] > 1000


# libais's gpsd-compatible output differs from gpsd in places; these are compared loosely or skipped.
# - turn: libais gives degrees/minute as a float (None when unavailable); gpsd a legend or "%.2f" string.
# - imo: libais prints it as a string.
# - shiptype_text: libais writes "Tanker, all ships…" where gpsd writes "Tanker - all ships…".
# - ne_/sw_ corners (22, 23): gpsd prints quoted "%f" strings, libais floats.
# - lon/lat of type 17: gpsd prints one decimal of a 1/10-minute value.
LIBAIS_SKIPPED = {
    # libais stores the inverse of bit 70 (``retransmit = !bits[70]``); gpsd prints the bit.
    (6, "retransmit"),
    # libais stores the inverse of bit 94 (``gnss = !bits[94]``: "current GNSS position"); gpsd prints the bit.
    (27, "gnss"),
    # libais divides SAR speed by ten; ITU and gpsd give whole knots.
    (9, "speed"),
    # libais's six-bit table maps codes 31 and 39 to '-' and '`'; ITU, gpsd and pyais use '_' and "'".
    (21, "name"),
}


def _libais_differences(ours: dict[str, object], theirs: dict[str, object]) -> list[str]:
    problems = []
    msg_type = theirs["type"]
    for key in ours.keys() & theirs.keys():
        if (msg_type, key) in LIBAIS_SKIPPED:
            continue
        a, b = ours[key], theirs[key]
        if key == "turn":
            a = None if a == "n/a" else float(str(a))
        elif key == "imo":
            a = str(a)
        elif key == "shiptype_text":
            a = str(a).replace(" - ", ", ")
        elif key in ("ne_lon", "ne_lat", "sw_lon", "sw_lat"):
            a = float(str(a))
        tolerance = 0.05 if msg_type == 17 and key in ("lon", "lat") else LIBAIS_TOLERANCE
        if key == "turn":
            tolerance = 0.005  # gpsd rounds the rate to two decimals
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
        if numeric and abs(float(a) - float(b)) <= tolerance:  # type: ignore[arg-type]
            continue
        if a != b:
            problems.append(f"type {msg_type} {key}: {a!r} != {b!r}")
    return problems


def test_libais_typeexamples_decode_with_uscg_metadata_and_agree_with_libais() -> None:
    counters = Counters()
    decoded = _decoded(LIBAIS_DIR / "typeexamples.nmea", counters)
    expected = [json.loads(line) for line in (LIBAIS_DIR / "typeexamples.json").read_text("utf-8").splitlines()]

    # Every sentence carries USCG metadata after its checksum, and every one decodes.
    assert len(decoded) == len(expected) == len((LIBAIS_DIR / "typeexamples.nmea").read_bytes().splitlines())
    assert not counters.rejected
    ours = [to_gpsd(d) for d in decoded]
    assert all(r is not None for r in ours)
    assert [r["type"] for r in ours if r] == [r["type"] for r in expected]
    compared = {key for r, t in zip(ours, expected, strict=True) if r for key in r.keys() & t.keys()}
    assert {"lon", "lat", "speed", "course", "shipname", "turn", "timestamp"} <= compared
    problems = [p for r, t in zip(ours, expected, strict=True) if r for p in _libais_differences(r, t)]
    assert not problems, "\n".join(problems)


def test_libais_tagblock_fields_match_libais() -> None:
    counters = Counters()
    decoded = _decoded(LIBAIS_DIR / "tagblock.nmea", counters)
    expected = [json.loads(line) for line in (LIBAIS_DIR / "tagblock.json").read_text("utf-8").splitlines()]

    ours = [{**(to_gpsd(d) or {}), **tagblock_fields(d.tags)} for d in decoded]

    # Five lines, one two-part type 5 split by another station's sentence: four reports.
    assert len(ours) == len(expected) == 4
    assert not counters.rejected
    for record, libais in zip(ours, expected, strict=True):
        tag_keys = {k for k in libais if k.startswith("tagblock_")}
        assert tag_keys and {k for k in record if k.startswith("tagblock_")} == tag_keys
        assert {k: record[k] for k in tag_keys} == {k: libais[k] for k in tag_keys}
        assert not _libais_differences(record, libais)


def test_joiner_pairs_newest_part_a_and_discards_orphans() -> None:
    joiner = Type24Joiner(capacity=2)
    a = {"class": "AIS", "type": 24, "repeat": 0, "mmsi": 1, "scaled": True, "part": "A", "shipname": "OLD"}
    b = {"class": "AIS", "type": 24, "repeat": 0, "mmsi": 1, "scaled": True, "part": "B", "shiptype": 30}

    assert joiner.push(b) is None  # orphan part B
    assert joiner.push(a) is None
    assert joiner.push({**a, "shipname": "NEW"}) is None  # replaces the pending OLD
    joined = joiner.push(b)
    assert joined == {
        "class": "AIS",
        "type": 24,
        "repeat": 0,
        "mmsi": 1,
        "scaled": True,
        "shipname": "NEW",
        "shiptype": 30,
    }
    assert joiner.push(b) is None  # a repeated part B cannot match again
    for mmsi in (2, 3, 4):
        joiner.push({**a, "mmsi": mmsi})
    assert len(joiner) == 2  # the oldest pending part A was dropped
    assert joiner.push({**b, "mmsi": 2}) is None


def test_to_gpsd_refuses_a_bare_pyais_payload() -> None:
    decoded = _decoded(GPSD_DIR / "sample.aivdm")[0]

    with pytest.raises(TypeError, match="Decoded"):
        to_gpsd(decoded.msg)


@pytest.mark.parametrize(
    ("fmt", "chk"), [("gpsd-json", "sample.aivdm.js.chk"), ("gpsd-json-unscaled", "sample.aivdm.ju.chk")]
)
def test_cli_gpsd_json_reproduces_gpsdecode(fmt: str, chk: str) -> None:
    from pingan.cli import main

    result = CliRunner().invoke(main, ["ais", "decode", str(GPSD_DIR / "sample.aivdm"), "--format", fmt])

    assert result.exit_code == 0, result.output
    ours = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    _assert_reproduces(ours, _expected_ais(GPSD_DIR / chk))


@pytest.mark.parametrize("module", [gpsd, gpsd_bits, gpsd_messages, gpsd_asm])
def test_modules_are_pure(module: object) -> None:
    tree = ast.parse(Path(str(getattr(module, "__file__", ""))).read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            assert not node.module.startswith(("fastapi", "sqlalchemy", "pingan.db", "pingan.config"))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in {"now", "utcnow", "today", "time", "monotonic"}


@pytest.mark.parametrize("module", [gpsd, gpsd_bits])
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.failed == 0 and result.attempted > 0
