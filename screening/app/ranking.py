"""The reviewer's queue order, from `screening.rank.queue`, without ever making the reviewer wait.

Why: the first record must appear at once, yet the best ranking needs MiniLM embeddings that take a while
on a CPU. The fast encoder (TF-IDF) answers immediately; the better encoder is built in a background
thread and takes over once ready. Every built ranker serves one learner per label scope (the team, or
each blind reviewer: see `screening.rank.queue`), retrained only when that scope's labels changed, so a
decision costs one incremental update per scope, not a rebuild.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from screening.decisions.stopping_samples import drawn_first
from screening.rank.learner import PriorWeight
from screening.rank.project_data import load_records
from screening.rank.queue import ProjectRanker, ScopedLearner, best_encoder, build_project_ranker, trained_learner
from screening.store.project import Project
from screening.store.records_table import kept_records_signature

FAST_ENCODER = "tfidf"


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
        self.fitted: dict[tuple, ProjectRanker] = {}
        self.threads: dict[tuple, threading.Thread] = {}
        self.errors: dict[tuple, str] = {}

    def _start(self, signature: tuple, encoders: list[str], project: Project, records: pd.DataFrame,
               protocol) -> None:  # type: ignore[no-untyped-def]
        def work() -> None:
            for encoder in encoders:
                try:
                    fitted = build_project_ranker(project, protocol, encoder, records=records)
                except Exception as exc:  # noqa: BLE001 - shown on the page; the other ranker keeps serving
                    with self.lock:
                        self.errors[(encoder, signature)] = f"{encoder}: {type(exc).__name__}: {exc}"
                    continue
                with self.lock:
                    self.fitted[(encoder, signature)] = fitted

        thread = threading.Thread(target=work, name="screening-ranker", daemon=True)
        self.threads[signature] = thread
        thread.start()

    def get(self, project: Project, protocol, wait: bool = False) -> ProjectRanker | None:  # type: ignore[no-untyped-def]
        n_records, highest_id = kept_records_signature(project)
        signature = (str(project.path), n_records, highest_id, _protocol_mtime(project))
        encoders = list(dict.fromkeys([FAST_ENCODER, best_encoder(n_records)]))
        with self.lock:
            if signature not in self.threads:
                _warm_shared_nlp(protocol)
                self._start(signature, encoders, project, load_records(project), protocol)
            thread = self.threads[signature]
        if wait:
            while thread.is_alive() and self._newest(signature, encoders) is None:
                thread.join(timeout=0.1)
        return self._newest(signature, encoders)

    def _newest(self, signature: tuple, encoders: list[str]) -> ProjectRanker | None:
        with self.lock:
            for encoder in reversed(encoders):
                if (encoder, signature) in self.fitted:
                    return self.fitted[(encoder, signature)]
        return None

    def preparing(self, project: Project) -> list[str]:
        """Encoders still being built for the project's current record set (in build order)."""
        n_records, highest_id = kept_records_signature(project)
        signature = (str(project.path), n_records, highest_id, _protocol_mtime(project))
        encoders = list(dict.fromkeys([FAST_ENCODER, best_encoder(n_records)]))
        with self.lock:
            thread = self.threads.get(signature)
            if thread is None or not thread.is_alive():
                return []
            return [e for e in encoders if (e, signature) not in self.fitted and (e, signature) not in self.errors]

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


@dataclass
class RankingView:
    """What one viewer's pages get from the ranking: their learner (None while none is ready) and its name.

    Built once per page run by `view_for`, so the viewer's training labels are read and trained on once.
    """

    learner: ScopedLearner | None
    ranker: ProjectRanker | None
    project: Project | None = None  # for the open stopping sample's records (served first)

    @property
    def result(self) -> RankingResult:
        if self.learner is None or self.ranker is None:
            return RankingResult(encoder=IMPORT_ORDER, n_labels=0)
        return RankingResult(encoder=self.ranker.encoder, n_labels=len(self.learner.labels))

    def order(self, pending: Sequence[int], stage: str = "title_abstract") -> list[int]:
        """``pending`` record ids, most likely relevant first (import order while no ranker is ready); the
        records of an open stopping sample first, unmarked, as in `screening queue`."""
        ordered = sorted(pending) if self.learner is None else self.learner.order(pending)
        return ordered if self.project is None else drawn_first(self.project, ordered, stage)

    def explain(self, record_id: int) -> tuple[dict[str, float], dict[str, str]]:
        """Per concept: match score (-1..1) and best sentence; from the protocol alone, never from labels."""
        return ({}, {}) if self.ranker is None else self.ranker.explain(record_id)

    def percentiles(self, record_id: int) -> dict[str, float]:
        """Per concept: the record's match as a share of the review's records it matches at least as well."""
        return {} if self.ranker is None else self.ranker.percentiles(record_id)

    def prior_weight(self) -> PriorWeight | None:
        """How much the protocol's zero-shot ranking weighs in this viewer's order, and why (None: no ranker)."""
        if self.learner is None:
            return None
        with self.learner.lock:
            return self.learner.ranker.prior_weight()

    def predictions(self) -> pd.Series:
        """The viewer's model's include prediction (True/False) per record id."""
        return pd.Series(dtype=bool, name="model") if self.learner is None else self.learner.include_predictions()


