"""gpsd-json bodies of the non-binary AIS messages: positions, static data, safety text, link management.

One renderer per message type returns the fields gpsd prints after the common header, in gpsd's
order, or None where gpsd rejects the message (mostly length checks from ``drivers/driver_ais.c``).
Binary messages (types 6, 8, 17, 25, 26) are in :mod:`pingan.maritime.gpsd_asm`; the dispatch,
type-24 pairing and public API in :mod:`pingan.maritime.gpsd`.

Legends follow the gpsd release that wrote ``shared/vectors/ais/gpsd``: status 3 is "Restricted
maneuverability", EPFD 9-14 "Reserved (n)" and 15 "Internal GNSS".  Nav status 11-14 keep gpsd's
older "Reserved" (no vector shows them).
"""

from __future__ import annotations

from collections.abc import Callable

from pingan.maritime.gpsd_bits import AisBits, Record, printf_round, scale, tenths

# Position divisors (gpsd include/gps.h): 1/10000 minute, and 1/10 minute for types 22, 23 and 27.
_LATLON_DIV = 600000.0
_LATLON_TENTH_MIN_DIV = 600.0

_NAV_STATUS = (
    "Under way using engine",
    "At anchor",
    "Not under command",
    "Restricted maneuverability",
    "Constrained by her draught",
    "Moored",
    "Aground",
    "Engaged in fishing",
    "Under way sailing",
    "Reserved for HSC",
    "Reserved for WIG",
    "Reserved",
    "Reserved",
    "Reserved",
    "Reserved",
    "Not defined",
)
_EPFD = (
    "Undefined",
    "GPS",
    "GLONASS",
    "Combined GPS/GLONASS",
    "Loran-C",
    "Chayka",
    "Integrated navigation system",
    "Surveyed",
    "Galileo",
    *(f"Reserved ({n})" for n in range(9, 15)),
    "Internal GNSS",
)


def _ship_family(name: str, last: str = "No additional information") -> tuple[str, ...]:
    """The ten legends of a ship-type decade that carries hazard categories (20s, 40s, 60s-90s)."""
    hazards = tuple(f"{name} - Hazardous category {c}" for c in "ABCD")
    return (
        f"{name} - all ships of this type",
        *hazards,
        *(f"{name} - Reserved for future use",) * 4,
        f"{name} - {last}",
    )


_SHIP_TYPE: tuple[str, ...] = (
    "Not available",
    *("Reserved for future use",) * 19,
    *_ship_family("Wing in ground (WIG)", "Reserved for future use"),
    "Fishing",
    "Towing",
    "Towing: length exceeds 200m or breadth exceeds 25m",
    "Dredging or underwater ops",
    "Diving ops",
    "Military ops",
    "Sailing",
    "Pleasure Craft",
    "Reserved",
    "Reserved",
    *_ship_family("High speed craft (HSC)"),
    "Pilot Vessel",
    "Search and Rescue vessel",
    "Tug",
    "Port Tender",
    "Anti-pollution equipment",
    "Law Enforcement",
    "Spare - Local Vessel",
    "Spare - Local Vessel",
    "Medical Transport",
    "Ship according to RR Resolution No. 18",
    *_ship_family("Passenger"),
    *_ship_family("Cargo"),
    *_ship_family("Tanker"),
    *_ship_family("Other Type", "no additional information"),
)
_STATION_TYPE = (
    "All types of mobiles",
    "Reserved for future use",
    "All types of Class B mobile stations",
    "SAR airborne mobile station",
    "Aid to Navigation station",
    "Class B shipborne mobile station",
    *("Regional use and inland waterways",) * 4,
    *("Reserved for future use",) * 6,
)
_NAVAID_TYPE = (
    "Unspecified",
    "Reference point",
    "RACON",
    "Fixed offshore structure",
    "Spare, Reserved for future use.",
    "Light, without sectors",
    "Light, with sectors",
    "Leading Light Front",
    "Leading Light Rear",
    "Beacon, Cardinal N",
    "Beacon, Cardinal E",
    "Beacon, Cardinal S",
    "Beacon, Cardinal W",
    "Beacon, Port hand",
    "Beacon, Starboard hand",
    "Beacon, Preferred Channel port hand",
    "Beacon, Preferred Channel starboard hand",
    "Beacon, Isolated danger",
    "Beacon, Safe water",
    "Beacon, Special mark",
    "Cardinal Mark N",
    "Cardinal Mark E",
    "Cardinal Mark S",
    "Cardinal Mark W",
    "Port hand Mark",
    "Starboard hand Mark",
    "Preferred Channel Port hand",
    "Preferred Channel Starboard hand",
    "Isolated danger",
    "Safe Water",
    "Special Mark",
    "Light Vessel / LANBY / Rigs",
)


