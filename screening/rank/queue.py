"""A reviewer's queue order: their pending records, ranked by a learner trained only on what they may see.

Why: with one shared model, reviewer A's unresolved decisions reorder reviewer B's queue in blind dual
screening (A includes five records and they top B's queue), so the two screenings are no longer
independent and the agreement they report is not valid. A built `Ranker` (embeddings, feature matrix,
zero-shot prior) is shared by every *label scope*; each scope - the team, or one blind reviewer - gets a
learner of its own (`Ranker.fork`). The app's background registry and `screening queue` both order queues
with `ScopedLearner.order`, so the command prints exactly the order the app shows.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from screening.decisions.queries import is_independent_view, pending_records
from screening.decisions.stopping_samples import drawn_first
from screening.rank.project_data import current_labels, load_records

if TYPE_CHECKING:
    from screening.protocol.schema import Protocol
    from screening.rank.api import Ranker
    from screening.store.project import Project

TEAM_SCOPE = ""  # the team's labels: every decision (lead views, project-level model, non-blind screening)
TRAINING_STAGE = "title_abstract"  # rankers learn from title/abstract decisions
ENCODER_ENV = "SCREENING_APP_ENCODER"  # the better encoder the app builds in the background; "tfidf" = none
DEFAULT_BEST_ENCODER = "auto"  # MiniLM for small projects, static embeddings for large ones


def best_encoder(n_records: int) -> str:
    """The encoder the app ranks with once its background build is done (`$SCREENING_APP_ENCODER` wins)."""
    from screening.rank.api import encoder_for

    return encoder_for(os.environ.get(ENCODER_ENV, DEFAULT_BEST_ENCODER), n_records)


def label_scope(project: Project, viewer: str | None) -> str:
    """Whose labels a viewer's ranking may learn from: their own name in an independent (blind, dual) view."""
    return viewer if viewer is not None and is_independent_view(project, viewer) else TEAM_SCOPE


