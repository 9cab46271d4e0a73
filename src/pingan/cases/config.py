"""Configuration of the hub kept in the database: the category tree and the working calendar."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.cases import catalog, clocks, sla
from pingan.cases.models import CalendarDay, CaseCategory
from pingan.errors import NotFound, ValidationFailed
from pingan.org.models import OrgUnit


def _spec_values(session: Session, spec: catalog.CategorySpec) -> dict[str, Any]:
    dept_id = None
    if spec.department:
        dept_id = session.scalars(select(OrgUnit.id).where(OrgUnit.code == spec.department)).first()
    return {
        "name": spec.name,
        "name_en": spec.name_en,
        "kind": spec.kind.value,
        "level": 1 if spec.parent is None else 2,
        "register_conditions": spec.register_conditions,
        "close_conditions": spec.close_conditions,
        "limits": dict(spec.limits),
        "severity_limits": dict(spec.severity_limits),
        "routing_rule": spec.routing_rule.value,
        "department_id": dept_id,
        "duplicate_radius_m": spec.duplicate_radius_m,
        "duplicate_window_h": spec.duplicate_window_h,
        "reply_templates": dict(spec.reply_templates),
        "questions": [question_to_dict(q) for q in spec.questions],
        "self_handle": spec.self_handle,
        "default_priority": spec.default_priority,
        "public": spec.public,
        "weight": spec.weight,
        "keywords": ",".join(spec.keywords)[:200],
    }


def load_categories(
    session: Session, specs: list[catalog.CategorySpec], *, now: datetime, overwrite: bool = False
) -> tuple[int, int]:
    """Insert the categories that are missing (and update existing ones when ``overwrite``); (created, updated)."""
    problems = catalog.validate(specs)
    if problems:
        raise ValidationFailed("; ".join(problems[:10]), code="bad_catalog")
    existing = {c.code: c for c in session.scalars(select(CaseCategory))}
    created = updated = 0
    for spec in specs:  # parents come first
        values = _spec_values(session, spec)
        parent_id = existing[spec.parent].id if spec.parent else None
        row = existing.get(spec.code)
        if row is None:
            row = CaseCategory(code=spec.code, parent_id=parent_id, updated_at=now, **values)
            session.add(row)
            session.flush()
            existing[spec.code] = row
            created += 1
        elif overwrite:
            for k, v in values.items():
                setattr(row, k, v)
            row.parent_id = parent_id
            row.updated_at = now
            updated += 1
    session.flush()
    return created, updated


def ensure_defaults(session: Session, *, now: datetime) -> dict[str, int]:
    """Load the bundled categories and holiday calendars into an empty hub (idempotent)."""
    out = {"categories": 0, "calendar_days": 0}
    if not session.scalar(select(func.count(CaseCategory.id))):
        out["categories"] = load_categories(session, catalog.load_catalog(), now=now)[0]
    if not session.scalar(select(func.count(CalendarDay.day))):
        days = [d for year in sla.BUNDLED_YEARS for d in sla.bundled_calendar(year)]
        out["calendar_days"] = clocks.import_calendar(session, days)
    return out


EDITABLE = {
    "name",
    "name_en",
    "register_conditions",
    "close_conditions",
    "limits",
    "severity_limits",
    "routing_rule",
    "department",
    "duplicate_radius_m",
    "duplicate_window_h",
    "reply_templates",
    "questions",
    "self_handle",
    "default_priority",
    "public",
    "is_active",
    "keywords",
}


def update_category(
    session: Session, code: str, changes: dict[str, Any], *, actor: Principal, now: datetime
) -> CaseCategory:
    """Edit one category; the result is re-validated with the catalogue's rules before anything is stored."""
    actor.require(Permission.CASE_CONFIG)
    row = session.scalars(select(CaseCategory).where(CaseCategory.code == code)).first()
    if row is None:
        raise NotFound(f"no category {code}")
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationFailed(f"not editable: {sorted(unknown)}", code="not_editable")
    dept_code = changes.get("department", row.department.code if row.department else None)
    current = category_dict(row)
    current.update({k: v for k, v in changes.items() if k not in ("is_active",)})
    current["department"] = dept_code
    try:
        spec = spec_from_dict(current, parent=_parent_code(session, row))
    except (ValueError, TypeError, KeyError) as exc:
        raise ValidationFailed(f"{code}: {exc}", code="bad_category") from None
    # Check the edited category inside the whole stored tree, and report only its own problems.
    others = [
        spec_from_dict(category_dict(c), parent=_parent_code(session, c))
        for c in session.scalars(
            select(CaseCategory).where(CaseCategory.id != row.id).order_by(CaseCategory.level, CaseCategory.code)
        )
    ]
    specs = [s for s in others if s.parent is None] + [spec] * (spec.parent is None)
    specs += [s for s in others if s.parent is not None] + [spec] * (spec.parent is not None)
    problems = [p for p in catalog.validate(specs) if p.startswith(f"{code}:")]
    if problems:
        raise ValidationFailed("; ".join(problems), code="bad_category")
    if dept_code and session.scalars(select(OrgUnit.id).where(OrgUnit.code == dept_code)).first() is None:
        raise ValidationFailed(f"no unit {dept_code!r}", code="unknown_unit")
    for k, v in _spec_values(session, spec).items():
        if k not in ("weight", "level", "kind"):
            setattr(row, k, v)
    if "is_active" in changes:
        row.is_active = bool(changes["is_active"])
    row.updated_at = now
    record(
        session,
        actor=actor,
        action="case.category.update",
        now=now,
        object_type="case_category",
        object_id=code,
        details={"fields": sorted(changes)},
    )
    session.flush()
    return row


