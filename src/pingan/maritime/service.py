"""Live views over the running pipeline: target lists, a target's card, counts per sea grid and port, layers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import shapely
from sqlalchemy.orm import Session

from pingan.auth.principal import Principal
from pingan.errors import NotFound, ValidationFailed
from pingan.fleet import service as fleet_service
from pingan.kit.masking import mask_mobile
from pingan.maritime import history
from pingan.maritime.classify import TargetClass, target_kind
from pingan.maritime.runtime import MaritimeRuntime, in_boxes
from pingan.maritime.tracks import CLASS_CODES, SOURCE_CODES

MAX_TRACK_SPAN = timedelta(days=7)
GROUP_REACH_DEG = 0.1  # about 10 km: a production group fishes within a few nautical miles


class BadRange(ValidationFailed):
    """A track range that is empty, reversed or too long."""


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _num(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 6)


def targets(
    runtime: MaritimeRuntime, *, now: datetime, since: int = 0, classes: set[str] | None = None
) -> dict[str, Any]:
    """Every target (or those changed after `since`), positions dead-reckoned to `now`."""
    pipeline = runtime.pipeline
    s = runtime.settings
    with pipeline.lock:
        view = pipeline.tracks.view(now.timestamp(), since_seq=since)
        seq = pipeline.tracks.seq
        statics = {int(k): pipeline.statics.get(int(k)) for k in view["key"]}
    registry = runtime.registry
    in_port = in_boxes(view["reported_lon"], view["reported_lat"], runtime.port_boxes)
    age = now.timestamp() - view["observed_at"]
    rows = []
    for i in range(view["key"].size):
        cls = CLASS_CODES[int(view["target_class"][i])]
        if classes and cls.value not in classes:
            continue
        key = int(view["key"][i])
        vessel_id = int(view["vessel_id"][i])
        static = statics.get(key) or {}
        names = registry.names.get(vessel_id)
        kind = target_kind(names is not None, static.get("ship_type"), cls, int(view["msg_type"][i]))
        if age[i] > s.ais_lost_minutes * 60:
            state = "lost"
        elif age[i] > s.ais_stale_minutes * 60:
            state = "stale"
        else:
            state = "in_port" if in_port[i] else "at_sea"
        status = int(view["nav_status"][i])
        rows.append(
            {
                "key": key,
                "mmsi": key if key > 0 else None,
                "vessel_id": vessel_id if vessel_id >= 0 else None,
                "class": cls.value,
                "kind": kind,
                "state": state,
                "lon": _num(view["lon"][i]),
                "lat": _num(view["lat"][i]),
                "sog_kn": _num(view["sog_kn"][i]),
                "cog_deg": _num(view["cog_deg"][i]),
                "heading_deg": _num(view["heading_deg"][i]),
                "nav_status": status if status >= 0 else None,
                "observed_at": _iso(float(view["observed_at"][i])),
                "source": SOURCE_CODES[int(view["source"][i])].value,
                "name": names[0] if names else static.get("shipname"),
                "registration_no": names[1] if names else None,
                "group_id": registry.group_of.get(vessel_id) if vessel_id >= 0 else None,
            }
        )
    return {"seq": seq, "now": now.isoformat(), "targets": rows}


def card(runtime: MaritimeRuntime, session: Session, key: int, *, now: datetime, actor: Principal) -> dict[str, Any]:
    """A target's card: live state, AIS static data, and, when the viewer may see it, its vessel file."""
    found = [t for t in targets(runtime, now=now)["targets"] if t["key"] == key]
    if not found:
        raise NotFound(f"no target {key} on the live picture")
    target = found[0]
    with runtime.pipeline.lock:
        static = dict(runtime.pipeline.statics.get(key, {}))
        last = list(runtime.pipeline.last_reports.get(key, []))
    body: dict[str, Any] = {
        "target": target,
        "static": static,
        "vessel": None,
        "group": None,
        "cadres": [],
        "last_reports": [{**r, "observed_at": r["observed_at"].isoformat()} for r in reversed(last)],
    }
    vessel_id = target["vessel_id"]
    if vessel_id is None:
        return body
    try:
        vessel = fleet_service.get_vessel(session, vessel_id, actor=actor)
    except NotFound:
        return body  # outside the viewer's scope: the live picture only
    body["vessel"] = {
        "id": vessel.id,
        "name": vessel.name,
        "registration_no": vessel.registration_no,
        "operation_type": str(vessel.operation_type),
        "home_port": vessel.home_port.name if vessel.home_port else None,
        "url": f"/fleet/vessels/{vessel.id}",
    }
    groups = fleet_service.current_groups(session, [vessel.id])
    if vessel.id in groups:
        group, _ = groups[vessel.id]
        members = sum(1 for g in runtime.registry.group_of.values() if g == group.id)
        body["group"] = {"id": group.id, "code": group.code, "name": group.name, "members": members}
    cipher = runtime.settings.field_cipher()
    body["cadres"] = [
        {
            "name": cadre.name,
            "role": cadre.title,
            "phone": mask_mobile(cipher.decrypt(cadre.phone_enc)) if cadre.phone_enc else None,
        }
        for cadre, _ in fleet_service.current_cadre_links(session, [vessel.id])
    ]
    return body


