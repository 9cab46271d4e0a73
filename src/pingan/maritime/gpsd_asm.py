"""gpsd-json bodies of the binary AIS messages: 6 and 8 (with their DAC/FID decodes), 17, 25 and 26.

gpsd's ``drivers/driver_ais.c`` decodes a handful of application-specific messages (DAC/FID pairs) into
named fields and prints every other binary payload as ``"data":"<bits>:<hex>"``.  This module
reproduces the pairs gpsd decodes that occur in gpsd's own test vectors, plus the trivial ones:

========  =================================================================================
type 6    (1,12) dangerous cargo, (1,14)/(1,32) tidal window, (1,15) air draught, (1,16) persons,
          (1,18) clearance time, (1,30) text, (200,55) persons, (235|250,10) AtoN monitoring
type 8    (1,11)/(1,31) met/hydro, (1,15) air draught, (1,16) persons, (1,29) text, (200,10) inland static
========  =================================================================================

gpsd also decodes 6/(1,20), 6/(1,25), 6/(1,28), 6/(200,21|22), 8/(1,13), 8/(1,17), 8/(1,19),
8/(1,27) and 8/(200,23|24|40); none occurs in the vectors, so they are left as ``data`` here (a known,
documented divergence, see ``docs/ais-conformance.md``).  Offsets are absolute bit positions in the
whole message, exactly as gpsd reads them, including gpsd's quirks (6/(1,15) reads its 11 bits at
offset 56, inside the addressee field).
"""

from __future__ import annotations

from collections.abc import Callable

from pingan.maritime.gpsd_bits import AisBits, Record, printf_round, scale, tenths

# gpsd divides these coordinates (1/1000 minute) by 60000 and prints them with six decimals.
_LATLON3_DIV = 60000.0
# Type 17 positions are in 1/10 minute.
_TENTH_MINUTE_DIV = 600.0

_TRENDS = ("steady", "increasing", "decreasing", "N/A")
# WMO 306, code table 4.201, as gpsd labels it.
_PRECIP_TYPES = ("reserved", "rain", "thunderstorm", "freezing rain", "mixed/ice", "snow", "reserved", "N/A")
_ICE = ("no", "yes", "reserved", "N/A")
_RACON_STATUS = ("No RACON installed", "RACON not monitored", "RACON operational", "RACON ERROR")
_LIGHT_STATUS = ("No light or no monitoring", "Light ON", "Light OFF", "Light ERROR")

# Inland AIS (ERI) ship types: (ERI code, equivalent ITU type, legend).  gpsd matches the received
# value against either column, first hit wins, so the ITU column is part of the lookup, not decoration.
_INLAND_SHIP_TYPES: tuple[tuple[int, int, str], ...] = (
    (8000, 99, "Vessel, type unknown"),
    (8010, 79, "Motor freighter"),
    (8020, 89, "Motor tanker"),
    (8021, 80, "Motor tanker, liquid cargo, type N"),
    (8022, 80, "Motor tanker, liquid cargo, type C"),
    (8023, 89, "Motor tanker, dry cargo as if liquid (e.g. cement)"),
    (8030, 79, "Container vessel"),
    (8040, 80, "Gas tanker"),
    (8050, 79, "Motor freighter, tug"),
    (8060, 89, "Motor tanker, tug"),
    (8070, 79, "Motor freighter with one or more ships alongside"),
    (8080, 89, "Motor freighter with tanker"),
    (8090, 79, "Motor freighter pushing one or more freighters"),
    (8100, 89, "Motor freighter pushing at least one tank-ship"),
    (8110, 79, "Tug, freighter"),
    (8120, 89, "Tug, tanker"),
    (8130, 31, "Tug freighter, coupled"),
    (8140, 31, "Tug, freighter/tanker, coupled"),
    (8150, 99, "Freightbarge"),
    (8160, 99, "Tankbarge"),
    (8161, 90, "Tankbarge, liquid cargo, type N"),
    (8162, 90, "Tankbarge, liquid cargo, type C"),
    (8163, 99, "Tankbarge, dry cargo as if liquid (e.g. cement)"),
    (8170, 99, "Freightbarge with containers"),
    (8180, 90, "Tankbarge, gas"),
    (8210, 79, "Pushtow, one cargo barge"),
    (8220, 79, "Pushtow, two cargo barges"),
    (8230, 79, "Pushtow, three cargo barges"),
    (8240, 79, "Pushtow, four cargo barges"),
    (8250, 79, "Pushtow, five cargo barges"),
    (8260, 79, "Pushtow, six cargo barges"),
    (8270, 79, "Pushtow, seven cargo barges"),
    (8280, 79, "Pushtow, eigth cargo barges"),
    (8290, 79, "Pushtow, nine or more barges"),
    (8310, 80, "Pushtow, one tank/gas barge"),
    (8320, 80, "Pushtow, two barges at least one tanker or gas barge"),
    (8330, 80, "Pushtow, three barges at least one tanker or gas barge"),
    (8340, 80, "Pushtow, four barges at least one tanker or gas barge"),
    (8350, 80, "Pushtow, five barges at least one tanker or gas barge"),
    (8360, 80, "Pushtow, six barges at least one tanker or gas barge"),
    (8370, 80, "Pushtow, seven barges at least one tanker or gas barg"),
)
_HAZARD_TYPES = (
    "0 blue cones/lights",
    "1 blue cone/light",
    "2 blue cones/lights",
    "3 blue cones/lights",
    "4 B-Flag",
    "Unknown",
)
_LOAD_STATUS = ("N/A (default)", "Unloaded", "Loaded")


