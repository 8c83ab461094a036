"""The same project workflow on PostgreSQL (run with `make test-postgres`; selected by `-m postgres`)."""

from __future__ import annotations

import multiprocessing as mp
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


def _write(project_dir: str, reviewer: str, record_ids: list[int]) -> None:
    project = Project.open(project_dir)
    for record_id in record_ids:
        with project.session() as session:
            record_decision(session, reviewer=reviewer, record_id=record_id, decision="exclude")
    project.close()


def test_postgres_project_imports_decides_concurrently_and_reports(tmp_path, pg_url):
    project = Project.init(tmp_path / "pg", db_url=pg_url)
    assert project.engine.dialect.name == "postgresql"
    assert import_file(project, DEMO).added == 258
    assert import_file(project, DEMO).already_imported
    with project.session() as session:
        add_reviewer(session, "alice")
        add_reviewer(session, "bob")
        record_ids = list(session.scalars(select(Record.id).order_by(Record.id).limit(N_DECISIONS)))
    context = mp.get_context("spawn")
    workers = [context.Process(target=_write, args=(str(project.path), name, record_ids)) for name in ("alice", "bob")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [w.exitcode for w in workers] == [0, 0]
    reopened = Project.open(tmp_path / "pg")
    with reopened.session() as session:
        assert session.scalar(select(func.count(Decision.id))) == 2 * N_DECISIONS
        assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.entity == "decisions")) == 200
        record_decision(session, reviewer="alice", record_id=record_ids[0], decision="include")
    assert len(current_decisions(reopened)) == 2 * N_DECISIONS
    assert project_status(reopened)["stages"]["title_abstract"]["by_reviewer"] == {"alice": 100, "bob": 100}
    assert training_labels(reopened)[record_ids[1]] == 0 and record_ids[0] not in training_labels(reopened)
