"""Permissions, data scopes, the administrator roles (三权分立) and the built-in roles, as plain data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Permission(StrEnum):
    """A verb a role may grant."""

    ORG_READ = "org.read"
    ORG_WRITE = "org.write"
    USER_READ = "user.read"
    USER_WRITE = "user.write"
    USER_ROLES = "user.roles"
    USER_UNLOCK = "user.unlock"
    USER_RESET_PASSWORD = "user.reset_password"  # noqa: S105 - a permission name
    ROLE_READ = "role.read"
    ROLE_WRITE = "role.write"
    TOKEN_MANAGE = "token.manage"  # noqa: S105 - a permission name
    AUDIT_READ = "audit.read"
    STATS_READ = "stats.read"
    GRID_READ = "grid.read"
    GRID_WRITE = "grid.write"  # import areas and grids
    TEAM_WRITE = "team.write"  # edit grid service teams
    PEOPLE_READ = "people.read"  # masked
    PEOPLE_WRITE = "people.write"
    PEOPLE_REVEAL = "people.reveal"  # 查看明文, with a reason, audited
    PEOPLE_EXPORT = "people.export"
    PEOPLE_IMPORT = "people.import"
    FLEET_READ = "fleet.read"  # vessel files, groups, cadres (owners' and crews' data masked)
    FLEET_WRITE = "fleet.write"  # vessel files, crews, terminals, certificates, groups, cadre links
    FLEET_INSPECT = "fleet.inspect"  # inspections and rectification tasks
    RATING_CONFIRM = "fleet.rating.confirm"  # publish or reject a star-rating downgrade
    FLEET_REPORT = "fleet.report"  # dynamic reports (出港/进港/人工位置报告)
    FLEET_EXPORT = "fleet.export"
    DUTY_WRITE = "duty.write"  # watch-duty rosters and logs
    ALERT_READ = "alert.read"
    ALERT_HANDLE = "alert.handle"  # acknowledge and resolve alerts addressed to one's unit or vessels
    ALERT_COMMAND = "alert.command"  # typhoons and recall orders, restricted waters, alert policies
    MARITIME_READ = "maritime.read"  # the live sea map, target cards, tracks and ingest counters
    MARITIME_INGEST = "maritime.ingest"  # terminal gateways posting BeiDou and other position reports
    CASE_READ = "case.read"  # cases in scope, queues, timeline, inbox
    CASE_REPORT = "case.report"  # 上报 (and 自行处置 of minor matters)
    CASE_INTAKE = "case.intake"  # machine channels: 12345 orders, 110 transfers, sensors, internal alerts
    CASE_REGISTER = "case.register"  # 立案, 不予立案, 派遣, 改派, 并单
    CASE_HANDLE = "case.handle"  # 签收, 退回, 处置, 处理反馈 (for the responsible unit)
    CASE_CHECK = "case.check"  # 核查, 结案, 返工
    CASE_VISIT = "case.visit"  # 回访
    CASE_SUPERVISE = "case.supervise"  # 催办, 督办, 提级督办
    CASE_KPI = "case.kpi"  # KPI tables and their export
    CASE_CONFIG = "case.config"  # categories, the working calendar, Open311 clients


class DataScope(StrEnum):
    """Which records a role sees (RuoYi-style data_scope over the organisation tree)."""

    ALL = "all"  # 全部
    UNIT_AND_BELOW = "unit_and_below"  # 本单位及以下
    UNIT = "unit"  # 本单位
    SELF = "self"  # 仅本人
    CUSTOM = "custom"  # 自定义: chosen units, each with everything under it
    GRID = "grid"  # 本人网格: the grids whose service team the account belongs to


DATA_SCOPE_LABELS_ZH = {
    DataScope.ALL: "全部",
    DataScope.UNIT_AND_BELOW: "本单位及以下",
    DataScope.UNIT: "本单位",
    DataScope.SELF: "仅本人",
    DataScope.CUSTOM: "自定义",
    DataScope.GRID: "本人网格",
}


class AdminKind(StrEnum):
    """The three separated administrator duties (三权分立, GB/T 22239 岗位设置)."""

    SYSTEM = "system"  # 系统管理员
    SECURITY = "security"  # 安全管理员
    AUDIT = "audit"  # 审计管理员


@dataclass(frozen=True)
class RoleSpec:
    """A built-in role as shipped; the database row is kept in step by ``sync_builtin_roles``."""

    code: str
    name: str
    name_en: str
    data_scope: DataScope
    permissions: frozenset[Permission]
    admin_kind: AdminKind | None = None
    description: str = ""


P = Permission
BUILTIN_ROLES: tuple[RoleSpec, ...] = (
    RoleSpec(
        "sys_admin",
        "系统管理员",
        "System administrator",
        DataScope.ALL,
        frozenset(
            {
                P.ORG_READ,
                P.ORG_WRITE,
                P.USER_READ,
                P.USER_WRITE,
                P.ROLE_READ,
                P.STATS_READ,
                P.GRID_READ,
                P.GRID_WRITE,
                P.CASE_CONFIG,
            }
        ),
        AdminKind.SYSTEM,
        "Maintains organisation units and accounts; cannot grant roles or read the audit trail.",
    ),
    RoleSpec(
        "security_admin",
        "安全管理员",
        "Security administrator",
        DataScope.ALL,
        frozenset(
            {
                P.ORG_READ,
                P.USER_READ,
                P.USER_ROLES,
                P.USER_UNLOCK,
                P.USER_RESET_PASSWORD,
                P.ROLE_READ,
                P.ROLE_WRITE,
                P.TOKEN_MANAGE,
            }
        ),
        AdminKind.SECURITY,
        "Grants roles and data scopes, unlocks accounts, resets passwords, issues API tokens.",
    ),
    RoleSpec(
        "audit_admin",
        "审计管理员",
        "Audit administrator",
        DataScope.ALL,
        frozenset({P.AUDIT_READ}),
        AdminKind.AUDIT,
        "Reads and verifies the audit trail; changes nothing.",
    ),
    RoleSpec(
        "commander",
        "指挥中心值班长",
        "Command centre duty chief",
        DataScope.ALL,
        frozenset(
            {
                P.ORG_READ,
                P.USER_READ,
                P.STATS_READ,
                P.GRID_READ,
                P.PEOPLE_READ,
                P.PEOPLE_EXPORT,
                P.FLEET_READ,
                P.MARITIME_READ,
                P.FLEET_EXPORT,
                P.ALERT_READ,
                P.ALERT_HANDLE,
                P.ALERT_COMMAND,
                P.CASE_READ,
                P.CASE_REPORT,
                P.CASE_INTAKE,
                P.MARITIME_INGEST,
                P.CASE_REGISTER,
                P.CASE_CHECK,
                P.CASE_VISIT,
                P.CASE_SUPERVISE,
                P.CASE_KPI,
                P.CASE_CONFIG,
            }
        ),
        description="City command centre: sees the whole city.",
    ),
    RoleSpec(
        "township_leader",
        "乡镇（街道）干部",
        "Township cadre",
        DataScope.UNIT_AND_BELOW,
        frozenset(
            {
                P.ORG_READ,
                P.USER_READ,
                P.GRID_READ,
                P.TEAM_WRITE,
                P.PEOPLE_READ,
                P.PEOPLE_WRITE,
                P.PEOPLE_REVEAL,
                P.PEOPLE_EXPORT,
                P.PEOPLE_IMPORT,
                P.FLEET_READ,
                P.MARITIME_READ,
                P.FLEET_WRITE,
                P.FLEET_INSPECT,
                P.RATING_CONFIRM,
                P.FLEET_REPORT,
                P.FLEET_EXPORT,
                P.DUTY_WRITE,
                P.ALERT_READ,
                P.ALERT_HANDLE,
                P.CASE_READ,
                P.CASE_REPORT,
                P.CASE_REGISTER,
                P.CASE_HANDLE,
                P.CASE_CHECK,
                P.CASE_VISIT,
                P.CASE_SUPERVISE,
                P.CASE_KPI,
            }
        ),
        description="Sees the own township or street and everything under it.",
    ),
    RoleSpec(
        "fishery_officer",
        "海洋与渔业执法人员",
        "Fisheries officer",
        DataScope.ALL,
        frozenset(
            {
                P.ORG_READ,
                P.GRID_READ,
                P.FLEET_READ,
                P.MARITIME_READ,
                P.FLEET_WRITE,
                P.FLEET_INSPECT,
                P.RATING_CONFIRM,
                P.FLEET_REPORT,
                P.FLEET_EXPORT,
                P.DUTY_WRITE,
                P.ALERT_READ,
                P.ALERT_HANDLE,
                P.ALERT_COMMAND,
                P.CASE_READ,
                P.CASE_REPORT,
                P.CASE_HANDLE,
            }
        ),
        description="Ocean and Fisheries Bureau: vessel files, inspections and ratings across the city.",
    ),
    RoleSpec(
        "dept_officer",
        "部门工作人员",
        "Department officer",
        DataScope.UNIT,
        frozenset({P.ORG_READ, P.USER_READ, P.GRID_READ, P.CASE_READ, P.CASE_HANDLE, P.CASE_KPI}),
        description="Works the own department's records and the cases dispatched to it.",
    ),
    RoleSpec(
        "grid_worker",
        "网格员",
        "Grid worker",
        DataScope.GRID,
        frozenset({P.ORG_READ, P.GRID_READ, P.PEOPLE_READ, P.PEOPLE_WRITE, P.CASE_READ, P.CASE_REPORT, P.CASE_CHECK}),
        description="Works the grids whose service team the account belongs to.",
    ),
    RoleSpec(
        "volunteer",
        "平安志愿者",
        "Safety volunteer",
        DataScope.SELF,
        frozenset({P.CASE_READ, P.CASE_REPORT}),
        description="Sees only what the account itself created.",
    ),
)
BUILTIN_ROLE_CODES = frozenset(r.code for r in BUILTIN_ROLES)


def admin_kind_conflicts(kinds: Iterable[AdminKind | None]) -> list[AdminKind]:
    """Return the administrator kinds in ``kinds`` when more than one distinct kind is present.

    >>> admin_kind_conflicts([AdminKind.SYSTEM, None, AdminKind.AUDIT])
    [<AdminKind.AUDIT: 'audit'>, <AdminKind.SYSTEM: 'system'>]
    >>> admin_kind_conflicts([AdminKind.SYSTEM, None])
    []
    """
    distinct = sorted({k for k in kinds if k is not None})
    return distinct if len(distinct) > 1 else []
