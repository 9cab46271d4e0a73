"""People-register use cases: buildings, households, residents (encrypted, masked), search, reveal, key rotation.

ID numbers and phone numbers are stored only as ciphertext plus a keyed blind index (security.md S17); answers
and exports (:mod:`pingan.people.excel`) mask them (S18, S19) and the clear values come out only through
:func:`reveal_resident`, which needs a reason and writes an audit row. Every read goes through the caller's data
scope; a record outside it is "not found". Services flush and never commit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.errors import Conflict, NotFound, ValidationFailed
from pingan.grids.models import LandGrid, TeamMember
from pingan.kit.crypto import FieldCipher
from pingan.kit.idcard import normalize_id_number
from pingan.people import repository
from pingan.people.models import Building, Gender, House, Household, Relation, Resident
from pingan.people.schemas import REVEAL_FIELDS, Person, check_person

MIN_REASON_CHARS = 4
_PII_IN_TEXT_RE = re.compile(r"\d{17}[\dXx]|(?<!\d)1[3-9]\d{9}(?!\d)")
REVEALABLE = REVEAL_FIELDS


def _raise_problems(problems: list[tuple[str, str]]) -> None:
    if problems:
        raise ValidationFailed("; ".join(message for _, message in problems), fields=[f for f, _ in problems])


def check_reveal_reason(reason: str) -> str:
    """The cleaned reason for showing clear personal data; refuses empty, trivial or PII-bearing reasons."""
    text = " ".join(reason.split())
    if len(text) < MIN_REASON_CHARS or len(set(text)) < 2:
        raise ValidationFailed(
            f"give a real reason of at least {MIN_REASON_CHARS} characters", code="reveal_reason_required"
        )
    if _PII_IN_TEXT_RE.search(text):
        # The reason is stored in the audit trail, which must never hold a clear ID or phone number.
        raise ValidationFailed("the reason must not contain an ID or phone number", code="reveal_reason_pii")
    return text


# ---------------------------------------------------------------- lookups inside the data scope


def get_grid(session: Session, grid_code: str, *, actor: Principal) -> LandGrid:
    """A land grid inside the caller's scope, else :class:`NotFound`."""
    grid = repository.grids_by_code(session, actor.visibility, [grid_code.strip()]).get(grid_code.strip())
    if grid is None:
        raise NotFound(f"grid {grid_code!r} not found")
    return grid


def get_resident(session: Session, resident_id: int, *, actor: Principal) -> Resident:
    """A resident inside the caller's scope, else :class:`NotFound`."""
    actor.require(Permission.PEOPLE_READ)
    stmt = repository.residents_query(actor.visibility).where(Resident.id == resident_id)
    resident = session.scalars(stmt).first()
    if resident is None:
        raise NotFound(f"resident {resident_id} not found")
    return resident


def get_household(session: Session, household_id: int, *, actor: Principal) -> Household:
    """A household (members loaded) inside the caller's scope, else :class:`NotFound`."""
    actor.require(Permission.PEOPLE_READ)
    stmt = repository.households_query(actor.visibility).where(Household.id == household_id)
    household = session.scalars(stmt).first()
    if household is None:
        raise NotFound(f"household {household_id} not found")
    return household


def get_building(session: Session, building_id: int, *, actor: Principal) -> Building:
    """A building inside the caller's scope, else :class:`NotFound`."""
    actor.require(Permission.PEOPLE_READ)
    stmt = repository.buildings_query(actor.visibility).where(Building.id == building_id)
    building = session.scalars(stmt).first()
    if building is None:
        raise NotFound(f"building {building_id} not found")
    return building


def list_buildings(
    session: Session, *, actor: Principal, grid_code: str | None = None, limit: int = 100, offset: int = 0
) -> list[Building]:
    """Buildings inside the caller's scope (of one grid, when given), by code."""
    actor.require(Permission.PEOPLE_READ)
    stmt = repository.buildings_query(actor.visibility)
    if grid_code:
        stmt = stmt.where(Building.grid_id == get_grid(session, grid_code, actor=actor).id)
    return list(session.scalars(stmt.order_by(Building.code).limit(limit).offset(offset)))


def search_residents(
    session: Session,
    cipher: FieldCipher,
    *,
    actor: Principal,
    id_number: str | None = None,
    name: str | None = None,
    grid_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Resident]:
    """Residents inside the scope by exact ID number (blind index) or name (exact matches first, then prefix)."""
    actor.require(Permission.PEOPLE_READ)
    stmt = repository.residents_query(actor.visibility)
    if id_number:
        stmt = stmt.where(Resident.id_bidx == cipher.blind_index(normalize_id_number(id_number)))
    if grid_code:
        stmt = stmt.where(Resident.grid_id == get_grid(session, grid_code, actor=actor).id)
    if name and name.strip():
        wanted = " ".join(name.split())
        stmt = stmt.where(Resident.name.startswith(wanted, autoescape=True))
        stmt = stmt.order_by(case((Resident.name == wanted, 0), else_=1), Resident.name)
    return list(session.scalars(stmt.order_by(Resident.id).limit(limit).offset(offset)))


