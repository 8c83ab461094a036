"""In a real browser: screen 10 records with the keyboard only, then visit and photograph every page."""

from __future__ import annotations

import re

import pytest

from screening.decisions.queries import current_decisions
from tests.browser.conftest import ARTIFACTS

RECORD = re.compile(r"· record\s+(\S+)")
PAGES = ["Screen", "Contested", "Agreement", "Progress", "Project", "Team"]
KEYS = ["i", "e", "e", "m", "e", "i", "e", "e", "e", "i"]
TIMEOUT_MS = 60_000


def _shown_record(page) -> str:  # type: ignore[no-untyped-def]
    caption = page.get_by_text(RECORD).first
    caption.wait_for(timeout=TIMEOUT_MS)
    return RECORD.search(caption.inner_text()).group(1)


def _next_record(page, previous: str) -> str:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "prev => { const t = document.body.innerText.match(/· record\\s+(\\S+)/); return t && t[1] !== prev; }",
        arg=previous, timeout=TIMEOUT_MS)
    return _shown_record(page)


def _settle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit finished the current run and no stale element from the last page remains."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.dataset.testScriptState === "notRunning"
                && !document.querySelector('[data-stale="true"]');
        }""", timeout=TIMEOUT_MS)
    page.wait_for_timeout(500)  # charts draw after the run


@pytest.mark.browser
def test_screen_ten_records_with_the_keyboard(app_url, browser_page, one_person_project):
    page = browser_page
    page.goto(app_url)
    page.get_by_role("heading", name="Screen").wait_for(timeout=TIMEOUT_MS)
    shown = _shown_record(page)
    page.screenshot(path=str(ARTIFACTS / "screen_first_record.png"), full_page=True)

    decided: dict[str, str] = {}
    for key in KEYS:
        _settle(page)  # a key pressed while a run is in flight could be lost
        page.evaluate("document.activeElement && document.activeElement.blur()")  # keys go to the page
        page.keyboard.press(key)
        decided[shown] = {"i": "include", "e": "exclude", "m": "maybe"}[key]
        shown = _next_record(page, shown)
    _settle(page)

    stored = current_decisions(one_person_project, "title_abstract", viewer="solo")
    assert dict(zip(stored["source_id"], stored["decision"], strict=True)) == decided
    assert page.get_by_text("Screened 10 of 40").count() == 1

    _settle(page)
    page.keyboard.press("u")  # undo the last decision: its record comes back
    last = list(decided)[-1]
    assert _next_record(page, shown) == last
    _settle(page)
    assert len(current_decisions(one_person_project, "title_abstract", viewer="solo")) == 9

    for name in PAGES:
        page.locator('[data-testid="stSidebar"]').get_by_text(name, exact=True).click()
        page.get_by_role("heading", name=re.compile(f"^{name}")).first.wait_for(timeout=TIMEOUT_MS)
        _settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0, name
        page.screenshot(path=str(ARTIFACTS / f"page_{name.lower()}.png"), full_page=True)
