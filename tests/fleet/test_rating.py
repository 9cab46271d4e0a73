"""Star rating rules with hand-computed expectations, and the confirmation of downgrades."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditEntry
from pingan.auth.principal import cli_principal
from pingan.errors import Conflict, Forbidden
from pingan.fleet import inspections
from pingan.fleet.models import (
    Certificate,
    CertificateKind,
    EventKind,
    HullMaterial,
    OperationType,
    RatingStatus,
    Terminal,
    TerminalKind,
    Vessel,
    VesselEvent,
)
from pingan.fleet.rating import DEFAULT_RULES, RULES_VERSION, RatingInputs, RatingRules, rate, stars_for_score
from pingan.org.models import OrgUnit
from tests.conftest import SEED_TIME, sign_in

OPERATOR = cli_principal("test")
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
GOOD = {"certificates_valid": 4, "trainings": 1}


def _in(**fields: object) -> RatingInputs:
    return RatingInputs(**fields)  # type: ignore[arg-type]


# (case, inputs, expected score, expected stars) — each score worked out by hand from the default rules.
CASES = [
    # 100 + 5 (passed) + 5 (training) = 110, clamped to 100.
    ("perfect", _in(**GOOD, last_inspection="passed", last_inspection_age_days=40), 100.0, 5),
    # 100 − 5 (findings) − 5 (no training) = 90: exactly the 5-star threshold.
    ("exactly 90", _in(certificates_valid=4, last_inspection="findings", last_inspection_age_days=3), 90.0, 5),
    # … and 0.5 % terminal downtime costs 0.1 point: 89.9 is 4 stars.
    (
        "just under 90",
        _in(certificates_valid=4, last_inspection="findings", last_inspection_age_days=3, terminal_uptime=0.995),
        89.9,
        4,
    ),
    # 100 + 5 − 5 − 6 (2 open) − 8 (1 overdue) − 10 (violation severity 2) − 1 (uptime 95 %) = 75.
    (
        "exactly 75",
        _in(
            certificates_valid=4,
            last_inspection="passed",
            last_inspection_age_days=100,
            open_rectifications=2,
            overdue_rectifications=1,
            violation_severities=(2,),
            terminal_uptime=0.95,
        ),
        75.0,
        4,
    ),
    # Same with uptime 94.5 %: −1.1 gives 74.9, 3 stars.
    (
        "just under 75",
        _in(
            certificates_valid=4,
            last_inspection="passed",
            last_inspection_age_days=100,
            open_rectifications=2,
            overdue_rectifications=1,
            violation_severities=(2,),
            terminal_uptime=0.945,
        ),
        74.9,
        3,
    ),
    # 100 − 5 − 5 − 9 (3 open) − 16 (2 overdue) − 5 (violation severity 1) = 60.
    (
        "exactly 60",
        _in(
            certificates_valid=4,
            last_inspection="findings",
            last_inspection_age_days=10,
            open_rectifications=3,
            overdue_rectifications=2,
            violation_severities=(1,),
        ),
        60.0,
        3,
    ),
    # 100 − 45 (3 invalid) + 5 − 5 − 15 (uptime 25 %) = 40: 2 stars (the certificate cap of 3 does not bite).
    (
        "exactly 40",
        _in(
            certificates_valid=1,
            certificates_expired=2,
            certificates_missing=1,
            last_inspection="passed",
            last_inspection_age_days=1,
            terminal_uptime=0.25,
        ),
        40.0,
        2,
    ),
    (
        "just under 40",
        _in(
            certificates_valid=1,
            certificates_expired=2,
            certificates_missing=1,
            last_inspection="passed",
            last_inspection_age_days=1,
            terminal_uptime=0.245,
        ),
        39.9,
        1,
    ),
    # An inspection 366 days old no longer counts: 100 − 10 + 5 = 95; at 365 days it still does (+5 → 100).
    ("inspection too old", _in(**GOOD, last_inspection="passed", last_inspection_age_days=366), 95.0, 5),
    ("inspection just in time", _in(**GOOD, last_inspection="passed", last_inspection_age_days=365), 100.0, 5),
    # Never inspected: −10; an expiring certificate −3: 100 − 10 + 5 − 3 = 92.
    ("never inspected", _in(certificates_valid=3, certificates_expiring=1, trainings=2), 92.0, 5),
    # Floors: 5 invalid → −45 (not −75); 6 open → −15 (not −18); violations 10 × 3 → −30; incidents 3 × 3 → −36.
    # 100 − 45 − 15 − 30 − 36 + 5 (passed) + 5 (training) = −16 → 0.
    (
        "floors",
        _in(
            certificates_expired=5,
            last_inspection="passed",
            last_inspection_age_days=1,
            open_rectifications=6,
            violation_severities=(3,) * 10,
            incident_severities=(3, 3, 3),
            trainings=1,
        ),
        0.0,
        1,
    ),
    # Caps: an expired certificate caps at 3 stars although 100 − 15 + 5 + 5 = 95.
    (
        "cap expired certificate",
        _in(
            certificates_valid=3,
            certificates_expired=1,
            trainings=1,
            last_inspection="passed",
            last_inspection_age_days=5,
        ),
        95.0,
        3,
    ),
    # A failed inspection: 100 − 20 + 5 = 85 (4 stars), capped at 2.
    ("cap failed inspection", _in(**GOOD, last_inspection="failed", last_inspection_age_days=10), 85.0, 2),
    # A failed inspection older than a year neither caps nor scores −20: 100 − 10 + 5 = 95.
    ("old failed inspection", _in(**GOOD, last_inspection="failed", last_inspection_age_days=400), 95.0, 5),
    # A serious incident: 100 + 5 + 5 − 18 = 92, capped at 2; a severity-2 incident (−12) is not capped.
    (
        "cap serious incident",
        _in(**GOOD, last_inspection="passed", last_inspection_age_days=5, incident_severities=(3,)),
        92.0,
        2,
    ),
    (
        "moderate incident",
        _in(**GOOD, last_inspection="passed", last_inspection_age_days=5, incident_severities=(2,)),
        98.0,
        5,
    ),
]


# The worked example of docs/fleet-rules.md: 100 − 15 − 3 − 5 − 6 − 8 − 5 + 5 − 2 = 61, and 76 once renewed.
WORKED = {
    "certificates_valid": 4,
    "certificates_expiring": 1,
    "last_inspection": "findings",
    "last_inspection_age_days": 20,
    "open_rectifications": 2,
    "overdue_rectifications": 1,
    "violation_severities": (1,),
    "trainings": 1,
    "terminal_uptime": 0.9,
}
CASES += [
    ("docs worked example", _in(**WORKED, certificates_expired=1), 61.0, 3),
    ("docs example renewed", _in(**{**WORKED, "certificates_valid": 5}), 76.0, 4),
]


@pytest.mark.parametrize(("inputs", "score", "stars"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rules_give_the_hand_computed_score_and_stars(inputs: RatingInputs, score: float, stars: int) -> None:
    result = rate(inputs)
    assert (result.score, result.stars) == (score, stars)
    assert result.rules_version == RULES_VERSION
    if score > 0 and score < 100:
        # Outside the clamps the factors add up to the score.
        assert DEFAULT_RULES.base_score + sum(f.points for f in result.factors) == pytest.approx(score, abs=0.05)


def test_every_rating_lists_its_factors_with_chinese_explanations() -> None:
    result = rate(
        _in(certificates_valid=3, certificates_expired=1, last_inspection="failed", last_inspection_age_days=2)
    )
    names = [f.name for f in result.factors]
    assert names[:9] == [
        "certificates_invalid",
        "certificates_expiring",
        "last_inspection",
        "open_rectifications",
        "overdue_rectifications",
        "violations",
        "incidents",
        "training",
        "terminal_uptime",
    ]
    assert names[9:] == ["cap_invalid_certificate", "cap_failed_inspection"]
    by_name = {f.name: f for f in result.factors}
    assert by_name["last_inspection"].points == -20.0 and "不合格" in by_name["last_inspection"].explanation
    assert by_name["training"].points == -5.0 and "未参加安全培训" in by_name["training"].explanation
    assert all(f.explanation for f in result.factors)
    assert set(result.factors[0].as_dict()) == {"name", "value", "points", "explanation"}


def test_rules_are_configurable() -> None:
    strict = RatingRules(version="test-1", training_points=0.0, star_thresholds=(95.0, 80.0, 60.0, 40.0))
    inputs = _in(**GOOD, last_inspection="passed", last_inspection_age_days=5, terminal_uptime=0.5)
    assert (rate(inputs).score, rate(inputs).stars) == (100.0, 5)  # 100 + 5 + 5 − 10
    assert (rate(inputs, strict).score, rate(inputs, strict).stars, rate(inputs, strict).rules_version) == (
        95.0,
        5,
        "test-1",
    )
    assert stars_for_score(94.9, strict) == 4


@pytest.mark.parametrize(
    "fields",
    [
        {"certificates_valid": -1},
        {"open_rectifications": 1, "overdue_rectifications": 2},
        {"last_inspection": "excellent", "last_inspection_age_days": 1},
        {"last_inspection": "passed"},
        {"violation_severities": (4,)},
        {"terminal_uptime": 1.2},
    ],
)
def test_out_of_range_inputs_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        rate(_in(**fields))


# ---------------------------------------------------------------- downgrade confirmation (database)


def _vessel(db: Session) -> Vessel:
    unit = db.scalars(select(OrgUnit).where(OrgUnit.code == "330903001")).one()
    vessel = Vessel(
        registration_no="浙普渔90001",
        name="浙普渔90001",
        port_of_registry="舟山",
        home_unit_id=unit.id,
        hull_material=HullMaterial.STEEL,
        length_m=36.0,
        gross_tonnage=180.0,
        engine_power_kw=300.0,
        build_year=2016,
        operation_type=OperationType.TRAWL,
        created_at=SEED_TIME,
    )
    db.add(vessel)
    db.flush()
    for kind in CertificateKind:
        db.add(
            Certificate(
                vessel_id=vessel.id,
                kind=kind,
                number=f"{kind}-1",
                issued_on=date(2025, 1, 1),
                expires_on=date(2028, 1, 1),
            )
        )
    db.add(Terminal(vessel_id=vessel.id, kind=TerminalKind.AIS_B, mmsi="412400001", installed_at=NOW - timedelta(90)))
    db.add(VesselEvent(vessel_id=vessel.id, kind=EventKind.TRAINING, occurred_at=NOW - timedelta(days=30), severity=1))
    db.flush()
    return vessel


def _incident(db: Session, vessel: Vessel) -> None:
    db.add(VesselEvent(vessel_id=vessel.id, kind=EventKind.INCIDENT, occurred_at=NOW - timedelta(days=2), severity=3))
    db.flush()


def test_a_rating_that_keeps_or_raises_the_stars_is_published_at_once(db: Session) -> None:
    vessel = _vessel(db)
    first = inspections.recompute_rating(db, vessel.id, actor=OPERATOR, now=NOW)
    # 4 valid certificates, never inspected (−10), trained (+5), terminal fitted for 90 days: 95.
    assert (first.stars, first.score, first.status) == (5, 95.0, RatingStatus.PUBLISHED)
    second = inspections.recompute_rating(db, vessel.id, actor=OPERATOR, now=NOW + timedelta(hours=1))
    assert second.status == RatingStatus.PUBLISHED
    assert first.status == RatingStatus.SUPERSEDED
    assert inspections.published_rating(db, vessel.id) is second


def test_a_downgrade_waits_for_confirmation_and_is_published_on_approval(db: Session) -> None:
    vessel = _vessel(db)
    before = inspections.recompute_rating(db, vessel.id, actor=OPERATOR, now=NOW)
    _incident(db, vessel)
    lower = inspections.recompute_rating(db, vessel.id, actor=OPERATOR, now=NOW + timedelta(hours=1))
    # 95 − 18 = 77 (4 stars), capped at 2 by the serious incident.
    assert (lower.stars, lower.score, lower.status) == (2, 77.0, RatingStatus.PENDING)
    assert inspections.published_rating(db, vessel.id) is before
    assert [r.id for r in inspections.pending_ratings(db, actor=OPERATOR)] == [lower.id]

    confirmed = inspections.confirm_rating(db, lower.id, approve=True, actor=OPERATOR, now=NOW + timedelta(hours=2))
    assert confirmed.status == RatingStatus.PUBLISHED and confirmed.decided_at == NOW + timedelta(hours=2)
    assert before.status == RatingStatus.SUPERSEDED
    assert inspections.published_rating(db, vessel.id) is confirmed
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "vessel_rating")).all()
    assert actions[-3:] == ["fleet.rating.compute", "fleet.rating.compute", "fleet.rating.confirm"]
    with pytest.raises(Conflict):
        inspections.confirm_rating(db, lower.id, approve=True, actor=OPERATOR, now=NOW + timedelta(hours=3))


def test_a_rejected_downgrade_leaves_the_previous_rating_published(db: Session) -> None:
    vessel = _vessel(db)
    before = inspections.recompute_rating(db, vessel.id, actor=OPERATOR, now=NOW)
    _incident(db, vessel)
    lower = inspections.recompute_rating(db, vessel.id, actor=OPERATOR, now=NOW + timedelta(hours=1))
    rejected = inspections.confirm_rating(db, lower.id, approve=False, actor=OPERATOR, now=NOW + timedelta(hours=2))
    assert rejected.status == RatingStatus.REJECTED
    assert inspections.published_rating(db, vessel.id) is before and before.status == RatingStatus.PUBLISHED


def test_a_newer_computation_supersedes_a_pending_downgrade(db: Session) -> None:
    vessel = _vessel(db)
    inspections.recompute_rating(db, vessel.id, actor=OPERATOR, now=NOW)
    _incident(db, vessel)
    pending = inspections.recompute_rating(db, vessel.id, actor=OPERATOR, now=NOW + timedelta(hours=1))
    again = inspections.recompute_rating(db, vessel.id, actor=OPERATOR, now=NOW + timedelta(hours=2))
    assert pending.status == RatingStatus.SUPERSEDED and again.status == RatingStatus.PENDING


def test_confirming_needs_the_permission(db: Session, make_user, client) -> None:  # type: ignore[no-untyped-def]
    vessel = _vessel(db)
    inspections.recompute_rating(db, vessel.id, actor=OPERATOR, now=NOW)
    _incident(db, vessel)
    lower = inspections.recompute_rating(db, vessel.id, actor=OPERATOR, now=NOW + timedelta(hours=1))
    db.commit()
    make_user("cmd_rating", "ZS-SZ", ["commander"])  # reads the fleet, cannot confirm ratings
    csrf = sign_in(client, "cmd_rating")
    response = client.post(
        f"/api/fleet/ratings/{lower.id}/confirm", json={"approve": True}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 403
    with pytest.raises(Forbidden):
        inspections.confirm_rating(
            db, lower.id, approve=True, actor=replace(OPERATOR, permissions=frozenset({"fleet.read"})), now=NOW
        )
    make_user("fish_rating", "ZS-HY", ["fishery_officer"])
    csrf = sign_in(client, "fish_rating")
    response = client.post(
        f"/api/fleet/ratings/{lower.id}/confirm", json={"approve": True}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "published" and response.json()["stars"] == 2
