"""In a real browser: a reviewer tags a record and sets their own include / exclude words, which are marked in
the record in their colours beside the concept terms, kept after a reload, and readable in the dark theme
(issue 13 item 3)."""

from __future__ import annotations

import pytest

from screening.decisions.tags import keywords, own_tags
from tests.app_helpers import records
from tests.browser.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.browser.test_keyboard_screening import TIMEOUT_MS, _settle, _shown_record

INCLUDE_MARK = 'mark[title="your include word"]'
EXCLUDE_MARK = 'mark[title="your exclude word"]'


def _words(page, kind: str, words: str) -> None:  # type: ignore[no-untyped-def]
    box = page.get_by_role("textbox", name=f"Words that suggest {kind} (comma-separated)")
    box.fill(words)
    box.press("Enter")
    _settle(page)


@pytest.mark.browser
def test_tags_and_personal_highlight_words_in_the_browser(app_url, one_person_project) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(app_url)
        page.get_by_role("heading", name="Screen").wait_for(timeout=TIMEOUT_MS)
        source_id = _shown_record(page)
        frame = records(one_person_project).set_index("source_id")
        record_id = int(frame.loc[source_id, "id"])
        abstract = str(frame.loc[source_id, "abstract"])
        include_word = next(w for w in abstract.split() if w.isalpha() and len(w) > 6)
        exclude_word = next(w for w in abstract.split() if w.isalpha() and len(w) > 5 and w != include_word)

        tags = page.get_by_role("combobox").filter(has_text="Add a tag").or_(page.get_by_placeholder("Add a tag"))
        tags.first.click()
        page.keyboard.type("check methods")
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        _settle(page)
        assert own_tags(one_person_project, "solo", record_id) == ["check methods"]

        page.get_by_text("Your highlight words").click()
        _words(page, "include", include_word)
        _words(page, "exclude", exclude_word)
        assert keywords(one_person_project, "solo") == {"include": [include_word], "exclude": [exclude_word]}
        page.locator(INCLUDE_MARK).first.wait_for(timeout=TIMEOUT_MS)
        assert page.locator(INCLUDE_MARK).first.inner_text().lower() == include_word.lower()
        assert page.locator(EXCLUDE_MARK).first.inner_text().lower() == exclude_word.lower()
        colours = page.locator(INCLUDE_MARK).first.evaluate("m => getComputedStyle(m).backgroundColor")
        assert colours == "rgb(127, 212, 143)"  # green, #7fd48f
        page.screenshot(path=str(ARTIFACTS / "screen_tags_and_highlights.png"), full_page=True)

        # Both are stored, not kept in the page: a fresh load of the record (by its address, as the queue may
        # have re-ranked meanwhile) shows them again.
        page.goto(f"{app_url}/?record={record_id}")
        page.locator(EXCLUDE_MARK).first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_text("check methods").first.wait_for(timeout=TIMEOUT_MS)  # the tag in its widget

        dark = browser.new_context(color_scheme="dark", viewport={"width": 1400, "height": 1600}).new_page()
        dark.goto(f"{app_url}/?record={record_id}")
        dark.locator(INCLUDE_MARK).first.wait_for(timeout=TIMEOUT_MS)
        _settle(dark)
        background = dark.locator('[data-testid="stApp"]').evaluate("a => getComputedStyle(a).backgroundColor")
        text = dark.locator(INCLUDE_MARK).first.evaluate("m => getComputedStyle(m).color")
        assert background != "rgb(255, 255, 255)"  # Streamlit follows the browser's dark setting
        assert text == "rgb(26, 26, 26)"  # dark text on the pastel mark, readable on a dark page
        dark.screenshot(path=str(ARTIFACTS / "screen_dark_theme.png"), full_page=True)
        browser.close()
