"""How fast ``pingan demo`` answers /healthz, cold (fresh data directory) and warm (second start).

Anchor, measured in the same run: a bare uvicorn serving a one-route FastAPI app, started the same way. The
last line reads ``demo_start: cold=…s warm=…s anchor=…s warm_vs_anchor=…`` and the script exits 1 when a warm
start takes 20 s or more (the foundation issue's target).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

TARGET_WARM_S = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def time_to_healthy(cmd: list[str], env: dict[str, str], port: int, path: str = "/healthz") -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.05)
            if time.perf_counter() - start > 120:
                raise TimeoutError("no answer in 120 s")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> int:
    pingan = str(Path(sys.executable).with_name("pingan"))
    with tempfile.TemporaryDirectory() as tmp:
        base = {k: v for k, v in os.environ.items() if not k.startswith("PINGAN_")}
        env = {**base, "PINGAN_DATA_DIR": tmp, "PINGAN_ENV": "development"}
        port = free_port()
        cold = time_to_healthy([pingan, "demo", "--port", str(port)], env, port)
        warm = time_to_healthy([pingan, "demo", "--port", str(port)], env, port)
        app = Path(tmp) / "anchor_app.py"
        app.write_text(
            textwrap.dedent(
                """
                from fastapi import FastAPI
                app = FastAPI()

                @app.get("/healthz")
                def healthz():
                    return {"status": "ok"}
                """
            )
        )
        anchor_cmd = [sys.executable, "-m", "uvicorn", "--app-dir", tmp, "anchor_app:app", "--port", str(port)]
        anchor = time_to_healthy(anchor_cmd, base, port)
    print(f"demo_start: cold={cold:.2f}s warm={warm:.2f}s anchor={anchor:.2f}s warm_vs_anchor={warm / anchor:.2f}")
    return 0 if warm < TARGET_WARM_S else 1


if __name__ == "__main__":
    sys.exit(main())
