"""A separate process that adds reviewers the way `decide --reviewer` and imported decisions do.

Run as `python -m tests.reviewer_adder PROJECT_DIR PROCESS N BARRIER_DIR N_PROCESSES` by the concurrency
tests: every process opens the project, waits until all are ready, then calls ensure_reviewer for the
same N names, one transaction each. Even names are spelled the same by every process; odd ones in a
different case, spacing or width per process (one reviewer each, however spelled).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from screening.decisions.reviewers import ensure_reviewer
from screening.store.project import Project

SPELLINGS = ("Reviewer {i}", "reviewer {i}", "  REVIEWER  {i} ", "Ｒｅｖｉｅｗｅｒ {i}")


def spelling(i: int, process: int) -> str:
    return SPELLINGS[0 if i % 2 == 0 else process % len(SPELLINGS)].format(i=i)


def _wait_for_all(barrier: Path, process: int, n_processes: int, timeout: float = 120.0) -> None:
    (barrier / f"ready-{process}").touch()
    deadline = time.monotonic() + timeout
    while len(list(barrier.glob("ready-*"))) < n_processes:
        if time.monotonic() > deadline:
            raise TimeoutError("the other reviewer_adder processes did not start")
        time.sleep(0.01)


def add_reviewers(project_dir: str, process: int, n: int, barrier: str, n_processes: int) -> None:
    project = Project.open(project_dir)
    with project.session() as session:  # connect before the barrier, so all start writing together
        session.connection()
    _wait_for_all(Path(barrier), process, n_processes)
    for i in range(n):
        with project.session() as session:
            ensure_reviewer(session, spelling(i, process), actor=f"process {process}")
    project.close()


def start_adders(project_dir: str, barrier: Path, n_processes: int, n: int) -> list:
    """Start the processes at once; returns the Popen objects."""
    import subprocess

    from tests.conftest import REPO

    barrier.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen([sys.executable, "-m", "tests.reviewer_adder", project_dir, str(process), str(n),
                              str(barrier), str(n_processes)], cwd=REPO, stderr=subprocess.PIPE, text=True)
            for process in range(n_processes)]


if __name__ == "__main__":
    add_reviewers(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
