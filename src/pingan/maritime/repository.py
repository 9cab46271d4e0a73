"""Queries the position pipeline needs: the vessel index, ports, sea grids, and saving AIS static data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pingan.fleet.models import GroupMembership, Port, Terminal, TerminalKind, Vessel, VesselGroup
from pingan.grids.models import SeaGrid
from pingan.maritime.pipeline import VesselIndex


@dataclass
class Registry:
    """The vessel index plus what the live map shows beside each target (names, groups)."""

    index: VesselIndex = field(default_factory=VesselIndex)
    names: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # vessel id -> (name, reg. no, type)
    group_of: dict[int, int] = field(default_factory=dict)  # vessel id -> group id
    groups: dict[int, tuple[str, str]] = field(default_factory=dict)  # group id -> (code, name)

    @cached_property
    def columns(self) -> tuple[NDArray[np.int64], NDArray[np.str_], NDArray[np.int64]]:
        """Registered vessel ids (sorted), their operation type (gear) and group id (-1: none), as arrays for
        the alert picture. Built once: a registry is replaced when reloaded, never changed."""
        ids = np.array(sorted(self.names), dtype=np.int64)
        gear = np.array([self.names[int(v)][2] for v in ids], dtype="<U32")
        group = np.array([self.group_of.get(int(v), -1) for v in ids], dtype=np.int64)
        return ids, gear, group


def load_registry(session: Session) -> Registry:
    """Current AIS and BeiDou terminals, vessel names and group memberships, in four queries."""
    reg = Registry()
    terminals = select(Terminal.vessel_id, Terminal.kind, Terminal.mmsi, Terminal.device_id).where(
        Terminal.removed_at.is_(None)
    )
    for vessel_id, kind, mmsi, device_id in session.execute(terminals):
        if mmsi and mmsi.isdigit() and kind in (TerminalKind.AIS_A, TerminalKind.AIS_B):
            reg.index.by_mmsi[int(mmsi)] = vessel_id
            reg.index.mmsi_of[vessel_id] = int(mmsi)
        if device_id:
            reg.index.by_device[device_id] = vessel_id
    for vessel_id, name, reg_no, op in session.execute(
        select(Vessel.id, Vessel.name, Vessel.registration_no, Vessel.operation_type).where(Vessel.is_active)
    ):
        reg.names[vessel_id] = (name, reg_no, str(op))
    for vessel_id, group_id in session.execute(
        select(GroupMembership.vessel_id, GroupMembership.group_id).where(GroupMembership.left_at.is_(None))
    ):
        reg.group_of[vessel_id] = group_id
    for group_id, code, name in session.execute(select(VesselGroup.id, VesselGroup.code, VesselGroup.name)):
        reg.groups[group_id] = (code, name)
    return reg


@dataclass(frozen=True)
class PortArea:
    """A port or anchorage: its box and centre (degrees)."""

    code: str
    name: str
    kind: str
    box: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    geometry: shapely.Geometry


def load_ports(session: Session) -> list[PortArea]:
    """Every port and anchorage."""
    return [
        PortArea(p.code, p.name, p.kind, (p.min_lon, p.min_lat, p.max_lon, p.max_lat), shapely.from_wkb(p.geom_wkb))
        for p in session.scalars(select(Port).order_by(Port.code))
    ]


@dataclass(frozen=True)
class SeaArea:
    """A static, control or patrol sea grid."""

    code: str
    name: str
    family: str
    geometry: shapely.Geometry


def load_sea_grids(session: Session) -> list[SeaArea]:
    """Every sea grid with its geometry."""
    return [
        SeaArea(g.code, g.name, str(g.family), shapely.from_wkb(g.geom_wkb))
        for g in session.scalars(select(SeaGrid).order_by(SeaGrid.code))
    ]


def save_ais_snapshots(
    session: Session, snapshots: dict[int, dict[str, Any]], *, between: Callable[[Session], None] | None = None
) -> int:
    """Write AIS static data into vessel files (一船一档 `ais_snapshot`); return how many changed. `between` is
    called after each vessel (the alert engine's write gate may commit there)."""
    changed = 0
    for vessel_id, snapshot in snapshots.items():
        result = session.execute(update(Vessel).where(Vessel.id == vessel_id).values(ais_snapshot=dict(snapshot)))
        changed += int(getattr(result, "rowcount", 0) or 0)
        if between is not None:
            between(session)
    return changed
