"""The sea pages: the live map (海上态势) with its alert console and "who is near", the typhoon board (防台)
and the restricted-waters editor (限制水域)."""

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
from pingan.maritime.geofence import AreaKind
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


# Alert kinds and levels: the English msgids translate to exactly the Chinese of pingan.maritime.alerts
# (KIND_LABELS, LEVEL_LABELS); a test keeps the two in step.
ALERT_KIND_MSGIDS = {
    "collision": N_("Collision risk"),
    "geofence_enter": N_("Entered controlled waters"),
    "geofence_exit": N_("Left controlled waters"),
    "geofence_dwell": N_("Stayed too long in an area"),
    "closure": N_("Fishing in closed waters or season"),
    "dispersion": N_("Strayed from the group"),
    "group_split": N_("Group split"),
    "silence": N_("Position signal lost"),
    "report_overdue": N_("Dynamic report overdue"),
    "distress": N_("Distress alarm"),
    "typhoon": N_("Inside a typhoon warning area"),
}
ALERT_LEVEL_MSGIDS = {1: N_("Info"), 2: N_("Warning"), 3: N_("Alarm"), 4: N_("Distress")}
AREA_KIND_MSGIDS = {
    AreaKind.STATIC: N_("Static sea grid"),
    AreaKind.CONTROL: N_("Control sea grid"),
    AreaKind.PATROL: N_("Patrol sea grid"),
    AreaKind.CHANNEL: N_("Shipping channel"),
    AreaKind.ANCHORAGE: N_("Anchorage"),
    AreaKind.PROTECTED: N_("Protected area"),
    AreaKind.RESTRICTED: N_("Other restricted waters"),
}

# Strings of the command scripts (alert console, who is near, typhoon board, restricted waters).
COMMAND_STRINGS = {
    "alerts": N_("Alert console"),
    "alert": N_("Alert"),
    "n_alerts": N_("%(n)s alerts"),
    "no_alerts": N_("No alerts."),
    "status_open": N_("Not acknowledged"),
    "status_acknowledged": N_("Acknowledged"),
    "status_closed": N_("Resolved"),
    "escalated": N_("Escalated"),
    "cleared": N_("Situation over"),
    "level": N_("Level"),
    "kind": N_("Kind"),
    "sea_grid": N_("Sea grid"),
    "raised_at": N_("Raised"),
    "acknowledged_at": N_("Acknowledged at"),
    "closed_at": N_("Resolved at"),
    "case": N_("Case"),
    "vessel": N_("Vessel"),
    "addressees": N_("Addressees"),
    "no_addressees": N_("Nobody was addressed."),
    "timeline": N_("Timeline"),
    "role_cadre": N_("Linked cadre"),
    "role_duty": N_("Officer on watch"),
    "role_escalation": N_("Command centre (escalated)"),
    "no_account": N_("no account"),
    "engine": N_("Alert engine"),
    "act_raised": N_("Raised"),
    "act_notified": N_("Addressees notified"),
    "act_level_up": N_("Level raised"),
    "act_acknowledged": N_("Acknowledged"),
    "act_escalated": N_("Escalated for want of acknowledgement"),
    "act_case_opened": N_("Case opened"),
    "act_cleared": N_("Situation over"),
    "act_resolved": N_("Resolved"),
    "acknowledge": N_("Acknowledge"),
    "resolve": N_("Resolve"),
    "resolve_note": N_("What was done"),
    "resolve_submit": N_("Mark resolved"),
    "note_required": N_("Say what was done."),
    "cancel": N_("Cancel"),
    "saving": N_("Saving…"),
    "alert_history": N_("Alert history"),
    "show_on_map": N_("Show on the map"),
    "near": N_("Vessels nearby"),
    "near_here": N_("Vessels near this point"),
    "near_pick": N_("Tap the map where you need help"),
    "near_none": N_("No vessel at sea nearby."),
    "range_nm": N_("Range (nmi)"),
    "eta_min": N_("ETA (min)"),
    "patrol": N_("Patrol boat"),
    "updated": N_("Updated %(time)s"),
    "all": N_("All"),
    "at_least": N_("%(level)s and above"),
    "error": N_("The server refused: %(message)s"),
    # typhoon board
    "typhoons": N_("Typhoons"),
    "no_typhoons": N_("No typhoon entered."),
    "ended": N_("Over"),
    "track_points": N_("%(n)s track points"),
    "circle": N_("Circle"),
    "warning_area": N_("Warning area"),
    "exposed": N_("%(n)s vessels at sea inside the warning area"),
    "recall": N_("Issue a recall order"),
    "recall_message": N_("Recall order text (a default is used when empty)"),
    "recall_confirm": N_("Recall the %(n)s vessels at sea inside the warning area of %(name)s?"),
    "end_typhoon": N_("The typhoon has passed"),
    "end_confirm": N_("Stop the warning area of %(name)s?"),
    "orders": N_("Recall orders"),
    "no_orders": N_("No recall order yet."),
    "order_open": N_("In progress"),
    "order_complete": N_("Complete"),
    "issued_at": N_("Issued"),
    "completed_at": N_("Completed"),
    "done_of": N_("%(done)s of %(total)s in port or sheltered"),
    "completion": N_("Completion"),
    "township": N_("Township"),
    "group_code": N_("Group"),
    "total": N_("Total"),
    "in_port": N_("In port"),
    "sheltered": N_("Sheltered"),
    "at_sea": N_("At sea"),
    "still_at_sea": N_("Still at sea"),
    "all_in": N_("Every recalled vessel is in port or sheltered."),
    "no_group": N_("(no group)"),
    "bad_json": N_("The file is not valid JSON."),
    "need_point": N_("Enter at least one track point."),
    "typhoon_saved": N_("Typhoon %(name)s saved."),
    "lon": N_("Longitude (°E)"),
    "lat": N_("Latitude (°N)"),
    "r7": N_("Force-7 radius (km)"),
    "r10": N_("Force-10 radius (km)"),
    "remove_point": N_("Remove this track point"),
    # restricted waters
    "areas": N_("Restricted waters"),
    "no_areas": N_("No restricted waters."),
    "draw": N_("Draw an area"),
    "drawing": N_("Click to add corners; double-click to finish; Esc cancels."),
    "undo_point": N_("Remove the last corner"),
    "finish": N_("Finish"),
    "need_three": N_("An area needs at least three corners."),
    "retire": N_("Retire"),
    "retire_confirm": N_("Retire the restricted waters %(code)s?"),
    "retired": N_("%(code)s retired."),
    "stored": N_("%(n)s areas saved."),
    "enter": N_("Alert on entry"),
    "exit": N_("Alert on exit"),
    "dwell": N_("Longest stay %(min)s min"),
    "applies": N_("Applies to"),
    "fishing": N_("Fishing vessels"),
    "merchant": N_("Merchant vessels"),
    "other": N_("Other vessels"),
    "area_level_info": N_("Info"),
    "area_level_warning": N_("Warning"),
    "area_level_alarm": N_("Alarm"),
}


