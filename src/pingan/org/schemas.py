"""API shapes of organisation units."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from pingan.org.models import UnitKind


class UnitOut(BaseModel):
    """An organisation unit."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    name_en: str | None
    kind: UnitKind
    parent_id: int | None
    path: str
    depth: int


class UnitIn(BaseModel):
    """A new organisation unit."""

    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    name_en: str | None = Field(default=None, max_length=120)
    kind: UnitKind
    parent_code: str | None = None
