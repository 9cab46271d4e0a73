"""HTTP API of the case KPIs under ``/api/cases/kpis``: the table as JSON and as an Excel workbook.

The app must include this router before the cases router: ``/api/cases/{number}`` would otherwise take
``/api/cases/kpis`` for a case number.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Response
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.cases.kpi import INDICATORS, Counts, Kind, indicators, total
from pingan.cases.kpis import GROUP_LABELS_ZH, GroupBy, KpiRow, area_unit, kpi_table, scope_label
from pingan.config import Settings
from pingan.deps import AppSettings, DbSession, require
from pingan.errors import ValidationFailed
from pingan.kit.clock import utcnow

router = APIRouter(prefix="/api/cases/kpis", tags=["cases"])
KpiReader = Annotated[Principal, Depends(require(Permission.CASE_KPI))]

MAX_SPAN_YEARS = 3
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS = {Kind.COUNT: "0", Kind.RATE: "0.0%", Kind.HOURS: "0.0"}

By = Annotated[GroupBy, Query(description="area | grid | unit | person | category | channel")]
Start = Annotated[str, Query(description="First day of the period, YYYY-MM-DD (local time)")]
End = Annotated[str, Query(description="Day after the last day of the period, YYYY-MM-DD (exclusive)")]
AreaCode = Annotated[str | None, Query(max_length=32, description="Keep only cases placed under this unit code")]


@dataclass(frozen=True)
class Period:
    """A period of whole local days, ``[start, end)``, and the UTC instants that bound it."""

    start: date
    end: date  # exclusive
    start_at: datetime
    end_at: datetime

    @property
    def title(self) -> str:
        """The period as people write it, last day included: ``2026-01-01 至 2026-01-31``."""
        return f"{self.start.isoformat()} 至 {(self.end - timedelta(days=1)).isoformat()}"


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(f"{name} must be a date like 2026-01-31, not {text!r}", code="bad_period") from None


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def parse_period(start: str, end: str, zone: str) -> Period:
    """Check a requested period (422 with the reason) and bound it by local midnights in ``zone``."""
    first, after = _day(start, "start"), _day(end, "end")
    if after <= first:
        raise ValidationFailed(
            f"end ({after}) must be after start ({first}); end is exclusive: the day after the last day",
            code="bad_period",
        )
    if after > _years_later(first, MAX_SPAN_YEARS):
        raise ValidationFailed(f"a KPI period may span at most {MAX_SPAN_YEARS} years", code="period_too_long")
    tz = ZoneInfo(zone)
    return Period(
        first,
        after,
        datetime.combine(first, time(), tzinfo=tz).astimezone(ZoneInfo("UTC")),
        datetime.combine(after, time(), tzinfo=tz).astimezone(ZoneInfo("UTC")),
    )


@dataclass(frozen=True)
class KpiReport:
    """A computed table with what its title needs."""

    by: GroupBy
    period: Period
    scope: str
    area: str | None  # the area's name when the table is limited to one
    rows: list[KpiRow]
    total: Counts


def build_report(
    session: Session, *, actor: Principal, by: GroupBy, period: Period, area_code: str | None, now: datetime
) -> KpiReport:
    """Run the KPI queries for one request."""
    area = area_unit(session, area_code).name if area_code else None
    rows = kpi_table(
        session, actor=actor, by=by, start=period.start_at, end=period.end_at, area_code=area_code, now=now
    )
    return KpiReport(by, period, scope_label(session, actor), area, rows, total(r.counts for r in rows))


def _report(
    session: Session, settings: Settings, actor: Principal, by: GroupBy, start: str, end: str, area_code: str | None
) -> KpiReport:
    period = parse_period(start, end, settings.display_timezone)
    return build_report(session, actor=actor, by=by, period=period, area_code=area_code, now=utcnow())


def report_json(report: KpiReport, zone: str) -> dict[str, Any]:
    """The JSON shape of a report: rates are fractions (0.95 = 95 %), None where the denominator is zero."""
    return {
        "by": report.by.value,
        "group_label": GROUP_LABELS_ZH[report.by],
        "start": report.period.start.isoformat(),
        "end": report.period.end.isoformat(),
        "timezone": zone,
        "scope": report.scope,
        "area": report.area,
        "indicators": [
            {"key": i.key, "label": i.label, "kind": i.kind.value, "formula": i.formula} for i in INDICATORS
        ],
        "rows": [{"code": r.code, "label": r.label, "values": r.values} for r in report.rows],
        "total": {"code": None, "label": "合计", "values": indicators(report.total)},
    }


@router.get("", summary="Case KPIs per area, grid, unit, person, category or channel")
def kpis(
    session: DbSession,
    settings: AppSettings,
    actor: KpiReader,
    start: Start,
    end: End,
    by: By = GroupBy.AREA,
    area_code: AreaCode = None,
) -> dict[str, Any]:
    """One row per group of the cases reported in ``[start, end)`` in the caller's scope, and their total."""
    report = _report(session, settings, actor, by, start, end, area_code)
    return report_json(report, settings.display_timezone)


