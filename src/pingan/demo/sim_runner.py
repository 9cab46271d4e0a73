"""The simulator in real time: a thread that steps the engine with wall time, sends its sentences over UDP,
records them, and takes scenario commands from a directory; plus the as-fast-as-possible corpus writer.

Commands are JSON files ``{"command": "scenario", "name": ..., "params": {...}}`` in ``<data_dir>/sim/commands``;
each is consumed (deleted) and answered in ``<data_dir>/sim/results/<same name>`` as ``{"ok": true, "result": ...}``
or ``{"ok": false, "error": ...}``. A typhoon's track is written to ``<data_dir>/sim/typhoon.json``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from pingan.demo.simulator import Emission, FleetSimulator, ScenarioError, SimOptions, SimWorld

TICK_S = 0.2  # wall seconds between steps: spreads the datagrams instead of one burst per second
POLL_S = 1.0
RESULTS_KEPT_S = 3600.0  # answers nobody collected are removed after an hour


def write_command(command_dir: Path, name: str, params: dict[str, Any] | None = None) -> Path:
    """Queue a scenario for a running simulator; return the command file (written atomically)."""
    command_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{time.time_ns():020d}-{uuid.uuid4().hex[:6]}-{name}"
    path = command_dir / f"{stem}.json"
    tmp = command_dir / f".{stem}.tmp"
    tmp.write_text(json.dumps({"command": "scenario", "name": name, "params": params or {}}), "utf-8")
    tmp.replace(path)
    return path


def result_path(command_file: Path) -> Path:
    """Where the simulator answers a command file."""
    return command_file.parent.parent / "results" / command_file.name


def write_json(path: Path, value: Any) -> None:
    """Write JSON atomically (a temporary file renamed into place), creating the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(value, ensure_ascii=False, indent=1), "utf-8")
    tmp.replace(path)


