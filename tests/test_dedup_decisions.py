"""Dedup of records that already have decisions: the kept record inherits them (as audited rows), a
reviewer who decided two copies differently leaves a conflict for the lead, PRISMA counts one work,
and undoing the group gives every record its own decisions back."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from screening.decisions.queries import conflicts, current_decisions, latest_consensus, record_status
from screening.decisions.record import DecisionError, last_decision, record_consensus, record_decision
from screening.decisions.reviewers import add_reviewer
from screening.decisions.status import project_status
from screening.dedup.commands import register
from screening.dedup.service import list_groups, run_dedup, undo_group
from screening.prisma.counts import prisma_flow
from screening.store.project import Project
from screening.store.schema import AuditEntry, Decision, ImportBatch, Record
from screening.store.settings import set_setting
from tests.store_helpers import TITLES, make_project

COPY = "L1"  # a second export of record R1 (same DOI), imported after the first decisions


@pytest.fixture
def project(tmp_path) -> Project:
    """Six records (R1..R6) and a later copy L1 of R1, not deduplicated yet; two decisions required."""
    project = make_project(tmp_path)
    with project.session() as session:
        session.get(Record, 1).doi = "10.1111/bjh.16964"
        batch = ImportBatch(file_name="later.ris", sha256="1" * 64, format="ris", n_records=1)
        session.add(batch)
        session.flush()
        session.add(Record(import_id=batch.id, source_id=COPY, source_file="later.ris", source_position=1,
                           title=TITLES[0].upper(), abstract="Abstract 1.", year=2020, doi="10.1111/bjh.16964"))
        set_setting(session, "required_reviewers", "2", actor="lead")
    return project


def record_id(project: Project, source_id: str) -> int:
    with project.session() as session:
        return session.scalars(select(Record.id).where(Record.source_id == source_id)).one()


def decide(project: Project, reviewer: str, source_id: str, decision: str, **kwargs) -> None:
    with project.session() as session:
        record_decision(session, reviewer=reviewer, record_id=record_id(project, source_id), decision=decision,
                        **kwargs)


def decisions_by_source(project: Project) -> dict[tuple[str, str], tuple[str, str | None]]:
    frame = current_decisions(project)
    return {(row.source_id, row.reviewer): (row.decision, row.reasons if isinstance(row.reasons, str) else None)
            for row in frame.itertuples()}


def own_decisions(project: Project) -> dict[tuple[int, str], str]:
    """Each record's current decisions read straight from the table (duplicates included)."""
    with project.session() as session:
        newest = select(func.max(Decision.id)).group_by(Decision.record_id, Decision.reviewer_id, Decision.stage)
        rows = session.scalars(select(Decision).where(Decision.id.in_(newest))).all()
        return {(row.record_id, str(row.reviewer_id)): row.decision for row in rows if row.decision != "retracted"}


def test_the_kept_record_inherits_the_copies_decisions_and_prisma_counts_one_work(project: Project) -> None:
    decide(project, "alice", "R1", "include")
    decide(project, "bob", COPY, "include", reasons=["I1"], note="fits")
    assert project_status(project)["included"] == 0  # each copy has one decision of the two required

    report = run_dedup(project)

    assert report.duplicates_removed == 1 and report.decisions_carried == 1 and report.needs_lead == []
    assert decisions_by_source(project) == {("R1", "alice"): ("include", None), ("R1", "bob"): ("include", "I1")}
    status = project_status(project)
    assert (status["unique_records"], status["included"], status["conflicts"]) == (6, 1, 0)
    assert status["stages"]["title_abstract"]["screened"] == 1
    flow = prisma_flow(project, None).fields()
    assert (flow["duplicates"], flow["records_screened"], flow["dbr_sought_reports"]) == (1, 1, 1)
    with project.session() as session:  # the copy keeps its own row (append-only), the carry is audited
        assert session.scalar(select(func.count(Decision.id)).where(Decision.record_id == 7)) == 1
        inherited = session.scalars(select(AuditEntry).where(AuditEntry.action == "dedup_inherit_decisions")).one()
    assert inherited.actor == "dedup" and json.loads(inherited.new)["note"] == "fits"


