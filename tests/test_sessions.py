"""Sessions that survive a reload: a token opens its reviewer's session until it expires, is signed out, the
password changes, the reviewer is removed, or (a local-mode token) passwords come into use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from screening.decisions.reviewers import remove_reviewer, set_password
from screening.decisions.sessions import (
    SessionError,
    close_session,
    cookie_name,
    open_session,
    reviewer_for_token,
)
from screening.store.schema import ReviewerSession
from tests.store_helpers import make_project

LEAD_PASSWORD = "lantern orbit pebble"
ANN_PASSWORD = "violet canyon drum"


@pytest.fixture
def team(tmp_path):  # type: ignore[no-untyped-def]
    project = make_project(tmp_path, reviewers={"lead": "lead", "ann": "reviewer"})
    with project.session() as session:
        set_password(session, "lead", LEAD_PASSWORD, actor="lead")
        set_password(session, "ann", ANN_PASSWORD, actor="lead")
    return project


def _who(project, token):  # type: ignore[no-untyped-def]
    with project.session() as session:
        reviewer = reviewer_for_token(session, token)
        return reviewer.name if reviewer is not None else None


def _open(project, name, **kwargs):  # type: ignore[no-untyped-def]
    with project.session() as session:
        return open_session(session, name, **kwargs)


def test_a_token_signs_in_its_reviewer_and_only_its_hash_is_stored(team):
    ann, lead = _open(team, "ann"), _open(team, "lead")
    assert ann != lead and len(ann) >= 40
    assert _who(team, ann) == "ann" and _who(team, lead) == "lead"
    assert _who(team, ann + "x") is None and _who(team, "") is None and _who(team, None) is None
    with team.session() as session:
        stored = session.scalars(select(ReviewerSession.token_hash)).all()
    assert ann not in stored and len(stored) == 2


def test_sign_out_ends_only_that_session(team):
    first, second = _open(team, "ann"), _open(team, "ann")  # two browsers of ann
    with team.session() as session:
        close_session(session, first)
    assert _who(team, first) is None and _who(team, second) == "ann"


def test_an_expired_session_opens_nothing_and_is_pruned(team):
    old = _open(team, "ann", lifetime=timedelta(seconds=-1))
    assert _who(team, old) is None
    _open(team, "lead")
    with team.session() as session:
        assert session.scalar(select(func.count(ReviewerSession.id))) == 1  # the expired row went


def test_a_new_password_or_removal_ends_the_reviewers_sessions(team):
    ann, lead = _open(team, "ann"), _open(team, "lead")
    with team.session() as session:
        set_password(session, "ann", "cobalt meadow whistle", actor="lead")
    assert _who(team, ann) is None and _who(team, lead) == "lead"
    ann = _open(team, "ann")
    with team.session() as session:
        remove_reviewer(session, "ann", actor="lead")
    assert _who(team, ann) is None
    with team.session() as session, pytest.raises(SessionError, match="no reviewer named 'ann'"):
        open_session(session, "ann")


def test_a_local_mode_session_ends_once_passwords_are_in_use(tmp_path):
    project = make_project(tmp_path, reviewers={"solo": "lead", "bo": "reviewer"})
    bo = _open(project, "bo")
    assert _who(project, bo) == "bo"
    with project.session() as session:
        set_password(session, "solo", LEAD_PASSWORD, actor="solo")
    assert _who(project, bo) is None  # bo has no password yet: nobody signs in without one any more


def test_the_cookie_name_is_the_projects_own_and_stable(tmp_path, team):
    other = make_project(tmp_path / "other")
    with team.session() as session:
        name = cookie_name(session)
    with team.session() as session:
        assert cookie_name(session) == name and name.startswith("screening_session_")
    with other.session() as session:
        assert cookie_name(session) != name
