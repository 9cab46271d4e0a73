"""A small register in three grids for the people tests: 渔港社区 and 东河社区 (沈家门街道) and 桃花村 (桃花镇)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.auth.models import User
from pingan.auth.principal import cli_principal
from pingan.config import Settings
from pingan.demo.seed import DEMO_UNITS
from pingan.grids.models import LandGrid, TeamMember, TeamRole
from pingan.kit.crypto import FieldCipher
from pingan.kit.idcard import make_id_number
from pingan.people import service
from pingan.people.models import Household, Resident
from tests.conftest import SEED_TIME

OPERATOR = cli_principal("test")


@dataclass
class Register:
    """Grids, households and residents made for a test, with the clear values the test may look for."""

    grids: dict[str, LandGrid] = field(default_factory=dict)
    households: dict[str, Household] = field(default_factory=dict)
    residents: dict[str, Resident] = field(default_factory=dict)
    id_numbers: dict[str, str] = field(default_factory=dict)
    phones: dict[str, str] = field(default_factory=dict)


# (key, grid, name, ID number, phone)
PEOPLE = (
    ("wang", "yugang", "王小明", make_id_number("330903", date(1980, 5, 17), 123), "13905801234"),
    ("wang_wife", "yugang", "李秀英", make_id_number("330903", date(1982, 2, 3), 246), "15857001122"),
    ("chen", "donghe", "陈建国", make_id_number("330902", date(1975, 11, 30), 11), "18657009876"),
    ("zhao", "taohua", "赵丽", make_id_number("330903", date(1990, 7, 1), 88), "17705801357"),
)


def village_code(name: str) -> str:
    """The code of a demo village by its name (渔港社区 and 东河社区 are in 沈家门街道, 桃花村 in 桃花镇)."""
    return next(code for code, unit_name, *_ in DEMO_UNITS if unit_name == name)


def add_register(db: Session, cipher: FieldCipher, make_grid: Callable[..., LandGrid]) -> Register:
    """Create the three grids, a household in each and the residents of :data:`PEOPLE` through the service."""
    reg = Register()
    reg.grids["yugang"] = make_grid(village_code("渔港社区"), 1, (122.30, 29.95))
    reg.grids["donghe"] = make_grid(village_code("东河社区"), 1, (122.32, 29.95))
    reg.grids["taohua"] = make_grid(village_code("桃花村"), 1, (122.40, 29.80))
    for key, grid in reg.grids.items():
        reg.households[key] = service.create_household(
            db, grid_code=grid.code, address=f"{grid.name}1号楼101室", actor=OPERATOR, now=SEED_TIME
        )
    heads: set[str] = set()
    for key, grid_key, name, number, phone in PEOPLE:
        reg.residents[key] = service.create_resident(
            db,
            cipher,
            household_id=reg.households[grid_key].id,
            name=name,
            id_number=number,
            phone=phone,
            relation="spouse" if grid_key in heads else "head",
            actor=OPERATOR,
            now=SEED_TIME,
        )
        heads.add(grid_key)
        reg.id_numbers[key] = number
        reg.phones[key] = phone
    db.commit()
    return reg


@pytest.fixture
def cipher(settings: Settings) -> FieldCipher:
    """The field cipher of the test app's settings."""
    return settings.field_cipher()


@pytest.fixture
def register(db: Session, cipher: FieldCipher, make_grid) -> Register:  # type: ignore[no-untyped-def]
    """The small register, committed into the test transaction."""
    return add_register(db, cipher, make_grid)


@pytest.fixture
def grid_worker(db: Session, make_user, register: Register) -> User:  # type: ignore[no-untyped-def]
    """An account with the grid_worker role on the service team of the 渔港社区 grid only."""
    user = make_user("gw_yugang", village_code("渔港社区"), ["grid_worker"])
    db.add(
        TeamMember(
            grid_id=register.grids["yugang"].id,
            name="吴静",
            role=TeamRole.GRID_WORKER,
            user_id=user.id,
            sort_order=0,
            duties="",
            created_at=SEED_TIME,
        )
    )
    db.commit()
    return user


def prepare_fresh_database(url: str) -> str:
    """Migrate an empty database, add the demo units and one grid in 渔港社区; return the grid code (committed)."""
    import shapely

    from pingan import migrate
    from pingan.db import create_db_engine
    from pingan.grids.models import GridKind
    from pingan.org import service as org_service
    from pingan.org.models import OrgUnit

    migrate.upgrade(url)
    engine = create_db_engine(url)
    try:
        with Session(engine) as s, s.begin():
            for code, name, name_en, kind, parent in DEMO_UNITS:
                org_service.create_unit(
                    s,
                    code=code,
                    name=name,
                    name_en=name_en,
                    kind=kind,
                    parent_code=parent,
                    actor=OPERATOR,
                    now=SEED_TIME,
                )
            village = s.scalars(select(OrgUnit).where(OrgUnit.code == village_code("渔港社区"))).one()
            box = shapely.box(122.30, 29.95, 122.31, 29.96)
            grid = LandGrid(
                code=f"{village.code}001",
                name="渔港社区第1网格",
                kind=GridKind.BASIC,
                dedicated_type=None,
                village_unit_id=village.id,
                geom_wkb=shapely.to_wkb(box),
                min_lon=122.30,
                min_lat=29.95,
                max_lon=122.31,
                max_lat=29.96,
                area_km2=1.0,
                centroid_lon=122.305,
                centroid_lat=29.955,
                created_at=SEED_TIME,
            )
            s.add(grid)
            code = grid.code
        return code
    finally:
        engine.dispose()