def test_a_conflict_on_a_copy_moves_to_the_kept_record_where_the_lead_can_settle_it(project: Project) -> None:
    decide(project, "alice", "R1", "include")
    decide(project, "alice", COPY, "include")
    decide(project, "bob", COPY, "exclude")
    assert conflicts(project)["record_id"].tolist() == [7]
    run_dedup(project)
    kept = record_id(project, "R1")
    assert conflicts(project)["record_id"].tolist() == [kept]  # not the duplicate nobody can settle
    with project.session() as session:
        record_consensus(session, record_id=kept, stage="title_abstract", decision="include", recorded_by="lead")
        with pytest.raises(DecisionError, match="duplicate"):
            record_consensus(session, record_id=7, stage="title_abstract", decision="include", recorded_by="lead")
    assert conflicts(project).empty
    assert project_status(project)["included"] == 1


def test_one_reviewer_deciding_the_copies_differently_is_a_conflict_not_a_silent_pick(project: Project) -> None:
    with project.session() as session:
        set_setting(session, "required_reviewers", "1", actor="lead")
    decide(project, "alice", "R1", "include", note="population fits")
    decide(project, "alice", COPY, "exclude", reasons=["E1"])

    report = run_dedup(project)

    assert len(report.needs_lead) == 1 and "alice" in report.needs_lead[0]
    current = current_decisions(project)
    assert current[["source_id", "reviewer", "decision"]].values.tolist() == [["R1", "alice", "maybe"]]
    note = current["note"].iloc[0]
    assert "R1 include (population fits)" in note and f"{COPY} exclude [E1]" in note
    assert conflicts(project)["record_id"].tolist() == [record_id(project, "R1")]
    assert project_status(project)["included"] == 0  # 'maybe' alone would pass it on at title/abstract
    decide(project, "alice", "R1", "exclude")  # deciding again settles it
    assert conflicts(project).empty and project_status(project)["excluded"] == 1


def test_undo_gives_every_record_its_own_decisions_back_and_keeps_later_ones(project: Project) -> None:
    decide(project, "alice", "R1", "include")
    decide(project, "alice", COPY, "exclude")
    decide(project, "bob", COPY, "exclude", reasons=["E2"])
    before = own_decisions(project)
    before_current = decisions_by_source(project)
    run_dedup(project)
    with project.session() as session:
        add_reviewer(session, "carol")
    decide(project, "carol", "R1", "maybe")  # a decision made on the merged work

    (group,) = list_groups(project)
    undo_group(project, group.group_id, actor="lead")

    after = own_decisions(project)
    carol = {key: value for key, value in after.items() if key not in before}
    assert {key: after[key] for key in before} == before and list(carol.values()) == ["maybe"]
    assert decisions_by_source(project) == {**before_current, ("R1", "carol"): ("maybe", None)}
    assert len(record_status(project)) == 2  # two works again, each with its own decisions
    assert run_dedup(project).duplicates_removed == 0  # and never grouped again


def test_a_copys_consensus_carries_over_only_when_nothing_contradicts_it(project: Project) -> None:
    decide(project, "alice", "R1", "include")
    decide(project, "alice", COPY, "include")
    decide(project, "bob", COPY, "exclude")
    with project.session() as session:
        record_consensus(session, record_id=7, stage="title_abstract", decision="include", recorded_by="lead",
                         note="discussed")
    run_dedup(project)
    consensus = latest_consensus(project, "title_abstract")
    assert consensus[["record_id", "decision", "note"]].values.tolist() == [[1, "include", "discussed"]]
    assert project_status(project)["included"] == 1


def settle_both_copies_differently(project: Project) -> list[str]:
    for source_id, settled in (("R1", "include"), (COPY, "exclude")):
        decide(project, "alice", source_id, "include")
        decide(project, "bob", source_id, "exclude")
        with project.session() as session:
            record_consensus(session, record_id=record_id(project, source_id), stage="title_abstract",
                             decision=settled, recorded_by="lead")
    return run_dedup(project).needs_lead


