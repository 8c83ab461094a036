"""The demo review as a labelled dataset for simulation tests (no dataset is copied into fixtures)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from tests.conftest import FIXTURES, REPO

DEMO = REPO / "data" / "demo" / "donners_2021.csv"
CRITERIA = FIXTURES / "protocol" / "Donners_2021.criteria.md"


def dataset_folder(folder: Path, criteria: bool = False) -> Path:
    """A folder laid out like ../shared/datasets/<name>: records.csv.gz (+ criteria.md)."""
    folder.mkdir(parents=True)
    pd.read_csv(DEMO, dtype=str, keep_default_na=False).to_csv(folder / "records.csv.gz", index=False)
    if criteria:
        shutil.copy(CRITERIA, folder / "criteria.md")
    return folder