def _legend(table: tuple[str, ...], index: int, invalid: str) -> str:
    return table[index] if index < len(table) else invalid


def _turn(raw: int, scaled: bool) -> str | int:
    """Rate of turn: raw ROT_AIS, or gpsd's legend; degrees per minute are (ROT/4.733)^2 with ROT's sign."""
    if not scaled:
        return raw
    specials = {-128: "n/a", -127: "fastleft", 127: "fastright"}
    if raw in specials:
        return specials[raw]
    rate = (raw / 4.733) ** 2
    return f"{-rate if raw < 0 else rate:.2f}"


def _speed_legend(raw: int) -> str | float:
    """Class A speed over ground: 1023 is not available, 1022 means 102.2 kn or more."""
    if raw == 1023:
        return "n/a"
    if raw == 1022:
        return "fast"
    return printf_round(raw / 10.0, 1)


def _position_report(bits: AisBits, scaled: bool) -> Record | None:
    """Types 1, 2, 3: Class A position report."""
    # USCG sees 163- and 204-bit reports in the wild; gpsd accepts that whole range.
    if not bits.length_in(163, 204):
        return None
    speed = bits.ubits(50, 10)
    status = bits.ubits(38, 4)
    radio_width = 19 if bits.bitlen >= 168 else bits.bitlen - 149
    return {
        "status": status,
        "status_text": _NAV_STATUS[status],
        "turn": _turn(bits.sbits(42, 8), scaled),
        "speed": _speed_legend(speed) if scaled else speed,
        "accuracy": bits.flag(60),
        "lon": scale(bits.sbits(61, 28), _LATLON_DIV, 7, scaled),
        "lat": scale(bits.sbits(89, 27), _LATLON_DIV, 7, scaled),
        "course": tenths(bits.ubits(116, 12), scaled),
        "heading": bits.ubits(128, 9),
        "second": bits.ubits(137, 6),
        "maneuver": bits.ubits(143, 2),
        "raim": bits.flag(148),
        "radio": bits.ubits(149, radio_width),
    }


def _base_station(bits: AisBits, scaled: bool) -> Record | None:
    """Types 4 and 11: base station report and UTC/date response."""
    if bits.bitlen < 168:
        return None
    epfd = bits.ubits(134, 4)
    # %u for the year so out-of-band values (10196) print whole, as gpsd does.
    timestamp = (
        f"{bits.ubits(38, 14):04d}-{bits.ubits(52, 4):02d}-{bits.ubits(56, 5):02d}"
        f"T{bits.ubits(61, 5):02d}:{bits.ubits(66, 6):02d}:{bits.ubits(72, 6):02d}Z"
    )
    return {
        "timestamp": timestamp,
        "accuracy": bits.flag(78),
        "lon": scale(bits.sbits(79, 28), _LATLON_DIV, 7, scaled),
        "lat": scale(bits.sbits(107, 27), _LATLON_DIV, 7, scaled),
        "epfd": epfd,
        "epfd_text": _EPFD[epfd],
        "raim": bits.flag(148),
        "radio": bits.ubits(149, 19),
    }


def _static_voyage(bits: AisBits, scaled: bool) -> Record | None:
    """Type 5: Class A static and voyage data."""
    # Many transmitters send 420 or 422 bits instead of 424; gpsd recovers those.
    if bits.bitlen < 420:
        return None
    shiptype, epfd = bits.ubits(232, 8), bits.ubits(270, 4)
    eta = f"{bits.ubits(274, 4):02d}-{bits.ubits(278, 5):02d}T{bits.ubits(283, 5):02d}:{bits.ubits(288, 6):02d}Z"
    return {
        "imo": bits.ubits(40, 30),
        "ais_version": bits.ubits(38, 2),
        "callsign": bits.chars(70, 7),
        "shipname": bits.chars(112, 20),
        "shiptype": shiptype,
        "shiptype_text": _legend(_SHIP_TYPE, shiptype, "INVALID SHIP TYPE"),
        **_dimensions(bits, 240),
        "epfd": epfd,
        "epfd_text": _EPFD[epfd],
        "eta": eta,
        "draught": tenths(bits.ubits(294, 8), scaled),
        "destination": bits.chars(302, 20),
        "dte": bits.ubits(422, 1) if bits.bitlen >= 423 else 0,
    }