def test_copies_settled_differently_are_contested_again_and_undo_restores_both(project: Project) -> None:
    needs_lead = settle_both_copies_differently(project)
    assert any("settled differently" in line for line in needs_lead)
    assert latest_consensus(project, "title_abstract").empty  # R1's consensus no longer decides alone
    assert conflicts(project)["record_id"].tolist() == [1]

    undo_group(project, list_groups(project)[0].group_id, actor="lead")
    consensus = latest_consensus(project, "title_abstract").sort_values("record_id")
    assert consensus[["record_id", "decision"]].values.tolist() == [[1, "include"], [7, "exclude"]]


def test_the_lead_settles_a_retracted_consensus_again_without_replacing_anything(project: Project) -> None:
    settle_both_copies_differently(project)
    with project.session() as session:
        record_consensus(session, record_id=1, stage="title_abstract", decision="exclude", recorded_by="lead")
    assert conflicts(project).empty
    undo_group(project, list_groups(project)[0].group_id, actor="lead")  # the lead's later consensus stays
    consensus = latest_consensus(project, "title_abstract").sort_values("record_id")
    assert consensus[["record_id", "decision"]].values.tolist() == [[1, "exclude"], [7, "exclude"]]


def test_rerunning_dedup_adds_no_decision_rows(project: Project) -> None:
    decide(project, "alice", "R1", "include")
    decide(project, "alice", COPY, "exclude")
    decide(project, "bob", COPY, "include")
    run_dedup(project)
    with project.session() as session:
        rows = session.scalar(select(func.count(Decision.id)))
    second = run_dedup(project)
    with project.session() as session:
        assert session.scalar(select(func.count(Decision.id))) == rows
    assert second.decisions_carried == 0 and second.changed == 0


def test_a_group_that_dissolves_gives_the_kept_record_its_own_decisions_back(project: Project) -> None:
    decide(project, "alice", "R1", "include")
    decide(project, "bob", COPY, "exclude")
    run_dedup(project)
    assert decisions_by_source(project) == {("R1", "alice"): ("include", None), ("R1", "bob"): ("exclude", None)}
    with project.session() as session:  # e.g. the copy turns out to be another work (corrected record)
        copy = session.get(Record, 7)
        copy.doi, copy.title = "10.9999/other", "A completely different work on another subject entirely"
    report = run_dedup(project)
    assert report.duplicates_removed == 0
    assert decisions_by_source(project) == {("R1", "alice"): ("include", None), (COPY, "bob"): ("exclude", None)}


def test_cli_reports_carried_decisions_and_what_needs_the_lead(project: Project) -> None:
    decide(project, "alice", "R1", "include")
    decide(project, "alice", COPY, "exclude")
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(app, ["dedup", str(project.path)])
    assert result.exit_code == 0, result.output
    assert "decision rows carried to kept records: 1" in result.output
    assert "needs the lead: R1 (title_abstract): alice decided its copies differently" in result.output
    undo = CliRunner().invoke(app, ["dedup", str(project.path), "--undo", "1", "--json"])
    assert undo.exit_code == 0, undo.output
    frame = pd.DataFrame(current_decisions(project))
    assert sorted(frame["source_id"]) == ["L1", "R1"]


def test_a_consensus_is_not_carried_over_a_decision_against_it_the_lead_never_saw(project: Project) -> None:
    with project.session() as session:
        add_reviewer(session, "carol")
    decide(project, "carol", "R1", "exclude")
    decide(project, "alice", COPY, "include")
    decide(project, "bob", COPY, "exclude")
    with project.session() as session:
        record_consensus(session, record_id=7, stage="title_abstract", decision="include", recorded_by="lead")
    report = run_dedup(project)
    assert latest_consensus(project, "title_abstract").empty
    assert conflicts(project)["record_id"].tolist() == [1] and len(report.needs_lead) == 1


def test_undo_last_undoes_the_reviewers_own_last_decision_not_a_carried_one(project: Project) -> None:
    decide(project, "alice", COPY, "include")
    decide(project, "bob", "R1", "exclude")
    decide(project, "alice", "R3", "exclude")  # alice's last own decision
    run_dedup(project)  # carries alice's include from the copy to R1: a newer row than R3's
    with project.session() as session:
        last = last_decision(session, "alice", "title_abstract")
        assert (last.record_id, last.decision) == (3, "exclude")
