"""ASReview LAB as a peer: run its simulation in its own venv and keep its reading order.

Why: ASReview is the open-source reference for prioritised screening; scoring its reading order with
our own metrics (``screening.measures.metrics``) on the same records and the same prior records is the
only fair comparison. ASReview 3 needs pandas < 3, so it lives in a separate virtual environment
(``$ASREVIEW_VENV``, default ``/work/asreview-venv``), never inside the repository.

Orders are cached as small gzip CSVs (record ids and a prior flag, derived data only) so benchmarks and
CI can reuse them without ASReview installed.
"""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

DEFAULT_VENV = Path("/work/asreview-venv")
BATCHED_DRIVER = Path(__file__).with_name("asreview_batched.py")
RETRAIN_GROWTH = 0.02  # the same default as screening.measures.simulate
ORDER_COLUMNS = ("record_id", "prior")
INDEX_COLUMNS = ("dataset", "seed", "n_records", "n_labelled", "seconds", "asreview_version", "retrain_growth",
                 "asreview_loss")


def asreview_venv() -> Path:
    return Path(os.environ.get("ASREVIEW_VENV", DEFAULT_VENV))


def ensure_asreview(venv: Path | None = None) -> Path:
    """Return the ``asreview`` executable, creating the venv (python -m venv + pip) when it is missing."""
    venv = venv or asreview_venv()
    exe = venv / "bin" / "asreview"
    if exe.exists():
        return exe
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "asreview>=3,<4", "pandas<3"], check=True)
    if not exe.exists():
        raise RuntimeError(f"pip installed asreview into {venv} but {exe} is missing")
    return exe


@cache
def asreview_version(exe: Path) -> str:
    """The installed ASReview version (asked once per executable: every run's index line records it)."""
    out = subprocess.run([str(exe), "--version"], check=True, capture_output=True, text=True)
    return out.stdout.strip().split()[-1]


@dataclass
class PeerOrder:
    """ASReview's reading order as dataset row positions, priors first."""

    rows: list[int]
    n_priors: int
    seconds: float = float("nan")
    reported_loss: float = float("nan")


def read_project_order(project_file: Path, n_records: int) -> PeerOrder:
    """Labelling order from an ``.asreview`` project (its ``results.db``, ordered by time).

    Prior records are the rows without a training set (ASReview labels them before any model exists).
    ASReview's ``record_id`` is mapped back to the row of the CSV it was given via the ``record`` table.
    """
    with zipfile.ZipFile(project_file) as archive, tempfile.TemporaryDirectory() as tmp:
        names = [n for n in archive.namelist() if n.endswith("results.db")]
        if not names:
            raise ValueError(f"{project_file}: no results.db inside the project file")
        db_path = Path(archive.extract(names[0], tmp))
        with sqlite3.connect(db_path) as db:
            row_of = dict(db.execute("SELECT record_id, dataset_row FROM record").fetchall())
            results = db.execute("SELECT record_id, training_set FROM results ORDER BY time").fetchall()
    if len(row_of) != n_records:
        raise ValueError(f"{project_file}: ASReview read {len(row_of)} records, the dataset has {n_records}")
    rows = [int(row_of[record_id]) for record_id, _ in results]
    n_priors = sum(1 for _, training_set in results if training_set is None)
    if any(training_set is None for _, training_set in results[n_priors:]):
        raise ValueError(f"{project_file}: prior records are not the first labelled records")
    return PeerOrder(rows=rows, n_priors=n_priors)


def write_asreview_csv(records: pd.DataFrame, labels: list[int], path: Path) -> None:
    """The columns ASReview reads; labels as 0/1."""
    frame = pd.DataFrame(
        {
            "record_id": records["record_id"].astype(str) if "record_id" in records else range(len(records)),
            "title": records.get("title", pd.Series([""] * len(records))).fillna(""),
            "abstract": records.get("abstract", pd.Series([""] * len(records))).fillna(""),
            "label_included": labels,
        }
    )
    frame.to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC)


