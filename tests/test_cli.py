"""The ``pingan`` command line, run as an operator runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, new_database_url, run_cli

COMMANDS = [
    [],
    ["demo"],
    ["serve"],
    ["db"],
    ["db", "upgrade"],
    ["db", "check"],
    ["user"],
    ["user", "create"],
    ["user", "list"],
    ["user", "set-roles"],
    ["user", "unlock"],
    ["user", "reset-password"],
    ["audit"],
    ["audit", "verify"],
    ["stats"],
    ["version"],
    ["org"],
    ["org", "add"],
    ["grids"],
    ["grids", "import"],
    ["grids", "export"],
    ["grids", "check"],
    ["grids", "locate"],
    ["people"],
    ["people", "import"],
    ["people", "rotate-key"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "pingan")
def test_every_command_explains_itself(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: pingan" in result.stdout
    # The first line of the description is one sentence ending in a full stop.
    description = result.stdout.split("\n\n")[1].strip()
    assert description and "\n" not in description.splitlines()[0] and description.endswith(".")


def test_command_list_has_one_line_each() -> None:
    listing = run_cli("--help").stdout.split("Commands:")[1]
    names = [line.split()[0] for line in listing.strip().splitlines()]
    assert {"demo", "serve", "db", "user", "audit", "stats", "version"} <= set(names)


@pytest.fixture(params=BACKENDS)
def operator_env(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    url, drop = new_database_url(request.param, tmp_path)
    env = {"PINGAN_DATABASE_URL": url, "PINGAN_DATA_DIR": str(tmp_path / "data")}
    assert run_cli("db", "upgrade", env=env).returncode == 0
    assert run_cli("org", "add", "330900", "舟山市", "--kind", "city", env=env).returncode == 0
    assert (
        run_cli("org", "add", "330903", "普陀区", "--kind", "district", "--parent", "330900", env=env).returncode == 0
    )
    yield env
    drop()


def test_operator_workflow(operator_env: dict[str, str]) -> None:
    env = operator_env
    created = run_cli("user", "create", "putuo_sec", "--unit", "330903", "--role", "security_admin", env=env)
    assert created.returncode == 0, created.stderr
    assert "must be changed" in created.stdout
    listed = json.loads(run_cli("user", "list", "--json", env=env).stdout)
    assert listed == [
        {
            "username": "putuo_sec",
            "name": "putuo_sec",
            "unit": "330903",
            "roles": ["security_admin"],
            "locked": False,
            "active": True,
            "must_change_password": True,
        }
    ]
    clash = run_cli("user", "set-roles", "putuo_sec", "security_admin", "audit_admin", env=env)
    assert clash.returncode == 2
    assert "三权分立" in clash.stderr and "Traceback" not in clash.stderr
    assert run_cli("user", "set-roles", "putuo_sec", "commander", env=env).returncode == 0
    assert run_cli("user", "unlock", "putuo_sec", env=env).returncode == 0
    weak = run_cli("user", "reset-password", "putuo_sec", "--password", "12345678", env=env)
    assert weak.returncode == 2 and "common" in weak.stderr
    assert run_cli("user", "reset-password", "putuo_sec", env=env).returncode == 0
    missing = run_cli("user", "unlock", "nobody", env=env)
    assert missing.returncode == 2 and "no account" in missing.stderr
    stats = json.loads(run_cli("stats", "--json", env=env).stdout)
    assert stats["users"] == 1 and stats["org_units"] == 2 and stats["roles"] == 9
    assert stats["audit_rows"] >= 7
    verified = run_cli("audit", "verify", env=env)
    assert verified.returncode == 0 and f"{stats['audit_rows']} rows" in verified.stdout


def test_bad_input_gets_a_message_and_non_zero_exit(operator_env: dict[str, str]) -> None:
    env = operator_env
    cases = [
        (["user", "create", "Bad Name", "--unit", "330903"], "username"),
        (["user", "create", "admin", "--unit", "330903"], "reserved"),
        (["user", "create", "ok_name", "--unit", "999"], "not found"),
        (["user", "create", "ok_name2", "--unit", "330903", "--role", "wizard"], "unknown roles"),
        (["org", "add", "330900", "重复", "--kind", "city"], "exists"),
        (["org", "add", "330999", "孤儿", "--kind", "district", "--parent", "nope"], "not found"),
    ]
    for args, words in cases:
        result = run_cli(*args, env=env)
        assert result.returncode != 0, args
        assert words in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    # Nothing half-done was stored.
    assert json.loads(run_cli("user", "list", "--json", env=env).stdout) == []


def test_version() -> None:
    from pingan import __version__

    assert run_cli("version").stdout.strip() == __version__


def test_demo_says_clearly_when_the_port_is_taken(tmp_path: Path) -> None:
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_cli("demo", "--port", str(port), env={"PINGAN_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
