"""Synthetic buildings, houses, households and residents for the demo, fast enough for a city (~1 M people).

Everything is drawn from the caller's ``random.Random``, so a seed reproduces the register. Rows go in through
SQLAlchemy Core ``executemany`` in chunks with ids assigned here, not one ORM object at a time. ID numbers are
valid (GB 11643) and unique by construction: each (area, birth date, sex) has its own run of sequence numbers.
Phones are unique by construction too: an affine bijection of a counter onto the eight subscriber digits.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from pingan.kit.crypto import FieldCipher
from pingan.kit.idcard import check_char
from pingan.people import repository
from pingan.people.models import Building, House, Household, Relation, Resident
from pingan.people.schemas import ResidentTag

CHUNK = 5000
AREA_CODES = ("330902", "330903", "330921", "330922")  # 定海区, 普陀区, 岱山县, 嵊泗县 (GB/T 2260)
AREA_WEIGHTS = (0.42, 0.33, 0.17, 0.08)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
SURNAME_WEIGHTS = (
    7.3, 7.2, 6.9, 5.4, 4.5, 3.1, 2.3, 2.2, 1.9, 1.9, 1.6, 1.6, 1.3, 1.2, 1.2, 1.2, 1.1, 1.1, 1.0, 0.9,
)  # fmt: skip
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林海峰建国志文博"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英华慧巧美婷雪琳洁玲萍红梅莉兰凤颖倩佳琪晨欣怡悦雯"
ETHNICITIES = ("汉族", "回族", "满族", "畲族", "土家族", "苗族")
ETHNICITY_WEIGHTS = (985, 4, 3, 4, 2, 2)
PHONE_PREFIXES = tuple(
    str(p) for p in (*range(130, 140), *range(150, 154), *range(155, 160), 166, 173, 177, *range(180, 190), 191, 199)
)
PHONE_SPAN = 10**8
PHONE_STEP = 48_271  # odd and not a multiple of 5: i -> (i * step + offset) mod 10^8 is a bijection
# Fixed, so runs that add to a register (counters starting past the highest resident id) never repeat a number.
PHONE_OFFSET = 13_579_246
TAG_SHARE = 0.03
_ADULT_TAGS = (
    ResidentTag.RELEASED_PRISONER,
    ResidentTag.COMMUNITY_CORRECTION,
    ResidentTag.DRUG_USER,
    ResidentTag.SEVERE_MENTAL_DISORDER,
    ResidentTag.PETITIONER,
    ResidentTag.DISABLED,
)


@dataclass(frozen=True)
class SeedGrid:
    """A land grid to fill: where it is and what its village is called (for addresses)."""

    grid_id: int
    village_unit_id: int
    grid_code: str
    village_name: str
    centroid_lon: float
    centroid_lat: float


def _tables() -> list[Table]:
    """The register's tables, parents first (the order rows must be written in)."""
    return [Resident.metadata.tables[m.__tablename__] for m in (Building, House, Household, Resident)]


