"""Labelled benchmark datasets (``shared/datasets/<name>/records.csv.gz`` + ``criteria.md``).

Why: the simulation CLI, the ASReview runner and the benchmark must read the same rows in the same order,
or the prior records and reading orders would not line up between us and the peer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from screening.measures.simulate import read_labels

DEFAULT_DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"

# The same review twice (SYNERGY's OpenAlex copy and Cohen's PubMed copy): keep both, pool only one.
SAME_REVIEW = {"Nelson_2002": "Cohen_2006_Estrogens"}


@dataclass
class Dataset:
    name: str
    records: pd.DataFrame
    labels: list[int]
    criteria_path: Path | None

    @property
    def record_ids(self) -> list[str]:
        return self.records["record_id"].astype(str).tolist()


def read_labelled_csv(path: Path) -> pd.DataFrame:
    """Read a (gzip) CSV of records with ``label_included``, ids kept as text."""
    try:
        frame = pd.read_csv(path, dtype={"record_id": str}, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ValueError(f"{path}: cannot read as CSV ({exc})") from exc
    if "record_id" not in frame.columns:
        frame.insert(0, "record_id", [str(i) for i in range(len(frame))])
    return frame


def load_dataset(folder: Path) -> Dataset:
    """One dataset folder: its records, the 0/1 labels and its criteria.md (if any)."""
    path = folder / "records.csv.gz"
    if not path.exists():
        raise FileNotFoundError(f"{folder}: no records.csv.gz")
    records = read_labelled_csv(path)
    try:
        labels = read_labels(records)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    criteria = folder / "criteria.md"
    return Dataset(folder.name, records, labels, criteria if criteria.exists() else None)


def dataset_folders(root: Path) -> list[Path]:
    """Dataset folders under ``root``, smallest file first (quick feedback in long runs)."""
    folders = [p for p in root.iterdir() if (p / "records.csv.gz").exists()]
    return sorted(folders, key=lambda p: ((p / "records.csv.gz").stat().st_size, p.name))
