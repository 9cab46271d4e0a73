"""Fixtures of the alert scenarios: a small fleet on file, the app's pipeline on a real UDP port, the fleet simulator
sailing that fleet, and the alert engine run in the simulator's time.

The fleet (:data:`FLEET`) is eight boats of 东极渔港 in 沈家门街道: production group BZ-T01 (three gillnetters),
group BZ-T02 (two), two boats fishing alone (S1, S2) and one in port (P1). Each boat has its own cadre (联船干部)
with an account. The simulator is built from the database (:func:`pingan.demo.sim_world.build_world`) with a fixed
seed; :class:`Watch` advances it in simulated time, sends what it transmits over UDP to the pipeline's listener,
and runs an engine pass every so many simulated seconds, so the rules' delays cost no wall time.
"""

from __future__ import annotations

import functools
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pingan.auth import passwords
from pingan.auth.models import User
from pingan.config import Settings
from pingan.demo.sim_ais import Emission
from pingan.demo.sim_world import build_world
from pingan.demo.simulator import MODE_NAMES, FleetSimulator, SimOptions
from pingan.fleet import groups, terminals
from pingan.fleet.models import Cadre, Port, Vessel, VesselGroup
from pingan.grids.models import SeaGrid
from pingan.maritime.alerts import ensure_policies
from pingan.maritime.engine import AlertEngine, AlertWorker
from pingan.maritime.rules import AlertEvent
from pingan.maritime.runtime import MaritimeRuntime
from pingan.org.models import OrgUnit
from tests.conftest import SEED_TIME
from tests.fleet.conftest import OPERATOR, SJM, TAOHUA, YUGANG, add_cadre, add_vessel

START = datetime(2026, 11, 20, tzinfo=UTC)  # simulated time starts here (a day of the 2026 calendar, past)
# With this seed the simulator starts BZ-T01, BZ-T02, S1 and S2 fishing on grounds at least 14 km apart, none due
# home within 2.5 hours, and P1 in port until 4 hours on (the `watch` fixture checks it).
SEED = 58
OPTIONS = SimOptions(merchants=0, beacons=0, atons=False, at_sea_share=0.8, duplicate_rate=0.0, loss_rate=0.0)
PORT_BOX = (122.674, 30.180, 122.690, 30.190)  # 东极渔港
SEA_GRID_BOX = (122.40, 29.40, 123.60, 31.00)  # one control sea grid over the fishing grounds
LINES_PER_DATAGRAM = 40


@dataclass(frozen=True)
class Boat:
    """One boat of the test fleet."""

    role: str
    registration_no: str
    mmsi: int
    ais: str  # "A" or "B"
    operation_type: str
    group: str | None


FLEET = (
    Boat("g1a", "浙普渔71001", 413710001, "B", "gillnet", "BZ-T01"),
    Boat("g1b", "浙普渔71002", 413710002, "B", "gillnet", "BZ-T01"),
    Boat("g1c", "浙普渔71003", 413710003, "B", "gillnet", "BZ-T01"),
    Boat("g2a", "浙普渔71004", 413710004, "B", "gillnet", "BZ-T02"),
    Boat("g2b", "浙普渔71005", 413710005, "B", "gillnet", "BZ-T02"),
    Boat("s1", "浙普渔71006", 413710006, "A", "trawl", None),
    Boat("s2", "浙普渔71007", 413710007, "A", "gillnet", None),
    Boat("p1", "浙普渔71008", 413710008, "B", "trawl", None),
)
GROUPS = {"BZ-T01": (1852.0, 15), "BZ-T02": (3704.0, 30)}  # dispersion limit (m) and minutes
AT_SEA = ("g1a", "g1b", "g1c", "g2a", "g2b", "s1", "s2")

# One Argon2 hash of the test password for every account this package makes (hashing costs a third of a second).
_hash_once = functools.cache(passwords.hash_password)


@dataclass
class Fleet:
    """The fleet on file: vessels, groups and cadres by role, the accounts, the port and the sea grid."""

    vessels: dict[str, Vessel]
    groups: dict[str, VesselGroup]
    cadres: dict[str, Cadre]
    cadre_users: dict[str, User]
    commander: User
    stranger: User  # a township cadre of 桃花镇: no business with these boats
    port: Port
    grid: SeaGrid

    def mmsi(self, role: str) -> int:
        """The MMSI of a boat."""
        return next(b.mmsi for b in FLEET if b.role == role)

    def role_of(self, vessel_id: int | None) -> str | None:
        """The role of a vessel id (None for a target without a file)."""
        return next((r for r, v in self.vessels.items() if v.id == vessel_id), None)


def _box(bounds: tuple[float, float, float, float]) -> dict[str, Any]:
    lon0, lat0, lon1, lat1 = bounds
    return {
        "geom_wkb": shapely.to_wkb(shapely.box(*bounds)),
        "min_lon": lon0,
        "min_lat": lat0,
        "max_lon": lon1,
        "max_lat": lat1,
    }


