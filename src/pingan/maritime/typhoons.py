"""防台: typhoons entered or loaded by an operator, recall orders, and the roll-call board (动态点验).

An operator enters a typhoon (track points with wind radii, or a circle) or loads the simulator's / a forecast
file; the platform lists the vessels at sea inside the warning area; a recall order notifies each recalled
vessel's cadres and keeps, per vessel, whether it is at sea, in port or sheltered, with a completion timeline,
until every vessel is in. Services flush, never commit.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.cases.models import InboxMessage
from pingan.errors import NotFound, ValidationFailed
from pingan.fleet.models import Cadre, CadreLink, GroupMembership, Vessel
from pingan.maritime.models import RecallOrder, RollCallEntry, RollCallPoint, Typhoon
from pingan.maritime.rules import Picture
from pingan.maritime.typhoon import Typhoon as TyphoonTrack
from pingan.maritime.typhoon import typhoon_from_json, vessels_at_sea_inside, warning_area

DEFAULT_LEAD_S = 24 * 3600.0  # the warning area covers the next 24 hours of the forecast track


def track_of(row: Typhoon) -> TyphoonTrack:
    """The pure typhoon of a stored row."""
    return typhoon_from_json({"name": row.name, "points": row.track})


def create_typhoon(session: Session, body: dict[str, Any], *, actor: Principal, now: datetime) -> Typhoon:
    """Store a typhoon from its JSON (see :func:`pingan.maritime.typhoon.typhoon_from_json` for the shapes)."""
    actor.require(Permission.ALERT_COMMAND)
    try:
        parsed = typhoon_from_json(body)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValidationFailed(f"not a typhoon: {exc}", code="bad_typhoon") from exc
    points = [
        {
            "at": datetime.fromtimestamp(p.at, UTC).isoformat(),
            "lon": p.lon,
            "lat": p.lat,
            "radius_7_km": p.radius_7_m / 1000.0,
            **({"radius_10_km": p.radius_10_m / 1000.0} if np.isfinite(p.radius_10_m) else {}),
        }
        for p in parsed.points
    ]
    row = Typhoon(name=parsed.name[:40], track=points, created_at=now, created_by_id=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="typhoon.create",
        now=now,
        object_type="typhoon",
        object_id=row.id,
        details={"name": row.name, "points": len(points)},
    )
    return row


def get_typhoon(session: Session, typhoon_id: int) -> Typhoon:
    """One typhoon (404 when unknown)."""
    row = session.get(Typhoon, typhoon_id)
    if row is None:
        raise NotFound(f"no typhoon {typhoon_id}")
    return row


def area_of(row: Typhoon, *, now: datetime, lead_s: float = DEFAULT_LEAD_S) -> Any:
    """The warning area (force-7 circles swept along the track over the lead time) as a Shapely geometry."""
    track = track_of(row)
    start = max(now.timestamp(), track.points[0].at) if len(track.points) > 1 else now.timestamp()
    return warning_area(track, start, lead_s)


def active_warning_areas(session: Session, *, now: datetime) -> list[tuple[str, Any]]:
    """(name, warning area) of every typhoon not ended."""
    rows = session.scalars(select(Typhoon).where(Typhoon.ended_at.is_(None)))
    return [(row.name, area_of(row, now=now)) for row in rows]


def exposure(picture: Picture, area: Any) -> list[int]:
    """Track keys of the registered vessels at sea inside the area."""
    keys = vessels_at_sea_inside(picture, area)
    registered = set(picture.key[picture.vessel_id >= 0].tolist())
    return [int(k) for k in keys.tolist() if int(k) in registered]


def issue_recall(
    session: Session, typhoon_id: int, picture: Picture, *, actor: Principal, now: datetime, message: str = ""
) -> RecallOrder:
    """Recall every registered vessel at sea inside the typhoon's warning area and tell their cadres."""
    actor.require(Permission.ALERT_COMMAND)
    row = get_typhoon(session, typhoon_id)
    area = area_of(row, now=now)
    keys = exposure(picture, area)
    vessel_of = {int(k): int(v) for k, v in zip(picture.key, picture.vessel_id, strict=True) if v >= 0}
    text = message.strip() or f"【防台撤离】台风“{row.name}”逼近，请立即组织所联系渔船回港避风。"
    order = RecallOrder(
        typhoon_id=row.id,
        issued_at=now,
        issued_by_id=actor.user_id,
        area_wkb=shapely.to_wkb(area),
        message=text[:1000],
        status="open",
    )
    session.add(order)
    session.flush()
    vessel_ids = sorted({vessel_of[k] for k in keys})
    units = (
        dict(session.execute(select(Vessel.id, Vessel.home_unit_id).where(Vessel.id.in_(vessel_ids))).all())
        if vessel_ids
        else {}
    )
    groups = (
        dict(
            session.execute(
                select(GroupMembership.vessel_id, GroupMembership.group_id).where(
                    GroupMembership.vessel_id.in_(vessel_ids), GroupMembership.left_at.is_(None)
                )
            ).all()
        )
        if vessel_ids
        else {}
    )
    key_of = {v: k for k, v in vessel_of.items()}
    for vessel_id in vessel_ids:
        session.add(
            RollCallEntry(
                order_id=order.id,
                vessel_id=vessel_id,
                target_key=key_of[vessel_id],
                unit_id=units[vessel_id],
                group_id=groups.get(vessel_id),
                status="at_sea",
                status_at=now,
            )
        )
    told: set[int] = set()
    if vessel_ids:
        links = session.execute(
            select(Cadre.user_id, CadreLink.vessel_id)
            .join(CadreLink, CadreLink.cadre_id == Cadre.id)
            .where(CadreLink.vessel_id.in_(vessel_ids), CadreLink.until.is_(None), Cadre.user_id.is_not(None))
        )
        per_user: Counter[int] = Counter(int(u) for u, _ in links)
        for user_id, count in per_user.items():
            session.add(
                InboxMessage(
                    user_id=user_id,
                    case_id=None,
                    kind="recall",
                    message=f"{text}（您联系的 {count} 艘）"[:400],
                    created_at=now,
                )
            )
            told.add(user_id)
    session.add(
        RollCallPoint(order_id=order.id, at=now, total=len(vessel_ids), in_port=0, sheltered=0, at_sea=len(vessel_ids))
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="typhoon.recall",
        now=now,
        object_type="recall_order",
        object_id=order.id,
        details={"typhoon": row.name, "vessels": len(vessel_ids), "cadres": len(told)},
    )
    return order


