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

from screening.advisory.assignments import AdvisoryError, advisory_worklist, assign_to_advisors
from screening.advisory.participants import consensus_with_participants
from screening.advisory.views import advisory_views
from screening.appraisal.agreement import appraisal_agreement
from screening.appraisal.checklist import AppraisalError
from screening.appraisal.results import appraisal_results
from screening.appraisal.scores import record_appraisal_consensus, submit_appraisal
from screening.cli import app
from screening.decisions.queries import pending_records, record_status
from screening.decisions.record import DecisionError, record_consensus
from screening.dedup.service import current_report
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
from screening.sources.manual import ManualRecordError, add_manual_record
from screening.store.project import Project
from screening.store.review_schema import AppraisalScore, ExtractionValue, FullTextReport
from screening.store.schema import Record
from tests.conftest import REPO
from tests.pdf_helpers import article_pdf, corrupt_pdf, encrypted_pdf
from tests.review_helpers import (
    APPRAISALS,
    BODY,
    DOIS,
    FT,
    HAND_RECORD,
    HAND_SOURCE,
    TA,
    TAPUPAS,
    advise,
    appraise,
    decide,
    extract,
    identified,
    ids_by_doi,
    screen_full_texts,
    screen_titles,
    study_key,
)

ARTIFACTS = REPO / "tests" / "artifacts"


def _count(project: Project, table) -> int:  # type: ignore[no-untyped-def]
    with project.session() as session:
        return session.scalar(select(func.count()).select_from(table))


def _scores(total_pattern: tuple[int, ...]) -> dict[str, int]:
    return dict(zip(TAPUPAS, total_pattern, strict=True))


@pytest.fixture
def review(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The project after identification, dedup and dual title/abstract screening."""
    project, hand = identified(tmp_path / "review")
    with pytest.raises(ManualRecordError, match="already added by hand"):  # a double submission adds nothing
        add_manual_record(project, HAND_RECORD, actor="lead", **HAND_SOURCE)
    assert current_report(project).as_dict() == {"identified": 22, "duplicates_removed": 13, "unique": 9,
                                                 "groups": 8, "changed": 0}
    ids = ids_by_doi(project)
    screen_titles(project, ids, hand, settle=False)
    assert ids[DOIS[5]] not in pending_records(project, "ann", FT)  # conflict: waits for consensus
    assert ids[DOIS[4]] in pending_records(project, "ann", FT)  # include + maybe: read the full text
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
    shares = advise(project, assessed, protocol.reason_codes)
    assert len(advisory_worklist(project, "ada")) == 3 and len(advisory_views(project)) == 6
    with pytest.raises(AdvisoryError, match="is a reviewer, not an advisory-group member"):
        assign_to_advisors(project, {"ann": assessed}, actor="lead")
    assert set(shares["ada"]) | set(shares["ben"]) == set(assessed)

    # Dual full-text screening: an exclusion needs exactly one reason.
    with pytest.raises(DecisionError, match="exactly one reason"):
        decide(project, "ann", ids[DOIS[3]], "exclude", FT, reasons=["E-QUANT-ONLY", "E-NOT-COPROD"])
    screen_full_texts(project, ids, hand)
    discussed = consensus_with_participants(project, FT).set_index("record_id")
    assert discussed.loc[ids[DOIS[4]], "participants"] == "ada, ann, ben, bob, lead"

    # Appraisal: two appraisers; one item disputed and settled; one study under the threshold of 7.
    checklist = protocol.appraisal.active
    included = [ids[DOIS[0]], ids[DOIS[1]], ids[DOIS[2]], hand]
    plans = {study_key(ids, hand, key): scores for key, scores in APPRAISALS.items()}
    rows_before = _count(project, AppraisalScore)
    with pytest.raises(AppraisalError, match=r"item 'T' \(Transparency\): '3' is not on its scale \(0 = not met"):
        submit_appraisal(project, checklist, appraiser="ann", record_id=included[0],
                         scores={**_scores(plans[included[0]][0]), "T": "3"})
    assert _count(project, AppraisalScore) == rows_before  # nothing half-written
    appraise(project, checklist, ids, hand, settle=False)
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
    extract(project, form, ids, hand)
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


def test_a_hand_added_record_obeys_the_import_field_limits(tmp_path):
    from screening.records.model import RecordIn
    from screening.store.project import Project

    def hand(**fields) -> RecordIn:  # type: ignore[no-untyped-def]
        return RecordIn(source_file="hand", source_position=1, **fields)

    project = Project.init(tmp_path / "p")
    with pytest.raises(ManualRecordError, match="doi"):
        add_manual_record(project, hand(title="A study", doi="10.1/" + "x" * 300), source="list", actor="lead")
    with pytest.raises(ManualRecordError, match="NUL"):
        add_manual_record(project, hand(title="A\x00study"), source="list", actor="lead")
    first = add_manual_record(project, hand(title="A study"), source="list", actor="lead")
    with pytest.raises(ManualRecordError, match="already added by hand"):
        add_manual_record(project, hand(title="A study"), source="list", actor="lead")
    assert first > 0
