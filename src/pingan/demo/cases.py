"""A year of demo cases ending at ``now``: about 50,000 at full scale (平安舟山 reports some 50,000 problems a year
and a 99 % 解决率), about 3,000 in the sample.

Every case is simulated move by move: :func:`pingan.cases.workflow.plan` checks each move against the real
transition table, and the columns and step clocks change as :func:`pingan.cases.service.transition` changes them,
with deadlines on the stored working calendar (:func:`pingan.cases.clocks.work_calendar`, :func:`clocks.limit_for`).
Categories come at their catalogue weights (more in summer, typhoon spikes for the maritime and flood classes),
places are random points inside land grids (control sea grids for the 30xx classes), responsible units follow the
category's routing rule, and durations are drawn as shares of each step's limit (a few per cent run over it).
The last days hold the open cases, and a handful are put in every open state, some past their warning point or
deadline, several in grid_wu's grids and dispatched to 沈家门街道, so every demo account has work.

Rows go in through SQLAlchemy Core in chunks with ids assigned here; reporters' phones are stored only as the field
cipher's ciphertext and blind index. Deliberately not replayed for this history:

- audit rows: the hash-chained trail records what was done on this system, and this history was not done here;
  ``pingan audit verify`` checks the chain, which the loader does not touch;
- timed escalations of past clocks (预警、催办、督办 steps and ``case_escalation`` rows): the scheduler fires them
  for the clocks still running, as for any case;
- return visits nobody makes: closed cases without a 回访 (mostly grid-worker and machine reports, with nobody to
  call back) have their visit clock stopped once it has run out, so a year of history does not wake the scheduler;
  the recent ones stay in 待回访.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Any, NamedTuple, cast

import shapely
from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from pingan.auth.models import User
from pingan.cases import clocks
from pingan.cases.catalog import DemandType, RoutingRule
from pingan.cases.models import Case, CaseCategory, CaseNumberSeq, CaseStep
from pingan.cases.routing import UnitRef, route
from pingan.cases.sla import TimeLimit
from pingan.cases.workflow import (
    AUTO_DISPATCH,
    AUTO_REGISTER,
    CLOCK_OF,
    OPEN_STATUSES,
    Action,
    CaseStatus,
    Channel,
    Duty,
    Satisfaction,
    Step,
    plan,
)
from pingan.config import Settings
from pingan.demo.registry import person_name
from pingan.fleet.models import Vessel
from pingan.grids.models import LandGrid, SeaGrid, SeaGridFamily, TeamMember, TeamRole
from pingan.kit.clock import to_local
from pingan.org.models import OrgUnit

SCALES = {"sample": 3_000, "full": 50_000}
CHUNK = 5000
GRID_WU = "grid_wu"
GRID_WU_GRIDS = ("330903001001001", "330903001001002")
# Accounts that accept and handle the cases of their unit, so the demo's timelines name real people.
HANDLERS = {"330903001": "sjm_zhao", "330903102": "taohua_sun", "PT-GA-SJM": "police_zhou", "ZS-HY": "fish_qian"}
# Open states the demo always shows a handful of (and closed cases waiting for their return visit).
FORCED_STATES = (
    CaseStatus.RECEIVED,
    CaseStatus.REGISTERED,
    CaseStatus.DISPATCHED,
    CaseStatus.RETURNED,
    CaseStatus.ACCEPTED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.HANDLED,
    CaseStatus.REWORK,
    CaseStatus.CLOSED_FIXED,
)
FORCED_PER_STATE = 3
# Where "now" falls in a forced case's running clock: fresh, past the warning point (即将超期), past due (已超期).
BANDS = ((0.1, 0.7), (0.82, 0.98), (1.05, 1.8))
# Chance that a step runs over its limit; 处置 is the step that slips.
P_OVERDUE = {"register": 0.004, "dispatch": 0.004, "accept": 0.008, "handle": 0.03, "check": 0.004, "visit": 0.004}
P_REJECT = {Channel.PUBLIC: 0.05, Channel.COMPLAINT: 0.05, Channel.SENSOR: 0.05, Channel.GRID_WORKER: 0.006}
P_DUPLICATE = 0.025  # reports that repeat an earlier one (merged when it is still open)
REPEAT_CHANNELS = ((Channel.HOTLINE, 45), (Channel.PUBLIC, 35), (Channel.COMPLAINT, 5), (Channel.GRID_WORKER, 15))
DUPLICATE_DELAY_H = 48.0  # the latest a repeat comes after the first report
P_REVISIT = {Channel.GRID_WORKER: 0.8, Channel.SENSOR: 0.3, Channel.ALERT: 0.3}  # person channels: 0.98
SATISFACTION_MIX = ((Satisfaction.SATISFIED, 0.85), (Satisfaction.BASICALLY, 0.12), (Satisfaction.UNSATISFIED, 0.03))
SEVERITY_MIX = (("minor", 0.35), ("general", 0.55), ("serious", 0.10))
DEMAND_MIX = (
    (DemandType.CONSULT, 20),
    (DemandType.COMPLAINT, 30),
    (DemandType.SUGGESTION, 8),
    (DemandType.HELP, 27),
    (DemandType.REPORT, 12),
    (DemandType.PRAISE, 3),
)
DEMAND_ZH = {
    "consult": "咨询",
    "complaint": "投诉",
    "suggestion": "建议",
    "help": "求助",
    "report": "举报",
    "praise": "表扬",
}
MONTH_FACTOR = (0.80, 0.70, 0.90, 0.95, 1.05, 1.15, 1.25, 1.25, 1.15, 1.00, 0.95, 0.85)
STORM_CLASSES = {"2207": 5.0, "0403": 5.0, "0405": 5.0, "0401": 2.0}  # and every 30xx class ×6
SENSOR_CLASSES = frozenset({"0105", "0403", "1101", "1102", "1103", "1104", "1105", "1106"})
# Relative reports per local hour, by who reports.
HOURS_OFFICE = (1, 1, 1, 1, 1, 2, 4, 10, 18, 20, 20, 16, 8, 14, 18, 18, 14, 8, 4, 3, 2, 2, 1, 1)
HOURS_PUBLIC = (2, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 11, 8, 10, 12, 12, 11, 10, 10, 10, 9, 7, 5, 3)
HOURS_ROUND = (4, 3, 3, 2, 2, 3, 5, 7, 9, 10, 10, 9, 8, 9, 10, 10, 10, 10, 11, 12, 11, 9, 7, 5)
HOURS_FLAT = (1,) * 24
HOURS_BY_CHANNEL = {
    Channel.GRID_WORKER: list(accumulate(HOURS_OFFICE)),
    Channel.NONPOLICE: list(accumulate(HOURS_ROUND)),
    Channel.ALERT: list(accumulate(HOURS_ROUND)),
    Channel.SENSOR: list(accumulate(HOURS_FLAT)),
}
HOURS_OTHERS = list(accumulate(HOURS_PUBLIC))
ROADS = ("海印路", "东海中路", "渔港路", "新街", "人民中路", "环城北路", "和平路", "昌国路", "解放东路", "芙蓉洲路")
REPORT_TEXT = {
    "event": ("巡查发现{place}{name}，影响市容和通行，请尽快处理。", "{place}{name}，周边居民反映较多。"),
    "component": ("{place}{name}损坏，存在安全隐患，请权属单位维修。", "{place}{name}缺失或破损，需尽快修复。"),
    "dispute": ("{place}居民反映{name}，双方各执一词，请求调解。", "{place}发生{name}，当事人情绪激动，需介入化解。"),
    "nonpolice": ("110转办：{place}{name}，报警人请求协助处理。",),
    "safety": ("{place}发现{name}，存在安全风险，请排查整改。", "排查发现{place}{name}，需督促整改到位。"),
    "demand": ("市民{demand}：{place}{name}相关问题，请相关单位处理并答复。",),
    "maritime": ("{vessel}在{place}{name}，请立即核查处置。", "预警：{vessel}{name}，位于{place}。"),
}
REJECT_REASONS = ("现场核实未发现所反映问题", "不属于本平台受理范围，已告知反映人", "信息不全且无法联系反映人")
RETURN_REASONS = ("不属于本单位职责范围，申请退回", "位置不在本辖区，申请改派")
HANDLE_NOTES = ("已到场处置完毕，附处置后照片", "已督促责任人整改到位", "已协调相关方处理完毕")
SYSTEM = ("system", None)
DESK = ("社会治理中心坐席", None)
VISITOR = ("回访员", None)
CHANNEL_ACTOR = {
    Channel.PUBLIC: "群众上报",
    Channel.HOTLINE: "12345热线",
    Channel.NONPOLICE: "110指挥中心",
    Channel.COMPLAINT: "投诉受理",
    Channel.SENSOR: "sensor-gateway",
    Channel.ALERT: "海上预警",
}
RESTART = frozenset({Action.REDISPATCH, Action.CHECK_FAIL, Action.REVISIT, Action.DISPATCH})
MERGEABLE = (OPEN_STATUSES - {CaseStatus.HANDLED}) | {CaseStatus.CLOSED_FIXED, CaseStatus.CLOSED_UNFIXABLE}

CASE_TABLE, STEP_TABLE = cast(Table, Case.__table__), cast(Table, CaseStep.__table__)
# A just-reported case before its own values: every column, so the chunks insert with one statement shape.
BLANK_ROW: dict[str, Any] = {column.name: None for column in CASE_TABLE.columns} | {
    "status": CaseStatus.RECEIVED.value,
    "sub_status": "",
    "is_open": True,
    "reporter_anonymous": False,
    "redo_count": 0,
    "decline_count": 0,
    "escalation_level": 0,
    "is_overdue": False,
    "clock_seq": 0,
}

Actor = tuple[str, int | None]
NO_CLOCK: tuple[Any, ...] = (None, None, None, None)  # step, step_seconds, due_at, met of an entry ending no clock


def cases_loaded(session: Session) -> bool:
    """True when the case hub already holds cases (the demo then leaves it alone)."""
    return session.scalar(select(Case.id).limit(1)) is not None


class _Stop(Exception):
    """The next move would come after ``now``, or a forced case reached its state: the case stays as it is."""


class _Grid(NamedTuple):
    id: int
    code: str
    name: str
    village_id: int
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    centroid_lon: float
    centroid_lat: float


class _Sea(NamedTuple):
    id: int
    name: str
    unit_id: int
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


@dataclass(frozen=True)
class _Place:
    """Where a case is: point, grid or sea grid, territorial unit, address and a short place name for texts."""

    lon: float
    lat: float
    where: str
    grid: int | None  # index into the world's land grids
    sea_grid_id: int | None
    unit_id: int | None
    address: str
    label: str


@dataclass
class _Plan:
    """The random choices of one case's life, drawn up front."""

    reject: bool = False
    self_handle: bool = False
    master: _Sim | None = None
    returned: bool = False
    check_fails: int = 0
    unfixable: bool = False
    revisit: bool = True
    outcomes: tuple[Satisfaction, ...] = (Satisfaction.SATISFIED,)


