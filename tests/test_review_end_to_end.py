"""The reference review's shape, start to finish, through the library and the CLI.

Three database exports of the same eight real (CC0) records plus one hand-searched record; dedup; dual
title/abstract screening with a conflict settled by consensus and a maybe passed on; generated PDFs
attached one by one and from a folder (matched by DOI), one report not retrieved; advisory-group views
and a consensus with its participants; two appraisers with TAPUPAS, one study under the threshold;
extraction with ladder levels; and a PRISMA 2020 diagram whose every box is checked against the database.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from sklearn.metrics import cohen_kappa_score
from sqlalchemy import func, select
from typer.testing import CliRunner

from screening.advisory.assignments import advisory_worklist, assign_to_advisors, deal_records
from screening.advisory.participants import consensus_with_participants, record_consensus_with
from screening.advisory.views import advisory_views, record_view
from screening.appraisal.agreement import appraisal_agreement
from screening.appraisal.checklist import AppraisalError
from screening.appraisal.results import appraisal_results
from screening.appraisal.scores import record_appraisal_consensus, submit_appraisal
from screening.cli import app
from screening.decisions.queries import pending_records, record_status
from screening.decisions.record import DecisionError, record_consensus, record_decision
from screening.decisions.reviewers import add_reviewer
from screening.dedup.service import run_dedup
from screening.extraction.export import export_included, included_studies
from screening.extraction.form import ExtractionError
from screening.extraction.store import save_extraction
from screening.fulltext.matching import attach_matching, pdf_files_in
from screening.fulltext.pdf_text import PdfError
from screening.fulltext.reports import attach_pdf, current_reports, mark_not_retrieved
from screening.fulltext.status import full_text_overview
from screening.prisma.checks import check_flow
from screening.prisma.counts import prisma_flow
from screening.prisma.diagram import flow_boxes, render_flow
from screening.records.service import import_file
from screening.sources.manual import ManualRecord, ManualRecordError, add_manual_record
from screening.store.project import Project
from screening.store.review_schema import AppraisalScore, ExtractionValue, FullTextReport
from screening.store.schema import Record
from screening.store.settings import set_setting
from tests.conftest import FIXTURES, REPO
from tests.pdf_helpers import article_pdf, corrupt_pdf, encrypted_pdf

ARTIFACTS = REPO / "tests" / "artifacts"
PROTOCOL = REPO / "data" / "protocols" / "coproduction_integrated_care.yaml"
IMPORTS = FIXTURES / "imports"
EXPORTS = {"scopus_export.csv": "Scopus", "ovid_medline.ris": "MEDLINE (Ovid)", "wos_savedrecs.txt": "Web of Science"}
DOIS = ["10.1002/dev.21432", "10.1016/j.bbr.2014.12.024", "10.1002/hipo.22328", "10.1002/hipo.22430",
        "10.1142/s021963521250001x", "10.1073/pnas.0911331106", "10.1007/s00213-007-0816-x",
        "10.1016/j.pbb.2013.08.008"]
TA, FT = "title_abstract", "full_text"
BODY = ("We interviewed service users, unpaid carers and staff of an integrated health and social care "
        "partnership about how they co-produced a new discharge pathway. ") * 3
TAPUPAS = ("T", "A", "P1", "U", "P2", "A2", "S")


def _decide(project: Project, reviewer: str, record_id: int, decision: str, stage: str = TA, **kw) -> None:
    with project.session() as session:
        record_decision(session, reviewer=reviewer, record_id=record_id, decision=decision, stage=stage, **kw)


def _both(project: Project, record_id: int, decision: str, stage: str = TA, **kw) -> None:
    for reviewer in ("ann", "bob"):
        _decide(project, reviewer, record_id, decision, stage, **kw)


def _ids_by_doi(project: Project) -> dict[str, int]:
    with project.session() as session:
        rows = session.execute(select(Record.doi, Record.id).where(Record.duplicate_of.is_(None))).all()
    return {doi: record_id for doi, record_id in rows}


def _count(project: Project, table) -> int:  # type: ignore[no-untyped-def]
    with project.session() as session:
        return session.scalar(select(func.count()).select_from(table))


def _scores(total_pattern: tuple[int, ...]) -> dict[str, int]:
    return dict(zip(TAPUPAS, total_pattern, strict=True))


@pytest.fixture
def review(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The project after identification, dedup and dual title/abstract screening."""
    project = Project.init(tmp_path / "review", protocol=PROTOCOL)
    for file, name in EXPORTS.items():
        assert import_file(project, IMPORTS / file, source=name).added > 0
    hand = add_manual_record(project, ManualRecord(
        title="Co-producing an integrated discharge pathway with carers: a qualitative study",
        source_type="citation", source="reference list of an included study", authors=["Example, A.", "Case, B."],
        year=2019, doi="10.9999/hand.0001"), actor="lead")
    with pytest.raises(ManualRecordError, match="already added by hand"):  # a double submission adds nothing
        add_manual_record(project, ManualRecord(
            title="Co-producing an integrated discharge pathway with carers: a qualitative study",
            source_type="citation", source="reference list of an included study",
            authors=["Example, A.", "Case, B."], year=2019, doi="10.9999/hand.0001"), actor="lead")
    report = run_dedup(project)
    assert (report.identified, report.duplicates_removed, report.unique) == (22, 13, 9)
    with project.session() as session:
        for name, role in {"ann": "reviewer", "bob": "reviewer", "lead": "lead", "ada": "advisor",
                           "ben": "advisor"}.items():
            add_reviewer(session, name, role=role)
        set_setting(session, "required_reviewers", "2", actor="lead")
    ids = _ids_by_doi(project)
    for doi in DOIS[:4]:
        _both(project, ids[doi], "include")
    _decide(project, "ann", ids[DOIS[4]], "include")
    _decide(project, "bob", ids[DOIS[4]], "maybe", note="unsure whether the services are integrated")
    _decide(project, "ann", ids[DOIS[5]], "include")
    _decide(project, "bob", ids[DOIS[5]], "exclude", reasons=["E-NOT-INTEGRATED"])
    for doi in DOIS[6:]:
        _both(project, ids[doi], "exclude", reasons=["E-NOT-COPROD"])
    _both(project, hand, "include")
    assert ids[DOIS[5]] not in pending_records(project, "ann", FT)  # conflict: waits for consensus
    with project.session() as session:
        record_consensus(session, record_id=ids[DOIS[5]], stage=TA, decision="include", recorded_by="lead",
                         note="integration across sectors is described in the methods")
    return project, ids, hand


