"""The Contested page shows a consensus already recorded and replaces it only when asked to."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from screening.decisions.queries import latest_consensus
from screening.decisions.record import record_consensus
from screening.store.schema import AuditEntry, Record
from screening.store.settings import set_setting
from tests.app_helpers import decide, go, make_project, open_app, page_text, sign_in

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")
STAGE = "title_abstract"


def _click(at, label: str):  # type: ignore[no-untyped-def]
    return at.button[[b.label for b in at.button].index(label)].click().run()


def test_a_consensus_recorded_meanwhile_is_shown_and_replaced_only_when_ticked(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"ann": "reviewer", "bob": "reviewer", "lead": "lead",
                                            "ada": "advisor"})
    with project.session() as session:
        set_setting(session, "required_reviewers", "2", actor="lead")
        first = session.scalars(select(Record.id).order_by(Record.id)).first()
    decide(project, "ann", first, "include")
    decide(project, "bob", first, "exclude")
    at = go(sign_in(open_app(project.path, monkeypatch), "lead"), "Contested")
    at.selectbox(key="contested_record").set_value(first).run()
    with project.session() as session:  # another member of the group, in another browser, is quicker
        record_consensus(session, record_id=first, stage=STAGE, decision="include", recorded_by="ada",
                         note="ada's <b>note</b>")

    at.radio(key=f"consensus_decision_{first}").set_value("exclude")
    _click(at, "Record consensus")
    assert not at.exception and "already has a consensus" in at.error[0].value
    assert latest_consensus(project, STAGE).set_index("record_id").loc[first, "recorded_by"] == "ada"
    text = page_text(at)
    assert "Consensus in force" in text and "ada&#x27;s &lt;b&gt;note&lt;/b&gt;" in text

    at.radio(key=f"consensus_decision_{first}").set_value("exclude")
    _click(at, "Replace consensus")  # not ticked: still refused
    assert latest_consensus(project, STAGE).set_index("record_id").loc[first, "recorded_by"] == "ada"
    at.radio(key=f"consensus_decision_{first}").set_value("exclude")
    at.checkbox(key=f"consensus_replace_{first}").check()
    _click(at, "Replace consensus")
    assert not at.exception and "Consensus replaced by lead: exclude" in at.success[0].value
    now = latest_consensus(project, STAGE).set_index("record_id").loc[first]
    assert (now["decision"], now["recorded_by"]) == ("exclude", "lead")
    with project.session() as session:
        assert session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "replace_consensus")).all() \
            == ["lead"]

