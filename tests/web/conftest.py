"""Fixtures for page tests in a real browser: a ``pingan demo`` server and Debian's Chromium."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import free_port, wait_healthy

CHROMIUM = "/usr/bin/chromium"


@contextmanager
def running_demo(data_dir: Path) -> Iterator[tuple[str, dict[str, str], dict[str, str]]]:
    """``pingan demo`` (its seeded database, fleet simulator, alert engine and web UI) on a free loopback port with
    its own data directory and UDP ingest port; yields (URL, accounts, environment). Its output goes to
    ``demo.log`` there, whose tail a failed start shows."""
    env = {
        **os.environ,
        "PINGAN_DATA_DIR": str(data_dir),
        "PINGAN_ENV": "development",
        "PINGAN_AIS_UDP_PORT": str(free_udp_port()),  # two demos (xdist workers) must not share the ingest port
    }
    env.pop("PINGAN_DATABASE_URL", None)
    port = free_port()
    exe = Path(sys.executable).with_name("pingan")
    with (data_dir / "demo.log").open("wb") as log:
        proc = subprocess.Popen([str(exe), "demo", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/"
        try:
            try:
                wait_healthy(
                    url, proc, timeout_s=240
                )  # the demo seeds its database first (~20 s alone, more under load)
            except (RuntimeError, TimeoutError) as exc:
                tail = (data_dir / "demo.log").read_text("utf-8", "replace")[-3000:]
                pytest.fail(f"pingan demo did not come up: {exc}\n{tail}")
            yield url, json.loads((data_dir / "demo-accounts.json").read_text("utf-8")), env
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Path]]:
    """``pingan demo`` shared by the session's page tests; yields (URL, accounts, data dir)."""
    data_dir = tmp_path_factory.mktemp("demo")
    with running_demo(data_dir) as (url, accounts, _):
        yield url, accounts, data_dir


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
