"""The same project workflow on PostgreSQL (run with `make test-postgres`; selected by `-m postgres`)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from screening.decisions.queries import current_decisions, training_labels
from screening.decisions.record import record_decision
from screening.decisions.reviewers import add_reviewer
from screening.decisions.status import project_status
from screening.records.service import import_file
from screening.store.project import Project, make_engine
from screening.store.schema import AuditEntry, Base, Decision, Record
from tests.decision_writer import start_writers
from tests.test_import_service import DEMO

pytestmark = pytest.mark.postgres
N_DECISIONS = 100


@pytest.fixture
def pg_url() -> str:
    url = os.environ.get("SCREENING_TEST_PG_URL")
    assert url, "set SCREENING_TEST_PG_URL (make test-postgres starts a local server and sets it)"
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    engine.dispose()
    return url


def test_postgres_project_imports_decides_concurrently_and_reports(tmp_path, pg_url):
    project = Project.init(tmp_path / "pg", db_url=pg_url)
    assert project.engine.dialect.name == "postgresql"
    assert import_file(project, DEMO).added == 258
    assert import_file(project, DEMO).already_imported
    with project.session() as session:
        add_reviewer(session, "alice")
        add_reviewer(session, "bob")
        record_ids = list(session.scalars(select(Record.id).order_by(Record.id).limit(N_DECISIONS)))
    assert record_ids == list(range(1, N_DECISIONS + 1))  # the writers decide records 1..N
    writers = start_writers(str(project.path), ["alice", "bob"], N_DECISIONS)
    errors = [writer.communicate(timeout=300)[1] for writer in writers]
    assert [w.returncode for w in writers] == [0, 0], errors
    reopened = Project.open(tmp_path / "pg")
    with reopened.session() as session:
        assert session.scalar(select(func.count(Decision.id))) == 2 * N_DECISIONS
        assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.entity == "decisions")) == 200
        record_decision(session, reviewer="alice", record_id=record_ids[0], decision="include")
    assert len(current_decisions(reopened)) == 2 * N_DECISIONS
    assert project_status(reopened)["stages"]["title_abstract"]["by_reviewer"] == {"alice": 100, "bob": 100}
    assert training_labels(reopened)[record_ids[1]] == 0 and record_ids[0] not in training_labels(reopened)
