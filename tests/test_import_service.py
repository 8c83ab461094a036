"""Importing into a project: one transaction per file, re-import is a no-op, errors leave nothing behind."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from screening.cli import app
from screening.records.errors import ImportFormatError
from screening.records.service import import_file
from screening.store.project import Project
from screening.store.schema import AuditEntry, ImportBatch, Record
from tests.conftest import REPO

runner = CliRunner()
DEMO = REPO / "data" / "demo" / "donners_2021.csv"


def _counts(project: Project) -> tuple[int, int]:
    with project.session() as session:
        return (session.scalar(select(func.count(Record.id))), session.scalar(select(func.count(ImportBatch.id))))


def test_demo_import_keeps_fields_and_reimport_adds_nothing(tmp_path):
    project = Project.init(tmp_path / "p")
    summary = import_file(project, DEMO)
    assert summary.added == 258 and summary.labelled == 258 and summary.format == "csv"
    assert summary.missing_abstract > 0  # the demo has records without abstract: flagged, not refused
    again = import_file(project, DEMO)
    assert again.already_imported and again.added == 0
    assert _counts(project) == (258, 1)
    with project.session() as session:
        record = session.scalars(select(Record).where(Record.source_id == "https://openalex.org/W3042667920")).one()
        assert record.doi == "10.1111/bjh.16964" and record.year == 2020 and record.label_included == 1
        assert record.authors.startswith("Assaf A. Barg; Gili Kenet")
        assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "import")) == 1


def test_cli_import_of_a_broken_file_fails_and_writes_nothing(tmp_path):
    project = Project.init(tmp_path / "p")
    broken = tmp_path / "broken.csv"
    lines = DEMO.read_text(encoding="utf-8").splitlines(keepends=True)
    broken.write_text("".join(lines[:3]) + 'x,"unterminated,2020\n', encoding="utf-8")
    result = runner.invoke(app, ["import", str(project.path), str(broken)])
    assert result.exit_code == 2
    assert "broken.csv" in result.output and "error:" in result.output
    assert _counts(project) == (0, 0)


MALFORMED = sorted((REPO / "tests" / "fixtures" / "imports" / "malformed").iterdir())


@pytest.mark.parametrize("broken", MALFORMED, ids=[p.name for p in MALFORMED])
def test_every_malformed_fixture_leaves_the_project_unchanged(tmp_path, broken):
    """After a good import, each malformed export is refused with its file name and adds nothing."""
    project = Project.init(tmp_path / "p")
    import_file(project, DEMO)
    before = _counts(project)
    with pytest.raises(ImportFormatError) as error:
        import_file(project, broken)
    assert str(error.value).startswith(broken.name)
    assert _counts(project) == before
    with project.session() as session:
        assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "import")) == 1


def test_cli_import_reports_each_file(tmp_path):
    copy = tmp_path / "copy.csv"
    shutil.copyfile(DEMO, copy)
    assert runner.invoke(app, ["init", str(tmp_path / "p")]).exit_code == 0
    first = runner.invoke(app, ["import", str(tmp_path / "p"), str(DEMO)])
    assert first.exit_code == 0 and "258 records imported as csv" in first.output
    second = runner.invoke(app, ["import", str(tmp_path / "p"), str(copy)])
    assert "already imported, nothing added" in second.output  # same content under another name


def test_demo_exports_with_missing_titles_abstracts_and_authors(tmp_path):
    """Records missing text export as empty fields, never as 'nan' or a crash (RIS, CSV, ASReview)."""
    import rispy

    from screening.decisions.export import export_project

    project = Project.init(tmp_path / "p")
    import_file(project, DEMO)
    with project.session() as session:
        session.scalars(select(Record).where(Record.title.is_not(None))).first().authors = None
    assert export_project(project, "ris", tmp_path / "out.ris").records == 258
    entries = rispy.loads((tmp_path / "out.ris").read_text(encoding="utf-8"))
    assert len(entries) == 258
    assert sum("abstract" not in entry for entry in entries) == 8
    assert all("nan" not in (entry.get("title", ""), entry.get("abstract", "")) for entry in entries)
    for fmt in ("csv", "asreview"):
        export_project(project, fmt, tmp_path / f"out_{fmt}.csv")
        text = (tmp_path / f"out_{fmt}.csv").read_text(encoding="utf-8")
        assert ",nan," not in text
