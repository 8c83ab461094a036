"""The benchmark pipeline on the demo review with a cached ASReview order, and the recall-curve PNG."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from screening.measures.benchmark import run_benchmark
from screening.measures.curves import save_recall_grid
from tests.simulate_helpers import dataset_folder

FIXTURES = Path(__file__).parent / "fixtures" / "simulate"


def test_quick_benchmark_scores_all_arms_with_shared_priors(tmp_path: Path) -> None:
    dataset_folder(tmp_path / "datasets" / "Donners_2021", criteria=True)
    orders = tmp_path / "orders"
    orders.mkdir()
    shutil.copy(FIXTURES / "asreview_donners2021_s0.csv.gz", orders / "Donners_2021_s0.csv.gz")
    out = tmp_path / "out"
    runs = run_benchmark(tmp_path / "datasets", quick=True, out=out, ranker="random", orders=orders)

    assert set(runs["arm"]) == {"ours_1_1", "ours_0_0", "asreview", "random"}
    peer = runs[runs["arm"] == "asreview"].iloc[0]
    assert peer["loss"] == pytest.approx(0.12987012987012986)  # ASReview's own reported loss
    for name in ("simulation_runs.csv", "simulation_by_dataset.csv", "simulation_stopping.csv",
                 "simulation_summary.md", "simulation_recall_curves.png"):
        assert (out / name).stat().st_size > 0
    summary = (out / "simulation_summary.md").read_text()
    assert "Mean loss ours_1_1 / ASReview" in summary
    stopping = pd.read_csv(out / "simulation_stopping.csv")
    assert set(stopping["rule"]) == {"hypergeometric", "knee", "safe", "certified"}
    assert stopping["share_recall_ge_95"].between(0, 1).all()


def test_quick_benchmark_without_peer_orders_notes_the_gap(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    dataset_folder(tmp_path / "datasets" / "Donners_2021")
    runs = run_benchmark(tmp_path / "datasets", quick=True, out=tmp_path / "out", ranker="random",
                         orders=tmp_path / "no-orders")
    assert "asreview" not in set(runs["arm"])
    assert "no cached ASReview order" in capsys.readouterr().out


def test_recall_grid_png(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    labels = (rng.random(200) < 0.1).astype(int)
    path = save_recall_grid(tmp_path / "curves.png", {
        "a": {"ours": np.sort(labels)[::-1], "random": rng.permutation(labels)},
        "b": {"ours": rng.permutation(labels)},
    })
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="no recall curves"):
        save_recall_grid(tmp_path / "empty.png", {})


def test_time_budget_stops_starting_new_runs(tmp_path: Path) -> None:
    for name in ("Donners_2021", "Donners_copy"):
        dataset_folder(tmp_path / "datasets" / name)
    out = tmp_path / "out"
    runs = run_benchmark(tmp_path / "datasets", n_seeds=2, out=out, ranker="random", orders=tmp_path / "none",
                         run_peer=False, budget_minutes=0)
    assert runs[["dataset", "seed"]].drop_duplicates().shape[0] == 1  # only the first unit ran
    summary = (out / "simulation_summary.md").read_text()
    assert "time budget of 0 min spent; not run:" in summary and "s1" in summary


def test_resume_runs_only_the_missing_units(tmp_path: Path) -> None:
    for name in ("Donners_2021", "Donners_copy"):
        dataset_folder(tmp_path / "datasets" / name)
    out = tmp_path / "out"
    common = {"n_seeds": 1, "out": out, "ranker": "random", "orders": tmp_path / "none", "run_peer": False}
    first = run_benchmark(tmp_path / "datasets", budget_minutes=0, **common)
    assert first[["dataset", "seed"]].drop_duplicates().shape[0] == 1
    resumed = run_benchmark(tmp_path / "datasets", budget_minutes=60, resume=True, **common)
    units = resumed[["dataset", "seed"]].drop_duplicates()
    assert sorted(units["dataset"]) == ["Donners_2021", "Donners_copy"]
    kept = resumed[resumed["dataset"] == first["dataset"].iloc[0]]
    assert kept["loss"].tolist() == first["loss"].tolist()  # the earlier unit was kept, not re-run
    assert "resumed: 1 dataset/seed runs kept" in (out / "simulation_summary.md").read_text()


def test_cli_benchmark_resume_completes_a_cut_short_run(tmp_path: Path) -> None:
    """`screening benchmark --resume` (what evaluation/benchmark.py runs) keeps the finished units."""
    from typer.testing import CliRunner

    from screening.cli import app

    for name in ("Donners_2021", "Donners_copy"):
        dataset_folder(tmp_path / "datasets" / name)
    base = ["benchmark", "--datasets", str(tmp_path / "datasets"), "--out", str(tmp_path / "out"), "--seeds", "1",
            "--ranker", "random", "--no-peer-run"]
    cut = CliRunner().invoke(app, [*base, "--budget-minutes", "0"])
    assert cut.exit_code == 0, cut.output
    resumed = CliRunner().invoke(app, [*base, "--budget-minutes", "60", "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert "resumed: 1 dataset/seed runs kept" in (tmp_path / "out" / "simulation_summary.md").read_text()
    runs = pd.read_csv(tmp_path / "out" / "simulation_runs.csv")
    assert sorted(runs["dataset"].unique()) == ["Donners_2021", "Donners_copy"]


def test_runs_near_random_reading_are_flagged() -> None:
    from screening.measures.benchmark import _floor_flags

    runs = pd.DataFrame({"dataset": ["a", "a", "b"], "seed": [0, 0, 1], "arm": ["ours_1_1", "random", "asreview"],
                         "loss": [0.47, 0.52, 0.10]})
    flagged = _floor_flags(runs)
    assert "0.47" in flagged and "0.52" not in flagged  # random reading itself is not flagged
    assert _floor_flags(runs.assign(loss=[0.2, 0.5, 0.1])).startswith("None. The worst ranked run: ours_1_1")
