"""Fixtures for page tests in a real browser: a ``pingan demo`` server and Debian's Chromium."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"pingan demo exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "healthz", timeout=1) as response:  # noqa: S310 - loopback only
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("pingan demo did not answer /healthz")


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """``pingan demo`` on a free loopback port with its own data directory; yields (URL, accounts)."""
    data_dir = tmp_path_factory.mktemp("demo")
    port = _free_port()
    env = {**os.environ, "PINGAN_DATA_DIR": str(data_dir), "PINGAN_ENV": "development", "PINGAN_PORT": str(port)}
    env.pop("PINGAN_DATABASE_URL", None)
    exe = Path(sys.executable).with_name("pingan")
    proc = subprocess.Popen([str(exe), "demo"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_healthy(url, proc)
        accounts = json.loads((data_dir / "demo-accounts.json").read_text("utf-8"))
        yield url, accounts, data_dir
    finally:
        proc.terminate()
        proc.wait(timeout=20)


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
