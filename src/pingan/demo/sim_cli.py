"""``pingan simulate`` runs the fleet simulator; ``pingan simulate-trigger`` starts a scenario in a running one."""

from __future__ import annotations

import json
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pingan.demo.simulator import SCENARIOS

if TYPE_CHECKING:
    from pingan.config import Settings
    from pingan.demo.sim_runner import SimulatorThread
    from pingan.demo.simulator import SimWorld

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}
DEFAULT_UDP_PORT = 10110


def udp_port(settings: Settings) -> int:
    """The AIS ingest's UDP port from the settings (10110 until the setting exists)."""
    return int(getattr(settings, "ais_udp_port", DEFAULT_UDP_PORT))


def sim_dir(settings: Settings) -> Path:
    """The simulator's directory in the data directory (commands, results, typhoon.json)."""
    return Path(settings.data_dir) / "sim"


def load_world(settings: Settings) -> SimWorld:
    """The demo world read from the (migrated, seeded) database; a click error when it is not there."""
    from sqlalchemy.orm import Session

    from pingan.cli import _require_migrated
    from pingan.db import create_db_engine
    from pingan.demo.sim_world import build_world
    from pingan.errors import NotFound

    _require_migrated(settings)
    engine = create_db_engine(settings.url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        with Session(engine) as session:
            return build_world(session)
    except NotFound as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        engine.dispose()


def start_for_demo(settings: Settings, *, now: datetime, speed: float = 1.0, seed: int = 0) -> SimulatorThread:
    """Start the simulator for ``pingan demo``: UDP to the local ingest, commands from the data directory."""
    from pingan.demo.sim_runner import SimulatorThread

    thread = SimulatorThread(
        load_world(settings),
        target=("127.0.0.1", udp_port(settings)),
        record=None,
        speed=speed,
        command_dir=sim_dir(settings) / "commands",
        seed=seed,
        start=now,
    )
    thread.start()
    return thread


def _check_scenarios(names: tuple[str, ...]) -> None:
    for name in names:
        if name not in SCENARIOS:
            raise click.BadParameter(
                f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}", param_hint="--scenario"
            )


def _settings() -> Settings:
    from pingan.cli import _settings as settings

    return settings()


@click.command("simulate", context_settings=CONTEXT)
@click.option(
    "--target", metavar="HOST:PORT", help="Where to send the UDP datagrams [default: 127.0.0.1:<ais_udp_port>]."
)
@click.option("--speed", type=float, default=1.0, show_default=True, help="Simulated seconds per wall second.")
@click.option("--duration", type=float, default=None, help="Stop after this many wall seconds [default: until Ctrl-C].")
@click.option("--record", type=click.Path(dir_okay=False, path_type=Path), help="Also write every sentence to FILE.")
@click.option("--fast", type=float, default=None, metavar="HOURS", help="No UDP, no waiting: write HOURS to --record.")
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    metavar="NAME",
    help=f"Start at once (repeatable): {', '.join(SCENARIOS)}.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--start", "start_at", default=None, metavar="ISO8601", help="Simulated start time [default: now].")
def simulate(
    target: str | None,
    speed: float,
    duration: float | None,
    record: Path | None,
    fast: float | None,
    scenarios: tuple[str, ...],
    seed: int,
    start_at: str | None,
) -> None:
    """Simulate the demo fleet (8,200 fishing vessels, merchant ships, net beacons) as AIS sentences over UDP."""
    from pingan.demo.sim_runner import SimulatorThread, parse_target, run_fast, write_json
    from pingan.demo.simulator import FleetSimulator, ScenarioError
    from pingan.kit.clock import utcnow

    _check_scenarios(scenarios)
    if speed <= 0:
        raise click.BadParameter("must be positive", param_hint="--speed")
    if fast is not None and (fast <= 0 or record is None):
        raise click.UsageError("--fast HOURS needs a positive number of hours and --record FILE")
    start = utcnow()
    if start_at:
        try:
            start = datetime.fromisoformat(start_at.replace("Z", "+00:00"))
        except ValueError as exc:
            raise click.BadParameter(f"not an ISO 8601 time: {start_at}", param_hint="--start") from exc
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
    settings = _settings()
    host_port: tuple[str, int] | None = None
    if fast is None:
        try:
            host_port = parse_target(target or f"127.0.0.1:{udp_port(settings)}")
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--target") from exc
    world = load_world(settings)
    click.echo(f"simulating {len(world)} vessels in {len(world.group_codes)} groups from {start.isoformat()}", err=True)

    if fast is not None:
        assert record is not None
        engine = FleetSimulator(world, start=start, seed=seed)
        for name in scenarios:
            try:
                started = engine.start_scenario(name)
            except ScenarioError as exc:
                raise click.ClickException(str(exc)) from exc
            if name == "typhoon":
                write_json(sim_dir(settings) / "typhoon.json", started)
            click.echo(json.dumps(started, ensure_ascii=False), err=True)

        stats = run_fast(engine, hours=fast, record=record, progress=_fast_progress(start.timestamp()))
        click.echo(
            f"{stats['sentences']:,} sentences ({stats['messages']:,} messages) in {fast:g} simulated h: "
            f"{stats['sentences_per_simulated_s']:.0f} sentences per simulated second; "
            f"{stats['sentences_per_wall_s']:,.0f} sentences/s wall ({stats['wall_s']:.1f} s) -> {record}"
        )
        click.echo("by type: " + ", ".join(f"{k}: {v:,}" for k, v in stats["by_type"].items()))
        return

    try:
        thread = SimulatorThread(
            world,
            target=host_port,
            record=record,
            speed=speed,
            command_dir=sim_dir(settings) / "commands",
            seed=seed,
            start=start,
        )
    except OSError as exc:
        raise click.ClickException(f"cannot send to {target}: {exc}") from exc
    for name in scenarios:
        try:
            click.echo(json.dumps(thread.trigger(name), ensure_ascii=False))
        except ScenarioError as exc:
            raise click.ClickException(str(exc)) from exc
    _run_until_stopped(thread, host_port, duration)


