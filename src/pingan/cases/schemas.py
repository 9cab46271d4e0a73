"""API shapes of the case hub."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pingan.cases.workflow import Action, Channel


class CaseIn(BaseModel):
    """A report through the JSON API (grid workers, the public, complaints, 上级交办)."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel = Channel.GRID_WORKER
    category_code: str = Field(min_length=2, max_length=8)
    description: str = Field(min_length=1, max_length=4000)
    title: str = Field(default="", max_length=120)
    lon: float | None = None
    lat: float | None = None
    address: str = Field(default="", max_length=200)
    demand_type: str | None = None
    reporter_name: str = Field(default="", max_length=60)
    reporter_phone: str | None = Field(default=None, max_length=20)
    anonymous: bool = False
    external_ref: str | None = Field(default=None, max_length=64)
    priority: str | None = None
    severity: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class HotlineOrderIn(BaseModel):
    """A 12345 work order (转办单) keeping the hotline's own order number."""

    model_config = ConfigDict(extra="forbid")

    order_no: str = Field(min_length=1, max_length=64)
    demand_type: str = Field(description="consult | complaint | suggestion | help | report | praise")
    category_code: str = Field(min_length=2, max_length=8)
    content: str = Field(min_length=1, max_length=4000)
    title: str = Field(default="", max_length=120)
    address: str = Field(default="", max_length=200)
    lon: float | None = None
    lat: float | None = None
    caller_name: str = Field(default="", max_length=60)
    caller_phone: str | None = Field(default=None, max_length=20)
    received_at: datetime | None = None


class NonPoliceIn(BaseModel):
    """A non-police 110 matter transferred to the platform (非警务警情分流)."""

    model_config = ConfigDict(extra="forbid")

    incident_no: str = Field(min_length=1, max_length=64)
    category_code: str = Field(min_length=4, max_length=8, description="one of the seven 21xx diversion classes")
    description: str = Field(min_length=1, max_length=4000)
    address: str = Field(default="", max_length=200)
    lon: float | None = None
    lat: float | None = None
    caller_name: str = Field(default="", max_length=60)
    caller_phone: str | None = Field(default=None, max_length=20)
    police_unit: str = Field(default="", max_length=60)


class SensorEventIn(BaseModel):
    """One sensor message (the MQTT payload; also accepted over HTTP)."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1, max_length=64)
    sensor_id: str = Field(min_length=1, max_length=64)
    category_code: str = Field(min_length=4, max_length=8)
    description: str = Field(min_length=1, max_length=4000)
    lon: float
    lat: float
    observed_at: datetime | None = None
    value: float | None = None
    unit: str | None = Field(default=None, max_length=16)
    severity: str | None = None


class AlertIn(BaseModel):
    """An internal alert (e.g. a vessel alert from the maritime engine) that should become a case."""

    model_config = ConfigDict(extra="forbid")

    alert_id: str = Field(min_length=1, max_length=64)
    category_code: str = Field(min_length=4, max_length=8)
    description: str = Field(min_length=1, max_length=4000)
    title: str = Field(default="", max_length=120)
    lon: float | None = None
    lat: float | None = None
    address: str = Field(default="", max_length=200)
    priority: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class ActionIn(BaseModel):
    """One action on a case."""

    model_config = ConfigDict(extra="forbid")

    action: Action
    note: str = Field(default="", max_length=2000)
    outcome: str | None = Field(default=None, description="回访: satisfied | basically_satisfied | unsatisfied")
    unit_code: str | None = Field(default=None, max_length=32, description="派遣/改派: the target unit")
    assignee: str | None = Field(default=None, max_length=64, description="派遣: a named handler in that unit")
    master_number: str | None = Field(default=None, max_length=20, description="并单: the master case")


class StepOut(BaseModel):
    """One timeline entry."""

    seq: int
    action: str
    action_label: str
    from_status: str | None
    to_status: str
    actor: str
    unit: str | None
    at: datetime
    note: str
    data: dict[str, Any]
    step: str | None
    step_seconds: float | None
    due_at: datetime | None
    met: bool | None
    files: list[int]


class DuplicateOut(BaseModel):
    """A possible duplicate."""

    number: str
    title: str
    status: str
    distance_m: float
    similarity: float
    score: float
    reported_at: datetime


class CaseOut(BaseModel):
    """A case as the API shows it (reporter contact masked)."""

    number: str
    channel: str
    external_ref: str | None
    demand_type: str | None
    category_code: str
    category_name: str
    title: str
    description: str
    lon: float | None
    lat: float | None
    address: str
    where: str
    grid_code: str | None
    sea_grid_code: str | None
    unit_code: str | None
    reporter_name: str
    reporter_anonymous: bool
    reporter_phone: str | None
    priority: str
    severity: str | None
    status: str
    status_label: str
    sub_status: str
    is_open: bool
    responsible_unit: str | None
    responsible_unit_name: str | None
    suggested_unit: str | None
    assignee: str | None
    master_number: str | None
    redo_count: int
    decline_count: int
    escalation_level: int
    is_overdue: bool
    satisfaction: str | None
    clock_step: str | None
    step_due_at: datetime | None
    step_warn_at: datetime | None
    handle_due_at: datetime | None
    response_due_at: datetime | None
    first_response_at: datetime | None
    reported_at: datetime
    registered_at: datetime | None
    dispatched_at: datetime | None
    accepted_at: datetime | None
    handled_at: datetime | None
    closed_at: datetime | None
    revisited_at: datetime | None
    attributes: dict[str, Any]
    allowed_actions: list[str]


class CaseDetailOut(CaseOut):
    """A case with its timeline, files and merged duplicates."""

    timeline: list[StepOut]
    files: list[dict[str, Any]]
    duplicates: list[str]


class IntakeOut(BaseModel):
    """The answer to a report: the case and the duplicates offered for 并单."""

    case: CaseOut
    duplicates: list[DuplicateOut]


class CaseListOut(BaseModel):
    """A page of cases."""

    total: int
    items: list[CaseOut]


class ImportOut(BaseModel):
    """A hotline CSV import's result."""

    created: list[str]
    skipped: list[dict[str, str]]


class InboxOut(BaseModel):
    """An inbox message."""

    id: int
    case_number: str | None
    kind: str
    message: str
    created_at: datetime
    read_at: datetime | None