def parse_target(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT`` for IPv6) as a (host, port) pair; raises ValueError when malformed."""
    host, sep, port = value.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, got {value!r}")
    return host, int(port)


class SimulatorThread(threading.Thread):
    """Runs a :class:`FleetSimulator` against wall time (times ``speed``) and delivers every sentence it emits."""

    def __init__(
        self,
        world: SimWorld,
        *,
        target: tuple[str, int] | None,
        record: Path | None,
        speed: float,
        command_dir: Path | None,
        seed: int,
        start: datetime,
        options: SimOptions | None = None,
        typhoon_file: Path | None = None,
        tick_s: float = TICK_S,
    ) -> None:
        super().__init__(name="pingan-simulator", daemon=True)
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.engine = FleetSimulator(world, start=start, seed=seed, options=options)
        self.speed = speed
        self.tick_s = tick_s
        self.command_dir = command_dir
        self.typhoon_file = typhoon_file or (command_dir.parent / "typhoon.json" if command_dir else None)
        self.sent = 0  # sentences delivered (each sentence is one datagram)
        self.by_type: Counter[int] = Counter()  # sentences per AIS message type
        self.send_errors = 0
        self.lag_s = 0.0  # how far the simulation trails wall time × speed
        self.errors: list[str] = []
        self.scenarios: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._sock: socket.socket | None = None
        self._addr: Any = None
        if target is not None:
            family, kind, proto, _, addr = socket.getaddrinfo(target[0], target[1], type=socket.SOCK_DGRAM)[0]
            self._sock = socket.socket(family, kind, proto)
            self._addr = addr
        self._record: TextIO | None = None
        if record is not None:
            record.parent.mkdir(parents=True, exist_ok=True)
            self._record = record.open("a", encoding="ascii", newline="\n")

    def run(self) -> None:
        """Step, deliver and poll until stopped."""
        wall0 = time.monotonic()
        sim0 = self.engine.t
        next_poll = wall0
        try:
            while not self._stopping.is_set():
                began = time.monotonic()
                goal = sim0 + (began - wall0) * self.speed
                with self._lock:
                    emissions = self.engine.advance(goal)
                self.deliver(emissions)
                self.lag_s = max(0.0, sim0 + (time.monotonic() - wall0) * self.speed - self.engine.t)
                if self.command_dir is not None and began >= next_poll:
                    self.poll_commands()
                    next_poll = began + POLL_S
                self._stopping.wait(max(0.0, self.tick_s - (time.monotonic() - began)))
        except Exception as exc:  # keep the reason for whoever watches the thread
            self.errors.append(f"{exc.__class__.__name__}: {exc}")
            raise
        finally:
            self.close()

    def stop(self) -> None:
        """Ask the thread to finish its current step and stop."""
        self._stopping.set()

    def close(self) -> None:
        """Close the socket and the recording."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._record is not None:
            self._record.close()
            self._record = None

    def deliver(self, emissions: list[Emission]) -> None:
        """Send each sentence as one UDP datagram (CR LF terminated) and append it to the recording."""
        for em in emissions:
            for line in em.lines:
                if self._sock is not None:
                    try:
                        self._sock.sendto(line.encode("ascii") + b"\r\n", self._addr)
                    except OSError:
                        self.send_errors += 1
                        continue
                if self._record is not None:
                    self._record.write(line + "\n")
                self.sent += 1
                self.by_type[em.msg_type] += 1
        if self._record is not None:
            self._record.flush()

    def trigger(self, name: str, **params: Any) -> dict[str, Any]:
        """Start a scenario at once; return what it involves (MMSIs of subject and control vessels, area …)."""
        with self._lock:
            result = self.engine.start_scenario(name, **params)
        self.scenarios.append(result)
        if name == "typhoon" and self.typhoon_file is not None:
            write_json(self.typhoon_file, result)
        return result

    def poll_commands(self) -> int:
        """Run and delete every queued command file; answer each in the results directory. Returns how many."""
        assert self.command_dir is not None
        if not self.command_dir.is_dir():
            return 0
        results = self.command_dir.parent / "results"
        if results.is_dir():
            old = time.time() - RESULTS_KEPT_S
            for stale in results.glob("*.json"):
                if stale.stat().st_mtime < old:
                    stale.unlink(missing_ok=True)
        done = 0
        for path in sorted(self.command_dir.glob("*.json")):
            try:
                command = json.loads(path.read_text("utf-8"))
                path.unlink()
            except (OSError, ValueError) as exc:
                path.unlink(missing_ok=True)
                write_json(result_path(path), {"ok": False, "error": f"unreadable command: {exc}"})
                continue
            done += 1
            try:
                if not isinstance(command, dict) or command.get("command") != "scenario":
                    raise ScenarioError('expected {"command": "scenario", "name": ..., "params": {...}}')
                params = command.get("params") or {}
                if not isinstance(params, dict):
                    raise ScenarioError("params must be an object")
                answer: dict[str, Any] = {"ok": True, "result": self.trigger(str(command.get("name")), **params)}
            except ScenarioError as exc:
                answer = {"ok": False, "error": str(exc)}
                self.errors.append(str(exc))
            write_json(result_path(path), answer)
        return done


def run_fast(
    engine: FleetSimulator,
    *,
    hours: float,
    record: Path,
    chunk_s: float = 60.0,
    progress: Callable[[float, int, float], None] | None = None,
) -> dict[str, Any]:
    """Simulate ``hours`` as fast as possible, writing every sentence to ``record``; return the counts and rates."""
    record.parent.mkdir(parents=True, exist_ok=True)
    end = engine.t + hours * 3600.0
    lines = 0
    messages = 0
    by_type: Counter[int] = Counter()
    began = time.perf_counter()
    with record.open("w", encoding="ascii", newline="\n") as out:
        while engine.t < end - 1e-9:
            emissions = engine.advance(min(end, engine.t + chunk_s))
            for em in emissions:
                out.write("\n".join(em.lines) + "\n")
                lines += len(em.lines)
                by_type[em.msg_type] += len(em.lines)
            messages += len(emissions)
            if progress is not None:
                progress(engine.t, lines, time.perf_counter() - began)
    wall = time.perf_counter() - began
    return {
        "simulated_hours": hours,
        "sentences": lines,
        "messages": messages,
        "sentences_per_simulated_s": lines / (hours * 3600.0) if hours else 0.0,
        "wall_s": wall,
        "sentences_per_wall_s": lines / wall if wall else 0.0,
        "by_type": dict(sorted(by_type.items())),
    }
