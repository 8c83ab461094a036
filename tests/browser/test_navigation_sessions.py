"""In a real browser: every page has its own address, a reload or a typed address keeps the reviewer signed in
(the session cookie), back goes to the page before, a record opens on Screen from the Records list by its
address, and signing out ends it (issue 13 item 1). Saves a screenshot of every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from screening.app.main import url_path
from tests.app_helpers import PASSWORD, make_project, records
from tests.browser.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, start_app
from tests.browser.test_keyboard_screening import TIMEOUT_MS, _settle

LEAD_PAGES = ["Screen", "Records", "Contested", "Full texts", "Advisory", "Appraisal", "Extraction", "Agreement",
              "Progress", "Project", "Team"]


def _heading(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("heading", name=re.compile(f"^{name}")).first.wait_for(timeout=TIMEOUT_MS)
    _settle(page)


def _sign_in(page, url: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.get_by_role("textbox", name="Reviewer name").fill(name)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    _heading(page, "Screen")


def _signed_out(page) -> bool:  # type: ignore[no-untyped-def]
    return page.get_by_role("heading", name="Sign in").count() > 0


@pytest.mark.browser
def test_pages_have_addresses_and_a_reload_keeps_the_reviewer_signed_in(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    project = make_project(tmp_path / "project", {"lead": "lead", "ann": "reviewer"})
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with start_app(project.path, tmp_path / "app.log") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1500}).new_page()
        _sign_in(page, url, "lead")
        for title in LEAD_PAGES:  # every page by its address, each a fresh load: the cookie signs in
            page.goto(f"{url}/{url_path(title)}" if title != "Screen" else url)
            _heading(page, title)
            assert not _signed_out(page), title
            page.screenshot(path=str(ARTIFACTS / f"page_{url_path(title)}.png"), full_page=True)

        page.locator('[data-testid="stSidebar"]').get_by_text("Agreement", exact=True).click()
        _heading(page, "Agreement")
        assert page.url.endswith("/agreement")
        page.reload()
        _heading(page, "Agreement")
        assert not _signed_out(page)
        page.go_back()  # the page before, by the browser's history
        _heading(page, "Team")

        page.goto(f"{url}/records")
        _heading(page, "Records")
        page.get_by_role("button", name="Open on Screen").click()
        page.get_by_text("Opened from the Records list").wait_for(timeout=TIMEOUT_MS)
        assert re.search(r"\?record=\d+$", page.url), page.url
        opened = page.url
        frame = records(project).set_index("id")
        source_id = str(frame.loc[int(opened.rsplit("=", 1)[1]), "source_id"])
        page.reload()  # the record's address survives a reload too
        page.get_by_text("Opened from the Records list").wait_for(timeout=TIMEOUT_MS)
        assert page.url == opened and page.get_by_text(source_id).count() >= 1

        other = browser.new_context().new_page()  # another browser: no cookie, so the sign-in screen
        other.goto(f"{url}/agreement")
        other.get_by_role("heading", name="Sign in").wait_for(timeout=TIMEOUT_MS)

        page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Sign out").click()
        page.get_by_role("heading", name="Sign in").wait_for(timeout=TIMEOUT_MS)
        page.reload()
        page.get_by_role("heading", name="Sign in").wait_for(timeout=TIMEOUT_MS)
        page.screenshot(path=str(ARTIFACTS / "page_sign_in.png"), full_page=True)
        browser.close()
