"""Restricted waters on file (禁限水域): storing an area drawn or imported in the map editor.

The rules engine reads them back as :class:`~pingan.maritime.geofence.Area` (``engine.load_reference``).
"""

from __future__ import annotations

from datetime import datetime

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.maritime.geofence import Area
from pingan.maritime.models import RestrictedArea


def save_area(session: Session, area: Area, *, now: datetime, created_by_id: int | None = None) -> bool:
    """Add an area, or replace the one with its code (made active again); return True when it is new."""
    row = session.scalar(select(RestrictedArea).where(RestrictedArea.code == area.code))
    minx, miny, maxx, maxy = area.geometry.bounds
    values = {
        "name": area.name,
        "kind": str(area.kind),
        "geom_wkb": shapely.to_wkb(area.geometry),
        "min_lon": minx,
        "min_lat": miny,
        "max_lon": maxx,
        "max_lat": maxy,
        "rules": {
            "alert_on_enter": area.rules.alert_on_enter,
            "alert_on_exit": area.rules.alert_on_exit,
            "max_dwell_s": area.rules.max_dwell_s,
            "applies_to": sorted(area.rules.applies_to),
            "level": int(area.rules.level),
        },
        "is_active": True,
    }
    if row is None:
        session.add(RestrictedArea(code=area.code, created_at=now, created_by_id=created_by_id, **values))
        return True
    for k, v in values.items():
        setattr(row, k, v)
    return False
