"""Excel (xlsx) import and export of residents.

An import is all or nothing: every row is checked before anything is stored, and the answer names each bad cell
by row and column. An export is masked, keeps ID numbers as text, and neutralises cells a spreadsheet would run
as formulas (CWE-1236). Both write one audit row with counts only.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import Row, insert
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.audit.models import Outcome
from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.errors import ValidationFailed
from pingan.grids.models import LandGrid
from pingan.kit.crypto import FieldCipher
from pingan.kit.masking import mask_id_number, mask_mobile, mask_name
from pingan.people import repository, service
from pingan.people.models import Gender, Household, Relation, Resident
from pingan.people.schemas import (
    FORMULA_PREFIXES,
    GENDER_LABELS_ZH,
    RELATION_LABELS_ZH,
    TAG_CODES,
    TAG_LABELS_ZH,
    Person,
    ResidentTag,
    check_person,
)

GRID = "网格编码"
HOUSEHOLD = "户号"
ADDRESS = "地址"
NAME = "姓名"
GENDER = "性别"
ETHNICITY = "民族"
BIRTH_DATE = "出生日期"
BIRTH_YEAR = "出生年份"
ID_NUMBER = "身份证号"
PHONE = "手机号"
RELATION = "与户主关系"
TAGS = "标签"

IMPORT_HEADERS = (GRID, HOUSEHOLD, ADDRESS, NAME, GENDER, ETHNICITY, BIRTH_DATE, ID_NUMBER, PHONE, RELATION, TAGS)
REQUIRED_HEADERS = (GRID, HOUSEHOLD, NAME, ID_NUMBER, RELATION)
# The export shows the birth year only: the masked ID number hides the birth date on purpose.
EXPORT_HEADERS = (GRID, HOUSEHOLD, ADDRESS, NAME, GENDER, ETHNICITY, BIRTH_YEAR, ID_NUMBER, PHONE, RELATION, TAGS)
MAX_IMPORT_ROWS = 20_000
MAX_IMPORT_BYTES = 20 * 1024 * 1024
# Bulk copies of personal data are the exception (S19): one export holds at most this many residents.
MAX_EXPORT_ROWS = 50_000
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | date | None


@dataclass(frozen=True)
class SheetRow:
    """One data row of an import sheet: its spreadsheet row number and the cells under known headers."""

    number: int
    cells: dict[str, Cell]


@dataclass
class Sheet:
    """The rows of an import sheet, or the problems that stop it being read at all (row 0: the file)."""

    rows: list[SheetRow] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)


def _cell(value: object) -> Cell:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        # A number typed into a general-format cell; 18-digit ID numbers lose digits this way and then
        # fail their check character, which the report says.
        return str(int(value))
    text = str(value).strip()
    return text or None


def read_sheet(data: bytes, *, max_rows: int = MAX_IMPORT_ROWS) -> Sheet:
    """Read the first worksheet: row 1 holds the Chinese headers, every later non-empty row is a resident."""
    sheet = Sheet()
    if len(data) > MAX_IMPORT_BYTES:
        sheet.problems.append((0, "", f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB"))
        return sheet
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        sheet.problems.append((0, "", "not an Excel .xlsx file"))
        return sheet
    try:
        worksheet = workbook.worksheets[0]
        rows = worksheet.iter_rows(values_only=True)
        header_row = next(rows, None)
        headers = [str(h).strip() if h is not None else "" for h in (header_row or ())]
        missing = [h for h in REQUIRED_HEADERS if h not in headers]
        if missing:
            sheet.problems.extend((1, h, "required column is missing") for h in missing)
            return sheet
        positions = {h: headers.index(h) for h in IMPORT_HEADERS if h in headers}
        for number, values in enumerate(rows, start=2):
            cells = {h: _cell(values[i]) if i < len(values) else None for h, i in positions.items()}
            if all(v is None for v in cells.values()):
                continue
            if len(sheet.rows) >= max_rows:
                sheet.problems.append((number, "", f"more than {max_rows} rows; split the file"))
                return sheet
            sheet.rows.append(SheetRow(number, cells))
    finally:
        workbook.close()
    if not sheet.rows:
        sheet.problems.append((2, "", "the sheet has no data rows"))
    return sheet


def neutralise(value: str) -> str:
    """Prefix a single quote to text a spreadsheet would run as a formula (CWE-1236).

    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("王**")
    ('\\'=HYPERLINK("http://x")', '王**')
    """
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def write_sheet(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    text_columns: Iterable[int] = (),
    title: str = "residents",
) -> tuple[bytes, int]:
    """A one-sheet workbook (streamed, write-only) of ``rows`` under ``headers``; returns (xlsx bytes, row count).

    Text is neutralised against formula injection; the columns in ``text_columns`` are stored as text cells
    with the text number format ``@`` so a spreadsheet never turns an ID number into a rounded number.
    """
    text_at = set(text_columns)
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title)
    worksheet.append(list(headers))
    count = 0
    for row in rows:
        cells: list[WriteOnlyCell] = []
        for index, value in enumerate(row):
            shown = neutralise(value) if isinstance(value, str) else value
            cell = WriteOnlyCell(worksheet, value=shown)
            if index in text_at:
                cell.number_format = "@"
                if shown is not None:
                    cell.data_type = "s"
            cells.append(cell)
        worksheet.append(cells)
        count += 1
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), count


# ---------------------------------------------------------------- Excel import


@dataclass(frozen=True)
class ImportProblem:
    """What is wrong with one cell of an import (row 0: the file itself)."""

    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    """The outcome of an import: counts, or the problems that stopped it (then nothing was stored)."""

    rows: int = 0
    households_created: int = 0
    residents_created: int = 0
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file was imported."""
        return not self.problems


_COLUMN_OF_FIELD = {
    "name": NAME,
    "id_number": ID_NUMBER,
    "gender": GENDER,
    "birth_date": BIRTH_DATE,
    "phone": PHONE,
    "relation": RELATION,
    "ethnicity": ETHNICITY,
    "tags": TAGS,
}


@dataclass
class _PlannedHousehold:
    code: str
    grid: LandGrid
    address: str | None
    existing: Household | None
    first_row: int
    heads: list[int] = field(default_factory=list)


def import_residents(
    session: Session, cipher: FieldCipher, data: bytes, *, actor: Principal, now: datetime
) -> ImportReport:
    """Import an .xlsx of residents all or nothing: every row is checked first; one problem stores nothing.

    Checks: the ID check character and its agreement with birth date and gender, phone format, tags, that the
    grid exists inside the caller's scope, one household per grid, one head per household, and duplicate ID
    numbers within the file and against the register. One audit row records the counts either way.
    """
    actor.require(Permission.PEOPLE_IMPORT)
    actor.require(Permission.PEOPLE_WRITE)
    sheet = read_sheet(data)
    report = ImportReport(rows=len(sheet.rows))
    problems = [ImportProblem(row, column, message) for row, column, message in sheet.problems]
    if problems:
        return _finish_failed_import(session, report, problems, actor=actor, now=now)

    grids = repository.grids_by_code(
        session, actor.visibility, {str(r.cells[GRID]) for r in sheet.rows if r.cells[GRID]}
    )
    known = repository.households_by_code(session, {str(r.cells[HOUSEHOLD]) for r in sheet.rows if r.cells[HOUSEHOLD]})
    planned: dict[str, _PlannedHousehold] = {}
    people: list[tuple[int, Person, _PlannedHousehold, str | None]] = []
    seen_ids: dict[str, int] = {}
    for row in sheet.rows:
        cells = row.cells
        bad = len(problems)
        person, person_problems = check_person(
            name=cells.get(NAME),
            id_number=cells.get(ID_NUMBER),
            relation=cells.get(RELATION),
            gender=cells.get(GENDER),
            birth_date=cells.get(BIRTH_DATE),
            ethnicity=cells.get(ETHNICITY),
            phone=cells.get(PHONE),
            tags=cells.get(TAGS),
            today=now.date(),
        )
        problems.extend(ImportProblem(row.number, _COLUMN_OF_FIELD[f], m) for f, m in person_problems)
        address = str(cells[ADDRESS]) if cells.get(ADDRESS) else None
        if address and len(address) > 200:
            problems.append(ImportProblem(row.number, ADDRESS, "address must be at most 200 characters"))
        grid_code = str(cells.get(GRID) or "")
        grid = grids.get(grid_code)
        if grid is None:
            problems.append(ImportProblem(row.number, GRID, f"grid {grid_code!r} not found in your scope"))
        code = str(cells.get(HOUSEHOLD) or "")
        if not 1 <= len(code) <= 24:
            problems.append(ImportProblem(row.number, HOUSEHOLD, "household number must be 1–24 characters"))
        plan = planned.get(code)
        if grid is not None and code and plan is None and len(code) <= 24:
            existing = known.get(code)
            # A household of the same grid is inside the scope, since the grid is.
            if existing is not None and existing.grid_id != grid.id:
                problems.append(
                    ImportProblem(row.number, HOUSEHOLD, f"household number {code!r} is used in another grid")
                )
            else:
                plan = planned[code] = _PlannedHousehold(code, grid, address, existing, row.number)
        elif plan is not None and grid is not None and plan.grid.id != grid.id:
            problems.append(
                ImportProblem(
                    row.number, GRID, f"household {code!r} is in grid {plan.grid.code} (row {plan.first_row})"
                )
            )
        if plan is not None and plan.existing is None and not plan.address and address:
            plan.address = address
        if person is not None:
            index = cipher.blind_index(person.id_number)
            if index in seen_ids:
                problems.append(ImportProblem(row.number, ID_NUMBER, f"same ID number as row {seen_ids[index]}"))
            else:
                seen_ids[index] = row.number
            if plan is not None and person.relation is Relation.HEAD:
                plan.heads.append(row.number)
        if person is not None and plan is not None and len(problems) == bad:
            people.append((row.number, person, plan, address))

    for index in repository.taken_id_indexes(session, seen_ids):
        problems.append(ImportProblem(seen_ids[index], ID_NUMBER, "ID number is already registered"))
    with_head = repository.household_ids_with_head(
        session, [p.existing.id for p in planned.values() if p.existing is not None]
    )
    for plan in planned.values():
        if plan.existing is None and not plan.address:
            problems.append(ImportProblem(plan.first_row, ADDRESS, "a new household needs an address"))
        extra_heads = plan.heads[1:] if plan.existing is None or plan.existing.id not in with_head else plan.heads
        problems.extend(ImportProblem(r, RELATION, f"household {plan.code!r} already has a head") for r in extra_heads)
    if problems:
        return _finish_failed_import(session, report, problems, actor=actor, now=now)

    households: dict[str, Household] = {}
    for plan in planned.values():
        if plan.existing is not None:
            households[plan.code] = plan.existing
            continue
        household = Household(
            code=plan.code,
            house_id=None,
            address=(plan.address or "").strip(),
            grid_id=plan.grid.id,
            village_unit_id=plan.grid.village_unit_id,
            created_at=now,
        )
        session.add(household)
        households[plan.code] = household
        report.households_created += 1
    session.flush()
    rows = [service.resident_row(cipher, p, households[plan.code], address=a, now=now) for _, p, plan, a in people]
    for start in range(0, len(rows), 1000):
        session.execute(insert(Resident), rows[start : start + 1000])
    report.residents_created = len(rows)
    audit.record(
        session,
        actor=actor,
        action="people.import",
        now=now,
        details={
            "rows": report.rows,
            "households_created": report.households_created,
            "residents_created": report.residents_created,
        },
    )
    return report


def _finish_failed_import(
    session: Session, report: ImportReport, problems: list[ImportProblem], *, actor: Principal, now: datetime
) -> ImportReport:
    report.problems = sorted(problems, key=lambda p: (p.row, p.column))
    audit.record(
        session,
        actor=actor,
        action="people.import",
        now=now,
        outcome=Outcome.FAILURE,
        details={"rows": report.rows, "problems": len(report.problems)},
    )
    return report


# ---------------------------------------------------------------- Excel export


def _export_cells(cipher: FieldCipher, rows: Iterable[Row[Any]]) -> Iterator[list[str | int | None]]:
    for row in rows:
        tags = [TAG_LABELS_ZH[ResidentTag(t)] for t in (row.tags or []) if t in TAG_CODES]
        yield [
            row.grid_code,
            row.household_code,
            row.address,
            mask_name(row.name),
            GENDER_LABELS_ZH[Gender(row.gender)],
            row.ethnicity,
            row.birth_date.year,
            mask_id_number(cipher.decrypt(row.id_enc)),
            mask_mobile(cipher.decrypt(row.phone_enc)) if row.phone_enc else None,
            RELATION_LABELS_ZH[Relation(row.relation)],
            "、".join(tags),
        ]


def export_residents(
    session: Session, cipher: FieldCipher, *, actor: Principal, now: datetime, grid_code: str | None = None
) -> tuple[bytes, int]:
    """An .xlsx of the residents in the caller's scope (one grid, or all), masked; audited with the count."""
    actor.require(Permission.PEOPLE_EXPORT)
    grid = service.get_grid(session, grid_code, actor=actor) if grid_code else None
    grid_id = grid.id if grid else None
    total = repository.count_residents(session, actor.visibility, grid_id=grid_id)
    if total > MAX_EXPORT_ROWS:
        raise ValidationFailed(
            f"{total} residents match; exports stop at {MAX_EXPORT_ROWS}: choose a grid", code="export_too_large"
        )
    rows = repository.export_rows(session, actor.visibility, grid_id=grid_id)
    data, count = write_sheet(
        EXPORT_HEADERS,
        _export_cells(cipher, rows),
        text_columns=[EXPORT_HEADERS.index(ID_NUMBER), EXPORT_HEADERS.index(PHONE)],
    )
    audit.record(
        session,
        actor=actor,
        action="people.export",
        now=now,
        details={"rows": count, "grid": grid.code if grid else None, "masked": True},
    )
    return data, count