def view_for(project: Project, viewer: str | None, wait: bool = False) -> RankingView:
    """The ranking ``viewer`` may see (``None``: the team's), trained on that view's labels.

    ``wait``: block until the fast ranker exists (pages that need a model, e.g. agreement).
    """
    from screening.app.context import load_protocol

    ranker = _registry().get(project, load_protocol(project), wait=wait)
    if ranker is None:
        return RankingView(learner=None, ranker=None, project=project)
    return RankingView(learner=trained_learner(project, ranker, viewer), ranker=ranker, project=project)


def prior_note(weight: PriorWeight) -> str:
    """One line for the Screen page: the protocol prior's share of the order and what it rests on."""
    share = f"protocol ranking weighs {weight.share:.0%} of the order"
    includes = f"{weight.n_included} include" + ("" if weight.n_included == 1 else "s")
    if weight.share >= 1.0:
        return f"{share} (no include and exclude labelled yet: the order comes from the concept definitions)"
    if weight.auc is not None and weight.shrunk_auc is not None:
        return (f"{share}: it ranks your labelled includes above your excludes with AUC {weight.auc:.2f} "
                f"({weight.shrunk_auc:.2f} after shrinkage for {includes}); a weaker agreement fades it faster")
    return f"{share}: it fades as includes are labelled ({includes} so far), the learner taking over"


def better_ranking_eta(project: Project, result: RankingResult) -> str | None:
    """What the Screen page adds below the ranking it serves: the better ranking still being built and
    when it should be ready (None when nothing is pending).

    The estimate is the card's measured speed (records per second, `models/*.yaml`) times the records, an
    upper bound: embeddings already cached make it faster.
    """
    from screening.rank.api import encoder_for
    from screening.rank.model_cards import load_card

    pending = [name for name in _registry().preparing(project) if name != result.encoder]
    if not pending:
        return None
    n_records = kept_records_signature(project)[0]
    card = load_card(encoder_for(pending[-1], n_records))
    minutes = n_records / max(float(card.speed.records_per_second), 1e-9) / 60
    eta = "under a minute" if minutes < 1 else f"~{minutes:.0f} min"
    if card.weights.get("kind") == "distilled" and not _static_model_built(card):
        eta += " after distilling the static model (~2 min; `screening build-models` does it at set-up)"
    return f"{card.name} ranking ready in {eta} (the queue re-orders itself then)"


def current_encoder(project: Project) -> str:
    """The encoder of the newest ranker built (no learner is trained: cheap enough to poll)."""
    from screening.app.context import load_protocol

    ranker = _registry().get(project, load_protocol(project))
    return IMPORT_ORDER if ranker is None else ranker.encoder


def _static_model_built(card) -> bool:  # type: ignore[no-untyped-def]
    from screening.rank.encoders import StaticEncoder

    return (StaticEncoder(card).model_dir / "model.safetensors").exists()


def better_ranking_pending(project: Project) -> bool:
    return bool(_registry().preparing(project))


def ranking_errors(project: Project) -> list[str]:
    """Why a ranker could not be built (e.g. the MiniLM weights are missing); the others keep serving."""
    return _registry().errors_for(project)


def ranked_pending(project: Project, stage: str, pending: Sequence[int],
                   viewer: str | None = None) -> tuple[list[int], RankingResult]:
    """`pending` record ids, most likely relevant first, as ``viewer`` may see them (never waits)."""
    view = view_for(project, viewer)
    return view.order(pending, stage), view.result