def _dimensions(bits: AisBits, start: int) -> Record:
    return {
        "to_bow": bits.ubits(start, 9),
        "to_stern": bits.ubits(start + 9, 9),
        "to_port": bits.ubits(start + 18, 6),
        "to_starboard": bits.ubits(start + 24, 6),
    }


def _acknowledge(bits: AisBits, scaled: bool) -> Record | None:
    """Types 7 and 13: binary and safety acknowledgements (up to four MMSIs)."""
    if not bits.length_in(72, 168):
        return None
    return {f"mmsi{u + 1}": bits.ubits(40 + 32 * u, 30) if 40 + 32 * u < bits.bitlen else 0 for u in range(4)}


def _sar_aircraft(bits: AisBits, scaled: bool) -> Record | None:
    """Type 9: SAR aircraft position report (altitude in metres, speed in whole knots)."""
    if bits.bitlen < 168:
        return None
    alt, speed = bits.ubits(38, 12), bits.ubits(50, 10)
    if scaled:
        alt_out: object = {4095: "n/a", 4094: "high"}.get(alt, alt)
        speed_out: object = {1023: "n/a", 1022: "fast"}.get(speed, speed)
    else:
        alt_out, speed_out = alt, speed
    return {
        "alt": alt_out,
        "speed": speed_out,
        "accuracy": bits.flag(60),
        "lon": scale(bits.sbits(61, 28), _LATLON_DIV, 7, scaled),
        "lat": scale(bits.sbits(89, 27), _LATLON_DIV, 7, scaled),
        "course": tenths(bits.ubits(116, 12), scaled),
        "second": bits.ubits(128, 6),
        "regional": bits.ubits(134, 8),
        "dte": bits.ubits(142, 1),
        "raim": bits.flag(147),
        "radio": bits.ubits(148, 20),
    }


def _utc_inquiry(bits: AisBits, scaled: bool) -> Record | None:
    """Type 10: UTC/date inquiry."""
    return {"dest_mmsi": bits.ubits(40, 30)} if bits.bitlen >= 72 else None


def _safety_addressed(bits: AisBits, scaled: bool) -> Record | None:
    """Type 12: addressed safety-related text."""
    if not bits.length_in(72, 1008):
        return None
    return {
        "seqno": bits.ubits(38, 2),
        "dest_mmsi": bits.ubits(40, 30),
        "retransmit": bits.flag(70),
        "text": bits.endchars(72, 156),
    }


def _safety_broadcast(bits: AisBits, scaled: bool) -> Record | None:
    """Type 14: broadcast safety-related text."""
    return {"text": bits.endchars(40, 160)} if bits.length_in(40, 960) else None


def _interrogation(bits: AisBits, scaled: bool) -> Record | None:
    """Type 15: interrogation; the optional second and third requests read as 0 when absent."""
    if not bits.length_in(88, 168):
        return None
    second = bits.bitlen > 90
    third = second and bits.bitlen > 110
    return {
        "mmsi1": bits.ubits(40, 30),
        "type1_1": bits.ubits(70, 6),
        "offset1_1": bits.ubits(76, 12),
        "type1_2": bits.ubits(90, 6) if second else 0,
        "offset1_2": bits.ubits(96, 12) if second else 0,
        "mmsi2": bits.ubits(110, 30) if third else 0,
        "type2_1": bits.ubits(140, 6) if third else 0,
        "offset2_1": bits.ubits(146, 12) if third else 0,
    }


def _assigned_mode(bits: AisBits, scaled: bool) -> Record | None:
    """Type 16: assigned mode command for one or two stations."""
    if not bits.length_in(96, 168):
        return None
    two = bits.bitlen >= 144
    return {
        "mmsi1": bits.ubits(40, 30),
        "offset1": bits.ubits(70, 12),
        "increment1": bits.ubits(82, 10),
        "mmsi2": bits.ubits(92, 30) if two else 0,
        "offset2": bits.ubits(122, 12) if two else 0,
        "increment2": bits.ubits(134, 10) if two else 0,
    }


def _class_b_position(bits: AisBits, scaled: bool) -> Record | None:
    """Type 18: Class B CS position report."""
    if bits.bitlen < 168:
        return None
    return {
        "reserved": bits.ubits(38, 8),
        **_class_b_kinematics(bits, scaled),
        "regional": bits.ubits(139, 2),
        "cs": bits.flag(141),
        "display": bits.flag(142),
        "dsc": bits.flag(143),
        "band": bits.flag(144),
        "msg22": bits.flag(145),
        "raim": bits.flag(147),
        "radio": bits.ubits(148, 20),
    }