class _Sim:
    """One case being simulated: its row (the ``case_item`` columns) and its timeline."""

    __slots__ = ("cat", "channel", "place", "reporter", "row", "steps", "stop_at")

    def __init__(self, row: dict[str, Any], cat: CaseCategory, channel: Channel, place: _Place, reporter: Actor):
        self.row = row
        self.cat = cat
        self.channel = channel
        self.place = place
        self.reporter = reporter
        self.steps: list[tuple[Any, ...]] = []
        self.stop_at: CaseStatus | None = None

    @property
    def status(self) -> CaseStatus:
        return CaseStatus(self.row["status"])

    @property
    def last_at(self) -> datetime:
        return cast(datetime, self.steps[-1][6] if self.steps else self.row["reported_at"])

    def status_at(self, at: datetime) -> CaseStatus | None:
        """The status the case had at ``at`` (None before it was reported)."""
        found = None
        for step in self.steps:
            if step[6] > at:
                break
            found = step[2]
        return CaseStatus(found) if found else None


def _step(
    action: str,
    frm: str | None,
    to: str,
    actor: Actor,
    at: datetime,
    note: str = "",
    unit_id: int | None = None,
    data: dict[str, Any] | None = None,
    clock: tuple[Any, ...] = NO_CLOCK,
) -> tuple[Any, ...]:
    """A timeline entry as the loader keeps it (the ``case_step`` columns from ``action`` to ``met``)."""
    return (action, frm, to, actor[1], actor[0], unit_id, at, note, data or {}, *clock)


