"""In a real browser: hammer the sign-in form with wrong passwords; the backoff refuses most of them unchecked,
the right password is refused while the wait lasts, and accepted once it has passed."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from screening.store.schema import SignInAttempt
from tests.app_helpers import PASSWORD, make_project
from tests.browser.conftest import ARTIFACTS, start_app
from tests.browser.test_keyboard_screening import TIMEOUT_MS, _settle

WAIT = re.compile(r"(?:Wait|try again in) (\d+) s")
HAMMER_SECONDS = 30  # bound: the sixth checked failure comes after about 7 s of waits


@pytest.fixture
def team_project(tmp_path):  # type: ignore[no-untyped-def]
    return make_project(tmp_path / "team", {"lead": "lead", "ann": "reviewer"})


@pytest.fixture
def team_url(team_project, tmp_path):  # type: ignore[no-untyped-def]
    with start_app(team_project.path, tmp_path / "streamlit.log") as url:
        yield url


def _submit(page, password: str) -> str:  # type: ignore[no-untyped-def]
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    _settle(page)
    alert = page.locator('[data-testid="stAlert"]')
    return alert.first.inner_text() if alert.count() else ""


@pytest.mark.browser
def test_wrong_passwords_back_off_and_the_right_one_waits_its_turn(team_url, browser_page, team_project):
    page = browser_page
    page.goto(team_url)
    page.get_by_role("heading", name="Sign in").wait_for(timeout=TIMEOUT_MS)
    page.get_by_label("Reviewer name").fill("ann")

    submitted, message, deadline = 0, "", time.monotonic() + HAMMER_SECONDS
    while "Wait 8 s" not in message and time.monotonic() < deadline:  # as fast as the page answers
        message = _submit(page, f"wrong guess {submitted}")
        submitted += 1
    assert "Unknown reviewer or wrong password. Wait 8 s before the next try." in message
    with team_project.session() as session:
        checked = session.scalars(select(SignInAttempt.succeeded)).all()
    assert checked == [False] * 6 and submitted > len(checked)  # the others were refused unchecked

    refused = _submit(page, PASSWORD)  # the right password, within the 8 s
    assert refused.startswith("Too many failed sign-ins for this name or from this address: try again in")
    assert page.get_by_role("heading", name="Sign in").count() == 1
    page.screenshot(path=str(ARTIFACTS / "sign_in_throttled.png"), full_page=True)

    time.sleep(int(WAIT.search(refused).group(1)) + 0.5)
    _submit(page, PASSWORD)
    page.get_by_role("heading", name="Screen").wait_for(timeout=TIMEOUT_MS)
    with team_project.session() as session:
        assert session.scalars(select(SignInAttempt.succeeded)).all() == [False] * 6 + [True]
    print(f"{submitted} wrong passwords submitted, {len(checked)} checked; right one refused, then accepted")
