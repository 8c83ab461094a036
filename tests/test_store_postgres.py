"""The same project workflow on PostgreSQL (run with `make test-postgres`; selected by `-m postgres`)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, inspect, select, text

from screening.decisions.queries import current_decisions, training_labels
from screening.decisions.record import record_decision
from screening.decisions.reviewers import add_reviewer, ensure_reviewer
from screening.decisions.status import project_status
from screening.records.service import import_file
from screening.store.project import Project, make_engine
from screening.store.schema import REVIEWER_KEY_INDEX, AuditEntry, Base, Decision, Record, Reviewer
from tests.decision_writer import start_writers
from tests.reviewer_adder import start_adders
from tests.test_import_service import DEMO

pytestmark = pytest.mark.postgres
N_DECISIONS = 100
N_REVIEWERS = 40


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


def test_postgres_four_processes_adding_the_same_reviewers_create_each_once(tmp_path, pg_url):
    """ensure_reviewer is an upsert: read-then-insert let 2 of 4 processes die with IntegrityError here."""
    project = Project.init(tmp_path / "pg", db_url=pg_url)
    adders = start_adders(str(project.path), tmp_path / "barrier", n_processes=4, n=N_REVIEWERS)
    errors = [adder.communicate(timeout=300)[1] for adder in adders]
    assert [adder.returncode for adder in adders] == [0, 0, 0, 0], errors
    with project.session() as session:
        keys = session.scalars(select(Reviewer.name_key)).all()
        assert sorted(keys) == sorted(f"reviewer {i}" for i in range(N_REVIEWERS))
        assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "add_reviewer")) \
            == N_REVIEWERS


def test_postgres_project_from_before_reviewer_keys_is_upgraded(tmp_path, pg_url):
    """An old PostgreSQL database (reviewers without name_key) gets the column, keys and unique index."""
    engine = make_engine(pg_url)
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(text(f"DROP INDEX {REVIEWER_KEY_INDEX}"))
        connection.execute(text("ALTER TABLE reviewers DROP COLUMN name_key"))
        connection.execute(text("INSERT INTO reviewers (name, role, created_at) VALUES "
                                "('Ann', 'reviewer', now()), ('ann', 'reviewer', now())"))
    engine.dispose()
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "project.yaml").write_text(f"db_url: {pg_url}\nprotocol: null\n", encoding="utf-8")
    project = Project.open(folder)
    with project.session() as session:
        assert dict(session.execute(select(Reviewer.name, Reviewer.name_key)).all()) == {"Ann": "ann", "ann": None}
        assert ensure_reviewer(session, "ANN").name == "Ann"
        assert "uq_reviewers_name_key" in {i["name"] for i in inspect(session.connection()).get_indexes("reviewers")}


def test_postgres_same_file_imported_by_four_processes_at_once_is_stored_once(tmp_path, pg_url):
    """The old read-then-insert check lost 3 of 4 such processes to an IntegrityError on PostgreSQL."""
    from tests.import_writer import check_demo_imported_once_by_four

    check_demo_imported_once_by_four(Project.init(tmp_path / "pg", db_url=pg_url))


@pytest.mark.parametrize("bomb", ["long_doi_csv", "long_pmid_medline", "long_source_id_ris", "xlsx_long_doi",
                                  "nul_after_8k_csv", "xlsx_nul_cell"])
def test_postgres_refuses_what_its_columns_cannot_hold_as_sqlite_does(tmp_path, pg_url, bomb):
    """The same ImportFormatError (file, line, record, field) on both backends, never a DataError."""
    from screening.records.errors import ImportFormatError
    from screening.records.fuzz import bombs

    name, data = getattr(bombs, bomb)()
    path = tmp_path / name
    path.write_bytes(data)
    outcomes = []
    for url in (pg_url, None):
        project = Project.init(tmp_path / ("pg" if url else "sqlite"), db_url=url)
        try:
            outcomes.append(("imported", import_file(project, path).added))
        except ImportFormatError as error:
            outcomes.append(("refused", str(error)))
        with project.session() as session:
            stored = session.scalars(select(Record.title)).all()
        assert all("\x00" not in title for title in stored if title)
        project.close()
    assert outcomes[0] == outcomes[1]
