"""The reviewer's queue order, from `screening.rank.api.Ranker`, without ever making the reviewer wait.

Why: the first record must appear at once, yet the best ranking needs MiniLM embeddings that take a while
on a CPU. The fast encoder (TF-IDF) answers immediately; the better encoder is built in a background
thread and takes over once ready. Each ranker retrains only when the training labels changed, so a
decision costs one incremental update, not a rebuild.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import streamlit as st

from screening.rank.project_data import current_labels, load_records
from screening.store.project import Project
from screening.store.records_table import kept_records_signature

FAST_ENCODER = "tfidf"
ENCODER_ENV = "SCREENING_APP_ENCODER"  # the better encoder built in the background; "tfidf" = none
DEFAULT_BEST_ENCODER = "auto"  # MiniLM for small projects, static embeddings for large ones
TRAINING_STAGE = "title_abstract"  # the ranker learns from title/abstract decisions


def best_encoder(n_records: int) -> str:
    """The model card built in the background for a project of `n_records` (`$SCREENING_APP_ENCODER` wins)."""
    from screening.rank.api import encoder_for

    return encoder_for(os.environ.get(ENCODER_ENV, DEFAULT_BEST_ENCODER), n_records)


@dataclass
class _Fitted:
    """One Ranker over a fixed set of records, with the labels it was last trained on."""

    ranker: object
    record_ids: np.ndarray
    encoder: str
    labels: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def position(self) -> dict[int, int]:
        return {int(rid): i for i, rid in enumerate(self.record_ids)}

    def train(self, labels: dict[int, int]) -> None:
        with self.lock:
            if labels != self.labels:
                pos = self.position()
                self.ranker.set_labels({pos[r]: y for r, y in labels.items() if r in pos})  # type: ignore[attr-defined]
                self.labels = dict(labels)


IMPORT_ORDER = "import order"


@dataclass(frozen=True)
class RankingResult:
    encoder: str  # FAST_ENCODER, the better encoder, or IMPORT_ORDER while no ranker is ready
    n_labels: int

    @property
    def ready(self) -> bool:
        return self.encoder != IMPORT_ORDER


class _Registry:
    """Per project and record set: rankers built in one background thread, fast encoder first.

    The page never waits for a build: until the fast ranker exists, records come in import order.
    One thread per record set builds the encoders one after the other, so a 2-core machine is not
    swamped; pages that need a model (agreement, progress) may `wait` for the fast one.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.fitted: dict[tuple, _Fitted] = {}
        self.threads: dict[tuple, threading.Thread] = {}
        self.errors: dict[tuple, str] = {}

    @staticmethod
    def _build(encoder: str, records: pd.DataFrame, protocol, cache_dir) -> _Fitted:  # type: ignore[no-untyped-def]
        from screening.rank.api import Ranker

        ranker = Ranker(records["title"].tolist(), records["abstract"].tolist(), protocol, encoder=encoder,
                        cache_dir=cache_dir, progress=False)
        return _Fitted(ranker=ranker, record_ids=records["record_id"].to_numpy(), encoder=encoder)

    def _start(self, signature: tuple, encoders: list[str], records: pd.DataFrame, protocol, cache_dir) -> None:  # type: ignore[no-untyped-def]
        def work() -> None:
            for encoder in encoders:
                try:
                    fitted = self._build(encoder, records, protocol, cache_dir)
                except Exception as exc:  # noqa: BLE001 - shown on the page; the other ranker keeps serving
                    with self.lock:
                        self.errors[(encoder, signature)] = f"{encoder}: {type(exc).__name__}: {exc}"
                    continue
                with self.lock:
                    self.fitted[(encoder, signature)] = fitted

        thread = threading.Thread(target=work, name="screening-ranker", daemon=True)
        self.threads[signature] = thread
        thread.start()

    def get(self, project: Project, protocol, wait: bool = False) -> _Fitted | None:  # type: ignore[no-untyped-def]
        n_records, highest_id = kept_records_signature(project)
        signature = (str(project.path), n_records, highest_id, _protocol_mtime(project))
        encoders = list(dict.fromkeys([FAST_ENCODER, best_encoder(n_records)]))
        with self.lock:
            if signature not in self.threads:
                _warm_shared_nlp(protocol)
                self._start(signature, encoders, load_records(project), protocol, project.cache_dir)
            thread = self.threads[signature]
        if wait:
            while thread.is_alive() and self._newest(signature, encoders) is None:
                thread.join(timeout=0.1)
        return self._newest(signature, encoders)

    def _newest(self, signature: tuple, encoders: list[str]) -> _Fitted | None:
        with self.lock:
            for encoder in reversed(encoders):
                if (encoder, signature) in self.fitted:
                    return self.fitted[(encoder, signature)]
        return None

    def errors_for(self, project: Project) -> list[str]:
        with self.lock:
            return [message for (_, signature), message in self.errors.items() if signature[0] == str(project.path)]


