"""OGC API – Features – Part 1: Core, read-only, over the grid registry (admin areas, land grids, sea grids).

Public on purpose: the three collections carry outlines, codes, names and areas, never personal data, so GIS
clients (QGIS, GDAL's OAPIF driver) can read them without signing in. Only ``f=json`` is offered; any other
``f`` and any query parameter the API does not define answer 400, as the standard requires
(/req/core/query-param-unknown). ``datetime`` is accepted and ignored: no collection has a temporal extent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import shapely
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import ColumnElement, Select, and_, case, func, null, select
from sqlalchemy.orm import Session, aliased

from pingan.deps import DbSession
from pingan.errors import NotFound, PinganError
from pingan.grids.models import AdminArea, LandGrid, SeaGrid
from pingan.kit.clock import utcnow
from pingan.org.models import OrgUnit

router = APIRouter(prefix="/ogc", tags=["ogc"])

GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI_30 = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
FORMATS = frozenset({"json"})
F_ONLY = frozenset({"f"})
ITEMS_PARAMS = frozenset({"f", "bbox", "limit", "offset", "datetime"})


class InvalidParameter(PinganError):
    """A query parameter the standard says must answer 400 (malformed, out of range or unknown)."""

    status_code = 400
    code = "invalid_parameter"


# ---------------------------------------------------------------- collections


@dataclass(frozen=True)
class _Collection:
    """One feature collection: its table, the column that is the feature id, its properties and joins."""

    id: str
    title: str
    description: str
    model: type[AdminArea] | type[LandGrid] | type[SeaGrid]
    code: Any  # the column whose value is the feature id (and the sort key)
    properties: tuple[tuple[str, Any], ...]
    joins: tuple[tuple[Any, Any, bool], ...]  # (target, on clause, outer)

    def select(self, *columns: Any) -> Select[Any]:
        """``SELECT columns FROM model JOIN …`` for this collection."""
        stmt = select(*columns).select_from(self.model)
        for target, on, outer in self.joins:
            stmt = stmt.join(target, on, isouter=outer)
        return stmt


_area_unit = aliased(OrgUnit, name="area_unit")
_area_parent = aliased(OrgUnit, name="area_parent")
_village = aliased(OrgUnit, name="village")
_responsible = aliased(OrgUnit, name="responsible")

COLLECTIONS: dict[str, _Collection] = {
    c.id: c
    for c in (
        _Collection(
            id="admin-areas",
            title="行政区划 Administrative areas",
            description="Outlines of the city, districts, townships and communities (区县、乡镇街道、村社区).",
            model=AdminArea,
            code=_area_unit.code,
            properties=(
                ("code", _area_unit.code),
                ("name", _area_unit.name),
                ("name_en", _area_unit.name_en),
                ("level", _area_unit.kind),
                ("parent_code", _area_parent.code),
                ("area_km2", AdminArea.area_km2),
            ),
            joins=(
                (_area_unit, _area_unit.id == AdminArea.unit_id, False),
                (_area_parent, _area_parent.id == _area_unit.parent_id, True),
            ),
        ),
        _Collection(
            id="land-grids",
            title="陆域网格 Land grids",
            description="Basic and dedicated land grids (基础网格、专属网格), each inside one village or community.",
            model=LandGrid,
            code=LandGrid.code,
            properties=(
                ("code", LandGrid.code),
                ("name", LandGrid.name),
                ("kind", LandGrid.kind),
                ("dedicated_type", LandGrid.dedicated_type),
                ("village_code", _village.code),
                ("village_name", _village.name),
                ("area_km2", LandGrid.area_km2),
            ),
            joins=((_village, _village.id == LandGrid.village_unit_id, False),),
        ),
        _Collection(
            id="sea-grids",
            title="海域网格 Sea grids",
            description="Static, control and patrol sea grids (静态、管控、巡查网格) with the unit answering for each.",
            model=SeaGrid,
            code=SeaGrid.code,
            properties=(
                ("code", SeaGrid.code),
                ("name", SeaGrid.name),
                ("family", SeaGrid.family),
                ("responsible_unit_code", _responsible.code),
                ("responsible_unit_name", _responsible.name),
                ("area_km2", SeaGrid.area_km2),
                ("description", SeaGrid.description),
            ),
            joins=((_responsible, _responsible.id == SeaGrid.responsible_unit_id, False),),
        ),
    )
}


def _collection(collection_id: str) -> _Collection:
    try:
        return COLLECTIONS[collection_id]
    except KeyError:
        raise NotFound(f"no collection {collection_id!r}", code="collection_not_found") from None


# ---------------------------------------------------------------- parameters


@dataclass(frozen=True)
class ItemsQuery:
    """The validated parameters of an items request."""

    bbox: tuple[float, float, float, float] | None
    bbox_text: str | None
    limit: int
    offset: int


def _single(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise InvalidParameter(f"{name} given {len(values)} times; give it once")
    return values[0] if values else None


def _check_params(request: Request, allowed: frozenset[str]) -> None:
    unknown = sorted(set(request.query_params.keys()) - allowed)
    if unknown:
        raise InvalidParameter(
            f"unknown query parameter(s): {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    f = _single(request, "f")
    if f is not None and f not in FORMATS:
        raise InvalidParameter(f"f={f!r} is not offered; use f=json (JSON and GeoJSON only)")


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``minlon,minlat,maxlon,maxlat`` in degrees (CRS84) → four floats; raises :class:`InvalidParameter`.

    >>> parse_bbox("122.1,29.8,122.5,30.1")
    (122.1, 29.8, 122.5, 30.1)
    """
    parts = text.split(",")
    if len(parts) != 4:
        raise InvalidParameter(f"bbox must be four numbers minlon,minlat,maxlon,maxlat; got {len(parts)} value(s)")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise InvalidParameter(f"bbox must be four numbers minlon,minlat,maxlon,maxlat; got {text!r}") from None
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise InvalidParameter("bbox values must be finite numbers")
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise InvalidParameter("bbox is outside longitude -180..180 / latitude -90..90 (CRS84, degrees)")
    if min_lon > max_lon or min_lat > max_lat:
        raise InvalidParameter("bbox minimum exceeds maximum (boxes across the antimeridian are not supported)")
    return min_lon, min_lat, max_lon, max_lat


