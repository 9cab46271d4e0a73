"""HTTP API of maritime command: the alert console, acknowledgement and resolution, typhoons and recall orders,
restricted waters, alert policies, and "who is near" a position."""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select

from pingan.audit import service as audit
from pingan.auth.models import User
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.deps import DbSession, require
from pingan.errors import Conflict, NotFound, ValidationFailed
from pingan.fleet.models import Alert, AlertStatus, Cadre
from pingan.kit.clock import utcnow
from pingan.maritime import alerts as service
from pingan.maritime import typhoons
from pingan.maritime.areas import save_area
from pingan.maritime.endpoints import Runtime
from pingan.maritime.engine import build_picture
from pingan.maritime.geofence import areas_from_geojson
from pingan.maritime.models import AlertPolicy, AlertRecipient, RecallOrder, RestrictedArea, Typhoon
from pingan.maritime.tracks import KN_TO_MS, haversine_m
from pingan.org.models import OrgUnit

router = APIRouter(prefix="/api", tags=["maritime command"])
Reader = Annotated[Principal, Depends(require(Permission.ALERT_READ))]
Handler = Annotated[Principal, Depends(require(Permission.ALERT_HANDLE))]
Commander = Annotated[Principal, Depends(require(Permission.ALERT_COMMAND))]
SeaReader = Annotated[Principal, Depends(require(Permission.MARITIME_READ))]


def alert_out(alert: Alert) -> dict[str, Any]:
    """An alert as the console shows it."""
    return {
        "id": alert.id,
        "kind": alert.kind,
        "level": alert.level,
        "status": str(alert.status),
        "message": alert.message,
        "subject": alert.subject,
        "target_key": alert.target_key,
        "vessel_id": alert.vessel_id,
        "unit_id": alert.unit_id,
        "sea_grid_code": alert.sea_grid_code,
        "lon": alert.lon,
        "lat": alert.lat,
        "raised_at": alert.raised_at.isoformat(),
        "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
        "escalated_at": alert.escalated_at.isoformat() if alert.escalated_at else None,
        "cleared_at": alert.cleared_at.isoformat() if alert.cleared_at else None,
        "closed_at": alert.closed_at.isoformat() if alert.closed_at else None,
        "case_number": alert.case_number,
        "details": alert.details,
    }


def _scoped(stmt: Any, actor: Principal) -> Any:
    if actor.visibility.everything:
        return stmt
    paths = sorted(actor.visibility.subtree_paths)
    units = sorted(actor.visibility.unit_ids)
    conditions = [OrgUnit.path.startswith(p) for p in paths] + ([OrgUnit.id.in_(units)] if units else [])

    addressed = select(AlertRecipient.alert_id).where(AlertRecipient.user_id == actor.user_id)
    return stmt.outerjoin(OrgUnit, OrgUnit.id == Alert.unit_id).where(or_(Alert.id.in_(addressed), *conditions))


@router.get("/alerts", summary="The alert console: filter by kind, level, sea grid, state and vessel")
def list_alerts(
    session: DbSession,
    actor: Reader,
    kind: Annotated[str | None, Query(max_length=30)] = None,
    level: Annotated[int | None, Query(ge=1, le=4, description="At least this level")] = None,
    grid: Annotated[str | None, Query(max_length=20, description="Sea grid code")] = None,
    state: Annotated[str | None, Query(pattern="^(open|acknowledged|closed|active)$")] = None,
    vessel_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    stmt = select(Alert).where(Alert.subject.is_not(None) | (Alert.kind == "report_overdue"))
    if kind:
        stmt = stmt.where(Alert.kind == kind)
    if level:
        stmt = stmt.where(Alert.level >= level)
    if grid:
        stmt = stmt.where(Alert.sea_grid_code == grid)
    if state == "active":
        stmt = stmt.where(Alert.status != AlertStatus.CLOSED)
    elif state:
        stmt = stmt.where(Alert.status == state)
    if vessel_id:
        stmt = stmt.where(Alert.vessel_id == vessel_id)
    stmt = _scoped(stmt, actor)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Alert.level.desc(), Alert.raised_at.desc()).limit(limit))
    return {"total": int(total), "alerts": [alert_out(a) for a in rows]}


