"""Seed the demo organisation and one account per built-in role; idempotent, so ``pingan demo`` reuses data."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from pingan.auth import repository
from pingan.auth import service as auth_service
from pingan.auth.principal import cli_principal
from pingan.config import Settings
from pingan.org import service as org_service
from pingan.org.models import UnitKind

# (code, name, English name, kind, parent code). Area codes are GB/T 2260 (city, districts/counties); the
# township and community codes here are placeholders until the grid issue loads the full 43-township register.
DEMO_UNITS: tuple[tuple[str, str, str, UnitKind, str | None], ...] = (
    ("330900", "舟山市", "Zhoushan", UnitKind.CITY, None),
    ("330902", "定海区", "Dinghai District", UnitKind.DISTRICT, "330900"),
    ("330903", "普陀区", "Putuo District", UnitKind.DISTRICT, "330900"),
    ("330921", "岱山县", "Daishan County", UnitKind.DISTRICT, "330900"),
    ("330922", "嵊泗县", "Shengsi County", UnitKind.DISTRICT, "330900"),
    ("330902001", "解放街道", "Jiefang Street", UnitKind.TOWNSHIP, "330902"),
    ("330902002", "昌国街道", "Changguo Street", UnitKind.TOWNSHIP, "330902"),
    ("330903001", "沈家门街道", "Shenjiamen Street", UnitKind.TOWNSHIP, "330903"),
    ("330903101", "六横镇", "Liuheng Town", UnitKind.TOWNSHIP, "330903"),
    ("330903102", "桃花镇", "Taohua Town", UnitKind.TOWNSHIP, "330903"),
    ("330921101", "高亭镇", "Gaoting Town", UnitKind.TOWNSHIP, "330921"),
    ("330922101", "菜园镇", "Caiyuan Town", UnitKind.TOWNSHIP, "330922"),
    ("330903001001", "渔港社区", "Yugang Community", UnitKind.COMMUNITY, "330903001"),
    ("330903001002", "东河社区", "Donghe Community", UnitKind.COMMUNITY, "330903001"),
    ("330903102201", "桃花村", "Taohua Village", UnitKind.COMMUNITY, "330903102"),
    ("ZS-GA", "舟山市公安局", "Zhoushan Public Security Bureau", UnitKind.DEPARTMENT, "330900"),
    ("ZS-SF", "舟山市司法局", "Zhoushan Justice Bureau", UnitKind.DEPARTMENT, "330900"),
    ("ZS-CG", "舟山市综合行政执法局", "Zhoushan Urban Management Bureau", UnitKind.DEPARTMENT, "330900"),
    ("ZS-HY", "舟山市海洋与渔业局", "Zhoushan Ocean and Fisheries Bureau", UnitKind.DEPARTMENT, "330900"),
    ("ZS-YJ", "舟山市应急管理局", "Zhoushan Emergency Management Bureau", UnitKind.DEPARTMENT, "330900"),
    ("ZS-12345", "舟山市12345政务服务热线中心", "Zhoushan 12345 Hotline Centre", UnitKind.CENTRE, "330900"),
    ("ZS-SZ", "舟山市社会治理中心", "Zhoushan Social Governance Centre", UnitKind.CENTRE, "330900"),
    ("PT-GA", "普陀公安分局", "Putuo Public Security Sub-bureau", UnitKind.DEPARTMENT, "330903"),
    ("PT-GA-SJM", "沈家门派出所", "Shenjiamen Police Station", UnitKind.STATION, "PT-GA"),
    ("PT-SF-SJM", "沈家门司法所", "Shenjiamen Justice Office", UnitKind.STATION, "330903001"),
    ("ZS-HYZF", "舟山市海洋与渔业执法支队", "Zhoushan Fisheries Law Enforcement Detachment", UnitKind.STATION, "ZS-HY"),
)


@dataclass(frozen=True)
class DemoAccount:
    """A demo account: one per built-in role."""

    username: str
    display_name: str
    unit_code: str
    role: str


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("sys_zhang", "张伟（系统管理员）", "ZS-SZ", "sys_admin"),
    DemoAccount("sec_li", "李娜（安全管理员）", "ZS-SZ", "security_admin"),
    DemoAccount("audit_wang", "王芳（审计管理员）", "ZS-SZ", "audit_admin"),
    DemoAccount("cmd_chen", "陈刚（指挥中心）", "ZS-SZ", "commander"),
    DemoAccount("sjm_zhao", "赵敏（沈家门街道）", "330903001", "township_leader"),
    DemoAccount("taohua_sun", "孙强（桃花镇）", "330903102", "township_leader"),
    DemoAccount("police_zhou", "周杰（沈家门派出所）", "PT-GA-SJM", "dept_officer"),
    DemoAccount("fish_qian", "钱海（海洋与渔业局）", "ZS-HY", "fishery_officer"),
    DemoAccount("grid_wu", "吴静（渔港社区网格员）", "330903001001", "grid_worker"),
    DemoAccount("vol_zheng", "郑勇（平安志愿者）", "330903001001", "volunteer"),
)


def _password_file(settings: Settings) -> Path:
    return settings.data_dir / "demo-accounts.json"


def _demo_passwords(settings: Settings) -> dict[str, str]:
    """Random demo passwords made once and kept in the data directory (mode 0600), so reruns reuse them."""
    path = _password_file(settings)
    known: dict[str, str] = json.loads(path.read_text("utf-8")) if path.exists() else {}
    changed = False
    for acc in DEMO_ACCOUNTS:
        if acc.username not in known:
            known[acc.username] = "Zs-" + secrets.token_urlsafe(12)
            changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(known, indent=2), "utf-8")
        os.chmod(path, 0o600)
    return known


def seed_demo(session: Session, settings: Settings, *, now: datetime) -> dict[str, str]:
    """Create what is missing of the demo organisation and accounts; return username → password."""
    actor = cli_principal("demo-seed")
    auth_service.sync_builtin_roles(session, now=now)
    for code, name, name_en, kind, parent in DEMO_UNITS:
        if org_service.unit_by_code(session, code) is None:
            org_service.create_unit(
                session,
                code=code,
                name=name,
                name_en=name_en,
                kind=kind,
                parent_code=parent,
                actor=actor,
                now=now,
            )
    from pingan.cases.config import ensure_defaults

    ensure_defaults(session, now=now)  # categories need the departments above
    passwords = _demo_passwords(settings)
    for acc in DEMO_ACCOUNTS:
        if repository.get_user_by_username(session, acc.username) is None:
            auth_service.create_user(
                session,
                settings,
                username=acc.username,
                display_name=acc.display_name,
                unit_code=acc.unit_code,
                password=passwords[acc.username],
                role_codes=[acc.role],
                actor=actor,
                now=now,
                must_change_password=False,  # demo only: the accounts are printed for immediate use
            )
    return {acc.username: passwords[acc.username] for acc in DEMO_ACCOUNTS}