@dataclass
class ScopedLearner:
    """One learner (a fork of the project's ranker) and the labels (by record id) it was last trained on."""

    ranker: Ranker
    record_ids: np.ndarray
    position: dict[int, int]
    labels: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _sorter: np.ndarray | None = field(default=None, repr=False)  # record_ids' argsort, for id -> position

    def train(self, labels: dict[int, int]) -> None:
        """Retrain only when the labels changed (a page run without a new decision costs nothing)."""
        with self.lock:
            if labels != self.labels:
                self.ranker.set_labels({self.position[r]: y for r, y in labels.items() if r in self.position})
                self.labels = dict(labels)

    def order(self, pending: Iterable[int], limit: int | None = None) -> list[int]:
        """``pending`` record ids, most likely relevant first; records newer than the ranker come last.

        ``limit``: only the first `limit` of that order. Vectorised: at 88,000 records the per-id Python
        loops this replaces cost more than the retrain.
        """
        ids = (np.array(pending, dtype=np.int64) if isinstance(pending, (list, tuple))
               else np.fromiter((int(r) for r in pending), dtype=np.int64))
        positions, found = self._positions(ids)
        among = np.zeros(len(self.record_ids), dtype=bool)
        among[positions[found]] = True
        with self.lock:
            order = self.ranker.ranking(among=among, limit=limit)
        ranked: list[int] = self.record_ids[order].astype(np.int64).tolist()
        if limit is not None and len(ranked) >= limit:
            return ranked
        missing = sorted(ids[~found].tolist())
        return (ranked + missing)[:limit]

    def _positions(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Ranker position of each record id, and whether the ranker has that record at all."""
        if self._sorter is None:
            self._sorter = np.argsort(self.record_ids, kind="stable")
        sorted_ids = self.record_ids[self._sorter]
        if not sorted_ids.size:
            return np.zeros(ids.size, dtype=np.int64), np.zeros(ids.size, dtype=bool)
        slot = np.minimum(np.searchsorted(sorted_ids, ids), sorted_ids.size - 1)
        return self._sorter[slot], sorted_ids[slot] == ids

    def scores(self) -> pd.Series:
        """Ranking score per record id (higher = more likely relevant)."""
        with self.lock:
            values = self.ranker.scores()
        return pd.Series(values, index=self.record_ids.astype(int), name="score")

    def include_predictions(self) -> pd.Series:
        """The model's include prediction (True/False) per record id, at its own threshold."""
        with self.lock:
            predicted = self.ranker.predict_include()
        return pd.Series(np.asarray(predicted, dtype=bool), index=self.record_ids.astype(int), name="model")


class ProjectRanker:
    """A ranker built once over a project's record set, with one learner per label scope."""

    def __init__(self, ranker: Ranker, record_ids: np.ndarray, encoder: str) -> None:
        self.ranker = ranker  # never trained itself: the shared features and prior
        self.record_ids = record_ids
        self.encoder = encoder
        self.position = {int(rid): i for i, rid in enumerate(record_ids)}
        self._learners: dict[str, ScopedLearner] = {}
        self._lock = threading.Lock()

    def learner(self, scope: str) -> ScopedLearner:
        with self._lock:
            if scope not in self._learners:
                self._learners[scope] = ScopedLearner(self.ranker.fork(), self.record_ids, self.position)
            return self._learners[scope]

    @property
    def scopes(self) -> list[str]:
        with self._lock:
            return list(self._learners)

    def explain(self, record_id: int) -> tuple[dict[str, float], dict[str, str]]:
        """Per concept: how well the record matches (-1..1) and the sentence that matched best (no labels)."""
        i = self.position.get(record_id)
        if i is None:
            return {}, {}
        scores, sentences = self.ranker.concept_scores(), self.ranker.best_sentences()
        if scores.empty or not len(scores.columns):
            return {}, {}
        best = sentences.iloc[i] if len(sentences.columns) else pd.Series(dtype=object)
        return ({str(k): float(v) for k, v in scores.iloc[i].items()},
                {str(k): str(v) for k, v in best.items() if isinstance(v, str) and v})


    def percentiles(self, record_id: int) -> dict[str, float]:
        """Per concept: the share (0..1) of this review's records whose match is at most this record's.

        Why: the raw similarity depends on the encoder (TF-IDF gives 0.12 where MiniLM gives 0.73 for as
        good a match), so a bar of it cannot be compared across records ranked by different encoders; the
        rank within the review can. From the protocol alone, like `explain`, never from labels.
        """
        i = self.position.get(record_id)
        scores = self.ranker.concept_scores()
        if i is None or scores.empty or not len(scores.columns):
            return {}
        return {str(k): float(v) for k, v in scores.rank(pct=True, method="max").iloc[i].items()}


def build_project_ranker(project: Project, protocol: Protocol | None, encoder: str,
                         records: pd.DataFrame | None = None, progress: bool = False) -> ProjectRanker:
    """Embed and score the project's kept records once (the expensive part every scope shares)."""
    from screening.rank.api import Ranker

    records = load_records(project) if records is None else records
    ranker = Ranker(records["title"].tolist(), records["abstract"].tolist(), protocol, encoder=encoder,
                    cache_dir=project.cache_dir, progress=progress)
    return ProjectRanker(ranker, records["record_id"].to_numpy(), ranker.encoder_name)


def trained_learner(project: Project, ranker: ProjectRanker, viewer: str | None) -> ScopedLearner:
    """The viewer's learner, trained on exactly the labels of its scope (the viewer's own, or the team's)."""
    scope = label_scope(project, viewer)
    learner = ranker.learner(scope)
    learner.train(current_labels(project, TRAINING_STAGE, None if scope == TEAM_SCOPE else viewer))
    return learner


def reviewer_queue(project: Project, reviewer: str, stage: str, ranker: ProjectRanker | None) -> list[int]:
    """The reviewer's pending record ids in queue order (import order while no ranker is ready).

    Records of an open stopping sample come first, unmarked (`screening.decisions.stopping_samples`).
    """
    pending = pending_records(project, reviewer, stage)
    ordered = sorted(pending) if ranker is None else trained_learner(project, ranker, reviewer).order(pending)
    return drawn_first(project, ordered, stage)
