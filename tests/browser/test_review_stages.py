"""In a real browser, on a finished review: download the PRISMA diagram, read a full text beside its record
on the Full texts page, and fill in the appraisal form. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

import pytest

from screening.appraisal.scores import current_scores
from screening.decisions.reviewers import set_password
from tests.browser.conftest import ARTIFACTS, start_app
from tests.browser.test_keyboard_screening import TIMEOUT_MS, _settle
from tests.review_helpers import TAPUPAS, complete_review

PASSWORD = "lead-password of the review"  # 15+ characters, not guessable (password_policy)


@pytest.fixture
def review_url(tmp_path):  # type: ignore[no-untyped-def]
    project, _, _ = complete_review(tmp_path / "review")
    with project.session() as session:
        set_password(session, "lead", PASSWORD, actor="lead")
    with start_app(project.path, tmp_path / "streamlit.log") as url:
        yield url, project


def _open(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.locator('[data-testid="stSidebar"]').get_by_text(name, exact=True).click()
    page.get_by_role("heading", name=re.compile(f"^{name}")).first.wait_for(timeout=TIMEOUT_MS)
    _settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0, name


@pytest.mark.browser
def test_prisma_download_full_text_and_appraisal_form(review_url, browser_page):
    url, project = review_url
    page = browser_page
    page.goto(url)
    page.get_by_label("Reviewer name").fill("lead")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Screen").wait_for(timeout=TIMEOUT_MS)

    _open(page, "Progress")
    page.get_by_text("PRISMA 2020 flow diagram (drawn from the project").wait_for(timeout=TIMEOUT_MS)
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        page.get_by_role("button", name="Download SVG").click()
    svg = ARTIFACTS / "prisma_download.svg"
    download.value.save_as(svg)
    root = ElementTree.parse(svg).getroot()  # valid XML
    text = " ".join("".join(node.itertext()) for node in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "Duplicate records (n = 13)" in text and "quality (n = 1)" in text
    page.screenshot(path=str(ARTIFACTS / "review_progress_prisma.png"), full_page=True)

    _open(page, "Full texts")
    page.get_by_text(re.compile(r"Full text: .*2 pages")).wait_for(timeout=TIMEOUT_MS)
    viewer = page.frame_locator("iframe").first if page.locator("iframe").count() else None
    page.wait_for_timeout(1500)  # the PDF viewer draws its pages
    page.screenshot(path=str(ARTIFACTS / "review_full_text.png"), full_page=True)
    page.get_by_role("tab", name="Text with concepts marked").click()
    page.locator("mark", has_text="unpaid carers").first.wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=str(ARTIFACTS / "review_full_text_marked.png"), full_page=True)
    assert viewer is None or page.locator("iframe").count() >= 1

    _open(page, "Appraisal")
    radios = page.locator('[data-testid="stForm"] [data-testid="stRadio"]')
    assert radios.count() == len(TAPUPAS)
    for index in range(len(TAPUPAS)):
        radios.nth(index).get_by_text("2 · met", exact=True).click()
    page.get_by_role("button", name="Save my scores").click()
    page.get_by_text("Scores saved: total 14 of 14").wait_for(timeout=TIMEOUT_MS)
    _settle(page)
    page.screenshot(path=str(ARTIFACTS / "review_appraisal_form.png"), full_page=True)
    lead_scores = current_scores(project, "TAPUPAS").query("appraiser == 'lead' and not is_consensus")
    assert len(lead_scores) == len(TAPUPAS) and set(lead_scores["score"]) == {2}