def category_dict(row: CaseCategory) -> dict[str, Any]:
    """A stored category in the catalogue's JSON shape."""
    return {
        "code": row.code,
        "name": row.name,
        "name_en": row.name_en,
        "kind": row.kind,
        "register_conditions": row.register_conditions,
        "close_conditions": row.close_conditions,
        "limits": row.limits or {},
        "severity_limits": row.severity_limits or {},
        "routing_rule": row.routing_rule,
        "department": row.department.code if row.department else None,
        "duplicate_radius_m": row.duplicate_radius_m,
        "duplicate_window_h": row.duplicate_window_h,
        "reply_templates": row.reply_templates or {},
        "questions": row.questions or [],
        "self_handle": row.self_handle,
        "default_priority": row.default_priority,
        "public": row.public,
        "weight": row.weight,
        "keywords": [k for k in (row.keywords or "").split(",") if k],
        "is_active": row.is_active,
        "level": row.level,
    }


def _parent_code(session: Session, row: CaseCategory) -> str | None:
    parent = session.get(CaseCategory, row.parent_id) if row.parent_id else None
    return parent.code if parent is not None else None


def question_to_dict(q: catalog.Question) -> dict[str, Any]:
    """A question as stored (JSON)."""
    return {
        "code": q.code,
        "label": q.label,
        "datatype": q.datatype,
        "required": q.required,
        "values": [{"key": k, "name": n} for k, n in q.values],
        "description": q.description,
    }


def question_from_dict(d: dict[str, Any]) -> catalog.Question:
    """A stored question as a catalogue value."""
    values = tuple((str(v["key"]), str(v["name"])) for v in d.get("values") or [])
    return catalog.Question(
        code=str(d["code"]),
        label=str(d["label"]),
        datatype=str(d["datatype"]),
        required=bool(d.get("required", False)),
        values=values,
        description=str(d.get("description", "")),
    )


def spec_from_dict(d: dict[str, Any], *, parent: str | None) -> catalog.CategorySpec:
    """A category in its stored JSON shape as a catalogue spec (for validation)."""
    return catalog.CategorySpec(
        code=str(d["code"]),
        name=str(d["name"]),
        name_en=str(d.get("name_en", "")),
        kind=catalog.CategoryKind(d["kind"]),
        parent=parent,
        register_conditions=str(d.get("register_conditions", "")),
        close_conditions=str(d.get("close_conditions", "")),
        limits=dict(d.get("limits") or {}),
        severity_limits=dict(d.get("severity_limits") or {}),
        routing_rule=catalog.RoutingRule(d["routing_rule"]),
        department=d.get("department"),
        duplicate_radius_m=float(d["duplicate_radius_m"]),
        duplicate_window_h=float(d["duplicate_window_h"]),
        reply_templates=dict(d.get("reply_templates") or {}),
        questions=tuple(question_from_dict(q) for q in d.get("questions") or []),
        self_handle=bool(d.get("self_handle", False)),
        default_priority=str(d.get("default_priority", "normal")),
        public=bool(d.get("public", True)),
        weight=float(d.get("weight", 0.0)),
        keywords=tuple(d.get("keywords") or ()),
    )
