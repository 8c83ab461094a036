"""``screening agreement``: statistics from the current decisions stored in a real project database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from store_helpers import make_project
from typer.testing import CliRunner

from screening.cli import app
from screening.decisions.record import record_decision, retract_decision

runner = CliRunner()


@pytest.fixture()
def project_dir(tmp_path: Path) -> Path:
    """Six records: alice includes R1, R2; bob includes R1 and first includes R3, then undoes that and excludes."""
    project = make_project(tmp_path)
    alice = ["include", "include", "exclude", "exclude", "exclude", "exclude"]
    bob = ["include", "exclude", "include", "exclude", "exclude", "exclude"]
    with project.session() as session:
        for record_id, (a, b) in enumerate(zip(alice, bob, strict=True), start=1):
            record_decision(session, reviewer="alice", record_id=record_id, decision=a)
            record_decision(session, reviewer="bob", record_id=record_id, decision=b)
        retract_decision(session, reviewer="bob", record_id=3)
        record_decision(session, reviewer="bob", record_id=3, decision="exclude")  # current decision counts
        record_decision(session, reviewer="lead", record_id=1, decision="include", stage="full_text")
    project.close()
    return project.path


def test_agreement_json_uses_current_decisions(project_dir: Path) -> None:
    result = runner.invoke(app, ["agreement", str(project_dir), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["stage"] == "title_abstract"
    (pair,) = report["pairs"]
    assert pair["reviewers"] == ["alice", "bob"]
    assert pair["n"] == 6
    assert pair["percent_agreement"] == pytest.approx(5 / 6)
    # pe = (2/6)(1/6) + (4/6)(5/6) = 22/36 -> kappa = (30/36 - 22/36) / (14/36) = 8/14
    assert pair["cohen_kappa"] == pytest.approx(8 / 14)
    low, high = pair["cohen_kappa_ci"]
    assert low < 8 / 14 < high
    assert pair["pabak"] == pytest.approx(2 / 3)
    assert pair["gwet_ac1"] == pytest.approx((5 / 6 - 0.375) / 0.625)
    assert pair["confusion"] == {"include": {"include": 1, "exclude": 1}, "exclude": {"include": 0, "exclude": 4}}
    overall = report["overall"]
    assert overall["n_records"] == 6 and overall["fleiss_n_raters"] == 2
    # coincidences: 2 include-include, 2 include-exclude, 8 exclude-exclude; n = 12, n_include = 3, n_exclude = 9
    # alpha = 1 - (n - 1) * D_o / (2 * n_include * n_exclude) = 1 - 11 * 2 / 54
    assert overall["krippendorff_alpha"] == pytest.approx(1 - 22 / 54)


def test_agreement_table_and_empty_stage(project_dir: Path) -> None:
    result = runner.invoke(app, ["agreement", str(project_dir)])
    assert result.exit_code == 0, result.output
    assert "alice / bob" in result.output
    assert "0.571" in result.output  # kappa
    assert "Krippendorff's alpha (nominal)" in result.output

    full_text = runner.invoke(app, ["agreement", str(project_dir), "--stage", "full_text", "--json"])
    assert full_text.exit_code == 0, full_text.output
    report = json.loads(full_text.output)
    assert report["pairs"] == []
    assert report["overall"]["krippendorff_alpha"] is None
    assert "no record was decided by two or more reviewers" in report["overall"]["undefined"]["krippendorff_alpha"]


def test_agreement_rejects_bad_stage_and_non_project(project_dir: Path, tmp_path: Path) -> None:
    bad_stage = runner.invoke(app, ["agreement", str(project_dir), "--stage", "abstract"])
    assert bad_stage.exit_code == 2
    assert "--stage must be one of title_abstract, full_text" in bad_stage.output
    not_project = runner.invoke(app, ["agreement", str(tmp_path / "nowhere")])
    assert not_project.exit_code == 2
    assert "not a screening project" in not_project.output


def test_agreement_table_shows_proportions_and_an_interval_inside_minus_one_to_one(project_dir: Path) -> None:
    """The table prints percent agreement as 0.83 (as the app shows it), and the Wald interval of this small
    table, 0.571 ± 1.96·SE, which would reach past 1, ends at 1."""
    result = runner.invoke(app, ["agreement", str(project_dir)])
    row = next(line for line in result.output.splitlines() if line.startswith("alice / bob"))
    assert row.split()[4] == "0.83" and "1.000]" in row and "83.3" not in row
    low, high = json.loads(runner.invoke(app, ["agreement", str(project_dir), "--json"]).output)["pairs"][0][
        "cohen_kappa_ci"]
    assert -1 <= low < 0.571 and high == 1.0