def _class_b_kinematics(bits: AisBits, scaled: bool) -> Record:
    """Speed..second block shared by types 18 and 19 (no n/a legend for Class B speed in gpsd)."""
    return {
        "speed": tenths(bits.ubits(46, 10), scaled),
        "accuracy": bits.flag(56),
        "lon": scale(bits.sbits(57, 28), _LATLON_DIV, 7, scaled),
        "lat": scale(bits.sbits(85, 27), _LATLON_DIV, 7, scaled),
        "course": tenths(bits.ubits(112, 12), scaled),
        "heading": bits.ubits(124, 9),
        "second": bits.ubits(133, 6),
    }


def _class_b_extended(bits: AisBits, scaled: bool) -> Record | None:
    """Type 19: extended Class B position report with static data."""
    if bits.bitlen < 312:
        return None
    shiptype, epfd = bits.ubits(263, 8), bits.ubits(301, 4)
    return {
        "reserved": bits.ubits(38, 8),
        **_class_b_kinematics(bits, scaled),
        "regional": bits.ubits(139, 4),
        "shipname": bits.chars(143, 20),
        "shiptype": shiptype,
        "shiptype_text": _legend(_SHIP_TYPE, shiptype, "INVALID SHIP TYPE"),
        **_dimensions(bits, 271),
        "epfd": epfd,
        "epfd_text": _EPFD[epfd],
        "raim": bits.flag(305),
        "dte": bits.ubits(306, 1),
        "assigned": bits.flag(307),
    }


def _data_link(bits: AisBits, scaled: bool) -> Record | None:
    """Type 20: data link management; absent reservations read as zeros, as in gpsd."""
    if not bits.length_in(72, 186):
        return None
    out: Record = {}
    for n in range(4):
        a = 40 + 30 * n
        out.update(
            {
                f"offset{n + 1}": bits.ubits(a, 12),
                f"number{n + 1}": bits.ubits(a + 12, 4),
                f"timeout{n + 1}": bits.ubits(a + 16, 3),
                f"increment{n + 1}": bits.ubits(a + 19, 11),
            }
        )
    return out


def _aid_to_navigation(bits: AisBits, scaled: bool) -> Record | None:
    """Type 21: aid-to-navigation report; the name continues in the extension after bit 272."""
    if not bits.length_in(272, 368):
        return None
    aid_type, epfd = bits.ubits(38, 5), bits.ubits(249, 4)
    name = bits.untrimmed(43, 20)
    if len(name) == 20 and bits.bitlen > 272:
        name += bits.endchars(272, 14)
    position = {
        "lon": scale(bits.sbits(164, 28), _LATLON_DIV, 7, scaled),
        "lat": scale(bits.sbits(192, 27), _LATLON_DIV, 7, scaled),
    }
    accuracy = {"accuracy": bits.flag(163)}
    return {
        "aid_type": aid_type,
        "aid_type_text": _legend(_NAVAID_TYPE, aid_type, "INVALID NAVAID TYPE"),
        "name": name.rstrip(" @"),
        # gpsd prints accuracy after the position when scaled and before it when unscaled.
        **({**position, **accuracy} if scaled else {**accuracy, **position}),
        **_dimensions(bits, 219),
        "epfd": epfd,
        "epfd_text": _EPFD[epfd],
        "second": bits.ubits(253, 6),
        "regional": bits.ubits(260, 8),
        "off_position": bits.flag(259),
        "raim": bits.flag(268),
        "virtual_aid": bits.flag(269),
    }


def _area_corner(raw: int, scaled: bool) -> str | int:
    """Types 22/23 area corners in 1/10 minute; gpsd prints the scaled form as a quoted ``%f``."""
    return f"{raw / _LATLON_TENTH_MIN_DIV:f}" if scaled else raw


def _area(bits: AisBits, start: int, scaled: bool) -> Record:
    return {
        "ne_lon": _area_corner(bits.sbits(start, 18), scaled),
        "ne_lat": _area_corner(bits.sbits(start + 18, 17), scaled),
        "sw_lon": _area_corner(bits.sbits(start + 35, 18), scaled),
        "sw_lat": _area_corner(bits.sbits(start + 53, 17), scaled),
    }


