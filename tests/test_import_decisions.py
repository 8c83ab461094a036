"""Importing decisions never replaces a reviewer's decision silently: added/unchanged/changed/conflicting."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from screening.cli import app
from screening.decisions.import_decisions import DecisionConflictError, DecisionImportError, import_decisions
from screening.decisions.queries import current_decisions
from screening.decisions.record import record_decision
from screening.store.schema import AuditEntry, Decision, Record, Reviewer
from tests.store_helpers import make_project

runner = CliRunner()


def _project_with_alice_deciding(tmp_path):  # type: ignore[no-untyped-def]
    project = make_project(tmp_path)
    with project.session() as session:
        record_decision(session, reviewer="alice", record_id=1, decision="include", reasons=["I1"],
                        note="fits the population")
    return project


def _write(tmp_path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "decisions.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _counts(project) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with project.session() as session:
        return (session.scalar(select(func.count(Decision.id))), session.scalar(select(func.count(Reviewer.id))))


def test_a_different_current_decision_refuses_the_whole_file(tmp_path):
    project = _project_with_alice_deciding(tmp_path)
    path = _write(tmp_path, "record_id,reviewer,decision\nR2,alice,include\nR1,alice,exclude\nR3,carol,maybe\n")
    before = _counts(project)
    with pytest.raises(DecisionConflictError) as caught:
        import_decisions(project, path)
    assert "line 3: alice on 'R1' (title_abstract) is currently 'include', the file says 'exclude'" in str(caught.value)
    assert "nothing was imported" in str(caught.value) and "--replace" in str(caught.value)
    assert [c.line for c in caught.value.conflicts] == [3]
    assert _counts(project) == before  # nothing written, not even the new reviewer carol

    result = runner.invoke(app, ["import-decisions", str(project.path), str(path)])
    assert result.exit_code == 2 and "conflict with a reviewer's current decision" in result.output
    assert "Traceback" not in result.output and _counts(project) == before


def test_replace_writes_conflicting_rows_and_audits_each_replacement(tmp_path):
    project = _project_with_alice_deciding(tmp_path)
    path = _write(tmp_path, "record_id,reviewer,decision\nR2,alice,include\nR1,alice,exclude\nR3,carol,maybe\n")
    result = runner.invoke(app, ["import-decisions", str(project.path), str(path), "--replace"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("decisions.csv: 3 rows: 2 added, 0 unchanged, 0 changed, 1 conflicting "
                                     "(replaced, audited)")
    current = current_decisions(project).set_index(["record_id", "reviewer"])["decision"]
    assert current[(1, "alice")] == "exclude" and current[(3, "carol")] == "maybe"
    with project.session() as session:
        replaced = session.scalars(select(AuditEntry).where(AuditEntry.action == "replace_decision")).one()
        assert replaced.actor == "import-decisions"
        assert json.loads(replaced.old)["decision"] == "include" and json.loads(replaced.new)["decision"] == "exclude"
        # the include's reasons and note do not carry over to the exclude; the old row and the audit keep them
        assert json.loads(replaced.new)["note"] is None and json.loads(replaced.old)["note"] == "fits the population"
        assert session.scalar(select(func.count(Decision.id)).where(Decision.record_id == 1)) == 2
        summary = session.scalars(select(AuditEntry).where(AuditEntry.action == "import_decisions")).one()
        assert json.loads(summary.new) == {"file": "decisions.csv", "added": 2, "unchanged": 0, "changed": 0,
                                           "conflicting": 1, "replaced": True}


def test_changed_and_unchanged_rows_are_told_apart(tmp_path):
    project = _project_with_alice_deciding(tmp_path)
    same = _write(tmp_path, "record_id,reviewer,decision\nR1,Alice,include\n")  # no reason/note columns
    summary = import_decisions(project, same)
    assert (summary.added, summary.unchanged, summary.changed, summary.conflicting) == (0, 1, 0, 0)
    new_note = _write(tmp_path, "record_id,reviewer,decision,reason,note\nR1,alice,include,I1,now checked twice\n")
    summary = import_decisions(project, new_note)
    assert (summary.added, summary.unchanged, summary.changed, summary.conflicting) == (0, 0, 1, 0)
    current = current_decisions(project).set_index(["record_id", "reviewer"])
    assert current.loc[(1, "alice"), "note"] == "now checked twice" and current.loc[(1, "alice"), "reasons"] == "I1"
    assert _counts(project)[1] == 3  # "Alice" is alice, no new reviewer


def test_two_rows_for_one_record_and_reviewer_name_both_lines(tmp_path):
    project = make_project(tmp_path)
    path = _write(tmp_path, "record_id,reviewer,decision\nR1,carol,include\nR2,carol,exclude\nR1,Carol,exclude\n")
    with pytest.raises(DecisionImportError, match="line 4, field 'record_id': lines 2 and 4 both give Carol's "
                                                  "decision on record 'R1'"):
        import_decisions(project, path)
    assert _counts(project) == (0, 3)


def test_two_source_ids_of_one_duplicate_group_are_one_record(tmp_path):
    project = make_project(tmp_path)
    with project.session() as session:
        session.get(Record, 6).duplicate_of = 5
    path = _write(tmp_path, "record_id,reviewer,decision\nR5,carol,include\nR6,carol,include\n")
    with pytest.raises(DecisionImportError, match="'R5' and 'R6' are the same record after duplicate removal"):
        import_decisions(project, path)
    assert _counts(project) == (0, 3)


def test_an_unknown_reason_code_names_the_line_before_anything_is_written(tmp_path):
    project = make_project(tmp_path)
    path = _write(tmp_path, "record_id,reviewer,decision,reason\nR1,carol,include,\nR2,carol,exclude,E9\n")
    with pytest.raises(DecisionImportError, match="line 3, field 'reason': unknown reason code"):
        import_decisions(project, path, allowed_reasons=["E1", "I1"])
    assert _counts(project) == (0, 3)