def update_roll_calls(session: Session, picture: Picture, *, now: datetime) -> int:
    """Mark the recalled vessels of every open order from the picture; return how many orders changed."""
    orders = list(session.scalars(select(RecallOrder).where(RecallOrder.status == "open")))
    if not orders or not picture.size:
        return 0
    row_of = {int(k): i for i, k in enumerate(picture.key.tolist())}
    changed = 0
    for order in orders:
        entries = list(session.scalars(select(RollCallEntry).where(RollCallEntry.order_id == order.id)))
        moved = False
        for entry in entries:
            i = row_of.get(int(entry.target_key))
            if i is None:
                continue
            status = "in_port" if bool(picture.in_port[i]) else "at_sea"
            if status != entry.status:
                entry.status, entry.status_at = status, now
                moved = True
        if not moved:
            continue
        counts = Counter(e.status for e in entries)
        session.add(
            RollCallPoint(
                order_id=order.id,
                at=now,
                total=len(entries),
                in_port=counts["in_port"],
                sheltered=counts["sheltered"],
                at_sea=counts["at_sea"],
            )
        )
        if counts["at_sea"] == 0:
            order.status, order.completed_at = "complete", now
        changed += 1
    session.flush()
    return changed


def board(session: Session, order_id: int) -> dict[str, Any]:
    """The roll-call board: totals, per township and per group, the vessels still out, and the timeline."""
    order = session.get(RecallOrder, order_id)
    if order is None:
        raise NotFound(f"no recall order {order_id}")
    from pingan.fleet.models import VesselGroup
    from pingan.org.models import OrgUnit

    rows = session.execute(
        select(RollCallEntry, Vessel.name, Vessel.registration_no, OrgUnit.name, VesselGroup.code)
        .join(Vessel, Vessel.id == RollCallEntry.vessel_id)
        .join(OrgUnit, OrgUnit.id == RollCallEntry.unit_id)
        .outerjoin(VesselGroup, VesselGroup.id == RollCallEntry.group_id)
        .where(RollCallEntry.order_id == order_id)
    ).all()
    by_township: dict[str, Counter[str]] = {}
    by_group: dict[str, Counter[str]] = {}
    out = []
    for entry, name, reg, township, group in rows:
        by_township.setdefault(township, Counter())[entry.status] += 1
        by_group.setdefault(group or "—", Counter())[entry.status] += 1
        if entry.status == "at_sea":
            out.append(
                {
                    "vessel_id": entry.vessel_id,
                    "name": name,
                    "registration_no": reg,
                    "township": township,
                    "group": group,
                    "key": entry.target_key,
                }
            )
    total = len(rows)
    done = total - len(out)
    points = session.scalars(select(RollCallPoint).where(RollCallPoint.order_id == order_id).order_by(RollCallPoint.at))
    return {
        "order": {
            "id": order.id,
            "typhoon_id": order.typhoon_id,
            "issued_at": order.issued_at.isoformat(),
            "status": order.status,
            "completed_at": order.completed_at.isoformat() if order.completed_at else None,
            "message": order.message,
        },
        "total": total,
        "done": done,
        "share": round(done / total, 4) if total else 1.0,
        "by_township": [{"name": k, **_split(v)} for k, v in sorted(by_township.items())],
        "by_group": [{"code": k, **_split(v)} for k, v in sorted(by_group.items())],
        "still_at_sea": out,
        "timeline": [
            {
                "at": p.at.isoformat(),
                "total": p.total,
                "in_port": p.in_port,
                "sheltered": p.sheltered,
                "at_sea": p.at_sea,
            }
            for p in points
        ],
    }


def _split(c: Counter[str]) -> dict[str, int]:
    return {"in_port": c["in_port"], "sheltered": c["sheltered"], "at_sea": c["at_sea"], "total": sum(c.values())}
