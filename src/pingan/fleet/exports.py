"""Excel lists of the fleet: vessels and expired or expiring certificates.

Like the people register's export (:mod:`pingan.people.excel`): personal data masked, ID numbers, phones and
MMSIs stored as text cells, text that a spreadsheet would run as a formula neutralised, at most
:data:`MAX_EXPORT_ROWS` rows, and one audit row with the count.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from pingan.audit import service as audit
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.errors import ValidationFailed
from pingan.fleet import certificates, service
from pingan.fleet.models import CertificateKind, CrewRole, HullMaterial, OperationType, Party, PartyKind, Vessel
from pingan.fleet.schemas import (
    CERTIFICATE_KIND_LABELS_ZH,
    CREW_ROLE_LABELS_ZH,
    HULL_MATERIAL_LABELS_ZH,
    OPERATION_TYPE_LABELS_ZH,
    certificate_status,
)
from pingan.kit.crypto import FieldCipher
from pingan.kit.masking import mask_id_number, mask_mobile, mask_name
from pingan.people.excel import XLSX_MEDIA_TYPE, write_sheet

__all__ = ["XLSX_MEDIA_TYPE", "export_expiring", "export_vessels"]

MAX_EXPORT_ROWS = 50_000
VESSEL_HEADERS = (
    "船名号",
    "船名",
    "船籍港",
    "所属单位",
    "作业类型",
    "船体材质",
    "船长(米)",
    "总吨",
    "主机功率(千瓦)",
    "建造年份",
    "MMSI",
    "编组",
    "所有人",
    "所有人证件号",
    "所有人电话",
    "经营人",
    "状态",
)
EXPIRING_HEADERS = ("船名号", "船名", "所属单位", "类别", "证书", "证书编号", "持证人", "到期日期", "剩余天数", "状态")
_STATUS_ZH = {"valid": "有效", "expiring": "即将到期", "expired": "已过期"}

Row = Sequence[str | int | float | None]


def _party_cells(party: Party | None, cipher: FieldCipher) -> tuple[str | None, str | None, str | None]:
    if party is None:
        return None, None, None
    if party.kind == PartyKind.COMPANY:
        phone = mask_mobile(cipher.decrypt(party.phone_enc)) if party.phone_enc else None
        return party.name, party.credit_code, phone
    return (
        mask_name(party.name),
        mask_id_number(cipher.decrypt(party.id_enc)) if party.id_enc else None,
        mask_mobile(cipher.decrypt(party.phone_enc)) if party.phone_enc else None,
    )


def _vessel_rows(
    session: Session, cipher: FieldCipher, stmt: Select[tuple[Vessel]], chunk: int = 1000
) -> Iterator[Row]:
    last = ""
    while True:
        batch = list(
            session.scalars(
                stmt.where(Vessel.registration_no > last)
                .options(selectinload(Vessel.owner), selectinload(Vessel.operator))
                .order_by(Vessel.registration_no)
                .limit(chunk)
            )
        )
        if not batch:
            return
        ids = [v.id for v in batch]
        mmsis = service.live_mmsis(session, ids)
        groups = service.current_groups(session, ids)
        for v in batch:
            owner, owner_id, owner_phone = _party_cells(v.owner, cipher)
            operator = _party_cells(v.operator, cipher)[0]
            yield (
                v.registration_no,
                v.name,
                v.port_of_registry,
                v.home_unit.name,
                OPERATION_TYPE_LABELS_ZH.get(OperationType(v.operation_type), v.operation_type),
                HULL_MATERIAL_LABELS_ZH.get(HullMaterial(v.hull_material), v.hull_material),
                v.length_m,
                v.gross_tonnage,
                v.engine_power_kw,
                v.build_year,
                mmsis.get(v.id),
                groups[v.id][0].code if v.id in groups else None,
                owner,
                owner_id,
                owner_phone,
                operator,
                "在册" if v.is_active else "注销",
            )
        last = batch[-1].registration_no


def export_vessels(
    session: Session,
    cipher: FieldCipher,
    *,
    actor: Principal,
    now: datetime,
    q: str | None = None,
    home_unit_code: str | None = None,
    operation_type: str | None = None,
    group_code: str | None = None,
) -> tuple[bytes, int]:
    """An .xlsx of the vessels in the caller's scope (with the list's filters), owners masked; audited."""
    actor.require(Permission.FLEET_READ)
    actor.require(Permission.FLEET_EXPORT)
    stmt = service.filtered_vessels(
        session, actor=actor, q=q, home_unit_code=home_unit_code, operation_type=operation_type, group_code=group_code
    )
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    if total > MAX_EXPORT_ROWS:
        raise ValidationFailed(
            f"{total} vessels match; exports stop at {MAX_EXPORT_ROWS}: narrow the list", code="export_too_large"
        )
    text_columns = [VESSEL_HEADERS.index(h) for h in ("船名号", "MMSI", "所有人证件号", "所有人电话", "编组")]
    data, count = write_sheet(
        VESSEL_HEADERS, _vessel_rows(session, cipher, stmt), text_columns=text_columns, title="vessels"
    )
    filters = {"q": q, "home_unit": home_unit_code, "operation_type": operation_type, "group": group_code}
    audit.record(
        session,
        actor=actor,
        action="fleet.export",
        now=now,
        details={"list": "vessels", "rows": count, "masked": True, **{k: v for k, v in filters.items() if v}},
    )
    return data, count


def export_expiring(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    within_days: int = certificates.EXPIRING_WITHIN_DAYS,
    home_unit_code: str | None = None,
) -> tuple[bytes, int]:
    """An .xlsx of the expired and soon expiring certificates in the caller's scope, holders masked; audited."""
    actor.require(Permission.FLEET_EXPORT)
    items = certificates.expiring_certificates(
        session,
        actor=actor,
        now=now,
        within_days=within_days,
        home_unit_code=home_unit_code,
        limit=MAX_EXPORT_ROWS + 1,
    )
    if len(items) > MAX_EXPORT_ROWS:
        raise ValidationFailed(
            f"more than {MAX_EXPORT_ROWS} certificates match: choose a unit", code="export_too_large"
        )
    today = service.local_today(now)

    def rows() -> Iterator[Row]:
        for item in items:
            status, days = certificate_status(item.expires_on, today, within_days)
            if item.source == "vessel":
                kind = CERTIFICATE_KIND_LABELS_ZH.get(CertificateKind(item.kind), item.kind)
            else:
                kind = f"职务船员证书（{CREW_ROLE_LABELS_ZH.get(CrewRole(item.kind), item.kind)}）"
            yield (
                item.registration_no,
                item.vessel_name,
                item.home_unit_name,
                "船舶" if item.source == "vessel" else "船员",
                kind,
                item.number,
                mask_name(item.holder_name) if item.holder_name else None,
                item.expires_on.isoformat(),
                days,
                _STATUS_ZH[status],
            )

    text_columns = [EXPIRING_HEADERS.index(h) for h in ("船名号", "证书编号", "到期日期")]
    data, count = write_sheet(EXPIRING_HEADERS, rows(), text_columns=text_columns, title="certificates")
    audit.record(
        session,
        actor=actor,
        action="fleet.export",
        now=now,
        details={
            "list": "expiring_certificates",
            "rows": count,
            "masked": True,
            "within_days": within_days,
            **({"home_unit": home_unit_code} if home_unit_code else {}),
        },
    )
    return data, count
