"""Immediate TF-IDF ranking while a better encoder is built in a background thread."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from screening.rank.background import BackgroundRanker, cached_fraction, ready_encoders
from tests.rank_helpers import load_sample, recall_at, static_models  # noqa: F401


def test_fast_ranker_serves_at_once_and_the_target_takes_over_with_the_labels(
    static_models: Path, tmp_path: Path  # noqa: F811
) -> None:
    records, protocol = load_sample("Smid_2020")
    titles, abstracts = records["title"].tolist(), records["abstract"].tolist()
    labels = records["label_included"].to_numpy()
    assert ready_encoders(titles, abstracts, tmp_path) == ["tfidf"]

    background = BackgroundRanker(titles, abstracts, protocol, target="static", fast="tfidf", cache_dir=tmp_path)
    assert background.ranker.encoder_name in ("tfidf", "static")
    assert len(background.ranker.ranking()) == len(records)  # usable before the target is ready
    train = {int(np.flatnonzero(labels == 1)[0]): 1, int(np.flatnonzero(labels == 0)[0]): 0}
    background.update(train)

    assert background.wait(timeout=600)
    assert background.error is None
    assert background.ranker.encoder_name == "static"
    assert background.ranker.labels == train  # labels given meanwhile were replayed
    assert recall_at(background.ranker.ranking(exclude=train), labels, 0.2) > 0.4
    assert cached_fraction(titles, abstracts, "static", tmp_path) == 1.0
    assert ready_encoders(titles, abstracts, tmp_path) == ["tfidf", "static"]
