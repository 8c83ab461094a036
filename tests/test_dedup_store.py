"""Dedup applied to a real project database: counts, kept records, idempotence, undo, audit, CLI."""

from __future__ import annotations

import json
from pathlib import Path
from random import Random

import pandas as pd
import pytest
import typer
from sqlalchemy import select
from test_dedup import fixture_records
from typer.testing import CliRunner

from screening.dedup.commands import register
from screening.dedup.perturb import perturb
from screening.dedup.service import DedupError, list_groups, run_dedup, undo_group
from screening.store.project import Project
from screening.store.schema import AuditEntry, DedupSplit, ImportBatch, Record

KINDS = [("case", "missing_doi"), ("truncated_subtitle",), ("author_order", "missing_doi"),
         ("html_entities", "year", "missing_doi"), ("punctuation",)]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A project with 40 real records (file 1) and 5 perturbed copies without abstracts (file 2)."""
    project = Project.init(tmp_path / "project")
    records = fixture_records()
    records = pd.concat([records.iloc[:25], records.iloc[-15:]])  # Smid_2020 (no authors) + Sep_2021
    rng = Random(5)
    copies, used = [], set()
    for kinds in KINDS:  # one copy per kind, each of another original with a specific (long) title
        for source in records.to_dict("records"):
            copy = perturb(source, kinds, rng) if len(source["title"]) > 40 else None
            if copy is not None and source["id"] not in used:
                used.add(source["id"])
                copies.append({**copy, "abstract": None, "source_id": f"copy-of-{source['source_id']}"})
                break
    with project.session() as session:
        for file_name, rows in (("first.csv", records.to_dict("records")), ("second.ris", copies)):
            batch = ImportBatch(file_name=file_name, sha256=file_name * 4, format="csv", n_records=len(rows))
            session.add(batch)
            session.flush()
            session.add_all(Record(
                import_id=batch.id, source_id=row["source_id"], source_file=file_name, source_position=position,
                title=row["title"], abstract=row["abstract"], authors=row["authors"],
                year=None if row["year"] is None or row["year"] != row["year"] else int(row["year"]),
                doi=row["doi"], pmid=row["pmid"]) for position, row in enumerate(rows, start=1))
    return project


def dedup_fields(project: Project) -> dict[str, tuple[int | None, int | None]]:
    with project.session() as session:
        rows = session.execute(select(Record.source_id, Record.duplicate_of, Record.dedup_group)).all()
    return {source_id: (duplicate_of, group) for source_id, duplicate_of, group in rows}


def test_run_dedup_marks_copies_and_keeps_the_record_with_abstract(project: Project) -> None:
    report = run_dedup(project)
    assert (report.identified, report.duplicates_removed, report.unique, report.groups) == (45, 5, 40, 5)
    fields = dedup_fields(project)
    groups = {g.kept_source_id: g for g in list_groups(project)}  # the originals (with abstract) are kept
    copies = [source_id for source_id in fields if source_id.startswith("copy-of-")]
    assert len(copies) == 5
    for source_id in copies:
        original = groups[source_id.removeprefix("copy-of-")]
        assert [duplicate for _, duplicate in original.duplicates] == [source_id]
        assert fields[source_id] == (original.kept_id, original.kept_id)
        assert fields[original.kept_source_id] == (None, original.kept_id)


def test_rerun_is_idempotent_and_every_run_is_audited(project: Project) -> None:
    first = run_dedup(project)
    before = dedup_fields(project)
    second = run_dedup(project)
    assert second.changed == 0 and first.changed == 10
    assert (second.duplicates_removed, second.groups) == (first.duplicates_removed, first.groups)
    assert dedup_fields(project) == before
    with project.session() as session:
        audits = session.scalars(select(AuditEntry).where(AuditEntry.action == "dedup")).all()
    assert [a.actor for a in audits] == ["dedup", "dedup"]
    assert json.loads(audits[-1].new)["duplicates_removed"] == 5


def test_undo_splits_a_group_for_good(project: Project) -> None:
    run_dedup(project)
    group = list_groups(project)[0]
    members = undo_group(project, group.group_id, actor="lead")
    assert sorted(members) == sorted([group.kept_id, *(record_id for record_id, _ in group.duplicates)])
    with project.session() as session:
        splits = session.execute(select(DedupSplit.record_a, DedupSplit.record_b)).all()
        undo_audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "dedup_undo")).one()
        cleared = session.execute(select(Record.duplicate_of, Record.dedup_group).where(Record.id.in_(members))).all()
    assert [tuple(pair) for pair in splits] == [tuple(sorted(members))]
    assert (undo_audit.actor, undo_audit.entity_id) == ("lead", group.group_id)
    assert all(row == (None, None) for row in cleared)
    report = run_dedup(project)
    assert (report.duplicates_removed, report.groups) == (4, 4)
    assert group.group_id not in {g.group_id for g in list_groups(project)}


def test_undo_of_an_unknown_group_says_so(project: Project) -> None:
    run_dedup(project)
    with pytest.raises(DedupError, match="no duplicate group 999999"):
        undo_group(project, 999_999, actor="lead")


def test_cli_prints_counts_lists_groups_and_reports_bad_group(project: Project) -> None:
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    runner = CliRunner()
    result = runner.invoke(app, ["dedup", str(project.path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"]["duplicates_removed"] == 5
    listing = runner.invoke(app, ["dedup", str(project.path), "--list"])
    assert listing.exit_code == 0 and listing.output.count("group ") == 5 and "unique records:     40" in listing.output
    bad = runner.invoke(app, ["dedup", str(project.path), "--undo", "999999"])
    assert bad.exit_code == 2 and "no duplicate group 999999" in bad.output
    missing = runner.invoke(app, ["dedup", str(project.path / "nope")])
    assert missing.exit_code != 0 and "not a screening project" in missing.output


def test_kept_records_signature_follows_dedup_and_undo(project: Project) -> None:
    """The app rebuilds its rankers when this changes; it must agree with the kept records themselves."""
    from screening.store.records_table import kept_records_signature, records_frame

    def from_frame() -> tuple[int, int]:
        kept = records_frame(project)
        return len(kept), int(kept["id"].max())

    before = kept_records_signature(project)
    assert before == from_frame() == (45, 45)
    run_dedup(project)
    after = kept_records_signature(project)
    assert after == from_frame() and after[0] == 45 - 5
    group = list_groups(project)[0]
    undo_group(project, group.group_id, actor="lead")
    restored = kept_records_signature(project)
    assert restored == from_frame() and restored[0] == after[0] + len(group.duplicates)


def test_cli_list_on_a_project_never_deduplicated_says_so(project: Project) -> None:
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    runner = CliRunner()
    never = runner.invoke(app, ["dedup", str(project.path), "--list"])
    assert never.exit_code == 0 and "dedup has never run on this project (45 records identified)" in never.output
    assert "duplicates removed" not in never.output
    assert json.loads(runner.invoke(app, ["dedup", str(project.path), "--list", "--json"]).output)["last_run"] is None
    runner.invoke(app, ["dedup", str(project.path)])
    listing = runner.invoke(app, ["dedup", str(project.path), "--list"])
    assert "last dedup run: " in listing.output and "; 5 duplicate groups" in listing.output
    assert "duplicates removed: 5" in listing.output
