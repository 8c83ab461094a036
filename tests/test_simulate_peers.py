"""Reading ASReview's labelling order from a project file and caching it as record ids."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import pytest

from screening.measures.peers import PeerOrder, load_order, read_project_order, save_order


def _project(tmp_path: Path, results: list[tuple[int, int | None, float]], n_records: int = 4) -> Path:
    tmp_path.mkdir(exist_ok=True)
    db_path = tmp_path / "results.db"
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE record (record_id INTEGER, dataset_row INTEGER)")
        # ASReview's record ids need not equal the CSV row: map through dataset_row.
        db.executemany("INSERT INTO record VALUES (?, ?)", [(10 + r, r) for r in range(n_records)])
        db.execute("CREATE TABLE results (record_id INTEGER, label INTEGER, training_set INTEGER, time FLOAT)")
        db.executemany("INSERT INTO results VALUES (?, 0, ?, ?)", results)
    project = tmp_path / "out.asreview"
    with zipfile.ZipFile(project, "w") as archive:
        archive.write(db_path, "results.db")
    return project


def test_order_by_time_with_priors_first(tmp_path: Path) -> None:
    project = _project(tmp_path, [(12, 2, 3.0), (11, None, 1.0), (13, None, 2.0)])
    order = read_project_order(project, 4)
    assert order.rows == [1, 3, 2] and order.n_priors == 2


def test_record_count_mismatch_and_late_priors_are_errors(tmp_path: Path) -> None:
    project = _project(tmp_path, [(11, None, 1.0)])
    with pytest.raises(ValueError, match="read 4 records, the dataset has 5"):
        read_project_order(project, 5)
    late = _project(tmp_path / "late", [(11, None, 1.0), (12, 2, 2.0), (13, None, 3.0)])
    with pytest.raises(ValueError, match="prior records are not the first"):
        read_project_order(late, 4)


def test_cache_round_trip_by_record_id(tmp_path: Path) -> None:
    ids = ["a", "b", "c", "d"]
    save_order(tmp_path, "demo", 3, PeerOrder(rows=[2, 0, 3], n_priors=1), ids)
    loaded = load_order(tmp_path, "demo", 3, ids)
    assert loaded is not None and loaded.rows == [2, 0, 3] and loaded.n_priors == 1
    assert load_order(tmp_path, "demo", 4, ids) is None
    with pytest.raises(ValueError, match="not in the dataset"):
        load_order(tmp_path, "demo", 3, ["x", "y", "z", "w"])