def run_asreview(
    records: pd.DataFrame,
    labels: list[int],
    seed: int,
    *,
    exe: Path | None = None,
    ai: str = "elas_u4",
    priors: tuple[int, int] = (1, 1),
    workdir: Path | None = None,
    retrain_growth: float = RETRAIN_GROWTH,
) -> PeerOrder:
    """Run ``asreview simulate`` once (stops at the last relevant record) and return its order.

    With ``retrain_growth`` > 0 ASReview queries ``max(1, floor(growth * labels))`` records per model fit,
    the retrain schedule of our own simulation (``asreview_batched.py``); 0 = ASReview's default of one
    record per fit. Runs in a scratch folder because ASReview writes a cache file into the working
    directory; niced so it does not starve other work on a small machine.
    """
    exe = exe or ensure_asreview()
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        scratch = Path(tmp)
        write_asreview_csv(records, labels, scratch / "data.csv")
        if retrain_growth > 0:
            launcher = [str(exe.parent / "python"), str(BATCHED_DRIVER), str(retrain_growth)]
        else:
            launcher = [str(exe), "simulate"]
        cmd = [
            "nice", "-n", "10", *launcher, "data.csv", "--ai", ai,
            "--n-prior-included", str(priors[0]), "--n-prior-excluded", str(priors[1]),
            "--prior-seed", str(seed), "--seed", str(seed), "-o", "out.asreview",
        ]
        started = time.perf_counter()
        done = subprocess.run(cmd, cwd=scratch, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"asreview simulate failed ({done.returncode}): {done.stderr[-2000:]}")
        order = read_project_order(scratch / "out.asreview", len(records))
    order.seconds = seconds
    order.reported_loss = _reported_loss(done.stdout + done.stderr)
    return order


def _reported_loss(output: str) -> float:
    for line in output.splitlines()[::-1]:
        if line.strip().startswith("Loss:"):
            return float(line.split(":", 1)[1])
    return float("nan")


def order_path(cache_dir: Path, dataset: str, seed: int) -> Path:
    return cache_dir / f"{dataset}_s{seed}.csv.gz"


def save_order(cache_dir: Path, dataset: str, seed: int, order: PeerOrder, record_ids: list[str]) -> Path:
    """Cache an order as record ids (priors flagged) so later runs need no ASReview."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = order_path(cache_dir, dataset, seed)
    frame = pd.DataFrame(
        {
            "record_id": [record_ids[r] for r in order.rows],
            "prior": [1 if i < order.n_priors else 0 for i in range(len(order.rows))],
        }
    )
    frame.to_csv(path, index=False, compression={"method": "gzip", "mtime": 0})
    return path


def load_order(cache_dir: Path, dataset: str, seed: int, record_ids: list[str]) -> PeerOrder | None:
    """A cached order mapped to row positions of ``record_ids``; None when not cached."""
    path = order_path(cache_dir, dataset, seed)
    if not path.exists():
        return None
    frame = pd.read_csv(path, dtype={"record_id": str}, keep_default_na=False)
    missing = [c for c in ORDER_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}")
    row_of = {rid: i for i, rid in enumerate(record_ids)}
    unknown = [rid for rid in frame["record_id"] if rid not in row_of]
    if unknown:
        raise ValueError(f"{path}: record id {unknown[0]!r} is not in the dataset")
    return PeerOrder(rows=[row_of[r] for r in frame["record_id"]], n_priors=int(frame["prior"].sum()))


def update_index(cache_dir: Path, row: dict[str, object]) -> None:
    """Keep one line per (dataset, seed) with the run's timing and ASReview's own reported loss."""
    path = cache_dir / "runs.csv"
    frame = pd.read_csv(path) if path.exists() else pd.DataFrame(columns=list(INDEX_COLUMNS))
    frame = frame[~((frame["dataset"] == row["dataset"]) & (frame["seed"] == row["seed"]))]
    frame = pd.concat([frame, pd.DataFrame([row])], ignore_index=True)
    frame.sort_values(["dataset", "seed"]).to_csv(path, index=False, columns=list(INDEX_COLUMNS))


def run_and_cache(cache_dir: Path, dataset: str, records: pd.DataFrame, labels: list[int], seed: int,
                  record_ids: list[str], *, exe: Path | None = None) -> PeerOrder:
    """Run ASReview for one dataset and seed, cache its order and add its timing line to the index."""
    exe = exe or ensure_asreview()
    order = run_asreview(records, labels, seed, exe=exe)
    save_order(cache_dir, dataset, seed, order, record_ids)
    update_index(cache_dir, {"dataset": dataset, "seed": seed, "n_records": len(labels),
                             "n_labelled": len(order.rows), "seconds": round(order.seconds, 2),
                             "asreview_version": asreview_version(exe), "retrain_growth": RETRAIN_GROWTH,
                             "asreview_loss": order.reported_loss})
    return order
