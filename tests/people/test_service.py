"""People-register services: encryption and blind index, checks on ID numbers, duplicates, key rotation."""

from __future__ import annotations

import base64
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.config import Settings
from pingan.errors import Conflict, NotFound, ValidationFailed
from pingan.grids.models import TeamMember, TeamRole
from pingan.kit.crypto import FieldCipher
from pingan.kit.idcard import make_id_number
from pingan.people import service
from pingan.people.models import Resident
from tests.conftest import SEED_TIME
from tests.people.conftest import OPERATOR, Register, add_register

K1 = base64.b64encode(bytes(range(32))).decode()
K2 = base64.b64encode(bytes(range(100, 132))).decode()


def _add(db: Session, cipher: FieldCipher, register: Register, **fields: object) -> Resident:
    values: dict[str, object] = {
        "household_id": register.households["donghe"].id,
        "name": "陈小红",
        "id_number": make_id_number("330902", date(2004, 6, 1), 8),
        "relation": "child",
        "actor": OPERATOR,
        "now": SEED_TIME,
    }
    values.update(fields)
    return service.create_resident(db, cipher, **values)  # type: ignore[arg-type]


def test_id_and_phone_are_stored_encrypted_and_found_by_blind_index(
    db: Session, cipher: FieldCipher, register: Register
) -> None:
    stored = db.get(Resident, register.residents["wang"].id)
    assert stored is not None
    clear_id, clear_phone = register.id_numbers["wang"], register.phones["wang"]
    assert clear_id.encode() not in stored.id_enc and clear_phone.encode() not in (stored.phone_enc or b"")
    assert cipher.decrypt(stored.id_enc) == clear_id
    assert cipher.decrypt(stored.phone_enc or b"") == clear_phone
    assert cipher.key_id_of(stored.id_enc) == cipher.active_key_id
    assert stored.id_bidx == cipher.blind_index(clear_id) and len(stored.id_bidx) == 32
    # Same value, fresh nonce: two encryptions differ, the blind index does not.
    assert cipher.encrypt(clear_id) != cipher.encrypt(clear_id)
    found = service.search_residents(db, cipher, actor=OPERATOR, id_number=clear_id.lower())
    assert [r.id for r in found] == [stored.id]
    assert stored.gender == "male" and stored.birth_date == date(1980, 5, 17)


def test_duplicate_id_number_is_a_conflict(db: Session, cipher: FieldCipher, register: Register) -> None:
    with pytest.raises(Conflict) as caught:
        _add(db, cipher, register, id_number=register.id_numbers["zhao"])
    assert caught.value.code == "duplicate_id_number"


def test_second_head_is_a_conflict(db: Session, cipher: FieldCipher, register: Register) -> None:
    with pytest.raises(Conflict):
        _add(db, cipher, register, relation="head")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"id_number": "330902200406010081"}, "id_number"),  # wrong check character
        ({"birth_date": "2004-06-02"}, "birth_date"),  # disagrees with the number
        ({"gender": "male"}, "gender"),  # sequence 008 is even: female
        ({"phone": "12905801234"}, "phone"),
        ({"tags": ["特殊"]}, "tags"),
        ({"relation": "cousin"}, "relation"),
        ({"name": "=HYPERLINK(1)"}, "name"),
    ],
)
def test_bad_fields_are_refused_by_name(
    db: Session, cipher: FieldCipher, register: Register, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _add(db, cipher, register, **fields)
    assert caught.value.details["fields"] == [field]


def test_agreeing_fields_and_chinese_labels_are_accepted(db: Session, cipher: FieldCipher, register: Register) -> None:
    resident = _add(
        db, cipher, register, gender="女", birth_date="2004/6/1", tags=["留守儿童", "disabled"], phone="158 5700 1123"
    )
    assert resident.tags == ["left_behind_child", "disabled"]
    assert cipher.decrypt(resident.phone_enc or b"") == "15857001123"


def test_household_outside_the_scope_is_not_found(db: Session, cipher: FieldCipher, register: Register) -> None:
    from dataclasses import replace

    from pingan.auth.scope import Visibility

    taohua_only = replace(OPERATOR, visibility=Visibility(grid_ids=frozenset({register.grids["taohua"].id})))
    with pytest.raises(NotFound):
        _add(db, cipher, register, actor=taohua_only)
    with pytest.raises(NotFound):
        service.get_resident(db, register.residents["chen"].id, actor=taohua_only)
    assert service.get_resident(db, register.residents["zhao"].id, actor=taohua_only).name == "赵丽"


def test_building_codes_continue_per_grid(db: Session, register: Register) -> None:
    grid = register.grids["yugang"]
    first = service.create_building(
        db, grid_code=grid.code, address="渔港路1号", lon=122.301, lat=29.951, actor=OPERATOR, now=SEED_TIME
    )
    second = service.create_building(
        db, grid_code=grid.code, address="渔港路3号", lon=122.302, lat=29.952, actor=OPERATOR, now=SEED_TIME
    )
    assert (first.code, second.code) == (f"{grid.code}00001", f"{grid.code}00002")
    household = service.create_household(
        db,
        grid_code=grid.code,
        address="渔港路3号201室",
        building_id=second.id,
        room="201",
        actor=OPERATOR,
        now=SEED_TIME,
    )
    assert household.code == f"{second.code}201" and household.house_id is not None


def test_rotation_re_encrypts_everything_under_the_new_key(db: Session, make_grid) -> None:  # type: ignore[no-untyped-def]
    old = Settings(env="test", field_encryption_key=f"1:{K1}").field_cipher()
    register = add_register(db, old, make_grid)
    member = TeamMember(
        grid_id=register.grids["yugang"].id,
        name="吴静",
        role=TeamRole.GRID_WORKER,
        phone_enc=old.encrypt("13600001111"),
        phone_bidx=old.blind_index("13600001111"),
        duties="",
        sort_order=0,
        created_at=SEED_TIME,
    )
    db.add(member)
    db.flush()
    new = Settings(env="test", field_encryption_key=f"2:{K2},1:{K1}").field_cipher()
    assert new.active_key_id == 2 and new.index_key == old.index_key  # blind indexes survive the rotation

    rewritten = 0
    for table in service.ENCRYPTED_COLUMNS:
        after = 0
        while True:
            step = service.rotate_key_batch(db, new, table, after_id=after, limit=2)
            if not step.scanned:
                break
            after, rewritten = step.last_id, rewritten + step.rewritten
    db.expire_all()
    residents = list(db.scalars(select(Resident).where(Resident.id.in_([r.id for r in register.residents.values()]))))
    assert rewritten >= 2 * len(residents) + 1
    only_new = FieldCipher(2, {2: base64.b64decode(K2)}, new.index_key)
    for r in residents:
        key = next(k for k, v in register.residents.items() if v.id == r.id)
        assert new.key_id_of(r.id_enc) == 2 and new.key_id_of(r.phone_enc or b"") == 2
        assert only_new.decrypt(r.id_enc) == register.id_numbers[key]
        assert only_new.decrypt(r.phone_enc or b"") == register.phones[key]
    assert only_new.decrypt(db.get(TeamMember, member.id).phone_enc or b"") == "13600001111"  # type: ignore[union-attr]
    found = service.search_residents(db, new, actor=OPERATOR, id_number=register.id_numbers["chen"])
    assert [r.id for r in found] == [register.residents["chen"].id]
    # A second pass finds nothing left to do.
    assert service.rotate_key_batch(db, new, "resident", after_id=0, limit=1000).rewritten == 0
