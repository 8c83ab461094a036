"""Cross-validation over reviews and the agreement-weighted prior (issue 16)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from screening.measures.cross_validation import cross_validate, review_folds
from screening.rank.features import Features
from screening.rank.learner import ActiveLearner, LearnerConfig, labelled_auc


def _reviews(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"dataset": [f"r{i}" for i in range(n)], "n_records": rng.integers(100, 9000, n),
                         "prevalence": rng.random(n) * 0.1})


def test_folds_are_balanced_and_spread_over_sizes() -> None:
    reviews = _reviews(30)
    folds = review_folds(reviews, 5)
    assert sorted(folds) == sorted(reviews["dataset"])
    assert np.bincount(list(folds.values())).tolist() == [6] * 5
    bands = reviews.sort_values("n_records")["dataset"].to_numpy().reshape(6, 5)
    for band in bands:  # each size band puts one review in every fold
        assert sorted(folds[name] for name in band) == [0, 1, 2, 3, 4]
    assert review_folds(reviews.sample(frac=1, random_state=1), 5) == folds
    with pytest.raises(ValueError, match="at least 2 folds"):
        review_folds(reviews, 1)
    with pytest.raises(ValueError, match="3 reviews cannot fill 5 folds"):
        review_folds(reviews.head(3), 5)


def test_held_out_score_uses_the_setting_chosen_without_the_fold() -> None:
    # Setting "a" is best on every review but one; on that one "b" wins by far. In-sample picks "a".
    rows = []
    for i in range(10):
        rows.append({"setting": "a", "dataset": f"r{i}", "loss": 0.1, "asreview_loss": 0.1})
        rows.append({"setting": "b", "dataset": f"r{i}", "loss": 0.0 if i == 0 else 0.2, "asreview_loss": 0.1})
    folds = {f"r{i}": 0 if i < 2 else 1 for i in range(10)}
    result = cross_validate(pd.DataFrame(rows), folds)
    assert result.chosen == {0: "a", 1: "a"}
    assert result.held_out_ratio == pytest.approx(1.0)
    assert result.in_sample_best == "a"
    with pytest.raises(ValueError, match="no fold"):
        cross_validate(pd.DataFrame(rows), {"r0": 0})


def test_labelled_auc_matches_pairs() -> None:
    scores = np.array([0.9, 0.1, 0.5, 0.5, 0.3])
    index, y = np.array([0, 1, 2, 3, 4]), np.array([1, 0, 1, 0, 0])
    pairs = [(scores[i] > scores[j]) + 0.5 * (scores[i] == scores[j]) for i in (0, 2) for j in (1, 3, 4)]
    assert labelled_auc(scores, index, y) == pytest.approx(np.mean(pairs))


def _learner(prior: np.ndarray, weighting: str) -> ActiveLearner:
    rng = np.random.default_rng(1)
    features = Features(sparse=sparse.csr_matrix(rng.random((len(prior), 8)).astype(np.float32)),
                        dense=np.zeros((len(prior), 0), dtype=np.float32))
    return ActiveLearner(features, prior, LearnerConfig(prior_weighting=weighting, prior_auc_strength=2.0), 0)


def test_a_prior_that_ranks_the_includes_low_fades_and_a_good_one_keeps_its_weight() -> None:
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    labels = {i: int(v) for i, v in enumerate(y)}
    good, bad = _learner(y + 0.1 * np.arange(10) / 10, "agreement"), _learner(1.0 - y, "agreement")
    count = _learner(1.0 - y, "count")
    for learner in (good, bad, count):
        learner.fit(labels)
    assert good.prior_weight().auc == pytest.approx(1.0)
    assert bad.prior_weight().auc == pytest.approx(0.0)
    assert good.prior_weight().share == pytest.approx(count.prior_weight().share)  # capped at the count rule
    assert bad.prior_weight().share < 0.5 * count.prior_weight().share
    assert count.prior_weight().auc is None
