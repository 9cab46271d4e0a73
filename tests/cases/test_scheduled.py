"""Clocks and escalation: deadlines on the working calendar, and each escalation fired exactly once — also by two
scheduler processes racing on one PostgreSQL database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from pingan import migrate
from pingan.auth.principal import SYSTEM
from pingan.cases import config as case_config
from pingan.cases import service
from pingan.cases.models import Case, CaseEscalation, CaseStep
from pingan.cases.scheduled import tick
from pingan.cases.service import IntakeData
from pingan.cases.workflow import Channel
from pingan.config import Settings
from pingan.db import create_db_engine
from pingan.demo.seed import DEMO_UNITS
from pingan.org import service as org_service
from tests.cases.conftest import INSIDE
from tests.conftest import SEED_TIME, new_database_url
from tests.conftest import test_settings as settings_for

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def report(db: Session, settings: Settings, now: datetime, code: str = "0102") -> Case:
    data = IntakeData(
        channel=Channel.GRID_WORKER, category_code=code, description="暴露垃圾", lon=INSIDE[0], lat=INSIDE[1]
    )
    return service.intake(db, settings, data, actor=SYSTEM, now=now).case


@pytest.mark.parametrize(
    ("dispatched", "due", "why"),
    [
        (local(2026, 11, 20, 17, 0), local(2026, 11, 23, 12, 0), "Friday 17:00 + 4 working hours → Monday 12:00"),
        (local(2026, 9, 30, 17, 0), local(2026, 10, 8, 12, 0), "the National Day week is skipped"),
        (local(2026, 10, 9, 17, 0), local(2026, 10, 10, 12, 0), "Saturday 10 October is a swapped working day"),
        (local(2026, 9, 18, 17, 0), local(2026, 9, 20, 12, 0), "Sunday 20 September is a swapped working day"),
        (local(2026, 11, 23, 12, 30), local(2026, 11, 23, 17, 30), "lunch does not count"),
    ],
)
def test_a_4_working_hour_limit_falls_due_on_the_calendar(
    db: Session, settings: Settings, make_grid: object, dispatched: datetime, due: datetime, why: str
) -> None:
    make_grid("330903001001", 1, (122.30, 29.95))  # type: ignore[operator]
    case = report(db, settings, dispatched - timedelta(minutes=5))  # 0102 暴露垃圾: handle within 4 working hours
    service.transition(db, settings, case, "register", actor=SYSTEM, now=dispatched - timedelta(minutes=1))
    service.transition(db, settings, case, "dispatch", actor=SYSTEM, now=dispatched)
    assert case.handle_due_at == due.astimezone(UTC), why


def test_warning_overdue_and_supervision_fire_once_each(
    db: Session, settings: Settings, session_factory: sessionmaker[Session], make_grid: object
) -> None:
    make_grid("330903001001", 1, (122.30, 29.95))  # type: ignore[operator]
    start = local(2026, 11, 23, 9, 0)  # a Monday
    case = report(db, settings, start)
    service.transition(db, settings, case, "register", actor=SYSTEM, now=start)
    service.transition(db, settings, case, "dispatch", actor=SYSTEM, now=start)  # accept within 1 working hour
    db.commit()
    assert case.step_warn_at == local(2026, 11, 23, 9, 48).astimezone(UTC)  # 80 % of an hour
    assert case.step_due_at == local(2026, 11, 23, 10, 0).astimezone(UTC)
    assert tick(session_factory, settings, now=local(2026, 11, 23, 9, 47)).total == 0
    assert tick(session_factory, settings, now=local(2026, 11, 23, 9, 50)).fired["warning"] == 1
    late = tick(session_factory, settings, now=local(2026, 11, 23, 10, 5))
    assert late.fired["overdue"] == 1 and late.fired["warning"] == 0
    again = tick(session_factory, settings, now=local(2026, 11, 23, 15, 0))
    assert again.fired["supervise"] == 1 and again.fired["overdue"] == 0  # 督办 at twice the limit
    assert tick(session_factory, settings, now=local(2026, 11, 24, 15, 0)).total == 0
    db.expire_all()
    assert case.is_overdue
    kinds = sorted(db.scalars(select(CaseEscalation.kind).where(CaseEscalation.case_id == case.id)))
    assert kinds == ["overdue", "supervise", "warning"]
    steps = [s.action for s in db.scalars(select(CaseStep).where(CaseStep.case_id == case.id).order_by(CaseStep.seq))]
    assert steps == ["report", "register", "dispatch", "warn", "urge", "supervise"]
    # accepting starts a new clock: its warnings fire again, once
    service.transition(db, settings, case, "accept", actor=SYSTEM, now=local(2026, 11, 24, 15, 30))
    db.commit()
    assert (
        db.scalars(select(CaseStep.met).where(CaseStep.case_id == case.id, CaseStep.action == "accept")).one() is False
    )
    assert tick(session_factory, settings, now=local(2026, 11, 30, 9, 0)).fired["overdue"] == 1


# ---------------------------------------------------------------- two processes, one PostgreSQL database


@pytest.fixture
def pg_hub(tmp_path: Path) -> Iterator[tuple[Settings, sessionmaker[Session]]]:
    """A committed PostgreSQL database (not the rolled-back test one) with units, categories and a grid."""
    url, drop = new_database_url("postgresql", tmp_path)
    migrate.upgrade(url)
    settings = settings_for(url, tmp_path)
    engine = create_db_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as s, s.begin():
        for code, name, name_en, kind, parent in DEMO_UNITS:
            org_service.create_unit(
                s, code=code, name=name, name_en=name_en, kind=kind, parent_code=parent, actor=SYSTEM, now=SEED_TIME
            )
        case_config.ensure_defaults(s, now=SEED_TIME)
        _grid(s)
    yield settings, factory
    engine.dispose()
    drop()


def _grid(s: Session) -> None:
    import shapely

    from pingan.grids.models import GridKind, LandGrid
    from pingan.org.models import OrgUnit

    village = s.scalars(select(OrgUnit).where(OrgUnit.code == "330903001001")).one()
    box = shapely.box(122.30, 29.95, 122.31, 29.96)
    s.add(
        LandGrid(
            code="330903001001001", name="测试网格", kind=GridKind.BASIC, dedicated_type=None,
            village_unit_id=village.id, geom_wkb=shapely.to_wkb(box), min_lon=122.30, min_lat=29.95, max_lon=122.31,
            max_lat=29.96, area_km2=1.0, centroid_lon=122.305, centroid_lat=29.955, created_at=SEED_TIME,
        )
    )  # fmt: skip


def test_two_scheduler_processes_on_postgresql_fire_each_escalation_exactly_once(
    pg_hub: tuple[Settings, sessionmaker[Session]],
) -> None:
    settings, factory = pg_hub
    long_ago = datetime.now(UTC) - timedelta(days=30)
    with factory() as s, s.begin():
        for _ in range(40):
            case = report(s, settings, long_ago)
            service.transition(s, settings, case, "register", actor=SYSTEM, now=long_ago)
            service.transition(s, settings, case, "dispatch", actor=SYSTEM, now=long_ago)
    env = {
        **os.environ,
        "PINGAN_DATABASE_URL": settings.url,
        "PINGAN_ENV": "test",
        "PINGAN_CASE_SCHEDULER_SECONDS": "0.2",
        "PINGAN_DATA_DIR": str(settings.data_dir),
    }
    exe = str(Path(sys.executable).with_name("pingan"))
    procs = [
        subprocess.Popen(
            [exe, "cases", "tick", "--loop", "--count", "3"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=180) for p in procs]
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err.decode()
    fired = [json.loads(line)["fired"] for out, _ in outputs for line in out.decode().splitlines()]
    total_fired = sum(sum(f.values()) for f in fired)
    with factory() as s:
        rows = s.execute(
            select(CaseEscalation.case_id, CaseEscalation.kind, func.count()).group_by(
                CaseEscalation.case_id, CaseEscalation.kind
            )
        ).all()
        workers = set(s.scalars(select(CaseEscalation.fired_by)))
        urges = s.scalar(select(func.count(CaseStep.id)).where(CaseStep.action == "urge"))
    assert len(rows) == 40 * 3  # warning, overdue and 督办 for each of the 40 cases …
    assert all(n == 1 for _, _, n in rows)  # … each exactly once
    assert total_fired == 120 and urges == 40
    assert len(workers) == 2, workers  # both processes did part of the work
