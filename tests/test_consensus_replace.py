"""A second consensus on a record is refused unless asked for, and then audited old -> new."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from screening.decisions.queries import latest_consensus
from screening.decisions.record import ConsensusExistsError, record_consensus, record_decision
from screening.store.schema import AuditEntry, Consensus
from screening.store.settings import set_setting
from tests.store_helpers import make_project


def _contested(tmp_path):  # type: ignore[no-untyped-def]
    project = make_project(tmp_path, reviewers={"alice": "reviewer", "bob": "reviewer", "lead": "lead",
                                                "ada": "advisor"})
    with project.session() as session:
        set_setting(session, "required_reviewers", "2", actor="lead")
        record_decision(session, reviewer="alice", record_id=1, decision="include")
        record_decision(session, reviewer="bob", record_id=1, decision="exclude")
        record_consensus(session, record_id=1, stage="title_abstract", decision="include", recorded_by="ada",
                         reasons=["I1"], note="group agreed")
    return project


def test_a_second_consensus_is_refused_and_the_first_kept(tmp_path):
    project = _contested(tmp_path)
    with project.session() as session, pytest.raises(ConsensusExistsError) as caught:
        record_consensus(session, record_id=1, stage="title_abstract", decision="exclude", recorded_by="lead")
    assert "record 'R1' already has a consensus at title_abstract: include (I1), recorded by ada" in str(caught.value)
    assert caught.value.existing.note == "group agreed"
    row = latest_consensus(project, "title_abstract").set_index("record_id").loc[1]
    assert (row["decision"], row["recorded_by"]) == ("include", "ada")


def test_replace_true_adds_a_row_audited_as_a_replacement(tmp_path):
    project = _contested(tmp_path)
    with project.session() as session:
        record_consensus(session, record_id=1, stage="title_abstract", decision="exclude", recorded_by="lead",
                         note="full text shows no PK data", replace=True)
    row = latest_consensus(project, "title_abstract").set_index("record_id").loc[1]
    assert (row["decision"], row["recorded_by"]) == ("exclude", "lead")
    with project.session() as session:
        assert session.scalar(select(func.count(Consensus.id))) == 2  # the first one is kept
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "replace_consensus")).one()
        assert entry.actor == "lead"
        assert json.loads(entry.old)["decision"] == "include" and json.loads(entry.new)["decision"] == "exclude"
