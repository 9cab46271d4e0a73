"""Duplicate candidates (并单): same category, within the category's radius and window, ranked by text similarity."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz
from sqlalchemy.orm import Session

from pingan.cases.models import Case
from pingan.cases.repository import nearby_open_cases, window_start


@dataclass(frozen=True)
class Duplicate:
    """An open case that may be the same matter."""

    case: Case
    distance_m: float
    similarity: float  # 0–100 (text)
    score: float  # rank: similarity weighted by nearness


def _distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dphi = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(a)))


def find_duplicates(session: Session, case: Case, *, now: datetime, limit: int = 5) -> list[Duplicate]:
    """Open cases of the same category within the category's radius and window, ranked by text similarity."""
    if case.lon is None or case.lat is None:
        return []
    cat = case.category
    found: list[Duplicate] = []
    for other in nearby_open_cases(
        session,
        category_id=cat.id,
        lon=case.lon,
        lat=case.lat,
        radius_m=cat.duplicate_radius_m,
        since=window_start(now, cat.duplicate_window_h),
        exclude_id=case.id,
    ):
        if other.lon is None or other.lat is None:
            continue
        d = _distance_m(case.lon, case.lat, other.lon, other.lat)
        if d > cat.duplicate_radius_m:
            continue
        sim = float(fuzz.token_set_ratio(_chars(case.description), _chars(other.description)))
        score = sim * (1.0 - 0.5 * d / cat.duplicate_radius_m)
        found.append(Duplicate(other, round(d, 1), round(sim, 1), round(score, 1)))
    found.sort(key=lambda x: (-x.score, x.distance_m))
    return found[:limit]


def _chars(text: str) -> str:
    """Chinese text as space-separated characters (and Latin words), so token-set similarity works on it."""
    out: list[str] = []
    word = ""
    for ch in text.lower():
        if ch.isascii() and ch.isalnum():
            word += ch
            continue
        if word:
            out.append(word)
            word = ""
        if not ch.isspace() and ch.isalnum():
            out.append(ch)
    if word:
        out.append(word)
    return " ".join(out)
