"""HTTP API of the vessel files, production groups and cadre links (/api/fleet): masked answers, scoped reads.

Inspections, ratings, duty and dynamic reports have their own router (:mod:`pingan.fleet.safety_endpoints`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile

from pingan.auth.policy import Permission
from pingan.auth.principal import Principal
from pingan.deps import AppSettings, Cipher, DbSession, require
from pingan.errors import NotFound
from pingan.fleet import cadres, certificates, exports, groups, parties, records, service, terminals
from pingan.fleet.certificates import Expiring
from pingan.fleet.models import (
    Cadre,
    CadreLink,
    CertificateKind,
    CrewRole,
    OperationType,
    Vessel,
    VesselDocument,
    VesselGroup,
)
from pingan.fleet.schemas import (
    CERTIFICATE_KIND_LABELS_ZH,
    CREW_ROLE_LABELS_ZH,
    OPERATION_TYPE_LABELS_ZH,
    CadreIn,
    CadreLinkIn,
    CadreLinkOut,
    CadreOut,
    CadrePatch,
    CadreRef,
    CertificateIn,
    CertificateOut,
    CertificatePatch,
    CoverageOut,
    CrewIn,
    CrewOut,
    CrewPatch,
    DocumentOut,
    EventIn,
    EventOut,
    ExpiringOut,
    GroupIn,
    GroupOut,
    GroupPatch,
    GroupRef,
    HomeUnitRef,
    LeaderIn,
    MemberIn,
    MembershipOut,
    MmsiChangeIn,
    OverloadedCadreOut,
    PartyIn,
    PartyOut,
    PublishedRatingOut,
    RevealIn,
    RevealOut,
    TerminalIn,
    TerminalOut,
    TerminalRemoveIn,
    TimelineItemOut,
    VesselDetailOut,
    VesselIn,
    VesselPatch,
    VesselSummaryOut,
    certificate_status,
)
from pingan.kit.clock import utcnow
from pingan.kit.crypto import FieldCipher
from pingan.kit.masking import mask_mobile, mask_name
from pingan.org.models import OrgUnit

router = APIRouter(prefix="/api/fleet", tags=["fleet"])


Reader = Annotated[Principal, Depends(require(Permission.FLEET_READ))]
Writer = Annotated[Principal, Depends(require(Permission.FLEET_WRITE))]
Exporter = Annotated[Principal, Depends(require(Permission.FLEET_EXPORT))]
Revealer = Annotated[Principal, Depends(require(Permission.PEOPLE_REVEAL))]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]
XLSX: dict[int | str, dict[str, Any]] = {200: {"content": {exports.XLSX_MEDIA_TYPE: {}}}}


def _unit(unit: OrgUnit) -> HomeUnitRef:
    return HomeUnitRef(id=unit.id, code=unit.code, name=unit.name)


def _summaries(db: DbSession, vessels: Sequence[Vessel]) -> list[VesselSummaryOut]:
    ids = [v.id for v in vessels]
    mmsis = service.live_mmsis(db, ids)
    current = service.current_groups(db, ids)
    return [
        VesselSummaryOut(**_summary_fields(v, mmsis.get(v.id), current[v.id][0].code if v.id in current else None))
        for v in vessels
    ]


def _summary_fields(vessel: Vessel, mmsi: str | None, group_code: str | None) -> dict[str, object]:
    return {
        "id": vessel.id,
        "registration_no": vessel.registration_no,
        "name": vessel.name,
        "home_unit": _unit(vessel.home_unit),
        "operation_type": vessel.operation_type,
        "operation_type_label": OPERATION_TYPE_LABELS_ZH.get(OperationType(vessel.operation_type), ""),
        "hull_material": vessel.hull_material,
        "length_m": vessel.length_m,
        "gross_tonnage": vessel.gross_tonnage,
        "engine_power_kw": vessel.engine_power_kw,
        "build_year": vessel.build_year,
        "is_active": vessel.is_active,
        "mmsi": mmsi,
        "group_code": group_code,
    }


def _document(document: VesselDocument) -> DocumentOut:
    return DocumentOut(
        id=document.id,
        vessel_id=document.vessel_id,
        title=document.title,
        content_type=document.content_type,
        size_bytes=document.size_bytes,
        uploaded_at=document.uploaded_at,
        url=f"/api/fleet/vessels/{document.vessel_id}/documents/{document.id}",
    )


def _cadre_ref(cadre: Cadre, since: datetime, cipher: FieldCipher) -> CadreRef:
    return CadreRef(
        id=cadre.id,
        name=cadre.name,
        title=cadre.title,
        unit=_unit(cadre.unit),
        phone=mask_mobile(cipher.decrypt(cadre.phone_enc)) if cadre.phone_enc else None,
        since=since,
    )


def _detail(file: service.VesselFile, cipher: FieldCipher, today: date) -> VesselDetailOut:
    vessel = file.vessel
    group = None
    if file.group is not None:
        g, membership = file.group
        group = GroupRef(
            id=g.id, code=g.code, name=g.name, joined_at=membership.joined_at, is_leader=g.leader_vessel_id == vessel.id
        )
    rating = file.rating
    return VesselDetailOut(
        **_summary_fields(vessel, file.mmsi, group.code if group else None),
        port_of_registry=vessel.port_of_registry,
        home_port=vessel.home_port.name if vessel.home_port else None,
        created_at=vessel.created_at,
        owner=PartyOut.masked(vessel.owner, cipher) if vessel.owner else None,
        operator=PartyOut.masked(vessel.operator, cipher) if vessel.operator else None,
        crew=[CrewOut.masked(m, cipher) for m in file.crew],
        terminals=[TerminalOut.model_validate(t) for t in file.terminals],
        certificates=[CertificateOut.of(c, today) for c in file.certificates],
        documents=[_document(d) for d in file.documents],
        group=group,
        cadres=[_cadre_ref(c, link.since, cipher) for c, link in file.cadres],
        rating=PublishedRatingOut(
            stars=rating.stars, score=rating.score, rules_version=rating.rules_version, computed_at=rating.computed_at
        )
        if rating
        else None,
    )


def _vessel_detail(db: DbSession, cipher: FieldCipher, vessel_id: int, principal: Principal) -> VesselDetailOut:
    now = utcnow()
    return _detail(service.vessel_file(db, vessel_id, actor=principal), cipher, service.local_today(now))


# ---------------------------------------------------------------- vessels


@router.get("/vessels", response_model=list[VesselSummaryOut], summary="Vessels in the scope")
def list_vessels(
    db: DbSession,
    principal: Reader,
    q: Annotated[str | None, Query(max_length=40, description="part of the registration number or name")] = None,
    home_unit_code: Annotated[str | None, Query(max_length=32, description="that unit and those under it")] = None,
    operation_type: OperationType | None = None,
    group_code: Annotated[str | None, Query(max_length=20)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[VesselSummaryOut]:
    found = service.list_vessels(
        db,
        actor=principal,
        q=q,
        home_unit_code=home_unit_code,
        operation_type=operation_type,
        group_code=group_code,
        limit=limit,
        offset=offset,
    )
    return _summaries(db, found)


@router.get(
    "/vessels/export",
    summary="Vessels in the scope as .xlsx (owners masked, audited)",
    response_class=Response,
    responses=XLSX,
)
def export_vessels(
    db: DbSession,
    cipher: Cipher,
    principal: Exporter,
    q: Annotated[str | None, Query(max_length=40)] = None,
    home_unit_code: Annotated[str | None, Query(max_length=32)] = None,
    operation_type: OperationType | None = None,
    group_code: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    data, _ = exports.export_vessels(
        db,
        cipher,
        actor=principal,
        now=utcnow(),
        q=q,
        home_unit_code=home_unit_code,
        operation_type=operation_type,
        group_code=group_code,
    )
    return _xlsx(data, "vessels.xlsx")


def _xlsx(data: bytes, name: str) -> Response:
    return Response(
        data, media_type=exports.XLSX_MEDIA_TYPE, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/vessels", response_model=VesselDetailOut, status_code=201, summary="Open a vessel file (一船一档)")
def create_vessel(body: VesselIn, db: DbSession, cipher: Cipher, principal: Writer) -> VesselDetailOut:
    now = utcnow()
    vessel = service.create_vessel(
        db,
        registration_no=body.registration_no,
        name=body.name,
        port_of_registry=body.port_of_registry,
        home_unit_code=body.home_unit_code,
        home_port_code=body.home_port_code,
        hull_material=body.hull_material,
        length_m=body.length_m,
        gross_tonnage=body.gross_tonnage,
        engine_power_kw=body.engine_power_kw,
        build_year=body.build_year,
        operation_type=body.operation_type,
        actor=principal,
        now=now,
    )
    for role, party in (("owner", body.owner), ("operator", body.operator)):
        if party is not None:
            parties.set_party(db, cipher, vessel.id, role, **party.model_dump(), actor=principal, now=now)
    return _vessel_detail(db, cipher, vessel.id, principal)


@router.get("/vessels/{vessel_id}", response_model=VesselDetailOut, summary="A vessel file (masked; 404 outside)")
def get_vessel(vessel_id: int, db: DbSession, cipher: Cipher, principal: Reader) -> VesselDetailOut:
    return _vessel_detail(db, cipher, vessel_id, principal)


@router.patch("/vessels/{vessel_id}", response_model=VesselDetailOut, summary="Change a vessel file")
def update_vessel(
    vessel_id: int, body: VesselPatch, db: DbSession, cipher: Cipher, principal: Writer
) -> VesselDetailOut:
    service.update_vessel(db, vessel_id, changes=body.model_dump(exclude_unset=True), actor=principal, now=utcnow())
    return _vessel_detail(db, cipher, vessel_id, principal)


@router.put(
    "/vessels/{vessel_id}/parties/{role}",
    response_model=PartyOut,
    summary="Record the owner or operator (role: owner | operator)",
)
def set_party(vessel_id: int, role: str, body: PartyIn, db: DbSession, cipher: Cipher, principal: Writer) -> PartyOut:
    party = parties.set_party(db, cipher, vessel_id, role, **body.model_dump(), actor=principal, now=utcnow())
    return PartyOut.masked(party, cipher)


@router.delete("/vessels/{vessel_id}/parties/{role}", status_code=204, summary="Take the owner or operator off")
def clear_party(vessel_id: int, role: str, db: DbSession, principal: Writer) -> Response:
    parties.clear_party(db, vessel_id, role, actor=principal, now=utcnow())
    return Response(status_code=204)


@router.post(
    "/vessels/{vessel_id}/parties/{role}/reveal",
    response_model=RevealOut,
    summary="查看明文: the owner's or operator's clear name, ID number and phone, for an audited reason",
)
def reveal_party(
    vessel_id: int, role: str, body: RevealIn, db: DbSession, cipher: Cipher, principal: Revealer
) -> RevealOut:
    party_id, clear = parties.reveal_party(
        db, cipher, vessel_id, role, reason=body.reason, fields=body.fields, actor=principal, now=utcnow()
    )
    return RevealOut(id=party_id, **clear)


@router.get("/vessels/{vessel_id}/timeline", response_model=list[TimelineItemOut], summary="The vessel's timeline")
def vessel_timeline(
    vessel_id: int,
    db: DbSession,
    principal: Reader,
    limit: Limit = 100,
    before: Annotated[datetime | None, Query(description="only entries older than this instant")] = None,
) -> list[TimelineItemOut]:
    items = records.vessel_timeline(db, vessel_id, actor=principal, limit=limit, before=before)
    return [TimelineItemOut(**asdict(i)) for i in items]


# ---------------------------------------------------------------- crew


@router.get("/vessels/{vessel_id}/crew", response_model=list[CrewOut], summary="The crew list (masked)")
def list_crew(vessel_id: int, db: DbSession, cipher: Cipher, principal: Reader) -> list[CrewOut]:
    return [CrewOut.masked(m, cipher) for m in parties.list_crew(db, vessel_id, actor=principal)]


@router.post("/vessels/{vessel_id}/crew", response_model=CrewOut, status_code=201, summary="Add a crew member")
def add_crew_member(vessel_id: int, body: CrewIn, db: DbSession, cipher: Cipher, principal: Writer) -> CrewOut:
    member = parties.add_crew_member(db, cipher, vessel_id, **body.model_dump(), actor=principal, now=utcnow())
    return CrewOut.masked(member, cipher)


@router.patch("/vessels/{vessel_id}/crew/{crew_id}", response_model=CrewOut, summary="Change a crew member")
def update_crew_member(
    vessel_id: int, crew_id: int, body: CrewPatch, db: DbSession, cipher: Cipher, principal: Writer
) -> CrewOut:
    member = parties.update_crew_member(
        db, cipher, vessel_id, crew_id, **body.model_dump(exclude_unset=True), actor=principal, now=utcnow()
    )
    return CrewOut.masked(member, cipher)


@router.delete("/vessels/{vessel_id}/crew/{crew_id}", status_code=204, summary="Remove a crew member")
def remove_crew_member(vessel_id: int, crew_id: int, db: DbSession, principal: Writer) -> Response:
    parties.remove_crew_member(db, vessel_id, crew_id, actor=principal, now=utcnow())
    return Response(status_code=204)


@router.post(
    "/vessels/{vessel_id}/crew/{crew_id}/reveal",
    response_model=RevealOut,
    summary="查看明文: a crew member's clear name, ID number and phone, for an audited reason",
)
def reveal_crew_member(
    vessel_id: int, crew_id: int, body: RevealIn, db: DbSession, cipher: Cipher, principal: Revealer
) -> RevealOut:
    clear = parties.reveal_crew_member(
        db, cipher, vessel_id, crew_id, reason=body.reason, fields=body.fields, actor=principal, now=utcnow()
    )
    return RevealOut(id=crew_id, **clear)


# ---------------------------------------------------------------- certificates


@router.get(
    "/vessels/{vessel_id}/certificates", response_model=list[CertificateOut], summary="The vessel's certificates"
)
def list_certificates(vessel_id: int, db: DbSession, principal: Reader) -> list[CertificateOut]:
    today = service.local_today(utcnow())
    return [CertificateOut.of(c, today) for c in certificates.list_certificates(db, vessel_id, actor=principal)]


@router.post(
    "/vessels/{vessel_id}/certificates", response_model=CertificateOut, status_code=201, summary="Add a certificate"
)
def add_certificate(vessel_id: int, body: CertificateIn, db: DbSession, principal: Writer) -> CertificateOut:
    now = utcnow()
    cert = certificates.add_certificate(db, vessel_id, **body.model_dump(), actor=principal, now=now)
    return CertificateOut.of(cert, service.local_today(now))


@router.patch(
    "/vessels/{vessel_id}/certificates/{certificate_id}",
    response_model=CertificateOut,
    summary="Renew or correct a certificate",
)
def update_certificate(
    vessel_id: int, certificate_id: int, body: CertificatePatch, db: DbSession, principal: Writer
) -> CertificateOut:
    now = utcnow()
    cert = certificates.update_certificate(
        db, vessel_id, certificate_id, **body.model_dump(exclude_unset=True), actor=principal, now=now
    )
    return CertificateOut.of(cert, service.local_today(now))


@router.delete("/vessels/{vessel_id}/certificates/{certificate_id}", status_code=204, summary="Delete a certificate")
def delete_certificate(vessel_id: int, certificate_id: int, db: DbSession, principal: Writer) -> Response:
    certificates.delete_certificate(db, vessel_id, certificate_id, actor=principal, now=utcnow())
    return Response(status_code=204)


def _expiring_out(item: Expiring, today: date, within_days: int) -> ExpiringOut:
    status, days = certificate_status(item.expires_on, today, within_days)
    if item.source == "vessel":
        label = CERTIFICATE_KIND_LABELS_ZH.get(CertificateKind(item.kind), item.kind)
    else:
        label = f"职务船员证书（{CREW_ROLE_LABELS_ZH.get(CrewRole(item.kind), item.kind)}）"
    return ExpiringOut(
        source="vessel" if item.source == "vessel" else "crew",
        certificate_id=item.certificate_id,
        crew_member_id=item.crew_member_id,
        vessel_id=item.vessel_id,
        registration_no=item.registration_no,
        vessel_name=item.vessel_name,
        home_unit_code=item.home_unit_code,
        home_unit_name=item.home_unit_name,
        kind=item.kind,
        kind_label=label,
        number=item.number,
        holder=mask_name(item.holder_name) if item.holder_name else None,
        expires_on=item.expires_on,
        days_left=days,
        status=status,
    )


WithinDays = Annotated[int, Query(ge=0, le=3660, description="expiring within this many days")]


@router.get(
    "/certificates/expiring",
    response_model=list[ExpiringOut],
    summary="Vessel and crew certificates in the scope that have expired or expire soon",
)
def expiring_certificates(
    db: DbSession,
    principal: Reader,
    within_days: WithinDays = certificates.EXPIRING_WITHIN_DAYS,
    home_unit_code: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Offset = 0,
) -> list[ExpiringOut]:
    now = utcnow()
    items = certificates.expiring_certificates(
        db,
        actor=principal,
        now=now,
        within_days=within_days,
        home_unit_code=home_unit_code,
        limit=limit,
        offset=offset,
    )
    today = service.local_today(now)
    return [_expiring_out(i, today, within_days) for i in items]


@router.get(
    "/certificates/expiring/export",
    summary="Expired and expiring certificates as .xlsx (masked, audited)",
    response_class=Response,
    responses=XLSX,
)
def export_expiring(
    db: DbSession,
    principal: Exporter,
    within_days: WithinDays = certificates.EXPIRING_WITHIN_DAYS,
    home_unit_code: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    data, _ = exports.export_expiring(
        db, actor=principal, now=utcnow(), within_days=within_days, home_unit_code=home_unit_code
    )
    return _xlsx(data, "expiring-certificates.xlsx")


# ---------------------------------------------------------------- terminals


@router.get(
    "/vessels/{vessel_id}/terminals", response_model=list[TerminalOut], summary="Terminals over time, newest first"
)
def list_terminals(vessel_id: int, db: DbSession, principal: Reader) -> list[TerminalOut]:
    return [TerminalOut.model_validate(t) for t in terminals.list_terminals(db, vessel_id, actor=principal)]


@router.post("/vessels/{vessel_id}/terminals", response_model=TerminalOut, status_code=201, summary="Fit a terminal")
def fit_terminal(vessel_id: int, body: TerminalIn, db: DbSession, principal: Writer) -> TerminalOut:
    terminal = terminals.fit_terminal(
        db,
        vessel_id,
        kind=body.kind,
        mmsi=body.mmsi,
        device_id=body.device_id,
        installed_at=body.installed_at,
        actor=principal,
        now=utcnow(),
    )
    return TerminalOut.model_validate(terminal)


@router.post(
    "/vessels/{vessel_id}/terminals/{terminal_id}/remove", response_model=TerminalOut, summary="Remove a terminal"
)
def remove_terminal(
    vessel_id: int, terminal_id: int, body: TerminalRemoveIn, db: DbSession, principal: Writer
) -> TerminalOut:
    terminal = terminals.remove_terminal(
        db, vessel_id, terminal_id, removed_at=body.removed_at, actor=principal, now=utcnow()
    )
    return TerminalOut.model_validate(terminal)


@router.post(
    "/vessels/{vessel_id}/mmsi",
    response_model=TerminalOut,
    status_code=201,
    summary="Change the MMSI: remove the live AIS terminal and fit the new one at one instant",
)
def change_mmsi(vessel_id: int, body: MmsiChangeIn, db: DbSession, principal: Writer) -> TerminalOut:
    terminal = terminals.change_mmsi(
        db, vessel_id, mmsi=body.mmsi, kind=body.kind, at=body.at, actor=principal, now=utcnow()
    )
    return TerminalOut.model_validate(terminal)


@router.get(
    "/mmsi/{mmsi}", response_model=VesselSummaryOut, summary="The vessel that carried an MMSI at an instant (now)"
)
def vessel_by_mmsi(
    mmsi: str,
    db: DbSession,
    principal: Reader,
    at: Annotated[datetime | None, Query(description="default: now")] = None,
) -> VesselSummaryOut:
    vessel = terminals.find_vessel_by_mmsi(db, mmsi, at=at or utcnow(), actor=principal)
    return _summaries(db, [vessel])[0]


# ---------------------------------------------------------------- documents and events


@router.get("/vessels/{vessel_id}/documents", response_model=list[DocumentOut], summary="Photos and documents")
def list_documents(vessel_id: int, db: DbSession, principal: Reader) -> list[DocumentOut]:
    return [_document(d) for d in records.list_documents(db, vessel_id, actor=principal)]


@router.post(
    "/vessels/{vessel_id}/documents",
    response_model=DocumentOut,
    status_code=201,
    summary="Upload a photo (JPEG, PNG) or a PDF of at most 10 MB",
)
def add_document(
    vessel_id: int,
    db: DbSession,
    settings: AppSettings,
    principal: Writer,
    file: Annotated[UploadFile, File(description="image/jpeg, image/png or application/pdf")],
    title: Annotated[str, Form(min_length=1, max_length=100)],
) -> DocumentOut:
    data = file.file.read(records.MAX_DOCUMENT_BYTES + 1)
    document = records.add_document(
        db,
        vessel_id,
        title=title,
        content_type=file.content_type or "",
        data=data,
        storage_root=settings.data_dir,
        actor=principal,
        now=utcnow(),
    )
    return _document(document)


@router.get(
    "/vessels/{vessel_id}/documents/{document_id}",
    summary="Download a document",
    response_class=Response,
    responses={200: {"content": {t: {} for t in records.DOCUMENT_TYPES}}},
)
def download_document(
    vessel_id: int, document_id: int, db: DbSession, settings: AppSettings, principal: Reader
) -> Response:
    document = records.get_document(db, vessel_id, document_id, actor=principal)
    path = records.document_path(settings.data_dir, document)
    if not path.is_file():
        raise NotFound("the document's file is missing")
    suffix = records.DOCUMENT_TYPES[document.content_type][0]
    return Response(
        path.read_bytes(),
        media_type=document.content_type,
        headers={"Content-Disposition": f'attachment; filename="document-{document.id}{suffix}"'},
    )


@router.delete("/vessels/{vessel_id}/documents/{document_id}", status_code=204, summary="Delete a document")
def delete_document(
    vessel_id: int, document_id: int, db: DbSession, settings: AppSettings, principal: Writer
) -> Response:
    records.delete_document(db, vessel_id, document_id, storage_root=settings.data_dir, actor=principal, now=utcnow())
    return Response(status_code=204)


@router.get("/vessels/{vessel_id}/events", response_model=list[EventOut], summary="Violations, incidents, trainings")
def list_events(vessel_id: int, db: DbSession, principal: Reader, limit: Limit = 100) -> list[EventOut]:
    return [EventOut.model_validate(e) for e in records.list_events(db, vessel_id, actor=principal, limit=limit)]


@router.post("/vessels/{vessel_id}/events", response_model=EventOut, status_code=201, summary="Record an event")
def record_event(vessel_id: int, body: EventIn, db: DbSession, principal: Writer) -> EventOut:
    event = records.record_event(db, vessel_id, **body.model_dump(), actor=principal, now=utcnow())
    return EventOut.model_validate(event)


# ---------------------------------------------------------------- groups (编组生产)


def _groups_out(db: DbSession, found: Sequence[VesselGroup]) -> list[GroupOut]:
    counts = groups.member_counts(db, [g.id for g in found])
    leaders = groups.leader_registrations(db, found)
    return [
        GroupOut(
            id=g.id,
            code=g.code,
            name=g.name,
            operation_type=g.operation_type,
            operation_type_label=OPERATION_TYPE_LABELS_ZH.get(OperationType(g.operation_type), ""),
            home_unit=_unit(g.home_unit),
            leader_vessel_id=g.leader_vessel_id,
            leader_registration_no=leaders.get(g.leader_vessel_id) if g.leader_vessel_id else None,
            mobile_grid_id=g.mobile_grid_id,
            dispersion_limit_m=g.dispersion_limit_m,
            dispersion_limit_minutes=g.dispersion_limit_minutes,
            is_active=g.is_active,
            member_count=counts.get(g.id, 0),
            status=groups.group_status(g, counts.get(g.id, 0)),
        )
        for g in found
    ]


def _membership_out(member: groups.Member, group: VesselGroup) -> MembershipOut:
    m, v = member.membership, member.vessel
    return MembershipOut(
        id=m.id,
        group_id=m.group_id,
        vessel_id=v.id,
        registration_no=v.registration_no,
        vessel_name=v.name,
        joined_at=m.joined_at,
        left_at=m.left_at,
        is_leader=m.left_at is None and group.leader_vessel_id == v.id,
    )


@router.get("/groups", response_model=list[GroupOut], summary="Production groups in the scope")
def list_groups(
    db: DbSession,
    principal: Reader,
    q: Annotated[str | None, Query(max_length=60)] = None,
    home_unit_code: Annotated[str | None, Query(max_length=32)] = None,
    operation_type: OperationType | None = None,
    include_dissolved: bool = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[GroupOut]:
    found = groups.list_groups(
        db,
        actor=principal,
        q=q,
        home_unit_code=home_unit_code,
        operation_type=operation_type,
        include_dissolved=include_dissolved,
        limit=limit,
        offset=offset,
    )
    return _groups_out(db, found)


@router.post("/groups", response_model=GroupOut, status_code=201, summary="Form a production group (mobile grid)")
def create_group(body: GroupIn, db: DbSession, principal: Writer) -> GroupOut:
    group = groups.create_group(db, **body.model_dump(), actor=principal, now=utcnow())
    return _groups_out(db, [group])[0]


@router.get("/groups/{group_id}", response_model=GroupOut, summary="A group (404 outside the scope)")
def get_group(group_id: int, db: DbSession, principal: Reader) -> GroupOut:
    return _groups_out(db, [groups.get_group(db, group_id, actor=principal)])[0]


@router.patch("/groups/{group_id}", response_model=GroupOut, summary="Change a group")
def update_group(group_id: int, body: GroupPatch, db: DbSession, principal: Writer) -> GroupOut:
    group = groups.update_group(
        db, group_id, changes=body.model_dump(exclude_unset=True), actor=principal, now=utcnow()
    )
    return _groups_out(db, [group])[0]


@router.delete("/groups/{group_id}", response_model=GroupOut, summary="Dissolve a group (members leave now)")
def dissolve_group(group_id: int, db: DbSession, principal: Writer) -> GroupOut:
    return _groups_out(db, [groups.dissolve_group(db, group_id, actor=principal, now=utcnow())])[0]


@router.get("/groups/{group_id}/members", response_model=list[MembershipOut], summary="Current members")
def list_members(group_id: int, db: DbSession, principal: Reader) -> list[MembershipOut]:
    group = groups.get_group(db, group_id, actor=principal)
    return [_membership_out(m, group) for m in groups.list_members(db, group_id, actor=principal)]


@router.get("/groups/{group_id}/history", response_model=list[MembershipOut], summary="Every membership, newest first")
def group_history(group_id: int, db: DbSession, principal: Reader) -> list[MembershipOut]:
    group = groups.get_group(db, group_id, actor=principal)
    return [_membership_out(m, group) for m in groups.group_history(db, group_id, actor=principal)]


@router.post("/groups/{group_id}/members", response_model=MembershipOut, status_code=201, summary="A vessel joins")
def add_member(group_id: int, body: MemberIn, db: DbSession, principal: Writer) -> MembershipOut:
    membership = groups.add_member(
        db, group_id, body.vessel_id, joined_at=body.joined_at, actor=principal, now=utcnow()
    )
    group = groups.get_group(db, group_id, actor=principal)
    return _membership_out(groups.Member(membership, service.get_vessel(db, body.vessel_id, actor=principal)), group)


@router.delete(
    "/groups/{group_id}/members/{vessel_id}", response_model=MembershipOut, summary="A vessel leaves (recorded)"
)
def remove_member(group_id: int, vessel_id: int, db: DbSession, principal: Writer) -> MembershipOut:
    membership = groups.remove_member(db, group_id, vessel_id, actor=principal, now=utcnow())
    group = groups.get_group(db, group_id, actor=principal)
    return _membership_out(groups.Member(membership, service.get_vessel(db, vessel_id, actor=principal)), group)


@router.put("/groups/{group_id}/leader", response_model=GroupOut, summary="Set the leader vessel (编组长)")
def set_leader(group_id: int, body: LeaderIn, db: DbSession, principal: Writer) -> GroupOut:
    return _groups_out(db, [groups.set_leader(db, group_id, body.vessel_id, actor=principal, now=utcnow())])[0]


# ---------------------------------------------------------------- cadres (定人联船)


@router.get("/cadres", response_model=list[CadreOut], summary="Cadres in the scope (phones masked)")
def list_cadres(
    db: DbSession,
    cipher: Cipher,
    principal: Reader,
    unit_code: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=40)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[CadreOut]:
    found = cadres.list_cadres(db, actor=principal, unit_code=unit_code, q=q, limit=limit, offset=offset)
    load = cadres.loads(db, [c.id for c in found])
    return [CadreOut.masked(c, cipher, load.get(c.id, 0)) for c in found]


@router.get("/cadres/coverage", response_model=CoverageOut, summary="Vessels without a cadre, overloaded cadres")
def coverage(
    db: DbSession,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=1000, description="most vessels per cadre")] = cadres.CADRE_MAX_VESSELS,
) -> CoverageOut:
    report = cadres.coverage_report(db, actor=principal, limit=limit)
    return CoverageOut(
        vessels_total=report.vessels_total,
        vessels_without_cadre_count=report.without_cadre_count,
        vessels_without_cadre=_summaries(db, report.without_cadre),
        cadre_limit=report.limit,
        overloaded_cadres=[
            OverloadedCadreOut(id=c.id, name=c.name, unit=_unit(c.unit), vessel_count=n) for c, n in report.overloaded
        ],
    )


@router.post("/cadres", response_model=CadreOut, status_code=201, summary="Register a cadre")
def create_cadre(body: CadreIn, db: DbSession, cipher: Cipher, principal: Writer) -> CadreOut:
    cadre = cadres.create_cadre(db, cipher, **body.model_dump(), actor=principal, now=utcnow())
    return CadreOut.masked(cadre, cipher, 0)


@router.get("/cadres/{cadre_id}", response_model=CadreOut, summary="A cadre (404 outside the scope)")
def get_cadre(cadre_id: int, db: DbSession, cipher: Cipher, principal: Reader) -> CadreOut:
    cadre = cadres.get_cadre(db, cadre_id, actor=principal)
    return CadreOut.masked(cadre, cipher, cadres.loads(db, [cadre.id]).get(cadre.id, 0))


@router.patch("/cadres/{cadre_id}", response_model=CadreOut, summary="Change a cadre")
def update_cadre(cadre_id: int, body: CadrePatch, db: DbSession, cipher: Cipher, principal: Writer) -> CadreOut:
    cadre = cadres.update_cadre(
        db, cipher, cadre_id, changes=body.model_dump(exclude_unset=True), actor=principal, now=utcnow()
    )
    return CadreOut.masked(cadre, cipher, cadres.loads(db, [cadre.id]).get(cadre.id, 0))


def _link_out(cadre: Cadre, vessel: Vessel, link: CadreLink) -> CadreLinkOut:
    return CadreLinkOut(
        id=link.id,
        cadre_id=cadre.id,
        cadre_name=cadre.name,
        vessel_id=vessel.id,
        registration_no=vessel.registration_no,
        since=link.since,
        until=link.until,
    )


@router.get("/cadres/{cadre_id}/vessels", response_model=list[CadreLinkOut], summary="Vessels the cadre answers for")
def vessels_of(cadre_id: int, db: DbSession, principal: Reader) -> list[CadreLinkOut]:
    cadre = cadres.get_cadre(db, cadre_id, actor=principal)
    return [_link_out(cadre, v, link) for v, link in cadres.vessels_of(db, cadre_id, actor=principal)]


@router.post("/cadres/{cadre_id}/links", response_model=CadreLinkOut, status_code=201, summary="Link to a vessel")
def link_cadre(cadre_id: int, body: CadreLinkIn, db: DbSession, principal: Writer) -> CadreLinkOut:
    link = cadres.link_cadre(db, cadre_id, body.vessel_id, since=body.since, actor=principal, now=utcnow())
    cadre = cadres.get_cadre(db, cadre_id, actor=principal)
    return _link_out(cadre, service.get_vessel(db, body.vessel_id, actor=principal), link)


@router.delete("/cadres/{cadre_id}/links/{vessel_id}", response_model=CadreLinkOut, summary="End the link to a vessel")
def unlink_cadre(cadre_id: int, vessel_id: int, db: DbSession, principal: Writer) -> CadreLinkOut:
    link = cadres.unlink_cadre(db, cadre_id, vessel_id, actor=principal, now=utcnow())
    cadre = cadres.get_cadre(db, cadre_id, actor=principal)
    return _link_out(cadre, service.get_vessel(db, vessel_id, actor=principal), link)


@router.get("/vessels/{vessel_id}/cadres", response_model=list[CadreRef], summary="Cadres answering for the vessel")
def cadres_of(vessel_id: int, db: DbSession, cipher: Cipher, principal: Reader) -> list[CadreRef]:
    return [_cadre_ref(c, link.since, cipher) for c, link in cadres.cadres_of(db, vessel_id, actor=principal)]