def track(runtime: MaritimeRuntime, key: int, *, start: datetime, end: datetime) -> dict[str, Any]:
    """One target's reports between two instants, from the history store plus what is still buffered."""
    if start.tzinfo is None or end.tzinfo is None:
        raise BadRange("start and end need a UTC offset")
    if end <= start or end - start > MAX_TRACK_SPAN:
        raise BadRange("the range must be forward and at most 7 days long")
    runtime.pipeline.flush()  # a replay right after a report must see it
    rows = history.read_track(
        runtime.settings.ais_history_dir or runtime.settings.data_dir, key=key, start=start, end=end
    )
    points = [
        {
            "t": r["observed_at"].isoformat(),
            "lon": r["lon"],
            "lat": r["lat"],
            "sog_kn": None if r["sog_kn"] is None else round(float(r["sog_kn"]), 1),
            "cog_deg": None if r["cog_deg"] is None else round(float(r["cog_deg"]), 1),
        }
        for r in rows
    ]
    return {"key": key, "points": points}


def counts(runtime: MaritimeRuntime, *, now: datetime) -> dict[str, Any]:
    """Targets per class, vessels in port and at sea, vessels per sea grid, and the ingest counters."""
    live = targets(runtime, now=now)["targets"]
    by_class: dict[str, int] = {}
    for t in live:
        by_class[t["class"]] = by_class.get(t["class"], 0) + 1
    vessels = [t for t in live if t["class"] == TargetClass.VESSEL.value and t["state"] in ("in_port", "at_sea")]
    at_sea = [t for t in vessels if t["state"] == "at_sea"]
    lon = np.array([t["lon"] for t in at_sea], dtype=np.float64)
    lat = np.array([t["lat"] for t in at_sea], dtype=np.float64)
    per_grid = []
    for grid in runtime.sea_grids:
        inside = int(shapely.contains_xy(grid.geometry, lon, lat).sum()) if lon.size else 0
        per_grid.append({"code": grid.code, "name": grid.name, "family": grid.family, "vessels": inside})
    status = runtime.status()
    return {
        "by_class": by_class,
        "vessels": {"in_port": len(vessels) - len(at_sea), "at_sea": len(at_sea)},
        "by_sea_grid": per_grid,
        "ingest": {**status["ingest"], "targets": status["targets"]},
    }


def layers(runtime: MaritimeRuntime, *, now: datetime) -> dict[str, Any]:
    """GeoJSON layers: ports, sea grids, and group outlines (the hull of each group's members at sea)."""

    def feature(geometry: shapely.Geometry, props: dict[str, Any]) -> dict[str, Any]:
        return {"type": "Feature", "geometry": shapely.geometry.mapping(geometry), "properties": props}

    ports = [feature(p.geometry, {"code": p.code, "name": p.name, "kind": p.kind}) for p in runtime.ports]
    grids = [feature(g.geometry, {"code": g.code, "name": g.name, "family": g.family}) for g in runtime.sea_grids]
    members: dict[int, list[tuple[float, float]]] = {}
    for t in targets(runtime, now=now)["targets"]:
        if t["group_id"] is not None and t["state"] == "at_sea":
            members.setdefault(t["group_id"], []).append((t["lon"], t["lat"]))
    outlines = []
    for group_id, points in members.items():
        # The outline is the hull of the members working together: those within GROUP_REACH_DEG of the group's
        # median position, so a member still steaming out or home does not stretch it across the sea.
        xy = np.array(points)
        centre = np.median(xy, axis=0)
        near = xy[np.hypot(*(xy - centre).T) <= GROUP_REACH_DEG]
        if len(near) < 2:
            continue
        hull = shapely.convex_hull(shapely.multipoints(near)).buffer(0.004)
        code, name = runtime.registry.groups.get(group_id, ("", ""))
        outlines.append(feature(hull, {"id": group_id, "code": code, "name": name, "members": len(near)}))
    return {
        "ports": {"type": "FeatureCollection", "features": ports},
        "sea_grids": {"type": "FeatureCollection", "features": grids},
        "groups": {"type": "FeatureCollection", "features": outlines},
    }
