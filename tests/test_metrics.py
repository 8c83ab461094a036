"""Screening-order metrics against hand-computed values and ASReview's own reported loss."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from screening.measures.metrics import evaluate, labels_in_order, loss, recall_curve, wss
from tests.simulate_helpers import DEMO

FIXTURES = Path(__file__).parent / "fixtures" / "simulate"


def test_small_order_by_hand() -> None:
    """N = 10 records, includes at positions 1 and 4 (Ny = 2), no priors.

    cumulative includes 1,1,1,2,2,2,2,2,2,2 sum to 17, so
    loss = (2 * (10 - 1/2) - 17) / (2 * 8) = 2 / 16 = 0.125;
    recall 100 % is reached after 4 records: WSS@100 = 6/10 - 0 = 0.6, WSS@95 = 0.6 - 0.05 = 0.55;
    10 % of the records is 1 record, which holds 1 of 2 includes: recall@10 = 0.5;
    ATD = mean(1, 4) = 2.5 records, 0.25 of the 10 records.
    """
    labels = [1, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    m = evaluate(list(range(10)), labels)
    assert (m.n_records, m.n_included, m.n_priors) == (10, 2, 0)
    assert m.loss == pytest.approx(0.125)
    assert m.wss100 == pytest.approx(0.6)
    assert m.wss95 == pytest.approx(0.55)
    assert m.recall_at_10 == pytest.approx(0.5)
    assert m.rrf10 == pytest.approx(0.5)
    assert m.atd == pytest.approx(2.5)
    assert m.atd_fraction == pytest.approx(0.25)
    assert (m.n_screened_95, m.n_screened_100) == (4, 4)


def test_priors_are_removed_for_asreview_metrics_only() -> None:
    """Same order, the first record (an include) given as prior.

    Without the prior: 9 records, 1 include at position 3: cumulative sum 7,
    loss = (1 * (9 - 0) - 7) / (1 * 8) = 0.25; rrf10 looks at floor(0.1 * 10) = 1 non-prior record: 0/1;
    ATD = 3. Cohen-style metrics still count the prior as read: recall@10 = 0.5, WSS@100 = 0.6.
    """
    labels = [1, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    m = evaluate(list(range(10)), labels, n_priors=1)
    assert m.loss == pytest.approx(0.25)
    assert m.rrf10 == pytest.approx(0.0)
    assert m.atd == pytest.approx(3.0)
    assert m.recall_at_10 == pytest.approx(0.5)
    assert m.wss100 == pytest.approx(0.6)


def test_perfect_and_worst_orders() -> None:
    labels = np.array([0] * 90 + [1] * 10)
    perfect = list(np.argsort(-labels, kind="stable"))
    worst = list(np.argsort(labels, kind="stable"))
    best, bad = evaluate(perfect, labels), evaluate(worst, labels)
    assert best.loss == pytest.approx(0.0)
    assert bad.loss == pytest.approx(1.0)
    assert best.wss100 == pytest.approx(0.9)  # read 10 of 100: 0.9 unread - 0
    assert bad.wss100 == pytest.approx(0.0)
    assert best.recall_at_10 == 1.0 and bad.recall_at_10 == 0.0


def test_random_orders_average_near_half_loss_and_zero_wss() -> None:
    rng = np.random.default_rng(0)
    labels = (rng.random(400) < 0.1).astype(int)
    results = [evaluate(list(rng.permutation(400)), labels) for _ in range(200)]
    assert np.mean([r.loss for r in results]) == pytest.approx(0.5, abs=0.03)
    assert np.mean([r.wss95 for r in results]) == pytest.approx(0.0, abs=0.03)


def test_ids_with_label_mapping_and_partial_order() -> None:
    labels = {"a": 0, "b": 1, "c": 0, "d": 1, "e": 0}
    ordered = labels_in_order(["d", "b"], labels)  # stopped after the last include
    assert ordered.tolist() == [1, 1, 0, 0, 0]
    assert evaluate(["d", "b"], labels).loss == pytest.approx(0.0)


def test_recall_curve_and_wss_helpers() -> None:
    screened, found = recall_curve(np.array([0, 1, 1, 0]))
    assert screened.tolist() == [0, 1, 2, 3, 4]
    assert found.tolist() == [0, 0, 1, 2, 2]
    assert wss(np.array([1, 1, 0, 0]), 1.0) == pytest.approx(0.5)
    assert np.isnan(loss(np.array([0, 0, 0])))


@pytest.mark.parametrize(
    ("order", "message"),
    [([0, 0, 1], "twice"), ([0, 7], "outside"), (["x"], "no label")],
)
def test_bad_orders_are_named(order: list, message: str) -> None:
    labels = {"a": 1, "b": 0} if order == ["x"] else [1, 0, 0]
    with pytest.raises(ValueError, match=message):
        labels_in_order(order, labels)


def test_loss_matches_asreview_reported_loss() -> None:
    """An ASReview 3 simulation of the fixture (elas_u4, 1+1 priors, seed 0): its order and the loss that
    ``asreview.metrics.loss`` gave for it (priors removed, padded with unread records) are committed."""
    expected = json.loads((FIXTURES / "asreview_donners2021_s0.json").read_text())
    peer = pd.read_csv(FIXTURES / "asreview_donners2021_s0.csv.gz", dtype={"record_id": str})
    records = pd.read_csv(DEMO, dtype={"record_id": str}, keep_default_na=False)
    labels = dict(zip(records["record_id"], records["label_included"].astype(int), strict=True))
    m = evaluate(peer["record_id"].tolist(), labels, n_priors=int(peer["prior"].sum()))
    assert m.loss == pytest.approx(expected["asreview_loss"], abs=1e-12)
    assert round(m.loss, 3) == pytest.approx(expected["asreview_printed_loss"])
