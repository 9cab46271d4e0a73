"""Counts of the main entities, for ``pingan stats`` and the home pages; later packages register theirs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditEntry
from pingan.auth.models import ApiToken, Role, User, WebSession
from pingan.cases.models import Case
from pingan.config import Settings
from pingan.fleet.models import Alert, AlertStatus, Cadre, CadreLink, RectificationTask, TaskStatus, Vessel, VesselGroup
from pingan.grids.models import AdminArea, Island, LandGrid, MobileGrid, SeaGrid, SeaGridFamily, TeamMember
from pingan.org.models import OrgUnit
from pingan.people.models import Building, Household, Resident

Counter = Callable[[Session], int]
COUNTERS: dict[str, Counter] = {}
LABELS: dict[str, str] = {}  # gettext msgids shown on pages


def N_(message: str) -> str:
    """Mark a label for the catalog; it is translated when rendered."""
    return message


def register(name: str, counter: Counter, label: str) -> None:
    """Add a named count (e.g. ``grids``, ``vessels``) to the stats, with its page label."""
    COUNTERS[name] = counter
    LABELS[name] = label


def _count(column: object, *where: object) -> Counter:
    def run(session: Session) -> int:
        return int(session.scalar(select(func.count(column)).where(*where)) or 0)  # type: ignore[arg-type]

    return run


register("org_units", _count(OrgUnit.id), N_("Organisation units"))
register("users", _count(User.id), N_("Accounts"))
register("roles", _count(Role.id), N_("Roles"))
register("web_sessions_open", _count(WebSession.id, WebSession.revoked_at.is_(None)), N_("Open sessions"))
register("api_tokens_live", _count(ApiToken.id, ApiToken.revoked_at.is_(None)), N_("Live API tokens"))
register("audit_rows", _count(AuditEntry.id), N_("Audit rows"))
register("admin_areas", _count(AdminArea.unit_id), N_("Administrative areas"))
register("islands", _count(Island.id), N_("Islands"))
register("land_grids", _count(LandGrid.id), N_("Land grids"))
register("sea_grids_static", _count(SeaGrid.id, SeaGrid.family == SeaGridFamily.STATIC), N_("Static sea grids"))
register("sea_grids_control", _count(SeaGrid.id, SeaGrid.family == SeaGridFamily.CONTROL), N_("Control sea grids"))
register("sea_grids_patrol", _count(SeaGrid.id, SeaGrid.family == SeaGridFamily.PATROL), N_("Patrol sea grids"))
register("mobile_grids", _count(MobileGrid.id), N_("Mobile grids"))
register("team_members", _count(TeamMember.id), N_("Team members"))
register("buildings", _count(Building.id), N_("Buildings"))
register("households", _count(Household.id), N_("Households"))
register("residents", _count(Resident.id), N_("Residents"))
register("vessels", _count(Vessel.id, Vessel.is_active.is_(True)), N_("Vessels"))
register("vessel_groups", _count(VesselGroup.id, VesselGroup.is_active.is_(True)), N_("Vessel groups"))
register("cadres", _count(Cadre.id), N_("Cadres"))
register(
    "vessels_without_cadre",
    _count(
        Vessel.id,
        Vessel.is_active.is_(True),
        ~exists().where(CadreLink.vessel_id == Vessel.id, CadreLink.until.is_(None)),
    ),
    N_("Vessels without a cadre"),
)
register("cases", _count(Case.id), N_("Cases"))
register("cases_open", _count(Case.id, Case.is_open.is_(True)), N_("Open cases"))
register("cases_overdue", _count(Case.id, Case.is_open.is_(True), Case.is_overdue.is_(True)), N_("Overdue open cases"))
register(
    "open_rectifications",
    _count(RectificationTask.id, RectificationTask.status == TaskStatus.OPEN),
    N_("Open rectification tasks"),
)


def _overdue_rectifications(session: Session) -> int:
    from pingan.kit.clock import to_local, utcnow

    today = to_local(utcnow()).date()  # deadlines are local days
    where = (RectificationTask.status == TaskStatus.OPEN, RectificationTask.deadline < today)
    return _count(RectificationTask.id, *where)(session)


register("overdue_rectifications", _overdue_rectifications, N_("Overdue rectification tasks"))
register("open_alerts", _count(Alert.id, Alert.status != AlertStatus.CLOSED), N_("Open alerts"))


def collect(session: Session) -> dict[str, int]:
    """Every registered count, by name."""
    return {name: counter(session) for name, counter in COUNTERS.items()}


def live_positions(settings: Settings) -> dict[str, Any]:
    """Live target counts, ingest counters and the alert lanes' health from the running pipeline's status file.

    The pipeline runs in `pingan serve` / `pingan demo` / `pingan ais listen`; it rewrites the file every few
    seconds. Without a fresh file the figures are zero and ``ais_live`` is false. ``alert_<lane>_*`` (lanes
    ``fast`` and ``full``) count the passes, failed passes and events waiting of each alert lane, with the median
    and longest of its last 100 passes in milliseconds; zero where the process runs no alert rules.
    """
    from pingan.maritime.runtime import read_status

    status = read_status(settings.data_dir)
    live = bool(status and status.get("live"))
    targets = (status or {}).get("targets", {}) if live else {}
    ingest = (status or {}).get("ingest", {}) if live else {}
    refused = ingest.get("rejected", {})
    return {
        "ais_live": live,
        "ais_targets": int(targets.get("total", 0)),
        "ais_vessels": int(targets.get("vessel", 0)),
        "ais_net_beacons": int(targets.get("net_beacon", 0)),
        "ais_lines": int(ingest.get("lines", 0)),
        "ais_messages": int(ingest.get("messages", 0)),
        "ais_lines_refused": int(sum(refused.values())),
        "ais_positions_refused": int(sum(ingest.get("positions_refused", {}).values())),
        "ais_rate_per_s": float(ingest.get("rate_per_s", 0.0)),
        **alert_lanes((status or {}).get("alert_lanes", {}) if live else {}),
    }


def alert_lanes(lanes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The alert lanes' figures of a status file, flat, zero where missing.

    >>> alert_lanes({"fast": {"passes": 12, "failures": 0, "pending": 0, "pass_ms_p50": 9.5, "pass_ms_max": 40.1}})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'alert_fast_passes': 12, 'alert_fast_failures': 0, 'alert_fast_pending': 0, 'alert_fast_pass_ms_p50': 9.5,
     'alert_fast_pass_ms_max': 40.1, 'alert_full_passes': 0, 'alert_full_failures': 0, 'alert_full_pending': 0,
     'alert_full_pass_ms_p50': 0.0, 'alert_full_pass_ms_max': 0.0}
    """
    out: dict[str, Any] = {}
    for lane in ("fast", "full"):
        figures = lanes.get(lane) or {}
        for name in ("passes", "failures", "pending"):
            out[f"alert_{lane}_{name}"] = int(figures.get(name) or 0)
        for name in ("pass_ms_p50", "pass_ms_max"):
            out[f"alert_{lane}_{name}"] = float(figures.get(name) or 0.0)
    return out