def _int_param(request: Request, name: str, default: int, minimum: int) -> int:
    text = _single(request, name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidParameter(f"{name} must be an integer; got {text!r}") from None
    if value < minimum:
        raise InvalidParameter(f"{name} must be at least {minimum}; got {value}")
    return value


def parse_items_query(request: Request) -> ItemsQuery:
    """Validate ``bbox``, ``limit`` (1…, clamped to 10,000 as the standard allows) and ``offset`` (≥ 0)."""
    _check_params(request, ITEMS_PARAMS)
    bbox_text = _single(request, "bbox")
    bbox = parse_bbox(bbox_text) if bbox_text is not None else None
    limit = min(_int_param(request, "limit", DEFAULT_LIMIT, 1), MAX_LIMIT)
    offset = _int_param(request, "offset", 0, 0)
    return ItemsQuery(bbox=bbox, bbox_text=bbox_text, limit=limit, offset=offset)


# ---------------------------------------------------------------- queries


def _feature_rows(
    session: Session, c: _Collection, where: ColumnElement[bool] | None, *, offset: int = 0, limit: int | None = None
) -> list[Any]:
    """Rows of (code, WKB, *properties) ordered by code."""
    stmt = c.select(c.code, c.model.geom_wkb, *(col for _, col in c.properties)).order_by(c.code)
    if where is not None:
        stmt = stmt.where(where)
    return list(session.execute(stmt.offset(offset).limit(limit)))


def _matching_codes(session: Session, c: _Collection, bbox: tuple[float, float, float, float]) -> list[str]:
    """Codes of features whose geometry intersects ``bbox``, in the database's code order.

    SQL keeps the features whose bounding box overlaps; those whose bounding box lies inside ``bbox`` intersect
    it for certain, so only the others' geometries are read and tested exactly with Shapely.
    """
    min_lon, min_lat, max_lon, max_lat = bbox
    m = c.model
    overlaps = and_(m.min_lon <= max_lon, m.max_lon >= min_lon, m.min_lat <= max_lat, m.max_lat >= min_lat)
    inside = and_(m.min_lon >= min_lon, m.max_lon <= max_lon, m.min_lat >= min_lat, m.max_lat <= max_lat)
    stmt = c.select(c.code, case((inside, null()), else_=m.geom_wkb)).where(overlaps).order_by(c.code)
    rows = session.execute(stmt).all()
    undecided = [i for i, (_, wkb) in enumerate(rows) if wkb is not None]
    keep = [True] * len(rows)
    if undecided:
        geoms = shapely.from_wkb([rows[i][1] for i in undecided])
        hits = shapely.intersects(geoms, shapely.box(*bbox))
        for i, hit in zip(undecided, hits, strict=True):
            keep[i] = bool(hit)
    return [code for (code, _), k in zip(rows, keep, strict=True) if k]


def _features(c: _Collection, rows: Sequence[Any]) -> list[dict[str, Any]]:
    geometries = shapely.to_geojson(shapely.from_wkb([row[1] for row in rows])) if rows else []
    features = []
    for row, geometry in zip(rows, geometries, strict=True):
        properties = {name: value for (name, _), value in zip(c.properties, row[2:], strict=True)}
        features.append({"type": "Feature", "id": row[0], "geometry": json.loads(geometry), "properties": properties})
    return features


def _extent(session: Session, c: _Collection) -> list[float] | None:
    m = c.model
    row = session.execute(
        select(func.min(m.min_lon), func.min(m.min_lat), func.max(m.max_lon), func.max(m.max_lat))
    ).one()
    return None if row[0] is None else [float(v) for v in row]


# ---------------------------------------------------------------- documents


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + router.prefix


def _link(href: str, rel: str, media_type: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def _collection_doc(request: Request, session: Session, c: _Collection) -> dict[str, Any]:
    url = f"{_base(request)}/collections/{c.id}"
    doc: dict[str, Any] = {"id": c.id, "title": c.title, "description": c.description}
    bbox = _extent(session, c)
    if bbox is not None:
        doc["extent"] = {"spatial": {"bbox": [bbox], "crs": CRS84}}
    doc |= {
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            _link(url, "self", JSON, "This collection"),
            _link(url + "/items", "items", GEOJSON, "Features of this collection (GeoJSON)"),
        ],
    }
    return doc


def _geojson(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), media_type=GEOJSON)