def _fast_progress(start_s: float) -> Any:
    state = {"next": start_s + 3600.0}

    def report(t: float, lines: int, wall: float) -> None:
        """Print a line each simulated hour."""
        if t >= state["next"]:
            state["next"] += 3600.0
            click.echo(
                f"  {(t - start_s) / 3600:.1f} h simulated: {lines:,} sentences, {lines / wall:,.0f}/s wall", err=True
            )

    return report


def _run_until_stopped(thread: SimulatorThread, host_port: tuple[str, int] | None, duration: float | None) -> None:
    """Start the thread, print a status line every 10 s, stop on Ctrl-C, SIGTERM or after ``duration``."""
    stop = {"now": False}

    def on_signal(signum: int, frame: Any) -> None:
        """SIGTERM stops like Ctrl-C."""
        stop["now"] = True

    previous = signal.signal(signal.SIGTERM, on_signal)
    thread.start()
    click.echo(f"sending to {host_port[0]}:{host_port[1]} (Ctrl-C stops)" if host_port else "recording only", err=True)
    began = time.monotonic()
    last_sent, last_at = 0, began
    try:
        while thread.is_alive() and not stop["now"]:
            if duration is not None and time.monotonic() - began >= duration:
                break
            time.sleep(0.5)
            if time.monotonic() - last_at >= 10:
                rate = (thread.sent - last_sent) / (time.monotonic() - last_at)
                last_sent, last_at = thread.sent, time.monotonic()
                sim_time = datetime.fromtimestamp(thread.engine.t, UTC).isoformat(timespec="seconds")
                click.echo(f"{sim_time} sent {thread.sent:,} ({rate:,.0f}/s), lag {thread.lag_s:.1f} s", err=True)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        thread.stop()
        thread.join(timeout=10)
    if thread.errors and not thread.is_alive() and not thread.sent:
        raise click.ClickException(thread.errors[-1])
    click.echo(
        json.dumps({"sent": thread.sent, "by_type": dict(sorted(thread.by_type.items())), "errors": len(thread.errors)})
    )


def _parse_params(pairs: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--param")
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    return out


@click.command("simulate-trigger", context_settings=CONTEXT)
@click.argument("name")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="Scenario parameter; VALUE may be JSON.")
@click.option(
    "--wait", type=float, default=10.0, show_default=True, help="Seconds to wait for the answer (0: queue only)."
)
@click.option("--command-dir", type=click.Path(file_okay=False, path_type=Path), hidden=True)
def simulate_trigger(name: str, params: tuple[str, ...], wait: float, command_dir: Path | None) -> None:
    """Start scenario NAME in the simulator already running (in ``pingan demo`` or ``pingan simulate``)."""
    from pingan.demo.sim_runner import result_path, write_command

    if name not in SCENARIOS:
        raise click.BadParameter(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}", param_hint="NAME")
    parsed = _parse_params(params)
    directory = command_dir or sim_dir(_settings()) / "commands"
    path = write_command(directory, name, parsed)
    if wait <= 0:
        click.echo(f"queued {path}")
        return
    answer = result_path(path)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if answer.exists():
            reply = json.loads(answer.read_text("utf-8"))
            answer.unlink(missing_ok=True)
            if not reply.get("ok"):
                raise click.ClickException(str(reply.get("error")))
            click.echo(json.dumps(reply["result"], ensure_ascii=False, indent=1))
            return
        time.sleep(0.2)
    if path.exists():
        path.unlink(missing_ok=True)
        raise click.ClickException(f"no running simulator answered within {wait:g} s (command withdrawn)")
    click.echo(f"taken by the simulator but not answered within {wait:g} s", err=True)
    sys.exit(1)
