"""End-to-end replay of a real labelled dataset (the bundled demo review) and the `simulate` CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.measures.simulate import RandomRanker, choose_priors, replay, simulate
from tests.simulate_helpers import CRITERIA, DEMO


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return pd.read_csv(DEMO, dtype={"record_id": str}, keep_default_na=False)


def test_random_ranker_replay_stops_at_last_relevant(records: pd.DataFrame) -> None:
    result = simulate(records, priors=(1, 1), seed=3, ranker="random")
    labels = records["label_included"].astype(int).to_numpy()
    order = np.array(result.order)
    assert len(set(result.order)) == len(result.order)
    assert labels[order[:2]].tolist() == [1, 0]  # one included, one excluded prior
    assert labels[order].sum() == labels.sum() == 15
    assert labels[order[-1]] == 1  # stopped right after the last include
    assert result.record_ids == records["record_id"].iloc[order].tolist()
    m = result.metrics
    assert m.n_records == 258 and m.n_included == 15 and m.n_priors == 2
    assert 0.0 <= m.loss <= 1.0
    assert set(result.stopping) == {"hypergeometric", "knee", "safe", "certified"}


def test_same_seed_same_order_and_priors_follow_seed(records: pd.DataFrame) -> None:
    a = simulate(records, seed=5, ranker="random", stop="all")
    b = simulate(records, seed=5, ranker="random", stop="all")
    assert a.order == b.order and len(a.order) == 258
    labels = records["label_included"].astype(int).tolist()
    assert choose_priors(labels, 1, 1, 5) == a.order[:2]
    assert choose_priors(labels, 1, 1, 6) != a.order[:2]


def test_random_ranker_is_no_better_than_chance_on_average(records: pd.DataFrame) -> None:
    losses = [simulate(records, seed=s, ranker="random", priors=(0, 0)).metrics.loss for s in range(30)]
    assert np.mean(losses) == pytest.approx(0.5, abs=0.08)


def test_explicit_prior_indices_are_read_first(records: pd.DataFrame) -> None:
    result = simulate(records, ranker="random", prior_indices=[10, 0, 1])
    assert result.order[:3] == [10, 0, 1] and result.n_priors == 3


class _CountingRanker(RandomRanker):
    def __init__(self, n: int) -> None:
        super().__init__(n, seed=0)
        self.sizes: list[int] = []

    def update(self, labels) -> None:  # type: ignore[no-untyped-def]
        self.sizes.append(len(labels))


def test_retrain_schedule_every_label_then_two_percent_growth() -> None:
    ranker = _CountingRanker(1000)
    order, n_retrains = replay(ranker, [0] * 999 + [1], priors=[], stop="all")
    assert len(order) == 1000
    assert ranker.sizes[:60] == list(range(1, 61))  # every decision while 2 % of the labels is < 1
    gaps = np.diff(ranker.sizes)
    assert all(g >= max(1, int(0.02 * s)) for g, s in zip(gaps, ranker.sizes[:-1], strict=True))
    assert n_retrains == len(ranker.sizes) < 400


def test_missing_labels_are_reported_with_row(records: pd.DataFrame) -> None:
    broken = records.astype({"label_included": str})
    broken.loc[4, "label_included"] = ""
    with pytest.raises(ValueError, match="row 5"):
        simulate(broken, ranker="random")
    with pytest.raises(ValueError, match="unknown ranker"):
        simulate(records, ranker="bogus")


def test_cli_simulate_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    result = CliRunner().invoke(app, [
        "simulate", str(DEMO), "--criteria", str(CRITERIA),
        "--priors", "1,1", "--seed", "2", "--ranker", "random", "--json", str(out),
    ])
    assert result.exit_code == 0, result.output
    assert "wss95" in result.output
    data = json.loads(out.read_text())
    for key in ("n_records", "n_included", "wss95", "wss100", "recall_at_10", "rrf10", "atd", "loss",
                "n_screened_95", "seconds", "stopping_rules", "order", "prior_ids"):
        assert key in data
    assert data["n_records"] == 258 and len(data["prior_ids"]) == 2
    assert set(data["order"]) <= set(pd.read_csv(DEMO, dtype=str)["record_id"])
    assert data["stopping_rules"]["hypergeometric"]["assumptions"]
    assert data["recommended_stop"] in data["stopping_rules"]
    certified = data["stopping_rules"][data["recommended_stop"]]
    assert certified["n_screened"] <= 258 and certified["target_met"]
    checkpoints = data["remaining_estimates"]
    assert len(checkpoints) >= 10
    for point in checkpoints:
        assert {"n_screened", "estimate", "lower", "upper", "true_remaining"} <= set(point)
        assert 0 <= point["lower"] <= point["upper"] and point["true_remaining"] >= 0
    assert [p["n_screened"] for p in checkpoints] == sorted(p["n_screened"] for p in checkpoints)


def test_cli_rejects_bad_priors() -> None:
    result = CliRunner().invoke(app, ["simulate", str(DEMO), "--priors", "one"])
    assert result.exit_code != 0
    assert "INC,EXC" in result.output


def test_real_ranker_beats_random_reading(records: pd.DataFrame) -> None:
    """The toolkit's Ranker (TF-IDF encoder: no model download) from the published criteria, 1+1 priors.

    Random reading has an expected loss of 0.5; a ranker that learns from the labels must do far better.
    """
    from screening.protocol.load import load_protocol

    protocol = load_protocol(CRITERIA)
    result = simulate(records, protocol=protocol, priors=(1, 1), seed=0, ranker="tfidf")
    assert result.metrics.loss < 0.35
    assert result.metrics.wss95 > 0.1
    assert result.n_retrains > 50  # retrained after every early decision
    zero_shot = simulate(records, protocol=protocol, priors=(0, 0), seed=0, ranker="tfidf")
    assert zero_shot.metrics.n_priors == 0 and zero_shot.metrics.loss < 0.35


def test_cli_reads_plain_csv_through_the_importers(tmp_path: Path, records: pd.DataFrame) -> None:
    plain = tmp_path / "demo.csv"
    records.head(120).to_csv(plain, index=False)
    out = tmp_path / "run.json"
    result = CliRunner().invoke(app, ["simulate", str(plain), "--ranker", "random", "--priors", "0,0",
                                      "--stop", "all", "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["n_records"] == 120 and len(data["order"]) == 120
    assert data["n_included"] == int(records.head(120)["label_included"].astype(int).sum())
    assert data["order"][0] in set(records["record_id"].head(120))


def test_a_reused_ranker_is_reset_and_replays_like_a_fresh_one(records: pd.DataFrame) -> None:
    """The benchmark builds each dataset's ranker once; a reset must leave no trace of the previous replay."""
    from screening.measures.simulate import make_ranker, record_texts
    from screening.protocol.load import load_protocol

    protocol = load_protocol(CRITERIA)
    shared = make_ranker("tfidf", *record_texts(records), protocol, seed=0)
    first = simulate(records, protocol=protocol, priors=(1, 1), seed=1, ranker="tfidf", model=shared)
    assert shared.labels  # type: ignore[attr-defined]  # the replay trained it
    again = simulate(records, protocol=protocol, priors=(1, 1), seed=2, ranker="tfidf", model=shared)
    fresh = simulate(records, protocol=protocol, priors=(1, 1), seed=2, ranker="tfidf")
    assert again.order == fresh.order
    assert again.order != first.order  # other seed, other priors
    shared.reset()
    assert shared.labels == {}  # type: ignore[attr-defined]