def test_the_reference_review_from_import_to_prisma(review, tmp_path):
    project, ids, hand = review
    protocol = project.load_protocol()
    at_full_text = {ids[doi] for doi in DOIS[:6]} | {hand}
    assert set(pending_records(project, "ann", FT)) == at_full_text  # includes, the maybe, the consensus

    # Full texts: one by upload, a folder matched by DOI (name or printed in the PDF), one not retrieved.
    pdfs = {doi: article_pdf(f"Study {i}: co-production in integrated care", doi, BODY) for i, doi in enumerate(DOIS)}
    attached = attach_pdf(project, ids[DOIS[0]], pdfs[DOIS[0]], "../../etc/passwd.pdf", actor="lead")
    assert attached.pdf.n_pages == 2 and "co-produced a new discharge pathway" in attached.pdf.text
    folder = tmp_path / "pdfs"
    folder.mkdir()
    (folder / "10.1016_j.bbr.2014.12.024.pdf").write_bytes(pdfs[DOIS[1]])  # DOI in the file name
    (folder / "download (3).pdf").write_bytes(pdfs[DOIS[2]])  # DOI printed on the first page
    (folder / "10.1002_hipo.22430.pdf").write_bytes(pdfs[DOIS[3]])
    (folder / "10.1142_s021963521250001x.pdf").write_bytes(pdfs[DOIS[4]])
    (folder / "unrelated.pdf").write_bytes(article_pdf("Another topic", "10.5555/none", BODY))
    (folder / "broken.pdf").write_bytes(corrupt_pdf(pdfs[DOIS[0]]))
    (folder / "linked.pdf").symlink_to(folder / "unrelated.pdf")
    skipped: list[str] = []
    bulk = attach_matching(project, pdf_files_in(folder, skipped), at_full_text, actor="lead")
    assert len(bulk.attached) == 4 and len(bulk.unmatched) == 1 and "unrelated.pdf" in bulk.unmatched[0]
    assert len(bulk.failed) == 1 and "broken.pdf: not a readable PDF" in bulk.failed[0]
    assert skipped == ["linked.pdf: a symbolic link, not followed"]
    attach_pdf(project, hand, article_pdf("Hand-searched study", "10.9999/hand.0001", BODY), "hand.pdf", "lead")
    mark_not_retrieved(project, ids[DOIS[5]], "not held by the library; authors did not reply", actor="lead")
    stored = sorted(p.name for p in (project.path / "fulltexts").iterdir())
    assert len(stored) == 6 and all(len(name) == 68 and name.endswith(".pdf") for name in stored)
    overview = full_text_overview(project).set_index("record_id")
    assert overview.loc[ids[DOIS[0]], "original_name"] == "passwd.pdf"  # the client path is dropped
    assert overview.loc[ids[DOIS[5]], "status"] == "not_retrieved"
    assert ids[DOIS[5]] not in pending_records(project, "ann", FT)

    # Advisory group: each full text to one of two members; views; the contested one goes to consensus.
    assessed = [ids[doi] for doi in DOIS[:5]] + [hand]
    shares = deal_records(assessed, ["ada", "ben"], per_record=1)
    assert assign_to_advisors(project, shares, actor="lead") == 6 and len(advisory_worklist(project, "ada")) == 3
    for record_id in assessed:
        advisor = "ada" if record_id in shares["ada"] else "ben"
        view = "exclude" if record_id == ids[DOIS[3]] else "include"
        record_view(project, advisor=advisor, record_id=record_id, view=view,
                    reason="E-QUANT-ONLY" if view == "exclude" else None, note="read against the criteria",
                    allowed_reasons=protocol.reason_codes)
    assert len(advisory_views(project)) == 6

    # Dual full-text screening: an exclusion needs exactly one reason.
    with pytest.raises(DecisionError, match="exactly one reason"):
        _decide(project, "ann", ids[DOIS[3]], "exclude", FT, reasons=["E-QUANT-ONLY", "E-NOT-COPROD"])
    for record_id in (ids[DOIS[0]], ids[DOIS[1]], ids[DOIS[2]], hand):
        _both(project, record_id, "include", FT)
    _both(project, ids[DOIS[3]], "exclude", FT, reasons=["E-QUANT-ONLY"])
    _decide(project, "ann", ids[DOIS[4]], "include", FT)
    _decide(project, "bob", ids[DOIS[4]], "exclude", FT, reasons=["E-NOT-COPROD"])
    with project.session() as session:
        record_consensus_with(session, participants=["ann", "bob", "ada", "ben"], record_id=ids[DOIS[4]], stage=FT,
                              decision="exclude", reasons=["E-NOT-COPROD"], recorded_by="lead",
                              note="only consultation; no shared power")
    discussed = consensus_with_participants(project, FT).set_index("record_id")
    assert discussed.loc[ids[DOIS[4]], "participants"] == "ada, ann, ben, bob, lead"

    # Appraisal: two appraisers; one item disputed and settled; one study under the threshold of 7.
    checklist = protocol.appraisal.active
    included = [ids[DOIS[0]], ids[DOIS[1]], ids[DOIS[2]], hand]
    plans = {ids[DOIS[0]]: ((2, 2, 2, 2, 1, 2, 2), (2, 1, 2, 2, 1, 2, 2)),
             ids[DOIS[1]]: ((2, 1, 2, 1, 1, 1, 1), (2, 1, 2, 1, 1, 1, 1)),
             ids[DOIS[2]]: ((1, 0, 1, 1, 1, 1, 0), (1, 0, 1, 1, 1, 1, 0)),  # total 5 < 7: excluded
             hand: ((2, 2, 1, 2, 2, 2, 1), (2, 2, 1, 2, 2, 2, 1))}
    rows_before = _count(project, AppraisalScore)
    with pytest.raises(AppraisalError, match=r"item 'T' \(Transparency\): '3' is not on its scale \(0 = not met"):
        submit_appraisal(project, checklist, appraiser="ann", record_id=included[0],
                         scores={**_scores(plans[included[0]][0]), "T": "3"})
    assert _count(project, AppraisalScore) == rows_before  # nothing half-written
    for record_id, (first, second) in plans.items():
        submit_appraisal(project, checklist, appraiser="ann", record_id=record_id, scores=_scores(first))
        submit_appraisal(project, checklist, appraiser="bob", record_id=record_id, scores=_scores(second))
    results = appraisal_results(project, checklist).set_index("record_id")
    assert results.loc[ids[DOIS[0]], "status"] == "needs_consensus" and results.loc[ids[DOIS[0]], "disputed"] == "A"
    record_appraisal_consensus(project, checklist, recorded_by="lead", record_id=ids[DOIS[0]], scores={"A": 2})
    results = appraisal_results(project, checklist).set_index("record_id")
    assert results["status"].eq("appraised").all()
    assert results.loc[ids[DOIS[0]], "total"] == 13 and results.loc[ids[DOIS[2]], "total"] == 5
    assert results["excluded"].tolist() == [r == ids[DOIS[2]] for r in results.index]
    pair = appraisal_agreement(project, checklist)[0]
    firsts = [s for r in plans for s in plans[r][0]]
    seconds = [s for r in plans for s in plans[r][1]]
    assert pair["n"] == 28 and pair["weighted_kappa_linear"] == pytest.approx(
        cohen_kappa_score(firsts, seconds, labels=[0, 1, 2], weights="linear"))

    # Extraction with ladder levels; wrong types are refused whole.
    form = protocol.extraction
    rows_before = _count(project, ExtractionValue)
    with pytest.raises(ExtractionError, match=r"field 'participants' \(Number of participants\): 'twelve' is not"):
        save_extraction(project, form, extractor="ann", record_id=ids[DOIS[0]],
                        values={"country": "England", "provision": "discharge", "ladder": "co-design",
                                "spectrum": "involve", "participants": "twelve"})
    with pytest.raises(ExtractionError, match="'rung 9' is not one of its options"):
        save_extraction(project, form, extractor="ann", record_id=ids[DOIS[0]],
                        values={"country": "England", "provision": "discharge", "ladder": "rung 9",
                                "spectrum": "involve"})
    assert _count(project, ExtractionValue) == rows_before
    extracted = {ids[DOIS[0]]: ("co-production", "collaborate"), ids[DOIS[1]]: ("co-design", "involve"),
                 hand: ("co-delivery", "devolve")}
    for record_id, (ladder, spectrum) in extracted.items():
        save_extraction(project, form, extractor="ann", record_id=record_id,
                        values={"country": "England", "provision": "integrated discharge", "ladder": ladder,
                                "spectrum": spectrum, "participants": "24",
                                "people_involved": ["service users", "staff"]})
    table = included_studies(project, protocol)
    assert table["ladder"].tolist() == ["co-delivery", "co-production", "co-design"]  # highest total first
    assert table["total_score"].tolist() == [13, 11, 9]
    assert table["participants"].tolist() == [24, 24, 24]
    out = tmp_path / "included.xlsx"
    assert export_included(table, "xlsx", out) == 3

    # PRISMA: every box from the database.
    flow = prisma_flow(project, protocol)
    checks = check_flow(flow)
    assert checks.consistent, checks.problems
    fields = flow.fields()
    assert fields["database_results"] == 21 and fields["database_specific_results"] == (
        "MEDLINE (Ovid), 5; Scopus, 8; Web of Science, 8")
    assert (fields["citations_results"], fields["website_results"], fields["organisation_results"]) == (1, 0, 0)
    assert fields["duplicates"] == 13 and fields["records_screened"] == 8 and fields["records_excluded"] == 2
    assert (fields["dbr_sought_reports"], fields["dbr_notretrieved_reports"], fields["dbr_assessed"]) == (6, 1, 5)
    assert fields["dbr_excluded"] == "E-NOT-COPROD, 1; E-QUANT-ONLY, 1; quality, 1"
    assert (fields["other_sought_reports"], fields["other_notretrieved_reports"], fields["other_assessed"]) == (1, 0, 1)
    assert fields["other_excluded"] == "" and fields["new_studies"] == fields["new_reports"] == 3
    assert _independent_counts(project) == {key: fields[key] for key in _independent_counts(project)}

    svg = render_flow(flow, "svg")
    root = ElementTree.fromstring(svg)  # valid XML
    text = " ".join("".join(node.itertext()) for node in root.iter("{http://www.w3.org/2000/svg}text"))
    for box in flow_boxes(flow):
        for line in box.lines:
            assert line.strip() in text, line
    for shown in ("Duplicate records (n = 13)", "Records screened", "(n = 8)", "E-NOT-COPROD (n = 1)",
                  "quality (n = 1)", "Citation searching (n = 1)", "Scopus (n = 8)"):
        assert shown in text
    png = render_flow(flow, "png")
    assert png.startswith(b"\x89PNG") and render_flow(flow, "pdf").startswith(b"%PDF")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "prisma_flow_end_to_end.png").write_bytes(png)  # looked at by eye (see README)

    runner = CliRunner()
    result = runner.invoke(app, ["prisma", str(project.path), "--json", "--out", str(tmp_path / "flow.svg")])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["fields"] == fields and payload["problems"] == []
    assert (tmp_path / "flow.svg").read_bytes().startswith(b"<?xml")


