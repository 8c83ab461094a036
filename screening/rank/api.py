"""Public ranking API used by the app, the CLI and the simulation.

Why: reviewers should see likely-relevant records first from the very first screen. Before any decision
the ranking comes from the protocol's concept definitions (zero-shot); every decision then retrains a
classifier whose scores are blended in as labels accumulate.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from screening.rank.cache import default_cache_dir
from screening.rank.encoders import CachedEncoder, TfidfEncoder, get_encoder
from screening.rank.features import build_features
from screening.rank.learner import ActiveLearner, LearnerConfig, PriorWeight, prior_share_prediction
from screening.rank.model_cards import load_card
from screening.rank.text import match_concepts, record_text, sentences
from screening.rank.zeroshot import ZeroShotScores, match_sentences, score_protocol

if TYPE_CHECKING:
    from screening.protocol.schema import Protocol
    from screening.store.project import Project

AUTO_ENCODER = "auto"  # MiniLM for small projects, static embeddings for large ones (`encoder_for`)
DEFAULT_ENCODER = AUTO_ENCODER
MINILM_MAX_RECORDS = 2000
UNTRAINED_INCLUDE_SHARE = 0.1  # before training, the model "includes" the top 10 % of the zero-shot ranking


def encoder_for(name: str, n_records: int) -> str:
    """The model card an encoder name means for a project of `n_records`; "auto" picks by size.

    Why: MiniLM ranked better than the static embeddings on the small reviews, where most of the
    simulation loss is (priors 1+1, 12 reviews of 128-1,218 records x 5 seeds: 0.926 vs 0.955 x ASReview's
    loss), and was no better on larger ones, where it costs minutes to hours of CPU embedding (~5-20
    records/s here) against seconds. See evaluation/results/ranker_tuning.md.
    Re-measured with MiniLM on ONNX int8 (evaluation/scale_benchmark.py --phases throughput, load 6):
    10 records/s against static's 159, i.e. 8 min at 5,000 records, 33 min at 20,000, 2.4 h at 88,000
    (about 74 records/s idle: 1, 4.5 and 20 min), for no measured gain above ~1,000 records; the threshold
    stays at 2,000 (README, "Speed and scale").
    """
    if name != AUTO_ENCODER:
        return name
    return "minilm" if n_records <= MINILM_MAX_RECORDS else "static"


class Ranker:
    """Ranks records by likely relevance; `update` with reviewer labels sharpens it at once.

    Args:
        titles, abstracts: one entry per record (None/empty allowed); positions are the record indices.
        protocol: concept definitions and criteria for the zero-shot prior; None = no prior (seeded random
            order until both an include and an exclude are labelled).
        encoder: name of a model card in `models/` ("minilm", "static", "tfidf"), or "auto" (`encoder_for`).
        cache_dir: where embeddings, sentence splits and the fitted TF-IDF are cached (default
            `$SCREENING_CACHE_DIR` or `~/.cache/screening`).
        seed: makes exploration and tie-breaking deterministic.
        exploration: share of ranking positions given to the records the classifier is least sure about.
        config: classifier settings (tuned over all benchmark datasets).
        progress: show a tqdm bar while embedding.
    """

    def __init__(
        self,
        titles: Sequence[str | None],
        abstracts: Sequence[str | None],
        protocol: Protocol | None,
        *,
        encoder: str = DEFAULT_ENCODER,
        cache_dir: Path | None = None,
        seed: int = 0,
        exploration: float = 0.0,
        config: LearnerConfig | None = None,
        progress: bool = True,
    ) -> None:
        if len(titles) != len(abstracts):
            raise ValueError(f"titles ({len(titles)}) and abstracts ({len(abstracts)}) differ in length")
        if not 0.0 <= exploration < 1.0:
            raise ValueError(f"exploration must be in [0, 1), got {exploration}")
        self.n_records = len(titles)
        self.protocol = protocol
        encoder = encoder_for(encoder, len(titles))
        self.encoder_name = encoder
        self.seed = seed
        self.exploration = exploration
        self._sentences = sentences(titles, abstracts, cache_dir=cache_dir or default_cache_dir())
        corpus = [record_text(t, a) for t, a in zip(titles, abstracts, strict=True)]
        card = load_card(encoder)
        tfidf = get_encoder("tfidf", corpus=corpus, cache_dir=cache_dir or default_cache_dir())

        def dense_or_tfidf(name: str) -> CachedEncoder | TfidfEncoder:
            return tfidf if name == "tfidf" else get_encoder(name, cache_dir=cache_dir)

        text_encoder = dense_or_tfidf(encoder)
        zeroshot_name = card.zeroshot_encoder or encoder
        self.zeroshot_encoder_name = zeroshot_name
        self._zeroshot: ZeroShotScores | None = None
        record_vectors = None
        if protocol is not None and protocol.concepts:
            self._zeroshot = score_protocol(protocol, self._sentences, dense_or_tfidf(zeroshot_name), tfidf,
                                            progress=progress, cache_dir=cache_dir or default_cache_dir())
            if zeroshot_name == encoder:
                record_vectors = self._zeroshot.record_vectors
        if record_vectors is None and text_encoder.dense:
            record_vectors = match_sentences(self._sentences, [], text_encoder, progress=progress,
                                             cache_dir=cache_dir or default_cache_dir()).record_vectors
        self._tfidf_matrix, self._record_vectors = tfidf.matrix, record_vectors
        self._features = build_features(tfidf.matrix, record_vectors, self._zeroshot,
                                        embedding_weight=card.classifier_feature_weight)
        self._prior = self._zeroshot.combined if self._zeroshot is not None else np.zeros(self.n_records)
        self._config = config or LearnerConfig()
        self.reset(seed)

    def reset(self, seed: int | None = None, config: LearnerConfig | None = None) -> None:
        """Forget every label and restart the learner on the same features and prior (optionally a new seed
        or classifier settings).

        Why: a simulation replays the same records under several seeds and priors; embedding the records
        and scoring the protocol again for each replay would cost more than the replay itself.
        """
        if seed is not None:
            self.seed = seed
        if config is not None:
            self._config = config
        # A tiny seeded jitter breaks ties (e.g. no protocol, no labels) reproducibly.
        self._jitter = np.random.default_rng(self.seed).random(self.n_records) * 1e-9
        self._learner = ActiveLearner(self._features, self._prior, self._config, self.seed)
        self._labels: dict[int, int] = {}

    def fork(self) -> Ranker:
        """A ranker over the same embeddings, features and zero-shot prior, with a learner of its own.

        Why: in blind dual screening each reviewer's queue must learn only from what that reviewer may
        see; forking shares the expensive part (embeddings, feature matrix) and costs one learner (three
        vectors of n floats).
        """
        clone = copy.copy(self)
        clone.reset()
        return clone

    # -- learning -------------------------------------------------------------------------------------

    def update(self, labels: Mapping[int, int]) -> None:
        """Add or change labels (positional index -> 1 include / 0 exclude) and retrain at once.

        Labels accumulate over calls; passing all labels every time is fine. `maybe` is not a label.
        """
        for index, label in labels.items():
            index, label = int(index), int(label)
            if not 0 <= index < self.n_records:
                raise IndexError(f"label for record {index}: there are {self.n_records} records")
            if label not in (0, 1):
                raise ValueError(f"label for record {index} must be 0 or 1, got {label}")
            self._labels[index] = label
        self._learner.fit(self._labels)

    def set_labels(self, labels: Mapping[int, int]) -> None:
        """Replace all labels (e.g. after a decision was withdrawn or changed to maybe) and retrain."""
        self._labels = {}
        self.update(labels)

    @property
    def labels(self) -> dict[int, int]:
        return dict(self._labels)

    @property
    def prior(self) -> np.ndarray:
        """The zero-shot criteria score of every record (zeros without a protocol)."""
        return self._prior.copy()

    def prior_weight(self) -> PriorWeight:
        """The prior's share of the blend now, and the labelled evidence behind it."""
        return self._learner.prior_weight()

    # -- output ---------------------------------------------------------------------------------------

    def scores(self) -> np.ndarray:
        """One score per record, higher = more likely relevant (blend of classifier and zero-shot)."""
        return self._learner.scores() + self._jitter

    def ranking(self, exclude: Iterable[int] = (), among: np.ndarray | None = None,
                limit: int | None = None) -> np.ndarray:
        """Record indices, best first, without `exclude` (e.g. those already screened).

        ``among``: a boolean mask over the records (True = may be ranked), instead of or besides `exclude`.
        ``limit``: only the first `limit` of that order (the same records in the same order).
        Ties keep index order: the result equals a stable sort of all scores with the rest filtered out.
        """
        keep = np.ones(self.n_records, dtype=bool) if among is None else np.array(among, dtype=bool)
        if keep.shape != (self.n_records,):
            raise ValueError(f"among must be a mask of {self.n_records} records, got shape {keep.shape}")
        excluded = np.fromiter((int(i) for i in exclude), dtype=np.int64)
        keep[excluded[(excluded >= 0) & (excluded < self.n_records)]] = False  # others excluded nothing before
        candidates = np.flatnonzero(keep)
        if self.exploration and candidates.size:
            return self._explore(top_order(-self.scores(), candidates, None))[:limit]
        return top_order(-self.scores(), candidates, limit)

    def _explore(self, order: np.ndarray) -> np.ndarray:
        """Every 1/exploration-th position goes to the least certain record (random before training)."""
        probability = self._learner.probability()
        if probability is None:
            rng = np.random.default_rng((self.seed, len(self._labels)))
            uncertain = rng.permutation(order)
        else:
            uncertain = order[np.argsort(np.abs(probability[order] - 0.5), kind="stable")]
        step = max(2, round(1 / self.exploration))
        result: list[int] = []
        taken: set[int] = set()
        best_iter, explore_iter = iter(order.tolist()), iter(uncertain.tolist())
        while len(result) < order.size:
            source = explore_iter if (len(result) + 1) % step == 0 else best_iter
            for candidate in source:
                if candidate not in taken:
                    taken.add(candidate)
                    result.append(candidate)
                    break
            else:  # that source is exhausted; the other one still has records
                source = best_iter if source is explore_iter else explore_iter
                for candidate in source:
                    if candidate not in taken:
                        taken.add(candidate)
                        result.append(candidate)
                        break
        return np.asarray(result, dtype=np.int64)

    def concept_scores(self) -> pd.DataFrame:
        """Zero-shot similarity (best sentence, -1..1) per record (rows) and concept (columns)."""
        if self._zeroshot is None:
            return pd.DataFrame(index=pd.RangeIndex(self.n_records))
        return pd.DataFrame(self._zeroshot.concept_similarity, columns=self._zeroshot.concept_names)

    def best_sentences(self) -> pd.DataFrame:
        """Per record (rows) and concept (columns) the sentence closest to the concept: the explanation."""
        if self._zeroshot is None:
            return pd.DataFrame(index=pd.RangeIndex(self.n_records))
        return pd.DataFrame(dict(zip(self._zeroshot.concept_names, self._zeroshot.best_sentence, strict=True)))

    def zero_shot_scores(self) -> np.ndarray:
        """The protocol-only score in (0, 1] (0.5 everywhere without a protocol)."""
        if self._zeroshot is None:
            return np.full(self.n_records, 0.5)
        return self._zeroshot.combined.copy()

    def predict_include(self, threshold: float | None = None) -> np.ndarray:
        """Boolean include prediction per record, for reviewer-vs-model agreement.

        Trained: class-balanced probability >= threshold (default 0.5). Untrained: the top 10 % of the
        zero-shot ranking (or of `threshold` as a share, if given).
        """
        probability = self._learner.probability()
        if probability is None:
            share = UNTRAINED_INCLUDE_SHARE if threshold is None else threshold
            return prior_share_prediction(self.scores(), share)
        return probability >= (0.5 if threshold is None else threshold)


