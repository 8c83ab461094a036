"""Serve the app with a real `streamlit run` on a free localhost port, for the browser tests and the cold-start
benchmark alike, so both measure the same server a reviewer gets from `make run`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")  # Debian's build; Playwright's own download cannot work offline
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"streamlit did not answer within {STARTUP_SECONDS}s:\n{log.read_text()}")


@contextmanager
def serve_app(app: Path, project_dir: Path, log: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`streamlit run APP -- --project DIR` on a free port, offline; yields its URL once healthy, stops it after."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
               "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--", "--project", str(project_dir)]
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=app.parent, env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
