"""The East China Sea summer moratorium (伏季休渔) by gear, per year, and the vessels that should be in port."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.auth.principal import cli_principal
from pingan.auth.scope import Visibility
from pingan.errors import ValidationFailed
from pingan.fleet import reports
from pingan.fleet.models import FishingSeason, HullMaterial, OperationType, Vessel
from pingan.fleet.seasons import DEFAULT_SEASONS, NEVER_CLOSED, ClosedSeason, closed_gears, in_closed_season
from pingan.org.models import OrgUnit
from tests.conftest import SEED_TIME, sign_in

OPERATOR = cli_principal("test")


@pytest.mark.parametrize(
    ("gear", "day", "closed"),
    [
        ("trawl", date(2026, 4, 30), False),
        ("trawl", date(2026, 5, 1), True),  # in port by 12:00 on 1 May
        ("trawl", date(2026, 8, 20), True),
        ("trawl", date(2026, 9, 16), True),  # may leave from 12:00 on 16 September
        ("trawl", date(2026, 9, 17), False),
        ("purse_seine", date(2026, 9, 10), True),
        ("stow_net", date(2026, 9, 10), True),
        ("auxiliary", date(2026, 9, 10), True),
        ("gillnet", date(2026, 5, 1), True),
        ("gillnet", date(2026, 8, 1), True),
        ("gillnet", date(2026, 8, 2), False),  # special-permit opening
        ("drift_net", date(2026, 8, 2), False),
        ("cage", date(2026, 7, 31), True),
        ("cage", date(2026, 8, 2), False),
        ("light_purse_seine", date(2026, 8, 2), False),
        ("squid_jigging", date(2026, 6, 1), False),  # hook and line: no moratorium
        ("longline", date(2026, 6, 1), False),
        ("trawl", date(2027, 6, 1), False),  # no 2027 dates shipped
    ],
)
def test_moratorium_dates_by_gear(gear: str, day: date, closed: bool) -> None:
    assert in_closed_season(gear, day, DEFAULT_SEASONS) is closed


def test_every_gear_has_a_2026_season_or_is_hook_and_line() -> None:
    seeded = {s.operation_type for s in DEFAULT_SEASONS if s.year == 2026}
    assert seeded | NEVER_CLOSED == {g.value for g in OperationType}
    assert not seeded & NEVER_CLOSED
    for season in DEFAULT_SEASONS:
        season.check()
    assert closed_gears(date(2026, 8, 10), DEFAULT_SEASONS) == ["auxiliary", "purse_seine", "stow_net", "trawl"]


@pytest.mark.parametrize(
    ("closed_from", "closed_until"),
    [(date(2026, 9, 16), date(2026, 5, 1)), (date(2025, 12, 1), date(2026, 5, 1))],
)
def test_bad_seasons_are_refused(closed_from: date, closed_until: date) -> None:
    with pytest.raises(ValueError):
        ClosedSeason(2026, "trawl", closed_from, closed_until).check()


def _vessel(db: Session, reg: str, gear: OperationType, unit_code: str = "330903001", active: bool = True) -> Vessel:
    unit = db.scalars(select(OrgUnit).where(OrgUnit.code == unit_code)).one()
    vessel = Vessel(
        registration_no=reg,
        name=reg,
        port_of_registry="舟山",
        home_unit_id=unit.id,
        hull_material=HullMaterial.STEEL,
        length_m=40.0,
        gross_tonnage=250.0,
        engine_power_kw=400.0,
        build_year=2018,
        operation_type=gear,
        is_active=active,
        created_at=SEED_TIME,
    )
    db.add(vessel)
    db.flush()
    return vessel


def test_vessels_that_should_be_in_port(db: Session) -> None:
    trawler = _vessel(db, "浙普渔30001", OperationType.TRAWL)
    gillnetter = _vessel(db, "浙普渔30002", OperationType.GILLNET)
    _vessel(db, "浙普渔30003", OperationType.SQUID_JIGGING)
    _vessel(db, "浙普渔30004", OperationType.TRAWL, active=False)
    far = _vessel(db, "浙普渔30005", OperationType.TRAWL, unit_code="330903102")

    def in_port(day: date) -> list[int]:
        return [v.id for v in reports.vessels_that_should_be_in_port(db, day, actor=OPERATOR)]

    assert in_port(date(2026, 6, 1)) == [trawler.id, gillnetter.id, far.id]
    assert in_port(date(2026, 8, 20)) == [trawler.id, far.id]
    assert in_port(date(2026, 10, 1)) == []
    township = db.scalars(select(OrgUnit).where(OrgUnit.code == "330903102")).one()
    taohua = replace(OPERATOR, visibility=Visibility(unit_ids=frozenset({township.id})))
    assert [v.id for v in reports.vessels_that_should_be_in_port(db, date(2026, 8, 20), actor=taohua)] == [far.id]


def test_a_year_is_configured_in_the_table(db: Session) -> None:
    seasons, stored = reports.seasons_in_force(db, 2026)
    assert not stored and len(seasons) == len(DEFAULT_SEASONS)
    row = reports.set_season(
        db,
        year=2026,
        operation_type="gillnet",
        closed_from=date(2026, 5, 1),
        closed_until=date(2026, 8, 5),
        note="专项捕捞 8月5日开捕",
        actor=OPERATOR,
        now=SEED_TIME,
    )
    assert row.closed_until == date(2026, 8, 5)
    seasons, stored = reports.seasons_in_force(db, 2026)
    assert stored and len(seasons) == len(DEFAULT_SEASONS)  # the other gears' defaults were stored first
    assert in_closed_season("gillnet", date(2026, 8, 4), seasons)
    assert in_closed_season("trawl", date(2026, 9, 1), seasons)
    assert db.scalars(select(FishingSeason).where(FishingSeason.year == 2026)).all()
    with pytest.raises(ValidationFailed):
        reports.set_season(
            db,
            year=2026,
            operation_type="whaling",
            closed_from=date(2026, 5, 1),
            closed_until=date(2026, 8, 5),
            actor=OPERATOR,
            now=SEED_TIME,
        )


def test_seasons_api(db: Session, make_user, client) -> None:  # type: ignore[no-untyped-def]
    _vessel(db, "浙普渔30006", OperationType.STOW_NET)
    db.commit()
    make_user("fish_season", "ZS-HY", ["fishery_officer"])
    csrf = sign_in(client, "fish_season")
    listed = client.get("/api/fleet/seasons", params={"year": 2026}).json()
    assert {s["operation_type"] for s in listed} >= {"trawl", "gillnet"} and not listed[0]["stored"]
    body = {"closed_from": "2026-05-01", "closed_until": "2026-08-16", "note": "小型张网"}
    response = client.put("/api/fleet/seasons/2026/stow_net", json=body, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200, response.text
    assert response.json()["closed_until"] == "2026-08-16"
    in_port = client.get("/api/fleet/seasons/in-port", params={"day": "2026-08-20"}).json()
    assert "浙普渔30006" not in [v["registration_no"] for v in in_port]
    in_port = client.get("/api/fleet/seasons/in-port", params={"day": "2026-08-10"}).json()
    assert "浙普渔30006" in [v["registration_no"] for v in in_port]
