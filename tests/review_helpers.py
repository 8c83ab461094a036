"""The reference review's shape built step by step (library calls only), shared by the end-to-end, app and
browser tests. Records: three database exports of the same eight real CC0 records (tests/fixtures/imports)
plus one hand-searched record; PDFs are generated (tests/pdf_helpers.py)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from screening.advisory.assignments import assign_to_advisors, deal_records
from screening.advisory.participants import record_consensus_with
from screening.advisory.views import record_view
from screening.appraisal.scores import record_appraisal_consensus, submit_appraisal
from screening.decisions.record import record_consensus, record_decision
from screening.decisions.reviewers import add_reviewer
from screening.dedup.service import run_dedup
from screening.extraction.store import save_extraction
from screening.fulltext.reports import attach_pdf, mark_not_retrieved
from screening.records.model import RecordIn
from screening.records.service import import_file
from screening.sources.manual import add_manual_record
from screening.store.project import Project
from screening.store.schema import Record
from screening.store.settings import set_setting
from tests.conftest import FIXTURES, REPO
from tests.pdf_helpers import article_pdf

PROTOCOL = REPO / "data" / "protocols" / "coproduction_integrated_care.yaml"
EXPORTS = {"scopus_export.csv": "Scopus", "ovid_medline.ris": "MEDLINE (Ovid)", "wos_savedrecs.txt": "Web of Science"}
DOIS = ["10.1002/dev.21432", "10.1016/j.bbr.2014.12.024", "10.1002/hipo.22328", "10.1002/hipo.22430",
        "10.1142/s021963521250001x", "10.1073/pnas.0911331106", "10.1007/s00213-007-0816-x",
        "10.1016/j.pbb.2013.08.008"]
TA, FT = "title_abstract", "full_text"
BODY = ("We interviewed service users, unpaid carers and staff of an integrated health and social care "
        "partnership about how they co-produced a new discharge pathway. ") * 3
TAPUPAS = ("T", "A", "P1", "U", "P2", "A2", "S")
TEAM = {"ann": "reviewer", "bob": "reviewer", "lead": "lead", "ada": "advisor", "ben": "advisor"}
HAND_RECORD = RecordIn(source_file="hand", source_position=1, year=2019, doi="10.9999/hand.0001",
                       title="Co-producing an integrated discharge pathway with carers: a qualitative study",
                       authors=["Example, A.", "Case, B."])
HAND_SOURCE = {"source_type": "citation", "source": "reference list of an included study"}
# Per study: ann's and bob's TAPUPAS scores (DOIS[2] totals 5, under the threshold of 7).
APPRAISALS = {0: ((2, 2, 2, 2, 1, 2, 2), (2, 1, 2, 2, 1, 2, 2)), 1: ((2, 1, 2, 1, 1, 1, 1), (2, 1, 2, 1, 1, 1, 1)),
              2: ((1, 0, 1, 1, 1, 1, 0), (1, 0, 1, 1, 1, 1, 0)), "hand": ((2, 2, 1, 2, 2, 2, 1), (2, 2, 1, 2, 2, 2, 1))}
LADDER = {0: ("co-production", "collaborate"), 1: ("co-design", "involve"), "hand": ("co-delivery", "devolve")}


def decide(project: Project, reviewer: str, record_id: int, decision: str, stage: str = TA, **kw) -> None:
    with project.session() as session:
        record_decision(session, reviewer=reviewer, record_id=record_id, decision=decision, stage=stage, **kw)


def both(project: Project, record_id: int, decision: str, stage: str = TA, **kw) -> None:
    for reviewer in ("ann", "bob"):
        decide(project, reviewer, record_id, decision, stage, **kw)


def ids_by_doi(project: Project) -> dict[str, int]:
    with project.session() as session:
        rows = session.execute(select(Record.doi, Record.id).where(Record.duplicate_of.is_(None))).all()
    return {doi: record_id for doi, record_id in rows}


def identified(folder: Path) -> tuple[Project, int]:
    """Imports with their sources, the hand-searched record, dedup and the team (dual screening)."""
    project = Project.init(folder, protocol=PROTOCOL)
    for file, name in EXPORTS.items():
        import_file(project, FIXTURES / "imports" / file, source=name)
    hand = add_manual_record(project, HAND_RECORD, actor="lead", **HAND_SOURCE)
    run_dedup(project)
    with project.session() as session:
        for name, role in TEAM.items():
            add_reviewer(session, name, role=role)
        set_setting(session, "required_reviewers", "2", actor="lead")
    return project, hand


def screen_titles(project: Project, ids: dict[str, int], hand: int, settle: bool = True) -> None:
    """Four includes, an include + maybe, a conflict settled by consensus, two excludes, the hand record in."""
    for doi in DOIS[:4]:
        both(project, ids[doi], "include")
    decide(project, "ann", ids[DOIS[4]], "include")
    decide(project, "bob", ids[DOIS[4]], "maybe", note="unsure whether the services are integrated")
    decide(project, "ann", ids[DOIS[5]], "include")
    decide(project, "bob", ids[DOIS[5]], "exclude", reasons=["E-NOT-INTEGRATED"])
    for doi in DOIS[6:]:
        both(project, ids[doi], "exclude", reasons=["E-NOT-COPROD"])
    both(project, hand, "include")
    if settle:
        with project.session() as session:
            record_consensus(session, record_id=ids[DOIS[5]], stage=TA, decision="include", recorded_by="lead",
                             note="integration across sectors is described in the methods")


def study_pdf(doi: str) -> bytes:
    return article_pdf(f"Co-production in integrated care: study {doi}", doi, BODY)


def attach_reports(project: Project, ids: dict[str, int], hand: int) -> None:
    for doi in DOIS[:5]:
        attach_pdf(project, ids[doi], study_pdf(doi), f"{doi.replace('/', '_')}.pdf", actor="lead")
    attach_pdf(project, hand, study_pdf(HAND_RECORD.doi), "hand.pdf", actor="lead")
    mark_not_retrieved(project, ids[DOIS[5]], "not held by the library; authors did not reply", actor="lead")


def advise(project: Project, assessed: list[int], allowed: list[str]) -> dict[str, list[int]]:
    shares = deal_records(assessed, ["ada", "ben"], per_record=1)
    assign_to_advisors(project, shares, actor="lead")
    for advisor, records in shares.items():
        for record_id in records:
            record_view(project, advisor=advisor, record_id=record_id, view="include",
                        note="read against the criteria", allowed_reasons=allowed)
    return shares


def screen_full_texts(project: Project, ids: dict[str, int], hand: int) -> None:
    for record_id in (ids[DOIS[0]], ids[DOIS[1]], ids[DOIS[2]], hand):
        both(project, record_id, "include", FT)
    both(project, ids[DOIS[3]], "exclude", FT, reasons=["E-QUANT-ONLY"])
    decide(project, "ann", ids[DOIS[4]], "include", FT)
    decide(project, "bob", ids[DOIS[4]], "exclude", FT, reasons=["E-NOT-COPROD"])
    with project.session() as session:
        record_consensus_with(session, participants=["ann", "bob", "ada", "ben"], record_id=ids[DOIS[4]], stage=FT,
                              decision="exclude", reasons=["E-NOT-COPROD"], recorded_by="lead",
                              note="only consultation; no shared power")


def study_key(ids: dict[str, int], hand: int, key: int | str) -> int:
    return hand if key == "hand" else ids[DOIS[key]]


def appraise(project: Project, checklist, ids: dict[str, int], hand: int, settle: bool = True) -> None:  # type: ignore[no-untyped-def]
    for key, (first, second) in APPRAISALS.items():
        record_id = study_key(ids, hand, key)
        submit_appraisal(project, checklist, appraiser="ann", record_id=record_id,
                         scores=dict(zip(TAPUPAS, first, strict=True)))
        submit_appraisal(project, checklist, appraiser="bob", record_id=record_id,
                         scores=dict(zip(TAPUPAS, second, strict=True)))
    if settle:
        record_appraisal_consensus(project, checklist, recorded_by="lead", record_id=ids[DOIS[0]], scores={"A": 2})


def extract(project: Project, form, ids: dict[str, int], hand: int) -> None:  # type: ignore[no-untyped-def]
    for key, (ladder, spectrum) in LADDER.items():
        save_extraction(project, form, extractor="ann", record_id=study_key(ids, hand, key),
                        values={"country": "England", "provision": "integrated discharge", "ladder": ladder,
                                "spectrum": spectrum, "participants": "24",
                                "people_involved": ["service users", "staff"]})


def complete_review(folder: Path) -> tuple[Project, dict[str, int], int]:
    """Every step done: the PRISMA counts add up."""
    project, hand = identified(folder)
    ids = ids_by_doi(project)
    protocol = project.load_protocol()
    screen_titles(project, ids, hand)
    attach_reports(project, ids, hand)
    advise(project, [ids[doi] for doi in DOIS[:5]] + [hand], protocol.reason_codes)
    screen_full_texts(project, ids, hand)
    appraise(project, protocol.appraisal.active, ids, hand)
    extract(project, protocol.extraction, ids, hand)
    return project, ids, hand
