"""The Streamlit app, driven through AppTest against real projects: sign-in, screening, blind mode."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from screening.app.highlight import highlight_html
from screening.app.project_dir import resolve_project_dir
from screening.decisions.queries import current_decisions, pending_records
from screening.decisions.record import RETRACTED
from screening.store.schema import Assignment, Decision, Record, Reviewer
from screening.store.settings import set_setting
from tests.app_helpers import (
    decide,
    go,
    make_project,
    open_app,
    page_text,
    page_titles,
    shown_record_source_id,
    sign_in,
)

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")

ATTACK = 'Results <script>alert(1)</script> and <img src=x onerror=alert(1)> in emicizumab patients.'


def test_project_dir_from_arguments_then_environment(tmp_path):
    assert resolve_project_dir(["--project", str(tmp_path)], {}) == tmp_path
    assert resolve_project_dir(["-q", "tests"], {"SCREENING_PROJECT": "x"}).name == "x"
    assert resolve_project_dir([], {}) is None


def test_highlight_escapes_everything_before_marking():
    text = "<b>emicizumab</b> & PK"
    out = highlight_html(text, [(3, 13, "emicizumab")], {"emicizumab": "#ffe08a"})
    assert "&lt;b&gt;" in out and "<b>" not in out and "&amp; PK" in out
    assert out.count("<mark") == 1 and ">emicizumab</mark>" in out


def test_first_visit_makes_the_visitor_lead_in_local_mode(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p")
    at = open_app(project.path, monkeypatch)
    assert not at.exception
    at.text_input(key="first_name").input("Dana")
    at.button[0].click().run()
    assert at.header[0].value == "Screen"
    with project.session() as session:
        assert session.scalars(select(Reviewer.role).where(Reviewer.name == "Dana")).one() == "lead"


def test_single_reviewer_without_password_needs_no_login(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"solo": "lead"}, passwords=False)
    at = open_app(project.path, monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    assert at.header[0].value == "Screen"
    assert "solo" in at.sidebar.markdown[0].value


def test_password_sign_in_rejects_a_wrong_password(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"ann": "reviewer", "lead": "lead"})
    at = open_app(project.path, monkeypatch)
    sign_in(at, "ann", "wrong")
    assert at.error[0].value == "Unknown reviewer or wrong password."
    sign_in(at, "ann")
    assert at.header[0].value == "Screen"
    # Plain reviewers get neither the contested records, the advisory checks nor the team settings.
    assert page_titles(at) == ["Screen", "Records", "Full texts", "Appraisal", "Extraction",
                                                    "Agreement", "Progress", "Project"]


def test_screening_decisions_are_stored_and_undo_brings_the_record_back(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"ann": "reviewer", "lead": "lead"})
    at = sign_in(open_app(project.path, monkeypatch), "ann")
    first = shown_record_source_id(at)
    at.button(key="btn_include").click().run()
    second = shown_record_source_id(at)
    assert second != first
    at.multiselect(key=f"reasons_{_id(project, second)}").set_value(["E2"])
    at.text_input(key=f"note_{_id(project, second)}").input("no PK data")
    at.button(key="btn_exclude").click().run()
    third = shown_record_source_id(at)
    at.button(key="btn_maybe").click().run()
    assert not at.exception

    mine = current_decisions(project, "title_abstract", viewer="ann").set_index("source_id")
    assert mine.loc[first, "decision"] == "include"
    assert (mine.loc[second, "decision"], mine.loc[second, "reasons"], mine.loc[second, "note"]) == \
        ("exclude", "E2", "no PK data")
    assert mine.loc[third, "decision"] == "maybe"
    assert len(pending_records(project, "ann")) == 37

    at.button(key="btn_undo").click().run()
    assert shown_record_source_id(at) == third  # undone record is shown again
    with project.session() as session:
        newest = session.scalars(select(Decision).order_by(Decision.id.desc()).limit(1)).one()
    assert newest.decision == RETRACTED and newest.record_id == _id(project, third)
    assert "Screened 2 of 40" in at.get("progress")[0].proto.text


def test_abstract_with_markup_renders_as_text(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"ann": "reviewer", "lead": "lead"})
    with project.session() as session:
        attack = session.scalars(select(Record).where(Record.abstract.is_not(None)).limit(1)).one()
        attack.abstract = ATTACK
        attack.title = "<b onmouseover=alert(2)>Emicizumab</b> title"
        session.add(Assignment(record_id=attack.id, reviewer_id=session.scalars(
            select(Reviewer.id).where(Reviewer.name == "ann")).one(), stage="title_abstract"))
    at = sign_in(open_app(project.path, monkeypatch), "ann")
    card = at.get("html")[0].proto.body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in card
    assert "&lt;img src=x onerror=alert(1)&gt;" in card
    assert "&lt;b onmouseover=alert(2)&gt;" in card
    assert "<script" not in card and "<img" not in card and "<b " not in card
    assert "<mark" in card  # concept terms are still highlighted around the escaped text


def test_blind_mode_hides_other_reviewers_decisions_on_every_page(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"annq": "reviewer", "bob": "reviewer", "lead": "lead"})
    with project.session() as session:
        set_setting(session, "required_reviewers", "2", actor="lead")
    ids = list(_ids(project)[:6])
    for record_id in ids:
        decide(project, "annq", record_id, "include", note="ANN-PRIVATE-NOTE", reasons=["I2"])
    decide(project, "bob", ids[0], "exclude", note="BOB-OWN-NOTE")  # a conflict bob must not learn of
    at = sign_in(open_app(project.path, monkeypatch), "bob")
    pages = page_titles(at)
    for page in pages:
        text = page_text(go(at, page))
        assert "ANN-PRIVATE-NOTE" not in text, page
        assert "annq" not in text.lower(), page
    go(at, "Screen")
    assert "BOB-OWN-NOTE" in page_text(at)  # bob sees his own decision

    # Once bob agrees on a record it is resolved, and from then on ann's decision on it is visible.
    decide(project, "bob", ids[1], "include")
    visible = current_decisions(project, "title_abstract", viewer="bob")
    assert set(visible.loc[visible["reviewer"] == "annq", "record_id"]) == {ids[1]}
    assert "annq × bob" in page_text(go(at, "Agreement"))


def _ids(project):  # type: ignore[no-untyped-def]
    with project.session() as session:
        return list(session.scalars(select(Record.id).order_by(Record.id)))


def _id(project, source_id: str) -> int:  # type: ignore[no-untyped-def]
    with project.session() as session:
        return session.scalars(select(Record.id).where(Record.source_id == source_id)).one()


def test_queue_follows_the_rankers_order_once_ready(tmp_path, monkeypatch):
    from screening.rank.api import Ranker
    from screening.rank.project_data import load_records

    project = make_project(tmp_path / "p", {"ann": "reviewer", "lead": "lead"})
    at = go(sign_in(open_app(project.path, monkeypatch), "ann"), "Agreement")  # waits for the fast ranker
    go(at, "Screen")
    first = shown_record_source_id(at)
    at.button(key="btn_include").click().run()
    assert "Ranked by **tfidf** · 1 label ·" in " ".join(c.value for c in at.caption)

    records = load_records(project)
    ranker = Ranker(records["title"].tolist(), records["abstract"].tolist(), project.load_protocol(),
                    encoder="tfidf", progress=False)
    position = {sid: i for i, sid in enumerate(records["source_id"])}
    ranker.set_labels({position[first]: 1})
    expected = records["source_id"].iloc[ranker.ranking(exclude=[position[first]])[0]]
    assert shown_record_source_id(at) == expected