@pytest.fixture
def fleet(db: Session, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch) -> Fleet:
    """The test fleet, its cadres and accounts, the port, a control sea grid and the default alert policies."""
    monkeypatch.setattr(passwords, "hash_password", _hash_once)
    units = {u.code: u for u in db.scalars(select(OrgUnit))}
    port = Port(code="DJ", name="东极渔港", kind="fishing_port", unit_id=None, **_box(PORT_BOX))
    grid = SeaGrid(
        code="ZS-C-T01",
        name="东极管控网格",
        family="control",
        responsible_unit_id=units["ZS-HY"].id,
        created_at=SEED_TIME,
        area_km2=15_000.0,
        **_box(SEA_GRID_BOX),
    )
    db.add_all([port, grid])
    db.flush()
    vessels: dict[str, Vessel] = {}
    for boat in FLEET:
        vessel = add_vessel(db, boat.registration_no, SJM, boat.operation_type, home_port_code="DJ")
        kind = "ais_a" if boat.ais == "A" else "ais_b"
        terminals.fit_terminal(
            db, vessel.id, kind=kind, mmsi=str(boat.mmsi), installed_at=SEED_TIME, actor=OPERATOR, now=SEED_TIME
        )
        vessels[boat.role] = vessel
    made: dict[str, VesselGroup] = {}
    for code, (limit_m, minutes) in GROUPS.items():
        group = groups.create_group(
            db,
            code=code,
            name=f"{code} 编组",
            operation_type="gillnet",
            home_unit_code=SJM,
            actor=OPERATOR,
            now=SEED_TIME,
            dispersion_limit_m=limit_m,
            dispersion_limit_minutes=minutes,
        )
        db.flush()
        made[code] = group
        for boat in FLEET:
            if boat.group == code:
                groups.add_member(db, group.id, vessels[boat.role].id, actor=OPERATOR, now=SEED_TIME)
    db.commit()
    cadre_users: dict[str, User] = {}
    cadres: dict[str, Cadre] = {}
    for n, boat in enumerate(FLEET, start=1):
        # A community account: it sees the boats' alerts only because they are addressed to it.
        user = make_user(f"cadre_{boat.role}", YUGANG, ["township_leader"])
        cadre_users[boat.role] = user
        cadres[boat.role] = add_cadre(db, f"联船干部{n}号", SJM, vessels=[vessels[boat.role]], username=user.username)
    commander = make_user("cc_chief", "ZS-SZ", ["commander"])
    stranger = make_user("taohua_cadre", TAOHUA, ["township_leader"])
    ensure_policies(db, now=SEED_TIME)
    db.commit()
    return Fleet(vessels, made, cadres, cadre_users, commander, stranger, port, grid)


@dataclass
class Watch:
    """The simulator sailing the fleet, its transmissions sent over UDP to the live pipeline, and the engine passes."""

    runtime: MaritimeRuntime
    sim: FleetSimulator
    worker: AlertWorker
    sender: socket.socket
    address: tuple[str, int]
    sent: int = 0
    passes: list[datetime] = field(default_factory=list)

    @property
    def engine(self) -> AlertEngine:
        """The alert engine the passes run."""
        return self.worker.engine

    @property
    def now(self) -> datetime:
        """The simulated time."""
        return datetime.fromtimestamp(self.sim.t, UTC)

    def run(self, seconds: float, *, every_s: float = 30.0) -> list[AlertEvent]:
        """Sail `seconds` on, sending every transmission over UDP, with an engine pass every `every_s` (simulated)."""
        end = self.sim.t + seconds
        events: list[AlertEvent] = []
        while self.sim.t < end - 1e-6:
            at = min(self.sim.t + every_s, end)
            self.send(self.sim.advance(at))
            now = datetime.fromtimestamp(at, UTC)
            events += self.worker.run_once(now=now)
            self.passes.append(now)
        return events

    def send(self, emissions: list[Emission]) -> None:
        """Send the sentences (with their tag blocks) as datagrams and wait until the pipeline has read every line."""
        lines = [line.encode("ascii") for e in emissions for line in e.lines]
        for k in range(0, len(lines), LINES_PER_DATAGRAM):
            self.sender.sendto(b"\r\n".join(lines[k : k + LINES_PER_DATAGRAM]) + b"\r\n", self.address)
        self.sent += len(lines)
        counters = self.runtime.pipeline.counters
        deadline = time.monotonic() + 10.0
        while counters.lines < self.sent:
            assert time.monotonic() < deadline, f"the listener read {counters.lines} of {self.sent} lines sent"
            time.sleep(0.0005)


@pytest.fixture
def watch(
    app: Any, db: Session, fleet: Fleet, settings: Settings, session_factory: sessionmaker[Session], tmp_path: Path
) -> Iterator[Watch]:
    """The app's pipeline listening on an ephemeral UDP port, the simulator on the fleet, and the engine."""
    runtime: MaritimeRuntime = app.state.maritime
    runtime.settings = settings.model_copy(
        update={
            "ais_udp_port": 0,
            "ais_tcp_port": None,
            "ais_host": "127.0.0.1",
            "ais_flush_seconds": 3600.0,  # no periodic thread on the test connection
            "alert_engine": False,  # the test runs the passes itself, in simulated time
            "data_dir": tmp_path,
            "ais_history_dir": tmp_path / "tracks",
        }
    )
    runtime.write = runtime.read = session_factory
    runtime.pipeline.history = None
    runtime.start()
    sim = FleetSimulator(build_world(db), start=START, seed=SEED, options=OPTIONS)
    modes = {b.role: MODE_NAMES[int(sim.mode[sim.index_of(b.mmsi)])] for b in FLEET}
    expected = {b.role: "fishing" if b.role in AT_SEA else "in_port" for b in FLEET}
    assert modes == expected, f"seed {SEED} no longer starts the fleet as these tests need; choose another"
    worker = AlertWorker(AlertEngine(runtime), session_factory, period_s=3600.0, read=session_factory)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    assert runtime.listeners is not None
    try:
        yield Watch(runtime, sim, worker, sender, ("127.0.0.1", runtime.listeners.bound["udp"]))
    finally:
        sender.close()
        runtime.stop()