# ---------------------------------------------------------------- creating records


def create_building(
    session: Session,
    *,
    grid_code: str,
    address: str,
    lon: float,
    lat: float,
    actor: Principal,
    now: datetime,
    floors: int = 1,
    use: str = "residential",
) -> Building:
    """Register a building in a grid; its code is the grid code plus the next 5-digit number."""
    actor.require(Permission.PEOPLE_WRITE)
    grid = get_grid(session, grid_code, actor=actor)
    last = repository.last_building_code(session, grid)
    sequence = int(last[-5:]) + 1 if last else 1
    if sequence > 99_999:
        raise Conflict(f"grid {grid.code} has no building numbers left", code="building_numbers_exhausted")
    building = Building(
        code=f"{grid.code}{sequence:05d}",
        grid_id=grid.id,
        village_unit_id=grid.village_unit_id,
        address=address.strip(),
        lon=lon,
        lat=lat,
        floors=floors,
        use=use,
        created_at=now,
    )
    session.add(building)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="people.building.create",
        now=now,
        object_type="building",
        object_id=building.id,
        details={"code": building.code},
    )
    return building


def create_household(
    session: Session,
    *,
    grid_code: str,
    address: str,
    actor: Principal,
    now: datetime,
    code: str | None = None,
    building_id: int | None = None,
    room: str | None = None,
) -> Household:
    """Register a household in a grid; with a building and room the dwelling (房屋) is registered too."""
    actor.require(Permission.PEOPLE_WRITE)
    grid = get_grid(session, grid_code, actor=actor)
    house_id: int | None = None
    if building_id is not None:
        building = get_building(session, building_id, actor=actor)
        if building.grid_id != grid.id:
            raise ValidationFailed("the building is in another grid", code="building_outside_grid")
        if not room or not room.strip():
            raise ValidationFailed("a household in a building needs a room", code="room_required")
        house = House(
            building_id=building.id,
            room=room.strip(),
            area_m2=None,
            grid_id=grid.id,
            village_unit_id=grid.village_unit_id,
            created_at=now,
        )
        session.add(house)
        session.flush()
        house_id = house.id
        code = code or f"{building.code}{room.strip()}"[:24]
    code = (code or "").strip() or _next_household_code(session, grid)
    if repository.households_by_code(session, [code]):
        raise Conflict(f"household number {code!r} is taken", code="household_code_taken")
    household = Household(
        code=code,
        house_id=house_id,
        address=address.strip(),
        grid_id=grid.id,
        village_unit_id=grid.village_unit_id,
        created_at=now,
    )
    session.add(household)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="people.household.create",
        now=now,
        object_type="household",
        object_id=household.id,
        details={"code": household.code},
    )
    return household


def _next_household_code(session: Session, grid: LandGrid) -> str:
    prefix = f"{grid.code}H"
    last = session.scalar(select(func.max(Household.code)).where(Household.code.startswith(prefix, autoescape=True)))
    sequence = int(last[len(prefix) :]) + 1 if last and last[len(prefix) :].isdigit() else 1
    return f"{prefix}{sequence:08d}"


def resident_row(
    cipher: FieldCipher, person: Person, household: Household, *, address: str | None, now: datetime
) -> dict[str, object]:
    """The column values of a new resident row: ID and phone encrypted, with their blind indexes."""
    return {
        "household_id": household.id,
        "name": person.name,
        "gender": person.gender.value,
        "ethnicity": person.ethnicity,
        "birth_date": person.birth_date,
        "id_enc": cipher.encrypt(person.id_number),
        "id_bidx": cipher.blind_index(person.id_number),
        "phone_enc": cipher.encrypt(person.phone) if person.phone else None,
        "phone_bidx": cipher.blind_index(person.phone) if person.phone else None,
        "address": (address or "").strip() or household.address,
        "relation": person.relation.value,
        "tags": list(person.tags),
        "grid_id": household.grid_id,
        "village_unit_id": household.village_unit_id,
        "created_at": now,
    }


