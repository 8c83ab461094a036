"""Two `streamlit run` servers on one PostgreSQL project, each with reviewers deciding in a real browser.

Run by `make test-postgres` (markers postgres + browser). Checks the deployment the README describes: no
decision is lost, blind rules hold across servers (the queries enforce them, whichever server asks), resolved
decisions are visible on both, and each server's ranker picks up the other server's decisions at its next
page run.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from screening.decisions.queries import current_decisions
from screening.decisions.reviewers import add_reviewer
from screening.records.service import import_file
from screening.store.project import Project, make_engine
from screening.store.schema import Decision
from screening.store.settings import set_setting
from tests.app_helpers import PASSWORD, PROTOCOL, RECORDS_CSV
from tests.browser.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, start_app
from tests.browser.test_keyboard_screening import TIMEOUT_MS, _next_record, _settle, _shown_record

pytestmark = [pytest.mark.postgres, pytest.mark.browser]
LABELS = re.compile(r"Ranked by tfidf · (\d+) labels?")


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A throwaway PostgreSQL schema, so this test never touches the tables other postgres tests drop."""
    base = os.environ.get("SCREENING_TEST_PG_URL")
    assert base, "set SCREENING_TEST_PG_URL (make test-postgres starts a local server and sets it)"
    schema = f"two_servers_{uuid.uuid4().hex[:8]}"
    engine = make_engine(base)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def _sign_in(page, url: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.get_by_role("textbox", name="Reviewer name").fill(name)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Screen").wait_for(timeout=TIMEOUT_MS)
    _settle(page)
    _open(page, "Agreement")  # waits until this server's ranker is built
    _open(page, "Screen")


def _press(page, key: str) -> str:  # type: ignore[no-untyped-def]
    """Decide the shown record with a key; returns its source id once the next record is shown."""
    shown = _shown_record(page)
    _settle(page)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press(key)
    _next_record(page, shown)
    _settle(page)
    return shown


def _labels(page) -> int:  # type: ignore[no-untyped-def]
    caption = page.get_by_text(LABELS).first
    caption.wait_for(timeout=TIMEOUT_MS)
    return int(LABELS.search(caption.inner_text()).group(1))


def _open(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.locator('[data-testid="stSidebar"]').get_by_text(name, exact=True).click()
    page.get_by_role("heading", name=re.compile(f"^{name}")).first.wait_for(timeout=TIMEOUT_MS)
    _settle(page)


def test_two_app_servers_share_one_postgresql_project(tmp_path: Path, pg_schema_url: str) -> None:
    from playwright.sync_api import sync_playwright

    project = Project.init(tmp_path / "project", protocol=PROTOCOL, db_url=pg_schema_url)
    import_file(project, RECORDS_CSV)
    with project.session() as session:
        for name, role in (("lead", "lead"), ("ann", "reviewer"), ("bob", "reviewer")):  # a lead first
            add_reviewer(session, name, role=role, password=PASSWORD)
        set_setting(session, "required_reviewers", "2", actor="lead")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with start_app(project.path, tmp_path / "one.log") as one, start_app(project.path, tmp_path / "two.log") as two, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        ann, bob, lead = (browser.new_context(viewport={"width": 1400, "height": 1500}).new_page() for _ in range(3))
        _sign_in(ann, one, "ann")
        _sign_in(bob, two, "bob")
        ann_decided = [_press(ann, key) for key in "iee"]
        assert _labels(bob) == 0  # blind: bob's queue on the other server learns nothing from ann's work
        bob_decided = [_press(bob, key) for key in "eee"]
        # Both queues start from the same zero-shot ranking, so bob decided ann's three records: one conflict
        # (ann include, bob exclude) and two agreed excludes, which are resolved and visible on both servers.
        assert bob_decided == ann_decided
        assert _labels(bob) == 3 and _labels(ann) == 3
        _open(ann, "Agreement")
        assert ann.get_by_text("ann × bob").count() >= 1  # resolved decisions of bob, seen on server one
        ann.screenshot(path=str(ARTIFACTS / "two_servers_ann_agreement.png"), full_page=True)
        _open(ann, "Screen")

        _sign_in(lead, two, "lead")
        assert _labels(lead) == 2  # the team's model on server two: the two agreed excludes
        ann_decided += [_press(ann, key) for key in "ie"]  # on server one
        _open(lead, "Progress")
        _open(lead, "Screen")  # one page run later, server two's ranker has ann's new decisions
        assert _labels(lead) == 4
        lead.screenshot(path=str(ARTIFACTS / "two_servers_lead_screen.png"), full_page=True)
        browser.close()

    with project.session() as session:
        assert session.scalar(select(func.count(Decision.id))) == 8  # no decision lost
    bob_view = current_decisions(project, "title_abstract", viewer="bob")
    assert set(bob_view.loc[bob_view["reviewer"] == "ann", "source_id"]) == set(ann_decided[1:3])
