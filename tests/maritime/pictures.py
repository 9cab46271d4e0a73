"""Build :class:`~pingan.maritime.rules.Picture` objects for the rule tests: every column, sensible defaults."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from pingan.maritime.rules import Picture
from pingan.maritime.tracks import EARTH_RADIUS_M

M_PER_DEG = math.pi * EARTH_RADIUS_M / 180.0

DEFAULTS: dict[str, tuple[Any, Any]] = {  # column: (default, dtype)
    "sog_kn": (math.nan, np.float64),
    "cog_deg": (math.nan, np.float64),
    "heading_deg": (math.nan, np.float64),
    "nav_status": (-1, np.int16),
    "target_class": ("vessel", "<U12"),
    "kind": ("fishing", "<U12"),
    "source": ("ais", "<U12"),
    "class_b": (True, np.bool_),
    "vessel_id": (-1, np.int64),
    "group_id": (-1, np.int64),
    "gear": ("", "<U24"),
    "in_port": (False, np.bool_),
}


def picture(now: float, key: Any, lon: Any, lat: Any, **columns: Any) -> Picture:
    """A picture of ``len(key)`` targets; any other column is a scalar (broadcast) or a sequence.

    ``observed_at`` defaults to ``now`` (fresh fixes).
    """
    keys = np.atleast_1d(np.asarray(key, dtype=np.int64))
    n = keys.size

    def col(value: Any, dtype: Any) -> Any:
        arr = np.asarray(value, dtype=dtype)
        return np.full(n, arr, dtype=dtype) if arr.ndim == 0 else arr.copy()

    unknown = set(columns) - set(DEFAULTS) - {"observed_at"}
    assert not unknown, f"unknown columns {unknown}"
    values = {name: col(columns.get(name, default), dtype) for name, (default, dtype) in DEFAULTS.items()}
    return Picture(
        now=now,
        key=keys,
        lon=col(lon, np.float64),
        lat=col(lat, np.float64),
        observed_at=col(columns.get("observed_at", now), np.float64),
        **values,
    )


def offset(lon: float, lat: float, east_m: float = 0.0, north_m: float = 0.0) -> tuple[float, float]:
    """The point ``east_m`` east and ``north_m`` north of (lon, lat), equirectangular."""
    return lon + east_m / (M_PER_DEG * math.cos(math.radians(lat))), lat + north_m / M_PER_DEG
