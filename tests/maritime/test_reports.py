"""Normalising decoded AIS messages: position reports with sentinels as None, and static data from types 5, 19, 24."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pyais import encode_dict

from pingan.maritime.reports import PositionReport, Source, position_from_ais, static_from_ais
from pingan.maritime.stream import decode_lines
from tests.shared_data import VECTORS as SHARED_VECTORS

VECTORS = SHARED_VECTORS
AT = datetime(2026, 7, 1, 2, 30, tzinfo=UTC)

# Real sentences, quoted from the vectors (test_quoted_sentences_are_real checks they are still there).
ALL_SENTINELS = "!AIVDM,1,1,,B,33`hBOEP?w<tSF0l4Q@>4?wv0qiP,0*15"  # ais-nmea.log: type 3 of MMSI 244060797
TYPE1 = "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A"  # sample.aivdm: MMSI 371798000
TYPE1_NO_HEADING = "!AIVDM,1,1,,A,16SteH0P00Jt63hHaa6SagvJ087r,0*42"  # sample.aivdm: heading 511
TYPE18 = "!AIVDM,1,1,,A,B52K>;h00Fc>jpUlNV@ikwpUoP06,0*4C"  # sample.aivdm: Class B, MMSI 338087471
TYPE19 = "!AIVDM,1,1,,B,C5N3SRgPEnJGEBT>NhWAwwo862PaLELTBJ:V00000000S0D:R220,0*0B"  # sample.aivdm: CAPT.J.RIMES
TYPE9 = "!AIVDM,1,1,,B,91b55wi;hbOS@OdQAC062Ch2089h,0*30"  # sample.aivdm: SAR aircraft 111232511 at 42 kn
TYPE27 = "!AIVDM,1,1,,B,KC5E2b@U19PFdLbMuc5=ROv62<7m,0*16"  # sample.aivdm: long-range, 57 kn
TYPE27_OUTSIDE = "!AIVDM,1,1,,A,KvQ:1o`7EBrBQ`?w,0*37"  # typeexamples.nmea: lon 200.23, outside ±180
TYPE4_NO_POSITION = "!AIVDM,1,1,,A,402Fha0000Htt<tSF0l4Q@000d20,0*65"  # sample.aivdm: base station 2470052
TYPE5 = [  # sample.aivdm: EVER DIADEM
    "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C",
    "!AIVDM,2,2,1,A,88888888880,2*25",
]
TYPE5_NO_ETA = [  # ais-nmea.log: TIJMA, the ship of the all-sentinel type 3, ETA month 0
    "!AIVDM,2,1,8,A,53`hBO@0000107;OW<1@T`l4000000000000000U0h<14t0Ht4000000,0*22",
    "!AIVDM,2,2,8,A,000000000000000,2*2C",
]
TYPE5_IMO_0 = [  # sample.aivdm: HEALTH CONTROL 13, IMO 0 (= not available)
    "!AIVDM,2,1,2,A,542M92h00001@<7;?G0PD4i@R0<tqA8tj37>220o0h:2240Ht500000000000000,0*3C",
    "!AIVDM,2,2,2,A,0000002,2*24",
]
TYPE24A = "!AIVDM,1,1,,A,H42O55i18tMET00000000000000,2*6D"  # sample.aivdm: 271041815 part A
TYPE24B = "!AIVDM,1,1,,A,H42O55lti4hhhilD3nink000?050,0*40"  # sample.aivdm: 271041815 part B


def test_quoted_sentences_are_real() -> None:
    sample = (VECTORS / "gpsd" / "sample.aivdm").read_text(encoding="utf-8")
    nmea_log = (VECTORS / "gpsd" / "ais-nmea.log").read_text(encoding="utf-8")
    examples = (VECTORS / "libais" / "typeexamples.nmea").read_text(encoding="utf-8")
    for line in [TYPE1, TYPE1_NO_HEADING, TYPE18, TYPE19, TYPE9, TYPE27, TYPE4_NO_POSITION, TYPE24A, TYPE24B]:
        assert line in sample
    for line in [*TYPE5, *TYPE5_IMO_0]:
        assert line in sample
    for line in [ALL_SENTINELS, *TYPE5_NO_ETA]:
        assert line in nmea_log
    assert TYPE27_OUTSIDE in examples


def message(*lines: str) -> Any:
    """The one pyais message the lines decode to."""
    (decoded,) = list(decode_lines(lines))
    return decoded.msg


def encoded(data: dict[str, Any]) -> Any:
    """A message built with pyais's encoder, for values no vector carries."""
    return message(*encode_dict(data, talker_id="AI", sentence_type="VDM"))