def _latlon3(value: int, scaled: bool) -> float | int:
    return scale(value, _LATLON3_DIV, 6, scaled)


def _partial_date(month: int, day: int, hour: int, minute: int) -> str:
    return f"{month:02d}-{day:02d}T{hour:02d}:{minute:02d}Z"


def _addressed_binary(bits: AisBits, scaled: bool) -> Record | None:
    """Type 6: addressed binary message, with gpsd's DAC/FID decodes."""
    if not bits.length_in(88, 1008):
        return None
    dac, fid = bits.ubits(72, 10), bits.ubits(82, 6)
    out: Record = {
        "seqno": bits.ubits(38, 2),
        "dest_mmsi": bits.ubits(40, 30),
        "retransmit": bits.flag(70),
        "dac": dac,
        "fid": fid,
    }
    fields = decode_type6(bits, dac, fid, scaled=scaled)
    out.update(fields if fields is not None else {"data": bits.hexdata(88, bits.bitlen - 88)})
    return out


def _broadcast_binary(bits: AisBits, scaled: bool) -> Record | None:
    """Type 8: broadcast binary message, with gpsd's DAC/FID decodes."""
    if not bits.length_in(56, 1008):
        return None
    dac, fid = bits.ubits(40, 10), bits.ubits(50, 6)
    out: Record = {"dac": dac, "fid": fid}
    fields = decode_type8(bits, dac, fid, scaled=scaled)
    out.update(fields if fields is not None else {"data": bits.hexdata(56, bits.bitlen - 56, mask_tail=True)})
    return out


def _dgnss(bits: AisBits, scaled: bool) -> Record | None:
    """Type 17: DGNSS broadcast (reference position in 1/10 minute, then the RTCM payload)."""
    if not bits.length_in(80, 816):
        return None
    return {
        "lon": scale(bits.sbits(40, 18), _TENTH_MINUTE_DIV, 1, scaled),
        "lat": scale(bits.sbits(58, 17), _TENTH_MINUTE_DIV, 1, scaled),
        "data": bits.hexdata(80, bits.bitlen - 80),
    }


def _binary_slot(bits: AisBits, scaled: bool, *, multi_slot: bool) -> Record | None:
    """Types 25 (single slot) and 26 (multiple slot): binary payload with optional addressee and app id."""
    if multi_slot and not bits.length_in(60, 1004):
        return None
    if not multi_slot and not bits.length_in(40, 168):
        return None
    addressed, structured = bits.flag(38), bits.flag(39)
    # Type 26 ends with a 20-bit radio status that is not part of the data.
    trailer = 20 if multi_slot else 0
    if bits.bitlen < 40 + 16 * structured + 30 * addressed + trailer:
        return None
    start = 40 + 30 * addressed + 16 * structured
    nbits = bits.bitlen - 40 - 16 * structured - trailer - 30 * addressed
    out: Record = {
        "addressed": addressed,
        "structured": structured,
        "dest_mmsi": bits.ubits(40, 30) if addressed else 0,
        "app_id": bits.ubits(40 + 30 * addressed, 16) if structured else 0,
        "data": bits.hexdata(start, nbits),
    }
    if multi_slot:
        # gpsd never decodes the radio status of type 26 and always prints 0.
        out["radio"] = 0
    return out


def _type25(bits: AisBits, scaled: bool) -> Record | None:
    """Type 25: binary message in one slot (at most 168 bits)."""
    return _binary_slot(bits, scaled, multi_slot=False)


def _type26(bits: AisBits, scaled: bool) -> Record | None:
    """Type 26: binary message over several slots, ending with a radio status."""
    return _binary_slot(bits, scaled, multi_slot=True)


