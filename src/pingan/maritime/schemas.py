"""API shapes of the position pipeline: terminal reports in, targets, cards, tracks and counts out."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pingan.maritime.reports import PositionReport, Source


class TerminalReportIn(BaseModel):
    """One BeiDou (北斗) or other terminal position, as a gateway posts it (HTTP or MQTT)."""

    model_config = ConfigDict(extra="forbid")

    device_id: str | None = Field(default=None, min_length=1, max_length=40, description="Terminal id (BeiDou)")
    mmsi: str | None = Field(default=None, pattern=r"^\d{9}$", description="When the terminal reports an MMSI")
    observed_at: datetime = Field(description="Fix time, with a UTC offset")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    sog_kn: float | None = Field(default=None, ge=0, le=102.2)
    cog_deg: float | None = Field(default=None, ge=0, lt=360)
    heading_deg: float | None = Field(default=None, ge=0, lt=360)
    nav_status: int | None = Field(default=None, ge=0, le=15)
    source: Literal["beidou", "terminal", "manual"] = "beidou"
    station: str | None = Field(default=None, max_length=40)

    @model_validator(mode="after")
    def _identified(self) -> TerminalReportIn:
        if not self.device_id and not self.mmsi:
            raise ValueError("a report needs device_id or mmsi")
        if self.observed_at.tzinfo is None:
            raise ValueError("observed_at needs a UTC offset, e.g. 2026-11-29T08:00:00+08:00")
        return self

    def to_report(self) -> PositionReport:
        """The normalised position report."""
        return PositionReport(
            observed_at=self.observed_at,
            lon=self.lon,
            lat=self.lat,
            source=Source(self.source),
            mmsi=int(self.mmsi) if self.mmsi else None,
            device_id=self.device_id,
            sog_kn=self.sog_kn,
            cog_deg=self.cog_deg,
            heading_deg=self.heading_deg,
            nav_status=self.nav_status,
            station=self.station,
        )


class TerminalBatchIn(BaseModel):
    """Up to 1,000 terminal reports in one request."""

    model_config = ConfigDict(extra="forbid")

    reports: list[TerminalReportIn] = Field(min_length=1, max_length=1000)


class TerminalBatchOut(BaseModel):
    """What became of a batch: accepted, and refused by reason."""

    accepted: int
    refused: dict[str, int]