@router.get("/alerts/{alert_id}", summary="One alert with its timeline and addressees")
def get_alert(alert_id: int, session: DbSession, actor: Reader) -> dict[str, Any]:
    alert = service.get_alert(session, alert_id, actor=actor)
    steps = service.timeline(session, alert)
    recipients = service.recipients(session, alert)
    # Names for the console's card: who was told, and who did each step.
    user_ids = {s.actor_id for s in steps} | {r.user_id for r in recipients}
    cadre_ids = {r.cadre_id for r in recipients if r.cadre_id is not None}
    user_names = (
        dict(session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids - {None}))).all())
        if user_ids - {None}
        else {}
    )
    cadre_names = (
        dict(session.execute(select(Cadre.id, Cadre.name).where(Cadre.id.in_(cadre_ids))).all()) if cadre_ids else {}
    )
    return {
        **alert_out(alert),
        "timeline": [
            {
                "at": s.at.isoformat(),
                "action": str(s.action),
                "actor_id": s.actor_id,
                "actor_name": user_names.get(s.actor_id) if s.actor_id is not None else None,
                "note": s.note,
                "details": s.details,
            }
            for s in steps
        ],
        "recipients": [
            {
                "user_id": r.user_id,
                "user_name": user_names.get(r.user_id) if r.user_id is not None else None,
                "cadre_id": r.cadre_id,
                "cadre_name": cadre_names.get(r.cadre_id) if r.cadre_id is not None else None,
                "role": str(r.role),
                "notified_at": r.notified_at.isoformat(),
            }
            for r in recipients
        ],
    }


class NoteIn(BaseModel):
    """A short note for acknowledging or resolving."""

    model_config = ConfigDict(extra="forbid")
    note: str = Field(default="", max_length=2000)


@router.post("/alerts/{alert_id}/acknowledge", summary="签收: acknowledge an alert (stops its escalation clock)")
def acknowledge(alert_id: int, body: NoteIn, session: DbSession, actor: Handler) -> dict[str, Any]:
    return alert_out(service.acknowledge(session, alert_id, actor=actor, now=utcnow(), note=body.note))


@router.post("/alerts/{alert_id}/resolve", summary="处置完毕: resolve an alert with what was done")
def resolve(alert_id: int, body: NoteIn, session: DbSession, actor: Handler) -> dict[str, Any]:
    return alert_out(service.resolve(session, alert_id, actor=actor, now=utcnow(), note=body.note))


# ---------------------------------------------------------------- typhoons and recall orders


@router.post("/typhoons", status_code=201, summary="Enter or load a typhoon (track with wind radii, or a circle)")
def create_typhoon(body: dict[str, Any], session: DbSession, actor: Commander) -> dict[str, Any]:
    row = typhoons.create_typhoon(session, body, actor=actor, now=utcnow())
    return {"id": row.id, "name": row.name, "track": row.track}


@router.get("/typhoons", summary="Typhoons, newest first")
def list_typhoons(session: DbSession, _: Reader) -> list[dict[str, Any]]:
    rows = session.scalars(select(Typhoon).order_by(Typhoon.id.desc()).limit(50))
    return [{"id": t.id, "name": t.name, "track": t.track, "ended_at": t.ended_at} for t in rows]


