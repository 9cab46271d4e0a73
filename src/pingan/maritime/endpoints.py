"""HTTP API of the position pipeline: live targets (JSON and Server-Sent Events), cards, tracks, counts, layers,
and terminal reports in."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.deps import DbSession, require
from pingan.errors import PinganError
from pingan.kit.clock import utcnow
from pingan.maritime import service
from pingan.maritime.runtime import MaritimeRuntime
from pingan.maritime.schemas import TerminalBatchIn, TerminalBatchOut

router = APIRouter(prefix="/api/maritime", tags=["maritime"])
Reader = Annotated[Principal, Depends(require(Permission.MARITIME_READ))]
Gateway = Annotated[Principal, Depends(require(Permission.MARITIME_INGEST))]
STREAM_PERIOD_S = 1.0
COUNTS_EVERY = 5


class PipelineOff(PinganError):
    """This process runs no position pipeline."""

    status_code = 503
    code = "pipeline_off"


def get_runtime(request: Request) -> MaritimeRuntime:
    """The process's running pipeline."""
    runtime: MaritimeRuntime | None = getattr(request.app.state, "maritime", None)
    if runtime is None:
        raise PipelineOff("the position pipeline is not running in this process")
    return runtime


Runtime = Annotated[MaritimeRuntime, Depends(get_runtime)]


def _classes(raw: str | None) -> set[str] | None:
    return {c.strip() for c in raw.split(",") if c.strip()} if raw else None


@router.get("/targets", summary="Live targets, positions dead-reckoned to now")
def list_targets(
    runtime: Runtime,
    _: Reader,
    since: Annotated[int, Query(ge=0, description="Only targets changed after this sequence")] = 0,
    classes: Annotated[str | None, Query(description="Comma-separated target classes")] = None,
) -> dict[str, Any]:
    return service.targets(runtime, now=utcnow(), since=since, classes=_classes(classes))


@router.get("/stream", summary="Server-Sent Events: `positions` every second, `counts` every five")
async def stream(runtime: Runtime, _: Reader, request: Request) -> StreamingResponse:
    async def events() -> AsyncIterator[str]:
        seq = 0
        tick = 0
        while not await request.is_disconnected():
            body = await asyncio.to_thread(service.targets, runtime, now=utcnow(), since=seq)
            body["snapshot"] = seq == 0  # the first event of a connection holds every target
            if body["targets"] or seq == 0:
                yield f"event: positions\ndata: {json.dumps(body, ensure_ascii=False)}\n\n"
            seq = body["seq"]
            if tick % COUNTS_EVERY == 0:
                counts = await asyncio.to_thread(service.counts, runtime, now=utcnow())
                yield f"event: counts\ndata: {json.dumps(counts, ensure_ascii=False)}\n\n"
            tick += 1
            await asyncio.sleep(STREAM_PERIOD_S)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


@router.get("/targets/{key}", summary="A target's card: live state, AIS static data, vessel file, group, cadres")
def target_card(key: int, runtime: Runtime, session: DbSession, actor: Reader) -> dict[str, Any]:
    return service.card(runtime, session, key, now=utcnow(), actor=actor)


@router.get("/tracks/{key}", summary="A target's positions between two instants (track replay)")
def target_track(
    key: int,
    runtime: Runtime,
    _: Reader,
    start: Annotated[datetime, Query(description="ISO 8601 with offset")],
    end: Annotated[datetime, Query(description="ISO 8601 with offset")],
) -> dict[str, Any]:
    return service.track(runtime, key, start=start, end=end)


@router.get("/counts", summary="Targets per class, vessels in port and at sea, vessels per sea grid, ingest")
def live_counts(runtime: Runtime, _: Reader) -> dict[str, Any]:
    return service.counts(runtime, now=utcnow())


@router.get("/ingest", summary="Ingest counters: lines, messages, refusals by reason, dead-letter samples")
def ingest(runtime: Runtime, _: Reader) -> dict[str, Any]:
    status = runtime.status()
    with runtime.pipeline.lock:
        samples = {k: list(v) for k, v in runtime.pipeline.counters.samples.items()}
    return {**status, "dead_letters": samples}


@router.get("/layers", summary="GeoJSON: ports, sea grids and group outlines")
def map_layers(runtime: Runtime, _: Reader) -> dict[str, Any]:
    return service.layers(runtime, now=utcnow())


@router.post("/reports", summary="BeiDou and other terminal position reports (up to 1,000 per request)")
def post_reports(body: TerminalBatchIn, runtime: Runtime, _: Gateway) -> TerminalBatchOut:
    accepted = 0
    refused: dict[str, int] = {}
    for item in body.reports:
        refusal = runtime.pipeline.take_position(item.to_report())
        if refusal is None:
            accepted += 1
        else:
            refused[refusal.value] = refused.get(refusal.value, 0) + 1
    return TerminalBatchOut(accepted=accepted, refused=refused)
