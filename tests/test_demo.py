"""``pingan demo`` builds the whole demo registry on both databases, and the grid commands work on it."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, new_database_url, run_cli


@pytest.fixture(scope="module", params=BACKENDS)
def demo_env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    directory = tmp_path_factory.mktemp(f"demo-{request.param}")
    url, drop = new_database_url(request.param, directory)
    env = {"PINGAN_DATABASE_URL": url, "PINGAN_DATA_DIR": str(directory / "data")}
    built = run_cli("demo", "--no-serve", env=env, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    yield env, built.stdout
    drop()


def test_demo_builds_the_registry(demo_env) -> None:  # type: ignore[no-untyped-def]
    env, output = demo_env
    assert "demo data ready in" in output
    stats = json.loads(run_cli("stats", "--json", env=env).stdout)
    assert stats["land_grids"] == 2360
    assert (stats["sea_grids_static"], stats["sea_grids_control"], stats["sea_grids_patrol"]) == (15, 12, 3)
    assert stats["admin_areas"] == 1 + 4 + 43 + 390
    assert stats["households"] > 0 and stats["residents"] > stats["households"]
    again = run_cli("demo", "--no-serve", env=env, timeout=300)
    assert again.returncode == 0
    assert json.loads(run_cli("stats", "--json", env=env).stdout)["land_grids"] == 2360  # reused, not rebuilt


def test_grids_check_finds_no_gap_or_overlap(demo_env) -> None:  # type: ignore[no-untyped-def]
    env, _ = demo_env
    checked = run_cli("grids", "check", env=env)
    assert checked.returncode == 0, checked.stderr
    assert "390 villages checked: no gap, no overlap" in checked.stdout


@pytest.mark.parametrize(
    ("lon", "lat", "where"),
    [
        (122.30, 29.95, "land"),
        (122.60, 30.30, "sea"),
        (121.76, 29.80, "land_outside_grids"),
        (120.0, 29.0, "outside_area"),
    ],
)
def test_grids_locate(demo_env, lon: float, lat: float, where: str) -> None:  # type: ignore[no-untyped-def]
    env, _ = demo_env
    found = json.loads(run_cli("grids", "locate", str(lon), str(lat), env=env).stdout)
    assert found["where"] == where
    if where == "sea":
        assert found["sea_static"].startswith("ZS-S") and found["sea_control"].startswith("ZS-C")
        assert found["sea_patrol"].startswith("ZS-P")


def test_overlapping_import_is_refused_by_the_cli_and_stores_nothing(demo_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env, _ = demo_env
    exported = json.loads(run_cli("grids", "export", "--layer", "land-grids", env=env).stdout)
    village = [f for f in exported["features"] if f["properties"]["village_code"] == "330903001001"]
    assert len(village) >= 2
    first, second = copy.deepcopy(village[0]), copy.deepcopy(village[1])
    second["geometry"] = first["geometry"]  # the second grid now lies on top of the first
    path = tmp_path / "overlap.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [first, second]}), "utf-8")
    refused = run_cli("grids", "import", str(path), "--layer", "land-grids", env=env)
    assert refused.returncode == 2
    assert "nothing stored" in refused.stderr
    codes = (first["properties"]["code"], second["properties"]["code"])
    assert any(codes[0] in line and codes[1] in line and "overlap" in line for line in refused.stderr.splitlines())
    after = json.loads(run_cli("grids", "export", "--layer", "land-grids", env=env).stdout)
    assert after == exported
    assert run_cli("grids", "check", env=env).returncode == 0


def test_bad_import_file_gets_a_message(demo_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env, _ = demo_env
    path = tmp_path / "broken.geojson"
    path.write_text("{not json", "utf-8")
    result = run_cli("grids", "import", str(path), "--layer", "land-grids", env=env)
    assert result.returncode != 0 and "not readable GeoJSON" in result.stderr
