"""Status counts, exports (with formula neutralising) and importing decisions from other tools."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import rispy
from sqlalchemy import func, select
from typer.testing import CliRunner

from screening.cli import app
from screening.decisions.export import export_project
from screening.decisions.import_decisions import DecisionImportError, import_decisions
from screening.decisions.record import record_decision
from screening.decisions.reviewers import authenticate
from screening.decisions.status import project_status
from screening.store.schema import Decision, Record
from tests.store_helpers import make_project

runner = CliRunner()


def _seed_decisions(project) -> None:
    with project.session() as session:
        session.get(Record, 6).duplicate_of = 5
        session.get(Record, 6).dedup_group = 5
        session.get(Record, 5).dedup_group = 5
        session.get(Record, 1).title = "=HYPERLINK(\"http://evil\")"
    with project.session() as session:
        record_decision(session, reviewer="alice", record_id=1, decision="include")
        record_decision(session, reviewer="bob", record_id=1, decision="exclude", reasons=["E1"])
        record_decision(session, reviewer="alice", record_id=2, decision="include")
        record_decision(session, reviewer="alice", record_id=3, decision="exclude")


def test_status_counts(tmp_path):
    project = make_project(tmp_path)
    _seed_decisions(project)
    status = project_status(project)
    assert {k: status[k] for k in ("records", "unique_records", "duplicates", "decisions")} == {
        "records": 6, "unique_records": 5, "duplicates": 1, "decisions": 4}
    stage = status["stages"]["title_abstract"]
    assert stage["by_reviewer"] == {"alice": 3, "bob": 1}
    assert stage["screened"] == 3 and stage["conflicts"] == 1 and status["conflicts"] == 1
    assert status["included"] == 1 and status["excluded"] == 1  # record 2 include, 3 exclude, 1 contested


def test_status_cli_json(tmp_path):
    project = make_project(tmp_path)
    _seed_decisions(project)
    result = runner.invoke(app, ["status", str(project.path), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    for key in ("records", "unique_records", "duplicates", "decisions", "included", "conflicts"):
        assert key in payload
    assert payload["stages"]["title_abstract"]["by_reviewer"]["bob"] == 1


def test_csv_export_has_decisions_duplicates_and_no_formulas(tmp_path):
    project = make_project(tmp_path)
    _seed_decisions(project)
    out = tmp_path / "export.csv"
    assert export_project(project, "csv", out).records == 6
    table = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("record_id")
    assert table.loc["R1", "title"].startswith("'=")
    assert table.loc["R6", "duplicate_of"] == "R5" and table.loc["R5", "duplicate_of"] == ""
    assert table.loc["R1", "alice_title_abstract"] == "include"
    assert table.loc["R1", "bob_title_abstract_reasons"] == "E1"
    assert table.loc["R2", "final_title_abstract"] == "include"
    assert table.loc["R1", "final_title_abstract"] == ""  # contested, not final


def test_ris_and_asreview_exports(tmp_path):
    project = make_project(tmp_path)
    _seed_decisions(project)
    export_project(project, "ris", tmp_path / "out.ris")
    entries = rispy.loads((tmp_path / "out.ris").read_text(encoding="utf-8"))
    assert len(entries) == 5 and entries[1]["id"] == "R2"  # R6 is a removed duplicate of R5
    assert "screening decision: include" in entries[1]["notes"]
    export_project(project, "asreview", tmp_path / "out.csv")
    asreview = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False).set_index("record_id")
    assert asreview.loc["R2", "included"] == "1" and asreview.loc["R3", "included"] == "0"
    with pytest.raises(ValueError, match="format must be one of"):
        export_project(project, "xml", tmp_path / "out.xml")


def test_import_decisions_is_idempotent_and_maps_one_zero(tmp_path):
    project = make_project(tmp_path)
    csv = tmp_path / "rayyan.csv"
    csv.write_text("record_id,reviewer,decision,reason,note\nR1,carol,1,,\nR2,carol,0,E1,off topic\n"
                   "R3,dave,maybe,,\n", encoding="utf-8")
    summary = import_decisions(project, csv)
    assert (summary.rows, summary.added, summary.unchanged) == (3, 3, 0)
    again = import_decisions(project, csv)
    assert (again.added, again.unchanged) == (0, 3)
    with project.session() as session:
        assert session.scalar(select(func.count(Decision.id))) == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("record_id,decision\nR1,include\n", r"missing column\(s\) \['reviewer'\]"),
        ("record_id,reviewer,decision\nR1,carol,include\nR2,carol,yes\n", "line 3, field 'decision'"),
        ("record_id,reviewer,decision\nR404,carol,include\n", "line 2, field 'record_id': no record with source id"),
        ("record_id,reviewer,decision,stage\nR1,carol,include,abstract\n", "line 2, field 'stage'"),
        ("record_id,reviewer,decision\nR1,,include\n", "line 2, field 'reviewer'"),
    ],
)
def test_bad_decision_files_name_line_and_field_and_write_nothing(tmp_path, content, message):
    project = make_project(tmp_path)
    csv = tmp_path / "bad.csv"
    csv.write_text(content, encoding="utf-8")
    with pytest.raises(DecisionImportError, match=message):
        import_decisions(project, csv)
    with project.session() as session:
        assert session.scalar(select(func.count(Decision.id))) == 0


def test_decide_cli_records_and_reports_errors(tmp_path):
    project = make_project(tmp_path)
    ok = runner.invoke(app, ["decide", str(project.path), "R2", "include", "--reviewer", "erin", "--note", "fits"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["decide", str(project.path), "R99", "include", "--reviewer", "erin"])
    assert bad.exit_code == 2 and "no record with source id 'R99'" in bad.output
    with project.session() as session:
        assert session.scalar(select(func.count(Decision.id))) == 1


def test_add_reviewer_cli_with_role_and_hidden_password(tmp_path):
    project = make_project(tmp_path, reviewers={})
    lead = runner.invoke(app, ["add-reviewer", str(project.path), "lee", "--role", "lead", "--password"],
                         input="lantern orbit pebble\nlantern orbit pebble\n")
    assert lead.exit_code == 0, lead.output
    ok = runner.invoke(app, ["add-reviewer", str(project.path), "ada", "--role", "advisor", "--password"],
                       input="violet canyon drum\nvioletcanyon drum\nviolet canyon drum\nviolet canyon drum\n")
    assert ok.exit_code == 0 and "added ada (advisor)" in ok.output
    assert "do not match" in ok.output  # the confirmation caught the typo and asked again
    again = runner.invoke(app, ["add-reviewer", str(project.path), "ada"])
    assert again.exit_code == 2 and "already exists" in again.output
    bad = runner.invoke(app, ["add-reviewer", str(project.path), "bo", "--role", "boss"])
    assert bad.exit_code == 2 and "role must be one of" in bad.output
    with project.session() as session:
        assert authenticate(session, "ada", "violet canyon drum").role == "advisor"
