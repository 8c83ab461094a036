"""In a real browser: the queue takes the better ranking by itself, with no click or reload (issue 13 item 4).

The static build is held back (tests/browser/held_ranker_app.py) while TF-IDF serves and the page says
so; once released, the page re-runs itself and the static ranker orders the queue.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS, start_app
from tests.rank_helpers import static_models  # noqa: F401

TIMEOUT_MS = 60_000


@pytest.mark.browser
def test_the_queue_switches_to_the_better_ranking_without_a_reload(one_person_project, browser_page, tmp_path,
                                                                  static_models):  # noqa: F811
    page = browser_page
    release = tmp_path / "release"
    env = {"SCREENING_APP_ENCODER": "static", "SCREENING_MODEL_CACHE": str(static_models),
           "SCREENING_CACHE_DIR": str(tmp_path / "cache"), "SCREENING_TEST_RELEASE": str(release)}
    app = Path(__file__).parent / "held_ranker_app.py"
    with start_app(one_person_project.path, tmp_path / "streamlit.log", extra_env=env, app=app) as url:
        page.goto(url)
        page.get_by_text(re.compile(r"Ranked by tfidf")).wait_for(timeout=TIMEOUT_MS)
        state = page.get_by_text(re.compile(r"Static ranking ready in"))
        state.wait_for(timeout=TIMEOUT_MS)
        page.screenshot(path=str(ARTIFACTS / "screen_while_static_is_built.png"), full_page=True)
        navigations = []
        page.on("framenavigated", lambda frame: navigations.append(frame.url))
        release.touch()  # the static ranker may now be built; nobody touches the page
        page.get_by_text(re.compile(r"Ranked by static")).wait_for(timeout=3 * TIMEOUT_MS)
        assert page.get_by_text(re.compile(r"Static ranking ready in")).count() == 0
        assert navigations == []  # no reload: the page re-ran itself
        page.screenshot(path=str(ARTIFACTS / "screen_after_static_is_ready.png"), full_page=True)
