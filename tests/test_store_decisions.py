"""Decisions are append-only and audited; blind mode hides others' decisions; consensus resolves conflicts."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from screening.decisions.queries import conflicts, current_decisions, pending_records, record_status, training_labels
from screening.decisions.record import DecisionError, record_consensus, record_decision, retract_decision
from screening.decisions.reviewers import ReviewerError, add_reviewer, authenticate, set_password
from screening.store.project import Project, ProjectError
from screening.store.schema import AuditEntry, Decision, Record
from screening.store.settings import set_setting
from tests.store_helpers import make_project


def _decide(project: Project, reviewer: str, record_id: int, decision: str, **kwargs) -> None:
    with project.session() as session:
        record_decision(session, reviewer=reviewer, record_id=record_id, decision=decision, **kwargs)


def test_init_refuses_to_overwrite_and_open_requires_a_project(tmp_path):
    make_project(tmp_path)
    with pytest.raises(ProjectError, match="already exists"):
        Project.init(tmp_path / "project")
    with pytest.raises(ProjectError, match="not a screening project"):
        Project.open(tmp_path / "elsewhere")


def test_sqlite_project_uses_wal_and_foreign_keys(tmp_path):
    project = make_project(tmp_path)
    with project.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_changed_decision_is_a_new_row_and_audited(tmp_path):
    project = make_project(tmp_path)
    _decide(project, "alice", 1, "include")
    _decide(project, "alice", 1, "exclude", reasons=["E1"], note="wrong population")
    with project.session() as session:
        rows = session.scalars(select(Decision).where(Decision.record_id == 1)).all()
        audit = session.scalars(select(AuditEntry).where(AuditEntry.entity == "decisions")).all()
    assert [r.decision for r in rows] == ["include", "exclude"]
    assert [a.action for a in audit] == ["decide", "change_decision"]
    assert json.loads(audit[1].old)["decision"] == "include"
    assert json.loads(audit[1].new) == {"decision": "exclude", "reasons": "E1", "note": "wrong population"}
    current = current_decisions(project)
    assert current[["record_id", "reviewer", "decision"]].values.tolist() == [[1, "alice", "exclude"]]


def test_undo_returns_the_record_to_the_queue_and_keeps_history(tmp_path):
    project = make_project(tmp_path)
    _decide(project, "alice", 2, "include")
    assert 2 not in pending_records(project, "alice")
    with project.session() as session:
        retract_decision(session, reviewer="alice", record_id=2)
    assert 2 in pending_records(project, "alice")
    assert current_decisions(project).empty
    with project.session() as session:
        assert session.scalar(select(func.count(Decision.id))) == 2
        with pytest.raises(DecisionError, match="no decision"):
            retract_decision(session, reviewer="alice", record_id=2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"decision": "perhaps"}, "decision must be one of"),
        ({"decision": "include", "stage": "abstract"}, "stage must be one of"),
        ({"decision": "exclude", "reasons": ["NOPE"], "allowed_reasons": ["E1"]}, "unknown reason code"),
        ({"decision": "include", "reviewer": "mallory"}, "unknown reviewer 'mallory'"),
        ({"decision": "include", "record_id": 999}, "unknown record id 999"),
    ],
)
def test_invalid_decisions_are_rejected_and_nothing_is_written(tmp_path, kwargs, message):
    project = make_project(tmp_path)
    arguments = {"reviewer": "alice", "record_id": 1, **kwargs}
    with pytest.raises((DecisionError, ReviewerError), match=message), project.session() as session:
        record_decision(session, **arguments)
    with project.session() as session:
        assert session.scalar(select(func.count(Decision.id))) == 0
        assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.entity == "decisions")) == 0


def test_decisions_on_a_duplicate_are_refused(tmp_path):
    project = make_project(tmp_path)
    with project.session() as session:
        session.get(Record, 2).duplicate_of = 1
    with pytest.raises(DecisionError, match="duplicate of 'R1'"):
        _decide(project, "alice", 2, "include")


def test_blind_mode_hides_other_reviewers_until_resolved(tmp_path):
    project = make_project(tmp_path)
    with project.session() as session:
        set_setting(session, "required_reviewers", "2", actor="lead")
    _decide(project, "alice", 1, "include")
    assert current_decisions(project, viewer="bob").empty
    assert len(current_decisions(project, viewer="lead")) == 1  # the lead resolves conflicts
    assert 1 in pending_records(project, "bob")
    _decide(project, "bob", 1, "include")
    # agreed now, so resolved: both decisions visible to both
    assert set(current_decisions(project, viewer="bob")["reviewer"]) == {"alice", "bob"}
    with project.session() as session:
        set_setting(session, "blind", "false", actor="lead")
    _decide(project, "alice", 3, "exclude")
    assert len(current_decisions(project, viewer="bob")) == 3


def test_conflicts_consensus_and_training_labels(tmp_path):
    project = make_project(tmp_path)
    with project.session() as session:
        set_setting(session, "required_reviewers", "2", actor="lead")
    _decide(project, "alice", 1, "include")
    _decide(project, "bob", 1, "exclude")
    _decide(project, "alice", 2, "maybe")
    _decide(project, "bob", 2, "include")
    _decide(project, "alice", 3, "exclude")
    _decide(project, "bob", 3, "exclude")
    _decide(project, "alice", 4, "include")
    assert conflicts(project)["record_id"].tolist() == [1]  # maybe + include passes on to full text
    status = record_status(project).set_index("record_id")
    assert status.loc[3, "status"] == "agreed" and status.loc[4, "status"] == "in_progress"
    assert tuple(status.loc[2, ["status", "final"]]) == ("agreed", "include")
    _decide(project, "bob", 3, "maybe")  # maybe beside an exclude is a disagreement
    assert conflicts(project)["record_id"].tolist() == [1, 3]
    _decide(project, "bob", 3, "exclude")
    with project.session() as session, pytest.raises(DecisionError, match="only a lead or advisor"):
        record_consensus(session, record_id=1, stage="title_abstract", decision="include", recorded_by="bob")
    with project.session() as session:
        record_consensus(session, record_id=1, stage="title_abstract", decision="include", recorded_by="lead",
                         note="advisory group: co-design counts")
    assert conflicts(project)["record_id"].tolist() == []
    assert record_status(project).set_index("record_id").loc[1, "final"] == "include"
    # maybe never trains: record 2 has maybe + include -> label include; record 4 single include
    assert training_labels(project) == {1: 1, 2: 1, 3: 0, 4: 1}


def test_passwords_are_hashed_and_checked(tmp_path):
    project = make_project(tmp_path, reviewers={})
    with project.session() as session:
        add_reviewer(session, "local-lead", role="lead")
        assert authenticate(session, "local-lead", "") is None  # no password: no password sign-in
        set_password(session, "local-lead", "lantern orbit pebble", actor="local-lead")
        assert authenticate(session, "local-lead", "lantern orbit pebble") is not None
        reviewer = add_reviewer(session, "carer-rep", role="advisor", password="correct horse battery")
        assert reviewer.password_hash.startswith("scrypt$") and "correct horse" not in reviewer.password_hash
        assert authenticate(session, "carer-rep", "correct horse battery") is not None
        assert authenticate(session, "carer-rep", "wrong") is None
        with pytest.raises(ReviewerError, match="already exists"):
            add_reviewer(session, "carer-rep")
        with pytest.raises(ReviewerError, match="role must be one of"):
            add_reviewer(session, "x", role="boss")
        with pytest.raises(ReviewerError, match="must not be empty"):
            set_password(session, "local-lead", "", actor="local-lead")
