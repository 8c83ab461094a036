"""A real `streamlit run app.py` on a free localhost port and Debian's Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from screening.app.launch import CHROMIUM, CHROMIUM_ARGS, serve_app
from tests.app_helpers import APP, make_project

__all__ = ["ARTIFACTS", "CHROMIUM", "CHROMIUM_ARGS", "start_app"]
ARTIFACTS = Path(__file__).parents[1] / "artifacts"


@pytest.fixture
def one_person_project(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A one-person review (a lead without password: no login) of the 40 fixture records."""
    return make_project(tmp_path / "project", {"solo": "lead"}, passwords=False)


def start_app(project_dir: Path, log: Path, extra_env: dict[str, str] | None = None,
              app: Path = APP) -> AbstractContextManager[str]:
    """The app on a free port against `project_dir`, ranking by TF-IDF unless `extra_env` says otherwise."""
    return serve_app(app, project_dir, log, {"SCREENING_APP_ENCODER": "tfidf", **(extra_env or {})})


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
