"""Sentence splits and the fitted TF-IDF are cached on disk, so a restarted ranker redoes neither."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from screening.rank import encoders as encoders_module
from screening.rank import text as text_module
from screening.rank.api import Ranker
from screening.rank.cache import EmbeddingCache
from screening.rank.derived_cache import TFIDF_KEEP, FittedTfidfCache, SentenceMatchCache, matches_key
from screening.rank.encoders import get_encoder
from tests.rank_helpers import load_sample, static_models  # noqa: F401 - fixture


def forget_in_process_splits(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a new process sees: no splits and no fitted TF-IDF in memory."""
    monkeypatch.setattr(text_module, "_SENTENCE_CACHE", {})
    monkeypatch.setattr(encoders_module, "_FITTED", {})


def test_splits_come_from_disk_after_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records, _ = load_sample("Donners_2021")
    titles, abstracts = records["title"].tolist(), records["abstract"].tolist()
    forget_in_process_splits(monkeypatch)
    first = text_module.sentences(titles, abstracts, cache_dir=tmp_path)
    forget_in_process_splits(monkeypatch)
    real_nlp = text_module.get_nlp
    monkeypatch.setattr(text_module, "get_nlp", lambda: pytest.fail("split again"))
    assert text_module.sentences(titles, abstracts, cache_dir=tmp_path) == first
    forget_in_process_splits(monkeypatch)
    split: list[int] = []

    def counting_nlp():  # type: ignore[no-untyped-def]
        split.append(1)
        return real_nlp()

    monkeypatch.setattr(text_module, "get_nlp", counting_nlp)
    changed = text_module.sentences(titles[:1] + ["A new title"], abstracts[:1] + ["New abstract. Two."],
                                    cache_dir=tmp_path)
    assert split == [1] and changed[0] == first[0] and changed[1] == ["A new title", "New abstract.", "Two."]


def test_fitted_tfidf_is_reused_from_disk_and_refitted_when_damaged(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = ["bayesian sem small samples", "ptsd trajectories after trauma", "sem ptsd"] * 20
    first = get_encoder("tfidf", corpus=corpus, cache_dir=tmp_path)
    fits = []
    original = TfidfVectorizer.fit_transform

    def counting_fit(self, raw, y=None):  # type: ignore[no-untyped-def]
        fits.append(1)
        return original(self, raw, y)

    monkeypatch.setattr(TfidfVectorizer, "fit_transform", counting_fit)
    same_process = get_encoder("tfidf", corpus=corpus, cache_dir=tmp_path)
    assert fits == [] and same_process.matrix is first.matrix  # shared in-process, not loaded again
    forget_in_process_splits(monkeypatch)
    second = get_encoder("tfidf", corpus=corpus, cache_dir=tmp_path)
    assert fits == [] and second.matrix is not first.matrix and (second.matrix != first.matrix).nnz == 0
    assert (second.encode(["ptsd"]) != first.encode(["ptsd"])).nnz == 0
    for entry in FittedTfidfCache(tmp_path).directory.glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    forget_in_process_splits(monkeypatch)
    third = get_encoder("tfidf", corpus=corpus, cache_dir=tmp_path)
    assert fits == [1] and (third.matrix != first.matrix).nnz == 0
    get_encoder("tfidf", corpus=corpus[:-1], cache_dir=tmp_path)  # another corpus: fitted, not reused
    assert fits == [1, 1]
    for n in range(TFIDF_KEEP + 2):
        get_encoder("tfidf", corpus=corpus[: 10 + n], cache_dir=tmp_path)
    assert len(list(FittedTfidfCache(tmp_path).directory.glob("*.pickle"))) == TFIDF_KEEP


def test_a_restarted_ranker_ranks_the_same_without_splitting_or_fitting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records, protocol = load_sample("van_de_Schoot_2018")
    titles, abstracts = records["title"].tolist(), records["abstract"].tolist()
    forget_in_process_splits(monkeypatch)
    first = Ranker(titles, abstracts, protocol, encoder="tfidf", cache_dir=tmp_path, progress=False)
    forget_in_process_splits(monkeypatch)
    monkeypatch.setattr(text_module, "get_nlp", lambda: pytest.fail("split again"))
    monkeypatch.setattr(TfidfVectorizer, "fit_transform", lambda *a, **k: pytest.fail("fitted again"))
    again = Ranker(titles, abstracts, protocol, encoder="tfidf", cache_dir=tmp_path, progress=False)
    np.testing.assert_array_equal(again.ranking(), first.ranking())


@pytest.mark.parametrize("encoder", ["tfidf", "static"])
def test_a_restarted_ranker_reads_its_sentence_matches_instead_of_encoding_sentences(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, static_models: Path, encoder: str  # noqa: F811
) -> None:
    records, protocol = load_sample("van_de_Schoot_2018")
    titles, abstracts = records["title"].tolist(), records["abstract"].tolist()
    forget_in_process_splits(monkeypatch)
    first = Ranker(titles, abstracts, protocol, encoder=encoder, cache_dir=tmp_path, progress=False)
    first.update({0: 1, 1: 0, 2: 0})
    stored = list(SentenceMatchCache(tmp_path).directory.glob("matches-*.npz"))
    assert stored  # one per encoder the ranker matched sentences with
    forget_in_process_splits(monkeypatch)
    original = TfidfVectorizer.transform

    def transform(self, raw):  # type: ignore[no-untyped-def]
        if len(raw) > 1:  # the protocol text alone (lexical score) is still transformed
            pytest.fail("sentences transformed again")
        return original(self, raw)

    monkeypatch.setattr(TfidfVectorizer, "transform", transform)
    monkeypatch.setattr(EmbeddingCache, "read_into", lambda *a, **k: pytest.fail("sentence vectors read again"))
    again = Ranker(titles, abstracts, protocol, encoder=encoder, cache_dir=tmp_path, progress=False)
    again.update({0: 1, 1: 0, 2: 0})
    np.testing.assert_array_equal(again.ranking(), first.ranking())
    np.testing.assert_array_equal(again.scores(), first.scores())
    assert again.best_sentences().equals(first.best_sentences())
    monkeypatch.undo()
    for entry in stored:
        entry.write_bytes(b"damaged")
    forget_in_process_splits(monkeypatch)
    third = Ranker(titles, abstracts, protocol, encoder=encoder, cache_dir=tmp_path, progress=False)
    third.update({0: 1, 1: 0, 2: 0})
    np.testing.assert_array_equal(third.scores(), first.scores())


def test_sentence_matches_are_keyed_by_encoder_sentences_and_queries() -> None:
    split = [["A title", "One sentence."], ["Another title"]]
    key = matches_key("static-x", split, ["query"])
    assert key == matches_key("static-x", [list(r) for r in split], ["query"])
    assert len({key, matches_key("minilm-x", split, ["query"]), matches_key("static-x", split, ["other"]),
                matches_key("static-x", [["A title"], ["One sentence.", "Another title"]], ["query"]),
                matches_key("static-x", split[::-1], ["query"])}) == 5