def top_order(keys: np.ndarray, candidates: np.ndarray, limit: int | None) -> np.ndarray:
    """`candidates` (ascending indices) ordered by `keys[candidates]`, ties in index order; the first `limit`.

    Why: a stable argsort of the scores of the candidates alone gives exactly the order that sorting all
    records and dropping the others gives, without sorting the records that cannot be shown. With a
    `limit` well below their number, `np.argpartition` finds the top first and only those are sorted (all
    records tied with the last one taken are sorted too, so ties still go by index).
    """
    values = keys[candidates]
    if limit is None or limit >= candidates.size:
        return candidates[np.argsort(values, kind="stable")]
    if limit <= 0:
        return candidates[:0]
    threshold = values[np.argpartition(values, limit - 1)[limit - 1]]
    if np.isnan(threshold):  # fewer real scores than `limit`: NaNs sort last either way
        return candidates[np.argsort(values, kind="stable")][:limit]
    head = np.flatnonzero(values <= threshold)  # the top `limit`, and every record tied with the last one
    return candidates[head[np.argsort(values[head], kind="stable")][:limit]]


def rank_project(project: Project, encoder: str = DEFAULT_ENCODER, viewer: str | None = None) -> pd.DataFrame:
    """Rank a project's non-duplicate records using its protocol and current title/abstract decisions.

    ``viewer``: learn only from the decisions this reviewer may see (in blind mode: their own and resolved).
    Columns: record_id (DB id), source_id, rank (1 = first), score, one column per concept.
    """
    from screening.rank.project_data import load_records_and_labels

    records, labels = load_records_and_labels(project, viewer)
    protocol = project.load_protocol()
    ranker = Ranker(records["title"].tolist(), records["abstract"].tolist(), protocol, encoder=encoder,
                    cache_dir=project.cache_dir)
    if labels:
        ranker.update(labels)
    scores = ranker.scores()
    result = pd.DataFrame({"record_id": records["record_id"].to_numpy(),
                           "source_id": records["source_id"].to_numpy(), "score": scores})
    result = pd.concat([result, ranker.concept_scores().set_index(result.index)], axis=1)
    rank = np.empty(len(scores), dtype=np.int64)
    rank[ranker.ranking()] = np.arange(1, len(scores) + 1)
    result.insert(2, "rank", rank)
    return result.sort_values("rank").reset_index(drop=True)


def highlight_spans(text: str, protocol: Protocol) -> list[tuple[int, int, str]]:
    """Character spans (start, end, concept name) of concept terms in `text`, case/inflection-insensitive."""
    return match_concepts(text, protocol)