def create_resident(
    session: Session,
    cipher: FieldCipher,
    *,
    household_id: int,
    name: str,
    id_number: str,
    relation: Relation | str,
    actor: Principal,
    now: datetime,
    gender: Gender | str | None = None,
    birth_date: date | str | None = None,
    ethnicity: str = "汉族",
    phone: str | None = None,
    address: str | None = None,
    tags: Sequence[str] = (),
) -> Resident:
    """Register a resident in a household: ID number checked (GB 11643) and unique, ID and phone encrypted."""
    actor.require(Permission.PEOPLE_WRITE)
    household = get_household(session, household_id, actor=actor)
    person, problems = check_person(
        name=name,
        id_number=id_number,
        relation=relation,
        gender=gender,
        birth_date=birth_date,
        ethnicity=ethnicity,
        phone=phone,
        tags=list(tags),
        today=now.date(),
    )
    _raise_problems(problems)
    assert person is not None
    if repository.taken_id_indexes(session, [cipher.blind_index(person.id_number)]):
        raise Conflict("a resident with this ID number is already registered", code="duplicate_id_number")
    if person.relation is Relation.HEAD and repository.household_ids_with_head(session, [household.id]):
        raise Conflict("the household already has a head", code="household_has_head")
    resident = Resident(**resident_row(cipher, person, household, address=address, now=now))
    session.add(resident)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="people.resident.create",
        now=now,
        object_type="resident",
        object_id=resident.id,
        details={"household": household.code},
    )
    return resident


# ---------------------------------------------------------------- 查看明文


def reveal_resident(
    session: Session,
    cipher: FieldCipher,
    resident_id: int,
    *,
    reason: str,
    fields: Sequence[str] = REVEALABLE,
    actor: Principal,
    now: datetime,
) -> dict[str, str | None]:
    """The clear name, ID number and phone of one resident, for a stated reason; writes one audit row."""
    actor.require(Permission.PEOPLE_REVEAL)
    why = check_reveal_reason(reason)
    wanted = [f for f in REVEALABLE if f in set(fields)]
    unknown = sorted(set(fields) - set(REVEALABLE))
    if unknown or not wanted:
        raise ValidationFailed(f"fields must be among {', '.join(REVEALABLE)}", code="bad_reveal_fields")
    resident = get_resident(session, resident_id, actor=actor)
    clear = {
        "name": resident.name,
        "id_number": cipher.decrypt(resident.id_enc),
        "phone": cipher.decrypt(resident.phone_enc) if resident.phone_enc else None,
    }
    audit.record(
        session,
        actor=actor,
        action="people.resident.reveal",
        now=now,
        object_type="resident",
        object_id=resident.id,
        details={"reason": why, "fields": wanted},
    )
    return {f: clear[f] for f in wanted}


# ---------------------------------------------------------------- key rotation

# Every table whose columns hold field ciphertext, with those columns.
# Every ciphertext column of the platform, for key rotation (tables of other packages named by table name).
ENCRYPTED_COLUMNS: dict[str, tuple[str, ...]] = {
    Resident.__tablename__: ("id_enc", "phone_enc"),
    TeamMember.__tablename__: ("phone_enc",),
    "fleet_party": ("id_enc", "phone_enc"),
    "crew_member": ("id_enc", "phone_enc"),
    "cadre": ("id_enc", "phone_enc"),
}


@dataclass(frozen=True)
class RotationStep:
    """One batch of a key rotation: the last id seen, rows read and ciphertexts rewritten."""

    last_id: int
    scanned: int
    rewritten: int


def rotate_key_batch(
    session: Session, cipher: FieldCipher, table_name: str, *, after_id: int, limit: int = 1000
) -> RotationStep:
    """Re-encrypt, under the active key, the ciphertexts of one batch of rows written under an older key."""
    import pingan.models  # noqa: F401 - registers every package's tables in the shared metadata

    table = Resident.metadata.tables[table_name]
    columns = ENCRYPTED_COLUMNS[table_name]
    batch = repository.ciphertext_batches(session, table, columns, after_id=after_id, limit=limit)
    updates: list[dict[str, object]] = []
    rewritten = 0
    for row_id, *blobs in batch:
        values: dict[str, object] = {}
        for column, blob in zip(columns, blobs, strict=True):
            if blob is not None and cipher.key_id_of(blob) != cipher.active_key_id:
                values[column] = cipher.encrypt(cipher.decrypt(blob))
        if values:
            rewritten += len(values)
            # executemany needs the same keys in every row: carry unchanged columns along as they are.
            updates.append({"_id": row_id, **dict(zip(columns, blobs, strict=True)), **values})
    repository.update_by_id(session, table, updates)
    return RotationStep(batch[-1][0] if batch else after_id, len(batch), rewritten)


def record_rotation(
    session: Session, counts: dict[str, int], *, active_key_id: int, actor: Principal, now: datetime
) -> None:
    """Audit a finished key rotation (counts only)."""
    audit.record(
        session,
        actor=actor,
        action="people.rotate_key",
        now=now,
        details={"active_key_id": active_key_id, **counts},
    )