def report(*lines: str) -> PositionReport:
    result = position_from_ais(message(*lines), observed_at=AT, station="zhoushan-1")
    assert result is not None
    return result


def test_the_all_sentinel_type_3_of_ais_nmea_log_gives_no_values() -> None:
    got = report(ALL_SENTINELS)

    assert got == PositionReport(
        observed_at=AT,
        lon=None,
        lat=None,
        source=Source.AIS,
        mmsi=244060797,
        sog_kn=None,
        cog_deg=None,
        heading_deg=None,
        nav_status=5,
        station="zhoushan-1",
        msg_type=3,
    )


def test_the_all_sentinel_type_3_is_found_by_mmsi_in_ais_nmea_log() -> None:
    lines = (VECTORS / "gpsd" / "ais-nmea.log").read_bytes().splitlines()
    found = [d for d in decode_lines(lines) if d.msg_type == 3 and d.msg.mmsi == 244060797]

    assert len(found) == 3
    for decoded in found:
        got = position_from_ais(decoded.msg, observed_at=AT, station=None)
        assert got is not None
        assert (got.lon, got.lat, got.sog_kn, got.cog_deg, got.heading_deg) == (None, None, None, None, None)


def test_a_type_1_keeps_its_values() -> None:
    got = report(TYPE1)

    assert (got.mmsi, got.msg_type, got.nav_status) == (371798000, 1, 0)
    assert got.lon == pytest.approx(-123.395383, abs=1e-6)
    assert got.lat == pytest.approx(48.381633, abs=1e-6)
    assert (got.sog_kn, got.cog_deg, got.heading_deg) == (pytest.approx(12.3), pytest.approx(224.0), 215.0)
    assert not got.low_res and not got.class_b
    assert got.source is Source.AIS and got.station == "zhoushan-1" and got.observed_at == AT


def test_heading_511_alone_becomes_none() -> None:
    got = report(TYPE1_NO_HEADING)

    assert got.heading_deg is None
    assert got.cog_deg == pytest.approx(93.4)
    assert got.sog_kn == 0.0  # zero speed is a value, not a sentinel


@pytest.mark.parametrize(("line", "mmsi"), [(TYPE18, 338087471), (TYPE19, 367059850)])
def test_types_18_and_19_are_class_b(line: str, mmsi: int) -> None:
    got = report(line)

    assert got.class_b
    assert got.mmsi == mmsi
    assert got.nav_status is None  # Class B reports carry no navigation status


def test_type_27_is_low_resolution_with_its_values() -> None:
    got = report(TYPE27)

    assert got.low_res and got.msg_type == 27
    assert (got.sog_kn, got.cog_deg, got.heading_deg) == (57.0, 167.0, None)
    assert got.lon == pytest.approx(137.023333, abs=1e-5)


def test_type_27_sentinels_become_none() -> None:
    msg = encoded({"type": 27, "mmsi": 412345678, "lon": 181, "lat": 91, "speed": 63, "course": 511, "status": 15})

    got = position_from_ais(msg, observed_at=AT, station=None)

    assert got is not None
    assert (got.lon, got.lat, got.sog_kn, got.cog_deg, got.heading_deg) == (None, None, None, None, None)
    assert got.low_res


def test_type_27_speed_62_and_course_359_are_values() -> None:
    msg = encoded({"type": 27, "mmsi": 412345678, "lon": 122.6, "lat": 30.0, "speed": 62, "course": 359})

    got = position_from_ais(msg, observed_at=AT, station=None)

    assert got is not None
    assert (got.sog_kn, got.cog_deg) == (62.0, 359.0)
    assert got.lon == pytest.approx(122.6, abs=1 / 600) and got.lat == pytest.approx(30.0, abs=1 / 600)


def test_a_class_a_speed_of_102_2_knots_is_a_value() -> None:
    msg = encoded({"type": 1, "mmsi": 412345678, "lon": 122.6, "lat": 30.0, "speed": 102.2, "course": 0.0})

    got = position_from_ais(msg, observed_at=AT, station=None)

    assert got is not None
    assert got.sog_kn == pytest.approx(102.2)
    assert got.cog_deg == 0.0