_COLLECTION_ID = Annotated[str, Path(alias="collectionId", description="admin-areas, land-grids or sea-grids")]
_F_PARAM = {
    "name": "f",
    "in": "query",
    "required": False,
    "description": "Output format; only json is offered.",
    "schema": {"type": "string", "enum": ["json"]},
}
_ITEMS_PARAMS = [
    {
        "name": "bbox",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "description": "minlon,minlat,maxlon,maxlat in CRS84 degrees; features intersecting the box.",
        "schema": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
    },
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "description": "Page size; larger values are clamped to 10000.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    },
    {
        "name": "offset",
        "in": "query",
        "required": False,
        "description": "Features to skip (the next link carries it).",
        "schema": {"type": "integer", "minimum": 0, "default": 0},
    },
    {
        "name": "datetime",
        "in": "query",
        "required": False,
        "description": "Accepted and ignored: the collections have no temporal extent.",
        "schema": {"type": "string"},
    },
    _F_PARAM,
]


# ---------------------------------------------------------------- routes


@router.get("", summary="OGC API – Features landing page", openapi_extra={"parameters": [_F_PARAM]})
def landing(request: Request) -> JSONResponse:
    """Title, description and the links a client starts from."""
    _check_params(request, F_ONLY)
    base = _base(request)
    root = str(request.base_url).rstrip("/")
    return JSONResponse(
        {
            "title": "pingan 平安 — 海陆网格 Sea–land grid registry",
            "description": "Administrative areas, land grids and sea grids of the Zhoushan grid registry "
            "(舟山海陆双网), read-only, as OGC API – Features.",
            "links": [
                _link(base, "self", JSON, "This document"),
                _link(root + "/api/openapi.json", "service-desc", OPENAPI_30, "The API definition"),
                _link(root + "/api/docs", "service-doc", "text/html", "The API documentation"),
                _link(base + "/conformance", "conformance", JSON, "Conformance classes implemented"),
                _link(base + "/collections", "data", JSON, "The feature collections"),
            ],
        }
    )


