"""Two processes writing decisions at the same time lose nothing and raise nothing."""

from __future__ import annotations

import multiprocessing as mp

from sqlalchemy import func, select

from screening.decisions.record import record_decision
from screening.store.project import Project
from screening.store.schema import AuditEntry, Decision
from tests.store_helpers import make_project

N_DECISIONS = 500


def _write_decisions(project_dir: str, reviewer: str, start: mp.Event) -> None:
    project = Project.open(project_dir)
    start.wait()
    for record_id in range(1, N_DECISIONS + 1):
        with project.session() as session:  # one transaction per decision, as the app does
            record_decision(session, reviewer=reviewer, record_id=record_id,
                            decision="include" if record_id % 7 == 0 else "exclude")
    project.close()


def test_two_processes_write_500_decisions_each(tmp_path):
    project = make_project(tmp_path, n_records=N_DECISIONS)
    context = mp.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_write_decisions, args=(str(project.path), name, start))
               for name in ("alice", "bob")]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(timeout=300)
    assert [w.exitcode for w in workers] == [0, 0]
    with project.session() as session:
        assert session.scalar(select(func.count(Decision.id))) == 2 * N_DECISIONS
        audited = session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.entity == "decisions"))
        assert audited == 2 * N_DECISIONS
        per_reviewer = session.execute(select(Decision.reviewer_id, func.count()).group_by(Decision.reviewer_id))
        assert sorted(count for _, count in per_reviewer) == [N_DECISIONS, N_DECISIONS]
