"""Blind dual screening is independent: nothing reviewer B can observe moves with reviewer A's unresolved decisions.

Driven through the library (the code `screening queue` uses), the CLI and the app (AppTest), on the 40 real
CC0 fixture records. A's own queue must change (so the checks are not vacuous), and with blind mode off B's
queue must learn from A.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from screening.app.progress_estimates import live_stopping_status, screening_order
from screening.cli import app as cli
from screening.decisions.queries import current_decisions, decision_order, pending_records, training_labels
from screening.decisions.record import record_consensus
from screening.decisions.status import project_status
from screening.measures.agreement import agreement_report
from screening.measures.live_stopping import stopping_state
from screening.rank.queue import ProjectRanker, build_project_ranker, reviewer_queue, trained_learner
from screening.store.project import Project
from screening.store.settings import set_setting
from tests.app_helpers import decide, go, make_project, open_app, page_text, page_titles, sign_in

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")
STAGE = "title_abstract"


def _dual_blind_project(tmp_path, blind: bool = True) -> Project:  # type: ignore[no-untyped-def]
    project = make_project(tmp_path / "p", {"ann": "reviewer", "bob": "reviewer", "carl": "reviewer",
                                            "lead": "lead"})
    with project.session() as session:
        set_setting(session, "required_reviewers", "2", actor="lead")
        set_setting(session, "blind", "true" if blind else "false", actor="lead")
    return project


def _ranker(project: Project) -> ProjectRanker:
    return build_project_ranker(project, project.load_protocol(), "tfidf")


def _cli_queue(project: Project, reviewer: str) -> list[dict]:
    result = CliRunner().invoke(cli, ["queue", str(project.path), "--reviewer", reviewer, "--encoder", "tfidf",
                                      "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _cli_export(project: Project, reviewer: str) -> str:
    out = project.path / f"export_{reviewer}.csv"
    result = CliRunner().invoke(cli, ["export", str(project.path), "--out", str(out), "--as", reviewer])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def _observed_by(project: Project, ranker: ProjectRanker, reviewer: str) -> dict:
    """Everything the library and CLI let a reviewer observe (their view of every reviewer-facing figure)."""
    ordered, n_records = screening_order(project, STAGE, viewer=reviewer)
    stopping = live_stopping_status(project, STAGE, viewer=reviewer)
    certified = stopping_state(project, reviewer)
    learner = trained_learner(project, ranker, reviewer)
    return {
        "queue": reviewer_queue(project, reviewer, STAGE, ranker),
        "cli_queue": _cli_queue(project, reviewer),
        "cli_export": _cli_export(project, reviewer),
        "cli_status": CliRunner().invoke(cli, ["status", str(project.path), "--as", reviewer, "--json"]).output,
        "cli_agreement": CliRunner().invoke(cli, ["agreement", str(project.path), "--as", reviewer]).output,
        "labels": training_labels(project, STAGE, viewer=reviewer),
        "order": decision_order(project, STAGE, viewer=reviewer),
        "curve": (ordered.tolist(), n_records),
        "stopping": None if stopping is None else (stopping.n_screened, stopping.n_found, stopping.p_value),
        "certified": None if certified is None else (certified.headline(), certified.verdict,
                                                     certified.cost_to_certify),
        "cli_stopping": CliRunner().invoke(cli, ["stopping", str(project.path), "--as", reviewer, "--json"]).output,
        "status": project_status(project, viewer=reviewer),
        "decisions": current_decisions(project, STAGE, viewer=reviewer).to_dict("records"),
        "agreement": agreement_report(current_decisions(project, STAGE, viewer=reviewer), STAGE),
        "scores": learner.scores().round(12).to_dict(),
        "predictions": learner.include_predictions().to_dict(),
    }


def _source_ids(project: Project, record_ids: list[int]) -> list[str]:
    from screening.rank.project_data import load_records

    source = load_records(project).set_index("record_id")["source_id"]
    return [str(source[r]) for r in record_ids]


def _bob_decides_some(project: Project, ranker: ProjectRanker) -> list[int]:
    """bob includes his first queued record and excludes the next two; returns those three ids."""
    first = reviewer_queue(project, "bob", STAGE, ranker)[:3]
    decide(project, "bob", first[0], "include", note="BOB-NOTE")
    decide(project, "bob", first[1], "exclude")
    decide(project, "bob", first[2], "exclude")
    return first


def test_a_blind_reviewers_view_ignores_another_reviewers_unresolved_decisions(tmp_path):
    project = _dual_blind_project(tmp_path)
    ranker = _ranker(project)
    bobs = _bob_decides_some(project, ranker)
    before = _observed_by(project, ranker, "bob")
    ann_before = reviewer_queue(project, "ann", STAGE, ranker)

    # ann includes the five records ranked last in bob's queue, and disagrees with bob on his include.
    last_five = before["queue"][-5:]
    extra = next(r for r in ann_before if r not in last_five and r not in bobs)
    for record_id in last_five:
        decide(project, "ann", record_id, "include", note="ANN-NOTE")
    decide(project, "ann", bobs[0], "exclude")  # a conflict with bob's include
    decide(project, "ann", extra, "exclude")

    after = _observed_by(project, ranker, "bob")
    for key in before:
        assert after[key] == before[key], key  # ann's includes stay last in bob's queue, and so on
    # Not vacuous: ann's own queue learned from her decisions.
    ann_after = reviewer_queue(project, "ann", STAGE, ranker)
    assert ann_after != [r for r in ann_before if r not in {*last_five, bobs[0], extra}]
    assert set(training_labels(project, STAGE, viewer="ann")) == {*last_five, bobs[0], extra}
    # The team's (lead's) view uses everything.
    assert trained_learner(project, ranker, "lead").labels != trained_learner(project, ranker, "bob").labels


def test_without_blind_mode_every_queue_learns_from_every_decision(tmp_path):
    project = _dual_blind_project(tmp_path, blind=False)
    ranker = _ranker(project)
    _bob_decides_some(project, ranker)
    before = reviewer_queue(project, "bob", STAGE, ranker)
    last_five = before[-5:]
    for record_id in last_five:
        decide(project, "ann", record_id, "include")
    after = reviewer_queue(project, "bob", STAGE, ranker)
    assert after != before
    assert set(after[:5]) == set(last_five)  # what ann included now tops bob's queue
    assert [row["source_id"] for row in _cli_queue(project, "bob")] == _source_ids(project, after)


def test_resolved_records_train_every_reviewers_model(tmp_path):
    project = _dual_blind_project(tmp_path)
    ranker = _ranker(project)
    queue = reviewer_queue(project, "ann", STAGE, ranker)
    agreed, contested = queue[0], queue[1]
    decide(project, "ann", agreed, "include")
    assert agreed not in training_labels(project, STAGE, viewer="bob")
    decide(project, "bob", agreed, "include")  # both decided and agree: resolved
    decide(project, "ann", contested, "include")
    decide(project, "bob", contested, "exclude")  # a conflict: resolved only by consensus
    for reviewer in ("ann", "bob", "carl"):
        labels = training_labels(project, STAGE, viewer=reviewer)
        assert labels.get(agreed) == 1, reviewer
        assert contested not in labels or reviewer in ("ann", "bob"), reviewer
        assert agreed not in reviewer_queue(project, reviewer, STAGE, ranker), reviewer
    assert contested in reviewer_queue(project, "carl", STAGE, ranker)  # a conflict looks like 'not yet decided'
    with project.session() as session:
        record_consensus(session, record_id=contested, stage=STAGE, decision="exclude", recorded_by="lead",
                         note="settled")
    for reviewer in ("ann", "bob", "carl"):
        assert training_labels(project, STAGE, viewer=reviewer)[contested] == 0, reviewer
        assert trained_learner(project, ranker, reviewer).labels[contested] == 0, reviewer
    assert contested not in reviewer_queue(project, "carl", STAGE, ranker)


def test_the_cli_queue_is_the_apps_order_and_team_settings_are_audited(tmp_path):
    project = make_project(tmp_path / "p", {"ann": "reviewer", "bob": "reviewer", "lead": "lead"})
    runner = CliRunner()
    shown = runner.invoke(cli, ["team", str(project.path)])
    assert "decisions per record: 1" in shown.output and "blind mode: on" in shown.output
    changed = runner.invoke(cli, ["team", str(project.path), "--decisions-per-record", "2", "--blind", "on",
                                  "--actor", "lead"])
    assert changed.exit_code == 0 and "decisions per record: 2" in changed.output
    assert "independent" in changed.output
    bad = runner.invoke(cli, ["team", str(project.path), "--decisions-per-record", "3"])
    assert bad.exit_code == 2 and "must be 1 or 2" in bad.output
    unknown = runner.invoke(cli, ["queue", str(project.path), "--reviewer", "nobody", "--encoder", "tfidf"])
    assert unknown.exit_code == 2 and "unknown reviewer 'nobody'" in unknown.output
    from screening.store.schema import AuditEntry

    with project.session() as session:
        actions = [(a.actor, a.action, a.new) for a in session.query(AuditEntry).filter_by(action="set_setting")]
    assert actions == [("lead", "set_setting", '{"required_reviewers": "2"}')]

    decide(project, "ann", 1, "include")
    queue = _cli_queue(project, "bob")
    assert [row["rank"] for row in queue] == list(range(1, len(queue) + 1))
    assert set(queue[0]) == {"rank", "source_id", "title", "score"}
    assert [row["source_id"] for row in queue] == _source_ids(project, reviewer_queue(project, "bob", STAGE,
                                                                                      _ranker(project)))
    limited = runner.invoke(cli, ["queue", str(project.path), "--reviewer", "bob", "--encoder", "tfidf",
                                  "--limit", "3"])
    assert limited.exit_code == 0 and len(limited.output.strip().splitlines()) == 4


def _pages_text(at) -> dict[str, str]:  # type: ignore[no-untyped-def]
    pages = page_titles(at)
    return {page: page_text(go(at, page)) for page in pages}


def test_a_blind_reviewers_pages_do_not_change_with_another_reviewers_unresolved_decisions(tmp_path, monkeypatch):
    project = _dual_blind_project(tmp_path)
    ranker = _ranker(project)
    bobs = _bob_decides_some(project, ranker)
    queue = reviewer_queue(project, "bob", STAGE, ranker)
    go(sign_in(open_app(project.path, monkeypatch), "bob"), "Agreement")  # waits until the app's ranker is ready
    before = _pages_text(sign_in(open_app(project.path, monkeypatch), "bob"))  # a new session: ranked at once
    assert "Ranked by **tfidf** · 3 labels" in before["Screen"]

    for record_id in queue[-5:]:
        decide(project, "ann", record_id, "include", note="ANN-NOTE")
    decide(project, "ann", bobs[0], "exclude", note="ANN-NOTE")
    ann = sign_in(open_app(project.path, monkeypatch), "ann")
    ann_screen = page_text(go(ann, "Screen"))
    assert "Ranked by **tfidf** · 6 labels" in ann_screen  # her own queue learned from her decisions

    after = _pages_text(sign_in(open_app(project.path, monkeypatch), "bob"))
    assert after == before
    assert "ANN-NOTE" not in "".join(after.values())

    # Blind mode off: bob's queue learns from ann at once (one shared model).
    with project.session() as session:
        set_setting(session, "blind", "false", actor="lead")
    shared = page_text(go(sign_in(open_app(project.path, monkeypatch), "bob"), "Screen"))
    assert "Ranked by **tfidf** · 7 labels" in shared  # bob's 2 excludes + ann's 5 includes (1 conflict)


def test_with_one_decision_per_record_everyone_shares_the_teams_model(tmp_path):
    project = make_project(tmp_path / "p", {"ann": "reviewer", "bob": "reviewer"}, passwords=False)  # blind, 1/record
    ranker = _ranker(project)
    queue = reviewer_queue(project, "bob", STAGE, ranker)
    decide(project, "ann", queue[-1], "include")
    decide(project, "ann", queue[-2], "exclude")
    decide(project, "ann", queue[-3], "maybe", note="ANN-MAYBE")
    after = reviewer_queue(project, "bob", STAGE, ranker)
    assert queue[-1] not in after and queue[-2] not in after  # decided once = resolved
    assert queue[-3] not in after  # a maybe passes the record on to full text (in doubt, read it)
    assert trained_learner(project, ranker, "bob") is trained_learner(project, ranker, "ann")
    assert trained_learner(project, ranker, "bob").labels == {queue[-1]: 1, queue[-2]: 0}
    assert queue[-3] in pending_records(project, "bob", "full_text")