def _channel_management(bits: AisBits, scaled: bool) -> Record | None:
    """Type 22: channel management, addressed to two stations or to an area."""
    if bits.bitlen < 168:
        return None
    addressed = bits.flag(139)
    out: Record = {
        "channel_a": bits.ubits(40, 12),
        "channel_b": bits.ubits(52, 12),
        "txrx": bits.ubits(64, 4),
        "power": bits.flag(68),
    }
    if addressed:
        out.update(dest1=bits.ubits(69, 30), dest2=bits.ubits(104, 30))
    else:
        out.update(_area(bits, 69, scaled))
    out.update(
        addressed=addressed,
        band_a=bits.flag(140),
        band_b=bits.flag(141),
        zonesize=bits.ubits(142, 3),
    )
    return out


def _group_assignment(bits: AisBits, scaled: bool) -> Record | None:
    """Type 23: group assignment command for an area."""
    if bits.bitlen < 160:
        return None
    stationtype, shiptype = bits.ubits(110, 4), bits.ubits(114, 8)
    return {
        **_area(bits, 40, scaled),
        "stationtype": stationtype,
        "stationtype_text": _STATION_TYPE[stationtype],
        "shiptype": shiptype,
        "shiptype_text": _legend(_SHIP_TYPE, shiptype, "INVALID SHIP TYPE"),
        "interval": bits.ubits(146, 4),
        "quiet": bits.ubits(150, 4),
    }


def _class_b_static(bits: AisBits, scaled: bool) -> Record | None:
    """Type 24 halves, as gpsd's split form: part A carries the name, part B the rest.

    gpsd accepts 160-168 bits for part A (so the 162-bit part A of ``ais-18-27.log`` is kept) and
    rejects part numbers 2 and 3.  :class:`Type24Joiner` pairs the halves into one report.
    """
    partno = bits.ubits(38, 2)
    mmsi = bits.ubits(8, 30)
    if partno == 0:
        return {"part": "A", "shipname": bits.chars(40, 20)} if bits.length_in(160, 168) else None
    if partno != 1 or bits.bitlen < 168:
        return None
    shiptype = bits.ubits(40, 8)
    out: Record = {
        "part": "B",
        "shiptype": shiptype,
        "shiptype_text": _legend(_SHIP_TYPE, shiptype, "INVALID SHIP TYPE"),
        # ITU-R M.1371-4 carved model and serial out of the vendor id; gpsd prints both readings.
        "vendorid": bits.chars(48, 7),
        "model": bits.ubits(66, 4),
        "serial": bits.ubits(70, 20),
        "callsign": bits.chars(90, 7),
    }
    # Auxiliary craft (98MIDXXXX) send their mother ship's MMSI instead of dimensions.
    if mmsi // 10_000_000 == 98:
        out["mothership_mmsi"] = bits.ubits(132, 30)
    else:
        out.update(_dimensions(bits, 132))
    return out


def _long_range(bits: AisBits, scaled: bool) -> Record | None:
    """Type 27: long-range broadcast (96 bits; some units send a full 168-bit slot)."""
    if bits.bitlen not in (96, 168):
        return None
    status = bits.ubits(40, 4)
    out: Record = {"status": status}
    if scaled:
        out["status_text"] = _NAV_STATUS[status]
    out.update(
        accuracy=bits.flag(38),
        lon=scale(bits.sbits(44, 18), _LATLON_TENTH_MIN_DIV, 4, scaled),
        lat=scale(bits.sbits(62, 17), _LATLON_TENTH_MIN_DIV, 4, scaled),
        speed=bits.ubits(79, 6),
        course=bits.ubits(85, 9),
        raim=bits.flag(39),
        gnss=bits.flag(94),
    )
    return out


RENDERERS: dict[int, Callable[[AisBits, bool], Record | None]] = {
    1: _position_report,
    2: _position_report,
    3: _position_report,
    4: _base_station,
    5: _static_voyage,
    7: _acknowledge,
    9: _sar_aircraft,
    10: _utc_inquiry,
    11: _base_station,
    12: _safety_addressed,
    13: _acknowledge,
    14: _safety_broadcast,
    15: _interrogation,
    16: _assigned_mode,
    18: _class_b_position,
    19: _class_b_extended,
    20: _data_link,
    21: _aid_to_navigation,
    22: _channel_management,
    23: _group_assignment,
    24: _class_b_static,
    27: _long_range,
}
"""Renderer per message type: ``(bits, scaled) -> fields after the header``, or None when gpsd rejects it."""