def _warm_shared_nlp(protocol) -> None:  # type: ignore[no-untyped-def]
    """Create the cached spaCy pipeline and concept matcher here, before a ranker thread does.

    `functools.cache` does not stop two threads from each building one at the same time; highlighting
    with one pipeline's matcher on the other pipeline's tokens then fails (spaCy E084).
    """
    from screening.rank.api import highlight_spans
    from screening.rank.text import get_nlp

    get_nlp()
    if protocol is not None:
        highlight_spans("warm up", protocol)


def _protocol_mtime(project: Project) -> int:
    path = project.protocol_path
    return path.stat().st_mtime_ns if path is not None and path.exists() else 0


@st.cache_resource(show_spinner=False)
def _registry() -> _Registry:
    return _Registry()


def _trained(project: Project, wait: bool = False) -> _Fitted | None:
    from screening.app.context import load_protocol

    fitted = _registry().get(project, load_protocol(project), wait=wait)
    if fitted is not None:
        fitted.train(current_labels(project, TRAINING_STAGE))
    return fitted


def ranking_errors(project: Project) -> list[str]:
    """Why a ranker could not be built (e.g. the MiniLM weights are missing); the others keep serving."""
    return _registry().errors_for(project)


def ranked_pending(project: Project, stage: str, pending: Sequence[int]) -> tuple[list[int], RankingResult]:
    """`pending` record ids, most likely relevant first, and which ranker ordered them (never waits)."""
    fitted = _trained(project)
    if fitted is None:
        return sorted(pending), RankingResult(encoder=IMPORT_ORDER, n_labels=0)
    pos = fitted.position()
    wanted = {pos[r] for r in pending if r in pos}
    with fitted.lock:
        order = fitted.ranker.ranking(exclude=[i for i in range(len(fitted.record_ids)) if i not in wanted])  # type: ignore[attr-defined]
    ordered = [int(fitted.record_ids[i]) for i in order]
    missing = [r for r in pending if r not in pos]  # imported after the ranker was built: last
    return ordered + missing, RankingResult(encoder=fitted.encoder, n_labels=len(fitted.labels))


def explain(project: Project, stage: str, record_id: int) -> tuple[dict[str, float], dict[str, str]]:
    """Per concept: how well the record matches (-1..1) and the sentence that matched best."""
    fitted = _trained(project)
    i = fitted.position().get(record_id) if fitted is not None else None
    if fitted is None or i is None:
        return {}, {}
    with fitted.lock:
        scores = fitted.ranker.concept_scores()  # type: ignore[attr-defined]
        sentences = fitted.ranker.best_sentences()  # type: ignore[attr-defined]
    if scores.empty or not len(scores.columns):
        return {}, {}
    row = scores.iloc[i]
    best = sentences.iloc[i] if len(sentences.columns) else pd.Series(dtype=object)
    return ({str(k): float(v) for k, v in row.items()},
            {str(k): str(v) for k, v in best.items() if isinstance(v, str) and v})


def model_predictions(project: Project) -> pd.Series:
    """The model's include prediction (True/False) per record id, at its own threshold (waits for a ranker)."""
    fitted = _trained(project, wait=True)
    if fitted is None:
        return pd.Series(dtype=bool, name="model")
    with fitted.lock:
        predicted = fitted.ranker.predict_include()  # type: ignore[attr-defined]
    return pd.Series(np.asarray(predicted, dtype=bool), index=fitted.record_ids.astype(int), name="model")


def expected_remaining(project: Project, stage: str) -> float | None:
    """Records the model predicts as includes among those without a label yet (None: no ranker yet)."""
    fitted = _trained(project)
    if fitted is None:
        return None
    with fitted.lock:
        predicted = np.asarray(fitted.ranker.predict_include(), dtype=bool)  # type: ignore[attr-defined]
        labelled = list(fitted.labels)
    unlabelled = ~np.isin(fitted.record_ids.astype(int), labelled)
    return float(predicted[unlabelled].sum())