def _frac(rng: random.Random, p_over: float) -> float:
    """How much of a step's limit a move takes: mostly well inside it, now and then over."""
    if rng.random() < p_over:
        return rng.uniform(1.05, 2.3)
    return 0.03 + 0.9 * rng.betavariate(1.4, 3.2)


def _pick(rng: random.Random, mix: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([m[0] for m in mix], weights=[m[1] for m in mix])[0]


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10)}{rng.randrange(10**8):08d}"


class _Loader:
    """Reads the world once, simulates the cases in report order and writes them in chunks."""

    def __init__(self, session: Session, settings: Settings, now: datetime, seed: int) -> None:
        self.session = session
        self.settings = settings
        self.now = now
        self.seed = seed
        self.rng = random.Random(seed)
        self.cipher = settings.field_cipher()
        self.cal = clocks.work_calendar(session, settings)
        self._limits: dict[tuple[int, str, str | None], TimeLimit] = {}
        self._routes: dict[tuple[int, int | None], int | None] = {}
        self._read_world()
        self.next_case_id = int(session.scalar(select(func.coalesce(func.max(Case.id), 0))) or 0) + 1
        self.next_step_id = int(session.scalar(select(func.coalesce(func.max(CaseStep.id), 0))) or 0) + 1
        self.number_last = {s.year: s.last for s in session.scalars(select(CaseNumberSeq))}
        self.counts: dict[str, int] = {"cases": 0, "open_cases": 0, "case_steps": 0}

    # ------------------------------------------------------------ the world

    def _read_world(self) -> None:
        s = self.session
        self.units = {u.id: u for u in s.scalars(select(OrgUnit))}
        by_code = {u.code: u for u in self.units.values()}
        cats = list(
            s.scalars(
                select(CaseCategory)
                .where(CaseCategory.level == 2, CaseCategory.is_active.is_(True), CaseCategory.weight > 0)
                .order_by(CaseCategory.code)
            )
        )
        if not cats:
            raise ValueError("no active categories with a weight: load the catalogue first")
        self.cats = cats
        self.weights = [c.weight for c in cats]
        self.storm_weights = [
            c.weight * (6.0 if c.code.startswith("30") else STORM_CLASSES.get(c.code, 1.0)) for c in cats
        ]
        rows = s.execute(
            select(
                LandGrid.id,
                LandGrid.code,
                LandGrid.name,
                LandGrid.village_unit_id,
                LandGrid.min_lon,
                LandGrid.min_lat,
                LandGrid.max_lon,
                LandGrid.max_lat,
                LandGrid.centroid_lon,
                LandGrid.centroid_lat,
                LandGrid.geom_wkb,
            ).order_by(LandGrid.code)
        ).all()
        self.grids = [_Grid(*r[:10]) for r in rows]
        self.grid_geoms = shapely.from_wkb([r[10] for r in rows]) if rows else []
        shapely.prepare(self.grid_geoms)
        sea_rows = s.execute(
            select(
                SeaGrid.id,
                SeaGrid.name,
                SeaGrid.responsible_unit_id,
                SeaGrid.min_lon,
                SeaGrid.min_lat,
                SeaGrid.max_lon,
                SeaGrid.max_lat,
                SeaGrid.geom_wkb,
            )
            .where(SeaGrid.family == SeaGridFamily.CONTROL)
            .order_by(SeaGrid.code)
        ).all()
        self.seas = [_Sea(*r[:7]) for r in sea_rows]
        self.sea_geoms = shapely.from_wkb([r[7] for r in sea_rows]) if sea_rows else []
        shapely.prepare(self.sea_geoms)
        self.grid_workers = {
            gid: name
            for gid, name in s.execute(
                select(TeamMember.grid_id, TeamMember.name).where(
                    TeamMember.role == TeamRole.GRID_WORKER, TeamMember.user_id.is_(None)
                )
            )
        }
        users = {
            name: uid
            for name, uid in s.execute(
                select(User.username, User.id).where(User.username.in_([GRID_WU, *HANDLERS.values()]))
            )
        }
        self.grid_wu = users.get(GRID_WU)
        self.wu_grids = [i for i, g in enumerate(self.grids) if g.code in GRID_WU_GRIDS] if self.grid_wu else []
        self.handlers = {
            by_code[code].id: (username, users[username])
            for code, username in HANDLERS.items()
            if code in by_code and username in users
        }
        self.vessels = list(s.scalars(select(Vessel.registration_no).order_by(Vessel.id).limit(3000)))
        self.territorial = [
            i for i, c in enumerate(cats) if c.routing_rule == RoutingRule.TERRITORY_FIRST and c.kind != "maritime"
        ]

    def _chain(self, unit_id: int | None) -> list[UnitRef]:
        chain: list[UnitRef] = []
        while unit_id is not None and len(chain) < 12:
            unit = self.units.get(unit_id)
            if unit is None:
                break
            chain.append(UnitRef(unit.id, unit.code, str(unit.kind)))
            unit_id = unit.parent_id
        return chain

    def _route(self, cat: CaseCategory, unit_id: int | None) -> int | None:
        key = (cat.id, unit_id)
        if key not in self._routes:
            dept = self.units.get(cat.department_id) if cat.department_id else None
            department = UnitRef(dept.id, dept.code, str(dept.kind)) if dept is not None else None
            found = route(RoutingRule(cat.routing_rule), department=department, chain=self._chain(unit_id))
            self._routes[key] = found.unit_id
        return self._routes[key]

    def _other_unit(self, cat: CaseCategory, unit_id: int | None, place_unit: int | None) -> int | None:
        """Where a returned case goes next: the department if a township returned it, else the township."""
        candidates = [cat.department_id, *(u.id for u in self._chain(place_unit) if u.kind == "township")]
        for cand in candidates:
            if cand is not None and cand != unit_id:
                return cand
        unit = self.units.get(unit_id) if unit_id else None
        return unit.parent_id if unit is not None else None

    def _limit(self, cat: CaseCategory, step: str, severity: str | None) -> TimeLimit:
        key = (cat.id, step, severity)
        if key not in self._limits:
            self._limits[key] = clocks.limit_for(cat, Step(step), severity, self.settings)
        return self._limits[key]

    # ------------------------------------------------------------ places and people

    def _land_place(self, rng: random.Random, index: int) -> _Place:
        _, _, name, village_id, x0, y0, x1, y1, cx, cy = self.grids[index]
        geom = self.grid_geoms[index]
        lon, lat = cx, cy
        for _ in range(20):
            x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
            if shapely.contains_xy(geom, x, y):
                lon, lat = x, y
                break
        village = self.units.get(village_id)
        town = self.units.get(village.parent_id) if village is not None and village.parent_id else None
        vname = village.name if village is not None else ""
        address = f"{town.name if town else ''}{vname}{rng.choice(ROADS)}{rng.randint(1, 300)}号"
        return _Place(lon, lat, "land", index, None, village_id, address, vname or name)

    def _sea_place(self, rng: random.Random) -> _Place | None:
        if not self.seas:
            return None
        index = rng.randrange(len(self.seas))
        sid, name, unit_id, x0, y0, x1, y1 = self.seas[index]
        geom = self.sea_geoms[index]
        for _ in range(30):
            x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
            if shapely.contains_xy(geom, x, y):
                return _Place(x, y, "sea", None, sid, unit_id, name, name)
        return None

    def _place(self, rng: random.Random, cat: CaseCategory, *, wu: bool = False) -> _Place:
        if cat.code.startswith("30"):
            sea = self._sea_place(rng)
            if sea is not None:
                return sea
        if not self.grids:
            raise ValueError("no land grids: load the demo geography first")
        index = rng.choice(self.wu_grids) if wu and self.wu_grids else rng.randrange(len(self.grids))
        return self._land_place(rng, index)

    def _channel(self, rng: random.Random, cat: CaseCategory) -> Channel:
        code = cat.code
        r = rng.random()
        if code.startswith("21"):
            return Channel.NONPOLICE if r < 0.9 else Channel.HOTLINE
        if code.startswith("30"):
            return Channel.ALERT if r < 0.85 else Channel.HOTLINE
        if code.startswith("23"):
            return Channel.HOTLINE if r < 0.7 else Channel.PUBLIC if r < 0.9 else Channel.COMPLAINT
        if code in SENSOR_CLASSES and r < 0.4:
            return Channel.SENSOR
        r = rng.random()
        if r < 0.72:
            return Channel.GRID_WORKER
        if r < 0.84:
            return Channel.PUBLIC
        return Channel.HOTLINE if r < 0.96 else Channel.COMPLAINT

    # ------------------------------------------------------------ report times

    def _days(self) -> tuple[list[date], list[float], list[float]]:
        """The local days of the year ending at ``now``, their weights, and a typhoon flag per day."""
        last = to_local(self.now, self.settings.display_timezone).date()
        days = [last - timedelta(days=n) for n in range(364, -1, -1)]
        storms: set[date] = set()
        for year in sorted({d.year for d in days}):
            for _ in range(3):  # three typhoons a summer, three days each
                start = date(year, 7, 15) + timedelta(days=self.rng.randrange(70))
                storms.update(start + timedelta(days=k) for k in range(3))
        weights = []
        for d in days:
            w = MONTH_FACTOR[d.month - 1] * (0.8 if d.weekday() >= 5 else 1.0)
            weights.append(w * (1.6 if d in storms else 1.0))
        return days, weights, [1.0 if d in storms else 0.0 for d in days]

    def _report_time(self, rng: random.Random, day: date, channel: Channel) -> datetime:
        hour = rng.choices(range(24), cum_weights=HOURS_BY_CHANNEL.get(channel, HOURS_OTHERS))[0]
        local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=self.cal.tz)
        at = local.astimezone(self.now.tzinfo)
        if at > self.now:  # today, later than now: somewhere earlier today instead
            midnight = datetime.combine(day, time(0), tzinfo=self.cal.tz).astimezone(self.now.tzinfo)
            at = midnight + (self.now - midnight) * rng.random()
        return at

    # ------------------------------------------------------------ a new case

    def _new(
        self,
        rng: random.Random,
        cat: CaseCategory,
        channel: Channel,
        place: _Place,
        at: datetime,
        *,
        wu: bool = False,
        copy_of: _Sim | None = None,
    ) -> _Sim:
        """A case just reported: its row, the report step and the register clock (as intake leaves it)."""
        severity = _pick(rng, SEVERITY_MIX) if cat.severity_limits else None
        demand = None
        attributes: dict[str, Any] = {}
        if cat.code.startswith("23") or (channel in (Channel.HOTLINE, Channel.COMPLAINT) and rng.random() < 0.5):
            demand = _pick(rng, DEMAND_MIX).value
            if cat.code.startswith("23"):
                attributes["demand_type"] = demand
        vessel = rng.choice(self.vessels) if self.vessels else f"浙普渔{rng.randrange(10_000, 100_000)}"
        if cat.code.startswith("30"):
            attributes["vessel"] = vessel
        if copy_of is not None:
            description = "又有人反映：" + copy_of.row["description"]
        else:
            template = rng.choice(REPORT_TEXT.get(str(cat.kind), REPORT_TEXT["event"]))
            description = template.format(
                place=place.label, name=cat.name, demand=DEMAND_ZH.get(demand or "help", "求助"), vessel=vessel
            )
        reporter_name, phone, anonymous = "", None, False
        if channel in (Channel.PUBLIC, Channel.HOTLINE, Channel.COMPLAINT, Channel.NONPOLICE):
            anonymous = rng.random() < 0.05
            if not anonymous:
                reporter_name, phone = person_name(rng), _phone(rng)
        reported_by = None
        if channel is Channel.GRID_WORKER:
            mine = place.grid is not None and place.grid in self.wu_grids and (wu or rng.random() < 0.7)
            if mine:
                reported_by = self.grid_wu
                actor: Actor = (GRID_WU, reported_by)
            else:
                gid = self.grids[place.grid].id if place.grid is not None else None
                actor = (f"{self.grid_workers.get(gid, '')}（网格员）" if gid in self.grid_workers else "网格员", None)
        else:
            actor = (CHANNEL_ACTOR.get(channel, channel.value), None)
        priority = cat.default_priority
        if priority == "normal" and rng.random() < 0.05:
            priority = "high"
        row: dict[str, Any] = {
            **BLANK_ROW,
            "channel": channel.value,
            "demand_type": demand,
            "category_id": cat.id,
            "title": f"{cat.name}：{description[:40]}"[:120],
            "description": description,
            "lon": place.lon,
            "lat": place.lat,
            "address": place.address[:200],
            "where": place.where,
            "grid_id": self.grids[place.grid].id if place.grid is not None else None,
            "sea_grid_id": place.sea_grid_id,
            "unit_id": place.unit_id,
            "reporter_name": reporter_name,
            "reporter_anonymous": anonymous,
            "reporter_phone_enc": self.cipher.encrypt(phone) if phone else None,
            "reporter_phone_bidx": self.cipher.blind_index(phone) if phone else None,
            "reported_by_id": reported_by,
            "priority": priority,
            "severity": severity,
            "suggested_unit_id": self._route(cat, place.unit_id),
            "attributes": attributes,
            "reported_at": at,
            "updated_at": at,
        }
        sim = _Sim(row, cat, channel, place, actor)
        self._start(sim, "register", at)
        sim.steps.append(_step("report", None, CaseStatus.RECEIVED.value, actor, at, description[:200]))
        return sim

    # ------------------------------------------------------------ moves (as cases.service.transition makes them)

    def _start(self, sim: _Sim, step: str, at: datetime) -> None:
        row = sim.row
        row["clock_step"] = step
        row["clock_seq"] += 1
        row["step_started_at"] = at
        row["step_due_at"] = self.cal.add(at, self._limit(sim.cat, step, row["severity"]))

    def _stop_clock(self, sim: _Sim) -> None:
        row = sim.row
        row["clock_step"] = row["step_started_at"] = row["step_due_at"] = None

    def _act(
        self,
        sim: _Sim,
        action: Action,
        at: datetime,
        actor: Actor,
        *,
        note: str = "",
        unit_id: int | None = None,
        outcome: Satisfaction | None = None,
        master: _Sim | None = None,
    ) -> None:
        row, cat = sim.row, sim.cat
        status = sim.status
        move = plan(status, action, outcome=outcome.value if outcome else None, reason=note)
        target = move.target or status
        old_step = row["clock_step"]
        data: dict[str, Any] = {}
        if action in (Action.DISPATCH, Action.REDISPATCH):
            row["responsible_unit_id"] = unit_id
            row["assignee_id"] = None
            if row["dispatched_at"] is None:
                row["dispatched_at"] = at
                row["handle_due_at"] = self.cal.add(at, self._limit(cat, "handle", row["severity"]))
            data["unit"] = self.units[unit_id].code if unit_id in self.units else None
        elif action is Action.RETURN:
            unit_id = row["responsible_unit_id"]
            data["unit"] = self.units[unit_id].code if unit_id in self.units else None
            row["decline_count"] += 1
            row["responsible_unit_id"] = row["assignee_id"] = None
        elif action is Action.ACCEPT:
            if row["accepted_at"] is None:
                row["accepted_at"] = at
                row["accepted_on_time"] = row["step_due_at"] is None or at <= row["step_due_at"]
            row["assignee_id"] = actor[1] or row["assignee_id"]
        elif action is Action.HANDLE:
            row["handled_at"] = at
        elif action is Action.CHECK_FAIL:
            row["redo_count"] += 1
            row["sub_status"] = "返工"
        elif action in (Action.CHECK_PASS, Action.CLOSE_UNFIXABLE):
            row["closed_at"] = at
            row["closed_on_time"] = self._closed_on_time(sim, at)
            row["sub_status"] = ""
        elif action is Action.SELF_HANDLE:
            for column in ("registered_at", "dispatched_at", "accepted_at", "handled_at", "closed_at"):
                row[column] = at
            row["responsible_unit_id"] = row["unit_id"]
            row["closed_on_time"] = row["accepted_on_time"] = True
            row["sub_status"] = "自行处置"
        elif action is Action.MERGE and master is not None:
            row["master_id"] = master.row["id"]
            row["closed_at"] = at
            data["master"] = master.row["number"]
            was = master.status_at(at) or CaseStatus.RECEIVED
            text_, extra = f"并入重复件 {row['number']}", {"duplicate": row["number"]}
            master.steps.append(_step("note", was.value, was.value, actor, at, text_, data=extra))
        elif action is Action.REVISIT and outcome is not None:
            row["satisfaction"] = outcome.value
            row["revisited_at"] = at
            data["outcome"] = outcome.value
            if outcome is Satisfaction.UNSATISFIED:
                row["redo_count"] += 1
                row["sub_status"] = "发回重办"
                row["closed_at"] = row["closed_on_time"] = None
        elif action is Action.REGISTER:
            row["registered_at"] = at
        if move.duty is Duty.HANDLE and row["first_response_at"] is None and action is not Action.RETURN:
            row["first_response_at"] = at
        new_step = CLOCK_OF.get(target)
        restart = action in RESTART
        clock: tuple[Any, ...] = NO_CLOCK
        if old_step is not None and (new_step is None or new_step.value != old_step or restart):
            started, due = row["step_started_at"] or at, row["step_due_at"]
            met = at <= due if due is not None else None
            clock = (old_step, (at - started).total_seconds(), due, met)
            if met is False:
                row["is_overdue"] = True
        row["status"] = target.value
        row["is_open"] = target in OPEN_STATUSES
        if new_step is None:
            self._stop_clock(sim)
        elif new_step.value != old_step or restart:
            self._start(sim, new_step.value, at)
        row["updated_at"] = at
        sim.steps.append(_step(action.value, status.value, target.value, actor, at, note, unit_id, data, clock))
        if sim.stop_at is not None and target is sim.stop_at:
            raise _Stop

    def _closed_on_time(self, sim: _Sim, at: datetime) -> bool:
        due = sim.row["handle_due_at"]
        if due is None or at <= due:  # the check allowance only extends the deadline
            return True
        return at <= self.cal.add(due, self._limit(sim.cat, "check", sim.row["severity"]))

    def _at(self, sim: _Sim, frac: float) -> datetime:
        """The moment ``frac`` of the running clock's limit has passed; :class:`_Stop` if that is after now."""
        row = sim.row
        limit = self._limit(sim.cat, row["clock_step"], row["severity"])
        at = max(self.cal.add(row["step_started_at"], limit.scaled(frac)), sim.last_at)
        if at > self.now:
            raise _Stop
        return at

    def _next(self, sim: _Sim, rng: random.Random) -> datetime:
        return self._at(sim, _frac(rng, P_OVERDUE[sim.row["clock_step"]]))

    # ------------------------------------------------------------ a life

    def _handler(self, sim: _Sim) -> Actor:
        unit_id = sim.row["responsible_unit_id"]
        if unit_id in self.handlers:
            return self.handlers[unit_id]
        unit = self.units.get(unit_id) if unit_id else None
        return (f"{unit.name}经办人" if unit is not None else "经办人", None)

    def _checker(self, sim: _Sim) -> Actor:
        return sim.reporter if sim.channel is Channel.GRID_WORKER else DESK

    def _plan(self, rng: random.Random, sim: _Sim) -> _Plan:
        p = _Plan()
        channel = sim.channel
        if channel not in AUTO_REGISTER:
            p.reject = rng.random() < P_REJECT.get(channel, 0.0)
            p.self_handle = (
                channel is Channel.GRID_WORKER
                and sim.cat.self_handle
                and sim.row["severity"] != "serious"
                and rng.random() < 0.45
            )
        p.returned = rng.random() < 0.03
        p.check_fails = 1 if rng.random() < 0.03 else 0
        p.unfixable = rng.random() < 0.006
        p.revisit = rng.random() < P_REVISIT.get(channel, 0.98)
        first = _pick(rng, SATISFACTION_MIX)
        second = Satisfaction.SATISFIED if rng.random() < 0.7 else Satisfaction.BASICALLY
        p.outcomes = (first, second) if first is Satisfaction.UNSATISFIED else (first,)
        return p

    def _live(self, sim: _Sim, p: _Plan, rng: random.Random) -> None:
        """Run the case's life until it ends, the next move would be after now, or it reaches ``stop_at``."""
        with contextlib.suppress(_Stop):
            self._walk(sim, p, rng)
        row = sim.row
        if row["clock_step"] is not None:
            limit = self._limit(sim.cat, row["clock_step"], row["severity"])
            row["step_warn_at"] = self.cal.add(row["step_started_at"], limit.scaled(self.settings.case_warn_ratio))
            row["step_supervise_at"] = self.cal.add(
                row["step_started_at"], limit.scaled(self.settings.case_supervise_ratio)
            )

    def _walk(self, sim: _Sim, p: _Plan, rng: random.Random) -> None:
        row = sim.row
        at = row["reported_at"]
        if sim.stop_at is CaseStatus.RECEIVED:
            raise _Stop
        if sim.channel in AUTO_REGISTER:
            self._act(sim, Action.REGISTER, at, SYSTEM, note="渠道已受理，自动立案")
        if sim.channel is Channel.NONPOLICE:
            row["response_due_at"] = at + timedelta(minutes=self.settings.case_nonpolice_response_minutes)
        if sim.channel in AUTO_DISPATCH and row["suggested_unit_id"] is not None:
            self._act(sim, Action.DISPATCH, at, SYSTEM, note="接报即分流", unit_id=row["suggested_unit_id"])
        if p.master is not None:
            at = self._at(sim, 0.02 + 0.4 * rng.random())
            if p.master.status_at(at) in MERGEABLE:
                self._act(sim, Action.MERGE, at, DESK, note="与在办案件重复，并单处理", master=p.master)
                return
        if sim.status is CaseStatus.RECEIVED:
            if p.self_handle:
                at = self._at(sim, 0.02 + 0.3 * rng.random())
                self._act(sim, Action.SELF_HANDLE, at, sim.reporter, note="网格员现场自行处置完毕，附前后对比照片")
                self._visit(sim, p, rng)
                return
            if p.reject:
                self._act(sim, Action.REJECT, self._next(sim, rng), DESK, note=rng.choice(REJECT_REASONS))
                return
            self._act(sim, Action.REGISTER, self._next(sim, rng), DESK, note="符合立案条件")
        if sim.status is CaseStatus.REGISTERED:
            self._act(sim, Action.DISPATCH, self._next(sim, rng), DESK, unit_id=row["suggested_unit_id"])
        if p.returned:
            self._act(sim, Action.RETURN, self._next(sim, rng), self._handler(sim), note=rng.choice(RETURN_REASONS))
            other = self._other_unit(sim.cat, row["suggested_unit_id"], row["unit_id"])
            self._act(sim, Action.REDISPATCH, self._next(sim, rng), DESK, note="改派", unit_id=other)
        self._act(sim, Action.ACCEPT, self._next(sim, rng), self._handler(sim))
        self._handle(sim, rng)
        for _ in range(p.check_fails):
            self._act(sim, Action.CHECK_FAIL, self._next(sim, rng), self._checker(sim), note="核查未处置到位，返工")
            self._handle(sim, rng)
        if p.unfixable:
            note = "经核实暂不具备处置条件，已向反映人解释说明"
            self._act(sim, Action.CLOSE_UNFIXABLE, self._next(sim, rng), self._checker(sim), note=note)
        else:
            self._act(sim, Action.CHECK_PASS, self._next(sim, rng), self._checker(sim), note="核查处置到位")
        self._visit(sim, p, rng)

    def _handle(self, sim: _Sim, rng: random.Random) -> None:
        """One round of handling on the running 处置 clock: perhaps 开始处置, then 处理反馈."""
        frac = _frac(rng, P_OVERDUE["handle"])
        handler = self._handler(sim)
        if sim.stop_at is CaseStatus.IN_PROGRESS or (sim.stop_at is None and rng.random() < 0.7):
            self._act(sim, Action.START, self._at(sim, frac * rng.uniform(0.1, 0.5)), handler, note="已到场处置")
        self._act(sim, Action.HANDLE, self._at(sim, frac), handler, note=rng.choice(HANDLE_NOTES))

    def _visit(self, sim: _Sim, p: _Plan, rng: random.Random) -> None:
        if not p.revisit:
            due = sim.row["step_due_at"]
            if due is not None and due <= self.now:
                self._stop_clock(sim)  # nobody calls back: see the module docstring
            return
        for n, outcome in enumerate(p.outcomes):
            note = "回访反映人：" + {"satisfied": "满意", "basically_satisfied": "基本满意"}.get(
                outcome.value, "不满意，发回重办"
            )
            self._act(sim, Action.REVISIT, self._next(sim, rng), VISITOR, note=note, outcome=outcome)
            if outcome is Satisfaction.UNSATISFIED and n + 1 < len(p.outcomes):
                self._handle(sim, rng)
                self._act(sim, Action.CHECK_PASS, self._next(sim, rng), self._checker(sim), note="重办到位")

    # ------------------------------------------------------------ forced open cases

    def _forced(self, state: CaseStatus, k: int) -> _Sim:
        """A case sitting in ``state`` now, its clock fresh, past warning or past due (by ``k``); some in grid_wu's."""
        sub_seed = self.seed * 1_000 + FORCED_STATES.index(state) * 50 + k
        lo, hi = BANDS[k % len(BANDS)]
        wu = bool(self.wu_grids) and k < 2
        no_auto = state in (CaseStatus.RECEIVED, CaseStatus.REGISTERED)

        def make(t0: datetime) -> _Sim:
            rng = random.Random(sub_seed)
            pool = self.territorial if wu else range(len(self.cats))
            pool = [i for i in pool if not (no_auto and self.cats[i].code[:2] in ("21", "30"))]
            cat = self.cats[rng.choices(pool, weights=[self.weights[i] for i in pool])[0]]
            channel = Channel.GRID_WORKER if wu else self._channel(rng, cat)
            if state is CaseStatus.RECEIVED and channel in AUTO_REGISTER:
                channel = Channel.PUBLIC
            sim = self._new(rng, cat, channel, self._place(rng, cat, wu=wu), t0, wu=wu)
            sim.stop_at = state
            p = _Plan(returned=state is CaseStatus.RETURNED, check_fails=1 if state is CaseStatus.REWORK else 0)
            self._live(sim, p, rng)
            return sim

        t0 = self.now - timedelta(hours=2)
        best: _Sim | None = None
        for attempt in range(40):
            sim = make(t0)
            if sim.status is not state:
                t0 -= (self.now - t0) + timedelta(hours=1)  # not there yet: start earlier
                continue
            row = sim.row
            limit = self._limit(sim.cat, row["clock_step"], row["severity"])
            frac = self.cal.elapsed_fraction(row["step_started_at"], self.now, limit)
            if lo <= frac < hi:
                return sim
            best = sim
            aim = self.cal.add(row["step_started_at"], limit.scaled((lo + hi) / 2))
            shift = self.now - aim
            if attempt > 10 or abs(shift) < timedelta(minutes=1):
                shift += timedelta(minutes=random.Random(sub_seed + attempt).uniform(-600, 600))
            t0 = min(t0 + shift, self.now - timedelta(minutes=5))
        if best is None:
            raise ValueError(f"cannot place a demo case in {state.value}")
        return best

    # ------------------------------------------------------------ the run

    def run(self, count: int) -> dict[str, int]:
        """Simulate ``count`` cases (the forced open ones included) and write them; return the counts."""
        forced = [self._forced(state, k) for state in FORCED_STATES for k in range(FORCED_PER_STATE)]
        seeds = self._seeds(max(0, count - len(forced)))
        entries: list[tuple[datetime, int, Any]] = [(seed[0], n, seed) for n, seed in enumerate(seeds)]
        entries += [(sim.row["reported_at"], len(seeds) + n, sim) for n, sim in enumerate(forced)]
        entries.sort(key=lambda e: (e[0], e[1]))
        masters = {seed[3] for seed in seeds if seed[3] is not None}
        sims: dict[int, _Sim] = {}  # the masters of duplicates, by seed number
        keep = timedelta(hours=DUPLICATE_DELAY_H + 24)
        buffer: deque[_Sim] = deque()
        for at, n, item in entries:
            case_id, number = self.next_case_id, self._number(at)
            self.next_case_id += 1
            if isinstance(item, _Sim):
                sim = item
                sim.row["id"], sim.row["number"] = case_id, number
                self._refs(sim)
            else:
                _, cat_index, channel, master_n = item
                master = sims.get(master_n) if master_n is not None else None
                sim = self._natural(case_id, number, cat_index, channel, at, master)
                if n in masters:
                    sims[n] = sim
            buffer.append(sim)
            if len(buffer) >= 2 * CHUNK:
                old = []
                while buffer and buffer[0].row["reported_at"] < at - keep:
                    old.append(buffer.popleft())
                self._write(old)
        self._write(list(buffer))
        self._finish()
        return self.counts

    def _seeds(self, count: int) -> list[tuple[datetime, int, Channel, int | None]]:
        """(report time, category index, channel, master seed or None) of every simulated case.

        About 2 % repeat an earlier report of the same class at the same place a few hours later (并单 candidates).
        """
        rng = self.rng
        days, day_weights, storm = self._days()
        seeds: list[tuple[datetime, int, Channel, int | None]] = []
        day_range, day_cum = range(len(days)), list(accumulate(day_weights))
        cat_range, normal_cum, storm_cum = (
            range(len(self.cats)),
            list(accumulate(self.weights)),
            list(accumulate(self.storm_weights)),
        )
        for _ in range(count):
            d = rng.choices(day_range, cum_weights=day_cum)[0]
            cat_index = rng.choices(cat_range, cum_weights=storm_cum if storm[d] else normal_cum)[0]
            channel = self._channel(rng, self.cats[cat_index])
            seeds.append((self._report_time(rng, days[d], channel), cat_index, channel, None))
        repeats = rng.sample(range(count), round(count * P_DUPLICATE)) if count > 1 else []
        taken = set(repeats)
        for n in repeats:
            m = rng.randrange(count)
            if m in taken:
                continue
            at = seeds[m][0] + timedelta(hours=min(rng.expovariate(1 / 3), DUPLICATE_DELAY_H))
            if at <= self.now:
                cat = self.cats[seeds[m][1]]
                seeds[n] = (at, seeds[m][1], self._repeat_channel(rng, cat), m)
        return seeds

    def _repeat_channel(self, rng: random.Random, cat: CaseCategory) -> Channel:
        if cat.code[:2] in ("21", "30"):
            return self._channel(rng, cat)
        return Channel(_pick(rng, REPEAT_CHANNELS))

    def _number(self, at: datetime) -> str:
        year = to_local(at, self.settings.display_timezone).year
        self.number_last[year] = self.number_last.get(year, 0) + 1
        return f"{self.settings.case_number_prefix}-{year}-{self.number_last[year]:06d}"

    def _refs(self, sim: _Sim) -> None:
        """External order numbers of the channels that have them (unique by channel)."""
        row = sim.row
        local = to_local(row["reported_at"], self.settings.display_timezone)
        prefix = {
            Channel.HOTLINE: f"12345-{local:%Y%m%d}-",
            Channel.NONPOLICE: f"110-{local:%Y%m%d}-",
            Channel.SENSOR: "IOT-",
            Channel.ALERT: "ALERT-",
        }.get(sim.channel)
        if prefix:
            row["external_ref"] = f"{prefix}{row['id']:07d}"

    def _natural(
        self, case_id: int, number: str, cat_index: int, channel: Channel, at: datetime, master: _Sim | None
    ) -> _Sim:
        rng = self.rng
        cat = self.cats[cat_index]
        place = self._near(rng, master.place) if master is not None else self._place(rng, cat)
        sim = self._new(rng, cat, channel, place, at, copy_of=master)
        sim.row["id"], sim.row["number"] = case_id, number
        self._refs(sim)
        p = self._plan(rng, sim)
        p.master = master
        self._live(sim, p, rng)
        return sim

    def _near(self, rng: random.Random, place: _Place) -> _Place:
        """A point some metres from ``place`` in the same grid (another reporter's fix of the same matter)."""
        lon, lat = place.lon + rng.uniform(-1e-4, 1e-4), place.lat + rng.uniform(-1e-4, 1e-4)
        if place.grid is not None and not shapely.contains_xy(self.grid_geoms[place.grid], lon, lat):
            return place
        return dataclasses.replace(place, lon=lon, lat=lat)

    def _write(self, sims: list[_Sim]) -> None:
        if not sims:
            return
        cases = [s.row for s in sims]
        steps = []
        for sim in sims:
            sim.steps.sort(key=lambda st: st[6])  # a master's 并单 note may have come in late
            for seq, st in enumerate(sim.steps, start=1):
                action, frm, to, actor_id, label, unit_id, at, note, data, step, seconds, due, met = st
                steps.append(
                    {
                        "id": self.next_step_id,
                        "case_id": sim.row["id"],
                        "seq": seq,
                        "action": action,
                        "from_status": frm,
                        "to_status": to,
                        "actor_id": actor_id,
                        "actor_label": label,
                        "unit_id": unit_id,
                        "at": at,
                        "note": note,
                        "data": data,
                        "step": step,
                        "step_seconds": seconds,
                        "due_at": due,
                        "met": met,
                        "public": True,
                    }
                )
                self.next_step_id += 1
        for start in range(0, len(cases), CHUNK):
            self.session.execute(insert(CASE_TABLE), cases[start : start + CHUNK])
        for start in range(0, len(steps), CHUNK):
            self.session.execute(insert(STEP_TABLE), steps[start : start + CHUNK])
        self.counts["cases"] += len(cases)
        self.counts["open_cases"] += sum(1 for c in cases if c["is_open"])
        self.counts["case_steps"] += len(steps)

    def _finish(self) -> None:
        """Continue the 一事一码 sequences after the seeded numbers, and the id sequences on PostgreSQL."""
        s = self.session
        have = {row.year: row for row in s.scalars(select(CaseNumberSeq))}
        for year, last in self.number_last.items():
            if year in have:
                s.execute(
                    update(CaseNumberSeq).where(CaseNumberSeq.year == year, CaseNumberSeq.last < last).values(last=last)
                )
            else:
                s.execute(insert(CaseNumberSeq).values(year=year, last=last))
        if s.get_bind().dialect.name == "postgresql":
            for table in (CASE_TABLE, STEP_TABLE):  # explicit ids leave the serials behind
                top = select(func.max(table.c.id)).scalar_subquery()
                s.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"), top)))
        s.flush()


def load_cases(
    session: Session, settings: Settings, *, scale: str, now: datetime, seed: int = 12345, count: int | None = None
) -> dict[str, int]:
    """Seed a year of cases ending at ``now`` (``count`` overrides the scale's number); return what was added."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    return _Loader(session, settings, now, seed).run(SCALES[scale] if count is None else count)