class _Writer:
    """Buffers rows per table and writes them parents first, ``CHUNK`` rows per executemany."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.tables = _tables()
        self.rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in self.tables}
        self.counts: dict[str, int] = {t.name: 0 for t in self.tables}

    def add(self, table: str, row: dict[str, Any]) -> None:
        pending = self.rows[table]
        pending.append(row)
        if len(pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        for table in self.tables:
            pending = self.rows[table.name]
            if pending:
                self.session.execute(insert(table), pending)
                self.counts[table.name] += len(pending)
                self.rows[table.name] = []


class _Identities:
    """Hands out unique, valid ID numbers and mobile numbers (the phone counter starts at the next resident id)."""

    def __init__(self, cipher: FieldCipher, taken: set[str], phone_start: int) -> None:
        self.cipher = cipher
        self.taken = taken  # blind indexes already in the register (empty for a fresh one)
        self.runs: dict[int, int] = {}
        self.phone_next = phone_start

    def id_number(self, area_index: int, born: date, male: bool) -> tuple[str, str]:
        """A new ID number and its blind index."""
        ordinal = born.toordinal()
        key = (ordinal * 4 + area_index) * 2 + male
        while True:
            n = self.runs.get(key, 0)
            if n >= 500:  # this day's numbers are used up: move to the next day
                ordinal += 1
                key = (ordinal * 4 + area_index) * 2 + male
                continue
            self.runs[key] = n + 1
            # A fixed permutation of 0..499 per key, so the numbers do not all start at 000.
            seq = 2 * ((n * 37 + ordinal * 7 + area_index * 131) % 500) + male
            first17 = f"{AREA_CODES[area_index]}{date.fromordinal(ordinal):%Y%m%d}{seq:03d}"
            number = first17 + check_char(first17)
            index = self.cipher.blind_index(number)
            if index not in self.taken:
                return number, index

    def phone(self) -> str:
        """A new mobile number (unique within the run)."""
        i = self.phone_next
        self.phone_next += 1
        suffix = (i * PHONE_STEP + PHONE_OFFSET) % PHONE_SPAN
        return f"{PHONE_PREFIXES[i % len(PHONE_PREFIXES)]}{suffix:08d}"


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: fine for the small means of household sizes.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _given_name(rng: random.Random, male: bool) -> str:
    pool = GIVEN_MALE if male else GIVEN_FEMALE
    return rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.75 else "")


def _members(rng: random.Random, size: int) -> list[tuple[Relation, int, bool]]:
    """(relation, age in years, male) of a household of ``size``: a head, maybe a spouse, then kin."""
    head_age = rng.choice((rng.randint(24, 45), rng.randint(35, 65), rng.randint(55, 88)))
    head_male = rng.random() < 0.72
    members = [(Relation.HEAD, head_age, head_male)]
    if size >= 2 and rng.random() < 0.85:
        members.append((Relation.SPOUSE, max(20, head_age + rng.randint(-6, 4)), not head_male))
    while len(members) < size:
        roll = rng.random()
        if head_age >= 50 and roll < 0.35:
            members.append((Relation.GRANDCHILD, max(0, head_age - rng.randint(48, 62)), rng.random() < 0.52))
        elif head_age <= 55 and roll < 0.5:
            members.append((Relation.PARENT, min(99, head_age + rng.randint(22, 34)), rng.random() < 0.45))
        elif head_age >= 22 and roll < 0.93:
            members.append((Relation.CHILD, max(0, head_age - rng.randint(22, 36)), rng.random() < 0.52))
        else:
            members.append((Relation.SIBLING, max(18, head_age + rng.randint(-8, 8)), rng.random() < 0.5))
    return members


def _tag(rng: random.Random, age: int, size: int) -> list[str]:
    if rng.random() >= TAG_SHARE:
        return []
    if age >= 70 and size == 1:
        return [ResidentTag.ELDERLY_ALONE.value]
    if age < 16:
        return [ResidentTag.LEFT_BEHIND_CHILD.value]
    if age < 25 and rng.random() < 0.5:
        return [ResidentTag.KEY_YOUTH.value]
    return [rng.choice(_ADULT_TAGS).value]


def _building_starts(session: Session, grids: Sequence[SeedGrid]) -> dict[int, int]:
    """The last building number already used in each grid (0 where none)."""
    wanted = {g.grid_id for g in grids}
    stmt = select(Building.grid_id, func.max(Building.code)).group_by(Building.grid_id)
    return {gid: int(code[-5:]) for gid, code in session.execute(stmt) if gid in wanted and code}


def _advance_sequences(session: Session, tables: Sequence[Table]) -> None:
    """PostgreSQL: move each id sequence past the ids assigned here, so later inserts do not collide."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        top = select(func.max(table.c.id)).scalar_subquery()
        session.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"), top)))


