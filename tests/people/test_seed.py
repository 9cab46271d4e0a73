"""The demo register generator: plausible, valid, unique, encrypted, and safe to run twice."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.kit.crypto import FieldCipher
from pingan.kit.idcard import birth_date_of, gender_of, is_mobile, is_valid_id_number, make_id_number
from pingan.people import service
from pingan.people.models import Building, House, Household, Resident
from pingan.people.schemas import TAG_CODES
from pingan.people.seed import AREA_CODES, SURNAMES, SeedGrid, seed_people
from tests.conftest import SEED_TIME
from tests.people.conftest import OPERATOR, village_code


def _grids(make_grid) -> list[SeedGrid]:  # type: ignore[no-untyped-def]
    made = [
        make_grid(village_code("渔港社区"), 7, (122.30, 29.90)),
        make_grid(village_code("东河社区"), 7, (122.32, 29.90)),
        make_grid(village_code("桃花村"), 7, (122.40, 29.75)),
    ]
    return [SeedGrid(g.id, g.village_unit_id, g.code, g.village.name, g.centroid_lon, g.centroid_lat) for g in made]


def test_seeded_people_are_valid_unique_and_encrypted(db: Session, cipher: FieldCipher, make_grid) -> None:  # type: ignore[no-untyped-def]
    grids = _grids(make_grid)
    counts = seed_people(
        db, cipher, grids, households_per_grid=40, residents_per_household=2.6, rng=random.Random(5), now=SEED_TIME
    )
    grid_ids = [g.grid_id for g in grids]
    residents = list(db.scalars(select(Resident).where(Resident.grid_id.in_(grid_ids))))
    households = list(db.scalars(select(Household).where(Household.grid_id.in_(grid_ids))))
    buildings = list(db.scalars(select(Building).where(Building.grid_id.in_(grid_ids))))
    assert counts["households"] == len(households) == 120 == counts["houses"]
    assert counts["residents"] == len(residents) and 240 <= len(residents) <= 400
    assert counts["buildings"] == len(buildings)
    codes = {g.grid_id: g.grid_code for g in grids}
    assert all(re.fullmatch(codes[b.grid_id] + r"\d{5}", b.code) for b in buildings)
    by_building = {b.id: b for b in buildings}
    houses = {h.id: h for h in db.scalars(select(House).where(House.grid_id.in_(grid_ids)))}
    for h in households:
        building = by_building[houses[h.house_id or 0].building_id]
        assert re.fullmatch(building.code + r"\d{3}", h.code)
        assert h.address == f"{building.address}{houses[h.house_id or 0].room}室"

    numbers, phones = [], []
    for r in residents:
        number = cipher.decrypt(r.id_enc)
        assert is_valid_id_number(number) and number[:6] in AREA_CODES
        assert birth_date_of(number) == r.birth_date and gender_of(number) == r.gender
        assert r.id_bidx == cipher.blind_index(number)
        assert r.name[0] in SURNAMES and 2 <= len(r.name) <= 3
        assert set(r.tags) <= TAG_CODES and len(r.tags) <= 1
        numbers.append(number)
        if r.phone_enc is not None:
            phone = cipher.decrypt(r.phone_enc)
            assert is_mobile(phone) and r.phone_bidx == cipher.blind_index(phone)
            phones.append(phone)
    assert len(set(numbers)) == len(numbers) and len(set(phones)) == len(phones)
    heads = Counter(r.household_id for r in residents if r.relation == "head")
    assert set(heads.values()) == {1} and len(heads) == 120

    # Ids were assigned in bulk: ordinary inserts still work afterwards (PostgreSQL sequences moved on).
    household = service.create_household(
        db, grid_code=grids[0].grid_code, address="渔港路1号", actor=OPERATOR, now=SEED_TIME
    )
    added = service.create_resident(
        db,
        cipher,
        household_id=household.id,
        name="郭靖",
        id_number=make_id_number("330903", date(1985, 1, 1), 1),
        relation="head",
        actor=OPERATOR,
        now=SEED_TIME,
    )
    assert added.id > max(r.id for r in residents)


def test_seeding_again_continues_numbers_without_clashes(db: Session, cipher: FieldCipher, make_grid) -> None:  # type: ignore[no-untyped-def]
    grids = _grids(make_grid)[:1]
    first = seed_people(
        db, cipher, grids, households_per_grid=12, residents_per_household=3.0, rng=random.Random(9), now=SEED_TIME
    )
    # The same random stream would draw the same people: their ID numbers must be skipped, not clash.
    second = seed_people(
        db, cipher, grids, households_per_grid=12, residents_per_household=3.0, rng=random.Random(9), now=SEED_TIME
    )
    assert first["residents"] == second["residents"]
    codes = sorted(db.scalars(select(Building.code).where(Building.grid_id == grids[0].grid_id)))
    assert len(codes) == len(set(codes)) == first["buildings"] + second["buildings"]
    assert codes[-1].endswith(f"{len(codes):05d}")
    stored = list(db.scalars(select(Resident).where(Resident.grid_id == grids[0].grid_id)))
    numbers = [cipher.decrypt(r.id_enc) for r in stored]
    phones = [cipher.decrypt(r.phone_enc) for r in stored if r.phone_enc is not None]
    assert len(set(numbers)) == len(numbers) == 2 * first["residents"]
    assert len(set(phones)) == len(phones)
