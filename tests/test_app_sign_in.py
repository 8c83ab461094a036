"""The sign-in screen and the Team page's password form, through AppTest against real projects."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from screening.app.auth import passwords_in_use
from screening.store.schema import AuditEntry, SignInAttempt
from tests.app_helpers import PASSWORD, go, make_project, open_app, sign_in

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