@router.get("/typhoons/{typhoon_id}/exposure", summary="The warning area and the vessels at sea inside it")
def typhoon_exposure(typhoon_id: int, session: DbSession, runtime: Runtime, _: Reader) -> dict[str, Any]:
    row = typhoons.get_typhoon(session, typhoon_id)
    now = utcnow()
    area = typhoons.area_of(row, now=now)
    picture = build_picture(runtime, now)
    keys = typhoons.exposure(picture, area)
    names = runtime.registry.names
    row_of = {int(k): i for i, k in enumerate(picture.key.tolist())}
    vessel_of = {int(k): int(v) for k, v in zip(picture.key, picture.vessel_id, strict=True)}
    return {
        "typhoon": {"id": row.id, "name": row.name},
        "area": shapely.geometry.mapping(area),
        "vessels": [
            {
                "key": k,
                "vessel_id": vessel_of[k],
                "name": names.get(vessel_of[k], ("", "", ""))[0],
                "lon": round(float(picture.lon[row_of[k]]), 6),
                "lat": round(float(picture.lat[row_of[k]]), 6),
            }
            for k in keys
        ],
    }


class RecallIn(BaseModel):
    """A recall order's text (a default is written when empty)."""

    model_config = ConfigDict(extra="forbid")
    message: str = Field(default="", max_length=1000)


@router.post("/typhoons/{typhoon_id}/recall", status_code=201, summary="Issue a recall order (防台撤离)")
def recall(typhoon_id: int, body: RecallIn, session: DbSession, runtime: Runtime, actor: Commander) -> dict[str, Any]:
    now = utcnow()
    order = typhoons.issue_recall(
        session, typhoon_id, build_picture(runtime, now), actor=actor, now=now, message=body.message
    )
    return typhoons.board(session, order.id)


@router.post("/typhoons/{typhoon_id}/end", summary="The typhoon has passed: stop its warning area")
def end_typhoon(typhoon_id: int, session: DbSession, actor: Commander) -> dict[str, Any]:
    row = typhoons.get_typhoon(session, typhoon_id)
    if row.ended_at is not None:
        raise Conflict(f"typhoon {typhoon_id} has already ended", code="typhoon_ended")
    row.ended_at = utcnow()
    audit.record(session, actor=actor, action="typhoon.end", now=row.ended_at, object_type="typhoon", object_id=row.id)
    return {"id": row.id, "ended_at": row.ended_at.isoformat()}


@router.get("/recalls", summary="Recall orders, newest first")
def list_recalls(session: DbSession, _: Reader) -> list[dict[str, Any]]:
    rows = session.scalars(select(RecallOrder).order_by(RecallOrder.id.desc()).limit(50))
    return [
        {"id": r.id, "typhoon_id": r.typhoon_id, "issued_at": r.issued_at.isoformat(), "status": r.status} for r in rows
    ]


@router.get("/recalls/{order_id}/board", summary="The roll-call board (动态点验) of a recall order")
def recall_board(order_id: int, session: DbSession, _: Reader) -> dict[str, Any]:
    return typhoons.board(session, order_id)


# ---------------------------------------------------------------- restricted waters and policies


@router.get("/restricted-areas", summary="Restricted waters as GeoJSON")
def list_areas(session: DbSession, _: SeaReader) -> dict[str, Any]:
    rows = session.scalars(select(RestrictedArea).where(RestrictedArea.is_active).order_by(RestrictedArea.code))
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(shapely.from_wkb(r.geom_wkb)),
                "properties": {"code": r.code, "name": r.name, "kind": r.kind, **r.rules},
            }
            for r in rows
        ],
    }


@router.post("/restricted-areas", status_code=201, summary="Add or replace restricted waters from GeoJSON")
def import_areas(body: dict[str, Any], session: DbSession, actor: Commander) -> dict[str, Any]:
    try:
        areas = areas_from_geojson(body)
    except ValueError as exc:
        raise ValidationFailed(str(exc), code="bad_geojson") from exc
    now = utcnow()
    for area in areas:
        save_area(session, area, now=now, created_by_id=actor.user_id)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="restricted_area.import",
        now=now,
        object_type="restricted_area",
        details={"codes": [a.code for a in areas]},
    )
    return {"stored": len(areas)}


