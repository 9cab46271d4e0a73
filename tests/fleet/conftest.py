"""Shared fleet fixtures: vessels and cadres made through the services, and accounts that may work the fleet.

``make_vessel(db, "浙普渔10001", "330903001", "trawl", mmsi="412000001")`` opens a vessel file (defaults for the
rest) and, with ``mmsi``, fits an AIS Class B terminal at :data:`SEED_TIME`. ``make_cadre(db, "李海", "330903001",
vessels=[v])`` registers a cadre and links the vessels. ``fleet_actor(db, "330903001")`` is a principal with
every fleet permission (and people.reveal) whose scope is that unit and everything under it. ``make_fleet_user``
creates a township_leader account of 沈家门街道 (by default): fleet permissions and people.reveal in its township.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.auth.models import User
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal, cli_principal
from pingan.auth.scope import Visibility
from pingan.config import Settings
from pingan.fleet import cadres, service, terminals
from pingan.fleet.models import Cadre, Vessel
from pingan.kit.crypto import FieldCipher
from pingan.org.models import OrgUnit
from tests.conftest import SEED_TIME

OPERATOR = cli_principal("test")
SJM = "330903001"  # 沈家门街道 (普陀区)
YUGANG = "330903001001"  # 渔港社区, in 沈家门街道
TAOHUA = "330903102"  # 桃花镇 (普陀区)
GAOTING = "330921101"  # 高亭镇 (岱山县)
# 乡镇（街道）干部: the township and everything under it, with the fleet verbs and people.reveal.
FLEET_TOWNSHIP_ROLES = ["township_leader"]
VESSEL_DEFAULTS: dict[str, object] = {
    "port_of_registry": "舟山",
    "hull_material": "steel",
    "length_m": 32.5,
    "gross_tonnage": 180.0,
    "engine_power_kw": 330.0,
    "build_year": 2012,
}


def fleet_cipher() -> FieldCipher:
    """The field cipher of the test settings (the same keys as the test app's)."""
    return Settings(env="test").field_cipher()


def add_vessel(
    db: Session,
    registration_no: str,
    home_unit_code: str = SJM,
    operation_type: str = "trawl",
    *,
    mmsi: str | None = None,
    actor: Principal = OPERATOR,
    now: datetime = SEED_TIME,
    **fields: object,
) -> Vessel:
    """Open a vessel file through the service (flushed, not committed); with ``mmsi``, fit an AIS Class B."""
    values = {**VESSEL_DEFAULTS, **fields}
    vessel = service.create_vessel(
        db,
        registration_no=registration_no,
        home_unit_code=home_unit_code,
        operation_type=operation_type,
        actor=actor,
        now=now,
        **values,  # type: ignore[arg-type]
    )
    if mmsi is not None:
        terminals.fit_terminal(db, vessel.id, kind="ais_b", mmsi=mmsi, installed_at=now, actor=actor, now=now)
    return vessel


def add_cadre(
    db: Session,
    name: str,
    unit_code: str = SJM,
    *,
    vessels: Sequence[Vessel] = (),
    phone: str | None = None,
    title: str = "联船干部",
    username: str | None = None,
    actor: Principal = OPERATOR,
    now: datetime = SEED_TIME,
) -> Cadre:
    """Register a cadre through the service and link the given vessels from ``now`` (flushed, not committed)."""
    cadre = cadres.create_cadre(
        db,
        fleet_cipher(),
        name=name,
        unit_code=unit_code,
        title=title,
        phone=phone,
        username=username,
        actor=actor,
        now=now,
    )
    for vessel in vessels:
        cadres.link_cadre(db, cadre.id, vessel.id, since=now, actor=actor, now=now)
    return cadre


def fleet_actor(db: Session, unit_code: str, *, reveal: bool = True) -> Principal:
    """A principal with the fleet permissions whose data scope is ``unit_code`` and everything under it."""
    unit = db.scalars(select(OrgUnit).where(OrgUnit.code == unit_code)).one()
    wanted = {
        Permission.FLEET_READ,
        Permission.FLEET_WRITE,
        Permission.FLEET_EXPORT,
        *([Permission.PEOPLE_REVEAL] if reveal else []),
    }
    return Principal(
        label=f"fleet-{unit_code}",
        unit_id=unit.id,
        permissions=frozenset(p.value for p in wanted),
        visibility=Visibility(subtree_paths=frozenset({unit.path})),
    )


@pytest.fixture
def cipher(settings: Settings) -> FieldCipher:
    """The field cipher of the test app's settings."""
    return settings.field_cipher()


@pytest.fixture
def make_vessel() -> Callable[..., Vessel]:
    """:func:`add_vessel`: ``make_vessel(db, registration_no, home_unit_code, operation_type, mmsi=…, **fields)``."""
    return add_vessel


@pytest.fixture
def make_cadre() -> Callable[..., Cadre]:
    """:func:`add_cadre`: ``make_cadre(db, name, unit_code, vessels=[…], phone=…)``."""
    return add_cadre


@pytest.fixture
def make_fleet_user(make_user: Callable[..., User]) -> Callable[..., User]:
    """Create an account that works the fleet in its township: ``make_fleet_user("sjm_fleet", "330903001")``."""

    def make(username: str, unit_code: str = SJM, roles: list[str] | None = None) -> User:
        return make_user(username, unit_code, roles or FLEET_TOWNSHIP_ROLES)

    return make
