"""The sign-in screen and the Team page's password form, through AppTest against real projects."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from screening.app.auth import passwords_in_use
from screening.decisions.reviewers import find_reviewer, set_password
from screening.decisions.sessions import cookie_name, reviewer_for_token
from screening.store.schema import AuditEntry, ReviewerSession, SignInAttempt
from tests.app_helpers import PASSWORD, go, make_project, open_app, page_titles, sign_in

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def test_sign_in_backs_off_after_failures_and_tells_how_long(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"ann": "reviewer", "lead": "lead"})
    at = open_app(project.path, monkeypatch)
    messages = [sign_in(at, "ann", f"guess {i}").error[0].value for i in range(3)]
    assert messages[:2] == ["Unknown reviewer or wrong password."] * 2
    assert messages[2] == "Unknown reviewer or wrong password. Wait 1 s before the next try."
    refused = sign_in(at, "ann")  # the right password, too early: not even checked
    assert refused.error[0].value.startswith("Too many failed sign-ins for this name or from this address")
    assert refused.title[0].value == "Sign in"
    with project.session() as session:
        assert session.scalar(select(func.count(SignInAttempt.id))) == 3
        assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "sign_in_failed")) == 3
        for attempt in session.scalars(select(SignInAttempt)):
            attempt.at -= timedelta(seconds=2)  # as if the reviewer had waited the second the page asked for
    assert sign_in(at, "ann").header[0].value == "Screen"


def test_a_lead_in_local_mode_cannot_lock_themselves_out(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"dana": "lead", "ann": "reviewer"}, passwords=False)
    at = open_app(project.path, monkeypatch)
    at.selectbox(key="local_name").set_value("dana")
    at.button[0].click().run()
    go(at, "Team")
    at.selectbox(key="password_reviewer").set_value("ann")
    at.text_input(key="password_value").input(PASSWORD)
    at.button[[b.label for b in at.button].index("Set password")].click().run()
    assert "give a lead a password before 'ann'" in at.error[0].value
    assert not passwords_in_use(project)  # still local mode: nobody is locked out
    at.selectbox(key="password_reviewer").set_value("dana")
    at.text_input(key="password_value").input("dana")
    at.button[[b.label for b in at.button].index("Set password")].click().run()
    assert "at least 15 characters" in at.error[0].value
    at.selectbox(key="password_reviewer").set_value("dana")
    at.text_input(key="password_value").input(PASSWORD)
    at.button[[b.label for b in at.button].index("Set password")].click().run()
    assert "Password set for dana." in at.success[0].value and passwords_in_use(project)


def _cookie_scripts(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [html.proto.body for html in at.get("html") if "document.cookie" in html.proto.body]


def test_a_sign_in_is_kept_as_a_session_cookie_that_sign_out_and_a_new_password_end(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"ann": "reviewer", "lead": "lead"})
    at = sign_in(open_app(project.path, monkeypatch), "ann")
    with project.session() as session:
        name = cookie_name(session)
        assert len(session.scalars(select(ReviewerSession)).all()) == 1
    (script,) = _cookie_scripts(at)  # the browser is told to keep the token for the session's lifetime
    token = re.search(rf"{name}=([A-Za-z0-9_-]+); Path=/; Max-Age=43200; SameSite=Strict", script).group(1)
    with project.session() as session:
        assert reviewer_for_token(session, token).name == "ann"
    assert not _cookie_scripts(go(at, "Records"))  # written once, not on every page

    at.sidebar.button(key="sign_out").click().run()
    assert at.title[0].value == "Sign in"
    assert any(f"{name}=; Path=/; Max-Age=0" in s for s in _cookie_scripts(at))  # the browser forgets it
    with project.session() as session:
        assert reviewer_for_token(session, token) is None and not session.scalars(select(ReviewerSession)).all()

    sign_in(at, "ann")
    assert at.header[0].value == "Records"  # back on the page the address names
    with project.session() as session:  # the lead sets a new password for ann elsewhere
        set_password(session, "ann", "cobalt meadow whistle", actor="lead")
    at.run()
    assert at.title[0].value == "Sign in"  # ann's open page is signed out at its next run


def test_a_role_change_applies_on_the_next_page_run(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"ann": "reviewer", "lead": "lead"})
    at = sign_in(open_app(project.path, monkeypatch), "ann")
    assert "Contested" not in page_titles(at)
    with project.session() as session:
        find_reviewer(session, "ann").role = "advisor"
    assert "Contested" in page_titles(at.run()) and at.sidebar.markdown[0].value.endswith("· advisor")
