"""In a real browser: the lead reads the stopping estimate, draws the random check, and its records come next."""

from __future__ import annotations

import re

import pytest

from screening.decisions.stopping_samples import samples
from tests.app_helpers import decide, records
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_keyboard_screening import TIMEOUT_MS, _settle, _shown_record


@pytest.mark.browser
def test_lead_draws_the_random_check_and_its_records_are_served_next(one_person_project, tmp_path, browser_page):
    from tests.browser.conftest import start_app

    project = one_person_project
    for record_id in records(project)["id"].tolist()[:20]:
        decide(project, "solo", int(record_id), "include", stage="title_abstract")
    page = browser_page
    with start_app(project.path, tmp_path / "streamlit.log") as url:
        page.goto(url)
        page.get_by_role("heading", name="Screen").wait_for(timeout=TIMEOUT_MS)
        page.locator('[data-testid="stSidebar"]').get_by_text("Progress", exact=True).click()
        page.get_by_role("heading", name=re.compile("^Progress")).first.wait_for(timeout=TIMEOUT_MS)
        _settle(page)
        assert page.get_by_text("Recall so far (est.)").count() == 1
        assert page.get_by_text("likely includes left").count() == 0
        page.screenshot(path=str(ARTIFACTS / "stopping_progress_before_draw.png"), full_page=True)
        page.get_by_role("button", name=re.compile("^Draw the random check")).click()
        page.get_by_text(re.compile("now come first in every reviewer's queue")).wait_for(timeout=TIMEOUT_MS)
        _settle(page)
        page.screenshot(path=str(ARTIFACTS / "stopping_progress_after_draw.png"), full_page=True)
        drawn = samples(project)[0]
        drawn_sources = set(records(project).set_index("id").loc[list(drawn.record_ids), "source_id"])
        page.locator('[data-testid="stSidebar"]').get_by_text("Screen", exact=True).click()
        page.get_by_role("heading", name="Screen").wait_for(timeout=TIMEOUT_MS)
        _settle(page)
        assert _shown_record(page) in drawn_sources
        page.screenshot(path=str(ARTIFACTS / "stopping_screen_drawn_record.png"), full_page=True)