@router.get("/conformance", summary="Conformance classes", openapi_extra={"parameters": [_F_PARAM]})
def conformance(request: Request) -> JSONResponse:
    """The conformance classes this API implements."""
    _check_params(request, F_ONLY)
    return JSONResponse({"conformsTo": CONFORMANCE})


@router.get("/collections", summary="Feature collections", openapi_extra={"parameters": [_F_PARAM]})
def collections(request: Request, session: DbSession) -> JSONResponse:
    """The three collections with their extents."""
    _check_params(request, F_ONLY)
    url = _base(request) + "/collections"
    return JSONResponse(
        {
            "links": [_link(url, "self", JSON, "This document")],
            "collections": [_collection_doc(request, session, c) for c in COLLECTIONS.values()],
        }
    )


@router.get("/collections/{collectionId}", summary="One feature collection", openapi_extra={"parameters": [_F_PARAM]})
def collection(request: Request, session: DbSession, collection_id: _COLLECTION_ID) -> JSONResponse:
    """One collection's description and extent."""
    c = _collection(collection_id)
    _check_params(request, F_ONLY)
    return JSONResponse(_collection_doc(request, session, c))


@router.get(
    "/collections/{collectionId}/items",
    summary="Features of a collection (GeoJSON)",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    openapi_extra={"parameters": _ITEMS_PARAMS},
)
def items(request: Request, session: DbSession, collection_id: _COLLECTION_ID) -> Response:
    """A page of features ordered by code, optionally those intersecting ``bbox``; next/prev links page on."""
    c = _collection(collection_id)
    q = parse_items_query(request)
    if q.bbox is None:
        matched = int(session.scalar(c.select(func.count())) or 0)
        # Past the end there is nothing to read (and a huge offset would overflow the database's integer).
        rows = _feature_rows(session, c, None, offset=q.offset, limit=q.limit) if q.offset < matched else []
    else:
        codes = _matching_codes(session, c, q.bbox)
        matched = len(codes)
        page = codes[q.offset : q.offset + q.limit]
        by_code = {row[0]: row for row in _feature_rows(session, c, c.code.in_(page))} if page else {}
        rows = [by_code[code] for code in page]
    url = f"{_base(request)}/collections/{c.id}/items"

    def page_link(rel: str, offset: int) -> dict[str, str]:
        params: dict[str, str | int] = {"limit": q.limit}
        if q.bbox_text is not None:
            params["bbox"] = q.bbox_text
        if offset:
            params["offset"] = offset
        return _link(f"{url}?{urlencode(params, safe=',')}", rel, GEOJSON, f"{rel.capitalize()} page")

    self_link = _link(str(request.url), "self", GEOJSON, "This page")
    links = [self_link, _link(f"{_base(request)}/collections/{c.id}", "collection", JSON, "The collection")]
    if q.offset + len(rows) < matched:
        links.append(page_link("next", q.offset + q.limit))
    if q.offset > 0:
        links.append(page_link("prev", max(0, q.offset - q.limit)))
    return _geojson(
        {
            "type": "FeatureCollection",
            "features": _features(c, rows),
            "numberMatched": matched,
            "numberReturned": len(rows),
            "timeStamp": utcnow().isoformat(timespec="seconds").replace("+00:00", "Z"),
            "links": links,
        }
    )


@router.get(
    "/collections/{collectionId}/items/{featureId}",
    summary="One feature (GeoJSON)",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    openapi_extra={"parameters": [_F_PARAM]},
)
def item(
    request: Request,
    session: DbSession,
    collection_id: _COLLECTION_ID,
    feature_id: Annotated[str, Path(alias="featureId", description="The feature's code")],
) -> Response:
    """One feature by its code, with links to itself and its collection."""
    c = _collection(collection_id)
    _check_params(request, F_ONLY)
    found = _feature_rows(session, c, c.code == feature_id)
    if not found:
        raise NotFound(f"no feature {feature_id!r} in {c.id}", code="feature_not_found")
    feature = _features(c, found)[0]
    url = f"{_base(request)}/collections/{c.id}"
    feature["links"] = [
        _link(f"{url}/items/{quote(feature_id, safe='')}", "self", GEOJSON, "This feature"),
        _link(url, "collection", JSON, "The collection"),
    ]
    return _geojson(feature)