def decode_type6(bits: AisBits, dac: int, fid: int, *, scaled: bool) -> Record | None:
    """Return gpsd's structured fields of an addressed binary message, or None when gpsd prints ``data``."""
    if dac in (235, 250) and fid == 10:
        return _aton_monitoring(bits, scaled) if bits.bitlen == 136 else None
    if dac == 200 and fid == 55:
        if bits.bitlen != 168:
            return None
        return {"crew": bits.ubits(88, 8), "passengers": bits.ubits(96, 13), "personnel": bits.ubits(109, 8)}
    if dac != 1:
        return None
    if fid == 12:
        return _dangerous_cargo(bits)
    if fid == 14:
        return _tidal_window(bits, scaled, element_bits=93, lat_first=True)
    if fid == 32:
        return _tidal_window(bits, scaled, element_bits=88, lat_first=False)
    if fid == 15:
        # gpsd reads the air draught at bit 56, which lies inside the addressee; kept for parity.
        return {"airdraught": bits.ubits(56, 11)}
    if fid == 16:
        # IMO289 (136 data bits) and IMO236 layouts differ; gpsd tells them apart by length only.
        persons = bits.ubits(88, 13) if bits.bitlen - 88 == 136 else bits.ubits(55, 13)
        return {"persons": persons}
    if fid == 18:
        return _clearance_time(bits, scaled)
    if fid == 30:
        return {"linkage": bits.ubits(88, 10), "text": bits.endchars(98, 153)}
    return None


def decode_type8(bits: AisBits, dac: int, fid: int, *, scaled: bool) -> Record | None:
    """Return gpsd's structured fields of a broadcast binary message, or None when gpsd prints ``data``."""
    if dac == 200 and fid == 10:
        return _inland_static(bits) if bits.bitlen == 168 else None
    if dac != 1:
        return None
    if fid == 11:
        return _met_hydro_236(bits, scaled)
    if fid == 31:
        return _met_hydro_289(bits, scaled)
    if fid == 15:
        return {"airdraught": bits.ubits(56, 11)}
    if fid == 16:
        data_bits = bits.bitlen - 56
        if data_bits == 136:
            return {"persons": bits.ubits(88, 13)}
        if data_bits == 72:
            return {"persons": bits.ubits(55, 13)}
        return None
    if fid == 29:
        return {"linkage": bits.ubits(56, 10), "text": bits.endchars(66, 161)}
    return None


def _aton_monitoring(bits: AisBits, scaled: bool) -> Record:
    """GLA AtoN monitoring data (UK and Ireland, DAC 235/250 FID 10)."""
    out: Record = {
        "off_pos": bits.flag(131),
        "alarm": bits.flag(122),
        "stat_ext": bits.ubits(123, 8),
    }
    for key, start in (("ana_int", 88), ("ana_ext1", 98), ("ana_ext2", 108)):
        raw = bits.ubits(start, 10)
        # Analogue voltages are in units of 0.05 V; gpsd keeps a raw 0 as the integer 0 even when scaling.
        out[key] = printf_round(raw * 0.05, 2) if scaled and raw != 0 else raw
    racon, light = bits.ubits(118, 2), bits.ubits(120, 2)
    out.update(racon=racon, racon_text=_RACON_STATUS[racon], light=light, light_text=_LIGHT_STATUS[light])
    return out


def _dangerous_cargo(bits: AisBits) -> Record:
    """IMO236 dangerous cargo indication (DAC 1 FID 12)."""
    return {
        "lastport": bits.chars(88, 5),
        "departure": _partial_date(bits.ubits(118, 4), bits.ubits(122, 5), bits.ubits(127, 5), bits.ubits(132, 6)),
        "nextport": bits.chars(138, 5),
        "eta": _partial_date(bits.ubits(168, 4), bits.ubits(172, 5), bits.ubits(177, 5), bits.ubits(182, 6)),
        "dangerous": bits.chars(188, 20),
        "imdcat": bits.chars(308, 4),
        "unid": bits.ubits(332, 13),
        "amount": bits.ubits(345, 10),
        "unit": bits.ubits(355, 2),
    }


