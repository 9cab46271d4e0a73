"""The demo fleet: 8,200 fishing vessels of Zhoushan's fishing towns in 770 production groups, with owners, crews,
certificates, terminals (AIS with Chinese MMSIs, BeiDou), cadres who answer for every vessel, and fishing ports.

Rows go in through SQLAlchemy Core in chunks with ids assigned here; personal identifiers are encrypted with the
configured field cipher like the people register's. Everything is drawn from one seeded ``random.Random``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import shapely
from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from pingan.config import Settings
from pingan.fleet.models import (
    Cadre,
    CadreLink,
    Certificate,
    CertificateKind,
    CrewMember,
    CrewRole,
    DutyShift,
    EventKind,
    FishingSeason,
    GroupMembership,
    HullMaterial,
    Inspection,
    InspectionResult,
    OperationType,
    Party,
    PartyKind,
    Port,
    Rating,
    RatingStatus,
    RectificationTask,
    TaskStatus,
    Terminal,
    TerminalKind,
    Vessel,
    VesselEvent,
    VesselGroup,
)
from pingan.grids.models import MobileGrid
from pingan.kit.clock import to_local
from pingan.kit.idcard import make_id_number
from pingan.maritime.areas import save_area
from pingan.maritime.geofence import Area, AreaKind, AreaRules, buffer_m
from pingan.maritime.rules import Level
from pingan.org.models import OrgUnit

CHUNK = 5000
VESSELS = 8_200
GROUPS = 770
# Fishing towns: (township code, registration prefix, share of the fleet, home port code).
FISHING_TOWNS: tuple[tuple[str, str, float, str], ...] = (
    ("330903001", "浙普渔", 0.22, "SJM"),  # 沈家门
    ("330903101", "浙普渔", 0.12, "XMT"),  # 六横 (西码头)
    ("330903103", "浙普渔", 0.08, "XZ"),  # 虾峙
    ("330903102", "浙普渔", 0.06, "TH"),  # 桃花
    ("330903104", "浙普渔", 0.03, "DJ"),  # 东极
    ("330921106", "浙岱渔", 0.10, "QS"),  # 衢山
    ("330921101", "浙岱渔", 0.08, "GT"),  # 高亭
    ("330921105", "浙岱渔", 0.05, "CT"),  # 长涂
    ("330922102", "浙嵊渔", 0.09, "SS"),  # 嵊山
    ("330922101", "浙嵊渔", 0.06, "CY"),  # 菜园 (嵊泗)
    ("330902001", "浙定渔", 0.07, "DH"),  # 定海
    ("330902102", "浙定渔", 0.04, "JT"),  # 金塘
)
# (code, name, township, lon, lat, kind): approximate positions of real ports; outlines are small boxes.
PORTS: tuple[tuple[str, str, str, float, float, str], ...] = (
    ("SJM", "沈家门渔港", "330903001", 122.300, 29.942, "fishing_port"),
    ("XMT", "西码头渔港", "330903101", 122.165, 29.745, "fishing_port"),
    ("XZ", "虾峙渔港", "330903103", 122.268, 29.752, "fishing_port"),
    ("TH", "桃花渔港", "330903102", 122.282, 29.815, "fishing_port"),
    ("DJ", "东极渔港", "330903104", 122.682, 30.185, "fishing_port"),
    ("QS", "衢山渔港", "330921106", 122.330, 30.438, "fishing_port"),
    ("GT", "高亭渔港", "330921101", 122.205, 30.238, "fishing_port"),
    ("CT", "长涂渔港", "330921105", 122.300, 30.248, "fishing_port"),
    ("SS", "嵊山渔港", "330922102", 122.812, 30.712, "fishing_port"),
    ("CY", "嵊泗中心渔港", "330922101", 122.455, 30.718, "fishing_port"),
    ("DH", "定海渔港", "330902001", 122.100, 29.998, "fishing_port"),
    ("JT", "金塘渔港", "330902102", 121.885, 30.020, "fishing_port"),
    ("ZJJ-M", "朱家尖锚地", "330903003", 122.425, 29.905, "anchorage"),
)
TYPE_MIX: tuple[tuple[OperationType, float, tuple[float, float]], ...] = (
    (OperationType.TRAWL, 0.44, (25.0, 45.0)),
    (OperationType.GILLNET, 0.18, (15.0, 35.0)),
    (OperationType.STOW_NET, 0.10, (18.0, 32.0)),
    (OperationType.PURSE_SEINE, 0.05, (30.0, 50.0)),
    (OperationType.LIGHT_PURSE_SEINE, 0.05, (35.0, 60.0)),
    (OperationType.SQUID_JIGGING, 0.05, (40.0, 65.0)),
    (OperationType.CAGE, 0.06, (14.0, 28.0)),
    (OperationType.LONGLINE, 0.04, (20.0, 38.0)),
    (OperationType.AUXILIARY, 0.03, (25.0, 55.0)),
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗虞乐邬应毛"
GIVEN = "海洋波涛浪峰强军勇杰明刚平辉鹏华飞鑫宇浩凯健俊龙林国志文德福顺发"


def _chunks(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(table), rows[start : start + CHUNK])


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _pick(rng: random.Random, mix: Sequence[tuple[Any, float, Any]]) -> tuple[Any, float, Any]:
    return rng.choices(list(mix), weights=[m[1] for m in mix])[0]


def fleet_loaded(session: Session) -> bool:
    """True when the demo fleet is already there."""
    return bool(session.scalar(select(func.count(Vessel.id))))


def load_fleet(session: Session, settings: Settings, *, now: datetime, seed: int = 8200) -> dict[str, int]:
    """Create ports, vessels, owners, crews, certificates, terminals, groups and cadre links; return counts."""
    rng = random.Random(seed)
    cipher = settings.field_cipher()
    units = {u.code: u for u in session.scalars(select(OrgUnit))}
    ports = {}
    for code, name, town, lon, lat, kind in PORTS:
        box = shapely.box(lon - 0.008, lat - 0.005, lon + 0.008, lat + 0.005)
        port = Port(
            code=code,
            name=name,
            kind=kind,
            unit_id=units[town].id if town in units else None,
            geom_wkb=shapely.to_wkb(box),
            min_lon=lon - 0.008,
            min_lat=lat - 0.005,
            max_lon=lon + 0.008,
            max_lat=lat + 0.005,
        )
        session.add(port)
        ports[code] = port
    session.flush()

    def next_id(model: Any) -> int:
        return int(session.scalar(select(func.coalesce(func.max(model.id), 0))) or 0) + 1

    party_id, vessel_id = next_id(Party), next_id(Vessel)
    crew_id, cert_id, term_id = next_id(CrewMember), next_id(Certificate), next_id(Terminal)
    parties, vessels, crews, certs, terminals = [], [], [], [], []
    used_numbers: set[str] = set()
    used_mmsi: set[str] = set()
    phone_counter = rng.randrange(10**7)
    today = now.date()

    def protected(area: str) -> dict[str, Any]:
        nonlocal phone_counter
        born = date(1955, 1, 1) + timedelta(days=rng.randrange(16_000))
        number = make_id_number(area, born, rng.randrange(500, 1000))
        phone_counter = (phone_counter + 7_919) % 10**8
        phone = f"1{rng.choice('3578')}{rng.randrange(10)}{phone_counter:08d}"
        return {
            "id_enc": cipher.encrypt(number),
            "id_bidx": cipher.blind_index(number),
            "phone_enc": cipher.encrypt(phone),
            "phone_bidx": cipher.blind_index(phone),
        }

    by_town: dict[str, list[tuple[int, OperationType]]] = {}
    for _ in range(VESSELS):
        town, prefix, _, port_code = _pick(rng, [(t, t[2], None) for t in FISHING_TOWNS])[0]
        if town not in units:
            continue
        kind, _, (lo, hi) = _pick(rng, TYPE_MIX)
        while True:
            number = f"{prefix}{rng.randrange(10_000, 100_000)}"
            if number not in used_numbers:
                used_numbers.add(number)
                break
        length = round(rng.uniform(lo, hi), 1)
        owner_company = rng.random() < 0.1
        parties.append(
            {
                "id": party_id,
                "kind": PartyKind.COMPANY if owner_company else PartyKind.PERSON,
                "name": f"舟山{_name(rng)}海洋渔业有限公司" if owner_company else _name(rng),
                "credit_code": f"91330900MA2{rng.randrange(10**6):06d}X" if owner_company else None,
                "address": f"{units[town].name}渔港路{rng.randrange(1, 300)}号",
                "created_at": now,
                **(
                    {"id_enc": None, "id_bidx": None, "phone_enc": None, "phone_bidx": None}
                    if owner_company
                    else protected(town[:6])
                ),
            }
        )
        vessels.append(
            {
                "id": vessel_id,
                "registration_no": number,
                "name": number,
                "port_of_registry": "舟山",
                "home_port_id": ports[port_code].id,
                "home_unit_id": units[town].id,
                "hull_material": HullMaterial.STEEL
                if length > 24
                else rng.choice([HullMaterial.WOOD, HullMaterial.FRP, HullMaterial.STEEL]),
                "length_m": length,
                "gross_tonnage": round(length**2.1 * rng.uniform(0.055, 0.075), 1),
                "engine_power_kw": round(length * rng.uniform(6.5, 11.0), 0),
                "build_year": rng.randint(1998, 2025),
                "operation_type": kind,
                "owner_id": party_id,
                "operator_id": party_id,
                "ais_snapshot": {},
                "is_active": True,
                "created_at": now,
            }
        )
        by_town.setdefault(town, []).append((vessel_id, kind))
        size = rng.randint(4, 12) if length > 24 else rng.randint(2, 6)
        roles = [CrewRole.CAPTAIN, CrewRole.CHIEF_ENGINEER] + [CrewRole.DECKHAND] * max(0, size - 2)
        if size >= 6:
            roles[2] = CrewRole.FIRST_MATE
        for role in roles:
            expires = today + timedelta(days=rng.randint(-60, 5 * 365)) if role is not CrewRole.DECKHAND else None
            crews.append(
                {
                    "id": crew_id,
                    "vessel_id": vessel_id,
                    "name": _name(rng),
                    "role": role,
                    "certificate_no": f"ZJ{rng.randrange(10**8):08d}" if expires else None,
                    "certificate_expires_on": expires,
                    "on_board": True,
                    "created_at": now,
                    **protected(town[:6]),
                }
            )
            crew_id += 1
        for ckind in CertificateKind:
            roll = rng.random()
            expires = (
                today - timedelta(days=rng.randint(1, 120))
                if roll < 0.03
                else today + timedelta(days=rng.randint(0, 30))
                if roll < 0.08
                else today + timedelta(days=rng.randint(31, 5 * 365))
            )
            certs.append(
                {
                    "id": cert_id,
                    "vessel_id": vessel_id,
                    "kind": ckind,
                    "number": f"{ckind.value[:2].upper()}{330900}{rng.randrange(10**6):06d}",
                    "issued_on": expires - timedelta(days=365 * rng.choice((1, 3, 5))),
                    "expires_on": expires,
                }
            )
            cert_id += 1
        while True:
            mmsi = f"{rng.choice((412, 413, 414))}{rng.randrange(10**6):06d}"
            if mmsi not in used_mmsi:
                used_mmsi.add(mmsi)
                break
        fitted = datetime(rng.randint(2016, 2025), rng.randint(1, 12), rng.randint(1, 28), tzinfo=UTC)
        terminals.append(
            {
                "id": term_id,
                "vessel_id": vessel_id,
                "kind": TerminalKind.AIS_A if length >= 24 else TerminalKind.AIS_B,
                "mmsi": mmsi,
                "device_id": None,
                "installed_at": fitted,
                "removed_at": None,
            }
        )
        terminals.append(
            {
                "id": term_id + 1,
                "vessel_id": vessel_id,
                "kind": TerminalKind.BEIDOU,
                "mmsi": None,
                "device_id": f"BD{vessel_id:07d}",
                "installed_at": fitted,
                "removed_at": None,
            }
        )
        term_id += 2
        party_id += 1
        vessel_id += 1

    _chunks(session, Party.__table__, parties)  # type: ignore[arg-type]
    _chunks(session, Vessel.__table__, vessels)  # type: ignore[arg-type]
    _chunks(session, CrewMember.__table__, crews)  # type: ignore[arg-type]
    _chunks(session, Certificate.__table__, certs)  # type: ignore[arg-type]
    _chunks(session, Terminal.__table__, terminals)  # type: ignore[arg-type]
    groups, members = _groups(session, rng, units, by_town, now=now)
    cadres, links = _cadres(session, rng, cipher, units, by_town, now=now)
    safety = _safety_records(session, rng, vessels, crews, certs, now=now)
    _duty_and_seasons(session, rng, units, now=now)
    areas = _restricted_waters(session, now=now)
    _advance_sequences(session)
    return {
        **safety,
        "restricted_areas": areas,
        "ports": len(PORTS),
        "vessels": len(vessels),
        "crew": len(crews),
        "certificates": len(certs),
        "terminals": len(terminals),
        "groups": groups,
        "group_members": members,
        "cadres": cadres,
        "cadre_links": links,
    }


def _groups(
    session: Session,
    rng: random.Random,
    units: dict[str, OrgUnit],
    by_town: dict[str, list[tuple[int, OperationType]]],
    *,
    now: datetime,
) -> tuple[int, int]:
    """770 groups: each town's vessels of one gear in runs of 3–20; leftovers join the town's last group."""
    total = sum(len(v) for v in by_town.values())
    plan: list[tuple[str, OperationType, list[int]]] = []
    for town, fleet in by_town.items():
        quota = max(1, round(GROUPS * len(fleet) / total))
        per_gear: dict[OperationType, list[int]] = {}
        for vid, kind in fleet:
            per_gear.setdefault(kind, []).append(vid)
        gears = sorted(per_gear.items(), key=lambda kv: -len(kv[1]))
        for kind, ids in gears:
            share = max(1, round(quota * len(ids) / len(fleet)))
            size = max(3, min(20, -(-len(ids) // share)))
            for start in range(0, len(ids), size):
                chunk = ids[start : start + size]
                if (
                    len(chunk) < 3
                    and plan
                    and plan[-1][0] == town
                    and plan[-1][1] == kind
                    and len(plan[-1][2]) + len(chunk) <= 20
                ):
                    plan[-1][2].extend(chunk)
                else:
                    plan.append((town, kind, chunk))
    # Bring the count to exactly 770 by splitting the largest groups or merging the smallest of a kind.
    while len(plan) < GROUPS:
        plan.sort(key=lambda p: -len(p[2]))
        town, kind, ids = plan.pop(0)
        half = len(ids) // 2
        plan += [(town, kind, ids[:half]), (town, kind, ids[half:])]
    while len(plan) > GROUPS:
        plan.sort(key=lambda p: (len(p[2]), p[0], p[1]))
        town, kind, ids = plan.pop(0)
        target = next(p for p in plan if p[0] == town and len(p[2]) + len(ids) <= 20)
        target[2].extend(ids)
    plan.sort(key=lambda p: (p[0], p[1].value, p[2][0]))
    group_rows, mobile_rows, member_rows = [], [], []
    group_id = int(session.scalar(select(func.coalesce(func.max(VesselGroup.id), 0))) or 0) + 1
    mobile_id = int(session.scalar(select(func.coalesce(func.max(MobileGrid.id), 0))) or 0) + 1
    member_id = int(session.scalar(select(func.coalesce(func.max(GroupMembership.id), 0))) or 0) + 1
    for n, (town, kind, ids) in enumerate(plan, start=1):
        code = f"BZ{town[4:6]}{town[-3:]}{n:04d}"
        mobile_rows.append(
            {
                "id": mobile_id,
                "code": code,
                "name": f"{units[town].name}{n}号编组",
                "home_sea_grid_id": None,
                "responsible_unit_id": units[town].id,
                "is_active": True,
                "created_at": now,
            }
        )
        group_rows.append(
            {
                "id": group_id,
                "code": code,
                "name": f"{units[town].name}{n}号编组",
                "operation_type": kind,
                "home_unit_id": units[town].id,
                "leader_vessel_id": ids[0],
                "mobile_grid_id": mobile_id,
                "dispersion_limit_m": float(rng.choice((3_704, 5_556, 9_260))),
                "dispersion_limit_minutes": rng.choice((20, 30, 60)),
                "is_active": True,
                "created_at": now,
            }
        )
        joined = now - timedelta(days=rng.randint(30, 900))
        for vid in ids:
            member_rows.append(
                {"id": member_id, "group_id": group_id, "vessel_id": vid, "joined_at": joined, "left_at": None}
            )
            member_id += 1
        group_id += 1
        mobile_id += 1
    _chunks(session, MobileGrid.__table__, mobile_rows)  # type: ignore[arg-type]
    _chunks(session, VesselGroup.__table__, group_rows)  # type: ignore[arg-type]
    _chunks(session, GroupMembership.__table__, member_rows)  # type: ignore[arg-type]
    return len(group_rows), len(member_rows)


def _cadres(
    session: Session,
    rng: random.Random,
    cipher: Any,
    units: dict[str, OrgUnit],
    by_town: dict[str, list[tuple[int, OperationType]]],
    *,
    now: datetime,
) -> tuple[int, int]:
    """Every vessel gets one cadre of its town (about 11 vessels each); one vessel in twenty a second one."""
    cadre_rows, link_rows = [], []
    cadre_id = int(session.scalar(select(func.coalesce(func.max(Cadre.id), 0))) or 0) + 1
    link_id = int(session.scalar(select(func.coalesce(func.max(CadreLink.id), 0))) or 0) + 1
    since = now - timedelta(days=365)
    for town, fleet in by_town.items():
        count = max(1, len(fleet) // 11)
        first = cadre_id
        for _ in range(count):
            phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
            cadre_rows.append(
                {
                    "id": cadre_id,
                    "name": _name(rng),
                    "unit_id": units[town].id,
                    "user_id": None,
                    "title": rng.choice(("镇联船干部", "村联船干部", "渔业专管员")),
                    "created_at": now,
                    "id_enc": None,
                    "id_bidx": None,
                    "phone_enc": cipher.encrypt(phone),
                    "phone_bidx": cipher.blind_index(phone),
                }
            )
            cadre_id += 1
        for i, (vid, _) in enumerate(fleet):
            link_rows.append(
                {"id": link_id, "cadre_id": first + i % count, "vessel_id": vid, "since": since, "until": None}
            )
            link_id += 1
            if rng.random() < 0.05 and count > 1:
                link_rows.append(
                    {
                        "id": link_id,
                        "cadre_id": first + (i + 1) % count,
                        "vessel_id": vid,
                        "since": since,
                        "until": None,
                    }
                )
                link_id += 1
    _chunks(session, Cadre.__table__, cadre_rows)  # type: ignore[arg-type]
    _chunks(session, CadreLink.__table__, link_rows)  # type: ignore[arg-type]
    return len(cadre_rows), len(link_rows)


def _safety_records(
    session: Session,
    rng: random.Random,
    vessels: list[dict[str, Any]],
    crews: list[dict[str, Any]],
    certs: list[dict[str, Any]],
    *,
    now: datetime,
) -> dict[str, int]:
    """One inspection per vessel in the last 200 days, tasks for failed items, events, and a published rating."""
    from pingan.fleet.checklists import checklist_for, checklist_name
    from pingan.fleet.rating import RatingInputs, rate

    today = to_local(now).date()
    by_vessel: dict[int, list[date]] = {}
    for c in certs:
        by_vessel.setdefault(c["vessel_id"], []).append(c["expires_on"])
    for c in crews:
        if c["certificate_expires_on"] is not None:
            by_vessel.setdefault(c["vessel_id"], []).append(c["certificate_expires_on"])
    inspection_id = int(session.scalar(select(func.coalesce(func.max(Inspection.id), 0))) or 0) + 1
    task_id = int(session.scalar(select(func.coalesce(func.max(RectificationTask.id), 0))) or 0) + 1
    inspections, tasks, events, ratings = [], [], [], []
    for v in vessels:
        items = checklist_for(str(v["operation_type"]))
        roll = rng.random()
        failing = [] if roll < 0.8 else rng.sample(list(items), 1 if roll < 0.95 else 2)
        failed_codes = {i.code for i in failing}
        critical = any(i.critical for i in failing)
        result = (
            InspectionResult.PASSED
            if not failing
            else InspectionResult.FAILED
            if critical
            else InspectionResult.FINDINGS
        )
        age = rng.randint(3, 200)
        at = now - timedelta(days=age, hours=rng.randint(0, 8))
        inspections.append(
            {
                "id": inspection_id,
                "vessel_id": v["id"],
                "inspected_at": at,
                "inspector_id": None,
                "checklist": checklist_name(str(v["operation_type"])),
                "notes": "",
                "items": [{"code": i.code, "ok": i.code not in failed_codes, "note": ""} for i in items],
                "result": result,
            }
        )
        open_tasks = overdue = 0
        for item in failing:
            deadline = to_local(at).date() + timedelta(days=item.rectify_days)
            closed = rng.random() < 0.85 and deadline < today
            tasks.append(
                {
                    "id": task_id,
                    "inspection_id": inspection_id,
                    "vessel_id": v["id"],
                    "item_code": item.code,
                    "description": item.label,
                    "deadline": deadline,
                    "status": TaskStatus.CLOSED if closed else TaskStatus.OPEN,
                    "closed_at": at + timedelta(days=item.rectify_days - 1) if closed else None,
                    "closing_note": "已整改" if closed else "",
                    "case_number": None,
                }
            )
            task_id += 1
            if not closed:
                open_tasks += 1
                overdue += deadline < today
        inspection_id += 1
        trained = rng.random() < 0.6
        if trained:
            events.append(
                {
                    "vessel_id": v["id"],
                    "kind": EventKind.TRAINING,
                    "occurred_at": now - timedelta(days=rng.randint(10, 300)),
                    "severity": 1,
                    "description": "船员安全生产培训",
                    "recorded_by_id": None,
                }
            )
        violations = (rng.choice((1, 1, 2)),) if rng.random() < 0.05 else ()
        incidents = (rng.choice((1, 2, 3)),) if rng.random() < 0.02 else ()
        for sev in violations:
            events.append(
                {
                    "vessel_id": v["id"],
                    "kind": EventKind.VIOLATION,
                    "occurred_at": now - timedelta(days=rng.randint(5, 330)),
                    "severity": sev,
                    "description": "未按规定开启AIS",
                    "recorded_by_id": None,
                }
            )
        for sev in incidents:
            events.append(
                {
                    "vessel_id": v["id"],
                    "kind": EventKind.INCIDENT,
                    "occurred_at": now - timedelta(days=rng.randint(5, 330)),
                    "severity": sev,
                    "description": "主机故障漂航，已拖带回港",
                    "recorded_by_id": None,
                }
            )
        dates = by_vessel.get(v["id"], [])
        expired = sum(d < today for d in dates)
        expiring = sum(today <= d <= today + timedelta(days=30) for d in dates)
        outcome = rate(
            RatingInputs(
                certificates_valid=len(dates) - expired - expiring,
                certificates_expiring=expiring,
                certificates_expired=expired,
                last_inspection=result.value,
                last_inspection_age_days=age,
                open_rectifications=open_tasks,
                overdue_rectifications=overdue,
                violation_severities=violations,
                incident_severities=incidents,
                trainings=int(trained),
                terminal_uptime=1.0,
            )
        )
        ratings.append(
            {
                "vessel_id": v["id"],
                "stars": outcome.stars,
                "score": outcome.score,
                "factors": [f.as_dict() for f in outcome.factors],
                "rules_version": outcome.rules_version,
                "status": RatingStatus.PUBLISHED,
                "computed_at": now,
                "decided_by_id": None,
                "decided_at": None,
            }
        )
    _chunks(session, Inspection.__table__, inspections)  # type: ignore[arg-type]
    _chunks(session, RectificationTask.__table__, tasks)  # type: ignore[arg-type]
    _chunks(session, VesselEvent.__table__, events)  # type: ignore[arg-type]
    _chunks(session, Rating.__table__, ratings)  # type: ignore[arg-type]
    return {
        "inspections": len(inspections),
        "rectification_tasks": len(tasks),
        "vessel_events": len(events),
        "ratings": len(ratings),
    }


def _restricted_waters(session: Session, *, now: datetime) -> int:
    """Restricted waters for the map editor and the fast alert lane: the 螺头水道 merchant channel (schematic: the
    simulator's route buffered 800 m), where a fishing vessel may pass but not linger over half an hour."""
    route = shapely.LineString([(122.10, 30.22), (121.99, 30.05), (122.00, 29.95)])
    rules = AreaRules(max_dwell_s=1800.0, applies_to=frozenset({"fishing"}), level=Level.WARNING)
    save_area(session, Area("LT-HD", "螺头水道（示意）", AreaKind.CHANNEL, buffer_m(route, 800.0), rules), now=now)
    return 1


def _duty_and_seasons(session: Session, rng: random.Random, units: dict[str, OrgUnit], *, now: datetime) -> None:
    """Today's watch shifts for the fishing towns and the fisheries bureau, and this year's closed seasons."""
    from pingan.auth.principal import cli_principal
    from pingan.fleet.reports import seed_default_seasons

    start = to_local(now).replace(hour=8, minute=0, second=0, microsecond=0)
    if start > to_local(now):
        start -= timedelta(days=1)
    rows = []
    for code in [t[0] for t in FISHING_TOWNS] + ["ZS-HY"]:
        if code not in units:
            continue
        for day in range(-1, 3):
            begins = (start + timedelta(days=day)).astimezone(UTC)
            rows.append(
                {
                    "unit_id": units[code].id,
                    "starts_at": begins,
                    "ends_at": begins + timedelta(days=1),
                    "officer_name": _name(rng),
                    "officer_user_id": None,
                    "deputy_name": _name(rng),
                    "deputy_user_id": None,
                    "handover_note": "海况良好，在港船舶已点验" if day < 0 else "",
                }
            )
    _chunks(session, DutyShift.__table__, rows)  # type: ignore[arg-type]
    year = to_local(now).year
    if not session.scalar(select(func.count(FishingSeason.id)).where(FishingSeason.year == year)):
        seed_default_seasons(session, year, actor=cli_principal("demo-seed"), now=now)


def _advance_sequences(session: Session) -> None:
    """On PostgreSQL, move each serial past the ids assigned here."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in (
        Party,
        Vessel,
        CrewMember,
        Certificate,
        Terminal,
        VesselGroup,
        MobileGrid,
        GroupMembership,
        Cadre,
        CadreLink,
    ):
        table = model.__table__
        top = select(func.max(table.c.id)).scalar_subquery()  # type: ignore[attr-defined]
        session.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"), top)))  # type: ignore[attr-defined]