@router.delete("/restricted-areas/{code}", summary="Retire restricted waters")
def retire_area(code: str, session: DbSession, actor: Commander) -> dict[str, Any]:
    row = session.scalar(select(RestrictedArea).where(RestrictedArea.code == code, RestrictedArea.is_active))
    if row is None:
        raise NotFound(f"no restricted area {code}")
    row.is_active = False
    audit.record(
        session,
        actor=actor,
        action="restricted_area.retire",
        now=utcnow(),
        object_type="restricted_area",
        object_id=code,
    )
    return {"code": code, "is_active": False}


@router.get("/alert-policies", summary="Alert policies per kind")
def list_policies(session: DbSession, _: Reader) -> list[dict[str, Any]]:
    return [_policy_out(p) for p in session.scalars(select(AlertPolicy).order_by(AlertPolicy.kind))]


class PolicyIn(BaseModel):
    """Changes to one kind's policy."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool | None = None
    opens_case: bool | None = None
    case_category: str | None = Field(default=None, pattern=r"^\d{4}$")
    case_min_level: int | None = Field(default=None, ge=1, le=4)
    ack_minutes: int | None = Field(default=None, ge=1, le=1440)


@router.patch("/alert-policies/{kind}", summary="Change one kind's policy")
def update_policy(kind: str, body: PolicyIn, session: DbSession, actor: Commander) -> dict[str, Any]:
    row = session.get(AlertPolicy, kind)
    if row is None:
        raise NotFound(f"no policy for {kind}")
    changes = body.model_dump(exclude_none=True)
    if "case_category" in changes:
        from pingan.cases.models import CaseCategory

        if session.scalar(select(CaseCategory.id).where(CaseCategory.code == changes["case_category"])) is None:
            raise ValidationFailed(f"no case category {changes['case_category']}", code="unknown_category")
    for k, v in changes.items():
        setattr(row, k, v)
    row.updated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="alert_policy.update",
        now=row.updated_at,
        object_type="alert_policy",
        object_id=kind,
        details=changes,
    )
    return _policy_out(row)


def _policy_out(p: AlertPolicy) -> dict[str, Any]:
    return {
        "kind": p.kind,
        "enabled": p.enabled,
        "opens_case": p.opens_case,
        "case_category": p.case_category,
        "case_min_level": p.case_min_level,
        "ack_minutes": p.ack_minutes,
        "params": p.params,
    }


# ---------------------------------------------------------------- who is near


@router.get("/maritime/near", summary="Who is near a position: nearest vessels and patrol boats, with ETA")
def who_is_near(
    runtime: Runtime,
    _: SeaReader,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    assume_kn: Annotated[float, Query(gt=0, le=40, description="Speed for ETA when a vessel is stopped")] = 8.0,
) -> dict[str, Any]:
    now = utcnow()
    picture = build_picture(runtime, now)
    rows = np.flatnonzero((picture.target_class == "vessel") & np.isfinite(picture.lon) & ~picture.in_port)
    found = []
    for i in rows.tolist():
        d = haversine_m(float(picture.lon[i]), float(picture.lat[i]), lon, lat)
        found.append((d, i))
    found.sort()
    out = []
    for d, i in found[:limit]:
        sog = float(picture.sog_kn[i]) if np.isfinite(picture.sog_kn[i]) else 0.0
        speed = max(sog, assume_kn)
        vid = int(picture.vessel_id[i])
        names = runtime.registry.names.get(vid) if vid >= 0 else None
        out.append(
            {
                "key": int(picture.key[i]),
                "vessel_id": vid if vid >= 0 else None,
                "name": names[0] if names else None,
                "kind": str(picture.kind[i]),
                "patrol": bool(names and names[2] == "auxiliary"),
                "range_m": round(d),
                "range_nm": round(d / 1852.0, 2),
                "eta_min": round(d / (speed * KN_TO_MS) / 60.0, 1) if math.isfinite(d) else None,
            }
        )
    return {"lon": lon, "lat": lat, "at": now.isoformat(), "nearest": out}
