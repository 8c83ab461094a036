"""Building small projects for store and decision tests, with records inserted through the ORM."""

from __future__ import annotations

from pathlib import Path

from screening.decisions.reviewers import add_reviewer
from screening.store.project import Project
from screening.store.schema import ImportBatch, Record

# Titles of real records from the CC0 SYNERGY Donners_2021 set (see data/README.md).
TITLES = [
    "Emicizumab treatment and monitoring in a paediatric cohort: real-world data",
    "A boy with joint pain associated with emicizumab treatment",
    "Emicizumab prophylaxis in patients who have hemophilia A without inhibitors",
    "Pharmacokinetics of emicizumab in infants with severe haemophilia A",
    "Laboratory monitoring of emicizumab: a practical guide",
    "Thrombotic microangiopathy and emicizumab prophylaxis",
]


def make_project(tmp_path: Path, n_records: int = 6, reviewers: dict[str, str] | None = None) -> Project:
    project = Project.init(tmp_path / "project")
    with project.session() as session:
        batch = ImportBatch(file_name="fixture.csv", sha256="0" * 64, format="csv", n_records=n_records)
        session.add(batch)
        session.flush()
        for i in range(n_records):
            session.add(Record(import_id=batch.id, source_id=f"R{i + 1}", source_file="fixture.csv",
                               source_position=i + 1, title=TITLES[i % len(TITLES)],
                               abstract=f"Abstract {i + 1}.", year=2020))
        for name, role in (reviewers or {"alice": "reviewer", "bob": "reviewer", "lead": "lead"}).items():
            add_reviewer(session, name, role=role)
    return project
