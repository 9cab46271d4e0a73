"""Where the team's shared reference and conformance data live (`../shared` beside the repository).

A clone elsewhere (a CI work directory) finds them through `PINGAN_SHARED_DIR`, or at the machine's `/work/shared`.
"""

from __future__ import annotations

import os
from pathlib import Path

_CANDIDATES = [
    os.environ.get("PINGAN_SHARED_DIR", ""),
    str(Path(__file__).resolve().parents[2] / "shared"),
    "/work/shared",
]


def shared_dir() -> Path:
    """The first candidate that holds the AIS vectors and the reference."""
    for candidate in _CANDIDATES:
        if candidate and (Path(candidate) / "vectors" / "ais").is_dir():
            return Path(candidate)
    raise FileNotFoundError(f"shared data not found in {[c for c in _CANDIDATES if c]}; set PINGAN_SHARED_DIR")


SHARED = shared_dir()
VECTORS = SHARED / "vectors" / "ais"
REFERENCE = SHARED / "reference"
