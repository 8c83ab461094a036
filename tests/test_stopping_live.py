"""The certified stopping method on a live project: stored draws, queues, outcomes, the page and the report."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from screening.cli import app as cli
from screening.decisions.stopping_samples import samples, unread_records
from screening.measures.live_stopping import draw_recommended_sample, stopping_state
from screening.rank.queue import build_project_ranker, reviewer_queue
from screening.store.project import Project
from screening.store.schema import AuditEntry
from tests.app_helpers import decide, go, make_project, open_app, page_text, records, sign_in

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")
STAGE = "title_abstract"


def _screened_project(tmp_path, includes: int = 20) -> Project:  # type: ignore[no-untyped-def]
    """40 real records; the lead has included the first ``includes`` (so a sample can certify)."""
    project = make_project(tmp_path / "p", {"lead": "lead", "ann": "reviewer"})
    for record_id in records(project)["id"].tolist()[:includes]:
        decide(project, "lead", int(record_id), "include", stage=STAGE)
    return project


def test_the_sample_is_drawn_with_its_seed_stored_and_survives_a_restart(tmp_path) -> None:
    project = _screened_project(tmp_path)
    pool = unread_records(project)
    sample = draw_recommended_sample(project, "lead", seed=42, force=True)
    expected = sorted(int(pool[i]) for i in np.random.default_rng(42).choice(len(pool), sample.size, replace=False))
    assert list(sample.record_ids) == expected
    assert sample.population == len(pool) == 20 and sample.attempt == 1 and sample.seed == 42
    reopened = Project.open(project.path)
    again = samples(reopened)
    assert len(again) == 1 and again[0].record_ids == sample.record_ids and again[0].is_open
    with reopened.session() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "draw_stopping_sample" in actions
    with pytest.raises(ValueError, match="random check is under way"):
        draw_recommended_sample(reopened, "lead", seed=1, force=True)


def test_drawn_records_come_first_in_every_queue(tmp_path) -> None:
    project = _screened_project(tmp_path)
    sample = draw_recommended_sample(project, "lead", seed=7, force=True)
    ranker = build_project_ranker(project, project.load_protocol(), "tfidf")
    queue = reviewer_queue(project, "ann", STAGE, ranker)
    assert set(queue[: sample.size]) == set(sample.record_ids)
    assert set(reviewer_queue(project, "ann", STAGE, None)[: sample.size]) == set(sample.record_ids)


def test_a_clean_sample_certifies_and_a_sample_with_includes_does_not(tmp_path) -> None:
    project = _screened_project(tmp_path)
    sample = draw_recommended_sample(project, "lead", seed=3, force=True)
    assert stopping_state(project).verdict == "sampling"
    for record_id in sample.record_ids:
        decide(project, "lead", record_id, "exclude", stage=STAGE)
    state = stopping_state(project)
    assert state.verdict == "stop" and state.cost_to_certify == 0
    closed = samples(Project.open(project.path))[0]
    assert closed.outcome == "certified" and closed.recall_lower >= 0.95 and closed.includes_in_sample == 0
    assert state.remaining.method == "random sample" and state.remaining.lower == 0

    other = _screened_project(tmp_path / "second")
    failed = draw_recommended_sample(other, "lead", seed=3, force=True)
    for i, record_id in enumerate(failed.record_ids):
        decide(other, "lead", record_id, "include" if i < 2 else "exclude", stage=STAGE)
    state = stopping_state(other)
    assert samples(other)[0].outcome == "not certified"
    assert state.verdict != "stop" and state.plan is not None and state.plan.attempt == 2
    assert state.plan.alpha < failed.alpha
    assert state.remaining.lower >= 0 and state.remaining.method == "random sample"


def test_a_reviewer_cannot_tell_a_drawn_record_on_the_screen_page(tmp_path, monkeypatch) -> None:
    project = _screened_project(tmp_path)
    sample = draw_recommended_sample(project, "lead", seed=5, force=True)
    at = go(sign_in(open_app(project.path, monkeypatch), "ann"), "Screen")
    text = page_text(at).lower()
    shown = [c.value for c in at.caption if "· record `" in c.value]
    drawn_sources = set(records(project).set_index("id").loc[list(sample.record_ids), "source_id"])
    assert shown and any(source in shown[0] for source in drawn_sources)  # a drawn record is on screen
    for word in ("sample", "under way", "drawn", "certif"):  # the help text names random checks in general
        assert word not in text, word


def test_the_lead_sees_the_plan_and_the_cli_writes_the_report(tmp_path, monkeypatch) -> None:
    project = _screened_project(tmp_path)
    at = go(sign_in(open_app(project.path, monkeypatch), "lead"), "Progress")
    text = page_text(at)
    assert "Includes left (est.)" in text and "Recall so far (est.)" in text
    assert "likely includes left" not in text
    for suffix in ("md", "html"):
        out = tmp_path / f"report.{suffix}"
        result = CliRunner().invoke(cli, ["stopping", str(project.path), "--draw", "--force", "--seed", "11",
                                          "--actor", "lead", "--report", str(out)] if suffix == "md" else
                                    ["stopping", str(project.path), "--report", str(out)])
        assert result.exit_code == 0, result.output
        report = out.read_text(encoding="utf-8")
        assert "hypergeometric" in report and "95" in report and "seed 11" in report
        assert "20 of 40 records were screened" in report or "20 of 40" in report
    assert report.startswith("<!doctype html>")
    as_reviewer = CliRunner().invoke(cli, ["stopping", str(project.path), "--as", "ann", "--json"])
    assert as_reviewer.exit_code == 0, as_reviewer.output
    assert '"record_ids"' not in as_reviewer.output


def test_report_escapes_names_from_people(tmp_path) -> None:
    project = make_project(tmp_path / "p", {"lead": "lead"})
    for record_id in records(project)["id"].tolist()[:20]:
        decide(project, "lead", int(record_id), "include", stage=STAGE)
    draw_recommended_sample(project, "![x](http://evil/x.png) <img src=x>", seed=2, force=True)
    from screening.measures.stopping_report import stopping_report_html, stopping_report_markdown

    state = stopping_state(project)
    markdown = stopping_report_markdown(state, "[t](javascript:alert(1))")
    assert "](http" not in markdown and "<img" not in markdown and "](javascript" not in markdown
    assert "<img" not in stopping_report_html(state, "x")