def seed_people(
    session: Session,
    cipher: FieldCipher,
    grids: Sequence[SeedGrid],
    *,
    households_per_grid: int,
    residents_per_household: float,
    rng: random.Random,
    now: datetime,
    household_sizes: Iterator[int] | None = None,
) -> dict[str, int]:
    """Fill each grid with buildings, houses, households and residents; return how many of each were written.

    ``residents_per_household`` is the mean household size (at least 1). Adds to an existing register without
    clashing: building numbers continue per grid, and ID numbers already registered are skipped.
    """
    if residents_per_household < 1:
        raise ValueError("a household has at least one member")
    tables = _tables()
    next_id = {t.name: repository.max_id(session, t) + 1 for t in tables}
    taken: set[str] = set()
    if next_id[Resident.__tablename__] > 1:
        taken = set(session.scalars(select(Resident.id_bidx)))
    ids = _Identities(cipher, taken, phone_start=next_id[Resident.__tablename__])
    starts = _building_starts(session, grids)
    writer = _Writer(session)
    today = now.date()
    year_start = {y: date(y, 1, 1).toordinal() for y in range(today.year - 101, today.year + 1)}
    tagged = 0
    extra_mean = residents_per_household - 1
    encrypt, blind_index = cipher.encrypt, cipher.blind_index

    for grid in grids:
        area_index = AREA_CODES.index(grid.grid_code[:6]) if grid.grid_code[:6] in AREA_CODES else -1
        building_no = starts.get(grid.grid_id, 0)
        placed = {"grid_id": grid.grid_id, "village_unit_id": grid.village_unit_id, "created_at": now}
        remaining = households_per_grid
        while remaining > 0:
            building_no += 1
            floors = rng.randint(2, 7)
            per_floor = rng.choice((1, 2, 2, 3))
            in_building = min(remaining, floors * per_floor)
            remaining -= in_building
            building_id = next_id["building"]
            next_id["building"] += 1
            building_code = f"{grid.grid_code}{building_no:05d}"
            building_address = f"{grid.village_name}{building_no}号楼"
            writer.add(
                "building",
                {
                    "id": building_id,
                    "code": building_code,
                    "address": building_address,
                    "lon": round(grid.centroid_lon + rng.uniform(-0.002, 0.002), 6),
                    "lat": round(grid.centroid_lat + rng.uniform(-0.002, 0.002), 6),
                    "floors": floors,
                    "use": "residential",
                    **placed,
                },
            )
            for k in range(in_building):
                room = f"{k // per_floor + 1}{k % per_floor + 1:02d}"
                house_id = next_id["house"]
                next_id["house"] += 1
                writer.add(
                    "house",
                    {
                        "id": house_id,
                        "building_id": building_id,
                        "room": room,
                        "area_m2": rng.randint(45, 140),
                        **placed,
                    },
                )
                household_id = next_id["household"]
                next_id["household"] += 1
                address = f"{building_address}{room}室"
                writer.add(
                    "household",
                    {
                        "id": household_id,
                        "code": f"{building_code}{k + 1:03d}",
                        "house_id": house_id,
                        "address": address,
                        **placed,
                    },
                )
                size = next(household_sizes) if household_sizes is not None else min(8, 1 + _poisson(rng, extra_mean))
                members = _members(rng, size)
                surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
                for relation, age, male in members:
                    # Spouses keep their own surname; everyone else shares the head's, as a rule.
                    own = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0] if relation is Relation.SPOUSE else surname
                    born_ordinal = year_start[today.year - age] + rng.randrange(365)
                    born = date.fromordinal(min(born_ordinal, today.toordinal() - 1))
                    area = (
                        area_index
                        if area_index >= 0 and rng.random() < 0.8
                        else rng.choices((0, 1, 2, 3), AREA_WEIGHTS)[0]
                    )
                    number, number_index = ids.id_number(area, born, male)
                    phone = ids.phone() if age >= 14 and rng.random() < 0.95 else None
                    tags = _tag(rng, age, size)
                    tagged += bool(tags)
                    writer.add(
                        "resident",
                        {
                            "id": next_id["resident"],
                            "household_id": household_id,
                            "name": own + _given_name(rng, male),
                            "gender": "male" if male else "female",
                            "ethnicity": rng.choices(ETHNICITIES, ETHNICITY_WEIGHTS)[0],
                            "birth_date": born,
                            "id_enc": encrypt(number),
                            "id_bidx": number_index,
                            "phone_enc": encrypt(phone) if phone else None,
                            "phone_bidx": blind_index(phone) if phone else None,
                            "address": address,
                            "relation": relation.value,
                            "tags": tags,
                            **placed,
                        },
                    )
                    next_id["resident"] += 1
    writer.flush()
    _advance_sequences(session, tables)
    return {
        "buildings": writer.counts["building"],
        "houses": writer.counts["house"],
        "households": writer.counts["household"],
        "residents": writer.counts["resident"],
        "tagged": tagged,
    }
