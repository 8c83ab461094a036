"""Dedup of decided records on PostgreSQL: decisions carried to the kept record, and undo restores them."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from screening.decisions.queries import conflicts, current_decisions
from screening.decisions.record import record_decision
from screening.decisions.reviewers import add_reviewer
from screening.decisions.status import project_status
from screening.dedup.service import list_groups, run_dedup, undo_group
from screening.records.service import import_file
from screening.store.project import Project
from screening.store.schema import Record
from tests.test_import_service import DEMO
from tests.test_store_postgres import pg_url  # noqa: F401 (the fixture)

pytestmark = pytest.mark.postgres


def test_postgres_dedup_carries_decisions_and_undo_restores_them(tmp_path, pg_url):  # noqa: F811
    project = Project.init(tmp_path / "pg", db_url=pg_url)
    import_file(project, DEMO)
    again = pd.read_csv(DEMO).head(2)
    again.iloc[:, 0] = ["second-1", "second-2"]
    again.to_csv(tmp_path / "second.csv", index=False)
    import_file(project, tmp_path / "second.csv")
    with project.session() as session:
        add_reviewer(session, "alice")
        first, second = (session.scalars(select(Record.id).where(Record.title == title).order_by(Record.id)).all()
                         for title in again["title"])
        record_decision(session, reviewer="alice", record_id=first[0], decision="include")
        record_decision(session, reviewer="alice", record_id=first[1], decision="exclude")
        record_decision(session, reviewer="alice", record_id=second[1], decision="include")
    before = current_decisions(project)[["record_id", "decision"]].values.tolist()

    report = run_dedup(project)

    assert report.duplicates_removed >= 2 and len(report.needs_lead) == 1
    assert conflicts(project)["record_id"].tolist() == [first[0]]
    assert project_status(project)["stages"]["title_abstract"]["screened"] == 2
    group = next(g for g in list_groups(project) if g.kept_id == first[0])
    undo_group(project, group.group_id, actor="lead")
    after = current_decisions(project)[["record_id", "decision"]].values.tolist()
    assert sorted(after) == sorted(before)