def _tidal_window(bits: AisBits, scaled: bool, *, element_bits: int, lat_first: bool) -> Record:
    """IMO236 (FID 14) and IMO289 (FID 32) tidal window: up to three current predictions."""
    tidals: list[Record] = []
    base = 97
    # gpsd starts an element whenever its first bit is within the message, so a short final element
    # is read with zero (or fill) bits; gpsd's array holds three.
    while base + element_bits * len(tidals) <= bits.bitlen and len(tidals) < 3:
        a = base + element_bits * len(tidals)
        if lat_first:  # IMO236: 27-bit latitude then 28-bit longitude, 7-bit speed
            lat, lon = bits.sbits(a, 27), bits.sbits(a + 27, 28)
            a += 55
            speed_width = 7
        else:  # IMO289: 25-bit longitude then 24-bit latitude, 8-bit speed
            lon, lat = bits.sbits(a, 25), bits.sbits(a + 25, 24)
            a += 49
            speed_width = 8
        tidals.append(
            {
                "lon": _latlon3(lon, scaled),
                "lat": _latlon3(lat, scaled),
                "from_hour": bits.ubits(a, 5),
                "from_min": bits.ubits(a + 5, 6),
                "to_hour": bits.ubits(a + 11, 5),
                "to_min": bits.ubits(a + 16, 6),
                "cdir": bits.ubits(a + 22, 9),
                "cspeed": tenths(bits.ubits(a + 31, speed_width), scaled),
            }
        )
    return {"month": bits.ubits(88, 4), "day": bits.ubits(92, 5), "tidals": tidals}


def _clearance_time(bits: AisBits, scaled: bool) -> Record:
    """IMO289 clearance time to enter port (DAC 1 FID 18)."""
    return {
        "linkage": bits.ubits(88, 10),
        "arrival": _partial_date(bits.ubits(98, 4), bits.ubits(102, 5), bits.ubits(107, 5), bits.ubits(112, 6)),
        "portname": bits.chars(118, 20),
        "destination": bits.chars(238, 5),
        "lon": _latlon3(bits.sbits(268, 25), scaled),
        "lat": _latlon3(bits.sbits(293, 24), scaled),
    }


def _inland_static(bits: AisBits) -> Record | None:
    """Inland AIS ship static and voyage data (DAC 200 FID 10); gpsd prints it unscaled in both modes."""
    hazard = bits.ubits(141, 3)
    if hazard >= len(_HAZARD_TYPES):
        # gpsd's guard against other payloads that happen to carry DAC 200 FID 10.
        return None
    shiptype = bits.ubits(127, 14)
    legend = next(
        (text for code, itu, text in _INLAND_SHIP_TYPES if shiptype in (code, itu)), "Illegal ship type value."
    )
    loaded = bits.ubits(155, 2)
    return {
        "vin": bits.chars(56, 8),
        "length": bits.ubits(104, 13),
        "beam": bits.ubits(117, 10),
        "shiptype": shiptype,
        "shiptype_text": legend,
        "hazard": hazard,
        "hazard_text": _HAZARD_TYPES[hazard],
        "draught": bits.ubits(144, 11),
        "loaded": loaded,
        "loaded_text": _LOAD_STATUS[loaded] if loaded < len(_LOAD_STATUS) else "INVALID LOAD STATUS",
        "speed_q": bits.flag(157),
        "course_q": bits.flag(158),
        "heading_q": bits.flag(159),
    }


def _met_hydro_236(bits: AisBits, scaled: bool) -> Record:
    """IMO236 meteorological and hydrological data (DAC 1 FID 11), raw fields offset and scaled as gpsd does."""
    out: Record = {
        "lat": _latlon3(bits.sbits(56, 24), scaled),
        "lon": _latlon3(bits.sbits(80, 25), scaled),
        "timestamp": f"{bits.ubits(105, 5):02d}T{bits.ubits(110, 5):02d}:{bits.ubits(115, 6):02d}Z",
        "wspeed": bits.ubits(121, 7),
        "wgust": bits.ubits(128, 7),
        "wdir": bits.ubits(135, 9),
        "wgustdir": bits.ubits(144, 9),
        "humidity": bits.ubits(164, 7),
    }
    airtemp, dewpoint, pressure = bits.ubits(153, 11), bits.ubits(171, 10), bits.ubits(181, 9)
    pressuretend, visibility = bits.ubits(190, 2), bits.ubits(192, 8)
    waterlevel, leveltrend = bits.ubits(200, 9), bits.ubits(209, 2)
    watertemp, preciptype = bits.ubits(322, 10), bits.ubits(332, 3)
    salinity, ice = bits.ubits(335, 9), bits.ubits(344, 2)
    if scaled:
        out.update(
            airtemp=printf_round((airtemp - 600) / 10.0, 1),
            dewpoint=printf_round((dewpoint - 200) / 10.0, 1),
            pressure=pressure + 800,
            pressuretend=_TRENDS[pressuretend],
            visibility=tenths(visibility, True),
            waterlevel=printf_round((waterlevel - 100) / 10.0, 1),
            leveltrend=_TRENDS[leveltrend],
        )
    else:
        out.update(
            airtemp=airtemp,
            dewpoint=dewpoint,
            pressure=pressure,
            pressuretend=pressuretend,
            visibility=visibility,
            waterlevel=waterlevel,
            leveltrend=leveltrend,
        )
    out.update(_currents_and_waves(bits, 211, scaled))
    out.update(
        seastate=bits.ubits(318, 4),
        watertemp=printf_round((watertemp - 100) / 10.0, 1) if scaled else watertemp,
        preciptype=preciptype,
        preciptype_text=_PRECIP_TYPES[preciptype],
        salinity=tenths(salinity, scaled),
        ice=ice,
        ice_text=_ICE[ice],
    )
    return out


