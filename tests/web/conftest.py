"""Fixtures for page tests in a real browser: a ``pingan demo`` server and Debian's Chromium."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port, wait_healthy

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """``pingan demo`` on a free loopback port with its own data directory; yields (URL, accounts)."""
    data_dir = tmp_path_factory.mktemp("demo")
    port = free_port()
    env = {
        **os.environ,
        "PINGAN_DATA_DIR": str(data_dir),
        "PINGAN_ENV": "development",
        "PINGAN_PORT": str(port),
        "PINGAN_AIS_UDP_PORT": str(free_udp_port()),  # two demos (xdist workers) must not share the ingest port
    }
    env.pop("PINGAN_DATABASE_URL", None)
    exe = Path(sys.executable).with_name("pingan")
    proc = subprocess.Popen([str(exe), "demo"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_healthy(url, proc, timeout_s=240)  # the demo builds its whole dataset first
        accounts = json.loads((data_dir / "demo-accounts.json").read_text("utf-8"))
        yield url, accounts, data_dir
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def free_udp_port() -> int:
    """A free UDP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()
