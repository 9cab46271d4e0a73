"""`pingan ais …`: decode a file, replay a recording through the whole pipeline, listen, compact history."""

from __future__ import annotations

import contextlib
import gzip
import json
import signal
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import click

from pingan.config import Settings, get_settings

CONTEXT = {"help_option_names": ["-h", "--help"]}


def open_recording(path: Path) -> IO[bytes]:
    """Open a recorded NMEA file, plain or gzip (told by its magic bytes, not its name)."""
    try:
        handle = path.open("rb")
        magic = handle.read(2)
        handle.seek(0)
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from exc
    if magic == b"\x1f\x8b":
        handle.close()
        return gzip.open(path, "rb")
    return handle


def _lines(path: Path) -> Iterator[bytes]:
    with open_recording(path) as handle:
        try:
            yield from handle
        except (OSError, EOFError) as exc:  # a truncated gzip file ends the input; what was read counts
            click.echo(f"warning: {path}: {exc}", err=True)


@click.group(context_settings=CONTEXT)
def ais() -> None:
    """AIS and BeiDou positions: decode, replay, listen, history."""


@ais.command("decode")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "gpsd-json", "gpsd-json-unscaled"]),
    default="json",
    show_default=True,
    help="json: pyais field names; gpsd-json: the names and scaling of gpsd's `gpsdecode -j` (-u: unscaled).",
)
def ais_decode(path: Path, fmt: str) -> None:
    """Decode an NMEA file: one JSON object per message; counts of refused lines on stderr."""
    from pingan.maritime.stream import Counters, decode_lines

    if not path.exists():
        raise click.ClickException(f"no such file: {path}")
    counters = Counters()
    decoded = decode_lines(_lines(path), counters=counters)
    out = sys.stdout
    if fmt.startswith("gpsd-json"):
        from pingan.maritime.gpsd import gpsd_records

        for record in gpsd_records(decoded, scaled=fmt == "gpsd-json"):
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    else:
        for d in decoded:
            body = d.msg.asdict(enum_as_int=True)
            body = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in body.items()}
            if d.tags:
                body["tagblock"] = d.tags
            out.write(json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str) + "\n")
    summary = counters.as_dict()
    click.echo(
        f"{summary['messages']} messages from {summary['lines']} lines; refused: {summary['rejected'] or 'none'}",
        err=True,
    )


def _pipeline_for(settings: Settings, *, history: Path | None) -> Any:
    from pingan.db import create_db_engine, make_sessionmakers
    from pingan.maritime.runtime import MaritimeRuntime

    engine = create_db_engine(settings.url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    _, write = make_sessionmakers(engine)
    if history is not None:
        settings = settings.model_copy(update={"ais_history_dir": history})
    runtime = MaritimeRuntime(settings, write)
    try:
        runtime.load()
    except Exception as exc:  # no database yet: replay still runs, without the vessel registry and ports
        click.echo(f"note: no vessel registry ({type(exc).__name__}); targets are not linked to vessel files", err=True)
    return runtime


@ais.command("replay")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--history", type=click.Path(path_type=Path, file_okay=False), help="History folder (default: settings).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def ais_replay(path: Path, history: Path | None, as_json: bool) -> None:
    """Run a recorded file through decode → classify → track → persist as fast as possible; print msgs/s."""
    from pingan.maritime.replay import replay_file

    if not path.exists():
        raise click.ClickException(f"no such file: {path}")
    settings = get_settings()
    runtime = _pipeline_for(settings, history=history)
    started = time.perf_counter()
    result = replay_file(path, runtime.pipeline, opener=open_recording)
    elapsed = time.perf_counter() - started
    counts = runtime.pipeline.counts()
    rate = result.messages / elapsed if elapsed > 0 else 0.0
    summary = {
        "messages": result.messages,
        "lines": result.lines,
        "seconds": round(elapsed, 3),
        "msgs_per_s": round(rate),
        "fast_path": result.fast,
        "full_path": result.full,
        "targets": counts["targets"],
        "positions_accepted": counts["ingest"]["positions_accepted"],
        "positions_refused": counts["ingest"]["positions_refused"],
        "lines_refused": result.refused,
        "history_rows": counts["ingest"]["history_rows"],
    }
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        click.echo(
            f"replayed {result.lines} lines, {result.messages} messages ({result.fast} fast path, {result.full} full)"
            f" into {counts['targets']['total']} targets; accepted {summary['positions_accepted']}, refused"
            f" {summary['positions_refused'] or 'none'}; lines refused {result.refused or 'none'};"
            f" history rows {summary['history_rows']}"
        )
        click.echo(f"ais_replay: {rate:,.0f} msgs/s ({result.messages} messages in {elapsed:.2f} s)")


@ais.command("listen")
@click.option("--udp", "udp_port", type=click.IntRange(0, 65535), help="UDP port (default PINGAN_AIS_UDP_PORT).")
@click.option("--tcp", "tcp_port", type=click.IntRange(0, 65535), help="TCP server port for receivers that push.")
@click.option("--connect", "sources", multiple=True, help="host:port of a receiver to connect to (repeatable).")
@click.option("--duration", type=click.FloatRange(min=0), help="Stop after this many seconds.")
def ais_listen(udp_port: int | None, tcp_port: int | None, sources: tuple[str, ...], duration: float | None) -> None:
    """Run the position pipeline without the web UI (ingest, tracks, history, status file)."""
    settings = get_settings()
    update: dict[str, Any] = {}
    if udp_port is not None:
        update["ais_udp_port"] = udp_port
    if tcp_port is not None:
        update["ais_tcp_port"] = tcp_port
    if sources:
        for source in sources:
            host, _, port = source.rpartition(":")
            if not host or not port.isdigit():
                raise click.ClickException(f"--connect wants host:port, not {source!r}")
        update["ais_tcp_sources"] = list(sources)
    settings = settings.model_copy(update=update)
    from pingan.db import create_db_engine, make_sessionmakers
    from pingan.maritime.runtime import MaritimeRuntime, tune_server_process

    engine = create_db_engine(settings.url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    _, write = make_sessionmakers(engine)
    runtime = MaritimeRuntime(settings, write)
    try:
        runtime.start()
    except OSError as exc:
        raise click.ClickException(f"cannot listen: {exc.strerror or exc}") from exc
    tune_server_process()
    bound = runtime.listeners.bound if runtime.listeners else {}
    click.echo(f"pingan ais listen: {bound or 'no feeds'}; status in {settings.data_dir}/ais-status.json")
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with contextlib.suppress(KeyboardInterrupt):
        done.wait(duration)
    runtime.stop()
    counts = runtime.pipeline.counts()
    click.echo(json.dumps(counts, ensure_ascii=False))


@ais.command("compact")
@click.option("--day", "day_text", help="YYYY-MM-DD (default: every finished day).")
def ais_compact(day_text: str | None) -> None:
    """Merge a finished day's history files into one sorted file."""
    from pingan.maritime.history import compact_day

    settings = get_settings()
    root = settings.ais_history_dir or settings.data_dir / "tracks"
    if day_text:
        try:
            days = [date.fromisoformat(day_text)]
        except ValueError as exc:
            raise click.ClickException(f"--day wants YYYY-MM-DD, not {day_text!r}") from exc
    else:
        today = datetime.now(UTC).date()
        days = sorted(
            d for d in (date.fromisoformat(p.name[4:]) for p in root.glob("day=*") if p.is_dir()) if d < today
        )
    for day in days:
        click.echo(f"{day}: {compact_day(root, day)} rows")