def _met_hydro_289(bits: AisBits, scaled: bool) -> Record:
    """IMO289 meteorological and hydrological data (DAC 1 FID 31)."""
    out: Record = {
        "lat": _latlon3(bits.sbits(81, 24), scaled),
        "lon": _latlon3(bits.sbits(56, 25), scaled),
        "accuracy": bits.flag(105),
        "timestamp": f"{bits.ubits(106, 5):02d}T{bits.ubits(111, 5):02d}:{bits.ubits(116, 6):02d}Z",
        "wspeed": bits.ubits(122, 7),
        "wgust": bits.ubits(129, 7),
        "wdir": bits.ubits(136, 9),
        "wgustdir": bits.ubits(145, 9),
        "humidity": bits.ubits(165, 7),
    }
    airtemp, dewpoint, pressure = bits.sbits(154, 11), bits.sbits(172, 10), bits.ubits(182, 9)
    pressuretend, visgreater, visibility = bits.ubits(191, 2), bits.flag(193), bits.ubits(194, 7)
    waterlevel, leveltrend = bits.ubits(201, 12), bits.ubits(213, 2)
    watertemp, preciptype = bits.sbits(326, 10), bits.ubits(336, 3)
    salinity, ice = bits.ubits(339, 9), bits.ubits(348, 2)
    if scaled:
        out.update(
            airtemp=tenths(airtemp, True),
            dewpoint=tenths(dewpoint, True),
            pressure=pressure + 799,
            pressuretend=_TRENDS[pressuretend],
            visgreater=visgreater,
            visibility=tenths(visibility, True),
            waterlevel=printf_round((waterlevel - 1000) / 100.0, 1),
            leveltrend=_TRENDS[leveltrend],
        )
    else:
        out.update(
            airtemp=airtemp,
            dewpoint=dewpoint,
            pressure=pressure,
            pressuretend=pressuretend,
            visgreater=visgreater,
            visibility=visibility,
            waterlevel=waterlevel,
            leveltrend=leveltrend,
        )
    out.update(_currents_and_waves(bits, 215, scaled))
    # IMO289 prints precipitation and ice as bare legends when scaled (no *_text companions).
    out.update(
        seastate=bits.ubits(322, 4),
        watertemp=tenths(watertemp, scaled),
        preciptype=_PRECIP_TYPES[preciptype] if scaled else preciptype,
        salinity=tenths(salinity, scaled),
        ice=_ICE[ice] if scaled else ice,
    )
    return out


def _currents_and_waves(bits: AisBits, start: int, scaled: bool) -> Record:
    """The current/wave/swell block shared by FID 11 and FID 31 (identical layout from ``start``)."""
    a = start
    return {
        "cspeed": tenths(bits.ubits(a, 8), scaled),
        "cdir": bits.ubits(a + 8, 9),
        "cspeed2": tenths(bits.ubits(a + 17, 8), scaled),
        "cdir2": bits.ubits(a + 25, 9),
        "cdepth2": bits.ubits(a + 34, 5),
        "cspeed3": tenths(bits.ubits(a + 39, 8), scaled),
        "cdir3": bits.ubits(a + 47, 9),
        "cdepth3": bits.ubits(a + 56, 5),
        "waveheight": tenths(bits.ubits(a + 61, 8), scaled),
        "waveperiod": bits.ubits(a + 69, 6),
        "wavedir": bits.ubits(a + 75, 9),
        "swellheight": tenths(bits.ubits(a + 84, 8), scaled),
        "swellperiod": bits.ubits(a + 92, 6),
        "swelldir": bits.ubits(a + 98, 9),
    }


RENDERERS: dict[int, Callable[[AisBits, bool], Record | None]] = {
    6: _addressed_binary,
    8: _broadcast_binary,
    17: _dgnss,
    25: _type25,
    26: _type26,
}
"""Renderer per binary message type: ``(bits, scaled) -> fields after the header``, or None when gpsd rejects it."""
