"""Run the examples in the pure modules' docstrings."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "pingan.maritime.typhoon",
    "pingan.maritime.engine",
    "pingan.stats",
    "pingan.maritime.distress",
    "pingan.maritime.silence",
    "pingan.maritime.groups",
    "pingan.maritime.geofence",
    "pingan.maritime.fastpath",
    "pingan.maritime.cpa",
    "pingan.maritime.nmea",
    "pingan.maritime.stream",
    "pingan.maritime.classify",
    "pingan.maritime.tracks",
    "pingan.kit.clock",
    "pingan.kit.masking",
    "pingan.auth.policy",
    "pingan.auth.scope",
    "pingan.audit.chain",
    "pingan.kit.crypto",
    "pingan.kit.idcard",
    "pingan.grids.locate",
    "pingan.grids.partition",
    "pingan.fleet.rating",
    "pingan.fleet.seasons",
    "pingan.fleet.checklists",
    "pingan.demo.people",
    "pingan.demo.sim_sea",
    "pingan.demo.sim_ais",
    "pingan.cases.workflow",
    "pingan.cases.sla",
    "pingan.cases.routing",
    "pingan.cases.kpi",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no examples"