def _independent_counts(project: Project) -> dict[str, int]:
    """A few boxes counted straight from the tables, not through screening.prisma."""
    with project.session() as session:
        duplicates = session.scalar(select(func.count(Record.id)).where(
            Record.duplicate_of.is_not(None), Record.source_file != "hand: reference list of an included study"))
        not_retrieved = session.scalar(select(func.count(func.distinct(FullTextReport.record_id)))
                                       .where(FullTextReport.status == "not_retrieved"))
    ft = record_status(project, FT)
    ta = record_status(project, TA)
    return {"duplicates": duplicates, "dbr_notretrieved_reports": not_retrieved,
            "records_excluded": int((ta["final"] == "exclude").sum()),
            "dbr_assessed": int(ft["final"].isin(["include", "exclude"]).sum()) - 1}  # minus the hand-searched one


def test_bad_full_texts_are_refused_with_a_message_and_nothing_stored(review):
    project, ids, _ = review
    real = article_pdf("A study", DOIS[0], BODY)
    cases = {"notes.pdf": (b"This is a text file, not a PDF.", "not a PDF file"),
             "truncated.pdf": (corrupt_pdf(real), "not a readable PDF, the file seems damaged"),
             "locked.pdf": (encrypted_pdf(real), "password-protected")}
    for name, (data, message) in cases.items():
        with pytest.raises(PdfError, match=message) as error:
            attach_pdf(project, ids[DOIS[0]], data, name, actor="lead")
        assert str(error.value).startswith(f"{name}: ")
    assert current_reports(project).empty and not any((project.path / "fulltexts").glob("*.pdf"))
    runner = CliRunner()
    broken = project.path.parent / "truncated.pdf"
    broken.write_bytes(corrupt_pdf(real))
    source_id = project.session
    with project.session() as session:
        source_id = session.get(Record, ids[DOIS[0]]).source_id
    result = runner.invoke(app, ["fulltext", "attach", str(project.path), source_id, str(broken)])
    assert result.exit_code == 2 and "error: truncated.pdf: not a readable PDF" in result.output
    assert "Traceback" not in result.output
