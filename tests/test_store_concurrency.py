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
    from tests.import_writer import check_demo_imported_once_by_four

    check_demo_imported_once_by_four(Project.init(tmp_path / "p"))
