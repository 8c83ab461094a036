"""Separate processes importing the same file at the same moment, as two people uploading one export would.

Run as `python -m tests.import_writer PROJECT_DIR FILE START_AT` (START_AT: a time.time() value to wait for,
so that every process reaches the database together); prints the file's outcome message, exit 1 if refused.
"""

from __future__ import annotations

import subprocess
import sys
import time

from screening.records.service import import_outcome
from screening.store.project import Project


def import_at(project_dir: str, file: str, start_at: float) -> int:
    project = Project.open(project_dir)
    time.sleep(max(0.0, start_at - time.time()))
    outcome = import_outcome(project, file)
    print(outcome.message)
    project.close()
    return 0 if outcome.ok else 1


def check_demo_imported_once_by_four(project: Project) -> None:
    """Four processes import the demo CSV into ``project`` at once: one stores it, three are told it is
    already imported, none fails, and the tables hold it once."""
    from sqlalchemy import func, select

    from screening.store.schema import ImportBatch, Record
    from tests.test_import_service import DEMO

    importers = start_importers(str(project.path), str(DEMO), 4)
    results = [importer.communicate(timeout=300) for importer in importers]
    assert [importer.returncode for importer in importers] == [0] * 4, results
    messages = sorted(out.strip() for out, _ in results)
    assert messages[0].startswith("donners_2021.csv: 258 records imported as csv")
    assert messages[1:] == ["donners_2021.csv: already imported, nothing added"] * 3
    with project.session() as session:
        assert session.scalar(select(func.count(ImportBatch.id))) == 1
        assert session.scalar(select(func.count(Record.id))) == 258


def start_importers(project_dir: str, file: str, n: int, delay: float = 3.0) -> list[subprocess.Popen]:
    """Start ``n`` importer processes that all begin importing ``delay`` seconds from now."""
    from tests.conftest import REPO

    start_at = str(time.time() + delay)
    return [subprocess.Popen([sys.executable, "-m", "tests.import_writer", project_dir, file, start_at],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(n)]


if __name__ == "__main__":
    sys.exit(import_at(sys.argv[1], sys.argv[2], float(sys.argv[3])))
