"""HTTP API of the people register (人、房): masked by default, clear values only through an audited reveal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import JSONResponse, Response

from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.deps import Cipher, CurrentPrincipal, DbSession, require
from pingan.kit.clock import utcnow
from pingan.people import excel, repository, service
from pingan.people.schemas import (
    TAG_LABELS_ZH,
    BuildingIn,
    BuildingOut,
    HouseholdIn,
    HouseholdOut,
    ImportOut,
    ImportProblemOut,
    ResidentIn,
    ResidentOut,
    RevealIn,
    RevealOut,
    TagOut,
)

router = APIRouter(prefix="/api/people", tags=["people"])


Reader = Annotated[Principal, Depends(require(Permission.PEOPLE_READ))]
Writer = Annotated[Principal, Depends(require(Permission.PEOPLE_WRITE))]


@router.get("/tags", response_model=list[TagOut], summary="The controlled vocabulary of resident tags (特殊人群)")
def list_tags(principal: CurrentPrincipal) -> list[TagOut]:
    return [TagOut(code=tag, label=label) for tag, label in TAG_LABELS_ZH.items()]


@router.get("/residents", response_model=list[ResidentOut], summary="Search residents in the scope (masked)")
def search_residents(
    db: DbSession,
    cipher: Cipher,
    principal: Reader,
    id_number: Annotated[str | None, Query(max_length=20, description="exact 18-digit ID number")] = None,
    name: Annotated[str | None, Query(max_length=40, description="exact name or its beginning")] = None,
    grid_code: Annotated[str | None, Query(max_length=15)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ResidentOut]:
    found = service.search_residents(
        db,
        cipher,
        actor=principal,
        id_number=id_number,
        name=name,
        grid_code=grid_code,
        limit=limit,
        offset=offset,
    )
    codes = repository.grid_codes(db, [r.grid_id for r in found])
    return [ResidentOut.masked(r, cipher, codes) for r in found]


@router.post("/residents", response_model=ResidentOut, status_code=201, summary="Register a resident")
def create_resident(body: ResidentIn, db: DbSession, cipher: Cipher, principal: Writer) -> ResidentOut:
    resident = service.create_resident(
        db,
        cipher,
        household_id=body.household_id,
        name=body.name,
        id_number=body.id_number,
        relation=body.relation,
        gender=body.gender,
        birth_date=body.birth_date,
        ethnicity=body.ethnicity,
        phone=body.phone,
        address=body.address,
        tags=[t.value for t in body.tags],
        actor=principal,
        now=utcnow(),
    )
    return ResidentOut.masked(resident, cipher, repository.grid_codes(db, [resident.grid_id]))


@router.get("/residents/{resident_id}", response_model=ResidentOut, summary="One resident (masked; 404 outside)")
def get_resident(resident_id: int, db: DbSession, cipher: Cipher, principal: Reader) -> ResidentOut:
    resident = service.get_resident(db, resident_id, actor=principal)
    return ResidentOut.masked(resident, cipher, repository.grid_codes(db, [resident.grid_id]))


@router.post(
    "/residents/{resident_id}/reveal",
    response_model=RevealOut,
    summary="查看明文: the clear name, ID number and phone, for a reason that is audited",
)
def reveal_resident(
    resident_id: int,
    body: RevealIn,
    db: DbSession,
    cipher: Cipher,
    principal: Annotated[Principal, Depends(require(Permission.PEOPLE_REVEAL))],
) -> RevealOut:
    clear = service.reveal_resident(
        db, cipher, resident_id, reason=body.reason, fields=body.fields, actor=principal, now=utcnow()
    )
    return RevealOut(id=resident_id, **clear)


@router.get("/households/{household_id}", response_model=HouseholdOut, summary="A household with its members")
def get_household(household_id: int, db: DbSession, cipher: Cipher, principal: Reader) -> HouseholdOut:
    household = service.get_household(db, household_id, actor=principal)
    return HouseholdOut.masked(household, cipher, repository.grid_codes(db, [household.grid_id]))


@router.post("/households", response_model=HouseholdOut, status_code=201, summary="Register a household")
def create_household(body: HouseholdIn, db: DbSession, cipher: Cipher, principal: Writer) -> HouseholdOut:
    household = service.create_household(
        db,
        grid_code=body.grid_code,
        address=body.address,
        code=body.code,
        building_id=body.building_id,
        room=body.room,
        actor=principal,
        now=utcnow(),
    )
    return HouseholdOut.masked(household, cipher, repository.grid_codes(db, [household.grid_id]))


@router.get("/buildings", response_model=list[BuildingOut], summary="Buildings in the scope, by grid")
def list_buildings(
    db: DbSession,
    principal: Reader,
    grid_code: Annotated[str | None, Query(max_length=15)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[BuildingOut]:
    found = service.list_buildings(db, actor=principal, grid_code=grid_code, limit=limit, offset=offset)
    return [BuildingOut.model_validate(b) for b in found]


@router.post("/buildings", response_model=BuildingOut, status_code=201, summary="Register a building in a grid")
def create_building(body: BuildingIn, db: DbSession, principal: Writer) -> BuildingOut:
    building = service.create_building(
        db,
        grid_code=body.grid_code,
        address=body.address,
        lon=body.lon,
        lat=body.lat,
        floors=body.floors,
        use=body.use,
        actor=principal,
        now=utcnow(),
    )
    return BuildingOut.model_validate(building)


@router.post(
    "/import",
    response_model=ImportOut,
    summary="Import residents from .xlsx, all or nothing (422 with a row-by-row report)",
    responses={422: {"description": "The file was refused; ``error.problems`` lists row, column and message"}},
)
def import_residents(
    db: DbSession,
    cipher: Cipher,
    principal: Annotated[Principal, Depends(require(Permission.PEOPLE_IMPORT))],
    file: Annotated[UploadFile, File(description="an .xlsx whose first row holds the Chinese headers")],
) -> Response:
    data = file.file.read(excel.MAX_IMPORT_BYTES + 1)
    report = excel.import_residents(db, cipher, data, actor=principal, now=utcnow())
    if not report.ok:
        problems = [ImportProblemOut(row=p.row, column=p.column, message=p.message) for p in report.problems]
        return JSONResponse(
            {
                "error": {
                    "code": "import_rejected",
                    "message": f"{len(problems)} problem(s) found; nothing was imported",
                    "problems": [p.model_dump() for p in problems],
                }
            },
            status_code=422,
        )
    out = ImportOut(
        rows=report.rows, households_created=report.households_created, residents_created=report.residents_created
    )
    return JSONResponse(out.model_dump())


@router.get(
    "/export",
    summary="Residents in the scope as .xlsx (masked, audited)",
    response_class=Response,
    responses={200: {"content": {excel.XLSX_MEDIA_TYPE: {}}}},
)
def export_residents(
    db: DbSession,
    cipher: Cipher,
    principal: Annotated[Principal, Depends(require(Permission.PEOPLE_EXPORT))],
    grid_code: Annotated[str | None, Query(max_length=15)] = None,
) -> Response:
    data, _ = excel.export_residents(db, cipher, actor=principal, now=utcnow(), grid_code=grid_code)
    name = f"residents-{grid_code}.xlsx" if grid_code else "residents.xlsx"
    return Response(
        data, media_type=excel.XLSX_MEDIA_TYPE, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
