"""In a real browser: two export clicks within a second both download the file (issue 13 item 9).

Before, a click re-ran the page, which dropped the deferred file the first click had registered, and the
second click downloaded nothing (MediaFileStorageError: Deferred file ... not found, in the server log).
"""

from __future__ import annotations

import pytest

from tests.app_helpers import decide, records
from tests.browser.conftest import ARTIFACTS, start_app

TIMEOUT_MS = 60_000


@pytest.mark.browser
def test_two_quick_export_clicks_both_download(one_person_project, browser_page, tmp_path):
    for record_id, decision in zip(records(one_person_project)["id"][:3], ["include", "exclude", "maybe"],
                                   strict=True):
        decide(one_person_project, "solo", int(record_id), decision)
    log = tmp_path / "streamlit.log"
    page = browser_page
    with start_app(one_person_project.path, log) as url:
        page.goto(url)
        page.get_by_role("heading", name="Screen").wait_for(timeout=TIMEOUT_MS)
        page.locator('[data-testid="stSidebar"]').get_by_text("Progress", exact=True).click()
        button = page.get_by_role("button", name="CSV (all decisions)")
        button.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_timeout(1000)
        sizes = []
        for _ in range(2):
            with page.expect_download(timeout=TIMEOUT_MS) as download:
                button.click()
            path = download.value.path()
            sizes.append(path.stat().st_size if path else 0)
            page.wait_for_timeout(300)  # the second click within a second of the first
        page.screenshot(path=str(ARTIFACTS / "progress_after_two_exports.png"), full_page=True)
    assert all(size > 1000 for size in sizes), sizes
    assert "MediaFileStorageError" not in log.read_text() and "not found" not in log.read_text()
