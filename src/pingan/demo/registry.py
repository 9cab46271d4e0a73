"""Load the demo geography into the registry: area units and outlines, islands, land and sea grids, teams."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from pingan.auth.principal import cli_principal
from pingan.config import Settings
from pingan.demo.geography import Geography
from pingan.grids.models import AdminArea, Island, LandGrid, SeaGrid, TeamMember, TeamRole
from pingan.grids.service import footprint
from pingan.org import service as org_service
from pingan.org.models import OrgUnit

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞海波斌宇浩凯鑫婷雪琳晨阳帆"
# Team make-up of every grid: 网格长, 网格员, a police officer, and (every other grid) a doctor and a teacher.
_TEAM = (
    (TeamRole.GRID_LEADER, "统筹网格内各项工作，主持网格例会"),
    (TeamRole.GRID_WORKER, "日常巡查、信息采集、矛盾纠纷排查和事件上报"),
    (TeamRole.POLICE, "治安防控、矛盾纠纷化解和安全防范宣传"),
    (TeamRole.DOCTOR, "健康随访和公共卫生服务"),
    (TeamRole.TEACHER, "青少年关爱和法治宣传"),
)


def person_name(rng: random.Random) -> str:
    """A plausible Chinese name."""
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def registry_loaded(session: Session) -> bool:
    """True when the demo registry already holds land grids."""
    return bool(session.scalar(select(func.count(LandGrid.id))))


def load_geography(session: Session, settings: Settings, geo: Geography, *, now: datetime) -> dict[str, int]:
    """Create missing area units, then store outlines, islands, land grids, sea grids and service teams."""
    actor = cli_principal("demo-seed")
    units = {u.code: u for u in session.scalars(select(OrgUnit))}
    for area in geo.areas:
        if area.code not in units:
            units[area.code] = org_service.create_unit(
                session,
                code=area.code,
                name=area.name,
                name_en=area.name_en,
                kind=area.kind,
                parent_code=area.parent_code,
                actor=actor,
                now=now,
            )
    session.execute(
        insert(AdminArea), [{"unit_id": units[a.code].id, "updated_at": now, **footprint(a.polygon)} for a in geo.areas]
    )
    session.execute(insert(Island), [{"name": name, **footprint(poly)} for name, poly in geo.islands])
    grid_rows = []
    for grid in geo.grids:
        point = grid.polygon.centroid
        if not grid.polygon.contains(point):
            point = grid.polygon.representative_point()
        grid_rows.append(
            {
                "code": grid.code,
                "name": grid.name,
                "kind": grid.kind,
                "dedicated_type": grid.dedicated_type,
                "village_unit_id": units[grid.village_code].id,
                "centroid_lon": point.x,
                "centroid_lat": point.y,
                "created_at": now,
                **footprint(grid.polygon),
            }
        )
    session.execute(insert(LandGrid), grid_rows)
    session.execute(
        insert(SeaGrid),
        [
            {
                "code": s.code,
                "name": s.name,
                "family": s.family,
                "responsible_unit_id": units[s.responsible_unit_code].id,
                "description": s.description,
                "created_at": now,
                **footprint(s.polygon),
            }
            for s in geo.sea_grids
        ],
    )
    members = _seed_teams(session, settings, units, now=now)
    return {
        "areas": len(geo.areas),
        "islands": len(geo.islands),
        "land_grids": len(geo.grids),
        "sea_grids": len(geo.sea_grids),
        "team_members": members,
    }


def _seed_teams(session: Session, settings: Settings, units: dict[str, OrgUnit], *, now: datetime) -> int:
    cipher = settings.field_cipher()
    rng = random.Random(2360)
    police = units.get("PT-GA-SJM")
    grids = session.execute(select(LandGrid.id, LandGrid.code, LandGrid.village_unit_id).order_by(LandGrid.code)).all()
    rows = []
    used_phones: set[str] = set()
    for n, (grid_id, _code, village_id) in enumerate(grids):
        team = _TEAM if n % 2 == 0 else _TEAM[:3]
        for order, (role, duties) in enumerate(team):
            phone = _phone(rng, used_phones)
            unit_id = police.id if role is TeamRole.POLICE and police else village_id
            rows.append(
                {
                    "grid_id": grid_id,
                    "name": person_name(rng),
                    "role": role,
                    "unit_id": unit_id,
                    "phone_enc": cipher.encrypt(phone),
                    "phone_bidx": cipher.blind_index(phone),
                    "duties": duties,
                    "user_id": None,
                    "sort_order": order,
                    "created_at": now,
                }
            )
    for start in range(0, len(rows), 5000):
        session.execute(insert(TeamMember), rows[start : start + 5000])
    return len(rows)


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        phone = (
            rng.choice(("135", "136", "137", "138", "139", "150", "151", "158", "187", "188"))
            + f"{rng.randrange(10**8):08d}"
        )
        if phone not in used:
            used.add(phone)
            return phone


def link_grid_worker(session: Session, username: str, grid_codes: list[str], *, now: datetime) -> None:
    """Put a demo account on the teams of some grids as their 网格员 (its 本人网格 data scope)."""
    from pingan.auth.repository import get_user_by_username

    user = get_user_by_username(session, username)
    if user is None:
        return
    for grid_id, village_id in session.execute(
        select(LandGrid.id, LandGrid.village_unit_id).where(LandGrid.code.in_(grid_codes))
    ):
        already = session.scalar(
            select(TeamMember.id).where(TeamMember.grid_id == grid_id, TeamMember.user_id == user.id)
        )
        if already is None:
            session.add(
                TeamMember(
                    grid_id=grid_id,
                    name=user.display_name.split("（")[0],
                    role=TeamRole.GRID_WORKER,
                    unit_id=village_id,
                    duties="专职网格员（演示账号）",
                    user_id=user.id,
                    sort_order=9,
                    created_at=now,
                )
            )
    session.flush()
