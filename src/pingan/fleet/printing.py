"""The printable vessel file (一船一档) as PDF: HTML rendered by WeasyPrint with a CJK font, masked by default."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.auth.repository import scope_filter
from pingan.config import Settings
from pingan.errors import NotFound
from pingan.fleet.models import (
    Cadre,
    CadreLink,
    Certificate,
    CrewMember,
    GroupMembership,
    Inspection,
    Rating,
    RatingStatus,
    RectificationTask,
    TaskStatus,
    Terminal,
    Vessel,
    VesselGroup,
)
from pingan.kit.clock import to_local
from pingan.kit.masking import mask_mobile, mask_name

LABELS = {
    "trawl": "拖网", "gillnet": "刺网", "purse_seine": "围网", "stow_net": "张网", "drift_net": "流网",
    "squid_jigging": "鱿钓", "light_purse_seine": "灯光围网", "longline": "延绳钓", "cage": "笼壶",
    "auxiliary": "辅助船",
    "steel": "钢质", "wood": "木质", "frp": "玻璃钢", "aluminium": "铝合金",
    "captain": "船长", "first_mate": "大副", "chief_engineer": "轮机长", "engineer": "轮机员",
    "radio_operator": "报务员", "deckhand": "普通船员",
    "ais_a": "AIS A类", "ais_b": "AIS B类", "beidou": "北斗终端", "locator": "示位仪",
    "nationality": "渔业船舶国籍证书", "fishing_licence": "捕捞许可证", "inspection": "渔业船舶检验证书",
    "insurance": "保险单", "passed": "合格", "findings": "存在隐患", "failed": "不合格",
}  # fmt: skip


def vessel_file_context(
    session: Session, settings: Settings, vessel_id: int, *, actor: Principal, now: datetime
) -> dict[str, Any]:
    """Everything the printed file shows, masked; NotFound outside the caller's scope."""
    actor.require(Permission.FLEET_READ)
    vessel = session.scalars(
        select(Vessel).where(Vessel.id == vessel_id, scope_filter(actor.visibility, unit_id_col=Vessel.home_unit_id))
    ).first()
    if vessel is None:
        raise NotFound(f"vessel {vessel_id} not found")
    cipher = settings.field_cipher()

    def phone(blob: bytes | None) -> str:
        return mask_mobile(cipher.decrypt(blob)) if blob else ""

    today = to_local(now, settings.display_timezone).date()
    group = session.execute(
        select(VesselGroup)
        .join(GroupMembership, GroupMembership.group_id == VesselGroup.id)
        .where(GroupMembership.vessel_id == vessel.id, GroupMembership.left_at.is_(None))
    ).scalar_one_or_none()
    rating = session.scalars(
        select(Rating)
        .where(Rating.vessel_id == vessel.id, Rating.status == RatingStatus.PUBLISHED)
        .order_by(Rating.computed_at.desc())
    ).first()
    cadres = (
        session.execute(
            select(Cadre)
            .join(CadreLink, CadreLink.cadre_id == Cadre.id)
            .where(CadreLink.vessel_id == vessel.id, CadreLink.until.is_(None))
        )
        .scalars()
        .all()
    )
    owner = vessel.owner
    return {
        "vessel": vessel,
        "labels": LABELS,
        "owner": None
        if owner is None
        else {
            "name": owner.name if owner.kind == "company" else mask_name(owner.name),
            "kind": "企业" if owner.kind == "company" else "个人",
            "phone": phone(owner.phone_enc),
        },
        "crew": [
            {
                "role": LABELS[c.role],
                "name": mask_name(c.name),
                "phone": phone(c.phone_enc),
                "certificate": c.certificate_no or "",
                "expires": c.certificate_expires_on,
            }
            for c in session.scalars(
                select(CrewMember).where(CrewMember.vessel_id == vessel.id).order_by(CrewMember.id)
            )
        ],
        "terminals": session.scalars(
            select(Terminal).where(Terminal.vessel_id == vessel.id).order_by(Terminal.installed_at)
        ).all(),
        "certificates": [
            (c, "已过期" if c.expires_on < today else "30天内到期" if (c.expires_on - today).days <= 30 else "有效")
            for c in session.scalars(
                select(Certificate).where(Certificate.vessel_id == vessel.id).order_by(Certificate.kind)
            )
        ],
        "group": group,
        "cadres": [
            {"name": c.name, "unit": c.unit.name, "title": c.title, "phone": phone(c.phone_enc)} for c in cadres
        ],
        "rating": rating,
        "inspections": session.scalars(
            select(Inspection)
            .where(Inspection.vessel_id == vessel.id)
            .order_by(Inspection.inspected_at.desc())
            .limit(5)
        ).all(),
        "tasks": session.scalars(
            select(RectificationTask).where(
                RectificationTask.vessel_id == vessel.id, RectificationTask.status == TaskStatus.OPEN
            )
        ).all(),
        "printed_at": to_local(now, settings.display_timezone).strftime("%Y-%m-%d %H:%M"),
        "printed_by": actor.label,
        "localtime": lambda v: "" if v is None else to_local(v, settings.display_timezone).strftime("%Y-%m-%d"),
    }


def vessel_file_pdf(session: Session, settings: Settings, vessel_id: int, *, actor: Principal, now: datetime) -> bytes:
    """The vessel file as a PDF (audited as an export)."""
    from weasyprint import HTML

    from pingan.web.pages import templates

    context = vessel_file_context(session, settings, vessel_id, actor=actor, now=now)
    html = templates.env.get_template("fleet/vessel_print.html").render(**context)
    audit.record(
        session,
        actor=actor,
        action="fleet.vessel.print",
        now=now,
        object_type="vessel",
        object_id=vessel_id,
        details={"registration_no": context["vessel"].registration_no},
    )
    return bytes(HTML(string=html).write_pdf())