def _catalog_strings(request: Request, *tables: dict[str, str]) -> dict[str, str]:
    catalog = translations(page_locale(request))
    strings: dict[str, str] = {}
    for table in tables:
        strings.update({key: catalog.gettext(msgid) for key, msgid in table.items()})
    strings.update({f"alert_kind_{k}": catalog.gettext(m) for k, m in ALERT_KIND_MSGIDS.items()})
    strings.update({f"alert_level_{k}": catalog.gettext(m) for k, m in ALERT_LEVEL_MSGIDS.items()})
    strings.update({f"area_kind_{k.value}": catalog.gettext(m) for k, m in AREA_KIND_MSGIDS.items()})
    return strings


def _capabilities(principal: Principal) -> dict[str, bool]:
    """What the page's buttons may do; the API checks again on every request."""
    return {
        "read_alerts": principal.can(Permission.ALERT_READ),
        "handle": principal.can(Permission.ALERT_HANDLE),
        "command": principal.can(Permission.ALERT_COMMAND),
    }


def _json(value: object) -> str:
    # "</" never closes the script element the JSON sits in.
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


@router.get("/sea", response_class=HTMLResponse)
def sea_page(
    request: Request,
    settings: AppSettings,
    principal: Annotated[Principal, Depends(require(Permission.MARITIME_READ))],
) -> Response:
    strings = _catalog_strings(request, SEA_STRINGS, COMMAND_STRINGS)
    strings.update({f"op_{op.value}": LABELS.get(op.value, op.value) for op in OperationType})
    can = _capabilities(principal)
    config = {
        "timezone": settings.display_timezone,
        "stale_minutes": settings.ais_stale_minutes,
        "lost_minutes": settings.ais_lost_minutes,
        "center": [122.3, 30.0],
        "zoom": 9,
        "can": can,
        "alert_poll_s": 5,
    }
    return render(
        request,
        "sea/live.html",
        stale_minutes=f"{settings.ais_stale_minutes:g}",
        can=can,
        alert_kinds=list(ALERT_KIND_MSGIDS.items()),
        alert_levels=list(ALERT_LEVEL_MSGIDS.items()),
        strings=_json(strings),
        config=_json(config),
    )


@router.get("/sea/typhoons", response_class=HTMLResponse)
def typhoon_page(
    request: Request,
    settings: AppSettings,
    principal: Annotated[Principal, Depends(require(Permission.ALERT_READ))],
) -> Response:
    """防台: typhoons, their warning areas and the vessels inside, recall orders and the roll-call board."""
    can = _capabilities(principal)
    config = {"timezone": settings.display_timezone, "center": [122.6, 29.6], "zoom": 7, "can": can, "poll_s": 5}
    return render(
        request,
        "sea/typhoons.html",
        can=can,
        strings=_json(_catalog_strings(request, SEA_STRINGS, COMMAND_STRINGS)),
        config=_json(config),
    )


@router.get("/sea/areas", response_class=HTMLResponse)
def areas_page(
    request: Request,
    settings: AppSettings,
    principal: Annotated[Principal, Depends(require(Permission.ALERT_READ))],
) -> Response:
    """限制水域: restricted waters on a map, drawn by clicking corners or imported as GeoJSON, and retired."""
    can = _capabilities(principal)
    config = {"timezone": settings.display_timezone, "center": [122.3, 30.0], "zoom": 9, "can": can}
    return render(
        request,
        "sea/areas.html",
        can=can,
        area_kinds=[(k.value, m) for k, m in AREA_KIND_MSGIDS.items() if k not in _GRID_KINDS],
        strings=_json(_catalog_strings(request, SEA_STRINGS, COMMAND_STRINGS)),
        config=_json(config),
    )


# Sea grids have their own editor (the grids issue); the restricted-waters editor offers the other kinds.
_GRID_KINDS = frozenset({AreaKind.STATIC, AreaKind.CONTROL, AreaKind.PATROL})
