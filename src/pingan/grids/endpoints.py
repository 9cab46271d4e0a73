"""HTTP API of the grid registry: locate, layers for the map, grid cards, search, teams, import and export."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.config import Settings
from pingan.deps import AppSettings, DbSession, require
from pingan.errors import ValidationFailed
from pingan.grids import interchange, service, teams
from pingan.grids.models import AdminArea, Island, LandGrid, SeaGrid
from pingan.grids.schemas import (
    AreaRef,
    GridBrief,
    GridCard,
    ImportOut,
    LocateIn,
    LocationOut,
    TeamMemberIn,
    TeamMemberOut,
)
from pingan.kit.clock import utcnow
from pingan.org.models import OrgUnit, UnitKind
from pingan.people.models import Building, Household, Resident

router = APIRouter(prefix="/api/grids", tags=["grids"])
Reader = Annotated[Principal, Depends(require(Permission.GRID_READ))]
TeamWriter = Annotated[Principal, Depends(require(Permission.TEAM_WRITE))]
GEOJSON = "application/geo+json"


def brief(grid: LandGrid) -> GridBrief:
    """The list form of a grid."""
    return GridBrief(
        code=grid.code,
        name=grid.name,
        kind=str(grid.kind),
        dedicated_type=str(grid.dedicated_type) if grid.dedicated_type else None,
        area_km2=round(grid.area_km2, 4),
        centroid_lon=grid.centroid_lon,
        centroid_lat=grid.centroid_lat,
        bbox=(grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat),
    )


def member_out(settings: Settings, member: Any) -> TeamMemberOut:
    """A team member with a masked phone."""
    return TeamMemberOut(
        id=member.id,
        name=member.name,
        role=member.role,
        role_label=teams.ROLE_LABELS[member.role],
        unit=member.unit.name if member.unit else None,
        phone=teams.masked_phone(settings, member),
        duties=member.duties,
        is_account=member.user_id is not None,
    )


@router.get("/locate", response_model=LocationOut, summary="The land grid or the sea grids of a point")
def locate(
    db: DbSession,
    _: Reader,
    lon: Annotated[float, Query(description="longitude, degrees (WGS 84)")],
    lat: Annotated[float, Query(description="latitude, degrees (WGS 84)")],
) -> LocationOut:
    return LocationOut(**asdict(service.locator(db).locate(lon, lat)))


@router.post("/locate", response_model=list[LocationOut], summary="Locate up to 100,000 points at once")
def locate_many(body: LocateIn, db: DbSession, _: Reader) -> list[LocationOut]:
    lon = [p[0] for p in body.points]
    lat = [p[1] for p in body.points]
    return [LocationOut(**asdict(found)) for found in service.locator(db).locate_many(lon, lat)]


@router.get("/search", response_model=list[GridBrief], summary="Grids by code prefix or name, in scope")
def search(
    db: DbSession,
    principal: Reader,
    q: Annotated[str, Query(min_length=1, max_length=40)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[GridBrief]:
    return [brief(g) for g in service.search_grids(db, q, actor=principal, limit=limit)]


def _collection(features: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse({"type": "FeatureCollection", "features": features}, media_type=GEOJSON)


@router.get("/layers/areas", summary="Outlines of one administrative level (GeoJSON)")
def area_layer(
    db: DbSession,
    _: Reader,
    level: Annotated[UnitKind, Query(description="city, district, township or community")],
    parent: Annotated[str | None, Query(description="only the areas under this area code")] = None,
) -> JSONResponse:
    if level not in (UnitKind.CITY, UnitKind.DISTRICT, UnitKind.TOWNSHIP, UnitKind.COMMUNITY):
        raise ValidationFailed("level must be city, district, township or community", code="bad_level")
    stmt = select(AdminArea.geom_wkb, OrgUnit.code, OrgUnit.name).join(OrgUnit, OrgUnit.id == AdminArea.unit_id)
    stmt = stmt.where(OrgUnit.kind == level)
    if parent:
        stmt = stmt.where(OrgUnit.path.contains(f"/{parent}/", autoescape=True))
    features = [
        interchange.feature_from_wkb(wkb, code, {"code": code, "name": name, "level": level.value})
        for wkb, code, name in db.execute(stmt.order_by(OrgUnit.code))
    ]
    return _collection(features)


@router.get("/layers/land-grids", summary="Land grid outlines, optionally under one area (GeoJSON)")
def land_layer(
    db: DbSession,
    _: Reader,
    area: Annotated[str | None, Query(description="only grids under this area code")] = None,
) -> JSONResponse:
    stmt = select(LandGrid.geom_wkb, LandGrid.code, LandGrid.name, LandGrid.kind).join(
        OrgUnit, OrgUnit.id == LandGrid.village_unit_id
    )
    if area:
        stmt = stmt.where(OrgUnit.path.contains(f"/{area}/", autoescape=True))
    features = [
        interchange.feature_from_wkb(wkb, code, {"code": code, "name": name, "kind": str(kind)})
        for wkb, code, name, kind in db.execute(stmt.order_by(LandGrid.code))
    ]
    return _collection(features)


@router.get("/layers/sea-grids", summary="Sea grid outlines of one family (GeoJSON)")
def sea_layer(db: DbSession, _: Reader, family: str | None = None) -> JSONResponse:
    stmt = select(SeaGrid.geom_wkb, SeaGrid.code, SeaGrid.name, SeaGrid.family).order_by(SeaGrid.code)
    if family:
        stmt = stmt.where(SeaGrid.family == family)
    features = [
        interchange.feature_from_wkb(wkb, code, {"code": code, "name": name, "family": str(fam)})
        for wkb, code, name, fam in db.execute(stmt)
    ]
    return _collection(features)


@router.get("/layers/islands", summary="Island outlines traced from the land mask (GeoJSON)")
def island_layer(db: DbSession, _: Reader) -> JSONResponse:
    features = [
        interchange.feature_from_wkb(wkb, str(i), {"name": name, "area_km2": round(area, 2)})
        for i, wkb, name, area in db.execute(select(Island.id, Island.geom_wkb, Island.name, Island.area_km2))
    ]
    return _collection(features)


def _count(db: Session, model: Any, grid_id: int) -> int:
    return int(db.scalar(select(func.count(model.id)).where(model.grid_id == grid_id)) or 0)


@router.get("/export", summary="Export a layer as GeoJSON (RFC 7946)")
def export(db: DbSession, principal: Reader, layer: str) -> JSONResponse:
    return JSONResponse(interchange.export_geojson(db, layer, actor=principal), media_type=GEOJSON)


@router.post("/import", response_model=ImportOut, summary="Import a GeoJSON layer: all features or none")
def import_layer(
    db: DbSession,
    principal: Annotated[Principal, Depends(require(Permission.GRID_WRITE))],
    layer: str,
    body: Annotated[dict[str, Any], Body(description="a GeoJSON FeatureCollection")],
) -> ImportOut:
    report = interchange.import_geojson(db, body, layer, actor=principal, now=utcnow())
    return ImportOut(layer=report.layer, created=report.created, updated=report.updated)


@router.get("/{code}", response_model=GridCard, summary="A grid's card (404 outside the data scope)")
def card(code: str, db: DbSession, settings: AppSettings, principal: Reader) -> GridCard:
    grid = service.get_grid(db, code, actor=principal)
    chain = [*service.ancestors(db, grid.village), grid.village]
    return GridCard(
        **brief(grid).model_dump(),
        areas=[AreaRef(code=u.code, name=u.name, kind=str(u.kind)) for u in chain],
        team=[member_out(settings, m) for m in teams.team_of(db, grid)],
        buildings=_count(db, Building, grid.id),
        households=_count(db, Household, grid.id),
        residents=_count(db, Resident, grid.id),
    )


@router.post("/{code}/team", response_model=TeamMemberOut, status_code=201, summary="Add a team member")
def add_member(
    code: str, body: TeamMemberIn, db: DbSession, settings: AppSettings, principal: TeamWriter
) -> TeamMemberOut:
    member = teams.add_member(
        db,
        settings,
        code,
        name=body.name,
        role=body.role,
        unit_code=body.unit_code,
        phone=body.phone,
        duties=body.duties,
        actor=principal,
        now=utcnow(),
    )
    return member_out(settings, member)


@router.put("/{code}/team/{member_id}", response_model=TeamMemberOut, summary="Change a team member")
def update_member(
    code: str, member_id: int, body: TeamMemberIn, db: DbSession, settings: AppSettings, principal: TeamWriter
) -> TeamMemberOut:
    member = teams.update_member(
        db,
        settings,
        code,
        member_id,
        name=body.name,
        role=body.role,
        unit_code=body.unit_code,
        phone=body.phone,
        duties=body.duties,
        actor=principal,
        now=utcnow(),
    )
    return member_out(settings, member)


@router.delete("/{code}/team/{member_id}", status_code=204, summary="Remove a team member")
def remove_member(code: str, member_id: int, db: DbSession, principal: TeamWriter) -> None:
    teams.remove_member(db, code, member_id, actor=principal, now=utcnow())
