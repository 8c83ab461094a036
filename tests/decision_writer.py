"""A separate process that records decisions, one transaction each, as a reviewer's app session does.

Run as `python -m tests.decision_writer PROJECT_DIR REVIEWER N [DECISION]` by the concurrency tests
(a subprocess, so nothing of the test runner's state, such as Streamlit's __main__, leaks into it).
"""

from __future__ import annotations

import sys

from screening.decisions.record import record_decision
from screening.store.project import Project


def write_decisions(project_dir: str, reviewer: str, n: int, decision: str | None = None) -> None:
    project = Project.open(project_dir)
    for record_id in range(1, n + 1):
        with project.session() as session:
            record_decision(session, reviewer=reviewer, record_id=record_id,
                            decision=decision or ("include" if record_id % 7 == 0 else "exclude"))
    project.close()


def start_writers(project_dir: str, reviewers: list[str], n: int) -> list:
    """Start one writer process per reviewer at once; returns the Popen objects."""
    import subprocess

    from tests.conftest import REPO

    return [subprocess.Popen([sys.executable, "-m", "tests.decision_writer", project_dir, name, str(n)],
                             cwd=REPO, stderr=subprocess.PIPE, text=True) for name in reviewers]


if __name__ == "__main__":
    write_decisions(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
