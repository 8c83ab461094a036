"""In a real browser: a record opened by its address (?record=ID, as the Records page links it) shows on
Screen and is re-decided there as a new row (issue 13 item 2)."""

from __future__ import annotations

import pytest

from screening.decisions.queries import current_decisions
from tests.app_helpers import decide, records
from tests.browser.conftest import ARTIFACTS

TIMEOUT_MS = 60_000


@pytest.mark.browser
def test_open_a_past_record_by_url_and_re_decide_it(app_url, browser_page, one_person_project):
    target = records(one_person_project).iloc[3]
    decide(one_person_project, "solo", int(target["id"]), "include")
    page = browser_page
    page.goto(f"{app_url}/?record={int(target['id'])}")
    page.get_by_text("Opened from the Records list").wait_for(timeout=TIMEOUT_MS)
    page.get_by_text(str(target["source_id"]), exact=True).first.wait_for(timeout=TIMEOUT_MS)  # its record id
    page.screenshot(path=str(ARTIFACTS / "screen_record_opened_by_url.png"), full_page=True)
    page.get_by_role("button", name="Exclude").click()
    page.wait_for_function("() => !document.body.innerText.includes('Opened from the Records list')",
                           timeout=TIMEOUT_MS)
    mine = current_decisions(one_person_project, "title_abstract").set_index("record_id")
    assert mine.loc[int(target["id"]), "decision"] == "exclude"
    assert "record=" not in page.url
    page.locator('[data-testid="stSidebar"]').get_by_text("Records", exact=True).click()
    page.get_by_role("heading", name="Records").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "page_records.png"), full_page=True)
