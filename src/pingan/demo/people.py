"""Fill the demo's people register: a sample by default, or the article's full numbers (370,000 / 970,000)."""

from __future__ import annotations

import math
import random
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.config import Settings
from pingan.grids.models import LandGrid
from pingan.org.models import OrgUnit
from pingan.people.models import Household, Resident
from pingan.people.seed import SeedGrid, seed_people

# (households, residents): 平安舟山 reports 370,000 households and 970,000 residents in 2,360 grids.
SCALES = {"sample": (9_440, 24_740), "full": (370_000, 970_000)}


def top_up_people(session: Session, settings: Settings, *, scale: str, now: datetime) -> dict[str, int]:
    """Add households and residents until the register holds the scale's numbers; return what was added."""
    want_households, want_residents = SCALES[scale]
    have_households = int(session.scalar(select(func.count(Household.id))) or 0)
    have_residents = int(session.scalar(select(func.count(Resident.id))) or 0)
    if have_households >= want_households:
        return {}
    rows = session.execute(
        select(
            LandGrid.id,
            LandGrid.village_unit_id,
            LandGrid.code,
            OrgUnit.name,
            LandGrid.centroid_lon,
            LandGrid.centroid_lat,
        )
        .join(OrgUnit, OrgUnit.id == LandGrid.village_unit_id)
        .order_by(LandGrid.code)
    ).all()
    if not rows:
        return {}
    grids = [SeedGrid(*row) for row in rows]
    add_households = want_households - have_households
    add_residents = max(add_households, want_residents - have_residents)
    mean_size = add_residents / add_households
    base, extra = divmod(add_households, len(grids))
    rng = random.Random(970_000 + have_households)
    sizes = iter(household_sizes(add_households, add_residents, rng))
    added: dict[str, int] = {}
    for group, per_grid in ((grids[:extra], base + 1), (grids[extra:], base)):
        if per_grid == 0 or not group:
            continue
        counts = seed_people(
            session,
            settings.field_cipher(),
            group,
            households_per_grid=per_grid,
            residents_per_household=mean_size,
            rng=rng,
            now=now,
            household_sizes=sizes,
        )
        for key, value in counts.items():
            added[key] = added.get(key, 0) + value
    return added


def household_sizes(households: int, residents: int, rng: random.Random, largest: int = 8) -> list[int]:
    """Household sizes (1..``largest``) that add up to exactly ``residents``: 1 + Poisson, then evened out.

    >>> sizes = household_sizes(1000, 2622, random.Random(1))
    >>> len(sizes), sum(sizes), min(sizes) >= 1, max(sizes) <= 8
    (1000, 2622, True, True)
    """
    if not households <= residents <= households * largest:
        raise ValueError(f"{residents} residents cannot fill {households} households of 1–{largest}")
    mean_extra = residents / households - 1
    sizes = []
    for _ in range(households):
        limit, k, p = math.exp(-mean_extra), 0, 1.0
        while True:  # Knuth's Poisson sampler; household sizes have small means
            p *= rng.random()
            if p <= limit:
                break
            k += 1
        sizes.append(min(largest, 1 + k))
    gap = residents - sum(sizes)
    step = 1 if gap > 0 else -1
    while gap:
        i = rng.randrange(households)
        if 1 <= sizes[i] + step <= largest:
            sizes[i] += step
            gap -= step
    return sizes
