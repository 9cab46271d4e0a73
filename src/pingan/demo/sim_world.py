"""The simulator's world from the database: vessels, their live AIS and BeiDou terminals, groups, ports, sea grids."""

from __future__ import annotations

from typing import Any

import shapely  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.demo.simulator import SimArea, SimPort, SimWorld
from pingan.errors import NotFound
from pingan.fleet.models import GroupMembership, Port, Terminal, TerminalKind, Vessel, VesselGroup
from pingan.grids.models import SeaGrid

_AIS_CLASS = {TerminalKind.AIS_A.value: "A", TerminalKind.AIS_B.value: "B"}


def build_world(session: Session) -> SimWorld:
    """Read the active vessels with their current terminals and groups, the ports and the sea grids.

    Raises :class:`pingan.errors.NotFound` when there is no vessel (the demo is not seeded).
    """
    ports = session.execute(
        select(
            Port.id, Port.code, Port.name, Port.kind, Port.min_lon, Port.min_lat, Port.max_lon, Port.max_lat
        ).order_by(Port.code)
    ).all()
    port_index = {row.id: k for k, row in enumerate(ports)}
    vessels = session.execute(
        select(Vessel.id, Vessel.registration_no, Vessel.length_m, Vessel.operation_type, Vessel.home_port_id)
        .where(Vessel.is_active.is_(True))
        .order_by(Vessel.id)
    ).all()
    if not vessels:
        raise NotFound("no vessels in the database: seed the demo first with 'pingan demo --no-serve'")
    row_of = {row.id: k for k, row in enumerate(vessels)}

    mmsis: list[str | None] = [None] * len(vessels)
    classes = [""] * len(vessels)
    beidou: list[str | None] = [None] * len(vessels)
    live = session.execute(
        select(Terminal.vessel_id, Terminal.kind, Terminal.mmsi, Terminal.device_id)
        .where(Terminal.removed_at.is_(None))
        .order_by(Terminal.installed_at, Terminal.id)
    ).all()
    for vessel_id, kind, mmsi, device_id in live:  # later installations win
        k = row_of.get(vessel_id)
        if k is None:
            continue
        if str(kind) in _AIS_CLASS and mmsi:
            mmsis[k], classes[k] = mmsi, _AIS_CLASS[str(kind)]
        elif str(kind) == TerminalKind.BEIDOU.value and device_id:
            beidou[k] = device_id

    groups = session.execute(
        select(VesselGroup.id, VesselGroup.code, VesselGroup.operation_type, VesselGroup.dispersion_limit_m)
        .where(VesselGroup.is_active.is_(True))
        .order_by(VesselGroup.code)
    ).all()
    group_index = {row.id: k for k, row in enumerate(groups)}
    group_of = [-1] * len(vessels)
    open_memberships = session.execute(
        select(GroupMembership.vessel_id, GroupMembership.group_id).where(GroupMembership.left_at.is_(None))
    ).all()
    for vessel_id, group_id in open_memberships:
        if vessel_id in row_of and group_id in group_index:
            group_of[row_of[vessel_id]] = group_index[group_id]

    grids = session.execute(
        select(SeaGrid.code, SeaGrid.name, SeaGrid.family, SeaGrid.geom_wkb).order_by(SeaGrid.code)
    ).all()
    return SimWorld(
        vessel_ids=[row.id for row in vessels],
        registration_nos=[row.registration_no for row in vessels],
        mmsis=mmsis,
        ais_classes=classes,
        lengths_m=[float(row.length_m) for row in vessels],
        operation_types=[str(row.operation_type) for row in vessels],
        home_ports=[port_index.get(row.home_port_id, -1) for row in vessels],
        groups=group_of,
        beidou_ids=beidou,
        group_codes=[row.code for row in groups],
        group_operation_types=[str(row.operation_type) for row in groups],
        group_limits_m=[float(row.dispersion_limit_m) for row in groups],
        ports=[
            SimPort(row.code, row.name, row.kind, row.min_lon, row.min_lat, row.max_lon, row.max_lat) for row in ports
        ],
        areas=[SimArea(code, name, str(family), _rings(wkb)) for code, name, family, wkb in grids],
    )


def _rings(wkb: bytes) -> list[list[list[tuple[float, float]]]]:
    """Polygons of rings (exterior, then holes) of a WKB polygon or multipolygon."""
    geom: Any = shapely.from_wkb(wkb)
    parts = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
    out = []
    for part in parts:
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        rings = [part.exterior, *part.interiors]
        out.append([[(float(x), float(y)) for x, y, *_ in ring.coords] for ring in rings])
    return out
