"""The demo's year of cases: plausible statuses, whole timelines, well-formed numbers, no clear phones, live cases."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.auth.principal import SYSTEM
from pingan.cases.models import Case, CaseNumberSeq, CaseStep
from pingan.cases.repository import Queue, queue_filter
from pingan.cases.service import next_number, transition
from pingan.cases.workflow import CLOCK_OF, OPEN_STATUSES, Action, CaseStatus
from pingan.config import Settings
from pingan.demo.cases import cases_loaded, load_cases
from pingan.kit.clock import to_local
from pingan.org.models import OrgUnit

NOW = datetime(2026, 10, 28, 6, 0, tzinfo=UTC)  # a Wednesday, 14:00 in Zhoushan
COUNT = 400
OPEN_STATES = (
    CaseStatus.RECEIVED,
    CaseStatus.REGISTERED,
    CaseStatus.DISPATCHED,
    CaseStatus.RETURNED,
    CaseStatus.ACCEPTED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.HANDLED,
    CaseStatus.REWORK,
)
NUMBER = re.compile(r"^ZS-(\d{4})-(\d{6})$")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@dataclass
class Seeded:
    db: Session
    settings: Settings
    added: dict[str, int]
    cases: list[Case]
    wu_grids: set[int]


@pytest.fixture
def seeded(db: Session, settings: Settings, make_grid: Callable[..., Any], make_user: Callable[..., Any]) -> Seeded:
    grids = [
        make_grid("330903001001", 1, (122.30, 29.95)),  # grid_wu's two grids in 渔港社区
        make_grid("330903001001", 2, (122.31, 29.95)),
        make_grid("330903001002", 1, (122.30, 29.96)),
        make_grid("330903102201", 1, (122.28, 29.81)),
    ]
    make_user("grid_wu", "330903001001", ["grid_worker"])
    make_user("sjm_zhao", "330903001", ["township_leader"])
    assert not cases_loaded(db)
    added = load_cases(db, settings, scale="sample", now=NOW, count=COUNT)
    db.flush()
    cases = list(db.scalars(select(Case).order_by(Case.id)))
    return Seeded(db, settings, added, cases, {grids[0].id, grids[1].id})


def test_the_year_has_plausible_statuses_and_every_open_state(seeded: Seeded) -> None:
    cases = seeded.cases
    assert cases_loaded(seeded.db)
    assert seeded.added["cases"] == len(cases) == COUNT
    assert seeded.added["open_cases"] == sum(c.is_open for c in cases)
    by_status = Counter(c.status for c in cases)
    assert by_status[CaseStatus.REVISITED] > COUNT / 2  # most cases are closed and called back
    for state in OPEN_STATES:
        assert by_status[state] >= 3, state
    awaiting_visit = [c for c in cases if c.status == CaseStatus.CLOSED_FIXED and c.clock_step == "visit"]
    assert len(awaiting_visit) >= 3
    assert all(c.satisfaction is None for c in awaiting_visit)
    old = [c for c in cases if c.registered_at is not None and c.reported_at < NOW - timedelta(days=30)]
    closed = sum(not c.is_open for c in old)
    assert 0.97 <= closed / len(old) <= 1.0
    assert min(c.reported_at for c in cases) >= NOW - timedelta(days=366)
    assert max(c.reported_at for c in cases) <= NOW


def test_open_cases_run_their_step_clocks_and_fill_the_queues(seeded: Seeded) -> None:
    db = seeded.db
    open_cases = [c for c in seeded.cases if c.is_open]
    for c in open_cases:
        assert c.clock_step == CLOCK_OF[CaseStatus(c.status)].value, c.number
        assert c.step_started_at <= c.step_warn_at <= c.step_due_at <= c.step_supervise_at
    for queue in (Queue.DUE_SOON, Queue.OVERDUE):
        assert db.scalars(select(Case.id).where(Case.is_open.is_(True), queue_filter(queue, NOW))).first()
    township = db.scalars(select(OrgUnit.id).where(OrgUnit.code == "330903001")).one()
    mine = [c for c in open_cases if c.grid_id in seeded.wu_grids and c.responsible_unit_id == township]
    assert len(mine) >= 5  # grid_wu and 沈家门街道 have work
    assert any(c.reported_by_id is not None for c in mine)


def test_every_timeline_starts_with_the_report_and_follows_the_transition_table(seeded: Seeded) -> None:
    steps: dict[int, list[CaseStep]] = defaultdict(list)
    for step in seeded.db.scalars(select(CaseStep).order_by(CaseStep.case_id, CaseStep.seq)):
        steps[step.case_id].append(step)
    for case in seeded.cases:
        timeline = steps[case.id]
        assert [s.seq for s in timeline] == list(range(1, len(timeline) + 1)), case.number
        assert timeline[0].action == "report" and timeline[0].to_status == CaseStatus.RECEIVED
        for before, after in pairwise(timeline):
            assert before.at <= after.at
            assert after.from_status == before.to_status, (case.number, before.action, after.action)
        assert timeline[-1].to_status == case.status
        assert case.is_open == (CaseStatus(case.status) in OPEN_STATUSES)
        if case.status == CaseStatus.CLOSED_DUPLICATE:
            assert case.master_id is not None and timeline[-1].action == "merge"
        missed = [s for s in timeline if s.met is False]
        assert case.is_overdue == bool(missed) or case.is_open


def test_numbers_are_unique_per_local_year_and_the_sequence_continues(seeded: Seeded) -> None:
    db, settings = seeded.db, seeded.settings
    last: dict[int, int] = {}
    for case in seeded.cases:
        match = NUMBER.match(case.number)
        assert match, case.number
        year, seq = int(match[1]), int(match[2])
        assert year == to_local(case.reported_at).year
        last[year] = max(last.get(year, 0), seq)
    assert len({c.number for c in seeded.cases}) == COUNT
    stored = {row.year: row.last for row in db.scalars(select(CaseNumberSeq))}
    for year, seq in last.items():
        assert stored[year] >= seq
    fresh = NUMBER.match(next_number(db, settings, NOW))
    assert fresh and int(fresh[2]) == last[NOW.year] + 1


def test_reporters_phones_are_only_stored_encrypted(seeded: Seeded) -> None:
    cipher = seeded.settings.field_cipher()
    with_phone = [c for c in seeded.cases if c.reporter_phone_enc is not None]
    assert len(with_phone) > COUNT / 10
    for case in with_phone:
        phone = cipher.decrypt(case.reporter_phone_enc)
        assert MOBILE.fullmatch(phone)
        assert case.reporter_phone_bidx == cipher.blind_index(phone)
    phones = {cipher.decrypt(c.reporter_phone_enc) for c in with_phone}
    text_columns = [c for c in Case.__table__.columns if c.type.python_type is str and c.name != "reporter_phone_bidx"]
    for row in seeded.db.execute(select(*text_columns)):
        for value in row:
            if value:
                assert not MOBILE.search(value), value
                assert not any(phone in value for phone in phones), value


def test_a_seeded_case_moves_on_through_the_real_service(seeded: Seeded) -> None:
    db, settings = seeded.db, seeded.settings
    case = next(c for c in seeded.cases if c.status == CaseStatus.RECEIVED)
    steps_before = len(db.scalars(select(CaseStep.id).where(CaseStep.case_id == case.id)).all())
    transition(db, settings, case, Action.REGISTER, actor=SYSTEM, now=NOW, note="演示")
    db.flush()  # on PostgreSQL the new step's id comes from the serial the loader moved on
    assert case.status == CaseStatus.REGISTERED and case.registered_at == NOW
    last = db.scalars(select(CaseStep).where(CaseStep.case_id == case.id).order_by(CaseStep.seq.desc())).first()
    assert last is not None and last.seq == steps_before + 1 and last.action == "register"
    assert last.step == "register" and last.met is not None
