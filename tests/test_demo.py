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


def test_raw_copy_of_the_demo_database_holds_no_clear_id_or_mobile_number(demo_env) -> None:  # type: ignore[no-untyped-def]
    """S17 on the seeded demo: no registered ID number or phone appears in a raw copy of the database.

    The clear values are recovered through the real cipher; then every run of digits in the raw SQLite file (after a
    WAL checkpoint) or in a pg_dump is searched for them, so a value stored in clear is found wherever it sits.
    """
    import re
    import sqlite3
    import subprocess

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from pingan.config import Settings

    env, _ = demo_env
    url = make_url(env["PINGAN_DATABASE_URL"])
    cipher = Settings(_env_file=None, database_url=env["PINGAN_DATABASE_URL"]).field_cipher()
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id_enc, phone_enc FROM resident")).all()
        team = conn.scalars(text("SELECT phone_enc FROM grid_team_member WHERE phone_enc IS NOT NULL")).all()
    engine.dispose()
    ids = {cipher.decrypt(bytes(r[0])).encode() for r in rows}
    phones = {cipher.decrypt(bytes(r[1])).encode() for r in rows if r[1] is not None}
    phones |= {cipher.decrypt(bytes(p)).encode() for p in team}
    assert len(ids) == len(rows) > 1000 and len(phones) > 1000

    if url.get_backend_name() == "sqlite":
        path = Path(str(url.database))
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw = path.read_bytes()
    else:
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        raw = subprocess.run(["/usr/bin/pg_dump", plain], capture_output=True, check=True, timeout=120).stdout
    assert "渔港社区".encode() in raw  # the copy really holds the register
    # Ciphertexts (pg_dump writes bytea as \\x<hex>) and blind indexes (hex) are random hex: among their digit runs
    # some 11-digit window equals one of ~30,000 registered phones by chance in about one dump in four. A value
    # stored in clear stands as a number of its own, so hex is dropped and only whole digit runs are compared.
    raw = re.sub(rb"\\\\x[0-9a-f]*|(?<![0-9a-f])[0-9a-f]{32,64}(?![0-9a-f])", b" ", raw)
    leaked = [run for run in re.findall(rb"(?<![0-9.])[0-9]{11}(?![0-9])", raw) if run in phones]
    leaked += [run for run in re.findall(rb"(?<![0-9.])[0-9]{17}[0-9X](?![0-9X])", raw) if run in ids]
    assert not leaked, leaked[:5]


def test_the_demo_draws_a_channel_that_fishing_vessels_may_not_linger_in(demo_env) -> None:  # type: ignore[no-untyped-def]
    import shapely
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from pingan.db import create_db_engine
    from pingan.maritime.models import RestrictedArea

    env, _ = demo_env
    engine = create_db_engine(env["PINGAN_DATABASE_URL"])
    try:
        with Session(engine) as session:
            (area,) = session.scalars(select(RestrictedArea)).all()
            assert (area.code, area.kind, area.is_active) == ("LT-HD", "channel", True)
            assert area.rules["max_dwell_s"] == 1800.0 and area.rules["applies_to"] == ["fishing"]
            assert not area.rules["alert_on_enter"] and not area.rules["alert_on_exit"]
            assert shapely.from_wkb(area.geom_wkb).contains(shapely.Point(122.045, 30.135))  # on the route
    finally:
        engine.dispose()
