"""The later-stage commands: sources on import, add-record, full texts, appraisal, extraction and prisma."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from screening.cli import app
from screening.sources.batches import batch_sources
from screening.store.project import Project
from tests.conftest import FIXTURES
from tests.pdf_helpers import article_pdf
from tests.review_helpers import BODY, DOIS, PROTOCOL, attach_reports, identified, ids_by_doi, screen_titles

runner = CliRunner()


def _run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def test_import_keeps_the_source_type_and_name_and_add_record_adds_one_by_hand(tmp_path):
    folder = tmp_path / "p"
    assert _run("init", folder, "--protocol", PROTOCOL).exit_code == 0
    result = _run("import", folder, FIXTURES / "imports" / "scopus_export.csv", "--source-type", "register",
                  "--source", "ClinicalTrials.gov")
    assert result.exit_code == 0, result.output
    assert _run("import", folder, FIXTURES / "imports" / "endnote_export.ris").exit_code == 0
    bad = _run("import", folder, FIXTURES / "imports" / "zotero_export.bib", "--source-type", "library")
    assert bad.exit_code == 2 and "library" in bad.output
    added = _run("add-record", folder, "--title", "A study from a charity's website", "--source",
                 "carers-charity.example/reports", "--source-type", "website", "--year", "2021")
    assert added.exit_code == 0 and "website: carers-charity.example/reports" in added.output
    again = _run("add-record", folder, "--title", "A study from a charity's website", "--source",
                 "carers-charity.example/reports", "--source-type", "website", "--year", "2021")
    assert again.exit_code == 2 and "already added by hand" in again.output
    no_year = _run("add-record", folder, "--title", "X", "--source", "list", "--year", "99")
    assert no_year.exit_code == 2 and "field 'year'" in no_year.output
    project = Project.open(folder)
    with project.session() as session:
        sources = sorted((s.source_type, s.source_name) for s in batch_sources(session).values())
    assert sources == [("database", "endnote_export.ris"), ("register", "ClinicalTrials.gov"),
                       ("website", "carers-charity.example/reports")]
    fields = json.loads(_run("prisma", folder, "--json").stdout)["fields"]
    assert (fields["register_results"], fields["database_results"], fields["website_results"]) == (8, 8, 1)
    assert fields["register_specific_results"] == "ClinicalTrials.gov, 8"


def test_full_text_appraisal_extraction_and_prisma_commands_refuse_bad_input(tmp_path):
    project, hand = identified(tmp_path / "p")
    ids = ids_by_doi(project)
    screen_titles(project, ids, hand)
    folder = tmp_path / "pdfs"
    folder.mkdir()
    (folder / "90000001.pdf").write_bytes(article_pdf("By PMID", DOIS[0], BODY))  # matched by PubMed id
    (folder / "notes.pdf").write_bytes(b"not a pdf")
    result = _run("fulltext", "folder", project.path, folder)
    assert result.exit_code == 2 and "1 attached, 0 not matched, 1 failed" in result.output
    assert "notes.pdf: not a PDF file" in result.output
    attach_reports(project, ids, hand)
    listing = json.loads(_run("fulltext", "list", project.path, "--json").stdout)
    assert {row["status"] for row in listing} == {"attached", "not_retrieved"}

    drawn = _run("prisma", project.path, "--out", tmp_path / "flow.svg")
    assert drawn.exit_code == 2 and "no diagram was drawn" in drawn.output and not (tmp_path / "flow.svg").exists()
    assert "await retrieval or a full-text decision" in drawn.output
    draft = _run("prisma", project.path, "--out", tmp_path / "draft.png", "--draft")
    assert draft.exit_code == 0 and (tmp_path / "draft.png").read_bytes().startswith(b"\x89PNG")

    source_id = json.loads(_run("fulltext", "list", project.path, "--json").stdout)[0]["source_id"]
    for reviewer in ("ann", "bob"):
        assert _run("decide", project.path, source_id, "include", "--reviewer", reviewer, "--stage",
                    "full_text").exit_code == 0
    scores = [f"--score={code}=2" for code in ("T", "A", "P1", "U", "P2", "A2")]
    off_scale = _run("appraisal", "score", project.path, source_id, "--appraiser", "ann", *scores, "--score=S=5")
    assert off_scale.exit_code == 2 and "item 'S' (Specificity): '5' is not on its scale" in off_scale.output
    assert _run("appraisal", "score", project.path, source_id, "--appraiser", "ann", *scores,
                "--score=S=1").exit_code == 0
    wrong = _run("extraction", "set", project.path, source_id, "--extractor", "ann", "--value", "country=Wales",
                 "--value", "provision=carers", "--value", "ladder=co-design", "--value", "spectrum=consult",
                 "--value", "participants=-3")
    assert wrong.exit_code == 2 and "-3 is below the minimum 0" in wrong.output
    saved = _run("extraction", "set", project.path, source_id, "--extractor", "ann", "--value", "country=Wales",
                 "--value", "provision=carers", "--value", "ladder=co-design", "--value", "spectrum=consult")
    assert saved.exit_code == 0, saved.output
    out = tmp_path / "included.csv"
    assert _run("extraction", "export", project.path, "--out", out).exit_code == 0
    assert "co-design" in out.read_text() and "total_score" in out.read_text()
