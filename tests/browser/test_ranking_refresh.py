"""In a real browser: the queue takes the better ranking by itself, with no click or reload (issue 13 item 4).

The static model is not built beforehand (an empty model folder), so it is distilled in the background
while TF-IDF serves: the page says so and re-runs itself once the static ranker is ready.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS, start_app

TIMEOUT_MS = 60_000


@pytest.mark.browser
def test_the_queue_switches_to_the_better_ranking_without_a_reload(one_person_project, browser_page, tmp_path):
    page = browser_page
    env = {"SCREENING_APP_ENCODER": "static", "SCREENING_MODEL_CACHE": str(tmp_path / "models"),
           "SCREENING_CACHE_DIR": str(tmp_path / "cache")}
    with start_app(one_person_project.path, tmp_path / "streamlit.log", extra_env=env) as url:
        page.goto(url)
        page.get_by_text(re.compile(r"Ranked by tfidf")).wait_for(timeout=TIMEOUT_MS)
        state = page.get_by_text(re.compile(r"Ranking by tfidf; static ready in"))
        state.wait_for(timeout=TIMEOUT_MS)
        page.screenshot(path=str(ARTIFACTS / "screen_while_static_is_built.png"), full_page=True)
        navigations = []
        page.on("framenavigated", lambda frame: navigations.append(frame.url))
        page.get_by_text(re.compile(r"Ranked by static")).wait_for(timeout=5 * TIMEOUT_MS)
        assert page.get_by_text(re.compile(r"static ready in")).count() == 0
        assert navigations == []  # no reload: the page re-ran itself
        page.screenshot(path=str(ARTIFACTS / "screen_after_static_is_ready.png"), full_page=True)