def test_sar_aircraft_speed_is_whole_knots_and_1023_is_none() -> None:
    assert report(TYPE9).sog_kn == 42.0
    msg = encoded({"type": 9, "mmsi": 111412345, "lon": 122.6, "lat": 30.0, "speed": 1023, "alt": 300})

    got = position_from_ais(msg, observed_at=AT, station=None)

    assert got is not None and got.sog_kn is None


def test_a_position_outside_the_globe_is_kept_for_the_sanity_filter() -> None:
    got = report(TYPE27_OUTSIDE)

    assert got.lon == pytest.approx(200.231667, abs=1e-5)
    assert got.mmsi == 974291422


def test_a_base_station_without_a_fix_has_no_position() -> None:
    got = report(TYPE4_NO_POSITION)

    assert (got.msg_type, got.lon, got.lat, got.sog_kn) == (4, None, None, None)


@pytest.mark.parametrize("lines", [TYPE5, [TYPE24A], [TYPE24B]], ids=["type5", "type24a", "type24b"])
def test_messages_without_a_position_give_no_report(lines: list[str]) -> None:
    assert position_from_ais(message(*lines), observed_at=AT, station=None) is None


def test_static_data_of_a_type_5() -> None:
    static = static_from_ais(message(*TYPE5))

    assert static is not None
    assert static.mmsi == 351759000
    assert static.fields == {
        "shipname": "EVER DIADEM",
        "callsign": "3FOF8",
        "imo": 9134270,
        "ship_type": 70,
        "to_bow": 225,
        "to_stern": 70,
        "to_port": 1,
        "to_starboard": 31,
        "draught": pytest.approx(12.2),
        "destination": "NEW YORK",
        "epfd": 1,
        "eta": "05-15 14:00",
    }


def test_a_type_5_with_eta_month_0_has_no_eta() -> None:
    static = static_from_ais(message(*TYPE5_NO_ETA))

    assert static is not None
    assert static.fields["shipname"] == "TIJMA"
    assert "eta" not in static.fields


def test_static_data_of_type_24_part_a_is_the_name() -> None:
    static = static_from_ais(message(TYPE24A))

    assert static is not None
    assert (static.mmsi, static.fields) == (271041815, {"shipname": "PROGUY"})


def test_static_data_of_type_24_part_b_is_the_rest() -> None:
    static = static_from_ais(message(TYPE24B))

    assert static is not None
    assert static.mmsi == 271041815
    assert static.fields == {
        "callsign": "TC6163",
        "ship_type": 60,
        "to_bow": 0,
        "to_stern": 15,
        "to_port": 0,
        "to_starboard": 5,
        "vendorid": "1D0",
        "model": 12,
        "serial": 199796,
    }


def test_static_data_of_a_type_19() -> None:
    static = static_from_ais(message(TYPE19))

    assert static is not None
    assert static.fields["shipname"] == "CAPT.J.RIMES"
    assert static.fields["ship_type"] == 70


def test_padding_at_signs_are_stripped_from_text() -> None:
    msg = encoded({"type": 24, "mmsi": 412345678, "partno": 0, "shipname": "ZHEPUYU 7@@@@"})

    static = static_from_ais(msg)

    assert static is not None and static.fields == {"shipname": "ZHEPUYU 7"}


@pytest.mark.parametrize("line", [TYPE1, TYPE27])
def test_position_messages_give_no_static_data(line: str) -> None:
    assert static_from_ais(message(line)) is None


def test_imo_0_is_not_available_and_left_out() -> None:
    static = static_from_ais(message(*TYPE5_IMO_0))

    assert static is not None
    assert static.fields["shipname"] == "HEALTH CONTROL 13"
    assert "imo" not in static.fields


def test_eta_hour_24_and_minute_60_are_not_available() -> None:
    msg = encoded(
        {"type": 5, "mmsi": 412345678, "shipname": "ZHEPUYU 7", "month": 5, "day": 15, "hour": 24, "minute": 60}
    )

    static = static_from_ais(msg)

    assert static is not None
    assert "24:60" not in static.fields.get("eta", "")
