"""The live sea map (海上态势): vessels, beacons and distress targets moving over the sea grids, with target cards."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.deps import AppSettings, require
from pingan.fleet.models import OperationType
from pingan.fleet.printing import LABELS
from pingan.web.i18n import translations
from pingan.web.pages import N_, page_locale, render

router = APIRouter(include_in_schema=False)

# Strings sea.js shows, translated on the server and handed over as JSON (CSP forbids inline scripts).
SEA_STRINGS = {
    "live": N_("Live"),
    "reconnecting": N_("Reconnecting"),
    "connecting": N_("Connecting"),
    "fishing_vessels": N_("Fishing vessels"),
    "other_vessels": N_("Merchant and other vessels"),
    "net_beacons": N_("Net beacons"),
    "aids": N_("Aids to navigation and base stations"),
    "distress": N_("Distress beacons"),
    "groups": N_("Vessel groups"),
    "sea_static": N_("Static sea grids"),
    "sea_control": N_("Control sea grids"),
    "sea_patrol": N_("Patrol sea grids"),
    "ports": N_("Ports"),
    "kind_fishing": N_("Fishing vessel"),
    "kind_merchant": N_("Merchant vessel"),
    "kind_other": N_("Other vessel"),
    "state_in_port": N_("In port"),
    "state_at_sea": N_("At sea"),
    "state_stale": N_("Stale"),
    "state_lost": N_("Lost"),
    "class_vessel": N_("Vessel"),
    "class_aton": N_("Aid to navigation"),
    "class_sart": N_("SART"),
    "class_mob": N_("Man overboard"),
    "class_epirb": N_("EPIRB"),
    "class_base_station": N_("Base station"),
    "class_sar_aircraft": N_("SAR aircraft"),
    "class_net_beacon": N_("Net beacon"),
    "class_unknown": N_("Unknown"),
    "source_ais": N_("AIS"),
    "source_beidou": N_("BeiDou"),
    "source_manual": N_("Manual report"),
    "source_terminal": N_("Terminal"),
    "mmsi": N_("MMSI"),
    "class": N_("Class"),
    "state": N_("State"),
    "sog": N_("Speed (kn)"),
    "cog": N_("Course (°)"),
    "heading": N_("Heading (°)"),
    "nav_status": N_("Navigation status"),
    "last_seen": N_("Last seen"),
    "source": N_("Data source"),
    "position": N_("Position"),
    "callsign": N_("Call sign"),
    "shipname": N_("AIS name"),
    "destination": N_("Destination"),
    "vessel_file": N_("Vessel file"),
    "registration_no": N_("Registration number"),
    "vessel_name": N_("Vessel name"),
    "operation_type": N_("Operation type"),
    "home_port": N_("Home port"),
    "open_vessel": N_("Open the vessel file"),
    "group": N_("Group"),
    "members": N_("Members"),
    "cadres": N_("Cadres"),
    "no_cadre": N_("No cadre"),
    "last_reports": N_("Last reports"),
    "time": N_("Time"),
    "station": N_("Station"),
    "no_records": N_("No records."),
    "not_found": N_("The target is no longer known."),
    "load_failed": N_("Loading failed; please try again."),
    "close": N_("Close"),
    "replay": N_("Track replay"),
    "replay_load": N_("Replay"),
    "from": N_("Start time"),
    "to": N_("End time"),
    "play": N_("Play"),
    "pause": N_("Pause"),
    "speed": N_("Speed"),
    "no_track": N_("No track in this period."),
    "track_points": N_("%(n)s track points"),
    "bad_range": N_("The period is not valid."),
    "no_results": N_("No results."),
    "unnamed": N_("(no name)"),
    "ingest": N_("Received %(lines)s lines, decoded %(messages)s messages."),
    "vessels": N_("Number of vessels"),
    "targets_shown": N_("%(n)s targets"),
    "nav_0": N_("Under way using engine"),
    "nav_1": N_("At anchor"),
    "nav_2": N_("Not under command"),
    "nav_3": N_("Restricted manoeuvrability"),
    "nav_4": N_("Constrained by draught"),
    "nav_5": N_("Moored"),
    "nav_6": N_("Aground"),
    "nav_7": N_("Engaged in fishing"),
    "nav_8": N_("Under way sailing"),
    "nav_14": N_("AIS-SART, MOB or EPIRB active"),
    "nav_15": N_("Not defined"),
}


@router.get("/sea", response_class=HTMLResponse)
def sea_page(
    request: Request,
    settings: AppSettings,
    _: Annotated[Principal, Depends(require(Permission.MARITIME_READ))],
) -> Response:
    catalog = translations(page_locale(request))
    strings = {key: catalog.gettext(msgid) for key, msgid in SEA_STRINGS.items()}
    strings.update({f"op_{op.value}": LABELS.get(op.value, op.value) for op in OperationType})
    config = {
        "timezone": settings.display_timezone,
        "stale_minutes": settings.ais_stale_minutes,
        "lost_minutes": settings.ais_lost_minutes,
        "center": [122.3, 30.0],
        "zoom": 9,
    }
    return render(
        request,
        "sea/live.html",
        stale_minutes=f"{settings.ais_stale_minutes:g}",
        # "</" never closes the script element the JSON sits in.
        strings=json.dumps(strings, ensure_ascii=False).replace("</", "<\\/"),
        config=json.dumps(config).replace("</", "<\\/"),
    )
