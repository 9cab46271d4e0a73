"""The pure core stays pure: no web framework, no ORM, no database module, no clock reads."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pingan

PACKAGE = Path(pingan.__file__).parent
PURE_MODULES = [
    "kit/clock.py",
    "kit/masking.py",
    "auth/policy.py",
    "auth/lockout.py",
    "auth/scope.py",
    "audit/chain.py",
    "kit/idcard.py",
    "kit/crypto.py",
    "grids/locate.py",
    "grids/partition.py",
    "fleet/rating.py",
    "fleet/seasons.py",
    "fleet/checklists.py",
    "cases/workflow.py",
    "cases/sla.py",
    "cases/catalog.py",
    "cases/routing.py",
    "cases/kpi.py",
    "maritime/nmea.py",
    "maritime/classify.py",
    "maritime/tracks.py",
    "maritime/reports.py",
    "maritime/gpsd.py",
    "maritime/gpsd_bits.py",
    "maritime/gpsd_messages.py",
    "maritime/gpsd_asm.py",
    "maritime/fastpath.py",
    "maritime/rules.py",
    "maritime/cpa.py",
    "maritime/fastpath_static.py",
    "maritime/fastpath_tags.py",
    "maritime/geofence.py",
    "maritime/groups.py",
    "maritime/silence.py",
    "maritime/portcalls.py",
    "maritime/distress.py",
    "maritime/typhoon.py",
    "demo/simulator.py",
    "demo/sim_sea.py",
    "demo/sim_state.py",
    "demo/sim_ais.py",
    "demo/sim_fleet.py",
    "demo/sim_traffic.py",
    "demo/sim_scenarios.py",
]
FORBIDDEN_IMPORTS = ("fastapi", "starlette", "sqlalchemy", "pingan.db", "pingan.config", "pingan.deps")
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic"}


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_module_imports_no_framework_or_database(module: str) -> None:
    tree = ast.parse((PACKAGE / module).read_text("utf-8"))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert not name.startswith(FORBIDDEN_IMPORTS), f"{module} imports {name}"


@pytest.mark.parametrize("module", [m for m in PURE_MODULES if m != "kit/clock.py"])
def test_pure_module_never_reads_the_clock(module: str) -> None:
    tree = ast.parse((PACKAGE / module).read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in CLOCK_CALLS, f"{module} calls .{node.func.attr}()"


def test_only_config_reads_the_environment() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.name == "config.py":
            continue
        text = path.read_text("utf-8")
        assert "os.environ" not in text and "getenv(" not in text, path


def test_services_never_commit() -> None:
    for path in PACKAGE.rglob("service.py"):
        assert ".commit()" not in path.read_text("utf-8"), path


def test_no_create_all() -> None:
    for path in PACKAGE.rglob("*.py"):
        assert "create_all(" not in path.read_text("utf-8"), path
