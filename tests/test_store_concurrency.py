"""Two processes writing decisions at the same time lose nothing and raise nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from screening.store.schema import AuditEntry, Decision
from tests.decision_writer import start_writers
from tests.store_helpers import make_project

N_DECISIONS = 500


def test_two_processes_write_500_decisions_each(tmp_path):
    project = make_project(tmp_path, n_records=N_DECISIONS)
    writers = start_writers(str(project.path), ["alice", "bob"], N_DECISIONS)
    errors = [writer.communicate(timeout=300)[1] for writer in writers]
    assert [w.returncode for w in writers] == [0, 0], errors
    with project.session() as session:
        assert session.scalar(select(func.count(Decision.id))) == 2 * N_DECISIONS
        audited = session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.entity == "decisions"))
        assert audited == 2 * N_DECISIONS
        per_reviewer = session.execute(select(Decision.reviewer_id, func.count()).group_by(Decision.reviewer_id))
        assert sorted(count for _, count in per_reviewer) == [N_DECISIONS, N_DECISIONS]


def test_four_processes_importing_one_file_store_it_once(tmp_path):
    from screening.store.project import Project
    from screening.store.schema import ImportBatch, Record
    from tests.import_writer import start_importers
    from tests.test_import_service import DEMO

    project = Project.init(tmp_path / "p")
    importers = start_importers(str(project.path), str(DEMO), 4)
    results = [importer.communicate(timeout=300) for importer in importers]
    assert [importer.returncode for importer in importers] == [0] * 4, results
    messages = sorted(out.strip() for out, _ in results)
    assert messages[0].startswith("donners_2021.csv: 258 records imported as csv")
    assert messages[1:] == ["donners_2021.csv: already imported, nothing added"] * 3
    with project.session() as session:
        assert session.scalar(select(func.count(ImportBatch.id))) == 1
        assert session.scalar(select(func.count(Record.id))) == 258
