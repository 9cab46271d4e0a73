"""API shapes of the grid registry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from pingan.grids.models import TeamRole


class LocationOut(BaseModel):
    """Where a point lies."""

    lon: float
    lat: float
    where: str = Field(description="land, sea, land_outside_grids or outside_area")
    land_grid: str | None = None
    village: str | None = None
    sea_static: str | None = None
    sea_control: str | None = None
    sea_patrol: str | None = None


class LocateIn(BaseModel):
    """Points to locate, as [lon, lat] pairs in degrees."""

    points: list[tuple[float, float]] = Field(min_length=1, max_length=100_000)


class GridBrief(BaseModel):
    """A grid in lists and search results."""

    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    kind: str
    dedicated_type: str | None
    area_km2: float
    centroid_lon: float
    centroid_lat: float
    bbox: tuple[float, float, float, float]


class AreaRef(BaseModel):
    """An administrative area named on a grid card."""

    code: str
    name: str
    kind: str


class TeamMemberOut(BaseModel):
    """A service-team member; the phone is masked."""

    id: int
    name: str
    role: TeamRole
    role_label: str
    unit: str | None
    phone: str | None
    duties: str
    is_account: bool


class TeamMemberIn(BaseModel):
    """A new or changed team member."""

    name: str = Field(min_length=1, max_length=40)
    role: TeamRole
    unit_code: str | None = None
    phone: str | None = Field(default=None, max_length=20)
    duties: str = Field(default="", max_length=2000)


class GridCard(GridBrief):
    """Everything a grid's card shows."""

    areas: list[AreaRef]
    team: list[TeamMemberOut]
    buildings: int
    households: int
    residents: int


class ImportOut(BaseModel):
    """The result of an accepted import."""

    layer: str
    created: int
    updated: int