@router.get(
    ".xlsx",
    summary="Case KPIs as an Excel workbook",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}},
)
def kpis_xlsx(
    session: DbSession,
    settings: AppSettings,
    actor: KpiReader,
    start: Start,
    end: End,
    by: By = GroupBy.AREA,
    area_code: AreaCode = None,
) -> Response:
    """The same table as ``GET /api/cases/kpis``, with a title row, Chinese headers and percentage formats."""
    report = _report(session, settings, actor, by, start, end, area_code)
    name = f"case-kpis-{report.by.value}-{report.period.start}-{report.period.end}.xlsx"
    return Response(
        workbook_bytes(report, settings.display_timezone),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# ---------------------------------------------------------------- Excel


def workbook_bytes(report: KpiReport, zone: str) -> bytes:
    """The report as .xlsx: a title row, a period/scope row, headers, one row per group, a total row, and a
    second sheet with every indicator's formula."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "考核指标"
    headers = ["编码", GROUP_LABELS_ZH[report.by], *(i.label for i in INDICATORS)]
    width = len(headers)
    ws.append([f"事件考核指标（按{GROUP_LABELS_ZH[report.by]}）"])
    where = f"　区域：{report.area}" if report.area else ""
    ws.append([f"统计期：{report.period.title}（按上报时间，{zone}）　数据范围：{report.scope}{where}"])
    for row_number in (1, 2):
        ws.merge_cells(start_row=row_number, start_column=1, end_row=row_number, end_column=width)
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(headers)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    lines = [(r.code, r.label, r.values) for r in report.rows]
    lines.append((None, "合计", indicators(report.total)))
    for code, label, values in lines:
        ws.append([_safe(code or ""), _safe(label), *(_cell(values[i.key]) for i in INDICATORS)])
        row = ws.max_row
        for column, indicator in enumerate(INDICATORS, start=3):
            cell = ws.cell(row=row, column=column)
            if values[indicator.key] is None:
                cell.alignment = Alignment(horizontal="right")
            else:
                cell.number_format = NUMBER_FORMATS[indicator.kind]
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 24
    for column in range(3, width + 1):
        ws.column_dimensions[get_column_letter(column)].width = 11
    ws.row_dimensions[3].height = 32
    ws.freeze_panes = "C4"

    notes = wb.create_sheet("指标说明")
    notes.append(["指标", "计算方法"])
    for indicator in INDICATORS:
        notes.append([indicator.label, indicator.formula])
    notes.append(["说明", "比率分母为 0 时显示“—”，不计为 0。"])
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _cell(value: float | int | None) -> float | int | str:
    return "—" if value is None else value


def _safe(text: str) -> str:
    """Neutralise text a spreadsheet would run as a formula (CWE-1236): unit and person names are user input."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
