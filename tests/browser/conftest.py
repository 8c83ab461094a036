"""A real `streamlit run app.py` on a free localhost port and Debian's Chromium driven by Playwright."""

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

import pytest

from tests.app_helpers import APP, make_project

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
ARTIFACTS = Path(__file__).parents[1] / "artifacts"
STARTUP_SECONDS = 120


def _free_port() -> int:
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


@pytest.fixture
def one_person_project(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A one-person review (a lead without password: no login) of the 40 fixture records."""
    return make_project(tmp_path / "project", {"solo": "lead"}, passwords=False)


@contextmanager
def start_app(project_dir: Path, log: Path, extra_env: dict[str, str] | None = None,
              app: Path = APP) -> Iterator[str]:
    """`streamlit run app.py` on a free localhost port against `project_dir`; yields its URL, stops it after."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SCREENING_APP_ENCODER": "tfidf", "HF_HUB_OFFLINE": "1", **(extra_env or {})}
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
               "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--", "--project", str(project_dir)]
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=APP.parent, env=env, stdout=out, stderr=subprocess.STDOUT)
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


@pytest.fixture
def app_url(one_person_project, tmp_path: Path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with start_app(one_person_project.path, tmp_path / "streamlit.log") as url:
        yield url


@pytest.fixture
def browser_page():  # type: ignore[no-untyped-def]
    """A Chromium page; fails (never skips) when Chromium is missing: CI installs it with apt."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1700})
        try:
            yield page
        finally:
            browser.close()
