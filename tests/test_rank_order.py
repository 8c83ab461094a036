"""Queue order: the vectorised and top-k paths give exactly the order a stable sort of every score gives."""

from __future__ import annotations

import numpy as np
import pytest

from screening.rank.api import Ranker, top_order
from screening.rank.queue import ScopedLearner
from tests.rank_helpers import load_sample


def reference(keys: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """The order before: all records stably sorted, the others dropped."""
    order = np.argsort(keys, kind="stable")
    return order[np.isin(order, candidates)]


@pytest.mark.parametrize("seed", range(5))
def test_top_order_equals_the_full_stable_sort_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 3000
    keys = rng.integers(0, 40, n).astype(np.float64)  # many ties, also across the cut of every limit
    candidates = np.flatnonzero(rng.random(n) < 0.7)
    full = reference(keys, candidates)
    np.testing.assert_array_equal(top_order(keys, candidates, None), full)
    for limit in (0, 1, 2, 7, 50, 333, candidates.size - 1, candidates.size, candidates.size + 5):
        np.testing.assert_array_equal(top_order(keys, candidates, limit), full[:limit])


def test_top_order_puts_nan_last_as_a_full_sort_does() -> None:
    keys = np.array([0.5, np.nan, -1.0, np.nan, 0.5, 2.0])
    candidates = np.arange(6)
    full = reference(keys, candidates)
    for limit in range(7):
        np.testing.assert_array_equal(top_order(keys, candidates, limit), full[:limit])


@pytest.fixture(scope="module")
def ranker(tmp_path_factory: pytest.TempPathFactory) -> Ranker:
    records, protocol = load_sample("van_de_Schoot_2018")
    ranker = Ranker(records["title"].tolist(), records["abstract"].tolist(), protocol, encoder="tfidf",
                    cache_dir=tmp_path_factory.mktemp("cache"), progress=False)
    labels = records["label_included"].to_numpy()
    ranker.update({int(i): int(labels[i]) for i in range(0, len(records), 7)})
    return ranker


def test_ranking_with_exclude_among_and_limit_matches_the_old_filtering(ranker: Ranker) -> None:
    n = ranker.n_records
    excluded = list(range(0, n, 3)) + [-1, n + 5]  # out-of-range indices excluded nothing before either
    old = np.argsort(-ranker.scores(), kind="stable")
    old = old[~np.isin(old, excluded)]
    np.testing.assert_array_equal(ranker.ranking(exclude=excluded), old)
    among = np.zeros(n, dtype=bool)
    among[1::2] = True
    both = old[among[old]]
    np.testing.assert_array_equal(ranker.ranking(exclude=excluded, among=among), both)
    np.testing.assert_array_equal(ranker.ranking(exclude=excluded, among=among, limit=25), both[:25])
    with pytest.raises(ValueError, match="mask"):
        ranker.ranking(among=np.ones(n - 1, dtype=bool))


def test_scoped_learner_order_keeps_ids_newer_than_the_ranker_last(ranker: Ranker) -> None:
    ids = np.arange(10, 10 + 2 * ranker.n_records, 2)  # record ids are not positions
    learner = ScopedLearner(ranker.fork(), ids, {int(r): i for i, r in enumerate(ids)})
    learner.train({int(ids[0]): 1, int(ids[1]): 0, int(ids[2]): 0})
    rng = np.random.default_rng(3)
    pending = [int(r) for r in rng.permutation(ids)[: ranker.n_records // 2]] + [5, 10**9, 7]
    position = learner.position
    scores = learner.ranker.scores()
    known = sorted((position[r] for r in pending if r in position), key=lambda i: (-scores[i], i))
    expected = [int(ids[i]) for i in known] + [5, 7, 10**9]
    assert learner.order(pending) == expected
    assert learner.order(pending, limit=10) == expected[:10]
    assert learner.order(pending, limit=len(expected) - 1) == expected[:-1]
    assert learner.order([]) == []


def test_scores_from_the_renumbered_matrix_equal_the_plain_product_exactly(ranker: Ranker) -> None:
    features = ranker._features
    rng = np.random.default_rng(0)
    index = rng.choice(ranker.n_records, 40, replace=False)
    rows, active = features.rows(index)
    for _ in range(3):
        coef = rng.standard_normal(rows.shape[1])
        weights = np.zeros(features.sparse.shape[1], dtype=features.sparse.dtype)
        weights[active] = coef[: len(active)]
        plain = (features.sparse @ weights).astype(np.float64)
        if features.dense.shape[1]:
            plain += features.dense @ coef[len(active) :].astype(features.dense.dtype)
        np.testing.assert_array_equal(features.decision(active, coef, 0.5), plain + 0.5)

