"""Records and current title/abstract labels of a project, as the ranker needs them.

Why: decisions are append-only, so a record's label is derived (newest consensus, else the reviewers'
agreed current decisions; `maybe` and retracted decisions are never training labels). The rule lives in
`screening.decisions.queries.training_labels`; this module maps it onto the ranker's positions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from screening.store.records_table import records_frame

if TYPE_CHECKING:
    from screening.store.project import Project

STAGE = "title_abstract"


def load_records(project: Project) -> pd.DataFrame:
    """Non-duplicate records in id order: record_id, source_id, title, abstract (missing text = None)."""
    frame = records_frame(project)[["id", "source_id", "title", "abstract"]]
    return frame.rename(columns={"id": "record_id"}).reset_index(drop=True)


def current_labels(project: Project, stage: str = STAGE, viewer: str | None = None) -> dict[int, int]:
    """Record id -> 1 include / 0 exclude for training (see module docstring); ``viewer``: whose view."""
    from screening.decisions.queries import training_labels

    return training_labels(project, stage, viewer)


def load_records_and_labels(project: Project, viewer: str | None = None) -> tuple[pd.DataFrame, dict[int, int]]:
    """Records plus labels keyed by the records' positions in that frame (what `Ranker.update` takes)."""
    records = load_records(project)
    by_id = current_labels(project, viewer=viewer)
    position = {int(record_id): i for i, record_id in enumerate(records["record_id"])}
    labels = {position[rid]: label for rid, label in by_id.items() if rid in position}
    return records, labels
